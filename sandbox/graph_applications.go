package sandbox

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// Applications: list (with $filter), create, get, PATCH (graph_update.go)
// and delete, and their password credentials (addPassword,
// removePassword), in the caller's tenant.

func (g *graphCall) appJSON(a *Application) map[string]any {
	pcs := mapped(a.PasswordCredentials, func(pc PasswordCredential) map[string]any { return passwordJSON(pc, "") })
	publisher := ""
	if t := g.world.Tenants[a.TenantID]; t != nil {
		publisher = t.DefaultDomain
	}
	return map[string]any{
		"id": a.ID, "deletedDateTime": nil, "appId": a.AppID, "applicationTemplateId": nil,
		"disabledByMicrosoftStatus": nil, "createdDateTime": graphTime(a.CreatedAt), "displayName": a.DisplayName,
		"description": a.Description, "groupMembershipClaims": nil, "identifierUris": []string{}, "isDeviceOnlyAuthSupported": nil,
		"isFallbackPublicClient": nil, "notes": a.Notes, "publisherDomain": publisher, "serviceManagementReference": nil,
		"signInAudience": a.SignInAudience, "tags": nonNilStrings(a.Tags), "tokenEncryptionKeyId": nil,
		"defaultRedirectUri": nil, "optionalClaims": nil, "addIns": []any{}, "appRoles": []any{},
		"info":           map[string]any{"logoUrl": nil, "marketingUrl": nil, "privacyStatementUrl": nil, "supportUrl": nil, "termsOfServiceUrl": nil},
		"keyCredentials": []any{}, "passwordCredentials": pcs, "requiredResourceAccess": []any{},
		"api": map[string]any{"acceptMappedClaims": nil, "knownClientApplications": []string{},
			"requestedAccessTokenVersion": nil, "oauth2PermissionScopes": []any{}, "preAuthorizedApplications": []any{}},
		"publicClient": map[string]any{"redirectUris": []string{}},
		"spa":          map[string]any{"redirectUris": []string{}},
		"web": map[string]any{"homePageUrl": nil, "logoutUrl": nil, "redirectUris": []string{},
			"implicitGrantSettings": map[string]any{"enableAccessTokenIssuance": false, "enableIdTokenIssuance": false}},
	}
}

// passwordJSON is a passwordCredential; secretText is only ever non-null in
// the answer that created the secret.
func passwordJSON(pc PasswordCredential, secret string) map[string]any {
	var st any
	if secret != "" {
		st = secret
	}
	var dn any
	if pc.DisplayName != "" {
		dn = pc.DisplayName
	}
	return map[string]any{
		"customKeyIdentifier": nil, "displayName": dn, "endDateTime": graphTime(pc.EndDateTime),
		"hint": pc.Hint, "keyId": pc.KeyID, "secretText": st, "startDateTime": graphTime(pc.StartDateTime),
	}
}

// applicationProps are the properties $filter can use on applications.
// tags and description support $filter (application resource type, see
// graphDescriptionMax); notes does not.
func applicationProps(a *Application) map[string][]string {
	var description []string
	if a.Description != nil {
		description = []string{*a.Description}
	}
	return map[string][]string{
		"id": {a.ID}, "appid": {a.AppID}, "displayname": {a.DisplayName},
		"signinaudience": {a.SignInAudience}, "identifieruris": {},
		"tags": nonNilStrings(a.Tags), "description": description,
	}
}

func (g *graphCall) listApplications() {
	listObjects(g, g.world.Applications, "applications", "Application", applicationProps, g.appJSON)
}

