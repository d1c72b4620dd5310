package wire

import (
	"errors"
	"io"
	"math"
	"unicode/utf8"
	"unsafe"

	"github.com/polysse/sse/internal/clock"
	"github.com/polysse/sse/internal/protocol"
	"github.com/polysse/sse/internal/scan"
)

// DefaultMaxEventSize is the largest event a Parser accepts unless configured otherwise:
// 8 MiB of data, or a single line of that length.
const DefaultMaxEventSize = protocol.DefaultMaxEventSize

// ErrEventTooLarge is returned when an event's data, or a single line, exceeds the
// parser's maximum event size. The parser stops there: the rest of the stream is not read.
// The public package sse exports this same value.
var ErrEventTooLarge = errors.New("sse: event too large")

// A Parser's input buffer starts at readSize bytes and doubles when less than minFree
// bytes are free after the consumed input is dropped: a line left over from one read
// makes the next one smaller instead of making the buffer grow.
const (
	readSize = 32 << 10
	minFree  = readSize / 4
)

// Parser is an incremental event stream parser that follows the event stream
// interpretation rules of the WHATWG HTML Standard ("Server-sent events", section
// "Interpreting an event stream") exactly.
//
// Input is fed as byte chunks of any size (Feed) or read from an io.Reader (Fill, or the
// Reader type); the events found are taken with Next. The result never depends on how the
// input is split. The stream is decoded as UTF-8, with U+FFFD for each maximal invalid
// subsequence as browsers do; one leading byte order mark is removed; CR, LF and CRLF all
// end a line, even when a CR ends one chunk and its LF starts the next.
//
// Each event's ID is the last event ID after that event: it persists across events until
// an id field changes it, and Reset seeds it for a new connection. A Parser allocates
// nothing per event beyond the strings of its data and, when they change, of its ID and
// type. Each of those strings of 256 bytes or less is carved from a 4 KiB block that the
// strings of other events share, one allocation for many events; the block stays in
// memory while any string in it is kept, so a kept small string pins at most 4 KiB. A
// longer string is an allocation of its own.
//
// The zero Parser is ready to use with DefaultMaxEventSize and an empty last event ID.
// A Parser is not safe for concurrent use.
type Parser struct {
	// MaxEventSize bounds an event's data and any single line, in bytes; zero means
	// DefaultMaxEventSize. Exceeding it makes Err return ErrEventTooLarge.
	MaxEventSize int

	// BorrowData, if true, makes Next return events whose Data points into the parser's
	// memory instead of a new string, saving an allocation and a copy per event. Such a
	// Data is valid only until the next call of Next, Reset or End: copy it (for example
	// with strings.Clone) to keep it. ID and Type are always new strings.
	BorrowData bool

	// Comments, if true, makes Next return each comment line too, in stream order, as an
	// Event whose Type is empty, whose Comment is the line's text after the colon (one
	// leading space removed, as from a field value) and whose ID is the last event ID at
	// that point; Data is empty. Off, comment lines are skipped as the specification says
	// and cost nothing more.
	Comments bool

	// MaxIDLen, if positive, bounds the last event ID: an id field whose value is longer
	// than MaxIDLen bytes (as UTF-8, after invalid bytes are replaced) is ignored, as the
	// specification ignores one containing NUL, so the last event ID keeps its previous
	// value. Zero means no bound beyond MaxEventSize, which bounds every line.
	MaxIDLen int

	buf     []byte // input; buf[start:] is not yet consumed
	start   int
	scanned int  // buf[start:start+scanned] is known to hold no CR or LF
	scanHi  bool // and may hold a byte >= 0x80 (findLineEnd did not report it ASCII)
	lineEnd int  // the end in buf of the line that line returned last
	// What the native scanner knows of the input ahead (scan_other.go): the next CR and
	// the next byte >= 0x80, each found by one search that serves every line up to it.
	// With cr > 0, buf[cr-1] is a CR and there is none between the current position and
	// it; with cr == 0 there is none between the current position and crTo. The same for
	// hi and hiTo.
	cr, crTo int
	hi, hiTo int
	begun    bool
	skipLF   bool // the last line ended with a CR as the last byte of input
	err      error

	data []byte // data buffer, each line followed by LF
	// An event's first data line is not copied into data: it stays in buf, at
	// buf[lineFrom:lineTo], until a second data line comes or buf is about to be rewritten
	// (compact). Offsets, not a slice, so that no pointer is written per event.
	lineFrom, lineTo int
	oneLine          bool
	// dataASCII: every data line of the event so far is known to be ASCII (findLineEnd found
	// no byte >= 0x80 in it), so the data needs no UTF-8 check.
	dataASCII bool
	typ       []byte // event type buffer
	id        []byte // last event ID buffer
	lastID    string // last event ID string
	lastType  string // the most recent non-default event type, reused to avoid allocation
	retry     clock.Duration
	hasRetry  bool
	scratch   []byte
	block     []byte // the current block for small strings (keep)
}

