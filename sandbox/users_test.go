package sandbox_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/google/uuid"

	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

// personCredential is azidentity's DeviceCodeCredential against the
// sandbox; its prompt answers the code as user (a UPN or object id).
func personCredential(t testing.TB, s *sandbox.Server, tenant, user string) *azidentity.DeviceCodeCredential {
	t.Helper()
	prompts := 0
	t.Cleanup(func() {
		if prompts > 1 {
			t.Errorf("%d device codes for one person: the refresh token should serve every later token", prompts)
		}
	})
	cred, err := azidentity.NewDeviceCodeCredential(&azidentity.DeviceCodeCredentialOptions{
		ClientOptions: clientOptions(s), TenantID: tenant, DisableInstanceDiscovery: true,
		UserPrompt: func(_ context.Context, m azidentity.DeviceCodeMessage) error {
			prompts++
			if !strings.Contains(m.Message, m.UserCode) || !strings.HasSuffix(m.VerificationURL, "/devicelogin") {
				t.Errorf("device code message %q, verification URL %q", m.Message, m.VerificationURL)
			}
			return s.ApproveDeviceCode(m.UserCode, user)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

// TestPeopleSignInWithADeviceCode signs each of the scenario's people in
// with MSAL Go's device-code flow and checks their tokens' claims (those
// azure/whoami.go reads), Graph's /me and their directory roles.
func TestPeopleSignInWithADeviceCode(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	for _, tc := range []struct {
		name, tenant, user, wantOID, wantTenant, wantUPN string
		wantRoles                                        []string
	}{
		{"admin at organizations", "", sandbox.AdminUserUPN, sandbox.AdminUserObjectID, sandbox.UserTenantID, sandbox.AdminUserUPN, []string{sandbox.RoleApplicationAdministrator}},
		{"owner in the tenant by domain", "contoso.onmicrosoft.com", sandbox.OwnerUserUPN, sandbox.OwnerUserObjectID, sandbox.UserTenantID, sandbox.OwnerUserUPN, nil},
		{"network engineer at common", "common", sandbox.NetworkUserObjectID, sandbox.NetworkUserObjectID, sandbox.UserTenantID, sandbox.NetworkUserUPN, nil},
		{"guest in Contoso", sandbox.UserTenantID, sandbox.GuestUserUPN, sandbox.GuestUserObjectID, sandbox.UserTenantID, "", nil},
		{"guest at home", "", sandbox.GuestUserUPN, sandbox.GuestHomeObjectID, sandbox.FabrikamTenantID, sandbox.GuestUserUPN, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cred := personCredential(t, s, tc.tenant, tc.user)
			c := jwtClaims(t, tokenOf(t, cred, "https://management.azure.com//.default"))
			if c["idtyp"] != "user" || c["oid"] != tc.wantOID || c["tid"] != tc.wantTenant || c["scp"] != "user_impersonation" || c["name"] == "" {
				t.Errorf("ARM token claims %v", c)
			}
			if upn, _ := c["upn"].(string); upn != tc.wantUPN {
				t.Errorf("upn %q, want %q", upn, tc.wantUPN)
			}
			// A second resource comes from the refresh token, no new code.
			graph := tokenOf(t, cred, "https://graph.microsoft.com/.default")
			status, me := graphRaw(t, s, graph, http.MethodGet, "/v1.0/me", nil)
			if status != http.StatusOK || me["id"] != tc.wantOID {
				t.Fatalf("GET /me: %d %v", status, me)
			}
			status, roles := graphRaw(t, s, graph, http.MethodGet, "/v1.0/me/transitiveMemberOf", nil)
			var got []string
			for _, r := range roles["value"].([]any) {
				got = append(got, r.(map[string]any)["displayName"].(string))
			}
			if status != http.StatusOK || strings.Join(got, ",") != strings.Join(tc.wantRoles, ",") {
				t.Errorf("transitiveMemberOf: %d %v, want %v", status, got, tc.wantRoles)
			}
		})
	}
	// An app's token has no /me.
	if status, body := graphRaw(t, s, adminToken(t, s, "https://graph.microsoft.com/.default"), http.MethodGet, "/v1.0/me", nil); status != http.StatusBadRequest {
		t.Errorf("GET /me as an app: %d %v", status, body)
	}
}

// form posts a form to the sandbox's Entra endpoints, without client
// authentication, and decodes the answer.
func form(t testing.TB, s *sandbox.Server, path string, v url.Values) (int, map[string]any) {
	t.Helper()
	return entraDo(t, s, http.MethodPost, path, "", v, [2]string{})
}

// deviceCode asks for a code as the Azure CLI does.
func deviceCode(t testing.TB, s *sandbox.Server, tenant, clientID string) (device, user string) {
	t.Helper()
	status, dc := form(t, s, "/"+tenant+"/oauth2/v2.0/devicecode", url.Values{"client_id": {clientID}, "scope": {"https://management.core.windows.net//.default offline_access openid profile"}})
	if status != http.StatusOK || dc["expires_in"] == nil || dc["interval"] == nil {
		t.Fatalf("devicecode: %d %v", status, dc)
	}
	return dc["device_code"].(string), dc["user_code"].(string)
}

func poll(t testing.TB, s *sandbox.Server, tenant, clientID, device string) (int, map[string]any) {
	t.Helper()
	return form(t, s, "/"+tenant+"/oauth2/v2.0/token", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "client_id": {clientID}, "device_code": {device}})
}

// TestDeviceCodePollAnswers checks the token endpoint's answers to each
// state of a device code, in Entra's error shape.
func TestDeviceCodePollAnswers(t *testing.T) {
	cli := sandbox.AzureCLIClientID
	for _, tc := range []struct {
		name     string
		timing   func(*sandbox.Timing)
		act      func(s *sandbox.Server, userCode string) error
		clientID string
		device   string // "" the issued one
		status   int
		err      string
		code     float64
	}{
		{name: "pending", status: 400, err: "authorization_pending", code: 70016},
		{name: "declined", act: func(s *sandbox.Server, c string) error { return s.DenyDeviceCode(c) }, status: 400, err: "authorization_declined", code: 70000},
		{name: "expired", timing: func(tm *sandbox.Timing) { tm.DeviceCodeLifetime = 1 }, status: 400, err: "expired_token", code: 70020},
		{name: "unknown code", device: "DAQABAAEAAADnot-a-code", status: 400, err: "bad_verification_code", code: 70000},
		{name: "confidential app without a secret", clientID: sandbox.AdminAppID, status: 401, err: "invalid_client", code: 7000218},
		{name: "approved", act: func(s *sandbox.Server, c string) error { return s.ApproveDeviceCode(c, sandbox.AdminUserUPN) }, status: 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			timing := sandbox.DefaultTiming()
			if tc.timing != nil {
				tc.timing(&timing)
			}
			s := sandboxtest.Start(t, sandbox.Options{Timing: &timing})
			client := cli
			if tc.clientID != "" {
				client = tc.clientID
			}
			device, user := deviceCode(t, s, "organizations", client)
			if tc.act != nil {
				if err := tc.act(s, user); err != nil {
					t.Fatal(err)
				}
			}
			if tc.device != "" {
				device = tc.device
			}
			status, body := poll(t, s, "organizations", client, device)
			if status != tc.status || (tc.err != "" && body["error"] != tc.err) {
				t.Fatalf("poll: %d %v, want %d %s", status, body, tc.status, tc.err)
			}
			if tc.err != "" {
				codes, _ := body["error_codes"].([]any)
				if len(codes) != 1 || codes[0] != tc.code || !strings.HasPrefix(body["error_description"].(string), "AADSTS") {
					t.Errorf("error %v, want AADSTS%v", body, tc.code)
				}
				return
			}
			for _, k := range []string{"access_token", "refresh_token", "id_token", "client_info", "scope"} {
				if body[k] == nil || body[k] == "" {
					t.Errorf("token answer lacks %s: %v", k, body)
				}
			}
			idt := jwtClaims(t, body["id_token"].(string))
			if idt["aud"] != cli || idt["tid"] != sandbox.UserTenantID || idt["preferred_username"] != sandbox.AdminUserUPN {
				t.Errorf("id_token %v", idt)
			}
			ci, _ := base64.RawURLEncoding.DecodeString(body["client_info"].(string))
			if want := `{"uid":"` + sandbox.AdminUserObjectID + `","utid":"` + sandbox.UserTenantID + `"}`; string(ci) != want {
				t.Errorf("client_info %s, want %s", ci, want)
			}
			// A code is redeemed once.
			if status, again := poll(t, s, "organizations", client, device); status != 400 || again["error"] != "invalid_grant" {
				t.Errorf("second redemption: %d %v", status, again)
			}
			// The refresh token works for Graph, in a tenant the person
			// is in, and not in one they are not (AADSTS50020).
			rt := body["refresh_token"].(string)
			refresh := func(tenant string) (int, map[string]any) {
				return form(t, s, "/"+tenant+"/oauth2/v2.0/token", url.Values{"grant_type": {"refresh_token"}, "client_id": {cli}, "refresh_token": {rt},
					"scope": {"https://graph.microsoft.com/.default offline_access openid profile"}})
			}
			if status, g := refresh(sandbox.UserTenantID); status != 200 || jwtClaims(t, g["access_token"].(string))["aud"] != sandbox.AudienceGraph {
				t.Errorf("refresh for Graph: %d %v", status, g)
			}
			if status, g := refresh(sandbox.AivenTenantID); status != 400 || g["error_codes"].([]any)[0] != float64(50020) {
				t.Errorf("refresh in a tenant without the person: %d %v", status, g)
			}
		})
	}
}

// TestDeviceCodeV1 asks the v1 endpoint for a code (resource, not scopes;
// verification_url) and polls with code, as ADAL-era clients do.
func TestDeviceCodeV1(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	status, dc := form(t, s, "/"+sandbox.UserTenantID+"/oauth2/devicecode", url.Values{"client_id": {sandbox.AzureCLIClientID}, "resource": {"https://management.core.windows.net/"}})
	if status != http.StatusOK || dc["verification_url"] == nil || dc["verification_uri"] != nil {
		t.Fatalf("v1 devicecode: %d %v", status, dc)
	}
	if err := s.ApproveDeviceCode(dc["user_code"].(string), sandbox.NetworkUserUPN); err != nil {
		t.Fatal(err)
	}
	status, tok := form(t, s, "/"+sandbox.UserTenantID+"/oauth2/token", url.Values{"grant_type": {"device_code"}, "client_id": {sandbox.AzureCLIClientID},
		"code": {dc["device_code"].(string)}, "resource": {"https://management.core.windows.net/"}})
	if status != http.StatusOK || tok["resource"] != "https://management.core.windows.net/" || jwtClaims(t, tok["access_token"].(string))["oid"] != sandbox.NetworkUserObjectID {
		t.Fatalf("v1 poll: %d %v", status, tok)
	}
}

// TestDeviceLoginPage walks the verification page over HTTP as a person
// would in a browser: enter the code, pick an account, see the outcome;
// then the client's poll gets its tokens.
func TestDeviceLoginPage(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	device, user := deviceCode(t, s, sandbox.UserTenantID, sandbox.AzureCLIClientID)
	page := func(method string, v url.Values) (int, string) {
		rq := rawRequest{method: method, path: "/devicelogin"}
		if v != nil {
			rq.body, rq.contentType = strings.NewReader(v.Encode()), "application/x-www-form-urlencoded"
		}
		resp, b := send(t, s, rq)
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("Content-Type %q", ct)
		}
		return resp.StatusCode, string(b)
	}
	steps := []struct {
		name, method string
		form         url.Values
		status       int
		want         []string
	}{
		{"the form", http.MethodGet, nil, 200, []string{"Enter code", `name="otc"`}},
		{"a wrong code", http.MethodPost, url.Values{"otc": {"NOTACODE1"}}, 400, []string{"We don&#39;t recognize this code"}},
		{"the code, in lower case", http.MethodPost, url.Values{"otc": {strings.ToLower(user)}}, 200, []string{"Pick an account", sandbox.AdminUserUPN, sandbox.OwnerUserUPN, "(guest)", "Microsoft Azure CLI", "Contoso"}},
		{"an account", http.MethodPost, url.Values{"otc": {user}, "user": {sandbox.AdminUserObjectID}, "action": {"approve"}}, 200, []string{"You have signed in to the Microsoft Azure CLI application on your device"}},
		{"the code again", http.MethodPost, url.Values{"otc": {user}}, 400, []string{"already been used"}},
	}
	for _, st := range steps {
		status, body := page(st.method, st.form)
		if status != st.status {
			t.Errorf("%s: status %d, want %d\n%s", st.name, status, st.status, body)
		}
		for _, w := range st.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: page lacks %q\n%s", st.name, w, body)
			}
		}
	}
	if status, body := poll(t, s, sandbox.UserTenantID, sandbox.AzureCLIClientID, device); status != 200 || jwtClaims(t, body["access_token"].(string))["oid"] != sandbox.AdminUserObjectID {
		t.Fatalf("poll after the page: %d %v", status, body)
	}
	// Cancel on the page declines the sign-in.
	device, user = deviceCode(t, s, "organizations", sandbox.AzureCLIClientID)
	if status, body := page(http.MethodPost, url.Values{"otc": {user}, "action": {"deny"}}); status != 200 || !strings.Contains(body, "You declined") {
		t.Errorf("deny: %d %s", status, body)
	}
	if status, body := poll(t, s, "organizations", sandbox.AzureCLIClientID, device); status != 400 || body["error"] != "authorization_declined" {
		t.Errorf("poll after deny: %d %v", status, body)
	}
}

