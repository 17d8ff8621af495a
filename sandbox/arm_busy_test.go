package sandbox_test

// Busy resources: while a peering's operation runs its networks are
// Updating, and the network provider refuses writes that need them
// (AnotherOperationInProgress as variant azure-busy says,
// ReferencedResourceNotProvisioned for a PUT whose remote is Updating);
// faults rate_busy and rate_referenced_not_provisioned do the same on
// demand.

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

// busySandbox is an hour-long peering operation on app-vnet → Legacy-VNet,
// started under the given variants, with clients that do not retry.
func busySandbox(t *testing.T, variants map[string]string) (*sandbox.Server, netClients, string, string) {
	t.Helper()
	timing := sandbox.DefaultTiming()
	timing.PeeringProvisioning = sandbox.Duration(time.Hour)
	s := sandboxtest.Start(t, sandbox.Options{Speed: 1, Timing: &timing, Variants: variants})
	noRetry := armOptions(s)
	noRetry.Retry = policy.RetryOptions{MaxRetries: -1}
	n := newNetClients(t, sandbox.UserSubscriptionID, adminCredential(t, s), noRetry)
	_, first := netBeginAppToLegacy(t, ctx(t), n)
	return s, n, first.Header.Get("Azure-AsyncOperation"), adminToken(t, s, armScope)
}

// vnetState is a network's provisioningState.
func vnetState(t *testing.T, n netClients, rg, name string) string {
	t.Helper()
	v, err := n.vnets.Get(ctx(t), rg, name, nil)
	if err != nil {
		t.Fatal(err)
	}
	return string(*v.Properties.ProvisioningState)
}

func TestARMBusyNetworksUpdating(t *testing.T) {
	for _, tc := range []struct {
		variant, app, legacy string
	}{
		{"local-and-remote", "Updating", "Updating"},
		{"local-only", "Updating", "Succeeded"},
		{"none", "Succeeded", "Succeeded"},
	} {
		t.Run(tc.variant, func(t *testing.T) {
			_, n, _, _ := busySandbox(t, map[string]string{sandbox.VariantAzureVNetUpdating: tc.variant})
			if app, legacy, prod := vnetState(t, n, "rg-app", "app-vnet"), vnetState(t, n, "Rg-Legacy", "Legacy-VNet"), vnetState(t, n, "rg-prod", "prod-vnet"); app != tc.app || legacy != tc.legacy || prod != "Succeeded" {
				t.Errorf("app-vnet %s, Legacy-VNet %s, prod-vnet %s; want %s, %s, Succeeded", app, legacy, prod, tc.app, tc.legacy)
			}
		})
	}
}

// A second write to the busy network's peerings, as each value of
// azure-busy answers it.
func TestARMBusyAnotherOperation(t *testing.T) {
	for _, tc := range []struct {
		variant string
		status  int
	}{
		{"conflict-409", http.StatusConflict},
		{"bad-request-400", http.StatusBadRequest},
	} {
		t.Run(tc.variant, func(t *testing.T) {
			_, n, async, _ := busySandbox(t, map[string]string{sandbox.VariantAzureBusy: tc.variant})
			// Another peering of the same network, and a delete of the
			// one being written.
			_, err := n.peerings.BeginCreateOrUpdate(ctx(t), "rg-app", "app-vnet", "app-to-prod", netPeeringBody(sandboxtest.ProdVNetID), nil)
			re := wantResponseError(t, err, tc.status, "AnotherOperationInProgress")
			if msg := errorMessage(t, re); msg != "Another operation on this or dependent resource is in progress. To retrieve status of the operation use uri: "+async+"." {
				t.Errorf("message %q, want it to name %s", msg, async)
			}
			_, err = n.peerings.BeginDelete(ctx(t), "rg-app", "app-vnet", "app-to-legacy", nil)
			wantResponseError(t, err, tc.status, "AnotherOperationInProgress")
			// A network not involved is not busy.
			if _, err := n.peerings.BeginDelete(ctx(t), "rg-prod", "prod-vnet", "to-aiven-tsdb-prod", nil); err != nil {
				t.Errorf("a peering between networks not involved: %v", err)
			}
		})
	}
	t.Run("async-failure", func(t *testing.T) {
		_, n, _, _ := busySandbox(t, map[string]string{sandbox.VariantAzureBusy: "async-failure"})
		var raw *http.Response
		poller, err := n.peerings.BeginCreateOrUpdate(policy.WithCaptureResponse(ctx(t), &raw), "rg-app", "app-vnet", "app-to-prod", netPeeringBody(sandboxtest.ProdVNetID), nil)
		if err != nil || raw.StatusCode != http.StatusCreated {
			t.Fatalf("PUT: %v, %v", raw, err)
		}
		_, err = poller.PollUntilDone(ctx(t), &runtime.PollUntilDoneOptions{Frequency: 10 * time.Millisecond})
		wantResponseError(t, err, http.StatusOK, "AnotherOperationInProgress")
		if prov, _ := netGetPeering(t, n, "rg-app", "app-vnet", "app-to-prod"); prov != "Failed" {
			t.Errorf("provisioningState %s, want Failed", prov)
		}
	})
}

