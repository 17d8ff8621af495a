package azure_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/azpeer/azpeer/peering"
	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

var subScope = "/subscriptions/" + sandbox.UserSubscriptionID

func TestAccessFindRoleDefinition(t *testing.T) {
	a := admin(t).Access
	c := ctx(t)

	nc, err := a.FindRoleDefinition(c, subScope, "Network Contributor")
	if err != nil || nc == nil {
		t.Fatalf("FindRoleDefinition(Network Contributor) = %+v, %v", nc, err)
	}
	if nc.Name != sandbox.NetworkContributorRoleGUID || !strings.HasSuffix(nc.ID, "/roleDefinitions/"+sandbox.NetworkContributorRoleGUID) ||
		nc.Custom || nc.RoleName != "Network Contributor" || !slices.Contains(nc.Actions, "Microsoft.Network/*") {
		t.Errorf("Network Contributor = %+v", nc)
	}

	custom, err := a.FindRoleDefinition(c, subScope, "aiven-vnet-peer")
	if err != nil || custom == nil {
		t.Fatalf("FindRoleDefinition(aiven-vnet-peer) = %+v, %v", custom, err)
	}
	if !custom.Custom || !slices.Equal(custom.Actions, []string{sandbox.ActionPeer}) ||
		!slices.Equal(custom.AssignableScopes, []string{subScope}) || custom.Description == "" {
		t.Errorf("aiven-vnet-peer = %+v", custom)
	}

	for _, name := range []string{"no such role", "O'Brien's role"} {
		if rd, err := a.FindRoleDefinition(c, subScope, name); err != nil || rd != nil {
			t.Errorf("FindRoleDefinition(%q) = %+v, %v; want nil, nil", name, rd, err)
		}
	}
}

func TestAccessRoleDefinitionLifecycle(t *testing.T) {
	a := admin(t).Access
	c := ctx(t)

	def := peering.RoleDefinition{RoleName: "azpeer-test-peer", Description: "test", Actions: []string{sandbox.ActionPeer}}
	rd, err := a.CreateRoleDefinition(c, subScope, def)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := uuid.Parse(rd.Name); err != nil || !strings.HasSuffix(rd.ID, "/"+rd.Name) || !rd.Custom ||
		rd.RoleName != def.RoleName || !slices.Equal(rd.Actions, def.Actions) || !slices.Equal(rd.AssignableScopes, []string{subScope}) {
		t.Errorf("created role = %+v", rd)
	}
	found, err := a.FindRoleDefinition(c, subScope, def.RoleName)
	if err != nil || found == nil || !strings.EqualFold(found.ID, rd.ID) {
		t.Errorf("FindRoleDefinition after create = %+v, %v", found, err)
	}

	// Custom role names are unique in a tenant.
	_, err = a.CreateRoleDefinition(c, subScope, def)
	checkCloudError(t, err, "arm", 409, "RoleDefinitionWithSameNameExists")

	if err := a.DeleteRoleDefinition(c, rd.ID); err != nil {
		t.Fatal(err)
	}
	if found, err := a.FindRoleDefinition(c, subScope, def.RoleName); err != nil || found != nil {
		t.Errorf("FindRoleDefinition after delete = %+v, %v", found, err)
	}
	if err := a.DeleteRoleDefinition(c, rd.ID); err != nil {
		t.Errorf("second delete: %v", err)
	}
	if err := a.DeleteRoleDefinition(c, "not-an-id"); err == nil {
		t.Error("DeleteRoleDefinition(not-an-id) succeeded")
	}
}

// prodAppSP finds the tsdb-prod peering app's service principal: the one
// holding Network Contributor on prod-vnet.
func prodAppSP(t *testing.T, as []peering.RoleAssignment) string {
	t.Helper()
	for _, ra := range as {
		if strings.EqualFold(ra.Scope, sandboxtest.ProdVNetID) && strings.HasSuffix(ra.RoleDefinitionID, sandbox.NetworkContributorRoleGUID) {
			return ra.PrincipalID
		}
	}
	t.Fatalf("no Network Contributor assignment on prod-vnet among %+v", as)
	return ""
}

