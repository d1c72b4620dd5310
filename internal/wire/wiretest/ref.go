// Package wiretest holds what the tests of the event stream parser share across
// packages: a deliberately simple reference parser, written straight from the
// specifications with no concern for speed, and the test vectors, one per parsing rule.
// The tests of internal/wire hold the Parser to both; the tests of the public package run
// the same vectors through its Parser and Reader, and its encoder fuzz target uses the
// reference decoder. Only tests import this package.
package wiretest

import (
	"math"
	"strconv"
	"strings"

	"github.com/polysse/sse/internal/clock"
	"github.com/polysse/sse/internal/wire"
)

// Result is everything a parse observably produces.
type Result struct {
	Events      []wire.Event
	LastEventID string
	Retry       clock.Duration
	HasRetry    bool
	Err         error
}

// msg is a parsed event of the default type.
func msg(id, data string) wire.Event { return wire.Event{ID: id, Type: "message", Data: data} }

// typed is a parsed event of a named type.
func typed(id, typ, data string) wire.Event { return wire.Event{ID: id, Type: typ, Data: data} }

// Vector is an input stream and what parsing it must produce. Every vector is also
// checked for split invariance and seeds the fuzz targets.
type Vector struct {
	Name     string
	In       string
	Seed     string // last event ID given to Reset
	Max      int    // MaxEventSize; 0 means the default
	Want     []wire.Event
	LastID   string
	Retry    clock.Duration
	HasRetry bool
	Err      error
}

// Result returns what parsing the vector must produce.
func (v Vector) Result() Result {
	return Result{Events: v.Want, LastEventID: v.LastID, Retry: v.Retry, HasRetry: v.HasRetry, Err: v.Err}
}

// BOM is the UTF-8 byte order mark.
const BOM = "\xEF\xBB\xBF"

