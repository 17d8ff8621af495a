package sandbox

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"
)

// Fixed identities of the built-in scenarios, so docs, tests and demos can
// name them. Secrets and tokens are generated at start and never fixed.
const (
	UserTenantID         = "7f3e2a10-5c1b-4d8e-9a6f-2b4c8d1e0f31"
	AivenTenantID        = "a1c0e7d2-9b3f-4e65-8d21-6f0b3c9a7e54"
	UserSubscriptionID   = "3c5d7e9f-1a2b-4c3d-8e4f-5a6b7c8d9e0f"
	AivenSubscriptionID  = "9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b"
	AdminAppID           = "b6c3e2a1-4d5f-4a7b-8c9d-0e1f2a3b4c5d"
	AdminAppObjectID     = "c0ffee00-1111-4222-8333-444455556666"
	AdminSPObjectID      = "d00dfeed-7777-4888-9999-aaaabbbbcccc"
	AivenAppObjectID     = "e1e2e3e4-0000-4000-8000-000000000001"
	AivenHomeSPObjectID  = "e1e2e3e4-0000-4000-8000-000000000002"
	AivenUserEmail       = "admin@example.com"
	AivenOrganizationID  = "org4f9a0b2c1d3"
	ProdPeeringAppID     = "5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
	ProdPeeringAppObject = "5a1b2c3d-0000-4000-8000-00000000a001"

	// The user's tenant's people (users.go): the administrator who runs
	// the procedure (Application Administrator, subscription Owner); an
	// Owner without a directory role; a network engineer with Network
	// Contributor on rg-app only; and a consultant from Fabrikam, a guest
	// in Contoso with Reader on its subscription.
	AdminUserObjectID   = "a0a0a0a0-1111-4111-8111-000000000001"
	AdminUserUPN        = "admin@contoso.onmicrosoft.com"
	OwnerUserObjectID   = "a0a0a0a0-1111-4111-8111-000000000002"
	OwnerUserUPN        = "owner@contoso.onmicrosoft.com"
	NetworkUserObjectID = "a0a0a0a0-1111-4111-8111-000000000003"
	NetworkUserUPN      = "network@contoso.onmicrosoft.com"
	FabrikamTenantID    = "f0b1c2d3-e4f5-4a6b-9c7d-8e9fa0b1c2d3"
	GuestHomeObjectID   = "a0a0a0a0-2222-4222-8222-000000000001"
	GuestUserObjectID   = "a0a0a0a0-1111-4111-8111-000000000004"
	GuestUserUPN        = "consultant@fabrikam.onmicrosoft.com"
)

// scenarios are the built-in scenarios' builders, by name.
var scenarios = map[string]func(now time.Time) (*World, Credentials){
	"default": defaultScenario,
	"empty":   baseWorld,
	"large":   func(now time.Time) (*World, Credentials) { return largeScenario(now, 200, 3, 5) },
	"mst":     mstScenario,
	"people":  peopleScenario,
}

// ScenarioNames are the built-in scenarios, sorted.
var ScenarioNames = slices.Sorted(maps.Keys(scenarios))

// scenarioFile is the on-disk form of a scenario: a world (as
// /_sandbox/state shows it) plus the plain-text credentials to hand out.
type scenarioFile struct {
	World       *World `json:"world"`
	AdminSecret string `json:"admin_secret,omitempty"`
	AivenToken  string `json:"aiven_token,omitempty"`
	AdminAppID  string `json:"admin_app_id,omitempty"`
	TenantID    string `json:"tenant_id,omitempty"`
	// Variants choose the world's behaviour where sources are silent
	// (see AllVariants).
	Variants map[string]string `json:"variants,omitempty"`
}

