package sandbox

import (
	"maps"
	"slices"
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
//
// Role definitions are served in arm_role_definitions.go, role assignments
// in arm_role_assignments.go and the caller's own permissions in
// arm_permissions.go; this file holds what they share.

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
	return find(maps.Values(q.world.RoleDefinitions), func(rd *RoleDefinition) bool {
		return strings.EqualFold(rd.TenantID, q.c.TenantID) && strings.EqualFold(rd.Name, guid)
	})
}

// rbacAssignableAt reports whether a role can be assigned at scope: built-in
// roles anywhere, custom roles at or below one of their assignable scopes.
func rbacAssignableAt(rd *RoleDefinition, scope string) bool {
	return rd.RoleType == "BuiltInRole" || slices.ContainsFunc(rd.AssignableScopes, func(as string) bool { return scopeCovers(as, scope) })
}

// rbacDefinedBelow reports whether a custom role has an assignable scope below scope.
func rbacDefinedBelow(rd *RoleDefinition, scope string) bool {
	return slices.ContainsFunc(rd.AssignableScopes, func(as string) bool { return scopeCovers(scope, as) })
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
