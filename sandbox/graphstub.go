package sandbox

import "net/http"

func (s *Server) handleGraph(w http.ResponseWriter, r *http.Request) { notFound(w, APIGraph, r) }
