package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path"
	"strings"
	"time"
)

// Aiven's peering state machine. It is time-driven: advanceAiven runs under
// the world lock before every request (Server.lock) and moves each
// connection at most one state per run, so even in instant mode (speed 0)
// every state a client could see in the real API is visible to a poller.
//
// Azure connections:
//
//	APPROVED ──AivenApproval──▶ checks ──▶ INVALID_SPECIFICATION | REJECTED_BY_PEER | ERROR
//	                                   └─▶ PENDING_PEER (Aiven-side peering made; to-tenant-id, to-network-id)
//	PENDING_PEER ──both Azure sides Connected + AivenActivation──▶ ACTIVE
//	PENDING_PEER, ACTIVE ──Aiven side Disconnected for AivenPeerLoss──▶ DELETED_BY_PEER
//	any ──DELETE──▶ DELETING ──AivenDeletion──▶ DELETED ──AivenDeletion──▶ gone
//
// Aiven's peering goes at DELETED_BY_PEER and DELETED. The service
// principal and role assignment it gave the user's app in its own tenant go
// only at DELETED, when no other connection holds them: a connection asked
// for again after DELETED_BY_PEER works with the tokens the app still holds,
// while after DELETED the principal is new and old tokens name a deleted
// object, as they would in Entra.
//
// A role assignment that is still propagating keeps the connection APPROVED
// (it is re-checked on every run); a user-side peering with
// allowVirtualNetworkAccess=false keeps it PENDING_PEER with a state_info
// message saying so. Other clouds go APPROVED → APPROVED_PEER_REQUESTED →
// PENDING_PEER and wait there: their side is not emulated.
//
// Cost: a run looks at every connection's state string, but only connections
// in a transitional state, or ACTIVE ones with an Aiven-side Azure peering
// (one map lookup each), do any work, so a world of thousands of settled
// connections adds microseconds to a request.

// advanceAiven runs Aiven's peering state machine up to now, over project
// and organization VPCs alike. Expects the world lock.
func (s *Server) advanceAiven() {
	world := s.world
	var now time.Time // read lazily: most runs change nothing
	changed := false
	for _, p := range world.Aiven.Projects {
		var plat *AivenPlatform // looked up once per project, only when needed
		for _, v := range p.VPCs {
			changed = s.advanceVPC(world, &now, p, &plat, v) || changed
		}
	}
	for _, o := range world.Aiven.Organizations {
		var plat *AivenPlatform
		for _, v := range o.VPCs {
			// Aiven operates organization VPCs (platformOf(nil)).
			changed = s.advanceVPC(world, &now, nil, &plat, v) || changed
		}
	}
	changed = s.advanceOrgVPCs(func() time.Time {
		if now.IsZero() {
			now = s.clock.Now()
		}
		return now
	}) || changed
	if changed {
		s.markDirty()
	}
}

// advanceVPC moves the connections of one VPC (of project p, nil for an
// organization's); now and plat are filled in when first needed.
func (s *Server) advanceVPC(world *World, now *time.Time, p *Project, plat **AivenPlatform, v *VPC) bool {
	changed := false
	var remove []*AivenPeering
	var aivenVNet *VNet // looked up once per VPC, only when needed
	for _, pc := range v.Peerings {
		if !pc.transitional() {
			continue
		}
		if now.IsZero() {
			*now = s.clock.Now()
		}
		if aivenVNet == nil {
			aivenVNet = world.vnetNoAlloc(v.AzureVNetID)
		}
		if *plat == nil {
			pl := world.platformOf(p)
			*plat = &pl
		}
		c, gone := s.stepPeering(world, *now, *plat, v, aivenVNet, pc, false)
		changed = changed || c
		if gone {
			remove = append(remove, pc)
		}
	}
	if len(remove) > 0 {
		v.removePeerings(remove)
		v.UpdateTime = *now
	}
	return changed
}

// transitional reports whether the state machine may have work for pc.
func (pc *AivenPeering) transitional() bool {
	switch pc.State {
	case StateApproved, StateApprovedPeerRequested, StatePendingPeer, StateDeleting, StateDeleted:
		return true
	case StateActive:
		return pc.AivenSidePeeringID != ""
	}
	return false
}

