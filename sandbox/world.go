package sandbox

import (
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// World is everything the sandbox knows: two (or more) Entra tenants with
// their applications and service principals, Resource Manager resources,
// and Aiven's organizations, projects, VPCs and peering connections. One
// mutex guards all of it; handlers hold it for the whole of a request so the
// emulated APIs are linearizable, as the real ones appear to a single client.
//
// The JSON form of World is both the --state-dir persistence format and the
// body of GET /_sandbox/state, so it must never carry secret texts: password
// credentials keep only a hash of the secret.
type World struct {
	mu sync.Mutex `json:"-"`

	// Version of the persisted format.
	Version int `json:"version"`
	// SimTime is the simulated time at which the world was last saved.
	SimTime time.Time `json:"sim_time"`

	Tenants           map[string]*Tenant           `json:"tenants"`            // by tenant id
	Applications      map[string]*Application      `json:"applications"`       // by object id
	ServicePrincipals map[string]*ServicePrincipal `json:"service_principals"` // by object id
	Users             map[string]*User             `json:"users,omitempty"`    // by object id (users.go)
	Subscriptions     map[string]*Subscription     `json:"subscriptions"`      // by subscription id
	VNets             map[string]*VNet             `json:"vnets"`              // by lower-case resource id
	RoleDefinitions   map[string]*RoleDefinition   `json:"role_definitions"`   // by lower-case full id
	RoleAssignments   map[string]*RoleAssignment   `json:"role_assignments"`   // by lower-case full id
	Operations        map[string]*AsyncOperation   `json:"operations"`         // by operation id

	Aiven AivenWorld `json:"aiven"`

	// Timing is the set of simulated delays the state machines use.
	Timing Timing `json:"timing"`

	// Variants choose among the plausible answers where no public source
	// settles how a service behaves (see variants.go); unset is default.
	Variants map[string]string `json:"variants,omitempty"`

	// deviceCodes are the device-code sign-ins under way, by device_code
	// (entra_devicecode.go). They are not saved: a restarted sandbox has
	// forgotten them, as a client whose code expired would find.
	deviceCodes map[string]*deviceCode

	// now is the simulated time of the request under way (set as the lock
	// is taken, advanceOperations), for mutations that are not handed one.
	now time.Time
}

// Timing holds the simulated delays of eventual consistency in the clouds.
// They are simulated durations: the Clock's speed decides how long they
// really take.
type Timing struct {
	// SecretReplication: a new password credential is refused (AADSTS7000215) for this long.
	SecretReplication Duration `json:"secret_replication"`
	// PrincipalReplication: a new service principal is unknown to Resource Manager
	// (PrincipalNotFound) and to other tenants' token endpoints for this long.
	PrincipalReplication Duration `json:"principal_replication"`
	// RolePropagation: a new role assignment grants nothing for this long.
	RolePropagation Duration `json:"role_propagation"`
	// PeeringProvisioning: an ARM peering PUT/DELETE async operation takes this long.
	PeeringProvisioning Duration `json:"peering_provisioning"`
	// AivenApproval: Aiven takes this long to act on an APPROVED connection.
	AivenApproval Duration `json:"aiven_approval"`
	// AivenActivation: after both Azure sides are Connected, ACTIVE comes this much later.
	AivenActivation Duration `json:"aiven_activation"`
	// AivenDeletion: DELETING lasts this long; DELETED connections linger as long again.
	AivenDeletion Duration `json:"aiven_deletion"`
	// AivenPeerLoss: after the user's side disappears, Aiven notices within this.
	AivenPeerLoss Duration `json:"aiven_peer_loss"`
	// AivenAddressSync: under variant aiven-address-space-sync=periodic,
	// Aiven syncs its side this long after the user's address space
	// changed. No public source gives a figure; the issue that asked for
	// sync quotes Aiven's docs as "network changes can take up to 24
	// hours". The default is the sandbox's own guess.
	AivenAddressSync Duration `json:"aiven_address_sync,omitempty"`
	// DeviceCodeLifetime: a device code expires this long after it was
	// issued (Entra: 15 minutes; 0 is that).
	DeviceCodeLifetime Duration `json:"device_code_lifetime,omitempty"`
}

// DefaultTiming is close to what users report from the real clouds.
func DefaultTiming() Timing {
	return Timing{
		SecretReplication:    Duration(10 * time.Second),
		PrincipalReplication: Duration(20 * time.Second),
		RolePropagation:      Duration(60 * time.Second),
		PeeringProvisioning:  Duration(10 * time.Second),
		AivenApproval:        Duration(30 * time.Second),
		AivenActivation:      Duration(90 * time.Second),
		AivenDeletion:        Duration(30 * time.Second),
		AivenPeerLoss:        Duration(60 * time.Second),
		AivenAddressSync:     Duration(15 * time.Minute),
	}
}

// Duration is a time.Duration that reads and writes as "1m30s" in JSON.
type Duration time.Duration

func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	*d = Duration(v)
	return err
}

