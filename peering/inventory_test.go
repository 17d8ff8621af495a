package peering_test

import (
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/azpeer/azpeer/aiven"
	"github.com/azpeer/azpeer/peering"
	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

// countingTransport counts requests and the most in flight at once.
type countingTransport struct {
	next               http.RoundTripper
	total, now, inPeak atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.total.Add(1)
	n := c.now.Add(1)
	for {
		p := c.inPeak.Load()
		if n <= p || c.inPeak.CompareAndSwap(p, n) {
			break
		}
	}
	defer c.now.Add(-1)
	return c.next.RoundTrip(r)
}

// aivenFor is the Aiven adapter over s, failing fast, through a counting
// transport.
func aivenFor(t testing.TB, s *sandbox.Server) (*aiven.Client, *countingTransport) {
	t.Helper()
	ct := &countingTransport{}
	e := sandboxtest.Connect(t, s, sandboxtest.Options{FailFast: true, Wrap: func(next http.RoundTripper) http.RoundTripper {
		ct.next = next
		return ct
	}})
	return e.Aiven, ct
}

func TestInventoryDefaultScenario(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	c, ct := aivenFor(t, s)
	inv, err := peering.FetchInventory(ctxFor(t), c, peering.InventoryOptions{Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	if inv.User.Email != sandbox.AivenUserEmail {
		t.Errorf("user %q", inv.User.Email)
	}
	if len(inv.Projects) != 5 || inv.Projects[0].Name != "analytics" || inv.Projects[4].Name != "tsdb-staging" {
		t.Fatalf("projects not sorted or missing: %+v", inv.Projects)
	}
	peerings := 0
	for _, p := range inv.Projects {
		for _, v := range p.VPCs {
			peerings += len(v.Peerings)
		}
	}
	if peerings != 4 {
		t.Errorf("%d peerings, want 4", peerings)
	}
	// me + organizations + the organization's projects + 5 VPC lists + 4
	// VPC gets, and the organization's VPC list + 1 VPC get + 5 service
	// lists (which projects use it).
	if got := ct.total.Load(); got != 19 {
		t.Errorf("%d requests, want 19", got)
	}
	if len(inv.Organizations) != 1 || len(inv.Organizations[0].VPCs) != 1 {
		t.Fatalf("organizations = %+v", inv.Organizations)
	}
	ov := inv.Organizations[0].VPCs[0]
	if ov.Parent != peering.OrganizationParent(sandbox.AivenOrganizationID) || len(ov.Peerings) != 2 ||
		strings.Join(ov.UsedBy, ",") != "orders,orders-staging" || ov.DisplayName != sandbox.OrgVPCName {
		t.Errorf("organization VPC = %+v", ov)
	}
	if p := ct.inPeak.Load(); p > 4 {
		t.Errorf("%d requests in flight, limit 4", p)
	}
	if inv.Failures() != 0 {
		t.Errorf("failures: %d", inv.Failures())
	}

	one, err := peering.FetchInventory(ctxFor(t), c, peering.InventoryOptions{Projects: []string{"tsdb-prod"}})
	if err != nil || len(one.Projects) != 1 {
		t.Fatalf("--project: %+v, %v", one.Projects, err)
	}
	if _, err := peering.FetchInventory(ctxFor(t), c, peering.InventoryOptions{Projects: []string{"nope"}}); err == nil {
		t.Error("unknown --project accepted")
	}
}

func TestInventoryPartialFailure(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	s.SetProjectFault("tsdb-prod", http.StatusInternalServerError)
	c, _ := aivenFor(t, s)
	inv, err := peering.FetchInventory(ctxFor(t), c, peering.InventoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range inv.Projects {
		if (p.Err != nil) != (p.Name == "tsdb-prod") {
			t.Errorf("project %s: err %v", p.Name, p.Err)
		}
		if p.Name != "tsdb-prod" && len(p.VPCs) == 0 && !strings.HasPrefix(p.Name, "orders") {
			t.Errorf("project %s lost its VPCs", p.Name)
		}
	}
	if inv.Failures() != 1 {
		t.Errorf("failures %d, want 1", inv.Failures())
	}
}

// BenchmarkInventoryLarge: 200 projects × 3 VPCs × 5 peerings with 20 ms
// of latency per Aiven request. Reports requests and the floor the
// concurrency limit allows: two rounds for the project list (the
// organizations, then their projects; /v1/me goes alongside), then the VPC
// lists and gets in ceil(n/limit) rounds.
func BenchmarkInventoryLarge(b *testing.B) {
	const latency = 20 * time.Millisecond
	for _, conc := range []int{16, 32} {
		b.Run("concurrency-"+strconv.Itoa(conc), func(b *testing.B) {
			s := sandboxtest.Start(b, sandbox.Options{Scenario: "large",
				Faults: map[sandbox.API]sandbox.FaultConfig{sandbox.APIAiven: {Latency: latency}}})
			c, ct := aivenFor(b, s)
			b.ResetTimer()
			for range b.N {
				inv, err := peering.FetchInventory(ctxFor(b), c, peering.InventoryOptions{Concurrency: conc})
				if err != nil || len(inv.Projects) != 200 || inv.Failures() != 0 {
					b.Fatalf("inventory: %d projects, %d failures, %v", len(inv.Projects), inv.Failures(), err)
				}
			}
			b.StopTimer()
			perOp := ct.total.Load() / int64(b.N)
			rounds := 2 + (perOp-3+int64(conc)-1)/int64(conc)
			floor := time.Duration(rounds) * latency
			b.ReportMetric(float64(perOp), "requests/op")
			b.ReportMetric(float64(floor.Milliseconds()), "floor-ms")
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N)/float64(floor.Milliseconds()), "x-floor")
		})
	}
}

// Without organization:networking:read the organization VPCs are not
// visible: the inventory says so (naming the permission and who grants
// it) without counting it a failure, and the projects are all there.
func TestInventoryWithoutOrganizationPermission(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	s.SetOrgPermissions(sandbox.AivenOrganizationID, nil)
	c, _ := aivenFor(t, s)
	inv, err := peering.FetchInventory(ctxFor(t), c, peering.InventoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Projects) != 5 || inv.Failures() != 0 {
		t.Errorf("%d projects, %d failures; want 5 and none", len(inv.Projects), inv.Failures())
	}
	if len(inv.Organizations) != 1 || inv.Organizations[0].Err == nil ||
		!strings.Contains(inv.Organizations[0].Err.Error(), "organization:networking:read") ||
		!strings.Contains(inv.Organizations[0].Err.Error(), "admin of organization") {
		t.Errorf("organizations = %+v, want the refusal naming the permission", inv.Organizations)
	}
}
