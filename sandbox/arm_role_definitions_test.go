package sandbox_test

// Resource Manager role definitions through the real armauthorization/v2
// clients: built-in and custom roles, their errors and $filter.

import (
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2"
	"github.com/google/uuid"

	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

func TestRBACRoleDefinitions(t *testing.T) {
	_, ctx, defs, assigns := rbacAdmin(t)
	sub := strings.TrimPrefix(rbacSubScope, "/")

	// A built-in role, found by name, carries the request's subscription.
	for _, tc := range []struct{ scope, wantID string }{
		{sub, rbacRoleID(sandbox.NetworkContributorRoleGUID)},
		{strings.TrimPrefix(sandboxtest.ProdVNetID, "/"), rbacRoleID(sandbox.NetworkContributorRoleGUID)},
		{"", "/providers/Microsoft.Authorization/roleDefinitions/" + sandbox.NetworkContributorRoleGUID},
	} {
		var got []*armauthorization.RoleDefinition
		pager := defs.NewListPager(tc.scope, &armauthorization.RoleDefinitionsClientListOptions{Filter: to.Ptr("roleName eq 'Network Contributor'")})
		for pager.More() {
			page, err := pager.NextPage(ctx)
			if err != nil {
				t.Fatalf("list at %q: %v", tc.scope, err)
			}
			got = append(got, page.Value...)
		}
		if len(got) != 1 || *got[0].ID != tc.wantID || *got[0].Properties.RoleType != "BuiltInRole" || *got[0].Type != "Microsoft.Authorization/roleDefinitions" {
			t.Fatalf("list at %q: got %d roles (first %+v), want one with id %s", tc.scope, len(got), got, tc.wantID)
		}
	}

	// Create a custom role: 201 with the role as given.
	guid := uuid.NewString()
	created, err := defs.CreateOrUpdate(ctx, sub, guid, rbacCustomRole("vnet-peerer", "peers vnets", []string{sandbox.ActionPeer}, rbacSubScope), nil)
	if err != nil {
		t.Fatalf("create role: %v", err)
	}
	if *created.ID != rbacRoleID(guid) || *created.Name != guid || *created.Properties.RoleName != "vnet-peerer" ||
		*created.Properties.Permissions[0].Actions[0] != sandbox.ActionPeer || *created.Properties.AssignableScopes[0] != rbacSubScope {
		t.Fatalf("created role: %+v", created.RoleDefinition)
	}

	// Names are unique in the directory; the same guid may update.
	_, err = defs.CreateOrUpdate(ctx, sub, uuid.NewString(), rbacCustomRole("VNET-peerer", "again", []string{"*/read"}, rbacSubScope), nil)
	wantResponseError(t, err, http.StatusConflict, "RoleDefinitionWithSameNameExists")
	updated, err := defs.CreateOrUpdate(ctx, sub, guid, rbacCustomRole("vnet-peerer", "peers vnets, v2", []string{sandbox.ActionPeer, sandbox.ActionVNetRead}, rbacSubScope), nil)
	if err != nil || *updated.Properties.Description != "peers vnets, v2" || len(updated.Properties.Permissions[0].Actions) != 2 {
		t.Fatalf("update role: %v %+v", err, updated)
	}

	// Custom roles are listed by type, at and below their assignable scope.
	var customs []string
	pager := defs.NewListPager(strings.TrimPrefix(sandboxtest.ProdVNetID, "/"), &armauthorization.RoleDefinitionsClientListOptions{Filter: to.Ptr("type eq 'CustomRole'")})
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, rd := range page.Value {
			if *rd.Properties.RoleType != "CustomRole" {
				t.Errorf("type eq 'CustomRole' listed %s (%s)", *rd.Properties.RoleName, *rd.Properties.RoleType)
			}
			customs = append(customs, *rd.Properties.RoleName)
		}
	}
	if !strings.Contains(strings.Join(customs, ","), "vnet-peerer") {
		t.Errorf("custom roles at the vnet: %v, want vnet-peerer among them", customs)
	}

	got, err := defs.Get(ctx, sub, guid, nil)
	if err != nil || *got.Properties.RoleName != "vnet-peerer" {
		t.Fatalf("get: %v %+v", err, got)
	}
	byID, err := defs.GetByID(ctx, rbacRoleID(guid), nil)
	if err != nil || *byID.Name != guid {
		t.Fatalf("get by id: %v %+v", err, byID)
	}

	// Refusals on create: another tenant's subscription as assignable
	// scope, a subscription that does not exist, an empty scope list.
	for _, tc := range []struct {
		name, scope string
		assignable  []string
		status      int
		code        string
	}{
		{"linked scope in another tenant", sub, []string{"/subscriptions/" + sandbox.AivenSubscriptionID}, http.StatusForbidden, "LinkedAuthorizationFailed"},
		{"request scope in another tenant", "subscriptions/" + sandbox.AivenSubscriptionID, []string{"/subscriptions/" + sandbox.AivenSubscriptionID}, http.StatusUnauthorized, "InvalidAuthenticationTokenTenant"},
		{"unknown subscription", "subscriptions/00000000-0000-0000-0000-000000000000", []string{rbacSubScope}, http.StatusNotFound, "SubscriptionNotFound"},
		{"no assignable scopes", sub, nil, http.StatusBadRequest, "MissingAssignableScopes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := defs.CreateOrUpdate(ctx, tc.scope, uuid.NewString(), rbacCustomRole("role-"+uuid.NewString(), "", []string{"*/read"}, tc.assignable...), nil)
			wantResponseError(t, err, tc.status, tc.code)
		})
	}

	// A role that is still assigned cannot be deleted.
	ra, err := rbacAssign(ctx, assigns, sandboxtest.ProdVNetID, rbacRoleID(guid), sandbox.AdminSPObjectID, nil)
	if err != nil {
		t.Fatalf("assign custom role: %v", err)
	}
	_, err = defs.Delete(ctx, sub, guid, nil)
	wantResponseError(t, err, http.StatusConflict, "RoleDefinitionHasAssignments")
	if _, err := assigns.DeleteByID(ctx, *ra.ID, nil); err != nil {
		t.Fatalf("delete assignment: %v", err)
	}
	deleted, err := defs.Delete(ctx, sub, guid, nil)
	if err != nil || deleted.Name == nil || *deleted.Name != guid {
		t.Fatalf("delete role: %v %+v", err, deleted)
	}
	if _, err := defs.Delete(ctx, sub, guid, nil); err != nil {
		t.Fatalf("delete a deleted role: %v, want 204 (no error)", err)
	}
	_, err = defs.Get(ctx, sub, guid, nil)
	wantResponseError(t, err, http.StatusNotFound, "RoleDefinitionDoesNotExist")
}

