package sandbox_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/google/uuid"

	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

// entraDo sends a raw token request (as the Azure CLI's MSAL or a script
// would) and returns the status and JSON answer.
func entraDo(t testing.TB, s *sandbox.Server, method, path, host string, form url.Values, basic [2]string) (int, map[string]any) {
	t.Helper()
	rq := rawRequest{method: method, path: path, host: host}
	if form != nil {
		rq.body, rq.contentType = strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"
	}
	if basic[0] != "" {
		// As http.Request.SetBasicAuth writes it, with the form-encoded
		// id and secret RFC 6749 (2.3.1) asks for.
		rq.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(basic[0])+":"+url.QueryEscape(basic[1])))
	}
	resp, b := send(t, s, rq)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s %s: answer is not JSON: %v", method, path, err)
	}
	return resp.StatusCode, out
}

// jwtClaims decodes an access token's payload without verifying it: the
// test checks what Entra put in it, not the signature.
func jwtClaims(t testing.TB, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("access token is not a JWT: %d parts", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("JWT payload: %v", err)
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatalf("JWT payload: %v", err)
	}
	return c
}

// claim reads a claim; a one-element array (how the sandbox's JWT library
// writes aud) counts as its element.
func claim(c map[string]any, name string) any {
	if l, ok := c[name].([]any); ok && len(l) == 1 {
		return l[0]
	}
	return c[name]
}

// wantAADSTS checks that err is Entra's answer with that AADSTS code and
// HTTP status, as azidentity surfaces it.
func wantAADSTS(t testing.TB, err error, code string, status int) {
	t.Helper()
	if err == nil {
		t.Fatalf("got a token, want %s", code)
	}
	var af *azidentity.AuthenticationFailedError
	if !errors.As(err, &af) {
		t.Fatalf("error is %T, want *azidentity.AuthenticationFailedError: %v", err, err)
	}
	if af.RawResponse == nil || af.RawResponse.StatusCode != status {
		t.Fatalf("want HTTP %d with %s, got %v", status, code, err)
	}
	if !strings.Contains(err.Error(), code) {
		t.Fatalf("error does not name %s: %v", code, err)
	}
}

func TestEntraClientSecretToken(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	cred := adminCredential(t, s)
	tests := []struct {
		scope, wantAud string
	}{
		{armScope, "https://management.core.windows.net/"},
		{"https://management.azure.com/.default", "https://management.azure.com"},
		{graphScope, "https://graph.microsoft.com"},
	}
	for _, tt := range tests {
		t.Run(tt.scope, func(t *testing.T) {
			tok, err := cred.GetToken(ctx(t), policy.TokenRequestOptions{Scopes: []string{tt.scope}})
			if err != nil {
				t.Fatalf("GetToken: %v", err)
			}
			if time.Until(tok.ExpiresOn) < 30*time.Minute {
				t.Errorf("token expires on %v, want about an hour from now", tok.ExpiresOn)
			}
			c := jwtClaims(t, tok.Token)
			want := map[string]any{"tid": sandbox.UserTenantID, "oid": sandbox.AdminSPObjectID, "appid": sandbox.AdminAppID, "aud": tt.wantAud}
			for k, v := range want {
				if got := claim(c, k); got != v {
					t.Errorf("claim %s = %v, want %v", k, got, v)
				}
			}
		})
	}
}