// Reset prepares p for a new connection whose last event ID is lastEventID: any unread
// input and incomplete event are dropped, the byte order mark is looked for again, and the
// error is cleared. The retry value and MaxEventSize are kept.
func (p *Parser) Reset(lastEventID string) {
	p.buf = p.buf[:0]
	p.start, p.scanned, p.scanHi = 0, 0, false
	p.cr, p.crTo, p.hi, p.hiTo = 0, 0, 0, 0
	p.begun, p.skipLF = false, false
	p.err = nil
	p.data, p.oneLine = p.data[:0], false
	p.typ = p.typ[:0]
	p.id = append(p.id[:0], lastEventID...)
	p.lastID = lastEventID
}

// LastEventID returns the last event ID string: the id of the last dispatched event or,
// when none was dispatched since Reset, the value given to Reset.
func (p *Parser) LastEventID() string { return p.lastID }

// Retry returns the reconnection time of the most recent valid retry field, and whether
// one was seen since the Parser was created.
func (p *Parser) Retry() (clock.Duration, bool) { return p.retry, p.hasRetry }

// Err returns the error that stopped the parser (ErrEventTooLarge), or nil.
func (p *Parser) Err() error { return p.err }

func (p *Parser) maxSize() int {
	if p.MaxEventSize > 0 {
		return p.MaxEventSize
	}
	return DefaultMaxEventSize
}

// Feed adds a chunk of the stream. The chunk is copied; the caller may reuse it at once.
// Call Next until it reports false before feeding more, or the input accumulates.
func (p *Parser) Feed(chunk []byte) {
	if p.err != nil {
		return
	}
	p.compact()
	p.buf = append(p.buf, chunk...)
}

// Fill reads once from r into p's buffer and returns the number of bytes read and the
// error from r. Use it instead of Feed to avoid a copy. When the buffered incomplete line
// already exceeds the maximum event size, Fill returns ErrEventTooLarge without reading.
func (p *Parser) Fill(r io.Reader) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	p.compact()
	// An incomplete line longer than the limit (plus a BOM not yet removed) will fail when
	// it ends: stop reading now, so that memory stays bounded even without Next calls.
	if len(p.buf) > p.maxSize()+3 && IndexLineEnd(borrow(p.buf)) < 0 {
		p.fail(ErrEventTooLarge)
		return 0, p.err
	}
	if cap(p.buf)-len(p.buf) < minFree {
		grown := make([]byte, len(p.buf), max(2*cap(p.buf), readSize))
		copy(grown, p.buf)
		p.buf = grown
	}
	n, err := r.Read(p.buf[len(p.buf):cap(p.buf)])
	p.buf = p.buf[:len(p.buf)+n]
	return n, err
}

