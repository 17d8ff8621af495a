package cmd

import (
	"strings"
	"testing"

	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

// TestPersonWithSeveralSubscriptions signs in with azpeer's device code as
// the administrator of the "people" scenario, who sees three subscriptions
// in two tenants (Fabrikam's as a guest): vnets lists the signed-in
// tenant's, create asks which one unless told, --subscription beats AZURE_SUBSCRIPTION_ID, a subscription of the
// other tenant is refused naming the tenant to sign in to, and a peering
// with the VNet of the non-default subscription reaches ACTIVE.
func TestPersonWithSeveralSubscriptions(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{Scenario: "people"})
	ca := writeCA(t, s)
	stateDir := t.TempDir()
	before := sandboxCounts(t, s)
	for _, tc := range []struct {
		name       string
		env        string // AZURE_SUBSCRIPTION_ID
		args       []string
		ok         bool
		want, lack []string
	}{
		{name: "vnets: every subscription of the tenant", args: []string{"vnets"}, ok: true,
			want: []string{"prod-vnet", "dev-vnet", "subscription (all visible)"}},
		{name: "create: which subscription?", args: []string{"create", "--state-dir", t.TempDir(), "--project", "tsdb-staging", "--vpc", "2a3b4c5d-6e7f-4819-9a0b-1c2d3e4f5a6b", "--vnet", "rg-dev/dev-vnet"},
			want: []string{"several subscriptions are visible", "--subscription", sandbox.UserSubscriptionID, sandbox.DevSubscriptionID}},
		{name: "AZURE_SUBSCRIPTION_ID", env: sandbox.DevSubscriptionID, args: []string{"vnets"}, ok: true,
			want: []string{"dev-vnet"}, lack: []string{"prod-vnet"}},
		{name: "--subscription beats AZURE_SUBSCRIPTION_ID", env: sandbox.DevSubscriptionID, args: []string{"vnets", "--subscription", sandbox.UserSubscriptionID}, ok: true,
			want: []string{"prod-vnet", "app-vnet"}, lack: []string{"dev-vnet"}},
		{name: "a subscription of the tenant not signed in to", args: []string{"vnets", "--subscription", sandbox.FabrikamSubscriptionID},
			want: []string{sandbox.FabrikamTenantID}},
		{name: "the VNet outside the default subscription, to ACTIVE", env: sandbox.UserSubscriptionID, ok: true,
			args: []string{"create", "--state-dir", stateDir, "--subscription", sandbox.DevSubscriptionID, "--project", "tsdb-staging", "--vpc", "2a3b4c5d-6e7f-4819-9a0b-1c2d3e4f5a6b", "--vnet", "rg-dev/dev-vnet"},
			want: []string{"Aiven ACTIVE", "/subscriptions/" + sandbox.DevSubscriptionID + "/resourceGroups/rg-dev"}},
		{name: "and delete it again", env: sandbox.UserSubscriptionID, ok: true,
			args: []string{"delete", "--yes", "--state-dir", stateDir, "--subscription", sandbox.DevSubscriptionID, "--project", "tsdb-staging", "--vpc", "2a3b4c5d-6e7f-4819-9a0b-1c2d3e4f5a6b", "--vnet", "rg-dev/dev-vnet"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _, err := runAsWith(t, s, ca, sandbox.AdminUserUPN, map[string]string{"AZURE_SUBSCRIPTION_ID": tc.env}, tc.args...)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok %v:\n%s", err, tc.ok, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.lack {
				if strings.Contains(out, w) {
					t.Errorf("output has %q:\n%s", w, out)
				}
			}
		})
	}
	// The delete removed what the create made, as the person.
	after := sandboxCounts(t, s)
	delete(before, "aiven peering connections") // DELETED ones linger a while
	delete(after, "aiven peering connections")
	if !equalCounts(before, after) {
		t.Errorf("after create and delete: %v, before %v", after, before)
	}
}

// TestPersonLoginWithADeviceCode: `azpeer login` headless, the code on
// stderr, says who signed in, where, and whether they may create Aiven's
// service principal — for each kind of person the sandbox has.
func TestPersonLoginWithADeviceCode(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	ca := writeCA(t, s)
	for _, tc := range []struct {
		user string
		args []string
		want []string
	}{
		{sandbox.AdminUserUPN, nil, []string{"Signed in to Azure as user " + sandbox.AdminUserUPN, "tenant Contoso (" + sandbox.UserTenantID + ")",
			"Directory role: Application Administrator", sandbox.UserSubscriptionID}},
		{sandbox.OwnerUserUPN, nil, []string{"Signed in to Azure as user " + sandbox.OwnerUserUPN, "Directory role: none that may create Aiven's service principal", sandbox.UserSubscriptionID}},
		{sandbox.GuestUserUPN, []string{"--tenant", sandbox.UserTenantID}, []string{"tenant Contoso (" + sandbox.UserTenantID + ")", "Directory role: none", sandbox.UserSubscriptionID}},
	} {
		t.Run(tc.user, func(t *testing.T) {
			out, codes, err := runAs(t, s, ca, tc.user, append([]string{"login"}, tc.args...)...)
			if err != nil || codes != 1 {
				t.Fatalf("login: %v (%d codes)\n%s", err, codes, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("login output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}
