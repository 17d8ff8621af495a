package sandbox

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Resource Manager's request pipeline. Every ARM request, whatever its
// resource, takes the same steps in the order Resource Manager takes them,
// once, here; a handler in armRoutes (arm_routes.go) starts where they end:
//
//  1. route: the path and method against armRoutes (segments
//     case-insensitive, as Resource Manager treats them; leading slashes
//     count as one); a path no row has is answered in armUnknownRoute;
//  2. authentication: a bearer token the sandbox issued, for Resource
//     Manager's audience (skipped only by anonymous rows: cloud metadata);
//     only then is a method the path lacks 405;
//  3. the request body, read before the world lock is taken;
//  4. the world lock, held until the handler returns;
//  5. the api-version, against the row's type's list (arm_apiversions.go);
//  6. the subscription (a {subscriptionId} or the subscription of a
//     {scope}) and that the token comes from its tenant;
//  7. RBAC: the row's action, checked against the world's role assignments
//     on the row's scope (403 AuthorizationFailed);
//  8. the handler: the resource provider's own validation and work.
//
// Fault injection (latency, 429, 503, held answers) runs before all of
// this, in ServeHTTP, for every API alike. Errors have Resource Manager's
// one JSON shape (armError).

// armRequest is one Resource Manager request that passed the pipeline:
// the handler's whole context.
type armRequest struct {
	s     *Server
	world *World // locked for the request's lifetime
	w     http.ResponseWriter
	r     *http.Request
	c     *Claims // nil on an anonymous route
	route *armRoute
	// params are the path's named segments, as sent ({name} in the pattern).
	params map[string]string
	// scope is a {scope} route's scope: "" (tenant root) or a path under
	// /subscriptions/{id}, without a trailing slash.
	scope string
	// sub is the subscription of the request ({subscriptionId} or the
	// scope's); nil when there is none.
	sub *Subscription
	// permitted is whether the caller holds the row's action on its whole
	// scope; only listFiltered rows get this far without it.
	permitted bool
}

