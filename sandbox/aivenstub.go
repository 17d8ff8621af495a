package sandbox

import "net/http"

func (s *Server) handleAiven(w http.ResponseWriter, r *http.Request) { notFound(w, APIAiven, r) }

// advanceAiven runs Aiven's peering state machine up to now. Expects the world lock.
func (s *Server) advanceAiven() {}
