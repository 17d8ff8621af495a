package sandbox

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestARMRouteTable checks every row is complete: a handler, methods and
// api-versions, and an over pattern that names only the row's parameters.
func TestARMRouteTable(t *testing.T) {
	seen := map[string]bool{}
	for _, rt := range armRoutes {
		if rt.handle == nil || len(rt.methods) == 0 || rt.versions == nil || len(rt.versions.specs) == 0 || rt.versions.typ == "" {
			t.Errorf("%s: row is incomplete: %+v", rt.pattern, rt)
		}
		for _, m := range rt.methods {
			key := m + " " + strings.ToLower(rt.pattern)
			if seen[key] {
				t.Errorf("%s twice in the table", key)
			}
			seen[key] = true
		}
		if rt.over != "" && rt.action == "" {
			t.Errorf("%s: over without an action", rt.pattern)
		}
		params := map[string]bool{}
		for _, seg := range strings.Split(rt.pattern, "/") {
			if name, ok := strings.CutPrefix(seg, "{"); ok {
				params[strings.TrimSuffix(name, "}")] = true
			}
		}
		expandPattern(rt.over, func(name string) string {
			if !params[name] {
				t.Errorf("%s: over names {%s}, which the pattern lacks", rt.pattern, name)
			}
			return ""
		})
	}
}

func TestMatchARMRoute(t *testing.T) {
	const sub = "00000000-0000-0000-0000-000000000001"
	peering := "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/virtualNetworkPeerings/p"
	for _, tc := range []struct {
		name, method, path string
		// pattern is the matched row's ("" for none).
		pattern  string
		methodOK bool
		params   map[string]string
	}{
		{"list subscriptions", http.MethodGet, "/subscriptions", "/subscriptions", true, map[string]string{}},
		{"trailing slash", http.MethodGet, "/subscriptions/", "/subscriptions", true, map[string]string{}},
		{"segments in any case, parameters as sent", http.MethodGet,
			"/SUBSCRIPTIONS/" + sub + "/resourcegroups/Rg-Legacy/providers/microsoft.network/virtualnetworks/Legacy-VNet",
			"/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/virtualNetworks/{virtualNetworkName}", true,
			map[string]string{"subscriptionId": sub, "resourceGroupName": "Rg-Legacy", "virtualNetworkName": "Legacy-VNet"}},
		{"one pattern, a row per method", http.MethodDelete, peering,
			"/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/virtualNetworks/{virtualNetworkName}/virtualNetworkPeerings/{virtualNetworkPeeringName}", true,
			map[string]string{"subscriptionId": sub, "resourceGroupName": "rg", "virtualNetworkName": "v", "virtualNetworkPeeringName": "p"}},
		{"a method no row has", http.MethodPatch, peering,
			"/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/virtualNetworks/{virtualNetworkName}/virtualNetworkPeerings/{virtualNetworkPeeringName}", false,
			map[string]string{"subscriptionId": sub, "resourceGroupName": "rg", "virtualNetworkName": "v", "virtualNetworkPeeringName": "p"}},
		{"an empty segment matches no parameter", http.MethodGet, "/subscriptions/" + sub + "/resourceGroups//providers/Microsoft.Network/virtualNetworks", "", false, nil},
		{"unknown path", http.MethodGet, "/subscriptions/" + sub + "/providers/Microsoft.Compute/virtualMachines", "", false, nil},
		{"scope at the tenant root", http.MethodGet, "/providers/Microsoft.Authorization/roleDefinitions",
			"/{scope}/providers/Microsoft.Authorization/roleDefinitions", true, map[string]string{"scope": ""}},
		{"scope of a resource", http.MethodPut, "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Authorization/roleAssignments/g",
			"/{scope}/providers/Microsoft.Authorization/roleAssignments/{roleAssignmentName}", true,
			map[string]string{"scope": "/subscriptions/" + sub + "/resourceGroups/rg", "roleAssignmentName": "g"}},
		{"an assignment by its full id", http.MethodGet,
			"/providers/Microsoft.Authorization/roleAssignments//subscriptions/" + sub + "/providers/Microsoft.Authorization/roleAssignments/g",
			"/{scope}/providers/Microsoft.Authorization/roleAssignments/{roleAssignmentName}", true,
			map[string]string{"scope": "/providers/Microsoft.Authorization/roleAssignments//subscriptions/" + sub, "roleAssignmentName": "g"}},
		{"permissions under an empty parent path", http.MethodGet,
			"/subscriptions/" + sub + "/resourcegroups/rg/providers/Microsoft.Network//virtualNetworks/v/providers/Microsoft.Authorization/permissions",
			"/{scope}/providers/Microsoft.Authorization/permissions", true,
			map[string]string{"scope": "/subscriptions/" + sub + "/resourcegroups/rg/providers/Microsoft.Network//virtualNetworks/v"}},
		{"anonymous metadata", http.MethodHead, "/metadata/endpoints", "/metadata/endpoints", true, map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt, params, ok := matchARMRoute(strings.Split(strings.Trim(tc.path, "/"), "/"), tc.method)
			got := ""
			if rt != nil {
				got = rt.pattern
			}
			if got != tc.pattern || ok != tc.methodOK {
				t.Fatalf("matched %q (method ok %v), want %q (%v)", got, ok, tc.pattern, tc.methodOK)
			}
			if rt != nil && !maps.Equal(params, tc.params) {
				t.Errorf("params = %v, want %v", params, tc.params)
			}
			if ok && !slices.Contains(rt.methods, tc.method) {
				t.Errorf("row %s does not serve %s", rt.pattern, tc.method)
			}
		})
	}
}

