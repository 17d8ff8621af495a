package azure

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2"
	"github.com/google/uuid"

	"github.com/azpeer/azpeer/peering"
)

// Access is peering.Access over armauthorization (Azure RBAC).
type Access struct {
	defs    *armauthorization.RoleDefinitionsClient
	assigns *armauthorization.RoleAssignmentsClient
	// cred and opts make the per-subscription permissions clients.
	cred azcore.TokenCredential
	opts *arm.ClientOptions
}

var _ peering.Access = (*Access)(nil)

// NewAccess returns Azure RBAC as the credential's principal.
func NewAccess(cred azcore.TokenCredential, clientOpts azcore.ClientOptions) (*Access, error) {
	ao := &arm.ClientOptions{ClientOptions: clientOpts}
	defs, err := armauthorization.NewRoleDefinitionsClient(cred, ao)
	if err != nil {
		return nil, fmt.Errorf("azure: role definitions client: %w", err)
	}
	// The subscription id binds only the subscription- and group-wide
	// listings, which Access does not use: every call here takes a scope.
	assigns, err := armauthorization.NewRoleAssignmentsClient("", cred, ao)
	if err != nil {
		return nil, fmt.Errorf("azure: role assignments client: %w", err)
	}
	return &Access{defs: defs, assigns: assigns, cred: cred, opts: ao}, nil
}

// odataString quotes a value for an OData $filter.
func odataString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// FindRoleDefinition returns the role named roleName visible at scope
// (built-in or custom), or nil, nil.
func (a *Access) FindRoleDefinition(ctx context.Context, scope, roleName string) (*peering.RoleDefinition, error) {
	filter := "roleName eq " + odataString(roleName)
	var found *peering.RoleDefinition
	err := everyItem(ctx, a.defs.NewListPager(strings.TrimPrefix(scope, "/"), &armauthorization.RoleDefinitionsClientListOptions{Filter: &filter}),
		func(p armauthorization.RoleDefinitionsClientListResponse) []*armauthorization.RoleDefinition {
			return p.Value
		},
		func(rd *armauthorization.RoleDefinition) bool {
			if rd.Properties == nil || !strings.EqualFold(deref(rd.Properties.RoleName), roleName) {
				return true
			}
			d := roleDefinitionFromSDK(rd)
			found = &d
			return false
		})
	if err != nil {
		return nil, fmt.Errorf("find role %q at %s: %w", roleName, scope, cloudError(ServiceARM, err))
	}
	return found, nil
}

// CreateRoleDefinition creates a custom role at scope. def.Name is the
// role's guid when set (so a retry is idempotent), else a new one;
// AssignableScopes default to [scope].
func (a *Access) CreateRoleDefinition(ctx context.Context, scope string, def peering.RoleDefinition) (peering.RoleDefinition, error) {
	guid := def.Name
	if guid == "" {
		guid = uuid.NewString()
	}
	assignable := def.AssignableScopes
	if len(assignable) == 0 {
		assignable = []string{scope}
	}
	body := armauthorization.RoleDefinition{
		Properties: &armauthorization.RoleDefinitionProperties{
			RoleName:    to.Ptr(def.RoleName),
			Description: to.Ptr(def.Description),
			RoleType:    to.Ptr("CustomRole"),
			Permissions: []*armauthorization.Permission{{
				Actions:    to.SliceOfPtrs(def.Actions...),
				NotActions: to.SliceOfPtrs(def.NotActions...),
			}},
			AssignableScopes: to.SliceOfPtrs(assignable...),
		},
	}
	// An empty list must go out as [], not be omitted as nil.
	if body.Properties.Permissions[0].NotActions == nil {
		body.Properties.Permissions[0].NotActions = []*string{}
	}
	resp, err := a.defs.CreateOrUpdate(ctx, strings.TrimPrefix(scope, "/"), guid, body, nil)
	if err != nil {
		return peering.RoleDefinition{}, fmt.Errorf("create role %q at %s: %w", def.RoleName, scope, cloudError(ServiceARM, err))
	}
	return roleDefinitionFromSDK(&resp.RoleDefinition), nil
}

const (
	roleDefinitionsSegment = "/providers/microsoft.authorization/roledefinitions/"
	roleAssignmentsSegment = "/providers/microsoft.authorization/roleassignments/"
)

// splitAuthzID splits "{scope}/providers/Microsoft.Authorization/{kind}/{guid}".
func splitAuthzID(id, segment string) (scope, guid string, err error) {
	i := strings.LastIndex(strings.ToLower(id), segment)
	if i < 0 {
		return "", "", fmt.Errorf("azure: %q is not a %s id", id, strings.Trim(segment, "/"))
	}
	scope, guid = id[:i], strings.Trim(id[i+len(segment):], "/")
	if guid == "" || strings.Contains(guid, "/") {
		return "", "", fmt.Errorf("azure: %q is not a %s id", id, strings.Trim(segment, "/"))
	}
	return scope, guid, nil
}

// DeleteRoleDefinition deletes a custom role by id; one already gone is fine.
func (a *Access) DeleteRoleDefinition(ctx context.Context, id string) error {
	scope, guid, err := splitAuthzID(id, roleDefinitionsSegment)
	if err != nil {
		return err
	}
	_, err = a.defs.Delete(ctx, strings.TrimPrefix(scope, "/"), guid, nil)
	return absentOK(err, "delete role "+id)
}

