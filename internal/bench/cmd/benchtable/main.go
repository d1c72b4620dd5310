// Command benchtable reads `go test -bench` output on stdin and prints, as Markdown, one
// table per benchmark and workload with ns/op, MB/s, B/op, allocs/op (and per-event
// figures when the benchmark reports events/op), and how the reference implementation's
// throughput compares with each peer's: "polysse/go-sse = 4.1×" means polysse does 4.1
// times as much work per second.
//
// Benchmark names are read as Benchmark<Family>/<workload…>/<implementation>[-procs].
// With -count > 1, each figure is the median of the runs.
//
//	go test -run '^$' -bench . -benchmem ./... | go run ./cmd/benchtable
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

func main() {
	ref := flag.String("ref", "polysse", "the implementation the others are compared with")
	flag.Parse()
	rep, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	if len(rep.groups) == 0 {
		fmt.Fprintln(os.Stderr, "benchtable: no benchmark results on stdin")
		os.Exit(1)
	}
	rep.write(os.Stdout, *ref)
}

// result is every run of one benchmark.
type result struct {
	impl    string
	metrics map[string][]float64 // unit → one value per run
	units   []string             // in order of appearance
}

// group is one family and workload, e.g. Parse 1KiB, with its implementations in order.
type group struct {
	family, workload string
	results          []*result
}

type report struct {
	header []string // command, date, machine, goos, goarch and cpu lines
	groups []*group
}

var procsSuffix = regexp.MustCompile(`-\d+$`)

// parse reads go test -bench output. Lines that are not results are ignored, apart from
// the goos, goarch and cpu lines.
func parse(r io.Reader) (*report, error) {
	rep := &report{}
	groups := map[string]*group{}
	results := map[string]*result{}
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		for _, k := range []string{"command:", "date:", "commit:", "machine:", "load average", "goos:", "goarch:", "cpu:"} {
			if strings.HasPrefix(line, k) && !slices.Contains(rep.header, line) {
				rep.header = append(rep.header, line)
			}
		}
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue // not a result line (e.g. a log line starting with the name)
		}
		name := procsSuffix.ReplaceAllString(strings.TrimPrefix(f[0], "Benchmark"), "")
		family, workload, impl := split(name)
		key := family + "\x00" + workload
		g := groups[key]
		if g == nil {
			g = &group{family: family, workload: workload}
			groups[key] = g
			rep.groups = append(rep.groups, g)
		}
		res := results[name]
		if res == nil {
			res = &result{impl: impl, metrics: map[string][]float64{}}
			results[name] = res
			g.results = append(g.results, res)
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("bad value %q in %q", f[i], line)
			}
			unit := f[i+1]
			if _, ok := res.metrics[unit]; !ok {
				res.units = append(res.units, unit)
			}
			res.metrics[unit] = append(res.metrics[unit], v)
		}
	}
	return rep, sc.Err()
}

