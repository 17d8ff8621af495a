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
	if r := p.Connect(ctx, "10.10.0.10", 13046, true); r.TCP != "ok" || r.TLS != "ok" || r.Issuer == "" {
		t.Errorf("pg-prod from a VM: %+v", r)
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
	if r := sys.Connect(ctx, "127.0.0.1", port, true); r.TCP != "refused" {
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
		r := sys.Connect(ctx, "127.0.0.1", other.Addr().(*net.TCPAddr).Port, true)
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
	if r := (netcheck.Probe{Host: laptop}).Connect(short, "10.10.0.10", 13046, true); r.TCP != "timeout" {
		t.Errorf("a private address from the Internet: %+v", r)
	}
	if addrs, err := sys.LocalAddrs(ctx); err != nil || slices.ContainsFunc(addrs, netip.Addr.IsLoopback) {
		t.Errorf("local addresses %v, %v", addrs, err)
	}
}
