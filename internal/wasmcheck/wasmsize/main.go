// Command wasmsize tells where the bytes of polysse.wasm go, by package.
//
// It builds ./wasm as `make wasm` does but keeps the name section (GOOS=js GOARCH=wasm go
// build -trimpath, without -ldflags='-s -w'; the code and data are the same, only the
// custom sections differ), reads the code section's function bodies and the name section
// that names them, and prints one row per Go package:
//
//   - raw: the bytes of the package's function bodies;
//   - gzip alone: gzip -9 (compress/gzip, BestCompression) of those bodies concatenated;
//   - gzip share: how much smaller the gzip of the whole module gets when those bodies
//     are cut out of it (measured for packages of at least -min raw bytes, in parallel);
//     this is the figure to read as "what removing the package's code would save";
//   - names: the bytes of the package's function names, which the runtime keeps in its
//     function table (pclntab) in the data section; the rest of the data section (type
//     descriptors, strings, tables) names no package and is printed as one total.
//
// With -floor it also builds the smallest Go WebAssembly module (syscall/js and one
// js.FuncOf, nothing else) the same way and prints, per package, how many raw bytes of code
// polysse's module has above it: what polysse and the parts of the runtime and standard
// library it uses add to the floor every Go module pays.
//
// Usage, from the module root:
//
//	go run ./internal/wasmcheck/wasmsize [-floor] [-min 2048] [-n 40] [-funcs 0] [-pack=true] [-wasm file.wasm]
//
// Modules are measured as make wasm ships them, with their data segments joined
// (internal/wasmpack); -pack=false measures them as the linker wrote them.
//
// -funcs N also lists the N largest functions of polysse's own packages. -wasm reads a module that is already built (with its name section) instead of building
// ./wasm. The tool runs natively; it needs the go command on PATH unless -wasm is given.
package main

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/polysse/sse/internal/wasmpack"
)

func main() {
	wasmFile := flag.String("wasm", "", "read this module (built without -s -w) instead of building ./wasm")
	floor := flag.Bool("floor", false, "also build a syscall/js-only module and print the code each package adds above it")
	minRaw := flag.Int("min", 2048, "measure the gzip share of packages with at least this many raw bytes of code")
	rows := flag.Int("n", 40, "print this many packages (largest first); 0 prints all")
	pack := flag.Bool("pack", true, "join the data segments as make wasm does (internal/wasmpack) before measuring")
	funcs := flag.Int("funcs", 0, "also print this many of the largest functions of the module's own packages (github.com/polysse/sse/...)")
	flag.Parse()
	packData = *pack
	if err := run(*wasmFile, *floor, *minRaw, *rows, *funcs); err != nil {
		fmt.Fprintln(os.Stderr, "wasmsize:", err)
		os.Exit(1)
	}
}

func run(wasmFile string, floor bool, minRaw, rows, funcs int) error {
	dir, err := os.MkdirTemp("", "wasmsize")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if wasmFile == "" {
		wasmFile = filepath.Join(dir, "polysse.wasm")
		if err := build(".", wasmFile, "./wasm"); err != nil {
			return err
		}
	}
	setKnown(".", "./wasm", "runtime/debug")
	m, err := readModule(wasmFile)
	if err != nil {
		return err
	}
	var base map[string]int
	var floorData *layout
	if floor {
		f, err := buildFloor(dir)
		if err != nil {
			return err
		}
		base = f.byPackage()
		if floorData, err = f.dataLayout(); err != nil {
			return err
		}
		fmt.Printf("floor (syscall/js and one js.FuncOf): %d bytes, code %d, data %d, gzip -9 of the stripped module %d\n",
			len(f.raw), f.codeBytes(), f.dataBytes, f.strippedGzip())
	}
	report(m, base, minRaw, rows)
	data, err := m.dataLayout()
	if err != nil {
		return err
	}
	reportData(data, floorData)
	if funcs > 0 {
		topFuncs(m, funcs)
	}
	return nil
}

// build runs go build for js/wasm, keeping the name section.
func build(dir, out, pkg string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, pkg)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s: %w", pkg, err)
	}
	return nil
}

