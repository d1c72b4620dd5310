// Package testsupport holds the test infrastructure shared by the module's tests and by
// ssetest: the goroutine leak checker and a recording http.ResponseWriter (the fake's
// in-memory writer with a sink that records each flush).
package testsupport

import (
	"bytes"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// LeakGrace is how long CheckLeaks waits for goroutines to finish on their own before it
// reports them: a cancelled request or a closed connection ends its goroutines
// asynchronously.
const LeakGrace = 5 * time.Second

// CheckLeaks fails t when goroutines that did not exist when CheckLeaks was called are
// still running when t ends (after t's later Cleanup functions, so register servers and
// other resources after calling it). Goroutines of the testing and runtime packages are
// ignored, and so are other tests' goroutines (anything running testing.tRunner), so it
// may be used by any test of a package; it is exact only for tests that do not run in
// parallel with tests that start goroutines of their own.
//
// Call it outside any testing/synctest bubble (synctest.Test itself fails when the
// bubble's goroutines do not all exit).
func CheckLeaks(t testing.TB) {
	t.Helper()
	before := Goroutines()
	t.Cleanup(func() {
		if leaked := WaitLeaks(before, LeakGrace, nil); leaked != "" {
			t.Errorf("goroutine(s) leaked (still running %v after the test):\n\n%s", LeakGrace, leaked)
		}
	})
}

// WaitLeaks waits up to grace for the goroutines not in before (and, when match is not
// nil, whose stack it matches) to end, and returns the stacks of those still running
// ("" when none is).
func WaitLeaks(before map[string]string, grace time.Duration, match func(stack string) bool) string {
	deadline := time.Now().Add(grace)
	for {
		var leaked []string
		for id, stack := range Goroutines() {
			if _, ok := before[id]; !ok && !Ignored(stack) && (match == nil || match(stack)) {
				leaked = append(leaked, stack)
			}
		}
		if len(leaked) == 0 {
			return ""
		}
		if time.Now().After(deadline) {
			slices.Sort(leaked)
			return strings.Join(leaked, "\n\n")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Goroutines returns the stacks of all goroutines, by goroutine ID.
func Goroutines() map[string]string {
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

// Running returns the stacks of the goroutines whose stack contains one of frames (for
// example "github.com/polysse/sse/server."), joined by blank lines; "" when none is.
func Running(frames ...string) string {
	var out []string
	for _, stack := range Goroutines() {
		for _, f := range frames {
			if strings.Contains(stack, f) {
				out = append(out, stack)
				break
			}
		}
	}
	slices.Sort(out)
	return strings.Join(out, "\n\n")
}

// Ignored reports whether a goroutine belongs to the test framework or the runtime.
func Ignored(stack string) bool {
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