// buildScenario returns the world and credentials of a named scenario or file.
func buildScenario(name string, now time.Time) (*World, Credentials, error) {
	if build, ok := scenarios[name]; ok {
		world, c := build(now)
		return world, c, nil
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, Credentials{}, fmt.Errorf("sandbox: --scenario %q is neither a built-in scenario (%s) nor a readable file: %w",
			name, strings.Join(ScenarioNames, ", "), err)
	}
	var f scenarioFile
	if err := json.Unmarshal(data, &f); err != nil || f.World == nil {
		return nil, Credentials{}, fmt.Errorf("sandbox: scenario file %s: want {\"world\": {...}, \"admin_secret\": ..., \"aiven_token\": ...}: %v", name, err)
	}
	world := f.World
	world.fillMaps()
	if err := checkVariants(f.Variants); err != nil {
		return nil, Credentials{}, fmt.Errorf("sandbox: scenario file %s: %w", name, err)
	}
	if len(f.Variants) > 0 && world.Variants == nil {
		world.Variants = map[string]string{}
	}
	for k, v := range f.Variants {
		world.Variants[k] = v
	}
	creds := Credentials{AivenToken: f.AivenToken, AivenUser: AivenUserEmail, TenantID: f.TenantID, ClientID: f.AdminAppID, ClientSecret: f.AdminSecret}
	return world, creds, nil
}

// fillMaps makes nil maps of a decoded world usable (a scenario file or a
// saved world may leave any of them out).
func (world *World) fillMaps() {
	fillMap(&world.Tenants)
	fillMap(&world.Applications)
	fillMap(&world.ServicePrincipals)
	fillMap(&world.Users)
	fillMap(&world.Subscriptions)
	fillMap(&world.VNets)
	for _, v := range world.VNets {
		fillMap(&v.Peerings)
	}
	fillMap(&world.RoleDefinitions)
	fillMap(&world.RoleAssignments)
	fillMap(&world.Operations)
	fillMap(&world.Aiven.Users)
	fillMap(&world.Aiven.Organizations)
	fillMap(&world.Aiven.Projects)
	if world.Timing == (Timing{}) {
		world.Timing = DefaultTiming()
	}
}

// fillMap makes a nil map an empty one.
func fillMap[K comparable, V any](m *map[K]V) {
	if *m == nil {
		*m = map[K]V{}
	}
}

