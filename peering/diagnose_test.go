package peering_test

// Evaluate over hand-built facts: the situations the sandbox cannot produce
// (a peering whose provisioning Failed) and the rules' edges (no false
// findings, what propagation and partial access change).

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/azpeer/azpeer/peering"
)

const (
	unitSub      = "3c5d7e9f-1a2b-4c3d-8e4f-5a6b7c8d9e0f"
	unitTenant   = "7f3e2a10-5c1b-4d8e-9a6f-2b4c8d1e0f31"
	unitAppID    = "5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
	unitAivenSP  = "aaaaaaaa-0000-4000-8000-000000000001"
	unitAppSP    = "bbbbbbbb-0000-4000-8000-000000000002"
	unitVNetID   = "/subscriptions/" + unitSub + "/resourceGroups/rg-app/providers/Microsoft.Network/virtualNetworks/app-vnet"
	unitAivenNet = "/subscriptions/9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b/resourceGroups/aiven-vpc-westeurope/providers/Microsoft.Network/virtualNetworks/aiven-vnet-2a3b4c5d"
	unitPeerRole = "/subscriptions/" + unitSub + "/providers/Microsoft.Authorization/roleDefinitions/11111111-2222-4333-8444-555566667777"
	unitNCRole   = "/subscriptions/" + unitSub + "/providers/Microsoft.Authorization/roleDefinitions/4d97b98b-1d4f-4787-a291-c67834d212e7"
)

var unitNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// healthyFacts are the facts of an ACTIVE, Connected peering, settled long ago.
func healthyFacts() *peering.Facts {
	tg := stagingTarget()
	rec := peering.NewRecord(tg, peering.Options{}, unitNow.Add(-48*time.Hour))
	rec.Outputs[peering.OutAivenVNetID] = unitAivenNet
	rec.Outputs[peering.OutAzurePeeringName] = "aiven"
	for _, id := range peering.StepIDs() {
		rec.Step(id).Status = peering.StatusDone
	}
	long := unitNow.Add(-30 * 24 * time.Hour)
	return &peering.Facts{
		Target: tg, Now: unitNow, AivenAppID: peering.DefaultAivenAppID,
		VPC: &peering.VPC{ID: tg.VPCID, Cloud: "azure-westeurope", CIDR: "10.30.0.0/24", State: "ACTIVE"},
		Connection: &peering.Connection{Type: peering.TypeAzure, PeerCloudAccount: unitSub, PeerResourceGroup: "rg-app", PeerVPC: "app-vnet",
			PeerAzureAppID: unitAppID, PeerAzureTenantID: unitTenant, State: peering.StateActive,
			StateInfo: map[string]any{"message": "Peering connection active", "type": "active"}, UpdateTime: long},
		Subscriptions:      []peering.Subscription{{ID: unitSub, TenantID: unitTenant}},
		SubscriptionTenant: unitTenant,
		VNet: &peering.VNet{ID: unitVNetID, Name: "app-vnet", ResourceGroup: "rg-app", Subscription: unitSub, AddressPrefixes: []string{"10.2.0.0/16"},
			Peerings: []peering.VNetPeering{{Name: "aiven", RemoteVNetID: unitAivenNet, PeeringState: peering.AzureConnected,
				ProvisioningState: "Succeeded", AllowVirtualNetworkAccess: true}}},
		VNetNames: []string{"rg-app/app-vnet", "rg-prod/prod-vnet"},
		AivenSP:   &peering.ServicePrincipal{ObjectID: unitAivenSP, AppID: peering.DefaultAivenAppID},
		App: &peering.Application{AppID: unitAppID, DisplayName: "contoso-peering", SignInAudience: "AzureADMultipleOrgs",
			Passwords: []peering.PasswordCredential{{KeyID: "0f0e0d0c-0000-4000-8000-000000000003", End: unitNow.AddDate(1, 0, 0)}}},
		AppSP: &peering.ServicePrincipal{ObjectID: unitAppSP, AppID: unitAppID},
		Assignments: []peering.RoleAssignment{
			{Scope: unitVNetID, RoleDefinitionID: unitPeerRole, PrincipalID: unitAivenSP, CreatedOn: long},
			{Scope: "/subscriptions/" + unitSub, RoleDefinitionID: unitNCRole, PrincipalID: unitAppSP, CreatedOn: long},
		},
		Roles: map[string]peering.RoleDefinition{
			strings.ToLower(unitPeerRole): {ID: unitPeerRole, Actions: []string{"Microsoft.Network/virtualNetworks/peer/action"}},
			strings.ToLower(unitNCRole):   {ID: unitNCRole, Actions: []string{"Microsoft.Authorization/*/read", "Microsoft.Network/*"}},
		},
		Record: rec,
	}
}

