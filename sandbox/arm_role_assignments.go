package sandbox

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

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
	var body rbacAssignmentBody
	guid, ok := q.decodeGUIDPut("roleAssignmentName", &body, func(w http.ResponseWriter, name string) {
		armError(w, http.StatusBadRequest, "InvalidRoleAssignmentId", fmt.Sprintf("The role assignment ID '%s' is not valid. The role assignment ID must be a GUID.", name))
	})
	if !ok {
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
		invalidRoleDefinitionID(q.w, p.RoleDefinitionID)
		return
	}
	// A role is found through the scope it is assigned at: a custom role
	// whose assignable scopes do not cover it does not exist there.
	rd := q.roleInTenant(roleGUID)
	if rd == nil || !rbacAssignableAt(rd, q.scope) {
		rbacRoleDefinitionMissing(q.w, http.StatusBadRequest, roleGUID)
		return
	}
	principal, ok := q.assignee(p.PrincipalID, p.PrincipalType)
	if !ok {
		return
	}
	// Assignment names are unique across all scopes and tenants.
	for _, ra := range q.world.RoleAssignments {
		if !strings.EqualFold(ra.Name, guid) {
			continue
		}
		if strings.EqualFold(ra.Scope, q.scope) && strings.EqualFold(ra.PrincipalID, principal.id) &&
			strings.EqualFold(roleGUIDOf(ra.RoleDefinitionID), roleGUID) && strings.EqualFold(ra.TenantID, q.c.TenantID) {
			writeJSON(q.w, http.StatusCreated, rbacAssignmentJSON(ra))
			return
		}
		armError(q.w, http.StatusBadRequest, "RoleAssignmentUpdateNotPermitted",
			"Tenant ID, application ID, principal ID, and scope are not allowed to be updated.")
		return
	}
	for _, ra := range q.world.RoleAssignments {
		if strings.EqualFold(ra.Scope, q.scope) && strings.EqualFold(ra.PrincipalID, principal.id) &&
			strings.EqualFold(roleGUIDOf(ra.RoleDefinitionID), roleGUID) && strings.EqualFold(ra.TenantID, q.c.TenantID) {
			// The text names the existing assignment's name without its
			// hyphens, as Resource Manager has since 2025 (a live capture
			// of 2026-04-22 in a Container Apps troubleshooting guide:
			// "The role assignment already exists. The ID of the existing
			// role assignment is 716c4d159bc8476da3c16ccb70082517.");
			// before, it ended at "exists." (terraform-provider-azurerm#28557).
			armError(q.w, http.StatusConflict, "RoleAssignmentExists", fmt.Sprintf(
				"The role assignment already exists. The ID of the existing role assignment is %s.",
				strings.ReplaceAll(strings.ToLower(ra.Name), "-", "")))
			return
		}
	}
	roleDefID := rbacDefinitionsPath + rd.Name
	if q.sub != nil {
		roleDefID = builtinRoleID(q.sub.ID, rd.Name)
	}
	ptype := p.PrincipalType
	if ptype == "" {
		ptype = principal.kind
	}
	ra := q.world.createRoleAssignment(q.s.clock.Now(), q.c.TenantID, q.scope, strings.ToLower(guid), roleDefID, principal.id, ptype, q.c.ObjectID)
	writeJSON(q.w, http.StatusCreated, rbacAssignmentJSON(ra))
}

// assignedPrincipal is whom a role assignment names: its object id and
// type (ServicePrincipal or User).
type assignedPrincipal struct{ id, kind string }

// assignee finds the principal of a role assignment PUT in the caller's
// directory and checks the principalType given; it answers the error
// itself. A new service principal is unknown until it replicates unless
// a principalType is given (Resource Manager then skips the lookup);
// users are long replicated.
func (q *armRequest) assignee(principalID, principalType string) (assignedPrincipal, bool) {
	var found assignedPrincipal
	replicated := true
	if sp := q.world.servicePrincipalByID(principalID); sp != nil && strings.EqualFold(sp.TenantID, q.c.TenantID) {
		found, replicated = assignedPrincipal{sp.ID, "ServicePrincipal"}, q.world.principalReplicated(q.s.clock, sp)
	} else if u := q.world.userByID(principalID); u != nil && strings.EqualFold(u.TenantID, q.c.TenantID) {
		found = assignedPrincipal{u.ID, "User"}
	}
	if found.id == "" || (principalType == "" && !replicated) {
		armError(q.w, http.StatusBadRequest, "PrincipalNotFound", fmt.Sprintf(
			"Principal %s does not exist in the directory %s. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype",
			strings.ReplaceAll(strings.ToLower(principalID), "-", ""), q.c.TenantID))
		return found, false
	}
	if principalType != "" && !strings.EqualFold(principalType, found.kind) && replicated {
		armError(q.w, http.StatusBadRequest, "UnmatchedPrincipalType", fmt.Sprintf(
			"The PrincipalId '%s' has type '%s' , which is different from specified PrinciaplType '%s'.",
			strings.ReplaceAll(strings.ToLower(found.id), "-", ""), found.kind, principalType))
		return found, false
	}
	return found, true
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
	resp := map[string]any{"value": mapped(page, rbacAssignmentJSON)}
	if next != "" {
		resp["nextLink"] = next
	}
	writeJSON(q.w, http.StatusOK, resp)
}
