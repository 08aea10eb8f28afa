package telegramfake

// WaitingPolls lets tests start acting once a long poll is blocked, rather
// than after a sleep.
func (s *Server) WaitingPolls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waitingPolls
}
