package sse

import (
	"errors"
	"time"
)

// Event is one server-sent event, as written by an Encoder or produced by a Parser.
//
// For encoding, every field is optional. ID and Type must not contain CR, LF or NUL;
// Data may contain any line ends (LF, CR or CRLF), each of which starts a new data line.
// Comment lines are written first, one comment line per line of Comment.
//
// For parsing, Type is the event type a client dispatches ("message" when the stream sent
// none), ID is the source's last event ID after the event (it persists across events, as
// the WHATWG specification requires), Data is the joined data, and Retry and Comment are
// always empty: retry fields and comments are not part of an event.
type Event struct {
	// ID is the event's id field. Encoding an empty ID writes no id line.
	ID string
	// Type is the event field. Encoding an empty Type writes no event line, which a
	// client dispatches as "message".
	Type string
	// Data is the payload.
	Data string
	// Retry, when positive, is written as a retry field in whole milliseconds (at least 1),
	// telling clients their reconnection time.
	Retry time.Duration
	// Comment is written as comment lines (": text"). Comments keep idle streams alive
	// through proxies; clients ignore them.
	Comment string
}

// ErrInvalidEvent is the sentinel wrapped by every FieldError: the event cannot be
// written because a field would break the framing.
var ErrInvalidEvent = errors.New("sse: invalid event")

// FieldError reports an event field that cannot be encoded. It wraps ErrInvalidEvent.
type FieldError struct {
	// Field is "id", "event" or "retry".
	Field string
	// Reason says what is wrong with the value.
	Reason string
}

// Error implements error.
func (e *FieldError) Error() string {
	return "sse: invalid event: " + e.Field + " " + e.Reason
}

// Unwrap returns ErrInvalidEvent.
func (e *FieldError) Unwrap() error { return ErrInvalidEvent }

// Validate reports whether e can be encoded: it returns a *FieldError when ID or Type
// contains CR, LF or NUL, or Retry is negative, and nil otherwise.
func (e *Event) Validate() error {
	if breaksLine(e.ID) {
		return &FieldError{Field: "id", Reason: "contains CR, LF or NUL"}
	}
	if breaksLine(e.Type) {
		return &FieldError{Field: "event", Reason: "contains CR, LF or NUL"}
	}
	if e.Retry < 0 {
		return &FieldError{Field: "retry", Reason: "is negative"}
	}
	return nil
}

// breaksLine reports whether s contains CR, LF or NUL. A plain loop: ids and types are
// short, and strings.ContainsAny costs several times as much on them (it was 40% of
// Encode's time).
func breaksLine(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\n' || c == '\r' || c == 0 {
			return true
		}
	}
	return false
}
