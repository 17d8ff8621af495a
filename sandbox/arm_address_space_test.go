package sandbox_test

// Address-space changes of peered networks and the sync that follows,
// through armnetwork on both sides: the user's admin changes prod-vnet,
// the peering app (signed in to both tenants) syncs its side, and Aiven's
// side follows on a refresh or by itself, as the variants say.

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v7"

	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

const (
	prodPeering  = "to-aiven-tsdb-prod"
	aivenSideRG  = "aiven-vpc-westeurope"
	aivenSideNet = "aiven-vnet-1f0e2d3c"
	aivenSide    = "aiven-peering-prod-vnet"
)

// syncLevel is a peering's peeringSyncLevel and its two address spaces,
// read with its network (the peering app may read Aiven's network, not
// its peerings).
func syncLevel(t testing.TB, n netClients, rg, vnet, name string) (level string, synced, current []string) {
	t.Helper()
	resp, err := n.vnets.Get(ctx(t), rg, vnet, nil)
	if err != nil {
		t.Fatalf("get %s/%s: %v", rg, vnet, err)
	}
	for _, vp := range resp.Properties.VirtualNetworkPeerings {
		if *vp.Name == name {
			p := vp.Properties
			return string(*p.PeeringSyncLevel), derefs(p.RemoteAddressSpace.AddressPrefixes), derefs(p.RemoteVirtualNetworkAddressSpace.AddressPrefixes)
		}
	}
	t.Fatalf("%s/%s has no peering %s", rg, vnet, name)
	return "", nil, nil
}

func derefs(ps []*string) []string {
	var out []string
	for _, p := range ps {
		out = append(out, *p)
	}
	return out
}

// growProd adds 10.3.0.0/16 to prod-vnet with a PUT of the network as the
// SDK sends it (the network read, changed, written whole).
func growProd(t testing.TB, admin netClients) {
	t.Helper()
	c := ctx(t)
	v, err := admin.vnets.Get(c, "rg-prod", "prod-vnet", nil)
	if err != nil {
		t.Fatal(err)
	}
	v.Properties.AddressSpace.AddressPrefixes = append(v.Properties.AddressSpace.AddressPrefixes, to.Ptr("10.3.0.0/16"))
	done, err := netPutVNet(c, admin, "rg-prod", "prod-vnet", v.VirtualNetwork)
	if err != nil || *done.Properties.ProvisioningState != armnetwork.ProvisioningStateSucceeded {
		t.Fatalf("PUT prod-vnet: %v", err)
	}
	if got := derefs(done.Properties.AddressSpace.AddressPrefixes); !slices.Equal(got, []string{"10.1.0.0/16", "10.3.0.0/16"}) {
		t.Fatalf("address space after PUT = %v", got)
	}
}

// syncPeer is the sync as `az network vnet peering sync` sends it: the
// peering read, then PUT back with ?syncRemoteAddressSpace=true.
func syncPeer(t testing.TB, n netClients, rg, vnet, name string) armnetwork.VirtualNetworkPeering {
	t.Helper()
	c := ctx(t)
	cur, err := n.peerings.Get(c, rg, vnet, name, nil)
	if err != nil {
		t.Fatal(err)
	}
	poller, err := n.peerings.BeginCreateOrUpdate(c, rg, vnet, name, cur.VirtualNetworkPeering,
		&armnetwork.VirtualNetworkPeeringsClientBeginCreateOrUpdateOptions{SyncRemoteAddressSpace: to.Ptr(armnetwork.SyncRemoteAddressSpaceTrue)})
	if err != nil {
		t.Fatalf("sync %s: %v", name, err)
	}
	resp, err := poller.PollUntilDone(c, &runtime.PollUntilDoneOptions{Frequency: 10 * time.Millisecond})
	if err != nil {
		t.Fatalf("sync %s: %v", name, err)
	}
	return resp.VirtualNetworkPeering
}

