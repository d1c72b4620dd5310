package sse_test

import (
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/polysse/sse"
)

// parseResult is everything a parse observably produces.
type parseResult struct {
	Events      []sse.Event
	LastEventID string
	Retry       time.Duration
	HasRetry    bool
	Err         error
}

// feedChunks parses chunks with Parser.Feed, calling Next after every chunk as documented,
// and End at the end of the stream. The parser is seeded with Reset(seed).
func feedChunks(maxEventSize int, seed string, chunks ...[]byte) parseResult {
	return feedParser(&sse.Parser{MaxEventSize: maxEventSize}, seed, chunks...)
}

// feedParser is feedChunks with a configured parser. Each event's Data is copied before
// the next call of Next, as Parser.BorrowData requires.
func feedParser(p *sse.Parser, seed string, chunks ...[]byte) parseResult {
	p.Reset(seed)
	var res parseResult
	for _, c := range chunks {
		p.Feed(c)
		for {
			ev, ok := p.Next()
			if !ok {
				break
			}
			ev.Data = strings.Clone(ev.Data)
			res.Events = append(res.Events, ev)
		}
	}
	p.End()
	if ev, ok := p.Next(); ok {
		res.Events = append(res.Events, ev) // must not happen: End discards
		res.Err = errors.New("Next returned an event after End")
	}
	res.LastEventID = p.LastEventID()
	res.Retry, res.HasRetry = p.Retry()
	if res.Err == nil {
		res.Err = p.Err()
	}
	return res
}

// readAll parses r with a Reader until it returns an error; io.EOF is reported as nil.
func readAll(r io.Reader, maxEventSize int, seed string) parseResult {
	rd := sse.NewReader(r, maxEventSize, seed)
	var res parseResult
	for {
		ev, err := rd.Next()
		if err != nil {
			if err != io.EOF {
				res.Err = err
			}
			break
		}
		res.Events = append(res.Events, ev)
	}
	res.LastEventID = rd.LastEventID()
	res.Retry, res.HasRetry = rd.Retry()
	return res
}

// msg is a parsed event of the default type.
func msg(id, data string) sse.Event { return sse.Event{ID: id, Type: "message", Data: data} }

// typed is a parsed event of a named type.
func typed(id, typ, data string) sse.Event { return sse.Event{ID: id, Type: typ, Data: data} }

// parseVector is an input stream and what parsing it must produce. Every vector is also
// checked for split invariance and seeds the fuzz targets.
type parseVector struct {
	name     string
	in       string
	seed     string // last event ID given to Reset
	max      int    // MaxEventSize; 0 means the default
	want     []sse.Event
	lastID   string
	retry    time.Duration
	hasRetry bool
	err      error
}

func (v parseVector) result() parseResult {
	return parseResult{Events: v.want, LastEventID: v.lastID, Retry: v.retry, HasRetry: v.hasRetry, Err: v.err}
}

const bom = "\xEF\xBB\xBF"