const floorMain = `//go:build js && wasm

package main

import "syscall/js"

func main() {
	js.Global().Set("f", js.FuncOf(func(js.Value, []js.Value) any { return nil }))
	select {}
}
`

// buildFloor builds the smallest Go WebAssembly module in its own module under dir.
func buildFloor(dir string) (*module, error) {
	src := filepath.Join(dir, "floor")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte("module floor\n\ngo 1.24\n"), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(src, "main.go"), []byte(floorMain), 0o644); err != nil {
		return nil, err
	}
	out := filepath.Join(dir, "floor.wasm")
	if err := build(src, out, "."); err != nil {
		return nil, err
	}
	return readModule(out)
}

// body is one function body of the code section: its name and where it lies in the file.
type body struct {
	name       string
	start, end int
}

// module is what wasmsize reads from a WebAssembly file.
type module struct {
	raw       []byte
	bodies    []body
	dataBytes int       // the data section's size
	segs      []segment // the data section's segments
	custom    [][2]int  // the custom sections' extents, which -s -w drops
}

func (m *module) codeBytes() int {
	n := 0
	for _, b := range m.bodies {
		n += b.end - b.start
	}
	return n
}

// byPackage returns the raw code bytes of each package.
func (m *module) byPackage() map[string]int {
	sizes := map[string]int{}
	for _, b := range m.bodies {
		sizes[pkgOf(b.name)] += b.end - b.start
	}
	return sizes
}

// without returns the module's bytes with the given ranges and the custom sections cut out
// (not a valid module: something to compress).
func (m *module) without(cut [][2]int) []byte {
	cut = append(slices.Clone(cut), m.custom...)
	slices.SortFunc(cut, func(a, b [2]int) int { return cmp.Compare(a[0], b[0]) })
	out := make([]byte, 0, len(m.raw))
	at := 0
	for _, c := range cut {
		out = append(out, m.raw[at:c[0]]...)
		at = c[1]
	}
	return append(out, m.raw[at:]...)
}

// strippedGzip is the gzip size of the module without its custom sections, close to what
// the -s -w build compresses to.
func (m *module) strippedGzip() int { return gzipLen(m.without(nil)) }

func gzipLen(b []byte) int {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.Len()
}

// pkgOf returns the package of a function from its name in the name section, where the
// Go linker writes "/", "*", "(", ")", ":" and "[" as "_":
// "github.com_polysse_sse_jsbridge.__Source_.dispatch" is package
// "github.com_polysse_sse_jsbridge", found as the longest of the mangled import paths of
// [known] that the name starts with; other names are cut at their first "." (the linker's
// type functions, "type:.eq.T", come out as "type_"), and names without one, such as the
// wasm glue ("wasm_export_run"), are grouped as "(other)".
func pkgOf(name string) string {
	for _, p := range known {
		if len(name) > len(p) && name[len(p)] == '.' && strings.HasPrefix(name, p) {
			return p
		}
	}
	if i := strings.IndexByte(name, '.'); i > 0 {
		return name[:i]
	}
	return "(other)"
}

// known holds the mangled import paths of the packages the module is built from, longest
// first, and label maps them back to import paths; setKnown fills both.
var (
	known []string
	label = map[string]string{"type_": "type: (linker-made type functions)"}
)

