package sandbox_test

// Organization VPCs through go-client-codegen's organizationvpc handler
// (the singular vpc/{id} spelling) and by hand in avn's plural spelling.

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	aiven "github.com/aiven/go-client-codegen"
	"github.com/aiven/go-client-codegen/handler/organizationvpc"
	"github.com/google/uuid"

	"github.com/azpeer/azpeer/sandbox"
)

// orgVPCPath is the VPC's path in one spelling.
func orgVPCPath(plural bool) string {
	seg := "vpc"
	if plural {
		seg = "vpcs"
	}
	return "/v1/organization/" + sandbox.AivenOrganizationID + "/" + seg + "/" + sandbox.OrgVPCID
}

type orgVPCOut struct {
	OrganizationVPCID  string `json:"organization_vpc_id"`
	OrganizationID     string `json:"organization_id"`
	DisplayName        string `json:"display_name"`
	State              string `json:"state"`
	PeeringConnections []struct {
		PeeringConnectionID string         `json:"peering_connection_id"`
		PeerVPC             string         `json:"peer_vpc"`
		State               string         `json:"state"`
		StateInfo           map[string]any `json:"state_info"`
	} `json:"peering_connections"`
}

func TestOrgVPCBothSpellings(t *testing.T) {
	t.Parallel()
	s, c := aivenAdmin(t)
	tok := "aivenv1 " + s.Credentials().AivenToken

	// codegen: the singular spelling.
	got, err := c.OrganizationVpcGet(ctx(t), sandbox.AivenOrganizationID, sandbox.OrgVPCID)
	if err != nil {
		t.Fatalf("OrganizationVpcGet: %v", err)
	}
	if got.State != organizationvpc.OrganizationVpcStateTypeActive || len(got.Clouds) != 1 || got.Clouds[0].CloudName != "azure-westeurope" ||
		got.DisplayName != sandbox.OrgVPCName || got.OrganizationId != sandbox.AivenOrganizationID {
		t.Fatalf("OrganizationVpcGet = %+v", got)
	}
	list, err := c.OrganizationVpcList(ctx(t), sandbox.AivenOrganizationID)
	if err != nil || len(list) != 1 || list[0].OrganizationVpcId != sandbox.OrgVPCID {
		t.Fatalf("OrganizationVpcList = %+v, %v", list, err)
	}

	for _, plural := range []bool{false, true} {
		code, body := rawAiven(t, s, http.MethodGet, orgVPCPath(plural), tok)
		var v orgVPCOut
		if code != http.StatusOK || json.Unmarshal(body, &v) != nil {
			t.Fatalf("plural=%v: GET = %d %s", plural, code, body)
		}
		states := map[string]string{}
		for _, pc := range v.PeeringConnections {
			if _, err := uuid.Parse(pc.PeeringConnectionID); err != nil {
				t.Errorf("plural=%v: peering_connection_id %q is not a UUID", plural, pc.PeeringConnectionID)
			}
			states[pc.PeerVPC] = pc.State
		}
		if states["prod-vnet"] != "ACTIVE" || states["app-vnet-old"] != "INVALID_SPECIFICATION" {
			t.Errorf("plural=%v: states = %v", plural, states)
		}
	}
	// avn's listing of the connections alone.
	code, body := rawAiven(t, s, http.MethodGet, orgVPCPath(true)+"/peering-connections", tok)
	if code != http.StatusOK || !strings.Contains(string(body), `"peering_connections"`) {
		t.Fatalf("GET …/peering-connections = %d %s", code, body)
	}
}

