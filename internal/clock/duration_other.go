//go:build !js

package clock

import "time"

// Duration is a length of time in nanoseconds: time.Duration natively.
type Duration = time.Duration

// Common durations.
const (
	Nanosecond  = time.Nanosecond
	Microsecond = time.Microsecond
	Millisecond = time.Millisecond
	Second      = time.Second
	Minute      = time.Minute
	Hour        = time.Hour
)
