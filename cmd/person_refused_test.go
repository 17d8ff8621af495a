package cmd

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azpeer/azpeer/azure"
	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

// codeAnswerer is azpeer's stderr: it answers the device code azpeer
// prints there as user, through the sandbox's approve endpoint.
type codeAnswerer struct {
	t    *testing.T
	s    *sandbox.Server
	user string
	mu   sync.Mutex
	buf  bytes.Buffer
	// answered are the codes answered so far.
	answered map[string]bool
}

func (c *codeAnswerer) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf.Write(p)
	for _, m := range userCodeRE.FindAllStringSubmatch(c.buf.String(), -1) {
		if !c.answered[m[1]] {
			c.answered[m[1]] = true
			if err := approveOverHTTP(c.s, m[1], c.user); err != nil {
				c.t.Error(err) // Error, not Fatal: this is azpeer's goroutine
			}
		}
	}
	return len(p), nil
}

func (c *codeAnswerer) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}

// sandboxCounts counts what a create would add: apps, service
// principals, role definitions and assignments, VNet peerings and Aiven
// peering connections.
func sandboxCounts(t *testing.T, s *sandbox.Server) map[string]int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/_sandbox/state", nil)
	req.Header.Set("Authorization", "aivenv1 "+s.Credentials().AivenToken)
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.CA().Pool()}}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var st struct {
		Applications, ServicePrincipals, RoleDefinitions, RoleAssignments map[string]json.RawMessage
		VNets                                                             map[string]struct{ Peerings map[string]json.RawMessage }
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatalf("state: %v", err)
	}
	n := map[string]int{"applications": len(st.Applications), "service principals": len(st.ServicePrincipals),
		"role definitions": len(st.RoleDefinitions), "role assignments": len(st.RoleAssignments)}
	for _, v := range st.VNets {
		n["vnet peerings"] += len(v.Peerings)
	}
	n["aiven peering connections"] = strings.Count(string(b), `"peer_cloud_account"`)
	return n
}

// TestPeopleWithoutTheRightsAreRefusedBeforeAnything signs in with
// azpeer's own device code as the Owner without Application Administrator
// and as the network engineer with Network Contributor on rg-app only:
// create refuses in preflight, naming the role and who can grant it, and
// the sandbox holds nothing new.
func TestPeopleWithoutTheRightsAreRefusedBeforeAnything(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	// Aiven's app has no service principal in the tenant yet: the step
	// creates it, which needs a directory role.
	if !s.RemoveServicePrincipal(sandbox.UserTenantID, sandbox.AivenDefaultAppID) {
		t.Fatal("the default scenario has Aiven's service principal in the user's tenant")
	}
	ca := writeCA(t, s)
	for _, tc := range []struct {
		user string
		want []string
	}{
		// Owner of the subscription, no directory role: creating Aiven's service principal needs one.
		{sandbox.OwnerUserUPN, []string{sandbox.OwnerUserUPN + " cannot create a service principal for Aiven's app", "Application Administrator", "ask a Privileged Role Administrator", "nothing was created"}},
		// Network Contributor on rg-app: may not assign roles.
		{sandbox.NetworkUserUPN, []string{sandbox.NetworkUserUPN + " cannot perform Microsoft.Authorization/roleAssignments/write", "Owner or User Access Administrator", "ask one to grant it", "nothing was created"}},
	} {
		t.Run(tc.user, func(t *testing.T) {
			before := sandboxCounts(t, s)
			all, codes, err := runAs(t, s, ca, tc.user, "create", "--state-dir", t.TempDir(), "--project", "tsdb-staging", "--vpc", "2a3b4c5d-6e7f-4819-9a0b-1c2d3e4f5a6b", "--vnet", "rg-app/app-vnet")
			if err == nil {
				t.Fatalf("create as %s succeeded:\n%s", tc.user, all)
			}
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("refusal lacks %q:\n%s", w, all)
				}
			}
			if after := sandboxCounts(t, s); !equalCounts(before, after) {
				t.Errorf("the sandbox changed: before %v, after %v", before, after)
			}
			if codes != 1 {
				t.Errorf("%d device codes for one sign-in", codes)
			}
		})
	}
}

// runAs runs azpeer in-process against s with no credential but the
// device code, answered as user; it returns stdout, stderr and the error's
// text together, and how many codes were answered.
func runAs(t *testing.T, s *sandbox.Server, ca, user string, args ...string) (string, int, error) {
	t.Helper()
	return runAsWith(t, s, ca, user, nil, args...)
}

// runAsWith is runAs with more environment variables.
func runAsWith(t *testing.T, s *sandbox.Server, ca, user string, extra map[string]string, args ...string) (string, int, error) {
	t.Helper()
	cleanEnv(t)
	for k, v := range map[string]string{azure.EnvAuthorityHost: s.URL() + "/", azure.EnvARMEndpoint: s.URL(), azure.EnvGraphEndpoint: s.URL(),
		azure.EnvCAFile: ca, "AIVEN_WEB_URL": s.URL(), "AIVEN_TOKEN": s.Credentials().AivenToken} {
		t.Setenv(k, v)
	}
	for k, v := range extra {
		t.Setenv(k, v)
	}
	root := NewRootCommand()
	var out bytes.Buffer
	errOut := &codeAnswerer{t: t, s: s, user: user, answered: map[string]bool{}}
	root.SetOut(&out)
	root.SetErr(errOut)
	root.SetIn(strings.NewReader(""))
	root.SetArgs(args)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := root.ExecuteContext(ctx)
	all := out.String() + errOut.String()
	if err != nil {
		all += err.Error()
	}
	return all, len(errOut.answered), err
}

// writeCA writes the sandbox's CA for AZPEER_CA_FILE.
func writeCA(t *testing.T, s *sandbox.Server) string {
	t.Helper()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, s.CA().CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return ca
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
