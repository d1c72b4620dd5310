package clock_test

import (
	"strconv"
	"syscall/js"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/polysse/sse/internal/clock"
)

// These tests run on JavaScript's real timers (node, under go_js_wasm_exec): they order
// timers against one another and never assert how long anything took.

// await waits for ch, failing the test after a generous bound.
func await(t *testing.T, ch <-chan string, what string) string {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: not within 10s", what)
		return ""
	}
}

func TestSystemAfterFuncOrder(t *testing.T) {
	c := clock.System()
	got := make(chan string, 3)
	start := c.Now()
	c.AfterFunc(30*clock.Millisecond, func() { got <- "late" })
	c.AfterFunc(-clock.Second, func() { got <- "now" })       // a negative delay: at once
	c.AfterFunc(clock.Millisecond, func() { got <- "early" }) // as early, in Node: in order
	assert.Equal(t, "now", await(t, got, "the first call"))
	assert.Equal(t, "early", await(t, got, "the second call"))
	assert.Equal(t, "late", await(t, got, "the third call"))
	assert.Greater(t, c.Now(), start, "Now is monotonic")
}

func TestSystemStopAndReset(t *testing.T) {
	c := clock.System()
	got := make(chan string, 4)
	stopped := c.AfterFunc(clock.Millisecond, func() { got <- "stopped" })
	assert.True(t, stopped.Stop(), "Stop of a pending timer")
	assert.False(t, stopped.Stop(), "a second Stop")

	fired := c.AfterFunc(0, func() { got <- "fired" })
	assert.Equal(t, "fired", await(t, got, "the timer"))
	assert.False(t, fired.Stop(), "Stop after the call")
	assert.False(t, fired.Reset(clock.Millisecond), "Reset after the call: it was not pending")
	assert.Equal(t, "fired", await(t, got, "the timer, reset"))

	// Reset of a pending timer postpones its one call; a marker timer set between shows the
	// order.
	moved := c.AfterFunc(clock.Millisecond, func() { got <- "moved" })
	assert.True(t, moved.Reset(40*clock.Millisecond), "Reset of a pending timer")
	c.AfterFunc(5*clock.Millisecond, func() { got <- "marker" })
	assert.Equal(t, "marker", await(t, got, "the marker"))
	assert.Equal(t, "moved", await(t, got, "the reset timer"))

	// Many resets in a row: one call. The stopped timer never called.
	again := c.AfterFunc(0, func() { got <- "again" })
	for range 100 {
		again.Reset(0)
	}
	assert.Equal(t, "again", await(t, got, "the timer reset 100 times"))
	c.AfterFunc(20*clock.Millisecond, func() { got <- "end" })
	assert.Equal(t, "end", await(t, got, "the last timer"))
	select {
	case v := <-got:
		t.Fatalf("an extra call: %q", v)
	default:
	}
}

func TestSystemLongDelayInSteps(t *testing.T) {
	defer clock.SetMaxDelay(2)() // setTimeout takes at most 2 ms here
	c := clock.System()
	got := make(chan string, 2)
	c.AfterFunc(9*clock.Millisecond, func() { got <- "long" })
	c.AfterFunc(clock.Millisecond, func() { got <- "short" })
	assert.Equal(t, "short", await(t, got, "the short timer"))
	assert.Equal(t, "long", await(t, got, "the long timer, in steps"))

	stopped := c.AfterFunc(9*clock.Millisecond, func() { got <- "stopped" })
	c.AfterFunc(3*clock.Millisecond, func() { require.True(t, stopped.Stop(), "Stop between steps") })
	c.AfterFunc(20*clock.Millisecond, func() { got <- "end" })
	assert.Equal(t, "end", await(t, got, "the last timer"))
}

func TestSystemUnixNano(t *testing.T) {
	got, want := clock.System().UnixNano(), time.Now().UnixNano()
	assert.InDelta(t, want, got, float64(10*time.Second), "Date.now() in nanoseconds")
}

// TestSystemUseHost gives System a loader's hooks (as web/src/clock.js does) that log
// their calls and run on setTimeout.
func TestSystemUseHost(t *testing.T) {
	defer clock.ResetHost()
	var log []string
	next := 0
	handles := map[string]js.Value{}
	hooks := js.Global().Get("Object").New()
	set := js.FuncOf(func(_ js.Value, args []js.Value) any {
		next++
		id := "t" + strconv.Itoa(next)
		log = append(log, "set "+id+" "+strconv.FormatFloat(args[0].Float(), 'f', -1, 64))
		handles[id] = js.Global().Call("setTimeout", args[1], args[0])
		return id
	})
	defer set.Release()
	clearFn := js.FuncOf(func(_ js.Value, args []js.Value) any {
		id := args[0].String()
		log = append(log, "clear "+id)
		js.Global().Call("clearTimeout", handles[id])
		return nil
	})
	defer clearFn.Release()
	now := js.FuncOf(func(js.Value, []js.Value) any { return 1234.5 })
	defer now.Release()
	hooks.Set("setTimer", set)
	hooks.Set("clearTimer", clearFn)
	hooks.Set("now", now)

	clock.UseHost(js.Null()) // ignored
	clock.UseHost(js.Global().Get("Object").New())
	c := clock.System()
	assert.NotEqual(t, int64(1234500000), c.UnixNano(), "no hooks yet")
	clock.UseHost(hooks)
	assert.Equal(t, int64(1234500000), c.UnixNano(), "the hooks' wall clock")

	got := make(chan string, 2)
	stopped := c.AfterFunc(50*clock.Millisecond, func() { got <- "stopped" })
	c.AfterFunc(2500*clock.Microsecond, func() { got <- "fired" })
	assert.True(t, stopped.Stop())
	assert.Equal(t, "fired", await(t, got, "the hooked timer"))
	assert.Equal(t, []string{"set t1 50", "set t2 2.5", "clear t1"}, log)
}
