package cmd

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const (
	prodVPC    = "1f0e2d3c-4b5a-4697-8877-665544332211"
	stagingVPC = "2a3b4c5d-6e7f-4819-9a0b-1c2d3e4f5a6b"
)

// served starts `azpeer sandbox serve` and points the environment at it,
// so that several commands share one world.
func served(t *testing.T) *serving {
	t.Helper()
	cleanEnv(t)
	sv := startServe(t, filepath.Join(t.TempDir(), "sandbox.env"))
	for k, v := range sv.env {
		t.Setenv(k, v)
	}
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	return sv
}

// state fetches the world as JSON text (secrets are hashes there).
func (sv *serving) state(t *testing.T) string {
	t.Helper()
	var v struct {
		Applications      json.RawMessage `json:"applications"`
		ServicePrincipals json.RawMessage `json:"service_principals"`
		RoleAssignments   json.RawMessage `json:"role_assignments"`
		RoleDefinitions   json.RawMessage `json:"role_definitions"`
		VNets             json.RawMessage `json:"vnets"`
		Aiven             struct {
			Projects json.RawMessage `json:"projects"`
		} `json:"aiven"`
	}
	if err := json.Unmarshal(sv.admin(t, http.MethodGet, "/_sandbox/state", ""), &v); err != nil {
		t.Fatal(err)
	}
	return string(v.Applications) + string(v.ServicePrincipals) + string(v.RoleAssignments) + string(v.RoleDefinitions) + string(v.VNets) + string(v.Aiven.Projects)
}

func exitCode(err error) int {
	var ee *ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.Code
	}
	return 1
}

// A peering azpeer did not create is never deleted without --adopt and a
// typed confirmation; with them, both sides go.
func TestDeleteRefusesWhatAzpeerDidNotCreate(t *testing.T) {
	sv := served(t)
	before := sv.state(t)
	target := []string{"--project", "tsdb-prod", "--vpc", prodVPC, "--vnet", "rg-prod/prod-vnet"}
	out, _, err := run(t, append([]string{"delete", "--dry-run"}, target...)...)
	if err != nil || !strings.Contains(out, "Azure peering to-aiven-tsdb-prod") || !strings.Contains(out, "delete it with --adopt, typing rg-prod/prod-vnet") {
		t.Fatalf("delete --dry-run of a peering azpeer did not create: %v\n%s", err, out)
	}
	if !sameObjects(sv.state(t), before) {
		t.Fatal("delete --dry-run changed the world")
	}
	_, _, err = run(t, append([]string{"delete", "--yes"}, target...)...)
	if exitCode(err) != 1 || !strings.Contains(err.Error(), "no record") || !strings.Contains(err.Error(), "--adopt") ||
		!strings.Contains(err.Error(), "Aiven connection ACTIVE") || !strings.Contains(err.Error(), "Azure peering") {
		t.Fatalf("delete of a peering azpeer did not create: %v", err)
	}
	if !sameObjects(sv.state(t), before) {
		t.Fatal("the refused delete changed the world")
	}
	if files, _ := filepath.Glob(filepath.Join(getenv(t, "XDG_STATE_HOME"), "azpeer", "*.json")); len(files) != 0 {
		t.Errorf("the refused delete wrote a run record: %v", files)
	}
	// --yes is not consent to delete what azpeer did not make.
	_, _, err = run(t, append([]string{"delete", "--yes", "--adopt"}, target...)...)
	if err == nil || !strings.Contains(err.Error(), "--confirm") {
		t.Fatalf("delete --adopt without the typed name: %v", err)
	}
	_, _, err = run(t, append([]string{"delete", "--adopt", "--confirm", "rg-prod/other-vnet"}, target...)...)
	if err == nil || !strings.Contains(err.Error(), "does not name this peering") || !sameObjects(sv.state(t), before) {
		t.Fatalf("delete --adopt with the wrong name: %v", err)
	}
	out, _, err = run(t, append([]string{"delete", "--adopt", "--confirm", "rg-prod/prod-vnet"}, target...)...)
	if err != nil {
		t.Fatalf("delete --adopt --confirm: %v\n%s", err, out)
	}
	for _, want := range []string{"deleted the Azure peering", "deleted the Aiven peering connection"} {
		if !strings.Contains(out, want) {
			t.Errorf("delete output lacks %q:\n%s", want, out)
		}
	}
	// Both sides are gone, and what was not part of the peering stays.
	st, _, err := run(t, append([]string{"status", "--json"}, target...)...)
	if exitCode(err) != 1 {
		t.Fatalf("status after delete: %v\n%s", err, st)
	}
	var s struct {
		Aiven any `json:"aiven"`
		Azure any `json:"azure"`
	}
	if err := json.Unmarshal([]byte(st), &s); err != nil || s.Aiven != nil || s.Azure != nil {
		t.Errorf("after delete --adopt: aiven %v, azure %v (%v)", s.Aiven, s.Azure, err)
	}
}

