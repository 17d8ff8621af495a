package sandbox

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// The network behind the services' connection information, for
// connectivity checks, all on 127.0.0.0/8:
//
//   - two DNS servers (github.com/miekg/dns) that answer the services'
//     host names as Aiven's public DNS does — a VPC service's dynamic
//     name with its private address, a public name with a public one —
//     and one of them as a home or office resolver with DNS rebinding
//     protection does: private answers dropped, NOERROR with no address
//     (knot-resolver's rebinding module "blocking answers which contain
//     IPv4 or IPv6 addresses for private use"; routers answer "NOERROR
//     with an empty answer (or NXDOMAIN)", as a public write-up of the
//     gotcha shows);
//   - one TCP listener per service that speaks enough of PostgreSQL's
//     protocol to prove a connection: to an SSLRequest (length 8, code
//     80877103) it answers 'S' and a TLS handshake with a certificate of
//     the service's project CA for the service's names (or, in the
//     emulated situations of AivenService.Presents, another one); to
//     anything else it closes, as a server that requires SSL does;
//   - hosts (Server.Host): where a check runs, inside one of the user's
//     VNets or on the Internet. A host's Dial goes to the service's
//     listener only where the real network would carry the packets: a
//     private address from inside a VNet whose peering with the VPC's
//     network is Connected on both sides, both allowing virtual network
//     access, the host's address within what Aiven's side routes (its
//     synced remoteAddressSpace) and the service's within what the VNet's
//     side routes; a public address from anywhere. The service's ip_filter
//     is checked against the host's address as the service sees it. What
//     is dropped times out when the caller's deadline ends; a closed port
//     is refused by the kernel (a dial of a loopback port nothing listens
//     on). The sandbox decides reachability itself: a check cannot
//     pretend to be inside a VNet except through a host the sandbox made.

// netsim is the running network emulation.
type netsim struct {
	dnsPlain, dnsProtect   *dns.Server
	plainAddr, protectAddr string
	// listeners by lower-case project/service.
	mu        sync.Mutex
	listeners map[string]net.Listener
	// closedPort is a loopback port nothing listens on.
	closedPort int
	wg         sync.WaitGroup
}

// startNetsim starts the DNS servers and the services' listeners.
func (s *Server) startNetsim() error {
	n := &netsim{listeners: map[string]net.Listener{}}
	var err error
	if n.dnsPlain, n.plainAddr, err = s.serveDNS(false); err != nil {
		return err
	}
	if n.dnsProtect, n.protectAddr, err = s.serveDNS(true); err != nil {
		_ = n.dnsPlain.Shutdown()
		return err
	}
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	n.closedPort = probe.Addr().(*net.TCPAddr).Port
	_ = probe.Close()
	s.net = n
	return nil
}

func (s *Server) closeNetsim() {
	n := s.net
	if n == nil {
		return
	}
	_ = n.dnsPlain.Shutdown()
	_ = n.dnsProtect.Shutdown()
	n.mu.Lock()
	for _, l := range n.listeners {
		_ = l.Close()
	}
	n.mu.Unlock()
	n.wg.Wait()
}

// serveDNS starts a DNS server over UDP on loopback.
func (s *Server) serveDNS(protect bool) (*dns.Server, string, error) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return nil, "", fmt.Errorf("sandbox: DNS server: %w", err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative = true
		for _, q := range r.Question {
			addr, known := s.resolveName(strings.TrimSuffix(strings.ToLower(q.Name), "."))
			switch {
			case !known:
				m.Rcode = dns.RcodeNameError
			case protect && addr.IsPrivate():
				// Rebinding protection: the answer dropped, NOERROR.
			case q.Qtype == dns.TypeA && addr.Is4():
				m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: addr.AsSlice()})
			}
		}
		_ = w.WriteMsg(m)
	})}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go func() { _ = srv.ActivateAndServe() }()
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		return nil, "", errors.New("sandbox: the DNS server did not start")
	}
	return srv, pc.LocalAddr().String(), nil
}

// DNSAddr is the loopback address (host:port, UDP) of the sandbox's DNS
// server that answers as public DNS does, or, with protect, as a resolver
// with DNS rebinding protection does.
func (s *Server) DNSAddr(protect bool) string {
	if s.net == nil {
		return ""
	}
	if protect {
		return s.net.protectAddr
	}
	return s.net.plainAddr
}

// resolveName is the address behind a service's host name.
func (s *Server) resolveName(name string) (netip.Addr, bool) {
	world, unlock := s.lock()
	defer unlock()
	for _, p := range world.Aiven.Projects {
		for _, sv := range p.Services {
			for _, r := range sv.routes() {
				if sv.hostOf(p.Name, r) != name {
					continue
				}
				ip := sv.PublicIP
				if r == routeDynamic && sv.VPCID != "" {
					ip = sv.PrivateIP
				}
				a, err := netip.ParseAddr(ip)
				return a, err == nil
			}
		}
	}
	return netip.Addr{}, false
}

