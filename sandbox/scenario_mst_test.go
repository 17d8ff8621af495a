package sandbox_test

// The mst scenario through the real clients: what an MST user lists, and a
// peering that works only with MST's app, not Aiven's.

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v7"

	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

func TestMSTScenarioLists(t *testing.T) {
	if !slices.Contains(sandbox.ScenarioNames, "mst") {
		t.Fatalf("ScenarioNames = %v", sandbox.ScenarioNames)
	}
	s := sandboxtest.Start(t, sandbox.Options{Scenario: "mst"})
	c := aivenClient(t, s, s.Credentials().AivenToken)
	orgs, err := c.UserOrganizationsList(ctx(t))
	if err != nil || len(orgs) != 1 || orgs[0].OrganizationId != sandbox.MSTOrganizationID {
		t.Fatalf("organizations = %+v, %v; want MST's only", orgs, err)
	}
	projects, err := c.OrganizationProjectsList(ctx(t), sandbox.MSTOrganizationID)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range projects.Projects {
		names = append(names, p.ProjectId)
	}
	if !slices.Equal(names, []string{sandbox.MSTSignupProject, sandbox.MSTProject}) {
		t.Fatalf("projects = %v", names)
	}
	//lint:ignore SA1019 avn project list, as MST's docs show it, uses GET /v1/project
	pl, err := c.ProjectList(ctx(t))
	if err != nil || len(pl.Projects) != 2 || pl.Projects[0].ProjectName != sandbox.MSTSignupProject ||
		pl.Projects[0].DefaultCloud != "timescale-aws-us-east-1" || pl.Projects[1].DefaultCloud != "timescale-azure-westeurope" {
		t.Fatalf("ProjectList = %+v, %v", pl, err)
	}
	vpcs, err := c.VpcList(ctx(t), sandbox.MSTProject)
	if err != nil || len(vpcs) != 1 || vpcs[0].ProjectVpcId != sandbox.MSTAzureVPCID || vpcs[0].CloudName != "timescale-azure-westeurope" {
		t.Fatalf("VPCs = %+v, %v", vpcs, err)
	}
	if vpcs, err := c.VpcList(ctx(t), sandbox.MSTSignupProject); err != nil || len(vpcs) != 0 {
		t.Fatalf("the sign-up project's VPCs = %+v, %v; want none", vpcs, err)
	}
	// An MST VPC's Azure connections are Azure ones: the resource group is
	// required to delete, and the 400 names MST's cloud.
	_, err = c.VpcPeeringConnectionDelete(ctx(t), sandbox.MSTProject, sandbox.MSTAzureVPCID, sandbox.UserSubscriptionID, "app-vnet")
	if e := aivenErr(t, err); e.Status != http.StatusBadRequest || !strings.Contains(e.Message, "for cloud timescale-azure-westeurope. Got None instead") {
		t.Fatalf("delete without the resource group = %v", err)
	}
}

