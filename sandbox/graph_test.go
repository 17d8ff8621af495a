package sandbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/google/uuid"

	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

func TestGraphApplicationLifecycle(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	g := graphClient(t, s, adminCredential(t, s))
	c := ctx(t)

	org, err := g.Organization(c)
	if err != nil {
		t.Fatalf("Organization: %v", err)
	}
	if org.ID != sandbox.UserTenantID || len(org.VerifiedDomains) != 1 || org.VerifiedDomains[0].Name != "contoso.onmicrosoft.com" {
		t.Errorf("organization = %+v", org)
	}

	app, err := g.CreateApplication(c, "O'Brien's peering", "AzureADMultipleOrgs", nil)
	if err != nil {
		t.Fatalf("CreateApplication: %v", err)
	}
	if app.ID == "" || app.AppID == "" || app.SignInAudience != "AzureADMultipleOrgs" || app.CreatedDateTime.IsZero() ||
		app.PublisherDomain != "contoso.onmicrosoft.com" || len(app.PasswordCredentials) != 0 {
		t.Errorf("created application = %+v", app)
	}
	if got, err := g.GetApplication(c, app.ID); err != nil || got.AppID != app.AppID {
		t.Errorf("GetApplication = %+v, %v", got, err)
	}
	if got, err := g.FindApplicationByAppID(c, app.AppID); err != nil || got == nil || got.ID != app.ID {
		t.Errorf("FindApplicationByAppID = %+v, %v", got, err)
	}
	if got, err := g.FindApplicationByAppID(c, uuid.NewString()); err != nil || got != nil {
		t.Errorf("FindApplicationByAppID(unknown) = %+v, %v; want nil, nil", got, err)
	}
	if got, err := g.FindApplicationsByDisplayName(c, "O'Brien's peering"); err != nil || len(got) != 1 || got[0].ID != app.ID {
		t.Errorf("FindApplicationsByDisplayName = %+v, %v", got, err)
	}

	// Secrets: the text only in addPassword's answer, metadata afterwards.
	end := time.Now().Add(90 * 24 * time.Hour).UTC().Truncate(time.Second)
	pc, secret, err := g.AddPassword(c, app.ID, "azpeer", end)
	if err != nil {
		t.Fatalf("AddPassword: %v", err)
	}
	if pc.KeyID == "" || secret.Empty() || pc.Hint != secret.Reveal()[:3] || !pc.EndDateTime.Equal(end) || pc.DisplayName != "azpeer" {
		t.Errorf("password credential = %+v", pc)
	}
	token := adminToken(t, s, graphScope)
	status, raw := graphRaw(t, s, token, http.MethodGet, "/v1.0/applications/"+app.ID, nil)
	blob, _ := json.Marshal(raw)
	if status != 200 || strings.Contains(string(blob), secret.Reveal()) || !strings.Contains(string(blob), `"secretText":null`) {
		t.Errorf("GET application after addPassword: %d %s", status, blob)
	}
	got, err := g.GetApplication(c, app.ID)
	if err != nil || len(got.PasswordCredentials) != 1 || got.PasswordCredentials[0].KeyID != pc.KeyID {
		t.Errorf("application passwords = %+v, %v", got.PasswordCredentials, err)
	}

	// The app signs in with the new secret once it has a service principal.
	sp, err := g.CreateServicePrincipal(c, app.AppID, nil)
	if err != nil {
		t.Fatalf("CreateServicePrincipal: %v", err)
	}
	if sp.AppID != app.AppID || sp.AppOwnerOrganizationID != sandbox.UserTenantID || sp.ServicePrincipalType != "Application" ||
		sp.DisplayName != app.DisplayName || len(sp.ServicePrincipalNames) == 0 {
		t.Errorf("service principal = %+v", sp)
	}
	_, err = g.CreateServicePrincipal(c, app.AppID, nil)
	re := wantResponseError(t, err, http.StatusConflict, "Request_MultipleObjectsWithSameKeyValue")
	if !strings.Contains(re.Error(), "The service principal cannot be created, updated, or restored because the service principal name "+app.AppID+" is already in use.") {
		t.Errorf("409 message: %v", re)
	}
	appCred := secretCredential(t, s, sandbox.UserTenantID, app.AppID, secret.Reveal())
	tok, err := appCred.GetToken(c, policy.TokenRequestOptions{Scopes: []string{armScope}})
	if err != nil {
		t.Fatalf("sign-in with the new secret: %v", err)
	}
	if oid := jwtClaims(t, tok.Token)["oid"]; oid != sp.ID {
		t.Errorf("token oid = %v, want the new service principal %s", oid, sp.ID)
	}
	if err := g.RemovePassword(c, app.ID, pc.KeyID); err != nil {
		t.Fatalf("RemovePassword: %v", err)
	}
	fresh := secretCredential(t, s, sandbox.UserTenantID, app.AppID, secret.Reveal())
	_, err = fresh.GetToken(c, policy.TokenRequestOptions{Scopes: []string{armScope}})
	wantAADSTS(t, err, "AADSTS7000215", 401)
	wantResponseError(t, g.RemovePassword(c, app.ID, pc.KeyID), http.StatusBadRequest, "Request_BadRequest")

	// Service principals: find, get, delete.
	if found, err := g.FindServicePrincipalByAppID(c, app.AppID); err != nil || found == nil || found.ID != sp.ID {
		t.Errorf("FindServicePrincipalByAppID = %+v, %v", found, err)
	}
	if found, err := g.GetServicePrincipal(c, sp.ID); err != nil || found.AppID != app.AppID {
		t.Errorf("GetServicePrincipal = %+v, %v", found, err)
	}
	if err := g.DeleteServicePrincipal(c, sp.ID); err != nil {
		t.Fatalf("DeleteServicePrincipal: %v", err)
	}
	_, err = g.GetServicePrincipal(c, sp.ID)
	re = wantResponseError(t, err, http.StatusNotFound, "Request_ResourceNotFound")
	if !strings.Contains(re.Error(), "Resource '"+sp.ID+"' does not exist or one of its queried reference-property objects are not present.") {
		t.Errorf("404 message: %v", re)
	}

	// Deleting the application takes its home service principal with it.
	if _, err := g.CreateServicePrincipal(c, app.AppID, nil); err != nil {
		t.Fatalf("CreateServicePrincipal again: %v", err)
	}
	if err := g.DeleteApplication(c, app.ID); err != nil {
		t.Fatalf("DeleteApplication: %v", err)
	}
	if found, err := g.FindServicePrincipalByAppID(c, app.AppID); err != nil || found != nil {
		t.Errorf("service principal after DeleteApplication = %+v, %v; want none", found, err)
	}
	_, err = g.GetApplication(c, app.ID)
	wantResponseError(t, err, http.StatusNotFound, "Request_ResourceNotFound")
	wantResponseError(t, g.DeleteApplication(c, app.ID), http.StatusNotFound, "Request_ResourceNotFound")
}

