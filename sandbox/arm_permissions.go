package sandbox

import (
	"net/http"
	"regexp"
	"strings"
)

// doubleSlash matches the empty parentResourcePath the SDK leaves in
// .../providers/Microsoft.Network//virtualNetworks/...
var doubleSlash = regexp.MustCompile(`/{2,}`)

// handlePermissions serves {scope}/providers/Microsoft.Authorization/permissions:
// the caller's own effective permissions at a resource group or resource,
// one entry per role assignment that applies (and has propagated), as
// Resource Manager lists them. Any signed-in principal may ask about itself.
func (s *Server) handlePermissions(w http.ResponseWriter, r *http.Request, c *Claims, scope string) {
	if r.Method != http.MethodGet {
		rbacMethodNotAllowed(w, r)
		return
	}
	world, unlock := s.lock()
	defer unlock()
	q, ok := s.rbacBegin(world, w, r, c, doubleSlash.ReplaceAllString(scope, "/"))
	if !ok {
		return
	}
	value := []map[string]any{}
	for _, ra := range world.RoleAssignments {
		if !strings.EqualFold(ra.PrincipalID, c.ObjectID) || !scopeCovers(ra.Scope, q.scope) {
			continue
		}
		if !s.clock.Due(ra.CreatedAt, world.Timing.RolePropagation.D()) {
			continue
		}
		rd := world.roleByGUID(roleGUIDOf(ra.RoleDefinitionID))
		if rd == nil {
			continue
		}
		value = append(value, map[string]any{
			"actions": nonNil(rd.Actions), "notActions": nonNil(rd.NotActions),
			"dataActions": nonNil(rd.DataActions), "notDataActions": nonNil(rd.NotDataActions),
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"value": value})
}