// compact moves the unconsumed input to the front of the buffer. It runs once per input,
// so it is kept out of line rather than copied into Feed and Fill (the wasm binary's size).
//
//go:noinline
func (p *Parser) compact() {
	if p.start == 0 {
		return
	}
	p.keepLine()
	n := copy(p.buf, p.buf[p.start:])
	p.buf = p.buf[:n]
	p.rebase()
	p.start = 0
	if n == 0 && cap(p.buf) > 4*readSize {
		p.buf = nil // drop a buffer grown for one large line
	}
}

// Next returns the next event completed by the input so far, and true; or false when the
// input holds no further complete event (feed more) or the parser stopped (see Err).
// Retry fields are consumed on the way, and so are comments unless Comments is set.
func (p *Parser) Next() (Event, bool) {
	var ev Event
	ok := p.next(&ev)
	return ev, ok
}

// next is Next writing the event into *ev, which must be the zero Event; it stays so when
// next reports false. The event is built in place, where the caller wants it, instead of
// being returned by value through every layer (an Event does not fit in registers).
func (p *Parser) next(ev *Event) bool {
	for p.err == nil {
		if p.scanned == 0 && p.begun && !p.skipLF && p.plainInput() && p.nextPlain(ev) {
			return true
		}
		line, ascii, ok := p.line()
		if !ok {
			return false
		}
		if len(line) == 0 {
			if p.dispatch(ev) {
				return true
			}
			continue
		}
		if p.Comments && line[0] == ':' {
			*ev = p.comment(line)
			return true
		}
		p.field(line, ascii)
	}
	return false
}

// nextPlain is next's loop for input known to hold no CR and no byte >= 0x80 (the usual
// case, natively; under js/wasm plainInput is false and this is not linked): every line
// ends at the next LF and is ASCII, so it is split and dispatched here, without line's
// per-line bookkeeping. It returns true with an event in *ev, or false when no complete
// line is left (having recorded in p.scanned how far it looked, so that no byte is
// searched twice), or a line needs what line does (one longer than the limit), or the
// parser stopped: next then carries on with line, which reports each case.
func (p *Parser) nextPlain(ev *Event) bool {
	buf, limit := p.buf, p.maxSize()
	for start := p.start; ; start = p.start {
		i := 0 // a blank line, told without a search
		if start == len(buf) || buf[start] != '\n' {
			i = scan.IndexByte(buf[start:], '\n')
		}
		if i < 0 {
			p.scanned = len(buf) - start // for line, which checks the limit: not again
			return false
		}
		if i > limit {
			return false
		}
		end := start + i
		line := buf[start:end]
		p.start, p.lineEnd = end+1, end
		if i == 0 {
			if p.dispatch(ev) {
				return true
			}
			continue
		}
		// The usual fields as field tells them apart, repeated here inline: calling field
		// for every line took 6 % more instructions per 64-byte event (cachegrind).
		switch line[0] {
		case ':':
			if p.Comments {
				*ev = p.comment(line)
				return true
			}
			continue
		case 'd':
			if len(line) >= 5 && string(line[:5]) == "data:" {
				p.addData(fieldValue(line[5:]), true)
				if p.err != nil {
					return false
				}
				continue
			}
		case 'i':
			if len(line) >= 3 && string(line[:3]) == "id:" {
				p.setID(fieldValue(line[3:]), true)
				continue
			}
		case 'e':
			if len(line) >= 6 && string(line[:6]) == "event:" {
				p.typ = append(p.typ[:0], fieldValue(line[6:])...)
				continue
			}
		}
		p.field(line, true)
		if p.err != nil {
			return false
		}
	}
}

// comment returns the comment line line as an Event (see Parser.Comments).
func (p *Parser) comment(line []byte) Event {
	text := line[1:]
	if len(text) > 0 && text[0] == ' ' {
		text = text[1:]
	}
	p.scratch = appendValid(p.scratch[:0], text, false) // a borrowed Data in it is stale by now
	return Event{ID: p.lastID, Comment: string(p.scratch)}
}

