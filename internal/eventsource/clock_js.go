package eventsource

import "github.com/polysse/sse/internal/clock"

// defaultClock is the clock of a Client whose options name none: under js/wasm,
// JavaScript's timers, so that the polyfill does not link package time. (A variable, so
// that the package's tests can use package time's clock.)
var defaultClock = clock.System
