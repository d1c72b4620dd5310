//go:build !wasm && !wireswar

package wire

import (
	"bytes"
	"math/bits"
)

// keepPairs lets dispatch carve an event's new id and small data from the string block at
// once (keepPair): one call instead of two per event.
const keepPairs = true

// sameID reports whether id holds last. The last bytes are compared first: where the ids
// of successive events differ, mostly, which saves a call of the comparison.
func sameID(id []byte, last string) bool {
	return len(id) == len(last) &&
		(len(id) == 0 || id[len(id)-1] == last[len(last)-1] && string(id) == last)
}

// findLineEnd returns the index, relative to pos, of the first CR or LF in p.buf[pos:], or
// -1 if there is none, and whether the bytes before it (all of p.buf[pos:] when there is
// none) are ASCII. Natively bytes.IndexByte's vector search for LF, one search for CR
// that serves every line up to the CR found, and one for the next byte >= 0x80 that
// serves every line up to that byte beat one pass looking for all three at once.
func (p *Parser) findLineEnd(pos int) (int, bool) {
	i := p.indexLineEnd(pos)
	end := len(p.buf)
	if i >= 0 {
		end = pos + i
	}
	return i, p.asciiUntil(pos, end)
}

// plainInput reports whether the input is known to hold no CR and no byte >= 0x80, the
// usual case, where a line ends at the next LF and is ASCII.
func (p *Parser) plainInput() bool {
	return p.cr == 0 && p.crTo >= len(p.buf) && p.hi == 0 && p.hiTo >= len(p.buf)
}

// rebase moves what the scanner knows of the input along with it, when compact moves
// p.buf[p.start:] to the front.
func (p *Parser) rebase() {
	if p.cr > p.start {
		p.cr -= p.start
	} else {
		p.cr, p.crTo = 0, max(p.crTo-p.start, 0)
	}
	if p.hi > p.start {
		p.hi -= p.start
	} else {
		p.hi, p.hiTo = 0, max(p.hiTo-p.start, 0)
	}
}

// indexLineEnd is findLineEnd's search for CR or LF.
func (p *Parser) indexLineEnd(pos int) int {
	buf := p.buf
	if p.cr == 0 && p.crTo >= len(buf) {
		return bytes.IndexByte(buf[pos:], '\n') // no CR in the input
	}
	if cr := p.nextCR(pos); cr >= 0 {
		if lf := bytes.IndexByte(buf[pos:cr], '\n'); lf >= 0 {
			return lf
		}
		return cr - pos
	}
	return bytes.IndexByte(buf[pos:], '\n')
}

// nextCR returns the index in p.buf of the first CR at or after pos, or -1 if there is
// none in the input so far.
func (p *Parser) nextCR(pos int) int {
	if p.cr > pos {
		return p.cr - 1
	}
	from := pos
	if p.cr == 0 {
		from = max(pos, p.crTo)
	}
	if from < len(p.buf) {
		if i := bytes.IndexByte(p.buf[from:], '\r'); i >= 0 {
			p.cr = from + i + 1
			return from + i
		}
	}
	p.cr, p.crTo = 0, len(p.buf)
	return -1
}

// asciiUntil reports whether p.buf[pos:end] holds no byte >= 0x80. With p.hi > 0,
// p.buf[p.hi-1] is the first such byte at or after the current position; with p.hi == 0
// there is none between the current position and p.hiTo. A search goes to the end of the
// input, so each byte is looked at once however the input is split into lines.
func (p *Parser) asciiUntil(pos, end int) bool {
	if p.hi > pos {
		return p.hi-1 >= end
	}
	from := pos
	if p.hi == 0 {
		if p.hiTo >= end {
			return true
		}
		from = max(pos, p.hiTo)
	}
	if i := indexHigh(p.buf[from:]); i >= 0 {
		p.hi = from + i + 1
		return from+i >= end
	}
	p.hi, p.hiTo = 0, len(p.buf)
	return true
}

// indexHigh returns the index of the first byte >= 0x80 in b, or -1: 32 bytes per step
// while there is none, what nearly every event stream is made of.
func indexHigh(b []byte) int {
	n := len(b)
	for len(b) >= 32 && (load64(b, 0)|load64(b, 8)|load64(b, 16)|load64(b, 24))&high == 0 {
		b = b[32:]
	}
	for len(b) >= 8 {
		if w := load64(b, 0) & high; w != 0 {
			return n - len(b) + bits.TrailingZeros64(w)>>3
		}
		b = b[8:]
	}
	for i, c := range b {
		if c >= 0x80 {
			return n - len(b) + i
		}
	}
	return -1
}