// End marks the end of the stream: any incomplete line or event is discarded, id
// included, as the specification requires. The last event ID is kept.
func (p *Parser) End() {
	p.buf = p.buf[:0]
	p.start, p.scanned, p.scanHi = 0, 0, false
	p.cr, p.crTo, p.hi, p.hiTo = 0, 0, 0, 0
	p.skipLF = false
	p.data, p.oneLine = p.data[:0], false
	p.typ = p.typ[:0]
	p.id = append(p.id[:0], p.lastID...)
}

// line returns the next complete line, without its line end, and whether it is known to
// be ASCII (false: it may or may not be).
func (p *Parser) line() (line []byte, ascii, ok bool) {
	if (!p.begun || p.skipLF) && !p.lineStart() {
		return nil, false, false
	}
	buf, start := p.buf, p.start
	var i int           // the line end, relative to start+scanned
	if p.plainInput() { // no CR and no byte >= 0x80 in the input
		i, ascii = scan.IndexByte(buf[start+p.scanned:], '\n'), true
	} else {
		i, ascii = p.findLineEnd(start + p.scanned)
	}
	if i < 0 {
		p.scanned = len(buf) - start
		p.scanHi = p.scanHi || !ascii
		if p.scanned > p.maxSize() {
			p.fail(ErrEventTooLarge)
		}
		return nil, false, false
	}
	end := start + p.scanned + i
	if end-start > p.maxSize() {
		p.fail(ErrEventTooLarge)
		return nil, false, false
	}
	ascii = ascii && !p.scanHi
	p.scanned, p.scanHi, p.lineEnd = 0, false, end
	p.start = end + 1
	if buf[end] == '\r' {
		if end+1 == len(buf) {
			p.skipLF = true
		} else if buf[end+1] == '\n' {
			p.start++
		}
	}
	return buf[start:end], ascii, true
}

// lineStart removes the stream's byte order mark before its first line and the LF of a
// CRLF split between two inputs; it reports false when it needs more input.
func (p *Parser) lineStart() bool {
	if !p.begun {
		rest := p.buf[p.start:]
		const bom = "\xEF\xBB\xBF"
		if len(rest) < len(bom) && string(rest) == bom[:len(rest)] {
			return false // wait: this may still be a BOM
		}
		if len(rest) >= len(bom) && string(rest[:len(bom)]) == bom {
			p.start += len(bom)
		}
		p.begun = true
	}
	if p.skipLF {
		if p.start == len(p.buf) {
			return false
		}
		if p.buf[p.start] == '\n' {
			p.start++
		}
		p.skipLF = false
	}
	return true
}

// IndexLineEnd returns the index of the first CR or LF in s, or -1. It is the one
// line-end scanner of the module: the parser splits its input with it and the encoder of
// the public package splits multi-line values with it. A []byte is scanned without a copy
// by viewing it as a string (the scanner keeps no reference to it).
func IndexLineEnd(s string) int {
	lf := scan.IndexByteString(s, '\n')
	if lf < 0 {
		return scan.IndexByteString(s, '\r')
	}
	if cr := scan.IndexByteString(s[:lf], '\r'); cr >= 0 {
		return cr
	}
	return lf
}

func (p *Parser) fail(err error) {
	p.err = err
	p.buf, p.data, p.scratch = nil, nil, nil
	p.oneLine = false
	p.start, p.scanned, p.scanHi = 0, 0, false
	p.cr, p.crTo, p.hi, p.hiTo = 0, 0, 0, 0
}

