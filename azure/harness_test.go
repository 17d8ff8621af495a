package azure_test

// Test harness: a sandbox per test and azpeer's own Azure adapters pointed
// at it over HTTPS, the way a user points azpeer at a sandbox: endpoint
// overrides in the environment and the sandbox's CA in AZPEER_CA_FILE.

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/azpeer/azpeer/azure"
	"github.com/azpeer/azpeer/sandbox"
)

// startSandbox starts a sandbox (instant speed unless set) and stops it at cleanup.
func startSandbox(t testing.TB, opts sandbox.Options) *sandbox.Server {
	t.Helper()
	s, err := sandbox.New(opts)
	if err != nil {
		t.Fatalf("sandbox.New: %v", err)
	}
	if err := s.Start(); err != nil {
		t.Fatalf("sandbox.Start: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// sandboxEnv is the environment that points azpeer at the sandbox, plus
// extra variables.
func sandboxEnv(t testing.TB, s *sandbox.Server, extra map[string]string) func(string) string {
	t.Helper()
	ca := filepath.Join(t.TempDir(), "sandbox-ca.pem")
	if err := os.WriteFile(ca, s.CA().CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		azure.EnvAuthorityHost: s.URL(),
		azure.EnvARMEndpoint:   s.URL(),
		azure.EnvGraphEndpoint: s.URL(),
		azure.EnvCAFile:        ca,
	}
	for k, v := range extra {
		env[k] = v
	}
	return func(k string) string { return env[k] }
}

// endpoints are the sandbox's endpoints as EndpointsFromEnv reads them.
func endpoints(t testing.TB, s *sandbox.Server) azure.Endpoints {
	t.Helper()
	ep, err := azure.EndpointsFromEnv("public", sandboxEnv(t, s, nil))
	if err != nil {
		t.Fatalf("EndpointsFromEnv: %v", err)
	}
	return ep
}

func clientOptions(t testing.TB, ep azure.Endpoints) azcore.ClientOptions {
	t.Helper()
	co, err := ep.ClientOptions()
	if err != nil {
		t.Fatalf("ClientOptions: %v", err)
	}
	return co
}

// adminCredential signs in as the scenario's admin (Application
// Administrator, subscription Owner) the way a CI run would: through the
// AZURE_* environment variables.
func adminCredential(t testing.TB, s *sandbox.Server, ep azure.Endpoints) azcore.TokenCredential {
	t.Helper()
	c := s.Credentials()
	getenv := sandboxEnv(t, s, map[string]string{
		azure.EnvTenantID: c.TenantID, azure.EnvClientID: c.ClientID, azure.EnvClientSecret: c.ClientSecret,
	})
	cred, src, err := azure.Credential(ctx(t), ep, azure.CredentialOptions{Getenv: getenv, NoCLI: true})
	if err != nil {
		t.Fatalf("Credential: %v", err)
	}
	if src.Kind != azure.SourceEnvironment {
		t.Fatalf("Credential source = %v, want environment", src)
	}
	return cred
}

// adminNetwork, adminAccess: the adapters as the admin.
func adminNetwork(t testing.TB, s *sandbox.Server) *azure.Network {
	t.Helper()
	ep := endpoints(t, s)
	n, err := azure.NewNetwork(adminCredential(t, s, ep), clientOptions(t, ep), &azure.NetworkOptions{PollFrequency: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func adminAccess(t testing.TB, s *sandbox.Server) *azure.Access {
	t.Helper()
	ep := endpoints(t, s)
	a, err := azure.NewAccess(adminCredential(t, s, ep), clientOptions(t, ep))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// ctx returns a context that ends with the test (at most a minute).
func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

// Resource ids of the default scenario.
var (
	prodVNetID   = sandbox.VNetID(sandbox.UserSubscriptionID, "rg-prod", "prod-vnet")
	appVNetID    = sandbox.VNetID(sandbox.UserSubscriptionID, "rg-app", "app-vnet")
	legacyVNetID = sandbox.VNetID(sandbox.UserSubscriptionID, "Rg-Legacy", "Legacy-VNet")
	// Aiven's VNets behind tsdb-prod's and analytics' Azure VPCs.
	aivenProdVNetID      = sandbox.VNetID(sandbox.AivenSubscriptionID, "aiven-vpc-westeurope", "aiven-vnet-1f0e2d3c")
	aivenAnalyticsVNetID = sandbox.VNetID(sandbox.AivenSubscriptionID, "aiven-vpc-eastus", "aiven-vnet-4c5d6e7f")
)
