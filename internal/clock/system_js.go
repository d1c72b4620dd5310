package clock

import (
	"math"
	"sync"
	"syscall/js"
	_ "unsafe" // for go:linkname
)

// nanotime is the Go runtime's monotonic clock, the reading time.Now carries (under
// js/wasm, performance.now through wasm_exec.js): read without package time and without
// a syscall/js round trip.
//
//go:linkname nanotime runtime.nanotime
func nanotime() int64

// System returns the clock of the JavaScript host: Now is the Go runtime's monotonic
// clock, and UnixNano and the timers are the host's (see UseHost): the loader's test clock
// when it gave one, else Date.now(), setTimeout and clearTimeout, looked up on the global
// object at every call, so that fake timers installed after the module loaded drive them.
func System() Clock { return jsClock{} }

// host holds the loader's timer functions (UseHost); unset under a bare wasm_exec.js.
var host struct {
	mu                        sync.Mutex
	setTimer, clearTimer, now js.Value
}

// UseHost makes System's timers and wall clock those of hooks, an object of the loader
// with setTimer(ms, fn) (returns an id), clearTimer(id) and now() (the wall clock in ms):
// polysse's loaders give the clock of web/src/clock.js, which follows a test suite's fake
// timers as the Go runtime's own timers do, and moves a waiting timer between the real and
// a fake clock when fake timers are installed or removed. A hooks object without those
// functions is ignored. Timers armed before the call keep their setTimeout.
func UseHost(hooks js.Value) {
	if hooks.Type() != js.TypeObject {
		return
	}
	set, clear, now := hooks.Get("setTimer"), hooks.Get("clearTimer"), hooks.Get("now")
	if set.Type() != js.TypeFunction || clear.Type() != js.TypeFunction || now.Type() != js.TypeFunction {
		return
	}
	host.mu.Lock()
	host.setTimer, host.clearTimer, host.now = set, clear, now
	host.mu.Unlock()
}

// hosted returns the loader's timer functions, or ok false.
func hosted() (set, clear, now js.Value, ok bool) {
	host.mu.Lock()
	defer host.mu.Unlock()
	return host.setTimer, host.clearTimer, host.now, host.setTimer.Truthy()
}

type jsClock struct{}

func (jsClock) Now() Duration { return Duration(nanotime()) }

func (jsClock) UnixNano() int64 {
	if _, _, now, ok := hosted(); ok {
		return int64(now.Invoke().Float() * 1e6)
	}
	return int64(js.Global().Get("Date").Call("now").Float() * 1e6)
}

func (jsClock) AfterFunc(d Duration, f func()) Timer {
	t := &jsTimer{f: f}
	t.mu.Lock()
	t.start(d)
	t.mu.Unlock()
	return t
}

// maxDelay is the longest delay setTimeout takes, in milliseconds: a longer one overflows
// a 32-bit integer and fires at once. A longer Duration is waited for in steps. (A
// variable for the tests.)
var maxDelay = float64(math.MaxInt32)

// jsTimer is a timer of the host (setTimeout, or the loader's setTimer). Each arming has
// its own callback and generation: a callback of an earlier arming, already queued when
// Stop or Reset ran, does nothing.
type jsTimer struct {
	f func()

	mu      sync.Mutex // guards the fields below
	gen     uint64     // counts armings and stops
	pending bool       // armed, and f not started
	id      js.Value   // the host's timer id, while pending
	clear   js.Value   // the function that clears it
	fn      js.Func    // its callback, while pending
	left    Duration   // what is left to wait after this step (beyond maxDelay)
}

// start arms t for d; t.mu is held and t is not pending.
func (t *jsTimer) start(d Duration) {
	t.gen++
	gen := t.gen
	ms := max(float64(d)/float64(Millisecond), 0)
	t.left = 0
	if ms > maxDelay {
		t.left = d - Duration(maxDelay)*Millisecond
		ms = maxDelay
	}
	// Never block in a js.FuncOf callback: the goroutine takes the lock.
	t.fn = js.FuncOf(func(js.Value, []js.Value) any {
		go t.fire(gen)
		return nil
	})
	if set, clear, _, ok := hosted(); ok {
		t.id, t.clear = set.Invoke(ms, t.fn), clear
	} else {
		g := js.Global()
		t.id, t.clear = g.Call("setTimeout", t.fn, ms), g.Get("clearTimeout")
	}
	t.pending = true
}

// fire runs when the callback of arming gen ran.
func (t *jsTimer) fire(gen uint64) {
	t.mu.Lock()
	if gen != t.gen || !t.pending {
		t.mu.Unlock()
		return
	}
	t.fn.Release()
	if t.left > 0 {
		t.start(t.left)
		t.mu.Unlock()
		return
	}
	t.pending = false
	t.mu.Unlock()
	t.f()
}

// stop disarms t; t.mu is held.
func (t *jsTimer) stop() bool {
	t.gen++
	if !t.pending {
		return false
	}
	t.pending = false
	t.clear.Invoke(t.id)
	t.fn.Release()
	t.id, t.clear, t.fn = js.Undefined(), js.Undefined(), js.Func{}
	return true
}

func (t *jsTimer) Stop() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.stop()
}

func (t *jsTimer) Reset(d Duration) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	was := t.stop()
	t.start(d)
	return was
}