func TestNormalizeScope(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"/subscriptions/s", "/subscriptions/s"},
		{"/subscriptions/s/", "/subscriptions/s"},
		{"/subscriptions/s/resourcegroups/rg/providers/Microsoft.Network//virtualNetworks/v", "/subscriptions/s/resourcegroups/rg/providers/Microsoft.Network/virtualNetworks/v"},
		{"/providers/Microsoft.Authorization/roleAssignments//subscriptions/s", "/subscriptions/s"},
		{"/providers/microsoft.authorization/roleassignments/subscriptions/s/resourceGroups/rg", "/subscriptions/s/resourceGroups/rg"},
	} {
		if got := normalizeScope(tc.in); got != tc.want {
			t.Errorf("normalizeScope(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestExpandPattern(t *testing.T) {
	values := map[string]string{"scope": "/subscriptions/s", "roleAssignmentName": "g", "odd": "{scope}"}
	for _, tc := range []struct{ pattern, want string }{
		{"", ""},
		{"{scope}", "/subscriptions/s"},
		{"{scope}/providers/Microsoft.Authorization/roleAssignments/{roleAssignmentName}", "/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/g"},
		// A value is not expanded again.
		{"/x/{odd}", "/x/{scope}"},
		{"/no/params", "/no/params"},
	} {
		if got := expandPattern(tc.pattern, func(n string) string { return values[n] }); got != tc.want {
			t.Errorf("expandPattern(%q) = %q, want %q", tc.pattern, got, tc.want)
		}
	}
}

func TestARMSegments(t *testing.T) {
	for _, tc := range []struct {
		path string
		want []string
	}{
		{"/subscriptions/s", []string{"subscriptions", "s"}},
		{"//subscriptions/s", []string{"subscriptions", "s"}},
		{"///subscriptions/s/", []string{"subscriptions", "s"}},
		{"/subscriptions//resourcegroups", []string{"subscriptions", "", "resourcegroups"}},
		{"/", []string{""}},
	} {
		if got := armSegments(tc.path); !slices.Equal(got, tc.want) {
			t.Errorf("armSegments(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
}

func TestProviderOfPath(t *testing.T) {
	for _, tc := range []struct {
		path, ns, typ string
		ok            bool
	}{
		{"/subscriptions/s/providers/Microsoft.Compute/virtualMachines", "Microsoft.Compute", "virtualMachines", true},
		{"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/x", "Microsoft.Network", "virtualNetworks/subnets", true},
		{"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/providers/Microsoft.Insights/diagnosticSettings", "Microsoft.Insights", "diagnosticSettings", true},
		{"/subscriptions/s/resourceGroups/rg", "", "", false},
	} {
		ns, typ, ok := providerOfPath(armSegments(tc.path))
		if ns != tc.ns || typ != tc.typ || ok != tc.ok {
			t.Errorf("providerOfPath(%q) = %q %q %v", tc.path, ns, typ, ok)
		}
	}
}
