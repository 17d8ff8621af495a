package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"maps"
	"strings"
	"time"
)

// World mutations shared by the API handlers, the scenario builder and the
// Aiven state machine. All expect world.mu held; none checks authorization
// (handlers do that before calling).

func (world *World) addTenant(id, name, domain string) *Tenant {
	t := &Tenant{ID: id, DisplayName: name, DefaultDomain: domain}
	world.Tenants[id] = t
	return t
}

func (world *World) addSubscription(id, tenantID, name string) *Subscription {
	s := &Subscription{ID: id, TenantID: tenantID, DisplayName: name, State: "Enabled"}
	world.Subscriptions[id] = s
	return s
}

func (world *World) createApplication(now time.Time, tenantID, objectID, appID, displayName, audience string) *Application {
	if objectID == "" {
		objectID = newGUID()
	}
	if appID == "" {
		appID = newGUID()
	}
	a := &Application{ID: objectID, AppID: appID, TenantID: tenantID, DisplayName: displayName,
		SignInAudience: audience, PasswordCredentials: []PasswordCredential{}, CreatedAt: now}
	world.Applications[objectID] = a
	return a
}

// addPassword adds a password credential and returns it with the secret text,
// which only the caller ever sees.
func (world *World) addPassword(now time.Time, app *Application, displayName string, end time.Time) (PasswordCredential, string) {
	secret := newSecret()
	if end.IsZero() {
		end = now.AddDate(2, 0, 0)
	}
	pc := PasswordCredential{KeyID: newGUID(), DisplayName: displayName, Hint: secret[:3],
		SecretSHA256: sha256Hex(secret), StartDateTime: now, EndDateTime: end, CreatedAt: now}
	app.PasswordCredentials = append(app.PasswordCredentials, pc)
	return pc, secret
}

func (world *World) createServicePrincipal(now time.Time, tenantID string, app *Application, objectID string) *ServicePrincipal {
	if objectID == "" {
		objectID = newGUID()
	}
	sp := &ServicePrincipal{ID: objectID, AppID: app.AppID, TenantID: tenantID,
		AppOwnerOrganizationID: app.TenantID, DisplayName: app.DisplayName, CreatedAt: now}
	world.ServicePrincipals[objectID] = sp
	return sp
}

func (world *World) addBuiltinRoles(tenantID string) {
	for _, b := range builtinRoles {
		rd := b
		rd.ID = "/providers/Microsoft.Authorization/roleDefinitions/" + b.Name
		rd.TenantID = tenantID
		rd.RoleType = "BuiltInRole"
		rd.AssignableScopes = []string{"/"}
		if rd.NotActions == nil {
			rd.NotActions = []string{}
		}
		world.RoleDefinitions[strings.ToLower(tenantID+rd.ID)] = &rd
	}
}

func (world *World) createRoleDefinition(now time.Time, tenantID, guid, roleName, description string, actions, assignable []string) *RoleDefinition {
	if guid == "" {
		guid = newGUID()
	}
	id := "/subscriptions/" + subscriptionOf(assignable[0]) + "/providers/Microsoft.Authorization/roleDefinitions/" + guid
	rd := &RoleDefinition{ID: id, Name: guid, TenantID: tenantID, RoleName: roleName, Description: description,
		RoleType: "CustomRole", Actions: actions, NotActions: []string{}, AssignableScopes: assignable,
		CreatedAt: now, UpdatedAt: now}
	world.RoleDefinitions[strings.ToLower(id)] = rd
	return rd
}

// createRoleAssignment records an assignment; roleDefID is normalised to the
// subscription-scoped form ARM returns.
func (world *World) createRoleAssignment(now time.Time, tenantID, scope, guid, roleDefID, principalID, principalType, createdBy string) *RoleAssignment {
	if guid == "" {
		guid = newGUID()
	}
	scope = strings.TrimRight(scope, "/")
	id := scope + "/providers/Microsoft.Authorization/roleAssignments/" + guid
	if sub := subscriptionOf(scope); sub != "" && !strings.HasPrefix(strings.ToLower(roleDefID), "/subscriptions/") {
		roleDefID = builtinRoleID(sub, roleGUIDOf(roleDefID))
	}
	ra := &RoleAssignment{ID: id, Name: guid, TenantID: tenantID, Scope: scope, RoleDefinitionID: roleDefID,
		PrincipalID: principalID, PrincipalType: principalType, CreatedAt: now, CreatedBy: createdBy}
	world.RoleAssignments[strings.ToLower(id)] = ra
	return ra
}

func (world *World) createVNet(sub, rg, name, location string, prefixes ...string) *VNet {
	v := &VNet{ID: VNetID(sub, rg, name), SubscriptionID: sub, ResourceGroup: rg, Name: name,
		Location: location, AddressPrefixes: prefixes, ETag: etag(), Peerings: map[string]*VNetPeering{}}
	world.VNets[strings.ToLower(v.ID)] = v
	return v
}