// handleARM is Resource Manager's one entry point.
func (s *Server) handleARM(w http.ResponseWriter, r *http.Request) {
	segs := armSegments(r.URL.Path)
	route, params, methodOK := matchARMRoute(segs, r.Method)
	if route == nil {
		s.armUnknownRoute(w, r, segs)
		return
	}
	setRouteTemplate(r, route.pattern)
	var c *Claims
	if !route.anonymous {
		var ok bool
		if c, ok = s.armAuthenticate(w, r); !ok {
			return
		}
	}
	if !methodOK {
		methodNotAllowed(w, r)
		return
	}
	if r.Method == http.MethodPut || r.Method == http.MethodPatch || r.Method == http.MethodPost {
		// Read the body before taking the world lock, so a slow client
		// cannot hold up everyone else; a body that is too long or cut
		// short fails to decode later, as any malformed body does.
		body, _ := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	world, unlock := s.lock()
	defer unlock()
	q := &armRequest{s: s, world: world, w: w, r: r, c: c, route: route, params: params}
	if _, scoped := params[armScopeParam]; scoped {
		q.scope = normalizeScope(params[armScopeParam])
	}
	if !q.apiVersionOK() || !q.subscriptionOK() || !q.authorized() {
		return
	}
	route.handle(q)
}

// armAuthenticate checks the bearer token and its audience, answering 401
// with Resource Manager's texts itself: AuthenticationFailed as in
// hashicorp/terraform-provider-azurerm#3612 ("Authentication failed. The
// 'Authorization' header is missing."), InvalidAuthenticationTokenAudience
// as in Azure-Samples/active-directory-dotnetcore-daemon-v2#145 (with the
// four allowed audiences in that order).
func (s *Server) armAuthenticate(w http.ResponseWriter, r *http.Request) (*Claims, bool) {
	c, err := s.bearer(r)
	switch {
	case errors.Is(err, errNoToken):
		// For a request under a subscription, the challenge names the
		// subscription's tenant: "make an unauthenticated request to
		// https://management.azure.com/subscriptions/{id}?api-version=…
		// and the WWW-Authenticate header has authorization_uri=
		// "https://login.windows.net/{tenantId}"" (Shawn Tabrizi, "Secret
		// APIs in Azure Active Directory and Azure Resource Manager";
		// tools find a subscription's tenant that way).
		authURI := s.url + "/common/oauth2/authorize"
		if tenant := s.subscriptionTenantOfPath(r.URL.Path); tenant != "" {
			authURI = "https://login.windows.net/" + tenant
		}
		w.Header().Set("WWW-Authenticate", `Bearer authorization_uri="`+authURI+`", error="invalid_token", error_description="The authentication failed because of missing 'Authorization' header."`)
		armError(w, http.StatusUnauthorized, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
		return nil, false
	case errors.Is(err, jwt.ErrTokenExpired) && c != nil:
		// The text quotes both times as .NET prints them
		// (microsoft/foundry-dev-tools#461: "The access token expiry UTC
		// time '6/15/2026 8:22:51 AM' is earlier than current UTC time
		// '6/15/2026 9:27:25 AM'."; microsoft/vscode-azureappservice#2483).
		// Token expiry is wall-clock time (issueToken). The challenge
		// header is the sandbox's own, shaped like wrongTenant's.
		const dotNet = "1/2/2006 3:04:05 PM"
		msg := fmt.Sprintf("The access token expiry UTC time '%s' is earlier than current UTC time '%s'.",
			c.ExpiresAt.UTC().Format(dotNet), time.Now().UTC().Format(dotNet))
		w.Header().Set("WWW-Authenticate", `Bearer authorization_uri="https://login.windows.net/`+c.TenantID+`", error="invalid_token", error_description="`+msg+`"`)
		armError(w, http.StatusUnauthorized, "ExpiredAuthenticationToken", msg)
		return nil, false
	case err != nil:
		armError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "The access token is invalid.")
		return nil, false
	}
	if !c.HasAudience(AudienceARM, "https://management.azure.com/", "https://management.core.windows.net") {
		armError(w, http.StatusUnauthorized, "InvalidAuthenticationTokenAudience",
			fmt.Sprintf("The access token has been obtained for wrong audience or resource '%s'. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'.", c.Aud))
		return nil, false
	}
	return c, true
}

// doubleSlash matches the empty parentResourcePath the SDK leaves in
// .../providers/Microsoft.Network//virtualNetworks/...
var doubleSlash = regexp.MustCompile(`/{2,}`)

// normalizeScope makes a {scope} the scope it names: without empty
// segments or a trailing slash, and for
// GET /providers/Microsoft.Authorization/roleAssignments/{full id} the id's
// own scope (the id names its scope).
func normalizeScope(scope string) string {
	scope = strings.TrimRight(doubleSlash.ReplaceAllString(scope, "/"), "/")
	if len(scope) > len(rbacAssignmentsPath) && strings.EqualFold(scope[:len(rbacAssignmentsPath)], rbacAssignmentsPath) {
		scope = "/" + strings.TrimLeft(scope[len(rbacAssignmentsPath):], "/")
	}
	return scope
}

// locations lists the regions of the world's networks, for error texts.
func (world *World) locations() []string {
	var out []string
	for _, v := range world.VNets {
		if !slices.Contains(out, v.Location) {
			out = append(out, v.Location)
		}
	}
	sort.Strings(out)
	return out
}

// subscriptionOK finds the subscription the request names, as a
// {subscriptionId} (which must be a guid: InvalidSubscriptionId, as in
// Azure/apiops#460) or as its scope's first segments, and checks that it
// exists (SubscriptionNotFound, as in Azure/azure-cli#33657) and that the
// token comes from its tenant. A scope at the tenant root names none; a
// scope outside any subscription (management groups, other extension
// scopes) is not emulated.
func (q *armRequest) subscriptionOK() bool {
	id, named := q.params["subscriptionId"]
	switch {
	case named && !isGUID(id):
		armError(q.w, http.StatusBadRequest, "InvalidSubscriptionId",
			fmt.Sprintf("The provided subscription identifier '%s' is malformed or invalid.", id))
		return false
	case named:
	case q.scope == "":
		return true
	default:
		if id = subscriptionOf(q.scope); id == "" {
			notFound(q.w, APIARM, q.r)
			return false
		}
	}
	sub := q.world.subscriptionByID(id)
	if sub == nil {
		armError(q.w, http.StatusNotFound, "SubscriptionNotFound", fmt.Sprintf("The subscription '%s' could not be found.", id))
		return false
	}
	if !strings.EqualFold(sub.TenantID, q.c.TenantID) {
		wrongTenant(q.w, q.c.TenantID, sub.TenantID)
		return false
	}
	q.sub = sub
	return true
}

// subscriptionTenantOfPath is the tenant of the subscription a path is
// under, or "" (no subscription, or one the world does not have).
func (s *Server) subscriptionTenantOfPath(path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if len(segs) < 2 || !strings.EqualFold(segs[0], "subscriptions") {
		return ""
	}
	world, unlock := s.lock()
	defer unlock()
	for id, sub := range world.Subscriptions {
		if strings.EqualFold(id, segs[1]) {
			return sub.TenantID
		}
	}
	return ""
}

// wrongTenant answers a token from another tenant than the subscription's,
// with the text in full as Azure/LogicAppsUX#9068 shows it.
func wrongTenant(w http.ResponseWriter, tokenTenant, subTenant string) {
	w.Header().Set("WWW-Authenticate", `Bearer authorization_uri="https://login.windows.net/`+subTenant+`", error="invalid_token", error_description="The access token is from the wrong issuer."`)
	armError(w, http.StatusUnauthorized, "InvalidAuthenticationTokenTenant", fmt.Sprintf(
		"The access token is from the wrong issuer 'https://sts.windows.net/%s/'. It must match the tenant 'https://sts.windows.net/%s/' associated with this subscription. Please use the authority (URL) 'https://login.windows.net/%s' to get the token. Note, if the subscription is transferred to another tenant there is no impact to the services, but information about new tenant could take time to propagate (up to an hour). If you just transferred your subscription and see this error message, please try back later.",
		tokenTenant, subTenant, subTenant))
}

// authorized checks the row's RBAC action for the caller on the row's
// scope, with the role-propagation delay applied, answering 403
// AuthorizationFailed if the caller lacks it.
func (q *armRequest) authorized() bool {
	rt := q.route
	if rt.action == "" {
		return true
	}
	if _, scoped := q.params[armScopeParam]; scoped && q.scope == "" && rt.openAtRoot {
		return true
	}
	resource := q.rbacScope()
	q.permitted = q.world.can(q.s.clock, q.c.ObjectID, rt.action, resource)
	if q.permitted || rt.listFiltered {
		return true
	}
	authorizationFailed(q.w, q.c, rt.action, resource)
	return false
}

// rbacScope is the scope the row's action is checked on: the row's over
// template with the request's parameters (and the normalized {scope})
// filled in, or the request path; the tenant root is "/".
func (q *armRequest) rbacScope() string {
	if q.route.over == "" {
		return q.requestScope()
	}
	out := expandPattern(q.route.over, func(name string) string {
		if name == armScopeParam {
			return q.scope
		}
		return q.params[name]
	})
	if out == "" {
		return "/"
	}
	return out
}

// authorizationFailed writes Resource Manager's AuthorizationFailed; for a
// service principal the "client" is its object id too, as in
// Azure/ARO-RP#66; for a person it is their sign-in name ("The client
// 'live.com#alonsodm@yahoo.es' with object id '…'", Azure/azure-cli#30789,
// a guest's unique_name).
func authorizationFailed(w http.ResponseWriter, c *Claims, action, scope string) {
	w.Header().Set("x-ms-failure-cause", "gateway")
	client := c.ObjectID
	if c.IsUser() && c.UniqueName != "" {
		client = c.UniqueName
	}
	armError(w, http.StatusForbidden, "AuthorizationFailed", fmt.Sprintf(
		"The client '%s' with object id '%s' does not have authorization to perform action '%s' over scope '%s' or the scope is invalid. If access was recently granted, please refresh your credentials.",
		client, c.ObjectID, action, scope))
}

// methodNotAllowed answers a verb the resource does not support here. The
// text is Resource Manager's (Azure/azure-service-operator#2362, a PUT on
// .../virtualNetworks/{vnet}/subnets/); the real answer carries it as a
// bare {"Message": ...}, the sandbox in Resource Manager's error envelope
// with a code, which is what clients read.
func methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	armError(w, http.StatusMethodNotAllowed, "MethodNotAllowed",
		fmt.Sprintf("The requested resource does not support http method '%s'.", r.Method))
}

