package main

import (
	"strings"
	"testing"
)

const sample = `goos: linux
goarch: amd64
pkg: github.com/polysse/sse/internal/bench
cpu: AMD EPYC
BenchmarkParse/1KiB/polysse-2         	    4040	    500000 ns/op	1000.00 MB/s	       512.0 events/op	  690752 B/op	     520 allocs/op
BenchmarkParse/1KiB/go-sse-2          	    1000	   2000000 ns/op	 250.00 MB/s	       512.0 events/op	 1904832 B/op	    1540 allocs/op
BenchmarkParse/1KiB/polysse-2         	    4040	    700000 ns/op	 900.00 MB/s	       512.0 events/op	  690752 B/op	     520 allocs/op
BenchmarkParse/1KiB/go-sse-2          	    1000	   2100000 ns/op	 230.00 MB/s	       512.0 events/op	 1904832 B/op	    1540 allocs/op
BenchmarkParse/1KiB/polysse-2         	    4040	    600000 ns/op	 950.00 MB/s	       512.0 events/op	  690752 B/op	     520 allocs/op
BenchmarkParse/1KiB/go-sse-2          	    1000	   1900000 ns/op	 240.00 MB/s	       512.0 events/op	 1904832 B/op	    1540 allocs/op
BenchmarkPublish/10/polysse-2         	  100000	      2000 ns/op
BenchmarkPublish/10/go-sse-2          	  100000	      3000 ns/op
PASS
ok  	github.com/polysse/sse/internal/bench	3.1s
`

func TestTable(t *testing.T) {
	rep, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.groups) != 2 {
		t.Fatalf("%d groups, want 2", len(rep.groups))
	}
	var out strings.Builder
	rep.write(&out, "polysse")
	got := out.String()
	for _, want := range []string{
		"cpu: AMD EPYC",
		"Medians of 3 runs.",
		"### Parse 1KiB",
		"| polysse | 600,000 | 950 | 690,752 | 520 | 1,172 | 1.02 | — |",
		"polysse/go-sse = 3.96×", // 950 MB/s ÷ 240 MB/s
		"polysse/go-sse = 1.50×", // 3000 ns ÷ 2000 ns
		"| 1KiB | 3.96× |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}

func TestSplit(t *testing.T) {
	for _, tc := range []struct{ in, family, workload, impl string }{
		{"Parse/1KiB/polysse", "Parse", "1KiB", "polysse"},
		{"Encode/64B/bufio/go-sse", "Encode", "64B/bufio", "go-sse"},
		{"Publish/polysse", "Publish", "", "polysse"},
		{"Single", "Single", "", "Single"},
	} {
		f, w, i := split(tc.in)
		if f != tc.family || w != tc.workload || i != tc.impl {
			t.Errorf("split(%q) = %q, %q, %q", tc.in, f, w, i)
		}
	}
}

func TestNum(t *testing.T) {
	for in, want := range map[float64]string{1234567: "1,234,567", 12.345: "12.35", 999.9: "1,000", 0.5: "0.50"} {
		if got := num(in, 2); got != want {
			t.Errorf("num(%v) = %q, want %q", in, got, want)
		}
	}
}
