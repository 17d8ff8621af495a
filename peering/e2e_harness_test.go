package peering_test

// The runbook's tests run against the sandbox over HTTPS with the real
// adapters (and so the real SDKs), wired as the command layer wires them
// by package sandboxtest.

import (
	"encoding/json"
	"testing"

	"github.com/azpeer/azpeer/peering"
	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

// env is one sandbox, the adapters signed in to it, and the run records
// directory of the runbooks built over them.
type env struct {
	*sandboxtest.Env
	t        testing.TB
	stateDir string
}

const (
	stagingVPC = "2a3b4c5d-6e7f-4819-9a0b-1c2d3e4f5a6b"
	prodVPC    = "1f0e2d3c-4b5a-4697-8877-665544332211"
)

func stagingTarget() peering.Target {
	return peering.Target{Project: "tsdb-staging", VPCID: stagingVPC, SubscriptionID: sandbox.UserSubscriptionID, ResourceGroup: "rg-app", VNetName: "app-vnet"}
}

// newEnv starts a sandbox and signs in to it as the scenario's admin.
func newEnv(t testing.TB, opts sandbox.Options) *env {
	t.Helper()
	return envOf(t, sandboxtest.New(t, opts))
}

// connectEnv signs in to a running sandbox (see sandboxtest.Options).
func connectEnv(t testing.TB, s *sandbox.Server, o sandboxtest.Options) *env {
	t.Helper()
	return envOf(t, sandboxtest.Connect(t, s, o))
}

func envOf(t testing.TB, e *sandboxtest.Env) *env {
	return &env{Env: e, t: t, stateDir: t.TempDir()}
}

// as is an env on the same sandbox signed in as a new principal.
func (e *env) as(t testing.TB, spec sandbox.PrincipalSpec) *env {
	t.Helper()
	return envOf(t, e.As(t, spec))
}

// runbook is a fresh runbook over the env, as a new azpeer process would
// build it (same state dir).
func (e *env) runbook() *peering.Runbook { return e.Runbook(e.stateDir) }

// openRun opens a run of tg on rb; the caller closes it.
func openRun(t testing.TB, rb *peering.Runbook, tg peering.Target, o peering.Options) *peering.Run {
	t.Helper()
	run, err := rb.Open(tg, o)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

// runAll runs every step of run; a failure fails the test with what was
// run and the run's events, which it returns.
func runAll(t testing.TB, run *peering.Run, what string) *events {
	t.Helper()
	var ev events
	if err := run.RunAll(ctxFor(t), ev.sink); err != nil {
		t.Fatalf("%s: %v\nevents:\n%s", what, err, ev.text())
	}
	return &ev
}

// state is the part of /_sandbox/state the tests compare.
func (e *env) state() worldState {
	e.t.Helper()
	var w worldState
	if err := json.Unmarshal(e.State(e.t), &w); err != nil {
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

// ctxFor is a context that ends with the test.
var ctxFor = sandboxtest.Context
