package ui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/azpeer/azpeer/peering"
	"github.com/azpeer/azpeer/sandbox"
)

// Ids of the default scenario.
const (
	prodVPC      = "1f0e2d3c-4b5a-4697-8877-665544332211"
	stagingVPC   = "2a3b4c5d-6e7f-4819-9a0b-1c2d3e4f5a6b"
	analyticsAWS = "3b4c5d6e-7f80-4912-a3b4-c5d6e7f8091a"
)

func prodRef(vnet string) connRef {
	return connRef{Project: "tsdb-prod", VPCID: prodVPC,
		Key: peering.Key{PeerCloudAccount: sandbox.UserSubscriptionID, PeerResourceGroup: "rg-prod", PeerVPC: vnet}}
}

// lineWith returns the screen line containing s.
func lineWith(scr, s string) string {
	for _, l := range strings.Split(scr, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

// selectedLine returns the line of the row under the cursor.
func selectedLine(scr string) string {
	for _, l := range strings.Split(scr, "\n") {
		if strings.HasPrefix(l, "› ") {
			return l
		}
	}
	return ""
}

func TestProjectsScreen(t *testing.T) {
	e := newTestEnv(t, envOptions{noAzure: true})
	d := newDriver(t, e.deps, fastOptions(), 120, 40)
	d.loaded()
	scr := d.screen()

	for _, want := range []struct{ project, text string }{
		{"analytics", "aws-eu-west-1,azure-eastus"},
		{"analytics", "● 1"},
		{"analytics", "✗ 1"},
		{"tsdb-prod", "azure-westeurope"},
		{"tsdb-staging", "azure-westeurope"},
	} {
		if l := lineWith(scr, want.project); !strings.Contains(l, want.text) {
			t.Errorf("row of %s = %q, want it to show %q", want.project, l, want.text)
		}
	}
	wantShown(t, "screen", scr, "SANDBOX", "admin@example.com", "azpeer  projects", "refreshed")

	projects := d.m.top().(*projectsScreen)
	steps := []struct {
		key, want string
	}{
		{"j", "orders"},
		{"down", "orders-staging"},
		{"j", "tsdb-prod"},
		{"j", "tsdb-staging"},
		{"j", orgPrefix + sandbox.AivenOrganizationID}, // the organization comes after the projects
		{"j", orgPrefix + sandbox.AivenOrganizationID}, // stays on the last row
		{"k", "tsdb-staging"},
		{"g", "analytics"},
		{"G", orgPrefix + sandbox.AivenOrganizationID},
		{"up", "tsdb-staging"},
		{"k", "tsdb-prod"},
	}
	for _, s := range steps {
		d.press(s.key)
		if got := projects.t.selectedID(); got != s.want {
			t.Fatalf("after %q the cursor is on %q, want %q", s.key, got, s.want)
		}
	}

	d.press("enter")
	d.untilScreen("projects › tsdb-prod", "prod-vnet-old", "INVALID_SPEC", "● ACTIVE", "10.10.0.0/24")
	onTop[*projectScreen](t, d, "enter")
	d.press("esc")
	onTop[*projectsScreen](t, d, "esc")
	if got := projects.t.selectedID(); got != "tsdb-prod" {
		t.Errorf("back on projects the cursor is on %q, want tsdb-prod", got)
	}
}

func TestProjectScreenGroupsByVPC(t *testing.T) {
	e := newTestEnv(t, envOptions{noAzure: true})
	d := newDriver(t, e.deps, Options{Project: "analytics", FastPoll: 20 * time.Millisecond, SlowPoll: 200 * time.Millisecond}, 120, 40)
	d.untilScreen("projects › analytics", "REJECTED")
	scr := d.screen()
	aws := strings.Index(scr, "VPC 3b4c5d6e")
	awsConn := strings.Index(scr, "vpc-0a1b2c3d4e5f60718")
	az := strings.Index(scr, "VPC 4c5d6e7f")
	azConn := strings.Index(scr, "REJECTED")
	if aws < 0 || awsConn < 0 || az < 0 || azConn < 0 || !(aws < awsConn && awsConn < az && az < azConn) {
		t.Fatalf("want each VPC followed by its connections:\n%s", scr)
	}
	if l := lineWith(scr, "REJECTED"); !strings.Contains(l, "rg-app") || !strings.Contains(l, "app-vnet") || !strings.Contains(l, "azure") {
		t.Errorf("connection row = %q, want type, resource group and VNet", l)
	}
}

func TestFilter(t *testing.T) {
	tests := []struct {
		name    string
		project string // "" = projects screen
		query   string
		paste   bool // paste the query instead of typing it
		shows   []string
		hides   []string
	}{
		{name: "projects", query: "stag", shows: []string{"tsdb-staging", "/stag"}, hides: []string{"tsdb-prod", "analytics"}},
		{name: "projects by cloud", query: "aws", paste: true, shows: []string{"analytics"}, hides: []string{"tsdb-staging"}},
		{name: "connections keep their VPC", project: "analytics", query: "rejected",
			shows: []string{"VPC 4c5d6e7f", "REJECTED"}, hides: []string{"VPC 3b4c5d6e", "vpc-0a1b2c3d"}},
		{name: "no match", query: "zzz", shows: []string{"no rows match /zzz"}, hides: []string{"tsdb-prod"}},
	}
	e := newTestEnv(t, envOptions{noAzure: true})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDriver(t, e.deps, Options{Project: tt.project, NoAutoRefresh: true}, 100, 30)
			d.loaded()
			d.press("/")
			if tt.paste {
				d.send(tea.PasteMsg{Content: tt.query})
			} else {
				d.typeText(tt.query)
			}
			d.press("enter") // keep the filter, leave the field
			scr := d.screen()
			wantShown(t, "filtered screen", scr, tt.shows...)
			wantHidden(t, "filtered screen", scr, tt.hides...)
			d.press("esc") // clears the filter, stays on the screen
			scr = d.screen()
			wantShown(t, "after esc, the screen", scr, tt.hides...)
			if got := len(d.m.stack); got != 1+btoi(tt.project != "") {
				t.Errorf("esc with a filter set left the screen (stack depth %d)", got)
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// The cursor stays on the same connection when rows above it go away.
func TestSelectionKeptAcrossRefresh(t *testing.T) {
	e := newTestEnv(t, envOptions{noAzure: true})
	d := newDriver(t, e.deps, Options{Project: "tsdb-prod", NoAutoRefresh: true}, 100, 30)
	d.loaded()
	ps := d.m.top().(*projectScreen)
	old := prodRef("prod-vnet-old")
	if !ps.t.selectID(old.id()) {
		t.Fatalf("no row for prod-vnet-old:\n%s", d.screen())
	}
	before := ps.t.cursor

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.deps.Aiven.DeletePeering(ctx, peering.ProjectParent("tsdb-prod"), prodVPC, prodRef("prod-vnet").Key.Connection()); err != nil {
		t.Fatalf("DeletePeering: %v", err)
	}
	// DELETING, then DELETED, then gone: the row above moves each time.
	for i := 0; i < 10 && strings.Contains(d.screen(), "prod-vnet "); i++ {
		d.refreshed()
		if got := ps.t.selectedID(); got != old.id() {
			t.Fatalf("after a refresh the cursor is on %q, want prod-vnet-old", got)
		}
	}
	if strings.Contains(d.screen(), "prod-vnet ") {
		t.Fatalf("the deleted connection is still listed:\n%s", d.screen())
	}
	if ps.t.cursor == before {
		t.Fatalf("the row index did not change (%d), so this test proves nothing", before)
	}
	if l := selectedLine(d.screen()); !strings.Contains(l, "prod-vnet-old") {
		t.Errorf("selected line = %q, want prod-vnet-old", l)
	}
}

// A failed poll keeps the data, marks it stale and says why; the next good
// poll clears the mark.
func TestStaleOnErrors(t *testing.T) {
	e := newTestEnv(t, envOptions{noAzure: true})
	d := newDriver(t, e.deps, fastOptions(), 100, 30)
	d.loaded()

	e.s.SetFaults(sandbox.APIAiven, sandbox.FaultConfig{Rate5xx: 1})
	d.press("r")
	d.until("a failed poll", func() bool { return d.m.pollErr != nil })
	scr := d.screen()
	wantShown(t, "after a failed poll the screen", scr, "⚠ STALE", "refresh failed", "HTTP 503", "tsdb-prod", "tsdb-staging")

	e.s.SetFaults(sandbox.APIAiven, sandbox.FaultConfig{})
	d.until("a good poll (auto-refresh)", func() bool { return d.m.pollErr == nil && !d.m.fetching })
	if scr := d.screen(); strings.Contains(scr, "STALE") || strings.Contains(scr, "refresh failed") {
		t.Errorf("after a good poll the screen still says stale:\n%s", scr)
	}
}

// A project whose VPCs cannot be read is marked; the others stay usable.
func TestPartialFailure(t *testing.T) {
	e := newTestEnv(t, envOptions{noAzure: true})
	e.s.SetProjectFault("analytics", 500)
	d := newDriver(t, e.deps, Options{NoAutoRefresh: true}, 120, 30)
	d.loaded()
	scr := d.screen()
	if l := lineWith(scr, "analytics"); !strings.Contains(l, "⚠ unreadable") {
		t.Errorf("analytics row = %q, want it marked unreadable", l)
	}
	if !strings.Contains(scr, "1 item(s) could not be read") {
		t.Errorf("status line does not count the failure:\n%s", scr)
	}
	if l := lineWith(scr, "tsdb-prod"); !strings.Contains(l, "● 1") {
		t.Errorf("tsdb-prod row = %q, want its counts", l)
	}
}

// A reply overtaken by a newer request never overwrites fresher data.
func TestStaleReplyDropped(t *testing.T) {
	e := newTestEnv(t, envOptions{noAzure: true})
	d := newDriver(t, e.deps, Options{NoAutoRefresh: true}, 100, 30)
	d.loaded()
	d.press("r") // a newer request is in flight
	old := inventoryMsg{gen: d.m.fetchGen - 1, inv: peering.Inventory{Projects: []peering.Project{{ProjectRef: peering.ProjectRef{Name: "ghost"}}}}, at: time.Now()}
	d.send(old)
	if _, ok := d.m.project("ghost"); ok {
		t.Fatal("a reply of an older generation replaced the inventory")
	}
	if !d.m.fetching {
		t.Fatal("a stale reply ended the newer request")
	}
}

func TestPollInterval(t *testing.T) {
	opts := Options{FastPoll: time.Second, SlowPoll: 30 * time.Second}
	settled := []peering.Project{{ProjectRef: peering.ProjectRef{Name: "p"}, VPCs: []peering.VPC{{ID: "v", Peerings: []peering.Connection{{State: peering.StateActive}}}}}}
	moving := []peering.Project{{ProjectRef: peering.ProjectRef{Name: "p"}, VPCs: []peering.VPC{{ID: "v", Peerings: []peering.Connection{{State: peering.StatePendingPeer}}}}}}
	throttled := &peering.CloudError{Service: "arm", StatusCode: 429, RetryAfter: 45 * time.Second}
	tests := []struct {
		name     string
		inv      []peering.Project
		err      error
		failures int
		want     time.Duration
	}{
		{"all settled", settled, nil, 0, 30 * time.Second},
		{"something transitional", moving, nil, 0, time.Second},
		{"first failure", settled, errors.New("boom"), 1, time.Second},
		{"failures back off", settled, errors.New("boom"), 3, 4 * time.Second},
		{"backoff is capped", settled, errors.New("boom"), 20, 16 * time.Second},
		{"Retry-After honoured", settled, throttled, 1, 45 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New(Deps{}, opts)
			m.inv, m.pollErr, m.failures = tt.inv, tt.err, tt.failures
			if got := m.interval(); got != tt.want {
				t.Errorf("interval = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestHeaderNamesPrincipalAndTenant checks that the header says who is
// signed in to Azure and the tenant's name beside its id.
func TestHeaderNamesPrincipalAndTenant(t *testing.T) {
	env := newTestEnv(t, envOptions{})
	d := newDriver(t, env.deps, fastOptions(), 200, 30)
	d.loaded()
	c := env.s.Credentials()
	d.untilScreen("Azure app "+c.ClientID, "tenant Contoso ("+c.TenantID+")")
}