// TestRBACRoleDefinitionFilters: the $filter forms Resource Manager knows
// for role definitions, OData quoting included.
func TestRBACRoleDefinitionFilters(t *testing.T) {
	_, ctx, defs, _ := rbacAdmin(t)
	sub := strings.TrimPrefix(rbacSubScope, "/")
	for name, scope := range map[string]string{"it's mine": rbacSubScope, "rg-only": rbacSubScope + "/resourceGroups/rg-app"} {
		if _, err := defs.CreateOrUpdate(ctx, sub, uuid.NewString(), rbacCustomRole(name, "", []string{"*/read"}, scope), nil); err != nil {
			t.Fatalf("create %q: %v", name, err)
		}
	}
	for _, tc := range []struct {
		filter string
		want   []string // role names; nil for none
	}{
		{"roleName eq 'Owner'", []string{"Owner"}},
		{"roleName eq 'it''s mine'", []string{"it's mine"}},
		{"type eq 'BuiltInRole' and roleName eq 'Reader'", []string{"Reader"}},
		{"type eq 'CustomRole' and roleName eq 'Reader'", nil},
		// A role assignable only below the scope shows up with atScopeAndBelow().
		{"roleName eq 'rg-only'", nil},
		{"roleName eq 'rg-only' and atScopeAndBelow()", []string{"rg-only"}},
	} {
		t.Run(tc.filter, func(t *testing.T) {
			// This client escapes $filter itself (the assignments client does not).
			page, err := defs.NewListPager(sub, &armauthorization.RoleDefinitionsClientListOptions{Filter: &tc.filter}).NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, rd := range page.Value {
				got = append(got, *rd.Properties.RoleName)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
	_, err := defs.NewListPager(sub, &armauthorization.RoleDefinitionsClientListOptions{Filter: to.Ptr("description eq 'x'")}).NextPage(ctx)
	wantResponseError(t, err, http.StatusBadRequest, "UnsupportedQuery")
}