// setKnown reads the import paths of the packages pkgs are built from, with go list -deps
// for js/wasm. Without it (no go command) packages are named as the linker wrote them.
func setKnown(dir string, pkgs ...string) {
	cmd := exec.Command("go", append([]string{"list", "-deps"}, pkgs...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		fmt.Fprintf(os.Stderr, "wasmsize: go list -deps: %v; packages are named as in the name section\n", err)
		return
	}
	for _, p := range strings.Fields(string(out)) {
		m := strings.ReplaceAll(p, "/", "_")
		known = append(known, m)
		label[m] = p
	}
	slices.SortFunc(known, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
}

func uleb(b []byte, at int) (v uint64, next int, err error) {
	v, n := binary.Uvarint(b[at:])
	if n <= 0 {
		return 0, 0, fmt.Errorf("bad LEB128 at offset %d", at)
	}
	return v, at + n, nil
}

// packData makes readModule join the data segments first, as make wasm does.
var packData = true

// readModule reads the function bodies, their names and the section sizes of a module.
func readModule(path string) (*module, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if packData {
		if raw, err = wasmpack.PackData(raw, wasmpack.DefaultMaxGap); err != nil {
			return nil, err
		}
	}
	if len(raw) < 8 || string(raw[:4]) != "\x00asm" {
		return nil, fmt.Errorf("%s: not a WebAssembly module", path)
	}
	m := &module{raw: raw}
	imported := 0
	names := map[int]string{}
	for at := 8; at < len(raw); {
		id := raw[at]
		size, start, err := uleb(raw, at+1)
		if err != nil {
			return nil, err
		}
		end := start + int(size)
		if end > len(raw) {
			return nil, fmt.Errorf("%s: section %d runs past the end", path, id)
		}
		sec := raw[start:end]
		switch id {
		case 0:
			m.custom = append(m.custom, [2]int{at, end})
			if err := readNames(sec, names); err != nil {
				return nil, err
			}
		case 2:
			if imported, err = countFuncImports(sec); err != nil {
				return nil, err
			}
		case 10:
			if err := m.readCode(sec, start); err != nil {
				return nil, err
			}
		case 11:
			m.dataBytes = len(sec)
			if m.segs, err = readData(sec, start); err != nil {
				return nil, err
			}
		}
		at = end
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s has no name section: build it without -ldflags='-s -w'", path)
	}
	for i := range m.bodies {
		if n, ok := names[imported+i]; ok {
			m.bodies[i].name = n
		} else {
			m.bodies[i].name = fmt.Sprintf("(func %d)", imported+i)
		}
	}
	return m, nil
}

func (m *module) readCode(sec []byte, base int) error {
	n, at, err := uleb(sec, 0)
	if err != nil {
		return err
	}
	for range n {
		size, start, err := uleb(sec, at)
		if err != nil {
			return err
		}
		at = start + int(size)
		if at > len(sec) {
			return errors.New("a function body runs past the code section")
		}
		m.bodies = append(m.bodies, body{start: base + start, end: base + at})
	}
	return nil
}

// countFuncImports returns how many of the imports are functions: they come first in the
// function index space.
func countFuncImports(sec []byte) (int, error) {
	n, at, err := uleb(sec, 0)
	if err != nil {
		return 0, err
	}
	funcs := 0
	for range n {
		for range 2 { // module and field names
			l, next, err := uleb(sec, at)
			if err != nil {
				return 0, err
			}
			at = next + int(l)
		}
		if at >= len(sec) {
			return 0, errors.New("an import runs past the import section")
		}
		kind := sec[at]
		at++
		switch kind {
		case 0: // function: type index
			funcs++
			_, at, err = uleb(sec, at)
		case 1: // table: element type, limits
			at++
			at, err = skipLimits(sec, at)
		case 2: // memory: limits
			at, err = skipLimits(sec, at)
		case 3: // global: value type, mutability
			at += 2
		default:
			return 0, fmt.Errorf("import kind %d", kind)
		}
		if err != nil {
			return 0, err
		}
	}
	return funcs, nil
}

func skipLimits(sec []byte, at int) (int, error) {
	flags, at, err := uleb(sec, at)
	if err != nil {
		return 0, err
	}
	if _, at, err = uleb(sec, at); err != nil {
		return 0, err
	}
	if flags&1 != 0 {
		_, at, err = uleb(sec, at)
	}
	return at, err
}

// readNames reads the function names of a custom section when it is the name section.
func readNames(sec []byte, names map[int]string) error {
	l, at, err := uleb(sec, 0)
	if err != nil {
		return err
	}
	if string(sec[at:at+int(l)]) != "name" {
		return nil
	}
	at += int(l)
	for at < len(sec) {
		id := sec[at]
		size, start, err := uleb(sec, at+1)
		if err != nil {
			return err
		}
		at = start + int(size)
		if id != 1 {
			continue
		}
		sub := sec[start:at]
		n, p, err := uleb(sub, 0)
		if err != nil {
			return err
		}
		for range n {
			var idx, nl uint64
			if idx, p, err = uleb(sub, p); err != nil {
				return err
			}
			if nl, p, err = uleb(sub, p); err != nil {
				return err
			}
			names[int(idx)] = string(sub[p : p+int(nl)])
			p += int(nl)
		}
	}
	return nil
}

// row is one package's line of the report.
type row struct {
	pkg             string
	raw, alone, cut int
	names           int
	floor           int
	ranges          [][2]int
}

func report(m *module, floor map[string]int, minRaw, rows int) {
	byPkg := map[string]*row{}
	for _, b := range m.bodies {
		p := pkgOf(b.name)
		r := byPkg[p]
		if r == nil {
			r = &row{pkg: p, floor: floor[p]}
			byPkg[p] = r
		}
		r.raw += b.end - b.start
		r.names += len(b.name) + 1
		r.ranges = append(r.ranges, [2]int{b.start, b.end})
	}
	all := make([]*row, 0, len(byPkg))
	for _, r := range byPkg {
		all = append(all, r)
	}
	slices.SortFunc(all, func(a, b *row) int { return cmp.Or(cmp.Compare(b.raw, a.raw), cmp.Compare(a.pkg, b.pkg)) })

	total := gzipLen(m.without(nil))
	var wg sync.WaitGroup
	work := make(chan *row)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for r := range work {
				var code []byte
				for _, c := range r.ranges {
					code = append(code, m.raw[c[0]:c[1]]...)
				}
				r.alone = gzipLen(code)
				r.cut = total - gzipLen(m.without(r.ranges))
			}
		})
	}
	for _, r := range all {
		if r.raw >= minRaw {
			work <- r
		}
	}
	close(work)
	wg.Wait()

	code := m.codeBytes()
	fmt.Printf("module: %d bytes with its name section; code %d (%d functions), data %d; gzip -9 without custom sections %d\n\n",
		len(m.raw), code, len(m.bodies), m.dataBytes, total)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "package\traw\tgzip alone\tgzip share\tnames\t"
	if floor != nil {
		head += "above floor\t"
	}
	fmt.Fprintln(tw, head)
	var sum row
	for i, r := range all {
		sum.raw += r.raw
		sum.names += r.names
		sum.cut += r.cut
		sum.floor += r.raw - r.floor
		if rows > 0 && i >= rows {
			continue
		}
		alone, cut := "-", "-"
		if r.raw >= minRaw {
			alone, cut = fmt.Sprint(r.alone), fmt.Sprint(r.cut)
		}
		line := fmt.Sprintf("%s\t%d\t%s\t%s\t%d\t", cmp.Or(label[r.pkg], r.pkg), r.raw, alone, cut, r.names)
		if floor != nil {
			line += fmt.Sprintf("%+d\t", r.raw-r.floor)
		}
		fmt.Fprintln(tw, line)
	}
	// Packages of the floor that polysse's module does not have.
	for _, p := range slices.Sorted(maps.Keys(floor)) {
		if _, ok := byPkg[p]; !ok {
			sum.floor -= floor[p]
			fmt.Fprintf(tw, "%s\t0\t-\t-\t0\t%+d\t\n", cmp.Or(label[p], p), -floor[p])
		}
	}
	line := fmt.Sprintf("all %d packages\t%d\t\t%d\t%d\t", len(all), sum.raw, sum.cut, sum.names)
	if floor != nil {
		line += fmt.Sprintf("%+d\t", sum.floor)
	}
	fmt.Fprintln(tw, line)
	tw.Flush()
	fmt.Println("\ngzip share: total gzip minus gzip with the package's bodies cut out; the shares overlap, so their sum is not the total.")
}

