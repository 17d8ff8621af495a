package sandbox_test

// Aiven peering connections through the official codegen client: create
// and its validation, the ways Aiven refuses a connection, duplicate
// creates and refreshing, an AWS connection and a whole Azure peering.

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v7"
	aiven "github.com/aiven/go-client-codegen"
	"github.com/aiven/go-client-codegen/handler/vpc"

	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

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

// TestAivenDuplicateCreate: a create for a connection that exists, in any
// state (failed, live, DELETING, DELETED), never revives it: it answers per
// variant aiven-duplicate-create, 409 or the connection unchanged. Only once
// the deleted connection is gone does a create make a new one. Aiven is
// slow to delete here (a simulated day) so DELETING and DELETED can be
// seen; the clock is sped up to pass them.
func TestAivenDuplicateCreate(t *testing.T) {
	for _, variant := range []string{"conflict", "existing"} {
		t.Run(variant, func(t *testing.T) {
			s := timedSandbox(t, 1, func(tm *sandbox.Timing) {
				tm.AivenDeletion = sandbox.Duration(24 * time.Hour)
				tm.AivenApproval = sandbox.Duration(24 * time.Hour)
			})
			if err := s.SetVariants(map[string]string{sandbox.VariantAivenDuplicateCreate: variant}); err != nil {
				t.Fatal(err)
			}
			c := aivenClient(t, s, s.Credentials().AivenToken)
			k := azureKey("rg-app", "app-vnet")
			in := azureIn("rg-app", "app-vnet", sandbox.ProdPeeringAppID)
			in.UserPeerNetworkCidrs = &[]string{"10.2.0.0/16"}
			before := getPeering(t, c, "analytics", analyticsAzVPC, k)
			if before == nil || before.State != vpc.VpcPeeringConnectionStateTypeRejectedByPeer {
				t.Fatalf("scenario connection = %+v, want REJECTED_BY_PEER", before)
			}
			// createAgain checks the answer to a create of the existing
			// connection, now in state want, and that nothing changed.
			createAgain := func(project, vpcID string, k peeringKey, in *vpc.VpcPeeringConnectionCreateIn, want vpc.VpcPeeringConnectionStateType) {
				t.Helper()
				was := getPeering(t, c, project, vpcID, k)
				out, err := c.VpcPeeringConnectionCreate(ctx(t), project, vpcID, in)
				switch variant {
				case "conflict":
					e := aivenErr(t, err)
					if !aiven.IsAlreadyExists(err) || !strings.Contains(e.Message, string(want)) {
						t.Fatalf("create of the %s connection = %v, want 409 already exists naming the state", want, err)
					}
				case "existing":
					if err != nil {
						t.Fatalf("create of the %s connection: %v", want, err)
					}
					if out.State != want || !out.CreateTime.Equal(was.CreateTime) || !slices.Equal(out.UserPeerNetworkCidrs, was.UserPeerNetworkCidrs) {
						t.Fatalf("create of the %s connection = %+v, want it unchanged (%+v)", want, out, was)
					}
				}
				if now := getPeering(t, c, project, vpcID, k); now == nil || now.State != want || !now.UpdateTime.Equal(was.UpdateTime) {
					t.Fatalf("after the create: %+v, want the connection untouched in %s", now, want)
				}
			}
			createAgain("analytics", analyticsAzVPC, k, in, vpc.VpcPeeringConnectionStateTypeRejectedByPeer)
			createAgain("tsdb-prod", prodVPCID, azureKey("rg-prod", "prod-vnet"), azureIn("rg-prod", "prod-vnet", sandbox.ProdPeeringAppID),
				vpc.VpcPeeringConnectionStateTypeActive)

			// Deleting it: DELETING, then DELETED, refuse a create too.
			if _, err := c.VpcPeeringConnectionWithResourceGroupDelete(ctx(t), "analytics", analyticsAzVPC, k.account, k.rg, k.vnet); err != nil {
				t.Fatal(err)
			}
			createAgain("analytics", analyticsAzVPC, k, in, vpc.VpcPeeringConnectionStateTypeDeleting)
			s.Clock().SetSpeed(1e6) // a simulated day in about 90 ms
			waitStates(t, c, "analytics", analyticsAzVPC, k, "DELETING", "DELETED")
			s.Clock().SetSpeed(1)
			createAgain("analytics", analyticsAzVPC, k, in, vpc.VpcPeeringConnectionStateTypeDeleted)
			s.Clock().SetSpeed(1e6)
			waitStates(t, c, "analytics", analyticsAzVPC, k, "DELETED", gone)
			s.Clock().SetSpeed(1)

			// Gone: now a create makes a new connection.
			out, err := c.VpcPeeringConnectionCreate(ctx(t), "analytics", analyticsAzVPC, in)
			if err != nil {
				t.Fatalf("create after the deletion: %v", err)
			}
			if out.State != vpc.VpcPeeringConnectionStateTypeApproved || !slices.Equal(out.UserPeerNetworkCidrs, []string{"10.2.0.0/16"}) ||
				!out.CreateTime.After(before.CreateTime) {
				t.Fatalf("create after the deletion = %+v, want a new APPROVED connection with the new CIDRs", out)
			}
			vpcOut, err := c.VpcGet(ctx(t), "analytics", analyticsAzVPC)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(vpcOut.PeeringConnections); n != 1 {
				t.Fatalf("VPC after the re-create has %d connections, want 1", n)
			}
			// And that one is refused as a duplicate in its turn.
			createAgain("analytics", analyticsAzVPC, k, in, vpc.VpcPeeringConnectionStateTypeApproved)
		})
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

// peeringStoryTiming are the delays of a whole peering's story, told at
// speed 100: each step takes a few simulated seconds.
func peeringStoryTiming() *sandbox.Timing {
	return &sandbox.Timing{
		PeeringProvisioning: sandbox.Duration(time.Second),
		AivenApproval:       sandbox.Duration(2 * time.Second),
		AivenActivation:     sandbox.Duration(5 * time.Second),
		AivenDeletion:       sandbox.Duration(2 * time.Second),
		AivenPeerLoss:       sandbox.Duration(3 * time.Second),
	}
}

// TestAivenFullPathAzure is the whole story through the real clients only:
// the admin prepares the user's tenant with Graph and Resource Manager,
// Aiven builds its side, the user's app peers back across tenants, the user
// deletes their side (DELETED_BY_PEER), the connection is deleted and
// requested again, and finally Aiven deletes it.
func TestAivenFullPathAzure(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{Speed: 100, Timing: peeringStoryTiming()})
	c := aivenClient(t, s, s.Credentials().AivenToken)
	admin := adminCredential(t, s)
	g := graphClient(t, s, admin)
	sub := sandbox.UserSubscriptionID
	appVNetID := "/subscriptions/" + sub + "/resourceGroups/rg-app/providers/Microsoft.Network/virtualNetworks/app-vnet"

	// The user's peering app: multi-tenant, with a secret and a principal
	// that may manage peerings of app-vnet.
	app, appSP, secret := newAppWithPrincipal(t, s, g, "tsdb-staging-peering", "AzureADMultipleOrgs")
	aivenSP, err := g.FindServicePrincipalByAppID(ctx(t), sandbox.AivenDefaultAppID)
	if err != nil || aivenSP == nil {
		t.Fatalf("Aiven's service principal in the user's tenant: %v, %v", aivenSP, err)
	}

	// A custom role with peer/action for Aiven's principal, and Network
	// Contributor for the app, both on app-vnet.
	defs, assignments := rbacClients(t, s, admin)
	rbacGrant(t, assignments, appVNetID, rbacPeerRole(t, defs, "aiven-peer-tsdb-staging", "Lets Aiven peer with app-vnet"), aivenSP.ID)
	rbacGrant(t, assignments, appVNetID, netNetworkContributor, appSP)

	// The app signs in to its own tenant and, for the remote side, to Aiven's.
	signIn := func() *armnetwork.VirtualNetworkPeeringsClient {
		t.Helper()
		appCred := secretCredential(t, s, sandbox.UserTenantID, app.AppID, secret, sandbox.AivenTenantID)
		peerings, err := armnetwork.NewVirtualNetworkPeeringsClient(sub, appCred, armOptions(s, sandbox.AivenTenantID))
		if err != nil {
			t.Fatal(err)
		}
		return peerings
	}
	peerings := signIn()
	peerBack := func(toNetworkID string) {
		t.Helper()
		// Aiven's network is Updating while its own side provisions.
		if _, err := netPeerOnceProvisioned(ctx(t), netClients{peerings: peerings}, "rg-app", "app-vnet", "to-aiven-tsdb-staging", netPeeringBody(toNetworkID)); err != nil {
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
	out, err := c.VpcPeeringConnectionCreate(ctx(t), "tsdb-staging", stagingVPCID, in)
	if err != nil {
		t.Fatalf("VpcPeeringConnectionCreate: %v", err)
	}
	toNetwork := waitPendingPeer(t, c, "tsdb-staging", stagingVPCID, k, string(out.State), sandbox.AivenTenantID, sandbox.AivenSubscriptionID)
	peerBack(toNetwork)
	if st := userPeeringState(); st != armnetwork.VirtualNetworkPeeringStateConnected {
		t.Fatalf("user's peering is %s, want Connected", st)
	}
	states, _ := waitStates(t, c, "tsdb-staging", stagingVPCID, k, "PENDING_PEER", "ACTIVE")
	assertStates(t, states, "PENDING_PEER", "ACTIVE")

	// The user deletes their side; Aiven notices.
	if err := netUnpeer(ctx(t), netClients{peerings: peerings}, "rg-app", "app-vnet", "to-aiven-tsdb-staging"); err != nil {
		t.Fatalf("delete the user's peering: %v", err)
	}
	states, _ = waitStates(t, c, "tsdb-staging", stagingVPCID, k, "ACTIVE", "DELETED_BY_PEER")
	assertStates(t, states, "ACTIVE", "DELETED_BY_PEER")

	// DELETED_BY_PEER is not revived by asking again: the connection is
	// deleted and, once gone, created anew; this time Aiven deletes it.
	if _, err := c.VpcPeeringConnectionCreate(ctx(t), "tsdb-staging", stagingVPCID, in); !aiven.IsAlreadyExists(err) {
		t.Fatalf("create of the DELETED_BY_PEER connection = %v, want 409", err)
	}
	dbp, err := c.VpcPeeringConnectionWithResourceGroupDelete(ctx(t), "tsdb-staging", stagingVPCID, sub, "rg-app", "app-vnet")
	if err != nil {
		t.Fatalf("delete the DELETED_BY_PEER connection: %v", err)
	}
	states, _ = waitStates(t, c, "tsdb-staging", stagingVPCID, k, string(dbp.State), gone)
	assertStates(t, states, "DELETING", "DELETED", gone)
	out, err = c.VpcPeeringConnectionCreate(ctx(t), "tsdb-staging", stagingVPCID, in)
	if err != nil {
		t.Fatalf("re-create: %v", err)
	}
	toNetwork = waitPendingPeer(t, c, "tsdb-staging", stagingVPCID, k, string(out.State), sandbox.AivenTenantID, sandbox.AivenSubscriptionID)
	// At DELETED Aiven removed the app's principal in its tenant and made a
	// new one: the tokens the app holds for Aiven's tenant name the old
	// one, so it signs in again.
	peerings = signIn()
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

// TestAivenPermissionFailureVariant: when Aiven's service principal holds no
// peer/action on the VNet, the connection ends REJECTED_BY_PEER or
// INVALID_SPECIFICATION, per aiven-permission-failure, with Azure's
// AuthorizationFailed text in its message either way.
func TestAivenPermissionFailureVariant(t *testing.T) {
	for variant, want := range map[string]vpc.VpcPeeringConnectionStateType{
		"rejected-by-peer":      vpc.VpcPeeringConnectionStateTypeRejectedByPeer,
		"invalid-specification": vpc.VpcPeeringConnectionStateTypeInvalidSpecification,
	} {
		t.Run(variant, func(t *testing.T) {
			s, c := aivenAdmin(t)
			if err := s.SetVariants(map[string]string{sandbox.VariantAivenPermission: variant}); err != nil {
				t.Fatal(err)
			}
			out, err := c.VpcPeeringConnectionCreate(ctx(t), "tsdb-staging", stagingVPCID, azureIn("rg-app", "app-vnet", sandbox.ProdPeeringAppID))
			if err != nil {
				t.Fatal(err)
			}
			states, pc := waitStates(t, c, "tsdb-staging", stagingVPCID, azureKey("rg-app", "app-vnet"), string(out.State), string(want))
			assertStates(t, states, "APPROVED", string(want))
			msg, _ := pc.StateInfo["message"].(string)
			if !strings.Contains(msg, "does not have authorization to perform action 'Microsoft.Network/virtualNetworks/peer/action' over scope '"+sandboxtest.AppVNetID+"'") {
				t.Errorf("state_info = %v, want Azure's AuthorizationFailed text", pc.StateInfo)
			}
			if variant == "invalid-specification" && (!strings.Contains(msg, "Aiven does not have permission to peer") || pc.StateInfo["type"] != "invalid-specification") {
				t.Errorf("state_info = %v, want the permission named as an invalid specification", pc.StateInfo)
			}
		})
	}
}

// TestAivenUppercaseVariant: names not in lower case are accepted and fail
// later (INVALID_SPECIFICATION, TestAivenEvaluationFailures), or are
// refused at create with a 400 in Aiven's shape, per aiven-uppercase-names.
func TestAivenUppercaseVariant(t *testing.T) {
	s, c := aivenAdmin(t)
	if err := s.SetVariants(map[string]string{sandbox.VariantAivenUppercase: "refused-at-create"}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ rg, vnet, msg string }{
		{"Rg-Legacy", "Legacy-VNet", "peer_resource_group must be a valid Azure Resource Group name for cloud azure-westeurope. Got 'Rg-Legacy' instead: the Aiven API currently only accepts names in lower case"},
		{"rg-legacy", "Legacy-VNet", "peer_vpc must be a valid Azure Virtual Network name for cloud azure-westeurope. Got 'Legacy-VNet' instead: the Aiven API currently only accepts names in lower case"},
	} {
		_, err := c.VpcPeeringConnectionCreate(ctx(t), "tsdb-staging", stagingVPCID, azureIn(tt.rg, tt.vnet, sandbox.ProdPeeringAppID))
		if e := aivenErr(t, err); e.Status != http.StatusBadRequest || e.Message != tt.msg {
			t.Fatalf("create %s/%s = %v, want 400 %q", tt.rg, tt.vnet, err, tt.msg)
		}
	}
	status, body := rawAiven(t, s, http.MethodGet, "/v1/project/tsdb-staging/vpcs/"+stagingVPCID, "aivenv1 "+s.Credentials().AivenToken)
	if status != 200 || strings.Contains(string(body), "Legacy") {
		t.Fatalf("after the refused creates the VPC is %d %s, want no connection", status, body)
	}
	// Lower-case names of the same VNet are accepted (and fail on the overlap).
	if _, err := c.VpcPeeringConnectionCreate(ctx(t), "tsdb-staging", stagingVPCID, azureIn("rg-legacy", "legacy-vnet", sandbox.ProdPeeringAppID)); err != nil {
		t.Fatalf("create with lower-case names: %v", err)
	}
}