// baseWorld holds what every scenario shares: the user's tenant with its
// admin and subscription, Aiven's tenant with its multi-tenant app, and the
// Aiven account. It has no projects.
func baseWorld(now time.Time) (*World, Credentials) {
	world := newWorld()
	// Everything in the base world is long settled.
	past := now.Add(-90 * 24 * time.Hour)
	world.addTenant(UserTenantID, "Contoso", "contoso.onmicrosoft.com")
	world.addTenant(AivenTenantID, "Aiven", "aivencloud.onmicrosoft.com")
	world.addSubscription(UserSubscriptionID, UserTenantID, "Contoso Production")
	world.addSubscription(AivenSubscriptionID, AivenTenantID, "Aiven project VPCs")
	world.addBuiltinRoles(UserTenantID)
	world.addBuiltinRoles(AivenTenantID)

	admin := world.createApplication(past, UserTenantID, AdminAppObjectID, AdminAppID, "azpeer-sandbox-admin", "AzureADMyOrg")
	_, secret := world.addPassword(past, admin, "sandbox admin", time.Time{})
	adminSP := world.createServicePrincipal(past, UserTenantID, admin, AdminSPObjectID)
	adminSP.DirectoryRoles = []string{RoleApplicationAdministrator}
	world.createRoleAssignment(past, UserTenantID, "/subscriptions/"+UserSubscriptionID, "", builtinRoleID(UserSubscriptionID, ownerRoleGUID), adminSP.ID, "ServicePrincipal", adminSP.ID)

	world.addTenant(FabrikamTenantID, "Fabrikam", "fabrikam.onmicrosoft.com")
	world.addBuiltinRoles(FabrikamTenantID)
	adminUser := world.addUser(past, UserTenantID, AdminUserObjectID, AdminUserUPN, "Dana Admin", RoleApplicationAdministrator)
	world.createRoleAssignment(past, UserTenantID, "/subscriptions/"+UserSubscriptionID, "", builtinRoleID(UserSubscriptionID, ownerRoleGUID), adminUser.ID, "User", adminSP.ID)
	owner := world.addUser(past, UserTenantID, OwnerUserObjectID, OwnerUserUPN, "Olu Owner")
	world.createRoleAssignment(past, UserTenantID, "/subscriptions/"+UserSubscriptionID, "", builtinRoleID(UserSubscriptionID, ownerRoleGUID), owner.ID, "User", adminSP.ID)
	netUser := world.addUser(past, UserTenantID, NetworkUserObjectID, NetworkUserUPN, "Nia Network")
	world.createRoleAssignment(past, UserTenantID, "/subscriptions/"+UserSubscriptionID+"/resourceGroups/rg-app", "", builtinRoleID(UserSubscriptionID, NetworkContributorRoleGUID), netUser.ID, "User", adminSP.ID)
	consultant := world.addUser(past, FabrikamTenantID, GuestHomeObjectID, GuestUserUPN, "Cam Consultant")
	guest := world.inviteGuest(past, consultant, UserTenantID, GuestUserObjectID)
	world.createRoleAssignment(past, UserTenantID, "/subscriptions/"+UserSubscriptionID, "", builtinRoleID(UserSubscriptionID, readerRoleGUID), guest.ID, "User", adminSP.ID)

	aivenApp := world.createApplication(past, AivenTenantID, AivenAppObjectID, AivenDefaultAppID, "Aiven VPC peering", "AzureADMultipleOrgs")
	world.createServicePrincipal(past, AivenTenantID, aivenApp, AivenHomeSPObjectID)
	world.Aiven.AppID = AivenDefaultAppID
	world.Aiven.TenantID = AivenTenantID
	world.Aiven.SubscriptionID = AivenSubscriptionID
	// An operator's peering role predates its customers.
	world.aivenPeerRole(past, world.platformOf(nil))

	token := newSecret() + newSecret()[:8]
	world.Aiven.Organizations[AivenOrganizationID] = &AivenOrg{ID: AivenOrganizationID, Name: "Contoso"}
	user := &AivenUser{Email: AivenUserEmail, RealName: "Contoso Admin", UserID: "u4f9a0b2c1d3", Admin: true,
		OrgPermissions: map[string][]string{AivenOrganizationID: {"admin"}}}
	user.setToken(token)
	world.Aiven.Users[AivenUserEmail] = user
	return world, Credentials{AivenToken: token, AivenUser: AivenUserEmail, TenantID: UserTenantID,
		SubscriptionID: UserSubscriptionID, ClientID: AdminAppID, ClientSecret: secret}
}