// topFuncs prints the n largest function bodies of the module's own packages.
func topFuncs(m *module, n int) {
	var own []body
	for _, b := range m.bodies {
		if strings.HasPrefix(b.name, "github.com_polysse_sse") || strings.HasPrefix(b.name, "main.") {
			own = append(own, b)
		}
	}
	slices.SortFunc(own, func(a, b body) int { return cmp.Compare(b.end-b.start, a.end-a.start) })
	fmt.Printf("\nlargest functions of github.com/polysse/sse (raw bytes, names as the linker wrote them):\n")
	for _, b := range own[:min(n, len(own))] {
		fmt.Printf("%8d  %s\n", b.end-b.start, b.name)
	}
}

// segment is one active data segment: bytes copied to address addr of the linear memory.
type segment struct {
	addr int
	data []byte
	file int // the offset of data in the module file
}

func readData(sec []byte, base int) ([]segment, error) {
	n, at, err := uleb(sec, 0)
	if err != nil {
		return nil, err
	}
	var segs []segment
	for range n {
		var flags uint64
		if flags, at, err = uleb(sec, at); err != nil {
			return nil, err
		}
		// Go writes active segments of memory 0 with an i32.const offset.
		if flags != 0 || at >= len(sec) || sec[at] != 0x41 {
			return nil, fmt.Errorf("data segment of a kind the Go linker does not write (flags %d)", flags)
		}
		off, next, err := sleb(sec, at+1)
		if err != nil {
			return nil, err
		}
		if next >= len(sec) || sec[next] != 0x0b {
			return nil, errors.New("data segment offset is not a constant")
		}
		size, start, err := uleb(sec, next+1)
		if err != nil {
			return nil, err
		}
		at = start + int(size)
		if at > len(sec) {
			return nil, errors.New("a data segment runs past the data section")
		}
		segs = append(segs, segment{addr: int(off), data: sec[start:at], file: base + start})
	}
	return segs, nil
}

