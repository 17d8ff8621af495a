package sandbox_test

// Resource Manager role assignments through the real armauthorization/v2
// clients: their errors, listing and paging, principal replication and
// role propagation, api-versions, and reading one by name or id. Role
// definitions are tested in arm_role_definitions_test.go.

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2"
	"github.com/google/uuid"

	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

const (
	rbacSubScope        = "/subscriptions/" + sandbox.UserSubscriptionID
	rbacReaderGUID      = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
	rbacUserAccessAdmin = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
)

// rbacRoleID is a role definition id in the user's subscription.
func rbacRoleID(guid string) string {
	return rbacSubScope + "/providers/Microsoft.Authorization/roleDefinitions/" + guid
}

// rbacAssign creates an assignment with a new guid.
func rbacAssign(ctx context.Context, c *armauthorization.RoleAssignmentsClient, scope, roleID, principalID string, principalType *armauthorization.PrincipalType) (armauthorization.RoleAssignmentsClientCreateResponse, error) {
	return c.Create(ctx, strings.TrimPrefix(scope, "/"), uuid.NewString(), armauthorization.RoleAssignmentCreateParameters{
		Properties: &armauthorization.RoleAssignmentProperties{
			RoleDefinitionID: to.Ptr(roleID), PrincipalID: to.Ptr(principalID), PrincipalType: principalType,
		},
	}, nil)
}

// rbacGrant assigns a role to a service principal at scope, failing the
// test on an error.
func rbacGrant(t testing.TB, c *armauthorization.RoleAssignmentsClient, scope, roleID, principalID string) {
	t.Helper()
	if _, err := rbacAssign(ctx(t), c, scope, roleID, principalID, to.Ptr(armauthorization.PrincipalTypeServicePrincipal)); err != nil {
		t.Fatalf("assign %s to %s at %s: %v", roleID, principalID, scope, err)
	}
}

// rbacPeerRole creates a custom role with peer/action alone, assignable in
// the user's subscription, and returns its id.
func rbacPeerRole(t testing.TB, defs *armauthorization.RoleDefinitionsClient, name, description string) string {
	t.Helper()
	rd, err := defs.CreateOrUpdate(ctx(t), rbacSubScope, uuid.NewString(), rbacCustomRole(name, description, []string{sandbox.ActionPeer}, rbacSubScope), nil)
	if err != nil {
		t.Fatalf("create role definition %s: %v", name, err)
	}
	return *rd.ID
}

// rbacCustomRole is a custom role definition body.
func rbacCustomRole(name, description string, actions []string, scopes ...string) armauthorization.RoleDefinition {
	return armauthorization.RoleDefinition{Properties: &armauthorization.RoleDefinitionProperties{
		RoleName: to.Ptr(name), Description: to.Ptr(description), RoleType: to.Ptr("CustomRole"),
		Permissions:      []*armauthorization.Permission{{Actions: to.SliceOfPtrs(actions...), NotActions: []*string{}}},
		AssignableScopes: to.SliceOfPtrs(scopes...),
	}}
}

