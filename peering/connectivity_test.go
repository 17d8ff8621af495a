package peering

import (
	"slices"
	"strings"
	"testing"
)

// What a connect saw at the service's private address, read as the user
// needs it: the TLS outcomes are told apart, since each has its own cause.
func TestInterpretServiceConnectOutcomes(t *testing.T) {
	rep := ConnectivityReport{
		Target:     Target{VPCID: "vpc-1"},
		VPCCIDR:    "10.30.0.0/24",
		VNetRanges: []string{"10.2.0.0/16"},
		Inside:     true,
	}
	sv := Service{Name: "pg-orders", Type: "pg", State: "RUNNING", VPCID: "vpc-1", IPFilter: []string{"10.2.0.0/16"},
		Components: []Component{{Component: "pg", Host: "pg-orders.example", Port: 13041, Route: "dynamic"}}}
	tests := []struct {
		connect ProbeResult
		want    string
		wantNot string
	}{
		{ProbeResult{TCP: "ok", TLS: "ok", Cert: &CertCheck{Verdict: CertVerified}}, ConnReachable, ConnTLSFailed},
		{ProbeResult{TCP: "ok", TLS: "ok", Cert: &CertCheck{Verdict: CertUntrusted}}, ConnTLSUntrusted, ConnReachable},
		{ProbeResult{TCP: "ok", TLS: "ok", Cert: &CertCheck{Verdict: CertNameMismatch}}, ConnTLSNameMismatch, ConnReachable},
		{ProbeResult{TCP: "ok", TLS: "ok", Cert: &CertCheck{Verdict: CertExpired}}, ConnTLSExpired, ConnReachable},
		{ProbeResult{TCP: "ok", TLS: "ok", Cert: &CertCheck{Verdict: CertUnchecked}}, ConnTLSUnverified, ConnReachable},
		{ProbeResult{TCP: "ok", TLS: "ok"}, ConnTLSUnverified, ConnReachable},
		{ProbeResult{TCP: "ok", TLS: "not-postgres", Detail: "began with 'H'"}, ConnNotPostgres, ConnReachable},
		{ProbeResult{TCP: "ok", TLS: "refused", Detail: "answered 'N'"}, ConnTLSFailed, ConnNotPostgres},
		{ProbeResult{TCP: "ok", TLS: "failed", Detail: "handshake failure"}, ConnTLSFailed, ConnReachable},
		{ProbeResult{TCP: "refused"}, ConnPortClosed, ConnReachable},
		{ProbeResult{TCP: "timeout"}, ConnNoAnswer, ConnReachable},
	}
	for _, tt := range tests {
		name := tt.connect.TCP + "/" + tt.connect.TLS
		if tt.connect.Cert != nil {
			name += "/" + tt.connect.Cert.Verdict
		}
		t.Run(name, func(t *testing.T) {
			probes := []RouteProbe{{Component: sv.Components[0], Addrs: []string{"10.30.0.10"}, Addr: "10.30.0.10", Connect: tt.connect}}
			var got []string
			for _, f := range InterpretService(rep, sv, probes).Findings {
				got = append(got, f.Kind)
			}
			if !slices.Contains(got, tt.want) || slices.Contains(got, tt.wantNot) {
				t.Errorf("kinds %v, want %s and not %s", got, tt.want, tt.wantNot)
			}
		})
	}
}

// An unknown verdict names what could not be checked: the private routes
// (outside the VNet), the certificates (the project CA unread), or both.
func TestConnectivityUnknownWhy(t *testing.T) {
	tests := []struct {
		kinds []string
		want  string
	}{
		{[]string{ConnOutsideVNet}, "private routes could not be checked"},
		{[]string{ConnTLSUnverified}, "certificates could not be verified"},
		{[]string{ConnTLSUnverified, ConnOutsideVNet}, "neither the private routes nor the services' certificates"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.kinds, "+"), func(t *testing.T) {
			var sc ServiceCheck
			for _, k := range tt.kinds {
				sc.Findings = append(sc.Findings, ConnFinding{Kind: k, Severity: SeverityInfo})
			}
			rep := ConnectivityReport{Services: []ServiceCheck{sc}}
			if v := connVerdict(rep); v != VerdictUnknown {
				t.Errorf("verdict %s, want %s", v, VerdictUnknown)
			}
			if got := rep.UnknownWhy(); !strings.Contains(got, tt.want) {
				t.Errorf("%q, want it to say %q", got, tt.want)
			}
		})
	}
}
