package server

import "github.com/polysse/sse/internal/serverhook"

func init() {
	serverhook.Raw = func(s any, b []byte) error { return s.(*Session).enqueue(b, true) }
	serverhook.Drop = func(s any) { s.(*Session).drop() }
}

// drop ends the session by dropping the connection once what is queued is written.
func (s *Session) drop() {
	s.mu.Lock()
	if s.state == stateOpen {
		s.abort = true
	}
	s.endLocked(ReasonClosed, nil, false)
	run := s.kickLocked()
	s.mu.Unlock()
	s.run(run)
}

// aborted reports whether the session ended by drop.
func (s *Session) aborted() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.abort
}
