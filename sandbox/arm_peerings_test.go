package sandbox_test

// Virtual network peerings through the real armnetwork/v7 clients: their
// lifecycle, validation and asynchronous operations, the linked
// (cross-tenant) access check, and a whole cross-tenant peering with Aiven.

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v7"
	"github.com/google/uuid"

	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

// netNetworkContributor is the built-in role as the user's subscription names it.
var netNetworkContributor = "/subscriptions/" + sandbox.UserSubscriptionID + "/providers/Microsoft.Authorization/roleDefinitions/" + sandbox.NetworkContributorRoleGUID

// netPeeringBody is a peering towards remote with virtual network access.
func netPeeringBody(remote string) armnetwork.VirtualNetworkPeering {
	return armnetwork.VirtualNetworkPeering{Properties: &armnetwork.VirtualNetworkPeeringPropertiesFormat{
		RemoteVirtualNetwork:      &armnetwork.SubResource{ID: to.Ptr(remote)},
		AllowVirtualNetworkAccess: to.Ptr(true),
	}}
}

// netPeer creates or updates a peering and waits for its operation.
func netPeer(ctx context.Context, c netClients, rg, vnet, name string, body armnetwork.VirtualNetworkPeering) (armnetwork.VirtualNetworkPeering, error) {
	p, err := c.peerings.BeginCreateOrUpdate(ctx, rg, vnet, name, body, nil)
	if err != nil {
		return armnetwork.VirtualNetworkPeering{}, err
	}
	resp, err := p.PollUntilDone(ctx, &runtime.PollUntilDoneOptions{Frequency: 10 * time.Millisecond})
	return resp.VirtualNetworkPeering, err
}

// netPutVNet creates or updates a virtual network and waits for its operation.
func netPutVNet(ctx context.Context, c netClients, rg, name string, body armnetwork.VirtualNetwork) (armnetwork.VirtualNetwork, error) {
	p, err := c.vnets.BeginCreateOrUpdate(ctx, rg, name, body, nil)
	if err != nil {
		return armnetwork.VirtualNetwork{}, err
	}
	resp, err := p.PollUntilDone(ctx, &runtime.PollUntilDoneOptions{Frequency: 10 * time.Millisecond})
	return resp.VirtualNetwork, err
}

// netPeerOnceProvisioned is netPeer towards a remote network that is still
// being written (arm_busy.go): the PUT meets ReferencedResourceNotProvisioned
// until it is, and is sent again, as a client does.
func netPeerOnceProvisioned(ctx context.Context, c netClients, rg, vnet, name string, body armnetwork.VirtualNetworkPeering) (armnetwork.VirtualNetworkPeering, error) {
	for range 100 {
		p, err := netPeer(ctx, c, rg, vnet, name, body)
		var re *azcore.ResponseError
		if !errors.As(err, &re) || re.ErrorCode != "ReferencedResourceNotProvisioned" {
			return p, err
		}
		time.Sleep(5 * time.Millisecond)
	}
	return netPeer(ctx, c, rg, vnet, name, body)
}

// netUnpeer deletes a peering and waits for its operation.
func netUnpeer(ctx context.Context, c netClients, rg, vnet, name string) error {
	p, err := c.peerings.BeginDelete(ctx, rg, vnet, name, nil)
	if err != nil {
		return err
	}
	_, err = p.PollUntilDone(ctx, &runtime.PollUntilDoneOptions{Frequency: 10 * time.Millisecond})
	return err
}

