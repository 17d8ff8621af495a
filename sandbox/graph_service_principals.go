package sandbox

import (
	"net/http"
	"strings"
)

// Service principals: list (with $filter), create (for the tenant's own
// or another tenant's multi-tenant application), get, PATCH
// (graph_update.go), delete, and the directory roles they hold (memberOf).

func (g *graphCall) spJSON(sp *ServicePrincipal) map[string]any {
	audience := "AzureADMyOrg"
	if a := g.world.appByAppID(sp.AppID); a != nil {
		audience = a.SignInAudience
	}
	return map[string]any{
		"id": sp.ID, "deletedDateTime": nil, "accountEnabled": true, "alternativeNames": []string{},
		"appDisplayName": sp.DisplayName, "appDescription": nil, "appId": sp.AppID, "applicationTemplateId": nil,
		"appOwnerOrganizationId": sp.AppOwnerOrganizationID, "appRoleAssignmentRequired": false,
		"description": nil, "disabledByMicrosoftStatus": nil, "displayName": sp.DisplayName, "homepage": nil,
		"loginUrl": nil, "logoutUrl": nil, "notes": sp.Notes, "notificationEmailAddresses": []string{},
		"preferredSingleSignOnMode": nil, "preferredTokenSigningKeyThumbprint": nil, "replyUrls": []string{},
		"servicePrincipalNames": []string{sp.AppID}, "servicePrincipalType": "Application",
		"signInAudience": audience, "tags": g.world.spTags(sp), "tokenEncryptionKeyId": nil,
		"addIns": []any{}, "appRoles": []any{}, "info": map[string]any{"logoUrl": nil, "marketingUrl": nil,
			"privacyStatementUrl": nil, "supportUrl": nil, "termsOfServiceUrl": nil},
		"keyCredentials": []any{}, "oauth2PermissionScopes": []any{}, "passwordCredentials": []any{},
		"resourceSpecificApplicationPermissions": []any{}, "verifiedPublisher": map[string]any{
			"displayName": nil, "verifiedPublisherId": nil, "addedDateTime": nil},
	}
}

func spProps(world *World, sp *ServicePrincipal) map[string][]string {
	return map[string][]string{
		"id": {sp.ID}, "appid": {sp.AppID}, "displayname": {sp.DisplayName},
		"appownerorganizationid": {sp.AppOwnerOrganizationID}, "serviceprincipaltype": {"Application"},
		"serviceprincipalnames": {sp.AppID}, "tags": world.spTags(sp),
	}
}

func (g *graphCall) listServicePrincipals() {
	props := func(sp *ServicePrincipal) map[string][]string { return spProps(g.world, sp) }
	listObjects(g, g.world.ServicePrincipals, "servicePrincipals", "ServicePrincipal", props, g.spJSON)
}

// createServicePrincipal instantiates an application in the caller's
// tenant: its own tenant's app, or another tenant's multi-tenant app (the
// latter, in Entra, only for callers with an application-admin role; with
// a lesser permission Graph answers the message below).
func (g *graphCall) createServicePrincipal() {
	var body struct {
		AppID string   `json:"appId"`
		Notes *string  `json:"notes"`
		Tags  []string `json:"tags"`
	}
	if err := decodeJSON(g.r, &body); err != nil {
		g.badJSON()
		return
	}
	if body.AppID == "" {
		invalidValue(g.w, "appId", "ServicePrincipal")
		return
	}
	if !g.spNotesWithinLimit(body.Notes) {
		return
	}
	app := g.world.appByAppID(body.AppID)
	local := app != nil && strings.EqualFold(app.TenantID, g.tenant.ID)
	if app == nil || (!local && !app.MultiTenant()) {
		graphError(g.w, http.StatusBadRequest, "Request_BadRequest",
			"The appId '"+body.AppID+"' of the service principal does not reference a valid application object.")
		return
	}
	if !isAppAdmin(g.caller) && !(local && owns(g.caller, app)) {
		if local {
			g.insufficientPrivileges()
		} else {
			graphError(g.w, http.StatusForbidden, "Authorization_RequestDenied",
				"When using this permission, the backing application of the service principal being created must in the local tenant")
		}
		return
	}
	if g.world.spByAppID(g.tenant.ID, app.AppID) != nil {
		// Microsoft Graph's text names the clashing servicePrincipalName,
		// the appId (Azure/reliable-web-app-pattern-java#185, 2023;
		// KelvinTegelaar/CIPP#1142); Azure AD Graph's was "Another object
		// with the same value for property servicePrincipalNames already
		// exists." (MicrosoftDocs/azure-docs-powershell#599).
		graphError(g.w, http.StatusConflict, "Request_MultipleObjectsWithSameKeyValue",
			"The service principal cannot be created, updated, or restored because the service principal name "+app.AppID+" is already in use.")
		return
	}
	sp := g.world.createServicePrincipal(g.s.clock.Now(), g.tenant.ID, app, "")
	sp.Notes, sp.Tags = body.Notes, body.Tags
	g.w.Header().Set("Location", requestBase(g.r)+"/v2/"+g.tenant.ID+"/directoryObjects/"+sp.ID+"/Microsoft.DirectoryServices.ServicePrincipal")
	g.writeObject(http.StatusCreated, "servicePrincipals/$entity", g.spJSON(sp))
}

// deleteServicePrincipal removes a service principal; the checks are those
// of deleting its application.
func (g *graphCall) deleteServicePrincipal(sp *ServicePrincipal) {
	if !g.requireAppAdmin(g.world.appByAppID(sp.AppID)) {
		return
	}
	delete(g.world.ServicePrincipals, sp.ID)
	g.w.WriteHeader(http.StatusNoContent)
}

// directoryRoleTemplates are the real template ids of the directory roles
// the sandbox knows.
var directoryRoleTemplates = map[string]string{
	RoleApplicationAdministrator:      "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
	RoleCloudApplicationAdministrator: "158c047a-c907-4556-b7ef-446551a6b5f7",
	RoleGlobalAdministrator:           "62e90394-69f5-4237-9190-012177145e10",
}

// memberOf lists the directory roles a service principal holds, as
// GET /servicePrincipals/{id}/memberOf does (groups are not emulated). Any
// principal of the tenant may read it, its own included.
func (g *graphCall) memberOf(sp *ServicePrincipal) { g.directoryRoles(sp.DirectoryRoles) }

// directoryRoles answers a memberOf list of directory roles.
func (g *graphCall) directoryRoles(roles []string) {
	items := []map[string]any{}
	for _, r := range roles {
		tmpl := directoryRoleTemplates[r]
		items = append(items, map[string]any{
			"@odata.type": "#microsoft.graph.directoryRole", "id": tmpl, "displayName": r,
			"roleTemplateId": tmpl, "description": r + " directory role", "deletedDateTime": nil,
		})
	}
	g.writeList("directoryObjects", items)
}
