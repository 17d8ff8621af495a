package sandbox

import (
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Virtual network peerings: GET, PUT (create or update) and DELETE of one
// peering and the list of a network's peerings. PUT and DELETE start an
// asynchronous operation (arm_operations.go); a PUT first passes Resource
// Manager's linked access check on the remote network (linkedAccess), then
// the network provider's validation, in that order.

// peeringJSON renders a peering as the network provider does, property
// for property as azure-cli's recorded traffic shows one
// (test_network_vnet_peering.yaml at api-version 2021-03-01,
// test_network_vnet_peering_sync.yaml at 2023-11-01): no local address
// spaces or subnet names for a peering of whole networks (peerCompleteVnets),
// no remoteGateways (the sandbox's networks have none), and since 2024 an
// empty ipamPoolPrefixAllocations in both address spaces whatever the
// api-version (the 2023-11-01 recording of September 2024 has them).
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
	guid := p.ResourceGUID
	if guid == "" {
		// Written before peerings kept one.
		guid = stableGUID(p.ID, p.CreatedAt.UTC().Format(time.RFC3339Nano))
	}
	return map[string]any{
		"id": p.ID, "name": p.Name, "type": peeringType, "etag": p.ETag,
		"properties": map[string]any{
			"provisioningState":                p.ProvisioningState,
			"resourceGuid":                     guid,
			"peeringState":                     state,
			"peeringSyncLevel":                 syncLevel,
			"remoteVirtualNetwork":             map[string]any{"id": p.RemoteVNetID},
			"allowVirtualNetworkAccess":        p.AllowVirtualNetworkAccess,
			"allowForwardedTraffic":            p.AllowForwardedTraffic,
			"allowGatewayTransit":              p.AllowGatewayTransit,
			"useRemoteGateways":                p.UseRemoteGateways,
			"doNotVerifyRemoteGateways":        false,
			"peerCompleteVnets":                true,
			"remoteAddressSpace":               addressSpaceJSON(remotePrefixes),
			"remoteVirtualNetworkAddressSpace": addressSpaceJSON(current),
			"routeServiceVips":                 map[string]any{},
		},
	}
}

// addressSpaceJSON is an addressSpace object as the network provider
// writes it since it has IP address pools (test_network_vnet_peering_sync.yaml).
func addressSpaceJSON(prefixes []string) map[string]any {
	return map[string]any{"addressPrefixes": nonNil(prefixes), "ipamPoolPrefixAllocations": []any{}}
}

// networkError writes an error of the network provider itself (not of
// Resource Manager's front door): its bodies carry an empty details
// array, as terraform-provider-azurerm#3392 (ReferencedResourceNotProvisioned),
// #14051 (RemotePeeringIsDisconnected) and microsoft/AzureTRE#2222
// (AnotherOperationInProgress) show them ("Details=[]").
func networkError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("x-ms-error-code", code)
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": message, "details": []any{}}})
}

func (q *armRequest) listPeerings() {
	v, ok := q.localVNet()
	if !ok {
		return
	}
	q.writePage(slices.Collect(maps.Keys(v.Peerings)), func(k string) map[string]any { return q.world.peeringJSON(v.Peerings[k]) })
}

// peeringOfPath finds the network the path names and the peering of that
// name on it (nil when there is none).
func (q *armRequest) peeringOfPath() (*VNet, *VNetPeering, bool) {
	v, ok := q.localVNet()
	if !ok {
		return nil, nil, false
	}
	return v, v.Peerings[strings.ToLower(q.params["virtualNetworkPeeringName"])], true
}

