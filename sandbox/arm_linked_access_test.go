package sandbox_test

// Cross-tenant peerings: Resource Manager's linked access check with
// auxiliary tokens, and the whole runbook of a peering with Aiven's
// network, through the real SDK clients on both sides.

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v7"
	"github.com/aiven/go-client-codegen/handler/vpc"

	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

// The scenario's tsdb-prod peering app, signed in to both tenants: the
// linked access check on Aiven's networks in Aiven's tenant.
func TestARMNetCrossTenantLinkedAccess(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	c := ctx(t)
	secret := prodAppSecret(t, s)
	cred := secretCredential(t, s, sandbox.UserTenantID, sandbox.ProdPeeringAppID, secret, sandbox.AivenTenantID)
	withAux := newNetClients(t, sandbox.UserSubscriptionID, cred, armOptions(s, sandbox.AivenTenantID))
	homeOnly := newNetClients(t, sandbox.UserSubscriptionID, cred, armOptions(s))

	// Without a token from Aiven's tenant, Aiven's subscription cannot be linked.
	_, err := homeOnly.peerings.BeginCreateOrUpdate(c, "rg-prod", "prod-vnet", "to-analytics", netPeeringBody(sandboxtest.AivenAnalyticsVNetID), nil)
	re := wantResponseError(t, err, http.StatusForbidden, "LinkedAuthorizationFailed")
	if msg := errorMessage(t, re); msg != "The client has permission to perform action 'Microsoft.Network/virtualNetworks/peer/action' on scope '"+
		sandboxtest.ProdVNetID+"/virtualNetworkPeerings/to-analytics', however the current tenant '"+sandbox.UserTenantID+
		"' is not authorized to access linked subscription '"+sandbox.AivenSubscriptionID+"'." {
		t.Errorf("message = %q", msg)
	}
	// With it, the app's principal in Aiven's tenant needs peer/action on
	// the network; Aiven granted it only on tsdb-prod's.
	_, err = withAux.peerings.BeginCreateOrUpdate(c, "rg-prod", "prod-vnet", "to-analytics", netPeeringBody(sandboxtest.AivenAnalyticsVNetID), nil)
	re = wantResponseError(t, err, http.StatusForbidden, "LinkedAuthorizationFailed")
	if msg := errorMessage(t, re); !strings.Contains(msg, "has permission to perform action 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings/write' on scope '"+sandboxtest.ProdVNetID+
		"/virtualNetworkPeerings/to-analytics'; however, it does not have permission to perform action(s) 'Microsoft.Network/virtualNetworks/peer/action' on the linked scope(s) '"+
		sandboxtest.AivenAnalyticsVNetID+"' (respectively) or the linked scope(s) are invalid.") {
		t.Errorf("message = %q", msg)
	}
	// A remote network that is not there, in a subscription that is.
	_, err = withAux.peerings.BeginCreateOrUpdate(c, "rg-prod", "prod-vnet", "to-nowhere",
		netPeeringBody(sandbox.VNetID(sandbox.AivenSubscriptionID, "aiven-vpc-westeurope", "aiven-vnet-gone")), nil)
	wantResponseError(t, err, http.StatusForbidden, "LinkedAuthorizationFailed") // no grant there either
	// The app's role is on prod-vnet only.
	_, err = withAux.peerings.BeginCreateOrUpdate(c, "rg-app", "app-vnet", "app-to-aiven", netPeeringBody(sandboxtest.AivenProdVNetID), nil)
	re = wantResponseError(t, err, http.StatusForbidden, "AuthorizationFailed")
	if msg := errorMessage(t, re); !strings.Contains(msg, "'Microsoft.Network/virtualNetworks/virtualNetworkPeerings/write' over scope '"+sandboxtest.AppVNetID+"/virtualNetworkPeerings/app-to-aiven'") {
		t.Errorf("message = %q", msg)
	}
	// tsdb-prod's network is peered already, by another name.
	_, err = withAux.peerings.BeginCreateOrUpdate(c, "rg-prod", "prod-vnet", "to-aiven-again", netPeeringBody(sandboxtest.AivenProdVNetID), nil)
	wantResponseError(t, err, http.StatusBadRequest, "PeeringAlreadyExists")

	// Updating the existing peering passes every check and stays Connected
	// on both sides; the app reads Aiven's side as its principal there.
	body := netPeeringBody(sandboxtest.AivenProdVNetID)
	body.Properties.AllowForwardedTraffic = to.Ptr(true)
	p, err := netPeer(c, withAux, "rg-prod", "prod-vnet", "to-aiven-tsdb-prod", body)
	if prov, state := netState(p); err != nil || prov != "Succeeded" || state != "Connected" || !*p.Properties.AllowForwardedTraffic {
		t.Fatalf("update to-aiven-tsdb-prod = %s %s, %v", prov, state, err)
	}
	aivenCred := secretCredential(t, s, sandbox.AivenTenantID, sandbox.ProdPeeringAppID, secret)
	aiven := newNetClients(t, sandbox.AivenSubscriptionID, aivenCred, armOptions(s))
	v, err := aiven.vnets.Get(c, "aiven-vpc-westeurope", "aiven-vnet-1f0e2d3c", nil)
	if err != nil {
		t.Fatalf("Aiven's network as the app's principal there: %v", err)
	}
	if ps := v.Properties.VirtualNetworkPeerings; len(ps) != 1 || *ps[0].Properties.PeeringState != armnetwork.VirtualNetworkPeeringStateConnected ||
		!strings.EqualFold(*ps[0].Properties.RemoteVirtualNetwork.ID, sandboxtest.ProdVNetID) {
		t.Errorf("Aiven's side = %+v", ps)
	}
}

