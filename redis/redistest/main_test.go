package redistest_test

import (
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"
)

// TestMain fails the package when goroutines outlive its tests: every server's output
// reader and every client must be gone once the tests' Cleanup functions have run.
func TestMain(m *testing.M) {
	before := runtime.NumGoroutine()
	code := m.Run()
	if code == 0 {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				fmt.Fprintf(os.Stderr, "FAIL: %d goroutines left after the tests (%d before):\n%s\n",
					runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
				code = 1
				break
			}
			time.Sleep(5 * time.Millisecond) // a closed client's goroutines end asynchronously
		}
	}
	os.Exit(code)
}
