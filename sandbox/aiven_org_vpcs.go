package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Organization VPCs: VPCs that belong to an Aiven organization rather than
// a project, which the services of any of its projects may run in. Their
// peering connections are the project VPCs' (aiven_vpcs.go) and move
// through the same state machine (aiven_state.go): a VPC with its
// OrganizationID set is one, and every handler below resolves it through
// aivenRequest.vpc, so a create, a refresh or a read of a connection is
// one code path whatever the parent.
//
// Paths. go-client-codegen v0.238.0 (handler/organizationvpc/
// organizationvpc.go, what the Terraform provider's aiven_organization_vpc
// and aiven_azure_org_vpc_peering_connection call) spells them
//
//	POST|GET          /v1/organization/{organization_id}/vpcs
//	GET|PUT|DELETE    /v1/organization/{organization_id}/vpc/{organization_vpc_id}
//	POST              /v1/organization/{organization_id}/vpc/{organization_vpc_id}/peering-connections
//	DELETE            /v1/organization/{organization_id}/vpc/{organization_vpc_id}/peering-connection/{peering_connection_id}
//
// while avn (`avn organization vpc …`, aiven.io/docs/tools/cli/vpc;
// aiven-client aiven/client/client.py list_organization_vpcs …
// organization_vpc_user_peer_network_cidrs_update) and Aiven's API
// reference use the plural vpcs/{organization_vpc_id} for the same
// operations, delete a connection at
// …/vpcs/{id}/peering-connections/{peering_connection_id}, and add GET
// …/vpcs/{id}/peering-connections, POST
// …/peering-connections/actions/refresh (avn prints the answer's
// peering_connections: the VPC), PUT
// …/peering-connections/{peering_connection_id}/user-peer-network-cidrs
// and GET /v1/organization/{organization_id}/vpc-clouds. Both spellings
// are served.
//
// Shapes follow codegen's OrganizationVpcGetOut / VpcOut: clouds
// [{cloud_name, network_cidr}], create_time, display_name,
// organization_id, organization_vpc_id, peering_connections,
// pending_build_only_peering_connections, state, update_time; a connection
// carries its peering_connection_id (a UUID), which delete takes. The
// sandbox's organization VPCs have one cloud each.
//
// Permissions: organization:networking:read to read, and
// organization:networking:write to change (codegen's PermissionType lists
// both; Aiven's docs, "Permissions", give them to organization admins).
// The refusal is in Aiven's error shape without error_code; its text is
// the sandbox's own.

// The organization networking permissions.
const (
	permNetworkingRead  = "organization:networking:read"
	permNetworkingWrite = "organization:networking:write"
)

// The organization VPC paths' prefixes: the organization, and one of its
// VPCs in codegen's singular spelling and in avn's and the docs' plural.
const (
	orgPath     = "organization/{organization_id}"
	orgVPCPath  = orgPath + "/vpc/{organization_vpc_id}"
	orgVPCsPath = orgPath + "/vpcs/{organization_vpc_id}"
)

// orgVPCRoutes are the organization VPC endpoints, in both spellings.
var orgVPCRoutes = []aivenRoute{
	newOrgRoute(orgPath+"/vpcs", map[string]aivenHandler{http.MethodGet: (*Server).aivenOrgVPCList, http.MethodPost: (*Server).aivenOrgVPCCreate}),
	newOrgRoute(orgPath+"/vpc-clouds", map[string]aivenHandler{http.MethodGet: (*Server).aivenOrgVPCClouds}),
	// codegen's singular spelling.
	newOrgRoute(orgVPCPath, map[string]aivenHandler{
		http.MethodGet: (*Server).aivenVPCGet, http.MethodPut: (*Server).aivenOrgVPCUpdate, http.MethodDelete: (*Server).aivenOrgVPCDelete}),
	newOrgRoute(orgVPCPath+"/peering-connections", map[string]aivenHandler{http.MethodGet: (*Server).aivenOrgPeeringList, http.MethodPost: (*Server).aivenPeeringCreate}),
	newOrgRoute(orgVPCPath+"/peering-connection/{peering_connection_id}", map[string]aivenHandler{http.MethodDelete: (*Server).aivenOrgPeeringDeleteByID}),
	// avn's and the docs' plural spelling.
	newOrgRoute(orgVPCsPath, map[string]aivenHandler{
		http.MethodGet: (*Server).aivenVPCGet, http.MethodPut: (*Server).aivenOrgVPCUpdate, http.MethodDelete: (*Server).aivenOrgVPCDelete}),
	newOrgRoute(orgVPCsPath+"/peering-connections", map[string]aivenHandler{http.MethodGet: (*Server).aivenOrgPeeringList, http.MethodPost: (*Server).aivenPeeringCreate}),
	newOrgRoute(orgVPCsPath+"/peering-connections/actions/refresh", map[string]aivenHandler{http.MethodPost: (*Server).aivenPeeringRefresh}),
	newOrgRoute(orgVPCPath+"/peering-connections/actions/refresh", map[string]aivenHandler{http.MethodPost: (*Server).aivenPeeringRefresh}),
	newOrgRoute(orgVPCsPath+"/peering-connections/{peering_connection_id}", map[string]aivenHandler{http.MethodDelete: (*Server).aivenOrgPeeringDeleteByID}),
	newOrgRoute(orgVPCsPath+"/peering-connections/{peering_connection_id}/user-peer-network-cidrs", map[string]aivenHandler{http.MethodPut: (*Server).aivenOrgPeeringCIDRs}),
}