// netPeeringNames lists a network's peerings page by page, as the SDK's
// pager follows nextLink, and returns their names and the number of pages.
func netPeeringNames(t testing.TB, c context.Context, n netClients, rg, vnet string) (names []string, pages int) {
	t.Helper()
	for pager := n.peerings.NewListPager(rg, vnet, nil); pager.More(); pages++ {
		page, err := pager.NextPage(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.Value {
			names = append(names, *v.Name)
		}
	}
	return names, pages
}

// netBeginAppToLegacy starts peering app-vnet with Legacy-VNet and returns
// the SDK's poller and the PUT's own answer.
func netBeginAppToLegacy(t testing.TB, c context.Context, n netClients) (*runtime.Poller[armnetwork.VirtualNetworkPeeringsClientCreateOrUpdateResponse], *http.Response) {
	t.Helper()
	var first *http.Response
	poller, err := n.peerings.BeginCreateOrUpdate(policy.WithCaptureResponse(c, &first), "rg-app", "app-vnet", "app-to-legacy", netPeeringBody(sandboxtest.LegacyVNetID), nil)
	if err != nil {
		t.Fatal(err)
	}
	return poller, first
}

// netState is a peering's (provisioningState, peeringState).
func netState(p armnetwork.VirtualNetworkPeering) (string, string) {
	var prov, state string
	if p.Properties != nil && p.Properties.ProvisioningState != nil {
		prov = string(*p.Properties.ProvisioningState)
	}
	if p.Properties != nil && p.Properties.PeeringState != nil {
		state = string(*p.Properties.PeeringState)
	}
	return prov, state
}

// netGetPeering reads a peering and returns its states.
func netGetPeering(t testing.TB, c netClients, rg, vnet, name string) (string, string) {
	t.Helper()
	resp, err := c.peerings.Get(ctx(t), rg, vnet, name, nil)
	if err != nil {
		t.Fatalf("Get peering %s/%s/%s: %v", rg, vnet, name, err)
	}
	return netState(resp.VirtualNetworkPeering)
}

// netScenario starts a sandbox on the default scenario plus extra virtual
// networks (in the user's subscription), through a scenario file as a
// user would write one.
func netScenario(t testing.TB, opts sandbox.Options, extra ...sandbox.VNet) *sandbox.Server {
	t.Helper()
	base, err := sandbox.New(sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := base.Snapshot()
	creds := base.Credentials()
	_ = base.Close()
	if err != nil {
		t.Fatal(err)
	}
	var world sandbox.World
	if err := json.Unmarshal(data, &world); err != nil {
		t.Fatal(err)
	}
	for _, v := range extra {
		v.SubscriptionID = sandbox.UserSubscriptionID
		v.ID = sandbox.VNetID(v.SubscriptionID, v.ResourceGroup, v.Name)
		v.ETag = `W/"` + uuid.NewString() + `"`
		v.Peerings = map[string]*sandbox.VNetPeering{}
		world.VNets[strings.ToLower(v.ID)] = &v
	}
	opts.Scenario = scenarioFile(t, map[string]any{"world": &world, "admin_secret": creds.ClientSecret, "aiven_token": creds.AivenToken,
		"admin_app_id": creds.ClientID, "tenant_id": creds.TenantID})
	return sandboxtest.Start(t, opts)
}

func TestARMNetPeeringLifecycle(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{ARMPageSize: 2})
	c := ctx(t)
	n := adminNet(t, s)

	// One side: Initiated.
	p, err := netPeer(c, n, "rg-app", "app-vnet", "app-to-legacy", netPeeringBody(sandboxtest.LegacyVNetID))
	if err != nil {
		t.Fatalf("create app-to-legacy: %v", err)
	}
	if prov, state := netState(p); prov != "Succeeded" || state != "Initiated" || *p.ID != sandboxtest.AppVNetID+"/virtualNetworkPeerings/app-to-legacy" ||
		*p.Properties.RemoteVirtualNetwork.ID != sandboxtest.LegacyVNetID || *p.Properties.RemoteAddressSpace.AddressPrefixes[0] != "10.30.0.0/16" ||
		*p.Properties.PeerCompleteVnets != true || *p.Properties.AllowForwardedTraffic {
		t.Fatalf("app-to-legacy = %s %s %+v", prov, state, p.Properties)
	}
	// Both sides: Connected, on both.
	p, err = netPeer(c, n, "Rg-Legacy", "Legacy-VNet", "legacy-to-app", netPeeringBody(sandboxtest.AppVNetID))
	if err != nil {
		t.Fatalf("create legacy-to-app: %v", err)
	}
	if _, state := netState(p); state != "Connected" {
		t.Errorf("legacy-to-app peeringState = %s, want Connected", state)
	}
	if _, state := netGetPeering(t, n, "rg-app", "app-vnet", "app-to-legacy"); state != "Connected" {
		t.Errorf("app-to-legacy peeringState = %s, want Connected", state)
	}
	// An update answers 200 and keeps the peering Connected.
	body := netPeeringBody(sandboxtest.LegacyVNetID)
	body.Properties.AllowForwardedTraffic = to.Ptr(true)
	p, err = netPeer(c, n, "rg-app", "app-vnet", "app-to-legacy", body)
	if prov, state := netState(p); err != nil || prov != "Succeeded" || state != "Connected" || !*p.Properties.AllowForwardedTraffic {
		t.Errorf("update = %s %s %v", prov, state, err)
	}
	// A third peering makes two pages of app-vnet's peerings.
	if _, err := netPeer(c, n, "rg-app", "app-vnet", "app-to-prod", netPeeringBody(sandboxtest.ProdVNetID)); err != nil {
		t.Fatal(err)
	}
	names, pages := netPeeringNames(t, c, n, "rg-app", "app-vnet")
	if want := []string{"app-to-legacy", "app-to-prod"}; pages != 1 || !slices.Equal(names, want) {
		t.Errorf("peerings of app-vnet: %d pages of %v, want 1 of %v", pages, names, want)
	}
	if _, err := netPeer(c, n, "rg-prod", "prod-vnet", "prod-to-legacy", netPeeringBody(sandboxtest.LegacyVNetID)); err != nil {
		t.Fatal(err)
	}
	names, pages = netPeeringNames(t, c, n, "rg-prod", "prod-vnet")
	if want := []string{"prod-to-legacy", "to-aiven-shared-westeurope", "to-aiven-tsdb-prod"}; pages != 2 || !slices.Equal(names, want) {
		t.Errorf("peerings of prod-vnet: %d pages of %v, want 2 of %v", pages, names, want)
	}
	if _, err := netPeer(c, n, "Rg-Legacy", "Legacy-VNet", "legacy-to-prod", netPeeringBody(sandboxtest.ProdVNetID)); err != nil {
		t.Fatal(err)
	}
	s.SetARMPageSize(1)
	names, pages = netPeeringNames(t, c, n, "Rg-Legacy", "Legacy-VNet")
	if want := []string{"legacy-to-app", "legacy-to-prod"}; pages != 2 || !slices.Equal(names, want) {
		t.Errorf("peerings of Legacy-VNet: %d pages of %v, want 2 of %v", pages, names, want)
	}

	// Deleting one side leaves the other Disconnected.
	if err := netUnpeer(c, n, "Rg-Legacy", "Legacy-VNet", "legacy-to-app"); err != nil {
		t.Fatalf("delete legacy-to-app: %v", err)
	}
	if _, err := n.peerings.Get(c, "Rg-Legacy", "Legacy-VNet", "legacy-to-app", nil); err == nil {
		t.Error("legacy-to-app still there after its delete")
	} else {
		wantResponseError(t, err, http.StatusNotFound, "NotFound")
	}
	if _, state := netGetPeering(t, n, "rg-app", "app-vnet", "app-to-legacy"); state != "Disconnected" {
		t.Errorf("app-to-legacy peeringState = %s, want Disconnected", state)
	}
	// Deleting what is not there is fine (204, no operation).
	var raw *http.Response
	poller, err := n.peerings.BeginDelete(policy.WithCaptureResponse(c, &raw), "Rg-Legacy", "Legacy-VNet", "legacy-to-app", nil)
	if err != nil || raw.StatusCode != http.StatusNoContent || !poller.Done() {
		t.Errorf("delete of a missing peering: %v, %v", raw.Status, err)
	}
}

// Resource Manager's and the network provider's refusals of a peering PUT.
func TestARMNetPeeringValidation(t *testing.T) {
	s := netScenario(t, sandbox.Options{},
		sandbox.VNet{ResourceGroup: "rg-net", Name: "net-a", Location: "westeurope", AddressPrefixes: []string{"10.50.0.0/16"}},
		sandbox.VNet{ResourceGroup: "rg-net", Name: "net-b", Location: "westeurope", AddressPrefixes: []string{"10.50.128.0/17", "10.51.0.0/16"}},
		sandbox.VNet{ResourceGroup: "rg-net", Name: "net-c", Location: "westeurope", AddressPrefixes: []string{"10.70.0.0/16"}},
	)
	c := ctx(t)
	n := adminNet(t, s)
	id := func(name string) string { return sandbox.VNetID(sandbox.UserSubscriptionID, "rg-net", name) }
	if _, err := netPeer(c, n, "rg-net", "net-c", "c-to-a", netPeeringBody(id("net-a"))); err != nil {
		t.Fatalf("c-to-a: %v", err)
	}
	gateways := netPeeringBody(id("net-c"))
	gateways.Properties.UseRemoteGateways = to.Ptr(true)
	tests := []struct {
		name, vnet, peering string
		body                armnetwork.VirtualNetworkPeering
		status              int
		code, message       string
	}{
		{"overlap", "net-a", "a-to-b", netPeeringBody(id("net-b")), 400, "VnetAddressSpacesOverlap",
			"Virtual networks " + id("net-a") + " and " + id("net-b") + " cannot be peered because their address spaces overlap. Overlapping address prefixes: 10.50.0.0/16"},
		{"overlap with a network already peered", "net-b", "b-to-c", netPeeringBody(id("net-c")), 400, "VnetAddressSpaceOverlapsWithAlreadyPeeredVnet",
			"address space of the first virtual network overlaps with address space of virtual network " + id("net-a") + " already peered with the second virtual network. Overlapping address prefixes: 10.50.128.0/17."},
		{"itself", "net-a", "a-to-a", netPeeringBody(id("net-a")), 400, "InvalidRequestFormat", "cannot be peered with itself"},
		{"second peering to the same network", "net-c", "c-to-a-again", netPeeringBody(id("net-a")), 400, "PeeringAlreadyExists", id("net-c") + "/virtualNetworkPeerings/c-to-a"},
		{"remote gateways", "net-a", "a-to-c", gateways, 400, "RemoteVnetHasNoGateways", "does not have any gateways"},
		{"malformed remote id", "net-a", "a-to-x", netPeeringBody("net-c"), 400, "LinkedInvalidPropertyId",
			"Property id 'net-c' at path 'properties.remoteVirtualNetwork.id' is invalid."},
		{"missing remote network", "net-a", "a-to-x", netPeeringBody(id("nope")), 400, "InvalidResourceReference",
			"Resource " + id("nope") + " referenced by resource " + id("net-a") + "/virtualNetworkPeerings/a-to-x was not found."},
		{"unknown linked subscription", "net-a", "a-to-x", netPeeringBody(sandbox.VNetID("0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9", "rg", "v")), 403, "LinkedAuthorizationFailed",
			"however the linked subscription '0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9' was not found."},
		{"linked subscription of another tenant", "net-a", "a-to-x", netPeeringBody(sandboxtest.AivenAnalyticsVNetID), 403, "LinkedAuthorizationFailed",
			"however the current tenant '" + sandbox.UserTenantID + "' is not authorized to access linked subscription '" + sandbox.AivenSubscriptionID + "'."},
		{"no remote", "net-a", "a-to-x", armnetwork.VirtualNetworkPeering{Properties: &armnetwork.VirtualNetworkPeeringPropertiesFormat{}}, 400, "InvalidRequestFormat", "remoteVirtualNetwork"},
		{"bad name", "net-a", "-bad-", netPeeringBody(id("net-c")), 400, "InvalidResourceName", "Resource name -bad- is invalid."},
		{"missing local network", "nope", "x", netPeeringBody(id("net-c")), 404, "ResourceNotFound", "'Microsoft.Network/virtualNetworks/nope'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := n.peerings.BeginCreateOrUpdate(ctx(t), "rg-net", tt.vnet, tt.peering, tt.body, nil)
			re := wantResponseError(t, err, tt.status, tt.code)
			if msg := errorMessage(t, re); !strings.Contains(msg, tt.message) {
				t.Errorf("message = %q, want it to contain %q", msg, tt.message)
			}
		})
	}
	// None of them left a peering behind.
	page, err := n.peerings.NewListPager("rg-net", "net-a", nil).NextPage(c)
	if err != nil || len(page.Value) != 0 {
		t.Errorf("net-a's peerings = %+v, %v", page.Value, err)
	}
}

