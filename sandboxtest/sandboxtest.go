// Package sandboxtest is the one wiring of the tests: a sandbox, and
// azpeer's real adapters (the Azure SDK behind package azure,
// go-client-codegen behind package aiven) pointed at it over HTTPS through
// the environment variables a user would set, built the way the command
// layer builds them, with retries and polls made fast for tests.
//
// It is an ordinary package so that every package's tests can share it;
// only tests import it.
package sandboxtest

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/azpeer/azpeer/aiven"
	"github.com/azpeer/azpeer/azure"
	"github.com/azpeer/azpeer/peering"
	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/state"
)

// The Aiven variables the command layer reads.
const (
	EnvAivenURL   = "AIVEN_WEB_URL"
	EnvAivenToken = "AIVEN_TOKEN"
)

// The default scenario's virtual networks: the user's, and Aiven's behind
// the tsdb-prod and analytics (azure-eastus) project VPCs, in Aiven's
// tenant.
var (
	ProdVNetID           = sandbox.VNetID(sandbox.UserSubscriptionID, "rg-prod", "prod-vnet")
	AppVNetID            = sandbox.VNetID(sandbox.UserSubscriptionID, "rg-app", "app-vnet")
	LegacyVNetID         = sandbox.VNetID(sandbox.UserSubscriptionID, "Rg-Legacy", "Legacy-VNet")
	AivenProdVNetID      = sandbox.VNetID(sandbox.AivenSubscriptionID, "aiven-vpc-westeurope", "aiven-vnet-1f0e2d3c")
	AivenAnalyticsVNetID = sandbox.VNetID(sandbox.AivenSubscriptionID, "aiven-vpc-eastus", "aiven-vnet-4c5d6e7f")
)