// newOrgRoute is a route whose VPC is an organization's.
func newOrgRoute(template string, methods map[string]aivenHandler) aivenRoute {
	rt := newAivenRoute(template, methods)
	rt.org = true
	return rt
}

// orgAllows reports whether the user holds perm in the organization.
func (world *World) orgAllows(u *AivenUser, orgID, perm string) bool {
	perms := u.OrgPermissions[orgID]
	return slices.Contains(perms, perm) || slices.Contains(perms, "admin")
}

// org resolves the request's organization for a VPC call: 404 when it
// does not exist, 403 when the user is not a member or lacks the
// networking permission the method needs (read for GET, write otherwise).
func (q *aivenRequest) org() *AivenOrg {
	o := orNotFound(q, q.world.Aiven.Organizations[q.params[0]], "Organization does not exist", aivenCodeOrganization)
	if o == nil {
		return nil
	}
	if !slices.Contains(q.world.userOrgs(q.user), o) {
		aivenError(q.w, http.StatusForbidden, "Not an organization member", aivenCodeNotOrgMember)
		return nil
	}
	perm := permNetworkingWrite
	if q.r.Method == http.MethodGet {
		perm = permNetworkingRead
	}
	if !q.world.orgAllows(q.user, o.ID, perm) {
		// Aiven's error shape without error_code; the text is the sandbox's own.
		aivenError(q.w, http.StatusForbidden,
			fmt.Sprintf("Permission denied: %s is required on organization %s", perm, o.ID), "")
		return nil
	}
	return o
}

func (o *AivenOrg) vpc(id string) *VPC { return vpcByID(o.VPCs, id) }

// orgVPC resolves the request's organization and VPC.
func (q *aivenRequest) orgVPC() *VPC {
	o := q.org()
	if o == nil {
		return nil
	}
	// No public source: the sandbox's own, like "Project VPC does not exist".
	return orNotFound(q, o.vpc(q.params[1]), "Organization VPC does not exist", aivenCodeVPC)
}

// orgVPCJSON is an organization VPC as codegen's VpcOut (list) or
// OrganizationVpcGetOut (with peerings) reads it.
func (world *World) orgVPCJSON(v *VPC, full bool) map[string]any {
	out := map[string]any{
		"clouds":              []map[string]any{{"cloud_name": v.CloudName, "network_cidr": v.NetworkCIDR}},
		"create_time":         aivenTime(v.CreateTime),
		"display_name":        v.DisplayName,
		"organization_id":     v.OrganizationID,
		"organization_vpc_id": v.ID,
		"state":               v.State,
		"update_time":         aivenTime(v.UpdateTime),
	}
	if full {
		out["peering_connections"] = world.peeringsOut(v)
		out["pending_build_only_peering_connections"] = nil
	}
	return out
}

func (s *Server) aivenOrgVPCList(q *aivenRequest) {
	o := q.org()
	if o == nil {
		return
	}
	vpcs := mapped(o.VPCs, func(v *VPC) map[string]any { return q.world.orgVPCJSON(v, false) })
	writeJSON(q.w, http.StatusOK, map[string]any{"vpcs": vpcs})
}