func sleb(b []byte, at int) (int64, int, error) {
	var v int64
	for shift := 0; at < len(b) && shift < 64; shift += 7 {
		c := b[at]
		at++
		v |= int64(c&0x7f) << shift
		if c < 0x80 {
			if shift+7 < 64 && c&0x40 != 0 {
				v |= -1 << (shift + 7)
			}
			return v, at, nil
		}
	}
	return 0, 0, errors.New("bad signed LEB128")
}

// layout is where the Go linker put the parts of the data, from the runtime's moduledata.
type layout struct {
	parts    []part
	segments int // data segments
	overhead int // bytes of the data section that are no segment's data: their headers
}

type part struct {
	name       string
	start, end int // addresses
	file       int // bytes of the module file (memory in no segment is zero, not in the file)
	cut        int // the gzip share, as for packages
}

// dataLayout finds the runtime's pcHeader and the moduledata that points at it in the
// module's memory image, and returns the sizes of the data's parts: type descriptors, the
// function table (pclntab) by its parts, the funcdata and the rest of the read-only data
// (strings, tables, itabs), and the initialised variables. The order of the words it
// reads is Go 1.26's moduledata on js/wasm; on another layout it reports an error.
func (m *module) dataLayout() (*layout, error) {
	top := 0
	for _, s := range m.segs {
		top = max(top, s.addr+len(s.data))
	}
	mem := make([]byte, top)
	for _, s := range m.segs {
		copy(mem[s.addr:], s.data)
	}
	u64 := func(a int) int {
		if a < 0 || a+8 > len(mem) {
			return -1
		}
		return int(binary.LittleEndian.Uint64(mem[a:]))
	}
	for hdr := 0; hdr+72 <= len(mem); hdr += 8 {
		magic := binary.LittleEndian.Uint32(mem[hdr:])
		if magic&0xfffffff0 != 0xfffffff0 || mem[hdr+4] != 0 || mem[hdr+5] != 0 || mem[hdr+6] != 1 || mem[hdr+7] != 8 {
			continue
		}
		nameOff, cuOff, fileOff, pcOff, lnOff := u64(hdr+32), u64(hdr+40), u64(hdr+48), u64(hdr+56), u64(hdr+64)
		if !(0 < nameOff && nameOff < cuOff && cuOff <= fileOff && fileOff <= pcOff && pcOff <= lnOff) {
			continue
		}
		// The moduledata: pcHeader, then funcnametab's slice header.
		for md := 0; md+8*40 <= len(mem); md += 8 {
			if u64(md) != hdr || u64(md+8) != hdr+nameOff {
				continue
			}
			// Words of moduledata after pcHeader (1), five slices (3 each) and ftab (3):
			// findfunctab 19, minpc 20, maxpc 21, text 22, etext 23, noptrdata 24,
			// enoptrdata 25, data 26, edata 27, bss 28, ebss 29, noptrbss 30, enoptrbss 31,
			// covctrs 32, ecovctrs 33, end 34, gcdata 35, gcbss 36, types 37, etypes 38,
			// rodata 39, gofunc 40, epclntab 41.
			w := func(i int) int { return u64(md + 8*i) }
			if os.Getenv("WASMSIZE_DEBUG") != "" {
				for i := range 42 {
					fmt.Fprintf(os.Stderr, "moduledata word %d: %#x\n", i, w(i))
				}
				fmt.Fprintf(os.Stderr, "pcHeader at %#x, memory image %#x\n", hdr, len(mem))
			}
			types, etypes, gofunc, epclntab := w(37), w(38), w(40), w(41)
			noptrdata, enoptrdata, data, edata := w(24), w(25), w(26), w(27)
			if !(types <= etypes && etypes <= hdr && hdr < gofunc && gofunc <= epclntab &&
				epclntab <= noptrdata && noptrdata <= enoptrdata && enoptrdata <= data && data <= edata) {
				continue // not the layout this tool knows (Go 1.26, js/wasm)
			}
			l := &layout{parts: []part{
				{name: "type descriptors", start: types, end: etypes},
				{name: "pclntab: header", start: hdr, end: w(1)},
				{name: "pclntab: function names", start: w(1), end: w(1) + w(2)},
				{name: "pclntab: compilation units and files", start: w(4), end: w(7) + w(8)},
				{name: "pclntab: pc tables (stack, file, line, pcdata)", start: w(10), end: w(10) + w(11)},
				{name: "pclntab: function table and _func records", start: w(13), end: w(13) + w(14)},
				{name: "funcdata (stack maps) and other read-only data (strings, tables, itabs)", start: gofunc, end: epclntab},
				{name: "initialised variables without pointers (noptrdata)", start: noptrdata, end: enoptrdata},
				{name: "initialised variables (data)", start: data, end: edata},
			}}
			covered := 0
			for _, s := range m.segs {
				covered += len(s.data)
			}
			l.segments, l.overhead = len(m.segs), m.dataBytes-covered
			total := gzipLen(m.without(nil))
			var wg sync.WaitGroup
			for i := range l.parts {
				p := &l.parts[i]
				var cut [][2]int
				for _, s := range m.segs {
					lo, hi := max(s.addr, p.start), min(s.addr+len(s.data), p.end)
					if lo < hi {
						p.file += hi - lo
						cut = append(cut, [2]int{s.file + lo - s.addr, s.file + hi - s.addr})
					}
				}
				wg.Go(func() { p.cut = total - gzipLen(m.without(cut)) })
			}
			wg.Wait()
			return l, nil
		}
	}
	return nil, errors.New("no pcHeader and moduledata found in the data: not a module the Go linker wrote")
}