// With a clock that runs, a peering is Updating and its operation
// InProgress until the provisioning time has passed.
func TestARMNetPeeringAsync(t *testing.T) {
	s := timedSandbox(t, 1, func(tm *sandbox.Timing) { tm.PeeringProvisioning = sandbox.Duration(time.Hour) })
	c := ctx(t)
	n := adminNet(t, s)
	poller, first := netBeginAppToLegacy(t, c, n)
	async := first.Header.Get("Azure-AsyncOperation")
	if first.StatusCode != http.StatusCreated || poller.Done() ||
		!strings.HasPrefix(async, s.URL()+"/subscriptions/"+sandbox.UserSubscriptionID+"/providers/Microsoft.Network/locations/westeurope/operations/") ||
		!strings.Contains(async, "api-version=2025-01-01") {
		t.Fatalf("PUT: %d, Azure-AsyncOperation %q, done %v", first.StatusCode, async, poller.Done())
	}
	// An hour of simulated time is an hour of real time at speed 1.
	if ra, err := strconv.Atoi(first.Header.Get("Retry-After")); err != nil || ra < 3000 || ra > 3600 {
		t.Errorf("Retry-After = %q", first.Header.Get("Retry-After"))
	}
	if ms, err := strconv.Atoi(first.Header.Get("Retry-After-Ms")); err != nil || ms < 3_000_000 || ms > 3_600_000 {
		t.Errorf("Retry-After-Ms = %q", first.Header.Get("Retry-After-Ms"))
	}
	resp, err := poller.Poll(c)
	if err != nil || poller.Done() {
		t.Fatalf("first poll: done %v, %v", poller.Done(), err)
	}
	var status struct{ Status string }
	if err := json.NewDecoder(resp.Body).Decode(&status); err != nil || status.Status != "InProgress" {
		t.Errorf("operation status = %+v, %v", status, err)
	}
	if prov, _ := netGetPeering(t, n, "rg-app", "app-vnet", "app-to-legacy"); prov != "Updating" {
		t.Errorf("provisioningState while in progress = %s, want Updating", prov)
	}
	// A second write meanwhile is refused (without retries: the client
	// would wait the hour Retry-After asks for).
	noRetry := armOptions(s)
	noRetry.Retry = policy.RetryOptions{MaxRetries: -1}
	impatient := newNetClients(t, sandbox.UserSubscriptionID, adminCredential(t, s), noRetry)
	_, err = impatient.peerings.BeginDelete(c, "rg-app", "app-vnet", "app-to-legacy", nil)
	re := wantResponseError(t, err, http.StatusConflict, "AnotherOperationInProgress")
	if msg := errorMessage(t, re); !strings.Contains(msg, async) {
		t.Errorf("message %q does not name the running operation %s", msg, async)
	}

	// Speed the clock up: the hour passes in a few milliseconds.
	s.Clock().SetSpeed(1e6)
	for !poller.Done() {
		if _, err := poller.Poll(c); err != nil {
			t.Fatal(err)
		}
	}
	res, err := poller.Result(c)
	if prov, state := netState(res.VirtualNetworkPeering); err != nil || prov != "Succeeded" || state != "Initiated" {
		t.Errorf("result = %s %s, %v", prov, state, err)
	}
}