// decodeBody decodes the JSON request body into v, answering
// InvalidRequestContent if it cannot.
func (q *armRequest) decodeBody(v any) bool {
	if err := decodeJSON(q.r, v); err != nil {
		q.badBody(err.Error())
		return false
	}
	return true
}

// decodeGUIDPut decodes a PUT's body into body and checks that the
// resource's name, the path parameter param, is a GUID, answering with
// invalid when it is not. A body that does not decode is refused first.
// It returns the name and whether the handler goes on.
func (q *armRequest) decodeGUIDPut(param string, body any, invalid func(w http.ResponseWriter, name string)) (string, bool) {
	name := q.params[param]
	if !q.decodeBody(body) {
		return "", false
	}
	if !isGUID(name) {
		invalid(q.w, name)
		return "", false
	}
	return name, true
}

// badBody answers a request body that does not decode, or lacks what the
// resource requires (detail says which).
func (q *armRequest) badBody(detail string) {
	armError(q.w, http.StatusBadRequest, "InvalidRequestContent",
		fmt.Sprintf("The request content was invalid and could not be deserialized: '%s'.", detail))
}

// requestScope is the request path as a scope for error texts.
func (q *armRequest) requestScope() string { return "/" + strings.Trim(q.r.URL.Path, "/") }

// armBase is the scheme and host the client used, for absolute links.
func armBase(r *http.Request) string { return "https://" + r.Host }

func isGUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}

// stableGUID derives a resource's resourceGuid from its identity, so it
// stays the same across restarts without being stored.
func stableGUID(parts ...string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("azpeer-sandbox:"+strings.ToLower(strings.Join(parts, "|")))).String()
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
