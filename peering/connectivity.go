package peering

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// "It says ACTIVE but I can't connect": a check of the project's services
// from where azpeer runs. A Connected peering opens no NSG or route; a
// service's dynamic host name resolves to a private address in the VPC,
// reachable only from the networks peered with it ("The connection with
// the Dynamic option is not possible outside the VPC", aiven-docs
// public-access-in-vpc.md); the service's IP allow-list "applies to all
// connection types" (same page) and must include the VNet's ranges; and
// resolvers with DNS rebinding protection drop private answers. The check
// reads what azpeer can, probes through a ConnectivityProbe (the netcheck
// adapter), and says in plain words what it saw.

// Service is an Aiven service as its connection information describes it.
type Service struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	State string `json:"state"`
	// VPCID is the VPC it runs in ("" for none).
	VPCID string `json:"project_vpc_id,omitempty"`
	// Project is the service's project when the VPC is an organization's
	// (whose services come from several projects).
	Project    string      `json:"project,omitempty"`
	Components []Component `json:"components"`
	// IPFilter is user_config.ip_filter's networks.
	IPFilter []string `json:"ip_filter"`
}

// Component is one way to reach a service.
type Component struct {
	Component string `json:"component"`
	Host      string `json:"host"`
	Port      int    `json:"port"`
	// Route is dynamic, private, public or privatelink.
	Route string `json:"route"`
	Usage string `json:"usage,omitempty"`
}

// ServiceLister lists a project's services (the aiven adapter is one).
type ServiceLister interface {
	Services(ctx context.Context, project string) ([]Service, error)
}

// ProjectCAReader reads a project's CA certificate (PEM), which signs
// its services' certificates (the aiven adapter is one).
type ProjectCAReader interface {
	ProjectCA(ctx context.Context, project string) (string, error)
}

// ConnectivityProbe is the machine a check runs on: its addresses, its
// resolver, another resolver by address, and a connect with a deadline
// (for PostgreSQL, pg says what its certificate must be; nil for other
// ports).
type ConnectivityProbe interface {
	LocalAddrs(ctx context.Context) ([]netip.Addr, error)
	Resolve(ctx context.Context, host string) ([]string, error)
	ResolveAt(ctx context.Context, server, host string) ([]string, error)
	Connect(ctx context.Context, addr string, port int, pg *PostgresTLS) ProbeResult
}

// PostgresTLS is what a PostgreSQL server's certificate is checked
// against, as psql's sslmode=verify-full checks it: it must chain to the
// project's CA and name Host. Without CA (it could not be read), CAError
// says why, and the certificate is read but not verified.
type PostgresTLS struct {
	Host    string
	CA      []byte
	CAError string
}

// ProbeResult is what a connect saw. TCP is "ok", "refused", "timeout" or
// "error"; TLS, for a PostgreSQL port, is "ok", "refused" (the server
// answered N to SSLRequest), "not-postgres" (something else answered),
// "failed" or "" (not tried).
type ProbeResult struct {
	TCP    string `json:"tcp"`
	TLS    string `json:"tls,omitempty"`
	Detail string `json:"detail,omitempty"`
	// Issuer is the certificate's issuer's common name (as Cert.Issuer).
	Issuer string `json:"issuer,omitempty"`
	// Cert is the certificate a completed handshake presented, and
	// whether it verified.
	Cert *CertCheck `json:"certificate,omitempty"`
}

// What a certificate check concluded (CertCheck.Verdict), stable for
// scripts.
const (
	CertVerified     = "verified"
	CertUntrusted    = "untrusted"
	CertNameMismatch = "name-mismatch"
	CertExpired      = "expired"
	// CertUnchecked: no CA to check it against ("could not verify").
	CertUnchecked = "unchecked"
)

