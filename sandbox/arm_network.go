package sandbox

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Resource Manager networking: virtual networks (read-only) and their
// peerings, as armnetwork/v7 (api-version 2025-01-01) and the Azure CLI
// (older api-versions) call them. A peering PUT or DELETE is an
// asynchronous operation (arm_operations.go); cross-tenant peerings go
// through Resource Manager's linked access check with auxiliary tokens.
//
// Checks run in Resource Manager's order: api-version, subscription and
// the token's tenant, RBAC on the request's own scope, the resource group
// and the parent network, then (for a PUT) the linked scope of the remote
// network, and last the network provider's own validation.

const (
	vnetType    = "Microsoft.Network/virtualNetworks"
	peeringType = "Microsoft.Network/virtualNetworks/virtualNetworkPeerings"
	// defaultARMPageSize is the list page size when Options.ARMPageSize is 0.
	defaultARMPageSize = 50
)

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

// armCall is one authenticated Resource Manager request, served under the
// world lock.
type armCall struct {
	s     *Server
	world *World
	w     http.ResponseWriter
	r     *http.Request
	c     *Claims
}

// handleARMResource serves subscriptions, tenants, virtual networks, peerings
// and async operation status for an authenticated caller.
func (s *Server) handleARMResource(w http.ResponseWriter, r *http.Request, c *Claims) {
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	for i := range segs {
		if segs[i] == "" {
			notFound(w, APIARM, r)
			return
		}
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
	q := &armCall{s: s, world: world, w: w, r: r, c: c}
	lower := make([]string, len(segs))
	for i, sg := range segs {
		lower[i] = strings.ToLower(sg)
	}
	n := len(segs)
	switch {
	case n == 1 && lower[0] == "tenants":
		q.listTenants()
	case n == 1 && lower[0] == "subscriptions":
		q.listSubscriptions()
	case n == 2 && lower[0] == "subscriptions":
		q.getSubscription(segs[1])
	case n == 5 && lower[0] == "subscriptions" && lower[2] == "providers" && lower[3] == "microsoft.network" && lower[4] == "virtualnetworks":
		q.listVNets(segs[1], "")
	case n == 8 && lower[0] == "subscriptions" && lower[2] == "providers" && lower[3] == "microsoft.network" && lower[4] == "locations" &&
		(lower[6] == "operations" || lower[6] == "operationresults"):
		q.operationStatus(segs[1], segs[5], segs[7], lower[6] == "operationresults")
	case n >= 7 && lower[0] == "subscriptions" && lower[2] == "resourcegroups" && lower[4] == "providers" &&
		lower[5] == "microsoft.network" && lower[6] == "virtualnetworks":
		sub, rg := segs[1], segs[3]
		switch {
		case n == 7:
			q.listVNets(sub, rg)
		case n == 8:
			q.getVNet(sub, rg, segs[7])
		case n == 9 && lower[8] == "virtualnetworkpeerings":
			q.listPeerings(sub, rg, segs[7])
		case n == 10 && lower[8] == "virtualnetworkpeerings":
			q.peering(sub, rg, segs[7], segs[9])
		default:
			notFound(w, APIARM, r)
		}
	default:
		notFound(w, APIARM, r)
	}
}

// ---------------------------------------------------------------------------
// Common checks

// apiVersion checks the api-version parameter; invalid answers an unknown one.
func (q *armCall) apiVersion(supported []string, invalid func(v string)) bool {
	v := q.r.URL.Query().Get("api-version")
	switch {
	case v == "":
		armError(q.w, http.StatusBadRequest, "MissingApiVersionParameter",
			"The api-version query parameter (?api-version=) is required for all requests.")
		return false
	case !slices.Contains(supported, v):
		invalid(v)
		return false
	}
	return true
}

// networkAPIVersion checks a Microsoft.Network api-version. Resource
// Manager answers an unknown one for a provider's resource type with
// NoRegisteredProviderFound.
func (q *armCall) networkAPIVersion(resourceType string) bool {
	return q.apiVersion(networkAPIVersions, func(v string) {
		armError(q.w, http.StatusBadRequest, "NoRegisteredProviderFound", fmt.Sprintf(
			"No registered resource provider found for location '%s' and API version '%s' for type '%s'. The supported api-versions are '%s'. The supported locations are '%s'.",
			"global", v, resourceType, strings.Join(networkAPIVersions, ", "), strings.Join(q.world.locations(), ", ")))
	})
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

// subscription finds the subscription of the request and checks that the
// token comes from its tenant. On failure it has answered.
func (q *armCall) subscription(id string) (*Subscription, bool) {
	if !isGUID(id) {
		armError(q.w, http.StatusBadRequest, "InvalidSubscriptionId",
			fmt.Sprintf("The provided subscription identifier '%s' is malformed or invalid.", id))
		return nil, false
	}
	sub := q.world.subscriptionByID(id)
	if sub == nil {
		armError(q.w, http.StatusNotFound, "SubscriptionNotFound", fmt.Sprintf("The subscription '%s' could not be found.", id))
		return nil, false
	}
	if !strings.EqualFold(sub.TenantID, q.c.TenantID) {
		wrongTenant(q.w, q.c.TenantID, sub.TenantID)
		return nil, false
	}
	return sub, true
}

// wrongTenant answers a token from another tenant than the subscription's.
func wrongTenant(w http.ResponseWriter, tokenTenant, subTenant string) {
	w.Header().Set("WWW-Authenticate", `Bearer authorization_uri="https://login.windows.net/`+subTenant+`", error="invalid_token", error_description="The access token is from the wrong issuer."`)
	armError(w, http.StatusUnauthorized, "InvalidAuthenticationTokenTenant", fmt.Sprintf(
		"The access token is from the wrong issuer 'https://sts.windows.net/%s/'. It must match the tenant 'https://sts.windows.net/%s/' associated with this subscription. Please use the authority (URL) 'https://login.windows.net/%s' to get the token. Note, if the subscription is transferred to another tenant there is no impact to the services, but information about new tenant could take time to propagate (up to an hour). If you just transferred your subscription and see this error message, please try back later.",
		tokenTenant, subTenant, subTenant))
}

// subscriptionByID finds a subscription ignoring case. Expects world.mu held.
func (world *World) subscriptionByID(id string) *Subscription {
	if s := world.Subscriptions[id]; s != nil {
		return s
	}
	for _, s := range world.Subscriptions {
		if strings.EqualFold(s.ID, id) {
			return s
		}
	}
	return nil
}

// allowed checks RBAC for the caller, answering 403 AuthorizationFailed.
func (q *armCall) allowed(action, scope string) bool {
	if q.world.can(q.s.clock, q.c.ObjectID, action, scope) {
		return true
	}
	authorizationFailed(q.w, q.c, action, scope)
	return false
}

// authorizationFailed writes Resource Manager's AuthorizationFailed; for a
// service principal the "client" is its object id too.
func authorizationFailed(w http.ResponseWriter, c *Claims, action, scope string) {
	w.Header().Set("x-ms-failure-cause", "gateway")
	armError(w, http.StatusForbidden, "AuthorizationFailed", fmt.Sprintf(
		"The client '%s' with object id '%s' does not have authorization to perform action '%s' over scope '%s' or the scope is invalid. If access was recently granted, please refresh your credentials.",
		c.ObjectID, c.ObjectID, action, scope))
}

// resourceGroupExists reports whether any network lives in the group;
// resource groups are not modelled apart from their networks. Expects world.mu held.
func (world *World) resourceGroupExists(sub, rg string) bool {
	for _, v := range world.VNets {
		if strings.EqualFold(v.SubscriptionID, sub) && strings.EqualFold(v.ResourceGroup, rg) {
			return true
		}
	}
	return false
}

// localVNet finds the network of a request, answering ResourceGroupNotFound
// or ResourceNotFound as Resource Manager does.
func (q *armCall) localVNet(sub, rg, name string) (*VNet, bool) {
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

// requestScope is the request path as a scope for error texts.
func (q *armCall) requestScope() string { return "/" + strings.Trim(q.r.URL.Path, "/") }

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

// ---------------------------------------------------------------------------
// Paging

// pageOf returns the slice of keys (sorted, lower-case, unique) on the page
// the request asks for, and the nextLink of the following page ("" on the
// last). The $skiptoken is the last key of the previous page, so paging
// survives resources coming and going between pages.
func (q *armCall) pageOf(keys []string) (from, to int, next string, ok bool) {
	from = 0
	if tok := q.r.URL.Query().Get("$skiptoken"); tok != "" {
		last, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil {
			armError(q.w, http.StatusBadRequest, "InvalidSkipToken", fmt.Sprintf("The provided skip token '%s' is invalid.", tok))
			return 0, 0, "", false
		}
		from = sort.SearchStrings(keys, string(last))
		if from < len(keys) && keys[from] == string(last) {
			from++
		}
	}
	to = min(from+q.s.pageSize(), len(keys))
	if to < len(keys) {
		next = armBase(q.r) + q.r.URL.Path + "?api-version=" + urlQueryEscape(q.r.URL.Query().Get("api-version")) +
			"&$skiptoken=" + base64.RawURLEncoding.EncodeToString([]byte(keys[to-1]))
	}
	return from, to, next, true
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

// writeList writes a list page; nextLink only when another page follows.
func writeList(w http.ResponseWriter, items []map[string]any, next string) {
	out := map[string]any{"value": items}
	if next != "" {
		out["nextLink"] = next
	}
	writeJSON(w, http.StatusOK, out)
}

// ---------------------------------------------------------------------------
// Virtual networks

// vnetJSON renders a network as Resource Manager does.
func (world *World) vnetJSON(v *VNet) map[string]any {
	names := make([]string, 0, len(v.Peerings))
	for k := range v.Peerings {
		names = append(names, k)
	}
	sort.Strings(names)
	peerings := make([]map[string]any, 0, len(names))
	for _, k := range names {
		peerings = append(peerings, world.peeringJSON(v.Peerings[k]))
	}
	return map[string]any{
		"id": v.ID, "name": v.Name, "type": vnetType, "location": v.Location, "etag": v.ETag,
		"properties": map[string]any{
			"provisioningState":      "Succeeded",
			"resourceGuid":           stableGUID(v.ID),
			"addressSpace":           map[string]any{"addressPrefixes": nonNil(v.AddressPrefixes)},
			"subnets":                []any{},
			"virtualNetworkPeerings": peerings,
			"enableDdosProtection":   false,
		},
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// listVNets lists a subscription's (rg == "") or a resource group's
// networks. A caller without read on the whole scope sees the networks it
// may read, as Resource Manager filters lists for callers whose roles sit
// below the scope; one that may read none of them is refused.
func (q *armCall) listVNets(subID, rg string) {
	if q.r.Method != http.MethodGet {
		methodNotAllowed(q.w, q.r)
		return
	}
	if !q.networkAPIVersion(vnetType) {
		return
	}
	sub, ok := q.subscription(subID)
	if !ok {
		return
	}
	scope := q.requestScope()
	whole := q.world.can(q.s.clock, q.c.ObjectID, ActionVNetRead, scope)
	if rg != "" && whole && !q.world.resourceGroupExists(sub.ID, rg) {
		armError(q.w, http.StatusNotFound, "ResourceGroupNotFound", fmt.Sprintf("Resource group '%s' could not be found.", rg))
		return
	}
	var keys []string
	for key, v := range q.world.VNets {
		if !strings.EqualFold(v.SubscriptionID, sub.ID) || (rg != "" && !strings.EqualFold(v.ResourceGroup, rg)) {
			continue
		}
		if whole || q.world.can(q.s.clock, q.c.ObjectID, ActionVNetRead, v.ID) {
			keys = append(keys, key)
		}
	}
	if !whole && len(keys) == 0 {
		authorizationFailed(q.w, q.c, ActionVNetRead, scope)
		return
	}
	sort.Strings(keys)
	from, to, next, ok := q.pageOf(keys)
	if !ok {
		return
	}
	items := make([]map[string]any, 0, to-from)
	for _, k := range keys[from:to] {
		items = append(items, q.world.vnetJSON(q.world.VNets[k]))
	}
	writeList(q.w, items, next)
}

func (q *armCall) getVNet(subID, rg, name string) {
	if q.r.Method != http.MethodGet {
		methodNotAllowed(q.w, q.r)
		return
	}
	if !q.networkAPIVersion(vnetType) {
		return
	}
	if _, ok := q.subscription(subID); !ok {
		return
	}
	if !q.allowed(ActionVNetRead, q.requestScope()) {
		return
	}
	v, ok := q.localVNet(subID, rg, name)
	if !ok {
		return
	}
	writeJSON(q.w, http.StatusOK, q.world.vnetJSON(v))
}

// methodNotAllowed answers a verb the resource does not support here.
func methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	armError(w, http.StatusMethodNotAllowed, "MethodNotAllowed",
		fmt.Sprintf("The requested resource does not support http method '%s'.", r.Method))
}

// ---------------------------------------------------------------------------
// Peerings

// peeringJSON renders a peering as the network provider does.
func (world *World) peeringJSON(p *VNetPeering) map[string]any {
	remotePrefixes := nonNil(p.RemoteAddressPrefixes)
	current := remotePrefixes
	if remote := world.vnet(p.RemoteVNetID); remote != nil {
		current = nonNil(remote.AddressPrefixes)
	}
	syncLevel := p.PeeringSyncLevel
	if syncLevel == "" {
		syncLevel = "FullyInSync"
	}
	state := p.PeeringState
	if state == "" {
		state = "Initiated"
	}
	localPrefixes := []string{}
	if local, _ := world.peeringParent(p.ID); local != nil {
		localPrefixes = nonNil(local.AddressPrefixes)
	}
	return map[string]any{
		"id": p.ID, "name": p.Name, "type": peeringType, "etag": p.ETag,
		"properties": map[string]any{
			"provisioningState":                p.ProvisioningState,
			"resourceGuid":                     stableGUID(p.ID, p.CreatedAt.UTC().Format(time.RFC3339Nano)),
			"peeringState":                     state,
			"peeringSyncLevel":                 syncLevel,
			"remoteVirtualNetwork":             map[string]any{"id": p.RemoteVNetID},
			"allowVirtualNetworkAccess":        p.AllowVirtualNetworkAccess,
			"allowForwardedTraffic":            p.AllowForwardedTraffic,
			"allowGatewayTransit":              p.AllowGatewayTransit,
			"useRemoteGateways":                p.UseRemoteGateways,
			"doNotVerifyRemoteGateways":        false,
			"peerCompleteVnets":                true,
			"enableOnlyIPv6Peering":            false,
			"localAddressSpace":                map[string]any{"addressPrefixes": localPrefixes},
			"localVirtualNetworkAddressSpace":  map[string]any{"addressPrefixes": localPrefixes},
			"remoteAddressSpace":               map[string]any{"addressPrefixes": remotePrefixes},
			"remoteVirtualNetworkAddressSpace": map[string]any{"addressPrefixes": current},
			"routeServiceVips":                 map[string]any{},
		},
	}
}

func (q *armCall) listPeerings(subID, rg, vnetName string) {
	if q.r.Method != http.MethodGet {
		methodNotAllowed(q.w, q.r)
		return
	}
	if !q.networkAPIVersion(peeringType) {
		return
	}
	if _, ok := q.subscription(subID); !ok {
		return
	}
	if !q.allowed(ActionPeeringRead, q.requestScope()) {
		return
	}
	v, ok := q.localVNet(subID, rg, vnetName)
	if !ok {
		return
	}
	keys := make([]string, 0, len(v.Peerings))
	for k := range v.Peerings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	from, to, next, ok := q.pageOf(keys)
	if !ok {
		return
	}
	items := make([]map[string]any, 0, to-from)
	for _, k := range keys[from:to] {
		items = append(items, q.world.peeringJSON(v.Peerings[k]))
	}
	writeList(q.w, items, next)
}

// peering serves PUT, GET and DELETE of one peering.
func (q *armCall) peering(subID, rg, vnetName, name string) {
	var action string
	switch q.r.Method {
	case http.MethodGet:
		action = ActionPeeringRead
	case http.MethodPut:
		action = ActionPeeringWrite
	case http.MethodDelete:
		action = ActionPeeringDelete
	default:
		methodNotAllowed(q.w, q.r)
		return
	}
	if !q.networkAPIVersion(peeringType) {
		return
	}
	if _, ok := q.subscription(subID); !ok {
		return
	}
	if !q.allowed(action, q.requestScope()) {
		return
	}
	v, ok := q.localVNet(subID, rg, vnetName)
	if !ok {
		return
	}
	p := v.Peerings[strings.ToLower(name)]
	switch q.r.Method {
	case http.MethodGet:
		if p == nil {
			armError(q.w, http.StatusNotFound, "NotFound", fmt.Sprintf("Resource %s/virtualNetworkPeerings/%s not found.", v.ID, name))
			return
		}
		writeJSON(q.w, http.StatusOK, q.world.peeringJSON(p))
	case http.MethodDelete:
		q.deletePeering(v, p)
	case http.MethodPut:
		q.putPeering(v, p, name)
	}
}

// peeringBody is the PUT body of a peering (armnetwork.VirtualNetworkPeering).
type peeringBody struct {
	Properties *struct {
		RemoteVirtualNetwork *struct {
			ID string `json:"id"`
		} `json:"remoteVirtualNetwork"`
		AllowVirtualNetworkAccess *bool `json:"allowVirtualNetworkAccess"`
		AllowForwardedTraffic     *bool `json:"allowForwardedTraffic"`
		AllowGatewayTransit       *bool `json:"allowGatewayTransit"`
		UseRemoteGateways         *bool `json:"useRemoteGateways"`
	} `json:"properties"`
}

// resourceNameRE is the network provider's rule for child resource names.
var resourceNameRE = regexp.MustCompile(`^\w([\w.-]{0,78}\w)?$`)

// vnetIDRE matches a virtual network's resource id.
var vnetIDRE = regexp.MustCompile(`(?i)^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.Network/virtualNetworks/([^/]+)$`)

func (q *armCall) putPeering(local *VNet, p *VNetPeering, name string) {
	peeringID := local.ID + "/virtualNetworkPeerings/" + name
	if p != nil {
		peeringID = p.ID
	}
	var body peeringBody
	if err := decodeJSON(q.r, &body); err != nil {
		armError(q.w, http.StatusBadRequest, "InvalidRequestContent",
			fmt.Sprintf("The request content was invalid and could not be deserialized: '%v'.", err))
		return
	}
	if body.Properties == nil || body.Properties.RemoteVirtualNetwork == nil || body.Properties.RemoteVirtualNetwork.ID == "" {
		armError(q.w, http.StatusBadRequest, "InvalidRequestFormat",
			"Cannot parse the request. The property 'properties.remoteVirtualNetwork.id' is required.")
		return
	}
	remoteID := strings.TrimRight(body.Properties.RemoteVirtualNetwork.ID, "/")
	if !strings.HasPrefix(strings.ToLower(remoteID), "/subscriptions/") {
		armError(q.w, http.StatusBadRequest, "LinkedInvalidPropertyId", fmt.Sprintf(
			"Property id '%s' at path 'properties.remoteVirtualNetwork.id' is invalid. Expect fully qualified resource Id that start with '/subscriptions/{subscriptionId}' or '/providers/{resourceProviderNamespace}/'.",
			body.Properties.RemoteVirtualNetwork.ID))
		return
	}
	if !q.linkedAccess(peeringID, remoteID) {
		return
	}
	// From here on the network provider validates.
	if !resourceNameRE.MatchString(name) {
		armError(q.w, http.StatusBadRequest, "InvalidResourceName", fmt.Sprintf(
			"Resource name %s is invalid. The name can be up to 80 characters long. It must begin with a word character, and it must end with a word character or with '_'. The name may contain word characters or '.', '-', '_'.", name))
		return
	}
	if op := q.world.operationOn(peeringID); op != nil {
		q.anotherOperation(local, op)
		return
	}
	remote := q.world.vnet(remoteID)
	if remote == nil || !vnetIDRE.MatchString(remoteID) {
		code := "InvalidResourceReference"
		if !strings.EqualFold(subscriptionOf(remoteID), local.SubscriptionID) {
			code = "InvalidGlobalResourceReference"
		}
		armError(q.w, http.StatusBadRequest, code, fmt.Sprintf(
			"Resource %s referenced by resource %s was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.",
			remoteID, peeringID))
		return
	}
	remoteID = remote.ID
	if strings.EqualFold(remote.ID, local.ID) {
		// The real code for this was not found; the portal's wording is used.
		armError(q.w, http.StatusBadRequest, "InvalidRequestFormat", fmt.Sprintf(
			"Cannot create or update peering %s. A virtual network cannot be peered with itself.", peeringID))
		return
	}
	for _, other := range local.Peerings {
		if other != p && strings.EqualFold(other.RemoteVNetID, remote.ID) {
			armError(q.w, http.StatusBadRequest, "PeeringAlreadyExists", fmt.Sprintf(
				"Cannot create peering %s because peering %s already exists between virtual networks %s and %s.",
				peeringID, other.ID, local.ID, remote.ID))
			return
		}
	}
	props := body.Properties
	if props.UseRemoteGateways != nil && *props.UseRemoteGateways {
		armError(q.w, http.StatusBadRequest, "RemoteVnetHasNoGateways", fmt.Sprintf(
			"Peering %s cannot have UseRemoteGateway flag set to true because remote virtual network %s referenced by the peering does not have any gateways.",
			peeringID, remote.ID))
		return
	}
	if !q.noOverlap(peeringID, local, remote, p) {
		return
	}

	now := q.s.clock.Now()
	status := http.StatusOK
	if p == nil {
		status = http.StatusCreated
		p = &VNetPeering{ID: peeringID, Name: name, CreatedAt: now, PeeringState: "Initiated", PeeringSyncLevel: "FullyInSync"}
		local.Peerings[strings.ToLower(name)] = p
	}
	p.RemoteVNetID = remote.ID
	p.RemoteAddressPrefixes = append([]string(nil), remote.AddressPrefixes...)
	p.AllowVirtualNetworkAccess = boolOr(props.AllowVirtualNetworkAccess, true)
	p.AllowForwardedTraffic = boolOr(props.AllowForwardedTraffic, false)
	p.AllowGatewayTransit = boolOr(props.AllowGatewayTransit, false)
	p.UseRemoteGateways = false
	p.ProvisioningState = "Updating"
	p.ETag = etag()
	op := q.world.startOperation(now, opPeeringPut, p.ID, q.world.Timing.PeeringProvisioning.D())
	// Injected like throttling: now and then provisioning itself fails.
	op.Fail = q.s.faults.operationFails()
	q.asyncHeaders(local, op, now, false)
	writeJSON(q.w, status, q.world.peeringJSON(p))
}

func boolOr(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}

// linkedAccess is Resource Manager's linked access check on the remote
// network of a peering PUT: the caller needs peer/action there, and when
// the remote network lives in another tenant, that permission is checked
// for the principal of an auxiliary token (x-ms-authorization-auxiliary)
// the same application obtained in that tenant.
func (q *armCall) linkedAccess(peeringID, remoteID string) bool {
	linkedSub := subscriptionOf(remoteID)
	sub := q.world.subscriptionByID(linkedSub)
	if sub == nil {
		linkedFailed(q.w, fmt.Sprintf(
			"The client has permission to perform action '%s' on scope '%s', however the linked subscription '%s' was not found. ",
			ActionPeer, peeringID, linkedSub))
		return false
	}
	principal := q.c.ObjectID
	if !strings.EqualFold(sub.TenantID, q.c.TenantID) {
		principal = ""
		for _, aux := range q.s.auxiliary(q.r) {
			if strings.EqualFold(aux.TenantID, sub.TenantID) && strings.EqualFold(aux.AppID, q.c.AppID) &&
				aux.HasAudience(AudienceARM, "https://management.azure.com/") {
				principal = aux.ObjectID
				break
			}
		}
		if principal == "" {
			linkedFailed(q.w, fmt.Sprintf(
				"The client has permission to perform action '%s' on scope '%s', however the current tenant '%s' is not authorized to access linked subscription '%s'.",
				ActionPeer, peeringID, q.c.TenantID, sub.ID))
			return false
		}
	}
	if !q.world.can(q.s.clock, principal, ActionPeer, remoteID) {
		linkedFailed(q.w, fmt.Sprintf(
			"The client '%s' with object id '%s' has permission to perform action '%s' on scope '%s'; however, it does not have permission to perform action(s) '%s' on the linked scope(s) '%s' (respectively) or the linked scope(s) are invalid.",
			q.c.ObjectID, q.c.ObjectID, ActionPeeringWrite, peeringID, ActionPeer, remoteID))
		return false
	}
	return true
}

func linkedFailed(w http.ResponseWriter, msg string) {
	w.Header().Set("x-ms-failure-cause", "gateway")
	armError(w, http.StatusForbidden, "LinkedAuthorizationFailed", msg)
}

// noOverlap refuses peering networks whose address spaces overlap, or
// where one overlaps a network already peered with the other.
func (q *armCall) noOverlap(peeringID string, local, remote *VNet, self *VNetPeering) bool {
	if both := overlapping(local.AddressPrefixes, remote.AddressPrefixes); len(both) > 0 {
		armError(q.w, http.StatusBadRequest, "VnetAddressSpacesOverlap", fmt.Sprintf(
			"Cannot create or update peering %s. Virtual networks %s and %s cannot be peered because their address spaces overlap. Overlapping address prefixes: %s",
			peeringID, local.ID, remote.ID, strings.Join(both, ", ")))
		return false
	}
	check := func(first, second *VNet, skip *VNetPeering) bool {
		for _, pp := range second.Peerings {
			if pp == skip || strings.EqualFold(pp.RemoteVNetID, first.ID) {
				continue
			}
			third := q.world.vnet(pp.RemoteVNetID)
			if third == nil {
				continue
			}
			if both := overlapping(first.AddressPrefixes, third.AddressPrefixes); len(both) > 0 {
				armError(q.w, http.StatusBadRequest, "VnetAddressSpaceOverlapsWithAlreadyPeeredVnet", fmt.Sprintf(
					"Cannot create or update peering %s. Virtual networks %s and %s cannot be peered because address space of the first virtual network overlaps with address space of virtual network %s already peered with the second virtual network. Overlapping address prefixes: %s.",
					peeringID, first.ID, second.ID, third.ID, strings.Join(both, ", ")))
				return false
			}
		}
		return true
	}
	return check(local, remote, nil) && check(remote, local, self)
}

// overlapping lists the prefixes of a that overlap any prefix of b.
func overlapping(a, b []string) []string {
	var out []string
	for _, x := range a {
		if _, _, ok := overlaps([]string{x}, b); ok {
			out = append(out, x)
		}
	}
	return out
}

// deletePeering starts the asynchronous delete; a missing peering is 204.
func (q *armCall) deletePeering(local *VNet, p *VNetPeering) {
	if p == nil {
		q.w.WriteHeader(http.StatusNoContent)
		return
	}
	if op := q.world.operationOn(p.ID); op != nil {
		q.anotherOperation(local, op)
		return
	}
	now := q.s.clock.Now()
	p.ProvisioningState = "Deleting"
	p.ETag = etag()
	op := q.world.startOperation(now, opPeeringDelete, p.ID, q.world.Timing.PeeringProvisioning.D())
	q.asyncHeaders(local, op, now, true)
	q.w.WriteHeader(http.StatusAccepted)
}
