package cmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

// envAzpeerArgs, set, makes TestAzpeerProcess run azpeer with these
// arguments (separated by azpeerArgsSep) in a process of its own: Go reads
// HTTPS_PROXY once per process, so proxy mode needs a fresh one.
const envAzpeerArgs = "AZPEER_TEST_PROCESS_ARGS"

// azpeerArgsSep separates the arguments in envAzpeerArgs: the ASCII unit
// separator, as an environment variable may not hold NUL (exec refuses
// it: "environment variable contains NUL").
const azpeerArgsSep = "\x1f"

func TestAzpeerProcess(t *testing.T) {
	args := os.Getenv(envAzpeerArgs)
	if args == "" {
		t.Skip("runs azpeer for other tests in a process of its own")
	}
	if args == "source" {
		// What the dashboard's header is given: how azpeer signed in.
		b, err := (&Globals{}).connect(context.Background(), connectOptions{graph: true})
		if err != nil {
			fmt.Fprintln(os.Stderr, "Error:", err)
			os.Exit(1)
		}
		fmt.Printf("kind=%s tenant=%s client=%s\n", b.AzureSource.Kind, b.AzureSource.TenantID, b.AzureSource.ClientID)
		b.Close()
		os.Exit(0)
	}
	root := NewRootCommand()
	root.SetArgs(strings.Split(args, azpeerArgsSep))
	if err := root.ExecuteContext(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// The Azure CLI's credential, as a person meets it: Debian's az signed in
// through proxy mode (here as the scenario's administrator app, which
// `az login --service-principal` can do), then azpeer with no credential
// in its environment. The header names the tenant by id, from the token.
func TestAzureCLICredentialHeader(t *testing.T) {
	t.Parallel()
	az, err := exec.LookPath("az")
	if err != nil {
		t.Skip("the Azure CLI is not installed (apt-get install azure-cli); .ci/run installs it")
	}
	if testing.Short() {
		t.Skip("runs the Azure CLI (about two seconds)")
	}
	s := sandboxtest.Start(t, sandbox.Options{})
	c := s.Credentials()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, s.CA().CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{
		"HOME=" + dir,
		"PATH=" + filepath.Dir(az) + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HTTPS_PROXY=http://" + s.Addr(), "NO_PROXY=127.0.0.1,localhost",
		"REQUESTS_CA_BUNDLE=" + ca, "AZPEER_CA_FILE=" + ca,
		"AZURE_CONFIG_DIR=" + filepath.Join(dir, "az"), "AZURE_CORE_COLLECT_TELEMETRY=no",
		"AIVEN_WEB_URL=" + s.URL(), "AIVEN_TOKEN=" + c.AivenToken,
	}
	runIn := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(sandboxtest.Context(t), name, args...)
		cmd.Env = env
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, errOut.String())
		}
		for _, secret := range []string{c.ClientSecret, c.AivenToken} {
			if strings.Contains(out.String()+errOut.String(), secret) {
				t.Fatalf("%s %s printed a secret", filepath.Base(name), args[0])
			}
		}
		return out.String()
	}
	// --password=: a secret may begin with "-", which az would read as a
	// flag (its own advice: "Use -p=secret if the first character of the
	// password is '-'").
	runIn(az, "login", "--service-principal", "-u", c.ClientID, "--password="+c.ClientSecret, "--tenant", c.TenantID, "-o", "none")

	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"list", []string{"list"}, []string{
			"Azure: app " + c.ClientID + ", tenant ", "(" + c.TenantID + ")", "signed in with azure-cli"}},
		// The dashboard's header shows the source's tenant until it knows
		// who signed in: the tenant id from the CLI's token.
		{"source", []string{"source"}, []string{"kind=azure-cli tenant=" + c.TenantID + " client=" + c.ClientID}},
		{"login", []string{"login"}, []string{"in tenant ", "(" + c.TenantID + ")", "with azure-cli"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			self, err := os.Executable()
			if err != nil {
				t.Fatal(err)
			}
			cmdEnv := append(env[:len(env):len(env)], envAzpeerArgs+"="+strings.Join(tt.args, azpeerArgsSep))
			cmd := exec.CommandContext(sandboxtest.Context(t), self, "-test.run=^TestAzpeerProcess$")
			cmd.Env = cmdEnv
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			err = cmd.Run()
			var exit *exec.ExitError
			if err != nil && !errors.As(err, &exit) {
				t.Fatal(err)
			}
			if err != nil {
				t.Fatalf("azpeer %s: %v\n%s%s", tt.args[0], err, out.String(), errOut.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("azpeer %s printed\n%s\nwant it to say %q", tt.args[0], out.String(), w)
				}
			}
			if strings.Contains(out.String()+errOut.String(), c.ClientSecret) {
				t.Errorf("azpeer %s printed the secret", tt.args[0])
			}
		})
	}
}

// list signs in to Azure in the background while it reads Aiven; the
// header says who signed in, or why nobody did, either way.
func TestListHeaderBackgroundSignIn(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	c := s.Credentials()
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"app secret", map[string]string{"AZURE_TENANT_ID": c.TenantID, "AZURE_CLIENT_ID": c.ClientID, "AZURE_CLIENT_SECRET": c.ClientSecret},
			[]string{"Azure: app " + c.ClientID + ", tenant Contoso (" + c.TenantID + ")", "signed in with environment"}},
		{"no credential", nil,
			[]string{"Azure: not signed in (azure: no credential", "AZURE_CLIENT_SECRET", "az login"}},
		{"partial credential", map[string]string{"AZURE_TENANT_ID": c.TenantID},
			[]string{"Azure: not signed in (azure: AZURE_TENANT_ID set but AZURE_CLIENT_ID and AZURE_CLIENT_SECRET missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cleanEnv(t)
			getenv := sandboxtest.Environ(t, s, tt.env)
			for _, k := range []string{"AZURE_AUTHORITY_HOST", "AZPEER_ARM_ENDPOINT", "AZPEER_GRAPH_ENDPOINT", "AZPEER_CA_FILE",
				"AIVEN_WEB_URL", "AIVEN_TOKEN", "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"} {
				t.Setenv(k, getenv(k))
			}
			out, _, err := run(t, "list")
			if err != nil {
				t.Fatalf("list: %v\n%s", err, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("list printed\n%s\nwant it to say %q", out, w)
				}
			}
			if !strings.Contains(out, "tsdb-prod") {
				t.Errorf("list printed\n%s\nwithout the projects", out)
			}
			if strings.Contains(out, c.ClientSecret) {
				t.Error("list printed the secret")
			}
		})
	}
}
