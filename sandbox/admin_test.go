package sandbox_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

func secretHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// withNonAdminUser restarts the default world from a scenario file that
// adds an Aiven user who is not an admin, and returns that user's token.
// The admin's token (Credentials) is the same as before.
func withNonAdminUser(t *testing.T) (*sandbox.Server, string) {
	t.Helper()
	base := sandboxtest.Start(t, sandbox.Options{})
	var world map[string]any
	sandboxState(t, base, &world)
	const token = "not-an-admin-token-0123456789"
	users := world["aiven"].(map[string]any)["users"].(map[string]any)
	users["dev@example.com"] = map[string]any{"email": "dev@example.com", "real_name": "Dev", "user_id": "u-dev",
		"token_sha256": secretHash(token), "admin": false, "projects": []string{"tsdb-staging"}}
	// The admin keeps the base's token, which the world holds the hash of.
	file := scenarioFile(t, map[string]any{"world": world, "aiven_token": base.Credentials().AivenToken})
	return sandboxtest.Start(t, sandbox.Options{Scenario: file}), token
}

func TestAdminStateAuthorization(t *testing.T) {
	s, devToken := withNonAdminUser(t)
	tests := []struct {
		name, token string
		status      int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"unknown token", "no-such-token", http.StatusUnauthorized},
		{"not an admin", devToken, http.StatusForbidden},
	}
	for _, tt := range tests {
		for _, path := range []string{"/_sandbox/state", "/_sandbox/faults", "/_sandbox/clock"} {
			t.Run(tt.name+path, func(t *testing.T) {
				code, body := adminDo(t, s, http.MethodGet, path, tt.token, "")
				if code != tt.status {
					t.Fatalf("HTTP %d, want %d: %s", code, tt.status, body)
				}
				if strings.Contains(body, "tenants") {
					t.Errorf("refused answer carries the world: %s", body)
				}
			})
		}
	}
}

func TestAdminStateHasNoSecrets(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	creds := s.Credentials()
	var world struct {
		Tenants map[string]any `json:"tenants"`
		Aiven   struct {
			Projects map[string]any `json:"projects"`
		} `json:"aiven"`
	}
	body := sandboxState(t, s, &world)
	if world.Tenants[sandbox.UserTenantID] == nil || world.Aiven.Projects["tsdb-prod"] == nil {
		t.Errorf("state lacks the user's tenant or project tsdb-prod")
	}
	for name, secret := range map[string]string{"client secret": creds.ClientSecret, "Aiven token": creds.AivenToken} {
		if secret == "" {
			t.Fatalf("scenario has no %s", name)
		}
		if strings.Contains(body, secret) {
			t.Errorf("/_sandbox/state contains the %s", name)
		}
		if !strings.Contains(body, secretHash(secret)) {
			t.Errorf("/_sandbox/state lacks the hash of the %s", name)
		}
	}
}

func TestAdminFaults(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	token := s.Credentials().AivenToken
	me := func() int {
		code, _ := adminDo(t, s, http.MethodGet, "/v1/me", token, "")
		return code
	}
	if got := me(); got != 200 {
		t.Fatalf("/v1/me before faults: HTTP %d", got)
	}

	code, body := adminDo(t, s, http.MethodPut, "/_sandbox/faults", token, `{"aiven": {"rate_5xx": 1, "latency": "1ms"}}`)
	if code != 200 {
		t.Fatalf("PUT faults: HTTP %d: %s", code, body)
	}
	var faults map[string]struct {
		Latency string  `json:"latency"`
		Rate5xx float64 `json:"rate_5xx"`
	}
	if err := json.Unmarshal([]byte(body), &faults); err != nil {
		t.Fatal(err)
	}
	if f := faults["aiven"]; f.Rate5xx != 1 || f.Latency != "1ms" {
		t.Errorf("faults[aiven] = %+v, want rate_5xx 1, latency 1ms", f)
	}
	if len(faults) != len(sandbox.APIs) {
		t.Errorf("faults lists %d APIs, want %d", len(faults), len(sandbox.APIs))
	}
	if got := s.Faults(sandbox.APIAiven).Rate5xx; got != 1 {
		t.Errorf("Faults(aiven).Rate5xx = %v, want 1", got)
	}
	if got := me(); got != http.StatusServiceUnavailable {
		t.Errorf("/v1/me with rate_5xx 1: HTTP %d, want 503", got)
	}
	// The admin endpoints themselves are never faulted.
	if code, _ := adminDo(t, s, http.MethodGet, "/_sandbox/faults", token, ""); code != 200 {
		t.Errorf("GET faults while Aiven fails: HTTP %d", code)
	}

	for _, bad := range []string{`{"nosuch": {}}`, `{"arm": {"rate_429": 1.5}}`, `{"arm": {"rate_429": 0.6, "rate_5xx": 0.6}}`, `{"arm": {"latency": "soon"}}`, `[]`} {
		if code, body := adminDo(t, s, http.MethodPut, "/_sandbox/faults", token, bad); code != http.StatusBadRequest {
			t.Errorf("PUT faults %s: HTTP %d, want 400: %s", bad, code, body)
		}
	}

	if code, body := adminDo(t, s, http.MethodPut, "/_sandbox/faults", token, `{"aiven": {}}`); code != 200 {
		t.Fatalf("clear faults: HTTP %d: %s", code, body)
	}
	if got := me(); got != 200 {
		t.Errorf("/v1/me after clearing faults: HTTP %d", got)
	}
}

