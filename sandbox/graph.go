package sandbox

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Microsoft Graph v1.0 (and the same answers under /beta): the caller's
// organization, applications, service principals and directoryObjects/
// getByIds. The caller is the service principal of the bearer token and
// sees only its own tenant's objects, as in Entra ID.
//
// Permissions are simplified: any signed-in principal may read; writing
// applications and service principals needs one of the directory roles
// Application Administrator, Cloud Application Administrator or Global
// Administrator on the caller's service principal.

// graphCall is one authenticated Graph request with the world locked.
type graphCall struct {
	s       *Server
	w       http.ResponseWriter
	r       *http.Request
	world   *World
	caller  *ServicePrincipal
	tenant  *Tenant
	version string // v1.0 or beta
}

// graphAuthChallenge is the WWW-Authenticate header Graph sends with a 401.
const graphAuthChallenge = `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`

func (s *Server) handleGraph(w http.ResponseWriter, r *http.Request) {
	version, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	c, err := s.bearer(r)
	if err != nil {
		w.Header().Set("WWW-Authenticate", graphAuthChallenge)
		switch {
		case errors.Is(err, errNoToken):
			graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty.")
		case errors.Is(err, jwt.ErrTokenExpired):
			graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")
		default:
			graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure.")
		}
		return
	}
	if !c.HasAudience(AudienceGraph, "00000003-0000-0000-c000-000000000000") {
		w.Header().Set("WWW-Authenticate", graphAuthChallenge)
		graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
		return
	}
	world, unlock := s.lock()
	defer unlock()
	caller := world.ServicePrincipals[c.ObjectID]
	tenant := world.Tenants[c.TenantID]
	if caller == nil || tenant == nil || !strings.EqualFold(caller.TenantID, tenant.ID) {
		graphError(w, http.StatusUnauthorized, "Authorization_IdentityNotFound", "The identity of the calling application could not be established.")
		return
	}
	g := &graphCall{s: s, w: w, r: r, world: world, caller: caller, tenant: tenant, version: version}
	g.route(strings.Split(strings.Trim(rest, "/"), "/"))
}

// route dispatches on the path segments after the version.
func (g *graphCall) route(segs []string) {
	name, keyProp, key, hasKey, ok := parseSegment(segs[0])
	if !ok {
		g.badSegment(segs[0])
		return
	}
	switch strings.ToLower(name) {
	case "organization":
		if len(segs) == 1 && !hasKey && g.method(http.MethodGet) {
			g.organization()
			return
		}
	case "applications":
		g.routeApplications(segs[1:], keyProp, key, hasKey)
		return
	case "serviceprincipals":
		g.routeServicePrincipals(segs[1:], keyProp, key, hasKey)
		return
	case "directoryobjects":
		if len(segs) == 2 && !hasKey && actionName(segs[1]) == "getbyids" && g.method(http.MethodPost) {
			g.getByIDs()
			return
		}
	}
	if len(segs) > 1 {
		g.badSegment(segs[len(segs)-1])
		return
	}
	g.badSegment(segs[0])
}

func (g *graphCall) routeApplications(rest []string, keyProp, key string, hasKey bool) {
	if len(rest) > 0 && !hasKey {
		// applications/{id}/...
		keyProp, key, hasKey, rest = "id", rest[0], true, rest[1:]
	}
	if !hasKey {
		switch g.r.Method {
		case http.MethodGet:
			g.listApplications()
		case http.MethodPost:
			g.createApplication()
		default:
			g.methodNotAllowed()
		}
		return
	}
	app, ok := g.findApplication(keyProp, key)
	if !ok {
		return
	}
	if len(rest) == 0 {
		switch g.r.Method {
		case http.MethodGet:
			g.writeObject(http.StatusOK, "applications/$entity", g.appJSON(app))
		case http.MethodPatch:
			g.updateApplication(app)
		case http.MethodDelete:
			g.deleteApplication(app)
		default:
			g.methodNotAllowed()
		}
		return
	}
	if len(rest) == 1 {
		switch actionName(rest[0]) {
		case "addpassword":
			if g.method(http.MethodPost) {
				g.addPassword(app)
			}
			return
		case "removepassword":
			if g.method(http.MethodPost) {
				g.removePassword(app)
			}
			return
		}
	}
	g.badSegment(rest[len(rest)-1])
}