// listenerFor is the service's loopback listener, started the first time.
func (s *Server) listenerFor(project string, sv *AivenService, presents string) (string, error) {
	n := s.net
	key := strings.ToLower(project + "/" + sv.Name + "/" + presents)
	n.mu.Lock()
	defer n.mu.Unlock()
	if l, ok := n.listeners[key]; ok {
		return l.Addr().String(), nil
	}
	hosts := []string{}
	for _, r := range sv.routes() {
		hosts = append(hosts, sv.hostOf(project, r))
	}
	leaf, err := s.serviceLeaf(project, presents, hosts)
	if err != nil {
		return "", err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	n.listeners[key] = l
	cfg := &tls.Config{Certificates: []tls.Certificate{*leaf}, MinVersion: tls.VersionTLS12}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go servePostgres(c, cfg)
		}
	}()
	return l.Addr().String(), nil
}

// serviceLeaf is the certificate presented at the service's address. A
// service's own is of its project's CA ("All the services in a project
// share the same Certificate Authority", aiven.io/docs/platform/concepts/
// tls-ssl-certificates, which verify-full checks against the host name).
// It names every route's host: no public source says whether the public
// route's name is in the same certificate or another one; the sandbox
// uses one.
func (s *Server) serviceLeaf(project, presents string, hosts []string) (*tls.Certificate, error) {
	if presents == PresentsSelfSigned {
		return selfSigned(hosts[0])
	}
	pca, err := s.ca.projectCA(project)
	if err != nil {
		return nil, err
	}
	switch presents {
	case PresentsOtherName:
		return pca.leafFor("pg-other-"+strings.ToLower(project)+".a.aivencloud.com", 365*24*time.Hour)
	case PresentsExpired:
		return pca.leafFor(hosts[0], -24*time.Hour, hosts[1:]...)
	}
	return pca.leafFor(hosts[0], 365*24*time.Hour, hosts[1:]...)
}

// sslRequestCode is PostgreSQL's SSLRequest code (1234 << 16 | 5679).
const sslRequestCode = 80877103

// servePostgres answers what a PostgreSQL server that requires SSL
// answers before authentication: 'S' and TLS to an SSLRequest.
func servePostgres(c net.Conn, cfg *tls.Config) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	var hdr [8]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		return
	}
	if binary.BigEndian.Uint32(hdr[:4]) != 8 || binary.BigEndian.Uint32(hdr[4:]) != sslRequestCode {
		return // a plaintext startup: refused, as with sslmode require
	}
	if _, err := c.Write([]byte{'S'}); err != nil {
		return
	}
	tc := tls.Server(c, cfg)
	if err := tc.Handshake(); err != nil {
		return
	}
	// Wait for the client to go (a check closes after the handshake).
	_, _ = io.Copy(io.Discard, tc)
}

// HostSpec says where a connectivity check runs.
type HostSpec struct {
	// VNetID is the user's VNet the host is in; "" is the Internet (a
	// laptop at home).
	VNetID string
	// Addr is the host's address: default the fifth address of the
	// VNet's first range (Azure keeps the first four), or 198.51.100.7
	// (RFC 5737) on the Internet.
	Addr string
	// PublicAddr is the address the host's traffic to public addresses
	// comes from (its NAT), default 198.51.100.7.
	PublicAddr string
	// RebindingProtection makes the host's resolver drop private answers,
	// as many home routers do.
	RebindingProtection bool
}

// Host is a machine a connectivity check runs on. Its methods are what a
// check needs of the machine it runs on: its addresses, its resolver, and
// dialling out.
type Host struct {
	s                *Server
	vnetID           string
	addr, publicAddr netip.Addr
	resolver         string
}

// Host makes a host for connectivity checks (see HostSpec).
func (s *Server) Host(spec HostSpec) (*Host, error) {
	if s.net == nil {
		return nil, errors.New("sandbox: not started")
	}
	h := &Host{s: s, vnetID: spec.VNetID, resolver: s.net.plainAddr}
	if spec.RebindingProtection {
		h.resolver = s.net.protectAddr
	}
	pub := spec.PublicAddr
	if pub == "" {
		pub = "198.51.100.7"
	}
	var err error
	if h.publicAddr, err = netip.ParseAddr(pub); err != nil {
		return nil, fmt.Errorf("sandbox: host public address %q: %w", pub, err)
	}
	addr := spec.Addr
	if addr == "" {
		addr = pub
		if spec.VNetID != "" {
			world, unlock := s.lock()
			v := world.vnet(spec.VNetID)
			if v == nil || len(v.AddressPrefixes) == 0 {
				unlock()
				return nil, fmt.Errorf("sandbox: no virtual network %s", spec.VNetID)
			}
			p, err := netip.ParsePrefix(v.AddressPrefixes[0])
			unlock()
			if err != nil {
				return nil, err
			}
			a := p.Masked().Addr()
			for range 4 {
				a = a.Next()
			}
			addr = a.String()
		}
	}
	if h.addr, err = netip.ParseAddr(addr); err != nil {
		return nil, fmt.Errorf("sandbox: host address %q: %w", addr, err)
	}
	return h, nil
}

