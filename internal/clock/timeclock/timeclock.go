// Package timeclock implements clock.Clock with package time: the client's clock
// natively, and under js/wasm the clock that code which links package time anyway (the
// public Go client, test binaries under testing/synctest) gives the client.
package timeclock

import (
	"time"

	"github.com/polysse/sse/internal/clock"
)

// Clock is a clock.Clock of package time; its monotonic origin is when New made it.
type Clock struct{ origin time.Time }

// New returns a Clock whose Now counts from now.
func New() *Clock { return &Clock{origin: time.Now()} }

// Now returns the time elapsed since New, on the monotonic clock.
func (c *Clock) Now() clock.Duration { return clock.Duration(time.Since(c.origin)) }

// UnixNano returns time.Now().UnixNano().
func (c *Clock) UnixNano() int64 { return time.Now().UnixNano() }

// AfterFunc is time.AfterFunc.
func (c *Clock) AfterFunc(d clock.Duration, f func()) clock.Timer {
	return timer{time.AfterFunc(time.Duration(d), f)}
}

type timer struct{ t *time.Timer }

func (t timer) Stop() bool                  { return t.t.Stop() }
func (t timer) Reset(d clock.Duration) bool { return t.t.Reset(time.Duration(d)) }
