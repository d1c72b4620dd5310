// Package wasmpack rewrites the data section of a WebAssembly module the Go linker wrote so
// that it compresses well, without changing what the module does.
//
// The Go linker leaves out every run of eight or more zero bytes of the initial memory and
// starts a new data segment after it. That keeps the raw module small, but polysse.wasm
// comes out with about 27,000 segments, most of them a few bytes apart, whose headers (an
// offset and a length each, bytes that differ every time) compress badly. PackData joins
// segments at most a gap of zero bytes apart and writes the zeros out: linear memory
// starts zeroed, so the memory the module starts with is the same byte for byte. For
// polysse.wasm with a gap of [DefaultMaxGap] bytes: 27,576 segments become 27, the raw
// module grows by 13 % (2,269,825 -> 2,563,620 bytes) and the compressed one shrinks by
// 7 % (gzip -9 661,338 -> 614,394 bytes; brotli -q 11 508,490 -> 476,371).
package wasmpack

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// DefaultMaxGap is the gap, in zero bytes, up to which PackData joins two segments: the
// smallest gzip -9 output of polysse.wasm among the gaps measured (bytes: 0 661,327;
// 8 662,022; 12 660,527; 16 657,698; 24 614,669; 32 614,394; 64 614,846; unbounded
// 614,824). Most of the zero runs the linker leaves out are 17 to 24 bytes long.
const DefaultMaxGap = 32

// ErrFormat reports a module PackData cannot rewrite: not a WebAssembly module, or one with
// data segments of a kind the Go linker does not write (passive, a non-constant offset,
// overlapping).
var ErrFormat = errors.New("wasmpack: unsupported module")

// Segment is an active data segment: Data is copied to address Addr of linear memory 0 when
// the module is instantiated.
type Segment struct {
	Addr int
	Data []byte
}

// PackData returns module with the segments of its data section joined where at most
// maxGap zero bytes lie between them; the other sections are written out as they were. It returns
// an error wrapping ErrFormat, and no module, for input it cannot rewrite safely. A module
// without a data section is returned as it is. module is not modified.
func PackData(module []byte, maxGap int) ([]byte, error) {
	secs, err := sections(module)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(module))
	out = append(out, module[:8]...)
	for _, s := range secs {
		body := module[s.start:s.end]
		switch s.id {
		case 11: // data
			segs, err := ReadSegments(body)
			if err != nil {
				return nil, err
			}
			if segs, err = join(segs, maxGap); err != nil {
				return nil, err
			}
			body = appendSegments(nil, segs)
		case 12: // data count: must agree with the data section
			segs, err := dataSegments(module, secs)
			if err == nil {
				segs, err = join(segs, maxGap)
			}
			if err != nil {
				return nil, err
			}
			body = binary.AppendUvarint(nil, uint64(len(segs)))
		}
		out = append(out, s.id)
		out = binary.AppendUvarint(out, uint64(len(body)))
		out = append(out, body...)
	}
	return out, nil
}

// Memory returns the initial contents of linear memory that module's data section
// describes, up to the end of its last segment.
func Memory(module []byte) ([]byte, error) {
	secs, err := sections(module)
	if err != nil {
		return nil, err
	}
	segs, err := dataSegments(module, secs)
	if err != nil {
		return nil, err
	}
	var mem []byte
	for _, s := range segs {
		if end := s.Addr + len(s.Data); end > len(mem) {
			mem = append(mem, make([]byte, end-len(mem))...)
		}
		copy(mem[s.Addr:], s.Data)
	}
	return mem, nil
}

type section struct {
	id         byte
	start, end int // the section's contents
}

func sections(module []byte) ([]section, error) {
	if len(module) < 8 || string(module[:4]) != "\x00asm" || binary.LittleEndian.Uint32(module[4:]) != 1 {
		return nil, fmt.Errorf("%w: not a WebAssembly module (version 1)", ErrFormat)
	}
	var secs []section
	for at := 8; at < len(module); {
		id := module[at]
		size, n := binary.Uvarint(module[at+1:])
		if n <= 0 || size > uint64(len(module)-at-1-n) {
			return nil, fmt.Errorf("%w: section %d at offset %d has a bad size", ErrFormat, id, at)
		}
		start := at + 1 + n
		secs = append(secs, section{id: id, start: start, end: start + int(size)})
		at = start + int(size)
	}
	return secs, nil
}