func TestAdminClock(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	token := s.Credentials().AivenToken
	code, body := adminDo(t, s, http.MethodPut, "/_sandbox/clock", token, `{"speed": 20}`)
	if code != 200 {
		t.Fatalf("PUT clock: HTTP %d: %s", code, body)
	}
	var clock struct {
		Speed float64 `json:"speed"`
		Now   string  `json:"now"`
	}
	if err := json.Unmarshal([]byte(body), &clock); err != nil {
		t.Fatal(err)
	}
	if clock.Speed != 20 || clock.Now == "" {
		t.Errorf("clock = %+v, want speed 20 and a time", clock)
	}
	if got := s.Clock().Speed(); got != 20 {
		t.Errorf("Clock().Speed() = %v, want 20", got)
	}
	for _, bad := range []string{`{"speed": -1}`, `{"speed": "fast"}`} {
		if code, _ := adminDo(t, s, http.MethodPut, "/_sandbox/clock", token, bad); code != http.StatusBadRequest {
			t.Errorf("PUT clock %s: HTTP %d, want 400", bad, code)
		}
	}
	if code, _ := adminDo(t, s, http.MethodDelete, "/_sandbox/clock", token, ""); code != http.StatusMethodNotAllowed {
		t.Errorf("DELETE clock: HTTP %d, want 405", code)
	}
}

func TestAdminProjectFault(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	token := s.Credentials().AivenToken
	vpcs := func(project string) int {
		code, _ := adminDo(t, s, http.MethodGet, "/v1/project/"+project+"/vpcs", token, "")
		return code
	}
	if code, body := adminDo(t, s, http.MethodPost, "/_sandbox/projects/tsdb-prod/fault", token, `{"status": 503}`); code != 200 {
		t.Fatalf("set fault: HTTP %d: %s", code, body)
	}
	if got := vpcs("tsdb-prod"); got != http.StatusServiceUnavailable {
		t.Errorf("tsdb-prod VPCs with a fault: HTTP %d, want 503", got)
	}
	if got := vpcs("tsdb-staging"); got != 200 {
		t.Errorf("tsdb-staging VPCs (no fault): HTTP %d, want 200", got)
	}
	if code, _ := adminDo(t, s, http.MethodPost, "/_sandbox/projects/tsdb-prod/fault", token, `{"status": 0}`); code != 200 {
		t.Fatalf("clear fault: HTTP %d", code)
	}
	if got := vpcs("tsdb-prod"); got != 200 {
		t.Errorf("tsdb-prod VPCs after clearing: HTTP %d, want 200", got)
	}

	bad := []struct {
		path, body string
		status     int
	}{
		{"/_sandbox/projects/nosuch/fault", `{"status": 503}`, http.StatusNotFound},
		{"/_sandbox/projects/tsdb-prod/fault", `{"status": 200}`, http.StatusBadRequest},
		{"/_sandbox/projects/tsdb-prod/fault", `{}`, http.StatusBadRequest},
		{"/_sandbox/nosuch", ``, http.StatusNotFound},
	}
	for _, b := range bad {
		if code, body := adminDo(t, s, http.MethodPost, b.path, token, b.body); code != b.status {
			t.Errorf("POST %s %s: HTTP %d, want %d: %s", b.path, b.body, code, b.status, body)
		}
	}
}