// field processes one non-empty line; ascii reports that the line is known to be ASCII.
func (p *Parser) field(line []byte, ascii bool) {
	// The usual lines, "data: ...", "id: ..." and "event: ...", are told by their first
	// bytes; anything else is split at its first colon.
	switch line[0] {
	case ':':
		return // comment
	case 'd':
		if len(line) >= 5 && string(line[:5]) == "data:" {
			p.addData(fieldValue(line[5:]), ascii)
			return
		}
	case 'i':
		if len(line) >= 3 && string(line[:3]) == "id:" {
			p.setID(fieldValue(line[3:]), ascii)
			return
		}
	case 'e':
		if len(line) >= 6 && string(line[:6]) == "event:" {
			p.typ = appendValid(p.typ[:0], fieldValue(line[6:]), ascii)
			return
		}
	}
	name, value := line, []byte(nil)
	if i := scan.IndexByte(line, ':'); i >= 0 {
		name, value = line[:i], fieldValue(line[i+1:])
	}
	// Field names are compared as bytes: a name with invalid UTF-8 decodes to U+FFFD and
	// matches none of these, exactly as its raw bytes do not.
	switch string(name) {
	case "data":
		p.addData(value, ascii)
	case "event":
		p.typ = appendValid(p.typ[:0], value, ascii)
	case "id":
		p.setID(value, ascii)
	case "retry":
		if ms, ok := parseRetry(value); ok {
			p.retry, p.hasRetry = ms, true
		}
	}
}

// fieldValue returns a field's value: what follows the colon, without one leading space.
func fieldValue(v []byte) []byte {
	if len(v) > 0 && v[0] == ' ' {
		return v[1:]
	}
	return v
}

// addData adds a data line to the event's data. value is the end of the line that line
// returned last, so it ends at p.lineEnd in buf.
func (p *Parser) addData(value []byte, ascii bool) {
	if !p.oneLine && len(p.data) == 0 {
		// A line is never longer than the maximum.
		p.lineFrom, p.lineTo, p.oneLine = p.lineEnd-len(value), p.lineEnd, true
		p.dataASCII = ascii
		return
	}
	p.keepLine()
	if len(p.data)+len(value) > p.maxSize() { // the final LF is not part of the data
		p.fail(ErrEventTooLarge)
		return
	}
	p.dataASCII = p.dataASCII && ascii
	p.data = append(p.data, value...)
	p.data = append(p.data, '\n')
}

// keepLine copies the event's first data line into the data buffer.
func (p *Parser) keepLine() {
	if p.oneLine {
		p.data = append(p.data, p.buf[p.lineFrom:p.lineTo]...)
		p.data = append(p.data, '\n')
		p.oneLine = false
	}
}

// setID processes an id field: the value becomes the last event ID buffer unless it
// contains NUL or is longer than MaxIDLen, in which case the field is ignored. ascii
// reports that value is known to be ASCII.
func (p *Parser) setID(value []byte, ascii bool) {
	if scan.IndexByte(value, 0) >= 0 || p.MaxIDLen > 0 && len(value) > p.MaxIDLen {
		return // replacing invalid bytes never makes a value shorter
	}
	// An ASCII value, whose length was checked, replaces the buffer's. Another one is
	// appended after it, which stays if invalid bytes made the value too long, and is then
	// moved to the front.
	n := len(p.id)
	if ascii {
		n = 0
	}
	p.id = appendValid(p.id[:n], value, ascii)
	if p.MaxIDLen > 0 && len(p.id)-n > p.MaxIDLen {
		p.id = p.id[:n]
		return
	}
	if n > 0 {
		p.id = p.id[:copy(p.id, p.id[n:])]
	}
}

// parseRetry interprets a retry value: only ASCII digits, base ten, in milliseconds. A value
// too large for a uint64 is ignored, as in browsers; a smaller one is capped to the largest
// clock.Duration.
func parseRetry(v []byte) (clock.Duration, bool) {
	if len(v) == 0 {
		return 0, false
	}
	var ms uint64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if ms > (math.MaxUint64-d)/10 {
			return 0, false
		}
		ms = ms*10 + d
	}
	if ms > uint64(math.MaxInt64/int64(clock.Millisecond)) {
		return clock.Duration(math.MaxInt64), true
	}
	return clock.Duration(ms) * clock.Millisecond, true
}