func (v *VPC) removePeerings(gone []*AivenPeering) {
	kept := v.Peerings[:0]
	for _, pc := range v.Peerings {
		drop := false
		for _, g := range gone {
			if g == pc {
				drop = true
				break
			}
		}
		if !drop {
			kept = append(kept, pc)
		}
	}
	clear(v.Peerings[len(kept):])
	v.Peerings = kept
}

// refreshVPC evaluates the VPC's APPROVED connections now (the refresh
// endpoint), and has Aiven look at its side of the ACTIVE ones. It reports
// whether anything changed.
func (s *Server) refreshVPC(world *World, now time.Time, p *Project, v *VPC) bool {
	changed := false
	aivenVNet := world.vnet(v.AzureVNetID)
	plat := world.platformOf(p)
	for _, pc := range v.Peerings {
		switch pc.State {
		case StateApproved, StateApprovedPeerRequested:
			c, _ := s.stepPeering(world, now, &plat, v, aivenVNet, pc, true)
			changed = changed || c
		case StateActive:
			// Aiven re-checks its side against the user's network
			// (arm_address_space.go, variant aiven-address-space-sync).
			changed = s.followAddressSpace(world, now, aivenVNet, pc, true) || changed
		}
	}
	return changed
}

// stepPeering moves one connection at most one state. plat is the
// operator of the VPC's project; aivenVNet is the VPC's Azure network (nil
// for other clouds, or when it is missing); force skips the AivenApproval
// wait. It reports whether pc changed and whether it is to be removed from
// its VPC.
func (s *Server) stepPeering(world *World, now time.Time, plat *AivenPlatform, v *VPC, aivenVNet *VNet, pc *AivenPeering, force bool) (changed, gone bool) {
	t := world.Timing
	switch pc.State {
	case StateApproved, StateApprovedPeerRequested:
		if !force && !s.clock.Due(pc.StateSince, t.AivenApproval.D()) {
			return false, false
		}
		if pc.Type == aivenPeeringTypeAzure {
			return s.evaluateAzure(world, now, *plat, v, aivenVNet, pc), false
		}
		return evaluateOther(world, now, pc), false
	case StatePendingPeer, StateActive:
		if pc.AivenSidePeeringID == "" {
			return false, false // not Azure: the peer side is not emulated
		}
		changed = s.watchAzure(world, now, v, aivenVNet, pc)
		if pc.State == StateActive {
			changed = s.followAddressSpace(world, now, aivenVNet, pc, false) || changed
		}
		return changed, false
	case StateDeleting:
		if !s.clock.Due(pc.StateSince, t.AivenDeletion.D()) {
			return false, false
		}
		world.removeAivenPeering(aivenVNet, pc)
		// No public source for DELETED's state_info: the sandbox's own.
		world.setPeeringState(now, pc, StateDeleted, map[string]any{"message": "Peering connection deleted", "type": "deleted"})
		if pc.Type == aivenPeeringTypeAzure {
			world.releaseAivenGrants(*plat, v, pc)
		}
		return true, false
	case StateDeleted:
		return false, s.clock.Due(pc.StateSince, t.AivenDeletion.D())
	}
	return false, false
}

