//go:build !js

package eventsource

import "time"

// Deadline implements context.Context by delegating to the parent.
func (s *scope) Deadline() (time.Time, bool) {
	if p, ok := s.parent.(interface{ Deadline() (time.Time, bool) }); ok {
		return p.Deadline()
	}
	return time.Time{}, false
}
