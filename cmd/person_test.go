package cmd

// A person's journey with the official Azure CLI: Debian's az signs in
// with a device code through the sandbox's proxy mode (the test reads the
// code from az's stderr and answers it through POST
// /_sandbox/devicecode/approve, as the person would on the page), looks
// around and creates an app as that person, and then azpeer, signed in
// through the Azure CLI's login, lists and creates a peering to ACTIVE.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

// personEnv is the environment of the person's shell in proxy mode: the
// Azure CLI and azpeer reach login.microsoftonline.com, graph.microsoft.com,
// management.azure.com and api.aiven.io through the sandbox, trusting its CA.
func personEnv(t *testing.T, s *sandbox.Server) []string {
	t.Helper()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, s.CA().CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	port := s.URL()[strings.LastIndex(s.URL(), ":")+1:]
	return []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "AZURE_CONFIG_DIR=" + filepath.Join(dir, "az"),
		"AZURE_CORE_COLLECT_TELEMETRY=no", "AZURE_CORE_NO_COLOR=true", "AZURE_CORE_ONLY_SHOW_ERRORS=true",
		"HTTPS_PROXY=http://127.0.0.1:" + port, "NO_PROXY=127.0.0.1,localhost", "REQUESTS_CA_BUNDLE=" + ca,
		"AZPEER_CA_FILE=" + ca, "AIVEN_TOKEN=" + s.Credentials().AivenToken,
		"XDG_STATE_HOME=" + filepath.Join(dir, "state"), "XDG_CONFIG_HOME=" + filepath.Join(dir, "config"),
	}
}

// personJourney starts a journey through the official Azure CLI: it skips
// where az is missing, runs beside the other journeys (each has its own
// sandbox, az profile and environment: no Setenv), and gives the sandbox
// (started with opts), the person's environment and the journey's
// deadline.
func personJourney(t *testing.T, opts sandbox.Options) (*sandbox.Server, []string, context.Context) {
	t.Helper()
	if _, err := exec.LookPath("az"); err != nil {
		t.Skip("the Azure CLI (az) is not on PATH: install Debian's azure-cli (apt-get install azure-cli) to run the person's journey through the official client")
	}
	t.Parallel()
	s := sandboxtest.Start(t, opts)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return s, personEnv(t, s), ctx
}

// approveOverHTTP answers a device code as user through the admin
// endpoint. It returns its failure rather than failing the test: it may
// run on azpeer's goroutine (see codeAnswerer).
func approveOverHTTP(s *sandbox.Server, userCode, user string) error {
	body, _ := json.Marshal(map[string]string{"user_code": userCode, "user": user})
	req, err := http.NewRequest(http.MethodPost, s.URL()+"/_sandbox/devicecode/approve", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "aivenv1 "+s.Credentials().AivenToken)
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.CA().Pool()}}}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK {
		return fmt.Errorf("approve %s as %s: %d %s", userCode, user, resp.StatusCode, b)
	}
	return nil
}

// userCodeRE finds the code in Entra's device-code message, pageRE the
// page it names.
var (
	userCodeRE = regexp.MustCompile(`enter the code ([A-Z0-9]{6,})`)
	pageRE     = regexp.MustCompile(`open the page (https://\S+)`)
)

// codeAnswer answers a device code: the message that carried it (with the
// page to open) and the code.
type codeAnswer func(message, code string) error

// overHTTP answers as user through the sandbox's admin endpoint.
func overHTTP(s *sandbox.Server, user string) codeAnswer {
	return func(_, code string) error { return approveOverHTTP(s, code, user) }
}

// azDeviceCodeLogin runs `az login --use-device-code`, answers its code
// with answer and waits for it to finish.
func azDeviceCodeLogin(ctx context.Context, t *testing.T, env []string, answer codeAnswer, args ...string) {
	t.Helper()
	cmd := exec.CommandContext(ctx, "az", append([]string{"login", "--use-device-code", "-o", "none"}, args...)...)
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var seen strings.Builder
	sc := bufio.NewScanner(stderr)
	approved := false
	for sc.Scan() {
		seen.WriteString(sc.Text() + "\n")
		if m := userCodeRE.FindStringSubmatch(sc.Text()); m != nil && !approved {
			if err := answer(sc.Text(), m[1]); err != nil {
				t.Error(err)
			}
			approved = true
		}
	}
	if err := cmd.Wait(); err != nil || !approved {
		t.Fatalf("az login --use-device-code: %v (code seen: %v)\n%s", err, approved, seen.String())
	}
}