// A PUT whose remote network is being updated.
func TestARMBusyReferencedNotProvisioned(t *testing.T) {
	_, n, _, _ := busySandbox(t, nil)
	_, err := n.peerings.BeginCreateOrUpdate(ctx(t), "Rg-Legacy", "Legacy-VNet", "legacy-to-app", netPeeringBody(sandboxtest.AppVNetID), nil)
	re := wantResponseError(t, err, http.StatusBadRequest, "ReferencedResourceNotProvisioned")
	want := "Cannot proceed with operation because resource " + sandboxtest.AppVNetID + " used by resource " + sandboxtest.LegacyVNetID +
		"/virtualNetworkPeerings/legacy-to-app is not in Succeeded state. Resource is in Updating state and the last operation that updated/is updating the resource is PutVirtualNetworkPeeringOperation."
	if msg := errorMessage(t, re); msg != want {
		t.Errorf("message %q\nwant %q", msg, want)
	}
	// Under azure-vnet-updating=none only the peering itself is busy.
	_, n, _, _ = busySandbox(t, map[string]string{sandbox.VariantAzureVNetUpdating: "none"})
	if _, err := n.peerings.BeginCreateOrUpdate(ctx(t), "Rg-Legacy", "Legacy-VNet", "legacy-to-app", netPeeringBody(sandboxtest.AppVNetID), nil); err != nil {
		t.Errorf("with networks never Updating: %v", err)
	}
}

// The faults start the other operation themselves, so an instant sandbox
// refuses too; the URL named can be polled.
func TestARMBusyFaults(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	aivenToken := s.Credentials().AivenToken
	if code, body := adminDo(t, s, http.MethodPut, "/_sandbox/faults", aivenToken, `{"arm": {"rate_busy": 1}}`); code != 200 || !strings.Contains(body, `"rate_busy":1`) {
		t.Fatalf("set rate_busy: %d %s", code, body)
	}
	noRetry := armOptions(s)
	noRetry.Retry = policy.RetryOptions{MaxRetries: -1}
	n := newNetClients(t, sandbox.UserSubscriptionID, adminCredential(t, s), noRetry)
	_, err := n.peerings.BeginCreateOrUpdate(ctx(t), "rg-app", "app-vnet", "app-to-legacy", netPeeringBody(sandboxtest.LegacyVNetID), nil)
	re := wantResponseError(t, err, http.StatusConflict, "AnotherOperationInProgress")
	msg := errorMessage(t, re)
	statusURL := strings.TrimSuffix(msg[strings.Index(msg, "https://"):], ".")
	token := adminToken(t, s, armScope)
	resp, b := send(t, s, rawRequest{method: http.MethodGet, path: strings.TrimPrefix(statusURL, s.URL()), auth: bearer(token)})
	var status struct{ Status string }
	if err := json.Unmarshal(b, &status); err != nil || resp.StatusCode != 200 || status.Status != "Succeeded" {
		t.Errorf("the other operation's status: %d %s", resp.StatusCode, b)
	}

	if code, body := adminDo(t, s, http.MethodPut, "/_sandbox/faults", aivenToken, `{"arm": {"rate_referenced_not_provisioned": 1}}`); code != 200 {
		t.Fatalf("set rate_referenced_not_provisioned: %d %s", code, body)
	}
	_, err = n.peerings.BeginCreateOrUpdate(ctx(t), "rg-app", "app-vnet", "app-to-legacy", netPeeringBody(sandboxtest.LegacyVNetID), nil)
	re = wantResponseError(t, err, http.StatusBadRequest, "ReferencedResourceNotProvisioned")
	if msg := errorMessage(t, re); !strings.HasSuffix(msg, "is PutSubnetOperation.") || !strings.Contains(msg, "resource "+sandboxtest.LegacyVNetID+" used by resource "+sandboxtest.AppVNetID+"/virtualNetworkPeerings/app-to-legacy") {
		t.Errorf("message %q", msg)
	}
	if code, body := adminDo(t, s, http.MethodPut, "/_sandbox/faults", aivenToken, `{"arm": {"rate_busy": 2}}`); code != 400 || !strings.Contains(body, "rate_busy") {
		t.Errorf("rate_busy 2: %d %s", code, body)
	}
	// Without the faults the PUT goes through.
	adminDo(t, s, http.MethodPut, "/_sandbox/faults", aivenToken, `{"arm": {}}`)
	if _, err := netPeer(ctx(t), n, "rg-app", "app-vnet", "app-to-legacy", netPeeringBody(sandboxtest.LegacyVNetID)); err != nil {
		t.Errorf("without faults: %v", err)
	}
}