func (g *graphCall) routeServicePrincipals(rest []string, keyProp, key string, hasKey bool) {
	if len(rest) > 0 && !hasKey {
		keyProp, key, hasKey, rest = "id", rest[0], true, rest[1:]
	}
	if len(rest) == 1 && hasKey && (strings.EqualFold(rest[0], "memberOf") || strings.EqualFold(rest[0], "transitiveMemberOf")) {
		if sp, ok := g.findServicePrincipal(keyProp, key); ok && g.method(http.MethodGet) {
			g.memberOf(sp)
		}
		return
	}
	if len(rest) > 0 {
		g.badSegment(rest[len(rest)-1])
		return
	}
	if !hasKey {
		switch g.r.Method {
		case http.MethodGet:
			g.listServicePrincipals()
		case http.MethodPost:
			g.createServicePrincipal()
		default:
			g.methodNotAllowed()
		}
		return
	}
	sp, ok := g.findServicePrincipal(keyProp, key)
	if !ok {
		return
	}
	switch g.r.Method {
	case http.MethodGet:
		g.writeObject(http.StatusOK, "servicePrincipals/$entity", g.spJSON(sp))
	case http.MethodPatch:
		g.updateServicePrincipal(sp)
	case http.MethodDelete:
		if !g.requireAppAdmin(g.world.appByAppID(sp.AppID)) {
			return
		}
		delete(g.world.ServicePrincipals, sp.ID)
		g.w.WriteHeader(http.StatusNoContent)
	default:
		g.methodNotAllowed()
	}
}

// parseSegment splits "applications(appId='x')" into its name and key.
func parseSegment(seg string) (name, keyProp, key string, hasKey, ok bool) {
	i := strings.IndexByte(seg, '(')
	if i < 0 {
		return seg, "", "", false, true
	}
	if !strings.HasSuffix(seg, ")") {
		return "", "", "", false, false
	}
	name, inner := seg[:i], seg[i+1:len(seg)-1]
	keyProp = "id"
	if p, v, found := strings.Cut(inner, "="); found {
		keyProp, inner = strings.TrimSpace(p), strings.TrimSpace(v)
	}
	if len(inner) < 2 || inner[0] != '\'' || inner[len(inner)-1] != '\'' {
		return "", "", "", false, false
	}
	return name, keyProp, strings.ReplaceAll(inner[1:len(inner)-1], "''", "'"), true, true
}

// actionName is a bound action's name without the optional namespace.
func actionName(seg string) string {
	return strings.TrimPrefix(strings.ToLower(seg), "microsoft.graph.")
}

// Responses.

func (g *graphCall) contextURL(fragment string) string {
	return requestBase(g.r) + "/" + g.version + "/$metadata#" + fragment
}

// writeObject writes one entity with its @odata.context, honouring $select.
func (g *graphCall) writeObject(status int, contextFragment string, obj map[string]any) {
	obj = g.selected(obj)
	obj["@odata.context"] = g.contextURL(contextFragment)
	writeJSON(g.w, status, obj)
}

// writeList writes a collection, honouring $select and $top.
func (g *graphCall) writeList(contextFragment string, items []map[string]any) {
	if top := g.r.URL.Query().Get("$top"); top != "" {
		n, err := strconv.Atoi(top)
		if err != nil || n < 1 || n > 999 {
			graphError(g.w, http.StatusBadRequest, "Request_BadRequest", "Invalid page size specified: '"+top+"'. Must be between 1 and 999 inclusive.")
			return
		}
		if len(items) > n {
			items = items[:n]
		}
	}
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		out = append(out, g.selected(it))
	}
	writeJSON(g.w, http.StatusOK, map[string]any{"@odata.context": g.contextURL(contextFragment), "value": out})
}

