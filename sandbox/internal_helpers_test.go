package sandbox

// Helpers of the in-package tests, those that reach into the world (the
// tests of package sandbox_test have theirs in harness_test.go; this
// package cannot import sandboxtest, which imports it).

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// startServer starts a sandbox and closes it when the test ends.
func startServer(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// adminTokenFor is an access token of the scenario's admin for audience,
// ending after lifetime (already ended when it is negative).
func adminTokenFor(t testing.TB, s *Server, audience string, lifetime time.Duration) string {
	t.Helper()
	world, unlock := s.lock()
	sp := world.ServicePrincipals[AdminSPObjectID]
	unlock()
	tok, err := s.issueToken(UserTenantID, sp, audience, lifetime)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// azureError is the error object of a Resource Manager or Graph answer.
type azureError struct{ Code, Message string }

// callAzure sends a request with a bearer token and a JSON body ("" for
// none) and returns the answer with its error object (zero in an answer
// without one); a body that is not JSON fails the test.
func callAzure(t testing.TB, s *Server, method, path, token, body string) (*http.Response, azureError) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ Error azureError }
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s %s: %d, body is not JSON: %v", method, path, resp.StatusCode, err)
		}
	}
	return resp, out.Error
}