// Vectors hold one vector per rule of the WHATWG HTML Standard's event stream
// interpretation (and the parser's own rules).
// Groups are named "group/rule".
var Vectors = []Vector{
	// The specification's examples.
	{Name: "spec/stock ticker: data lines are joined by LF",
		In:   "data: YHOO\ndata: +2\ndata: 10\n\n",
		Want: []wire.Event{msg("", "YHOO\n+2\n10")}},
	{Name: "spec/four blocks: comment, id, empty id resets, leading space kept",
		In:   ": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n",
		Want: []wire.Event{msg("1", "first event"), msg("", "second event"), msg("", " third event")}},
	{Name: "spec/empty data fields and a last block without blank line",
		In:   "data\n\ndata\ndata\n\ndata:",
		Want: []wire.Event{msg("", ""), msg("", "\n")}},
	{Name: "spec/space after colon is optional",
		In:   "data:test\n\ndata: test\n\n",
		Want: []wire.Event{msg("", "test"), msg("", "test")}},
	{Name: "spec/event types and ids",
		In:   "event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\nevent: add\ndata: 113411\n\n",
		Want: []wire.Event{typed("", "add", "73857293"), typed("", "remove", "2153"), typed("", "add", "113411")}},

	// Byte order mark.
	{Name: "bom/one leading BOM is stripped",
		In: BOM + "data: x\n\n", Want: []wire.Event{msg("", "x")}},
	{Name: "bom/a second BOM is kept, making an unknown field name",
		In: BOM + BOM + "data: x\n\ndata: y\n\n", Want: []wire.Event{msg("", "y")}},
	{Name: "bom/a BOM alone is not a second BOM",
		In: BOM + "\ndata: y\n\n", Want: []wire.Event{msg("", "y")}},
	{Name: "bom/a BOM after the first line is part of the line",
		In: "data: a\n\n" + BOM + "data: b\n\n", Want: []wire.Event{msg("", "a")}},
	{Name: "bom/a BOM before a comment",
		In: BOM + ": c\ndata: x\n\n", Want: []wire.Event{msg("", "x")}},
	{Name: "bom/a BOM in a data value is kept as U+FEFF",
		In: "data: " + BOM + "x\n\n", Want: []wire.Event{msg("", "\uFEFFx")}},
	{Name: "bom/a truncated BOM is invalid UTF-8, making an unknown field name",
		In: "\xEF\xBBdata: x\n\ndata: y\n\n", Want: []wire.Event{msg("", "y")}},
	{Name: "bom/a stream that is only a BOM",
		In: BOM},
	{Name: "bom/a stream that is only part of a BOM",
		In: "\xEF\xBB"},
	{Name: "bom/a BOM then a blank line dispatches nothing",
		In: BOM + "\n\n"},

	// Line ends.
	{Name: "lines/LF ends a line",
		In: "data: a\n\n", Want: []wire.Event{msg("", "a")}},
	{Name: "lines/CR ends a line",
		In: "data: a\r\r", Want: []wire.Event{msg("", "a")}},
	{Name: "lines/CRLF ends a line",
		In: "data: a\r\n\r\n", Want: []wire.Event{msg("", "a")}},
	{Name: "lines/mixed line ends in one event",
		In: "data: a\rdata: b\ndata: c\r\n\r\n", Want: []wire.Event{msg("", "a\nb\nc")}},
	{Name: "lines/LF CR is two line ends",
		In: "data: a\n\r", Want: []wire.Event{msg("", "a")}},
	{Name: "lines/CR CR LF is two line ends",
		In: "data: a\r\r\n", Want: []wire.Event{msg("", "a")}},
	{Name: "lines/CR not followed by LF, then more lines",
		In: "data: a\rdata: b\r\rdata: c\r\n\r\n", Want: []wire.Event{msg("", "a\nb"), msg("", "c")}},
	{Name: "lines/CR at the very end of the stream ends the line",
		In: "id: 1\ndata: a\r\r", Want: []wire.Event{msg("1", "a")}, LastID: "1"},
	{Name: "lines/CRLF CRLF CRLF: the third is an extra blank line",
		In: "data: a\r\n\r\n\r\ndata: b\r\n\r\n", Want: []wire.Event{msg("", "a"), msg("", "b")}},
	{Name: "lines/many blank lines dispatch nothing",
		In: "\n\r\n\r\r\n\n"},
	{Name: "lines/empty stream",
		In: ""},

	// Comments.
	{Name: "comment/a comment line is ignored",
		In: ": hello\ndata: x\n\n", Want: []wire.Event{msg("", "x")}},
	{Name: "comment/a bare colon is a comment",
		In: ":\n\ndata: x\n\n", Want: []wire.Event{msg("", "x")}},
	{Name: "comment/a comment between data lines",
		In: "data: a\n: c\ndata: b\n\n", Want: []wire.Event{msg("", "a\nb")}},
	{Name: "comment/a comment that looks like a field",
		In: ":data: x\n\n"},
	{Name: "comment/a comment-only block dispatches nothing",
		In: ": keep-alive\n\n: again\n\n"},
	{Name: "comment/a comment with CR line end",
		In: ": c\rdata: x\r\r", Want: []wire.Event{msg("", "x")}},

	// A line without a colon.
	{Name: "nocolon/data alone is an empty data line and dispatches an empty string",
		In: "data\n\n", Want: []wire.Event{msg("", "")}},
	{Name: "nocolon/event alone sets an empty type, giving message",
		In: "event: t\nevent\ndata: x\n\n", Want: []wire.Event{msg("", "x")}},
	{Name: "nocolon/id alone resets the last event ID",
		Seed: "7", In: "id\ndata: x\n\n", Want: []wire.Event{msg("", "x")}},
	{Name: "nocolon/retry alone is ignored",
		In: "retry\n"},
	{Name: "nocolon/data alone twice joins two empty lines",
		In: "data\ndata\n\n", Want: []wire.Event{msg("", "\n")}},
	{Name: "nocolon/an unknown name alone is ignored",
		In: "foo\ndata: x\n\n", Want: []wire.Event{msg("", "x")}},

	// One leading space.
	{Name: "space/no space after the colon",
		In: "data:x\n\n", Want: []wire.Event{msg("", "x")}},
	{Name: "space/exactly one leading space removed",
		In: "data:  x\n\n", Want: []wire.Event{msg("", " x")}},
	{Name: "space/a tab is not removed",
		In: "data:\tx\n\n", Want: []wire.Event{msg("", "\tx")}},
	{Name: "space/a lone space gives an empty value",
		In: "data: \n\n", Want: []wire.Event{msg("", "")}},
	{Name: "space/trailing spaces are kept",
		In: "data: x  \n\n", Want: []wire.Event{msg("", "x  ")}},
	{Name: "space/non-breaking space is not removed",
		In: "data:\u00A0x\n\n", Want: []wire.Event{msg("", "\u00A0x")}},
	{Name: "space/in event and id values too",
		In: "event:  t\nid:  1\ndata: x\n\n", Want: []wire.Event{typed(" 1", " t", "x")}, LastID: " 1"},
	{Name: "space/a space before the colon makes another field name",
		In: "data : x\n\n"},
	{Name: "space/a leading space makes another field name",
		In: " data: x\n\n"},
	{Name: "space/only the first colon separates",
		In: "data:: x\ndata: a:b\n\n", Want: []wire.Event{msg("", ": x\na:b")}},

	// Data.
	{Name: "data/lines are joined by LF",
		In: "data: a\ndata: b\ndata: c\n\n", Want: []wire.Event{msg("", "a\nb\nc")}},
	{Name: "data/only one final LF is removed",
		In: "data: a\ndata:\n\n", Want: []wire.Event{msg("", "a\n")}},
	{Name: "data/a leading empty line is kept",
		In: "data:\ndata: a\n\n", Want: []wire.Event{msg("", "\na")}},
	{Name: "data/NUL is kept",
		In: "data: a\x00b\n\n", Want: []wire.Event{msg("", "a\x00b")}},
	{Name: "data/non-ASCII UTF-8 is kept",
		In: "data: é€😀\U0010FFFF\uFFFE\n\n", Want: []wire.Event{msg("", "é€😀\U0010FFFF\uFFFE")}},
	{Name: "data/each event has its own data",
		In: "data: a\n\ndata: b\n\n", Want: []wire.Event{msg("", "a"), msg("", "b")}},

	// Empty data.
	{Name: "empty/an event type without data dispatches nothing",
		In: "event: t\n\n"},
	{Name: "empty/an id without data dispatches nothing",
		In: "id: 1\n\n", LastID: "1"},
	{Name: "empty/blank lines alone dispatch nothing",
		In: "\n\n\n"},
	{Name: "empty/an unknown field alone dispatches nothing",
		In: "foo: bar\n\n"},

	// Event type.
	{Name: "type/event type is reset after each dispatch",
		In: "event: a\ndata: 1\n\ndata: 2\n\n", Want: []wire.Event{typed("", "a", "1"), msg("", "2")}},
	{Name: "type/event type is reset by an empty-data dispatch",
		In: "event: a\n\ndata: x\n\n", Want: []wire.Event{msg("", "x")}},
	{Name: "type/the last event field wins",
		In: "event: a\nevent: b\ndata: x\n\n", Want: []wire.Event{typed("", "b", "x")}},
	{Name: "type/an event field after the data applies",
		In: "data: x\nevent: a\n\n", Want: []wire.Event{typed("", "a", "x")}},
	{Name: "type/an explicit message type",
		In: "event: message\ndata: x\n\n", Want: []wire.Event{msg("", "x")}},
	{Name: "type/an empty event value gives message",
		In: "event:\ndata: x\n\n", Want: []wire.Event{msg("", "x")}},
	{Name: "type/types are case-sensitive",
		In: "event: Add\ndata: x\n\n", Want: []wire.Event{typed("", "Add", "x")}},
	{Name: "type/a repeated type",
		In:   "event: t\ndata: 1\n\nevent: t\ndata: 2\n\nevent: u\ndata: 3\n\n",
		Want: []wire.Event{typed("", "t", "1"), typed("", "t", "2"), typed("", "u", "3")}},

	// Event ID.
	{Name: "id/an id with NUL is ignored",
		In: "id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n", Want: []wire.Event{msg("1", "a"), msg("1", "b")}, LastID: "1"},
	{Name: "id/an id that is only NUL is ignored",
		Seed: "s", In: "id: \x00\ndata: a\n\n", Want: []wire.Event{msg("s", "a")}, LastID: "s"},
	{Name: "id/a NUL-free id after an ignored one is taken",
		In: "id: \x00\nid: 5\ndata: a\n\n", Want: []wire.Event{msg("5", "a")}, LastID: "5"},
	{Name: "id/the last event ID persists across events",
		In:   "id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\n",
		Want: []wire.Event{msg("1", "a"), msg("1", "b"), msg("2", "c")}, LastID: "2"},
	{Name: "id/the last event ID is seeded by Reset",
		Seed: "42", In: "data: a\n\n", Want: []wire.Event{msg("42", "a")}, LastID: "42"},
	{Name: "id/the seed persists without events",
		Seed: "42", In: ": nothing\n\n", LastID: "42"},
	{Name: "id/an empty id resets the last event ID",
		Seed: "7", In: "id:\ndata: a\n\n", Want: []wire.Event{msg("", "a")}},
	{Name: "id/an empty-data dispatch still updates the last event ID",
		In: "id: 3\n\ndata: x\n\n", Want: []wire.Event{msg("3", "x")}, LastID: "3"},
	{Name: "id/an empty-data dispatch can reset the ID to empty",
		Seed: "9", In: "id\n\ndata: x\n\n", Want: []wire.Event{msg("", "x")}},
	{Name: "id/an id after the data in the same block applies",
		In: "data: x\nid: 9\n\n", Want: []wire.Event{msg("9", "x")}, LastID: "9"},
	{Name: "id/the last id field of a block wins",
		In: "id: 1\nid: 2\ndata: x\n\n", Want: []wire.Event{msg("2", "x")}, LastID: "2"},
	{Name: "id/an id is any text",
		In: "id: a b:c\té\ndata: x\n\n", Want: []wire.Event{msg("a b:c\té", "x")}, LastID: "a b:c\té"},
	{Name: "id/the same id repeated",
		In: "id: 1\ndata: a\n\nid: 1\ndata: b\n\n", Want: []wire.Event{msg("1", "a"), msg("1", "b")}, LastID: "1"},

	// Retry.
	{Name: "retry/digits set the reconnection time in ms",
		In: "retry: 1000\n", Retry: clock.Second, HasRetry: true},
	{Name: "retry/without space",
		In: "retry:500\n", Retry: 500 * clock.Millisecond, HasRetry: true},
	{Name: "retry/zero is valid",
		In: "retry: 0\n", Retry: 0, HasRetry: true},
	{Name: "retry/leading zeros",
		In: "retry: 007\n", Retry: 7 * clock.Millisecond, HasRetry: true},
	{Name: "retry/very many leading zeros",
		In: "retry: 00000000000000000000000000000001\n", Retry: clock.Millisecond, HasRetry: true},
	{Name: "retry/the last valid value wins",
		In: "retry: 5\nretry: 6\n", Retry: 6 * clock.Millisecond, HasRetry: true},
	{Name: "retry/an invalid value keeps the previous one",
		In: "retry: 5\nretry: x\n", Retry: 5 * clock.Millisecond, HasRetry: true},
	{Name: "retry/empty value is ignored", In: "retry:\n"},
	{Name: "retry/a lone space gives an empty value, ignored", In: "retry: \n"},
	{Name: "retry/an extra leading space is ignored", In: "retry:  1\n"},
	{Name: "retry/a trailing space is ignored", In: "retry: 1 \n"},
	{Name: "retry/a letter is ignored", In: "retry: 1a\n"},
	{Name: "retry/a minus sign is ignored", In: "retry: -1\n"},
	{Name: "retry/a plus sign is ignored", In: "retry: +1\n"},
	{Name: "retry/a decimal point is ignored", In: "retry: 1.5\n"},
	{Name: "retry/an exponent is ignored", In: "retry: 1e3\n"},
	{Name: "retry/hex is ignored", In: "retry: 0x10\n"},
	{Name: "retry/an underscore is ignored", In: "retry: 1_000\n"},
	{Name: "retry/non-ASCII digits are ignored", In: "retry: \u0661\u0662\n"},
	{Name: "retry/fullwidth digits are ignored", In: "retry: \uFF11\n"},
	{Name: "retry/a retry field does not dispatch",
		In: "retry: 5\n\n", Retry: 5 * clock.Millisecond, HasRetry: true},
	{Name: "retry/inside an event, the event is still dispatched",
		In: "data: x\nretry: 5\n\n", Want: []wire.Event{msg("", "x")}, Retry: 5 * clock.Millisecond, HasRetry: true},
	{Name: "retry/a retry field on an incomplete event at end of stream still counts",
		In: "retry: 5\ndata: x\n", Retry: 5 * clock.Millisecond, HasRetry: true},
	{Name: "retry/largest exact duration",
		In: "retry: 9223372036854\n", Retry: 9223372036854 * clock.Millisecond, HasRetry: true},
	{Name: "retry/a value beyond clock.Duration is capped",
		In: "retry: 9223372036855\n", Retry: clock.Duration(math.MaxInt64), HasRetry: true},
	{Name: "retry/the largest uint64 is capped",
		In: "retry: 18446744073709551615\n", Retry: clock.Duration(math.MaxInt64), HasRetry: true},
	{Name: "retry/a value beyond uint64 is ignored",
		In: "retry: 5\nretry: 18446744073709551616\n", Retry: 5 * clock.Millisecond, HasRetry: true},
	{Name: "retry/a huge value is ignored",
		In: "retry: 99999999999999999999999999999999999999\n"},

	// Unknown fields.
	{Name: "unknown/an unknown field is ignored",
		In: "foo: bar\ndata: x\n\n", Want: []wire.Event{msg("", "x")}},
	{Name: "unknown/field names are case-sensitive",
		In: "Data: x\nDATA: y\nID: 1\nEvent: t\nRetry: 5\ndata: z\n\n", Want: []wire.Event{msg("", "z")}},
	{Name: "unknown/a field name with a prefix is unknown",
		In: "xdata: x\ndatax: y\n\n"},

	// UTF-8 decoding (WHATWG Encoding Standard, maximal subparts).
	{Name: "utf8/a truncated 3-byte sequence before ASCII is one U+FFFD",
		In: "data: \xE2\x82A\n\n", Want: []wire.Event{msg("", "\uFFFDA")}},
	{Name: "utf8/F0 80: 80 is not valid after F0, two U+FFFD",
		In: "data: \xF0\x80\n\n", Want: []wire.Event{msg("", "\uFFFD\uFFFD")}},
	{Name: "utf8/a surrogate ED A0 80 is three U+FFFD",
		In: "data: \xED\xA0\x80\n\n", Want: []wire.Event{msg("", "\uFFFD\uFFFD\uFFFD")}},
	{Name: "utf8/the overlong C0 AF is two U+FFFD",
		In: "data: \xC0\xAF\n\n", Want: []wire.Event{msg("", "\uFFFD\uFFFD")}},
	{Name: "utf8/the overlong E0 80 AF is three U+FFFD",
		In: "data: \xE0\x80\xAF\n\n", Want: []wire.Event{msg("", "\uFFFD\uFFFD\uFFFD")}},
	{Name: "utf8/the overlong F0 80 80 AF is four U+FFFD",
		In: "data: \xF0\x80\x80\xAF\n\n", Want: []wire.Event{msg("", "\uFFFD\uFFFD\uFFFD\uFFFD")}},
	{Name: "utf8/beyond U+10FFFF F4 90 80 80 is four U+FFFD",
		In: "data: \xF4\x90\x80\x80\n\n", Want: []wire.Event{msg("", "\uFFFD\uFFFD\uFFFD\uFFFD")}},
	{Name: "utf8/F5 to FF are each one U+FFFD",
		In: "data: \xF5\xF8\xFC\xFE\xFF\n\n", Want: []wire.Event{msg("", strings.Repeat("\uFFFD", 5))}},
	{Name: "utf8/C1 is one U+FFFD",
		In: "data: \xC1\x81\n\n", Want: []wire.Event{msg("", "\uFFFD\uFFFD")}},
	{Name: "utf8/lone continuation bytes are each one U+FFFD",
		In: "data: a\x80\xBFb\n\n", Want: []wire.Event{msg("", "a\uFFFD\uFFFDb")}},
	{Name: "utf8/a truncated 4-byte sequence is one U+FFFD",
		In: "data: \xF0\x9F\x98\n\n", Want: []wire.Event{msg("", "\uFFFD")}},
	{Name: "utf8/a truncated sequence followed by a valid one",
		In: "data: \xF0\x9F\x98\xF0\x9F\x98\x80\n\n", Want: []wire.Event{msg("", "\uFFFD😀")}},
	{Name: "utf8/a truncated sequence at the line end",
		In: "data: a\xE2\x82\n\n", Want: []wire.Event{msg("", "a\uFFFD")}},
	{Name: "utf8/a sequence cut by a line end is not joined across lines",
		In: "data: \xE2\x82\ndata: \xAC\n\n", Want: []wire.Event{msg("", "\uFFFD\n\uFFFD")}},
	{Name: "utf8/a lead byte before CR",
		In: "data: \xE2\rdata: b\r\r", Want: []wire.Event{msg("", "\uFFFD\nb")}},
	{Name: "utf8/the highest code point U+10FFFF is valid",
		In: "data: \xF4\x8F\xBF\xBF\n\n", Want: []wire.Event{msg("", "\U0010FFFF")}},
	{Name: "utf8/U+D7FF and U+E000 around the surrogates are valid",
		In: "data: \xED\x9F\xBF\xEE\x80\x80\n\n", Want: []wire.Event{msg("", "\uD7FF\uE000")}},
	{Name: "utf8/a literal U+FFFD passes through",
		In: "data: \uFFFD\n\n", Want: []wire.Event{msg("", "\uFFFD")}},
	{Name: "utf8/an invalid sequence in the id",
		In: "id: \xE2\x82A\ndata: x\n\n", Want: []wire.Event{msg("\uFFFDA", "x")}, LastID: "\uFFFDA"},
	{Name: "utf8/an invalid id in an empty-data dispatch",
		In: "id: \xFF\n\n", LastID: "\uFFFD"},
	{Name: "utf8/an invalid id persisting over events",
		In:   "id: \xED\xA0\x80\ndata: a\n\ndata: b\n\n",
		Want: []wire.Event{msg("\uFFFD\uFFFD\uFFFD", "a"), msg("\uFFFD\uFFFD\uFFFD", "b")}, LastID: "\uFFFD\uFFFD\uFFFD"},
	{Name: "utf8/an invalid sequence in the event type",
		In:   "event: \xC0\xAF\ndata: x\n\nevent: \xC0\xAF\ndata: y\n\n",
		Want: []wire.Event{typed("", "\uFFFD\uFFFD", "x"), typed("", "\uFFFD\uFFFD", "y")}},
	{Name: "utf8/an invalid sequence in a field name makes it unknown",
		In: "dat\xE1: x\n\ndata\xFF: y\n\n"},
	{Name: "utf8/an invalid sequence in a comment is ignored",
		In: ": \xFF\xFE\ndata: x\n\n", Want: []wire.Event{msg("", "x")}},
	{Name: "utf8/an invalid retry value is ignored",
		In: "retry: 1\xFF\n"},

	// End of stream.
	{Name: "end/an incomplete event is discarded",
		In: "data: a\n\ndata: b\n", Want: []wire.Event{msg("", "a")}},
	{Name: "end/an incomplete line is discarded",
		In: "data: a\n\ndata: b", Want: []wire.Event{msg("", "a")}},
	{Name: "end/an incomplete event's id is discarded too",
		Seed: "s", In: "data: a\n\nid: 9\ndata: b\n", Want: []wire.Event{msg("s", "a")}, LastID: "s"},
	{Name: "end/an incomplete id-only event is discarded",
		In: "id: 1\ndata: a\n\nid: 2\n", Want: []wire.Event{msg("1", "a")}, LastID: "1"},
	{Name: "end/a line ended by CR at the very end is complete, but not its event",
		In: "data: a\r", Want: nil},
	{Name: "end/an incomplete event type does not leak",
		In: "event: t\ndata: a\n"},

	// Maximum event size.
	{Name: "max/data beyond the limit is ErrEventTooLarge",
		Max: 16, In: "data: 0123456789\ndata: 0123456789\n\n", Err: wire.ErrEventTooLarge},
	{Name: "max/events before the large one are delivered",
		Max: 16, In: "id: 1\ndata: a\n\ndata: 0123456789\ndata: 0123456789\n\ndata: b\n\n",
		Want: []wire.Event{msg("1", "a")}, LastID: "1", Err: wire.ErrEventTooLarge},
	{Name: "max/data of exactly the limit is accepted",
		Max: 16, In: "data: 0123456789\ndata: 01234\n\n", Want: []wire.Event{msg("", "0123456789\n01234")}},
	{Name: "max/data one byte beyond the limit is rejected",
		Max: 16, In: "data: 0123456789\ndata: 012345\n\n", Err: wire.ErrEventTooLarge},
	{Name: "max/the limit is per event",
		Max: 16, In: "data: 0123456789\n\ndata: 0123456789\n\n", Want: []wire.Event{msg("", "0123456789"), msg("", "0123456789")}},
	{Name: "max/a line of exactly the limit is accepted",
		Max: 16, In: "data: 0123456789\n\n", Want: []wire.Event{msg("", "0123456789")}},
	{Name: "max/a long line without line end is ErrEventTooLarge",
		Max: 16, In: "data: " + strings.Repeat("x", 40), Err: wire.ErrEventTooLarge},
	{Name: "max/a long comment line is ErrEventTooLarge",
		Max: 16, In: ": " + strings.Repeat("x", 40) + "\ndata: a\n\n", Err: wire.ErrEventTooLarge},
	{Name: "max/a long id line is ErrEventTooLarge",
		Max: 16, In: "id: " + strings.Repeat("x", 40) + "\ndata: a\n\n", Err: wire.ErrEventTooLarge},
	{Name: "max/a long unknown field line is ErrEventTooLarge",
		Max: 16, In: "data: a\n\nfoo: " + strings.Repeat("x", 40) + "\r\n", Want: []wire.Event{msg("", "a")}, Err: wire.ErrEventTooLarge},
	{Name: "max/a data line of one byte more than the limit is ErrEventTooLarge",
		Max: 16, In: "data: 01234567890\n\n", Err: wire.ErrEventTooLarge},
}