// TestRoleAssignmentsAndPermissionsForUsers assigns a role to a user
// (principalType User) and reads a user's own permissions.
func TestRoleAssignmentsAndPermissionsForUsers(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	admin := adminToken(t, s, "https://management.azure.com/.default")
	scope := "/subscriptions/" + sandbox.UserSubscriptionID + "/resourceGroups/rg-prod"
	put := func(ptype string) (int, map[string]any) {
		return graphRaw(t, s, admin, http.MethodPut, scope+"/providers/Microsoft.Authorization/roleAssignments/"+uuid.NewString()+"?api-version=2022-04-01",
			map[string]any{"properties": map[string]any{"roleDefinitionId": "/subscriptions/" + sandbox.UserSubscriptionID + "/providers/Microsoft.Authorization/roleDefinitions/" + sandbox.NetworkContributorRoleGUID,
				"principalId": sandbox.NetworkUserObjectID, "principalType": ptype}})
	}
	if status, m := put("ServicePrincipal"); status != 400 || !strings.Contains(strings.ToLower(jsonString(m)), "unmatchedprincipaltype") {
		t.Errorf("principalType ServicePrincipal for a user: %d %v", status, m)
	}
	if status, m := put("User"); status != 201 || m["properties"].(map[string]any)["principalType"] != "User" {
		t.Errorf("principalType User: %d %v", status, m)
	}
	// The network engineer's own permissions: Network Contributor's on
	// rg-app, nothing on Aiven's tenant's resources.
	net := tokenOf(t, personCredential(t, s, sandbox.UserTenantID, sandbox.NetworkUserUPN), "https://management.azure.com/.default")
	for _, tc := range []struct {
		scope string
		want  int
	}{
		{"/subscriptions/" + sandbox.UserSubscriptionID + "/resourceGroups/rg-app/providers/Microsoft.Network/virtualNetworks/app-vnet", 1},
		{"/subscriptions/" + sandbox.UserSubscriptionID + "/resourceGroups/rg-legacy", 0},
	} {
		resp, body, _ := netRaw(t, s, net, http.MethodGet, tc.scope+"/providers/Microsoft.Authorization/permissions?api-version=2022-04-01", "")
		if resp.StatusCode != 200 || len(body["value"].([]any)) != tc.want {
			t.Errorf("permissions at %s: %d %v, want %d entries", tc.scope, resp.StatusCode, body, tc.want)
		}
	}
}

