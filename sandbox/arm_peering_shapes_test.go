package sandbox_test

// The peering lifecycle as azure-cli's recorded traffic shows it
// (src/azure-cli/azure/cli/command_modules/network/tests/latest/recordings/
// test_network_vnet_peering.yaml, CLI 2.28 at api-version 2021-03-01, and
// test_network_vnet_peering_sync.yaml, CLI 2.64 at 2023-11-01), through the
// SDK's own HTTP and by raw requests where the test needs the bytes.

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

// rawJSON decodes a body as an object.
func rawJSON(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("not JSON: %v: %s", err, b)
	}
	return out
}

// peeringPath is the path of a peering in the user's subscription at the
// recordings' api-version.
func peeringPath(rg, vnet, name string) string {
	return "/subscriptions/" + sandbox.UserSubscriptionID + "/resourceGroups/" + rg + "/providers/Microsoft.Network/virtualNetworks/" + vnet +
		"/virtualNetworkPeerings/" + name + "?api-version=2023-11-01"
}

// putRawPeering PUTs a peering body as the Azure CLI sends one.
func putRawPeering(t testing.TB, s *sandbox.Server, token, rg, vnet, name, remote string) (*http.Response, map[string]any) {
	t.Helper()
	resp, b := send(t, s, rawRequest{method: http.MethodPut, path: peeringPath(rg, vnet, name), auth: bearer(token), contentType: "application/json",
		body: jsonBody(t, map[string]any{"name": name, "properties": map[string]any{
			"allowVirtualNetworkAccess": true, "remoteVirtualNetwork": map[string]any{"id": remote}}})})
	return resp, rawJSON(t, b)
}

// getRaw GETs an ARM path.
func getRaw(t testing.TB, s *sandbox.Server, token, path string) (*http.Response, map[string]any) {
	t.Helper()
	resp, b := send(t, s, rawRequest{method: http.MethodGet, path: path, auth: bearer(token)})
	return resp, rawJSON(t, b)
}

func props(doc map[string]any) map[string]any {
	p, _ := doc["properties"].(map[string]any)
	return p
}

func TestARMPeeringLifecycleAsRecorded(t *testing.T) {
	s := timedSandbox(t, 1, func(tm *sandbox.Timing) { tm.PeeringProvisioning = sandbox.Duration(time.Hour) })
	token := adminToken(t, s, armScope)

	// The first side: 201, Updating, Initiated, RemoteNotInSync.
	resp, first := putRawPeering(t, s, token, "rg-app", "app-vnet", "app-to-legacy", sandboxtest.LegacyVNetID)
	fp := props(first)
	if resp.StatusCode != http.StatusCreated || fp["provisioningState"] != "Updating" || fp["peeringState"] != "Initiated" || fp["peeringSyncLevel"] != "RemoteNotInSync" {
		t.Fatalf("first side's PUT: %d %v", resp.StatusCode, fp)
	}
	// Exactly the recording's properties, in kind.
	var keys []string
	for k := range fp {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"allowForwardedTraffic", "allowGatewayTransit", "allowVirtualNetworkAccess", "doNotVerifyRemoteGateways", "peerCompleteVnets",
		"peeringState", "peeringSyncLevel", "provisioningState", "remoteAddressSpace", "remoteVirtualNetwork", "remoteVirtualNetworkAddressSpace",
		"resourceGuid", "routeServiceVips", "useRemoteGateways"}
	if !slices.Equal(keys, want) {
		t.Errorf("properties %v, want %v", keys, want)
	}
	if ras, _ := fp["remoteAddressSpace"].(map[string]any); ras["ipamPoolPrefixAllocations"] == nil || len(ras["addressPrefixes"].([]any)) != 1 {
		t.Errorf("remoteAddressSpace %v", fp["remoteAddressSpace"])
	}
	async, err := url.Parse(resp.Header.Get("Azure-AsyncOperation"))
	if err != nil || resp.Header.Get("Azure-AsyncNotification") != "Enabled" || async.Query().Get("api-version") != "2023-11-01" ||
		async.Query().Get("t") == "" || async.Query().Get("c") == "" || async.Query().Get("s") == "" || async.Query().Get("h") == "" {
		t.Errorf("async headers: %q, notification %q", resp.Header.Get("Azure-AsyncOperation"), resp.Header.Get("Azure-AsyncNotification"))
	}
	if resp.Header.Get("ETag") != "" {
		t.Errorf("a PUT answers no ETag header (the recordings): %q", resp.Header.Get("ETag"))
	}

	// The first side's network is Updating while the operation runs.
	vresp, vnet := getRaw(t, s, token, "/subscriptions/"+sandbox.UserSubscriptionID+"/resourceGroups/rg-app/providers/Microsoft.Network/virtualNetworks/app-vnet?api-version=2024-05-01")
	if props(vnet)["provisioningState"] != "Updating" || vresp.Header.Get("ETag") != vnet["etag"] || props(vnet)["privateEndpointVNetPolicies"] != "Disabled" {
		t.Errorf("app-vnet while its peering provisions: ETag %q, %v", vresp.Header.Get("ETag"), vnet)
	}

	// Done: Succeeded, still Initiated and RemoteNotInSync; a GET carries
	// the body's etag as a header.
	s.Clock().SetSpeed(1e7)
	time.Sleep(2 * time.Millisecond)
	gresp, got := getRaw(t, s, token, peeringPath("rg-app", "app-vnet", "app-to-legacy"))
	gp := props(got)
	if gp["provisioningState"] != "Succeeded" || gp["peeringState"] != "Initiated" || gp["peeringSyncLevel"] != "RemoteNotInSync" ||
		gresp.Header.Get("ETag") == "" || gresp.Header.Get("ETag") != got["etag"] {
		t.Fatalf("first side after its operation: ETag %q, %v", gresp.Header.Get("ETag"), got)
	}
	s.Clock().SetSpeed(1)

	// The second side: 201 already Connected and FullyInSync, Updating,
	// with the first side's resourceGuid; the first side is Connected too.
	resp, second := putRawPeering(t, s, token, "Rg-Legacy", "Legacy-VNet", "legacy-to-app", sandboxtest.AppVNetID)
	sp := props(second)
	if resp.StatusCode != http.StatusCreated || sp["provisioningState"] != "Updating" || sp["peeringState"] != "Connected" || sp["peeringSyncLevel"] != "FullyInSync" {
		t.Fatalf("second side's PUT: %d %v", resp.StatusCode, sp)
	}
	if sp["resourceGuid"] != gp["resourceGuid"] || gp["resourceGuid"] == "" {
		t.Errorf("resourceGuid %v and %v, want one for the pair", sp["resourceGuid"], gp["resourceGuid"])
	}
	_, got = getRaw(t, s, token, peeringPath("rg-app", "app-vnet", "app-to-legacy"))
	if p := props(got); p["peeringState"] != "Connected" || p["peeringSyncLevel"] != "FullyInSync" {
		t.Errorf("first side after the second's PUT: %v", p)
	}

	// The network provider's errors carry an empty details array.
	_, missing := getRaw(t, s, token, peeringPath("rg-app", "app-vnet", "nope"))
	if e, _ := missing["error"].(map[string]any); e["code"] != "NotFound" || e["details"] == nil || len(e["details"].([]any)) != 0 {
		t.Errorf("missing peering: %v", missing)
	}
}

