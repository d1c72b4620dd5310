package wasmpack_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"

	"github.com/polysse/sse/internal/wasmpack"
)

// module returns a module with a type section, the given data segments and a custom
// section after them.
func module(segs ...wasmpack.Segment) []byte {
	m := []byte("\x00asm\x01\x00\x00\x00")
	m = append(m, 1, 4, 1, 0x60, 0, 0) // type section: one func type () -> ()
	var data []byte
	data = binary.AppendUvarint(data, uint64(len(segs)))
	for _, s := range segs {
		data = append(data, 0, 0x41)
		data = wasmpack.AppendSleb(data, int64(s.Addr))
		data = append(data, 0x0b)
		data = binary.AppendUvarint(data, uint64(len(s.Data)))
		data = append(data, s.Data...)
	}
	m = append(m, 11)
	m = binary.AppendUvarint(m, uint64(len(data)))
	m = append(m, data...)
	return append(m, 0, 5, 4, 'n', 'o', 't', 'e') // custom section "note", empty
}

// The signed LEB128 encoding of the offsets that the packer writes (and the tests' builder
// uses), against encodings worked out by hand.
func TestAppendSleb(t *testing.T) {
	for _, tc := range []struct {
		v    int64
		want []byte
	}{
		{0, []byte{0x00}},
		{63, []byte{0x3f}},
		{64, []byte{0xc0, 0x00}},
		{1024, []byte{0x80, 0x08}},
		{624485, []byte{0xe5, 0x8e, 0x26}},
		{-1, []byte{0x7f}},
		{-64, []byte{0x40}},
		{-65, []byte{0xbf, 0x7f}},
	} {
		t.Run(fmt.Sprint(tc.v), func(t *testing.T) {
			if got := wasmpack.AppendSleb(nil, tc.v); !bytes.Equal(got, tc.want) {
				t.Errorf("AppendSleb(%d) = % x, want % x", tc.v, got, tc.want)
			}
		})
	}
}

func seg(addr int, data string) wasmpack.Segment {
	return wasmpack.Segment{Addr: addr, Data: []byte(data)}
}

func TestPackData(t *testing.T) {
	tests := []struct {
		name   string
		segs   []wasmpack.Segment
		maxGap int
		want   []wasmpack.Segment
	}{
		{"no segments", nil, 32, nil},
		{"one", []wasmpack.Segment{seg(100, "abc")}, 32, []wasmpack.Segment{seg(100, "abc")}},
		{"adjacent", []wasmpack.Segment{seg(0, "ab"), seg(2, "cd")}, 0, []wasmpack.Segment{seg(0, "abcd")}},
		{"gap within", []wasmpack.Segment{seg(10, "ab"), seg(20, "cd")}, 8, []wasmpack.Segment{seg(10, "ab\x00\x00\x00\x00\x00\x00\x00\x00cd")}},
		{"gap beyond", []wasmpack.Segment{seg(10, "ab"), seg(21, "cd")}, 8, []wasmpack.Segment{seg(10, "ab"), seg(21, "cd")}},
		{"chain", []wasmpack.Segment{seg(0, "a"), seg(3, "b"), seg(6, "c"), seg(1000, "d"), seg(1001, "e")}, 2,
			[]wasmpack.Segment{seg(0, "a\x00\x00b\x00\x00c"), seg(1000, "de")}},
		{"out of address order", []wasmpack.Segment{seg(100, "c"), seg(0, "a"), seg(4, "b")}, 8,
			[]wasmpack.Segment{seg(0, "a\x00\x00\x00b"), seg(100, "c")}},
		{"multi-byte offsets", []wasmpack.Segment{seg(1<<14, "x"), seg(1<<21, "y")}, 1 << 20,
			[]wasmpack.Segment{seg(1<<14, "x"), seg(1<<21, "y")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := module(tt.segs...)
			orig := bytes.Clone(in)
			out, err := wasmpack.PackData(in, tt.maxGap)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(in, orig) {
				t.Error("PackData modified its input")
			}
			if want := module(tt.want...); !bytes.Equal(out, want) {
				t.Errorf("PackData =\n%x\nwant\n%x", out, want)
			}
			sameMemory(t, in, out)
		})
	}
}