// CertCheck is a server certificate as a check saw it.
type CertCheck struct {
	Verdict  string    `json:"verdict"`
	Subject  string    `json:"subject"`
	Issuer   string    `json:"issuer"`
	NotAfter time.Time `json:"not_after"`
	// Names are the certificate's DNS names.
	Names []string `json:"names,omitempty"`
	// Detail is why it did not verify, or why it could not be checked.
	Detail string `json:"detail,omitempty"`
}

// Kinds of a connectivity finding, stable for scripts.
const (
	ConnReachable   = "reachable"
	ConnOutsideVNet = "outside-vnet"
	ConnPublicOnly  = "public-only"
	ConnOtherVPC    = "other-vpc"
	ConnAllowList   = "allow-list-missing"
	ConnDNSDropped  = "dns-drops-private-answers"
	ConnDNSFailed   = "dns-no-answer"
	ConnDNSNotInVPC = "dns-not-in-vpc"
	ConnPortClosed  = "port-closed"
	ConnNoAnswer    = "no-answer"
	ConnTLSFailed   = "tls-failed"
	// The certificate is not the project CA's, names another host, has
	// expired, or could not be checked (the CA unread).
	ConnTLSUntrusted    = "tls-untrusted"
	ConnTLSNameMismatch = "tls-name-mismatch"
	ConnTLSExpired      = "tls-expired"
	ConnTLSUnverified   = "tls-unverified"
	ConnNotPostgres     = "not-postgres"
	ConnNotRunning      = "service-not-running"
	ConnPublicReach     = "reachable-public"
)

// ConnFinding is one thing the check concluded about a service.
type ConnFinding struct {
	Kind     string   `json:"kind"`
	Severity Severity `json:"severity"`
	Text     string   `json:"text"`
	Fix      string   `json:"fix,omitempty"`
}

// ServiceCheck is the check of one service.
type ServiceCheck struct {
	Service  Service       `json:"service"`
	Probes   []RouteProbe  `json:"probes"`
	Findings []ConnFinding `json:"findings"`
	// Commands are what to run from a VM in the VNet to check by hand.
	Commands []string `json:"commands,omitempty"`
}

// RouteProbe is what was seen of one component.
type RouteProbe struct {
	Component Component   `json:"component"`
	Addrs     []string    `json:"addresses,omitempty"`
	ResolveEr string      `json:"resolve_error,omitempty"`
	AtServer  []string    `json:"addresses_at_dns_server,omitempty"`
	Connect   ProbeResult `json:"connect"`
	Addr      string      `json:"address,omitempty"`
}

// ConnectivityReport is the whole check.
type ConnectivityReport struct {
	Target     Target         `json:"target"`
	VPCCIDR    string         `json:"vpc_cidr"`
	VNetRanges []string       `json:"vnet_ranges"`
	LocalAddrs []string       `json:"local_addresses"`
	Inside     bool           `json:"inside_vnet"`
	DNSServer  string         `json:"dns_server,omitempty"`
	Services   []ServiceCheck `json:"services"`
	Unchecked  []string       `json:"unchecked,omitempty"`
	Verdict    Verdict        `json:"verdict"`
}

// ConnectivityOptions tune a check.
type ConnectivityOptions struct {
	// DNSServer (host:port) is asked too, beside the system resolver.
	DNSServer string
	// Timeout bounds each resolve and connect (default 3 s).
	Timeout time.Duration
}