// defaultScenario is the world described in README: three projects, one
// healthy Azure peering, one of each common failure, and VNets to peer.
func defaultScenario(now time.Time) (*World, Credentials) {
	world, creds := baseWorld(now)
	past := now.Add(-30 * 24 * time.Hour)
	sub := UserSubscriptionID

	prodVNet := world.createVNet(sub, "rg-prod", "prod-vnet", "westeurope", "10.1.0.0/16")
	world.createVNet(sub, "rg-app", "app-vnet", "westeurope", "10.2.0.0/16")
	world.createVNet(sub, "Rg-Legacy", "Legacy-VNet", "westeurope", "10.30.0.0/16")

	prod := world.addProject("tsdb-prod", "azure-westeurope")
	prodVPC := world.addVPC(past, prod, "azure-westeurope", "10.10.0.0/24", "1f0e2d3c-4b5a-4697-8877-665544332211")
	staging := world.addProject("tsdb-staging", "azure-westeurope")
	world.addVPC(past, staging, "azure-westeurope", "10.30.0.0/24", "2a3b4c5d-6e7f-4819-9a0b-1c2d3e4f5a6b")
	analytics := world.addProject("analytics", "aws-eu-west-1")
	awsVPC := world.addVPC(past, analytics, "aws-eu-west-1", "10.50.0.0/24", "3b4c5d6e-7f80-4912-a3b4-c5d6e7f8091a")
	anAzVPC := world.addVPC(past, analytics, "azure-eastus", "10.60.0.0/24", "4c5d6e7f-8091-4a23-b4c5-d6e7f8091a2b")

	// tsdb-prod ↔ rg-prod/prod-vnet: done by the book, ACTIVE and Connected.
	app := world.createApplication(past, UserTenantID, ProdPeeringAppObject, ProdPeeringAppID, "tsdb-prod-peering", "AzureADMultipleOrgs")
	world.addPassword(past, app, "azpeer", time.Time{})
	appSP := world.createServicePrincipal(past, UserTenantID, app, "")
	world.createRoleAssignment(past, UserTenantID, prodVNet.ID, "", builtinRoleID(sub, NetworkContributorRoleGUID), appSP.ID, "ServicePrincipal", AdminSPObjectID)
	aivenSP := world.createServicePrincipal(past, UserTenantID, world.appByAppID(AivenDefaultAppID), "")
	peerRole := world.createRoleDefinition(past, UserTenantID, "", "aiven-vnet-peer", "Allows creating a peering to vnets in scope (but not from)",
		[]string{ActionPeer}, []string{"/subscriptions/" + sub})
	world.createRoleAssignment(past, UserTenantID, prodVNet.ID, "", peerRole.ID, aivenSP.ID, "ServicePrincipal", AdminSPObjectID)
	world.activePeering(past, world.platformOf(prod), prodVPC, prodVNet, "to-aiven-tsdb-prod")

	// tsdb-prod → a VNet that does not exist.
	world.peeringOfMissingVNet(past, prodVPC, "rg-prod", "prod-vnet-old")

	// analytics: an ACTIVE AWS peering, and an Azure one Aiven could not make
	// because its service principal holds no peer/action on app-vnet.
	aws := &AivenPeering{PeerCloudAccount: "123456789012", PeerVPC: "vpc-0a1b2c3d4e5f60718", PeerRegion: "eu-west-1",
		Type: "aws-vpc-peering-connection", UserPeerNetworkCIDRs: []string{}, CreateTime: past,
		PeeringConnectionID: "pcx-0f1e2d3c4b5a69788"}
	awsVPC.Peerings = append(awsVPC.Peerings, aws)
	world.setPeeringState(past, aws, StateActive, map[string]any{"message": "Peering connection active", "type": "active"})
	rejected := world.addAzurePeering(past, anAzVPC, sub, "rg-app", "app-vnet", ProdPeeringAppID, UserTenantID)
	world.setPeeringState(past, rejected, StateRejectedByPeer, map[string]any{
		"message": "Peering request rejected: the Aiven service principal is not authorized to perform action 'Microsoft.Network/virtualNetworks/peer/action' on the peer virtual network",
		"type":    "rejected-by-peer"})

	world.defaultServices(past)
	world.Aiven.Users[AivenUserEmail].Projects = []string{"analytics", "tsdb-prod", "tsdb-staging"}
	world.defaultOrgVPC(past)
	return world, creds
}

// largeScenario has projects × vpcs × peerings for benchmarks.
func largeScenario(now time.Time, projects, vpcs, peerings int) (*World, Credentials) {
	world, creds := baseWorld(now)
	past := now.Add(-7 * 24 * time.Hour)
	user := world.Aiven.Users[AivenUserEmail]
	for i := range projects {
		p := world.addProject(fmt.Sprintf("project-%03d", i), "azure-westeurope")
		user.Projects = append(user.Projects, p.Name)
		for j := range vpcs {
			cidr := fmt.Sprintf("10.%d.%d.0/24", 100+j, i%250)
			vpc := world.addVPC(past, p, "azure-westeurope", cidr, "")
			for k := range peerings {
				pc := world.addAzurePeering(past, vpc, UserSubscriptionID, fmt.Sprintf("rg-%03d", i), fmt.Sprintf("vnet-%d-%d", j, k), ProdPeeringAppID, UserTenantID)
				world.setPeeringState(past, pc, StateActive, map[string]any{"message": "Peering connection active", "type": "active"})
			}
		}
	}
	return world, creds
}