func TestRBACRoleAssignments(t *testing.T) {
	_, ctx, defs, assigns := rbacAdmin(t)
	scope := rbacSubScope + "/resourceGroups/rg-app"

	created, err := rbacAssign(ctx, assigns, scope, rbacRoleID(rbacReaderGUID), sandbox.AdminSPObjectID, to.Ptr(armauthorization.PrincipalTypeServicePrincipal))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	p := created.Properties
	if *created.Type != "Microsoft.Authorization/roleAssignments" || !strings.HasPrefix(*created.ID, scope+"/providers/Microsoft.Authorization/roleAssignments/") ||
		*p.Scope != scope || *p.PrincipalID != sandbox.AdminSPObjectID || *p.PrincipalType != armauthorization.PrincipalTypeServicePrincipal ||
		*p.RoleDefinitionID != rbacRoleID(rbacReaderGUID) || p.CreatedOn == nil || *p.CreatedBy != sandbox.AdminSPObjectID {
		t.Fatalf("created: %+v %+v", created.RoleAssignment, p)
	}

	// The same principal, role and scope under a new guid already exists;
	// the same guid again is fine, with other content it is refused.
	_, err = rbacAssign(ctx, assigns, scope, rbacRoleID(rbacReaderGUID), sandbox.AdminSPObjectID, nil)
	re := wantResponseError(t, err, http.StatusConflict, "RoleAssignmentExists")
	if msg, want := errorMessage(t, re), "The role assignment already exists. The ID of the existing role assignment is "+strings.ReplaceAll(*created.Name, "-", "")+"."; msg != want {
		t.Errorf("message %q, want %q", msg, want)
	}
	same := armauthorization.RoleAssignmentCreateParameters{Properties: &armauthorization.RoleAssignmentProperties{
		RoleDefinitionID: to.Ptr(rbacRoleID(rbacReaderGUID)), PrincipalID: to.Ptr(sandbox.AdminSPObjectID)}}
	if _, err := assigns.Create(ctx, strings.TrimPrefix(scope, "/"), *created.Name, same, nil); err != nil {
		t.Fatalf("repeat the same assignment: %v", err)
	}
	_, err = assigns.Create(ctx, strings.TrimPrefix(rbacSubScope, "/")+"/resourceGroups/rg-prod", *created.Name, same, nil)
	wantResponseError(t, err, http.StatusBadRequest, "RoleAssignmentUpdateNotPermitted")

	// A custom role assignable only in rg-prod does not exist in rg-app.
	narrow := uuid.NewString()
	if _, err := defs.CreateOrUpdate(ctx, strings.TrimPrefix(rbacSubScope, "/"), narrow,
		rbacCustomRole("rg-prod-only", "", []string{"*/read"}, rbacSubScope+"/resourceGroups/rg-prod"), nil); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name, scope, role, principal string
		ptype                        *armauthorization.PrincipalType
		status                       int
		code                         string
	}{
		{"unknown principal", scope, rbacRoleID(rbacReaderGUID), uuid.NewString(), nil, http.StatusBadRequest, "PrincipalNotFound"},
		{"unknown principal with type", scope, rbacRoleID(rbacReaderGUID), uuid.NewString(), to.Ptr(armauthorization.PrincipalTypeServicePrincipal), http.StatusBadRequest, "PrincipalNotFound"},
		{"another tenant's principal", scope, rbacRoleID(rbacReaderGUID), sandbox.AivenHomeSPObjectID, nil, http.StatusBadRequest, "PrincipalNotFound"},
		{"wrong principal type", scope, rbacRoleID(rbacReaderGUID), sandbox.AdminSPObjectID, to.Ptr(armauthorization.PrincipalTypeUser), http.StatusBadRequest, "UnmatchedPrincipalType"},
		{"unknown role", scope, rbacRoleID(uuid.NewString()), sandbox.AdminSPObjectID, nil, http.StatusBadRequest, "RoleDefinitionDoesNotExist"},
		{"malformed role id", scope, "Reader", sandbox.AdminSPObjectID, nil, http.StatusBadRequest, "InvalidRoleDefinitionId"},
		{"role not assignable here", scope, rbacRoleID(narrow), sandbox.AdminSPObjectID, nil, http.StatusBadRequest, "RoleDefinitionDoesNotExist"},
		{"another tenant's subscription", "/subscriptions/" + sandbox.AivenSubscriptionID, rbacRoleID(rbacReaderGUID), sandbox.AdminSPObjectID, nil, http.StatusUnauthorized, "InvalidAuthenticationTokenTenant"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := rbacAssign(ctx, assigns, tc.scope, tc.role, tc.principal, tc.ptype)
			wantResponseError(t, err, tc.status, tc.code)
		})
	}
	if _, err := rbacAssign(ctx, assigns, rbacSubScope+"/resourceGroups/rg-prod", rbacRoleID(narrow), sandbox.AdminSPObjectID, nil); err != nil {
		t.Fatalf("custom role in its assignable scope: %v", err)
	}

	got, err := assigns.Get(ctx, strings.TrimPrefix(scope, "/"), *created.Name, nil)
	if err != nil || *got.ID != *created.ID {
		t.Fatalf("get: %v %+v", err, got)
	}
	byID, err := assigns.GetByID(ctx, *created.ID, nil)
	if err != nil || *byID.Name != *created.Name {
		t.Fatalf("get by id: %v %+v", err, byID)
	}
	del, err := assigns.Delete(ctx, strings.TrimPrefix(scope, "/"), *created.Name, nil)
	if err != nil || del.ID == nil || *del.ID != *created.ID {
		t.Fatalf("delete: %v %+v", err, del)
	}
	if _, err := assigns.DeleteByID(ctx, *created.ID, nil); err != nil {
		t.Fatalf("delete a deleted assignment: %v, want 204 (no error)", err)
	}
	_, err = assigns.GetByID(ctx, *created.ID, nil)
	wantResponseError(t, err, http.StatusNotFound, "RoleAssignmentNotFound")
}