// Start starts a sandbox (instant unless opts say otherwise) and closes it
// when the test ends.
func Start(t testing.TB, opts sandbox.Options) *sandbox.Server {
	t.Helper()
	s, err := sandbox.New(opts)
	if err != nil {
		t.Fatalf("sandbox.New: %v", err)
	}
	if err := s.Start(); err != nil {
		t.Fatalf("sandbox.Start: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// Context is a context that ends with the test, or after two minutes (a
// bound for a hung test, not a timing assertion).
func Context(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// Environ is the environment that points azpeer at s, as the env file of
// `azpeer sandbox serve` does: the endpoints, the sandbox's CA (written to
// a file of the test's), and Aiven's URL and the admin's token; no Azure
// credential. extra adds or overrides variables.
func Environ(t testing.TB, s *sandbox.Server, extra map[string]string) func(string) string {
	t.Helper()
	ca := filepath.Join(t.TempDir(), "sandbox-ca.pem")
	if err := os.WriteFile(ca, s.CA().CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		azure.EnvAuthorityHost: s.URL() + "/",
		azure.EnvARMEndpoint:   s.URL(),
		azure.EnvGraphEndpoint: s.URL(),
		azure.EnvCAFile:        ca,
		EnvAivenURL:            s.URL(),
		EnvAivenToken:          s.Credentials().AivenToken,
	}
	for k, v := range extra {
		env[k] = v
	}
	return func(k string) string { return env[k] }
}

// Options say who signs in and how the adapters talk.
type Options struct {
	// ClientID and Secret sign in to Azure as that app of the scenario's
	// tenant; either left empty is the scenario's admin's (Application
	// Administrator, subscription Owner).
	ClientID, Secret string
	// Principal, when set, adds a principal with these rights and signs in
	// as it instead.
	Principal *sandbox.PrincipalSpec
	// Wrap, when set, wraps the HTTP transport of every adapter, Azure's
	// and Aiven's alike.
	Wrap func(http.RoundTripper) http.RoundTripper
	// FailFast retries Aiven's calls once, a few milliseconds apart, so a
	// test that injects faults sees them fail; by default the adapters
	// ride them out.
	FailFast bool
}

// Env is one principal's view of a sandbox: the environment azpeer reads,
// and the real adapters built from it.
type Env struct {
	Sandbox *sandbox.Server
	Getenv  func(string) string
	// ClientID is the app signed in to Azure.
	ClientID string

	Endpoints     azure.Endpoints
	ClientOptions azcore.ClientOptions
	Credential    azcore.TokenCredential

	Network   *azure.Network
	Access    *azure.Access
	Directory *azure.Directory
	Identity  *azure.Identity
	SignIn    peering.AppSignIn
	Aiven     *aiven.Client
}

// New starts a sandbox and connects to it as the scenario's admin.
func New(t testing.TB, opts sandbox.Options) *Env {
	t.Helper()
	return Connect(t, Start(t, opts), Options{})
}

// Connect wires the adapters to s through the environment.
func Connect(t testing.TB, s *sandbox.Server, o Options) *Env {
	t.Helper()
	c := s.Credentials()
	clientID, secret := c.ClientID, c.ClientSecret
	if o.ClientID != "" {
		clientID = o.ClientID
	}
	if o.Secret != "" {
		secret = o.Secret
	}
	if o.Principal != nil {
		p, err := s.AddPrincipal(*o.Principal)
		if err != nil {
			t.Fatalf("AddPrincipal: %v", err)
		}
		clientID, secret = p.AppID, p.Secret
	}
	getenv := Environ(t, s, map[string]string{
		azure.EnvTenantID: c.TenantID, azure.EnvClientID: clientID, azure.EnvClientSecret: secret,
	})
	e := FromEnv(t, getenv, o)
	e.Sandbox = s
	return e
}

// FromEnv builds the adapters from an environment alone, as the command
// layer does (see cmd/backend.go), with retries and polls made fast.
func FromEnv(t testing.TB, getenv func(string) string, o Options) *Env {
	t.Helper()
	e := &Env{Getenv: getenv, ClientID: getenv(azure.EnvClientID)}
	var err error
	if e.Endpoints, err = azure.EndpointsFromEnv("public", getenv); err != nil {
		t.Fatalf("EndpointsFromEnv: %v", err)
	}
	if o.Wrap != nil {
		e.Endpoints.Wrap = &wrapper{o.Wrap}
	}
	if e.ClientOptions, err = e.Endpoints.ClientOptions(); err != nil {
		t.Fatalf("ClientOptions: %v", err)
	}
	e.ClientOptions.Retry.RetryDelay = 20 * time.Millisecond
	e.ClientOptions.Retry.MaxRetryDelay = time.Second
	cred, src, err := azure.Credential(Context(t), e.Endpoints, azure.CredentialOptions{Getenv: getenv, NoCLI: true})
	if err != nil {
		t.Fatalf("azure.Credential: %v", err)
	}
	if src.Kind != azure.SourceEnvironment {
		t.Fatalf("Credential source = %v, want environment", src)
	}
	e.Credential = cred
	if e.Network, err = azure.NewNetwork(cred, e.ClientOptions, &azure.NetworkOptions{PollFrequency: 10 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if e.Access, err = azure.NewAccess(cred, e.ClientOptions); err != nil {
		t.Fatal(err)
	}
	if e.Directory, err = azure.NewDirectory(cred, e.ClientOptions); err != nil {
		t.Fatal(err)
	}
	e.SignIn = azure.NewAppSignIn(e.Endpoints)
	e.Identity = azure.NewIdentity(cred, e.Endpoints, e.Directory, e.Network)
	cfg := aiven.Config{URL: getenv(EnvAivenURL), Token: getenv(EnvAivenToken), HTTPClient: e.HTTPClient(),
		RetryMax: 6, RetryWaitMin: 10 * time.Millisecond, RetryWaitMax: 200 * time.Millisecond}
	if o.FailFast {
		cfg.RetryMax, cfg.RetryWaitMin, cfg.RetryWaitMax = 1, time.Millisecond, 5*time.Millisecond
	}
	if e.Aiven, err = aiven.New(cfg); err != nil {
		t.Fatalf("aiven.New: %v", err)
	}
	return e
}

// HTTPClient is the adapters' one HTTP client (trusting the sandbox's CA,
// through Wrap when set).
func (e *Env) HTTPClient() *http.Client {
	hc, _ := e.ClientOptions.Transport.(*http.Client)
	return hc
}

// As is an Env on the same sandbox signed in as a new principal.
func (e *Env) As(t testing.TB, spec sandbox.PrincipalSpec) *Env {
	t.Helper()
	return Connect(t, e.Sandbox, Options{Principal: &spec})
}

// Runbook is a runbook over the adapters, as a new azpeer process builds it
// (see cmd/peering.go), with its run records in stateDir and backoffs and
// deadlines made for tests.
func (e *Env) Runbook(stateDir string) *peering.Runbook {
	return &peering.Runbook{Aiven: e.Aiven, Directory: e.Directory, Access: e.Access, Network: e.Network,
		SignInAsApp: e.SignIn, Identity: e.Identity, Store: state.Dir{Path: stateDir},
		Poll:         peering.Backoff{Initial: 5 * time.Millisecond, Max: 100 * time.Millisecond, Factor: 1.5},
		Retry:        peering.Backoff{Initial: 10 * time.Millisecond, Max: 200 * time.Millisecond, Factor: 2},
		StepDeadline: time.Minute, WaitDeadline: time.Minute}
}

// Admin sends a request to the sandbox's admin API (/_sandbox/...) at base
// with the Aiven admin's token, through hc, and returns the answer's body;
// an answer other than 2xx fails the test.
func Admin(t testing.TB, hc *http.Client, base, token, method, path, body string) []byte {
	t.Helper()
	req, err := http.NewRequestWithContext(Context(t), method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "aivenv1 "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		t.Fatalf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, b)
	}
	return b
}

// State is the sandbox's whole world as /_sandbox/state returns it.
func (e *Env) State(t testing.TB) []byte {
	t.Helper()
	return Admin(t, e.Sandbox.HTTPClient(), e.Sandbox.URL(), e.Sandbox.Credentials().AivenToken, http.MethodGet, "/_sandbox/state", "")
}

// wrapper adapts a function to azure.TransportWrapper (a pointer, so that
// Endpoints stays comparable).
type wrapper struct {
	wrap func(http.RoundTripper) http.RoundTripper
}

func (w *wrapper) WrapTransport(rt http.RoundTripper) http.RoundTripper { return w.wrap(rt) }