func (world *World) addProject(name, cloud string) *Project {
	p := &Project{Name: name, OrganizationID: AivenOrganizationID, DefaultCloud: cloud, TenantID: "aiven", VPCs: []*VPC{}}
	world.Aiven.Projects[name] = p
	return p
}

// addVPC adds an ACTIVE project VPC; Azure VPCs get Aiven's VNet in Aiven's
// subscription, with the VPC's CIDR as its address space.
func (world *World) addVPC(now time.Time, p *Project, cloud, cidr, id string) *VPC {
	v := world.newVPC(now, world.platformOf(p), cloud, cidr, id)
	p.VPCs = append(p.VPCs, v)
	return v
}

// newVPC is an ACTIVE VPC of either parent, with the operator's VNet
// behind it in an Azure cloud.
func (world *World) newVPC(now time.Time, plat AivenPlatform, cloud, cidr, id string) *VPC {
	if id == "" {
		id = newGUID()
	}
	v := &VPC{ID: id, CloudName: cloud, NetworkCIDR: cidr, State: "ACTIVE", CreateTime: now, UpdateTime: now, Peerings: []*AivenPeering{}}
	if provider, region := cloudProvider(cloud); provider == "azure" {
		vn := world.createVNet(plat.SubscriptionID, "aiven-vpc-"+region, "aiven-vnet-"+id[:8], region, cidr)
		v.AzureVNetID = vn.ID
	}
	return v
}

// activePeering is an ACTIVE Azure peering of v with the VNet, made long
// ago with the default app: Aiven's side provisioned, the user's side
// (named userPeering) put, both Connected.
func (world *World) activePeering(past time.Time, plat AivenPlatform, v *VPC, vnet *VNet, userPeering string) *AivenPeering {
	pc := world.addAzurePeering(past, v, vnet.SubscriptionID, vnet.ResourceGroup, vnet.Name, ProdPeeringAppID, UserTenantID)
	world.provisionAivenSide(past, plat, v, pc)
	world.putPeering(past, vnet, userPeering, v.AzureVNetID, true)
	world.setPeeringState(past, pc, StateActive, map[string]any{"message": "Peering connection active", "type": "active"})
	pc.ConnectedAt = past
	return pc
}

// peeringOfMissingVNet is v's INVALID_SPECIFICATION peering with a VNet
// that does not exist (in the user's subscription). Its state_info text
// is the one the state machine writes (aiven_state.go), where its source
// is named; a built world was not run, so it is written here.
func (world *World) peeringOfMissingVNet(past time.Time, v *VPC, rg, vnet string) *AivenPeering {
	sub := UserSubscriptionID
	pc := world.addAzurePeering(past, v, sub, rg, vnet, ProdPeeringAppID, UserTenantID)
	world.setPeeringState(past, pc, StateInvalidSpecification, map[string]any{
		"message": fmt.Sprintf("Virtual network %q in resource group %q of subscription %s was not found", vnet, rg, sub),
		"type":    "invalid-specification"})
	return pc
}

