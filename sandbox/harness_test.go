package sandbox_test

// Shared test harness, the one home of the tests' set-up: a sandbox per
// test (sandboxtest.Start); the real SDK clients (and azpeer's Graph
// client) pointed at it over HTTPS, trusting only the sandbox's CA;
// identities made through Graph; hand-made requests for what no client
// sends; and the checks of the clouds' error answers. The emulator is
// tested against the clouds' own SDKs here, not through azpeer's adapters.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v7"
	aiven "github.com/aiven/go-client-codegen"
	"github.com/hashicorp/go-retryablehttp"

	"github.com/azpeer/azpeer/azure"
	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

// Token scopes of the emulated Azure APIs.
const (
	graphScope = "https://graph.microsoft.com/.default"
	armScope   = "https://management.core.windows.net//.default"
)

// The default scenario's project VPCs (tsdb-prod has two connections).
const (
	prodVPCID       = "1f0e2d3c-4b5a-4697-8877-665544332211"
	stagingVPCID    = "2a3b4c5d-6e7f-4819-9a0b-1c2d3e4f5a6b"
	analyticsAWSVPC = "3b4c5d6e-7f80-4912-a3b4-c5d6e7f8091a"
	analyticsAzVPC  = "4c5d6e7f-8091-4a23-b4c5-d6e7f8091a2b"
)

// timedSandbox starts a sandbox whose clock runs at speed, with the default
// delays changed by set.
func timedSandbox(t testing.TB, speed float64, set func(*sandbox.Timing)) *sandbox.Server {
	t.Helper()
	timing := sandbox.DefaultTiming()
	set(&timing)
	return sandboxtest.Start(t, sandbox.Options{Speed: speed, Timing: &timing})
}

// ctx returns a context that ends with the test.
var ctx = sandboxtest.Context

// ---------------------------------------------------------------------------
// Clients

// cloudConfig points azcore at the sandbox.
func cloudConfig(s *sandbox.Server) cloud.Configuration {
	return cloud.Configuration{
		ActiveDirectoryAuthorityHost: s.URL() + "/",
		Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: {Endpoint: s.URL(), Audience: "https://management.core.windows.net/"},
		},
	}
}

// clientOptions are azcore options for the sandbox with fast retries.
func clientOptions(s *sandbox.Server) azcore.ClientOptions {
	return azcore.ClientOptions{
		Cloud:     cloudConfig(s),
		Transport: s.HTTPClient(),
		Retry:     policy.RetryOptions{MaxRetries: 4, RetryDelay: 20 * time.Millisecond, MaxRetryDelay: 2 * time.Second},
	}
}

// armOptions are ARM client options for the sandbox, with auxiliary tenants.
func armOptions(s *sandbox.Server, aux ...string) *arm.ClientOptions {
	return &arm.ClientOptions{ClientOptions: clientOptions(s), AuxiliaryTenants: aux}
}

// credentialWith signs in as an app with a client secret, with any client
// options (the proxy tests use the SDK's public cloud).
func credentialWith(t testing.TB, opts azcore.ClientOptions, tenant, clientID, secret string, extraTenants ...string) *azidentity.ClientSecretCredential {
	t.Helper()
	cred, err := azidentity.NewClientSecretCredential(tenant, clientID, secret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions:              opts,
		DisableInstanceDiscovery:   true,
		AdditionallyAllowedTenants: extraTenants,
	})
	if err != nil {
		t.Fatalf("NewClientSecretCredential: %v", err)
	}
	return cred
}

// secretCredential signs in to the sandbox as an app with a client secret.
func secretCredential(t testing.TB, s *sandbox.Server, tenant, clientID, secret string, extraTenants ...string) *azidentity.ClientSecretCredential {
	t.Helper()
	return credentialWith(t, clientOptions(s), tenant, clientID, secret, extraTenants...)
}

// adminCredential is the scenario's admin (Application Administrator, Owner).
func adminCredential(t testing.TB, s *sandbox.Server) *azidentity.ClientSecretCredential {
	c := s.Credentials()
	return secretCredential(t, s, c.TenantID, c.ClientID, c.ClientSecret)
}

// tokenOf is a credential's access token for scope.
func tokenOf(t testing.TB, cred azcore.TokenCredential, scope string) string {
	t.Helper()
	tok, err := cred.GetToken(ctx(t), policy.TokenRequestOptions{Scopes: []string{scope}})
	if err != nil {
		t.Fatalf("GetToken(%s): %v", scope, err)
	}
	return tok.Token
}

