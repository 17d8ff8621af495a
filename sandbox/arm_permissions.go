package sandbox

import (
	"net/http"
	"strings"
)

// listPermissions serves {scope}/providers/Microsoft.Authorization/permissions:
// the caller's own effective permissions at a resource group or resource,
// one entry per role assignment that applies (and has propagated), as
// Resource Manager lists them. Any signed-in principal may ask about itself.
func (q *armRequest) listPermissions() {
	value := []map[string]any{}
	for _, ra := range q.world.RoleAssignments {
		if !strings.EqualFold(ra.PrincipalID, q.c.ObjectID) || !scopeCovers(ra.Scope, q.scope) {
			continue
		}
		if !q.s.clock.Due(ra.CreatedAt, q.world.Timing.RolePropagation.D()) {
			continue
		}
		rd := q.world.roleByGUID(roleGUIDOf(ra.RoleDefinitionID))
		if rd == nil {
			continue
		}
		value = append(value, map[string]any{
			"actions": nonNil(rd.Actions), "notActions": nonNil(rd.NotActions),
			"dataActions": nonNil(rd.DataActions), "notDataActions": nonNil(rd.NotDataActions),
		})
	}
	writeJSON(q.w, http.StatusOK, map[string]any{"value": value})
}