// CheckConnectivity checks the target project's services from where the
// probe runs. It changes nothing anywhere.
func (rb *Runbook) CheckConnectivity(ctx context.Context, t Target, probe ConnectivityProbe, o ConnectivityOptions) ConnectivityReport {
	if o.Timeout <= 0 {
		o.Timeout = 3 * time.Second
	}
	rep := ConnectivityReport{Target: t, DNSServer: o.DNSServer}
	skip := func(what string, err error) { rep.Unchecked = append(rep.Unchecked, what+": "+err.Error()) }
	if v, err := read(ctx, rb, func(ctx context.Context) (VPC, error) { return rb.Aiven.VPC(ctx, t.Parent(), t.VPCID) }); err != nil {
		skip("the project VPC", err)
	} else {
		rep.VPCCIDR = v.CIDR
	}
	if vn, err := read(ctx, rb, func(ctx context.Context) (VNet, error) { return rb.Network.VNet(ctx, t.VNetID()) }); err != nil {
		skip("the VNet", err)
	} else {
		rep.VNetRanges = vn.AddressPrefixes
	}
	var local []netip.Addr
	if addrs, err := probe.LocalAddrs(ctx); err != nil {
		skip("this machine's addresses", err)
	} else {
		local = addrs
		for _, a := range addrs {
			rep.LocalAddrs = append(rep.LocalAddrs, a.String())
		}
	}
	rep.Inside = within(rep.VNetRanges, local...)
	lister, ok := rb.Aiven.(ServiceLister)
	if !ok {
		skip("the project's services", errors.New("this Aiven adapter cannot list services"))
		rep.Verdict = VerdictUnknown
		return rep
	}
	svcs, err := read(ctx, rb, func(ctx context.Context) ([]Service, error) { return servicesIn(ctx, rb.Aiven, lister, t) })
	if err != nil {
		skip("the project's services", err)
	}
	cas := projectCAs{rb: rb, got: map[string]PostgresTLS{}}
	for _, sv := range svcs {
		var probes []RouteProbe
		for _, c := range sv.Components {
			if c.Route != "dynamic" && c.Route != "public" && c.Route != "private" {
				continue // privatelink is another product
			}
			var pg *PostgresTLS
			if sv.Type == "pg" {
				pt := cas.of(ctx, serviceProject(t, sv))
				pt.Host = c.Host
				pg = &pt
			}
			probes = append(probes, probeRoute(ctx, probe, c, pg, o))
		}
		rep.Services = append(rep.Services, InterpretService(rep, sv, probes))
	}
	rep.Verdict = connVerdict(rep)
	return rep
}

// projectCAs reads each project's CA once per check: "All the services in
// a project share the same Certificate Authority (CA)" (aiven.io/docs/
// platform/concepts/tls-ssl-certificates).
type projectCAs struct {
	rb  *Runbook
	got map[string]PostgresTLS
}

func (c projectCAs) of(ctx context.Context, project string) PostgresTLS {
	if pt, ok := c.got[project]; ok {
		return pt
	}
	var pt PostgresTLS
	if r, ok := c.rb.Aiven.(ProjectCAReader); !ok {
		pt.CAError = "this Aiven adapter cannot read project CAs"
	} else if pem, err := read(ctx, c.rb, func(ctx context.Context) (string, error) { return r.ProjectCA(ctx, project) }); err != nil {
		pt.CAError = "project " + project + "'s CA could not be read: " + err.Error()
	} else {
		pt.CA = []byte(pem)
	}
	c.got[project] = pt
	return pt
}

// serviceProject is the project a service belongs to: its own for an
// organization VPC's, else the target's.
func serviceProject(t Target, sv Service) string {
	if sv.Project != "" {
		return sv.Project
	}
	return t.Project
}

func probeRoute(ctx context.Context, probe ConnectivityProbe, c Component, pg *PostgresTLS, o ConnectivityOptions) RouteProbe {
	rp := RouteProbe{Component: c}
	rctx, cancel := context.WithTimeout(ctx, o.Timeout)
	rp.Addrs, _ = probe.Resolve(rctx, c.Host)
	cancel()
	if len(rp.Addrs) == 0 {
		_, err := probe.Resolve(ctx, c.Host) // (cheap) again for its error text
		if err != nil {
			rp.ResolveEr = err.Error()
		} else {
			rp.ResolveEr = "no address"
		}
	}
	if o.DNSServer != "" {
		sctx, cancel := context.WithTimeout(ctx, o.Timeout)
		rp.AtServer, _ = probe.ResolveAt(sctx, o.DNSServer, c.Host)
		cancel()
	}
	addrs := rp.Addrs
	if len(addrs) == 0 {
		addrs = rp.AtServer
	}
	if len(addrs) == 0 {
		return rp
	}
	rp.Addr = addrs[0]
	cctx, cancel := context.WithTimeout(ctx, o.Timeout)
	rp.Connect = probe.Connect(cctx, rp.Addr, c.Port, pg)
	cancel()
	return rp
}