// TestRBACAssignmentListing lists at, above and below a scope, filters,
// and pages through more assignments than one page holds.
func TestRBACAssignmentListing(t *testing.T) {
	s, ctx, _, assigns := rbacAdmin(t)

	const n = 60 // more than two pages
	ids := map[string]bool{}
	for i := range n {
		ra, err := rbacAssign(ctx, assigns, fmt.Sprintf("%s/resourceGroups/rg-page-%02d", rbacSubScope, i), rbacRoleID(rbacReaderGUID), sandbox.AdminSPObjectID, nil)
		if err != nil {
			t.Fatalf("assign %d: %v", i, err)
		}
		ids[*ra.ID] = true
	}

	list := func(t *testing.T, scope string, filter *string) (all []*armauthorization.RoleAssignment, pages int) {
		t.Helper()
		pager := assigns.NewListForScopePager(strings.TrimPrefix(scope, "/"), &armauthorization.RoleAssignmentsClientListForScopeOptions{Filter: filter})
		for pager.More() {
			page, err := pager.NextPage(ctx)
			if err != nil {
				t.Fatalf("list at %s (%v): %v", scope, filter, err)
			}
			if page.NextLink != nil && !strings.HasPrefix(*page.NextLink, s.URL()+"/") {
				t.Fatalf("nextLink %s is not an absolute link to the sandbox", *page.NextLink)
			}
			pages++
			all = append(all, page.Value...)
		}
		return all, pages
	}
	count := func(all []*armauthorization.RoleAssignment) (mine int, seen map[string]int) {
		seen = map[string]int{}
		for _, ra := range all {
			seen[*ra.ID]++
			if ids[*ra.ID] {
				mine++
			}
		}
		return mine, seen
	}

	t.Run("subscription, all pages", func(t *testing.T) {
		all, pages := list(t, rbacSubScope, nil)
		mine, seen := count(all)
		if mine != n || pages < 3 {
			t.Fatalf("got %d of my %d assignments in %d pages, want all in at least 3", mine, n, pages)
		}
		for id, k := range seen {
			if k != 1 {
				t.Errorf("%s listed %d times", id, k)
			}
		}
		// Below the subscription too: the scenario's assignment on prod-vnet.
		below := false
		for _, ra := range all {
			below = below || strings.EqualFold(*ra.Properties.Scope, sandboxtest.ProdVNetID)
		}
		if !below {
			t.Error("list at the subscription leaves out assignments on resources below it")
		}
	})

	for _, tc := range []struct {
		name, filter string
		escape       bool // as azpeer sends it; the SDK pastes $filter in unescaped
	}{
		{"atScope raw", "atScope()", false},
		{"principalId escaped", "principalId eq '" + sandbox.AdminSPObjectID + "'", true},
		{"assignedTo escaped", "assignedTo('" + sandbox.AdminSPObjectID + "')", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.filter
			if tc.escape {
				f = url.QueryEscape(f)
			}
			rg := rbacSubScope + "/resourceGroups/rg-page-07"
			all, _ := list(t, rg, &f)
			mine, _ := count(all)
			atScope := strings.HasPrefix(tc.filter, "atScope")
			owner := false
			for _, ra := range all {
				owner = owner || (*ra.Properties.Scope == rbacSubScope && *ra.Properties.PrincipalID == sandbox.AdminSPObjectID)
				if !atScope && *ra.Properties.PrincipalID != sandbox.AdminSPObjectID {
					t.Errorf("filter %q listed principal %s", tc.filter, *ra.Properties.PrincipalID)
				}
			}
			if mine != 1 || !owner {
				t.Fatalf("filter %q at %s: %d of mine (want 1, rg-page-07's), owner above listed %v", tc.filter, rg, mine, owner)
			}
		})
	}

	t.Run("principalId at the subscription reaches below", func(t *testing.T) {
		f := url.QueryEscape("principalId eq '" + sandbox.AdminSPObjectID + "'")
		all, _ := list(t, rbacSubScope, &f)
		if mine, _ := count(all); mine != n {
			t.Fatalf("got %d of my %d assignments", mine, n)
		}
	})

	// Like Resource Manager's front end ("HTTP Error 400. The request is
	// badly formed.", azure-sdk-for-go#20847), the sandbox refuses a query
	// with raw spaces, which the SDK sends when $filter is not escaped.
	t.Run("unescaped filter", func(t *testing.T) {
		f := "principalId eq '" + sandbox.AdminSPObjectID + "'"
		_, err := assigns.NewListForScopePager(strings.TrimPrefix(rbacSubScope, "/"), &armauthorization.RoleAssignmentsClientListForScopeOptions{Filter: &f}).NextPage(ctx)
		wantResponseError(t, err, http.StatusBadRequest, "")
	})

	t.Run("unsupported filter", func(t *testing.T) {
		f := url.QueryEscape("roleDefinitionId eq 'x'")
		_, err := assigns.NewListForScopePager(strings.TrimPrefix(rbacSubScope, "/"), &armauthorization.RoleAssignmentsClientListForScopeOptions{Filter: &f}).NextPage(ctx)
		wantResponseError(t, err, http.StatusBadRequest, "UnsupportedQuery")
	})
}

