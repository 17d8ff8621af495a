// Package azure implements peering's Azure ports (Network, Access,
// Directory, AppSignIn) with the official Azure SDK for Go, and chooses the
// credential azpeer signs in with.
package azure

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	// The Resource Manager endpoints of the sovereign clouds are filled into
	// cloud.Azure* by this package's init.
	_ "github.com/Azure/azure-sdk-for-go/sdk/azcore/arm/runtime"
)

// Environment variables that point azpeer somewhere else than the cloud's
// own endpoints (a sandbox, a proxy with its own CA).
const (
	EnvAuthorityHost = "AZURE_AUTHORITY_HOST"
	EnvARMEndpoint   = "AZPEER_ARM_ENDPOINT"
	EnvGraphEndpoint = "AZPEER_GRAPH_ENDPOINT"
	EnvCAFile        = "AZPEER_CA_FILE"
)

// CloudNames are the values --azure-cloud accepts.
var CloudNames = []string{"public", "china", "usgov"}

// GraphService names Microsoft Graph in a cloud.Configuration, so one
// azcore.ClientOptions carries every endpoint azpeer uses.
const GraphService cloud.ServiceName = "microsoftGraph"

// Endpoints are the base URLs azpeer talks to in one Azure cloud.
type Endpoints struct {
	// AuthorityHost is Entra ID's sign-in host, e.g. https://login.microsoftonline.com/.
	AuthorityHost string
	// ARM is Resource Manager's base URL; ARMAudience the audience of its tokens.
	ARM         string
	ARMAudience string
	// Graph is Microsoft Graph's base URL (without /v1.0); GraphAudience the
	// audience of its tokens. The audiences stay the cloud's own when the
	// URLs are overridden: a sandbox or proxy answers for the real service.
	Graph         string
	GraphAudience string
	// CAFile is a PEM bundle trusted in addition to the system roots.
	CAFile string
	// Wrap, when set, wraps the HTTP transport of every client made from
	// these endpoints (the admin's, and the app's in both tenants); tests
	// use it to watch or cut traffic. nil means none.
	Wrap TransportWrapper

	// caPEM is CAFile's content, read once by EndpointsFromEnv.
	caPEM string
}

// TransportWrapper wraps an HTTP transport. (An interface, not a func, so
// Endpoints stays comparable.)
type TransportWrapper interface {
	WrapTransport(http.RoundTripper) http.RoundTripper
}

type cloudDefaults struct {
	cfg                  cloud.Configuration
	graph, graphAudience string
}

func defaultsFor(name string) (cloudDefaults, bool) {
	switch name {
	case "public", "":
		return cloudDefaults{cloud.AzurePublic, "https://graph.microsoft.com", "https://graph.microsoft.com"}, true
	case "china":
		return cloudDefaults{cloud.AzureChina, "https://microsoftgraph.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn"}, true
	case "usgov":
		return cloudDefaults{cloud.AzureGovernment, "https://graph.microsoft.us", "https://graph.microsoft.us"}, true
	}
	return cloudDefaults{}, false
}

// EndpointsFromEnv returns the endpoints of a named cloud ("public",
// "china", "usgov"; "" means public) with the overrides the environment
// sets. getenv is os.Getenv outside tests.
func EndpointsFromEnv(cloudName string, getenv func(string) string) (Endpoints, error) {
	d, ok := defaultsFor(strings.ToLower(strings.TrimSpace(cloudName)))
	if !ok {
		return Endpoints{}, fmt.Errorf("--azure-cloud %q is not a known Azure cloud; use one of %s", cloudName, strings.Join(CloudNames, ", "))
	}
	armCfg, ok := d.cfg.Services[cloud.ResourceManager]
	if !ok {
		return Endpoints{}, fmt.Errorf("azure: the SDK has no Resource Manager endpoint for cloud %q", cloudName)
	}
	ep := Endpoints{
		AuthorityHost: d.cfg.ActiveDirectoryAuthorityHost,
		ARM:           armCfg.Endpoint,
		ARMAudience:   armCfg.Audience,
		Graph:         d.graph,
		GraphAudience: d.graphAudience,
	}
	overrides := []struct {
		env string
		dst *string
	}{
		{EnvAuthorityHost, &ep.AuthorityHost},
		{EnvARMEndpoint, &ep.ARM},
		{EnvGraphEndpoint, &ep.Graph},
	}
	for _, o := range overrides {
		v := strings.TrimSpace(getenv(o.env))
		if v == "" {
			continue
		}
		if err := checkHTTPS(v); err != nil {
			return Endpoints{}, fmt.Errorf("%s: %w", o.env, err)
		}
		*o.dst = v
	}
	// MSAL joins the authority host and the tenant with a plain "+".
	if !strings.HasSuffix(ep.AuthorityHost, "/") {
		ep.AuthorityHost += "/"
	}
	ep.ARM = strings.TrimRight(ep.ARM, "/")
	ep.Graph = strings.TrimRight(ep.Graph, "/")

	if f := strings.TrimSpace(getenv(EnvCAFile)); f != "" {
		pemData, err := readCAFile(f)
		if err != nil {
			return Endpoints{}, err
		}
		ep.CAFile, ep.caPEM = f, string(pemData)
	}
	return ep, nil
}