func TestAddressSpaceChangeAndSync(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		variants map[string]string
		// userSyncFixes: the user's sync alone brings both sides in sync.
		userSyncFixes bool
		// refreshFixes: Aiven's refresh syncs its side.
		refreshFixes bool
	}{
		{"default: the changed side's sync does nothing, Aiven follows on refresh", nil, false, true},
		{"the changed side's sync syncs both", map[string]string{sandbox.VariantAzureSyncChangedSide: "syncs-both"}, true, false},
		{"Aiven follows by itself only", map[string]string{sandbox.VariantAivenAddressSpaceSync: "periodic"}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			timing := sandbox.DefaultTiming()
			timing.AivenAddressSync = sandbox.Duration(10000 * time.Hour) // never within the test
			// Operations take 10 s simulated: 10 ms at this speed.
			s := sandboxtest.Start(t, sandbox.Options{Speed: 1000, Timing: &timing, Variants: tt.variants})
			admin := adminNet(t, s)
			secret := prodAppSecret(t, s)
			app := newNetClients(t, sandbox.UserSubscriptionID, secretCredential(t, s, sandbox.UserTenantID, sandbox.ProdPeeringAppID, secret, sandbox.AivenTenantID),
				armOptions(s, sandbox.AivenTenantID))
			aiven := newNetClients(t, sandbox.AivenSubscriptionID, secretCredential(t, s, sandbox.AivenTenantID, sandbox.ProdPeeringAppID, secret), armOptions(s))

			growProd(t, admin)
			// azure-powershell's TestVirtualNetworkPeeringSyncCRUD: the changed
			// side is RemoteNotInSync, the other LocalNotInSync with the old
			// space synced and the new one current.
			if lvl, synced, _ := syncLevel(t, admin, "rg-prod", "prod-vnet", prodPeering); lvl != "RemoteNotInSync" || !slices.Equal(synced, []string{"10.10.0.0/24"}) {
				t.Errorf("user side after the change: %s, synced %v", lvl, synced)
			}
			lvl, synced, current := syncLevel(t, aiven, aivenSideRG, aivenSideNet, aivenSide)
			if lvl != "LocalNotInSync" || !slices.Equal(synced, []string{"10.1.0.0/16"}) || !slices.Equal(current, []string{"10.1.0.0/16", "10.3.0.0/16"}) {
				t.Errorf("Aiven's side after the change: %s, synced %v, current %v", lvl, synced, current)
			}

			// The sync PUT answers 200 Updating and is polled to Succeeded.
			p := syncPeer(t, app, "rg-prod", "prod-vnet", prodPeering)
			if prov, state := netState(p); prov != "Succeeded" || state != "Connected" {
				t.Errorf("after the user's sync: %s %s", prov, state)
			}
			wantAfterUser := "RemoteNotInSync"
			if tt.userSyncFixes {
				wantAfterUser = "FullyInSync"
			}
			if lvl, _, _ := syncLevel(t, admin, "rg-prod", "prod-vnet", prodPeering); lvl != wantAfterUser {
				t.Errorf("user side after its own sync: %s, want %s", lvl, wantAfterUser)
			}

			// Aiven's refresh.
			if st, body := rawAiven(t, s, http.MethodPost, "/v1/project/tsdb-prod/vpcs/"+prodVPCID+"/peering-connections/refresh",
				"aivenv1 "+s.Credentials().AivenToken); st != http.StatusOK {
				t.Fatalf("refresh: %d %s", st, body)
			}
			want := "RemoteNotInSync"
			if tt.userSyncFixes || tt.refreshFixes {
				want = "FullyInSync"
			}
			if lvl, _, _ := syncLevel(t, admin, "rg-prod", "prod-vnet", prodPeering); lvl != want {
				t.Errorf("user side after Aiven's refresh: %s, want %s", lvl, want)
			}
			if want == "FullyInSync" {
				if lvl, synced, _ := syncLevel(t, aiven, aivenSideRG, aivenSideNet, aivenSide); lvl != "FullyInSync" || len(synced) != 2 {
					t.Errorf("Aiven's side: %s, synced %v", lvl, synced)
				}
			}
		})
	}
}