// az runs an Azure CLI command and returns its stdout.
func az(ctx context.Context, t *testing.T, env []string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, "az", args...)
	cmd.Env = env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("az %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return out.String()
}

// azpeerProcess runs azpeer with args in a process of its own (this test
// binary, through TestAzpeerProcess: Go reads HTTPS_PROXY once per
// process) in env, and returns its stdout and stderr together.
func azpeerProcess(ctx context.Context, t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, self, "-test.run=^TestAzpeerProcess$")
	cmd.Env = append(env[:len(env):len(env)], envAzpeerArgs+"="+strings.Join(args, azpeerArgsSep))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// cliFallback explains an azpeer run that did not take the Azure CLI's
// login (it offered a device code instead): what az answers for a token
// right after. "" when azpeer used the CLI.
func cliFallback(ctx context.Context, env []string, out string) string {
	if !strings.Contains(out, "To sign in to Azure") {
		return ""
	}
	cmd := exec.CommandContext(ctx, "az", "account", "get-access-token", "--query", "expiresOn", "-o", "tsv")
	cmd.Env = env
	b, err := cmd.CombinedOutput()
	return fmt.Sprintf("\n(azpeer did not use the Azure CLI's login; az account get-access-token now: %v %s)", err, b)
}

func TestPersonAzureCLIDeviceCodeToActive(t *testing.T) {
	// 50× the clouds' pace: role propagation and Aiven's approval take
	// a second or two; the Azure CLI's own polls run on its interval.
	s, env, ctx := personJourney(t, sandbox.Options{Speed: 50})

	start := time.Now()
	azDeviceCodeLogin(ctx, t, env, overHTTP(s, sandbox.AdminUserUPN))
	loginTook := time.Since(start)

	var me struct{ UserPrincipalName, ID string }
	if err := json.Unmarshal([]byte(az(ctx, t, env, "ad", "signed-in-user", "show", "-o", "json")), &me); err != nil {
		t.Fatal(err)
	}
	if me.UserPrincipalName != sandbox.AdminUserUPN || me.ID != sandbox.AdminUserObjectID {
		t.Errorf("az ad signed-in-user show: %+v, want %s (%s)", me, sandbox.AdminUserUPN, sandbox.AdminUserObjectID)
	}
	var subs []struct {
		ID, TenantID string
		User         struct{ Name, Type string }
	}
	if err := json.Unmarshal([]byte(az(ctx, t, env, "account", "list", "-o", "json")), &subs); err != nil {
		t.Fatal(err)
	}
	if len(subs) != 1 || subs[0].ID != sandbox.UserSubscriptionID || subs[0].User.Name != sandbox.AdminUserUPN || subs[0].User.Type != "user" {
		t.Errorf("az account list: %+v, want the Contoso subscription for user %s", subs, sandbox.AdminUserUPN)
	}
	appID := strings.TrimSpace(az(ctx, t, env, "ad", "app", "create", "--display-name", "person-journey", "--sign-in-audience", "AzureADMultipleOrgs", "--query", "appId", "-o", "tsv"))
	spID := strings.TrimSpace(az(ctx, t, env, "ad", "sp", "create", "--id", appID, "--query", "id", "-o", "tsv"))
	if appID == "" || spID == "" {
		t.Fatalf("az ad app create / sp create: app %q sp %q", appID, spID)
	}
	azTook := time.Since(start)

	azpeer := func(args ...string) (string, error) {
		out, err := azpeerProcess(ctx, t, env, args...)
		return out + cliFallback(ctx, env, out), err
	}
	t0 := time.Now()
	out, err := azpeer("list")
	listTook := time.Since(t0)
	if err != nil || !strings.Contains(out, "tsdb-staging") || !strings.Contains(out, sandbox.AdminUserUPN) {
		t.Fatalf("azpeer list with the Azure CLI's login: %v\n%s", err, out)
	}
	t0 = time.Now()
	out, err = azpeer("create", "--project", "tsdb-staging", "--vpc", "2a3b4c5d-6e7f-4819-9a0b-1c2d3e4f5a6b", "--vnet", "rg-app/app-vnet")
	createTook := time.Since(t0)
	if err != nil || !strings.Contains(out, "Aiven ACTIVE") {
		t.Fatalf("azpeer create with the Azure CLI's login: %v\n%s", err, out)
	}
	t.Logf("az login --use-device-code %.1fs; with signed-in-user, account list, ad app/sp create %.1fs; azpeer list %.2fs; azpeer create to ACTIVE %.1fs (sandbox at 50×)",
		loginTook.Seconds(), azTook.Seconds(), listTook.Seconds(), createTook.Seconds())
}

