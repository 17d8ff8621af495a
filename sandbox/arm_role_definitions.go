package sandbox

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// Role definitions ({scope}/providers/Microsoft.Authorization/
// roleDefinitions[/{roleDefinitionId}]): built-in roles everywhere, custom
// roles where their assignable scopes reach, as armauthorization/v2's
// RoleDefinitionsClient and the Azure CLI read and write them.

// rbacRoleDefinitionBody is the PUT body of a role definition.
type rbacRoleDefinitionBody struct {
	Properties struct {
		RoleName    string `json:"roleName"`
		Description string `json:"description"`
		Type        string `json:"type"`
		Permissions []struct {
			Actions        []string `json:"actions"`
			NotActions     []string `json:"notActions"`
			DataActions    []string `json:"dataActions"`
			NotDataActions []string `json:"notDataActions"`
		} `json:"permissions"`
		AssignableScopes []string `json:"assignableScopes"`
	} `json:"properties"`
}

// roleDefinitionJSON renders a role definition; its id carries the
// request's subscription, as Resource Manager renders it.
func (q *armRequest) roleDefinitionJSON(rd *RoleDefinition) map[string]any {
	id := rd.ID
	switch {
	case q.sub != nil:
		id = builtinRoleID(q.sub.ID, rd.Name)
	case rd.RoleType == "BuiltInRole":
		id = rbacDefinitionsPath + rd.Name
	}
	return map[string]any{
		"id": id, "name": rd.Name, "type": rbacDefinitionType,
		"properties": map[string]any{
			"roleName":         rd.RoleName,
			"type":             rd.RoleType,
			"description":      rd.Description,
			"assignableScopes": nonNil(rd.AssignableScopes),
			"permissions": []map[string]any{{
				"actions": nonNil(rd.Actions), "notActions": nonNil(rd.NotActions),
				"dataActions": nonNil(rd.DataActions), "notDataActions": nonNil(rd.NotDataActions),
			}},
			"createdOn": rbacTime(rd.CreatedAt), "updatedOn": rbacTime(rd.UpdatedAt),
			// The world does not record who made a role.
			"createdBy": nil, "updatedBy": nil,
		},
	}
}

// rbacDefinitionFilter is a parsed role-definition $filter.
type rbacDefinitionFilter struct {
	roleName, roleType string
	below              bool
}

// rbacParseDefinitionFilter understands roleName eq '...', type eq '...'
// and atScopeAndBelow(), joined by "and".
func rbacParseDefinitionFilter(f string) (rbacDefinitionFilter, bool) {
	var out rbacDefinitionFilter
	if strings.TrimSpace(f) == "" {
		return out, true
	}
	for _, term := range rbacSplitAnd(f) {
		switch {
		case strings.EqualFold(term, "atScopeAndBelow()"):
			out.below = true
		default:
			field, value, ok := rbacParseEq(term)
			switch {
			case ok && strings.EqualFold(field, "roleName"):
				out.roleName = value
			case ok && strings.EqualFold(field, "type"):
				out.roleType = value
			default:
				return out, false
			}
		}
	}
	return out, true
}

// listRoleDefinitions lists the roles applicable at the scope: built-in
// roles and custom roles assignable at or above it (or also below it, with
// atScopeAndBelow()). Reading at the tenant root needs no role.
func (q *armRequest) listRoleDefinitions() {
	raw := q.r.URL.Query().Get("$filter")
	f, ok := rbacParseDefinitionFilter(raw)
	if !ok {
		armError(q.w, http.StatusBadRequest, "UnsupportedQuery", fmt.Sprintf(
			"The filter '%s' is not supported. Supported filters are either roleName eq '{value}' or type eq 'BuiltInRole|CustomRole'.", raw))
		return
	}
	var roles []*RoleDefinition
	for _, rd := range q.world.RoleDefinitions {
		if !strings.EqualFold(rd.TenantID, q.c.TenantID) {
			continue
		}
		if !rbacAssignableAt(rd, q.scope) && !(f.below && rbacDefinedBelow(rd, q.scope)) {
			continue
		}
		if f.roleName != "" && !strings.EqualFold(rd.RoleName, f.roleName) {
			continue
		}
		if f.roleType != "" && !strings.EqualFold(rd.RoleType, f.roleType) {
			continue
		}
		roles = append(roles, rd)
	}
	sort.Slice(roles, func(i, j int) bool {
		if roles[i].RoleType != roles[j].RoleType {
			return roles[i].RoleType == "BuiltInRole"
		}
		return strings.ToLower(roles[i].RoleName) < strings.ToLower(roles[j].RoleName)
	})
	writeJSON(q.w, http.StatusOK, map[string]any{"value": mapped(roles, q.roleDefinitionJSON)})
}

func rbacRoleDefinitionMissing(w http.ResponseWriter, status int, guid string) {
	armError(w, status, "RoleDefinitionDoesNotExist", fmt.Sprintf("The specified role definition with ID '%s' does not exist.", guid))
}

func (q *armRequest) getRoleDefinition() {
	guid := q.params["roleDefinitionId"]
	rd := q.visibleRole(guid)
	if rd == nil {
		rbacRoleDefinitionMissing(q.w, http.StatusNotFound, guid)
		return
	}
	writeJSON(q.w, http.StatusOK, q.roleDefinitionJSON(rd))
}

