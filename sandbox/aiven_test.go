package sandbox_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v7"
	aiven "github.com/aiven/go-client-codegen"
	"github.com/aiven/go-client-codegen/handler/vpc"
	"github.com/google/uuid"

	"github.com/azpeer/azpeer/sandbox"
)

// VPC ids of the default scenario.
const (
	prodVPCID       = "1f0e2d3c-4b5a-4697-8877-665544332211"
	stagingVPCID    = "2a3b4c5d-6e7f-4819-9a0b-1c2d3e4f5a6b"
	analyticsAWSVPC = "3b4c5d6e-7f80-4912-a3b4-c5d6e7f8091a"
	analyticsAzVPC  = "4c5d6e7f-8091-4a23-b4c5-d6e7f8091a2b"
)

func ptr[T any](v T) *T { return &v }

// azureIn is a create request for an Azure connection from the user's tenant.
func azureIn(rg, vnet, appID string) *vpc.VpcPeeringConnectionCreateIn {
	return &vpc.VpcPeeringConnectionCreateIn{
		PeerCloudAccount:  sandbox.UserSubscriptionID,
		PeerVpc:           vnet,
		PeerResourceGroup: ptr(rg),
		PeerAzureAppId:    ptr(appID),
		PeerAzureTenantId: ptr(sandbox.UserTenantID),
	}
}

// peeringKey names a connection the way every client finds it in VpcGet.
type peeringKey struct{ account, rg, vnet, region string }

func (k peeringKey) match(pc vpc.PeeringConnectionOut) bool {
	region := ""
	if pc.PeerRegion != nil {
		region = *pc.PeerRegion
	}
	return pc.PeerCloudAccount == k.account && pc.PeerResourceGroup == k.rg && pc.PeerVpc == k.vnet && region == k.region
}

func azureKey(rg, vnet string) peeringKey {
	return peeringKey{account: sandbox.UserSubscriptionID, rg: rg, vnet: vnet}
}

// getPeering fetches a VPC and picks one connection; nil when it is gone.
func getPeering(t *testing.T, c aiven.Client, project, vpcID string, k peeringKey) *vpc.PeeringConnectionOut {
	t.Helper()
	out, err := c.VpcGet(ctx(t), project, vpcID)
	if err != nil {
		t.Fatalf("VpcGet %s/%s: %v", project, vpcID, err)
	}
	for i := range out.PeeringConnections {
		if k.match(out.PeeringConnections[i]) {
			return &out.PeeringConnections[i]
		}
	}
	return nil
}

// gone is the pseudo-state of a connection no longer listed.
const gone = "(gone)"

// waitStates polls the connection until its state is one of until and
// returns every distinct state seen on the way, starting with from (the
// state the previous response showed), and the last connection seen (nil
// when gone). The deadline only guards against a hang; nothing asserts how
// long a transition takes.
func waitStates(t *testing.T, c aiven.Client, project, vpcID string, k peeringKey, from string, until ...string) ([]string, *vpc.PeeringConnectionOut) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	seen := []string{from}
	for {
		pc := getPeering(t, c, project, vpcID, k)
		state := gone
		if pc != nil {
			state = string(pc.State)
		}
		if seen[len(seen)-1] != state {
			seen = append(seen, state)
		}
		if slices.Contains(until, state) {
			return seen, pc
		}
		if time.Now().After(deadline) {
			t.Fatalf("connection %+v: states %v, never reached %v", k, seen, until)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func assertStates(t *testing.T, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("states = %v, want %v", got, want)
	}
}

func aivenErr(t *testing.T, err error) aiven.Error {
	t.Helper()
	var e aiven.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an aiven.Error", err, err)
	}
	return e
}

func TestAivenUserInfo(t *testing.T) {
	_, c := aivenAdmin(t)
	me, err := c.UserInfo(ctx(t))
	if err != nil {
		t.Fatalf("UserInfo: %v", err)
	}
	if me.User != sandbox.AivenUserEmail || me.State != "active" || me.RealName == "" || me.UserId == "" {
		t.Errorf("UserInfo = user %q state %q real name %q id %q", me.User, me.State, me.RealName, me.UserId)
	}
	if want := []string{"analytics", "tsdb-prod", "tsdb-staging"}; !slices.Equal(me.Projects, want) {
		t.Errorf("projects = %v, want %v", me.Projects, want)
	}
	if me.ProjectMembership["tsdb-prod"] != "admin" {
		t.Errorf("project_membership = %v", me.ProjectMembership)
	}
}