// dispatch runs the specification's dispatch steps at a blank line; an event is written
// into *ev (the zero Event) and reported with true.
func (p *Parser) dispatch(ev *Event) bool {
	idChanged := !sameID(p.id, p.lastID)
	if len(p.data) == 0 && !p.oneLine {
		if idChanged {
			p.lastID = string(p.id)
		}
		p.typ = p.typ[:0]
		return false
	}
	var data []byte
	if p.oneLine {
		data = p.buf[p.lineFrom:p.lineTo]
	} else {
		data = p.data[:len(p.data)-1]
	}
	if !p.dataASCII && !validUTF8(data) {
		p.scratch = appendUTF8(p.scratch[:0], data)
		data = p.scratch
	}
	// Each string is written into *ev once: while the collector runs, every pointer
	// written through ev costs a write barrier.
	typ := "message"
	if len(p.typ) > 0 {
		if string(p.typ) != p.lastType {
			p.lastType = p.keep(p.typ)
		}
		typ = p.lastType
	}
	text := borrow(data)
	if keepPairs && idChanged && !p.BorrowData && len(p.id)+len(data) <= smallString {
		both := p.keepPair(p.id, data) // a new id and small data: one carve for both
		p.lastID, text = both[:len(p.id)], both[len(p.id):]
	} else {
		if idChanged {
			p.lastID = p.keep(p.id)
		}
		if !p.BorrowData {
			text = p.keep(data)
		}
	}
	ev.ID, ev.Type, ev.Data = p.lastID, typ, text
	p.typ = p.typ[:0]
	p.data = p.data[:0]
	p.oneLine = false
	return true
}

// Strings of up to smallString bytes are carved from blocks of stringBlock bytes, one
// allocation per block instead of one per event.
const (
	stringBlock = 4 << 10
	smallString = 256
)

// keep returns a string holding a copy of b. A small one is carved from the current block,
// which the parser writes once and never again, so the strings of many events share it; a
// larger one is a string of its own, which string() allocates without clearing it first.
// Not inlined: dispatch calls it up to three times, and the wasm binary's size counts.
//
//go:noinline
func (p *Parser) keep(b []byte) string {
	n := len(b)
	if n == 0 {
		return ""
	}
	if n > smallString {
		return string(b)
	}
	if len(p.block)+n > cap(p.block) {
		p.block = make([]byte, 0, stringBlock)
	}
	i := len(p.block)
	p.block = p.block[:i+n]
	copy(p.block[i:], b)
	return unsafe.String(&p.block[i], n)
}

// keepPair returns a string holding a copy of a followed by b, carved from the current
// block as keep does (len(a)+len(b) <= smallString): an event's new id and its data are
// copied into the block at once, and split by the caller.
//
//go:noinline
func (p *Parser) keepPair(a, b []byte) string {
	n := len(a) + len(b)
	if n == 0 {
		return ""
	}
	if len(p.block)+n > cap(p.block) {
		p.block = make([]byte, 0, stringBlock)
	}
	i := len(p.block)
	blk := p.block[:i+n]
	p.block = blk
	copy(blk[i+copy(blk[i:], a):], b)
	return unsafe.String(&blk[i], n)
}