// create on a peering that exists without a record creates nothing, and
// says how to adopt it; --adopt records it and changes nothing.
func TestCreateOnAnExistingPeeringAdoptsOnlyWhenAsked(t *testing.T) {
	sv := served(t)
	before := sv.state(t)
	target := []string{"--project", "tsdb-prod", "--vpc", prodVPC, "--vnet", "rg-prod/prod-vnet"}
	_, _, err := run(t, append([]string{"create"}, target...)...)
	if err == nil || !strings.Contains(err.Error(), "already exists") || !strings.Contains(err.Error(), "--adopt") || !strings.Contains(err.Error(), "Nothing was created") {
		t.Fatalf("create on an existing peering: %v", err)
	}
	if !sameObjects(sv.state(t), before) {
		t.Fatal("create on an existing peering changed the world")
	}
	out, _, err := run(t, append([]string{"create", "--adopt"}, target...)...)
	if err != nil {
		t.Fatalf("create --adopt: %v\n%s", err, out)
	}
	if after := sv.state(t); !sameObjects(before, after) {
		t.Errorf("adopting changed the world:\n%s\nbefore:\n%s\nafter:\n%s", out, objectIDs(before), objectIDs(after))
	}
}

// sameObjects compares the objects of two state dumps (their ids and
// names), not the times and states the clouds advance on their own.
func sameObjects(a, b string) bool { return objectIDs(a) == objectIDs(b) }

var idRE = regexp.MustCompile(`"(?:id|key_id|name|peer_vpc|role_name)":"[^"]*"`)

func objectIDs(s string) string {
	ids := idRE.FindAllString(s, -1)
	slices.Sort(ids)
	return strings.Join(ids, "\n")
}

// Unknown is never healthy: the clouds unreachable, or a revoked token,
// give the "could not check" verdict (exit 3), in text and JSON.
func TestCouldNotCheckIsNotHealthy(t *testing.T) {
	sv := served(t)
	target := []string{"--project", "tsdb-prod", "--vpc", prodVPC, "--vnet", "rg-prod/prod-vnet"}
	out, _, err := run(t, append([]string{"doctor"}, target...)...)
	if err != nil || !strings.Contains(out, "healthy") {
		t.Fatalf("doctor on the healthy peering: %v\n%s", err, out)
	}

	// The Aiven token is revoked.
	sv.admin(t, http.MethodPost, "/_sandbox/aiven/revoke-token", `{"token":"`+sv.env["AIVEN_TOKEN"]+`"}`)
	for _, cmd := range []string{"status", "doctor"} {
		out, _, err := run(t, append([]string{cmd}, target...)...)
		if exitCode(err) != 3 {
			t.Errorf("%s with a revoked token: exit %d (%v), want 3\n%s", cmd, exitCode(err), err, out)
		}
		if strings.Contains(out, "no peering connection") || strings.Contains(out, "✓ healthy") || !strings.Contains(out, "could not") {
			t.Errorf("%s with a revoked token says:\n%s", cmd, out)
		}
		jout, _, err := run(t, append([]string{cmd, "--json"}, target...)...)
		var v struct {
			Verdict  string `json:"verdict"`
			Findings []any  `json:"findings"`
		}
		if jerr := json.Unmarshal([]byte(jout), &v); jerr != nil || v.Verdict != "unknown" || v.Findings == nil || exitCode(err) != 3 {
			t.Errorf("%s --json with a revoked token: verdict %q, findings %v, exit %d (%v)\n%s", cmd, v.Verdict, v.Findings, exitCode(err), jerr, jout)
		}
	}

	// The clouds are down.
	if err := sv.stop(); err != nil && !strings.Contains(err.Error(), "context canceled") {
		t.Logf("serve: %v", err)
	}
	out, _, err = run(t, append([]string{"doctor"}, target...)...)
	if c := exitCode(err); c == 0 || strings.Contains(out, "✓ healthy") {
		t.Errorf("doctor with the clouds down: exit %d (%v)\n%s", c, err, out)
	}
}

func getenv(t *testing.T, k string) string {
	t.Helper()
	return os.Getenv(k)
}
