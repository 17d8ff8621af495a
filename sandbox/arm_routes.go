package sandbox

import (
	"net/http"
	"slices"
	"strings"
)

// armRoute is one Resource Manager endpoint: what handleARM checks before
// the handler runs. A new endpoint is one row here and its handler.
type armRoute struct {
	// pattern is the path as the REST specs (azure-rest-api-specs) write
	// it: literal segments and {name} parameters (one non-empty segment
	// each). Literals match without regard to case, as Resource Manager
	// matches them: armauthorization/v2's PermissionsClient sends
	// .../resourcegroups/..., armnetwork .../resourceGroups/.... {scope},
	// only as the first segment, is a scope of any length, the tenant root
	// ("") included, as in the specs'
	// /{scope}/providers/Microsoft.Authorization/roleAssignments/{roleAssignmentName}.
	pattern string
	methods []string
	// versions are the row's resource type's api-versions, with its
	// namespace and name for the errors that refuse others: one list per
	// type, in arm_apiversions.go.
	versions *apiVersionList
	// action is the RBAC action the caller needs ("" for none: the
	// handler decides who may see what).
	action string
	// over is the pattern of the scope action is checked on, filled in
	// from the request; "" checks it on the request path as sent.
	over string
	// openAtRoot: at the tenant root (an empty {scope}) the action is not
	// checked; anyone signed in may read role definitions there.
	openAtRoot bool
	// listFiltered: a caller without action on the whole scope is not
	// refused; the handler lists what it may see (armRequest.permitted).
	listFiltered bool
	// anonymous: no token needed (cloud metadata).
	anonymous bool
	handle    func(*armRequest)
}

// Resource provider namespaces of the emulated types.
const (
	providerNetwork       = "Microsoft.Network"
	providerResources     = "Microsoft.Resources"
	providerAuthorization = "Microsoft.Authorization"
)

// armScopeParam is the parameter that spans segments.
const armScopeParam = "scope"

// Path patterns the rows share, as the REST specs write them. The
// ...Over forms lack the leading "/": they are the scopes rbacScope checks
// an action on, filled in with a {scope} that has its own.
const (
	subscriptionPattern    = "/subscriptions/{subscriptionId}"
	vnetsPattern           = subscriptionPattern + "/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/virtualNetworks"
	vnetPattern            = vnetsPattern + "/{virtualNetworkName}"
	peeringsPattern        = vnetPattern + "/virtualNetworkPeerings"
	peeringPattern         = peeringsPattern + "/{virtualNetworkPeeringName}"
	networkLocationPattern = subscriptionPattern + "/providers/Microsoft.Network/locations/{location}"
	roleDefinitionsOver    = "{scope}/providers/Microsoft.Authorization/roleDefinitions"
	roleDefinitionOver     = roleDefinitionsOver + "/{roleDefinitionId}"
	roleAssignmentsOver    = "{scope}/providers/Microsoft.Authorization/roleAssignments"
	roleAssignmentOver     = roleAssignmentsOver + "/{roleAssignmentName}"
)