// parseVectors hold one vector per rule of WHATWG HTML §9.2.6 (and the parser's own rules).
// Groups are named "group/rule".
var parseVectors = []parseVector{
	// The specification's examples (HTML §9.2.6).
	{name: "spec/stock ticker: data lines are joined by LF",
		in:   "data: YHOO\ndata: +2\ndata: 10\n\n",
		want: []sse.Event{msg("", "YHOO\n+2\n10")}},
	{name: "spec/four blocks: comment, id, empty id resets, leading space kept",
		in:   ": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n",
		want: []sse.Event{msg("1", "first event"), msg("", "second event"), msg("", " third event")}},
	{name: "spec/empty data fields and a last block without blank line",
		in:   "data\n\ndata\ndata\n\ndata:",
		want: []sse.Event{msg("", ""), msg("", "\n")}},
	{name: "spec/space after colon is optional",
		in:   "data:test\n\ndata: test\n\n",
		want: []sse.Event{msg("", "test"), msg("", "test")}},
	{name: "spec/event types and ids",
		in:   "event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\nevent: add\ndata: 113411\n\n",
		want: []sse.Event{typed("", "add", "73857293"), typed("", "remove", "2153"), typed("", "add", "113411")}},

	// Byte order mark.
	{name: "bom/one leading BOM is stripped",
		in: bom + "data: x\n\n", want: []sse.Event{msg("", "x")}},
	{name: "bom/a second BOM is kept, making an unknown field name",
		in: bom + bom + "data: x\n\ndata: y\n\n", want: []sse.Event{msg("", "y")}},
	{name: "bom/a BOM alone is not a second BOM",
		in: bom + "\ndata: y\n\n", want: []sse.Event{msg("", "y")}},
	{name: "bom/a BOM after the first line is part of the line",
		in: "data: a\n\n" + bom + "data: b\n\n", want: []sse.Event{msg("", "a")}},
	{name: "bom/a BOM before a comment",
		in: bom + ": c\ndata: x\n\n", want: []sse.Event{msg("", "x")}},
	{name: "bom/a BOM in a data value is kept as U+FEFF",
		in: "data: " + bom + "x\n\n", want: []sse.Event{msg("", "\uFEFFx")}},
	{name: "bom/a truncated BOM is invalid UTF-8, making an unknown field name",
		in: "\xEF\xBBdata: x\n\ndata: y\n\n", want: []sse.Event{msg("", "y")}},
	{name: "bom/a stream that is only a BOM",
		in: bom},
	{name: "bom/a stream that is only part of a BOM",
		in: "\xEF\xBB"},
	{name: "bom/a BOM then a blank line dispatches nothing",
		in: bom + "\n\n"},

	// Line ends.
	{name: "lines/LF ends a line",
		in: "data: a\n\n", want: []sse.Event{msg("", "a")}},
	{name: "lines/CR ends a line",
		in: "data: a\r\r", want: []sse.Event{msg("", "a")}},
	{name: "lines/CRLF ends a line",
		in: "data: a\r\n\r\n", want: []sse.Event{msg("", "a")}},
	{name: "lines/mixed line ends in one event",
		in: "data: a\rdata: b\ndata: c\r\n\r\n", want: []sse.Event{msg("", "a\nb\nc")}},
	{name: "lines/LF CR is two line ends",
		in: "data: a\n\r", want: []sse.Event{msg("", "a")}},
	{name: "lines/CR CR LF is two line ends",
		in: "data: a\r\r\n", want: []sse.Event{msg("", "a")}},
	{name: "lines/CR not followed by LF, then more lines",
		in: "data: a\rdata: b\r\rdata: c\r\n\r\n", want: []sse.Event{msg("", "a\nb"), msg("", "c")}},
	{name: "lines/CR at the very end of the stream ends the line",
		in: "id: 1\ndata: a\r\r", want: []sse.Event{msg("1", "a")}, lastID: "1"},
	{name: "lines/CRLF CRLF CRLF: the third is an extra blank line",
		in: "data: a\r\n\r\n\r\ndata: b\r\n\r\n", want: []sse.Event{msg("", "a"), msg("", "b")}},
	{name: "lines/many blank lines dispatch nothing",
		in: "\n\r\n\r\r\n\n"},
	{name: "lines/empty stream",
		in: ""},

	// Comments.
	{name: "comment/a comment line is ignored",
		in: ": hello\ndata: x\n\n", want: []sse.Event{msg("", "x")}},
	{name: "comment/a bare colon is a comment",
		in: ":\n\ndata: x\n\n", want: []sse.Event{msg("", "x")}},
	{name: "comment/a comment between data lines",
		in: "data: a\n: c\ndata: b\n\n", want: []sse.Event{msg("", "a\nb")}},
	{name: "comment/a comment that looks like a field",
		in: ":data: x\n\n"},
	{name: "comment/a comment-only block dispatches nothing",
		in: ": keep-alive\n\n: again\n\n"},
	{name: "comment/a comment with CR line end",
		in: ": c\rdata: x\r\r", want: []sse.Event{msg("", "x")}},

	// A line without a colon.
	{name: "nocolon/data alone is an empty data line and dispatches an empty string",
		in: "data\n\n", want: []sse.Event{msg("", "")}},
	{name: "nocolon/event alone sets an empty type, giving message",
		in: "event: t\nevent\ndata: x\n\n", want: []sse.Event{msg("", "x")}},
	{name: "nocolon/id alone resets the last event ID",
		seed: "7", in: "id\ndata: x\n\n", want: []sse.Event{msg("", "x")}},
	{name: "nocolon/retry alone is ignored",
		in: "retry\n"},
	{name: "nocolon/data alone twice joins two empty lines",
		in: "data\ndata\n\n", want: []sse.Event{msg("", "\n")}},
	{name: "nocolon/an unknown name alone is ignored",
		in: "foo\ndata: x\n\n", want: []sse.Event{msg("", "x")}},

	// One leading space.
	{name: "space/no space after the colon",
		in: "data:x\n\n", want: []sse.Event{msg("", "x")}},
	{name: "space/exactly one leading space removed",
		in: "data:  x\n\n", want: []sse.Event{msg("", " x")}},
	{name: "space/a tab is not removed",
		in: "data:\tx\n\n", want: []sse.Event{msg("", "\tx")}},
	{name: "space/a lone space gives an empty value",
		in: "data: \n\n", want: []sse.Event{msg("", "")}},
	{name: "space/trailing spaces are kept",
		in: "data: x  \n\n", want: []sse.Event{msg("", "x  ")}},
	{name: "space/non-breaking space is not removed",
		in: "data:\u00A0x\n\n", want: []sse.Event{msg("", "\u00A0x")}},
	{name: "space/in event and id values too",
		in: "event:  t\nid:  1\ndata: x\n\n", want: []sse.Event{typed(" 1", " t", "x")}, lastID: " 1"},
	{name: "space/a space before the colon makes another field name",
		in: "data : x\n\n"},
	{name: "space/a leading space makes another field name",
		in: " data: x\n\n"},
	{name: "space/only the first colon separates",
		in: "data:: x\ndata: a:b\n\n", want: []sse.Event{msg("", ": x\na:b")}},

	// Data.
	{name: "data/lines are joined by LF",
		in: "data: a\ndata: b\ndata: c\n\n", want: []sse.Event{msg("", "a\nb\nc")}},
	{name: "data/only one final LF is removed",
		in: "data: a\ndata:\n\n", want: []sse.Event{msg("", "a\n")}},
	{name: "data/a leading empty line is kept",
		in: "data:\ndata: a\n\n", want: []sse.Event{msg("", "\na")}},
	{name: "data/NUL is kept",
		in: "data: a\x00b\n\n", want: []sse.Event{msg("", "a\x00b")}},
	{name: "data/non-ASCII UTF-8 is kept",
		in: "data: é€😀\U0010FFFF\uFFFE\n\n", want: []sse.Event{msg("", "é€😀\U0010FFFF\uFFFE")}},
	{name: "data/each event has its own data",
		in: "data: a\n\ndata: b\n\n", want: []sse.Event{msg("", "a"), msg("", "b")}},

	// Empty data.
	{name: "empty/an event type without data dispatches nothing",
		in: "event: t\n\n"},
	{name: "empty/an id without data dispatches nothing",
		in: "id: 1\n\n", lastID: "1"},
	{name: "empty/blank lines alone dispatch nothing",
		in: "\n\n\n"},
	{name: "empty/an unknown field alone dispatches nothing",
		in: "foo: bar\n\n"},

	// Event type.
	{name: "type/event type is reset after each dispatch",
		in: "event: a\ndata: 1\n\ndata: 2\n\n", want: []sse.Event{typed("", "a", "1"), msg("", "2")}},
	{name: "type/event type is reset by an empty-data dispatch",
		in: "event: a\n\ndata: x\n\n", want: []sse.Event{msg("", "x")}},
	{name: "type/the last event field wins",
		in: "event: a\nevent: b\ndata: x\n\n", want: []sse.Event{typed("", "b", "x")}},
	{name: "type/an event field after the data applies",
		in: "data: x\nevent: a\n\n", want: []sse.Event{typed("", "a", "x")}},
	{name: "type/an explicit message type",
		in: "event: message\ndata: x\n\n", want: []sse.Event{msg("", "x")}},
	{name: "type/an empty event value gives message",
		in: "event:\ndata: x\n\n", want: []sse.Event{msg("", "x")}},
	{name: "type/types are case-sensitive",
		in: "event: Add\ndata: x\n\n", want: []sse.Event{typed("", "Add", "x")}},
	{name: "type/a repeated type",
		in:   "event: t\ndata: 1\n\nevent: t\ndata: 2\n\nevent: u\ndata: 3\n\n",
		want: []sse.Event{typed("", "t", "1"), typed("", "t", "2"), typed("", "u", "3")}},

	// Event ID.
	{name: "id/an id with NUL is ignored",
		in: "id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n", want: []sse.Event{msg("1", "a"), msg("1", "b")}, lastID: "1"},
	{name: "id/an id that is only NUL is ignored",
		seed: "s", in: "id: \x00\ndata: a\n\n", want: []sse.Event{msg("s", "a")}, lastID: "s"},
	{name: "id/a NUL-free id after an ignored one is taken",
		in: "id: \x00\nid: 5\ndata: a\n\n", want: []sse.Event{msg("5", "a")}, lastID: "5"},
	{name: "id/the last event ID persists across events",
		in:   "id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\n",
		want: []sse.Event{msg("1", "a"), msg("1", "b"), msg("2", "c")}, lastID: "2"},
	{name: "id/the last event ID is seeded by Reset",
		seed: "42", in: "data: a\n\n", want: []sse.Event{msg("42", "a")}, lastID: "42"},
	{name: "id/the seed persists without events",
		seed: "42", in: ": nothing\n\n", lastID: "42"},
	{name: "id/an empty id resets the last event ID",
		seed: "7", in: "id:\ndata: a\n\n", want: []sse.Event{msg("", "a")}},
	{name: "id/an empty-data dispatch still updates the last event ID",
		in: "id: 3\n\ndata: x\n\n", want: []sse.Event{msg("3", "x")}, lastID: "3"},
	{name: "id/an empty-data dispatch can reset the ID to empty",
		seed: "9", in: "id\n\ndata: x\n\n", want: []sse.Event{msg("", "x")}},
	{name: "id/an id after the data in the same block applies",
		in: "data: x\nid: 9\n\n", want: []sse.Event{msg("9", "x")}, lastID: "9"},
	{name: "id/the last id field of a block wins",
		in: "id: 1\nid: 2\ndata: x\n\n", want: []sse.Event{msg("2", "x")}, lastID: "2"},
	{name: "id/an id is any text",
		in: "id: a b:c\té\ndata: x\n\n", want: []sse.Event{msg("a b:c\té", "x")}, lastID: "a b:c\té"},
	{name: "id/the same id repeated",
		in: "id: 1\ndata: a\n\nid: 1\ndata: b\n\n", want: []sse.Event{msg("1", "a"), msg("1", "b")}, lastID: "1"},

	// Retry.
	{name: "retry/digits set the reconnection time in ms",
		in: "retry: 1000\n", retry: time.Second, hasRetry: true},
	{name: "retry/without space",
		in: "retry:500\n", retry: 500 * time.Millisecond, hasRetry: true},
	{name: "retry/zero is valid",
		in: "retry: 0\n", retry: 0, hasRetry: true},
	{name: "retry/leading zeros",
		in: "retry: 007\n", retry: 7 * time.Millisecond, hasRetry: true},
	{name: "retry/very many leading zeros",
		in: "retry: 00000000000000000000000000000001\n", retry: time.Millisecond, hasRetry: true},
	{name: "retry/the last valid value wins",
		in: "retry: 5\nretry: 6\n", retry: 6 * time.Millisecond, hasRetry: true},
	{name: "retry/an invalid value keeps the previous one",
		in: "retry: 5\nretry: x\n", retry: 5 * time.Millisecond, hasRetry: true},
	{name: "retry/empty value is ignored", in: "retry:\n"},
	{name: "retry/a lone space gives an empty value, ignored", in: "retry: \n"},
	{name: "retry/an extra leading space is ignored", in: "retry:  1\n"},
	{name: "retry/a trailing space is ignored", in: "retry: 1 \n"},
	{name: "retry/a letter is ignored", in: "retry: 1a\n"},
	{name: "retry/a minus sign is ignored", in: "retry: -1\n"},
	{name: "retry/a plus sign is ignored", in: "retry: +1\n"},
	{name: "retry/a decimal point is ignored", in: "retry: 1.5\n"},
	{name: "retry/an exponent is ignored", in: "retry: 1e3\n"},
	{name: "retry/hex is ignored", in: "retry: 0x10\n"},
	{name: "retry/an underscore is ignored", in: "retry: 1_000\n"},
	{name: "retry/non-ASCII digits are ignored", in: "retry: \u0661\u0662\n"},
	{name: "retry/fullwidth digits are ignored", in: "retry: \uFF11\n"},
	{name: "retry/a retry field does not dispatch",
		in: "retry: 5\n\n", retry: 5 * time.Millisecond, hasRetry: true},
	{name: "retry/inside an event, the event is still dispatched",
		in: "data: x\nretry: 5\n\n", want: []sse.Event{msg("", "x")}, retry: 5 * time.Millisecond, hasRetry: true},
	{name: "retry/a retry field on an incomplete event at end of stream still counts",
		in: "retry: 5\ndata: x\n", retry: 5 * time.Millisecond, hasRetry: true},
	{name: "retry/largest exact duration",
		in: "retry: 9223372036854\n", retry: 9223372036854 * time.Millisecond, hasRetry: true},
	{name: "retry/a value beyond time.Duration is capped",
		in: "retry: 9223372036855\n", retry: time.Duration(math.MaxInt64), hasRetry: true},
	{name: "retry/the largest uint64 is capped",
		in: "retry: 18446744073709551615\n", retry: time.Duration(math.MaxInt64), hasRetry: true},
	{name: "retry/a value beyond uint64 is ignored",
		in: "retry: 5\nretry: 18446744073709551616\n", retry: 5 * time.Millisecond, hasRetry: true},
	{name: "retry/a huge value is ignored",
		in: "retry: 99999999999999999999999999999999999999\n"},

	// Unknown fields.
	{name: "unknown/an unknown field is ignored",
		in: "foo: bar\ndata: x\n\n", want: []sse.Event{msg("", "x")}},
	{name: "unknown/field names are case-sensitive",
		in: "Data: x\nDATA: y\nID: 1\nEvent: t\nRetry: 5\ndata: z\n\n", want: []sse.Event{msg("", "z")}},
	{name: "unknown/a field name with a prefix is unknown",
		in: "xdata: x\ndatax: y\n\n"},

	// UTF-8 decoding (WHATWG Encoding Standard, maximal subparts).
	{name: "utf8/a truncated 3-byte sequence before ASCII is one U+FFFD",
		in: "data: \xE2\x82A\n\n", want: []sse.Event{msg("", "\uFFFDA")}},
	{name: "utf8/F0 80: 80 is not valid after F0, two U+FFFD",
		in: "data: \xF0\x80\n\n", want: []sse.Event{msg("", "\uFFFD\uFFFD")}},
	{name: "utf8/a surrogate ED A0 80 is three U+FFFD",
		in: "data: \xED\xA0\x80\n\n", want: []sse.Event{msg("", "\uFFFD\uFFFD\uFFFD")}},
	{name: "utf8/the overlong C0 AF is two U+FFFD",
		in: "data: \xC0\xAF\n\n", want: []sse.Event{msg("", "\uFFFD\uFFFD")}},
	{name: "utf8/the overlong E0 80 AF is three U+FFFD",
		in: "data: \xE0\x80\xAF\n\n", want: []sse.Event{msg("", "\uFFFD\uFFFD\uFFFD")}},
	{name: "utf8/the overlong F0 80 80 AF is four U+FFFD",
		in: "data: \xF0\x80\x80\xAF\n\n", want: []sse.Event{msg("", "\uFFFD\uFFFD\uFFFD\uFFFD")}},
	{name: "utf8/beyond U+10FFFF F4 90 80 80 is four U+FFFD",
		in: "data: \xF4\x90\x80\x80\n\n", want: []sse.Event{msg("", "\uFFFD\uFFFD\uFFFD\uFFFD")}},
	{name: "utf8/F5 to FF are each one U+FFFD",
		in: "data: \xF5\xF8\xFC\xFE\xFF\n\n", want: []sse.Event{msg("", strings.Repeat("\uFFFD", 5))}},
	{name: "utf8/C1 is one U+FFFD",
		in: "data: \xC1\x81\n\n", want: []sse.Event{msg("", "\uFFFD\uFFFD")}},
	{name: "utf8/lone continuation bytes are each one U+FFFD",
		in: "data: a\x80\xBFb\n\n", want: []sse.Event{msg("", "a\uFFFD\uFFFDb")}},
	{name: "utf8/a truncated 4-byte sequence is one U+FFFD",
		in: "data: \xF0\x9F\x98\n\n", want: []sse.Event{msg("", "\uFFFD")}},
	{name: "utf8/a truncated sequence followed by a valid one",
		in: "data: \xF0\x9F\x98\xF0\x9F\x98\x80\n\n", want: []sse.Event{msg("", "\uFFFD😀")}},
	{name: "utf8/a truncated sequence at the line end",
		in: "data: a\xE2\x82\n\n", want: []sse.Event{msg("", "a\uFFFD")}},
	{name: "utf8/a sequence cut by a line end is not joined across lines",
		in: "data: \xE2\x82\ndata: \xAC\n\n", want: []sse.Event{msg("", "\uFFFD\n\uFFFD")}},
	{name: "utf8/a lead byte before CR",
		in: "data: \xE2\rdata: b\r\r", want: []sse.Event{msg("", "\uFFFD\nb")}},
	{name: "utf8/the highest code point U+10FFFF is valid",
		in: "data: \xF4\x8F\xBF\xBF\n\n", want: []sse.Event{msg("", "\U0010FFFF")}},
	{name: "utf8/U+D7FF and U+E000 around the surrogates are valid",
		in: "data: \xED\x9F\xBF\xEE\x80\x80\n\n", want: []sse.Event{msg("", "\uD7FF\uE000")}},
	{name: "utf8/a literal U+FFFD passes through",
		in: "data: \uFFFD\n\n", want: []sse.Event{msg("", "\uFFFD")}},
	{name: "utf8/an invalid sequence in the id",
		in: "id: \xE2\x82A\ndata: x\n\n", want: []sse.Event{msg("\uFFFDA", "x")}, lastID: "\uFFFDA"},
	{name: "utf8/an invalid id in an empty-data dispatch",
		in: "id: \xFF\n\n", lastID: "\uFFFD"},
	{name: "utf8/an invalid id persisting over events",
		in:   "id: \xED\xA0\x80\ndata: a\n\ndata: b\n\n",
		want: []sse.Event{msg("\uFFFD\uFFFD\uFFFD", "a"), msg("\uFFFD\uFFFD\uFFFD", "b")}, lastID: "\uFFFD\uFFFD\uFFFD"},
	{name: "utf8/an invalid sequence in the event type",
		in:   "event: \xC0\xAF\ndata: x\n\nevent: \xC0\xAF\ndata: y\n\n",
		want: []sse.Event{typed("", "\uFFFD\uFFFD", "x"), typed("", "\uFFFD\uFFFD", "y")}},
	{name: "utf8/an invalid sequence in a field name makes it unknown",
		in: "dat\xE1: x\n\ndata\xFF: y\n\n"},
	{name: "utf8/an invalid sequence in a comment is ignored",
		in: ": \xFF\xFE\ndata: x\n\n", want: []sse.Event{msg("", "x")}},
	{name: "utf8/an invalid retry value is ignored",
		in: "retry: 1\xFF\n"},

	// End of stream.
	{name: "end/an incomplete event is discarded",
		in: "data: a\n\ndata: b\n", want: []sse.Event{msg("", "a")}},
	{name: "end/an incomplete line is discarded",
		in: "data: a\n\ndata: b", want: []sse.Event{msg("", "a")}},
	{name: "end/an incomplete event's id is discarded too",
		seed: "s", in: "data: a\n\nid: 9\ndata: b\n", want: []sse.Event{msg("s", "a")}, lastID: "s"},
	{name: "end/an incomplete id-only event is discarded",
		in: "id: 1\ndata: a\n\nid: 2\n", want: []sse.Event{msg("1", "a")}, lastID: "1"},
	{name: "end/a line ended by CR at the very end is complete, but not its event",
		in: "data: a\r", want: nil},
	{name: "end/an incomplete event type does not leak",
		in: "event: t\ndata: a\n"},

	// Maximum event size.
	{name: "max/data beyond the limit is ErrEventTooLarge",
		max: 16, in: "data: 0123456789\ndata: 0123456789\n\n", err: sse.ErrEventTooLarge},
	{name: "max/events before the large one are delivered",
		max: 16, in: "id: 1\ndata: a\n\ndata: 0123456789\ndata: 0123456789\n\ndata: b\n\n",
		want: []sse.Event{msg("1", "a")}, lastID: "1", err: sse.ErrEventTooLarge},
	{name: "max/data of exactly the limit is accepted",
		max: 16, in: "data: 0123456789\ndata: 01234\n\n", want: []sse.Event{msg("", "0123456789\n01234")}},
	{name: "max/data one byte beyond the limit is rejected",
		max: 16, in: "data: 0123456789\ndata: 012345\n\n", err: sse.ErrEventTooLarge},
	{name: "max/the limit is per event",
		max: 16, in: "data: 0123456789\n\ndata: 0123456789\n\n", want: []sse.Event{msg("", "0123456789"), msg("", "0123456789")}},
	{name: "max/a line of exactly the limit is accepted",
		max: 16, in: "data: 0123456789\n\n", want: []sse.Event{msg("", "0123456789")}},
	{name: "max/a long line without line end is ErrEventTooLarge",
		max: 16, in: "data: " + strings.Repeat("x", 40), err: sse.ErrEventTooLarge},
	{name: "max/a long comment line is ErrEventTooLarge",
		max: 16, in: ": " + strings.Repeat("x", 40) + "\ndata: a\n\n", err: sse.ErrEventTooLarge},
	{name: "max/a long id line is ErrEventTooLarge",
		max: 16, in: "id: " + strings.Repeat("x", 40) + "\ndata: a\n\n", err: sse.ErrEventTooLarge},
	{name: "max/a long unknown field line is ErrEventTooLarge",
		max: 16, in: "data: a\n\nfoo: " + strings.Repeat("x", 40) + "\r\n", want: []sse.Event{msg("", "a")}, err: sse.ErrEventTooLarge},
	{name: "max/a data line of one byte more than the limit is ErrEventTooLarge",
		max: 16, in: "data: 01234567890\n\n", err: sse.ErrEventTooLarge},
}