// within reports whether any address lies in any of the ranges.
func within(ranges []string, addrs ...netip.Addr) bool {
	for _, r := range ranges {
		p, err := netip.ParsePrefix(r)
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if p.Contains(a) {
				return true
			}
		}
	}
	return false
}

func withinS(ranges []string, addr string) bool {
	a, err := netip.ParseAddr(addr)
	return err == nil && within(ranges, a)
}

// uncovered lists the ranges no filter entry contains whole.
func uncovered(ranges, filter []string) []string {
	var out []string
	for _, r := range ranges {
		rp, err := netip.ParsePrefix(r)
		if err != nil {
			continue
		}
		if !slices.ContainsFunc(filter, func(f string) bool {
			fp, err := netip.ParsePrefix(f)
			if err != nil {
				if a, aerr := netip.ParseAddr(f); aerr == nil {
					fp = netip.PrefixFrom(a, a.BitLen())
				} else {
					return false
				}
			}
			return fp.Bits() <= rp.Bits() && fp.Contains(rp.Masked().Addr())
		}) {
			out = append(out, r)
		}
	}
	return out
}

// InterpretService says in plain words what the probes of a service
// mean, for where the check ran (rep's VPC, VNet and addresses). Pure.
func InterpretService(rep ConnectivityReport, sv Service, probes []RouteProbe) ServiceCheck {
	sc := ServiceCheck{Service: sv, Probes: probes}
	add := func(kind string, sev Severity, text, fix string) {
		sc.Findings = append(sc.Findings, ConnFinding{Kind: kind, Severity: sev, Text: text, Fix: fix})
	}
	if sv.State != "" && sv.State != "RUNNING" {
		add(ConnNotRunning, SeverityError, fmt.Sprintf("the service is %s: nothing accepts connections until it runs", sv.State),
			"power the service on in Aiven's console (avn service update "+sv.Name+" --power-on)")
	}
	inVPC := sv.VPCID != "" && sv.VPCID == rep.Target.VPCID
	switch {
	case sv.VPCID == "":
		add(ConnPublicOnly, SeverityWarning, "the service is not in a project VPC: it is reached over the public Internet only, never over the peering",
			"move it into the project VPC "+rep.Target.VPCID+" (avn service update "+sv.Name+" --project-vpc-id "+rep.Target.VPCID+") to reach it over the peering")
	case !inVPC:
		add(ConnOtherVPC, SeverityWarning, "the service runs in another project VPC ("+sv.VPCID+"), not the one this peering joins", "")
	}
	if inVPC && len(rep.VNetRanges) > 0 {
		if miss := uncovered(rep.VNetRanges, sv.IPFilter); len(miss) > 0 {
			add(ConnAllowList, SeverityError, fmt.Sprintf("the service's IP allow-list (%s) lacks your VNet's %s: connections from there are dropped, however the peering stands",
				strings.Join(orNoneList(sv.IPFilter), ", "), strings.Join(miss, ", ")),
				fmt.Sprintf("avn service update %s -c ip_filter=%s", sv.Name, strings.Join(append(slices.Clone(sv.IPFilter), miss...), ",")))
		}
	}
	var dynamicOK, publicOK, privateDropped bool
	for _, p := range probes {
		private := p.Component.Route != "public"
		switch {
		case len(p.Addrs) == 0 && private && len(p.AtServer) > 0 && withinS([]string{rep.VPCCIDR}, p.AtServer[0]):
			privateDropped = true
			add(ConnDNSDropped, SeverityError, fmt.Sprintf("this machine's resolver gives no address for %s (%s), while %s answers %s, inside the VPC: the resolver drops private answers (DNS rebinding protection, common on home and office routers)",
				p.Component.Host, p.ResolveEr, rep.DNSServer, strings.Join(p.AtServer, ", ")),
				"resolve through a resolver that returns private answers (in Azure the VNet's own resolver, 168.63.129.16, does), or allow private answers for aivencloud.com in the router's DNS rebinding settings")
		case len(p.Addrs) == 0 && len(p.AtServer) == 0:
			text := fmt.Sprintf("%s does not resolve (%s)", p.Component.Host, p.ResolveEr)
			fix := "check the name; if your resolver drops private answers (DNS rebinding protection), compare with another: azpeer doctor --connectivity --dns-server 1.1.1.1:53"
			if rep.DNSServer != "" {
				text += "; " + rep.DNSServer + " has no address for it either"
				fix = "check the service's host name in Aiven's console"
			}
			add(ConnDNSFailed, SeverityError, text, fix)
			continue
		case private && inVPC && rep.VPCCIDR != "" && !withinS([]string{rep.VPCCIDR}, firstOf(p.Addrs, p.AtServer)):
			add(ConnDNSNotInVPC, SeverityWarning, fmt.Sprintf("%s resolves to %s, outside the VPC's %s: traffic to it does not go over the peering",
				p.Component.Host, firstOf(p.Addrs, p.AtServer), rep.VPCCIDR), "")
		}
		switch c := p.Connect; {
		case c.TCP == "ok" && c.TLS == "ok" && (c.Cert == nil || c.Cert.Verdict != CertVerified):
			kind, sev, text, fix := certFinding(p, c.Cert, serviceProject(rep.Target, sv))
			add(kind, sev, text, fix)
		case c.TCP == "ok" && (c.TLS == "ok" || c.TLS == ""):
			if private {
				dynamicOK = true
				add(ConnReachable, SeverityInfo, fmt.Sprintf("%s:%d (%s) is reachable: TCP connects and %s", p.Component.Host, p.Component.Port, p.Addr, tlsWords(c)), "")
			} else {
				publicOK = true
				add(ConnPublicReach, SeverityInfo, fmt.Sprintf("%s:%d (%s) is reachable over the public Internet (public access): %s; that is not the peering", p.Component.Host, p.Component.Port, p.Addr, tlsWords(c)), "")
			}
		case c.TCP == "ok" && c.TLS == "not-postgres":
			add(ConnNotPostgres, SeverityError, fmt.Sprintf("%s:%d (%s) answers, but not as PostgreSQL does (%s): something else takes this connection, such as a proxy that intercepts this machine's traffic or another service on that address",
				p.Component.Host, p.Component.Port, p.Addr, c.Detail),
				"check which machine holds "+p.Addr+" from here (a transparent proxy or VPN client on this network is the usual cause), or run the commands below from a VM in the VNet")
		case c.TCP == "ok" && c.TLS == "refused":
			add(ConnTLSFailed, SeverityError, fmt.Sprintf("%s:%d (%s) speaks PostgreSQL but refuses TLS (%s): Aiven's services always offer TLS, so this is not the Aiven service", p.Component.Host, p.Component.Port, p.Addr, c.Detail), "")
		case c.TCP == "ok":
			add(ConnTLSFailed, SeverityError, fmt.Sprintf("%s:%d accepts TCP but the TLS handshake failed (%s %s)", p.Component.Host, p.Component.Port, c.TLS, c.Detail), "")
		case c.TCP == "refused":
			add(ConnPortClosed, SeverityError, fmt.Sprintf("%s:%d (%s) refuses the connection: nothing listens on that port (the service is stopped or rebuilding, or the port is wrong)", p.Component.Host, p.Component.Port, p.Addr), "")
		case c.TCP == "timeout" && private && !rep.Inside:
			// Handled once below: the usual case on a laptop.
		case c.TCP == "timeout":
			add(ConnNoAnswer, SeverityError, fmt.Sprintf("%s:%d (%s) does not answer: the packets are dropped on the way", p.Component.Host, p.Component.Port, p.Addr),
				"check, in this order: the peering is Connected and in sync on both sides (azpeer doctor), the service's allow-list includes this machine's address, the VNet's NSGs and route tables let the traffic out, and no firewall drops it")
		case c.TCP != "":
			add(ConnNoAnswer, SeverityError, fmt.Sprintf("%s:%d: %s", p.Component.Host, p.Component.Port, c.Detail), "")
		}
	}
	if inVPC && !rep.Inside && !dynamicOK && !privateDropped {
		where := "this machine's addresses (" + strings.Join(orNoneList(rep.LocalAddrs), ", ") + ") are not in the VNet's " + strings.Join(orNoneList(rep.VNetRanges), ", ")
		text := "azpeer is not running inside the peered VNet (" + where + "), and the service's private address is reachable only from inside it: this is the usual case on a laptop, and says nothing about the peering"
		if publicOK {
			text += "; its public route works from here"
		}
		add(ConnOutsideVNet, SeverityInfo, text, "run the commands below from a VM in the VNet (or run azpeer doctor --connectivity there)")
	}
	sc.Commands = vmCommands(sv, serviceProject(rep.Target, sv))
	return sc
}

