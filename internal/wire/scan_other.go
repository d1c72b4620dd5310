//go:build !wasm && !wireswar

package wire

import "bytes"

// findLineEnd returns the index, relative to pos, of the first CR or LF in p.buf[pos:], or
// -1 if there is none, and whether the bytes before it are known to be ASCII: never here,
// where bytes.IndexByte's vector search for LF (and one search for CR that serves every
// line up to the CR found) beats one pass that would look for all three at once.
func (p *Parser) findLineEnd(pos int) (int, bool) {
	buf := p.buf
	if p.cr == 0 && p.crTo >= len(buf) {
		return bytes.IndexByte(buf[pos:], '\n'), false // no CR in the input
	}
	if cr := p.nextCR(pos); cr >= 0 {
		if lf := bytes.IndexByte(buf[pos:cr], '\n'); lf >= 0 {
			return lf, false
		}
		return cr - pos, false
	}
	return bytes.IndexByte(buf[pos:], '\n'), false
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