func jsonString(v any) string { b, _ := json.Marshal(v); return string(b) }

// TestGraphUsers reads users by object id and by UPN, lists and filters
// them, in the caller's tenant only.
func TestGraphUsers(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	tok := tokenOf(t, personCredential(t, s, sandbox.UserTenantID, sandbox.OwnerUserUPN), "https://graph.microsoft.com/.default")
	for _, tc := range []struct {
		path    string
		status  int
		wantIDs []string
	}{
		{"/v1.0/users/" + sandbox.AdminUserObjectID, 200, []string{sandbox.AdminUserObjectID}},
		{"/v1.0/users/" + sandbox.NetworkUserUPN, 200, []string{sandbox.NetworkUserObjectID}},
		{"/v1.0/users/" + url.PathEscape("consultant_fabrikam.onmicrosoft.com#EXT#@contoso.onmicrosoft.com"), 200, []string{sandbox.GuestUserObjectID}},
		// The consultant's home object is Fabrikam's, not Contoso's.
		{"/v1.0/users/" + sandbox.GuestHomeObjectID, 404, nil},
		{"/v1.0/users?$filter=" + url.QueryEscape("userType eq 'Guest'"), 200, []string{sandbox.GuestUserObjectID}},
		{"/v1.0/users/" + sandbox.AdminUserUPN + "/transitiveMemberOf", 200, []string{"9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"}},
	} {
		status, body := graphRaw(t, s, tok, http.MethodGet, tc.path, nil)
		if status != tc.status {
			t.Errorf("GET %s: %d %v, want %d", tc.path, status, body, tc.status)
			continue
		}
		if tc.wantIDs == nil {
			continue
		}
		var got []string
		if v, ok := body["value"].([]any); ok {
			for _, o := range v {
				got = append(got, o.(map[string]any)["id"].(string))
			}
		} else {
			got = []string{body["id"].(string)}
		}
		if strings.Join(got, ",") != strings.Join(tc.wantIDs, ",") {
			t.Errorf("GET %s: ids %v, want %v", tc.path, got, tc.wantIDs)
		}
	}
}

// TestPeopleSurviveARestart: a sandbox kept in --state-dir still has its
// people (and forgets device codes under way, as an expired code would).
func TestPeopleSurviveARestart(t *testing.T) {
	dir := t.TempDir()
	first := sandboxtest.Start(t, sandbox.Options{StateDir: dir})
	_, pending := deviceCode(t, first, "organizations", sandbox.AzureCLIClientID)
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	second := sandboxtest.Start(t, sandbox.Options{StateDir: dir})
	if err := second.ApproveDeviceCode(pending, sandbox.AdminUserUPN); err == nil {
		t.Error("a device code from before the restart was approved")
	}
	c := jwtClaims(t, tokenOf(t, personCredential(t, second, "", sandbox.NetworkUserUPN), "https://management.azure.com/.default"))
	if c["oid"] != sandbox.NetworkUserObjectID {
		t.Errorf("after a restart: claims %v", c)
	}
}
