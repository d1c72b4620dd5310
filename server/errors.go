package server

import (
	"errors"
	"net/http"
)

// Sentinel errors. Errors returned by this package wrap one of them (test with errors.Is)
// or are a *sse.FieldError for an event that cannot be encoded.
var (
	// ErrServerClosed is returned by Publish and PublishTo after Shutdown began, and is the
	// Err of sessions ended by Shutdown.
	ErrServerClosed = errors.New("server: closed")
	// ErrSessionClosed is returned by a Session's methods once the session is ending or has
	// ended: nothing more can be written to it.
	ErrSessionClosed = errors.New("server: session closed")
	// ErrSlowSubscriber is the Err of a session evicted because its queue was full when an
	// event was published to it (policy Disconnect).
	ErrSlowSubscriber = errors.New("server: slow subscriber evicted")
	// ErrWriteTimeout is wrapped by the Err of a session evicted because one write took
	// longer than Options.WriteTimeout.
	ErrWriteTimeout = errors.New("server: write timed out")
	// ErrStreamPanic is wrapped by the Err of a session whose stream function panicked.
	ErrStreamPanic = errors.New("server: stream function panicked")
	// ErrNotFlushable is wrapped by the Err of a session whose http.ResponseWriter failed
	// to flush (a FlushError method returned http.ErrNotSupported). A writer that cannot
	// flush at all is found before the response starts, and answered 500.
	ErrNotFlushable = errors.New("server: response writer cannot flush")
)

// StatusError is an error that carries an HTTP status. When Options.Refuse returns an error
// that is (or wraps) a *StatusError, or any error with a method StatusCode() int, the
// handler answers with that status instead of opening a stream.
//
// The response body is Msg (the status text when Msg is empty), and Header, when set, is
// added to the response (e.g. WWW-Authenticate or Retry-After).
type StatusError struct {
	// Code is the HTTP status code, e.g. http.StatusUnauthorized.
	Code int
	// Msg is the response body and the error message.
	Msg string
	// Header holds extra response headers; it may be nil.
	Header http.Header
}

// Error returns Msg, or the status text of Code when Msg is empty.
func (e *StatusError) Error() string {
	if e.Msg != "" {
		return e.Msg
	}
	return http.StatusText(e.Code)
}

// StatusCode returns Code.
func (e *StatusError) StatusCode() int { return e.Code }

// statusCoder is what an error must implement to choose the status of a refusal.
type statusCoder interface {
	error
	StatusCode() int
}