// adminToken is the admin's access token for scope.
func adminToken(t testing.TB, s *sandbox.Server, scope string) string {
	t.Helper()
	return tokenOf(t, adminCredential(t, s), scope)
}

// principalToken signs in as a principal made with AddPrincipal.
func principalToken(t testing.TB, s *sandbox.Server, p sandbox.Principal, scope string) string {
	t.Helper()
	return tokenOf(t, secretCredential(t, s, p.TenantID, p.AppID, p.Secret), scope)
}

// graphClient is azpeer's Graph client pointed at the sandbox.
func graphClient(t testing.TB, s *sandbox.Server, cred azcore.TokenCredential) *azure.GraphClient {
	t.Helper()
	opts := clientOptions(s)
	g, err := azure.NewGraphClient(s.URL(), cred, &opts)
	if err != nil {
		t.Fatalf("NewGraphClient: %v", err)
	}
	return g
}

// rbacClients are the SDK clients for role definitions and assignments.
func rbacClients(t testing.TB, s *sandbox.Server, cred azcore.TokenCredential) (*armauthorization.RoleDefinitionsClient, *armauthorization.RoleAssignmentsClient) {
	t.Helper()
	defs, err := armauthorization.NewRoleDefinitionsClient(cred, armOptions(s))
	if err != nil {
		t.Fatalf("NewRoleDefinitionsClient: %v", err)
	}
	assigns, err := armauthorization.NewRoleAssignmentsClient(sandbox.UserSubscriptionID, cred, armOptions(s))
	if err != nil {
		t.Fatalf("NewRoleAssignmentsClient: %v", err)
	}
	return defs, assigns
}

// rbacAdmin starts a default sandbox with the admin's role definition and
// assignment clients.
func rbacAdmin(t testing.TB) (*sandbox.Server, context.Context, *armauthorization.RoleDefinitionsClient, *armauthorization.RoleAssignmentsClient) {
	t.Helper()
	s := sandboxtest.Start(t, sandbox.Options{})
	defs, assigns := rbacClients(t, s, adminCredential(t, s))
	return s, ctx(t), defs, assigns
}

// netClients are the armnetwork clients of one subscription.
type netClients struct {
	vnets    *armnetwork.VirtualNetworksClient
	peerings *armnetwork.VirtualNetworkPeeringsClient
}

func newNetClients(t testing.TB, sub string, cred azcore.TokenCredential, opts *arm.ClientOptions) netClients {
	t.Helper()
	vnets, err := armnetwork.NewVirtualNetworksClient(sub, cred, opts)
	if err != nil {
		t.Fatal(err)
	}
	peerings, err := armnetwork.NewVirtualNetworkPeeringsClient(sub, cred, opts)
	if err != nil {
		t.Fatal(err)
	}
	return netClients{vnets: vnets, peerings: peerings}
}

// adminNet are the admin's clients in the user's subscription.
func adminNet(t testing.TB, s *sandbox.Server) netClients {
	return newNetClients(t, sandbox.UserSubscriptionID, adminCredential(t, s), armOptions(s))
}

// aivenClient is the official Aiven client pointed at the sandbox, with
// retries like codegen's defaults but short waits.
func aivenClient(t testing.TB, s *sandbox.Server, token string) aiven.Client {
	t.Helper()
	rc := retryablehttp.NewClient()
	rc.HTTPClient = s.HTTPClient()
	rc.Logger = nil
	rc.RetryMax = 6
	rc.RetryWaitMin = 10 * time.Millisecond
	rc.RetryWaitMax = 200 * time.Millisecond
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler
	c, err := aiven.NewClient(aiven.TokenOpt(token), aiven.HostOpt(s.URL()), aiven.DoerOpt(rc.StandardClient()))
	if err != nil {
		t.Fatalf("aiven.NewClient: %v", err)
	}
	return c
}

// aivenAdmin starts a default sandbox with the admin's Aiven client.
func aivenAdmin(t testing.TB) (*sandbox.Server, aiven.Client) {
	t.Helper()
	s := sandboxtest.Start(t, sandbox.Options{})
	return s, aivenClient(t, s, s.Credentials().AivenToken)
}

