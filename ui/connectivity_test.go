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
	tests := []struct {
		name     string
		orgPerms []string
		want     []string
		wantNot  string
	}{
		{"the project CA read", []string{"admin"},
			[]string{"inside the peered VNet", "pg-prod", "is reachable: TCP connects", "verifies against the project's CA", "pg-public", "not in a project VPC"},
			"could not verify"},
		// A token that may not read the CA: the handshake is told, never
		// called reachable.
		{"the project CA unreadable", []string{"organization:networking:read"},
			[]string{"pg-prod", "completes a TLS handshake", "azpeer could not verify it", "organization:projects:write", "not counted as reachable"},
			"is reachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !e.s.SetOrgPermissions(sandbox.AivenOrganizationID, tt.orgPerms) {
				t.Fatal("SetOrgPermissions")
			}
			d := newDriver(t, deps, Options{Project: "tsdb-prod", NoAutoRefresh: true}, 160, 60)
			openDetail(t, d, "prod-vnet")
			d.press("C")
			d.until("the connectivity report", func() bool { _, ok := d.m.overlay.(*textOverlay); return ok })
			o := d.m.overlay.(*textOverlay)
			text := strings.Join(o.lines, "\n")
			wantShown(t, "the report", text, tt.want...)
			if strings.Contains(text, tt.wantNot) {
				t.Errorf("the report shows %q:\n%s", tt.wantNot, text)
			}
			if !strings.Contains(o.title, "tsdb-prod") {
				t.Errorf("title %q", o.title)
			}
			d.press("esc")
		})
	}
	e.s.SetOrgPermissions(sandbox.AivenOrganizationID, []string{"admin"})

	off := newDriver(t, e.deps, Options{Project: "tsdb-prod", NoAutoRefresh: true}, 160, 60)
	openDetail(t, off, "prod-vnet")
	off.press("C")
	if off.m.overlay != nil || !strings.Contains(off.m.status, "connectivity check needs") {
		t.Errorf("C without a probe: overlay %T, status %q", off.m.overlay, off.m.status)
	}
}