// checkHTTPS refuses anything but an absolute https URL: azcore never sends
// a bearer token over plain http, and MSAL refuses an http authority.
func checkHTTPS(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %w", raw, err)
	}
	if u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("%q must be an https:// URL (Azure credentials are only sent over TLS)", raw)
	}
	return nil
}

// readCAFile reads a PEM bundle and checks it holds at least one certificate.
func readCAFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read CA file: %w", EnvCAFile, err)
	}
	if _, err := certPool(nil, data); err != nil {
		return nil, fmt.Errorf("%s=%s: %w", EnvCAFile, path, err)
	}
	return data, nil
}

// certPool adds every certificate of a PEM bundle to base (a new pool when nil).
func certPool(base *x509.CertPool, pemData []byte) (*x509.CertPool, error) {
	pool := base
	if pool == nil {
		pool = x509.NewCertPool()
	}
	n := 0
	for rest := pemData; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("bad certificate in PEM: %w", err)
		}
		pool.AddCert(c)
		n++
	}
	if n == 0 {
		return nil, errors.New("no PEM certificate found (want -----BEGIN CERTIFICATE-----)")
	}
	return pool, nil
}

// Cloud is the azcore cloud configuration: authority, Resource Manager and
// Microsoft Graph.
func (e Endpoints) Cloud() cloud.Configuration {
	return cloud.Configuration{
		ActiveDirectoryAuthorityHost: e.AuthorityHost,
		Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: {Endpoint: e.ARM, Audience: e.ARMAudience},
			GraphService:          {Endpoint: e.Graph, Audience: e.GraphAudience},
		},
	}
}

// GraphScope is the scope to request Graph tokens with.
func (e Endpoints) GraphScope() string { return strings.TrimRight(e.GraphAudience, "/") + "/.default" }

// ARMScope is the scope to request Resource Manager tokens with: exactly
// the one azcore's Resource Manager pipeline asks for (the audience, its
// trailing slash kept, + "/.default"), so a token fetched for it (the
// Azure CLI probe's, the whoami token) is the cached one every client
// uses. Trimming the slash gave the Azure CLI a different resource
// (management.core.windows.net vs …windows.net/) and cost one more `az`.
func (e Endpoints) ARMScope() string { return e.ARMAudience + "/.default" }

// microsoftAuthorityHosts are Entra's own sign-in hosts, which MSAL's
// instance discovery knows. Any other host (a sandbox) must skip discovery,
// or MSAL would ask login.microsoftonline.com about it.
var microsoftAuthorityHosts = []string{
	"login.microsoftonline.com", "login.microsoft.com", "login.windows.net", "sts.windows.net",
	"login.chinacloudapi.cn", "login.partner.microsoftonline.cn",
	"login.microsoftonline.us", "login.usgovcloudapi.net",
}

// MicrosoftAuthority reports whether AuthorityHost is one of Entra's own hosts.
func (e Endpoints) MicrosoftAuthority() bool {
	u, err := url.Parse(e.AuthorityHost)
	if err != nil {
		return false
	}
	return slices.Contains(microsoftAuthorityHosts, strings.ToLower(u.Hostname()))
}

// Client timeouts and retries for interactive use: fail within seconds
// rather than minutes; the runbook retries the eventual-consistency errors
// itself, with its own backoff.
const (
	dialTimeout           = 10 * time.Second
	tlsHandshakeTimeout   = 10 * time.Second
	responseHeaderTimeout = 60 * time.Second
)

// ClientOptions are the azcore options every azpeer Azure client uses: the
// endpoints, an HTTP client that trusts the system roots plus CAFile, and
// retries tuned for a person waiting.
func (e Endpoints) ClientOptions() (azcore.ClientOptions, error) {
	for _, u := range []string{e.AuthorityHost, e.ARM, e.Graph} {
		if err := checkHTTPS(u); err != nil {
			return azcore.ClientOptions{}, fmt.Errorf("azure endpoints: %w", err)
		}
	}
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool()
	}
	if e.CAFile != "" {
		pemData := []byte(e.caPEM)
		if len(pemData) == 0 {
			if pemData, err = readCAFile(e.CAFile); err != nil {
				return azcore.ClientOptions{}, err
			}
		}
		if roots, err = certPool(roots, pemData); err != nil {
			return azcore.ClientOptions{}, fmt.Errorf("%s=%s: %w", EnvCAFile, e.CAFile, err)
		}
	}
	transport := &http.Transport{
		// HTTPS_PROXY is honoured, as by every Azure tool.
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   tlsHandshakeTimeout,
		ResponseHeaderTimeout: responseHeaderTimeout,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   16,
		ForceAttemptHTTP2:     true,
	}
	var rt http.RoundTripper = transport
	if e.Wrap != nil {
		rt = e.Wrap.WrapTransport(rt)
	}
	return azcore.ClientOptions{
		Cloud:     e.Cloud(),
		Transport: &http.Client{Transport: rt},
		Retry: policy.RetryOptions{
			MaxRetries:    3,
			RetryDelay:    500 * time.Millisecond,
			MaxRetryDelay: 5 * time.Second,
			TryTimeout:    30 * time.Second,
		},
	}, nil
}