// RefDecodeUTF8 is the UTF-8 decoder of the WHATWG Encoding Standard ("UTF-8
// decoder"), step by step: the handler keeps UTF-8 code point, bytes seen, bytes needed,
// lower boundary and upper boundary, and an invalid byte after a lead byte is "restored to
// the stream" (processed again) after one U+FFFD. A truncated sequence at the end of the
// input is one U+FFFD.
func RefDecodeUTF8(input []byte) []rune {
	var (
		out                  []rune
		codePoint            rune
		bytesSeen, bytesNeed int
		lower, upper         = byte(0x80), byte(0xBF)
	)
	i := 0
	for {
		if i == len(input) {
			if bytesNeed != 0 {
				out = append(out, '\uFFFD')
			}
			return out
		}
		b := input[i]
		if bytesNeed == 0 {
			i++
			switch {
			case b <= 0x7F:
				out = append(out, rune(b))
			case b >= 0xC2 && b <= 0xDF:
				bytesNeed = 1
				codePoint = rune(b & 0x1F)
			case b >= 0xE0 && b <= 0xEF:
				if b == 0xE0 {
					lower = 0xA0
				}
				if b == 0xED {
					upper = 0x9F
				}
				bytesNeed = 2
				codePoint = rune(b & 0xF)
			case b >= 0xF0 && b <= 0xF4:
				if b == 0xF0 {
					lower = 0x90
				}
				if b == 0xF4 {
					upper = 0x8F
				}
				bytesNeed = 3
				codePoint = rune(b & 0x7)
			default:
				out = append(out, '\uFFFD')
			}
			continue
		}
		if b < lower || b > upper {
			codePoint, bytesNeed, bytesSeen = 0, 0, 0
			lower, upper = 0x80, 0xBF
			out = append(out, '\uFFFD')
			continue // restore b to the stream: do not advance i
		}
		i++
		lower, upper = 0x80, 0xBF
		codePoint = codePoint<<6 | rune(b&0x3F)
		bytesSeen++
		if bytesSeen == bytesNeed {
			out = append(out, codePoint)
			codePoint, bytesNeed, bytesSeen = 0, 0, 0
		}
	}
}

