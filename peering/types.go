// Package peering is azpeer's domain: projects, VPCs, peering connections
// and their states, the runbook that creates a peering, the run record, and
// the diagnosis rules. It reaches the clouds only through the small
// interfaces it defines; the azure and aiven packages implement them.
package peering

import (
	"slices"
	"strings"
	"time"
)

// State is an Aiven peering connection state, exactly as the API spells it.
type State string

// The ten Aiven peering connection states.
const (
	StateApproved              State = "APPROVED"
	StateApprovedPeerRequested State = "APPROVED_PEER_REQUESTED"
	StatePendingPeer           State = "PENDING_PEER"
	StateActive                State = "ACTIVE"
	StateDeleting              State = "DELETING"
	StateDeleted               State = "DELETED"
	StateDeletedByPeer         State = "DELETED_BY_PEER"
	StateError                 State = "ERROR"
	StateInvalidSpecification  State = "INVALID_SPECIFICATION"
	StateRejectedByPeer        State = "REJECTED_BY_PEER"
)

// Transitional reports whether the state is expected to change on its own.
func (s State) Transitional() bool {
	switch s {
	case StateApproved, StateApprovedPeerRequested, StatePendingPeer, StateDeleting:
		return true
	}
	return false
}

// Failed reports whether the connection needs the user's attention.
func (s State) Failed() bool {
	switch s {
	case StateError, StateInvalidSpecification, StateRejectedByPeer, StateDeletedByPeer:
		return true
	}
	return false
}

// Azure peeringState values.
const (
	AzureInitiated    = "Initiated"
	AzureConnected    = "Connected"
	AzureDisconnected = "Disconnected"
)

// Connection types Aiven reports.
const (
	TypeAzure = "azure-vnet-peering"
	TypeAWS   = "aws-vpc-peering-connection"
)

// AivenUser is who the Aiven token belongs to.
type AivenUser struct {
	Email    string `json:"email"`
	RealName string `json:"real_name,omitempty"`
}

// ProjectRef is a project as listed, before its VPCs are fetched.
type ProjectRef struct {
	Name string `json:"name"`
	// DefaultCloud is the project's default cloud, when the listing said
	// it (the organization listing azpeer uses does not).
	DefaultCloud   string `json:"default_cloud,omitempty"`
	OrganizationID string `json:"organization_id,omitempty"`
}

// Project is a project with its VPCs. Err is set when its VPCs could not be
// read; the rest of an inventory is still good.
type Project struct {
	ProjectRef
	VPCs []VPC `json:"vpcs"`
	Err  error `json:"-"`
}

// VPC is an Aiven VPC: a project's or an organization's (Parent).
type VPC struct {
	ID string `json:"id"`
	// Parent owns the VPC. DisplayName is an organization VPC's name;
	// UsedBy lists the projects whose services run in an organization
	// VPC (a project VPC is its project's alone).
	Parent      Parent       `json:"parent"`
	DisplayName string       `json:"display_name,omitempty"`
	UsedBy      []string     `json:"used_by,omitempty"`
	Cloud       string       `json:"cloud"`
	CIDR        string       `json:"cidr"`
	State       string       `json:"state"`
	CreateTime  time.Time    `json:"create_time"`
	UpdateTime  time.Time    `json:"update_time"`
	Peerings    []Connection `json:"peerings"`
	// Err is set when this VPC's details (its peerings) could not be read.
	Err error `json:"-"`
}

// IsAzure reports whether the VPC runs in an Azure region.
// Aiven's Azure clouds are azure-<region>; Managed Service for
// TimescaleDB names its own timescale-azure-<region> (MST's cloud-regions
// doc).
func (v VPC) IsAzure() bool {
	return strings.HasPrefix(v.Cloud, "azure-") || strings.HasPrefix(v.Cloud, "timescale-azure-")
}

// Connection is one peering connection of a project VPC.
type Connection struct {
	Type                 string   `json:"type"`
	PeerCloudAccount     string   `json:"peer_cloud_account"`
	PeerResourceGroup    string   `json:"peer_resource_group,omitempty"`
	PeerVPC              string   `json:"peer_vpc"`
	PeerRegion           string   `json:"peer_region,omitempty"`
	PeerAzureAppID       string   `json:"peer_azure_app_id,omitempty"`
	PeerAzureTenantID    string   `json:"peer_azure_tenant_id,omitempty"`
	UserPeerNetworkCIDRs []string `json:"user_peer_network_cidrs,omitempty"`
	// PeeringConnectionID is Aiven's id of the connection, which an
	// organization VPC's delete takes (usually absent on project VPCs).
	PeeringConnectionID string         `json:"peering_connection_id,omitempty"`
	State               State          `json:"state"`
	StateInfo           map[string]any `json:"state_info"`
	CreateTime          time.Time      `json:"create_time"`
	UpdateTime          time.Time      `json:"update_time"`
}

