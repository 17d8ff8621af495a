package azure_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/azpeer/azpeer/peering"
	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

func TestNetworkSubscriptions(t *testing.T) {
	subs, err := admin(t).Network.Subscriptions(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	want := peering.Subscription{ID: sandbox.UserSubscriptionID, TenantID: sandbox.UserTenantID, DisplayName: "Contoso Production", State: "Enabled"}
	if !slices.Contains(subs, want) {
		t.Errorf("Subscriptions = %+v, want %+v among them", subs, want)
	}
	for _, sub := range subs {
		if sub.ID == sandbox.AivenSubscriptionID {
			t.Errorf("the admin sees Aiven's subscription: %+v", sub)
		}
	}
}

func TestNetworkVNets(t *testing.T) {
	vnets, err := admin(t).Network.VNets(ctx(t), sandbox.UserSubscriptionID)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, v := range vnets {
		names = append(names, v.Name)
	}
	slices.Sort(names)
	if want := []string{"Legacy-VNet", "app-vnet", "prod-vnet"}; !slices.Equal(names, want) {
		t.Fatalf("VNets = %v, want %v", names, want)
	}
	for _, v := range vnets {
		switch v.Name {
		case "prod-vnet":
			checkProdVNet(t, v)
		case "Legacy-VNet":
			// Names and groups keep their case.
			if v.ID != sandboxtest.LegacyVNetID || v.ResourceGroup != "Rg-Legacy" || len(v.Peerings) != 0 {
				t.Errorf("Legacy-VNet = %+v", v)
			}
		}
	}
}

// checkProdVNet checks every field of the scenario's prod-vnet, peered
// with Aiven's VNet of tsdb-prod.
func checkProdVNet(t *testing.T, v peering.VNet) {
	t.Helper()
	if v.ID != sandboxtest.ProdVNetID || v.Name != "prod-vnet" || v.ResourceGroup != "rg-prod" ||
		v.Subscription != sandbox.UserSubscriptionID || v.Location != "westeurope" ||
		!slices.Equal(v.AddressPrefixes, []string{"10.1.0.0/16"}) {
		t.Errorf("prod-vnet = %+v", v)
	}
	// Peered with tsdb-prod's VPC and with the organization VPC, by name.
	if len(v.Peerings) != 2 || v.Peerings[1].Name != "to-aiven-tsdb-prod" {
		t.Fatalf("prod-vnet peerings = %+v, want two, to-aiven-tsdb-prod second", v.Peerings)
	}
	checkProdPeering(t, v.Peerings[1])
}

func checkProdPeering(t *testing.T, p peering.VNetPeering) {
	t.Helper()
	want := peering.VNetPeering{
		ID: sandboxtest.ProdVNetID + "/virtualNetworkPeerings/to-aiven-tsdb-prod", Name: "to-aiven-tsdb-prod",
		RemoteVNetID: sandboxtest.AivenProdVNetID, PeeringState: peering.AzureConnected, SyncLevel: "FullyInSync",
		ProvisioningState: "Succeeded", AllowVirtualNetworkAccess: true,
	}
	if !strings.EqualFold(p.ID, want.ID) {
		t.Errorf("peering id = %q, want %q", p.ID, want.ID)
	}
	p.ID = want.ID
	// The remote's address space is checked where peerings are created.
	p.RemoteAddressPrefixes, p.SyncedRemotePrefixes = nil, nil
	if !reflect.DeepEqual(p, want) {
		t.Errorf("peering = %+v\nwant %+v", p, want)
	}
}

func TestNetworkVNet(t *testing.T) {
	n := admin(t).Network
	v, err := n.VNet(ctx(t), sandboxtest.ProdVNetID)
	if err != nil {
		t.Fatal(err)
	}
	checkProdVNet(t, v)

	missing := sandbox.VNetID(sandbox.UserSubscriptionID, "rg-prod", "no-such-vnet")
	_, err = n.VNet(ctx(t), missing)
	checkCloudError(t, err, "arm", 404, "ResourceNotFound")
	if !errors.Is(err, peering.ErrNotFound) {
		t.Errorf("errors.Is(%v, ErrNotFound) = false", err)
	}

	for _, bad := range []string{"prod-vnet", sandboxtest.ProdVNetID + "/subnets/default", "/subscriptions/x/resourceGroups/rg"} {
		if _, err := n.VNet(ctx(t), bad); err == nil {
			t.Errorf("VNet(%q) succeeded", bad)
		}
	}
}

func TestNetworkPeering(t *testing.T) {
	n := admin(t).Network
	p, err := n.Peering(ctx(t), sandboxtest.ProdVNetID, "to-aiven-tsdb-prod")
	if err != nil {
		t.Fatal(err)
	}
	if p == nil {
		t.Fatal("Peering(to-aiven-tsdb-prod) = nil")
	}
	checkProdPeering(t, *p)

	p, err = n.Peering(ctx(t), sandboxtest.ProdVNetID, "no-such-peering")
	if err != nil || p != nil {
		t.Errorf("Peering(absent) = %+v, %v; want nil, nil", p, err)
	}
	// A missing VNet is not an absent peering.
	missing := sandbox.VNetID(sandbox.UserSubscriptionID, "rg-prod", "no-such-vnet")
	if p, err := n.Peering(ctx(t), missing, "x"); err == nil {
		t.Errorf("Peering on a missing VNet = %+v, nil; want an error", p)
	}
	missingRG := sandbox.VNetID(sandbox.UserSubscriptionID, "rg-none", "vnet")
	if p, err := n.Peering(ctx(t), missingRG, "x"); err == nil {
		t.Errorf("Peering in a missing resource group = %+v, nil; want an error", p)
	}
}

func TestNetworkCreateDeletePeering(t *testing.T) {
	n := admin(t).Network
	c := ctx(t)

	p, err := n.CreatePeering(c, sandboxtest.AppVNetID, "app-to-legacy", sandboxtest.LegacyVNetID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "app-to-legacy" || !strings.EqualFold(p.RemoteVNetID, sandboxtest.LegacyVNetID) || !p.AllowVirtualNetworkAccess ||
		p.ProvisioningState != "Succeeded" || p.PeeringState != peering.AzureInitiated {
		t.Errorf("one-sided peering = %+v", p)
	}
	back, err := n.CreatePeering(c, sandboxtest.LegacyVNetID, "legacy-to-app", sandboxtest.AppVNetID)
	if err != nil {
		t.Fatal(err)
	}
	if back.PeeringState != peering.AzureConnected {
		t.Errorf("second side = %+v, want Connected", back)
	}
	got, err := n.Peering(c, sandboxtest.AppVNetID, "app-to-legacy")
	if err != nil || got == nil || got.PeeringState != peering.AzureConnected {
		t.Fatalf("first side after the second = %+v, %v; want Connected", got, err)
	}
	v, err := n.VNet(c, sandboxtest.AppVNetID)
	if err != nil || len(v.Peerings) != 1 || v.Peerings[0].Name != "app-to-legacy" {
		t.Errorf("app-vnet peerings = %+v, %v", v.Peerings, err)
	}

	if err := n.DeletePeering(c, sandboxtest.LegacyVNetID, "legacy-to-app"); err != nil {
		t.Fatal(err)
	}
	if got, err := n.Peering(c, sandboxtest.LegacyVNetID, "legacy-to-app"); err != nil || got != nil {
		t.Errorf("deleted peering = %+v, %v; want nil, nil", got, err)
	}
	got, err = n.Peering(c, sandboxtest.AppVNetID, "app-to-legacy")
	if err != nil || got == nil || got.PeeringState != peering.AzureDisconnected {
		t.Errorf("remaining side = %+v, %v; want Disconnected", got, err)
	}
	// Deleting what is gone is fine.
	if err := n.DeletePeering(c, sandboxtest.LegacyVNetID, "legacy-to-app"); err != nil {
		t.Errorf("second delete: %v", err)
	}
}

// checkCloudError checks err is a *peering.CloudError from service with
// the status and code, that still wraps the SDK's *azcore.ResponseError
// (for arm and graph).
func checkCloudError(t *testing.T, err error, service string, status int, code string) *peering.CloudError {
	t.Helper()
	var ce *peering.CloudError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T) is not a *peering.CloudError", err, err)
	}
	if ce.Service != service || ce.StatusCode != status || ce.Code != code {
		t.Errorf("CloudError = {Service:%q StatusCode:%d Code:%q Message:%q}, want %s %d %s", ce.Service, ce.StatusCode, ce.Code, ce.Message, service, status, code)
	}
	if ce.Message == "" {
		t.Errorf("CloudError %v has no message", ce)
	}
	if service != "entra" {
		var re *azcore.ResponseError
		if !errors.As(err, &re) {
			t.Errorf("error %v does not wrap *azcore.ResponseError", err)
		}
	}
	return ce
}

