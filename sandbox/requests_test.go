package sandbox_test

import (
	"encoding/json"
	"net/http"
	"testing"

	aiven "github.com/aiven/go-client-codegen"

	"github.com/azpeer/azpeer/sandbox"
)

// TestRequestCounts: every answer of an emulated API is counted once under
// its route template (Aiven's from its route table, faults and retries
// included), the admin endpoints are not, and DELETE resets.
func TestRequestCounts(t *testing.T) {
	s, c := aivenAdmin(t)
	token := s.Credentials().AivenToken
	const vpcRoute = "/v1/project/{project}/vpcs/{project_vpc_id}"
	for range 2 {
		if _, err := c.VpcGet(ctx(t), "tsdb-prod", prodVPCID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.VpcGet(ctx(t), "no-such-project", prodVPCID); !aiven.IsNotFound(err) {
		t.Fatalf("VpcGet of an unknown project: %v", err)
	}
	// codegen retries 5xx: every attempt is an answer of its own.
	if !s.SetProjectFault("tsdb-staging", http.StatusServiceUnavailable) {
		t.Fatal("SetProjectFault")
	}
	if _, err := c.VpcList(ctx(t), "tsdb-staging"); err == nil {
		t.Fatal("VpcList of a faulted project succeeded")
	}
	// An Azure API: the admin signs in (Entra) and reads a VNet (ARM).
	if _, err := adminNet(t, s).vnets.Get(ctx(t), "rg-app", "app-vnet", nil); err != nil {
		t.Fatal(err)
	}

	got := s.Requests()
	if n := got.Count(sandbox.APIAiven, http.MethodGet, vpcRoute); n != 3 {
		t.Errorf("GET %s counted %d times, want 3: %+v", vpcRoute, n, got.Requests)
	}
	wantEntry := func(api sandbox.API, method, route string, status, count int) {
		t.Helper()
		for _, r := range got.Requests {
			if r.API == api && r.Method == method && r.Route == route && r.Status == status {
				if r.Count != count {
					t.Errorf("%s %s %s %d: %d, want %d", api, method, route, status, r.Count, count)
				}
				return
			}
		}
		t.Errorf("no count for %s %s %s %d in %+v", api, method, route, status, got.Requests)
	}
	wantEntry(sandbox.APIAiven, http.MethodGet, vpcRoute, 200, 2)
	wantEntry(sandbox.APIAiven, http.MethodGet, vpcRoute, 404, 1)
	wantEntry(sandbox.APIAiven, http.MethodGet, "/v1/project/{project}/vpcs", 503, 7) // 1 + codegen's 6 retries
	wantEntry(sandbox.APIARM, http.MethodGet,
		"/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/virtualNetworks/{virtualNetworkName}", 200, 1)
	if got.Count(sandbox.APIEntra, http.MethodPost, "/{tenant}/oauth2/v2.0/token") == 0 {
		t.Errorf("no Entra token request counted: %+v", got.Requests)
	}
	total := 0
	for _, r := range got.Requests {
		total += r.Count
	}
	if total != got.Total || got.Since.IsZero() {
		t.Errorf("total %d, since %v; the entries sum to %d", got.Total, got.Since, total)
	}

	// The admin endpoint: counted by nobody, reset by DELETE.
	status, body := adminDo(t, s, http.MethodGet, "/_sandbox/requests", token, "")
	var wire sandbox.RequestCounts
	if status != 200 || json.Unmarshal([]byte(body), &wire) != nil || wire.Total != got.Total {
		t.Fatalf("GET /_sandbox/requests: %d %s, want the %d requests counted so far", status, body, got.Total)
	}
	if status, _ := adminDo(t, s, http.MethodGet, "/_sandbox/requests", "", ""); status != http.StatusUnauthorized {
		t.Errorf("without a token: %d, want 401", status)
	}
	if status, body := adminDo(t, s, http.MethodDelete, "/_sandbox/requests", token, ""); status != 200 {
		t.Fatalf("DELETE: %d %s", status, body)
	}
	if after := s.Requests(); after.Total != 0 || !after.Since.After(got.Since) {
		t.Errorf("after DELETE: %+v, want no counts and a later since", after)
	}
	if status, _ := adminDo(t, s, http.MethodPost, "/_sandbox/requests", token, "{}"); status != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d, want 405", status)
	}
}
