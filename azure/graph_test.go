package azure_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/azpeer/azpeer/azure"
)

// scopeRecorder is a credential that hands out a fixed token and records
// the scopes asked for.
type scopeRecorder struct {
	mu     sync.Mutex
	scopes []string
}

func (r *scopeRecorder) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.scopes = append(r.scopes, o.Scopes...)
	return azcore.AccessToken{Token: "t0ken", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// graphStub answers every request with a canned response and records
// which hosts received a bearer token. No network is involved.
type graphStub struct {
	mu         sync.Mutex
	answer     func(*http.Request) (int, string)
	tokenHosts []string
}

func (g *graphStub) Do(req *http.Request) (*http.Response, error) {
	g.mu.Lock()
	if req.Header.Get("Authorization") != "" {
		g.tokenHosts = append(g.tokenHosts, req.URL.Host)
	}
	g.mu.Unlock()
	status, body := g.answer(req)
	return &http.Response{StatusCode: status, Status: http.StatusText(status), Request: req,
		Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body))}, nil
}

func TestGraphClientScope(t *testing.T) {
	tests := []struct {
		name, endpoint string
		services       map[cloud.ServiceName]cloud.ServiceConfiguration
		want           string
	}{
		{"public", "https://graph.microsoft.com", nil, "https://graph.microsoft.com/.default"},
		{"china", "https://microsoftgraph.chinacloudapi.cn/", nil, "https://microsoftgraph.chinacloudapi.cn/.default"},
		{"emulator without configured audience", "https://127.0.0.1:8443", nil, "https://graph.microsoft.com/.default"},
		{"configured audience wins", "https://127.0.0.1:8443", map[cloud.ServiceName]cloud.ServiceConfiguration{
			azure.GraphService: {Endpoint: "https://127.0.0.1:8443", Audience: "https://graph.microsoft.us/"}}, "https://graph.microsoft.us/.default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cred := &scopeRecorder{}
			stub := &graphStub{answer: func(*http.Request) (int, string) {
				return 200, `{"value":[{"id":"tid","displayName":"Contoso"}]}`
			}}
			g, err := azure.NewGraphClient(tt.endpoint, cred, &azcore.ClientOptions{Transport: stub, Cloud: cloud.Configuration{Services: tt.services}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := g.Organization(context.Background()); err != nil {
				t.Fatal(err)
			}
			if len(cred.scopes) != 1 || cred.scopes[0] != tt.want {
				t.Errorf("scopes %v, want [%s]", cred.scopes, tt.want)
			}
		})
	}
}

func TestGraphClientRefusesPlainHTTP(t *testing.T) {
	if _, err := azure.NewGraphClient("http://graph.example.com", &scopeRecorder{}, nil); err == nil {
		t.Fatal("NewGraphClient accepted an http endpoint; tokens would travel in clear text")
	}
}

// A next-page link to another host is refused before any token goes there.
func TestGraphClientNextLinkOtherHost(t *testing.T) {
	stub := &graphStub{answer: func(*http.Request) (int, string) {
		return 200, `{"value":[{"id":"a"}],"@odata.nextLink":"https://evil.example.com/v1.0/applications?$skiptoken=x"}`
	}}
	g, err := azure.NewGraphClient("https://graph.microsoft.com", &scopeRecorder{}, &azcore.ClientOptions{Transport: stub})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.FindApplicationsByDisplayName(context.Background(), "x"); err == nil {
		t.Fatal("followed a next link to another host")
	}
	for _, h := range stub.tokenHosts {
		if h != "graph.microsoft.com" {
			t.Errorf("bearer token sent to %s", h)
		}
	}
}

// A malformed addPassword answer must not put the secret into the error.
func TestGraphClientAddPasswordErrorHidesSecret(t *testing.T) {
	const secret = "abc8Q~SuperSecretValue_0123456789abcdefgh"
	stub := &graphStub{answer: func(*http.Request) (int, string) {
		return 200, `{"keyId":"k","secretText":"` + secret + `","endDateTime":"` + secret + `"}`
	}}
	g, err := azure.NewGraphClient("https://graph.microsoft.com", &scopeRecorder{}, &azcore.ClientOptions{Transport: stub})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = g.AddPassword(context.Background(), "obj", "x", time.Time{})
	if err == nil {
		t.Fatal("accepted a malformed answer")
	}
	if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "SuperSecret") {
		t.Errorf("error quotes the secret: %v", err)
	}
}
