package aiven

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/azpeer/azpeer/peering"
)

// Organization VPCs. go-client-codegen v0.238.0 has them
// (handler/organizationvpc) under the paths the Terraform provider uses:
// GET|PUT|DELETE /v1/organization/{org}/vpc/{id}, POST
// …/vpc/{id}/peering-connections, DELETE
// …/vpc/{id}/peering-connection/{peering_connection_id}. But it types a
// connection's state_info as a fixed struct (PeeringConnectionStateInfoOut:
// message, type, warnings, aws_vpc_peering_connection_id, to_project_id,
// to_vpc_network), so an Azure connection's to-tenant-id and to-network-id,
// which the runbook needs in PENDING_PEER, would be dropped. The reads and
// the create are therefore sent through raw (the client's own transport,
// retries and token) and decoded here with state_info as an open object;
// the list (no connections in it) and the delete use codegen.

// orgVPCJSON is an organization VPC as Aiven answers it (codegen's
// OrganizationVpcGetOut with state_info left open).
type orgVPCJSON struct {
	Clouds []struct {
		CloudName   string `json:"cloud_name"`
		NetworkCIDR string `json:"network_cidr"`
	} `json:"clouds"`
	CreateTime         time.Time           `json:"create_time"`
	DisplayName        string              `json:"display_name"`
	OrganizationID     string              `json:"organization_id"`
	OrganizationVPCID  string              `json:"organization_vpc_id"`
	PeeringConnections []orgConnectionJSON `json:"peering_connections"`
	State              string              `json:"state"`
	UpdateTime         time.Time           `json:"update_time"`
}

// orgConnectionJSON is one connection, state_info as any keys.
type orgConnectionJSON struct {
	CreateTime           time.Time      `json:"create_time"`
	PeerAzureAppID       *string        `json:"peer_azure_app_id"`
	PeerAzureTenantID    *string        `json:"peer_azure_tenant_id"`
	PeerCloudAccount     string         `json:"peer_cloud_account"`
	PeerRegion           *string        `json:"peer_region"`
	PeerResourceGroup    *string        `json:"peer_resource_group"`
	PeerVPC              string         `json:"peer_vpc"`
	PeeringConnectionID  *string        `json:"peering_connection_id"`
	State                string         `json:"state"`
	StateInfo            map[string]any `json:"state_info"`
	UpdateTime           time.Time      `json:"update_time"`
	UserPeerNetworkCIDRs []string       `json:"user_peer_network_cidrs"`
	Type                 string         `json:"vpc_peering_connection_type"`
}

func (pc orgConnectionJSON) connection() peering.Connection {
	return peering.Connection{
		Type:                 pc.Type,
		PeerCloudAccount:     pc.PeerCloudAccount,
		PeerResourceGroup:    deref(pc.PeerResourceGroup),
		PeerVPC:              pc.PeerVPC,
		PeerRegion:           deref(pc.PeerRegion),
		PeerAzureAppID:       deref(pc.PeerAzureAppID),
		PeerAzureTenantID:    deref(pc.PeerAzureTenantID),
		UserPeerNetworkCIDRs: pc.UserPeerNetworkCIDRs,
		PeeringConnectionID:  deref(pc.PeeringConnectionID),
		State:                peering.State(pc.State),
		StateInfo:            pc.StateInfo,
		CreateTime:           pc.CreateTime,
		UpdateTime:           pc.UpdateTime,
	}
}

// orgVPCPath is codegen's (and the Terraform provider's) path of an
// organization VPC.
func orgVPCPath(org, id string) string {
	return fmt.Sprintf("/v1/organization/%s/vpc/%s", url.PathEscape(org), url.PathEscape(id))
}

// OrganizationVPCs lists an organization's VPCs (without their peerings).
func (c *Client) OrganizationVPCs(ctx context.Context, org string) ([]peering.VPC, error) {
	ctx, cancel := c.call(ctx)
	defer cancel()
	out, err := c.api.OrganizationVpcList(ctx, org)
	if err != nil {
		return nil, wrapOrg(ctx, fmt.Sprintf("list VPCs of organization %s", org), org, err)
	}
	vpcs := make([]peering.VPC, 0, len(out))
	for _, v := range out {
		pv := peering.VPC{ID: v.OrganizationVpcId, Parent: peering.OrganizationParent(org), DisplayName: v.DisplayName,
			State: string(v.State), CreateTime: v.CreateTime, UpdateTime: v.UpdateTime}
		if len(v.Clouds) > 0 {
			pv.Cloud, pv.CIDR = v.Clouds[0].CloudName, v.Clouds[0].NetworkCidr
		}
		vpcs = append(vpcs, pv)
	}
	return vpcs, nil
}

