package aiven_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/azpeer/azpeer/aiven"
	"github.com/azpeer/azpeer/peering"
	"github.com/azpeer/azpeer/sandbox"
)

var orgParent = peering.OrganizationParent(sandbox.AivenOrganizationID)

// pollOrg reads the organization VPC until the connection to vnet is in
// state want ("" for gone), at most n times (each read moves the sandbox's
// state machine one step at speed 0).
func pollOrg(t *testing.T, c *aiven.Client, vnet string, want peering.State, n int) peering.Connection {
	t.Helper()
	k := peering.Key{PeerCloudAccount: sandbox.UserSubscriptionID, PeerResourceGroup: "rg-prod", PeerVPC: vnet}
	var last peering.State
	for range n {
		v, err := c.VPC(ctx(t), orgParent, sandbox.OrgVPCID)
		if err != nil {
			t.Fatal(err)
		}
		pc, ok := v.Find(k)
		switch {
		case !ok && want == "":
			return peering.Connection{}
		case ok && pc.State == want:
			return pc
		case ok:
			last = pc.State
		}
	}
	t.Fatalf("connection to %s: last state %q after %d reads, want %q", vnet, last, n, want)
	return peering.Connection{}
}

// go-client-codegen types an organization connection's state_info as a
// fixed struct without to-tenant-id and to-network-id; the adapter must
// bring both through, as the runbook needs them in PENDING_PEER.
func TestOrgConnectionKeepsToTenantAndNetwork(t *testing.T) {
	t.Parallel()
	_, c := start(t, sandbox.Options{})
	active := pollOrg(t, c, "prod-vnet", peering.StateActive, 1)
	if active.PeeringConnectionID == "" || active.Type != peering.TypeAzure {
		t.Fatalf("the scenario's ACTIVE organization connection: %+v", active)
	}
	if err := c.DeletePeering(ctx(t), orgParent, sandbox.OrgVPCID, active); err != nil {
		t.Fatalf("DeletePeering: %v", err)
	}
	pollOrg(t, c, "prod-vnet", "", 20)

	created, err := c.CreateAzurePeering(ctx(t), orgParent, sandbox.OrgVPCID, peering.AzurePeeringRequest{
		SubscriptionID: sandbox.UserSubscriptionID, ResourceGroup: "rg-prod", VNetName: "prod-vnet",
		AppID: sandbox.ProdPeeringAppID, TenantID: sandbox.UserTenantID})
	if err != nil || created.State != peering.StateApproved || created.PeeringConnectionID == "" {
		t.Fatalf("CreateAzurePeering = %+v, %v", created, err)
	}
	pending := pollOrg(t, c, "prod-vnet", peering.StatePendingPeer, 20)
	if got := pending.ToTenantID(); got != sandbox.AivenTenantID {
		t.Errorf("to-tenant-id = %q, want Aiven's tenant %s (state_info %v)", got, sandbox.AivenTenantID, pending.StateInfo)
	}
	if got := pending.ToNetworkID(); !strings.HasPrefix(got, "/subscriptions/"+sandbox.AivenSubscriptionID+"/") ||
		!strings.HasSuffix(got, "/virtualNetworks/aiven-vnet-"+sandbox.OrgVPCID[:8]) {
		t.Errorf("to-network-id = %q, want the organization VPC's network in Aiven's subscription", got)
	}
}

// A refusal names the permission and who can grant it.
func TestOrgPermissionErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		perms []string
		call  func(c *aiven.Client) error
		needs string
	}{
		{"list without read", nil, func(c *aiven.Client) error {
			_, err := c.OrganizationVPCs(ctx(t), sandbox.AivenOrganizationID)
			return err
		}, "organization:networking:read"},
		{"create with read only", []string{"organization:networking:read"}, func(c *aiven.Client) error {
			_, err := c.CreateAzurePeering(ctx(t), orgParent, sandbox.OrgVPCID, peering.AzurePeeringRequest{
				SubscriptionID: sandbox.UserSubscriptionID, ResourceGroup: "rg-app", VNetName: "app-vnet",
				AppID: sandbox.ProdPeeringAppID, TenantID: sandbox.UserTenantID})
			return err
		}, "organization:networking:write"},
		{"refresh with read only", []string{"organization:networking:read"}, func(c *aiven.Client) error {
			return c.Refresh(ctx(t), orgParent, sandbox.OrgVPCID)
		}, "organization:networking:write"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, c := start(t, sandbox.Options{})
			s.SetOrgPermissions(sandbox.AivenOrganizationID, tc.perms)
			err := tc.call(c)
			var pe *aiven.OrgPermissionError
			if !errors.As(err, &pe) || peering.StatusCode(err) != 403 {
				t.Fatalf("err = %v, want an OrgPermissionError over a 403", err)
			}
			for _, w := range []string{tc.needs, "an admin of organization " + sandbox.AivenOrganizationID} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%v: want it to name %q", err, w)
				}
			}
		})
	}
}