// ---------------------------------------------------------------------------
// Identities

// newApp registers an application as the admin, with a secret and,
// optionally, its service principal in the admin's tenant.
func newApp(t testing.TB, s *sandbox.Server, g *azure.GraphClient, name, audience string, withSP bool) (azure.Application, string) {
	t.Helper()
	app, err := g.CreateApplication(ctx(t), name, audience, nil)
	if err != nil {
		t.Fatalf("CreateApplication: %v", err)
	}
	_, secret, err := g.AddPassword(ctx(t), app.ID, "test", time.Time{})
	if err != nil {
		t.Fatalf("AddPassword: %v", err)
	}
	if withSP {
		if _, err := g.CreateServicePrincipal(ctx(t), app.AppID, nil); err != nil {
			t.Fatalf("CreateServicePrincipal: %v", err)
		}
	}
	return app, secret.Reveal()
}

// newAppWithPrincipal is newApp with its service principal, and returns
// the principal's object id too.
func newAppWithPrincipal(t testing.TB, s *sandbox.Server, g *azure.GraphClient, name, audience string) (app azure.Application, spID, secret string) {
	t.Helper()
	app, secret = newApp(t, s, g, name, audience, false)
	sp, err := g.CreateServicePrincipal(ctx(t), app.AppID, nil)
	if err != nil {
		t.Fatalf("CreateServicePrincipal: %v", err)
	}
	return app, sp.ID, secret
}

// newPrincipal registers a single-tenant app with a secret and creates its
// service principal, through Graph as the admin, as azpeer does before
// assigning roles.
func newPrincipal(t testing.TB, s *sandbox.Server, name string) (appID, spID, secret string) {
	t.Helper()
	app, spID, secret := newAppWithPrincipal(t, s, graphClient(t, s, adminCredential(t, s)), name, "AzureADMyOrg")
	return app.AppID, spID, secret
}

// prodAppSecret adds a secret to the scenario's tsdb-prod peering app
// (whose first secret is not known; the admin is Application Administrator).
func prodAppSecret(t testing.TB, s *sandbox.Server) string {
	t.Helper()
	_, secret, err := graphClient(t, s, adminCredential(t, s)).AddPassword(ctx(t), sandbox.ProdPeeringAppObject, "arm network test", time.Time{})
	if err != nil {
		t.Fatalf("AddPassword: %v", err)
	}
	return secret.Reveal()
}

// ---------------------------------------------------------------------------
// Hand-made requests

// rawRequest is a request no SDK client sends as the test needs it.
type rawRequest struct {
	method, path string
	// base is the scheme and host ("" for the sandbox's own address).
	base string
	// host overrides the Host header (a real host name, as in proxy mode).
	host string
	// auth is the whole Authorization header ("" for none).
	auth        string
	body        io.Reader
	contentType string
	// client is the HTTP client (nil for one trusting only the sandbox's CA).
	client *http.Client
}

