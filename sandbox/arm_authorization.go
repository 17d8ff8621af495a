package sandbox

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// Resource Manager authorization (Microsoft.Authorization): role
// definitions and role assignments at any scope, as armauthorization/v2
// (api-version 2022-04-01) and the Azure CLI (older api-versions) call them.
//
// Both resources are tenant-wide: a custom role's name is unique in its
// directory, and a role assignment's guid is unique everywhere. Built-in
// roles are stored once per tenant with the id
// /providers/Microsoft.Authorization/roleDefinitions/{guid} and rendered
// with the subscription of the request, as Resource Manager does.

const (
	rbacDefinitionsPath = "/providers/Microsoft.Authorization/roleDefinitions/"
	rbacAssignmentsPath = "/providers/Microsoft.Authorization/roleAssignments/"
	rbacDefinitionType  = "Microsoft.Authorization/roleDefinitions"
	rbacAssignmentType  = "Microsoft.Authorization/roleAssignments"
	// rbacAssignmentPageSize is how many role assignments one list page
	// holds before a nextLink follows.
	rbacAssignmentPageSize = 25
)

// Can reports whether principalID may perform action on scope (a resource
// id or any scope) right now, with the role-propagation delay applied: the
// sandbox's answer to "would Resource Manager allow this call?". Tests and
// diagnosis use it to watch a new assignment take effect.
func (s *Server) Can(principalID, action, scope string) bool {
	world, unlock := s.lock()
	defer unlock()
	return world.can(s.clock, principalID, action, scope)
}

// roleInTenant finds a role definition of the caller's tenant by guid.
func (q *armRequest) roleInTenant(guid string) *RoleDefinition {
	for _, rd := range q.world.RoleDefinitions {
		if strings.EqualFold(rd.TenantID, q.c.TenantID) && strings.EqualFold(rd.Name, guid) {
			return rd
		}
	}
	return nil
}

// rbacAssignableAt reports whether a role can be assigned at scope: built-in
// roles anywhere, custom roles at or below one of their assignable scopes.
func rbacAssignableAt(rd *RoleDefinition, scope string) bool {
	if rd.RoleType == "BuiltInRole" {
		return true
	}
	for _, as := range rd.AssignableScopes {
		if scopeCovers(as, scope) {
			return true
		}
	}
	return false
}

// rbacDefinedBelow reports whether a custom role has an assignable scope below scope.
func rbacDefinedBelow(rd *RoleDefinition, scope string) bool {
	for _, as := range rd.AssignableScopes {
		if scopeCovers(scope, as) {
			return true
		}
	}
	return false
}

// visibleRole finds a role of the caller's tenant that can be seen from the
// request scope (assignable at, above or below it).
func (q *armRequest) visibleRole(guid string) *RoleDefinition {
	rd := q.roleInTenant(guid)
	if rd == nil || !(rbacAssignableAt(rd, q.scope) || rbacDefinedBelow(rd, q.scope)) {
		return nil
	}
	return rd
}

// rbacTime formats a timestamp as Resource Manager does (seven fractional digits, UTC).
func rbacTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05.0000000Z")
}

func rbacOrNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// rbacSplitAnd splits an OData filter on " and " outside quotes.
func rbacSplitAnd(f string) []string {
	var out []string
	inQuote := false
	start := 0
	for i := 0; i < len(f); i++ {
		switch {
		case f[i] == '\'':
			inQuote = !inQuote
		case !inQuote && i+5 <= len(f) && strings.EqualFold(f[i:i+5], " and "):
			out = append(out, strings.TrimSpace(f[start:i]))
			start = i + 5
			i += 4
		}
	}
	return append(out, strings.TrimSpace(f[start:]))
}

// rbacParseEq parses "field eq 'value'" (two single quotes stand for one in value).
func rbacParseEq(term string) (field, value string, ok bool) {
	field, rest, ok := strings.Cut(strings.TrimSpace(term), " ")
	if !ok {
		return "", "", false
	}
	rest = strings.TrimSpace(rest)
	op, lit, ok := strings.Cut(rest, " ")
	if !ok || !strings.EqualFold(op, "eq") {
		return "", "", false
	}
	value, ok = rbacQuoted(strings.TrimSpace(lit))
	return field, value, ok
}