func TestAivenProjectsAndOrganizations(t *testing.T) {
	_, c := aivenAdmin(t)
	//lint:ignore SA1019 azpeer lists projects with GET /v1/project (aiven/client.go), so the sandbox serves it
	pl, err := c.ProjectList(ctx(t))
	if err != nil {
		t.Fatalf("ProjectList: %v", err)
	}
	var names []string
	for _, p := range pl.Projects {
		names = append(names, p.ProjectName)
		if p.OrganizationId != sandbox.AivenOrganizationID || p.AccountId == "" || p.TenantId == nil {
			t.Errorf("project %s: organization %q account %q tenant %v", p.ProjectName, p.OrganizationId, p.AccountId, p.TenantId)
		}
	}
	if want := []string{"analytics", "tsdb-prod", "tsdb-staging"}; !slices.Equal(names, want) {
		t.Errorf("projects = %v, want %v (sorted)", names, want)
	}
	if pl.Projects[0].DefaultCloud != "aws-eu-west-1" || pl.Projects[1].DefaultCloud != "azure-westeurope" {
		t.Errorf("default clouds = %q, %q", pl.Projects[0].DefaultCloud, pl.Projects[1].DefaultCloud)
	}

	orgs, err := c.UserOrganizationsList(ctx(t))
	if err != nil {
		t.Fatalf("UserOrganizationsList: %v", err)
	}
	if len(orgs) != 1 || orgs[0].OrganizationId != sandbox.AivenOrganizationID || orgs[0].OrganizationName != "Contoso" {
		t.Fatalf("organizations = %+v", orgs)
	}
	op, err := c.OrganizationProjectsList(ctx(t), sandbox.AivenOrganizationID)
	if err != nil {
		t.Fatalf("OrganizationProjectsList: %v", err)
	}
	if op.TotalProjectCount != 3 || len(op.Projects) != 3 || op.Projects[2].ProjectId != "tsdb-staging" {
		t.Errorf("organization projects = %+v", op)
	}
	if _, err := c.OrganizationProjectsList(ctx(t), "org0000000000"); !aiven.IsNotFound(err) {
		t.Errorf("OrganizationProjectsList(unknown) = %v, want 404", err)
	}
}

func TestAivenVpcListAndGet(t *testing.T) {
	_, c := aivenAdmin(t)
	vpcs, err := c.VpcList(ctx(t), "analytics")
	if err != nil {
		t.Fatalf("VpcList: %v", err)
	}
	if len(vpcs) != 2 || vpcs[0].ProjectVpcId != analyticsAWSVPC || vpcs[1].CloudName != "azure-eastus" ||
		vpcs[1].NetworkCidr != "10.60.0.0/24" || vpcs[1].State != vpc.VpcStateTypeActive || vpcs[1].CreateTime.IsZero() {
		t.Fatalf("VpcList(analytics) = %+v", vpcs)
	}

	out, err := c.VpcGet(ctx(t), "tsdb-prod", prodVPCID)
	if err != nil {
		t.Fatalf("VpcGet: %v", err)
	}
	if out.ProjectVpcId != prodVPCID || out.CloudName != "azure-westeurope" || out.PendingBuildOnlyPeeringConnections != nil {
		t.Errorf("VpcGet = %+v", out)
	}
	if len(out.PeeringConnections) != 2 {
		t.Fatalf("peering connections = %+v", out.PeeringConnections)
	}
	active := out.PeeringConnections[0]
	if active.State != vpc.VpcPeeringConnectionStateTypeActive || active.PeerVpc != "prod-vnet" || active.PeerResourceGroup != "rg-prod" ||
		active.PeerAzureAppId != sandbox.ProdPeeringAppID || active.PeerAzureTenantId != sandbox.UserTenantID ||
		active.PeerRegion != nil || active.VpcPeeringConnectionType != vpc.VpcPeeringConnectionTypeAzureVnetPeering ||
		active.UserPeerNetworkCidrs == nil || active.StateInfo["type"] != "active" {
		t.Errorf("active connection = %+v", active)
	}
	if bad := out.PeeringConnections[1]; bad.State != vpc.VpcPeeringConnectionStateTypeInvalidSpecification ||
		!strings.Contains(bad.StateInfo["message"].(string), "was not found") {
		t.Errorf("invalid connection = %+v", bad)
	}

	aws, err := c.VpcGet(ctx(t), "analytics", analyticsAWSVPC)
	if err != nil {
		t.Fatalf("VpcGet(aws): %v", err)
	}
	if pc := aws.PeeringConnections[0]; pc.PeerRegion == nil || *pc.PeerRegion != "eu-west-1" || pc.PeeringConnectionId == nil ||
		pc.VpcPeeringConnectionType != vpc.VpcPeeringConnectionTypeAWSVpcPeeringConnection {
		t.Errorf("AWS connection = %+v", pc)
	}
}

