package sandbox_test

// FaultConfig.ResponseDelay: the cloud acts, the answer comes too late.

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v7"
	"github.com/google/uuid"

	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

// delayedDo sends a Graph request with a client whose whole exchange must
// finish within its timeout.
func delayedDo(t *testing.T, c *http.Client, base, token, method, path string, body any) (*http.Response, []byte, error) {
	t.Helper()
	return trySend(t, nil, rawRequest{method: method, path: path, base: base, auth: bearer(token),
		body: jsonBody(t, body), contentType: "application/json", client: c})
}

// stateHasApp reports whether /_sandbox/state holds an application of that name.
func stateHasApp(t *testing.T, s *sandbox.Server, name string) bool {
	t.Helper()
	var world struct {
		Applications map[string]struct {
			DisplayName string `json:"display_name"`
		} `json:"applications"`
	}
	sandboxState(t, s, &world)
	for _, a := range world.Applications {
		if a.DisplayName == name {
			return true
		}
	}
	return false
}

func TestResponseDelay(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	token := adminToken(t, s, graphScope)
	admin := s.Credentials().AivenToken
	client := func(timeout time.Duration) *http.Client {
		c := s.HTTPClient()
		c.Timeout = timeout
		return c
	}
	for _, tc := range []struct {
		name    string
		faults  string // the PUT /_sandbox/faults body
		method  string
		path    string
		app     bool          // POST an application with a fresh name
		timeout time.Duration // the client's
		// wantTimeout: the client gives up; else it gets status within [minTook, timeout).
		wantTimeout bool
		status      int
		minTook     time.Duration
	}{
		{"a mutation answers after the client gave up, yet the app exists",
			`{"graph": {"response_delay": "500ms"}}`, http.MethodPost, "/v1.0/applications", true, 100 * time.Millisecond, true, 0, 0},
		{"reads are not held by default",
			`{"graph": {"response_delay": "500ms"}}`, http.MethodGet, "/v1.0/organization", false, 100 * time.Millisecond, false, 200, 0},
		{"reads are held with response_delay_reads",
			`{"graph": {"response_delay": "500ms", "response_delay_reads": true}}`, http.MethodGet, "/v1.0/organization", false, 100 * time.Millisecond, true, 0, 0},
		{"a patient client gets the whole answer",
			`{"graph": {"response_delay": "150ms"}}`, http.MethodPost, "/v1.0/applications", true, 5 * time.Second, false, 201, 150 * time.Millisecond},
		{"errors are held too",
			`{"graph": {"response_delay": "150ms"}}`, http.MethodPost, "/v1.0/applications", false, 5 * time.Second, false, 400, 150 * time.Millisecond},
		{"other APIs are not held",
			`{"graph": {}, "aiven": {"response_delay": "500ms"}}`, http.MethodPost, "/v1.0/applications", true, 100 * time.Millisecond, false, 201, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, body := adminDo(t, s, http.MethodPut, "/_sandbox/faults", admin, tc.faults); code != 200 {
				t.Fatalf("PUT faults: %d %s", code, body)
			}
			t.Cleanup(func() { adminDo(t, s, http.MethodPut, "/_sandbox/faults", admin, `{"graph": {}, "aiven": {}}`) })
			var body any
			name := "delayed-" + uuid.NewString()
			if tc.app {
				body = map[string]any{"displayName": name}
			} else if tc.method == http.MethodPost {
				body = map[string]any{"displayName": ""}
			}
			start := time.Now()
			resp, raw, err := delayedDo(t, client(tc.timeout), s.URL(), token, tc.method, tc.path, body)
			took := time.Since(start)
			if tc.wantTimeout {
				var ue *url.Error
				if !errors.As(err, &ue) || !ue.Timeout() {
					t.Fatalf("got %v (%v), want the client's timeout", err, resp)
				}
			} else {
				if err != nil {
					t.Fatalf("request: %v", err)
				}
				if resp.StatusCode != tc.status || took < tc.minTook {
					t.Fatalf("%d after %v, want %d after at least %v: %s", resp.StatusCode, took, tc.status, tc.minTook, raw)
				}
				if tc.status == http.StatusCreated {
					var app map[string]any
					if err := json.Unmarshal(raw, &app); err != nil || app["displayName"] != name ||
						!strings.Contains(resp.Header.Get("Location"), "/directoryObjects/") || resp.ContentLength != int64(len(raw)) {
						t.Errorf("held answer: %v %v, Location %q, Content-Length %d of %d", err, app, resp.Header.Get("Location"), resp.ContentLength, len(raw))
					}
				}
			}
			// The world changed before the answer was due, whatever the client saw.
			if tc.app && !stateHasApp(t, s, name) {
				t.Errorf("application %s is not in /_sandbox/state", name)
			}
		})
	}

	// The admin endpoints are never held, so a test can always look.
	if code, body := adminDo(t, s, http.MethodPut, "/_sandbox/faults", admin, `{"graph": {"response_delay": "2s", "response_delay_reads": true}}`); code != 200 ||
		!strings.Contains(body, `"response_delay":"2s"`) || !strings.Contains(body, `"response_delay_reads":true`) {
		t.Fatalf("PUT faults: %d %s", code, body)
	}
	if f := s.Faults(sandbox.APIGraph); f.ResponseDelay != 2*time.Second || !f.ResponseDelayReads {
		t.Errorf("Faults(graph) = %+v", f)
	}
	start := time.Now()
	if code, _ := adminDo(t, s, http.MethodPut, "/_sandbox/clock", admin, `{"speed": 0}`); code != 200 || time.Since(start) > time.Second {
		t.Errorf("PUT clock while Graph is held: %d after %v", code, time.Since(start))
	}
	if code, body := adminDo(t, s, http.MethodPut, "/_sandbox/faults", admin, `{"graph": {"response_delay": "-1s"}}`); code != http.StatusBadRequest {
		t.Errorf("negative response_delay: %d %s, want 400", code, body)
	}
}

