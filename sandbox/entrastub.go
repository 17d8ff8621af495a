package sandbox

import "net/http"

func (s *Server) handleEntra(w http.ResponseWriter, r *http.Request) { notFound(w, APIEntra, r) }
