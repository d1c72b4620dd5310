//go:build !js

package eventsource

import (
	"github.com/polysse/sse/internal/clock"
	"github.com/polysse/sse/internal/clock/timeclock"
)

// defaultClock is the clock of a Client whose options name none: natively, package time.
func defaultClock() clock.Clock { return timeclock.New() }