func TestEntraTokenErrors(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	admin := s.Credentials()
	g := graphClient(t, s, adminCredential(t, s))
	expired, err := g.CreateApplication(ctx(t), "expired-secret", "AzureADMyOrg", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.CreateServicePrincipal(ctx(t), expired.AppID, nil); err != nil {
		t.Fatal(err)
	}
	_, expiredSecret, err := g.AddPassword(ctx(t), expired.ID, "old", time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	noSP, noSPSecret := newApp(t, s, g, "no-sp", "AzureADMyOrg", false)

	tests := []struct {
		name, tenant, clientID, secret, scope string
		code                                  string
		status                                int
	}{
		{"unknown tenant", uuid.NewString(), admin.ClientID, admin.ClientSecret, graphScope, "AADSTS90002", 400},
		{"unknown app", admin.TenantID, uuid.NewString(), "whatever", graphScope, "AADSTS700016", 400},
		{"no service principal in home tenant", admin.TenantID, noSP.AppID, noSPSecret, graphScope, "AADSTS700016", 400},
		{"single-tenant app in another tenant", sandbox.AivenTenantID, admin.ClientID, admin.ClientSecret, graphScope, "AADSTS700016", 400},
		{"wrong secret", admin.TenantID, admin.ClientID, admin.ClientSecret + "x", graphScope, "AADSTS7000215", 401},
		{"expired secret", admin.TenantID, expired.AppID, expiredSecret.Reveal(), graphScope, "AADSTS7000222", 401},
		{"unknown resource", admin.TenantID, admin.ClientID, admin.ClientSecret, "https://vault.azure.net/.default", "AADSTS500011", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cred := secretCredential(t, s, tt.tenant, tt.clientID, tt.secret)
			_, err := cred.GetToken(ctx(t), policy.TokenRequestOptions{Scopes: []string{tt.scope}})
			wantAADSTS(t, err, tt.code, tt.status)
			if strings.Contains(err.Error(), tt.secret) {
				t.Errorf("error quotes the client secret")
			}
		})
	}
}

func TestEntraRawTokenRequests(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	c := s.Credentials()
	base := func(extra ...string) url.Values {
		v := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ClientID}, "client_secret": {c.ClientSecret}}
		for i := 0; i+1 < len(extra); i += 2 {
			if extra[i+1] == "" {
				v.Del(extra[i])
				continue
			}
			v.Set(extra[i], extra[i+1])
		}
		return v
	}
	v2 := "/" + c.TenantID + "/oauth2/v2.0/token"
	tests := []struct {
		name, method, path string
		form               url.Values
		basic              [2]string
		status             int
		wantErr            string // the "error" field, or "" for a token
		code               float64
		wantAud            string
	}{
		{"v1 with resource, as the Azure CLI", "POST", "/" + c.TenantID + "/oauth2/token",
			base("resource", "https://management.core.windows.net/"), [2]string{}, 200, "", 0, "https://management.core.windows.net/"},
		{"tenant by domain", "POST", "/contoso.onmicrosoft.com/oauth2/v2.0/token",
			base("scope", graphScope), [2]string{}, 200, "", 0, "https://graph.microsoft.com"},
		{"client_secret_basic", "POST", v2,
			base("scope", "00000003-0000-0000-c000-000000000000/.default", "client_id", "", "client_secret", ""), [2]string{c.ClientID, c.ClientSecret}, 200, "", 0, "https://graph.microsoft.com"},
		{"scope without /.default", "POST", v2, base("scope", "https://graph.microsoft.com/User.Read"), [2]string{}, 400, "invalid_scope", 1002012, ""},
		{"password grant", "POST", v2, base("grant_type", "password", "scope", graphScope), [2]string{}, 400, "unsupported_grant_type", 70003, ""},
		{"no secret", "POST", v2, base("client_secret", "", "scope", graphScope), [2]string{}, 401, "invalid_client", 7000218, ""},
		{"common tenant", "POST", "/common/oauth2/v2.0/token", base("scope", graphScope), [2]string{}, 400, "invalid_request", 50059, ""},
		{"GET on token endpoint", "GET", v2, nil, [2]string{}, 400, "invalid_request", 900561, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := entraDo(t, s, tt.method, tt.path, "", tt.form, tt.basic)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %v", status, tt.status, out)
			}
			if tt.wantErr != "" {
				codes, _ := out["error_codes"].([]any)
				if out["error"] != tt.wantErr || len(codes) != 1 || codes[0] != tt.code {
					t.Fatalf("answer %v, want error %s with code %v", out, tt.wantErr, tt.code)
				}
				return
			}
			tok, _ := out["access_token"].(string)
			if out["token_type"] != "Bearer" || tok == "" {
				t.Fatalf("answer %v, want a bearer token", out)
			}
			if aud := claim(jwtClaims(t, tok), "aud"); aud != tt.wantAud {
				t.Errorf("aud = %v, want %s", aud, tt.wantAud)
			}
		})
	}
}