// TestOrgVPCPeeringLifecycle creates a connection in one spelling and
// deletes it by id in the other, through the project VPCs' state machine.
func TestOrgVPCPeeringLifecycle(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		createPlural bool
	}{{"codegen create, avn delete", false}, {"avn create, codegen delete", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, c := aivenAdmin(t)
			tok := "aivenv1 " + s.Credentials().AivenToken
			in := &organizationvpc.OrganizationVpcPeeringConnectionCreateIn{
				PeerCloudAccount: sandbox.UserSubscriptionID, PeerVpc: "app-vnet", PeerResourceGroup: ptr("rg-app"),
				PeerAzureAppId: ptr(sandbox.ProdPeeringAppID), PeerAzureTenantId: ptr(sandbox.UserTenantID)}
			var id string
			if tc.createPlural {
				resp, b := send(t, s, rawRequest{method: http.MethodPost, path: orgVPCPath(true) + "/peering-connections", auth: tok,
					body: jsonBody(t, in), contentType: "application/json"})
				var out struct {
					ID    string `json:"peering_connection_id"`
					State string `json:"state"`
				}
				if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &out) != nil || out.State != "APPROVED" {
					t.Fatalf("POST = %d %s", resp.StatusCode, b)
				}
				id = out.ID
			} else {
				out, err := c.OrganizationVpcPeeringConnectionCreate(ctx(t), sandbox.AivenOrganizationID, sandbox.OrgVPCID, in)
				if err != nil || out.State != "APPROVED" || out.PeeringConnectionId == nil {
					t.Fatalf("create = %+v, %v", out, err)
				}
				id = *out.PeeringConnectionId
			}
			// Aiven's service principal holds no peer/action on app-vnet:
			// the state machine fails it as it fails a project's.
			if code, b := rawAiven(t, s, http.MethodPost, orgVPCPath(true)+"/peering-connections/actions/refresh", tok); code != http.StatusOK {
				t.Fatalf("refresh = %d %s", code, b)
			}
			got, err := c.OrganizationVpcGet(ctx(t), sandbox.AivenOrganizationID, sandbox.OrgVPCID)
			if err != nil {
				t.Fatal(err)
			}
			state := ""
			for _, pc := range got.PeeringConnections {
				if pc.PeerVpc == "app-vnet" {
					state = string(pc.State)
				}
			}
			if state != "REJECTED_BY_PEER" && state != "INVALID_SPECIFICATION" {
				t.Fatalf("after refresh: state %q, want a permission failure", state)
			}
			if tc.createPlural {
				_, err = c.OrganizationVpcPeeringConnectionDeleteById(ctx(t), sandbox.AivenOrganizationID, sandbox.OrgVPCID, id)
			} else if code, b := rawAiven(t, s, http.MethodDelete, orgVPCPath(true)+"/peering-connections/"+id, tok); code != http.StatusOK {
				t.Fatalf("DELETE = %d %s", code, b)
			}
			if err != nil {
				t.Fatalf("delete: %v", err)
			}
			got, _ = c.OrganizationVpcGet(ctx(t), sandbox.AivenOrganizationID, sandbox.OrgVPCID)
			for _, pc := range got.PeeringConnections {
				if pc.PeerVpc == "app-vnet" && pc.State != "DELETING" && pc.State != "DELETED" {
					t.Errorf("after delete: %s", pc.State)
				}
			}
			if _, err := c.OrganizationVpcPeeringConnectionDeleteById(ctx(t), sandbox.AivenOrganizationID, sandbox.OrgVPCID, uuid.NewString()); !aiven.IsNotFound(err) {
				t.Errorf("delete of an unknown id: %v, want 404", err)
			}
		})
	}
}

func TestOrgVPCPermissions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		perms  []string
		method string
		path   string
		want   int
		needs  string
	}{
		{"no permission, read", nil, http.MethodGet, orgVPCPath(false), 403, "organization:networking:read"},
		{"no permission, list", nil, http.MethodGet, "/v1/organization/" + sandbox.AivenOrganizationID + "/vpcs", 403, "organization:networking:read"},
		{"read only, create", []string{"organization:networking:read"}, http.MethodPost, orgVPCPath(true) + "/peering-connections", 403, "organization:networking:write"},
		{"read only, read", []string{"organization:networking:read"}, http.MethodGet, orgVPCPath(true), 200, ""},
		{"write, refresh", []string{"organization:networking:write"}, http.MethodPost, orgVPCPath(false) + "/peering-connections/actions/refresh", 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, _ := aivenAdmin(t)
			if !s.SetOrgPermissions(sandbox.AivenOrganizationID, tc.perms) {
				t.Fatal("SetOrgPermissions: no such organization")
			}
			code, body := rawAiven(t, s, tc.method, tc.path, "aivenv1 "+s.Credentials().AivenToken)
			if code != tc.want {
				t.Fatalf("%s %s = %d %s, want %d", tc.method, tc.path, code, body, tc.want)
			}
			if tc.needs == "" {
				return
			}
			if e := decodeAivenBody(t, body); e.Errors[0]["status"] != float64(403) || !strings.Contains(e.Message, tc.needs) {
				t.Errorf("body %s: want Aiven's error shape naming %s", body, tc.needs)
			}
		})
	}
}