func TestAivenNotFound(t *testing.T) {
	_, c := aivenAdmin(t)
	tests := []struct {
		name string
		call func() error
		msg  string
	}{
		{"VpcList unknown project", func() error { _, err := c.VpcList(ctx(t), "no-such-project"); return err }, "Project does not exist"},
		{"VpcGet unknown project", func() error { _, err := c.VpcGet(ctx(t), "no-such-project", prodVPCID); return err }, "Project does not exist"},
		{"VpcGet unknown VPC", func() error { _, err := c.VpcGet(ctx(t), "tsdb-prod", stagingVPCID); return err }, "Project VPC does not exist"},
		{"create on unknown VPC", func() error {
			_, err := c.VpcPeeringConnectionCreate(ctx(t), "tsdb-prod", "00000000-0000-4000-8000-000000000000", azureIn("rg-app", "app-vnet", sandbox.ProdPeeringAppID))
			return err
		}, "Project VPC does not exist"},
		{"delete unknown connection", func() error {
			_, err := c.VpcPeeringConnectionWithResourceGroupDelete(ctx(t), "tsdb-prod", prodVPCID, sandbox.UserSubscriptionID, "rg-prod", "nope")
			return err
		}, "Peering connection does not exist"},
		{"delete is case-sensitive", func() error {
			_, err := c.VpcPeeringConnectionWithResourceGroupDelete(ctx(t), "tsdb-prod", prodVPCID, sandbox.UserSubscriptionID, "rg-prod", "Prod-VNet")
			return err
		}, "Peering connection does not exist"},
		{"delete Azure connection without its resource group", func() error {
			_, err := c.VpcPeeringConnectionDelete(ctx(t), "tsdb-prod", prodVPCID, sandbox.UserSubscriptionID, "prod-vnet")
			return err
		}, "Peering connection does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if !aiven.IsNotFound(err) {
				t.Fatalf("err = %v, want a 404", err)
			}
			if e := aivenErr(t, err); e.Message != tt.msg {
				t.Errorf("message = %q, want %q", e.Message, tt.msg)
			}
		})
	}
}

func TestAivenBadToken(t *testing.T) {
	s := startSandbox(t, sandbox.Options{})
	t.Run("codegen with a wrong token", func(t *testing.T) {
		_, err := aivenClient(t, s, "not-a-token").UserInfo(ctx(t))
		e := aivenErr(t, err)
		if e.Status != http.StatusForbidden || e.Message != "Invalid token" {
			t.Fatalf("err = %v, want 403 Invalid token", err)
		}
	})
	for _, tt := range []struct{ name, header string }{
		{"no Authorization header", ""},
		{"bearer of a wrong token", "Bearer nope"},
		{"admin token under another scheme", "Basic " + s.Credentials().AivenToken},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, body := rawAiven(t, s, http.MethodGet, "/v1/project", tt.header)
			var e struct {
				Message string `json:"message"`
				Errors  []struct {
					Status  int    `json:"status"`
					Message string `json:"message"`
				} `json:"errors"`
			}
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("body %s: %v", body, err)
			}
			if status != http.StatusForbidden || e.Message != "Invalid token" || len(e.Errors) != 1 || e.Errors[0].Status != 403 {
				t.Fatalf("status %d body %s", status, body)
			}
		})
	}
	t.Run("Bearer scheme with the right token", func(t *testing.T) {
		if status, body := rawAiven(t, s, http.MethodGet, "/v1/me", "Bearer "+s.Credentials().AivenToken); status != http.StatusOK {
			t.Fatalf("status %d body %s", status, body)
		}
	})
}

func TestAivenCreateValidation(t *testing.T) {
	_, c := aivenAdmin(t)
	mod := func(f func(in *vpc.VpcPeeringConnectionCreateIn)) *vpc.VpcPeeringConnectionCreateIn {
		in := azureIn("rg-app", "app-vnet", sandbox.ProdPeeringAppID)
		f(in)
		return in
	}
	tests := []struct {
		name, project, vpcID string
		in                   *vpc.VpcPeeringConnectionCreateIn
		status               int
		msg                  string
	}{
		{"Azure without app id", "tsdb-staging", stagingVPCID, mod(func(in *vpc.VpcPeeringConnectionCreateIn) { in.PeerAzureAppId = nil }),
			400, "Invalid input for peer_azure_app_id"},
		{"Azure without tenant id", "tsdb-staging", stagingVPCID, mod(func(in *vpc.VpcPeeringConnectionCreateIn) { in.PeerAzureTenantId = nil }),
			400, "Invalid input for peer_azure_tenant_id"},
		{"Azure without resource group", "tsdb-staging", stagingVPCID, mod(func(in *vpc.VpcPeeringConnectionCreateIn) { in.PeerResourceGroup = nil }),
			400, "Invalid input for peer_resource_group"},
		{"Azure app id not a UUID", "tsdb-staging", stagingVPCID, mod(func(in *vpc.VpcPeeringConnectionCreateIn) { in.PeerAzureAppId = ptr("my-app") }),
			400, "is not a UUID4"},
		{"Azure with a region", "tsdb-staging", stagingVPCID, mod(func(in *vpc.VpcPeeringConnectionCreateIn) { in.PeerRegion = ptr("westeurope") }),
			400, "Invalid input for peer_region"},
		{"Azure subscription not a UUID", "tsdb-staging", stagingVPCID, mod(func(in *vpc.VpcPeeringConnectionCreateIn) { in.PeerCloudAccount = "contoso" }),
			400, "Invalid input for peer_cloud_account"},
		{"bad user CIDR", "tsdb-staging", stagingVPCID, mod(func(in *vpc.VpcPeeringConnectionCreateIn) { in.UserPeerNetworkCidrs = &[]string{"10.0.0.1/8"} }),
			400, "host bits set"},
		{"AWS with Azure fields", "analytics", analyticsAWSVPC, azureIn("rg-app", "app-vnet", sandbox.ProdPeeringAppID),
			400, "only allowed for Azure"},
		{"existing ACTIVE connection", "tsdb-prod", prodVPCID, azureIn("rg-prod", "prod-vnet", sandbox.ProdPeeringAppID),
			409, "Peering connection already exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.VpcPeeringConnectionCreate(ctx(t), tt.project, tt.vpcID, tt.in)
			e := aivenErr(t, err)
			if e.Status != tt.status || !strings.Contains(e.Message, tt.msg) {
				t.Fatalf("err = %v, want %d %q", err, tt.status, tt.msg)
			}
			if tt.status == http.StatusConflict && !aiven.IsAlreadyExists(err) {
				t.Errorf("aiven.IsAlreadyExists(%v) = false", err)
			}
		})
	}
}

