package netcheck_test

import (
	"context"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/azpeer/azpeer/netcheck"
	"github.com/azpeer/azpeer/peering"
	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

// The probe against the sandbox's DNS servers, listeners and hosts, and
// this machine's network for a closed port and an unanswered dial.
func TestProbe(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	ctx := sandboxtest.Context(t)
	vm, err := s.Host(sandbox.HostSpec{VNetID: sandboxtest.ProdVNetID})
	if err != nil {
		t.Fatal(err)
	}
	p := netcheck.Probe{Host: vm}
	const host = "pg-prod-tsdb-prod.a.aivencloud.com"
	if got, err := p.ResolveAt(ctx, s.DNSAddr(false), host); err != nil || !slices.Equal(got, []string{"10.10.0.10"}) {
		t.Errorf("public-style DNS: %v, %v", got, err)
	}
	if got, err := p.ResolveAt(ctx, s.DNSAddr(true), host); err == nil || !strings.Contains(err.Error(), "NOERROR") {
		t.Errorf("rebinding-protected DNS: %v, %v (want no address, NOERROR)", got, err)
	}
	if _, err := p.ResolveAt(ctx, s.DNSAddr(false), "nope.a.aivencloud.com"); err == nil || !strings.Contains(err.Error(), "NXDOMAIN") {
		t.Errorf("unknown name: %v", err)
	}
	if _, err := p.ResolveAt(ctx, "1.1.1.1", host); err == nil || !strings.Contains(err.Error(), "HOST:PORT") {
		t.Errorf("a server without a port: %v", err)
	}

	// This machine: a loopback port nothing listens on, and a dial that
	// the deadline ends.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	sys := netcheck.Probe{Host: netcheck.System{}}
	if r := sys.Connect(ctx, "127.0.0.1", port, &peering.PostgresTLS{Host: host}); r.TCP != "refused" {
		t.Errorf("a closed port: %+v", r)
	}
	// Something that is not PostgreSQL (an HTTP proxy) and a PostgreSQL
	// without TLS, each on a loopback port of this machine.
	for _, tc := range []struct {
		answer, want string
	}{{"HTTP/1.1 400 Bad Request\r\n\r\n", "not-postgres"}, {"N", "refused"}} {
		other, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			c, err := other.Accept()
			if err != nil {
				return
			}
			defer c.Close()
			var req [8]byte
			_, _ = io.ReadFull(c, req[:])
			_, _ = io.WriteString(c, tc.answer)
		}()
		r := sys.Connect(ctx, "127.0.0.1", other.Addr().(*net.TCPAddr).Port, &peering.PostgresTLS{Host: host})
		_ = other.Close()
		if r.TCP != "ok" || r.TLS != tc.want {
			t.Errorf("a server answering %q to SSLRequest: %+v, want TLS %q", tc.answer, r, tc.want)
		}
	}
	laptop, err := s.Host(sandbox.HostSpec{})
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if r := (netcheck.Probe{Host: laptop}).Connect(short, "10.10.0.10", 13046, &peering.PostgresTLS{Host: host}); r.TCP != "timeout" {
		t.Errorf("a private address from the Internet: %+v", r)
	}
	if addrs, err := sys.LocalAddrs(ctx); err != nil || slices.ContainsFunc(addrs, netip.Addr.IsLoopback) {
		t.Errorf("local addresses %v, %v", addrs, err)
	}
}

// The certificate pg-prod's address presents, checked against the CA the
// Aiven adapter reads (GET /v1/project/{project}/kms/ca), in each
// situation the sandbox emulates: only the service's own certificate, for
// its own name, verifies; without a CA nothing is called verified.
func TestProbeCertificate(t *testing.T) {
	env := sandboxtest.New(t, sandbox.Options{})
	s, ctx := env.Sandbox, sandboxtest.Context(t)
	vm, err := s.Host(sandbox.HostSpec{VNetID: sandboxtest.ProdVNetID})
	if err != nil {
		t.Fatal(err)
	}
	const host = "pg-prod-tsdb-prod.a.aivencloud.com"
	prodCA, err := env.Aiven.ProjectCA(ctx, "tsdb-prod")
	if err != nil {
		t.Fatal(err)
	}
	stagingCA, err := env.Aiven.ProjectCA(ctx, "tsdb-staging")
	if err != nil || stagingCA == prodCA {
		t.Fatalf("tsdb-staging's CA: %v (the same as tsdb-prod's: %t)", err, stagingCA == prodCA)
	}
	tests := []struct {
		name, presents string
		pg             peering.PostgresTLS
		want           string
		detail         string
	}{
		{"the service's own certificate", "", peering.PostgresTLS{Host: host, CA: []byte(prodCA)}, peering.CertVerified, ""},
		{"another project's CA", "", peering.PostgresTLS{Host: host, CA: []byte(stagingCA)}, peering.CertUntrusted, "unknown authority"},
		{"another host name", "", peering.PostgresTLS{Host: "pg-orders-tsdb-prod.a.aivencloud.com", CA: []byte(prodCA)}, peering.CertNameMismatch, "pg-orders"},
		{"an intercepting proxy's certificate", sandbox.PresentsSelfSigned, peering.PostgresTLS{Host: host, CA: []byte(prodCA)}, peering.CertUntrusted, "unknown authority"},
		{"another service's certificate", sandbox.PresentsOtherName, peering.PostgresTLS{Host: host, CA: []byte(prodCA)}, peering.CertNameMismatch, host},
		{"an expired certificate", sandbox.PresentsExpired, peering.PostgresTLS{Host: host, CA: []byte(prodCA)}, peering.CertExpired, "expired"},
		{"no CA", "", peering.PostgresTLS{Host: host, CAError: "403 Permission denied"}, peering.CertUnchecked, "403 Permission denied"},
		{"a CA that is not PEM", "", peering.PostgresTLS{Host: host, CA: []byte("certificate")}, peering.CertUnchecked, "not a PEM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !s.SetServicePresents("tsdb-prod", "pg-prod", tt.presents) {
				t.Fatal("SetServicePresents")
			}
			r := netcheck.Probe{Host: vm}.Connect(ctx, "10.10.0.10", 13046, &tt.pg)
			if r.TCP != "ok" || r.TLS != "ok" || r.Cert == nil {
				t.Fatalf("connect: %+v", r)
			}
			if c := r.Cert; c.Verdict != tt.want || !strings.Contains(c.Detail, tt.detail) || c.Subject == "" || c.Issuer == "" || c.NotAfter.IsZero() {
				t.Errorf("certificate %+v, want %s with detail containing %q", c, tt.want, tt.detail)
			}
		})
	}
}