// The VPC itself: created APPROVED then ACTIVE (codegen), renamed and
// deleted in avn's spelling, the clouds listed, and a connection's extra
// CIDRs changed.
func TestOrgVPCCreateUpdateDelete(t *testing.T) {
	t.Parallel()
	s, c := aivenAdmin(t)
	tok := "aivenv1 " + s.Credentials().AivenToken
	org := sandbox.AivenOrganizationID
	out, err := c.OrganizationVpcCreate(ctx(t), org, &organizationvpc.OrganizationVpcCreateIn{
		Clouds: []organizationvpc.CloudIn{{CloudName: "azure-westeurope", NetworkCidr: "10.80.0.0/24"}}, DisplayName: ptr("second"),
		PeeringConnections: []organizationvpc.PeeringConnectionIn{}})
	if err != nil || out.State != organizationvpc.OrganizationVpcStateTypeApproved || out.OrganizationVpcId == "" {
		t.Fatalf("OrganizationVpcCreate = %+v, %v", out, err)
	}
	id := out.OrganizationVpcId
	got, err := c.OrganizationVpcGet(ctx(t), org, id)
	if err != nil || got.State != organizationvpc.OrganizationVpcStateTypeActive {
		t.Fatalf("after Aiven built it: %+v, %v", got, err)
	}
	if _, err := c.OrganizationVpcCreate(ctx(t), org, &organizationvpc.OrganizationVpcCreateIn{
		Clouds: []organizationvpc.CloudIn{{CloudName: "azure-westeurope", NetworkCidr: "10.80.0.1/24"}}}); err == nil {
		t.Error("a CIDR with host bits was accepted")
	}

	path := "/v1/organization/" + org + "/vpcs/" + id
	resp, b := send(t, s, rawRequest{method: http.MethodPut, path: path, auth: tok, body: strings.NewReader(`{"display_name":"renamed"}`), contentType: "application/json"})
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"display_name":"renamed"`) {
		t.Errorf("PUT = %d %s", resp.StatusCode, b)
	}
	if code, b := rawAiven(t, s, http.MethodGet, "/v1/organization/"+org+"/vpc-clouds", tok); code != http.StatusOK || !strings.Contains(string(b), "azure-westeurope") {
		t.Errorf("vpc-clouds = %d %s", code, b)
	}
	if code, b := rawAiven(t, s, http.MethodDelete, path, tok); code != http.StatusOK || !strings.Contains(string(b), "DELETING") {
		t.Errorf("DELETE = %d %s", code, b)
	}
	if _, err := c.OrganizationVpcGet(ctx(t), org, id); !aiven.IsNotFound(err) {
		t.Errorf("after delete: %v, want 404", err)
	}
	// A VPC with connections is not deleted.
	if _, err := c.OrganizationVpcDelete(ctx(t), org, sandbox.OrgVPCID); err == nil {
		t.Error("the VPC with connections was deleted")
	}

	v, _ := c.OrganizationVpcGet(ctx(t), org, sandbox.OrgVPCID)
	pcid := *v.PeeringConnections[0].PeeringConnectionId
	resp, b = send(t, s, rawRequest{method: http.MethodPut, path: orgVPCPath(true) + "/peering-connections/" + pcid + "/user-peer-network-cidrs",
		auth: tok, body: strings.NewReader(`{"add":[{"cidr":"192.168.7.0/24"}]}`), contentType: "application/json"})
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "192.168.7.0/24") {
		t.Errorf("PUT user-peer-network-cidrs = %d %s", resp.StatusCode, b)
	}
}
