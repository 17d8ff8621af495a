package peering_test

// The runbook's tests run against the sandbox over HTTPS with the real
// adapters (and so the real SDKs), wired as the command layer wires them.

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/azpeer/azpeer/aiven"
	"github.com/azpeer/azpeer/azure"
	"github.com/azpeer/azpeer/peering"
	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/state"
)

// env is one sandbox and everything the runbook needs to drive it.
type env struct {
	t        testing.TB
	sb       *sandbox.Server
	getenv   func(string) string
	clientID string
	ep       azure.Endpoints
	stateDir string
	aiven    *aiven.Client
	network  peering.Network
	dir      peering.Directory
	access   peering.Access
	signIn   peering.AppSignIn
}

const (
	stagingVPC = "2a3b4c5d-6e7f-4819-9a0b-1c2d3e4f5a6b"
	prodVPC    = "1f0e2d3c-4b5a-4697-8877-665544332211"
)

func stagingTarget() peering.Target {
	return peering.Target{Project: "tsdb-staging", VPCID: stagingVPC, SubscriptionID: sandbox.UserSubscriptionID, ResourceGroup: "rg-app", VNetName: "app-vnet"}
}

func newEnv(t testing.TB, opts sandbox.Options) *env {
	t.Helper()
	s, err := sandbox.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	c := s.Credentials()
	return connectEnv(t, s, c.ClientID, c.ClientSecret)
}

// as is an env on the same sandbox signed in as a new principal.
func (e *env) as(t testing.TB, spec sandbox.PrincipalSpec) *env {
	t.Helper()
	p, err := e.sb.AddPrincipal(spec)
	if err != nil {
		t.Fatal(err)
	}
	return connectEnv(t, e.sb, p.AppID, p.Secret)
}

// connectEnv wires the adapters to a sandbox as one principal, through the
// same environment variables a user would set.
func connectEnv(t testing.TB, s *sandbox.Server, clientID, secret string) *env {
	t.Helper()
	return connectWith(t, s, clientID, secret, nil)
}

// connectWith is connectEnv with every HTTP request of the adapters going
// through wrap (nil: straight).
func connectWith(t testing.TB, s *sandbox.Server, clientID, secret string, wrap func(http.RoundTripper) http.RoundTripper) *env {
	t.Helper()
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, s.CA().CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	c := s.Credentials()
	vars := map[string]string{
		"AZURE_TENANT_ID": c.TenantID, "AZURE_CLIENT_ID": clientID, "AZURE_CLIENT_SECRET": secret,
		"AZURE_AUTHORITY_HOST": s.URL() + "/", "AZPEER_ARM_ENDPOINT": s.URL(), "AZPEER_GRAPH_ENDPOINT": s.URL(),
		"AZPEER_CA_FILE": caFile,
	}
	e := &env{t: t, sb: s, getenv: func(k string) string { return vars[k] }, clientID: clientID, stateDir: filepath.Join(dir, "state")}
	var err error
	if e.ep, err = azure.EndpointsFromEnv("public", e.getenv); err != nil {
		t.Fatal(err)
	}
	if wrap != nil {
		e.ep.Wrap = wrapFunc{wrap}
	}
	co, err := e.ep.ClientOptions()
	if err != nil {
		t.Fatal(err)
	}
	co.Retry.RetryDelay = 20 * time.Millisecond
	co.Retry.MaxRetryDelay = time.Second
	cred, _, err := azure.Credential(context.Background(), e.ep, azure.CredentialOptions{Getenv: e.getenv, NoCLI: true})
	if err != nil {
		t.Fatal(err)
	}
	if e.network, err = azure.NewNetwork(cred, co, nil); err != nil {
		t.Fatal(err)
	}
	if e.access, err = azure.NewAccess(cred, co); err != nil {
		t.Fatal(err)
	}
	if e.dir, err = azure.NewDirectory(cred, co); err != nil {
		t.Fatal(err)
	}
	e.signIn = azure.NewAppSignIn(e.ep)
	hc, _ := co.Transport.(*http.Client)
	if e.aiven, err = aiven.New(aiven.Config{URL: s.URL(), Token: c.AivenToken, HTTPClient: hc,
		RetryWaitMin: 10 * time.Millisecond, RetryWaitMax: 200 * time.Millisecond, RetryMax: 6}); err != nil {
		t.Fatal(err)
	}
	return e
}

// runbook is a fresh runbook over the env, as a new azpeer process would
// build it (same state dir).
func (e *env) runbook() *peering.Runbook {
	return &peering.Runbook{Aiven: e.aiven, Directory: e.dir, Access: e.access, Network: e.network,
		SignInAsApp: e.signIn, SignedInAppID: e.clientID, Store: state.Dir{Path: e.stateDir},
		Poll:         peering.Backoff{Initial: 5 * time.Millisecond, Max: 100 * time.Millisecond, Factor: 1.5},
		Retry:        peering.Backoff{Initial: 10 * time.Millisecond, Max: 200 * time.Millisecond, Factor: 2},
		StepDeadline: time.Minute, WaitDeadline: time.Minute}
}

// state fetches /_sandbox/state.
func (e *env) state() worldState {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.sb.URL()+"/_sandbox/state", nil)
	req.Header.Set("Authorization", "aivenv1 "+e.sb.Credentials().AivenToken)
	resp, err := e.sb.HTTPClient().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		e.t.Fatalf("/_sandbox/state: HTTP %d", resp.StatusCode)
	}
	var w worldState
	if err := json.NewDecoder(resp.Body).Decode(&w); err != nil {
		e.t.Fatal(err)
	}
	return w
}

// worldState is the part of /_sandbox/state the tests compare.
type worldState struct {
	Applications map[string]struct {
		AppID               string `json:"app_id"`
		TenantID            string `json:"tenant_id"`
		DisplayName         string `json:"display_name"`
		PasswordCredentials []struct {
			KeyID string `json:"key_id"`
		} `json:"password_credentials"`
	} `json:"applications"`
	ServicePrincipals map[string]struct {
		AppID    string `json:"app_id"`
		TenantID string `json:"tenant_id"`
	} `json:"service_principals"`
	RoleDefinitions map[string]struct {
		RoleName string `json:"role_name"`
		RoleType string `json:"role_type"`
		TenantID string `json:"tenant_id"`
	} `json:"role_definitions"`
	RoleAssignments map[string]struct {
		Scope            string `json:"scope"`
		RoleDefinitionID string `json:"role_definition_id"`
		PrincipalID      string `json:"principal_id"`
	} `json:"role_assignments"`
	VNets map[string]struct {
		ID       string `json:"id"`
		Peerings map[string]struct {
			Name         string `json:"name"`
			RemoteVNetID string `json:"remote_vnet_id"`
			PeeringState string `json:"peering_state"`
		} `json:"peerings"`
	} `json:"vnets"`
	Aiven struct {
		Projects map[string]struct {
			VPCs []struct {
				ID       string `json:"project_vpc_id"`
				Peerings []struct {
					PeerCloudAccount  string `json:"peer_cloud_account"`
					PeerResourceGroup string `json:"peer_resource_group"`
					PeerVPC           string `json:"peer_vpc"`
					State             string `json:"state"`
				} `json:"peering_connections"`
			} `json:"vpcs"`
		} `json:"projects"`
	} `json:"aiven"`
}

func ctxFor(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// wrapFunc adapts a function to azure.TransportWrapper.
type wrapFunc struct {
	f func(http.RoundTripper) http.RoundTripper
}

func (w wrapFunc) WrapTransport(rt http.RoundTripper) http.RoundTripper { return w.f(rt) }
