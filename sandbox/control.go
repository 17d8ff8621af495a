package sandbox

// SetProjectFault makes every VPC call of an Aiven project fail with an
// HTTP status (0 clears it), for partial-failure tests and demos.
func (s *Server) SetProjectFault(project string, status int) bool {
	w, unlock := s.lock()
	defer unlock()
	p := w.Aiven.Projects[project]
	if p == nil {
		return false
	}
	p.FaultStatus = status
	return true
}
