package azure_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/azpeer/azpeer/azure"
	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

func TestCredentialChoice(t *testing.T) {
	e := admin(t)
	ep := e.Endpoints
	c := e.Sandbox.Credentials()
	prompt := func(context.Context, azidentity.DeviceCodeMessage) error { return nil }
	noAz := func(string) (string, error) { return "", errors.New("not found") }
	fakeAz := func(string) (string, error) { return "/usr/bin/az", nil }

	tests := []struct {
		name     string
		env      map[string]string
		prompt   bool
		lookPath func(string) (string, error)
		want     azure.SourceKind
		wantErr  []string
	}{
		{name: "environment", env: map[string]string{"AZURE_TENANT_ID": c.TenantID, "AZURE_CLIENT_ID": c.ClientID, "AZURE_CLIENT_SECRET": c.ClientSecret},
			want: azure.SourceEnvironment},
		{name: "tenant only", env: map[string]string{"AZURE_TENANT_ID": c.TenantID},
			wantErr: []string{"AZURE_TENANT_ID set", "AZURE_CLIENT_ID and AZURE_CLIENT_SECRET missing"}},
		{name: "secret missing", env: map[string]string{"AZURE_TENANT_ID": c.TenantID, "AZURE_CLIENT_ID": c.ClientID},
			wantErr: []string{"AZURE_CLIENT_SECRET missing"}},
		{name: "tenant missing", env: map[string]string{"AZURE_CLIENT_ID": c.ClientID, "AZURE_CLIENT_SECRET": c.ClientSecret},
			wantErr: []string{"AZURE_TENANT_ID missing"}},
		{name: "device code", prompt: true, lookPath: noAz, want: azure.SourceDeviceCode},
		// The CLI signs in to its own cloud, never to an overridden authority.
		{name: "no CLI on a sandbox authority", prompt: true, lookPath: fakeAz, want: azure.SourceDeviceCode},
		{name: "nothing", lookPath: noAz, wantErr: []string{"no credential", "AZURE_CLIENT_SECRET", "az login"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := azure.CredentialOptions{Getenv: sandboxtest.Environ(t, e.Sandbox, tt.env), LookPath: tt.lookPath}
			if tt.prompt {
				opts.UserPrompt = prompt
			}
			cred, src, err := azure.Credential(ctx(t), ep, opts)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("Credential = %v, want an error", src)
				}
				errorSays(t, err, tt.wantErr...)
				if strings.Contains(err.Error(), c.ClientSecret) {
					t.Errorf("error %q shows the secret", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if src.Kind != tt.want || cred == nil {
				t.Fatalf("Credential source = %v, want %s", src, tt.want)
			}
			if src.Kind == azure.SourceEnvironment {
				if want := fmt.Sprintf("environment (client secret for app %s in tenant %s)", c.ClientID, c.TenantID); src.String() != want {
					t.Errorf("Source = %q, want %q", src, want)
				}
				if _, err := cred.GetToken(ctx(t), policy.TokenRequestOptions{Scopes: []string{ep.ARMScope()}}); err != nil {
					t.Errorf("GetToken: %v", err)
				}
			}
		})
	}
}

func TestCredentialWrongSecret(t *testing.T) {
	const wrong = "Wr0ng~secret-text-0123456789abcdefghijkl"
	// The admin's app with a wrong secret: the credential is made without
	// signing in.
	s := sandboxtest.Start(t, sandbox.Options{})
	n := sandboxtest.Connect(t, s, sandboxtest.Options{Secret: wrong}).Network
	// The sign-in fails inside an ARM call: reported as entra's error.
	_, err := n.VNets(ctx(t), sandbox.UserSubscriptionID)
	ce := checkCloudError(t, err, "entra", 401, "AADSTS7000215")
	checkNoSecret(t, err, wrong)
	if strings.Contains(ce.Message, "Trace ID") || strings.Contains(ce.Message, "AADSTS") {
		t.Errorf("message %q keeps trace ids or the code", ce.Message)
	}
	var af *azidentity.AuthenticationFailedError
	if !errors.As(err, &af) {
		t.Errorf("error %v does not wrap *azidentity.AuthenticationFailedError", err)
	}
}

// checkNoSecret fails if the secret shows in any rendering of err or of
// the errors it wraps.
func checkNoSecret(t *testing.T, err error, secret string) {
	t.Helper()
	for e := err; e != nil; e = errors.Unwrap(e) {
		for _, s := range []string{e.Error(), fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e)} {
			if strings.Contains(s, secret) {
				t.Fatalf("the secret shows in %T: %s", e, s)
			}
		}
	}
}