// putPeering creates or updates a peering on local towards remoteID, in the
// Succeeded state, and reconciles both sides' peeringState: what a client
// outside the emulated API (Aiven's backend, the scenario) does.
//
// It takes the time an ARM PUT takes: for Timing.PeeringProvisioning the
// peering is Updating and the networks are busy (arm_busy.go), so a
// client that writes a peering referencing them meanwhile is refused.
func (world *World) putPeering(now time.Time, local *VNet, name, remoteID string, allowAccess bool) *VNetPeering {
	p := world.applyPeering(now, local, name, remoteID, allowAccess)
	p.ProvisioningState = "Updating"
	world.startOtherOperation(now, p.ID, remoteID, opNamePutPeering, true)
	return p
}

// applyPeering is the work of a peering PUT: the peering as asked, Succeeded.
func (world *World) applyPeering(now time.Time, local *VNet, name, remoteID string, allowAccess bool) *VNetPeering {
	p := local.Peerings[strings.ToLower(name)]
	if p == nil {
		p = &VNetPeering{ID: local.ID + "/virtualNetworkPeerings/" + name, Name: name, CreatedAt: now,
			ResourceGUID: world.pairGUID(local, remoteID)}
		local.Peerings[strings.ToLower(name)] = p
	}
	p.RemoteVNetID = remoteID
	p.AllowVirtualNetworkAccess = allowAccess
	p.ProvisioningState = "Succeeded"
	p.ETag = etag()
	if p.RemoteAddressPrefixes == nil {
		// A new peering takes the remote's space; an update keeps what it
		// synced (a PUT does not sync: arm_address_space.go).
		world.syncPeering(p)
	}
	world.reconcilePeerings(local)
	return p
}

// pairGUID is the resourceGuid of a new peering on local towards
// remoteID: the remote's side's if it has one back (azure-cli's recordings
// show both sides with one guid), else a new one. Real ones are 128
// random bits printed as a guid, with no version digit
// ("321a0942-e5e7-0b6e-3b2e-b66878bff48d", "f476f327-0f94-099b-0286-baa8e1fa6dcc").
func (world *World) pairGUID(local *VNet, remoteID string) string {
	if remote := world.vnet(remoteID); remote != nil {
		if back := remote.peeringTo(local.ID); back != nil {
			if back.ResourceGUID == "" {
				back.ResourceGUID = stableGUID(back.ID, back.CreatedAt.UTC().Format(time.RFC3339Nano))
			}
			return back.ResourceGUID
		}
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// reconcilePeerings sets peeringState and peeringSyncLevel on local's
// peerings and their counterparts, as azure-cli's recordings show them:
// Connected and FullyInSync when both sides point at each other,
// Initiated and RemoteNotInSync while only this side exists, Disconnected
// when the remote side was deleted after being connected (until this side
// is updated or re-created). The sync level of a Disconnected side is the
// sandbox's own guess (no recording shows one).
func (world *World) reconcilePeerings(local *VNet) {
	for _, p := range local.Peerings {
		if p.ProvisioningState == "Deleting" {
			continue
		}
		remote := world.vnet(p.RemoteVNetID)
		back := (*VNetPeering)(nil)
		if remote != nil {
			back = remote.peeringTo(local.ID)
		}
		switch {
		case back != nil && back.ProvisioningState != "Deleting" && back.PeeringState != "Disconnected" && p.PeeringState != "Disconnected":
			// Each side is in sync when it has synced the other's current
			// address space (arm_address_space.go).
			mine, theirs := world.synced(p), world.synced(back)
			p.PeeringState, back.PeeringState = "Connected", "Connected"
			p.PeeringSyncLevel, back.PeeringSyncLevel = syncLevelOf(mine, theirs), syncLevelOf(theirs, mine)
		case p.PeeringState == "Connected" || p.PeeringState == "Disconnected":
			p.PeeringState = "Disconnected"
			p.PeeringSyncLevel = syncFully
		default:
			p.PeeringState = "Initiated"
			p.PeeringSyncLevel = syncLevelOf(world.synced(p), false)
		}
	}
}

// deletePeering removes a peering and marks its counterpart Disconnected,
// as a client outside the emulated API does: its networks are busy for
// Timing.PeeringProvisioning (putPeering) from the simulated time of the
// request under way.
func (world *World) deletePeering(local *VNet, name string) {
	p := local.Peerings[strings.ToLower(name)]
	if p == nil {
		return
	}
	world.removePeering(local, name)
	world.startOtherOperation(world.now, p.ID, p.RemoteVNetID, opNameDeletePeering, true)
}

// removePeering is the work of a peering DELETE.
func (world *World) removePeering(local *VNet, name string) {
	p := local.Peerings[strings.ToLower(name)]
	if p == nil {
		return
	}
	delete(local.Peerings, strings.ToLower(name))
	if remote := world.vnet(p.RemoteVNetID); remote != nil {
		if back := remote.peeringTo(local.ID); back != nil && back.PeeringState == "Connected" {
			back.PeeringState = "Disconnected"
		}
	}
}

// peeringTo returns the peering of v whose remote is vnetID.
func (v *VNet) peeringTo(vnetID string) *VNetPeering {
	return find(maps.Values(v.Peerings), func(p *VNetPeering) bool { return strings.EqualFold(p.RemoteVNetID, vnetID) })
}

func etag() string { return `W/"` + newGUID() + `"` }