func (world *World) addAzurePeering(now time.Time, v *VPC, sub, rg, vnet, appID, tenantID string) *AivenPeering {
	pc := &AivenPeering{PeerCloudAccount: sub, PeerVPC: vnet, PeerResourceGroup: rg, PeerAzureAppID: appID,
		PeerAzureTenantID: tenantID, UserPeerNetworkCIDRs: []string{}, Type: "azure-vnet-peering",
		CreateTime: now, UpdateTime: now}
	if v.OrganizationID != "" {
		// An organization VPC's connections carry the id delete takes
		// (codegen's OrganizationVpcPeeringConnectionDeleteById).
		pc.PeeringConnectionID = newGUID()
	}
	v.Peerings = append(v.Peerings, pc)
	// The sandbox's own text (a create answers approvedInfo's instead).
	world.setPeeringState(now, pc, StateApproved, map[string]any{"message": "Peering connection approved", "type": "approved"})
	return pc
}

// setPeeringState moves an Aiven peering connection to a new state.
func (world *World) setPeeringState(now time.Time, pc *AivenPeering, state string, info map[string]any) {
	pc.State = state
	pc.StateInfo = info
	pc.StateSince = now
	pc.UpdateTime = now
}

// provisionAivenSide does what Aiven (or the project's other operator,
// plat) does on success: a peering from its VNet to the user's, a service
// principal for the user's app in its tenant with peer/action on its VNet,
// and PENDING_PEER with the to-tenant-id and to-network-id the user needs.
// Expects world.mu held.
func (world *World) provisionAivenSide(now time.Time, plat AivenPlatform, v *VPC, pc *AivenPeering) {
	aivenVNet := world.vnet(v.AzureVNetID)
	userVNetID := VNetID(pc.PeerCloudAccount, pc.PeerResourceGroup, pc.PeerVPC)
	if uv := world.vnetByNames(pc.PeerCloudAccount, pc.PeerResourceGroup, pc.PeerVPC); uv != nil {
		userVNetID = uv.ID
	}
	name := "aiven-peering-" + strings.ToLower(pc.PeerVPC)
	p := world.putPeering(now, aivenVNet, name, userVNetID, true)
	pc.AivenSidePeeringID = p.ID

	if app := world.appByAppID(pc.PeerAzureAppID); app != nil {
		sp := world.spByAppID(plat.TenantID, app.AppID)
		if sp == nil {
			sp = world.createServicePrincipal(now, plat.TenantID, app, "")
		}
		if len(world.grants(nil, sp.ID, ActionPeer, aivenVNet.ID)) == 0 {
			role := world.aivenPeerRole(now, plat)
			world.createRoleAssignment(now, plat.TenantID, aivenVNet.ID, "", role.ID, sp.ID, "ServicePrincipal", world.homeSP(plat))
		}
	}
	world.setPeeringState(now, pc, StatePendingPeer, map[string]any{
		"message":       "Pending peer: create a peering from your virtual network to the network in to-network-id",
		"type":          "pending-peer",
		"to-tenant-id":  plat.TenantID,
		"to-network-id": aivenVNet.ID,
	})
}

// aivenPeerRole is the role a platform grants users' apps on its own VNets
// (its name and description are the sandbox's own).
func (world *World) aivenPeerRole(now time.Time, plat AivenPlatform) *RoleDefinition {
	for _, rd := range world.RoleDefinitions {
		if rd.TenantID == plat.TenantID && rd.RoleName == "aiven-project-vpc-peer" {
			return rd
		}
	}
	return world.createRoleDefinition(now, plat.TenantID, "", "aiven-project-vpc-peer", "Lets customer apps peer with "+plat.Name+" project VPC networks",
		[]string{ActionPeer, ActionVNetRead}, []string{"/subscriptions/" + plat.SubscriptionID})
}

// overlaps reports whether any two CIDRs of a and b overlap.
func overlaps(a, b []string) (string, string, bool) {
	for _, x := range a {
		px, err := netip.ParsePrefix(x)
		if err != nil {
			continue
		}
		for _, y := range b {
			py, err := netip.ParsePrefix(y)
			if err != nil {
				continue
			}
			if px.Overlaps(py) {
				return x, y, true
			}
		}
	}
	return "", "", false
}
