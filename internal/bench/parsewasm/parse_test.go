// Package parsewasm runs the parser benchmark of the bench module (bench.RunParse: the
// same workloads and peers) alone, in a package that builds for GOOS=js GOARCH=wasm, which
// the bench package's own tests do not (they use syscalls js/wasm lacks):
//
//	cd internal/bench/parsewasm
//	PATH=$(go env GOROOT)/lib/wasm:$PATH GOOS=js GOARCH=wasm go test -run '^$' -bench .
//
// Node runs the test binary; the figures are what the browser client's parser costs.
package parsewasm_test

import (
	"testing"

	"github.com/polysse/sse/internal/bench"
)

var workloads = bench.Workloads()

// BenchmarkParse is bench.RunParse, with the cpu-ns/op metric of the Node process under
// js/wasm.
func BenchmarkParse(b *testing.B) { bench.RunParse(b, workloads, cpuClock) }
