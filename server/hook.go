package server

import "github.com/polysse/sse/internal/serverhook"

func init() {
	serverhook.Raw = func(s any, b []byte) error { return s.(*Session).enqueue(b, true) }
	serverhook.Drop = func(s any) bool { return s.(*Session).drop() }
}

// drop ends the session by dropping the connection once what is queued is written, and
// reports whether it did (false: the session was already ending).
func (s *Session) drop() bool {
	s.mu.Lock()
	dropped := s.state == stateOpen
	if dropped {
		s.abort = true
	}
	s.endLocked(ReasonClosed, nil, false)
	run := s.kickLocked()
	s.mu.Unlock()
	s.run(run)
	return dropped
}

// aborted reports whether the session ended by drop.
func (s *Session) aborted() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.abort
}
