package sandbox

import (
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
)

// Resource Manager networking: virtual networks (read-only) and their
// peerings (arm_peerings.go), as armnetwork/v7 (api-version 2025-01-01)
// and the Azure CLI (older api-versions) call them. A peering PUT or
// DELETE is an asynchronous operation (arm_operations.go); cross-tenant
// peerings go through Resource Manager's linked access check with
// auxiliary tokens.
//
// Checks run in Resource Manager's order: api-version, subscription and
// the token's tenant, RBAC on the request's own scope (all three in the
// pipeline, arm.go), the resource group and the parent network, then (for
// a PUT) the linked scope of the remote network, and last the network
// provider's own validation.

const (
	vnetType    = "Microsoft.Network/virtualNetworks"
	peeringType = "Microsoft.Network/virtualNetworks/virtualNetworkPeerings"
	// defaultARMPageSize is the list page size when Options.ARMPageSize is 0.
	defaultARMPageSize = 50
)

// SetARMPageSize sets how many virtual networks or peerings one list page
// holds (n <= 0 restores Options.ARMPageSize, or 50), so tests can follow
// nextLink with a handful of networks.
func (s *Server) SetARMPageSize(n int) {
	_, unlock := s.lock()
	defer unlock()
	s.armPageSize = max(n, 0)
}

// pageSize is the current list page size. Expects the world lock held.
func (s *Server) pageSize() int {
	switch {
	case s.armPageSize > 0:
		return s.armPageSize
	case s.opts.ARMPageSize > 0:
		return s.opts.ARMPageSize
	}
	return defaultARMPageSize
}

// resourceGroupExists reports whether any network lives in the group;
// resource groups are not modelled apart from their networks. Expects world.mu held.
func (world *World) resourceGroupExists(sub, rg string) bool {
	return find(maps.Values(world.VNets), func(v *VNet) bool {
		return strings.EqualFold(v.SubscriptionID, sub) && strings.EqualFold(v.ResourceGroup, rg)
	}) != nil
}

// localVNet finds the network the request's path names, answering
// ResourceGroupNotFound or ResourceNotFound as Resource Manager does.
func (q *armRequest) localVNet() (*VNet, bool) {
	sub, rg, name := q.params["subscriptionId"], q.params["resourceGroupName"], q.params["virtualNetworkName"]
	if !q.world.resourceGroupExists(sub, rg) {
		armError(q.w, http.StatusNotFound, "ResourceGroupNotFound", fmt.Sprintf("Resource group '%s' could not be found.", rg))
		return nil, false
	}
	v := q.world.vnetByNames(sub, rg, name)
	if v == nil {
		armError(q.w, http.StatusNotFound, "ResourceNotFound", fmt.Sprintf(
			"The Resource '%s/%s' under resource group '%s' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
			vnetType, name, rg))
		return nil, false
	}
	return v, true
}

// ---------------------------------------------------------------------------
// Paging

// writePage writes the page of keys (lower-case, unique) the request asks
// for, each rendered by item, with the nextLink of the following page
// (none on the last). The $skiptoken is the last key of the previous page,
// so paging survives resources coming and going between pages.
func (q *armRequest) writePage(keys []string, item func(key string) map[string]any) {
	sort.Strings(keys)
	from := 0
	if tok := q.r.URL.Query().Get("$skiptoken"); tok != "" {
		last, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil {
			armError(q.w, http.StatusBadRequest, "InvalidSkipToken", fmt.Sprintf("The provided skip token '%s' is invalid.", tok))
			return
		}
		from = sort.SearchStrings(keys, string(last))
		if from < len(keys) && keys[from] == string(last) {
			from++
		}
	}
	to := min(from+q.s.pageSize(), len(keys))
	items := make([]map[string]any, 0, to-from)
	for _, k := range keys[from:to] {
		items = append(items, item(k))
	}
	out := map[string]any{"value": items}
	if to < len(keys) {
		out["nextLink"] = armBase(q.r) + q.r.URL.Path + "?api-version=" + urlQueryEscape(q.r.URL.Query().Get("api-version")) +
			"&$skiptoken=" + base64.RawURLEncoding.EncodeToString([]byte(keys[to-1]))
	}
	writeJSON(q.w, http.StatusOK, out)
}

// urlQueryEscape escapes an api-version (dates, "-preview") for a query.
func urlQueryEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// ---------------------------------------------------------------------------
// Virtual networks

// vnetJSON renders a network as Resource Manager does.
func (world *World) vnetJSON(v *VNet) map[string]any {
	peerings := mapped(slices.Sorted(maps.Keys(v.Peerings)), func(k string) map[string]any { return world.peeringJSON(v.Peerings[k]) })
	// As test_network_vnet_peering_sync.yaml (api-version 2024-05-01)
	// shows a network.
	return map[string]any{
		"id": v.ID, "name": v.Name, "type": vnetType, "location": v.Location, "etag": v.ETag,
		"properties": map[string]any{
			"provisioningState":           world.vnetProvisioningState(v),
			"resourceGuid":                stableGUID(v.ID),
			"addressSpace":                addressSpaceJSON(v.AddressPrefixes),
			"privateEndpointVNetPolicies": "Disabled",
			"subnets":                     []any{},
			"virtualNetworkPeerings":      peerings,
			"enableDdosProtection":        false,
		},
	}
}

// listVNets lists a subscription's (no resource group in the path) or a
// resource group's networks. A caller without read on the whole scope sees
// the networks it may read, as Resource Manager filters lists for callers
// whose roles sit below the scope; one that may read none of them is
// refused.
func (q *armRequest) listVNets() {
	sub, rg := q.sub, q.params["resourceGroupName"]
	if rg != "" && q.permitted && !q.world.resourceGroupExists(sub.ID, rg) {
		armError(q.w, http.StatusNotFound, "ResourceGroupNotFound", fmt.Sprintf("Resource group '%s' could not be found.", rg))
		return
	}
	var keys []string
	for key, v := range q.world.VNets {
		if !strings.EqualFold(v.SubscriptionID, sub.ID) || (rg != "" && !strings.EqualFold(v.ResourceGroup, rg)) {
			continue
		}
		if q.permitted || q.world.can(q.s.clock, q.c.ObjectID, ActionVNetRead, v.ID) {
			keys = append(keys, key)
		}
	}
	if !q.permitted && len(keys) == 0 {
		authorizationFailed(q.w, q.c, ActionVNetRead, q.requestScope())
		return
	}
	q.writePage(keys, func(k string) map[string]any { return q.world.vnetJSON(q.world.VNets[k]) })
}

func (q *armRequest) getVNet() {
	if v, ok := q.localVNet(); ok {
		// A GET carries the etag as a header too (both recordings).
		q.w.Header().Set("ETag", v.ETag)
		writeJSON(q.w, http.StatusOK, q.world.vnetJSON(v))
	}
}