// evaluateAzure is what Aiven does with an APPROVED Azure connection: check
// the request against the user's tenant and, when all is well, build its
// side of the peering. plat is the project's operator: its app's service
// principal is the one that must hold peer/action on the user's VNet.
func (s *Server) evaluateAzure(world *World, now time.Time, plat AivenPlatform, v *VPC, aivenVNet *VNet, pc *AivenPeering) bool {
	fail := func(state, typ, msg string) bool {
		world.setPeeringState(now, pc, state, map[string]any{"message": msg, "type": typ})
		return true
	}
	invalid := func(format string, a ...any) bool {
		return fail(StateInvalidSpecification, "invalid-specification", fmt.Sprintf(format, a...))
	}
	// The texts below are the sandbox's own unless a comment names the
	// source; the causes are those the Terraform docs list for
	// INVALID_SPECIFICATION: "the peer cloud account of VPC doesn't exist,
	// overlapping IP ranges, or the Aiven cloud account doesn't have
	// permissions to peer there" (templates/resources/
	// vpc_peering_connection.md.tmpl).
	if aivenVNet == nil {
		// No public source for ERROR at all: the sandbox's own.
		return fail(StateError, "error", fmt.Sprintf(
			"Internal error while creating the peering connection: the network of project VPC %s is not available. %s has been notified; delete the connection and try again later", v.ID, plat.Name))
	}
	sub, rg, name, tenant := pc.PeerCloudAccount, pc.PeerResourceGroup, pc.PeerVPC, pc.PeerAzureTenantID
	if world.Tenants[strings.ToLower(tenant)] == nil && world.Tenants[tenant] == nil {
		// Entra's AADSTS90002 text (Entra's error code reference), quoted.
		return invalid("Cannot sign in to Azure tenant %s: AADSTS90002: Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", tenant, tenant)
	}
	switch subTenant := world.tenantOfSubscription(sub); {
	case subTenant == "":
		// Resource Manager's SubscriptionNotFound text, quoted.
		return invalid("The subscription '%s' could not be found.", sub)
	case !strings.EqualFold(subTenant, tenant):
		// Resource Manager's InvalidAuthenticationTokenTenant text, quoted
		// after the sandbox's own lead.
		return invalid("Subscription %s does not belong to tenant %s (peer_azure_tenant_id): the access token is from the wrong issuer 'https://sts.windows.net/%s/'. It must match the tenant 'https://sts.windows.net/%s/' associated with this subscription.", sub, tenant, tenant, subTenant)
	}
	var upper []string
	if strings.ToLower(rg) != rg {
		upper = append(upper, fmt.Sprintf("resource group %q", rg))
	}
	if strings.ToLower(name) != name {
		upper = append(upper, fmt.Sprintf("virtual network %q", name))
	}
	if len(upper) > 0 {
		// Variant aiven-uppercase-names' invalid-specification-later (the
		// other value refuses such names at create, upperCaseNames). The
		// docs' warning, "the Aiven API currently only accepts names in
		// lower case", in a text of the sandbox's own.
		return invalid("Invalid peering specification: %s must be given in lower case. The Aiven API currently only accepts resource group and virtual network names in lower case; delete this connection and create it again with lower-case names", strings.Join(upper, " and "))
	}
	userVNet := world.vnetByNames(sub, rg, name)
	if userVNet == nil {
		return invalid("Virtual network %q in resource group %q of subscription %s was not found", name, rg, sub)
	}
	app := world.appByAppID(pc.PeerAzureAppID)
	switch {
	case app == nil:
		// Graph's answer to a service principal for an unknown appId,
		// quoted after the sandbox's own lead.
		return invalid("Cannot create a service principal for application %s (peer_azure_app_id) in the %s tenant: The appId '%s' of the service principal does not reference a valid application object.", pc.PeerAzureAppID, plat.Name, pc.PeerAzureAppID)
	case !app.MultiTenant():
		return invalid("Application %s (peer_azure_app_id) is not multi-tenant (signInAudience %s): %s cannot create its service principal in the %s tenant. Set the application's signInAudience to AzureADMultipleOrgs", app.AppID, app.SignInAudience, plat.Name, plat.Name)
	}
	if x, y, ok := overlaps([]string{v.NetworkCIDR}, userVNet.AddressPrefixes); ok {
		return invalid("Address space %s of virtual network %q overlaps with the project VPC network %s", y, userVNet.Name, x)
	}
	if x, y, ok := overlaps([]string{v.NetworkCIDR}, pc.UserPeerNetworkCIDRs); ok {
		return invalid("User peer network CIDR %s overlaps with the project VPC network %s", y, x)
	}
	// Aiven's service principal may not peer with the user's VNet: which
	// state that ends in is variant aiven-permission-failure's choice.
	// REJECTED_BY_PEER: Aiven's Azure doc, "check if the Azure VNet exists
	// and if the Aiven application object has the permission" for a
	// REJECTED_BY_PEER connection, and the MST docs ("INVALID_SPECIFICATION
	// or REJECTED_BY_PEER may be shown if the VNet specified did not exist,
	// or the Timescale app object wasn't given permissions to peer with
	// it", timescale/docs mst/vpc-peering/vpc-peering-azure.md).
	// INVALID_SPECIFICATION: the Terraform provider's docs, which call
	// REJECTED_BY_PEER "an AWS specific state" and list among the causes of
	// INVALID_SPECIFICATION that "the Aiven cloud account doesn't have
	// permissions to peer there" (templates/resources/
	// vpc_peering_connection.md.tmpl). The messages are the sandbox's own
	// around Azure's own texts: AADSTS700016 ("Application with identifier
	// '{appId}' was not found in the directory '{tenant}'", Entra's error
	// code reference) and AuthorizationFailed, as the MST docs quote it
	// ("The client <uuid> with object id <uuid> does not have authorization
	// to perform action ... over scope ... If access was recently granted,
	// refresh your credentials").
	noPermission := func(format string, a ...any) bool {
		msg := fmt.Sprintf(format, a...)
		if world.variant(VariantAivenPermission) == "invalid-specification" {
			return fail(StateInvalidSpecification, "invalid-specification",
				"Invalid peering specification: "+plat.Name+" does not have permission to peer with virtual network "+userVNet.ID+": "+msg)
		}
		return fail(StateRejectedByPeer, "rejected-by-peer", "Peering request rejected: "+msg)
	}
	aivenSP := world.spByAppID(tenant, plat.AppID)
	if aivenSP == nil {
		return noPermission(
			"AADSTS700016: Application with identifier '%s' was not found in the directory '%s'. Create a service principal for the %s application in your tenant and grant it 'Microsoft.Network/virtualNetworks/peer/action' on %s",
			plat.AppID, tenant, plat.Name, userVNet.ID)
	}
	if !world.principalReplicated(s.clock, aivenSP) {
		return false // Entra has not replicated it yet: try again on a later run
	}
	grants := world.grants(s.clock, aivenSP.ID, ActionPeer, userVNet.ID)
	if len(grants) == 0 {
		return noPermission(
			"the %s service principal is not authorized to perform action 'Microsoft.Network/virtualNetworks/peer/action' on the peer virtual network. The client '%s' with object id '%s' does not have authorization to perform action '%s' over scope '%s' or the scope is invalid. If access was recently granted, please refresh your credentials.",
			plat.Name, aivenSP.ID, aivenSP.ID, ActionPeer, userVNet.ID)
	}
	for _, g := range grants {
		if g.Effective {
			world.provisionAivenSide(now, plat, v, pc)
			return true
		}
	}
	return false // the assignment is still propagating: try again on a later run
}