// invalidRoleDefinitionID refuses a role definition id (a name, or the
// roleDefinitionId of an assignment) whose guid is not one.
func invalidRoleDefinitionID(w http.ResponseWriter, id string) {
	armError(w, http.StatusBadRequest, "InvalidRoleDefinitionId", fmt.Sprintf("The role definition ID '%s' is not valid.", id))
}

// putRoleDefinition creates or updates a custom role. The caller needs
// roleDefinitions/write on the request scope and on every assignable scope;
// Resource Manager answers 201 to both a create and an update (the SDK
// accepts nothing else).
func (q *armRequest) putRoleDefinition() {
	var body rbacRoleDefinitionBody
	guid, ok := q.decodeGUIDPut("roleDefinitionId", &body, invalidRoleDefinitionID)
	if !ok {
		return
	}
	p := &body.Properties
	p.RoleName = strings.TrimSpace(p.RoleName)
	if p.RoleName == "" {
		armError(q.w, http.StatusBadRequest, "InvalidRoleDefinitionName", "The role definition name cannot be null or empty.")
		return
	}
	if len(p.AssignableScopes) == 0 {
		armError(q.w, http.StatusBadRequest, "MissingAssignableScopes", "The role definition must have at least one assignable scope.")
		return
	}
	scopes := make([]string, 0, len(p.AssignableScopes))
	var denied []string
	for _, as := range p.AssignableScopes {
		as = strings.TrimRight(strings.TrimSpace(as), "/")
		scopes = append(scopes, as)
		sub := q.world.subscriptionByID(subscriptionOf(as))
		if sub == nil || !strings.EqualFold(sub.TenantID, q.c.TenantID) || !q.world.can(q.s.clock, q.c.ObjectID, ActionRoleDefWrite, as) {
			if as == "" {
				as = "/"
			}
			denied = append(denied, as)
		}
	}
	if len(denied) > 0 {
		q.w.Header().Set("x-ms-failure-cause", "gateway")
		armError(q.w, http.StatusForbidden, "LinkedAuthorizationFailed", fmt.Sprintf(
			"The client '%s' with object id '%s' has permission to perform action '%s' on scope '%s'; however, it does not have permission to perform action '%s' on the linked scope(s)'%s' or the linked scope(s)are invalid.",
			q.c.ObjectID, q.c.ObjectID, ActionRoleDefWrite, q.rbacScope(), ActionRoleDefWrite, strings.Join(denied, ",")))
		return
	}
	existing := q.roleInTenant(guid)
	if existing != nil && existing.RoleType == "BuiltInRole" {
		armError(q.w, http.StatusBadRequest, "BuiltInRoleDefinitionNotModifiable", fmt.Sprintf("The built-in role definition '%s' cannot be modified.", guid))
		return
	}
	for _, rd := range q.world.RoleDefinitions {
		if strings.EqualFold(rd.TenantID, q.c.TenantID) && strings.EqualFold(rd.RoleName, p.RoleName) && !strings.EqualFold(rd.Name, guid) {
			armError(q.w, http.StatusConflict, "RoleDefinitionWithSameNameExists", "A role definition cannot be updated with a name that already exists.")
			return
		}
	}
	var actions, notActions, dataActions, notDataActions []string
	for _, perm := range p.Permissions {
		actions = append(actions, perm.Actions...)
		notActions = append(notActions, perm.NotActions...)
		dataActions = append(dataActions, perm.DataActions...)
		notDataActions = append(notDataActions, perm.NotDataActions...)
	}
	now := q.s.clock.Now()
	rd := existing
	if rd == nil {
		rd = q.world.createRoleDefinition(now, q.c.TenantID, strings.ToLower(guid), p.RoleName, p.Description, nonNil(actions), scopes)
	}
	rd.RoleName, rd.Description = p.RoleName, p.Description
	rd.Actions, rd.NotActions = nonNil(actions), nonNil(notActions)
	rd.DataActions, rd.NotDataActions = dataActions, notDataActions
	rd.AssignableScopes = scopes
	rd.UpdatedAt = now
	writeJSON(q.w, http.StatusCreated, q.roleDefinitionJSON(rd))
}

// deleteRoleDefinition deletes a custom role that no assignment references;
// 204 when there is nothing to delete.
func (q *armRequest) deleteRoleDefinition() {
	guid := q.params["roleDefinitionId"]
	rd := q.visibleRole(guid)
	if rd == nil {
		q.w.WriteHeader(http.StatusNoContent)
		return
	}
	if rd.RoleType == "BuiltInRole" {
		armError(q.w, http.StatusBadRequest, "BuiltInRoleDefinitionNotModifiable", fmt.Sprintf("The built-in role definition '%s' cannot be deleted.", guid))
		return
	}
	for _, ra := range q.world.RoleAssignments {
		if strings.EqualFold(ra.TenantID, rd.TenantID) && strings.EqualFold(roleGUIDOf(ra.RoleDefinitionID), rd.Name) {
			armError(q.w, http.StatusConflict, "RoleDefinitionHasAssignments", "There are existing role assignments referencing role.")
			return
		}
	}
	body := q.roleDefinitionJSON(rd)
	for k, v := range q.world.RoleDefinitions {
		if v == rd {
			delete(q.world.RoleDefinitions, k)
		}
	}
	writeJSON(q.w, http.StatusOK, body)
}