// D is the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Tenant is an Entra ID directory.
type Tenant struct {
	ID            string `json:"id"`
	DisplayName   string `json:"display_name"`
	DefaultDomain string `json:"default_domain"`
}

// Application is an Entra app registration. It lives in its owner tenant.
type Application struct {
	ID                  string               `json:"id"` // object id
	AppID               string               `json:"app_id"`
	TenantID            string               `json:"tenant_id"`
	DisplayName         string               `json:"display_name"`
	SignInAudience      string               `json:"sign_in_audience"`
	PasswordCredentials []PasswordCredential `json:"password_credentials"`
	CreatedAt           time.Time            `json:"created_at"`
	// CreatedBy is the object id of the principal that created the app: its
	// owner, for principals that may manage only what they own.
	CreatedBy string `json:"created_by,omitempty"`
	// Tags, Notes and Description are Graph's free-form fields of the same
	// names: what a tool writes there is how it marks the apps it made and
	// recognises them later. Notes and Description are nil while Graph
	// answers null for them; a nil Tags answers [].
	Tags        []string `json:"tags,omitempty"`
	Notes       *string  `json:"notes,omitempty"`
	Description *string  `json:"description,omitempty"`
}

// MultiTenant reports whether other tenants may create a service principal for the app.
func (a *Application) MultiTenant() bool {
	return a.SignInAudience == "AzureADMultipleOrgs" || a.SignInAudience == "AzureADandPersonalMicrosoftAccount"
}

// PasswordCredential is a client secret. Only its SHA-256 is kept, so neither
// the state file nor /_sandbox/state can leak the secret text.
type PasswordCredential struct {
	KeyID         string    `json:"key_id"`
	DisplayName   string    `json:"display_name"`
	Hint          string    `json:"hint"`
	SecretSHA256  string    `json:"secret_sha256"`
	StartDateTime time.Time `json:"start_date_time"`
	EndDateTime   time.Time `json:"end_date_time"`
	// CreatedAt drives the replication window in which the new secret is refused.
	CreatedAt time.Time `json:"created_at"`
}

// ServicePrincipal is an application's identity in one tenant. The sandbox
// treats every caller as a service principal, the admin included.
type ServicePrincipal struct {
	ID                     string `json:"id"` // object id
	AppID                  string `json:"app_id"`
	TenantID               string `json:"tenant_id"`
	AppOwnerOrganizationID string `json:"app_owner_organization_id"`
	DisplayName            string `json:"display_name"`
	// DirectoryRoles are Entra roles such as "Application Administrator".
	DirectoryRoles []string `json:"directory_roles,omitempty"`
	// GraphPermissions are application permissions granted to the principal
	// (admin-consented app roles of Microsoft Graph), such as
	// "Application.ReadWrite.OwnedBy".
	GraphPermissions []string  `json:"graph_permissions,omitempty"`
	CreatedAt        time.Time `json:"created_at"`
	// Tags and Notes are the principal's own Graph fields of those names
	// (Graph adds its application's tags when it answers; see spTags).
	Tags  []string `json:"tags,omitempty"`
	Notes *string  `json:"notes,omitempty"`
}

