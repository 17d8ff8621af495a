package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/azpeer/azpeer/aiven"
	"github.com/azpeer/azpeer/azure"
	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

// TestDeviceCodeSignInWithTheSandbox runs the sign-in panel against a real
// device-code endpoint: azidentity's DeviceCodeCredential (the one the
// command layer builds when nothing else signs in) asks the sandbox for a
// code, the panel shows the sandbox's code and URL, the person refuses it
// (the panel says so; enter gets a new one), approves the next, and the
// dashboard goes on signed in as that person.
func TestDeviceCodeSignInWithTheSandbox(t *testing.T) {
	e := newTestEnv(t, envOptions{noAzure: true})
	deps := deviceCodeDeps(t, e)
	d := newDriver(t, deps, fastOptions(), 120, 40)

	var code string
	d.until("the sandbox's code on the panel", func() bool {
		pending := e.s.PendingUserCodes()
		if len(pending) == 1 && strings.Contains(d.screen(), pending[0]) {
			code = pending[0]
			return true
		}
		return false
	})
	d.untilScreen("Azure sign-in", e.s.URL()+"/devicelogin")
	d.press("c")
	d.until("the clipboard", func() bool { return d.copied != "" })
	if d.copied != code {
		t.Errorf("c copied %q, want the sandbox's code %q", d.copied, code)
	}
	// Refused: the panel says so and enter asks the sandbox for a new code.
	if err := e.s.DenyDeviceCode(code); err != nil {
		t.Fatal(err)
	}
	d.untilScreen("sign-in failed", "authorization_declined", "enter new code")
	d.press("enter")
	first := code
	d.until("a new code from the sandbox on the panel", func() bool {
		pending := e.s.PendingUserCodes()
		if len(pending) == 1 && pending[0] != first && strings.Contains(d.screen(), pending[0]) {
			code = pending[0]
			return true
		}
		return false
	})
	if err := e.s.ApproveDeviceCode(code, sandbox.AdminUserUPN); err != nil {
		t.Fatal(err)
	}
	d.untilScreen(sandbox.AdminUserUPN, "Contoso")
	d.until("the panel to close", func() bool { return !strings.Contains(d.screen(), "Azure sign-in") })
	// Azure's data loads as the person: the wizard lists the VNets of
	// their subscription.
	d.press("down", "down", "enter") // tsdb-staging
	w := wizardTo(t, d, "app-vnet")
	if len(w.vnets) == 0 || !strings.Contains(d.screen(), "app-vnet") {
		t.Errorf("the wizard shows no VNets for the person:\n%s", d.screen())
	}
	if p := e.s.PendingUserCodes(); len(p) != 0 {
		t.Errorf("codes still pending after the sign-in: %v", p)
	}
}

// deviceCodeDeps are the dashboard's dependencies signed in to Azure with
// nothing but a device code, as the command layer builds them (the code
// reaches the panel through Deps.DeviceCode).
func deviceCodeDeps(t *testing.T, e *testEnv) Deps {
	t.Helper()
	getenv := sandboxtest.Environ(t, e.s, nil) // no Azure credential at all
	ep, err := azure.EndpointsFromEnv("public", getenv)
	if err != nil {
		t.Fatal(err)
	}
	codes := make(chan DeviceCodeMessage, 1)
	prompt := func(_ context.Context, m azidentity.DeviceCodeMessage) error {
		select {
		case codes <- DeviceCodeMessage{UserCode: m.UserCode, VerificationURL: m.VerificationURL, Message: m.Message}:
		default:
		}
		return nil
	}
	cred, src, err := azure.Credential(sandboxtest.Context(t), ep, azure.CredentialOptions{Getenv: getenv, NoCLI: true, UserPrompt: prompt})
	if err != nil || src.Kind != azure.SourceDeviceCode {
		t.Fatalf("credential %v from %v, want a device code", err, src)
	}
	co, err := ep.ClientOptions()
	if err != nil {
		t.Fatal(err)
	}
	network, err := azure.NewNetwork(cred, co, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := azure.NewDirectory(cred, co)
	if err != nil {
		t.Fatal(err)
	}
	access, err := azure.NewAccess(cred, co)
	if err != nil {
		t.Fatal(err)
	}
	identity := azure.NewIdentity(cred, ep, dir, network)
	person := &sandboxtest.Env{Sandbox: e.s, Network: network, Access: access, Directory: dir, Identity: identity,
		SignIn: azure.NewAppSignIn(ep), Aiven: e.deps.Aiven.(*aiven.Client)}
	deps := e.deps
	deps.Network, deps.WhoAmI, deps.DeviceCode = network, identity, codes
	deps.Runbook = person.Runbook(t.TempDir())
	deps.Identity.AzureSource, deps.Identity.AzureTenantID = src.String(), ""
	return deps
}

// TestDeviceCodeExpiresWithTheSandbox: a code nobody answers in time
// ends the sign-in with Entra's reason on the panel and an offer of a new
// code.
func TestDeviceCodeExpiresWithTheSandbox(t *testing.T) {
	timing := sandbox.DefaultTiming()
	timing.DeviceCodeLifetime = sandbox.Duration(time.Millisecond)
	e := newTestEnv(t, envOptions{noAzure: true, sandbox: sandbox.Options{Timing: &timing}})
	d := newDriver(t, deviceCodeDeps(t, e), fastOptions(), 120, 40)
	d.untilScreen("Azure sign-in", "sign-in failed", "expired_token", "AADSTS70020", "enter new code")
}