// rbacQuoted unquotes an OData string literal.
func rbacQuoted(lit string) (string, bool) {
	if len(lit) < 2 || lit[0] != '\'' || lit[len(lit)-1] != '\'' {
		return "", false
	}
	return strings.ReplaceAll(lit[1:len(lit)-1], "''", "'"), true
}

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
	out := make([]map[string]any, 0, len(roles))
	for _, rd := range roles {
		out = append(out, q.roleDefinitionJSON(rd))
	}
	writeJSON(q.w, http.StatusOK, map[string]any{"value": out})
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

// putRoleDefinition creates or updates a custom role. The caller needs
// roleDefinitions/write on the request scope and on every assignable scope;
// Resource Manager answers 201 to both a create and an update (the SDK
// accepts nothing else).
func (q *armRequest) putRoleDefinition() {
	guid := q.params["roleDefinitionId"]
	var body rbacRoleDefinitionBody
	if err := decodeJSON(q.r, &body); err != nil {
		q.badBody(err.Error())
		return
	}
	if !isGUID(guid) {
		armError(q.w, http.StatusBadRequest, "InvalidRoleDefinitionId", fmt.Sprintf("The role definition ID '%s' is not valid.", guid))
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

// Role assignments ({scope}/providers/Microsoft.Authorization/
// roleAssignments[/{roleAssignmentName}]), as armauthorization/v2's
// RoleAssignmentsClient and the Azure CLI create, read, list and delete
// them.

// rbacAssignmentBody is the PUT body of a role assignment.
type rbacAssignmentBody struct {
	Properties struct {
		RoleDefinitionID string `json:"roleDefinitionId"`
		PrincipalID      string `json:"principalId"`
		PrincipalType    string `json:"principalType"`
	} `json:"properties"`
}

// rbacAssignmentJSON renders a role assignment as api-version 2022-04-01 does.
func rbacAssignmentJSON(ra *RoleAssignment) map[string]any {
	scope := ra.Scope
	if scope == "" {
		scope = "/"
	}
	return map[string]any{
		"id": ra.ID, "name": ra.Name, "type": rbacAssignmentType,
		"properties": map[string]any{
			"roleDefinitionId":                   ra.RoleDefinitionID,
			"principalId":                        ra.PrincipalID,
			"principalType":                      rbacOrNil(ra.PrincipalType),
			"scope":                              scope,
			"condition":                          nil,
			"conditionVersion":                   nil,
			"createdOn":                          rbacTime(ra.CreatedAt),
			"updatedOn":                          rbacTime(ra.CreatedAt),
			"createdBy":                          rbacOrNil(ra.CreatedBy),
			"updatedBy":                          rbacOrNil(ra.CreatedBy),
			"delegatedManagedIdentityResourceId": nil,
			"description":                        nil,
		},
	}
}

// assignmentAt finds the caller's tenant's assignment {scope}/.../roleAssignments/{guid}.
func (q *armRequest) assignmentAt(guid string) *RoleAssignment {
	ra := q.world.RoleAssignments[strings.ToLower(q.scope+rbacAssignmentsPath+guid)]
	if ra == nil || !strings.EqualFold(ra.TenantID, q.c.TenantID) {
		return nil
	}
	return ra
}

// getRoleAssignment answers GET {scope}/providers/Microsoft.Authorization/
// roleAssignments/{guid} (armauthorization's RoleAssignmentsClient.Get) and
// GET /{roleAssignmentId} (GetByID: the id is scope and name at once, and
// both match the same route). An assignment that does not exist at
// that scope is 404 RoleAssignmentNotFound with the text Resource Manager
// sends, e.g. in openshift/installer#4829 (Status=404
// Code="RoleAssignmentNotFound" Message="The role assignment '9f6023cc-...'
// is not found.") and the response body logged in
// hashicorp/terraform-provider-azurerm#12074.
func (q *armRequest) getRoleAssignment() {
	guid := q.params["roleAssignmentName"]
	ra := q.assignmentAt(guid)
	if ra == nil {
		armError(q.w, http.StatusNotFound, "RoleAssignmentNotFound", fmt.Sprintf("The role assignment '%s' is not found.", guid))
		return
	}
	writeJSON(q.w, http.StatusOK, rbacAssignmentJSON(ra))
}

// deleteRoleAssignment removes an assignment: 200 with its body, or 204
// when there is none. Its grant ends at once.
func (q *armRequest) deleteRoleAssignment() {
	guid := q.params["roleAssignmentName"]
	ra := q.assignmentAt(guid)
	if ra == nil {
		q.w.WriteHeader(http.StatusNoContent)
		return
	}
	body := rbacAssignmentJSON(ra)
	delete(q.world.RoleAssignments, strings.ToLower(ra.ID))
	writeJSON(q.w, http.StatusOK, body)
}

// putRoleAssignment creates an assignment. Assignments cannot be updated:
// the same guid with other content is refused, the same content under
// another guid already exists. A principal still replicating is unknown
// to Resource Manager unless principalType says what it is.
func (q *armRequest) putRoleAssignment() {
	guid := q.params["roleAssignmentName"]
	var body rbacAssignmentBody
	if err := decodeJSON(q.r, &body); err != nil {
		q.badBody(err.Error())
		return
	}
	if !isGUID(guid) {
		armError(q.w, http.StatusBadRequest, "InvalidRoleAssignmentId", fmt.Sprintf("The role assignment ID '%s' is not valid. The role assignment ID must be a GUID.", guid))
		return
	}
	p := &body.Properties
	switch {
	case p.RoleDefinitionID == "":
		q.badBody("Required property 'roleDefinitionId' not found in JSON. Path 'properties'")
		return
	case p.PrincipalID == "":
		q.badBody("Required property 'principalId' not found in JSON. Path 'properties'")
		return
	}
	i := strings.LastIndex(strings.ToLower(p.RoleDefinitionID), strings.ToLower(rbacDefinitionsPath))
	roleGUID := ""
	if i >= 0 {
		roleGUID = strings.TrimRight(p.RoleDefinitionID[i+len(rbacDefinitionsPath):], "/")
	}
	if !isGUID(roleGUID) {
		armError(q.w, http.StatusBadRequest, "InvalidRoleDefinitionId", fmt.Sprintf("The role definition ID '%s' is not valid.", p.RoleDefinitionID))
		return
	}
	// A role is found through the scope it is assigned at: a custom role
	// whose assignable scopes do not cover it does not exist there.
	rd := q.roleInTenant(roleGUID)
	if rd == nil || !rbacAssignableAt(rd, q.scope) {
		rbacRoleDefinitionMissing(q.w, http.StatusBadRequest, roleGUID)
		return
	}
	sp := q.world.ServicePrincipals[p.PrincipalID]
	if sp == nil {
		for _, cand := range q.world.ServicePrincipals {
			if strings.EqualFold(cand.ID, p.PrincipalID) {
				sp = cand
			}
		}
	}
	if sp == nil || !strings.EqualFold(sp.TenantID, q.c.TenantID) || (p.PrincipalType == "" && !q.world.principalReplicated(q.s.clock, sp)) {
		armError(q.w, http.StatusBadRequest, "PrincipalNotFound", fmt.Sprintf(
			"Principal %s does not exist in the directory %s. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype",
			strings.ReplaceAll(strings.ToLower(p.PrincipalID), "-", ""), q.c.TenantID))
		return
	}
	if p.PrincipalType != "" && !strings.EqualFold(p.PrincipalType, "ServicePrincipal") && q.world.principalReplicated(q.s.clock, sp) {
		armError(q.w, http.StatusBadRequest, "UnmatchedPrincipalType", fmt.Sprintf(
			"The PrincipalId '%s' has type 'ServicePrincipal' , which is different from specified PrinciaplType '%s'.",
			strings.ReplaceAll(strings.ToLower(sp.ID), "-", ""), p.PrincipalType))
		return
	}
	// Assignment names are unique across all scopes and tenants.
	for _, ra := range q.world.RoleAssignments {
		if !strings.EqualFold(ra.Name, guid) {
			continue
		}
		if strings.EqualFold(ra.Scope, q.scope) && strings.EqualFold(ra.PrincipalID, sp.ID) &&
			strings.EqualFold(roleGUIDOf(ra.RoleDefinitionID), roleGUID) && strings.EqualFold(ra.TenantID, q.c.TenantID) {
			writeJSON(q.w, http.StatusCreated, rbacAssignmentJSON(ra))
			return
		}
		armError(q.w, http.StatusBadRequest, "RoleAssignmentUpdateNotPermitted",
			"Tenant ID, application ID, principal ID, and scope are not allowed to be updated.")
		return
	}
	for _, ra := range q.world.RoleAssignments {
		if strings.EqualFold(ra.Scope, q.scope) && strings.EqualFold(ra.PrincipalID, sp.ID) &&
			strings.EqualFold(roleGUIDOf(ra.RoleDefinitionID), roleGUID) && strings.EqualFold(ra.TenantID, q.c.TenantID) {
			armError(q.w, http.StatusConflict, "RoleAssignmentExists", "The role assignment already exists.")
			return
		}
	}
	roleDefID := rbacDefinitionsPath + rd.Name
	if q.sub != nil {
		roleDefID = builtinRoleID(q.sub.ID, rd.Name)
	}
	ptype := p.PrincipalType
	if ptype == "" {
		ptype = "ServicePrincipal"
	}
	ra := q.world.createRoleAssignment(q.s.clock.Now(), q.c.TenantID, q.scope, strings.ToLower(guid), roleDefID, sp.ID, ptype, q.c.ObjectID)
	writeJSON(q.w, http.StatusCreated, rbacAssignmentJSON(ra))
}

// rbacAssignmentFilter is a parsed role-assignment $filter.
type rbacAssignmentFilter struct {
	atScope   bool
	principal string
}

// rbacParseAssignmentFilter understands atScope(), principalId eq '...'
// and assignedTo('...'), joined by "and".
func rbacParseAssignmentFilter(f string) (rbacAssignmentFilter, bool) {
	var out rbacAssignmentFilter
	if strings.TrimSpace(f) == "" {
		return out, true
	}
	for _, term := range rbacSplitAnd(f) {
		lower := strings.ToLower(term)
		switch {
		case lower == "atscope()":
			out.atScope = true
		case strings.HasPrefix(lower, "assignedto(") && strings.HasSuffix(lower, ")"):
			v, ok := rbacQuoted(strings.TrimSpace(term[len("assignedTo(") : len(term)-1]))
			if !ok {
				return out, false
			}
			out.principal = v
		default:
			field, v, ok := rbacParseEq(term)
			if !ok || !strings.EqualFold(field, "principalId") {
				return out, false
			}
			out.principal = v
		}
	}
	return out, true
}

// listRoleAssignments lists the assignments at, above and below the scope
// (only at or above with atScope()), optionally for one principal, in
// pages linked by an absolute nextLink.
func (q *armRequest) listRoleAssignments() {
	query := q.r.URL.Query()
	raw := query.Get("$filter")
	f, ok := rbacParseAssignmentFilter(raw)
	if !ok {
		armError(q.w, http.StatusBadRequest, "UnsupportedQuery", fmt.Sprintf(
			"The filter '%s' is not supported. Supported filters are either 'atScope()' or 'principalId eq '{value}' or assignedTo('{value}')'.", raw))
		return
	}
	after := ""
	if tok := query.Get("$skipToken"); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil {
			armError(q.w, http.StatusBadRequest, "InvalidSkipToken", fmt.Sprintf("The skip token '%s' is not valid.", tok))
			return
		}
		after = string(b)
	}
	var all []*RoleAssignment
	for _, ra := range q.world.RoleAssignments {
		if !strings.EqualFold(ra.TenantID, q.c.TenantID) {
			continue
		}
		if f.principal != "" && !strings.EqualFold(ra.PrincipalID, f.principal) {
			continue
		}
		above := scopeCovers(ra.Scope, q.scope)
		below := scopeCovers(q.scope, ra.Scope)
		if !above && (f.atScope || !below) {
			continue
		}
		all = append(all, ra)
	}
	// Pages are cut by id, so assignments created or deleted between pages
	// neither repeat nor shift the rest.
	sort.Slice(all, func(i, j int) bool { return strings.ToLower(all[i].ID) < strings.ToLower(all[j].ID) })
	start := sort.Search(len(all), func(i int) bool { return strings.ToLower(all[i].ID) > after })
	page := all[start:]
	next := ""
	if len(page) > rbacAssignmentPageSize {
		page = page[:rbacAssignmentPageSize]
		scheme := "https"
		if q.r.TLS == nil {
			scheme = "http"
		}
		next = scheme + "://" + q.r.Host + q.r.URL.EscapedPath() + "?api-version=" + query.Get("api-version")
		if raw != "" {
			next += "&$filter=" + strings.ReplaceAll(url.QueryEscape(raw), "+", "%20")
		}
		next += "&$skipToken=" + base64.RawURLEncoding.EncodeToString([]byte(strings.ToLower(page[len(page)-1].ID)))
	}
	out := make([]map[string]any, 0, len(page))
	for _, ra := range page {
		out = append(out, rbacAssignmentJSON(ra))
	}
	resp := map[string]any{"value": out}
	if next != "" {
		resp["nextLink"] = next
	}
	writeJSON(q.w, http.StatusOK, resp)
}
