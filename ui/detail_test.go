package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/azpeer/azpeer/peering"
	"github.com/azpeer/azpeer/sandbox"
)

// openDetail opens a tsdb-prod connection's detail screen.
func openDetail(t *testing.T, d *driver, vnet string) {
	t.Helper()
	pressOnRow(t, d, prodRef(vnet), "enter")
	onTop[*detailScreen](t, d, "enter")
}

// pressOnRow selects ref's row on the project screen, once loaded, and
// presses key.
func pressOnRow(t *testing.T, d *driver, ref connRef, key string) {
	t.Helper()
	d.loaded()
	ps := onTop[*projectScreen](t, d, "loading")
	if !ps.t.selectID(ref.id()) {
		t.Fatalf("no row for %s:\n%s", ref.Key.PeerVPC, d.screen())
	}
	d.press(key)
}

func TestDetailScreen(t *testing.T) {
	e := newTestEnv(t, envOptions{})
	d := newDriver(t, e.deps, Options{Project: "tsdb-prod", NoAutoRefresh: true}, 120, 60)
	openDetail(t, d, "prod-vnet")
	// The Azure side is read when the screen opens.
	d.untilScreen("to-aiven-tsdb-prod", "● Connected")
	scr := d.screen()
	for _, want := range []string{
		"projects › tsdb-prod › peering prod-vnet",
		"● ACTIVE", "azure-vnet-peering", "rg-prod", "prod-vnet",
		"state_info", "message", "Peering connection active",
		"Azure side", "10.1.0.0/16", "peeringState", "vnet access", "yes",
		"run record", "none: azpeer did not create this peering",
		"timeline", "aiven ACTIVE (first seen)",
	} {
		if !strings.Contains(scr, want) {
			t.Errorf("detail lacks %q:\n%s", want, scr)
		}
	}

	d.press("y")
	d.untilScreen("› json", `"peer_vpc": "prod-vnet"`, `"state": "ACTIVE"`)
	d.press("esc")
	onTop[*detailScreen](t, d, "esc from json")
}

// Polling is fast while a connection is transitional, and the detail's
// timeline records the transitions it observes.
func TestLiveTransitionObserved(t *testing.T) {
	// Aiven sits on the request until the test lets the clock run.
	timing := sandbox.Timing{AivenApproval: sandbox.Duration(time.Hour)}
	e := newTestEnv(t, envOptions{noAzure: true, sandbox: sandbox.Options{Speed: 1, Timing: &timing}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := e.deps.Aiven.CreateAzurePeering(ctx, peering.ProjectParent("tsdb-staging"), stagingVPC, peering.AzurePeeringRequest{
		SubscriptionID: sandbox.UserSubscriptionID, ResourceGroup: "rg-app", VNetName: "app-vnet",
		AppID: sandbox.ProdPeeringAppID, TenantID: sandbox.UserTenantID})
	if err != nil {
		t.Fatalf("CreateAzurePeering: %v", err)
	}
	opts := Options{Project: "tsdb-staging", FastPoll: 10 * time.Millisecond, SlowPoll: time.Hour}
	d := newDriver(t, e.deps, opts, 120, 50)
	d.loaded()
	ref := connRef{Project: "tsdb-staging", VPCID: stagingVPC,
		Key: peering.Key{PeerCloudAccount: sandbox.UserSubscriptionID, PeerResourceGroup: "rg-app", PeerVPC: "app-vnet"}}
	ps := d.m.top().(*projectScreen)
	if !ps.t.selectID(ref.id()) {
		t.Fatalf("no row for the new connection:\n%s", d.screen())
	}
	d.press("enter")
	d.untilScreen("◌ APPROVED", "aiven APPROVED (first seen)")
	if got := d.m.interval(); got != opts.FastPoll {
		t.Errorf("polling every %s while APPROVED, want the fast %s", got, opts.FastPoll)
	}

	e.s.Clock().SetSpeed(0) // every simulated delay is now over
	d.until("a transition from APPROVED", func() bool {
		return strings.Contains(d.screen(), "aiven APPROVED → ")
	})
	c, _, _ := d.m.connection(ref)
	if c.State.Transitional() {
		t.Fatalf("connection still %s", c.State)
	}
	if got := d.m.interval(); got != opts.SlowPoll {
		t.Errorf("polling every %s once settled, want the slow %s", got, opts.SlowPoll)
	}
}