// Async operations keep working when every answer, polls included, is late.
func TestResponseDelayAsyncOperation(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	s.SetFaults(sandbox.APIARM, sandbox.FaultConfig{ResponseDelay: 20 * time.Millisecond, ResponseDelayReads: true})
	n := adminNet(t, s)
	got, err := netPeer(ctx(t), n, "rg-app", "app-vnet", "delayed-peering", netPeeringBody(sandboxtest.ProdVNetID))
	if err != nil {
		t.Fatalf("peering with held answers: %v", err)
	}
	if prov, _ := netState(got); prov != string(armnetwork.ProvisioningStateSucceeded) || got.Properties.RemoteVirtualNetwork == nil ||
		!strings.EqualFold(*got.Properties.RemoteVirtualNetwork.ID, sandboxtest.ProdVNetID) {
		t.Errorf("peering = %+v", got.Properties)
	}
	if err := netUnpeer(ctx(t), n, "rg-app", "app-vnet", "delayed-peering"); err != nil {
		t.Fatalf("unpeer with held answers: %v", err)
	}
}

// Requests inside a proxy-mode tunnel are held like direct ones; CONNECT is not.
func TestResponseDelayThroughProxy(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	token := adminToken(t, s, graphScope)
	s.SetFaults(sandbox.APIGraph, sandbox.FaultConfig{ResponseDelay: 50 * time.Millisecond})
	name := "proxied-" + uuid.NewString()
	start := time.Now()
	resp, raw, err := delayedDo(t, proxyClient(t, s), "https://graph.microsoft.com", token, http.MethodPost, "/v1.0/applications", map[string]any{"displayName": name})
	if err != nil || resp.StatusCode != http.StatusCreated || time.Since(start) < 50*time.Millisecond {
		t.Fatalf("POST through the proxy: %v %v after %v: %s", err, resp, time.Since(start), raw)
	}
	if !strings.Contains(string(raw), name) {
		t.Errorf("answer %s lacks the app", raw)
	}
}