// Subscription is an Azure subscription in a tenant.
type Subscription struct {
	ID          string `json:"id"`
	TenantID    string `json:"tenant_id"`
	DisplayName string `json:"display_name"`
	State       string `json:"state"`
}

// VNet is a virtual network with its peerings.
type VNet struct {
	ID              string                  `json:"id"` // canonical case, as created
	SubscriptionID  string                  `json:"subscription_id"`
	ResourceGroup   string                  `json:"resource_group"`
	Name            string                  `json:"name"`
	Location        string                  `json:"location"`
	AddressPrefixes []string                `json:"address_prefixes"`
	ETag            string                  `json:"etag"`
	Peerings        map[string]*VNetPeering `json:"peerings"` // by lower-case name
}

// VNetPeering is one side of an Azure VNet peering.
type VNetPeering struct {
	ID                        string    `json:"id"`
	Name                      string    `json:"name"`
	RemoteVNetID              string    `json:"remote_vnet_id"`
	RemoteAddressPrefixes     []string  `json:"remote_address_prefixes,omitempty"`
	AllowVirtualNetworkAccess bool      `json:"allow_virtual_network_access"`
	AllowForwardedTraffic     bool      `json:"allow_forwarded_traffic"`
	AllowGatewayTransit       bool      `json:"allow_gateway_transit"`
	UseRemoteGateways         bool      `json:"use_remote_gateways"`
	PeeringState              string    `json:"peering_state"`      // Initiated, Connected, Disconnected
	PeeringSyncLevel          string    `json:"peering_sync_level"` // FullyInSync, ...
	ProvisioningState         string    `json:"provisioning_state"` // Updating, Succeeded, Deleting, Failed
	ETag                      string    `json:"etag"`
	CreatedAt                 time.Time `json:"created_at"`
	// ResourceGUID is the pair's: the second side takes the first's
	// (both recordings of azure-cli's peering tests show one guid for
	// both sides). "" in worlds written before it was kept.
	ResourceGUID string `json:"resource_guid,omitempty"`
}

