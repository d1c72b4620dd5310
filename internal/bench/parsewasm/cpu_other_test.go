//go:build !js

package parsewasm_test

// cpuClock is nil natively: run the bench package's BenchmarkParse there, which has one.
var cpuClock func() int64
