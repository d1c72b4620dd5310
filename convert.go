//go:build !js

package sse

import (
	"github.com/polysse/sse/internal/eventsource"
	"github.com/polysse/sse/internal/wire"
)

// The public types mirror the internal ones field for field. Natively their durations are
// time.Duration on both sides and these conversions are free (and fail to compile when
// the field lists drift apart); under js/wasm the internal durations are clock.Duration,
// so that the polyfill does not link package time, and convert_js.go copies the fields.

// fromWire converts a parsed event.
func fromWire(ev wire.Event) Event { return Event(ev) }

// nextEvent reads rd's next event into *ev (the zero Event), without a copy: the two
// Event types are the same here.
func nextEvent(rd *wire.Reader, ev *Event) error { return rd.NextInto((*wire.Event)(ev)) }

// retryPolicy converts the public backoff policy.
func retryPolicy(rp RetryPolicy) eventsource.RetryPolicy { return eventsource.RetryPolicy(rp) }

// errorInfo converts an error event's description.
func errorInfo(ei *eventsource.ErrorInfo) *ErrorInfo { return (*ErrorInfo)(ei) }
