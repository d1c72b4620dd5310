package eventsource_test

import (
	"time"

	"github.com/polysse/sse/internal/clock"
)

// The tests write durations as clock.Duration, the type of the client's options: it is
// time.Duration natively but a type of its own under js/wasm. These wrap the time
// functions the tests use (faked by testing/synctest) in that type.

// sleep is time.Sleep.
func sleep(d clock.Duration) { time.Sleep(time.Duration(d)) }

// since is time.Since.
func since(t time.Time) clock.Duration { return clock.Duration(time.Since(t)) }
