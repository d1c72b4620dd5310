package redis_test

import (
	"errors"
	"fmt"
	"os"
	"testing"

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