// TestParser checks each vector fed as one chunk, then read by a Reader.
func TestParser(t *testing.T) {
	for _, v := range parseVectors {
		t.Run(v.name, func(t *testing.T) {
			got := feedChunks(v.max, v.seed, []byte(v.in))
			assert.Equal(t, v.result(), got, "input %q", v.in)
			got = readAll(strings.NewReader(v.in), v.max, v.seed)
			assert.Equal(t, v.result(), got, "Reader, input %q", v.in)
		})
	}
}

// splits returns the ways a vector is fed to a Parser: whole, as two chunks split at every
// byte position, byte by byte, with empty chunks interleaved, and (for short inputs) as
// three chunks split at every pair of positions.
func splits(in []byte) map[string][][]byte {
	ways := map[string][][]byte{"whole": {in}}
	for i := 0; i <= len(in); i++ {
		ways[fmt.Sprintf("split at %d", i)] = [][]byte{in[:i], in[i:]}
	}
	var bytewise, withEmpty [][]byte
	for i := range in {
		bytewise = append(bytewise, in[i:i+1])
		withEmpty = append(withEmpty, nil, in[i:i+1], []byte{})
	}
	ways["byte by byte"] = bytewise
	ways["byte by byte with empty chunks"] = withEmpty
	if len(in) <= 48 {
		for i := 1; i < len(in); i++ {
			for j := i + 1; j < len(in); j++ {
				ways[fmt.Sprintf("split at %d and %d", i, j)] = [][]byte{in[:i], in[i:j], in[j:]}
			}
		}
	}
	return ways
}

