package cmd

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// wait's exit codes: 0 reached, 1 failed (with the diagnosis), 2 timed
// out, 3 could not check; --json gives one line per change.
func TestWaitExitCodes(t *testing.T) {
	sv := served(t)
	prod := []string{"--project", "tsdb-prod", "--vpc", prodVPC}
	out, errOut, err := run(t, append([]string{"wait", "--vnet", "rg-prod/prod-vnet", "--for", "active", "--json"}, prod...)...)
	if exitCode(err) != 0 || !strings.Contains(errOut, "reached active") {
		t.Errorf("wait on an ACTIVE peering: %v\n%s%s", err, out, errOut)
	}
	_, _, err = run(t, append([]string{"wait", "--vnet", "rg-prod/prod-vnet-old", "--for", "active"}, prod...)...)
	if exitCode(err) != 1 || !strings.Contains(err.Error(), "INVALID_SPECIFICATION") || !strings.Contains(err.Error(), "vnet-missing") {
		t.Errorf("wait on a failed peering: %v", err)
	}
	// An ACTIVE peering is not deleted by waiting.
	_, errOut, err = run(t, append([]string{"wait", "--vnet", "rg-prod/prod-vnet", "--for", "deleted", "--timeout", "1s"}, prod...)...)
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "timed out") {
		t.Errorf("wait that times out: %v\n%s", err, errOut)
	}
	_, _, err = run(t, append([]string{"wait", "--vnet", "rg-prod/prod-vnet", "--for", "soon"}, prod...)...)
	if err == nil || !strings.Contains(err.Error(), "--for") {
		t.Errorf("--for soon: %v", err)
	}
	revoke(t, sv)
	_, _, err = run(t, append([]string{"wait", "--vnet", "rg-prod/prod-vnet", "--for", "active"}, prod...)...)
	if exitCode(err) != 3 {
		t.Errorf("wait with a revoked token: exit %d (%v), want 3", exitCode(err), err)
	}
}

// revoke revokes the served sandbox's Aiven token.
func revoke(t *testing.T, sv *serving) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, sv.env["AIVEN_WEB_URL"]+"/_sandbox/aiven/revoke-token", strings.NewReader(`{"token":"`+sv.env["AIVEN_TOKEN"]+`"}`))
	req.Header.Set("Authorization", "aivenv1 "+sv.env["AIVEN_TOKEN"])
	resp, err := sv.httpClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Fatalf("revoke: HTTP %d", resp.StatusCode)
	}
}

// Read-only mode refuses every mutating command, from the flag, the
// environment or the configuration, before anything is called.
func TestReadOnlyRefusesEveryChange(t *testing.T) {
	sv := served(t)
	before := sv.state(t)
	target := []string{"--project", "tsdb-staging", "--vpc", stagingVPC, "--vnet", "rg-app/app-vnet"}
	analytics := []string{"--project", "analytics", "--vpc", analyticsAzureVPC, "--vnet", "rg-app/app-vnet"}
	for _, args := range [][]string{
		append([]string{"create", "--read-only"}, target...),
		append([]string{"delete", "--read-only", "--yes"}, target...),
		append([]string{"doctor", "--read-only", "--fix", "--yes"}, analytics...),
	} {
		_, _, err := run(t, args...)
		if err == nil || !strings.Contains(err.Error(), "read-only mode") {
			t.Errorf("%v: %v", args, err)
		}
	}
	t.Setenv(EnvReadOnly, "1")
	if _, _, err := run(t, append([]string{"create"}, target...)...); err == nil || !strings.Contains(err.Error(), "read-only mode") {
		t.Errorf("create with %s=1: %v", EnvReadOnly, err)
	}
	// Reading still works, and --read-only=false beats the environment.
	if _, _, err := run(t, append([]string{"create", "--dry-run"}, target...)...); err != nil {
		t.Errorf("create --dry-run in read-only mode: %v", err)
	}
	if out, _, err := run(t, "list"); err != nil || !strings.Contains(out, "tsdb-prod") {
		t.Errorf("list in read-only mode: %v", err)
	}
	t.Setenv(EnvReadOnly, "")
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfg, []byte("read_only: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AZPEER_CONFIG", cfg)
	if _, _, err := run(t, append([]string{"delete", "--yes"}, target...)...); err == nil || !strings.Contains(err.Error(), "read-only mode") || !strings.Contains(err.Error(), cfg) {
		t.Errorf("delete with read_only in the configuration: %v", err)
	}
	if !sameObjects(sv.state(t), before) {
		t.Error("read-only mode changed the world")
	}
}

// The configuration's defaults apply where flags and the environment are
// silent; config show and keys say what azpeer read.
func TestConfigDefaultsAndCommands(t *testing.T) {
	served(t)
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	body := "role: least-privilege\napp_name: \"team-{project}-{vnet}\"\nbell: false\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AZPEER_CONFIG", cfg)
	out, _, err := run(t, "create", "--dry-run", "--json", "--project", "tsdb-staging", "--vpc", stagingVPC, "--vnet", "rg-app/app-vnet")
	if err != nil {
		t.Fatal(err)
	}
	var plan struct {
		Options struct {
			AppName string `json:"app_name"`
			Role    string `json:"role"`
		} `json:"options"`
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil || plan.Options.AppName != "team-tsdb-staging-app-vnet" || plan.Options.Role != "least-privilege" {
		t.Errorf("plan options %+v (%v)", plan.Options, err)
	}
	out, _, err = run(t, "create", "--dry-run", "--json", "--role", "network-contributor", "--project", "tsdb-staging", "--vpc", stagingVPC, "--vnet", "rg-app/app-vnet")
	if err != nil || !strings.Contains(out, `"role": "network-contributor"`) {
		t.Errorf("--role beats the configuration: %v\n%s", err, out)
	}
	if out, _, err := run(t, "config", "path"); err != nil || strings.TrimSpace(out) != cfg {
		t.Errorf("config path = %q, %v", out, err)
	}
	if out, _, err := run(t, "config", "show"); err != nil || !bytes.Contains([]byte(out), []byte(`"role": "least-privilege"`)) {
		t.Errorf("config show: %v\n%s", err, out)
	}
	if out, _, err := run(t, "config", "keys"); err != nil || !strings.Contains(out, "read_only") || !strings.Contains(out, "run_all") {
		t.Errorf("config keys: %v\n%s", err, out)
	}
	if err := os.WriteFile(cfg, []byte("keys: {fly: [f]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(t, "list"); err == nil || !strings.Contains(err.Error(), "keys.fly") {
		t.Errorf("an unknown action in keys: %v", err)
	}
}