func TestEntraDiscovery(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	self := strings.TrimPrefix(s.URL(), "https://")
	tests := []struct {
		name, path, host string
		status           int
		want             map[string]string
	}{
		{"tenant id", "/" + sandbox.UserTenantID + "/v2.0/.well-known/openid-configuration", "", 200, map[string]string{
			"issuer":         s.URL() + "/" + sandbox.UserTenantID + "/v2.0",
			"token_endpoint": s.URL() + "/" + sandbox.UserTenantID + "/oauth2/v2.0/token",
		}},
		{"tenant domain", "/aivencloud.onmicrosoft.com/v2.0/.well-known/openid-configuration", "", 200, map[string]string{
			"issuer": s.URL() + "/" + sandbox.AivenTenantID + "/v2.0",
		}},
		{"organizations", "/organizations/v2.0/.well-known/openid-configuration", "", 200, map[string]string{
			"issuer":                 s.URL() + "/{tenantid}/v2.0",
			"authorization_endpoint": s.URL() + "/organizations/oauth2/v2.0/authorize",
		}},
		{"proxy mode answers as login.microsoftonline.com", "/common/v2.0/.well-known/openid-configuration", "login.microsoftonline.com", 200, map[string]string{
			"token_endpoint": "https://login.microsoftonline.com/common/oauth2/v2.0/token",
		}},
		{"unknown tenant", "/" + uuid.NewString() + "/v2.0/.well-known/openid-configuration", "", 400, map[string]string{
			"error": "invalid_tenant",
		}},
		{"instance discovery", "/common/discovery/instance?api-version=1.1&authorization_endpoint=" +
			url.QueryEscape("https://login.microsoftonline.com/common/oauth2/authorize"), "login.microsoftonline.com", 200, map[string]string{
			"tenant_discovery_endpoint": "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration",
		}},
		{"instance discovery of the sandbox itself", "/common/discovery/instance?api-version=1.1&authorization_endpoint=" +
			url.QueryEscape(s.URL()+"/"+sandbox.UserTenantID+"/oauth2/v2.0/authorize"), "", 200, map[string]string{
			"tenant_discovery_endpoint": "https://" + self + "/" + sandbox.UserTenantID + "/v2.0/.well-known/openid-configuration",
		}},
		{"instance discovery of an unknown host", "/common/discovery/instance?api-version=1.1&authorization_endpoint=" +
			url.QueryEscape("https://login.example.com/common/oauth2/authorize"), "", 400, map[string]string{
			"error": "invalid_instance",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := entraDo(t, s, http.MethodGet, tt.path, tt.host, nil, [2]string{})
			if status != tt.status {
				t.Fatalf("status %d, want %d: %v", status, tt.status, out)
			}
			for k, v := range tt.want {
				if out[k] != v {
					t.Errorf("%s = %v, want %s", k, out[k], v)
				}
			}
		})
	}
}

