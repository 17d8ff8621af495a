package cmd

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	aivenapi "github.com/aiven/go-client-codegen"
	"github.com/aiven/go-client-codegen/handler/vpc"

	"github.com/azpeer/azpeer/azure"
	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

// serving is a `azpeer sandbox serve` running in-process.
type serving struct {
	env    map[string]string
	cancel context.CancelFunc
	done   chan error
	out    *bytes.Buffer
	errOut *bytes.Buffer

	stopOnce sync.Once
	err      error
}

// stop interrupts the command, as Ctrl-C would, and returns its error.
func (sv *serving) stop() error {
	sv.stopOnce.Do(func() {
		sv.cancel()
		sv.err = <-sv.done
	})
	return sv.err
}

// startServe runs the serve command with args on a free loopback port and
// waits until it has written envFile.
func startServe(t *testing.T, envFile string, args ...string) *serving {
	t.Helper()
	root := NewRootCommand()
	sv := &serving{done: make(chan error, 1), out: &bytes.Buffer{}, errOut: &bytes.Buffer{}}
	root.SetOut(sv.out)
	root.SetErr(sv.errOut)
	root.SetArgs(append([]string{"sandbox", "serve", "--listen", "127.0.0.1:0", "--speed", "0", "--env-file", envFile}, args...))
	ctx, cancel := context.WithCancel(context.Background())
	sv.cancel = cancel
	go func() { sv.done <- root.ExecuteContext(ctx) }()
	t.Cleanup(func() { _ = sv.stop() })

	// Polling is the only way to see the file appear; the overall bound
	// just keeps a broken command from hanging the test.
	deadline := time.After(time.Minute)
	for {
		if _, err := os.Stat(envFile); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		select {
		case err := <-sv.done:
			sv.done <- err
			_ = sv.stop()
			t.Fatalf("serve ended before writing %s: %v", envFile, err)
		case <-deadline:
			t.Fatalf("serve did not write %s", envFile)
		case <-time.After(10 * time.Millisecond):
		}
	}
	info, err := os.Stat(envFile)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("env file mode %v, want 0600", mode)
	}
	sv.env = parseEnvFile(t, envFile)
	return sv
}

// parseEnvFile reads the `export NAME='value'` lines.
func parseEnvFile(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, "export ")
		if !ok {
			if line != "" && !strings.HasPrefix(line, "#") {
				t.Errorf("env file line %q is neither an export nor a comment", line)
			}
			continue
		}
		name, quoted, ok := strings.Cut(rest, "=")
		if !ok || len(quoted) < 2 || quoted[0] != '\'' || quoted[len(quoted)-1] != '\'' {
			t.Fatalf("env file line %q is not export NAME='value'", line)
		}
		env[name] = strings.ReplaceAll(quoted[1:len(quoted)-1], `'\''`, `'`)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return env
}