// chunkReader returns its input in the chunks given, one per Read.
type chunkReader struct{ chunks [][]byte }

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.chunks) > 0 && len(r.chunks[0]) == 0 {
		r.chunks = r.chunks[1:]
	}
	if len(r.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.chunks[0])
	r.chunks[0] = r.chunks[0][n:]
	return n, nil
}

// readers returns the ways a vector is read through a Reader.
func readers(in string) map[string]func() io.Reader {
	return map[string]func() io.Reader{
		"strings.Reader":               func() io.Reader { return strings.NewReader(in) },
		"OneByteReader":                func() io.Reader { return iotest.OneByteReader(strings.NewReader(in)) },
		"HalfReader":                   func() io.Reader { return iotest.HalfReader(strings.NewReader(in)) },
		"DataErrReader":                func() io.Reader { return iotest.DataErrReader(strings.NewReader(in)) },
		"DataErrReader(OneByteReader)": func() io.Reader { return iotest.DataErrReader(iotest.OneByteReader(strings.NewReader(in))) },
		"DataErrReader(HalfReader)":    func() io.Reader { return iotest.DataErrReader(iotest.HalfReader(strings.NewReader(in))) },
		"chunks of 3 with empty reads": func() io.Reader {
			var chunks [][]byte
			for i := 0; i < len(in); i += 3 {
				chunks = append(chunks, []byte(in[i:min(i+3, len(in))]), nil)
			}
			return &chunkReader{chunks: chunks}
		},
	}
}