// evaluateOther moves a connection to a cloud the sandbox does not emulate
// as far as Aiven's side goes: the request is sent, then it waits for the
// user to accept it. The messages are the sandbox's own; the AWS key
// aws_vpc_peering_connection_id is the AWS_VPC_PEERING_CONNECTION_ID column
// of `avn vpc peering-connection get` in Aiven's CLI docs; the GCP keys
// to-project-id / to-vpc-network are spelt like Azure's to-network-id, a
// guess (codegen's openapi_patch.yaml spells an organization VPC's
// to_project_id and to_vpc_network).
func evaluateOther(world *World, now time.Time, pc *AivenPeering) bool {
	if pc.State == StateApproved {
		world.setPeeringState(now, pc, StateApprovedPeerRequested, map[string]any{
			"message": "Peering connection requested from the peer cloud", "type": "approved-peer-requested"})
		return true
	}
	info := map[string]any{"type": "pending-peer"}
	switch pc.Type {
	case aivenPeeringTypeAWS:
		pc.PeeringConnectionID = "pcx-" + randomHex(17)
		info["message"] = fmt.Sprintf("Pending peer: accept VPC peering connection %s in AWS account %s", pc.PeeringConnectionID, pc.PeerCloudAccount)
		info["aws_vpc_peering_connection_id"] = pc.PeeringConnectionID
	case aivenPeeringTypeGoogle:
		info["message"] = "Pending peer: create a peering from your VPC network to the network in to-vpc-network"
		info["to-project-id"] = "aiven-prod-" + randomHex(6)
		info["to-vpc-network"] = "aiven-vpc-" + randomHex(8)
	default:
		info["message"] = "Pending peer: complete the peering in your cloud account"
	}
	world.setPeeringState(now, pc, StatePendingPeer, info)
	return true
}