// vmCommands are what to run from a VM in the VNet to check a service by hand.
func vmCommands(sv Service, project string) []string {
	var out []string
	for _, c := range sv.Components {
		if c.Route != "dynamic" && c.Route != "private" {
			continue
		}
		out = append(out, "nslookup "+c.Host,
			fmt.Sprintf("nc -vz -w 3 %s %d", c.Host, c.Port))
		if sv.Type == "pg" {
			out = append(out, fmt.Sprintf("openssl s_client -connect %s:%d -starttls postgres </dev/null", c.Host, c.Port),
				"avn project ca-get --project "+project+" --target-filepath ca.pem",
				fmt.Sprintf(`psql "host=%s port=%d dbname=defaultdb user=avnadmin sslmode=verify-full sslrootcert=ca.pem"`, c.Host, c.Port))
		}
		break
	}
	return out
}

// certFinding says what a certificate that did not verify means: the
// causes a user can act on, in the words of what psql's
// sslmode=verify-full would refuse.
func certFinding(p RouteProbe, cc *CertCheck, project string) (kind string, sev Severity, text, fix string) {
	at := fmt.Sprintf("%s:%d (%s)", p.Component.Host, p.Component.Port, p.Addr)
	if cc == nil {
		cc = &CertCheck{Verdict: CertUnchecked, Detail: "the probe did not check it"}
	}
	cert := fmt.Sprintf("certificate for %s, issued by %s, valid until %s", cc.Subject, cc.Issuer, cc.NotAfter.UTC().Format("2006-01-02"))
	byHand := fmt.Sprintf("avn project ca-get --project %s --target-filepath ca.pem, then psql \"host=%s port=%d sslmode=verify-full sslrootcert=ca.pem\"",
		project, p.Component.Host, p.Component.Port)
	switch cc.Verdict {
	case CertUntrusted:
		return ConnTLSUntrusted, SeverityError,
			fmt.Sprintf("%s completes a TLS handshake, but its %s is not signed by project %s's CA (%s): something between you and the service presents its own certificate, such as a TLS-intercepting proxy, VPN or firewall, or the address leads to another server",
				at, cert, project, cc.Detail),
			"find what answers at " + p.Addr + " from here (TLS inspection on this network is the usual cause: exempt *.aivencloud.com from it), or run the commands below from a VM in the VNet; check by hand: " + byHand
	case CertNameMismatch:
		return ConnTLSNameMismatch, SeverityError,
			fmt.Sprintf("%s presents a certificate of project %s's CA, but for %s, not %s: the address leads to another service (a stale DNS answer or hosts-file entry, or an address reused)",
				at, project, strings.Join(orNoneList(cc.Names), ", "), p.Component.Host),
			"check what " + p.Component.Host + " resolves to here against the service's address from a VM in the VNet, and look for a hosts-file entry or a DNS override for it"
	case CertExpired:
		return ConnTLSExpired, SeverityError,
			fmt.Sprintf("%s presents a %s: it has expired (%s), and psql with sslmode=verify-full refuses it", at, cert, cc.Detail),
			"check this machine's clock first; if it is right, the certificate is stale: ask Aiven's support"
	}
	return ConnTLSUnverified, SeverityInfo,
		fmt.Sprintf("%s completes a TLS handshake (%s), but azpeer could not verify it: %s; not counted as reachable until it is", at, cert, cc.Detail),
		"let the token read the project's CA (Aiven's API requires organization:projects:write for it), or check by hand: " + byHand
}

