package wire

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/polysse/sse/internal/clock"
	"github.com/polysse/sse/internal/protocol"
)

// DefaultMaxEventSize is the largest event a Parser accepts unless configured otherwise:
// 8 MiB of data, or a single line of that length.
const DefaultMaxEventSize = protocol.DefaultMaxEventSize

// ErrEventTooLarge is returned when an event's data, or a single line, exceeds the
// parser's maximum event size. The parser stops there: the rest of the stream is not read.
// The public package sse exports this same value.
var ErrEventTooLarge = errors.New("sse: event too large")

// minReadSize is the smallest free space a Parser offers a Read call.
const minReadSize = 32 << 10

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
// nothing per event beyond one string for the event's data (and its ID, when the ID
// changes).
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
	scanned int // buf[start:start+scanned] is known to hold no CR or LF
	// The next CR, found by one search of the input that serves every line up to it
	// (streams with LF line ends have none: one search per read instead of one per line).
	// With cr > 0, buf[cr-1] is a CR and there is none between the current position and
	// it; with cr == 0 there is none between the current position and crTo.
	cr, crTo int
	begun    bool
	skipLF   bool // the last line ended with a CR as the last byte of input
	err      error

	data []byte // data buffer, each line followed by LF
	// An event's first data line is not copied into data: line refers to it in buf, until
	// a second data line comes or buf is about to be rewritten (compact).
	dataLine []byte
	oneLine  bool
	typ      []byte // event type buffer
	id       []byte // last event ID buffer
	lastID   string // last event ID string
	lastType string // the most recent non-default event type, reused to avoid allocation
	retry    clock.Duration
	hasRetry bool
	scratch  []byte
	block    []byte // what is left of the current block for small strings (stringSpace)
}

// Reset prepares p for a new connection whose last event ID is lastEventID: any unread
// input and incomplete event are dropped, the byte order mark is looked for again, and the
// error is cleared. The retry value and MaxEventSize are kept.
func (p *Parser) Reset(lastEventID string) {
	p.buf = p.buf[:0]
	p.start, p.scanned = 0, 0
	p.cr, p.crTo = 0, 0
	p.begun, p.skipLF = false, false
	p.err = nil
	p.data, p.dataLine, p.oneLine = p.data[:0], nil, false
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
	if cap(p.buf)-len(p.buf) < minReadSize {
		grown := make([]byte, len(p.buf), max(2*cap(p.buf), len(p.buf)+minReadSize))
		copy(grown, p.buf)
		p.buf = grown
	}
	n, err := r.Read(p.buf[len(p.buf):cap(p.buf)])
	p.buf = p.buf[:len(p.buf)+n]
	return n, err
}

// compact moves the unconsumed input to the front of the buffer.
func (p *Parser) compact() {
	if p.start == 0 {
		return
	}
	p.keepLine()
	n := copy(p.buf, p.buf[p.start:])
	p.buf = p.buf[:n]
	if p.cr > p.start {
		p.cr -= p.start
	} else {
		p.cr, p.crTo = 0, max(p.crTo-p.start, 0)
	}
	p.start = 0
	if n == 0 && cap(p.buf) > 4*minReadSize {
		p.buf = nil // drop a buffer grown for one large line
	}
}

// Next returns the next event completed by the input so far, and true; or false when the
// input holds no further complete event (feed more) or the parser stopped (see Err).
// Retry fields are consumed on the way, and so are comments unless Comments is set.
func (p *Parser) Next() (Event, bool) {
	for p.err == nil {
		line, ok := p.line()
		if !ok {
			return Event{}, false
		}
		if len(line) == 0 {
			if ev, ok := p.dispatch(); ok {
				return ev, true
			}
			continue
		}
		if p.Comments && line[0] == ':' {
			return p.comment(line), true
		}
		p.field(line)
	}
	return Event{}, false
}

// comment returns the comment line line as an Event (see Parser.Comments).
func (p *Parser) comment(line []byte) Event {
	text := line[1:]
	if len(text) > 0 && text[0] == ' ' {
		text = text[1:]
	}
	p.scratch = appendValid(p.scratch[:0], text) // a borrowed Data in it is stale by now
	return Event{ID: p.lastID, Comment: string(p.scratch)}
}

// End marks the end of the stream: any incomplete line or event is discarded, id
// included, as the specification requires. The last event ID is kept.
func (p *Parser) End() {
	p.buf = p.buf[:0]
	p.start, p.scanned = 0, 0
	p.cr, p.crTo = 0, 0
	p.skipLF = false
	p.data, p.dataLine, p.oneLine = p.data[:0], nil, false
	p.typ = p.typ[:0]
	p.id = append(p.id[:0], p.lastID...)
}