// TestRBACReplicationAndPropagation: a new service principal is unknown to
// Resource Manager until it replicates unless principalType is given, and
// a new assignment grants nothing until it propagates, though it is listed
// at once.
func TestRBACReplicationAndPropagation(t *testing.T) {
	s := timedSandbox(t, 1, func(tm *sandbox.Timing) {
		tm.PrincipalReplication = sandbox.Duration(time.Hour)
		tm.RolePropagation = sandbox.Duration(time.Hour)
	})
	ctx := ctx(t)
	admin := adminCredential(t, s)
	_, assigns := rbacClients(t, s, admin)
	_, spID, _ := newPrincipal(t, s, "rbac-replication")

	_, err := rbacAssign(ctx, assigns, sandboxtest.ProdVNetID, rbacRoleID(sandbox.NetworkContributorRoleGUID), spID, nil)
	re := wantResponseError(t, err, http.StatusBadRequest, "PrincipalNotFound")
	if !strings.Contains(re.Error(), "set the role assignment principalType property") {
		t.Errorf("PrincipalNotFound text: %v", re)
	}
	if _, err := rbacAssign(ctx, assigns, sandboxtest.ProdVNetID, rbacRoleID(sandbox.NetworkContributorRoleGUID), spID, to.Ptr(armauthorization.PrincipalTypeServicePrincipal)); err != nil {
		t.Fatalf("assign with principalType: %v", err)
	}

	f := url.QueryEscape("principalId eq '" + spID + "'")
	page, err := assigns.NewListForScopePager(strings.TrimPrefix(sandboxtest.ProdVNetID, "/"), &armauthorization.RoleAssignmentsClientListForScopeOptions{Filter: &f}).NextPage(ctx)
	if err != nil || len(page.Value) != 1 {
		t.Fatalf("list the new assignment: %v, %d listed", err, len(page.Value))
	}
	if s.Can(spID, sandbox.ActionPeeringWrite, sandboxtest.ProdVNetID+"/virtualNetworkPeerings/p") {
		t.Fatal("the new assignment grants peering write before it propagated")
	}
	// Instant speed lets every simulated delay pass.
	s.Clock().SetSpeed(0)
	if !s.Can(spID, sandbox.ActionPeeringWrite, sandboxtest.ProdVNetID+"/virtualNetworkPeerings/p") {
		t.Fatal("the assignment grants nothing after propagation")
	}
	if s.Can(spID, sandbox.ActionPeeringWrite, sandbox.VNetID(sandbox.UserSubscriptionID, "rg-app", "app-vnet")) {
		t.Fatal("an assignment on prod-vnet grants on app-vnet")
	}
}