// RefDecode decodes s with RefDecodeUTF8.
func RefDecode(s string) string { return string(RefDecodeUTF8([]byte(s))) }

// RefParse is the event stream interpretation of the WHATWG HTML Standard applied naively to a
// whole stream: decode, strip one BOM, split into lines, process fields, and discard the
// incomplete line and event at the end. It has no size limit.
func RefParse(input []byte, seed string) Result {
	return RefParseWith(input, seed, RefOptions{})
}

// RefOptions are the parser's options beyond the specification, for RefParseWith.
type RefOptions struct {
	// Comments: comment lines are results too (wire.Parser.Comments).
	Comments bool
	// MaxIDLen: an id value longer than this many bytes is ignored (wire.Parser.MaxIDLen).
	MaxIDLen int
}

// RefParseWith is RefParse with the parser's options beyond the specification.
func RefParseWith(input []byte, seed string, opts RefOptions) Result {
	text := RefDecodeUTF8(input)
	if len(text) > 0 && text[0] == '\uFEFF' {
		text = text[1:]
	}
	var lines []string
	start := 0
	for i := 0; i < len(text); i++ {
		if text[i] == '\r' || text[i] == '\n' {
			lines = append(lines, string(text[start:i]))
			if text[i] == '\r' && i+1 < len(text) && text[i+1] == '\n' {
				i++
			}
			start = i + 1
		}
	}
	// text[start:] has no line end: it is never processed.

	res := Result{LastEventID: seed}
	data, eventType, lastIDBuffer := "", "", seed
	for _, line := range lines {
		if line == "" {
			// Dispatch.
			res.LastEventID = lastIDBuffer
			if data == "" {
				eventType = ""
				continue
			}
			data = strings.TrimSuffix(data, "\n")
			ev := wire.Event{ID: res.LastEventID, Type: "message", Data: data}
			if eventType != "" {
				ev.Type = eventType
			}
			res.Events = append(res.Events, ev)
			data, eventType = "", ""
			continue
		}
		if strings.HasPrefix(line, ":") {
			if opts.Comments {
				res.Events = append(res.Events, wire.Event{ID: res.LastEventID, Comment: strings.TrimPrefix(line[1:], " ")})
			}
			continue
		}
		name, value, found := strings.Cut(line, ":")
		if found {
			value = strings.TrimPrefix(value, " ")
		}
		switch name {
		case "event":
			eventType = value
		case "data":
			data += value + "\n"
		case "id":
			if !strings.Contains(value, "\x00") && (opts.MaxIDLen <= 0 || len(value) <= opts.MaxIDLen) {
				lastIDBuffer = value
			}
		case "retry":
			allDigits := value != ""
			for _, c := range value {
				if c < '0' || c > '9' {
					allDigits = false
				}
			}
			if !allDigits {
				continue
			}
			ms, err := strconv.ParseUint(value, 10, 64)
			if err != nil {
				continue // beyond uint64: ignored
			}
			res.HasRetry = true
			if ms > math.MaxInt64/uint64(clock.Millisecond) {
				res.Retry = math.MaxInt64
			} else {
				res.Retry = clock.Duration(ms) * clock.Millisecond
			}
		}
	}
	return res
}