// httpClient trusts only the CA the env file names.
func (sv *serving) httpClient(t *testing.T) *http.Client {
	t.Helper()
	pemData, err := os.ReadFile(sv.env["AZPEER_CA_FILE"])
	if err != nil {
		t.Fatalf("AZPEER_CA_FILE: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemData) {
		t.Fatal("AZPEER_CA_FILE holds no certificate")
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: time.Minute}
}

// admin sends a request to the sandbox's admin API (/_sandbox/...) and
// returns the answer's body.
func (sv *serving) admin(t *testing.T, method, path, body string) []byte {
	t.Helper()
	return sandboxtest.Admin(t, sv.httpClient(t), sv.env["AIVEN_WEB_URL"], sv.env["AIVEN_TOKEN"], method, path, body)
}

// aiven is the official Aiven client configured from the env file.
func (sv *serving) aiven(t *testing.T) aivenapi.Client {
	t.Helper()
	c, err := aivenapi.NewClient(aivenapi.TokenOpt(sv.env["AIVEN_TOKEN"]), aivenapi.HostOpt(sv.env["AIVEN_WEB_URL"]),
		aivenapi.DoerOpt(sv.httpClient(t)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSandboxServeEnvFile(t *testing.T) {
	dir := t.TempDir()
	sv := startServe(t, filepath.Join(dir, "sandbox.env"))
	env := sv.env

	want := []string{"AIVEN_WEB_URL", "AIVEN_TOKEN", "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET",
		"AZURE_SUBSCRIPTION_ID", "AZURE_AUTHORITY_HOST", "AZPEER_ARM_ENDPOINT", "AZPEER_GRAPH_ENDPOINT",
		"AZPEER_CA_FILE", "REQUESTS_CA_BUNDLE"}
	for _, k := range want {
		if env[k] == "" {
			t.Errorf("env file lacks %s", k)
		}
	}
	if env["AZURE_AUTHORITY_HOST"] != env["AIVEN_WEB_URL"]+"/" {
		t.Errorf("AZURE_AUTHORITY_HOST = %q, want the sandbox URL with a slash", env["AZURE_AUTHORITY_HOST"])
	}
	if env["AZURE_SUBSCRIPTION_ID"] != sandbox.UserSubscriptionID {
		t.Errorf("AZURE_SUBSCRIPTION_ID = %q, want %s", env["AZURE_SUBSCRIPTION_ID"], sandbox.UserSubscriptionID)
	}

	// Aiven: the token works against AIVEN_WEB_URL, trusting AZPEER_CA_FILE.
	me, err := sv.aiven(t).UserInfo(t.Context())
	if err != nil {
		t.Fatalf("Aiven UserInfo with the env file: %v", err)
	}
	if me.User != sandbox.AivenUserEmail {
		t.Errorf("Aiven user = %q, want %s", me.User, sandbox.AivenUserEmail)
	}

	// Azure: azpeer's own configuration path signs in with the client
	// secret at AZURE_AUTHORITY_HOST and reads Graph.
	az := sandboxtest.FromEnv(t, func(k string) string { return env[k] }, sandboxtest.Options{})
	g, err := azure.NewGraphClient(az.Endpoints.Graph, az.Credential, &az.ClientOptions)
	if err != nil {
		t.Fatal(err)
	}
	app, err := g.GetApplication(t.Context(), sandbox.AdminAppObjectID)
	if err != nil {
		t.Fatalf("Graph with the env file's credential: %v", err)
	}
	if app.AppID != env["AZURE_CLIENT_ID"] {
		t.Errorf("admin app id = %q, want AZURE_CLIENT_ID %q", app.AppID, env["AZURE_CLIENT_ID"])
	}
	// Resource Manager at AZPEER_ARM_ENDPOINT with the same credential.
	subs, err := az.Network.Subscriptions(t.Context())
	if err != nil {
		t.Fatalf("Resource Manager with the env file's credential: %v", err)
	}
	if len(subs) == 0 {
		t.Errorf("no subscriptions visible")
	}

	if err := sv.stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	for name, secret := range map[string]string{"client secret": env["AZURE_CLIENT_SECRET"], "Aiven token": env["AIVEN_TOKEN"]} {
		if strings.Contains(sv.out.String(), secret) || strings.Contains(sv.errOut.String(), secret) {
			t.Errorf("serve printed the %s", name)
		}
	}
	for _, w := range []string{env["AIVEN_WEB_URL"], env["AZPEER_CA_FILE"], "http://" + strings.TrimPrefix(env["AIVEN_WEB_URL"], "https://")} {
		if !strings.Contains(sv.out.String(), w) {
			t.Errorf("output does not show %s:\n%s", w, sv.out.String())
		}
	}
	// Without --state-dir the CA lived in a temporary directory that goes
	// away with the sandbox.
	if _, err := os.Stat(env["AZPEER_CA_FILE"]); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("temporary CA file %s still there after stop: %v", env["AZPEER_CA_FILE"], err)
	}
}

func TestSandboxServeStateDirKeepsWorld(t *testing.T) {
	dir := t.TempDir()
	stateDir := filepath.Join(dir, "state")
	first := startServe(t, filepath.Join(dir, "first.env"), "--state-dir", stateDir)
	c := first.aiven(t)
	vpcs, err := c.VpcList(t.Context(), "tsdb-staging")
	if err != nil || len(vpcs) == 0 {
		t.Fatalf("VpcList tsdb-staging: %v %v", vpcs, err)
	}
	vpcID := vpcs[0].ProjectVpcId
	rg, appID, tenant := "rg-restart", first.env["AZURE_CLIENT_ID"], first.env["AZURE_TENANT_ID"]
	if _, err := c.VpcPeeringConnectionCreate(t.Context(), "tsdb-staging", vpcID, &vpc.VpcPeeringConnectionCreateIn{
		PeerCloudAccount: sandbox.UserSubscriptionID, PeerVpc: "restart-vnet", PeerResourceGroup: &rg,
		PeerAzureAppId: &appID, PeerAzureTenantId: &tenant,
	}); err != nil {
		t.Fatalf("create peering: %v", err)
	}
	if err := first.stop(); err != nil {
		t.Fatalf("first serve: %v", err)
	}
	if _, err := os.Stat(filepath.Join(stateDir, "ca.pem")); err != nil {
		t.Errorf("no CA in the state dir: %v", err)
	}

	second := startServe(t, filepath.Join(dir, "second.env"), "--state-dir", stateDir)
	if second.env["AZPEER_CA_FILE"] != first.env["AZPEER_CA_FILE"] {
		t.Errorf("CA file moved across the restart: %s, then %s", first.env["AZPEER_CA_FILE"], second.env["AZPEER_CA_FILE"])
	}
	got, err := second.aiven(t).VpcGet(t.Context(), "tsdb-staging", vpcID)
	if err != nil {
		t.Fatalf("VpcGet after restart: %v", err)
	}
	found := false
	for _, pc := range got.PeeringConnections {
		found = found || (pc.PeerVpc == "restart-vnet" && pc.PeerResourceGroup == rg)
	}
	if !found {
		t.Errorf("the peering created before the restart is gone: %+v", got.PeeringConnections)
	}
	if err := second.stop(); err != nil {
		t.Fatalf("second serve: %v", err)
	}
}

func TestSandboxServeBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		flag string
	}{
		{[]string{"--speed", "-1"}, "--speed"},
		{[]string{"--speed", "fast"}, "--speed"},
		{[]string{"--rate-429", "1.5"}, "--rate-429"},
		{[]string{"--rate-5xx", "-0.1"}, "--rate-5xx"},
		{[]string{"--rate-429", "0.6", "--rate-5xx", "0.6"}, "--rate-429"},
		{[]string{"--latency", "-1s"}, "--latency"},
		{[]string{"--latency", "soon"}, "--latency"},
		{[]string{"--listen", "0.0.0.0:8443"}, "--listen"},
		{[]string{"--scenario", "no-such-scenario"}, "--scenario"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			root := NewRootCommand()
			var out bytes.Buffer
			root.SetOut(&out)
			root.SetErr(&out)
			root.SetArgs(append([]string{"sandbox", "serve", "--env-file", filepath.Join(t.TempDir(), "env")}, tt.args...))
			err := root.ExecuteContext(t.Context())
			if err == nil {
				t.Fatal("serve accepted the flags")
			}
			if !strings.Contains(err.Error(), tt.flag) {
				t.Errorf("error %q does not name %s", err, tt.flag)
			}
			if out.Len() != 0 {
				t.Errorf("serve printed %q; errors are main's to print, once", out.String())
			}
		})
	}
}