// RoleDefinition is an Azure RBAC role.
type RoleDefinition struct {
	ID               string    `json:"id"`   // full id: {scope}/providers/Microsoft.Authorization/roleDefinitions/{guid}
	Name             string    `json:"name"` // the guid
	TenantID         string    `json:"tenant_id"`
	RoleName         string    `json:"role_name"`
	Description      string    `json:"description"`
	RoleType         string    `json:"role_type"` // BuiltInRole or CustomRole
	Actions          []string  `json:"actions"`
	NotActions       []string  `json:"not_actions"`
	DataActions      []string  `json:"data_actions,omitempty"`
	NotDataActions   []string  `json:"not_data_actions,omitempty"`
	AssignableScopes []string  `json:"assignable_scopes"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
}

// RoleAssignment grants a role to a principal at a scope.
type RoleAssignment struct {
	ID               string    `json:"id"`   // full id: {scope}/providers/Microsoft.Authorization/roleAssignments/{guid}
	Name             string    `json:"name"` // the guid
	TenantID         string    `json:"tenant_id"`
	Scope            string    `json:"scope"`
	RoleDefinitionID string    `json:"role_definition_id"` // /subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}
	PrincipalID      string    `json:"principal_id"`
	PrincipalType    string    `json:"principal_type"`
	CreatedAt        time.Time `json:"created_at"`
	CreatedBy        string    `json:"created_by"`
}

// AsyncOperation is the status resource behind an Azure-AsyncOperation header.
type AsyncOperation struct {
	ID        string    `json:"id"`
	Status    string    `json:"status"` // InProgress, Succeeded, Failed, Canceled
	StartedAt time.Time `json:"started_at"`
	DoneAt    time.Time `json:"done_at"` // when it completes (simulated)
	ErrorCode string    `json:"error_code,omitempty"`
	ErrorMsg  string    `json:"error_message,omitempty"`
	// Kind and Target let the world finish the work when the operation completes.
	Kind   string `json:"kind"`   // peering-put, peering-delete
	Target string `json:"target"` // peering resource id
	// Fail makes the operation end Failed (FaultConfig.RateOperationFailure),
	// with FailCode and FailMessage when set (InternalServerError otherwise).
	Fail        bool   `json:"fail,omitempty"`
	FailCode    string `json:"fail_code,omitempty"`
	FailMessage string `json:"fail_message,omitempty"`
	// Remote is the remote network of a peering operation's peering.
	Remote string `json:"remote,omitempty"`
	// Name is the network provider's name for the operation, as its
	// ReferencedResourceNotProvisioned texts give the last one that
	// updated a network ("PutSubnetOperation").
	Name string `json:"name,omitempty"`
}

// AivenWorld is Aiven's side: users, organizations, projects, VPCs.
type AivenWorld struct {
	// AppID is Aiven's multi-tenant Entra application used for Azure peering.
	AppID string `json:"app_id"`
	// TenantID is Aiven's Entra tenant; SubscriptionID holds Aiven's VNets there.
	TenantID       string                `json:"tenant_id"`
	SubscriptionID string                `json:"subscription_id"`
	Users          map[string]*AivenUser `json:"users"` // by email
	Organizations  map[string]*AivenOrg  `json:"organizations"`
	Projects       map[string]*Project   `json:"projects"` // by name
	// Platforms are the other operators of Aiven's platform, by the name
	// projects give in Project.Platform: Managed Service for TimescaleDB
	// ("mst") has its own Entra app, tenant and subscription (see
	// aiven_platforms.go). Aiven's own are the fields above.
	Platforms map[string]*AivenPlatform `json:"platforms,omitempty"`
}

// AivenPlatform is an operator of Aiven's platform with its own identity
// for Azure peering: the multi-tenant app whose service principal the user
// grants peer/action, in its tenant, whose subscription holds the VPCs'
// VNets.
type AivenPlatform struct {
	Name           string `json:"name"` // as messages name it, e.g. "Managed Service for TimescaleDB"
	AppID          string `json:"app_id"`
	TenantID       string `json:"tenant_id"`
	SubscriptionID string `json:"subscription_id"`
}

// AivenUser is an Aiven account that can call the API with a token.
type AivenUser struct {
	Email    string `json:"email"`
	RealName string `json:"real_name"`
	UserID   string `json:"user_id"`
	// TokenSHA256 is the hash of the user's API token; Admin may read /_sandbox/state.
	TokenSHA256 string `json:"token_sha256"`
	// TokenPrefix is the token's first aivenTokenPrefixLen characters, the
	// name Aiven's token list shows for it and DELETE
	// /v1/access_token/{token_prefix} takes; "" when the world was written
	// without one (the full token still revokes it).
	TokenPrefix string `json:"token_prefix,omitempty"`
	// TokenRevoked: the token was revoked and authenticates nothing any more.
	TokenRevoked bool     `json:"token_revoked,omitempty"`
	Admin        bool     `json:"admin"`
	Projects     []string `json:"projects"`
	// OrgPermissions are the user's permissions in each organization, by
	// organization id: Aiven's permission names
	// ("organization:networking:read", "organization:networking:write") or
	// "admin", which holds them all (aiven_org_vpcs.go).
	OrgPermissions map[string][]string `json:"org_permissions,omitempty"`
}

// AivenOrg is an Aiven organization.
type AivenOrg struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// VPCs are the organization's own VPCs (aiven_org_vpcs.go), which any
	// of its projects' services may run in.
	VPCs []*VPC `json:"vpcs,omitempty"`
}

// Project is an Aiven project.
type Project struct {
	Name           string `json:"name"`
	OrganizationID string `json:"organization_id"`
	DefaultCloud   string `json:"default_cloud"`
	TenantID       string `json:"tenant_id"`
	// Platform names the operator of the project in AivenWorld.Platforms
	// ("mst"); "" is Aiven.
	Platform string `json:"platform,omitempty"`
	// Fault, when set, makes every VPC call of this project fail with this
	// HTTP status (for partial-failure tests and demos).
	FaultStatus int    `json:"fault_status,omitempty"`
	VPCs        []*VPC `json:"vpcs"`
	// Services are the project's services (aiven_services.go).
	Services []*AivenService `json:"services,omitempty"`
}

// VPC is an Aiven project VPC, or an organization's (OrganizationID set).
type VPC struct {
	ID string `json:"project_vpc_id"`
	// OrganizationID is the organization owning an organization VPC; ""
	// for a project VPC. DisplayName is an organization VPC's name.
	OrganizationID string    `json:"organization_id,omitempty"`
	DisplayName    string    `json:"display_name,omitempty"`
	CloudName      string    `json:"cloud_name"`
	NetworkCIDR    string    `json:"network_cidr"`
	State          string    `json:"state"`
	CreateTime     time.Time `json:"create_time"`
	UpdateTime     time.Time `json:"update_time"`
	// AzureVNetID is Aiven's own VNet behind an Azure VPC (in Aiven's subscription).
	AzureVNetID string          `json:"azure_vnet_id,omitempty"`
	Peerings    []*AivenPeering `json:"peering_connections"`
}

// AivenPeering is a peering connection of a project VPC.
type AivenPeering struct {
	PeerCloudAccount     string         `json:"peer_cloud_account"`
	PeerVPC              string         `json:"peer_vpc"`
	PeerRegion           string         `json:"peer_region,omitempty"`
	PeerResourceGroup    string         `json:"peer_resource_group,omitempty"`
	PeerAzureAppID       string         `json:"peer_azure_app_id,omitempty"`
	PeerAzureTenantID    string         `json:"peer_azure_tenant_id,omitempty"`
	UserPeerNetworkCIDRs []string       `json:"user_peer_network_cidrs"`
	Type                 string         `json:"vpc_peering_connection_type"`
	PeeringConnectionID  string         `json:"peering_connection_id,omitempty"`
	State                string         `json:"state"`
	StateInfo            map[string]any `json:"state_info"`
	CreateTime           time.Time      `json:"create_time"`
	UpdateTime           time.Time      `json:"update_time"`
	// StateSince is when the current state was entered (simulated).
	StateSince time.Time `json:"state_since"`
	// AivenSidePeeringID is the Azure peering Aiven made from its VNet to the user's.
	AivenSidePeeringID string `json:"aiven_side_peering_id,omitempty"`
	// ConnectedAt is when both Azure sides were first seen Connected.
	ConnectedAt time.Time `json:"connected_at,omitzero"`
	// PeerLostAt is when the user's side was first seen missing.
	PeerLostAt time.Time `json:"peer_lost_at,omitzero"`
	// NotInSyncSince is when Aiven's side was first seen behind the user
	// network's address space (arm_address_space.go).
	NotInSyncSince time.Time `json:"not_in_sync_since,omitzero"`
}

// Aiven peering connection states: all ten the API knows.
const (
	StateApproved              = "APPROVED"
	StateApprovedPeerRequested = "APPROVED_PEER_REQUESTED"
	StatePendingPeer           = "PENDING_PEER"
	StateActive                = "ACTIVE"
	StateDeleting              = "DELETING"
	StateDeleted               = "DELETED"
	StateDeletedByPeer         = "DELETED_BY_PEER"
	StateError                 = "ERROR"
	StateInvalidSpecification  = "INVALID_SPECIFICATION"
	StateRejectedByPeer        = "REJECTED_BY_PEER"
)

// Well-known Entra directory roles.
const (
	RoleApplicationAdministrator      = "Application Administrator"
	RoleCloudApplicationAdministrator = "Cloud Application Administrator"
	RoleGlobalAdministrator           = "Global Administrator"
)

// AivenDefaultAppID is Aiven's multi-tenant app for Azure peering.
const AivenDefaultAppID = "55f300d4-fc50-4c5e-9222-e90a6e2187fb"

func newWorld() *World {
	return &World{
		Version:           1,
		Tenants:           map[string]*Tenant{},
		Applications:      map[string]*Application{},
		ServicePrincipals: map[string]*ServicePrincipal{},
		Users:             map[string]*User{},
		Subscriptions:     map[string]*Subscription{},
		VNets:             map[string]*VNet{},
		RoleDefinitions:   map[string]*RoleDefinition{},
		RoleAssignments:   map[string]*RoleAssignment{},
		Operations:        map[string]*AsyncOperation{},
		Aiven: AivenWorld{
			Users:         map[string]*AivenUser{},
			Organizations: map[string]*AivenOrg{},
			Projects:      map[string]*Project{},
		},
		Timing: DefaultTiming(),
	}
}

// Lookups. All of these expect world.mu held.

// byIDFold finds the value of m whose id (idOf) is id without regard to
// case, as Azure compares ids: first under its own key (values are stored
// under their id as created), then among all values.
func byIDFold[V any](m map[string]*V, id string, idOf func(*V) string) *V {
	if v := m[id]; v != nil {
		return v
	}
	return find(maps.Values(m), func(v *V) bool { return strings.EqualFold(idOf(v), id) })
}

// subscriptionByID finds a subscription ignoring case.
func (world *World) subscriptionByID(id string) *Subscription {
	return byIDFold(world.Subscriptions, id, func(s *Subscription) string { return s.ID })
}

func (world *World) appByAppID(appID string) *Application {
	return find(maps.Values(world.Applications), func(a *Application) bool { return strings.EqualFold(a.AppID, appID) })
}

func (world *World) spByAppID(tenantID, appID string) *ServicePrincipal {
	return find(maps.Values(world.ServicePrincipals), func(sp *ServicePrincipal) bool {
		return strings.EqualFold(sp.TenantID, tenantID) && strings.EqualFold(sp.AppID, appID)
	})
}

func (world *World) vnet(id string) *VNet { return world.VNets[strings.ToLower(id)] }

func (world *World) vnetByNames(sub, rg, name string) *VNet {
	return world.vnet(VNetID(sub, rg, name))
}

// VNetID builds a virtual network's resource id.
func VNetID(sub, rg, name string) string {
	return "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.Network/virtualNetworks/" + name
}

// subscriptionOf returns the subscription id in a resource id or scope.
func subscriptionOf(scope string) string {
	parts := strings.Split(strings.Trim(scope, "/"), "/")
	if len(parts) >= 2 && strings.EqualFold(parts[0], "subscriptions") {
		return parts[1]
	}
	return ""
}

// tenantOfSubscription is the tenant a subscription belongs to ("" if there
// is no such subscription).
func (world *World) tenantOfSubscription(sub string) string {
	if s := world.subscriptionByID(sub); s != nil {
		return s.TenantID
	}
	return ""
}

func (world *World) project(name string) *Project { return world.Aiven.Projects[name] }

// serviceVPC is the VPC a service of p runs in: one of the project's, or
// one of its organization's, which its services may use as well.
func (world *World) serviceVPC(p *Project, id string) *VPC {
	if v := p.vpc(id); v != nil {
		return v
	}
	if o := world.Aiven.Organizations[p.OrganizationID]; o != nil {
		return o.vpc(id)
	}
	return nil
}

func (p *Project) vpc(id string) *VPC { return vpcByID(p.VPCs, id) }

// vpcByID is the VPC of vpcs (a project's or an organization's) with id.
func vpcByID(vpcs []*VPC, id string) *VPC {
	return find(slices.Values(vpcs), func(v *VPC) bool { return v.ID == id })
}