// TestRBACAuthorizationFailed: without Owner or User Access Administrator a
// principal can neither assign roles nor define them, and can once granted.
func TestRBACAuthorizationFailed(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	ctx := ctx(t)
	admin := adminCredential(t, s)
	_, adminAssigns := rbacClients(t, s, admin)
	appID, spID, secret := newPrincipal(t, s, "rbac-no-owner")
	defs, assigns := rbacClients(t, s, secretCredential(t, s, sandbox.UserTenantID, appID, secret))
	sub := strings.TrimPrefix(rbacSubScope, "/")

	_, err := rbacAssign(ctx, assigns, rbacSubScope, rbacRoleID(rbacReaderGUID), spID, nil)
	re := wantResponseError(t, err, http.StatusForbidden, "AuthorizationFailed")
	want := fmt.Sprintf("The client '%s' with object id '%s' does not have authorization to perform action 'Microsoft.Authorization/roleAssignments/write' over scope '%s/providers/Microsoft.Authorization/roleAssignments/", spID, spID, rbacSubScope)
	if !strings.Contains(re.Error(), want) {
		t.Errorf("AuthorizationFailed text: %v\nwant it to contain %s", re, want)
	}
	_, err = defs.CreateOrUpdate(ctx, sub, uuid.NewString(), rbacCustomRole("not-mine", "", []string{"*/read"}, rbacSubScope), nil)
	wantResponseError(t, err, http.StatusForbidden, "AuthorizationFailed")
	_, err = assigns.NewListForScopePager(sub, nil).NextPage(ctx)
	wantResponseError(t, err, http.StatusForbidden, "AuthorizationFailed")

	if _, err := rbacAssign(ctx, adminAssigns, rbacSubScope, rbacRoleID(rbacUserAccessAdmin), spID, nil); err != nil {
		t.Fatalf("grant User Access Administrator: %v", err)
	}
	if _, err := rbacAssign(ctx, assigns, rbacSubScope+"/resourceGroups/rg-app", rbacRoleID(rbacReaderGUID), spID, nil); err != nil {
		t.Fatalf("assign as User Access Administrator: %v", err)
	}
}

// TestRBACAPIVersions: the versions the specs publish are served, others
// refused as Resource Manager refuses them: InvalidResourceType at a
// subscription, NoRegisteredProviderFound (with the group's location and
// no provider locations, Microsoft.Authorization being global) in a
// resource group; under azure-api-versions=registered the live service's
// further versions are served too.
func TestRBACAPIVersions(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{})
	token := adminToken(t, s, armScope)
	rgScope := rbacSubScope + "/resourceGroups/rg-prod"
	for _, tc := range []struct {
		variant, scope, path, version string
		status                        int
		code, message                 string
	}{
		{"", rbacSubScope, "roleAssignments", "2018-01-01-preview", http.StatusOK, "", ""},
		{"", rbacSubScope, "roleAssignments", "2020-04-01-preview", http.StatusOK, "", ""},
		{"", rbacSubScope, "roleAssignments", "2022-04-01", http.StatusOK, "", ""},
		{"", rbacSubScope, "roleDefinitions", "2018-01-01-preview", http.StatusOK, "", ""},
		{"", rbacSubScope, "roleDefinitions", "2022-05-01-preview", http.StatusOK, "", ""},
		{"", rbacSubScope, "roleDefinitions", "", http.StatusBadRequest, "MissingApiVersionParameter", ""},
		{"", rbacSubScope, "roleAssignments", "2022-01-01-preview", http.StatusNotFound, "InvalidResourceType",
			"The resource type 'roleAssignments' could not be found in the namespace 'Microsoft.Authorization' for api version '2022-01-01-preview'. The supported api-versions are '2015-07-01,2017-10-01-preview,2018-01-01-preview,2018-09-01-preview,2020-03-01-preview,2020-04-01-preview,2020-08-01-preview,2020-10-01-preview,2022-04-01'."},
		{"", rgScope, "roleDefinitions", "2099-01-01", http.StatusBadRequest, "NoRegisteredProviderFound",
			"No registered resource provider found for location 'westeurope' and API version '2099-01-01' for type 'roleDefinitions'. The supported api-versions are '2015-07-01, 2018-01-01-preview, 2022-04-01, 2022-05-01-preview'. The supported locations are ''."},
		{"registered", rbacSubScope, "roleAssignments", "2022-01-01-preview", http.StatusOK, "", ""},
		{"registered", rbacSubScope, "roleDefinitions", "2015-06-01", http.StatusOK, "", ""},
		{"registered", rbacSubScope, "roleAssignments", "2099-01-01", http.StatusNotFound, "InvalidResourceType", ""},
	} {
		t.Run(tc.variant+" "+tc.path+"@"+tc.version, func(t *testing.T) {
			if err := s.SetVariants(map[string]string{sandbox.VariantAzureAPIVersions: cmp.Or(tc.variant, "specs")}); err != nil {
				t.Fatal(err)
			}
			path := tc.scope + "/providers/Microsoft.Authorization/" + tc.path
			if tc.version != "" {
				path += "?api-version=" + tc.version
			}
			resp, body := send(t, s, rawRequest{method: http.MethodGet, path: path, auth: bearer(token)})
			if resp.StatusCode != tc.status || resp.Header.Get("x-ms-error-code") != tc.code {
				t.Fatalf("got %d %q, want %d %q", resp.StatusCode, resp.Header.Get("x-ms-error-code"), tc.status, tc.code)
			}
			if tc.message != "" && !strings.Contains(string(body), tc.message) {
				t.Errorf("body %s\nwant message %s", body, tc.message)
			}
		})
	}
}

