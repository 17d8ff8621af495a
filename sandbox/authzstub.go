package sandbox

import "net/http"

// handleRoleDefinitions serves {scope}/providers/Microsoft.Authorization/roleDefinitions[/{guid}].
// guid is "" for the collection.
func (s *Server) handleRoleDefinitions(w http.ResponseWriter, r *http.Request, c *Claims, scope, guid string) {
	notFound(w, APIARM, r)
}

// handleRoleAssignments serves {scope}/providers/Microsoft.Authorization/roleAssignments[/{guid}].
func (s *Server) handleRoleAssignments(w http.ResponseWriter, r *http.Request, c *Claims, scope, guid string) {
	notFound(w, APIARM, r)
}