func tlsWords(c ProbeResult) string {
	switch c.TLS {
	case "ok":
		s := "PostgreSQL answers SSLRequest and completes a TLS handshake"
		if c.Cert != nil && c.Cert.Verdict == CertVerified {
			s += " with a certificate for " + c.Cert.Subject + " that verifies against the project's CA (" + c.Cert.Issuer + "), as psql's sslmode=verify-full checks it"
		}
		return s
	case "":
		return "the TCP connection opens"
	}
	return "TLS " + c.TLS
}

func firstOf(a, b []string) string {
	if len(a) > 0 {
		return a[0]
	}
	if len(b) > 0 {
		return b[0]
	}
	return ""
}

func orNoneList(s []string) []string {
	if len(s) == 0 {
		return []string{"none"}
	}
	return s
}

// connVerdict: problems found is unhealthy; nothing wrong but the private
// routes unchecked (outside the VNet) or parts unread is unknown.
func connVerdict(rep ConnectivityReport) Verdict {
	unknown := len(rep.Unchecked) > 0
	for _, sc := range rep.Services {
		for _, f := range sc.Findings {
			switch {
			case f.Severity == SeverityError || f.Severity == SeverityWarning:
				return VerdictUnhealthy
			case f.Kind == ConnOutsideVNet || f.Kind == ConnTLSUnverified:
				unknown = true
			}
		}
	}
	if unknown {
		return VerdictUnknown
	}
	return VerdictHealthy
}