// A multi-tenant app signs in to another tenant only where it has a
// service principal; the credential must also allow that tenant.
func TestEntraMultiTenant(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	g := graphClient(t, s, adminCredential(t, s))

	// The default scenario's peering app has a service principal in
	// Aiven's tenant (Aiven made it when the peering was provisioned).
	_, secret, err := g.AddPassword(ctx(t), sandbox.ProdPeeringAppObject, "multi-tenant test", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	homeSP, err := g.FindServicePrincipalByAppID(ctx(t), sandbox.ProdPeeringAppID)
	if err != nil || homeSP == nil {
		t.Fatalf("home service principal: %v, %v", homeSP, err)
	}
	cred := secretCredential(t, s, sandbox.UserTenantID, sandbox.ProdPeeringAppID, secret.Reveal(), sandbox.AivenTenantID)
	home, err := cred.GetToken(ctx(t), policy.TokenRequestOptions{Scopes: []string{armScope}})
	if err != nil {
		t.Fatalf("home tenant token: %v", err)
	}
	aux, err := cred.GetToken(ctx(t), policy.TokenRequestOptions{Scopes: []string{armScope}, TenantID: sandbox.AivenTenantID})
	if err != nil {
		t.Fatalf("Aiven tenant token: %v", err)
	}
	hc, ac := jwtClaims(t, home.Token), jwtClaims(t, aux.Token)
	if hc["tid"] != sandbox.UserTenantID || hc["oid"] != homeSP.ID {
		t.Errorf("home token tid/oid = %v/%v, want %s/%s", hc["tid"], hc["oid"], sandbox.UserTenantID, homeSP.ID)
	}
	if ac["tid"] != sandbox.AivenTenantID || ac["oid"] == homeSP.ID || ac["appid"] != sandbox.ProdPeeringAppID {
		t.Errorf("Aiven token tid/oid/appid = %v/%v/%v, want Aiven's tenant and its own service principal", ac["tid"], ac["oid"], ac["appid"])
	}

	// Without the allow-list azidentity refuses before asking Entra.
	strict := secretCredential(t, s, sandbox.UserTenantID, sandbox.ProdPeeringAppID, secret.Reveal())
	_, err = strict.GetToken(ctx(t), policy.TokenRequestOptions{Scopes: []string{armScope}, TenantID: sandbox.AivenTenantID})
	if err == nil || !strings.Contains(err.Error(), sandbox.AivenTenantID) {
		t.Errorf("credential without AdditionallyAllowedTenants: got %v, want a refusal naming the tenant", err)
	}

	// A new multi-tenant app has no service principal in Aiven's tenant.
	fresh, freshSecret := newApp(t, s, g, "fresh-multi-tenant", "AzureADMultipleOrgs", true)
	fc := secretCredential(t, s, sandbox.UserTenantID, fresh.AppID, freshSecret, sandbox.AivenTenantID)
	if _, err := fc.GetToken(ctx(t), policy.TokenRequestOptions{Scopes: []string{armScope}}); err != nil {
		t.Fatalf("fresh app, home tenant: %v", err)
	}
	_, err = fc.GetToken(ctx(t), policy.TokenRequestOptions{Scopes: []string{armScope}, TenantID: sandbox.AivenTenantID})
	wantAADSTS(t, err, "AADSTS700016", 400)
}

// Replication windows: a new secret is refused (AADSTS7000215), and a new
// service principal unknown (AADSTS700016), until the window has passed.
// The windows are an hour of simulated time at real speed; switching the
// clock to instant mode then ends them without waiting.
func TestEntraReplicationWindows(t *testing.T) {
	tests := []struct {
		name   string
		timing sandbox.Timing
		code   string
		status int
	}{
		{"secret", sandbox.Timing{SecretReplication: sandbox.Duration(time.Hour)}, "AADSTS7000215", 401},
		{"service principal", sandbox.Timing{PrincipalReplication: sandbox.Duration(time.Hour)}, "AADSTS700016", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			timing := tt.timing
			s := sandboxtest.Start(t, sandbox.Options{Speed: 1, Timing: &timing})
			g := graphClient(t, s, adminCredential(t, s))
			app, secret := newApp(t, s, g, "replicating", "AzureADMultipleOrgs", true)

			cred := secretCredential(t, s, sandbox.UserTenantID, app.AppID, secret)
			_, err := cred.GetToken(ctx(t), policy.TokenRequestOptions{Scopes: []string{armScope}})
			wantAADSTS(t, err, tt.code, tt.status)

			s.Clock().SetSpeed(0)
			if _, err := cred.GetToken(ctx(t), policy.TokenRequestOptions{Scopes: []string{armScope}}); err != nil {
				t.Fatalf("after the window: %v", err)
			}
		})
	}
}

// AADSTS700016 names the directory as the request did: an id as the id, a
// domain as the domain.
func TestEntraUnknownAppNamesTenantAsSent(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	app := uuid.NewString()
	for _, tenant := range []string{sandbox.UserTenantID, "contoso.onmicrosoft.com", "CONTOSO.onmicrosoft.com"} {
		status, out := entraDo(t, s, http.MethodPost, "/"+tenant+"/oauth2/v2.0/token", "",
			url.Values{"grant_type": {"client_credentials"}, "client_id": {app}, "client_secret": {"x"}, "scope": {graphScope}}, [2]string{})
		want := "AADSTS700016: Application with identifier '" + app + "' was not found in the directory '" + tenant + "'."
		if desc, _ := out["error_description"].(string); status != http.StatusBadRequest || !strings.Contains(desc, want) {
			t.Errorf("%s: %d %v, want %q", tenant, status, out, want)
		}
	}
}
