//go:build wasm || wireswar

package wire

import "math/bits"

// findLineEnd returns the index, relative to pos, of the first CR or LF in p.buf[pos:], or
// -1 if there is none, and whether the bytes before it (all of p.buf[pos:] when there is
// none) are ASCII. WebAssembly has no vector search: one pass, 8 bytes at a time, finds
// LF, CR and bytes >= 0x80 together, where separate searches would read the input three
// times (LF, CR, the UTF-8 check of the data). The build tag wireswar selects this scanner
// natively too, so that the fuzz targets can exercise it: go test -tags wireswar -fuzz ...
func (p *Parser) findLineEnd(pos int) (int, bool) {
	const (
		lf = '\n' * ones
		cr = '\r' * ones
	)
	b := p.buf[pos:]
	var hi uint64 // the high bits of every byte looked at
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := load64(b, i)
		x, y := w^lf, w^cr
		// A byte of x or y is zero where w holds LF or CR. (v-ones)&^v&high sets the high
		// bit of each zero byte of v, and possibly of bytes after one: the lowest is exact.
		if m := ((x - ones) &^ x & high) | ((y - ones) &^ y & high); m != 0 {
			n := bits.TrailingZeros64(m) >> 3
			hi |= w & (1<<(8*n) - 1) // the bytes before the line end
			return i + n, hi&high == 0
		}
		hi |= w
	}
	for ; i < len(b); i++ {
		c := b[i]
		if c == '\n' || c == '\r' {
			return i, hi&high == 0
		}
		hi |= uint64(c) // bit 7, in high, for a byte >= 0x80
	}
	return -1, hi&high == 0
}

// rebase has nothing to move: this scanner keeps no state.
func (p *Parser) rebase() {}

// plainInput is false here: findLineEnd's one pass finds LF, CR and bytes >= 0x80 alike.
func (p *Parser) plainInput() bool { return false }