// TestParserSplitInvariance feeds every vector in every way and requires the same output
// as feeding it whole: the result never depends on how the input is split.
func TestParserSplitInvariance(t *testing.T) {
	for _, v := range parseVectors {
		t.Run(v.name, func(t *testing.T) {
			whole := feedChunks(v.max, v.seed, []byte(v.in))
			failed := 0
			for way, chunks := range splits([]byte(v.in)) {
				got := feedChunks(v.max, v.seed, chunks...)
				if !assert.Equal(t, whole, got, "Feed %s, input %q", way, v.in) {
					if failed++; failed >= 3 {
						t.Fatal("giving up on this vector after 3 failures")
					}
				}
			}
			for way, r := range readers(v.in) {
				got := readAll(r(), v.max, v.seed)
				assert.Equal(t, whole, got, "Reader over %s, input %q", way, v.in)
			}
		})
	}
}

func TestParserZeroValue(t *testing.T) {
	t.Run("the zero Parser is ready to use", func(t *testing.T) {
		var p sse.Parser
		p.Feed([]byte(bom + "id: 1\ndata: x\n\n"))
		ev, ok := p.Next()
		require.True(t, ok)
		assert.Equal(t, msg("1", "x"), ev)
		_, ok = p.Next()
		assert.False(t, ok)
		assert.NoError(t, p.Err())
	})
	t.Run("the zero Parser has an empty last event ID and no retry", func(t *testing.T) {
		var p sse.Parser
		assert.Empty(t, p.LastEventID())
		d, ok := p.Retry()
		assert.Zero(t, d)
		assert.False(t, ok)
	})
	t.Run("the default maximum event size is 8 MiB", func(t *testing.T) {
		assert.Equal(t, 8<<20, sse.DefaultMaxEventSize)
		if runtime.GOOS == "js" {
			t.Skip("8 MiB inputs are slow under wasm")
		}
		var p sse.Parser
		p.Feed([]byte("data:"))
		p.Feed([]byte(strings.Repeat("x", sse.DefaultMaxEventSize-len("data:"))))
		_, ok := p.Next()
		assert.False(t, ok)
		require.NoError(t, p.Err(), "a line of exactly the default limit")
		p.Feed([]byte("y"))
		_, ok = p.Next()
		assert.False(t, ok)
		assert.ErrorIs(t, p.Err(), sse.ErrEventTooLarge)
	})
}

