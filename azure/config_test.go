package azure_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"

	"github.com/azpeer/azpeer/azure"
)

func TestEndpointsFromEnv(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	goodPEM := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(goodPEM, testCAPEM(t), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		cloud   string
		env     map[string]string
		want    azure.Endpoints
		wantErr []string // substrings of the error
	}{
		{
			name: "public by default", cloud: "",
			want: azure.Endpoints{AuthorityHost: "https://login.microsoftonline.com/", ARM: "https://management.azure.com",
				ARMAudience: "https://management.core.windows.net/", Graph: "https://graph.microsoft.com", GraphAudience: "https://graph.microsoft.com"},
		},
		{
			name: "china", cloud: "china",
			want: azure.Endpoints{AuthorityHost: "https://login.chinacloudapi.cn/", ARM: "https://management.chinacloudapi.cn",
				ARMAudience: "https://management.core.chinacloudapi.cn/", Graph: "https://microsoftgraph.chinacloudapi.cn", GraphAudience: "https://microsoftgraph.chinacloudapi.cn"},
		},
		{
			name: "usgov, any case", cloud: "USGov",
			want: azure.Endpoints{AuthorityHost: "https://login.microsoftonline.us/", ARM: "https://management.usgovcloudapi.net",
				ARMAudience: "https://management.core.usgovcloudapi.net/", Graph: "https://graph.microsoft.us", GraphAudience: "https://graph.microsoft.us"},
		},
		{
			name: "overrides keep the cloud's audiences", cloud: "public",
			env: map[string]string{
				"AZURE_AUTHORITY_HOST":  "https://127.0.0.1:8443",
				"AZPEER_ARM_ENDPOINT":   "https://127.0.0.1:8443/",
				"AZPEER_GRAPH_ENDPOINT": "https://127.0.0.1:8443/",
				"AZPEER_CA_FILE":        goodPEM,
			},
			want: azure.Endpoints{AuthorityHost: "https://127.0.0.1:8443/", ARM: "https://127.0.0.1:8443",
				ARMAudience: "https://management.core.windows.net/", Graph: "https://127.0.0.1:8443", GraphAudience: "https://graph.microsoft.com",
				CAFile: goodPEM},
		},
		{name: "unknown cloud", cloud: "germany", wantErr: []string{"--azure-cloud", `"germany"`, "public, china, usgov"}},
		{name: "http authority", env: map[string]string{"AZURE_AUTHORITY_HOST": "http://127.0.0.1:8443"}, wantErr: []string{"AZURE_AUTHORITY_HOST", "https://"}},
		{name: "http ARM", env: map[string]string{"AZPEER_ARM_ENDPOINT": "http://localhost"}, wantErr: []string{"AZPEER_ARM_ENDPOINT", "https://"}},
		{name: "relative Graph", env: map[string]string{"AZPEER_GRAPH_ENDPOINT": "graph.local"}, wantErr: []string{"AZPEER_GRAPH_ENDPOINT"}},
		{name: "missing CA file", env: map[string]string{"AZPEER_CA_FILE": filepath.Join(dir, "nope.pem")}, wantErr: []string{"AZPEER_CA_FILE", "nope.pem"}},
		{name: "CA file not PEM", env: map[string]string{"AZPEER_CA_FILE": notPEM}, wantErr: []string{"AZPEER_CA_FILE", "not.pem", "no PEM certificate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := azure.EndpointsFromEnv(tt.cloud, func(k string) string { return tt.env[k] })
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("EndpointsFromEnv = %+v, want an error", got)
				}
				errorSays(t, err, tt.wantErr...)
				return
			}
			if err != nil {
				t.Fatalf("EndpointsFromEnv: %v", err)
			}
			// Compare the exported fields only.
			g := azure.Endpoints{AuthorityHost: got.AuthorityHost, ARM: got.ARM, ARMAudience: got.ARMAudience,
				Graph: got.Graph, GraphAudience: got.GraphAudience, CAFile: got.CAFile}
			if g != tt.want {
				t.Errorf("EndpointsFromEnv =\n %+v\nwant\n %+v", g, tt.want)
			}
		})
	}
}

func TestEndpointsClientOptions(t *testing.T) {
	ep, err := azure.EndpointsFromEnv("public", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	co, err := ep.ClientOptions()
	if err != nil {
		t.Fatal(err)
	}
	if got := co.Cloud.Services[cloud.ResourceManager]; got.Endpoint != ep.ARM || got.Audience != ep.ARMAudience {
		t.Errorf("ARM service = %+v", got)
	}
	if got := co.Cloud.Services[azure.GraphService]; got.Endpoint != ep.Graph || got.Audience != ep.GraphAudience {
		t.Errorf("Graph service = %+v", got)
	}
	if co.Cloud.ActiveDirectoryAuthorityHost != ep.AuthorityHost || co.Transport == nil {
		t.Errorf("ClientOptions = %+v", co)
	}
	if co.Retry.MaxRetries != 3 || co.Retry.TryTimeout == 0 {
		t.Errorf("Retry = %+v, want interactive tuning", co.Retry)
	}
	if !ep.MicrosoftAuthority() {
		t.Error("login.microsoftonline.com is not a Microsoft authority?")
	}

	// Endpoints built by hand are checked too.
	bad := ep
	bad.ARM = "http://127.0.0.1:1"
	if _, err := bad.ClientOptions(); err == nil || !strings.Contains(err.Error(), "https://") {
		t.Errorf("ClientOptions with an http endpoint: err = %v", err)
	}
	bad = ep
	bad.CAFile = filepath.Join(t.TempDir(), "missing.pem")
	if _, err := bad.ClientOptions(); err == nil || !strings.Contains(err.Error(), "AZPEER_CA_FILE") {
		t.Errorf("ClientOptions with a missing CA file: err = %v", err)
	}
}

// testCAPEM is a throwaway self-signed CA certificate.
func testCAPEM(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