// watchAzure follows the Azure peering of a PENDING_PEER or ACTIVE
// connection: activation once both sides are Connected, and loss of the
// user's side.
func (s *Server) watchAzure(world *World, now time.Time, v *VPC, aivenVNet *VNet, pc *AivenPeering) bool {
	t := world.Timing
	var side *VNetPeering
	if aivenVNet != nil {
		side = aivenVNet.Peerings[strings.ToLower(path.Base(pc.AivenSidePeeringID))]
	}
	connected := side != nil && side.PeeringState == "Connected"
	// In PENDING_PEER an Initiated side only means the user has not made
	// theirs yet; Disconnected (or no side at all) means it existed and went.
	lost := side == nil || side.PeeringState == "Disconnected" || (pc.State == StateActive && !connected)
	if fast := connected && pc.State == StateActive && pc.PeerLostAt.IsZero(); fast {
		return false
	}
	changed := false
	if lost {
		pc.ConnectedAt = time.Time{}
		if pc.PeerLostAt.IsZero() {
			pc.PeerLostAt = now
			changed = true
		}
		if !s.clock.Due(pc.PeerLostAt, t.AivenPeerLoss.D()) {
			return changed
		}
		world.removeAivenPeering(aivenVNet, pc)
		// The message is the sandbox's own; the Terraform docs: "the user
		// deleted the peering cloud resource in their account. There are
		// no transitions from this state".
		world.setPeeringState(now, pc, StateDeletedByPeer, map[string]any{
			"message": "Peering connection was deleted by the peer: the peering from your virtual network to the Aiven network was removed. Delete this connection and create it again to restore it",
			"type":    "deleted-by-peer"})
		return true
	}
	if !pc.PeerLostAt.IsZero() {
		pc.PeerLostAt = time.Time{}
		changed = true
	}
	if pc.State != StatePendingPeer || !connected {
		return changed
	}
	var userSide *VNetPeering
	if uv := world.vnet(side.RemoteVNetID); uv != nil {
		userSide = uv.peeringTo(aivenVNet.ID)
	}
	// A user side without allowVirtualNetworkAccess: Aiven may hold the
	// connection in PENDING_PEER (and say why) or call it ACTIVE, as both
	// sides are Connected; variant aiven-no-vnet-access chooses. The MST
	// docs only warn that without --allow-vnet-access "no traffic is allowed
	// to flow from the peered VNet"; the message is the sandbox's own.
	msg := pendingPeerMessage
	if userSide != nil && !userSide.AllowVirtualNetworkAccess && world.variant(VariantAivenNoVNetAccess) == "stays-pending-peer" {
		msg = fmt.Sprintf("Pending peer: peering %q from your virtual network is Connected but has allowVirtualNetworkAccess set to false; set it to true so the networks can reach each other", userSide.Name)
	}
	if pc.StateInfo["message"] != msg {
		info := make(map[string]any, len(pc.StateInfo))
		for k, val := range pc.StateInfo {
			info[k] = val
		}
		info["message"] = msg
		pc.StateInfo = info
		pc.UpdateTime = now
		changed = true
	}
	if msg != pendingPeerMessage {
		pc.ConnectedAt = time.Time{}
		return changed
	}
	if pc.ConnectedAt.IsZero() {
		pc.ConnectedAt = now
		changed = true
	}
	if s.clock.Due(pc.ConnectedAt, t.AivenActivation.D()) {
		// "Peering connection active" is the message avn's docs show for an
		// ACTIVE connection (aiven-docs docs/tools/cli/vpc.md); the type
		// there is "aws-vpc-peering-connection-active" for AWS, so "active"
		// for Azure is a guess.
		world.setPeeringState(now, pc, StateActive, map[string]any{"message": "Peering connection active", "type": "active"})
		return true
	}
	return changed
}