func TestParserBehaviour(t *testing.T) {
	t.Run("Next reports false until an event is complete", func(t *testing.T) {
		var p sse.Parser
		p.Feed([]byte("data: a\n"))
		_, ok := p.Next()
		require.False(t, ok)
		p.Feed([]byte("\n"))
		ev, ok := p.Next()
		require.True(t, ok)
		assert.Equal(t, msg("", "a"), ev)
	})
	t.Run("Feed copies the chunk", func(t *testing.T) {
		var p sse.Parser
		chunk := []byte("data: abc\n")
		p.Feed(chunk)
		copy(chunk, "XXXXXXXXXX")
		p.Feed([]byte("\n"))
		ev, ok := p.Next()
		require.True(t, ok)
		assert.Equal(t, "abc", ev.Data)
	})
	t.Run("events do not share memory with later input", func(t *testing.T) {
		var p sse.Parser
		var got []sse.Event
		for i := range 50 {
			p.Feed(fmt.Appendf(nil, "id: %d\ndata: event %d\n\n", i%3, i))
			ev, ok := p.Next()
			require.True(t, ok)
			got = append(got, ev)
		}
		for i, ev := range got {
			assert.Equal(t, msg(fmt.Sprint(i%3), fmt.Sprintf("event %d", i)), ev)
		}
	})
	t.Run("parsed events have empty Retry and Comment", func(t *testing.T) {
		got := feedChunks(0, "", []byte(": c\nretry: 5\nid: 1\nevent: t\ndata: d\n\n"))
		require.Len(t, got.Events, 1)
		assert.Zero(t, got.Events[0].Retry)
		assert.Empty(t, got.Events[0].Comment)
	})
	t.Run("End discards the incomplete event and keeps the last event ID", func(t *testing.T) {
		var p sse.Parser
		p.Feed([]byte("id: 1\ndata: a\n\nid: 2\nevent: t\ndata: b\n"))
		_, ok := p.Next()
		require.True(t, ok)
		_, ok = p.Next()
		require.False(t, ok)
		p.End()
		assert.Equal(t, "1", p.LastEventID())
		// Further input after End is a fresh event (as if reconnected without Reset).
		p.Feed([]byte("data: c\n\n"))
		ev, ok := p.Next()
		require.True(t, ok)
		assert.Equal(t, msg("1", "c"), ev)
	})
	t.Run("End discards a partial line", func(t *testing.T) {
		var p sse.Parser
		p.Feed([]byte("data: a"))
		p.End()
		p.Feed([]byte("\n\n"))
		_, ok := p.Next()
		assert.False(t, ok)
	})
	t.Run("Reset seeds the last event ID and drops unread input", func(t *testing.T) {
		var p sse.Parser
		p.Feed([]byte("id: 1\ndata: a\n\nid: 2\ndata: b\n\ndata: partial\n"))
		_, ok := p.Next()
		require.True(t, ok)
		p.Reset("seed")
		assert.Equal(t, "seed", p.LastEventID())
		_, ok = p.Next()
		assert.False(t, ok, "unread input is dropped")
		p.Feed([]byte("data: c\n\n"))
		ev, ok := p.Next()
		require.True(t, ok)
		assert.Equal(t, msg("seed", "c"), ev)
	})
	t.Run("Reset looks for a BOM again", func(t *testing.T) {
		var p sse.Parser
		p.Feed([]byte(bom + "data: a\n\n"))
		_, ok := p.Next()
		require.True(t, ok)
		p.Reset("")
		p.Feed([]byte(bom + "data: b\n\n"))
		ev, ok := p.Next()
		require.True(t, ok)
		assert.Equal(t, "b", ev.Data)
	})
	t.Run("Reset drops the event type and data of an incomplete event", func(t *testing.T) {
		var p sse.Parser
		p.Feed([]byte("event: t\ndata: a\n"))
		_, ok := p.Next()
		require.False(t, ok)
		p.Reset("")
		p.Feed([]byte("data: b\n\n"))
		ev, ok := p.Next()
		require.True(t, ok)
		assert.Equal(t, msg("", "b"), ev)
	})
	t.Run("Reset keeps the retry value and MaxEventSize", func(t *testing.T) {
		p := sse.Parser{MaxEventSize: 16}
		p.Feed([]byte("retry: 250\n"))
		_, _ = p.Next()
		require.NoError(t, p.Err())
		p.Reset("")
		d, ok := p.Retry()
		assert.True(t, ok)
		assert.Equal(t, 250*time.Millisecond, d)
		assert.Equal(t, 16, p.MaxEventSize)
	})
	t.Run("Reset clears ErrEventTooLarge", func(t *testing.T) {
		p := sse.Parser{MaxEventSize: 8}
		p.Feed([]byte("data: 0123456789\n\n"))
		_, ok := p.Next()
		require.False(t, ok)
		require.ErrorIs(t, p.Err(), sse.ErrEventTooLarge)
		p.Reset("x")
		require.NoError(t, p.Err())
		p.Feed([]byte("data: ok\n\n"))
		ev, ok := p.Next()
		require.True(t, ok)
		assert.Equal(t, msg("x", "ok"), ev)
	})
	t.Run("after ErrEventTooLarge Feed is ignored and Next reports false", func(t *testing.T) {
		p := sse.Parser{MaxEventSize: 8}
		p.Feed([]byte("data: 0123456789\n\n"))
		_, ok := p.Next()
		require.False(t, ok)
		p.Feed([]byte("data: more\n\n"))
		_, ok = p.Next()
		assert.False(t, ok)
		assert.ErrorIs(t, p.Err(), sse.ErrEventTooLarge)
	})
	t.Run("Fill reads from an io.Reader", func(t *testing.T) {
		var p sse.Parser
		n, err := p.Fill(strings.NewReader("data: x\n\n"))
		require.NoError(t, err)
		assert.Equal(t, 9, n)
		ev, ok := p.Next()
		require.True(t, ok)
		assert.Equal(t, msg("", "x"), ev)
		n, err = p.Fill(strings.NewReader(""))
		assert.Zero(t, n)
		assert.Equal(t, io.EOF, err)
	})
	t.Run("Fill returns ErrEventTooLarge without reading once the line exceeds the limit", func(t *testing.T) {
		p := sse.Parser{MaxEventSize: 16}
		n, err := p.Fill(strings.NewReader(strings.Repeat("x", 40)))
		require.NoError(t, err)
		require.Equal(t, 40, n)
		more := &countingReader{r: &endlessReader{b: 'y', limit: 1 << 20}}
		_, err = p.Fill(more)
		assert.ErrorIs(t, err, sse.ErrEventTooLarge, "Fill's doc: returns ErrEventTooLarge without reading")
		assert.Zero(t, more.n, "Fill read although the buffered line exceeds the limit")
	})
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// endlessReader returns the byte b forever, up to limit bytes, then io.EOF.
type endlessReader struct {
	b     byte
	limit int64
	n     int64
}

func (r *endlessReader) Read(p []byte) (int, error) {
	if r.n >= r.limit {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.limit-r.n)]
	for i := range p {
		p[i] = r.b
	}
	r.n += int64(len(p))
	return len(p), nil
}

