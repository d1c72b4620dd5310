package bench_test

import (
	"testing"

	"github.com/polysse/sse/internal/bench"
)

// workloads are built once: every benchmark of a workload reads the same bytes.
var workloads = bench.Workloads()

// BenchmarkParse compares the parsers on every workload (see bench.RunParse); the
// package parsewasm runs the same benchmark under GOOS=js GOARCH=wasm.
func BenchmarkParse(b *testing.B) { bench.RunParse(b, workloads, selfCPU) }