// TestAivenEvaluationFailures drives APPROVED connections of the default
// scenario to each way Aiven refuses them.
func TestAivenEvaluationFailures(t *testing.T) {
	_, c := aivenAdmin(t)
	tests := []struct {
		name    string
		in      *vpc.VpcPeeringConnectionCreateIn
		state   vpc.VpcPeeringConnectionStateType
		message string
	}{
		{"VNet missing", azureIn("rg-app", "no-such-vnet", sandbox.ProdPeeringAppID),
			vpc.VpcPeeringConnectionStateTypeInvalidSpecification, `Virtual network "no-such-vnet" in resource group "rg-app"`},
		{"mixed-case names", azureIn("Rg-Legacy", "Legacy-VNet", sandbox.ProdPeeringAppID),
			vpc.VpcPeeringConnectionStateTypeInvalidSpecification, "must be given in lower case"},
		{"address overlap (lower-case names find Rg-Legacy/Legacy-VNet)", azureIn("rg-legacy", "legacy-vnet", sandbox.ProdPeeringAppID),
			vpc.VpcPeeringConnectionStateTypeInvalidSpecification, "Address space 10.30.0.0/16"},
		{"user CIDR overlaps the VPC", func() *vpc.VpcPeeringConnectionCreateIn {
			in := azureIn("rg-app", "app-vnet", sandbox.ProdPeeringAppID)
			in.UserPeerNetworkCidrs = &[]string{"10.2.0.0/16", "10.30.0.128/25"}
			return in
		}(), vpc.VpcPeeringConnectionStateTypeInvalidSpecification, "User peer network CIDR 10.30.0.128/25"},
		{"unknown tenant", func() *vpc.VpcPeeringConnectionCreateIn {
			in := azureIn("rg-prod", "prod-vnet", sandbox.ProdPeeringAppID)
			in.PeerAzureTenantId = ptr("0badbeef-0000-4000-8000-000000000000")
			return in
		}(), vpc.VpcPeeringConnectionStateTypeInvalidSpecification, "AADSTS90002"},
		{"unknown application", azureIn("rg-prod", "prod-vnet", "0badbeef-1111-4000-8000-000000000000"),
			vpc.VpcPeeringConnectionStateTypeInvalidSpecification, "does not reference a valid application object"},
		{"single-tenant application", azureIn("rg-prod", "prod-vnet", sandbox.AdminAppID),
			vpc.VpcPeeringConnectionStateTypeInvalidSpecification, "is not multi-tenant"},
		{"no peer/action for Aiven", azureIn("rg-app", "app-vnet", sandbox.ProdPeeringAppID),
			vpc.VpcPeeringConnectionStateTypeRejectedByPeer, "'Microsoft.Network/virtualNetworks/peer/action'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vpcID := stagingVPCID
			project := "tsdb-staging"
			out, err := c.VpcPeeringConnectionCreate(ctx(t), project, vpcID, tt.in)
			if err != nil {
				t.Fatalf("VpcPeeringConnectionCreate: %v", err)
			}
			if out.State != vpc.VpcPeeringConnectionStateTypeApproved || out.PeerVpc != tt.in.PeerVpc || out.CreateTime.IsZero() {
				t.Fatalf("create response = %+v", out)
			}
			k := azureKey(*tt.in.PeerResourceGroup, tt.in.PeerVpc)
			states, pc := waitStates(t, c, project, vpcID, k, string(out.State), string(tt.state))
			assertStates(t, states, "APPROVED", string(tt.state))
			msg, _ := pc.StateInfo["message"].(string)
			if !strings.Contains(msg, tt.message) || pc.StateInfo["type"] == nil {
				t.Errorf("state_info = %v, want message containing %q", pc.StateInfo, tt.message)
			}
			// Deleting it leaves no trace once DELETED has lingered.
			del, err := c.VpcPeeringConnectionWithResourceGroupDelete(ctx(t), project, vpcID, k.account, k.rg, k.vnet)
			if err != nil || del.State != vpc.VpcPeeringConnectionStateTypeDeleting {
				t.Fatalf("delete = %+v, %v", del, err)
			}
			states, _ = waitStates(t, c, project, vpcID, k, string(del.State), gone)
			assertStates(t, states, "DELETING", "DELETED", gone)
		})
	}
}