// aivenOrgVPCClouds lists the clouds an organization VPC can be made in.
// Only avn and the docs name the endpoint; the answer's shape, {"clouds":
// [{"cloud_name": ...}]}, is the sandbox's own guess after GET /v1/clouds.
func (s *Server) aivenOrgVPCClouds(q *aivenRequest) {
	if q.org() == nil {
		return
	}
	clouds := []map[string]any{}
	for _, c := range []string{"aws-eu-west-1", "azure-eastus", "azure-westeurope", "google-europe-west1"} {
		clouds = append(clouds, map[string]any{"cloud_name": c})
	}
	writeJSON(q.w, http.StatusOK, map[string]any{"clouds": clouds})
}

// orgVPCCreateBody is codegen's OrganizationVpcCreateIn.
type orgVPCCreateBody struct {
	Clouds []struct {
		CloudName   string `json:"cloud_name"`
		NetworkCIDR string `json:"network_cidr"`
	} `json:"clouds"`
	DisplayName        *string           `json:"display_name"`
	PeeringConnections []json.RawMessage `json:"peering_connections"`
}

// aivenOrgVPCCreate makes an organization VPC, APPROVED until Aiven has
// built it (advanceOrgVPCs). The validation texts are the sandbox's own.
func (s *Server) aivenOrgVPCCreate(q *aivenRequest) {
	o := q.org()
	if o == nil {
		return
	}
	var b orgVPCCreateBody
	if !q.decodeBody(&b) {
		return
	}
	if len(b.Clouds) != 1 {
		aivenError(q.w, http.StatusBadRequest, "Invalid input for clouds: exactly one cloud is supported", aivenCodeInvalid)
		return
	}
	c := b.Clouds[0]
	if p, err := netip.ParsePrefix(c.NetworkCIDR); err != nil || !p.Addr().Is4() || p.Masked() != p {
		aivenError(q.w, http.StatusBadRequest, fmt.Sprintf("Invalid input for network_cidr: %q is not an IPv4 network range", c.NetworkCIDR), aivenCodeInvalid)
		return
	}
	if provider, _ := cloudProvider(c.CloudName); provider == "" || peeringTypeOf(c.CloudName) == "" {
		aivenError(q.w, http.StatusBadRequest, fmt.Sprintf("Invalid input for cloud_name: unknown cloud %q", c.CloudName), aivenCodeInvalid)
		return
	}
	v := q.world.addOrgVPC(q.now, o, c.CloudName, c.NetworkCIDR, "", str(b.DisplayName))
	v.State = "APPROVED"
	s.answerChange(q, q.world.orgVPCJSON(v, true))
}

// aivenOrgVPCUpdate changes a VPC's display name (codegen's
// OrganizationVpcUpdateIn has nothing else).
func (s *Server) aivenOrgVPCUpdate(q *aivenRequest) {
	v := q.orgVPC()
	if v == nil {
		return
	}
	var b struct {
		DisplayName *string `json:"display_name"`
	}
	if !q.decodeBody(&b) {
		return
	}
	if b.DisplayName != nil {
		v.DisplayName, v.UpdateTime = *b.DisplayName, q.now
		s.markDirty()
	}
	writeJSON(q.w, http.StatusOK, q.world.orgVPCJSON(v, true))
}

// aivenOrgVPCDelete deletes a VPC without connections; one with
// connections is refused (409, the sandbox's own text: project VPCs with
// peerings cannot be deleted either, as avn's docs have the user delete
// the connections first).
func (s *Server) aivenOrgVPCDelete(q *aivenRequest) {
	v := q.orgVPC()
	if v == nil {
		return
	}
	if len(v.Peerings) > 0 {
		aivenError(q.w, http.StatusConflict, fmt.Sprintf("Organization VPC %s has %d peering connections: delete them first", v.ID, len(v.Peerings)), "")
		return
	}
	o := q.world.Aiven.Organizations[v.OrganizationID]
	o.VPCs = slices.DeleteFunc(o.VPCs, func(x *VPC) bool { return x == v })
	if v.AzureVNetID != "" {
		delete(q.world.VNets, strings.ToLower(v.AzureVNetID))
	}
	v.State, v.UpdateTime = "DELETING", q.now
	s.answerChange(q, q.world.orgVPCJSON(v, true))
}

