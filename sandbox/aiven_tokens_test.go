package sandbox_test

// Revoking Aiven API tokens: through the API as codegen and avn call it,
// through the Go method and through the admin endpoint.

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	aiven "github.com/aiven/go-client-codegen"

	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

// wantInvalidToken checks for Aiven's answer to an unknown token.
func wantInvalidToken(t *testing.T, c aiven.Client) {
	t.Helper()
	_, err := c.UserInfo(ctx(t))
	if e := aivenErr(t, err); e.Status != http.StatusForbidden || e.Message != "Invalid token" {
		t.Fatalf("UserInfo with a revoked token: %v, want 403 Invalid token", err)
	}
}

func TestAivenAccessTokenRevoke(t *testing.T) {
	for _, tc := range []struct {
		name string
		key  func(token string) string // what names the token in the path
	}{
		{"by its token_prefix", func(tok string) string { return tok[:12] }},
		{"by the full token, as avn user logout does", func(tok string) string { return tok }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := sandboxtest.Start(t, sandbox.Options{})
			token := s.Credentials().AivenToken
			c := aivenClient(t, s, token)
			if err := c.AccessTokenRevoke(ctx(t), tc.key(token)); err != nil {
				t.Fatalf("AccessTokenRevoke: %v", err)
			}
			wantInvalidToken(t, c)
			if code, body := adminDo(t, s, http.MethodGet, "/_sandbox/state", token, ""); code != http.StatusUnauthorized {
				t.Errorf("admin endpoint with a revoked token: %d %s, want 401", code, body)
			}
			state, err := s.Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(state), `"token_prefix": "`+token[:12]+`"`) || !strings.Contains(string(state), `"token_revoked": true`) {
				t.Errorf("state does not show the revoked token by its prefix")
			}
		})
	}

	s, devToken := withNonAdminUser(t)
	token := s.Credentials().AivenToken
	c := aivenClient(t, s, token)
	for _, tc := range []struct {
		name, key string
	}{
		{"a prefix that names no token", "nosuchprefix"},
		{"another user's token", devToken},
		{"a longer prefix than Aiven lists", token[:20]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := c.AccessTokenRevoke(ctx(t), tc.key)
			if !aiven.IsNotFound(err) {
				t.Fatalf("AccessTokenRevoke(%s): %v, want 404", tc.name, err)
			}
			if _, err := c.UserInfo(ctx(t)); err != nil {
				t.Errorf("the caller's token stopped working: %v", err)
			}
			if _, err := aivenClient(t, s, devToken).UserInfo(ctx(t)); err != nil {
				t.Errorf("the other user's token stopped working: %v", err)
			}
		})
	}
	if status, body := rawAiven(t, s, http.MethodGet, "/v1/access_token/"+token[:12], "aivenv1 "+token); status != http.StatusMethodNotAllowed {
		t.Errorf("GET /v1/access_token/{prefix}: %d %s, want 405", status, body)
	}
}

func TestRevokeAivenToken(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	token := s.Credentials().AivenToken
	for _, tc := range []struct {
		name, token string
		want        bool
	}{
		{"a valid token", token, true},
		{"the same token again", token, false},
		{"an unknown token", "no-such-token", false},
		{"no token", "", false},
	} {
		if got := s.RevokeAivenToken(tc.token); got != tc.want {
			t.Errorf("RevokeAivenToken(%s) = %v, want %v", tc.name, got, tc.want)
		}
	}
	wantInvalidToken(t, aivenClient(t, s, token))
}

func TestAdminRevokeToken(t *testing.T) {
	s, devToken := withNonAdminUser(t)
	admin := s.Credentials().AivenToken
	for _, tc := range []struct {
		name, method, token, body string
		status                    int
	}{
		{"not an admin", http.MethodPost, devToken, `{"token": "` + devToken + `"}`, http.StatusForbidden},
		{"no token in the body", http.MethodPost, admin, `{}`, http.StatusBadRequest},
		{"not JSON", http.MethodPost, admin, `token`, http.StatusBadRequest},
		{"GET", http.MethodGet, admin, "", http.StatusMethodNotAllowed},
		{"an unknown token", http.MethodPost, admin, `{"token": "no-such-token"}`, http.StatusNotFound},
		{"the other user's token", http.MethodPost, admin, `{"token": "` + devToken + `"}`, http.StatusOK},
		{"the same token again", http.MethodPost, admin, `{"token": "` + devToken + `"}`, http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := adminDo(t, s, tc.method, "/_sandbox/aiven/revoke-token", tc.token, tc.body)
			if code != tc.status {
				t.Fatalf("%d %s, want %d", code, body, tc.status)
			}
			if code == http.StatusOK {
				var out struct {
					Revoked     bool   `json:"revoked"`
					TokenPrefix string `json:"token_prefix"`
				}
				if err := json.Unmarshal([]byte(body), &out); err != nil || !out.Revoked || out.TokenPrefix != devToken[:12] || strings.Contains(body, devToken) {
					t.Errorf("answer %s", body)
				}
			}
		})
	}
	wantInvalidToken(t, aivenClient(t, s, devToken))
	if _, err := aivenClient(t, s, admin).UserInfo(ctx(t)); err != nil {
		t.Errorf("the admin's token after revoking another's: %v", err)
	}
}

// A restart hands out a fresh, valid token even when the old one was revoked.
func TestAivenRevokedTokenRotatesOnRestart(t *testing.T) {
	dir := t.TempDir()
	first := sandboxtest.Start(t, sandbox.Options{StateDir: dir})
	old := first.Credentials().AivenToken
	if !first.RevokeAivenToken(old) {
		t.Fatal("RevokeAivenToken: false")
	}
	if err := first.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	second := sandboxtest.Start(t, sandbox.Options{StateDir: dir})
	if _, err := aivenClient(t, second, second.Credentials().AivenToken).UserInfo(ctx(t)); err != nil {
		t.Errorf("the new token after a restart: %v", err)
	}
	wantInvalidToken(t, aivenClient(t, second, old))
}