// Creating Aiven's service principal in the user's tenant: 201 for an
// application administrator, 409 when it exists, 403 with Graph's real
// message for a caller without the role.
func TestGraphAivenServicePrincipal(t *testing.T) {
	t.Run("created by an application administrator", func(t *testing.T) {
		s := sandboxtest.Start(t, sandbox.Options{Scenario: "empty"})
		g := graphClient(t, s, adminCredential(t, s))
		sp, err := g.CreateServicePrincipal(ctx(t), sandbox.AivenDefaultAppID, nil)
		if err != nil {
			t.Fatalf("CreateServicePrincipal(Aiven): %v", err)
		}
		if sp.AppOwnerOrganizationID != sandbox.AivenTenantID || sp.AppID != sandbox.AivenDefaultAppID || sp.ID == sandbox.AivenHomeSPObjectID {
			t.Errorf("Aiven's service principal in the user's tenant = %+v", sp)
		}
	})
	t.Run("exists already", func(t *testing.T) {
		s := sandboxtest.Start(t, sandbox.Options{})
		g := graphClient(t, s, adminCredential(t, s))
		_, err := g.CreateServicePrincipal(ctx(t), sandbox.AivenDefaultAppID, nil)
		wantResponseError(t, err, http.StatusConflict, "Request_MultipleObjectsWithSameKeyValue")
	})
	t.Run("caller without a directory role", func(t *testing.T) {
		s := sandboxtest.Start(t, sandbox.Options{Scenario: "empty"})
		admin := graphClient(t, s, adminCredential(t, s))
		app, secret := newApp(t, s, admin, "no-directory-role", "AzureADMyOrg", true)
		g := graphClient(t, s, secretCredential(t, s, sandbox.UserTenantID, app.AppID, secret))

		_, err := g.CreateServicePrincipal(ctx(t), sandbox.AivenDefaultAppID, nil)
		re := wantResponseError(t, err, http.StatusForbidden, "Authorization_RequestDenied")
		if !strings.Contains(re.Error(), "When using this permission, the backing application of the service principal being created must in the local tenant") {
			t.Errorf("403 message: %v", re)
		}
		_, err = g.CreateApplication(ctx(t), "not allowed", "AzureADMultipleOrgs", nil)
		re = wantResponseError(t, err, http.StatusForbidden, "Authorization_RequestDenied")
		if !strings.Contains(re.Error(), "Insufficient privileges to complete the operation.") {
			t.Errorf("403 message: %v", re)
		}
		wantResponseError(t, g.DeleteApplication(ctx(t), sandbox.AdminAppObjectID), http.StatusForbidden, "Authorization_RequestDenied")
		// Reading needs no role.
		if org, err := g.Organization(ctx(t)); err != nil || org.ID != sandbox.UserTenantID {
			t.Errorf("Organization as a plain app = %+v, %v", org, err)
		}
		if sp, err := admin.FindServicePrincipalByAppID(ctx(t), sandbox.AivenDefaultAppID); err != nil || sp != nil {
			t.Errorf("a refused create left a service principal: %+v, %v", sp, err)
		}
	})
	t.Run("unknown app", func(t *testing.T) {
		s := sandboxtest.Start(t, sandbox.Options{Scenario: "empty"})
		g := graphClient(t, s, adminCredential(t, s))
		_, err := g.CreateServicePrincipal(ctx(t), uuid.NewString(), nil)
		wantResponseError(t, err, http.StatusBadRequest, "Request_BadRequest")
	})
}