func (s *Server) aivenOrgPeeringList(q *aivenRequest) {
	v := q.orgVPC()
	if v == nil {
		return
	}
	writeJSON(q.w, http.StatusOK, map[string]any{"peering_connections": q.world.peeringsOut(v)})
}

func (v *VPC) peeringByID(id string) *AivenPeering {
	return find(slices.Values(v.Peerings), func(pc *AivenPeering) bool {
		return pc.PeeringConnectionID != "" && strings.EqualFold(pc.PeeringConnectionID, id)
	})
}

// aivenOrgPeeringDeleteByID starts deleting a connection named by its
// peering_connection_id, as aivenPeeringDeleteKey does one named by its peer.
func (s *Server) aivenOrgPeeringDeleteByID(q *aivenRequest) {
	if v, pc := q.orgPeering(); pc != nil {
		s.startPeeringDelete(q, v, pc)
	}
}

// orgPeering resolves the request's organization VPC and the connection
// its peering_connection_id names (pc nil once it has answered).
func (q *aivenRequest) orgPeering() (v *VPC, pc *AivenPeering) {
	if v = q.orgVPC(); v != nil {
		pc = q.peeringFound(v.peeringByID(q.params[2]))
	}
	return v, pc
}

// aivenOrgPeeringCIDRs changes a connection's user_peer_network_cidrs:
// body {"add": [{"cidr": C}, ...], "delete": [C, ...]}, as avn sends it
// (aiven-client cli.py organization vpc peering-connection
// user-peer-network-cidrs add/delete: add=[{"cidr": cidr} ...],
// delete=cidrs; client.py organization_vpc_user_peer_network_cidrs_update).
func (s *Server) aivenOrgPeeringCIDRs(q *aivenRequest) {
	_, pc := q.orgPeering()
	if pc == nil {
		return
	}
	var b struct {
		Add []struct {
			CIDR string `json:"cidr"`
		} `json:"add"`
		Delete []string `json:"delete"`
	}
	if !q.decodeBody(&b) {
		return
	}
	add := make([]string, 0, len(b.Add))
	for _, a := range b.Add {
		add = append(add, a.CIDR)
	}
	for _, c := range add {
		if p, err := netip.ParsePrefix(c); err != nil || !p.Addr().Is4() || p.Masked() != p {
			aivenError(q.w, http.StatusBadRequest, fmt.Sprintf("Invalid input for user_peer_network_cidrs: %q is not an IPv4 network range", c), aivenCodeInvalid)
			return
		}
	}
	cidrs := slices.DeleteFunc(slices.Clone(pc.UserPeerNetworkCIDRs), func(c string) bool { return slices.Contains(b.Delete, c) })
	for _, c := range add {
		if !slices.Contains(cidrs, c) {
			cidrs = append(cidrs, c)
		}
	}
	pc.UserPeerNetworkCIDRs, pc.UpdateTime = cidrs, q.now
	s.answerChange(q, q.world.aivenPeeringOut(pc))
}

// addOrgVPC adds an ACTIVE organization VPC, with Aiven's VNet behind an
// Azure one as addVPC gives a project's.
func (world *World) addOrgVPC(now time.Time, o *AivenOrg, cloud, cidr, id, name string) *VPC {
	v := world.newVPC(now, world.platformOf(nil), cloud, cidr, id)
	v.OrganizationID, v.DisplayName = o.ID, name
	o.VPCs = append(o.VPCs, v)
	return v
}

// advanceOrgVPCs makes APPROVED organization VPCs ACTIVE once Aiven has
// had AivenApproval to build them. Expects the world lock.
func (s *Server) advanceOrgVPCs(now func() time.Time) bool {
	changed := false
	for _, o := range s.world.Aiven.Organizations {
		for _, v := range o.VPCs {
			if v.State == "APPROVED" && s.clock.Due(v.UpdateTime, s.world.Timing.AivenApproval.D()) {
				v.State, v.UpdateTime = "ACTIVE", now()
				changed = true
			}
		}
	}
	return changed
}

// forEachVPC calls fn for every VPC with the project owning it (nil for an
// organization's: Aiven operates those).
func (world *World) forEachVPC(fn func(p *Project, v *VPC)) {
	for _, p := range world.Aiven.Projects {
		for _, v := range p.VPCs {
			fn(p, v)
		}
	}
	for _, o := range world.Aiven.Organizations {
		for _, v := range o.VPCs {
			fn(nil, v)
		}
	}
}