// A side whose remote was deleted is Disconnected; re-creating the remote
// is refused until it is updated (then Initiated), as the provider's
// RemotePeeringIsDisconnected says.
func TestARMPeeringRemoteDisconnected(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	c := ctx(t)
	n := adminNet(t, s)
	if _, err := netPeer(c, n, "rg-app", "app-vnet", "app-to-legacy", netPeeringBody(sandboxtest.LegacyVNetID)); err != nil {
		t.Fatal(err)
	}
	if _, err := netPeer(c, n, "Rg-Legacy", "Legacy-VNet", "legacy-to-app", netPeeringBody(sandboxtest.AppVNetID)); err != nil {
		t.Fatal(err)
	}
	if err := netUnpeer(c, n, "Rg-Legacy", "Legacy-VNet", "legacy-to-app"); err != nil {
		t.Fatal(err)
	}
	if _, state := netGetPeering(t, n, "rg-app", "app-vnet", "app-to-legacy"); state != "Disconnected" {
		t.Fatalf("app-to-legacy is %s, want Disconnected", state)
	}
	_, err := n.peerings.BeginCreateOrUpdate(c, "Rg-Legacy", "Legacy-VNet", "legacy-to-app", netPeeringBody(sandboxtest.AppVNetID), nil)
	re := wantResponseError(t, err, http.StatusBadRequest, "RemotePeeringIsDisconnected")
	if msg := errorMessage(t, re); !strings.Contains(msg, "because remote peering "+sandboxtest.AppVNetID+"/virtualNetworkPeerings/app-to-legacy referencing parent virtual network "+sandboxtest.LegacyVNetID+" is in Disconnected state.") {
		t.Errorf("message %q", msg)
	}
	if _, err := netPeer(c, n, "rg-app", "app-vnet", "app-to-legacy", netPeeringBody(sandboxtest.LegacyVNetID)); err != nil {
		t.Fatalf("update the Disconnected side: %v", err)
	}
	if _, state := netGetPeering(t, n, "rg-app", "app-vnet", "app-to-legacy"); state != "Initiated" {
		t.Errorf("after its update app-to-legacy is %s, want Initiated", state)
	}
	var raw *http.Response
	p, err := netPeer(policy.WithCaptureResponse(c, &raw), n, "Rg-Legacy", "Legacy-VNet", "legacy-to-app", netPeeringBody(sandboxtest.AppVNetID))
	if _, state := netState(p); err != nil || state != "Connected" {
		t.Errorf("re-created legacy-to-app: %s, %v", state, err)
	}
}