// TestRBACAssignmentGet reads one assignment by scope and name (Get) and by
// its full id (GetByID), and checks Resource Manager's 404 for one that is
// not there.
func TestRBACAssignmentGet(t *testing.T) {
	_, ctx, _, assigns := rbacAdmin(t)
	rgScope := rbacSubScope + "/resourceGroups/rg-prod"
	atSub, err := rbacAssign(ctx, assigns, rbacSubScope, rbacRoleID(rbacReaderGUID), sandbox.AdminSPObjectID, nil)
	if err != nil {
		t.Fatal(err)
	}
	atRG, err := rbacAssign(ctx, assigns, rgScope, rbacRoleID(rbacReaderGUID), sandbox.AdminSPObjectID, nil)
	if err != nil {
		t.Fatal(err)
	}
	missing := uuid.NewString()
	byName := func(scope, name string) func() (armauthorization.RoleAssignment, error) {
		return func() (armauthorization.RoleAssignment, error) {
			r, err := assigns.Get(ctx, scope, name, nil)
			return r.RoleAssignment, err
		}
	}
	byID := func(id string) func() (armauthorization.RoleAssignment, error) {
		return func() (armauthorization.RoleAssignment, error) {
			r, err := assigns.GetByID(ctx, id, nil)
			return r.RoleAssignment, err
		}
	}
	for _, tc := range []struct {
		name   string
		get    func() (armauthorization.RoleAssignment, error)
		wantID string // "" for a 404 naming missingName
		// missingName is the guid the 404 message names.
		missingName string
	}{
		{"Get at the subscription", byName(strings.TrimPrefix(rbacSubScope, "/"), *atSub.Name), *atSub.ID, ""},
		{"Get with the scope's leading slash", byName(rbacSubScope, *atSub.Name), *atSub.ID, ""},
		{"Get at a resource group", byName(strings.TrimPrefix(rgScope, "/"), *atRG.Name), *atRG.ID, ""},
		{"GetByID at the subscription", byID(*atSub.ID), *atSub.ID, ""},
		{"GetByID at a resource group", byID(*atRG.ID), *atRG.ID, ""},
		{"Get of an unknown name", byName(strings.TrimPrefix(rbacSubScope, "/"), missing), "", missing},
		{"GetByID of an unknown id", byID(rbacSubScope + "/providers/Microsoft.Authorization/roleAssignments/" + missing), "", missing},
		{"Get at another scope than the assignment's", byName(strings.TrimPrefix(rgScope, "/"), *atSub.Name), "", *atSub.Name},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.get()
			if tc.wantID != "" {
				if err != nil || got.ID == nil || *got.ID != tc.wantID || got.Properties == nil || *got.Properties.PrincipalID != sandbox.AdminSPObjectID {
					t.Fatalf("got %+v, %v; want %s", got, err, tc.wantID)
				}
				return
			}
			re := wantResponseError(t, err, http.StatusNotFound, "RoleAssignmentNotFound")
			if msg, want := errorMessage(t, re), "The role assignment '"+tc.missingName+"' is not found."; msg != want {
				t.Errorf("message %q, want %q", msg, want)
			}
		})
	}
}
