//go:build wasm || wireswar

package wire

import "math/bits"

// keepPairs is false here: the browser client borrows the data of events (BorrowData), so
// dispatch never needs keepPair, which is left out of the module.
const keepPairs = false

// sameID reports whether id holds last (a plain comparison here: the module's size).
func sameID(id []byte, last string) bool { return string(id) == last }

// below has 14 in every byte: LF (0x0A) and CR (0x0D) are below 14.
const below = 14 * ones

// findLineEnd returns the index, relative to pos, of the first CR or LF in p.buf[pos:], or
// -1 if there is none, and whether the bytes before it (all of p.buf[pos:] when there is
// none) are ASCII. WebAssembly has no vector search: one pass, 8 bytes at a time, finds
// LF, CR and bytes >= 0x80 together, where separate searches would read the input three
// times (LF, CR, the UTF-8 check of the data). The build tag wireswar selects this scanner
// natively too, so that the fuzz targets can exercise it: go test -tags wireswar -fuzz ...
//
// The loop stops at the first byte below 14 or, until one is found, >= 0x80 (one test per
// word, see stops); a stop that is not a line end (another control byte, or the first
// byte >= 0x80) is stepped over.
func (p *Parser) findLineEnd(pos int) (int, bool) {
	b := p.buf[pos:]
	hi := uint64(high) // high while no byte >= 0x80 was seen, then 0
	i := 0
	for {
		// 16 bytes per step while they hold no stop: most of a stream.
		for ; i+16 <= len(b); i += 16 {
			if w0, w1 := load128(b, i); stops(w0, hi)|stops(w1, hi) != 0 {
				break
			}
		}
		if i+8 > len(b) {
			break
		}
		m := stops(load64(b, i), hi)
		if m == 0 {
			i += 8
			continue
		}
		i += bits.TrailingZeros64(m) >> 3
		if c := b[i]; c == '\n' || c == '\r' {
			return i, hi != 0
		} else if c >= 0x80 {
			hi = 0
		}
		i++
	}
	for ; i < len(b); i++ {
		if c := b[i]; c == '\n' || c == '\r' {
			return i, hi != 0
		} else if c >= 0x80 {
			hi = 0
		}
	}
	return -1, hi != 0
}

// stops returns the high bit of each byte of w that is below 14 or, if hi is high, >= 0x80
// (hi is high or 0), and possibly of bytes after such a byte: the lowest is exact. w-below
// sets the high bit of a byte below 14 (it borrows), of a byte >= 0x8E, and of bytes after
// one that borrowed; |w adds every byte >= 0x80, and &^(w&^hi) removes them when hi is 0.
func stops(w, hi uint64) uint64 {
	return ((w - below) | w) &^ (w &^ hi) & high
}

// rebase has nothing to move: this scanner keeps no state.
func (p *Parser) rebase() {}

// plainInput is false here: findLineEnd's one pass finds LF, CR and bytes >= 0x80 alike.
func (p *Parser) plainInput() bool { return false }
