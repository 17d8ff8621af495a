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
	// provider is the resource provider namespace; it decides how Resource
	// Manager refuses an unknown api-version (apiVersionOK).
	provider string
	// resourceType names the type in error texts.
	resourceType string
	// versions are the accepted api-versions. Each row names its list, so
	// one row's can change alone; the lists below are those the sandbox
	// accepted before there was a table.
	versions []string
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

// armRoutes are the Resource Manager endpoints the sandbox emulates, with
// each one's api-versions and RBAC action.
var armRoutes = []armRoute{
	// Microsoft.Resources (arm_subscriptions.go): who sees a subscription
	// or a tenant depends on assignments, not on one action.
	{pattern: "/tenants", methods: []string{http.MethodGet}, provider: providerResources, resourceType: "Microsoft.Resources/tenants",
		versions: subscriptionAPIVersions, handle: (*armRequest).listTenants},
	{pattern: "/subscriptions", methods: []string{http.MethodGet}, provider: providerResources, resourceType: "Microsoft.Resources/subscriptions",
		versions: subscriptionAPIVersions, handle: (*armRequest).listSubscriptions},
	{pattern: "/subscriptions/{subscriptionId}", methods: []string{http.MethodGet}, provider: providerResources, resourceType: "Microsoft.Resources/subscriptions",
		versions: subscriptionAPIVersions, handle: (*armRequest).getSubscription},

	// Microsoft.Network virtual networks (arm_network.go) and peerings
	// (arm_peerings.go).
	{pattern: "/subscriptions/{subscriptionId}/providers/Microsoft.Network/virtualNetworks", methods: []string{http.MethodGet},
		provider: providerNetwork, resourceType: vnetType, versions: networkAPIVersions,
		action: ActionVNetRead, listFiltered: true, handle: (*armRequest).listVNets},
	{pattern: "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/virtualNetworks", methods: []string{http.MethodGet},
		provider: providerNetwork, resourceType: vnetType, versions: networkAPIVersions,
		action: ActionVNetRead, listFiltered: true, handle: (*armRequest).listVNets},
	{pattern: "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/virtualNetworks/{virtualNetworkName}", methods: []string{http.MethodGet},
		provider: providerNetwork, resourceType: vnetType, versions: networkAPIVersions,
		action: ActionVNetRead, handle: (*armRequest).getVNet},
	{pattern: "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/virtualNetworks/{virtualNetworkName}/virtualNetworkPeerings", methods: []string{http.MethodGet},
		provider: providerNetwork, resourceType: peeringType, versions: networkAPIVersions,
		action: ActionPeeringRead, handle: (*armRequest).listPeerings},
	{pattern: "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/virtualNetworks/{virtualNetworkName}/virtualNetworkPeerings/{virtualNetworkPeeringName}", methods: []string{http.MethodGet},
		provider: providerNetwork, resourceType: peeringType, versions: networkAPIVersions,
		action: ActionPeeringRead, handle: (*armRequest).getPeering},
	{pattern: "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/virtualNetworks/{virtualNetworkName}/virtualNetworkPeerings/{virtualNetworkPeeringName}", methods: []string{http.MethodPut},
		provider: providerNetwork, resourceType: peeringType, versions: networkAPIVersions,
		action: ActionPeeringWrite, handle: (*armRequest).putPeering},
	{pattern: "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/virtualNetworks/{virtualNetworkName}/virtualNetworkPeerings/{virtualNetworkPeeringName}", methods: []string{http.MethodDelete},
		provider: providerNetwork, resourceType: peeringType, versions: networkAPIVersions,
		action: ActionPeeringDelete, handle: (*armRequest).deletePeering},

	// Microsoft.Network async operations (arm_operations.go): anyone in
	// the subscription's tenant who holds an operation's URL may poll it.
	{pattern: "/subscriptions/{subscriptionId}/providers/Microsoft.Network/locations/{location}/operations/{operationId}", methods: []string{http.MethodGet},
		provider: providerNetwork, resourceType: "locations/operations", versions: networkAPIVersions,
		handle: (*armRequest).operationStatus},
	{pattern: "/subscriptions/{subscriptionId}/providers/Microsoft.Network/locations/{location}/operationResults/{operationId}", methods: []string{http.MethodGet},
		provider: providerNetwork, resourceType: "locations/operations", versions: networkAPIVersions,
		handle: (*armRequest).operationResult},

	// Microsoft.Authorization role definitions (arm_role_definitions.go).
	{pattern: "/{scope}/providers/Microsoft.Authorization/roleDefinitions", methods: []string{http.MethodGet},
		provider: providerAuthorization, resourceType: rbacDefinitionType, versions: rbacAPIVersions,
		action: ActionRoleDefRead, over: "{scope}", openAtRoot: true, handle: (*armRequest).listRoleDefinitions},
	{pattern: "/{scope}/providers/Microsoft.Authorization/roleDefinitions/{roleDefinitionId}", methods: []string{http.MethodGet},
		provider: providerAuthorization, resourceType: rbacDefinitionType, versions: rbacAPIVersions,
		action: ActionRoleDefRead, over: "{scope}/providers/Microsoft.Authorization/roleDefinitions/{roleDefinitionId}", openAtRoot: true,
		handle: (*armRequest).getRoleDefinition},
	{pattern: "/{scope}/providers/Microsoft.Authorization/roleDefinitions/{roleDefinitionId}", methods: []string{http.MethodPut},
		provider: providerAuthorization, resourceType: rbacDefinitionType, versions: rbacAPIVersions,
		action: ActionRoleDefWrite, over: "{scope}/providers/Microsoft.Authorization/roleDefinitions/{roleDefinitionId}",
		handle: (*armRequest).putRoleDefinition},
	{pattern: "/{scope}/providers/Microsoft.Authorization/roleDefinitions/{roleDefinitionId}", methods: []string{http.MethodDelete},
		provider: providerAuthorization, resourceType: rbacDefinitionType, versions: rbacAPIVersions,
		action: ActionRoleDefDelete, over: "{scope}/providers/Microsoft.Authorization/roleDefinitions/{roleDefinitionId}",
		handle: (*armRequest).deleteRoleDefinition},

	// Microsoft.Authorization role assignments (arm_role_assignments.go).
	{pattern: "/{scope}/providers/Microsoft.Authorization/roleAssignments", methods: []string{http.MethodGet},
		provider: providerAuthorization, resourceType: rbacAssignmentType, versions: rbacAPIVersions,
		action: ActionAssignRead, over: "{scope}", handle: (*armRequest).listRoleAssignments},
	{pattern: "/{scope}/providers/Microsoft.Authorization/roleAssignments/{roleAssignmentName}", methods: []string{http.MethodGet},
		provider: providerAuthorization, resourceType: rbacAssignmentType, versions: rbacAPIVersions,
		action: ActionAssignRead, over: "{scope}/providers/Microsoft.Authorization/roleAssignments/{roleAssignmentName}",
		handle: (*armRequest).getRoleAssignment},
	{pattern: "/{scope}/providers/Microsoft.Authorization/roleAssignments/{roleAssignmentName}", methods: []string{http.MethodPut},
		provider: providerAuthorization, resourceType: rbacAssignmentType, versions: rbacAPIVersions,
		action: ActionAssignWrite, over: "{scope}/providers/Microsoft.Authorization/roleAssignments/{roleAssignmentName}",
		handle: (*armRequest).putRoleAssignment},
	{pattern: "/{scope}/providers/Microsoft.Authorization/roleAssignments/{roleAssignmentName}", methods: []string{http.MethodDelete},
		provider: providerAuthorization, resourceType: rbacAssignmentType, versions: rbacAPIVersions,
		action: ActionAssignDelete, over: "{scope}/providers/Microsoft.Authorization/roleAssignments/{roleAssignmentName}",
		handle: (*armRequest).deleteRoleAssignment},

	// Microsoft.Authorization permissions (arm_permissions.go): any
	// signed-in principal may ask about itself.
	{pattern: "/{scope}/providers/Microsoft.Authorization/permissions", methods: []string{http.MethodGet},
		provider: providerAuthorization, resourceType: "Microsoft.Authorization/permissions", versions: rbacAPIVersions,
		handle: (*armRequest).listPermissions},

	// Cloud metadata (arm_subscriptions.go), read before signing in.
	{pattern: "/metadata/endpoints", methods: []string{http.MethodGet, http.MethodHead}, resourceType: "metadata/endpoints", versions: metadataAPIVersions,
		anonymous: true, handle: (*armRequest).metadataEndpoints},
}

