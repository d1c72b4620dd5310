package redis_test

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/polysse/sse/redis/redistest"
)

// TestMain starts one redis-server for the examples, which read its address from
// REDIS_ADDR; tests start servers of their own with redistest.Start. Without redis-server
// the whole package is skipped with a message, except under CI=true, where it fails.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "polysse-redis-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	srv, err := redistest.Launch(dir, redistest.Options{})
	if errors.Is(err, redistest.ErrNotInstalled) {
		if ci := os.Getenv("CI"); ci == "true" || ci == "1" {
			fmt.Fprintf(os.Stderr, "FAIL: %v (under CI=true the Redis tests must run; make test-redis installs it)\n", err)
			return 1
		}
		fmt.Printf("SKIP: every test of this package needs Redis: %v (make test-redis installs it)\n", err)
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer srv.Close()
	os.Setenv("REDIS_ADDR", srv.Addr())
	return m.Run()
}

// checkLeaks fails t when goroutines started during t are still running after t and its
// later Cleanup functions (register clients and servers after calling it). Other tests'
// goroutines and the runtime's are ignored; it is exact for tests that do not run in
// parallel.
func checkLeaks(t *testing.T) {
	t.Helper()
	before := goroutines()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for {
			var leaked []string
			for id, stack := range goroutines() {
				if _, ok := before[id]; !ok && !ignoredGoroutine(stack) {
					leaked = append(leaked, stack)
				}
			}
			if len(leaked) == 0 {
				return
			}
			if time.Now().After(deadline) {
				slices.Sort(leaked)
				t.Errorf("%d goroutine(s) leaked:\n\n%s", len(leaked), strings.Join(leaked, "\n\n"))
				return
			}
			time.Sleep(5 * time.Millisecond) // goroutines of a closed client end asynchronously
		}
	})
}

// goroutines returns the stacks of all goroutines by goroutine id ("goroutine 12").
func goroutines() map[string]string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	m := make(map[string]string)
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		head, _, _ := strings.Cut(g, " [")
		m[head] = g
	}
	return m
}

func ignoredGoroutine(stack string) bool {
	for _, s := range []string{"testing.tRunner", "testing.(*T).Run", "testing.runTests", "runtime.goexit0", "created by runtime"} {
		if strings.Contains(stack, s) {
			return true
		}
	}
	return false
}