// trySend sends a hand-made request and reads the whole answer; a failure
// to get it (a client's timeout, say) is returned, not fatal. s may be nil
// when the request names its base and client.
func trySend(t testing.TB, s *sandbox.Server, rq rawRequest) (*http.Response, []byte, error) {
	t.Helper()
	base, body, client := rq.base, rq.body, rq.client
	if base == "" {
		base = s.URL()
	}
	if body == nil {
		body = http.NoBody
	}
	if client == nil {
		client = s.HTTPClient()
	}
	req, err := http.NewRequestWithContext(ctx(t), rq.method, base+rq.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if rq.host != "" {
		req.Host = rq.host
	}
	if rq.auth != "" {
		req.Header.Set("Authorization", rq.auth)
	}
	if rq.contentType != "" {
		req.Header.Set("Content-Type", rq.contentType)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

// send is trySend for requests that must get an answer.
func send(t testing.TB, s *sandbox.Server, rq rawRequest) (*http.Response, []byte) {
	t.Helper()
	resp, b, err := trySend(t, s, rq)
	if err != nil {
		t.Fatalf("%s %s: %v", rq.method, rq.path, err)
	}
	return resp, b
}

// jsonBody encodes a request body (nil for none).
func jsonBody(t testing.TB, v any) io.Reader {
	t.Helper()
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(b)
}

// bearer is an Authorization header for an access token ("" for none).
func bearer(token string) string {
	if token == "" {
		return ""
	}
	return "Bearer " + token
}

// adminDo sends one request to the sandbox with an optional Aiven token and
// returns the status and body.
func adminDo(t *testing.T, s *sandbox.Server, method, path, token, body string) (int, string) {
	t.Helper()
	rq := rawRequest{method: method, path: path}
	if token != "" {
		rq.auth = "aivenv1 " + token
	}
	if body != "" {
		rq.body, rq.contentType = strings.NewReader(body), "application/json"
	}
	resp, b := send(t, s, rq)
	return resp.StatusCode, string(b)
}

// sandboxState fetches /_sandbox/state as the admin, decodes it into
// world, and returns it as it came; an answer other than 200 or one not
// JSON fails the test.
func sandboxState(t *testing.T, s *sandbox.Server, world any) string {
	t.Helper()
	code, body := adminDo(t, s, http.MethodGet, "/_sandbox/state", s.Credentials().AivenToken, "")
	if code != http.StatusOK {
		t.Fatalf("/_sandbox/state: HTTP %d: %s", code, body)
	}
	if err := json.Unmarshal([]byte(body), world); err != nil {
		t.Fatalf("/_sandbox/state is not JSON: %v", err)
	}
	return body
}

// scenarioFile writes a scenario file as a user would, from its top-level
// fields (world, aiven_token, ...), and returns its path.
func scenarioFile(t testing.TB, fields map[string]any) string {
	t.Helper()
	data, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "scenario.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// rawAiven makes an Aiven request codegen has no method for.
func rawAiven(t *testing.T, s *sandbox.Server, method, path, auth string) (int, []byte) {
	t.Helper()
	resp, b := send(t, s, rawRequest{method: method, path: path, auth: auth, body: strings.NewReader("{}"), contentType: "application/json"})
	return resp.StatusCode, b
}

// graphRaw sends a JSON request with a bearer token ("" for none) to Graph
// (or to Resource Manager, where the same will do) and decodes the answer.
func graphRaw(t testing.TB, s *sandbox.Server, token, method, path string, body any) (int, map[string]any) {
	t.Helper()
	resp, b := send(t, s, rawRequest{method: method, path: path, auth: bearer(token), body: jsonBody(t, body), contentType: "application/json"})
	var out map[string]any
	if resp.StatusCode != http.StatusNoContent {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s %s: answer is not JSON: %v", method, path, err)
		}
	}
	return resp.StatusCode, out
}

// netRaw sends a request with a bearer token ("" for none) to the sandbox,
// optionally as another host name, and returns the response with its body
// decoded as an object or a list.
func netRaw(t testing.TB, s *sandbox.Server, token, method, path, host string) (*http.Response, map[string]any, []any) {
	t.Helper()
	resp, b := send(t, s, rawRequest{method: method, path: path, host: host, auth: bearer(token)})
	if resp.StatusCode == http.StatusNoContent || resp.StatusCode == http.StatusAccepted && len(b) == 0 {
		return resp, nil, nil
	}
	var obj map[string]any
	var list []any
	if json.Unmarshal(b, &obj) != nil {
		if err := json.Unmarshal(b, &list); err != nil {
			t.Fatalf("%s %s: %d, body is not JSON: %v", method, path, resp.StatusCode, err)
		}
	}
	return resp, obj, list
}

// ---------------------------------------------------------------------------
// Error answers

// wantResponseError checks for an Azure error answer (Resource Manager or
// Graph, as azcore surfaces it) with that status and code.
func wantResponseError(t testing.TB, err error, status int, code string) *azcore.ResponseError {
	t.Helper()
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("got %v, want *azcore.ResponseError %d %s", err, status, code)
	}
	if re.StatusCode != status || re.ErrorCode != code {
		t.Fatalf("got %d %s, want %d %s: %v", re.StatusCode, re.ErrorCode, status, code, err)
	}
	return re
}

// errorMessage is the error.message of an Azure error answer.
func errorMessage(t testing.TB, re *azcore.ResponseError) string {
	t.Helper()
	var body struct {
		Error struct{ Code, Message string }
	}
	if err := json.NewDecoder(re.RawResponse.Body).Decode(&body); err != nil {
		t.Fatalf("error body: %v", err)
	}
	return body.Error.Message
}

// errorCode is the error.code of a decoded Azure error answer.
func errorCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}