// UnknownWhy says, for an unknown verdict, what could not be checked:
// the certificates (the project CA unread) or the private routes (the
// check ran outside the VNet), for the CLI and the dashboard alike.
func (rep ConnectivityReport) UnknownWhy() string {
	var routes, certs bool
	for _, sc := range rep.Services {
		for _, f := range sc.Findings {
			routes = routes || f.Kind == ConnOutsideVNet
			certs = certs || f.Kind == ConnTLSUnverified
		}
	}
	switch {
	case certs && routes:
		return "no problem seen, but neither the private routes nor the services' certificates could be checked from here (above)"
	case certs:
		return "no problem seen, but the services' certificates could not be verified (above): not counted as reachable"
	}
	return "no problem seen, but the private routes could not be checked from here: run the commands above from a VM in the VNet"
}

// servicesIn lists the services that run in the target's VPC: a project
// VPC's are its project's; an organization VPC's are those of any of the
// organization's projects placed in it (project_vpc_id).
func servicesIn(ctx context.Context, api AivenReader, lister ServiceLister, t Target) ([]Service, error) {
	if t.Organization == "" {
		return lister.Services(ctx, t.Project)
	}
	refs, err := api.Projects(ctx)
	if err != nil {
		return nil, err
	}
	var out []Service
	for _, r := range refs {
		if r.OrganizationID != t.Organization {
			continue
		}
		svcs, err := lister.Services(ctx, r.Name)
		if err != nil {
			return nil, err
		}
		for _, sv := range svcs {
			if sv.VPCID == t.VPCID {
				sv.Project = r.Name
				out = append(out, sv)
			}
		}
	}
	return out, nil
}
