package sandbox_test

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armsubscriptions"

	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

// proxyClient is an HTTP client that reaches the real host names through
// the sandbox as an HTTPS proxy, trusting only the sandbox's CA: what
// HTTPS_PROXY + REQUESTS_CA_BUNDLE give the Azure CLI and avn.
func proxyClient(t testing.TB, s *sandbox.Server) *http.Client {
	t.Helper()
	pu, err := url.Parse("http://" + s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{
		Proxy:           http.ProxyURL(pu),
		TLSClientConfig: &tls.Config{RootCAs: s.CA().Pool(), MinVersion: tls.VersionTLS12},
		// Never dial anything but the proxy: a direct connection would mean
		// the client bypassed the sandbox.
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: time.Minute}
}

func TestProxyRoutesRealHostNames(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	c := proxyClient(t, s)
	tests := []struct {
		name, url, token string
		status           int
		// check inspects the decoded JSON body.
		check func(t *testing.T, body map[string]any)
	}{
		{
			name: "aiven me", url: "https://api.aiven.io/v1/me", token: s.Credentials().AivenToken, status: 200,
			check: func(t *testing.T, b map[string]any) {
				u, _ := b["user"].(map[string]any)
				if u["user"] != sandbox.AivenUserEmail {
					t.Errorf("user = %v, want %s", u["user"], sandbox.AivenUserEmail)
				}
			},
		},
		{
			name: "aiven me without token", url: "https://api.aiven.io/v1/me", status: 403,
			check: func(t *testing.T, b map[string]any) {
				if b["message"] != "Invalid token" {
					t.Errorf("message = %v, want Aiven's Invalid token", b["message"])
				}
			},
		},
		{
			name: "entra discovery", url: "https://login.microsoftonline.com/" + sandbox.UserTenantID + "/v2.0/.well-known/openid-configuration", status: 200,
			check: func(t *testing.T, b map[string]any) {
				want := "https://login.microsoftonline.com/" + sandbox.UserTenantID + "/oauth2/v2.0/token"
				if b["token_endpoint"] != want {
					t.Errorf("token_endpoint = %v, want %s (the real host name)", b["token_endpoint"], want)
				}
			},
		},
		{
			name: "graph without token", url: "https://graph.microsoft.com/v1.0/applications", status: 401,
			check: func(t *testing.T, b map[string]any) {
				if _, ok := b["error"].(map[string]any)["innerError"]; !ok {
					t.Errorf("body %v is not Graph's error shape", b)
				}
			},
		},
		{
			name: "arm without token", url: "https://management.azure.com/subscriptions?api-version=2022-12-01", status: 401,
			check: func(t *testing.T, b map[string]any) {
				if code := b["error"].(map[string]any)["code"]; code != "AuthenticationFailed" {
					t.Errorf("code = %v, want AuthenticationFailed", code)
				}
			},
		},
		{
			name: "arm metadata", url: "https://management.azure.com/metadata/endpoints?api-version=2015-01-01", status: 200,
			check: func(t *testing.T, b map[string]any) {
				if len(b) == 0 {
					t.Errorf("empty metadata document")
				}
			},
		},
		{
			// Under a real host name only that host's API answers: here
			// Resource Manager, for whom a path without an api-version
			// is MissingApiVersionParameter before anything else.
			name: "aiven path on the arm host", url: "https://management.azure.com/v1/me", token: s.Credentials().AivenToken, status: 400,
			check: func(t *testing.T, b map[string]any) {
				if _, ok := b["user"]; ok {
					t.Errorf("the ARM host served Aiven's /v1/me: %v", b)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rq := rawRequest{method: http.MethodGet, base: tt.url, client: c}
			if tt.token != "" {
				rq.auth = "aivenv1 " + tt.token
			}
			resp, b := send(t, s, rq)
			if resp.StatusCode != tt.status {
				t.Fatalf("GET %s: HTTP %d, want %d: %s", tt.url, resp.StatusCode, tt.status, b)
			}
			host := resp.Request.URL.Hostname()
			if resp.TLS == nil || resp.TLS.PeerCertificates[0].VerifyHostname(host) != nil {
				t.Errorf("the tunnel's certificate is not for %s", host)
			}
			if resp.ProtoMajor != 1 || resp.ProtoMinor != 1 {
				t.Errorf("protocol %s, want HTTP/1.1 in the tunnel", resp.Proto)
			}
			var body map[string]any
			if err := json.Unmarshal(b, &body); err != nil {
				t.Fatalf("body is not JSON: %v", err)
			}
			tt.check(t, body)
		})
	}
}

// TestProxyAzureSDKDefaultCloud signs in and calls Resource Manager with
// the SDK's public-cloud configuration, unchanged, through the proxy.
func TestProxyAzureSDKDefaultCloud(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	opts := azcore.ClientOptions{
		Cloud:     cloud.AzurePublic,
		Transport: proxyClient(t, s),
		Retry:     policy.RetryOptions{MaxRetries: 2, RetryDelay: 10 * time.Millisecond},
	}
	c := s.Credentials()
	cred := credentialWith(t, opts, c.TenantID, c.ClientID, c.ClientSecret)
	if tokenOf(t, cred, "https://management.azure.com/.default") == "" {
		t.Fatal("empty token")
	}
	subs, err := armsubscriptions.NewClient(cred, &arm.ClientOptions{ClientOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	pager := subs.NewListPager(nil)
	for pager.More() {
		page, err := pager.NextPage(ctx(t))
		if err != nil {
			t.Fatalf("list subscriptions through the proxy: %v", err)
		}
		for _, sub := range page.Value {
			ids = append(ids, *sub.SubscriptionID)
		}
	}
	found := false
	for _, id := range ids {
		found = found || id == sandbox.UserSubscriptionID
	}
	if !found {
		t.Errorf("subscriptions = %v, want %s among them", ids, sandbox.UserSubscriptionID)
	}
}

// rawProxyRequest sends one plain HTTP request line to the sandbox port and
// reads the answer.
func rawProxyRequest(t *testing.T, s *sandbox.Server, request string) (*http.Response, string) {
	t.Helper()
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, request); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read answer to %q: %v", request, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestProxyRefuses(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	tests := []struct {
		name, request string
		status        int
		wantText      []string
	}{
		{"other host", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 403, []string{"never connects out", "example.com:443"}},
		{"emulated host, other port", "CONNECT management.azure.com:80 HTTP/1.1\r\nHost: management.azure.com:80\r\n\r\n", 403, []string{"never connects out"}},
		{"look-alike host", "CONNECT api.aiven.io.example.com:443 HTTP/1.1\r\nHost: api.aiven.io.example.com:443\r\n\r\n", 403, []string{"never connects out"}},
		{"plain GET", "GET /v1/me HTTP/1.1\r\nHost: " + "127.0.0.1" + "\r\n\r\n", 400, []string{"https://" + s.Addr() + "/v1/me", "CONNECT"}},
		{"plain GET in proxy form", "GET http://api.aiven.io/v1/me HTTP/1.1\r\nHost: api.aiven.io\r\n\r\n", 400, []string{"https://", "CONNECT"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := rawProxyRequest(t, s, tt.request)
			if resp.StatusCode != tt.status {
				t.Fatalf("HTTP %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			for _, w := range tt.wantText {
				if !strings.Contains(body, w) {
					t.Errorf("answer %q does not mention %q", body, w)
				}
			}
		})
	}

	// The Go client sees the refusal as a proxy error, not as a response
	// from example.com.
	_, err := proxyClient(t, s).Get("https://example.com/")
	if err == nil || !strings.Contains(err.Error(), "Forbidden") {
		t.Errorf("GET https://example.com/ through the sandbox: err = %v, want the proxy's 403 Forbidden", err)
	}
}

// TestProxyCloseEndsTunnels checks that Close reaches connections inside a
// CONNECT tunnel, which the proxy's own http.Server no longer tracks.
func TestProxyCloseEndsTunnels(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "CONNECT api.aiven.io:443 HTTP/1.1\r\nHost: api.aiven.io:443\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("CONNECT: %v %v", resp, err)
	}
	tc := tls.Client(&bufferedConn{Conn: conn, r: br}, &tls.Config{ServerName: "api.aiven.io", RootCAs: s.CA().Pool(), MinVersion: tls.VersionTLS12})
	if err := tc.HandshakeContext(ctx(t)); err != nil {
		t.Fatalf("TLS in the tunnel: %v", err)
	}
	// One request proves the tunnel reached the HTTPS server.
	if _, err := io.WriteString(tc, "GET /v1/me HTTP/1.1\r\nHost: api.aiven.io\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	tr := bufio.NewReader(tc)
	resp, err = http.ReadResponse(tr, nil)
	if err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("GET /v1/me in the tunnel: %v %v", resp, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	// The deadline only keeps a broken Close from hanging the test.
	_ = tc.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, err = tr.ReadByte()
	var ne net.Error
	if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
		t.Fatalf("read on a tunnelled connection after Close: %v, want it closed", err)
	}
}

// bufferedConn reads through r, which may hold bytes read ahead from Conn.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