func (c *Client) orgVPC(ctx context.Context, org, id string) (peering.VPC, error) {
	ctx, cancel := c.call(ctx)
	defer cancel()
	var out orgVPCJSON
	if err := c.raw(ctx, "OrganizationVpcGet", http.MethodGet, orgVPCPath(org, id), nil, &out); err != nil {
		return peering.VPC{}, wrapOrg(ctx, fmt.Sprintf("get VPC %s of organization %s", id, org), org, err)
	}
	v := peering.VPC{ID: out.OrganizationVPCID, Parent: peering.OrganizationParent(org), DisplayName: out.DisplayName,
		State: out.State, CreateTime: out.CreateTime, UpdateTime: out.UpdateTime,
		Peerings: make([]peering.Connection, 0, len(out.PeeringConnections))}
	if len(out.Clouds) > 0 {
		v.Cloud, v.CIDR = out.Clouds[0].CloudName, out.Clouds[0].NetworkCIDR
	}
	for _, pc := range out.PeeringConnections {
		v.Peerings = append(v.Peerings, pc.connection())
	}
	return v, nil
}

func (c *Client) orgCreateAzurePeering(ctx context.Context, org, vpcID string, req peering.AzurePeeringRequest) (peering.Connection, error) {
	ctx, cancel := c.call(ctx)
	defer cancel()
	var out orgConnectionJSON
	if err := c.raw(ctx, "OrganizationVpcPeeringConnectionCreate", http.MethodPost, orgVPCPath(org, vpcID)+"/peering-connections", azureCreateIn(req), &out); err != nil {
		return peering.Connection{}, wrapOrg(ctx, fmt.Sprintf("create peering connection on VPC %s of organization %s", vpcID, org), org, err)
	}
	return out.connection(), nil
}

func (c *Client) orgDeletePeering(ctx context.Context, org, vpcID string, pc peering.Connection) error {
	id := pc.PeeringConnectionID
	if id == "" {
		// A connection known only by its peer (a run record's): its id
		// is in the VPC.
		v, err := c.orgVPC(ctx, org, vpcID)
		if err != nil {
			return err
		}
		found, ok := v.Find(pc.Key())
		if !ok || found.PeeringConnectionID == "" {
			return wrapOrg(ctx, fmt.Sprintf("delete peering connection to %s on VPC %s", pc.PeerVPC, vpcID), org,
				&peering.CloudError{Service: "aiven", StatusCode: http.StatusNotFound, Message: "Peering connection does not exist", Err: peering.ErrNotFound})
		}
		id = found.PeeringConnectionID
	}
	ctx, cancel := c.call(ctx)
	defer cancel()
	if _, err := c.api.OrganizationVpcPeeringConnectionDeleteById(ctx, org, vpcID, id); err != nil {
		return wrapOrg(ctx, fmt.Sprintf("delete peering connection %s to %s on VPC %s", id, pc.PeerVPC, vpcID), org, err)
	}
	return nil
}

// orgRefresh is avn's and the docs' POST
// …/vpcs/{id}/peering-connections/actions/refresh (codegen has none).
func (c *Client) orgRefresh(ctx context.Context, org, vpcID string) error {
	ctx, cancel := c.call(ctx)
	defer cancel()
	path := fmt.Sprintf("/v1/organization/%s/vpcs/%s/peering-connections/actions/refresh", url.PathEscape(org), url.PathEscape(vpcID))
	if err := c.raw(ctx, "OrganizationVpcPeeringConnectionsRefresh", http.MethodPost, path, struct{}{}, nil); err != nil {
		return wrapOrg(ctx, fmt.Sprintf("refresh peerings of VPC %s of organization %s", vpcID, org), org, err)
	}
	return nil
}

// wrapOrg is wrap for an organization's calls: a 403 says which
// permission is missing and who can grant it.
func wrapOrg(ctx context.Context, what, org string, err error) error {
	var ce *peering.CloudError
	if errors.As(err, &ce) {
		return fmt.Errorf("aiven: %s: %w", what, err)
	}
	err = wrap(ctx, what, err)
	if peering.StatusCode(err) != http.StatusForbidden {
		return err
	}
	return &OrgPermissionError{Organization: org, Err: err}
}

// OrgPermissionError is Aiven's refusal of an organization VPC call.
type OrgPermissionError struct {
	Organization string
	Err          error
}

func (e *OrgPermissionError) Error() string {
	return fmt.Sprintf("%v: organization VPCs need organization:networking:read to see them and organization:networking:write to peer or delete; an admin of organization %s can grant them (Aiven Console, Admin → Permissions)",
		e.Err, e.Organization)
}

func (e *OrgPermissionError) Unwrap() error { return e.Err }