// The list follows nextLink: with one VNet a page, all three still come.
func TestNetworkVNetsPaging(t *testing.T) {
	e := admin(t)
	n := e.Network
	e.Sandbox.SetARMPageSize(1)
	vnets, err := n.VNets(ctx(t), sandbox.UserSubscriptionID)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, v := range vnets {
		seen[v.ID] = true
	}
	if len(vnets) != 3 || len(seen) != 3 || !seen[sandboxtest.ProdVNetID] || !seen[sandboxtest.AppVNetID] || !seen[sandboxtest.LegacyVNetID] {
		t.Errorf("VNets with page size 1 = %+v", vnets)
	}
}

// CreatePeering and DeletePeering wait for the async operation: on return
// the peering is provisioned, or gone.
func TestNetworkPeeringWaitsForProvisioning(t *testing.T) {
	n := sandboxtest.New(t, sandbox.Options{Speed: 20, Timing: &sandbox.Timing{PeeringProvisioning: sandbox.Duration(4 * time.Second)}}).Network
	c := ctx(t)
	p, err := n.CreatePeering(c, sandboxtest.AppVNetID, "app-to-legacy", sandboxtest.LegacyVNetID)
	if err != nil {
		t.Fatal(err)
	}
	if p.ProvisioningState != "Succeeded" {
		t.Errorf("CreatePeering returned %+v before provisioning finished", p)
	}
	if err := n.DeletePeering(c, sandboxtest.AppVNetID, "app-to-legacy"); err != nil {
		t.Fatal(err)
	}
	if got, err := n.Peering(c, sandboxtest.AppVNetID, "app-to-legacy"); err != nil || got != nil {
		t.Errorf("after DeletePeering: %+v, %v; want nil, nil", got, err)
	}
}

// Throttling longer than the client's retry cap comes back as a 429 with
// the server's Retry-After, for the runbook's own backoff.
func TestNetworkThrottled(t *testing.T) {
	e := admin(t)
	n := e.Network
	e.Sandbox.SetFaults(sandbox.APIARM, sandbox.FaultConfig{Rate429: 1, RetryAfter: 30 * time.Second})
	_, err := n.VNets(ctx(t), sandbox.UserSubscriptionID)
	ce := checkCloudError(t, err, "arm", 429, "SubscriptionRequestsThrottled")
	if ce.RetryAfter != 30*time.Second {
		t.Errorf("RetryAfter = %v, want 30s", ce.RetryAfter)
	}
}