// reportData prints the data's parts, and what each adds above the floor's.
func reportData(l, floor *layout) {
	fmt.Printf("\ndata by part (memory: bytes of linear memory; file: bytes of it the data segments hold):\n")
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "part\tmemory\tfile\tgzip share\t"
	if floor != nil {
		head += "file above floor\t"
	}
	fmt.Fprintln(tw, head)
	var sum, fsum part
	for i, p := range l.parts {
		line := fmt.Sprintf("%s\t%d\t%d\t%d\t", p.name, p.end-p.start, p.file, p.cut)
		sum.end += p.end - p.start
		sum.file += p.file
		sum.cut += p.cut
		if floor != nil {
			line += fmt.Sprintf("%+d\t", p.file-floor.parts[i].file)
			fsum.file += floor.parts[i].file
		}
		fmt.Fprintln(tw, line)
	}
	line := fmt.Sprintf("all\t%d\t%d\t%d\t", sum.end, sum.file, sum.cut)
	if floor != nil {
		line += fmt.Sprintf("%+d\t", sum.file-fsum.file)
	}
	fmt.Fprintln(tw, line)
	tw.Flush()
	fmt.Printf("the data section also spends %d bytes on the headers of its %d segments (the linker starts a new one after each run of zeros)",
		l.overhead, l.segments)
	if floor != nil {
		fmt.Printf("; the floor's: %d bytes, %d segments", floor.overhead, floor.segments)
	}
	fmt.Println()
}