// selected keeps only the $select properties (case-insensitive), as Graph does.
func (g *graphCall) selected(obj map[string]any) map[string]any {
	sel := g.r.URL.Query().Get("$select")
	if sel == "" {
		return obj
	}
	out := map[string]any{}
	for _, p := range strings.Split(sel, ",") {
		p = strings.TrimSpace(p)
		for k, v := range obj {
			if strings.EqualFold(k, p) {
				out[k] = v
			}
		}
	}
	return out
}

func (g *graphCall) method(m string) bool {
	if g.r.Method == m {
		return true
	}
	g.methodNotAllowed()
	return false
}

func (g *graphCall) methodNotAllowed() {
	graphError(g.w, http.StatusMethodNotAllowed, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.")
}

func (g *graphCall) badSegment(seg string) {
	graphError(g.w, http.StatusBadRequest, "BadRequest", "Resource not found for the segment '"+seg+"'.")
}

func (g *graphCall) notFound(id string) {
	graphError(g.w, http.StatusNotFound, "Request_ResourceNotFound",
		"Resource '"+id+"' does not exist or one of its queried reference-property objects are not present.")
}

func (g *graphCall) insufficientPrivileges() {
	graphError(g.w, http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
}

func (g *graphCall) badJSON() {
	graphError(g.w, http.StatusBadRequest, "BadRequest",
		"Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
}

func invalidValue(w http.ResponseWriter, prop, resource string) {
	graphError(w, http.StatusBadRequest, "Request_BadRequest",
		"Invalid value specified for property '"+prop+"' of resource '"+resource+"'.")
}

// isAppAdmin reports whether a principal holds a directory role that may
// manage applications and service principals.
func isAppAdmin(sp *ServicePrincipal) bool {
	for _, r := range sp.DirectoryRoles {
		switch r {
		case RoleApplicationAdministrator, RoleCloudApplicationAdministrator, RoleGlobalAdministrator:
			return true
		}
	}
	return false
}

// PermissionOwnedBy is the Graph application permission that lets a
// principal create applications and manage only those it owns.
const PermissionOwnedBy = "Application.ReadWrite.OwnedBy"

// owns reports whether caller may manage app through Application.ReadWrite.OwnedBy.
func owns(caller *ServicePrincipal, app *Application) bool {
	return slices.Contains(caller.GraphPermissions, PermissionOwnedBy) && (app == nil || app.CreatedBy == caller.ID)
}

// requireAppAdmin checks that the caller may manage app (nil: create a new
// one): an application-administering directory role, or OwnedBy on its own.
func (g *graphCall) requireAppAdmin(app *Application) bool {
	if isAppAdmin(g.caller) || owns(g.caller, app) {
		return true
	}
	g.insufficientPrivileges()
	return false
}

// graphTime formats a time as Graph does (UTC, ISO 8601).
func graphTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// applicationByID finds an application by object id, in any case. Expects world.mu held.
func (world *World) applicationByID(id string) *Application {
	if a := world.Applications[id]; a != nil {
		return a
	}
	for _, a := range world.Applications {
		if strings.EqualFold(a.ID, id) {
			return a
		}
	}
	return nil
}

// servicePrincipalByID finds a service principal by object id, in any case. Expects world.mu held.
func (world *World) servicePrincipalByID(id string) *ServicePrincipal {
	if sp := world.ServicePrincipals[id]; sp != nil {
		return sp
	}
	for _, sp := range world.ServicePrincipals {
		if strings.EqualFold(sp.ID, id) {
			return sp
		}
	}
	return nil
}

// Organization.

func (g *graphCall) organization() {
	t := g.tenant
	org := map[string]any{
		"id": t.ID, "deletedDateTime": nil, "businessPhones": []string{}, "city": nil, "country": nil,
		"countryLetterCode": nil, "createdDateTime": nil, "displayName": t.DisplayName, "tenantType": "AAD",
		"marketingNotificationEmails": []string{}, "technicalNotificationMails": []string{},
		"securityComplianceNotificationMails": []string{}, "securityComplianceNotificationPhones": []string{},
		"assignedPlans": []any{}, "provisionedPlans": []any{}, "privacyProfile": nil,
		"verifiedDomains": []map[string]any{{
			"capabilities": "Email, OfficeCommunicationsOnline", "isDefault": true, "isInitial": true,
			"name": t.DefaultDomain, "type": "Managed",
		}},
	}
	g.writeList("organization", []map[string]any{org})
}

// Applications.

func (g *graphCall) appJSON(a *Application) map[string]any {
	pcs := make([]map[string]any, 0, len(a.PasswordCredentials))
	for _, pc := range a.PasswordCredentials {
		pcs = append(pcs, passwordJSON(pc, ""))
	}
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

// findApplication looks an application up in the caller's tenant by object
// id or appId; it answers 400/404 itself.
func (g *graphCall) findApplication(keyProp, key string) (*Application, bool) {
	switch strings.ToLower(keyProp) {
	case "id":
		if _, err := uuid.Parse(key); err != nil {
			graphError(g.w, http.StatusBadRequest, "Request_BadRequest", "Invalid object identifier '"+key+"'.")
			return nil, false
		}
		if a := g.world.applicationByID(key); a != nil && strings.EqualFold(a.TenantID, g.tenant.ID) {
			return a, true
		}
	case "appid":
		if a := g.world.appByAppID(key); a != nil && strings.EqualFold(a.TenantID, g.tenant.ID) {
			return a, true
		}
	default:
		g.badSegment("applications(" + keyProp + "='" + key + "')")
		return nil, false
	}
	g.notFound(key)
	return nil, false
}

func (g *graphCall) tenantApplications() []*Application {
	var out []*Application
	for _, a := range g.world.Applications {
		if strings.EqualFold(a.TenantID, g.tenant.ID) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(x, y *Application) int {
		if c := x.CreatedAt.Compare(y.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(x.ID, y.ID)
	})
	return out
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
	f, ok := g.filter()
	if !ok {
		return
	}
	var items []map[string]any
	for _, a := range g.tenantApplications() {
		if match, err := f.eval(applicationProps(a)); err != nil {
			g.unsupportedFilter(err, "Application")
			return
		} else if match {
			items = append(items, g.appJSON(a))
		}
	}
	g.writeList("applications", items)
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
		pcs := make([]map[string]any, 0, len(app.PasswordCredentials))
		for _, pc := range app.PasswordCredentials {
			pcs = append(pcs, passwordJSON(pc, secrets[pc.KeyID]))
		}
		obj["passwordCredentials"] = pcs
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

// Service principals.

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

func (g *graphCall) findServicePrincipal(keyProp, key string) (*ServicePrincipal, bool) {
	switch strings.ToLower(keyProp) {
	case "id":
		if _, err := uuid.Parse(key); err != nil {
			graphError(g.w, http.StatusBadRequest, "Request_BadRequest", "Invalid object identifier '"+key+"'.")
			return nil, false
		}
		if sp := g.world.servicePrincipalByID(key); sp != nil && strings.EqualFold(sp.TenantID, g.tenant.ID) {
			return sp, true
		}
	case "appid":
		if sp := g.world.spByAppID(g.tenant.ID, key); sp != nil {
			return sp, true
		}
	default:
		g.badSegment("servicePrincipals(" + keyProp + "='" + key + "')")
		return nil, false
	}
	g.notFound(key)
	return nil, false
}

func (g *graphCall) tenantServicePrincipals() []*ServicePrincipal {
	var out []*ServicePrincipal
	for _, sp := range g.world.ServicePrincipals {
		if strings.EqualFold(sp.TenantID, g.tenant.ID) {
			out = append(out, sp)
		}
	}
	slices.SortFunc(out, func(x, y *ServicePrincipal) int {
		if c := x.CreatedAt.Compare(y.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(x.ID, y.ID)
	})
	return out
}

func spProps(world *World, sp *ServicePrincipal) map[string][]string {
	return map[string][]string{
		"id": {sp.ID}, "appid": {sp.AppID}, "displayname": {sp.DisplayName},
		"appownerorganizationid": {sp.AppOwnerOrganizationID}, "serviceprincipaltype": {"Application"},
		"serviceprincipalnames": {sp.AppID}, "tags": world.spTags(sp),
	}
}

func (g *graphCall) listServicePrincipals() {
	f, ok := g.filter()
	if !ok {
		return
	}
	var items []map[string]any
	for _, sp := range g.tenantServicePrincipals() {
		if match, err := f.eval(spProps(g.world, sp)); err != nil {
			g.unsupportedFilter(err, "ServicePrincipal")
			return
		} else if match {
			items = append(items, g.spJSON(sp))
		}
	}
	g.writeList("servicePrincipals", items)
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
		graphError(g.w, http.StatusConflict, "Request_MultipleObjectsWithSameKeyValue",
			"Another object with the same value for property servicePrincipalNames already exists.")
		return
	}
	sp := g.world.createServicePrincipal(g.s.clock.Now(), g.tenant.ID, app, "")
	sp.Notes, sp.Tags = body.Notes, body.Tags
	g.w.Header().Set("Location", requestBase(g.r)+"/v2/"+g.tenant.ID+"/directoryObjects/"+sp.ID+"/Microsoft.DirectoryServices.ServicePrincipal")
	g.writeObject(http.StatusCreated, "servicePrincipals/$entity", g.spJSON(sp))
}

// getByIDs answers POST directoryObjects/getByIds, which the Azure CLI uses
// to learn a principal's type; unknown ids are left out, as in Graph.
func (g *graphCall) getByIDs() {
	var body struct {
		IDs   []string `json:"ids"`
		Types []string `json:"types"`
	}
	if err := decodeJSON(g.r, &body); err != nil {
		g.badJSON()
		return
	}
	if len(body.IDs) == 0 || len(body.IDs) > 1000 {
		invalidValue(g.w, "ids", "DirectoryObject")
		return
	}
	want := func(typ string) bool {
		if len(body.Types) == 0 {
			return true
		}
		return containsFold(body.Types, typ) || containsFold(body.Types, "microsoft.graph."+typ)
	}
	var items []map[string]any
	for _, id := range body.IDs {
		if sp := g.world.servicePrincipalByID(id); sp != nil && strings.EqualFold(sp.TenantID, g.tenant.ID) && want("servicePrincipal") {
			o := g.spJSON(sp)
			o["@odata.type"] = "#microsoft.graph.servicePrincipal"
			items = append(items, o)
			continue
		}
		if a := g.world.applicationByID(id); a != nil && strings.EqualFold(a.TenantID, g.tenant.ID) && want("application") {
			o := g.appJSON(a)
			o["@odata.type"] = "#microsoft.graph.application"
			items = append(items, o)
		}
	}
	g.writeList("directoryObjects", items)
}

// $filter: the subset of OData Graph supports on these collections:
// "p eq 'v'", "p ne 'v'", "startswith(p,'v')", and on multi-valued
// properties the lambda "p/any(x:x eq 'v')" or "p/any(x:startswith(x,'v'))",
// joined with "and"/"or" (and binding tighter), and "not". The lambda is
// Graph's form for collections ("The any operator is required for filter
// expressions on multi-valued properties", application.identifierUris in
// the application resource type); Graph's own examples filter service
// principals with tags/any(t:t eq 'WindowsAzureActiveDirectoryIntegratedApp'),
// and tags supports eq and startsWith (application resource type).

// filterExpr is a parsed $filter; nil matches everything.
type filterExpr interface {
	eval(props map[string][]string) (bool, error)
}

// unsupportedProp is returned by eval for a property the resource cannot filter on.
type unsupportedProp string

func (e unsupportedProp) Error() string { return string(e) }

type filterAll struct{}

func (filterAll) eval(map[string][]string) (bool, error) { return true, nil }

type filterCmp struct {
	// op: eq, ne, startswith; any and anystartswith are the lambda forms
	// (x:x eq 'v' and x:startswith(x,'v')).
	op, prop, value string
}

func (c filterCmp) eval(props map[string][]string) (bool, error) {
	vals, ok := props[strings.ToLower(c.prop)]
	if !ok {
		return false, unsupportedProp(c.prop)
	}
	for _, v := range vals {
		switch c.op {
		case "eq", "any":
			if strings.EqualFold(v, c.value) {
				return true, nil
			}
		case "ne":
			if !strings.EqualFold(v, c.value) {
				return true, nil
			}
		case "startswith", "anystartswith":
			if len(v) >= len(c.value) && strings.EqualFold(v[:len(c.value)], c.value) {
				return true, nil
			}
		}
	}
	return c.op == "ne" && len(vals) == 0, nil
}

type filterBool struct {
	and  bool
	l, r filterExpr
}

func (b filterBool) eval(props map[string][]string) (bool, error) {
	l, err := b.l.eval(props)
	if err != nil {
		return false, err
	}
	r, err := b.r.eval(props)
	if err != nil {
		return false, err
	}
	if b.and {
		return l && r, nil
	}
	return l || r, nil
}

type filterNot struct{ x filterExpr }

func (n filterNot) eval(props map[string][]string) (bool, error) {
	v, err := n.x.eval(props)
	return !v, err
}

// filter parses the request's $filter, answering 400 itself when it cannot.
func (g *graphCall) filter() (filterExpr, bool) {
	raw := strings.TrimSpace(g.r.URL.Query().Get("$filter"))
	if raw == "" {
		return filterAll{}, true
	}
	p := &filterParser{src: raw}
	e, err := p.parse()
	if err != nil {
		graphError(g.w, http.StatusBadRequest, "BadRequest", "Invalid filter clause: "+err.Error())
		return nil, false
	}
	return e, true
}

func (g *graphCall) unsupportedFilter(err error, resource string) {
	var up unsupportedProp
	if errors.As(err, &up) {
		graphError(g.w, http.StatusBadRequest, "Request_UnsupportedQuery",
			"Unsupported or invalid query filter clause specified for property '"+string(up)+"' of resource '"+resource+"'.")
		return
	}
	graphError(g.w, http.StatusBadRequest, "Request_UnsupportedQuery", "Unsupported Query.")
}

// filterParser is a small recursive-descent parser over the $filter text.
type filterParser struct {
	src string
	pos int
}

func (p *filterParser) errorf(format string, args ...any) error {
	return fmt.Errorf("Syntax error at position %d in '%s'. %s", p.pos, p.src, fmt.Sprintf(format, args...))
}

func (p *filterParser) parse() (filterExpr, error) {
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos < len(p.src) {
		return nil, p.errorf("Unexpected '%s'.", p.src[p.pos:])
	}
	return e, nil
}

func (p *filterParser) parseOr() (filterExpr, error) {
	l, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.keyword("or") {
		r, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		l = filterBool{and: false, l: l, r: r}
	}
	return l, nil
}

func (p *filterParser) parseAnd() (filterExpr, error) {
	l, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for p.keyword("and") {
		r, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		l = filterBool{and: true, l: l, r: r}
	}
	return l, nil
}

func (p *filterParser) parseUnary() (filterExpr, error) {
	if p.keyword("not") {
		x, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return filterNot{x}, nil
	}
	p.skipSpace()
	if p.peek('(') {
		p.pos++
		e, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if !p.expect(')') {
			return nil, p.errorf("')' expected.")
		}
		return e, nil
	}
	return p.parseComparison()
}

func (p *filterParser) parseComparison() (filterExpr, error) {
	id := p.ident()
	if id == "" {
		return nil, p.errorf("Expression expected.")
	}
	if strings.EqualFold(id, "startswith") {
		if !p.expect('(') {
			return nil, p.errorf("'(' expected.")
		}
		prop := p.ident()
		if prop == "" || !p.expect(',') {
			return nil, p.errorf("Property and ',' expected.")
		}
		v, err := p.literal()
		if err != nil {
			return nil, err
		}
		if !p.expect(')') {
			return nil, p.errorf("')' expected.")
		}
		return filterCmp{op: "startswith", prop: prop, value: v}, nil
	}
	if p.peek('/') {
		return p.parseLambda(id)
	}
	var op string
	switch {
	case p.keyword("eq"):
		op = "eq"
	case p.keyword("ne"):
		op = "ne"
	default:
		return nil, p.errorf("Operator 'eq' or 'ne' expected after '%s'.", id)
	}
	v, err := p.literal()
	if err != nil {
		return nil, err
	}
	return filterCmp{op: op, prop: id, value: v}, nil
}

// parseLambda parses the rest of "collection/any(x:x eq 'v')" or
// "collection/any(x:startswith(x,'v'))" after the collection's name.
func (p *filterParser) parseLambda(collection string) (filterExpr, error) {
	p.pos++ // the '/'
	if fn := p.ident(); !strings.EqualFold(fn, "any") || !p.expect('(') {
		return nil, p.errorf("'any(' expected.")
	}
	v1 := p.ident()
	if v1 == "" || !p.expect(':') {
		return nil, p.errorf("Lambda variable expected.")
	}
	op := "any"
	if p.keyword("startswith") {
		op = "anystartswith"
		if !p.expect('(') || !strings.EqualFold(p.ident(), v1) || !p.expect(',') {
			return nil, p.errorf("'startswith(%s,' expected.", v1)
		}
	} else if v2 := p.ident(); !strings.EqualFold(v1, v2) || !p.keyword("eq") {
		return nil, p.errorf("'%s eq' expected.", v1)
	}
	v, err := p.literal()
	if err != nil {
		return nil, err
	}
	if op == "anystartswith" && !p.expect(')') {
		return nil, p.errorf("')' expected.")
	}
	if !p.expect(')') {
		return nil, p.errorf("')' expected.")
	}
	return filterCmp{op: op, prop: collection, value: v}, nil
}

func (p *filterParser) skipSpace() {
	for p.pos < len(p.src) && p.src[p.pos] == ' ' {
		p.pos++
	}
}

func (p *filterParser) peek(c byte) bool {
	p.skipSpace()
	return p.pos < len(p.src) && p.src[p.pos] == c
}

func (p *filterParser) expect(c byte) bool {
	if p.peek(c) {
		p.pos++
		return true
	}
	return false
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func (p *filterParser) ident() string {
	p.skipSpace()
	start := p.pos
	for p.pos < len(p.src) && isIdentByte(p.src[p.pos]) {
		p.pos++
	}
	return p.src[start:p.pos]
}

// keyword consumes a whole word such as "and" (case-insensitive).
func (p *filterParser) keyword(kw string) bool {
	p.skipSpace()
	end := p.pos + len(kw)
	if end > len(p.src) || !strings.EqualFold(p.src[p.pos:end], kw) {
		return false
	}
	if end < len(p.src) && isIdentByte(p.src[end]) {
		return false
	}
	p.pos = end
	return true
}

// literal reads a single-quoted string, in which two quotes stand for one.
func (p *filterParser) literal() (string, error) {
	if !p.expect('\'') {
		return "", p.errorf("String literal expected.")
	}
	var b strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		p.pos++
		if c != '\'' {
			b.WriteByte(c)
			continue
		}
		if p.pos < len(p.src) && p.src[p.pos] == '\'' {
			b.WriteByte('\'')
			p.pos++
			continue
		}
		return b.String(), nil
	}
	return "", p.errorf("Unterminated string literal.")
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
func (g *graphCall) memberOf(sp *ServicePrincipal) {
	items := []map[string]any{}
	for _, r := range sp.DirectoryRoles {
		tmpl := directoryRoleTemplates[r]
		items = append(items, map[string]any{
			"@odata.type": "#microsoft.graph.directoryRole", "id": tmpl, "displayName": r,
			"roleTemplateId": tmpl, "description": r + " directory role", "deletedDateTime": nil,
		})
	}
	g.writeList("directoryObjects", items)
}
