package peering_test

// The connectivity check against the sandbox's services, through the real
// Aiven adapter and netcheck's probe, from hosts the sandbox places inside
// the peered VNet or on the Internet.

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/azpeer/azpeer/netcheck"
	"github.com/azpeer/azpeer/peering"
	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

// kinds are the finding kinds of each service.
func kinds(rep peering.ConnectivityReport) map[string][]string {
	out := map[string][]string{}
	for _, sc := range rep.Services {
		for _, f := range sc.Findings {
			out[sc.Service.Name] = append(out[sc.Service.Name], f.Kind)
		}
	}
	return out
}

func TestConnectivityCheck(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Options{})
	run := openRun(t, e.runbook(), stagingTarget(), peering.Options{})
	runAll(t, run, "create the staging peering")
	run.Close()
	plainDNS := e.Sandbox.DNSAddr(false)
	tests := []struct {
		name    string
		host    sandbox.HostSpec
		dns     string
		verdict peering.Verdict
		want    map[string][]string // service → kinds it must have
		wantNot map[string][]string
	}{
		{"a VM in the peered VNet", sandbox.HostSpec{VNetID: sandboxtest.AppVNetID}, "", peering.VerdictUnhealthy,
			map[string][]string{
				"pg-orders":  {peering.ConnReachable},
				"pg-billing": {peering.ConnAllowList, peering.ConnNoAnswer},
				"pg-reports": {peering.ConnReachable, peering.ConnPublicReach},
				"pg-archive": {peering.ConnNotRunning, peering.ConnPortClosed},
				// Something else's certificate at the address, or
				// another service's: never reachable.
				"pg-intercepted": {peering.ConnTLSUntrusted},
				"pg-misrouted":   {peering.ConnTLSNameMismatch},
			}, map[string][]string{"pg-orders": {peering.ConnOutsideVNet, peering.ConnTLSUnverified},
				"pg-intercepted": {peering.ConnReachable}, "pg-misrouted": {peering.ConnReachable}}},
		{"a laptop on the Internet", sandbox.HostSpec{}, "", peering.VerdictUnhealthy,
			map[string][]string{
				"pg-orders":  {peering.ConnOutsideVNet},
				"pg-reports": {peering.ConnPublicReach, peering.ConnOutsideVNet},
			}, map[string][]string{"pg-orders": {peering.ConnReachable, peering.ConnNoAnswer}}},
		{"a VM whose resolver drops private answers", sandbox.HostSpec{VNetID: sandboxtest.AppVNetID, RebindingProtection: true}, plainDNS, peering.VerdictUnhealthy,
			map[string][]string{"pg-orders": {peering.ConnDNSDropped, peering.ConnReachable}},
			map[string][]string{"pg-orders": {peering.ConnDNSFailed}}},
		{"a laptop whose resolver drops private answers, no other server", sandbox.HostSpec{RebindingProtection: true}, "", peering.VerdictUnhealthy,
			map[string][]string{"pg-orders": {peering.ConnDNSFailed}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := e.Sandbox.Host(tt.host)
			if err != nil {
				t.Fatal(err)
			}
			rep := e.runbook().CheckConnectivity(ctxFor(t), stagingTarget(), netcheck.Probe{Host: h},
				peering.ConnectivityOptions{DNSServer: tt.dns, Timeout: 300 * time.Millisecond})
			got := kinds(rep)
			for sv, ks := range tt.want {
				for _, k := range ks {
					if !slices.Contains(got[sv], k) {
						t.Errorf("%s: kinds %v, want %s", sv, got[sv], k)
					}
				}
			}
			for sv, ks := range tt.wantNot {
				for _, k := range ks {
					if slices.Contains(got[sv], k) {
						t.Errorf("%s: kinds %v, must not have %s", sv, got[sv], k)
					}
				}
			}
			if rep.Verdict != tt.verdict {
				t.Errorf("verdict %s, want %s (unchecked %v)", rep.Verdict, tt.verdict, rep.Unchecked)
			}
			for _, sc := range rep.Services {
				if sc.Service.VPCID != "" && !slices.ContainsFunc(sc.Commands, func(c string) bool { return strings.HasPrefix(c, "openssl s_client -connect "+sc.Service.Name) }) {
					t.Errorf("%s: commands %v lack openssl s_client", sc.Service.Name, sc.Commands)
				}
			}
		})
	}

	// A token that cannot read the project's CA (Aiven's spec asks
	// organization:projects:write): the handshake is seen, but no service
	// is called reachable, and the check is not healthy.
	t.Run("the project CA unreadable", func(t *testing.T) {
		if !e.Sandbox.SetOrgPermissions(sandbox.AivenOrganizationID, []string{"organization:networking:read"}) {
			t.Fatal("SetOrgPermissions")
		}
		defer e.Sandbox.SetOrgPermissions(sandbox.AivenOrganizationID, []string{"admin"})
		h, err := e.Sandbox.Host(sandbox.HostSpec{VNetID: sandboxtest.AppVNetID})
		if err != nil {
			t.Fatal(err)
		}
		rep := e.runbook().CheckConnectivity(ctxFor(t), stagingTarget(), netcheck.Probe{Host: h}, peering.ConnectivityOptions{Timeout: 300 * time.Millisecond})
		got := kinds(rep)
		for _, sv := range []string{"pg-orders", "pg-intercepted", "pg-misrouted"} {
			if !slices.Contains(got[sv], peering.ConnTLSUnverified) || slices.Contains(got[sv], peering.ConnReachable) {
				t.Errorf("%s: kinds %v, want %s and not %s", sv, got[sv], peering.ConnTLSUnverified, peering.ConnReachable)
			}
		}
		if rep.Verdict == peering.VerdictHealthy {
			t.Errorf("verdict %s with the CA unread", rep.Verdict)
		}
	})

	// A VM in a range added to the VNet: Aiven's side routes it only once
	// synced.
	if err := e.Sandbox.SetVNetAddressSpace(sandboxtest.AppVNetID, []string{"10.2.0.0/16", "10.4.0.0/16"}); err != nil {
		t.Fatal(err)
	}
	h, err := e.Sandbox.Host(sandbox.HostSpec{VNetID: sandboxtest.AppVNetID, Addr: "10.4.0.4"})
	if err != nil {
		t.Fatal(err)
	}
	check := func() []string {
		rep := e.runbook().CheckConnectivity(ctxFor(t), stagingTarget(), netcheck.Probe{Host: h}, peering.ConnectivityOptions{Timeout: 300 * time.Millisecond})
		return kinds(rep)["pg-orders"]
	}
	if k := check(); !slices.Contains(k, peering.ConnNoAnswer) {
		t.Errorf("from the new range before the sync: %v, want %s", k, peering.ConnNoAnswer)
	}
	if res := e.runbook().Sync(ctxFor(t), stagingTarget(), nil); res.Outcome != peering.WaitReached {
		t.Fatalf("sync: %s %v", res.Outcome, res.Err)
	}
	if k := check(); !slices.Contains(k, peering.ConnReachable) {
		t.Errorf("from the new range after the sync: %v, want %s", k, peering.ConnReachable)
	}
}