// line returns the next complete line, without its line end.
func (p *Parser) line() ([]byte, bool) {
	if (!p.begun || p.skipLF) && !p.lineStart() {
		return nil, false
	}
	buf, start := p.buf, p.start
	pos := start + p.scanned
	var i int // the line end, relative to pos
	if p.cr == 0 && p.crTo >= len(buf) {
		i = bytes.IndexByte(buf[pos:], '\n') // no CR in the input
	} else if cr := p.nextCR(pos); cr >= 0 {
		i = cr - pos
		if lf := bytes.IndexByte(buf[pos:cr], '\n'); lf >= 0 {
			i = lf
		}
	} else {
		i = bytes.IndexByte(buf[pos:], '\n')
	}
	if i < 0 {
		p.scanned = len(buf) - start
		if p.scanned > p.maxSize() {
			p.fail(ErrEventTooLarge)
		}
		return nil, false
	}
	end := pos + i
	if end-start > p.maxSize() {
		p.fail(ErrEventTooLarge)
		return nil, false
	}
	p.scanned = 0
	p.start = end + 1
	if buf[end] == '\r' {
		if end+1 == len(buf) {
			p.skipLF = true
		} else if buf[end+1] == '\n' {
			p.start++
		}
	}
	return buf[start:end], true
}

