package sandbox

import "net/http"

// handleARMResource serves subscriptions, tenants, virtual networks, peerings
// and async operation status for an authenticated caller.
func (s *Server) handleARMResource(w http.ResponseWriter, r *http.Request, c *Claims) {
	notFound(w, APIARM, r)
}

// handleARMMetadata serves /metadata/endpoints (unauthenticated).
func (s *Server) handleARMMetadata(w http.ResponseWriter, r *http.Request) { notFound(w, APIARM, r) }

// advanceOperations completes async ARM operations that are due. Expects the world lock.
func (s *Server) advanceOperations() {}