// split reads Family/workload…/impl.
func split(name string) (family, workload, impl string) {
	parts := strings.Split(name, "/")
	switch len(parts) {
	case 1:
		return parts[0], "", parts[0]
	case 2:
		return parts[0], "", parts[1]
	}
	return parts[0], strings.Join(parts[1:len(parts)-1], "/"), parts[len(parts)-1]
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// get returns the median of unit, and whether the benchmark reported it.
func (r *result) get(unit string) (float64, bool) {
	v, ok := r.metrics[unit]
	return median(v), ok
}

// standard units have their own columns; any other unit (events/op, p99-ms, …) gets one
// of its own after them.
var standard = []string{"ns/op", "MB/s", "B/op", "allocs/op"}

func (rep *report) write(w io.Writer, ref string) {
	for _, h := range rep.header {
		fmt.Fprintf(w, "%s  \n", h)
	}
	runs := 0
	for _, g := range rep.groups {
		for _, r := range g.results {
			runs = max(runs, len(r.metrics["ns/op"]))
		}
	}
	if runs > 1 {
		fmt.Fprintf(w, "Medians of %d runs.\n", runs)
	}
	fmt.Fprintf(w, "Last column: %s's throughput ÷ the implementation's (higher favours %s).\n", ref, ref)

	family := ""
	for _, g := range rep.groups {
		if g.family != family {
			family = g.family
			fmt.Fprintf(w, "\n## %s\n", family)
		}
		g.write(w, ref)
	}
	rep.writeSummary(w, ref)
}

func (g *group) write(w io.Writer, ref string) {
	var extra []string
	perEvent := false
	for _, r := range g.results {
		for _, u := range r.units {
			if u == "events/op" {
				perEvent = true
			}
			if !slices.Contains(standard, u) && !slices.Contains(extra, u) {
				extra = append(extra, u)
			}
		}
	}
	fmt.Fprintf(w, "\n### %s\n\n", strings.TrimSuffix(g.family+" "+g.workload, " "))

	cols := []string{"implementation", "ns/op", "MB/s", "B/op", "allocs/op"}
	if perEvent {
		cols = append(cols, "ns/event", "allocs/event")
	}
	for _, u := range extra {
		if u != "events/op" || !perEvent {
			cols = append(cols, u)
		}
	}
	cols = append(cols, ref+" ÷ this")
	fmt.Fprintf(w, "| %s |\n", strings.Join(cols, " | "))
	align := make([]string, len(cols))
	for i := range align {
		align[i] = "---:"
	}
	align[0] = ":---"
	fmt.Fprintf(w, "|%s|\n", strings.Join(align, "|"))

	var refRes *result
	for _, r := range g.results {
		if r.impl == ref {
			refRes = r
		}
	}
	for _, r := range g.results {
		row := []string{r.impl}
		row = append(row, r.cell("ns/op", 0), r.cell("MB/s", 1), r.cell("B/op", 0), r.cell("allocs/op", 0))
		if perEvent {
			ev, ok := r.get("events/op")
			ns, _ := r.get("ns/op")
			allocs, hasAllocs := r.get("allocs/op")
			if ok && ev > 0 {
				row = append(row, num(ns/ev, 1))
				if hasAllocs {
					row = append(row, num(allocs/ev, 2))
				} else {
					row = append(row, "")
				}
			} else {
				row = append(row, "", "")
			}
		}
		for _, u := range extra {
			if u != "events/op" || !perEvent {
				row = append(row, r.cell(u, 2))
			}
		}
		row = append(row, ratio(refRes, r, ref))
		fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
	}
}

// writeSummary prints, per family, one line per workload with the ratio to every peer.
func (rep *report) writeSummary(w io.Writer, ref string) {
	var families []string
	for _, g := range rep.groups {
		if !slices.Contains(families, g.family) {
			families = append(families, g.family)
		}
	}
	fmt.Fprintf(w, "\n## Summary: %s's throughput ÷ each peer's\n", ref)
	for _, family := range families {
		var peers []string
		for _, g := range rep.groups {
			for _, r := range g.results {
				if g.family == family && r.impl != ref && !slices.Contains(peers, r.impl) {
					peers = append(peers, r.impl)
				}
			}
		}
		if len(peers) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n| %s | %s |\n", family, strings.Join(peers, " | "))
		fmt.Fprintf(w, "|:---|%s\n", strings.Repeat("---:|", len(peers)))
		for _, g := range rep.groups {
			if g.family != family {
				continue
			}
			var refRes *result
			byImpl := map[string]*result{}
			for _, r := range g.results {
				byImpl[r.impl] = r
				if r.impl == ref {
					refRes = r
				}
			}
			row := []string{g.workload}
			for _, p := range peers {
				cell := ""
				if r := byImpl[p]; r != nil {
					if a, b, ok := speeds(refRes, r); ok {
						cell = fmt.Sprintf("%.2f×", a/b)
					}
				}
				row = append(row, cell)
			}
			fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
		}
	}
}

func speeds(ref, r *result) (float64, float64, bool) {
	if ref == nil {
		return 0, 0, false
	}
	// Compare like with like: MB/s only when both report it.
	if a, ok := ref.get("MB/s"); ok && a > 0 {
		if b, ok := r.get("MB/s"); ok && b > 0 {
			return a, b, true
		}
	}
	a, ok1 := ref.get("ns/op")
	b, ok2 := r.get("ns/op")
	if !ok1 || !ok2 || a <= 0 || b <= 0 {
		return 0, 0, false
	}
	return 1 / a, 1 / b, true
}

func ratio(ref, r *result, refName string) string {
	if ref == nil {
		return ""
	}
	if ref == r {
		return "—"
	}
	a, b, ok := speeds(ref, r)
	if !ok {
		return ""
	}
	return fmt.Sprintf("%s/%s = %.2f×", refName, r.impl, a/b)
}

func (r *result) cell(unit string, prec int) string {
	v, ok := r.get(unit)
	if !ok {
		return ""
	}
	return num(v, prec)
}

// num formats v with prec decimals (none at or above 100, to keep columns short) and
// thousands separators.
func num(v float64, prec int) string {
	if v >= 100 {
		prec = 0
	}
	s := strconv.FormatFloat(v, 'f', prec, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	neg := strings.HasPrefix(intPart, "-")
	intPart = strings.TrimPrefix(intPart, "-")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String()
	if neg {
		out = "-" + out
	}
	if frac != "" {
		out += "." + frac
	}
	return out
}