// pendingPeer turns the facts into a PENDING_PEER connection whose Azure
// side is still missing.
func pendingPeer(f *peering.Facts) {
	f.Connection.State = peering.StatePendingPeer
	f.Connection.StateInfo = map[string]any{"message": "Pending peer", "to-tenant-id": "a1c0e7d2-9b3f-4e65-8d21-6f0b3c9a7e54", "to-network-id": unitAivenNet}
	f.VNet.Peerings = nil
	f.Record.Step(peering.StepAzurePeering).Status = peering.StatusFailed
}

func TestDiagnoseEvaluate(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(f *peering.Facts)
		// want is the most likely finding ("" for a healthy diagnosis).
		want string
		// absent findings must not appear.
		absent  []string
		healthy bool
		check   func(t *testing.T, d peering.Diagnosis)
	}{
		{name: "healthy", mutate: func(*peering.Facts) {}, healthy: true},
		{name: "provisioning failed", want: peering.RuleAzureFailed,
			mutate: func(f *peering.Facts) {
				f.Connection.State = peering.StatePendingPeer
				f.VNet.Peerings[0].ProvisioningState = "Failed"
				f.VNet.Peerings[0].PeeringState = peering.AzureInitiated
			},
			check: func(t *testing.T, d peering.Diagnosis) {
				if f := d.Findings[0]; f.Action != peering.FixResume || !slices.ContainsFunc(f.Evidence, func(s string) bool { return strings.Contains(s, "provisioningState Failed") }) {
					t.Errorf("finding %+v: want the resume action and the provisioning state in the evidence", f)
				}
			}},
		{name: "disconnected", want: peering.RuleAzureDisconnected,
			mutate: func(f *peering.Facts) { f.VNet.Peerings[0].PeeringState = peering.AzureDisconnected }},
		{name: "no vnet access", want: peering.RuleAzurePeeringNoAccess,
			mutate: func(f *peering.Facts) { f.VNet.Peerings[0].AllowVirtualNetworkAccess = false }},
		{name: "user cidrs are the VNet's own ranges", healthy: true,
			mutate: func(f *peering.Facts) { f.Connection.UserPeerNetworkCIDRs = []string{"10.2.0.0/16"} }},
		{name: "user cidrs overlap the project VPC", want: peering.RuleAddressOverlap,
			mutate: func(f *peering.Facts) {
				f.Connection.State = peering.StateInvalidSpecification
				f.Connection.UserPeerNetworkCIDRs = []string{"10.2.0.0/16", "10.30.0.0/23"}
			}},
		{name: "VNet overlaps the project VPC", want: peering.RuleAddressOverlap,
			mutate: func(f *peering.Facts) { f.VNet.AddressPrefixes = []string{"10.2.0.0/16", "10.30.0.128/25"} }},
		{name: "typo is a names mismatch", want: peering.RuleNamesMismatch,
			mutate: func(f *peering.Facts) { f.VNet, f.Connection.PeerVPC = nil, "app-vent" }},
		{name: "unknown name is a missing VNet", want: peering.RuleVNetMissing,
			mutate: func(f *peering.Facts) { f.VNet, f.Connection.PeerVPC = nil, "legacy-network" }},
		{name: "new grant while APPROVED is propagating", want: peering.RuleAivenPermissionNew,
			mutate: func(f *peering.Facts) {
				f.Connection.State, f.Connection.UpdateTime = peering.StateApproved, unitNow.Add(-time.Minute)
				f.Connection.StateInfo = map[string]any{"message": "Peering connection approved"}
				f.VNet.Peerings = nil
				f.Assignments[0].CreatedOn = unitNow.Add(-2 * time.Minute)
			},
			check: func(t *testing.T, d peering.Diagnosis) {
				if d.Findings[0].Action != peering.FixRefresh {
					t.Errorf("action %q, want refresh", d.Findings[0].Action)
				}
			}},
		{name: "new grant on an ACTIVE peering is no news", healthy: true,
			mutate: func(f *peering.Facts) { f.Assignments[0].CreatedOn = unitNow.Add(-time.Minute) }},
		{name: "rejected although granted now: re-request", want: peering.RuleAivenFailedUnexplained,
			absent: []string{peering.RuleAivenPermissionNew, peering.RuleAivenPermissionMissing},
			mutate: func(f *peering.Facts) {
				pendingPeer(f)
				f.Connection.State = peering.StateRejectedByPeer
				f.Assignments[0].CreatedOn = unitNow.Add(-time.Minute)
			},
			check: func(t *testing.T, d peering.Diagnosis) {
				if f := d.Findings[0]; f.Severity == peering.SeverityInfo || f.Action != peering.FixResume {
					t.Errorf("finding %+v: a failed connection must not read as healthy, and the fix is a re-request", f)
				}
			}},
		{name: "invalid specification ranks the spec before the permission", want: peering.RuleAppMissing,
			mutate: func(f *peering.Facts) {
				f.Connection.State = peering.StateInvalidSpecification
				f.App, f.AppSP = nil, nil
				f.Assignments = f.Assignments[1:]
			},
			check: func(t *testing.T, d peering.Diagnosis) {
				requireFinding(t, d, peering.RuleAivenPermissionMissing, false)
			}},
		{name: "role assignments unreadable: nothing claimed, the gap named", want: peering.RuleAivenFailedUnexplained,
			absent: []string{peering.RuleAivenPermissionMissing, peering.RuleAivenPermissionNew, peering.RuleAppNoPeeringWrite},
			mutate: func(f *peering.Facts) {
				pendingPeer(f)
				f.Connection.State = peering.StateRejectedByPeer
				f.Assignments, f.Roles = nil, map[string]peering.RoleDefinition{}
				f.MarkUnread(peering.FactAssignments, errors.New("arm: AuthorizationFailed: no read"))
			},
			check: func(t *testing.T, d peering.Diagnosis) {
				if !slices.Contains(d.Findings[0].Evidence, "not checked: role assignments on the VNet: arm: AuthorizationFailed: no read") {
					t.Errorf("evidence %v does not say what was not checked", d.Findings[0].Evidence)
				}
			}},
		{name: "a role that cannot be read may grant", want: peering.RuleAivenPermissionMissing,
			mutate: func(f *peering.Facts) {
				pendingPeer(f)
				f.Connection.State = peering.StateRejectedByPeer
				delete(f.Roles, strings.ToLower(unitPeerRole))
			},
			check: func(t *testing.T, d peering.Diagnosis) {
				if !slices.ContainsFunc(d.Findings[0].Evidence, func(s string) bool { return strings.Contains(s, "could not be read") }) {
					t.Errorf("evidence %v does not say some roles could not be read", d.Findings[0].Evidence)
				}
			}},
		{name: "subscription-wide NotActions deny the peering write", want: peering.RuleAppNoPeeringWrite,
			mutate: func(f *peering.Facts) {
				pendingPeer(f)
				rd := f.Roles[strings.ToLower(unitNCRole)]
				rd.NotActions = []string{"Microsoft.Network/virtualNetworks/virtualNetworkPeerings/*"}
				f.Roles[strings.ToLower(unitNCRole)] = rd
			}},
		{name: "secret expired before the Azure peering", want: peering.RulePendingNoAzurePeering,
			mutate: func(f *peering.Facts) {
				pendingPeer(f)
				f.App.Passwords[0].End = unitNow.Add(-time.Hour)
			},
			check: func(t *testing.T, d peering.Diagnosis) { requireFinding(t, d, peering.RuleAppSecretExpired, false) }},
		{name: "secret expired after the Azure peering is no matter", healthy: true,
			mutate: func(f *peering.Facts) { f.App.Passwords[0].End = unitNow.Add(-time.Hour) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := healthyFacts()
			tc.mutate(f)
			d := peering.Evaluate(f)
			if tc.healthy {
				if !d.Healthy() || len(d.Findings) != 0 {
					t.Fatalf("want no findings:\n%s", dump(d))
				}
				return
			}
			if d.Healthy() {
				t.Errorf("diagnosed healthy:\n%s", dump(d))
			}
			requireFinding(t, d, tc.want, true)
			for _, id := range tc.absent {
				if slices.ContainsFunc(d.Findings, func(f peering.Finding) bool { return f.ID == id }) {
					t.Errorf("finding %s should not be there:\n%s", id, dump(d))
				}
			}
			if tc.check != nil {
				tc.check(t, d)
			}
		})
	}
}