func TestGraphFilters(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	token := adminToken(t, s, graphScope)
	q := graphFilter
	tests := []graphQuery{
		{"appId eq", q("applications", "appId eq '"+sandbox.AdminAppID+"'"), 200, "", []string{sandbox.AdminAppObjectID}},
		{"appId eq, upper case", q("applications", "appId eq '"+strings.ToUpper(sandbox.AdminAppID)+"'"), 200, "", []string{sandbox.AdminAppObjectID}},
		{"displayName eq", q("applications", "displayName eq 'azpeer-sandbox-admin'"), 200, "", []string{sandbox.AdminAppObjectID}},
		{"startswith", q("applications", "startswith(displayName,'TSDB-')"), 200, "", []string{sandbox.ProdPeeringAppObject}},
		{"or", q("applications", "appId eq '"+sandbox.AdminAppID+"' or appId eq '"+sandbox.ProdPeeringAppID+"'"), 200, "",
			[]string{sandbox.AdminAppObjectID, sandbox.ProdPeeringAppObject}},
		{"and not", q("applications", "signInAudience eq 'AzureADMultipleOrgs' and not (displayName eq 'x')"), 200, "", []string{sandbox.ProdPeeringAppObject}},
		{"no match", q("applications", "displayName eq 'nothing'"), 200, "", nil},
		{"other tenant's app is invisible", q("applications", "appId eq '"+sandbox.AivenDefaultAppID+"'"), 200, "", nil},
		{"no filter lists the tenant's apps", "/v1.0/applications", 200, "", []string{sandbox.AdminAppObjectID, sandbox.ProdPeeringAppObject}},
		{"alternate key", "/v1.0/applications(appId='" + sandbox.AdminAppID + "')", 200, "", nil},
		{"service principal by servicePrincipalNames", q("servicePrincipals", "servicePrincipalNames/any(c:c eq '"+sandbox.AdminAppID+"')"), 200, "",
			[]string{sandbox.AdminSPObjectID}},
		{"service principal by appId", q("servicePrincipals", "appId eq '"+sandbox.AdminAppID+"'"), 200, "", []string{sandbox.AdminSPObjectID}},
		{"unsupported property", q("applications", "colour eq 'blue'"), 400, "Request_UnsupportedQuery", nil},
		{"syntax error", q("applications", "appId eq"), 400, "BadRequest", nil},
		{"unterminated string", q("applications", "appId eq 'abc"), 400, "BadRequest", nil},
		{"bad object id", "/v1.0/applications/not-a-guid", 400, "Request_BadRequest", nil},
		{"unknown segment", "/v1.0/applicationz", 400, "BadRequest", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := tt.check(t, s, token)
			if tt.status == 200 && strings.Contains(tt.path, "(appId=") {
				if out["appId"] != sandbox.AdminAppID || !strings.HasSuffix(out["@odata.context"].(string), "#applications/$entity") {
					t.Errorf("entity = %v", out)
				}
			}
		})
	}
}

