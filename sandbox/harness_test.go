package sandbox_test

// Shared test harness: a sandbox per test, and the real SDK clients pointed
// at it over HTTPS, trusting only the sandbox's CA.

import (
	"context"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	aiven "github.com/aiven/go-client-codegen"
	"github.com/hashicorp/go-retryablehttp"

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

// cloudConfig points azcore at the sandbox.
func cloudConfig(s *sandbox.Server) cloud.Configuration {
	return cloud.Configuration{
		ActiveDirectoryAuthorityHost: s.URL() + "/",
		Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: {Endpoint: s.URL(), Audience: "https://management.core.windows.net/"},
		},
	}
}

// clientOptions are azcore options for the sandbox with fast retries.
func clientOptions(s *sandbox.Server) azcore.ClientOptions {
	return azcore.ClientOptions{
		Cloud:     cloudConfig(s),
		Transport: s.HTTPClient(),
		Retry:     policy.RetryOptions{MaxRetries: 4, RetryDelay: 20 * time.Millisecond, MaxRetryDelay: 2 * time.Second},
	}
}

// armOptions are ARM client options for the sandbox, with auxiliary tenants.
func armOptions(s *sandbox.Server, aux ...string) *arm.ClientOptions {
	return &arm.ClientOptions{ClientOptions: clientOptions(s), AuxiliaryTenants: aux}
}

// secretCredential signs in as an app with a client secret.
func secretCredential(t testing.TB, s *sandbox.Server, tenant, clientID, secret string, extraTenants ...string) *azidentity.ClientSecretCredential {
	t.Helper()
	cred, err := azidentity.NewClientSecretCredential(tenant, clientID, secret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions:              clientOptions(s),
		DisableInstanceDiscovery:   true,
		AdditionallyAllowedTenants: extraTenants,
	})
	if err != nil {
		t.Fatalf("NewClientSecretCredential: %v", err)
	}
	return cred
}

// adminCredential is the scenario's admin (Application Administrator, Owner).
func adminCredential(t testing.TB, s *sandbox.Server) *azidentity.ClientSecretCredential {
	c := s.Credentials()
	return secretCredential(t, s, c.TenantID, c.ClientID, c.ClientSecret)
}

// aivenClient is the official Aiven client pointed at the sandbox, with
// retries like codegen's defaults but short waits.
func aivenClient(t testing.TB, s *sandbox.Server, token string) aiven.Client {
	t.Helper()
	rc := retryablehttp.NewClient()
	rc.HTTPClient = s.HTTPClient()
	rc.Logger = nil
	rc.RetryMax = 6
	rc.RetryWaitMin = 10 * time.Millisecond
	rc.RetryWaitMax = 200 * time.Millisecond
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler
	c, err := aiven.NewClient(aiven.TokenOpt(token), aiven.HostOpt(s.URL()), aiven.DoerOpt(rc.StandardClient()))
	if err != nil {
		t.Fatalf("aiven.NewClient: %v", err)
	}
	return c
}

// ctx returns a context that ends with the test (at most a minute).
func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}