func (g *graphCall) createApplication() {
	if !g.requireAppAdmin(nil) {
		return
	}
	var body struct {
		DisplayName         *string  `json:"displayName"`
		SignInAudience      string   `json:"signInAudience"`
		Description         *string  `json:"description"`
		Notes               *string  `json:"notes"`
		Tags                []string `json:"tags"`
		PasswordCredentials []struct {
			DisplayName   string     `json:"displayName"`
			EndDateTime   *time.Time `json:"endDateTime"`
			StartDateTime *time.Time `json:"startDateTime"`
		} `json:"passwordCredentials"`
	}
	if err := decodeJSON(g.r, &body); err != nil {
		g.badJSON()
		return
	}
	if body.DisplayName == nil || strings.TrimSpace(*body.DisplayName) == "" {
		invalidValue(g.w, "displayName", "Application")
		return
	}
	if !g.withinLimits("Application", body.DisplayName, body.Description) {
		return
	}
	switch body.SignInAudience {
	case "":
		body.SignInAudience = "AzureADMyOrg"
	case "AzureADMyOrg", "AzureADMultipleOrgs", "AzureADandPersonalMicrosoftAccount", "PersonalMicrosoftAccount":
	default:
		invalidValue(g.w, "signInAudience", "Application")
		return
	}
	now := g.s.clock.Now()
	app := g.world.createApplication(now, g.tenant.ID, "", "", *body.DisplayName, body.SignInAudience)
	app.CreatedBy = g.caller.ID
	app.Description, app.Notes, app.Tags = body.Description, body.Notes, body.Tags
	// Passwords asked for at creation get server-generated secrets, shown
	// once in this answer, as addPassword does.
	secrets := map[string]string{}
	for _, p := range body.PasswordCredentials {
		end := time.Time{}
		if p.EndDateTime != nil {
			end = *p.EndDateTime
		}
		pc, secret := g.world.addPassword(now, app, p.DisplayName, end)
		if p.StartDateTime != nil {
			app.PasswordCredentials[len(app.PasswordCredentials)-1].StartDateTime = p.StartDateTime.UTC()
		}
		secrets[pc.KeyID] = secret
	}
	obj := g.appJSON(app)
	if len(secrets) > 0 {
		obj["passwordCredentials"] = mapped(app.PasswordCredentials, func(pc PasswordCredential) map[string]any {
			return passwordJSON(pc, secrets[pc.KeyID])
		})
	}
	g.w.Header().Set("Location", requestBase(g.r)+"/v2/"+g.tenant.ID+"/directoryObjects/"+app.ID+"/Microsoft.DirectoryServices.Application")
	g.writeObject(http.StatusCreated, "applications/$entity", obj)
}

// deleteApplication removes the application and, as Entra does, its
// service principal in its home tenant. Other tenants' service principals
// of a multi-tenant app stay, orphaned, as they do in Entra.
func (g *graphCall) deleteApplication(app *Application) {
	if !g.requireAppAdmin(app) {
		return
	}
	delete(g.world.Applications, app.ID)
	if sp := g.world.spByAppID(app.TenantID, app.AppID); sp != nil {
		delete(g.world.ServicePrincipals, sp.ID)
	}
	g.w.WriteHeader(http.StatusNoContent)
}

func (g *graphCall) addPassword(app *Application) {
	if !g.requireAppAdmin(app) {
		return
	}
	var body struct {
		PasswordCredential *struct {
			DisplayName   string     `json:"displayName"`
			EndDateTime   *time.Time `json:"endDateTime"`
			StartDateTime *time.Time `json:"startDateTime"`
		} `json:"passwordCredential"`
	}
	if g.r.ContentLength != 0 {
		if err := decodeJSON(g.r, &body); err != nil {
			g.badJSON()
			return
		}
	}
	now := g.s.clock.Now()
	var name string
	var end time.Time
	var start *time.Time
	if p := body.PasswordCredential; p != nil {
		name, start = p.DisplayName, p.StartDateTime
		if p.EndDateTime != nil {
			end = *p.EndDateTime
		}
	}
	pc, secret := g.world.addPassword(now, app, name, end)
	if start != nil {
		pc.StartDateTime = start.UTC()
		app.PasswordCredentials[len(app.PasswordCredentials)-1].StartDateTime = pc.StartDateTime
	}
	g.writeObject(http.StatusOK, "microsoft.graph.passwordCredential", passwordJSON(pc, secret))
}

func (g *graphCall) removePassword(app *Application) {
	if !g.requireAppAdmin(app) {
		return
	}
	var body struct {
		KeyID string `json:"keyId"`
	}
	if err := decodeJSON(g.r, &body); err != nil {
		g.badJSON()
		return
	}
	i := slices.IndexFunc(app.PasswordCredentials, func(pc PasswordCredential) bool { return strings.EqualFold(pc.KeyID, body.KeyID) })
	if i < 0 {
		invalidValue(g.w, "keyId", "PasswordCredential")
		return
	}
	app.PasswordCredentials = slices.Delete(app.PasswordCredentials, i, i+1)
	g.w.WriteHeader(http.StatusNoContent)
}