// At a faster clock the SDK's poller waits as long as Retry-After-Ms says
// and finds the operation done.
func TestARMNetPeeringPollPacing(t *testing.T) {
	s := timedSandbox(t, 100, func(tm *sandbox.Timing) { tm.PeeringProvisioning = sandbox.Duration(5 * time.Second) })
	c := ctx(t)
	n := adminNet(t, s)
	poller, first := netBeginAppToLegacy(t, c, n)
	if first.Header.Get("Retry-After") != "1" || first.Header.Get("Retry-After-Ms") == "" {
		t.Errorf("Retry-After %q, Retry-After-Ms %q", first.Header.Get("Retry-After"), first.Header.Get("Retry-After-Ms"))
	}
	// No Frequency: without the sandbox's hints the poller would wait 30 s.
	res, err := poller.PollUntilDone(c, nil)
	if prov, _ := netState(res.VirtualNetworkPeering); err != nil || prov != "Succeeded" {
		t.Fatalf("PollUntilDone = %s, %v", prov, err)
	}
	var del *http.Response
	dp, err := n.peerings.BeginDelete(policy.WithCaptureResponse(c, &del), "rg-app", "app-vnet", "app-to-legacy", nil)
	if err != nil {
		t.Fatal(err)
	}
	if del.StatusCode != http.StatusAccepted || !strings.Contains(del.Header.Get("Location"), "/operationResults/") {
		t.Errorf("DELETE: %d, Location %q", del.StatusCode, del.Header.Get("Location"))
	}
	// The Location form answers 202 while the delete runs, 204 after.
	token := adminToken(t, s, "https://management.core.windows.net//.default")
	loc := strings.TrimPrefix(del.Header.Get("Location"), s.URL())
	if resp, _, _ := netRaw(t, s, token, http.MethodGet, loc, ""); resp.StatusCode != http.StatusAccepted && resp.StatusCode != http.StatusNoContent {
		t.Errorf("operationResults: %d", resp.StatusCode)
	}
	if _, err := dp.PollUntilDone(c, nil); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if resp, _, _ := netRaw(t, s, token, http.MethodGet, loc, ""); resp.StatusCode != http.StatusNoContent {
		t.Errorf("operationResults after the delete: %d, want 204", resp.StatusCode)
	}
}