// TestMSTPeering: with Aiven's app granted peer/action the connection is
// refused (MST's app has no service principal in the user's tenant); with
// MST's, it goes PENDING_PEER naming MST's tenant and a VNet in MST's
// subscription, the user's app peers back across tenants, and it goes
// ACTIVE. Deleting it removes what MST gave the app, in MST's tenant only.
func TestMSTPeering(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{Scenario: "mst", Speed: 100, Timing: peeringStoryTiming()})
	c := aivenClient(t, s, s.Credentials().AivenToken)
	admin := adminCredential(t, s)
	g := graphClient(t, s, admin)
	sub := sandbox.UserSubscriptionID
	project, vpcID := sandbox.MSTProject, sandbox.MSTAzureVPCID

	app, appSP, secret := newAppWithPrincipal(t, s, g, "mst-peering", "AzureADMultipleOrgs")
	defs, assignments := rbacClients(t, s, admin)
	peerOnly := rbacPeerRole(t, defs, "peer-only", "")
	rbacGrant(t, assignments, sandboxtest.AppVNetID, netNetworkContributor, appSP)

	// Aiven's app, granted as Aiven's docs say: not MST's, so refused.
	aivenSP, err := g.CreateServicePrincipal(ctx(t), sandbox.AivenDefaultAppID, nil)
	if err != nil {
		t.Fatalf("Aiven's principal: %v", err)
	}
	rbacGrant(t, assignments, sandboxtest.AppVNetID, peerOnly, aivenSP.ID)
	k := azureKey("rg-app", "app-vnet")
	in := azureIn("rg-app", "app-vnet", app.AppID)
	out, err := c.VpcPeeringConnectionCreate(ctx(t), project, vpcID, in)
	if err != nil {
		t.Fatal(err)
	}
	states, pc := waitStates(t, c, project, vpcID, k, string(out.State), "PENDING_PEER", "REJECTED_BY_PEER", "INVALID_SPECIFICATION")
	assertStates(t, states, "APPROVED", "REJECTED_BY_PEER")
	if msg, _ := pc.StateInfo["message"].(string); !strings.Contains(msg, "Application with identifier '"+sandbox.MSTAppID+"' was not found") ||
		!strings.Contains(msg, "Managed Service for TimescaleDB application") {
		t.Fatalf("state_info = %v, want MST's app named", pc.StateInfo)
	}
	del, err := c.VpcPeeringConnectionWithResourceGroupDelete(ctx(t), project, vpcID, sub, "rg-app", "app-vnet")
	if err != nil {
		t.Fatal(err)
	}
	waitStates(t, c, project, vpcID, k, string(del.State), gone)

	// MST's app, granted: PENDING_PEER with MST's tenant and network.
	mstSP, err := g.CreateServicePrincipal(ctx(t), sandbox.MSTAppID, nil)
	if err != nil {
		t.Fatalf("MST's principal: %v", err)
	}
	rbacGrant(t, assignments, sandboxtest.AppVNetID, peerOnly, mstSP.ID)
	out, err = c.VpcPeeringConnectionCreate(ctx(t), project, vpcID, in)
	if err != nil {
		t.Fatal(err)
	}
	toNetwork := waitPendingPeer(t, c, project, vpcID, k, string(out.State), sandbox.MSTTenantID, sandbox.MSTSubscriptionID)

	// The user's app peers back, signed in to its tenant and MST's.
	cred := secretCredential(t, s, sandbox.UserTenantID, app.AppID, secret, sandbox.MSTTenantID)
	peerings, err := armnetwork.NewVirtualNetworkPeeringsClient(sub, cred, armOptions(s, sandbox.MSTTenantID))
	if err != nil {
		t.Fatal(err)
	}
	// MST's side is still being written right after PENDING_PEER.
	if _, err := netPeerOnceProvisioned(ctx(t), netClients{peerings: peerings}, "rg-app", "app-vnet", "to-mst", netPeeringBody(toNetwork)); err != nil {
		t.Fatalf("the user's peering to MST's VNet: %v", err)
	}
	states, _ = waitStates(t, c, project, vpcID, k, "PENDING_PEER", "ACTIVE")
	assertStates(t, states, "PENDING_PEER", "ACTIVE")

	// MST gave the app a principal in MST's tenant, none in Aiven's; deleting
	// the connection takes it away again.
	if got := appTenants(t, s, app.AppID); !slices.Equal(got, []string{sandbox.MSTTenantID, sandbox.UserTenantID}) &&
		!slices.Equal(got, []string{sandbox.UserTenantID, sandbox.MSTTenantID}) {
		t.Fatalf("the app's principals are in tenants %v, want the user's and MST's", got)
	}
	del, err = c.VpcPeeringConnectionWithResourceGroupDelete(ctx(t), project, vpcID, sub, "rg-app", "app-vnet")
	if err != nil {
		t.Fatal(err)
	}
	waitStates(t, c, project, vpcID, k, string(del.State), gone)
	if got := appTenants(t, s, app.AppID); !slices.Equal(got, []string{sandbox.UserTenantID}) {
		t.Errorf("after the delete the app's principals are in tenants %v, want the user's only", got)
	}
}

// appTenants lists the tenants where an app has a service principal, as
// /_sandbox/state shows the world.
func appTenants(t *testing.T, s *sandbox.Server, appID string) []string {
	t.Helper()
	var w sandbox.World
	sandboxState(t, s, &w)
	var out []string
	for _, sp := range w.ServicePrincipals {
		if strings.EqualFold(sp.AppID, appID) {
			out = append(out, sp.TenantID)
		}
	}
	return out
}

// TestMSTOrganizationsVariant: under mst-organizations=none an MST account
// lists no organization, and GET /v1/project (avn project list) is the only
// way to its projects.
func TestMSTOrganizationsVariant(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{Scenario: "mst", Variants: map[string]string{sandbox.VariantMSTOrganizations: "none"}})
	c := aivenClient(t, s, s.Credentials().AivenToken)
	if orgs, err := c.UserOrganizationsList(ctx(t)); err != nil || len(orgs) != 0 {
		t.Fatalf("organizations = %+v, %v; want none", orgs, err)
	}
	if _, err := c.OrganizationProjectsList(ctx(t), sandbox.MSTOrganizationID); err == nil {
		t.Fatal("the MST organization's projects were listed")
	}
	//lint:ignore SA1019 the only list of an MST account's projects under this variant
	pl, err := c.ProjectList(ctx(t))
	if err != nil || len(pl.Projects) != 2 || pl.Projects[1].ProjectName != sandbox.MSTProject || pl.Projects[1].OrganizationId != "" {
		t.Fatalf("ProjectList = %+v, %v; want both projects, without an organization", pl, err)
	}
	// Aiven's own projects keep theirs (the default scenario, same variant).
	d := sandboxtest.Start(t, sandbox.Options{Variants: map[string]string{sandbox.VariantMSTOrganizations: "none"}})
	if orgs, err := aivenClient(t, d, d.Credentials().AivenToken).UserOrganizationsList(ctx(t)); err != nil || len(orgs) != 1 {
		t.Fatalf("Aiven organizations under the variant = %+v, %v", orgs, err)
	}
}
