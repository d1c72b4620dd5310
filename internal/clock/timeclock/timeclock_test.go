package timeclock_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/polysse/sse/internal/clock"
	"github.com/polysse/sse/internal/clock/timeclock"
)

func TestClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := timeclock.New()
		assert.Zero(t, c.Now())
		assert.Equal(t, time.Now().UnixNano(), c.UnixNano())
		calls := make(chan clock.Duration, 4)
		c.AfterFunc(2*clock.Second, func() { calls <- c.Now() })
		stopped := c.AfterFunc(clock.Second, func() { calls <- -1 })
		moved := c.AfterFunc(clock.Second, func() { calls <- c.Now() })
		assert.True(t, stopped.Stop())
		assert.False(t, stopped.Stop())
		assert.True(t, moved.Reset(3*clock.Second))
		time.Sleep(time.Minute)
		assert.Equal(t, 2*clock.Second, <-calls)
		assert.Equal(t, 3*clock.Second, <-calls)
		assert.Equal(t, clock.Minute, c.Now())
		assert.False(t, moved.Reset(clock.Second), "Reset after the call")
		time.Sleep(time.Minute)
		assert.Equal(t, clock.Minute+clock.Second, <-calls)
		assert.Empty(t, calls)
	})
}