// borrow returns a string that shares b's memory (see Parser.BorrowData); the line-end
// scanner uses it to look at the buffer without a copy.
func borrow(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// Masks for looking at 8 bytes at a time: the low and the high bit of each byte.
const (
	ones = 0x0101010101010101
	high = 0x8080808080808080
)

// validUTF8 reports whether b is valid UTF-8, checking first, 8 bytes at a time, whether
// it is ASCII (what most event streams carry), which costs a fraction of utf8.Valid.
func validUTF8(b []byte) bool {
	if len(b) < 8 {
		for i := range b {
			if b[i] >= utf8.RuneSelf {
				return utf8.Valid(b[i:])
			}
		}
		return true
	}
	for i := 0; i+8 <= len(b); i += 8 {
		if load64(b, i)&high != 0 {
			return utf8.Valid(b[i:])
		}
	}
	// The last 8 bytes, overlapping what the loop looked at.
	return load64(b, len(b)-8)&high == 0 || utf8.Valid(b[len(b)-8:])
}

// appendValid appends src to dst, replacing invalid UTF-8 (see appendUTF8); ascii
// reports that src is known to be ASCII.
func appendValid(dst, src []byte, ascii bool) []byte {
	if ascii || validUTF8(src) {
		return append(dst, src...)
	}
	return appendUTF8(dst, src)
}

// appendUTF8 appends src to dst, replacing each maximal subpart of an invalid UTF-8
// sequence with U+FFFD, as the WHATWG Encoding Standard's UTF-8 decoder does.
func appendUTF8(dst, src []byte) []byte {
	const replacement = "\uFFFD"
	for i := 0; i < len(src); {
		c := src[i]
		if c < utf8.RuneSelf {
			dst = append(dst, c)
			i++
			continue
		}
		var need int
		lo, hi := byte(0x80), byte(0xBF)
		switch {
		case c >= 0xC2 && c <= 0xDF:
			need = 1
		case c >= 0xE0 && c <= 0xEF:
			need = 2
			if c == 0xE0 {
				lo = 0xA0
			} else if c == 0xED {
				hi = 0x9F
			}
		case c >= 0xF0 && c <= 0xF4:
			need = 3
			if c == 0xF0 {
				lo = 0x90
			} else if c == 0xF4 {
				hi = 0x8F
			}
		default:
			dst = append(dst, replacement...)
			i++
			continue
		}
		j := i + 1
		for seen := 0; seen < need; seen++ {
			if j >= len(src) || src[j] < lo || src[j] > hi {
				break
			}
			lo, hi = 0x80, 0xBF
			j++
		}
		if j-i == need+1 {
			dst = append(dst, src[i:j]...)
		} else {
			dst = append(dst, replacement...) // the byte at j is looked at again
		}
		i = j
	}
	return dst
}

// Reader reads events from an io.Reader.
//
// A Reader is not safe for concurrent use.
type Reader struct {
	p   Parser
	r   io.Reader
	err error
}

// NewReader returns a Reader of r that accepts events up to maxEventSize bytes (zero
// means DefaultMaxEventSize) and starts with the given last event ID.
func NewReader(r io.Reader, maxEventSize int, lastEventID string) *Reader {
	rd := &Reader{r: r}
	rd.p.MaxEventSize = maxEventSize
	rd.p.Reset(lastEventID)
	return rd
}

// Next returns the next event. At the end of the stream it returns io.EOF, having
// discarded any incomplete event; ErrEventTooLarge when an event exceeds the limit; or the
// underlying reader's error.
func (rd *Reader) Next() (Event, error) {
	var ev Event
	err := rd.NextInto(&ev)
	return ev, err
}

// NextInto is Next writing the event into *ev, which must be the zero Event; it stays so
// when NextInto returns an error. A caller that returns the event on by value should use
// it: an Event returned in registers and then copied as a whole is written in halves and
// read in 16-byte pieces, which the processor cannot forward from its store buffer (a
// stall of about 10 ns per event, measured natively).
func (rd *Reader) NextInto(ev *Event) error {
	empty := 0
	for {
		if rd.p.next(ev) {
			return nil
		}
		if perr := rd.p.Err(); perr != nil {
			return perr
		}
		if rd.err != nil {
			if rd.err == io.EOF {
				rd.p.End()
			}
			return rd.err
		}
		var n int
		n, rd.err = rd.p.Fill(rd.r)
		if n == 0 && rd.err == nil {
			if empty++; empty >= 100 {
				rd.err = io.ErrNoProgress
			}
		} else {
			empty = 0
		}
	}
}

// LastEventID returns the last event ID string (see Parser.LastEventID).
func (rd *Reader) LastEventID() string { return rd.p.LastEventID() }

// Retry returns the most recent retry value (see Parser.Retry).
func (rd *Reader) Retry() (clock.Duration, bool) { return rd.p.Retry() }
