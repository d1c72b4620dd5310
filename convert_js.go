package sse

import (
	"time"

	"github.com/polysse/sse/internal/clock"
	"github.com/polysse/sse/internal/eventsource"
	"github.com/polysse/sse/internal/wire"
)

// Under js/wasm the internal durations are clock.Duration, not time.Duration (see
// convert.go): the conversions copy field by field.

// fromWire converts a parsed event.
func fromWire(ev wire.Event) Event {
	return Event{ID: ev.ID, Type: ev.Type, Data: ev.Data, Retry: time.Duration(ev.Retry), Comment: ev.Comment}
}

// nextEvent reads rd's next event into *ev.
func nextEvent(rd *wire.Reader, ev *Event) error {
	w, err := rd.Next()
	*ev = fromWire(w)
	return err
}

// retryPolicy converts the public backoff policy.
func retryPolicy(rp RetryPolicy) eventsource.RetryPolicy {
	return eventsource.RetryPolicy{
		Initial: clock.Duration(rp.Initial), Max: clock.Duration(rp.Max), Min: clock.Duration(rp.Min),
		Multiplier: rp.Multiplier, Jitter: rp.Jitter, MaxAttempts: rp.MaxAttempts,
		ResetAfter: clock.Duration(rp.ResetAfter),
	}
}

// errorInfo converts an error event's description.
func errorInfo(ei *eventsource.ErrorInfo) *ErrorInfo {
	return &ErrorInfo{Status: ei.Status, StatusText: ei.StatusText, Attempt: ei.Attempt,
		RetryIn: time.Duration(ei.RetryIn), Err: ei.Err}
}