func dataSegments(module []byte, secs []section) ([]Segment, error) {
	for _, s := range secs {
		if s.id == 11 {
			return ReadSegments(module[s.start:s.end])
		}
	}
	return nil, nil
}

// ReadSegments decodes the contents of a data section, in the order of the section. It
// accepts only active segments of memory 0 with an i32.const offset, as the Go linker
// writes them.
func ReadSegments(sec []byte) ([]Segment, error) {
	bad := func(what string, i uint64) error {
		return fmt.Errorf("%w: data segment %d: %s", ErrFormat, i, what)
	}
	count, at := binary.Uvarint(sec)
	if at <= 0 || count > uint64(len(sec)) {
		return nil, fmt.Errorf("%w: bad data segment count", ErrFormat)
	}
	segs := make([]Segment, 0, count)
	for i := range count {
		if at+2 > len(sec) || sec[at] != 0 || sec[at+1] != 0x41 {
			return nil, bad("not an active segment of memory 0 with an i32.const offset", i)
		}
		addr, n := sleb32(sec[at+2:])
		at += 2 + n
		if n <= 0 || addr < 0 || at >= len(sec) || sec[at] != 0x0b {
			return nil, bad("bad offset", i)
		}
		size, n := binary.Uvarint(sec[at+1:])
		at += 1 + n
		if n <= 0 || size > uint64(len(sec)-at) {
			return nil, bad("bad size", i)
		}
		segs = append(segs, Segment{Addr: int(addr), Data: sec[at : at+int(size)]})
		at += int(size)
	}
	if at != len(sec) {
		return nil, fmt.Errorf("%w: %d bytes after the last data segment", ErrFormat, len(sec)-at)
	}
	return segs, nil
}

// sleb32 decodes a signed LEB128 number of at most 32 bits; n <= 0 means a bad encoding.
func sleb32(b []byte) (v int64, n int) {
	for shift := 0; n < len(b) && n < 5; shift += 7 {
		c := b[n]
		n++
		v |= int64(c&0x7f) << shift
		if c < 0x80 {
			if c&0x40 != 0 {
				v -= 1 << (shift + 7)
			}
			if v < -1<<31 || v >= 1<<31 {
				return 0, 0
			}
			return v, n
		}
	}
	return 0, 0
}

// join sorts the segments by address (the Go linker writes its sections' segments in
// section order, which is not always address order) and merges neighbours at most maxGap
// bytes apart. Overlapping segments, whose bytes would depend on the order they are
// applied in, are an error.
func join(segs []Segment, maxGap int) ([]Segment, error) {
	segs = slices.Clone(segs)
	slices.SortStableFunc(segs, func(a, b Segment) int { return cmp.Compare(a.Addr, b.Addr) })
	var out []Segment
	for i, s := range segs {
		if i > 0 && s.Addr < segs[i-1].Addr+len(segs[i-1].Data) {
			return nil, fmt.Errorf("%w: data segments overlap at address %d", ErrFormat, s.Addr)
		}
		if k := len(out) - 1; k >= 0 && s.Addr-(out[k].Addr+len(out[k].Data)) <= maxGap {
			last := &out[k]
			gap := s.Addr - (last.Addr + len(last.Data))
			last.Data = append(append(last.Data, make([]byte, gap)...), s.Data...)
			continue
		}
		out = append(out, Segment{Addr: s.Addr, Data: append([]byte(nil), s.Data...)})
	}
	return out, nil
}

func appendSegments(dst []byte, segs []Segment) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(segs)))
	for _, s := range segs {
		dst = append(dst, 0, 0x41)
		dst = appendSleb(dst, int64(s.Addr))
		dst = append(dst, 0x0b)
		dst = binary.AppendUvarint(dst, uint64(len(s.Data)))
		dst = append(dst, s.Data...)
	}
	return dst
}

func appendSleb(dst []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 && c&0x40 == 0 || v == -1 && c&0x40 != 0 {
			return append(dst, c)
		}
		dst = append(dst, c|0x80)
	}
}
