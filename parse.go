package sse

import (
	"io"
	"time"

	"github.com/polysse/sse/internal/protocol"
	"github.com/polysse/sse/internal/wire"
)

// DefaultMaxEventSize is the largest event a Parser accepts unless configured otherwise:
// 8 MiB of data, or a single line of that length.
const DefaultMaxEventSize = protocol.DefaultMaxEventSize

// ErrEventTooLarge is returned when an event's data, or a single line, exceeds the
// parser's maximum event size. The parser stops there: the rest of the stream is not read.
var ErrEventTooLarge = wire.ErrEventTooLarge

// Parser is an incremental event stream parser that follows the WHATWG HTML Standard's
// rules for interpreting an event stream exactly (docs/protocol.md describes them).
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

	p wire.Parser
}

// settings hands the exported settings to the parser before a call that uses them.
func (p *Parser) settings() *wire.Parser {
	p.p.MaxEventSize, p.p.BorrowData = p.MaxEventSize, p.BorrowData
	return &p.p
}

// Reset prepares p for a new connection whose last event ID is lastEventID: any unread
// input and incomplete event are dropped, the byte order mark is looked for again, and the
// error is cleared. The retry value and MaxEventSize are kept.
func (p *Parser) Reset(lastEventID string) { p.p.Reset(lastEventID) }

// LastEventID returns the last event ID string: the id of the last dispatched event or,
// when none was dispatched since Reset, the value given to Reset.
func (p *Parser) LastEventID() string { return p.p.LastEventID() }

// Retry returns the reconnection time of the most recent valid retry field, and whether
// one was seen since the Parser was created.
func (p *Parser) Retry() (time.Duration, bool) {
	d, ok := p.p.Retry()
	return time.Duration(d), ok
}

// Err returns the error that stopped the parser (ErrEventTooLarge), or nil.
func (p *Parser) Err() error { return p.p.Err() }

// Feed adds a chunk of the stream. The chunk is copied; the caller may reuse it at once.
// Call Next until it reports false before feeding more, or the input accumulates.
func (p *Parser) Feed(chunk []byte) { p.settings().Feed(chunk) }

// Fill reads once from r into p's buffer and returns the number of bytes read and the
// error from r. Use it instead of Feed to avoid a copy. When the buffered incomplete line
// already exceeds the maximum event size, Fill returns ErrEventTooLarge without reading.
func (p *Parser) Fill(r io.Reader) (int, error) { return p.settings().Fill(r) }

// Next returns the next event completed by the input so far, and true; or false when the
// input holds no further complete event (feed more) or the parser stopped (see Err).
// Retry fields and comments are consumed on the way: a parsed event's Retry and Comment
// are always empty.
func (p *Parser) Next() (Event, bool) {
	ev, ok := p.settings().Next()
	return fromWire(ev), ok
}

// End marks the end of the stream: any incomplete line or event is discarded, id
// included, as the specification requires. The last event ID is kept.
func (p *Parser) End() { p.p.End() }

// Reader reads events from an io.Reader.
//
// A Reader is not safe for concurrent use.
type Reader struct {
	rd *wire.Reader
}

// NewReader returns a Reader of r that accepts events up to maxEventSize bytes (zero
// means DefaultMaxEventSize) and starts with the given last event ID.
func NewReader(r io.Reader, maxEventSize int, lastEventID string) *Reader {
	return &Reader{rd: wire.NewReader(r, maxEventSize, lastEventID)}
}

// Next returns the next event. At the end of the stream it returns io.EOF, having
// discarded any incomplete event; ErrEventTooLarge when an event exceeds the limit; or the
// underlying reader's error, which sticks: every later call returns it again. A reader
// that keeps returning no bytes and no error ends with io.ErrNoProgress.
func (rd *Reader) Next() (ev Event, err error) {
	err = nextEvent(rd.rd, &ev)
	return ev, err
}

// LastEventID returns the last event ID string (see Parser.LastEventID).
func (rd *Reader) LastEventID() string { return rd.rd.LastEventID() }

// Retry returns the most recent retry value (see Parser.Retry).
func (rd *Reader) Retry() (time.Duration, bool) {
	d, ok := rd.rd.Retry()
	return time.Duration(d), ok
}
