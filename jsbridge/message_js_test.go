package jsbridge

// The messages the binding hands to JavaScript for the error and close events are the
// users' words (an internal test: the binding and its errors are unexported).

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/polysse/sse/internal/eventsource"
	"github.com/polysse/sse/internal/wire"
)

func TestUserMessage(t *testing.T) {
	connLost := &jsError{name: "TypeError", message: "connection lost: network error"}
	stopped := &jsError{name: "TypeError", message: "the page stopped loading", permanent: true}
	cors := &jsError{name: "TypeError", message: "the server does not allow this cross-origin request (CORS)", cors: true}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"no error", nil, ""},
		{"the server ended the response", io.EOF, "the server ended the response"},
		{"a connection cut short", io.ErrUnexpectedEOF, "the connection was lost before the response ended"},
		{"heartbeat", eventsource.ErrHeartbeatTimeout, "no data from the server within the heartbeat timeout"},
		{"event too large", wire.ErrEventTooLarge, "an event was larger than maxEventSize"},
		{"wrapped sentinel", fmt.Errorf("read: %w", io.EOF), "the server ended the response"},
		{"a JavaScript error: its message alone", connLost, "connection lost: network error"},
		{"a JavaScript error without a message: its name", &jsError{name: "AbortError"}, "AbortError"},
		{"a permanent failure: the cause's words only", classify(stopped, eventsource.ErrPermanent), "the page stopped loading"},
		{"a CORS refusal", classify(cors, errCORS, eventsource.ErrPermanent), "the server does not allow this cross-origin request (CORS)"},
		{"a bad Response", classify(errBadResponse, connLost, eventsource.ErrPermanent), "the fetch function did not resolve to a Response"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, userMessage(tc.err))
		})
	}
}

// TestClassify: the marks classify an error for the client without changing its text.
func TestClassify(t *testing.T) {
	cause := &jsError{message: "the page stopped loading", permanent: true}
	err := classify(cause, nil, errCORS, eventsource.ErrPermanent)
	assert.Equal(t, "the page stopped loading", err.Error())
	assert.ErrorIs(t, err, eventsource.ErrPermanent)
	assert.ErrorIs(t, err, errCORS)
	assert.ErrorIs(t, err, cause)
	assert.False(t, errors.Is(err, errBadResponse))

	assert.ErrorIs(t, bodyError(cause), eventsource.ErrPermanent, "a permanent body failure closes the client")
	assert.Equal(t, "the page stopped loading", bodyError(cause).Error())
	dropped := &jsError{message: "connection lost: network error"}
	assert.NotErrorIs(t, bodyError(dropped), eventsource.ErrPermanent, "a lost connection is retried")
}