// The last Azure error is explained by its variant, with the real texts
// Resource Manager answers with.
func TestDiagnoseEvaluateLastAuthorizationError(t *testing.T) {
	cases := []struct {
		name, err, meaning string
	}{
		{"app lacks its role", "arm: AuthorizationFailed: The client 'b' with object id 'b' does not have authorization to perform action 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings/write' over scope '/subscriptions/x' or the scope is invalid.",
			"virtualNetworkPeerings/write"},
		{"no auxiliary token", "arm: LinkedAuthorizationFailed: The client has permission to perform action 'Microsoft.Network/virtualNetworks/peer/action' on scope 'p', however the current tenant 't' is not authorized to access linked subscription 's'.",
			"auxiliary token"},
		{"stale to-network-id", "arm: LinkedAuthorizationFailed: The client has permission to perform action 'Microsoft.Network/virtualNetworks/peer/action' on scope 'p', however the linked subscription 's' was not found. ",
			"stale"},
		{"no peer/action on Aiven's VNet", "arm: LinkedAuthorizationFailed: The client 'b' with object id 'b' has permission to perform action 'x' on scope 'p'; however, it does not have permission to perform action(s) 'Microsoft.Network/virtualNetworks/peer/action' on the linked scope(s) 'r' (respectively) or the linked scope(s) are invalid.",
			"no peer/action there"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := healthyFacts()
			pendingPeer(f)
			f.Record.Events = append(f.Record.Events,
				peering.Event{Time: unitNow.Add(-time.Minute), Step: peering.StepAzurePeering, Kind: peering.EventFailed, Error: tc.err})
			d := peering.Evaluate(f)
			got := requireFinding(t, d, peering.RuleLastAuthorizationError, false)
			if !strings.Contains(got.Cause, tc.meaning) {
				t.Errorf("cause %q does not say %q", got.Cause, tc.meaning)
			}
			if !slices.ContainsFunc(got.Evidence, func(s string) bool { return strings.Contains(s, tc.err) }) {
				t.Errorf("evidence %v does not quote the error", got.Evidence)
			}
		})
	}
	// Once step 14 is done the old error is history.
	f := healthyFacts()
	f.Record.Events = append(f.Record.Events, peering.Event{Step: peering.StepAzurePeering, Kind: peering.EventRetrying, Error: cases[0].err})
	if d := peering.Evaluate(f); len(d.Findings) != 0 {
		t.Errorf("a done step 14 still reports its old error:\n%s", dump(d))
	}
}
