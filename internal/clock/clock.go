// Package clock is the time source of the client state machine, kept apart from package
// time for the js/wasm build: importing time links its godebug settings, runtime metrics
// and bisection support, about 60 KB of compressed wasm, although the polyfill needs only
// a monotonic reading, one-shot timers and the wall clock once per Retry-After date.
//
// Natively, Duration is an alias of time.Duration, so that the internal packages keep
// the types the public API shows. Under js/wasm it is a type of its own with the same
// meaning (nanoseconds), and System is a clock of JavaScript's timers. The package
// timeclock implements Clock with package time on every platform: the native default,
// and what js/wasm test binaries (whose time package testing/synctest fakes) inject.
package clock

// Clock is a source of time. Its methods are safe for concurrent use.
type Clock interface {
	// Now returns a monotonic reading, in nanoseconds since an origin the Clock chose:
	// only differences between two readings of one Clock mean something.
	Now() Duration
	// UnixNano returns the wall-clock time, in nanoseconds since the Unix epoch.
	UnixNano() int64
	// AfterFunc calls f in its own goroutine once d has elapsed, unless the returned
	// Timer is stopped first. A d of zero or less calls f as soon as possible.
	AfterFunc(d Duration, f func()) Timer
}

// Timer is a one-shot timer made by Clock.AfterFunc. Its methods are safe for concurrent
// use.
type Timer interface {
	// Stop prevents the call, if it has not started yet. It reports whether it did:
	// false when the call already started or the Timer was stopped.
	Stop() bool
	// Reset sets the Timer to make its call after d, whether or not it was stopped or
	// has fired; it reports whether the Timer was pending (as Stop would).
	Reset(d Duration) bool
}
