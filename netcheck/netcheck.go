// Package netcheck is the machine a connectivity check runs on, for
// package peering's ConnectivityProbe: this machine's addresses, its
// resolver or a DNS server by address (github.com/miekg/dns's client), a
// TCP connect, and PostgreSQL's SSLRequest and TLS handshake — each with
// the caller's deadline.
package netcheck

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"

	"github.com/miekg/dns"

	"github.com/azpeer/azpeer/peering"
)

// Host is where the probe runs: this machine (System) or, in tests and
// with --sandbox, a host of the sandbox's emulated network.
type Host interface {
	LocalAddrs(ctx context.Context) ([]netip.Addr, error)
	LookupHost(ctx context.Context, host string) ([]string, error)
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// System is this machine: its interfaces, the system resolver, and its
// network.
type System struct{}

// LocalAddrs lists this machine's interface addresses (loopback left out).
func (System) LocalAddrs(context.Context) ([]netip.Addr, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, fmt.Errorf("list this machine's addresses: %w", err)
	}
	var out []netip.Addr
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil && !p.Addr().IsLoopback() {
			out = append(out, p.Addr().Unmap())
		}
	}
	return out, nil
}

// LookupHost resolves with the system resolver.
func (System) LookupHost(ctx context.Context, host string) ([]string, error) {
	return net.DefaultResolver.LookupHost(ctx, host)
}

// DialContext dials over this machine's network.
func (System) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, network, address)
}

// Probe implements peering.ConnectivityProbe over a Host.
type Probe struct{ Host Host }

var _ peering.ConnectivityProbe = Probe{}

// LocalAddrs are the host's addresses.
func (p Probe) LocalAddrs(ctx context.Context) ([]netip.Addr, error) { return p.Host.LocalAddrs(ctx) }

// Resolve resolves with the host's resolver.
func (p Probe) Resolve(ctx context.Context, host string) ([]string, error) {
	return p.Host.LookupHost(ctx, host)
}

// ResolveAt asks the DNS server (host:port) for host's A records.
func (p Probe) ResolveAt(ctx context.Context, server, host string) ([]string, error) {
	if _, _, err := net.SplitHostPort(server); err != nil {
		return nil, fmt.Errorf("--dns-server %q: want HOST:PORT, e.g. 1.1.1.1:53: %w", server, err)
	}
	c := &dns.Client{Net: "udp", Timeout: 3 * time.Second}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(host), dns.TypeA)
	r, _, err := c.ExchangeContext(ctx, m, server)
	if err != nil {
		return nil, fmt.Errorf("ask %s for %s: %w", server, host, err)
	}
	var out []string
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); ok {
			out = append(out, a.A.String())
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s has no address for %s (%s)", server, host, dns.RcodeToString[r.Rcode])
	}
	return out, nil
}

// sslRequest is PostgreSQL's SSLRequest: length 8, code 80877103
// (1234<<16 | 5679), as the protocol's "SSL Session Encryption" section
// gives it.
var sslRequest = []byte{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}

// Connect opens a TCP connection to addr:port within ctx's deadline and,
// for PostgreSQL (pg non-nil), sends SSLRequest, completes a TLS
// handshake and checks the certificate as psql's sslmode=verify-full
// does: it must chain to the project's CA and name the host (checkCert).
func (p Probe) Connect(ctx context.Context, addr string, port int, pg *peering.PostgresTLS) peering.ProbeResult {
	c, err := p.Host.DialContext(ctx, "tcp", net.JoinHostPort(addr, fmt.Sprint(port)))
	if err != nil {
		res := peering.ProbeResult{TCP: "error", Detail: err.Error()}
		switch {
		case errors.Is(err, syscall.ECONNREFUSED):
			res.TCP = "refused"
		case errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
			res.TCP = "timeout"
		}
		return res
	}
	defer c.Close()
	res := peering.ProbeResult{TCP: "ok"}
	if pg == nil {
		return res
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	if _, err := c.Write(sslRequest); err != nil {
		res.TLS, res.Detail = "failed", err.Error()
		return res
	}
	var b [1]byte
	if _, err := io.ReadFull(c, b[:]); err != nil {
		res.TLS, res.Detail = "failed", "no answer to SSLRequest: "+err.Error()
		return res
	}
	switch b[0] {
	case 'S':
	case 'N':
		// PostgreSQL's "no TLS here" (the protocol's SSLRequest section).
		res.TLS, res.Detail = "refused", "the server answered 'N' to SSLRequest: it does not offer TLS"
		return res
	default:
		// Not PostgreSQL at all: often an HTTP proxy or a middlebox that
		// takes every connection ('H' begins "HTTP/1.1 400").
		res.TLS, res.Detail = "not-postgres", fmt.Sprintf("the answer to SSLRequest began with %q, which no PostgreSQL server sends", b[0])
		return res
	}
	// The handshake takes any certificate so that checkCert can say what
	// was wrong with it; nothing is sent over the connection after it.
	// ServerName is sent as SNI, as libpq does (sslsni=1 by default).
	tc := tls.Client(c, &tls.Config{ServerName: pg.Host, InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}) //nolint:gosec // verified by checkCert
	if err := tc.HandshakeContext(ctx); err != nil {
		res.TLS, res.Detail = "failed", err.Error()
		return res
	}
	res.TLS = "ok"
	if certs := tc.ConnectionState().PeerCertificates; len(certs) > 0 {
		res.Issuer = certs[0].Issuer.CommonName
		cc := checkCert(certs, *pg, time.Now())
		res.Cert = &cc
	}
	return res
}

// checkCert verifies a presented chain against the project's CA and host
// name, as libpq's sslmode=verify-full does ("verify that the server
// certificate is actually emitted by the Aiven CA" and "HTTPS-like
// validation on the hostname", aiven.io/docs/platform/concepts/
// tls-ssl-certificates). Go checks only the certificate's DNS names, not
// a common name without them; Aiven's certificates carry DNS names.
// Without a CA it says why it could not verify, never that it verified.
func checkCert(chain []*x509.Certificate, pg peering.PostgresTLS, now time.Time) peering.CertCheck {
	leaf := chain[0]
	cc := peering.CertCheck{Subject: leaf.Subject.CommonName, Issuer: leaf.Issuer.String(), NotAfter: leaf.NotAfter, Names: leaf.DNSNames}
	if cc.Subject == "" {
		cc.Subject = leaf.Subject.String()
	}
	roots := x509.NewCertPool()
	switch {
	case len(pg.CA) == 0:
		cc.Verdict, cc.Detail = peering.CertUnchecked, orText(pg.CAError, "no project CA to check it against")
		return cc
	case !roots.AppendCertsFromPEM(pg.CA):
		cc.Verdict, cc.Detail = peering.CertUnchecked, "the project CA Aiven gave is not a PEM certificate"
		return cc
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{DNSName: pg.Host, Roots: roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	var invalid x509.CertificateInvalidError
	var host x509.HostnameError
	switch {
	case err == nil:
		cc.Verdict = peering.CertVerified
		return cc
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		cc.Verdict = peering.CertExpired
	case errors.As(err, &host):
		cc.Verdict = peering.CertNameMismatch
	default:
		// x509.UnknownAuthorityError and any other refusal of the chain.
		cc.Verdict = peering.CertUntrusted
	}
	cc.Detail = err.Error()
	return cc
}

func orText(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