// lineStart removes the stream's byte order mark before its first line and the LF of a
// CRLF split between two inputs; it reports false when it needs more input.
func (p *Parser) lineStart() bool {
	if !p.begun {
		rest := p.buf[p.start:]
		const bom = "\xEF\xBB\xBF"
		if len(rest) < len(bom) && bytes.HasPrefix([]byte(bom), rest) {
			return false // wait: this may still be a BOM
		}
		if bytes.HasPrefix(rest, []byte(bom)) {
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

// IndexLineEnd returns the index of the first CR or LF in s, or -1. It is the one
// line-end scanner of the module: the parser splits its input with it and the encoder of
// the public package splits multi-line values with it. A []byte is scanned without a copy
// by viewing it as a string (the scanner keeps no reference to it).
func IndexLineEnd(s string) int {
	lf := strings.IndexByte(s, '\n')
	if lf < 0 {
		return strings.IndexByte(s, '\r')
	}
	if cr := strings.IndexByte(s[:lf], '\r'); cr >= 0 {
		return cr
	}
	return lf
}

func (p *Parser) fail(err error) {
	p.err = err
	p.buf, p.data, p.scratch = nil, nil, nil
	p.dataLine, p.oneLine = nil, false
	p.start, p.scanned = 0, 0
	p.cr, p.crTo = 0, 0
}

// field processes one non-empty line.
func (p *Parser) field(line []byte) {
	// The usual lines, "data: ...", "id: ..." and "event: ...", are told by their first
	// bytes; anything else is split at its first colon.
	switch line[0] {
	case ':':
		return // comment
	case 'd':
		if len(line) >= 5 && string(line[:5]) == "data:" {
			p.addData(fieldValue(line[5:]))
			return
		}
	case 'i':
		if len(line) >= 3 && string(line[:3]) == "id:" {
			p.setID(fieldValue(line[3:]))
			return
		}
	case 'e':
		if len(line) >= 6 && string(line[:6]) == "event:" {
			p.typ = appendValid(p.typ[:0], fieldValue(line[6:]))
			return
		}
	}
	name, value := line, []byte(nil)
	if i := bytes.IndexByte(line, ':'); i >= 0 {
		name, value = line[:i], fieldValue(line[i+1:])
	}
	// Field names are compared as bytes: a name with invalid UTF-8 decodes to U+FFFD and
	// matches none of these, exactly as its raw bytes do not.
	switch string(name) {
	case "data":
		p.addData(value)
	case "event":
		p.typ = appendValid(p.typ[:0], value)
	case "id":
		p.setID(value)
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

// addData adds a data line to the event's data.
func (p *Parser) addData(value []byte) {
	if !p.oneLine && len(p.data) == 0 {
		p.dataLine, p.oneLine = value, true // a line is never longer than the maximum
		return
	}
	p.keepLine()
	if len(p.data)+len(value) > p.maxSize() { // the final LF is not part of the data
		p.fail(ErrEventTooLarge)
		return
	}
	p.data = append(p.data, value...)
	p.data = append(p.data, '\n')
}

// keepLine copies the event's first data line into the data buffer.
func (p *Parser) keepLine() {
	if p.oneLine {
		p.data = append(p.data, p.dataLine...)
		p.data = append(p.data, '\n')
		p.dataLine, p.oneLine = nil, false
	}
}

// setID processes an id field: the value becomes the last event ID buffer unless it
// contains NUL or is longer than MaxIDLen, in which case the field is ignored.
func (p *Parser) setID(value []byte) {
	if bytes.IndexByte(value, 0) >= 0 || p.MaxIDLen > 0 && len(value) > p.MaxIDLen {
		return // replacing invalid bytes never makes a value shorter
	}
	// The value is appended after the buffer's, which stays if invalid bytes made the
	// value too long, and is then moved to the front.
	n := len(p.id)
	p.id = appendValid(p.id, value)
	if p.MaxIDLen > 0 && len(p.id)-n > p.MaxIDLen {
		p.id = p.id[:n]
		return
	}
	p.id = p.id[:copy(p.id, p.id[n:])]
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

// dispatch runs the specification's dispatch steps at a blank line.
func (p *Parser) dispatch() (Event, bool) {
	idChanged := string(p.id) != p.lastID
	if len(p.data) == 0 && !p.oneLine {
		if idChanged {
			p.lastID = string(p.id)
		}
		p.typ = p.typ[:0]
		return Event{}, false
	}
	data := p.dataLine
	if !p.oneLine {
		data = p.data[:len(p.data)-1]
	}
	if !validUTF8(data) {
		p.scratch = appendUTF8(p.scratch[:0], data)
		data = p.scratch
	}
	typeChanged := len(p.typ) > 0 && string(p.typ) != p.lastType
	ev := Event{ID: p.lastID, Type: "message"}
	if len(p.typ) > 0 {
		ev.Type = p.lastType
	}
	// One string holds the data (unless borrowed) and whatever of the ID and type changed.
	n := len(data)
	if p.BorrowData {
		n = 0
		ev.Data = borrow(data)
	}
	size := n
	if idChanged {
		size += len(p.id)
	}
	if typeChanged {
		size += len(p.typ)
	}
	if size > 0 {
		b := p.stringSpace(size)
		copy(b, data[:n])
		i := n
		if idChanged {
			i += copy(b[i:], p.id)
		}
		if typeChanged {
			copy(b[i:], p.typ)
		}
		s := unsafe.String(unsafe.SliceData(b), size)
		if !p.BorrowData {
			ev.Data = s[:n]
		}
		if idChanged {
			ev.ID = s[n : n+len(p.id)]
			p.lastID = ev.ID
			n += len(p.id)
		}
		if typeChanged {
			ev.Type = s[n:]
			p.lastType = ev.Type
		}
	}
	if idChanged && len(p.id) == 0 {
		ev.ID, p.lastID = "", ""
	}
	p.typ = p.typ[:0]
	p.data = p.data[:0]
	p.dataLine, p.oneLine = nil, false
	return ev, true
}

// Strings of up to smallString bytes are carved from blocks of stringBlock bytes, one
// allocation per block instead of one per event.
const (
	stringBlock = 4 << 10
	smallString = 256
)

// stringSpace returns n bytes for the strings of one event. The parser writes them once and
// never again: the strings made of them may share a block with those of other events.
func (p *Parser) stringSpace(n int) []byte {
	if n > smallString {
		return make([]byte, n)
	}
	if len(p.block)+n > cap(p.block) {
		p.block = make([]byte, 0, stringBlock)
	}
	i := len(p.block)
	p.block = p.block[:i+n]
	return p.block[i : i+n : i+n]
}

// borrow returns a string that shares b's memory (see Parser.BorrowData); the line-end
// scanner uses it to look at the buffer without a copy.
func borrow(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// validUTF8 reports whether b is valid UTF-8, checking first, 8 bytes at a time, whether
// it is ASCII (what most event streams carry), which costs a fraction of utf8.Valid.
func validUTF8(b []byte) bool {
	const high = 0x8080808080808080
	if len(b) < 8 {
		for i := range b {
			if b[i] >= utf8.RuneSelf {
				return utf8.Valid(b[i:])
			}
		}
		return true
	}
	for i := 0; i+8 <= len(b); i += 8 {
		if load64(b[i:i+8])&high != 0 {
			return utf8.Valid(b[i:])
		}
	}
	// The last 8 bytes, overlapping what the loop looked at.
	return load64(b[len(b)-8:])&high == 0 || utf8.Valid(b[len(b)-8:])
}

// appendValid appends src to dst, replacing invalid UTF-8 (see appendUTF8).
func appendValid(dst, src []byte) []byte {
	if validUTF8(src) {
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
	empty := 0
	for {
		if ev, ok := rd.p.Next(); ok {
			return ev, nil
		}
		if err := rd.p.Err(); err != nil {
			return Event{}, err
		}
		if rd.err != nil {
			if rd.err == io.EOF {
				rd.p.End()
			}
			return Event{}, rd.err
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
