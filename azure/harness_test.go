package azure_test

// Test harness: a sandbox per test and azpeer's own Azure adapters pointed
// at it over HTTPS by sandboxtest, the way a user points azpeer at a
// sandbox: endpoint overrides in the environment and the sandbox's CA in
// AZPEER_CA_FILE.

import (
	"strings"
	"testing"

	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

// admin starts a sandbox of the default scenario and signs in to it as its
// admin (Application Administrator, subscription Owner) the way a CI run
// would: through the AZURE_* environment variables.
func admin(t testing.TB) *sandboxtest.Env {
	t.Helper()
	return sandboxtest.New(t, sandbox.Options{})
}

// errorSays fails the test for each of parts that err's text lacks.
func errorSays(t testing.TB, err error, parts ...string) {
	t.Helper()
	for _, s := range parts {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say %q", err, s)
		}
	}
}

// ctx returns a context that ends with the test.
var ctx = sandboxtest.Context