// LocalAddrs are the host's addresses (its interfaces'), as a machine
// lists them.
func (h *Host) LocalAddrs(context.Context) ([]netip.Addr, error) {
	return []netip.Addr{h.addr}, nil
}

// LookupHost resolves a name with the host's resolver, over UDP.
func (h *Host) LookupHost(ctx context.Context, name string) ([]string, error) {
	return LookupWith(ctx, h.resolver, name)
}

// LookupWith resolves name's A records at a DNS server (host:port) with
// miekg/dns's client, as a resolver library does; no address is an
// error naming the answer's code.
func LookupWith(ctx context.Context, server, name string) ([]string, error) {
	c := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), dns.TypeA)
	r, _, err := c.ExchangeContext(ctx, m, server)
	if err != nil {
		return nil, &net.DNSError{Err: err.Error(), Name: name, Server: server}
	}
	var out []string
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); ok {
			out = append(out, a.A.String())
		}
	}
	if len(out) == 0 {
		return nil, &net.DNSError{Err: "no address (" + dns.RcodeToString[r.Rcode] + ")", Name: name, Server: server, IsNotFound: true}
	}
	return out, nil
}

// DialContext connects to address (ip:port) as the host would, through
// the emulated network (see the comment at the top of the file).
func (h *Host) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("address %q: %w", address, err)}
	}
	target, err := h.route(ap)
	if err != nil {
		return nil, err
	}
	switch target {
	case "":
		// Dropped on the way: the SYN goes unanswered until the deadline.
		<-ctx.Done()
		return nil, &net.OpError{Op: "dial", Net: network, Addr: net.TCPAddrFromAddrPort(ap), Err: os.ErrDeadlineExceeded}
	case "closed":
		target = "127.0.0.1:" + strconv.Itoa(h.s.net.closedPort)
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", target)
}

// route is where a connection from the host to ap goes: a listener's
// address, "closed", or "" (dropped).
func (h *Host) route(ap netip.AddrPort) (string, error) {
	s := h.s
	world, unlock := s.lock()
	var project string
	var sv *AivenService
	private := false
	for _, p := range world.Aiven.Projects {
		for _, x := range p.Services {
			if x.Port != int(ap.Port()) {
				continue
			}
			switch ap.Addr().String() {
			case x.PrivateIP:
				project, sv, private = p.Name, x, x.VPCID != ""
			case x.PublicIP:
				if x.VPCID == "" || x.PublicAccess {
					project, sv = p.Name, x
				}
			}
		}
	}
	if sv == nil {
		unlock()
		return "", nil
	}
	from := h.publicAddr
	if private {
		from = h.addr
		if !world.carries(h, project, sv) {
			unlock()
			return "", nil
		}
	}
	allowed := false
	for _, f := range sv.IPFilter {
		if p, err := netip.ParsePrefix(f); err == nil && p.Contains(from) {
			allowed = true
		}
	}
	closed, presents := sv.Closed, sv.Presents
	unlock()
	switch {
	case !allowed:
		return "", nil
	case closed:
		return "closed", nil
	}
	return s.listenerFor(project, sv, presents)
}

// carries reports whether the network carries the host's packets to the
// service's private address over a peering. Expects world.mu held.
func (world *World) carries(h *Host, project string, sv *AivenService) bool {
	p := world.project(project)
	if p == nil || h.vnetID == "" {
		return false
	}
	vpc := world.serviceVPC(p, sv.VPCID)
	user := world.vnet(h.vnetID)
	if vpc == nil || user == nil {
		return false
	}
	aivenVNet := world.vnet(vpc.AzureVNetID)
	if aivenVNet == nil {
		return false
	}
	mine, theirs := user.peeringTo(aivenVNet.ID), aivenVNet.peeringTo(user.ID)
	if mine == nil || theirs == nil || mine.PeeringState != "Connected" || theirs.PeeringState != "Connected" ||
		!mine.AllowVirtualNetworkAccess || !theirs.AllowVirtualNetworkAccess {
		return false
	}
	within := func(ranges []string, a string) bool {
		addr, err := netip.ParseAddr(a)
		if err != nil {
			return false
		}
		for _, r := range ranges {
			if p, err := netip.ParsePrefix(r); err == nil && p.Contains(addr) {
				return true
			}
		}
		return false
	}
	// What each side routes: the other's space as it last synced it.
	back, out := theirs.RemoteAddressPrefixes, mine.RemoteAddressPrefixes
	if back == nil {
		back = user.AddressPrefixes
	}
	if out == nil {
		out = aivenVNet.AddressPrefixes
	}
	return within(back, h.addr.String()) && within(out, sv.PrivateIP)
}