// networkAPIVersions are the Microsoft.Network api-versions accepted for
// virtual networks, peerings and operation status.
var networkAPIVersions = []string{
	"2015-06-15", "2016-03-30", "2016-06-01", "2016-07-01", "2016-08-01", "2016-09-01", "2016-10-01",
	"2016-11-01", "2016-12-01", "2017-03-01", "2017-04-01", "2017-06-01", "2017-08-01", "2017-09-01",
	"2017-10-01", "2017-11-01", "2018-01-01", "2018-02-01", "2018-03-01", "2018-04-01", "2018-06-01",
	"2018-07-01", "2018-08-01", "2018-10-01", "2018-11-01", "2018-12-01", "2019-02-01", "2019-04-01",
	"2019-06-01", "2019-07-01", "2019-08-01", "2019-09-01", "2019-11-01", "2019-12-01", "2020-03-01",
	"2020-04-01", "2020-05-01", "2020-06-01", "2020-07-01", "2020-08-01", "2020-11-01", "2021-01-01",
	"2021-02-01", "2021-03-01", "2021-04-01", "2021-05-01", "2021-06-01", "2021-08-01", "2021-12-01",
	"2022-01-01", "2022-05-01", "2022-07-01", "2022-09-01", "2022-11-01", "2023-02-01", "2023-04-01",
	"2023-05-01", "2023-06-01", "2023-09-01", "2023-11-01", "2024-01-01", "2024-03-01", "2024-05-01",
	"2024-07-01", "2024-10-01", "2025-01-01", "2025-03-01", "2025-05-01",
}