func TestParserMemoryBounded(t *testing.T) {
	total, limit := int64(64<<20), 1<<20
	if runtime.GOOS == "js" {
		total, limit = 8<<20, 128<<10
	}
	t.Run("a single line with no line end stops soon after the limit", func(t *testing.T) {
		src := &endlessReader{b: 'x', limit: total}
		rd := sse.NewReader(src, limit, "")
		_, err := rd.Next()
		require.ErrorIs(t, err, sse.ErrEventTooLarge)
		assert.Less(t, src.n, int64(4*limit), "read %d bytes of a %d-byte stream with a %d-byte limit", src.n, total, limit)
		assert.Greater(t, src.n, int64(limit))
		// The error sticks and nothing more is read.
		n := src.n
		_, err = rd.Next()
		assert.ErrorIs(t, err, sse.ErrEventTooLarge)
		assert.Equal(t, n, src.n)
	})
	t.Run("a data-heavy event stops soon after the limit", func(t *testing.T) {
		line := "data: " + strings.Repeat("d", 1000) + "\n"
		src := &countingReader{r: io.LimitReader(&repeatReader{s: line}, total)}
		rd := sse.NewReader(src, limit, "")
		_, err := rd.Next()
		require.ErrorIs(t, err, sse.ErrEventTooLarge)
		assert.Less(t, src.n, int64(4*limit), "read %d bytes of a %d-byte stream with a %d-byte limit", src.n, total, limit)
	})
	t.Run("Feed in chunks stops at the limit", func(t *testing.T) {
		p := sse.Parser{MaxEventSize: limit}
		chunk := []byte(strings.Repeat("x", 32<<10))
		fed := 0
		for fed < int(total) {
			p.Feed(chunk)
			fed += len(chunk)
			if _, ok := p.Next(); ok {
				t.Fatal("unexpected event")
			}
			if p.Err() != nil {
				break
			}
		}
		require.ErrorIs(t, p.Err(), sse.ErrEventTooLarge)
		assert.LessOrEqual(t, fed, limit+len(chunk))
	})
	t.Run("many events each below the limit are fine", func(t *testing.T) {
		line := "data: " + strings.Repeat("d", 1000) + "\n\n"
		src := io.LimitReader(&repeatReader{s: line}, int64(len(line)*2000))
		rd := sse.NewReader(src, 1024, "")
		n := 0
		for {
			_, err := rd.Next()
			if err == io.EOF {
				break
			}
			require.NoError(t, err)
			n++
		}
		assert.Equal(t, 2000, n)
	})
}

// repeatReader repeats s forever.
type repeatReader struct {
	s   string
	off int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.s[r.off:])
		n += c
		r.off = (r.off + c) % len(r.s)
	}
	return n, nil
}

// zeroReader returns 0, nil forever.
type zeroReader struct{ calls int }

func (r *zeroReader) Read([]byte) (int, error) { r.calls++; return 0, nil }

// errAfterReader returns its data, then err.
type errAfterReader struct {
	data string
	err  error
}