func sameMemory(t *testing.T, a, b []byte) {
	t.Helper()
	ma, err := wasmpack.Memory(a)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := wasmpack.Memory(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ma, mb) {
		t.Errorf("the initial memory differs: %d against %d bytes", len(ma), len(mb))
	}
}

func TestPackDataDataCount(t *testing.T) {
	m := module(seg(0, "a"), seg(4, "b"))
	// Insert a data count section (id 12) saying 2 before the data section.
	i := bytes.IndexByte(m[14:], 11) + 14
	m = append(m[:i:i], append([]byte{12, 1, 2}, m[i:]...)...)
	out, err := wasmpack.PackData(m, 8)
	if err != nil {
		t.Fatal(err)
	}
	if j := bytes.Index(out, []byte{12, 1}); j < 0 || out[j+2] != 1 {
		t.Errorf("data count not rewritten to 1: %x", out)
	}
	sameMemory(t, m, out)
}

func TestPackDataErrors(t *testing.T) {
	valid := module(seg(0, "a"))
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"not wasm", []byte("\x7fELF\x01\x00\x00\x00")},
		{"version 2", []byte("\x00asm\x02\x00\x00\x00")},
		{"section past the end", append(bytes.Clone(valid[:8]), 1, 100, 0)},
		{"passive segment", append(bytes.Clone(valid[:14]), 11, 4, 1, 1, 1, 'x')},
		{"overlapping", module(seg(0, "abcd"), seg(2, "x"))},
		{"negative offset", module(wasmpack.Segment{Addr: -8, Data: []byte("a")})},
		{"trailing bytes", append(bytes.Clone(valid[:14]), 11, 7, 1, 0, 0x41, 0, 0x0b, 0, 9)},
		{"size past the end", append(bytes.Clone(valid[:14]), 11, 6, 1, 0, 0x41, 0, 0x0b, 9)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := wasmpack.PackData(tt.in, 32)
			if !errors.Is(err, wasmpack.ErrFormat) {
				t.Fatalf("PackData error = %v, want ErrFormat", err)
			}
			if out != nil {
				t.Errorf("PackData returned a module with its error")
			}
		})
	}
}

func FuzzPackData(f *testing.F) {
	f.Add(module(seg(0, "a"), seg(9, "b"), seg(100, "c")), 8)
	f.Add(module(), 0)
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x0b\x01\x00"), 32)
	f.Fuzz(func(t *testing.T, in []byte, gap int) {
		gap = max(0, gap%4096)
		out, err := wasmpack.PackData(in, gap)
		if err != nil {
			if !errors.Is(err, wasmpack.ErrFormat) {
				t.Fatalf("error %v is not ErrFormat", err)
			}
			return
		}
		if segs, err := wasmpack.ReadSegments(dataSection(in)); err == nil && len(segs) > 0 {
			if last := segs[len(segs)-1]; last.Addr+len(last.Data) <= 1<<20 {
				sameMemory(t, in, out) // not for far addresses: Memory would allocate up to them
			}
		}
		again, err := wasmpack.PackData(out, gap)
		if err != nil {
			t.Fatalf("PackData of its own output: %v", err)
		}
		if !bytes.Equal(again, out) {
			t.Error("PackData is not idempotent")
		}
	})
}

// dataSection returns the contents of a module's data section, or nil.
func dataSection(m []byte) []byte {
	for at := 8; at < len(m); {
		size, n := binary.Uvarint(m[at+1:])
		if n <= 0 || size > uint64(len(m)-at-1-n) {
			return nil
		}
		start, end := at+1+n, at+1+n+int(size)
		if m[at] == 11 {
			return m[start:end]
		}
		at = end
	}
	return nil
}
