package cmd

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/azpeer/azpeer/peering"
	"github.com/azpeer/azpeer/sandbox"
)

// TestLoginSaysWhoAndWhat signs in as the sandbox's admin app and checks
// the report: principal, tenant with its name, subscriptions, the role.
func TestLoginSaysWhoAndWhat(t *testing.T) {
	cleanEnv(t)
	out, _, err := run(t, "login", "--sandbox")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Signed in to Azure as app ", "tenant Contoso (" + sandbox.UserTenantID + ")", "with environment",
		"Directory role: Application Administrator", sandbox.UserSubscriptionID + "  Contoso Production"} {
		if !strings.Contains(out, want) {
			t.Errorf("login output lacks %q:\n%s", want, out)
		}
	}
	out, _, err = run(t, "login", "--sandbox", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rep loginReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.Principal.Kind != peering.PrincipalApp || rep.Principal.TenantID != sandbox.UserTenantID || rep.AppAdminRole != "Application Administrator" || len(rep.Subscriptions) == 0 {
		t.Errorf("report %+v", rep)
	}
}
