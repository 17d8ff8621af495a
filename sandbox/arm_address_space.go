package sandbox

import (
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Address spaces of peered networks, and the sync of a peering after one
// changes. A network's address space changes with a PUT of the network
// (as azure-cli's `network vnet create` sends it in
// test_network_vnet_peering_sync.yaml, and as armnetwork's
// VirtualNetworksClient.BeginCreateOrUpdate sends the whole network), or
// from outside the API (POST /_sandbox/vnets/address-space).
//
// Each side of a pair keeps the remote's address space it last synced
// (remoteAddressSpace) beside the remote's current one
// (remoteVirtualNetworkAddressSpace); traffic flows to the synced ranges
// only. After the address space of network X changes, as azure-powershell's
// recorded TestVirtualNetworkPeeringSyncCRUD (api-version 2021-02-01) shows
// it and its VirtualNetworkTests.ps1 asserts:
//
//   - X's peering to Y is RemoteNotInSync (Y's side has not synced X's
//     new space);
//   - Y's peering to X is LocalNotInSync, remoteAddressSpace still the old
//     space, remoteVirtualNetworkAddressSpace the new one;
//   - PUT of Y's peering with ?syncRemoteAddressSpace=True answers 200,
//     provisioningState Updating, already FullyInSync with the new
//     remoteAddressSpace, and its operation is polled to Succeeded; then
//     both sides are FullyInSync.
//
// A peering PUT without the parameter does not sync: re-deploying the
// peering leaves it "Remote not in sync" (Azure/bicep-types-az#2621).
// Syncing the side whose own network changed (the RemoteNotInSync one)
// "ends with success but the status for peering is still RemoteNotInSync"
// (Azure/azure-powershell#24168), and Sync-AzVirtualNetworkPeering's docs
// say the sync "needs to be called on the (peered) remote virtual
// network"; the portal's how-to (update-virtual-network-peering-address-
// space) has the user sync from the changed network, so variant
// azure-sync-changed-side offers that it syncs both.

// ActionVNetWrite is the RBAC action of a network PUT.
const ActionVNetWrite = "Microsoft.Network/virtualNetworks/write"

// Operation kind and name of a network PUT.
const (
	opVNetPut      = "vnet-put"
	opNamePutVNet  = "PutVirtualNetworkOperation"
	syncBothValue  = "syncs-both"
	syncNoOpValue  = "no-op"
	aivenSyncOnRef = "on-refresh"
	aivenSyncLater = "periodic"
)

// Peering sync levels (the spec's VirtualNetworkPeeringLevel).
const (
	syncFully          = "FullyInSync"
	syncLocalNotInSync = "LocalNotInSync"
	syncRemoteNotSync  = "RemoteNotInSync"
	syncNeither        = "LocalAndRemoteNotInSync"
)

// syncLevelOf names a side's sync level from whether it has synced its
// remote's current space (local) and whether the remote's side has synced
// this side's (remote).
func syncLevelOf(local, remote bool) string {
	switch {
	case local && remote:
		return syncFully
	case remote:
		return syncLocalNotInSync
	case local:
		return syncRemoteNotSync
	}
	return syncNeither
}

// samePrefixes compares two address spaces as sets.
func samePrefixes(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	if slices.Equal(a, b) {
		return true // the usual case, without allocating
	}
	x, y := slices.Clone(a), slices.Clone(b)
	for i := range x {
		x[i] = strings.ToLower(x[i])
	}
	for i := range y {
		y[i] = strings.ToLower(y[i])
	}
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

// synced reports whether p has synced its remote network's current address
// space. A peering written before the sandbox kept the synced space (nil)
// counts as synced. Expects world.mu held.
func (world *World) synced(p *VNetPeering) bool {
	remote := world.vnet(p.RemoteVNetID)
	if remote == nil || p.RemoteAddressPrefixes == nil {
		return true
	}
	return samePrefixes(p.RemoteAddressPrefixes, remote.AddressPrefixes)
}

// syncPeering makes p take its remote's current address space (the work
// of ?syncRemoteAddressSpace=true). Expects world.mu held.
func (world *World) syncPeering(p *VNetPeering) {
	if remote := world.vnet(p.RemoteVNetID); remote != nil {
		p.RemoteAddressPrefixes = slices.Clone(remote.AddressPrefixes)
	}
}

// vnetBody is the part of a network PUT the sandbox reads
// (armnetwork.VirtualNetwork): its location and address space. Subnets,
// DNS servers and the rest are not modelled; the network's peerings stay
// as they are, whatever the body lists (they are child resources with
// their own PUT).
type vnetBody struct {
	Location   string `json:"location"`
	Properties *struct {
		AddressSpace *struct {
			AddressPrefixes []string `json:"addressPrefixes"`
		} `json:"addressSpace"`
	} `json:"properties"`
}

// putVNet creates a network or changes its address space.
func (q *armRequest) putVNet() {
	sub, rg, name := q.params["subscriptionId"], q.params["resourceGroupName"], q.params["virtualNetworkName"]
	if !q.world.resourceGroupExists(sub, rg) {
		armError(q.w, http.StatusNotFound, "ResourceGroupNotFound", fmt.Sprintf("Resource group '%s' could not be found.", rg))
		return
	}
	var body vnetBody
	if !q.decodeBody(&body) {
		return
	}
	v := q.world.vnetByNames(sub, rg, name)
	id := VNetID(sub, rg, name)
	if v != nil {
		id = v.ID
	}
	if body.Properties == nil || body.Properties.AddressSpace == nil || len(body.Properties.AddressSpace.AddressPrefixes) == 0 {
		// No public source shows this text: the sandbox's own, in the
		// provider's shape.
		networkError(q.w, http.StatusBadRequest, "InvalidRequestFormat",
			"Cannot parse the request. The property 'properties.addressSpace.addressPrefixes' of virtual network "+id+" must list at least one address prefix.")
		return
	}
	prefixes := body.Properties.AddressSpace.AddressPrefixes
	if msg := checkAddressSpace(id, prefixes); msg != "" {
		// The sandbox's own text (no public source quotes the provider's).
		networkError(q.w, http.StatusBadRequest, "InvalidAddressPrefix", msg)
		return
	}
	if v == nil && body.Location == "" {
		// The sandbox's own text, as Resource Manager's deserialization
		// errors read (badBody).
		q.badBody("the location of a new virtual network is required")
		return
	}
	if v != nil {
		if b := q.anotherOperation(v, v.ID, ""); b != nil && q.refuseBusy(b) {
			return
		}
		if msg := q.world.overlapsPeered(v, prefixes); msg != "" {
			networkError(q.w, http.StatusBadRequest, "VnetAddressSpaceOverlapsWithAlreadyPeeredVnet", msg)
			return
		}
	}
	now := q.s.clock.Now()
	status := http.StatusOK
	if v == nil {
		// test_network_vnet_peering_sync.yaml: a new network answers 201,
		// Updating, and its operation is polled to Succeeded.
		status = http.StatusCreated
		v = q.world.createVNet(sub, rg, name, body.Location, slices.Clone(prefixes)...)
	} else {
		q.world.setAddressSpace(v, prefixes)
	}
	v.ETag = etag()
	op := q.world.startOperation(now, opVNetPut, v.ID, q.world.Timing.PeeringProvisioning.D())
	op.Name = opNamePutVNet
	q.asyncHeaders(v, op, now, false)
	writeJSON(q.w, status, q.world.vnetJSON(v))
}

// checkAddressSpace explains what is wrong with an address space, or "".
func checkAddressSpace(id string, prefixes []string) string {
	var seen []netip.Prefix
	for _, s := range prefixes {
		p, err := netip.ParsePrefix(s)
		switch {
		case err != nil:
			return fmt.Sprintf("Address prefix %s of virtual network %s is not a valid CIDR range.", s, id)
		case p.Masked() != p:
			return fmt.Sprintf("Address prefix %s of virtual network %s has host bits set; did you mean %s?", s, id, p.Masked())
		}
		for _, o := range seen {
			if o.Overlaps(p) {
				return fmt.Sprintf("Address prefixes %s and %s of virtual network %s overlap.", o, p, id)
			}
		}
		seen = append(seen, p)
	}
	return ""
}

// overlapsPeered refuses a new address space of v that overlaps the space
// of a network v is peered with; the code is the one Azure gives a
// peering that would overlap a peered network (arm_peerings.go's
// noOverlap), the text the sandbox's own. Expects world.mu held.
func (world *World) overlapsPeered(v *VNet, prefixes []string) string {
	for _, p := range v.Peerings {
		remote := world.vnet(p.RemoteVNetID)
		if remote == nil {
			continue
		}
		if both := overlapping(prefixes, remote.AddressPrefixes); len(both) > 0 {
			return fmt.Sprintf("Cannot update virtual network %s. Its address space would overlap with address space of virtual network %s it is peered with by peering %s. Overlapping address prefixes: %s. For more information please refer to https://aka.ms/VnetPeeringInfo",
				v.ID, remote.ID, p.ID, strings.Join(both, ", "))
		}
	}
	return ""
}

// setAddressSpace changes a network's address space; its peerings and
// their remote sides take their sync levels from it. Expects world.mu held.
func (world *World) setAddressSpace(v *VNet, prefixes []string) {
	v.AddressPrefixes = slices.Clone(prefixes)
	world.reconcilePeerings(v)
}

// SetVNetAddressSpace changes a network's address space from outside the
// API, as its owner would in the portal (tests; POST
// /_sandbox/vnets/address-space does the same). The network is Updating
// for Timing.PeeringProvisioning.
func (s *Server) SetVNetAddressSpace(vnetID string, prefixes []string) error {
	world, unlock := s.lock()
	defer unlock()
	v := world.vnet(vnetID)
	if v == nil {
		return fmt.Errorf("no virtual network %s", vnetID)
	}
	if msg := checkAddressSpace(v.ID, prefixes); msg != "" {
		return fmt.Errorf("%s", msg)
	}
	if msg := world.overlapsPeered(v, prefixes); msg != "" {
		return fmt.Errorf("%s", msg)
	}
	world.setAddressSpace(v, prefixes)
	v.ETag = etag()
	world.startOtherOperation(s.clock.Now(), v.ID, "", opNamePutVNet, true)
	s.markDirty()
	return nil
}

// adminAddressSpace serves POST /_sandbox/vnets/address-space.
func (s *Server) adminAddressSpace(w http.ResponseWriter, r *http.Request) {
	var in struct {
		VNetID          string   `json:"vnet_id"`
		AddressPrefixes []string `json:"address_prefixes"`
	}
	if err := decodeJSON(r, &in); err != nil || in.VNetID == "" || len(in.AddressPrefixes) == 0 {
		adminError(w, http.StatusBadRequest, `want {"vnet_id": "/subscriptions/.../virtualNetworks/NAME", "address_prefixes": ["10.2.0.0/16", "10.3.0.0/16"]}`)
		return
	}
	if err := s.SetVNetAddressSpace(in.VNetID, in.AddressPrefixes); err != nil {
		adminError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"vnet_id": in.VNetID, "address_prefixes": in.AddressPrefixes})
}

// syncSide is the work of a peering PUT with ?syncRemoteAddressSpace=true
// on p of local: p takes its remote's current space; under variant
// azure-sync-changed-side=syncs-both, a sync of the side whose own network
// changed also syncs the remote's side. Expects world.mu held.
func (world *World) syncSide(local *VNet, p *VNetPeering) {
	world.syncPeering(p)
	if world.variant(VariantAzureSyncChangedSide) != syncBothValue {
		return
	}
	if remote := world.vnet(p.RemoteVNetID); remote != nil {
		if back := remote.peeringTo(local.ID); back != nil {
			world.syncPeering(back)
		}
	}
}

// aivenSyncDue reports whether Aiven's backend syncs its side of a
// connection now: on a refresh (variant aiven-address-space-sync
// on-refresh), or by itself once its side has been out of sync for
// Timing.AivenAddressSync (periodic). Expects world.mu held.
func (s *Server) aivenSyncDue(world *World, pc *AivenPeering, refresh bool) bool {
	if world.variant(VariantAivenAddressSpaceSync) == aivenSyncOnRef {
		return refresh
	}
	return !pc.NotInSyncSince.IsZero() && s.clock.Due(pc.NotInSyncSince, world.Timing.AivenAddressSync.D())
}

// followAddressSpace syncs Aiven's side of an Azure connection when it is
// behind the user's network and aivenSyncDue says so; it notes when it
// fell behind. It reports whether anything changed. Expects world.mu held.
func (s *Server) followAddressSpace(world *World, now time.Time, aivenVNet *VNet, pc *AivenPeering, refresh bool) bool {
	if aivenVNet == nil || pc.AivenSidePeeringID == "" {
		return false
	}
	side := aivenVNet.Peerings[strings.ToLower(pathBase(pc.AivenSidePeeringID))]
	if side == nil || world.synced(side) {
		if !pc.NotInSyncSince.IsZero() {
			pc.NotInSyncSince = time.Time{}
			return true
		}
		return false
	}
	changed := false
	if pc.NotInSyncSince.IsZero() {
		pc.NotInSyncSince = now
		changed = true
	}
	if !s.aivenSyncDue(world, pc, refresh) || world.updatingOperation(aivenVNet) != nil {
		return changed
	}
	world.syncPeering(side)
	side.ETag = etag()
	side.ProvisioningState = "Updating"
	world.startOtherOperation(now, side.ID, side.RemoteVNetID, opNamePutPeering, true)
	world.reconcilePeerings(aivenVNet)
	pc.NotInSyncSince = time.Time{}
	return true
}

// pathBase is the last segment of a resource id.
func pathBase(id string) string { return id[strings.LastIndex(id, "/")+1:] }
