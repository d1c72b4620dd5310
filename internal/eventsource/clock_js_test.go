package eventsource

import (
	"github.com/polysse/sse/internal/clock"
	"github.com/polysse/sse/internal/clock/timeclock"
)

// The tests run clients under testing/synctest, whose fake time drives package time, not
// JavaScript's timers: under js/wasm they use package time's clock (the JavaScript clock
// has tests of its own in internal/clock and is exercised by the browser suites).
func init() { defaultClock = func() clock.Clock { return timeclock.New() } }