// RoleAssignments lists the assignments that apply at scope: at, above
// and below it, as Resource Manager lists them without atScope(); only
// principalID's when it is set.
func (a *Access) RoleAssignments(ctx context.Context, scope, principalID string) ([]peering.RoleAssignment, error) {
	var opts *armauthorization.RoleAssignmentsClientListForScopeOptions
	if principalID != "" {
		// This client pastes $filter into the query as given, unescaped.
		f := strings.ReplaceAll(url.QueryEscape("principalId eq "+odataString(principalID)), "+", "%20")
		opts = &armauthorization.RoleAssignmentsClientListForScopeOptions{Filter: &f}
	}
	var out []peering.RoleAssignment
	err := everyItem(ctx, a.assigns.NewListForScopePager(strings.TrimPrefix(scope, "/"), opts),
		func(p armauthorization.RoleAssignmentsClientListForScopeResponse) []*armauthorization.RoleAssignment {
			return p.Value
		},
		func(ra *armauthorization.RoleAssignment) bool {
			if r := roleAssignmentFromSDK(ra); principalID == "" || strings.EqualFold(r.PrincipalID, principalID) {
				out = append(out, r)
			}
			return true
		})
	if err != nil {
		return nil, fmt.Errorf("list role assignments at %s: %w", scope, cloudError(ServiceARM, err))
	}
	return out, nil
}

// CreateRoleAssignment assigns a role at scope to a service principal.
// principalType is set so that Resource Manager accepts a principal whose
// replication has not reached it yet.
func (a *Access) CreateRoleAssignment(ctx context.Context, scope, name, roleDefinitionID, principalID string) (peering.RoleAssignment, error) {
	if name == "" {
		name = uuid.NewString()
	}
	body := armauthorization.RoleAssignmentCreateParameters{
		Properties: &armauthorization.RoleAssignmentProperties{
			RoleDefinitionID: to.Ptr(roleDefinitionID),
			PrincipalID:      to.Ptr(principalID),
			PrincipalType:    to.Ptr(armauthorization.PrincipalTypeServicePrincipal),
		},
	}
	resp, err := a.assigns.Create(ctx, strings.TrimPrefix(scope, "/"), name, body, nil)
	if err != nil {
		return peering.RoleAssignment{}, fmt.Errorf("assign role %s to %s at %s: %w", roleDefinitionID, principalID, scope, cloudError(ServiceARM, err))
	}
	return roleAssignmentFromSDK(&resp.RoleAssignment), nil
}

// RoleAssignmentByID reads an assignment by its full id; nil, nil when it
// does not exist (RoleAssignmentNotFound).
func (a *Access) RoleAssignmentByID(ctx context.Context, id string) (*peering.RoleAssignment, error) {
	if _, _, err := splitAuthzID(id, roleAssignmentsSegment); err != nil {
		return nil, err
	}
	resp, err := a.assigns.GetByID(ctx, strings.TrimPrefix(id, "/"), nil)
	if err != nil {
		return nil, absentOK(err, "read role assignment "+id)
	}
	ra := roleAssignmentFromSDK(&resp.RoleAssignment)
	return &ra, nil
}

// DeleteRoleAssignment deletes an assignment by id; one already gone is fine.
func (a *Access) DeleteRoleAssignment(ctx context.Context, id string) error {
	if _, _, err := splitAuthzID(id, roleAssignmentsSegment); err != nil {
		return err
	}
	_, err := a.assigns.DeleteByID(ctx, strings.TrimPrefix(id, "/"), nil)
	return absentOK(err, "delete role assignment "+id)
}

func roleDefinitionFromSDK(rd *armauthorization.RoleDefinition) peering.RoleDefinition {
	out := peering.RoleDefinition{ID: deref(rd.ID), Name: deref(rd.Name)}
	p := rd.Properties
	if p == nil {
		return out
	}
	out.RoleName = deref(p.RoleName)
	out.Description = deref(p.Description)
	out.Custom = strings.EqualFold(deref(p.RoleType), "CustomRole")
	for _, perm := range p.Permissions {
		if perm == nil {
			continue
		}
		out.Actions = append(out.Actions, derefAll(perm.Actions)...)
		out.NotActions = append(out.NotActions, derefAll(perm.NotActions)...)
	}
	out.AssignableScopes = derefAll(p.AssignableScopes)
	return out
}

func roleAssignmentFromSDK(ra *armauthorization.RoleAssignment) peering.RoleAssignment {
	out := peering.RoleAssignment{ID: deref(ra.ID)}
	if p := ra.Properties; p != nil {
		out.Scope = deref(p.Scope)
		out.RoleDefinitionID = deref(p.RoleDefinitionID)
		out.PrincipalID = deref(p.PrincipalID)
		out.PrincipalType = deref(p.PrincipalType)
		if p.CreatedOn != nil {
			out.CreatedOn = *p.CreatedOn
		}
	}
	if out.Scope == "" {
		if scope, _, err := splitAuthzID(out.ID, roleAssignmentsSegment); err == nil {
			out.Scope = scope
		}
	}
	return out
}

func derefAll(ps []*string) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		if p != nil {
			out = append(out, *p)
		}
	}
	return out
}
