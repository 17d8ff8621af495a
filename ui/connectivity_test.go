package ui

import (
	"strings"
	"testing"

	"github.com/azpeer/azpeer/netcheck"
	"github.com/azpeer/azpeer/peering"
	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

// C on the detail screen checks the project's services from the probe's
// host and shows the report: from a VM in prod-vnet, pg-prod is reachable
// and pg-public public-only; without a probe, C says what it needs.
func TestConnectivityKey(t *testing.T) {
	e := newTestEnv(t, envOptions{})
	deps := e.deps
	deps.Probe = func(peering.Target) (peering.ConnectivityProbe, error) {
		h, err := e.s.Host(sandbox.HostSpec{VNetID: sandboxtest.ProdVNetID})
		return netcheck.Probe{Host: h}, err
	}
	d := newDriver(t, deps, Options{Project: "tsdb-prod", NoAutoRefresh: true}, 160, 60)
	openDetail(t, d, "prod-vnet")
	d.press("C")
	d.until("the connectivity report", func() bool { _, ok := d.m.overlay.(*textOverlay); return ok })
	o := d.m.overlay.(*textOverlay)
	text := strings.Join(o.lines, "\n")
	wantShown(t, "the report", text, "inside the peered VNet", "pg-prod", "is reachable: TCP connects", "pg-public", "not in a project VPC")
	if !strings.Contains(o.title, "tsdb-prod") {
		t.Errorf("title %q", o.title)
	}
	d.press("esc")

	off := newDriver(t, e.deps, Options{Project: "tsdb-prod", NoAutoRefresh: true}, 160, 60)
	openDetail(t, off, "prod-vnet")
	off.press("C")
	if off.m.overlay != nil || !strings.Contains(off.m.status, "connectivity check needs") {
		t.Errorf("C without a probe: overlay %T, status %q", off.m.overlay, off.m.status)
	}
}
