package sandbox

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
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
//
// This file is the request pipeline (token, caller, world lock), the OData
// path router and what every resource shares; applications are in
// graph_applications.go, service principals in graph_service_principals.go,
// what both are (directory objects), the organization and getByIds in
// graph_directory.go, $filter in graph_filter.go, and PATCH with the
// free-form fields in graph_update.go.

// graphCall is one authenticated Graph request with the world locked.
type graphCall struct {
	s      *Server
	w      http.ResponseWriter
	r      *http.Request
	world  *World
	caller *ServicePrincipal
	// user is the signed-in person for a user's token (caller is then
	// User.asCaller), nil for an app's.
	user    *User
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
	var user *User
	if c.IsUser() {
		if user = world.Users[c.ObjectID]; user != nil {
			caller = user.asCaller()
		} else {
			caller = nil
		}
	}
	tenant := world.Tenants[c.TenantID]
	if caller == nil || tenant == nil || !strings.EqualFold(caller.TenantID, tenant.ID) {
		graphError(w, http.StatusUnauthorized, "Authorization_IdentityNotFound", "The identity of the calling application could not be established.")
		return
	}
	g := &graphCall{s: s, w: w, r: r, world: world, caller: caller, user: user, tenant: tenant, version: version}
	segs := strings.Split(strings.Trim(rest, "/"), "/")
	setRouteTemplate(r, graphTemplate(version, segs))
	g.route(segs)
}

// graphTemplate is the request's path with its keys as {id}, for the
// request log: /v1.0/applications/{id}/addPassword,
// /v1.0/servicePrincipals(appId={id}).
func graphTemplate(version string, segs []string) string {
	out := []string{"", version}
	for _, seg := range segs {
		switch name, keyProp, _, hasKey, ok := parseSegment(seg); {
		case ok && hasKey:
			out = append(out, name+"("+keyProp+"={id})")
		case isGUID(seg):
			out = append(out, "{id}")
		default:
			out = append(out, seg)
		}
	}
	return strings.Join(out, "/")
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
	case "me":
		if !hasKey {
			g.routeMe(segs[1:])
			return
		}
	case "users":
		g.routeUsers(segs[1:], keyProp, key, hasKey)
		return
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
	rest, keyProp, key, hasKey = memberKey(rest, keyProp, key, hasKey)
	if !hasKey {
		g.byMethod(map[string]func(){http.MethodGet: g.listApplications, http.MethodPost: g.createApplication})
		return
	}
	app, ok := g.findApplication(keyProp, key)
	if !ok {
		return
	}
	if len(rest) == 0 {
		g.byMethod(map[string]func(){
			http.MethodGet:    func() { g.writeObject(http.StatusOK, "applications/$entity", g.appJSON(app)) },
			http.MethodPatch:  func() { g.updateApplication(app) },
			http.MethodDelete: func() { g.deleteApplication(app) },
		})
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
	rest, keyProp, key, hasKey = memberKey(rest, keyProp, key, hasKey)
	if len(rest) == 1 && hasKey && isMemberships(rest[0]) {
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
		g.byMethod(map[string]func(){http.MethodGet: g.listServicePrincipals, http.MethodPost: g.createServicePrincipal})
		return
	}
	sp, ok := g.findServicePrincipal(keyProp, key)
	if !ok {
		return
	}
	g.byMethod(map[string]func(){
		http.MethodGet:    func() { g.writeObject(http.StatusOK, "servicePrincipals/$entity", g.spJSON(sp)) },
		http.MethodPatch:  func() { g.updateServicePrincipal(sp) },
		http.MethodDelete: func() { g.deleteServicePrincipal(sp) },
	})
}

// memberKey reads the member of a collection that a path names after the
// collection's segment: applications/{id}/... is applications('{id}')/...
// (a key in the segment itself, as in applications(appId='x'), stays).
func memberKey(rest []string, keyProp, key string, hasKey bool) ([]string, string, string, bool) {
	if len(rest) > 0 && !hasKey {
		return rest[1:], "id", rest[0], true
	}
	return rest, keyProp, key, hasKey
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
	writeJSON(g.w, http.StatusOK, map[string]any{"@odata.context": g.contextURL(contextFragment), "value": mapped(items, g.selected)})
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

// byMethod runs the handler for the request's method, or answers 405.
func (g *graphCall) byMethod(handlers map[string]func()) {
	if h, ok := handlers[g.r.Method]; ok {
		h()
		return
	}
	g.methodNotAllowed()
}

// method reports whether the request uses m, answering 405 if not.
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