// TestPersonAzureCLIDefaultSubscription: in the "people" scenario the
// administrator's `az account list` shows three subscriptions in two
// tenants (Fabrikam's as a guest); azpeer follows `az account set`, and
// AZURE_SUBSCRIPTION_ID and --subscription beat it, in that order.
func TestPersonAzureCLIDefaultSubscription(t *testing.T) {
	s, env, ctx := personJourney(t, sandbox.Options{Scenario: "people"})
	azDeviceCodeLogin(ctx, t, env, overHTTP(s, sandbox.AdminUserUPN))
	var subs []struct{ ID, TenantID string }
	if err := json.Unmarshal([]byte(az(ctx, t, env, "account", "list", "-o", "json")), &subs); err != nil {
		t.Fatal(err)
	}
	tenants := map[string]string{}
	for _, sub := range subs {
		tenants[sub.ID] = sub.TenantID
	}
	if len(subs) != 3 || tenants[sandbox.UserSubscriptionID] != sandbox.UserTenantID || tenants[sandbox.DevSubscriptionID] != sandbox.UserTenantID ||
		tenants[sandbox.FabrikamSubscriptionID] != sandbox.FabrikamTenantID {
		t.Fatalf("az account list: %+v, want Contoso's two subscriptions and Fabrikam's", subs)
	}
	az(ctx, t, env, "account", "set", "--subscription", sandbox.DevSubscriptionID)
	for _, tc := range []struct {
		name, env  string
		args       []string
		want, lack string
	}{
		{"the CLI's default", "", nil, "dev-vnet", "prod-vnet"},
		{"AZURE_SUBSCRIPTION_ID beats it", sandbox.UserSubscriptionID, nil, "prod-vnet", "dev-vnet"},
		{"--subscription beats both", sandbox.UserSubscriptionID, []string{"--subscription", sandbox.DevSubscriptionID}, "dev-vnet", "prod-vnet"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := env[:len(env):len(env)]
			if tc.env != "" {
				env = append(env, "AZURE_SUBSCRIPTION_ID="+tc.env)
			}
			out, err := azpeerProcess(ctx, t, env, append([]string{"vnets"}, tc.args...)...)
			out += cliFallback(ctx, env, out)
			if err != nil || !strings.Contains(out, tc.want) || strings.Contains(out, tc.lack) {
				t.Errorf("azpeer vnets: %v, want %s and not %s:\n%s", err, tc.want, tc.lack, out)
			}
		})
	}
}

// TestGuestAzureCLIIsRefusedBeforeAnything: the Fabrikam consultant, a
// guest in Contoso with Reader, signs in to Contoso with the Azure CLI;
// azpeer lists what they may read and refuses to create, naming them and
// the role they lack, with nothing created.
func TestGuestAzureCLIIsRefusedBeforeAnything(t *testing.T) {
	s, env, ctx := personJourney(t, sandbox.Options{})
	azDeviceCodeLogin(ctx, t, env, overHTTP(s, sandbox.GuestUserUPN), "--tenant", "contoso.onmicrosoft.com")
	var me struct{ UserPrincipalName, UserType string }
	if err := json.Unmarshal([]byte(az(ctx, t, env, "ad", "signed-in-user", "show", "-o", "json")), &me); err != nil {
		t.Fatal(err)
	}
	if me.UserType != "Guest" || !strings.Contains(me.UserPrincipalName, "#EXT#@contoso.onmicrosoft.com") {
		t.Errorf("az ad signed-in-user show as the guest: %+v", me)
	}
	run := func(args ...string) (string, error) {
		out, err := azpeerProcess(ctx, t, env, args...)
		return out + cliFallback(ctx, env, out), err
	}
	if out, err := run("vnets"); err != nil || !strings.Contains(out, "app-vnet") || !strings.Contains(out, sandbox.GuestUserUPN) {
		t.Errorf("azpeer vnets as the guest: %v\n%s", err, out)
	}
	before := sandboxCounts(t, s)
	out, err := run("create", "--project", "tsdb-staging", "--vpc", "2a3b4c5d-6e7f-4819-9a0b-1c2d3e4f5a6b", "--vnet", "rg-app/app-vnet")
	if err == nil || !strings.Contains(out, sandbox.GuestUserUPN+" cannot perform Microsoft.Authorization/roleAssignments/write") || !strings.Contains(out, "nothing was created") {
		t.Errorf("azpeer create as the guest: %v\n%s", err, out)
	}
	if after := sandboxCounts(t, s); !equalCounts(before, after) {
		t.Errorf("the sandbox changed: before %v, after %v", before, after)
	}
}