// TestAivenRecreate: POSTing a failed connection again asks Aiven to retry
// it, while a live one conflicts. Aiven is slow here (a day to act on
// APPROVED) so the re-requested connection stays APPROVED until refreshed.
func TestAivenRecreate(t *testing.T) {
	s := timedSandbox(t, 1, func(tm *sandbox.Timing) { tm.AivenApproval = sandbox.Duration(24 * time.Hour) })
	c := aivenClient(t, s, s.Credentials().AivenToken)
	in := azureIn("rg-app", "app-vnet", sandbox.ProdPeeringAppID)
	k := azureKey("rg-app", "app-vnet")
	before := getPeering(t, c, "analytics", analyticsAzVPC, k)
	if before == nil || before.State != vpc.VpcPeeringConnectionStateTypeRejectedByPeer {
		t.Fatalf("scenario connection = %+v, want REJECTED_BY_PEER", before)
	}
	in.UserPeerNetworkCidrs = &[]string{"10.2.0.0/16"}
	out, err := c.VpcPeeringConnectionCreate(ctx(t), "analytics", analyticsAzVPC, in)
	if err != nil {
		t.Fatalf("re-create: %v", err)
	}
	if out.State != vpc.VpcPeeringConnectionStateTypeApproved || !slices.Equal(out.UserPeerNetworkCidrs, []string{"10.2.0.0/16"}) ||
		!out.CreateTime.Equal(before.CreateTime) {
		t.Fatalf("re-create = %+v, want the same connection APPROVED with the new CIDRs", out)
	}
	if _, err := c.VpcPeeringConnectionCreate(ctx(t), "analytics", analyticsAzVPC, in); !aiven.IsAlreadyExists(err) {
		t.Fatalf("create while APPROVED = %v, want 409 already exists", err)
	}
	vpcOut, err := c.VpcGet(ctx(t), "analytics", analyticsAzVPC)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(vpcOut.PeeringConnections); n != 1 || vpcOut.PeeringConnections[0].State != vpc.VpcPeeringConnectionStateTypeApproved {
		t.Fatalf("VPC after re-create = %+v, want its one connection APPROVED", vpcOut.PeeringConnections)
	}
	refresh(t, s, "analytics", analyticsAzVPC)
	if pc := getPeering(t, c, "analytics", analyticsAzVPC, k); pc == nil || pc.State != vpc.VpcPeeringConnectionStateTypeRejectedByPeer {
		t.Fatalf("after refresh: %+v, want REJECTED_BY_PEER again", pc)
	}
}

// refresh asks Aiven to re-check a VPC's connections now.
func refresh(t *testing.T, s *sandbox.Server, project, vpcID string) vpc.VpcGetOut {
	t.Helper()
	status, body := rawAiven(t, s, http.MethodPost, "/v1/project/"+project+"/vpcs/"+vpcID+"/peering-connections/refresh",
		"aivenv1 "+s.Credentials().AivenToken)
	if status != http.StatusOK {
		t.Fatalf("refresh %s/%s: %d %s", project, vpcID, status, body)
	}
	var out vpc.VpcGetOut
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("refresh body %s: %v", body, err)
	}
	return out
}

// TestAivenRefresh: with Aiven slow to act, the refresh endpoint makes it
// evaluate an APPROVED connection at once and returns the VPC.
func TestAivenRefresh(t *testing.T) {
	s := timedSandbox(t, 1, func(tm *sandbox.Timing) { tm.AivenApproval = sandbox.Duration(24 * time.Hour) })
	c := aivenClient(t, s, s.Credentials().AivenToken)
	in := azureIn("rg-app", "app-vnet", sandbox.ProdPeeringAppID)
	if _, err := c.VpcPeeringConnectionCreate(ctx(t), "tsdb-staging", stagingVPCID, in); err != nil {
		t.Fatal(err)
	}
	k := azureKey("rg-app", "app-vnet")
	if pc := getPeering(t, c, "tsdb-staging", stagingVPCID, k); pc == nil || pc.State != vpc.VpcPeeringConnectionStateTypeApproved {
		t.Fatalf("before refresh: %+v, want APPROVED (a day of simulated time cannot have passed)", pc)
	}
	out := refresh(t, s, "tsdb-staging", stagingVPCID)
	if out.ProjectVpcId != stagingVPCID || len(out.PeeringConnections) != 1 ||
		out.PeeringConnections[0].State != vpc.VpcPeeringConnectionStateTypeRejectedByPeer {
		t.Fatalf("refresh returned %+v, want the VPC with the connection REJECTED_BY_PEER", out)
	}
	if status, _ := rawAiven(t, s, http.MethodPost, "/v1/project/tsdb-staging/vpcs/"+prodVPCID+"/peering-connections/refresh",
		"aivenv1 "+s.Credentials().AivenToken); status != http.StatusNotFound {
		t.Errorf("refresh of a VPC of another project: %d, want 404", status)
	}
}

