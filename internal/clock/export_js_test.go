package clock

import "syscall/js"

// SetMaxDelay sets the longest setTimeout delay, in milliseconds, and returns a function
// that restores it.
func SetMaxDelay(ms float64) (restore func()) {
	old := maxDelay
	maxDelay = ms
	return func() { maxDelay = old }
}

// ResetHost forgets the hooks of UseHost.
func ResetHost() {
	host.mu.Lock()
	host.setTimer, host.clearTimer, host.now = js.Undefined(), js.Undefined(), js.Undefined()
	host.mu.Unlock()
}
