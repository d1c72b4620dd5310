package ssetest

import (
	"errors"
	"strings"

	"github.com/polysse/sse/internal/fake"
	"github.com/polysse/sse/server"
)

// The values of Request.Outcome: how a request was answered.
const (
	// OutcomeOpen: still being answered (waiting for its head, or its connection is
	// open).
	OutcomeOpen = string(fake.OutcomeOpen)
	// OutcomeEnded: the fake ended the response (cleanly, or by completing or failing a
	// stream).
	OutcomeEnded = string(fake.OutcomeEnded)
	// OutcomeDropped: the fake dropped the connection (a network error for the client).
	OutcomeDropped = string(fake.OutcomeDropped)
	// OutcomeClientGone: the client went away while the fake was still answering.
	OutcomeClientGone = string(fake.OutcomeClientGone)
	// OutcomeRefused: the route's server answered without a stream (its Refuse option,
	// a redeemed completion token, a bad request).
	OutcomeRefused = string(fake.OutcomeRefused)
	// OutcomeUnhandled: no route matched.
	OutcomeUnhandled = string(fake.OutcomeUnhandled)
)

// The values of Conn.Reason: why a connection ended. A stream's are its server
// session's (server.Reason) unless the fake dropped it or the server refused it.
const (
	// ReasonComplete: a stream ended with a complete event (Complete).
	ReasonComplete = string(server.ReasonComplete)
	// ReasonFatal: a stream ended with a fatal event (Fail).
	ReasonFatal = string(server.ReasonFatal)
	// ReasonClosed: a stream ended cleanly (End, the End step, a reset, MaxHold).
	ReasonClosed = string(server.ReasonClosed)
	// ReasonClientGone: the client went away.
	ReasonClientGone = string(server.ReasonClientGone)
	// ReasonEvicted: the server evicted a stream whose client did not keep up.
	ReasonEvicted = string(server.ReasonEvicted)
	// ReasonShutdown: the server shut down (the Fake closed).
	ReasonShutdown = string(server.ReasonShutdown)
	// ReasonEnded: a plain response (Respond) ended cleanly, or a handler's stream ended
	// before it opened.
	ReasonEnded = fake.ReasonEnded
	// ReasonDropped: the fake dropped the connection (Drop).
	ReasonDropped = fake.ReasonDropped
	// ReasonRefused: the server answered a handler's Stream without a stream (the
	// route's Refuse option, a redeemed completion token).
	ReasonRefused = fake.ReasonRefused
)

// ErrEnded is wrapped by the errors of operations on a connection that has ended.
var ErrEnded = errors.New("ssetest: connection ended")

// userError presents an error of the fake's engine as one of ssetest: its text says
// "ssetest:" instead of "fake:", and errors.Is and errors.As see the engine's error
// through it (ErrEnded matches the engine's errors of ended connections).
type userError struct{ err error }

func (e *userError) Error() string { return "ssetest: " + strings.TrimPrefix(e.err.Error(), "fake: ") }

// Unwrap returns the engine's error.
func (e *userError) Unwrap() error { return e.err }

// Is reports whether target is ErrEnded and the engine's error is one of an ended
// connection.
func (e *userError) Is(target error) bool {
	return target == ErrEnded && errors.Is(e.err, fake.ErrEnded)
}

// userErr returns err as a *userError when it is the engine's own (its text starts with
// "fake: "); other errors (an invalid event's, a server's) are returned as they are.
func userErr(err error) error {
	if err == nil || !strings.HasPrefix(err.Error(), "fake: ") {
		return err
	}
	return &userError{err}
}

// message returns err's text for a test failure, starting with "ssetest: ".
func message(err error) string {
	if u := userErr(err); u != err {
		return u.Error()
	}
	return "ssetest: " + err.Error()
}