// Each tenant sees only its own objects, and the caller's tenant is the
// token's.
func TestGraphTenantIsolation(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	admin := graphClient(t, s, adminCredential(t, s))
	// The peering app has a service principal in Aiven's tenant too.
	_, secret, err := admin.AddPassword(ctx(t), sandbox.ProdPeeringAppObject, "isolation", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	inAiven := graphClient(t, s, secretCredential(t, s, sandbox.AivenTenantID, sandbox.ProdPeeringAppID, secret.Reveal()))
	c := ctx(t)

	if org, err := inAiven.Organization(c); err != nil || org.ID != sandbox.AivenTenantID {
		t.Errorf("Organization in Aiven's tenant = %+v, %v", org, err)
	}
	if app, err := inAiven.FindApplicationByAppID(c, sandbox.ProdPeeringAppID); err != nil || app != nil {
		t.Errorf("the user's app seen from Aiven's tenant: %+v, %v", app, err)
	}
	_, err = inAiven.GetApplication(c, sandbox.ProdPeeringAppObject)
	wantResponseError(t, err, http.StatusNotFound, "Request_ResourceNotFound")
	_, err = inAiven.GetServicePrincipal(c, sandbox.AdminSPObjectID)
	wantResponseError(t, err, http.StatusNotFound, "Request_ResourceNotFound")

	aivenHome, err := inAiven.FindServicePrincipalByAppID(c, sandbox.AivenDefaultAppID)
	if err != nil || aivenHome == nil || aivenHome.ID != sandbox.AivenHomeSPObjectID {
		t.Errorf("Aiven's SP in Aiven's tenant = %+v, %v", aivenHome, err)
	}
	inUser, err := admin.FindServicePrincipalByAppID(c, sandbox.AivenDefaultAppID)
	if err != nil || inUser == nil || inUser.ID == sandbox.AivenHomeSPObjectID || inUser.AppOwnerOrganizationID != sandbox.AivenTenantID {
		t.Errorf("Aiven's SP in the user's tenant = %+v, %v", inUser, err)
	}

	// getByIds resolves only the caller's tenant's objects.
	status, out := graphRaw(t, s, adminToken(t, s, graphScope), http.MethodPost, "/v1.0/directoryObjects/getByIds", map[string]any{
		"ids":   []string{sandbox.AdminSPObjectID, sandbox.AivenHomeSPObjectID, uuid.NewString()},
		"types": []string{"user", "group", "servicePrincipal", "directoryObjectPartnerReference"},
	})
	vals, _ := out["value"].([]any)
	if status != 200 || len(vals) != 1 {
		t.Fatalf("getByIds = %d %v, want the admin's service principal only", status, out)
	}
	if o := vals[0].(map[string]any); o["id"] != sandbox.AdminSPObjectID || o["@odata.type"] != "#microsoft.graph.servicePrincipal" {
		t.Errorf("getByIds object = %v", o)
	}
}

func TestGraphAuthentication(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	tests := []struct {
		name, token string
		status      int
		code        string
	}{
		{"no token", "", 401, "InvalidAuthenticationToken"},
		{"Resource Manager token", adminToken(t, s, armScope), 401, "InvalidAuthenticationToken"},
		{"forged token", "eyJhbGciOiJIUzI1NiJ9.eyJ0aWQiOiJ4In0.c2lnbmF0dXJl", 401, "InvalidAuthenticationToken"},
		{"Graph token", adminToken(t, s, graphScope), 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := graphRaw(t, s, tt.token, http.MethodGet, "/v1.0/organization", nil)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %v", status, tt.status, out)
			}
			if tt.code != "" {
				if e, _ := out["error"].(map[string]any); e["code"] != tt.code {
					t.Errorf("error = %v, want %s", out, tt.code)
				}
			}
		})
	}
}

// Every call honours its context.
func TestGraphClientContext(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	g := graphClient(t, s, adminCredential(t, s))
	c, cancel := context.WithCancel(ctx(t))
	cancel()
	if _, err := g.Organization(c); !errors.Is(err, context.Canceled) {
		t.Errorf("Organization with a cancelled context: %v, want context.Canceled", err)
	}
	if _, _, err := g.AddPassword(c, sandbox.AdminAppObjectID, "x", time.Time{}); !errors.Is(err, context.Canceled) {
		t.Errorf("AddPassword with a cancelled context: %v, want context.Canceled", err)
	}
}
