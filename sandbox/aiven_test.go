package sandbox_test

// The Aiven API through the official codegen client: the user, projects
// and organizations, VPCs, errors and tokens, a scenario file, and the
// helpers the peering-connection tests (aiven_peerings_test.go) share.

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	aiven "github.com/aiven/go-client-codegen"
	"github.com/aiven/go-client-codegen/handler/vpc"

	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
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

// waitPendingPeer waits for a connection just made (APPROVED) to go
// PENDING_PEER, its state_info naming tenant and a network of subscription
// to peer with, and returns that network's id.
func waitPendingPeer(t *testing.T, c aiven.Client, project, vpcID string, k peeringKey, from, tenant, subscription string) string {
	t.Helper()
	states, pc := waitStates(t, c, project, vpcID, k, from, "PENDING_PEER", "INVALID_SPECIFICATION", "REJECTED_BY_PEER", "ERROR")
	assertStates(t, states, "APPROVED", "PENDING_PEER")
	toTenant, _ := pc.StateInfo["to-tenant-id"].(string)
	toNetwork, _ := pc.StateInfo["to-network-id"].(string)
	if toTenant != tenant || !strings.HasPrefix(toNetwork, "/subscriptions/"+subscription+"/") {
		t.Fatalf("PENDING_PEER state_info = %v, want tenant %s and a network of subscription %s", pc.StateInfo, tenant, subscription)
	}
	return toNetwork
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
	if want := []string{"analytics", "orders", "orders-staging", "tsdb-prod", "tsdb-staging"}; !slices.Equal(me.Projects, want) {
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
	if want := []string{"analytics", "orders", "orders-staging", "tsdb-prod", "tsdb-staging"}; !slices.Equal(names, want) {
		t.Errorf("projects = %v, want %v (sorted)", names, want)
	}
	if pl.Projects[0].DefaultCloud != "aws-eu-west-1" || pl.Projects[3].DefaultCloud != "azure-westeurope" {
		t.Errorf("default clouds = %q, %q", pl.Projects[0].DefaultCloud, pl.Projects[3].DefaultCloud)
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
	if op.TotalProjectCount != 5 || len(op.Projects) != 5 || op.Projects[4].ProjectId != "tsdb-staging" {
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
	s := sandboxtest.Start(t, sandbox.Options{})
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
			e := decodeAivenBody(t, body)
			if status != http.StatusForbidden || e.Message != "Invalid token" || e.Errors[0]["status"] != float64(403) {
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
	s := sandboxtest.Start(t, sandbox.Options{Scenario: scenarioFile(t, map[string]any{"world": world, "aiven_token": token})})
	c := aivenClient(t, s, token)

	t.Run("not a member", func(t *testing.T) {
		_, err := c.VpcList(ctx(t), "theirs")
		if e := aivenErr(t, err); e.Status != http.StatusForbidden || e.Message != "Not a project member" {
			t.Fatalf("err = %v, want 403 Not a project member", err)
		}
		// Verbatim and without error_code, as in terraform-provider-aiven#561.
		status, body := rawAiven(t, s, http.MethodGet, "/v1/project/theirs/vpcs", "aivenv1 "+token)
		wantAivenBody(t, status, body, 403, "Not a project member", false)
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