// A peering PUT without the sync parameter does not sync
// (Azure/bicep-types-az#2621); the sync of the LocalNotInSync side does.
func TestPeeringPutWithoutSyncKeepsTheOldSpace(t *testing.T) {
	t.Parallel()
	s := sandboxtest.Start(t, sandbox.Options{})
	admin := adminNet(t, s)
	c := ctx(t)
	for _, v := range []struct{ name, cidr string }{{"hub", "10.40.0.0/16"}, {"spoke", "10.41.0.0/16"}} {
		if _, err := netPutVNet(c, admin, "rg-prod", v.name, armnetwork.VirtualNetwork{Location: to.Ptr("westeurope"),
			Properties: &armnetwork.VirtualNetworkPropertiesFormat{AddressSpace: &armnetwork.AddressSpace{AddressPrefixes: []*string{to.Ptr(v.cidr)}}}}); err != nil {
			t.Fatalf("create %s: %v", v.name, err)
		}
	}
	hubID, spokeID := sandbox.VNetID(sandbox.UserSubscriptionID, "rg-prod", "hub"), sandbox.VNetID(sandbox.UserSubscriptionID, "rg-prod", "spoke")
	if _, err := netPeer(c, admin, "rg-prod", "hub", "to-spoke", netPeeringBody(spokeID)); err != nil {
		t.Fatal(err)
	}
	if _, err := netPeer(c, admin, "rg-prod", "spoke", "to-hub", netPeeringBody(hubID)); err != nil {
		t.Fatal(err)
	}
	sandboxtest.Admin(t, s.HTTPClient(), s.URL(), s.Credentials().AivenToken, http.MethodPost, "/_sandbox/vnets/address-space",
		`{"vnet_id": "`+spokeID+`", "address_prefixes": ["10.41.0.0/16", "10.42.0.0/16"]}`)
	if _, err := netPeer(c, admin, "rg-prod", "hub", "to-spoke", netPeeringBody(spokeID)); err != nil {
		t.Fatal(err)
	}
	if lvl, synced, _ := syncLevel(t, admin, "rg-prod", "hub", "to-spoke"); lvl != "LocalNotInSync" || len(synced) != 1 {
		t.Errorf("after a PUT without sync: %s, synced %v", lvl, synced)
	}
	syncPeer(t, admin, "rg-prod", "hub", "to-spoke")
	for _, side := range [][3]string{{"hub", "to-spoke"}, {"spoke", "to-hub"}} {
		if lvl, _, _ := syncLevel(t, admin, "rg-prod", side[0], side[1]); lvl != "FullyInSync" {
			t.Errorf("%s after the sync: %s", side[1], lvl)
		}
	}
	// A range overlapping the peered network is refused.
	v, err := admin.vnets.Get(c, "rg-prod", "spoke", nil)
	if err != nil {
		t.Fatal(err)
	}
	v.Properties.AddressSpace.AddressPrefixes = append(v.Properties.AddressSpace.AddressPrefixes, to.Ptr("10.40.128.0/17"))
	_, err = admin.vnets.BeginCreateOrUpdate(c, "rg-prod", "spoke", v.VirtualNetwork, nil)
	re := wantResponseError(t, err, http.StatusBadRequest, "VnetAddressSpaceOverlapsWithAlreadyPeeredVnet")
	if msg := errorMessage(t, re); !strings.Contains(msg, "10.40.128.0/17") {
		t.Errorf("overlap message = %q", msg)
	}
	_, err = admin.vnets.BeginCreateOrUpdate(c, "rg-prod", "spoke", armnetwork.VirtualNetwork{Location: to.Ptr("westeurope"),
		Properties: &armnetwork.VirtualNetworkPropertiesFormat{AddressSpace: &armnetwork.AddressSpace{AddressPrefixes: []*string{to.Ptr("10.41.0.1/16")}}}}, nil)
	wantResponseError(t, err, http.StatusBadRequest, "InvalidAddressPrefix")
}