// subscriptionAPIVersions are the Microsoft.Resources api-versions accepted
// for /subscriptions and /tenants.
var subscriptionAPIVersions = []string{
	"2014-04-01", "2014-04-01-preview", "2015-01-01", "2016-06-01", "2018-06-01", "2019-06-01",
	"2019-11-01", "2020-01-01", "2021-01-01", "2022-01-01", "2022-09-01", "2022-12-01",
}

// rbacAPIVersions are the Microsoft.Authorization api-versions accepted for
// role definitions and assignments: the Go SDK's and the older ones the
// Azure CLI, PowerShell and ARM templates send.
var rbacAPIVersions = []string{
	"2015-06-01", "2015-07-01", "2017-05-01", "2017-10-01-preview", "2018-01-01-preview",
	"2018-07-01", "2018-09-01-preview", "2018-12-01-preview", "2019-04-01-preview",
	"2020-03-01-preview", "2020-04-01-preview", "2020-08-01-preview", "2020-10-01-preview",
	"2021-04-01-preview", "2022-01-01-preview", "2022-04-01", "2022-05-01-preview",
}

// metadataAPIVersions: 2015-01-01 answers the single-cloud document the
// Azure CLI's "az cloud register" reads; the later ones a list of clouds.
var metadataAPIVersions = []string{"2015-01-01", "2018-01-01", "2019-05-01", "2020-06-01", "2022-09-01"}

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