func TestAccessRoleAssignments(t *testing.T) {
	a := admin(t).Access
	c := ctx(t)

	// At prod-vnet: the admin's Owner above it and the app's role at it.
	at, err := a.RoleAssignments(c, sandboxtest.ProdVNetID, "")
	if err != nil {
		t.Fatal(err)
	}
	var ownerAbove bool
	for _, ra := range at {
		if ra.PrincipalID == sandbox.AdminSPObjectID && strings.EqualFold(ra.Scope, subScope) {
			ownerAbove = true
			if ra.PrincipalType != "ServicePrincipal" || ra.CreatedOn.IsZero() || !strings.HasPrefix(strings.ToLower(ra.ID), strings.ToLower(subScope)+"/providers/microsoft.authorization/roleassignments/") {
				t.Errorf("admin's Owner assignment = %+v", ra)
			}
		}
	}
	if !ownerAbove {
		t.Errorf("RoleAssignments(prod-vnet) = %+v, want the admin's Owner at the subscription", at)
	}
	sp := prodAppSP(t, at)

	// At the subscription, for one principal: its assignment below.
	below, err := a.RoleAssignments(c, subScope, sp)
	if err != nil {
		t.Fatal(err)
	}
	if len(below) != 1 || !strings.EqualFold(below[0].Scope, sandboxtest.ProdVNetID) || below[0].PrincipalID != sp {
		t.Errorf("RoleAssignments(subscription, %s) = %+v, want its one assignment on prod-vnet", sp, below)
	}

	// Assign, list, delete, delete again.
	nc := "/subscriptions/" + sandbox.UserSubscriptionID + "/providers/Microsoft.Authorization/roleDefinitions/" + sandbox.NetworkContributorRoleGUID
	name := uuid.NewString()
	ra, err := a.CreateRoleAssignment(c, sandboxtest.AppVNetID, name, nc, sp)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(ra.ID, "/"+name) {
		t.Errorf("assignment id %s does not end with the name chosen, %s", ra.ID, name)
	}
	if got, err := a.RoleAssignmentByID(c, ra.ID); err != nil || got == nil || got.PrincipalID != sp {
		t.Errorf("RoleAssignmentByID(%s) = %+v, %v; want the new assignment", ra.ID, got, err)
	}
	if !strings.EqualFold(ra.Scope, sandboxtest.AppVNetID) || ra.PrincipalID != sp || ra.PrincipalType != "ServicePrincipal" ||
		!strings.EqualFold(ra.RoleDefinitionID, nc) || !strings.HasPrefix(strings.ToLower(ra.ID), strings.ToLower(sandboxtest.AppVNetID)) {
		t.Errorf("created assignment = %+v", ra)
	}
	mine, err := a.RoleAssignments(c, sandboxtest.AppVNetID, sp)
	if err != nil || len(mine) != 1 || !strings.EqualFold(mine[0].ID, ra.ID) {
		t.Errorf("RoleAssignments(app-vnet, sp) = %+v, %v; want the new one", mine, err)
	}
	// The same role for the same principal at the same scope again.
	_, err = a.CreateRoleAssignment(c, sandboxtest.AppVNetID, uuid.NewString(), nc, sp)
	checkCloudError(t, err, "arm", 409, "RoleAssignmentExists")

	if err := a.DeleteRoleAssignment(c, ra.ID); err != nil {
		t.Fatal(err)
	}
	if mine, err := a.RoleAssignments(c, sandboxtest.AppVNetID, sp); err != nil || len(mine) != 0 {
		t.Errorf("RoleAssignments after delete = %+v, %v", mine, err)
	}
	if err := a.DeleteRoleAssignment(c, ra.ID); err != nil {
		t.Errorf("second delete: %v", err)
	}
}

func TestAccessPrincipalNotFound(t *testing.T) {
	a := admin(t).Access
	nc := "/subscriptions/" + sandbox.UserSubscriptionID + "/providers/Microsoft.Authorization/roleDefinitions/" + sandbox.NetworkContributorRoleGUID
	_, err := a.CreateRoleAssignment(ctx(t), sandboxtest.AppVNetID, "", nc, uuid.NewString())
	checkCloudError(t, err, "arm", 400, "PrincipalNotFound")
}

func TestAccessRoleDefinitionByID(t *testing.T) {
	a := admin(t).Access
	c := ctx(t)
	for _, id := range []string{
		"/subscriptions/" + sandbox.UserSubscriptionID + "/providers/Microsoft.Authorization/roleDefinitions/" + sandbox.NetworkContributorRoleGUID,
		"/providers/Microsoft.Authorization/roleDefinitions/" + sandbox.NetworkContributorRoleGUID,
	} {
		rd, err := a.RoleDefinitionByID(c, id)
		if err != nil || rd == nil || rd.RoleName != "Network Contributor" || rd.Custom {
			t.Errorf("RoleDefinitionByID(%s) = %+v, %v", id, rd, err)
		}
	}
	missing := "/subscriptions/" + sandbox.UserSubscriptionID + "/providers/Microsoft.Authorization/roleDefinitions/" + uuid.NewString()
	if rd, err := a.RoleDefinitionByID(c, missing); err != nil || rd != nil {
		t.Errorf("RoleDefinitionByID(missing) = %+v, %v; want nil, nil", rd, err)
	}
}