func (q *armRequest) getPeering() {
	v, p, ok := q.peeringOfPath()
	if !ok {
		return
	}
	if p == nil {
		// No public source shows this text: the sandbox's own, in the
		// provider's shape (details []).
		networkError(q.w, http.StatusNotFound, "NotFound", fmt.Sprintf("Resource %s/virtualNetworkPeerings/%s not found.", v.ID, q.params["virtualNetworkPeeringName"]))
		return
	}
	// A GET carries the etag as a header too (both recordings).
	q.w.Header().Set("ETag", p.ETag)
	writeJSON(q.w, http.StatusOK, q.world.peeringJSON(p))
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

func (q *armRequest) putPeering() {
	local, p, ok := q.peeringOfPath()
	if !ok {
		return
	}
	name := q.params["virtualNetworkPeeringName"]
	peeringID := local.ID + "/virtualNetworkPeerings/" + name
	if p != nil {
		peeringID = p.ID
	}
	var body peeringBody
	if !q.decodeBody(&body) {
		return
	}
	if body.Properties == nil || body.Properties.RemoteVirtualNetwork == nil || body.Properties.RemoteVirtualNetwork.ID == "" {
		// No public source shows this text: the sandbox's own.
		networkError(q.w, http.StatusBadRequest, "InvalidRequestFormat",
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
		// The provider's text for any of its resources
		// (F5Networks/f5-azure-arm-templates#110).
		networkError(q.w, http.StatusBadRequest, "InvalidResourceName", fmt.Sprintf(
			"Resource name %s is invalid. The name can be up to 80 characters long. It must begin with a word character, and it must end with a word character or with '_'. The name may contain word characters or '.', '-', '_'.", name))
		return
	}
	// Another operation on this peering or its network (arm_busy.go).
	busy := q.anotherOperation(local, peeringID, remoteID)
	if busy != nil && q.refuseBusy(busy) {
		return
	}
	remote := q.world.vnet(remoteID)
	if remote == nil || !vnetIDRE.MatchString(remoteID) {
		// In the same subscription the provider adds the region
		// (Azure/RDS-Templates#349, MicrosoftDocs/azure-docs#81734); across
		// subscriptions the global reference ends at "exists."
		// (FreddyAyala/AzureAIServicesLandingZone#2, a peering, 2023).
		if strings.EqualFold(subscriptionOf(remoteID), local.SubscriptionID) {
			networkError(q.w, http.StatusBadRequest, "InvalidResourceReference", fmt.Sprintf(
				"Resource %s referenced by resource %s was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.",
				remoteID, peeringID))
			return
		}
		networkError(q.w, http.StatusBadRequest, "InvalidGlobalResourceReference", fmt.Sprintf(
			"Resource %s referenced by resource %s was not found. Please make sure that the referenced resource exists.",
			remoteID, peeringID))
		return
	}
	if strings.EqualFold(remote.ID, local.ID) {
		// The real code for this was not found; the portal's wording is used.
		networkError(q.w, http.StatusBadRequest, "InvalidRequestFormat", fmt.Sprintf(
			"Cannot create or update peering %s. A virtual network cannot be peered with itself.", peeringID))
		return
	}
	if busy == nil && q.remoteNotProvisioned(peeringID, remote) {
		return
	}
	for _, other := range local.Peerings {
		if other != p && strings.EqualFold(other.RemoteVNetID, remote.ID) {
			// No public source shows this text: the sandbox's own.
			networkError(q.w, http.StatusBadRequest, "PeeringAlreadyExists", fmt.Sprintf(
				"Cannot create peering %s because peering %s already exists between virtual networks %s and %s.",
				peeringID, other.ID, local.ID, remote.ID))
			return
		}
	}
	props := body.Properties
	if props.UseRemoteGateways != nil && *props.UseRemoteGateways {
		// hashicorp/terraform#30569, Azure/terraform-azurerm-lz-vending#398.
		networkError(q.w, http.StatusBadRequest, "RemoteVnetHasNoGateways", fmt.Sprintf(
			"Peering %s cannot have UseRemoteGateway flag set to true because remote virtual network %s referenced by the peering does not have any gateways.",
			peeringID, remote.ID))
		return
	}
	if !q.noOverlap(peeringID, local, remote, p) {
		return
	}
	// The remote's side of the pair was disconnected (its remote, this
	// side, was deleted): it must be updated or re-created first. The
	// text is the provider's (terraform-provider-azurerm#14051,
	// hashicorp/terraform#18091).
	if back := remote.peeringTo(local.ID); back != nil && back.PeeringState == "Disconnected" {
		networkError(q.w, http.StatusBadRequest, "RemotePeeringIsDisconnected", fmt.Sprintf(
			"Cannot create or update peering %s because remote peering %s referencing parent virtual network %s is in Disconnected state. Update or re-create the remote peering to get it back to Initiated state. Peering gets Disconnected when remote vnet or remote peering is deleted and re-created.",
			peeringID, back.ID, local.ID))
		return
	}

	now := q.s.clock.Now()
	status := http.StatusOK
	if p == nil {
		status = http.StatusCreated
		p = &VNetPeering{ID: peeringID, Name: name, CreatedAt: now, ResourceGUID: q.world.pairGUID(local, remote.ID)}
		local.Peerings[strings.ToLower(name)] = p
	}
	p.RemoteVNetID = remote.ID
	switch {
	case p.RemoteAddressPrefixes == nil:
		// A new peering takes the remote's space as it is.
		q.world.syncPeering(p)
	case strings.EqualFold(q.r.URL.Query().Get("syncRemoteAddressSpace"), "true"):
		// azure-cli sends "true", azure-powershell "True"
		// (arm_address_space.go); the answer already shows the synced
		// space (TestVirtualNetworkPeeringSyncCRUD.json).
		q.world.syncSide(local, p)
	}
	p.AllowVirtualNetworkAccess = boolOr(props.AllowVirtualNetworkAccess, true)
	p.AllowForwardedTraffic = boolOr(props.AllowForwardedTraffic, false)
	p.AllowGatewayTransit = boolOr(props.AllowGatewayTransit, false)
	p.UseRemoteGateways = false
	p.ProvisioningState = "Updating"
	p.ETag = etag()
	// An update brings a Disconnected side back to Initiated ("Update or
	// re-create the remote peering to get it back to Initiated state").
	if p.PeeringState == "Disconnected" {
		p.PeeringState = "Initiated"
	}
	// The pair's states change with the PUT, not with its operation: the
	// second side's PUT answers 201 already Connected and FullyInSync,
	// the first side's Initiated and RemoteNotInSync (both recordings).
	q.world.reconcilePeerings(local)
	op := q.world.startOperation(now, opPeeringPut, p.ID, q.world.Timing.PeeringProvisioning.D())
	op.Remote, op.Name = remote.ID, opNamePutPeering
	// Injected like throttling: now and then provisioning itself fails.
	op.Fail = q.s.faults.operationFails()
	q.failBusy(op, busy)
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
func (q *armRequest) linkedAccess(peeringID, remoteID string) bool {
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
func (q *armRequest) noOverlap(peeringID string, local, remote *VNet, self *VNetPeering) bool {
	if both := overlapping(local.AddressPrefixes, remote.AddressPrefixes); len(both) > 0 {
		// No public text of this code was found; it is written as its
		// sibling below is, with the same ending.
		networkError(q.w, http.StatusBadRequest, "VnetAddressSpacesOverlap", fmt.Sprintf(
			"Cannot create or update peering %s. Virtual networks %s and %s cannot be peered because their address spaces overlap. Overlapping address prefixes: %s. For more information please refer to https://aka.ms/VnetPeeringInfo",
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
				// microsoft/AzureTRE#4641 (2025) and
				// alan-turing-institute/data-safe-haven#2152 end it with
				// the link; Azure/ResourceModules#731 (2021) without.
				networkError(q.w, http.StatusBadRequest, "VnetAddressSpaceOverlapsWithAlreadyPeeredVnet", fmt.Sprintf(
					"Cannot create or update peering %s. Virtual networks %s and %s cannot be peered because address space of the first virtual network overlaps with address space of virtual network %s already peered with the second virtual network. Overlapping address prefixes: %s. For more information please refer to https://aka.ms/VnetPeeringInfo",
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
func (q *armRequest) deletePeering() {
	local, p, ok := q.peeringOfPath()
	if !ok {
		return
	}
	if p == nil {
		q.w.WriteHeader(http.StatusNoContent)
		return
	}
	busy := q.anotherOperation(local, p.ID, p.RemoteVNetID)
	if busy != nil && q.refuseBusy(busy) {
		return
	}
	now := q.s.clock.Now()
	p.ProvisioningState = "Deleting"
	p.ETag = etag()
	op := q.world.startOperation(now, opPeeringDelete, p.ID, q.world.Timing.PeeringProvisioning.D())
	op.Remote, op.Name = p.RemoteVNetID, opNameDeletePeering
	q.failBusy(op, busy)
	q.asyncHeaders(local, op, now, true)
	q.w.WriteHeader(http.StatusAccepted)
}