// Key identifies a connection within its VPC, as every Aiven client does:
// there is no id to fetch one by.
type Key struct {
	PeerCloudAccount  string
	PeerResourceGroup string
	PeerVPC           string
	PeerRegion        string
}

// Key returns the connection's identity.
func (c Connection) Key() Key {
	return Key{c.PeerCloudAccount, c.PeerResourceGroup, c.PeerVPC, c.PeerRegion}
}

// Connection is a connection known only by its key (what DeletePeering
// needs of a project VPC's).
func (k Key) Connection() Connection {
	return Connection{PeerCloudAccount: k.PeerCloudAccount, PeerResourceGroup: k.PeerResourceGroup, PeerVPC: k.PeerVPC, PeerRegion: k.PeerRegion}
}

// Message is state_info.message, or "".
func (c Connection) Message() string { return c.info("message") }

// ToTenantID is state_info["to-tenant-id"] (Aiven's tenant, on PENDING_PEER).
func (c Connection) ToTenantID() string { return c.info("to-tenant-id") }

// ToNetworkID is state_info["to-network-id"] (Aiven's VNet, on PENDING_PEER).
func (c Connection) ToNetworkID() string { return c.info("to-network-id") }

func (c Connection) info(k string) string {
	if s, ok := c.StateInfo[k].(string); ok {
		return s
	}
	return ""
}

// StateInfoKeys returns state_info's keys in a stable order.
func (c Connection) StateInfoKeys() []string {
	keys := make([]string, 0, len(c.StateInfo))
	for k := range c.StateInfo {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Find returns the connection with the key (exact match, as avn does).
func (v VPC) Find(k Key) (Connection, bool) {
	for _, c := range v.Peerings {
		if c.Key() == k {
			return c, true
		}
	}
	return Connection{}, false
}

// AzurePeeringRequest is what Aiven needs to create an Azure peering.
type AzurePeeringRequest struct {
	SubscriptionID       string
	ResourceGroup        string
	VNetName             string
	AppID                string
	TenantID             string
	UserPeerNetworkCIDRs []string
}

// Subscription is an Azure subscription the signed-in principal can see.
type Subscription struct {
	ID          string `json:"id"`
	TenantID    string `json:"tenant_id"`
	DisplayName string `json:"display_name"`
	State       string `json:"state"`
}

// VNet is an Azure virtual network.
type VNet struct {
	ID              string        `json:"id"`
	Name            string        `json:"name"`
	ResourceGroup   string        `json:"resource_group"`
	Subscription    string        `json:"subscription"`
	Location        string        `json:"location"`
	AddressPrefixes []string      `json:"address_prefixes"`
	Peerings        []VNetPeering `json:"peerings"`
}

// VNetPeering is one side of an Azure VNet peering.
type VNetPeering struct {
	ID                        string `json:"-"`
	Name                      string `json:"name"`
	RemoteVNetID              string `json:"remote_vnet_id"`
	PeeringState              string `json:"peering_state"`
	SyncLevel                 string `json:"sync_level,omitempty"`
	ProvisioningState         string `json:"-"`
	AllowVirtualNetworkAccess bool   `json:"allow_vnet_access"`
	AllowForwardedTraffic     bool   `json:"allow_forwarded_traffic,omitempty"`
	AllowGatewayTransit       bool   `json:"allow_gateway_transit,omitempty"`
	UseRemoteGateways         bool   `json:"use_remote_gateways,omitempty"`
	// RemoteAddressPrefixes is the remote network's address space as this
	// side knows it (remoteVirtualNetworkAddressSpace, else remoteAddressSpace).
	RemoteAddressPrefixes []string `json:"remote_address_prefixes,omitempty"`
	// SyncedRemotePrefixes is the remote's address space this side last
	// synced (remoteAddressSpace): the ranges traffic flows to. It lags
	// RemoteAddressPrefixes until the peering is synced.
	SyncedRemotePrefixes []string `json:"synced_remote_prefixes,omitempty"`
}

// AzureIdentity is who azpeer is signed in as on the Azure side.
type AzureIdentity struct {
	TenantID       string
	SubscriptionID string
	// Principal is the object id (or app id) the token names, when known.
	Principal string
}
