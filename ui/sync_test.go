package ui

import (
	"strings"
	"testing"

	"github.com/azpeer/azpeer/peering"
	"github.com/azpeer/azpeer/sandboxtest"
)

// After the user's VNet grew, the project row and the detail show the
// sync level with its meaning, s asks first (n changes nothing), y syncs
// with its progress on the diagnosis screen until both sides are in
// sync, and read-only mode refuses.
func TestSyncKey(t *testing.T) {
	e := newTestEnv(t, envOptions{})
	if err := e.s.SetVNetAddressSpace(sandboxtest.ProdVNetID, []string{"10.1.0.0/16", "10.3.0.0/16"}); err != nil {
		t.Fatal(err)
	}
	ro := newDriver(t, e.deps, Options{Project: "tsdb-prod", NoAutoRefresh: true, ReadOnly: true}, 160, 50)
	openDetail(t, ro, "prod-vnet")
	ro.untilScreen("⇄ RemoteNotInSync")
	ro.press("s")
	if ro.confirming() != "" || !strings.Contains(ro.m.status, "read-only mode") {
		t.Errorf("s in read-only mode: overlay %q, status %q", ro.confirming(), ro.m.status)
	}

	d := newDriver(t, e.deps, Options{Project: "tsdb-prod", NoAutoRefresh: true}, 160, 50)
	d.loaded()
	d.untilScreen("⇄ Aiven's side out of sync")
	openDetail(t, d, "prod-vnet")
	d.untilScreen("⇄ RemoteNotInSync", "Aiven's side has not synced your VNet's current address space", "s syncs it", "azure sync")
	d.press("s")
	if d.confirming() != "sync peering?" {
		t.Fatalf("s on the detail: overlay %q, status %q", d.confirming(), d.m.status)
	}
	wantShown(t, "the confirmation", d.screen(), "Your side says RemoteNotInSync", "asks Aiven to refresh its side")
	d.press("n")
	if d.m.overlay != nil || d.m.fixRunning() {
		t.Fatal("n started the sync")
	}
	d.press("s", "y")
	s := onTop[*diagnoseScreen](t, d, "y")
	ds := s.state(&d.m.data)
	d.until("the sync to end", func() bool { return !ds.fixing && ds.finding.ID == peering.RuleNotInSync })
	if ds.fixErr != nil {
		t.Fatalf("sync failed: %v\n%s", ds.fixErr, d.screen())
	}
	d.untilScreen("✓ fix for peering-not-in-sync applied")
	d.until("the diagnosis after the sync", func() bool { return !ds.busy && ds.diag != nil })
	if p := ds.diag.Facts.AzurePeering(); p == nil || p.SyncLevel != peering.SyncFully {
		t.Errorf("after the sync the user's side is %+v", p)
	}
	d.press("esc")
	onTop[*detailScreen](t, d, "esc")
	d.refreshed()
	d.untilScreen("● FullyInSync", "RemoteNotInSync → ● FullyInSync")
}
