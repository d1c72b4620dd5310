package eventsource_test

import (
	"testing"

	"github.com/polysse/sse/internal/testsupport"
)

// checkLeaks is testsupport.CheckLeaks: it fails t when goroutines started during t are
// still running after t (call it outside any testing/synctest bubble, before registering
// the cleanups that stop servers).
func checkLeaks(t testing.TB) {
	t.Helper()
	testsupport.CheckLeaks(t)
}
