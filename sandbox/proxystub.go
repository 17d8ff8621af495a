package sandbox

import (
	"net"
	"net/http"
)

// splitListener separates TLS connections (first byte 0x16) from plain HTTP
// ones (CONNECT for proxy mode).
func (s *Server) splitListener(ln net.Listener) (tlsLn, plainLn net.Listener) { return ln, nil }

// serveProxy serves HTTP CONNECT on plain connections.
func (s *Server) serveProxy(ln net.Listener) {}

func (s *Server) handleAdmin(w http.ResponseWriter, r *http.Request) { notFound(w, "", r) }