func (r *errAfterReader) Read(p []byte) (int, error) {
	if r.data == "" {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestReader(t *testing.T) {
	t.Run("io.EOF at the end of the stream, and again after", func(t *testing.T) {
		rd := sse.NewReader(strings.NewReader("data: a\n\n"), 0, "")
		ev, err := rd.Next()
		require.NoError(t, err)
		assert.Equal(t, msg("", "a"), ev)
		for range 3 {
			_, err = rd.Next()
			assert.Equal(t, io.EOF, err)
		}
	})
	t.Run("io.EOF after discarding an incomplete event, its id included", func(t *testing.T) {
		rd := sse.NewReader(strings.NewReader("id: 1\ndata: a\n\nid: 2\ndata: b"), 0, "")
		_, err := rd.Next()
		require.NoError(t, err)
		_, err = rd.Next()
		assert.Equal(t, io.EOF, err)
		assert.Equal(t, "1", rd.LastEventID())
	})
	t.Run("ErrNoProgress for a reader returning 0, nil forever", func(t *testing.T) {
		zr := &zeroReader{}
		rd := sse.NewReader(zr, 0, "")
		_, err := rd.Next()
		assert.ErrorIs(t, err, io.ErrNoProgress)
		assert.Less(t, zr.calls, 1000)
	})
	t.Run("occasional empty reads are tolerated", func(t *testing.T) {
		var chunks [][]byte
		for _, c := range []string{"da", "ta: ", "x\n", "\n"} {
			chunks = append(chunks, nil, nil, nil, []byte(c))
		}
		rd := sse.NewReader(&chunkReader{chunks: chunks}, 0, "")
		ev, err := rd.Next()
		require.NoError(t, err)
		assert.Equal(t, msg("", "x"), ev)
	})
	t.Run("an underlying error is passed through after the events before it", func(t *testing.T) {
		boom := errors.New("boom")
		rd := sse.NewReader(&errAfterReader{data: "data: a\n\ndata: b\n\ndata: partial\n", err: boom}, 0, "")
		var got []sse.Event
		var err error
		for {
			var ev sse.Event
			if ev, err = rd.Next(); err != nil {
				break
			}
			got = append(got, ev)
		}
		assert.Same(t, boom, err)
		assert.Equal(t, []sse.Event{msg("", "a"), msg("", "b")}, got)
		_, err = rd.Next()
		assert.Same(t, boom, err, "the error sticks")
	})
	t.Run("an error returned with data is passed through after that data's events", func(t *testing.T) {
		boom := errors.New("boom")
		rd := sse.NewReader(iotest.DataErrReader(&errAfterReader{data: "data: a\n\n", err: boom}), 0, "")
		ev, err := rd.Next()
		require.NoError(t, err)
		assert.Equal(t, msg("", "a"), ev)
		_, err = rd.Next()
		assert.Same(t, boom, err)
	})
	t.Run("iotest.TimeoutReader's error is passed through", func(t *testing.T) {
		rd := sse.NewReader(iotest.TimeoutReader(strings.NewReader("data: a\n\ndata: b\n\n")), 0, "")
		var err error
		for range 5 {
			if _, err = rd.Next(); err != nil {
				break
			}
		}
		assert.ErrorIs(t, err, iotest.ErrTimeout)
	})
	t.Run("NewReader seeds the last event ID", func(t *testing.T) {
		rd := sse.NewReader(strings.NewReader("data: a\n\n"), 0, "seed")
		assert.Equal(t, "seed", rd.LastEventID())
		ev, err := rd.Next()
		require.NoError(t, err)
		assert.Equal(t, msg("seed", "a"), ev)
	})
	t.Run("Retry reports the reconnection time", func(t *testing.T) {
		rd := sse.NewReader(strings.NewReader("retry: 3000\ndata: a\n\n"), 0, "")
		_, ok := rd.Retry()
		assert.False(t, ok)
		_, err := rd.Next()
		require.NoError(t, err)
		d, ok := rd.Retry()
		assert.True(t, ok)
		assert.Equal(t, 3*time.Second, d)
	})
	t.Run("ErrEventTooLarge from a Reader", func(t *testing.T) {
		rd := sse.NewReader(strings.NewReader("data: a\n\ndata: "+strings.Repeat("x", 100)+"\n\n"), 32, "")
		ev, err := rd.Next()
		require.NoError(t, err)
		assert.Equal(t, "a", ev.Data)
		_, err = rd.Next()
		assert.ErrorIs(t, err, sse.ErrEventTooLarge)
	})
	t.Run("a large event across many reads", func(t *testing.T) {
		data := strings.Repeat("0123456789", 20000)
		rd := sse.NewReader(iotest.HalfReader(strings.NewReader("data: "+data+"\n\n")), 0, "")
		ev, err := rd.Next()
		require.NoError(t, err)
		assert.Equal(t, data, ev.Data)
	})
}

// TestParserAllocs checks that a Parser allocates at most one string per event (its data,
// which also carries a changed ID).
func TestParserAllocs(t *testing.T) {
	const events = 1000
	frames := func(format func(i int) string) [][]byte {
		var out [][]byte
		for i := range events + 1 {
			out = append(out, []byte(format(i)))
		}
		return out
	}
	tests := []struct {
		name   string
		frames [][]byte
	}{
		{"same id", frames(func(int) string { return "id: 1\ndata: hello world\n\n" })},
		{"no id", frames(func(int) string { return "data: hello world\n\n" })},
		{"changing id", frames(func(i int) string { return fmt.Sprintf("id: %d\ndata: hello world\n\n", i) })},
		{"named type", frames(func(int) string { return "event: update\ndata: hello\n\n" })},
		{"alternating types", frames(func(i int) string { return fmt.Sprintf("event: t%d\ndata: hello\n\n", i%2) })},
		{"multi-line data", frames(func(int) string { return "data: a\ndata: b\r\ndata: c\r\r" })},
		{"comments and retry", frames(func(int) string { return ": hi\nretry: 100\ndata: x\n\n" })},
		{"invalid UTF-8 in data", frames(func(int) string { return "data: a\xFFb\n\n" })},
		{"same invalid UTF-8 id", frames(func(int) string { return "id: \xFF\ndata: x\n\n" })},
		{"same invalid UTF-8 type", frames(func(int) string { return "event: \xFF\ndata: x\n\n" })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p sse.Parser
			i := 0
			allocs := testing.AllocsPerRun(events, func() {
				p.Feed(tt.frames[i])
				i++
				if _, ok := p.Next(); !ok {
					t.Fatal("no event")
				}
			})
			assert.LessOrEqual(t, allocs, 1.0, "allocations per event")
		})
	}
	t.Run("through a Reader", func(t *testing.T) {
		var sb strings.Builder
		for i := range 20000 {
			fmt.Fprintf(&sb, "id: %d\ndata: %s\n\n", i/3, strings.Repeat("x", i%200))
		}
		rd := sse.NewReader(strings.NewReader(sb.String()), 0, "")
		allocs := testing.AllocsPerRun(10000, func() {
			if _, err := rd.Next(); err != nil {
				t.Fatal(err)
			}
		})
		assert.LessOrEqual(t, allocs, 1.0, "allocations per event")
	})
}