// TestAivenAWSLifecycle: clouds the sandbox does not emulate get as far as
// PENDING_PEER, and their connections delete by region.
func TestAivenAWSLifecycle(t *testing.T) {
	_, c := aivenAdmin(t)
	in := &vpc.VpcPeeringConnectionCreateIn{PeerCloudAccount: "210987654321", PeerVpc: "vpc-0123456789abcdef0", PeerRegion: ptr("eu-central-1")}
	out, err := c.VpcPeeringConnectionCreate(ctx(t), "analytics", analyticsAWSVPC, in)
	if err != nil {
		t.Fatal(err)
	}
	if out.VpcPeeringConnectionType != vpc.VpcPeeringConnectionTypeAWSVpcPeeringConnection || out.PeerRegion == nil || *out.PeerRegion != "eu-central-1" {
		t.Fatalf("create = %+v", out)
	}
	k := peeringKey{account: "210987654321", vnet: "vpc-0123456789abcdef0", region: "eu-central-1"}
	states, pc := waitStates(t, c, "analytics", analyticsAWSVPC, k, string(out.State), "PENDING_PEER")
	assertStates(t, states, "APPROVED", "APPROVED_PEER_REQUESTED", "PENDING_PEER")
	if pc.PeeringConnectionId == nil || !strings.HasPrefix(*pc.PeeringConnectionId, "pcx-") {
		t.Errorf("PENDING_PEER connection = %+v, want a pcx- id", pc)
	}
	if _, err := c.VpcPeeringConnectionDelete(ctx(t), "analytics", analyticsAWSVPC, k.account, k.vnet); !aiven.IsNotFound(err) {
		t.Errorf("delete without the region = %v, want 404", err)
	}
	del, err := c.VpcPeeringConnectionWithRegionDelete(ctx(t), "analytics", analyticsAWSVPC, k.account, k.vnet, k.region)
	if err != nil || del.State != vpc.VpcPeeringConnectionStateTypeDeleting {
		t.Fatalf("delete = %+v, %v", del, err)
	}
	states, _ = waitStates(t, c, "analytics", analyticsAWSVPC, k, string(del.State), gone)
	assertStates(t, states, "DELETING", "DELETED", gone)
}

// TestAivenScenarioFile covers what the built-in scenarios lack: projects
// the user is not a member of, injected faults, a VPC that is not ACTIVE
// and one whose Aiven network is missing (ERROR).
func TestAivenScenarioFile(t *testing.T) {
	const token = "sandbox-test-token-0123456789"
	sum := sha256.Sum256([]byte(token))
	past := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	world := &sandbox.World{
		Version:       1,
		Tenants:       map[string]*sandbox.Tenant{sandbox.UserTenantID: {ID: sandbox.UserTenantID, DisplayName: "Contoso"}},
		Subscriptions: map[string]*sandbox.Subscription{sandbox.UserSubscriptionID: {ID: sandbox.UserSubscriptionID, TenantID: sandbox.UserTenantID, State: "Enabled"}},
		Aiven: sandbox.AivenWorld{
			AppID: sandbox.AivenDefaultAppID, TenantID: sandbox.AivenTenantID, SubscriptionID: sandbox.AivenSubscriptionID,
			Users: map[string]*sandbox.AivenUser{"dev@example.com": {Email: "dev@example.com", RealName: "Dev", UserID: "u1",
				TokenSHA256: hex.EncodeToString(sum[:]), Projects: []string{"mine", "flaky"}}},
			Organizations: map[string]*sandbox.AivenOrg{"org1": {ID: "org1", Name: "Org"}},
			Projects: map[string]*sandbox.Project{
				"mine": {Name: "mine", OrganizationID: "org1", DefaultCloud: "azure-westeurope", VPCs: []*sandbox.VPC{
					{ID: "11111111-1111-4111-8111-111111111111", CloudName: "azure-westeurope", NetworkCIDR: "10.9.0.0/24", State: "ACTIVE",
						CreateTime: past, UpdateTime: past, AzureVNetID: "/subscriptions/" + sandbox.AivenSubscriptionID + "/resourceGroups/gone/providers/Microsoft.Network/virtualNetworks/gone"},
					{ID: "22222222-2222-4222-8222-222222222222", CloudName: "azure-westeurope", NetworkCIDR: "10.8.0.0/24", State: "APPROVED",
						CreateTime: past, UpdateTime: past},
				}},
				"flaky":  {Name: "flaky", OrganizationID: "org1", DefaultCloud: "azure-westeurope", FaultStatus: http.StatusServiceUnavailable},
				"theirs": {Name: "theirs", OrganizationID: "org2", DefaultCloud: "azure-westeurope"},
			},
		},
	}
	data, err := json.Marshal(map[string]any{"world": world, "aiven_token": token})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "scenario.json")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	s := startSandbox(t, sandbox.Options{Scenario: file})
	c := aivenClient(t, s, token)

	t.Run("not a member", func(t *testing.T) {
		_, err := c.VpcList(ctx(t), "theirs")
		if e := aivenErr(t, err); e.Status != http.StatusForbidden || e.Message != "Not a project member" {
			t.Fatalf("err = %v, want 403 Not a project member", err)
		}
		//lint:ignore SA1019 azpeer lists projects with GET /v1/project (aiven/client.go), so the sandbox serves it
		pl, err := c.ProjectList(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		if len(pl.Projects) != 2 || pl.Projects[0].ProjectName != "flaky" || pl.Projects[1].ProjectName != "mine" {
			t.Errorf("ProjectList = %+v, want only flaky and mine", pl.Projects)
		}
	})
	t.Run("fault status", func(t *testing.T) {
		_, err := c.VpcList(ctx(t), "flaky")
		if e := aivenErr(t, err); e.Status != http.StatusServiceUnavailable {
			t.Fatalf("err = %v, want 503", err)
		}
	})
	t.Run("VPC not active", func(t *testing.T) {
		_, err := c.VpcPeeringConnectionCreate(ctx(t), "mine", "22222222-2222-4222-8222-222222222222", azureIn("rg", "vnet", sandbox.ProdPeeringAppID))
		if e := aivenErr(t, err); e.Status != http.StatusConflict || !strings.Contains(e.Message, "ACTIVE") {
			t.Fatalf("err = %v, want 409 about the VPC state", err)
		}
	})
	t.Run("Aiven network missing", func(t *testing.T) {
		vpcID := "11111111-1111-4111-8111-111111111111"
		out, err := c.VpcPeeringConnectionCreate(ctx(t), "mine", vpcID, azureIn("rg", "vnet", sandbox.ProdPeeringAppID))
		if err != nil {
			t.Fatal(err)
		}
		states, pc := waitStates(t, c, "mine", vpcID, azureKey("rg", "vnet"), string(out.State), "ERROR")
		assertStates(t, states, "APPROVED", "ERROR")
		if pc.StateInfo["type"] != "error" {
			t.Errorf("state_info = %v", pc.StateInfo)
		}
	})
}