// The runbook with a new app: its role on the user's network propagates,
// Aiven builds its side and grants the app peer/action there, and the
// app's cross-tenant peering connects both sides.
func TestARMNetCrossTenantRunbook(t *testing.T) {
	timing := sandbox.Timing{RolePropagation: sandbox.Duration(10 * time.Minute), AivenPeerLoss: sandbox.Duration(time.Hour)}
	s := sandboxtest.Start(t, sandbox.Options{Speed: 1, Timing: &timing})
	c := ctx(t)
	admin := adminCredential(t, s)
	g := graphClient(t, s, admin)
	app, appSP, secret := newAppWithPrincipal(t, s, g, "azpeer-runbook", "AzureADMultipleOrgs")
	aivenSP, err := g.FindServicePrincipalByAppID(c, sandbox.AivenDefaultAppID)
	if err != nil || aivenSP == nil {
		t.Fatalf("Aiven's service principal: %+v, %v", aivenSP, err)
	}
	_, assigns := rbacClients(t, s, admin)
	for _, principal := range []string{appSP, aivenSP.ID} {
		rbacGrant(t, assigns, sandboxtest.AppVNetID, netNetworkContributor, principal)
	}
	ac := aivenClient(t, s, s.Credentials().AivenToken)
	rg, tenant := "rg-app", sandbox.UserTenantID
	if _, err := ac.VpcPeeringConnectionCreate(c, "tsdb-prod", prodVPCID, &vpc.VpcPeeringConnectionCreateIn{
		PeerCloudAccount: sandbox.UserSubscriptionID, PeerVpc: "app-vnet", PeerResourceGroup: &rg,
		PeerAzureAppId: &app.AppID, PeerAzureTenantId: &tenant,
	}); err != nil {
		t.Fatalf("Aiven connection: %v", err)
	}

	// Both new assignments are still propagating: the app may not write
	// peerings yet, and Aiven waits too.
	homeOnly := newNetClients(t, sandbox.UserSubscriptionID, secretCredential(t, s, sandbox.UserTenantID, app.AppID, secret), armOptions(s))
	_, err = homeOnly.peerings.BeginCreateOrUpdate(c, "rg-app", "app-vnet", "to-aiven", netPeeringBody(sandboxtest.AivenProdVNetID), nil)
	re := wantResponseError(t, err, http.StatusForbidden, "AuthorizationFailed")
	if msg := errorMessage(t, re); !strings.Contains(msg, "'Microsoft.Network/virtualNetworks/virtualNetworkPeerings/write' over scope '"+sandboxtest.AppVNetID+"/virtualNetworkPeerings/to-aiven'") ||
		!strings.Contains(msg, "If access was recently granted, please refresh your credentials.") {
		t.Errorf("message = %q", msg)
	}
	k := azureKey("rg-app", "app-vnet")
	waitStates(t, ac, "tsdb-prod", prodVPCID, k, "", "APPROVED")

	// Ten simulated minutes later (milliseconds at this speed) Aiven has
	// built its side and says where to peer.
	s.Clock().SetSpeed(60000)
	_, pc := waitStates(t, ac, "tsdb-prod", prodVPCID, k, "APPROVED", "PENDING_PEER")
	if pc.StateInfo["to-tenant-id"] != sandbox.AivenTenantID || !strings.EqualFold(pc.StateInfo["to-network-id"].(string), sandboxtest.AivenProdVNetID) {
		t.Fatalf("PENDING_PEER state_info = %v", pc.StateInfo)
	}
	// Without Aiven's tenant's token the link is refused...
	_, err = homeOnly.peerings.BeginCreateOrUpdate(c, "rg-app", "app-vnet", "to-aiven", netPeeringBody(sandboxtest.AivenProdVNetID), nil)
	re = wantResponseError(t, err, http.StatusForbidden, "LinkedAuthorizationFailed")
	if msg := errorMessage(t, re); !strings.Contains(msg, "is not authorized to access linked subscription '"+sandbox.AivenSubscriptionID+"'") {
		t.Errorf("message = %q", msg)
	}
	// ...and with it the peering is made once Aiven's fresh grant on its
	// network has propagated too (the runbook retries, and so does this
	// test), and it is Connected at once: Aiven's side was there first.
	both := newNetClients(t, sandbox.UserSubscriptionID,
		secretCredential(t, s, sandbox.UserTenantID, app.AppID, secret, sandbox.AivenTenantID), armOptions(s, sandbox.AivenTenantID))
	var p armnetwork.VirtualNetworkPeering
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		p, err = netPeer(c, both, "rg-app", "app-vnet", "to-aiven", netPeeringBody(pc.StateInfo["to-network-id"].(string)))
		var re *azcore.ResponseError
		if !errors.As(err, &re) || re.ErrorCode != "LinkedAuthorizationFailed" || time.Now().After(deadline) {
			break
		}
		if msg := errorMessage(t, re); !strings.Contains(msg, "does not have permission to perform action(s) 'Microsoft.Network/virtualNetworks/peer/action'") {
			t.Fatalf("while Aiven's grant propagates: %q", msg)
		}
	}
	if prov, state := netState(p); err != nil || prov != "Succeeded" || state != "Connected" {
		t.Fatalf("cross-tenant peering = %s %s, %v", prov, state, err)
	}
	waitStates(t, ac, "tsdb-prod", prodVPCID, k, "PENDING_PEER", "ACTIVE")
}