// armRoutes are the Resource Manager endpoints the sandbox emulates, with
// each one's api-versions and RBAC action.
var armRoutes = []armRoute{
	// Microsoft.Resources (arm_subscriptions.go): who sees a subscription
	// or a tenant depends on assignments, not on one action.
	{pattern: "/tenants", methods: []string{http.MethodGet}, versions: tenantAPIVersions, handle: (*armRequest).listTenants},
	{pattern: "/subscriptions", methods: []string{http.MethodGet}, versions: subscriptionAPIVersions, handle: (*armRequest).listSubscriptions},
	{pattern: subscriptionPattern, methods: []string{http.MethodGet}, versions: subscriptionAPIVersions, handle: (*armRequest).getSubscription},

	// Microsoft.Network virtual networks (arm_network.go) and peerings
	// (arm_peerings.go).
	{pattern: subscriptionPattern + "/providers/Microsoft.Network/virtualNetworks", methods: []string{http.MethodGet}, versions: vnetAPIVersions, action: ActionVNetRead, listFiltered: true, handle: (*armRequest).listVNets},
	{pattern: vnetsPattern, methods: []string{http.MethodGet}, versions: vnetAPIVersions, action: ActionVNetRead, listFiltered: true, handle: (*armRequest).listVNets},
	{pattern: vnetPattern, methods: []string{http.MethodGet}, versions: vnetAPIVersions, action: ActionVNetRead, handle: (*armRequest).getVNet},
	{pattern: vnetPattern, methods: []string{http.MethodPut}, versions: vnetAPIVersions, action: ActionVNetWrite, handle: (*armRequest).putVNet},
	{pattern: peeringsPattern, methods: []string{http.MethodGet}, versions: peeringAPIVersions, action: ActionPeeringRead, handle: (*armRequest).listPeerings},
	{pattern: peeringPattern, methods: []string{http.MethodGet}, versions: peeringAPIVersions, action: ActionPeeringRead, handle: (*armRequest).getPeering},
	{pattern: peeringPattern, methods: []string{http.MethodPut}, versions: peeringAPIVersions, action: ActionPeeringWrite, handle: (*armRequest).putPeering},
	{pattern: peeringPattern, methods: []string{http.MethodDelete}, versions: peeringAPIVersions, action: ActionPeeringDelete, handle: (*armRequest).deletePeering},

	// Microsoft.Network async operations (arm_operations.go): anyone in
	// the subscription's tenant who holds an operation's URL may poll it.
	{pattern: networkLocationPattern + "/operations/{operationId}", methods: []string{http.MethodGet}, versions: networkOperationAPIVersions, handle: (*armRequest).operationStatus},
	{pattern: networkLocationPattern + "/operationResults/{operationId}", methods: []string{http.MethodGet}, versions: networkOperationAPIVersions, handle: (*armRequest).operationResult},

	// Microsoft.Authorization role definitions (arm_role_definitions.go).
	{pattern: "/" + roleDefinitionsOver, methods: []string{http.MethodGet}, versions: rbacDefinitionAPIVersions, action: ActionRoleDefRead, over: "{scope}", openAtRoot: true, handle: (*armRequest).listRoleDefinitions},
	{pattern: "/" + roleDefinitionOver, methods: []string{http.MethodGet}, versions: rbacDefinitionAPIVersions, action: ActionRoleDefRead, over: roleDefinitionOver, openAtRoot: true, handle: (*armRequest).getRoleDefinition},
	{pattern: "/" + roleDefinitionOver, methods: []string{http.MethodPut}, versions: rbacDefinitionAPIVersions, action: ActionRoleDefWrite, over: roleDefinitionOver, handle: (*armRequest).putRoleDefinition},
	{pattern: "/" + roleDefinitionOver, methods: []string{http.MethodDelete}, versions: rbacDefinitionAPIVersions, action: ActionRoleDefDelete, over: roleDefinitionOver, handle: (*armRequest).deleteRoleDefinition},

	// Microsoft.Authorization role assignments (arm_role_assignments.go).
	{pattern: "/" + roleAssignmentsOver, methods: []string{http.MethodGet}, versions: rbacAssignmentAPIVersions, action: ActionAssignRead, over: "{scope}", handle: (*armRequest).listRoleAssignments},
	{pattern: "/" + roleAssignmentOver, methods: []string{http.MethodGet}, versions: rbacAssignmentAPIVersions, action: ActionAssignRead, over: roleAssignmentOver, handle: (*armRequest).getRoleAssignment},
	{pattern: "/" + roleAssignmentOver, methods: []string{http.MethodPut}, versions: rbacAssignmentAPIVersions, action: ActionAssignWrite, over: roleAssignmentOver, handle: (*armRequest).putRoleAssignment},
	{pattern: "/" + roleAssignmentOver, methods: []string{http.MethodDelete}, versions: rbacAssignmentAPIVersions, action: ActionAssignDelete, over: roleAssignmentOver, handle: (*armRequest).deleteRoleAssignment},

	// Microsoft.Authorization permissions (arm_permissions.go): any
	// signed-in principal may ask about itself.
	{pattern: "/{scope}/providers/Microsoft.Authorization/permissions", methods: []string{http.MethodGet}, versions: rbacPermissionAPIVersions, handle: (*armRequest).listPermissions},

	// Cloud metadata (arm_subscriptions.go), read before signing in.
	{pattern: "/metadata/endpoints", methods: []string{http.MethodGet, http.MethodHead}, versions: metadataAPIVersions, anonymous: true, handle: (*armRequest).metadataEndpoints},
}

// matchARMRoute finds the row for a path (its segments, split on "/") and
// method. methodOK is false when the path matches a row but the method
// none: the answer is 405, not 404.
func matchARMRoute(segs []string, method string) (route *armRoute, params map[string]string, methodOK bool) {
	for i := range armRoutes {
		rt := &armRoutes[i]
		p, ok := rt.match(segs)
		if !ok {
			continue
		}
		if slices.Contains(rt.methods, method) {
			return rt, p, true
		}
		if route == nil {
			route, params = rt, p
		}
	}
	return route, params, false
}

// match matches the path's segments against the row's pattern.
func (rt *armRoute) match(segs []string) (map[string]string, bool) {
	pat := strings.Split(strings.Trim(rt.pattern, "/"), "/")
	params := map[string]string{}
	if pat[0] == "{"+armScopeParam+"}" {
		pat = pat[1:]
		if len(segs) < len(pat) {
			return nil, false
		}
		n := len(segs) - len(pat)
		params[armScopeParam] = ""
		if n > 0 {
			params[armScopeParam] = "/" + strings.Join(segs[:n], "/")
		}
		segs = segs[n:]
	}
	if len(pat) != len(segs) {
		return nil, false
	}
	for i, p := range pat {
		if name, ok := strings.CutPrefix(p, "{"); ok {
			if segs[i] == "" {
				return nil, false
			}
			params[strings.TrimSuffix(name, "}")] = segs[i]
		} else if !strings.EqualFold(p, segs[i]) {
			return nil, false
		}
	}
	return params, true
}

// expandPattern fills a pattern's {name} parameters in with value(name).
func expandPattern(pattern string, value func(name string) string) string {
	var b strings.Builder
	for {
		open := strings.IndexByte(pattern, '{')
		end := strings.IndexByte(pattern, '}')
		if open < 0 || end < open {
			b.WriteString(pattern)
			return b.String()
		}
		b.WriteString(pattern[:open])
		b.WriteString(value(pattern[open+1 : end]))
		pattern = pattern[end+1:]
	}
}
