package clock

// SetMaxDelay sets the longest setTimeout delay, in milliseconds, and returns a function
// that restores it.
func SetMaxDelay(ms float64) (restore func()) {
	old := maxDelay
	maxDelay = ms
	return func() { maxDelay = old }
}