// TestAivenFullPathAzure is the whole story through the real clients only:
// the admin prepares the user's tenant with Graph and Resource Manager,
// Aiven builds its side, the user's app peers back across tenants, the user
// deletes their side (DELETED_BY_PEER), the connection is requested again,
// and finally Aiven deletes it.
func TestAivenFullPathAzure(t *testing.T) {
	timing := sandbox.Timing{
		PeeringProvisioning: sandbox.Duration(time.Second),
		AivenApproval:       sandbox.Duration(2 * time.Second),
		AivenActivation:     sandbox.Duration(5 * time.Second),
		AivenDeletion:       sandbox.Duration(2 * time.Second),
		AivenPeerLoss:       sandbox.Duration(3 * time.Second),
	}
	s := startSandbox(t, sandbox.Options{Speed: 100, Timing: &timing})
	c := aivenClient(t, s, s.Credentials().AivenToken)
	admin := adminCredential(t, s)
	g := graphClient(t, s, admin)
	sub := sandbox.UserSubscriptionID
	appVNetID := "/subscriptions/" + sub + "/resourceGroups/rg-app/providers/Microsoft.Network/virtualNetworks/app-vnet"

	// The user's peering app: multi-tenant, with a secret and a principal
	// that may manage peerings of app-vnet.
	app, err := g.CreateApplication(ctx(t), "tsdb-staging-peering", "AzureADMultipleOrgs", nil)
	if err != nil {
		t.Fatalf("CreateApplication: %v", err)
	}
	_, secret, err := g.AddPassword(ctx(t), app.ID, "azpeer", time.Time{})
	if err != nil {
		t.Fatalf("AddPassword: %v", err)
	}
	appSP, err := g.CreateServicePrincipal(ctx(t), app.AppID, nil)
	if err != nil {
		t.Fatalf("CreateServicePrincipal: %v", err)
	}
	aivenSP, err := g.FindServicePrincipalByAppID(ctx(t), sandbox.AivenDefaultAppID)
	if err != nil || aivenSP == nil {
		t.Fatalf("Aiven's service principal in the user's tenant: %v, %v", aivenSP, err)
	}

	// A custom role with peer/action for Aiven's principal, and Network
	// Contributor for the app, both on app-vnet.
	defs, err := armauthorization.NewRoleDefinitionsClient(admin, armOptions(s))
	if err != nil {
		t.Fatal(err)
	}
	roleGUID := uuid.NewString()
	rd, err := defs.CreateOrUpdate(ctx(t), "/subscriptions/"+sub, roleGUID, armauthorization.RoleDefinition{
		Properties: &armauthorization.RoleDefinitionProperties{
			RoleName:         ptr("aiven-peer-tsdb-staging"),
			Description:      ptr("Lets Aiven peer with app-vnet"),
			RoleType:         ptr("CustomRole"),
			Permissions:      []*armauthorization.Permission{{Actions: []*string{ptr("Microsoft.Network/virtualNetworks/peer/action")}}},
			AssignableScopes: []*string{ptr("/subscriptions/" + sub)},
		}}, nil)
	if err != nil {
		t.Fatalf("create role definition: %v", err)
	}
	assignments, err := armauthorization.NewRoleAssignmentsClient(sub, admin, armOptions(s))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []struct{ role, principal string }{
		{*rd.ID, aivenSP.ID},
		{"/subscriptions/" + sub + "/providers/Microsoft.Authorization/roleDefinitions/4d97b98b-1d4f-4787-a291-c67834d212e7", appSP.ID},
	} {
		if _, err := assignments.Create(ctx(t), appVNetID, uuid.NewString(), armauthorization.RoleAssignmentCreateParameters{
			Properties: &armauthorization.RoleAssignmentProperties{RoleDefinitionID: ptr(a.role), PrincipalID: ptr(a.principal),
				PrincipalType: ptr(armauthorization.PrincipalTypeServicePrincipal)}}, nil); err != nil {
			t.Fatalf("assign %s to %s: %v", a.role, a.principal, err)
		}
	}

	// The app signs in to its own tenant and, for the remote side, to Aiven's.
	appCred := secretCredential(t, s, sandbox.UserTenantID, app.AppID, secret.Reveal(), sandbox.AivenTenantID)
	peerings, err := armnetwork.NewVirtualNetworkPeeringsClient(sub, appCred, armOptions(s, sandbox.AivenTenantID))
	if err != nil {
		t.Fatal(err)
	}
	poll := &runtime.PollUntilDoneOptions{Frequency: 10 * time.Millisecond}
	peerBack := func(toNetworkID string) {
		t.Helper()
		p, err := peerings.BeginCreateOrUpdate(ctx(t), "rg-app", "app-vnet", "to-aiven-tsdb-staging", armnetwork.VirtualNetworkPeering{
			Properties: &armnetwork.VirtualNetworkPeeringPropertiesFormat{
				RemoteVirtualNetwork:      &armnetwork.SubResource{ID: ptr(toNetworkID)},
				AllowVirtualNetworkAccess: ptr(true),
			}}, nil)
		if err != nil {
			t.Fatalf("create the user's peering: %v", err)
		}
		if _, err := p.PollUntilDone(ctx(t), poll); err != nil {
			t.Fatalf("create the user's peering: %v", err)
		}
	}
	userPeeringState := func() armnetwork.VirtualNetworkPeeringState {
		t.Helper()
		got, err := peerings.Get(ctx(t), "rg-app", "app-vnet", "to-aiven-tsdb-staging", nil)
		if err != nil {
			t.Fatalf("get the user's peering: %v", err)
		}
		return *got.Properties.PeeringState
	}
	k := azureKey("rg-app", "app-vnet")
	in := azureIn("rg-app", "app-vnet", app.AppID)
	pendingPeer := func(from string) string {
		t.Helper()
		states, pc := waitStates(t, c, "tsdb-staging", stagingVPCID, k, from, "PENDING_PEER", "INVALID_SPECIFICATION", "REJECTED_BY_PEER", "ERROR")
		assertStates(t, states, "APPROVED", "PENDING_PEER")
		toTenant, _ := pc.StateInfo["to-tenant-id"].(string)
		toNetwork, _ := pc.StateInfo["to-network-id"].(string)
		if toTenant != sandbox.AivenTenantID || !strings.HasPrefix(toNetwork, "/subscriptions/"+sandbox.AivenSubscriptionID+"/") {
			t.Fatalf("PENDING_PEER state_info = %v", pc.StateInfo)
		}
		return toNetwork
	}

	out, err := c.VpcPeeringConnectionCreate(ctx(t), "tsdb-staging", stagingVPCID, in)
	if err != nil {
		t.Fatalf("VpcPeeringConnectionCreate: %v", err)
	}
	toNetwork := pendingPeer(string(out.State))
	peerBack(toNetwork)
	if st := userPeeringState(); st != armnetwork.VirtualNetworkPeeringStateConnected {
		t.Fatalf("user's peering is %s, want Connected", st)
	}
	states, _ := waitStates(t, c, "tsdb-staging", stagingVPCID, k, "PENDING_PEER", "ACTIVE")
	assertStates(t, states, "PENDING_PEER", "ACTIVE")

	// The user deletes their side; Aiven notices.
	del, err := peerings.BeginDelete(ctx(t), "rg-app", "app-vnet", "to-aiven-tsdb-staging", nil)
	if err != nil {
		t.Fatalf("delete the user's peering: %v", err)
	}
	if _, err := del.PollUntilDone(ctx(t), poll); err != nil {
		t.Fatalf("delete the user's peering: %v", err)
	}
	states, _ = waitStates(t, c, "tsdb-staging", stagingVPCID, k, "ACTIVE", "DELETED_BY_PEER")
	assertStates(t, states, "ACTIVE", "DELETED_BY_PEER")

	// Asking again starts over; this time Aiven deletes the connection.
	out, err = c.VpcPeeringConnectionCreate(ctx(t), "tsdb-staging", stagingVPCID, in)
	if err != nil {
		t.Fatalf("re-create: %v", err)
	}
	toNetwork = pendingPeer(string(out.State))
	peerBack(toNetwork)
	states, _ = waitStates(t, c, "tsdb-staging", stagingVPCID, k, "PENDING_PEER", "ACTIVE")
	assertStates(t, states, "PENDING_PEER", "ACTIVE")
	dout, err := c.VpcPeeringConnectionWithResourceGroupDelete(ctx(t), "tsdb-staging", stagingVPCID, sub, "rg-app", "app-vnet")
	if err != nil {
		t.Fatalf("VpcPeeringConnectionWithResourceGroupDelete: %v", err)
	}
	states, _ = waitStates(t, c, "tsdb-staging", stagingVPCID, k, string(dout.State), gone)
	assertStates(t, states, "DELETING", "DELETED", gone)
	if st := userPeeringState(); st != armnetwork.VirtualNetworkPeeringStateDisconnected {
		t.Errorf("user's peering after Aiven's delete is %s, want Disconnected", st)
	}
}
