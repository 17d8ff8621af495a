package ui

import (
	"strings"
	"testing"
)

// openDetail opens a tsdb-prod connection's detail screen.
func openDetail(t *testing.T, d *driver, vnet string) {
	t.Helper()
	d.loaded()
	ps, ok := d.m.top().(*projectScreen)
	if !ok {
		t.Fatalf("top screen is %T, want the project screen", d.m.top())
	}
	if !ps.t.selectID(prodRef(vnet).id()) {
		t.Fatalf("no row for %s:\n%s", vnet, d.screen())
	}
	d.press("enter")
	if _, ok := d.m.top().(*detailScreen); !ok {
		t.Fatalf("enter opened %T, want the detail screen", d.m.top())
	}
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
	if _, ok := d.m.top().(*detailScreen); !ok {
		t.Fatalf("esc from json went to %T", d.m.top())
	}
}

func TestDiagnoseShowsStateInfo(t *testing.T) {
	e := newTestEnv(t, envOptions{noAzure: true})
	d := newDriver(t, e.deps, Options{Project: "tsdb-prod", NoAutoRefresh: true}, 120, 40)
	openDetail(t, d, "prod-vnet-old")
	if scr := d.screen(); !strings.Contains(scr, "not signed in to Azure") {
		t.Errorf("without Azure the detail should say so:\n%s", scr)
	}
	d.press("d")
	scr := d.screen()
	for _, want := range []string{"diagnose prod-vnet-old", "INVALID_SPECIFICATION", "was not found", "type: invalid-specification", "what usually causes it"} {
		if !strings.Contains(scr, want) {
			t.Errorf("diagnosis lacks %q:\n%s", want, scr)
		}
	}
	d.press("esc")
	if d.m.overlay != nil {
		t.Fatal("esc did not close the diagnosis")
	}
}