// pendingPeerMessage is provisionAivenSide's PENDING_PEER message, the
// sandbox's own; the keys beside it, to-tenant-id and to-network-id, are
// those Aiven's and MST's docs tell the user to save ("Save the
// `to-tenant-id` field in the output ... The `to-network-id` field").
const pendingPeerMessage = "Pending peer: create a peering from your virtual network to the network in to-network-id"

// removeAivenPeering deletes the Azure peering Aiven made for a connection;
// the user's side turns Disconnected. Expects world.mu held.
func (world *World) removeAivenPeering(aivenVNet *VNet, pc *AivenPeering) {
	if pc.AivenSidePeeringID != "" && aivenVNet != nil {
		world.deletePeering(aivenVNet, path.Base(pc.AivenSidePeeringID))
	}
	pc.AivenSidePeeringID = ""
	pc.ConnectedAt, pc.PeerLostAt = time.Time{}, time.Time{}
}

// holdsAivenGrant reports whether a connection in this state keeps the
// service principal and role assignment Aiven gave the user's app: from
// PENDING_PEER until the connection is deleted. DELETED_BY_PEER keeps them
// so that asking again works with the tokens the app already holds.
func holdsAivenGrant(state string) bool {
	switch state {
	case StatePendingPeer, StateActive, StateDeletedByPeer, StateDeleting:
		return true
	}
	return false
}

// releaseAivenGrants removes the role assignment on this VPC's network and
// the service principal that the platform (Aiven, or the project's other
// operator) gave the user's app in its tenant, each unless another
// connection of the same platform still holds it. Expects world.mu held.
func (world *World) releaseAivenGrants(plat AivenPlatform, v *VPC, pc *AivenPeering) {
	sp := world.spByAppID(plat.TenantID, pc.PeerAzureAppID)
	if sp == nil || strings.EqualFold(sp.AppOwnerOrganizationID, plat.TenantID) {
		return // none, or one of the platform's own apps: never its to remove
	}
	usedHere, usedAnywhere := false, false
	world.forEachVPC(func(p *Project, ov *VPC) {
		if !strings.EqualFold(world.platformOf(p).TenantID, plat.TenantID) {
			return // another platform's tenant: its principals are other objects
		}
		for _, o := range ov.Peerings {
			if o == pc || !holdsAivenGrant(o.State) || !strings.EqualFold(o.PeerAzureAppID, pc.PeerAzureAppID) {
				continue
			}
			usedAnywhere = true
			usedHere = usedHere || strings.EqualFold(ov.AzureVNetID, v.AzureVNetID)
		}
	})
	for key, ra := range world.RoleAssignments {
		if !strings.EqualFold(ra.PrincipalID, sp.ID) {
			continue
		}
		if !usedAnywhere || (!usedHere && strings.EqualFold(ra.Scope, v.AzureVNetID)) {
			delete(world.RoleAssignments, key)
		}
	}
	if !usedAnywhere {
		delete(world.ServicePrincipals, sp.ID)
	}
}

// vnetNoAlloc is world.vnet without the allocation of lower-casing the id, as
// advanceAiven looks up every VPC's network on every request.
func (world *World) vnetNoAlloc(id string) *VNet {
	var buf [256]byte
	if len(id) > len(buf) {
		return world.vnet(id)
	}
	b := buf[:len(id)]
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c >= 0x80 {
			return world.vnet(id) // non-ASCII: let strings.ToLower decide
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return world.VNets[string(b)] // the compiler does not copy b for a map index
}

func randomHex(n int) string {
	b := make([]byte, (n+1)/2)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)[:n]
}
