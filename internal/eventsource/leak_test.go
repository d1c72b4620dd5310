package eventsource_test

import (
	"bytes"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// leakGrace is how long checkLeaks waits for goroutines to finish on their own before it
// reports them: a cancelled request or a closed connection ends its goroutines
// asynchronously.
const leakGrace = 5 * time.Second

// checkLeaks fails t when goroutines that did not exist when checkLeaks was called are
// still running when t ends (after t's later Cleanup functions, so register servers and
// other resources after calling it). Goroutines of the testing and runtime packages are
// ignored, and so are other tests' goroutines (anything running testing.tRunner), so it
// may be used by any test of the package; it is exact only for tests that do not run in
// parallel with tests that start goroutines of their own.
//
// Call it outside any testing/synctest bubble (synctest.Test itself fails when the
// bubble's goroutines do not all exit).
func checkLeaks(t testing.TB) {
	t.Helper()
	before := leakGoroutines()
	t.Cleanup(func() {
		deadline := time.Now().Add(leakGrace)
		for {
			var leaked []string
			for id, stack := range leakGoroutines() {
				if _, ok := before[id]; !ok && !leakIgnored(stack) {
					leaked = append(leaked, stack)
				}
			}
			if len(leaked) == 0 {
				return
			}
			if time.Now().After(deadline) {
				slices.Sort(leaked)
				t.Errorf("%d goroutine(s) leaked (still running %v after the test):\n\n%s",
					len(leaked), leakGrace, strings.Join(leaked, "\n\n"))
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}

// leakGoroutines returns the stacks of all goroutines, by goroutine ID.
func leakGoroutines() map[string]string {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	m := make(map[string]string)
	for g := range bytes.SplitSeq(buf, []byte("\n\n")) {
		s := strings.TrimSpace(string(g))
		// "goroutine 123 [chan receive]:"
		rest, ok := strings.CutPrefix(s, "goroutine ")
		if !ok {
			continue
		}
		id, _, _ := strings.Cut(rest, " ")
		m[id] = s
	}
	return m
}

// leakIgnored reports whether a goroutine belongs to the test framework or the runtime.
func leakIgnored(stack string) bool {
	for _, s := range []string{
		"testing.tRunner(",      // a test's own goroutine, or another (parallel) test
		"testing.(*M).",         // the test main
		"testing.runTests",      //
		"testing.(*F).",         // fuzzing
		"testing.runFuzzTests",  //
		"created by runtime.",   // runtime helpers (finalizers, cleanups, ...)
		"runtime.ensureSigM",    // os/signal
		"runtime.handleEvent()", // js/wasm: the runtime goroutine that runs JavaScript callbacks
		"os/signal.signal_recv", //
		"runtime/trace.",        // tracing
		"created by os/signal.", //
	} {
		if strings.Contains(stack, s) {
			return true
		}
	}
	return false
}
