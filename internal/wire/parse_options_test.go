package wire_test

// The parser's options beyond the specification: Comments (comment lines are returned
// too) and MaxIDLen (a longer id field is ignored). Both keep the parser's promises: the
// output never depends on how the input is split, and it equals the reference parser's
// with the same options.

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/polysse/sse/internal/wire"
	"github.com/polysse/sse/internal/wire/wiretest"
)

// comment is a comment line as a Parser with Comments returns it.
func comment(id, text string) wire.Event { return wire.Event{ID: id, Comment: text} }

// feedWith feeds in whole, then in every way of splits, to a parser made by mk, and
// requires one output for all of them; it returns that output.
func feedWith(t *testing.T, mk func() *wire.Parser, seed, in string) wiretest.Result {
	t.Helper()
	whole := feedParser(mk(), seed, []byte(in))
	for way, chunks := range splits([]byte(in)) {
		require.Equal(t, whole, feedParser(mk(), seed, chunks...), "Feed %s, input %q", way, in)
	}
	return whole
}

func TestParserComments(t *testing.T) {
	for _, tc := range []struct {
		name, seed, in string
		want           []wire.Event
	}{
		{"one leading space is removed", "", ": hi\n:  two\n:x\n:\n", []wire.Event{
			comment("", "hi"), comment("", " two"), comment("", "x"), comment("", ""),
		}},
		{"in stream order, between events, with the last event ID of the last dispatch", "s",
			"data: a\nid: 1\n: inside a block\n\n: after\nid: 2\n\n: after an id-only block\n",
			[]wire.Event{comment("s", "inside a block"), msg("1", "a"), comment("1", "after"), comment("2", "after an id-only block")}},
		{"every line end, and a BOM before the first", "", wiretest.BOM + ":a\r:b\r\n:c\n", []wire.Event{
			comment("", "a"), comment("", "b"), comment("", "c"),
		}},
		{"invalid UTF-8 is replaced", "", ": \xff\xc3(\n", []wire.Event{comment("", "\uFFFD\uFFFD(")}},
		{"an incomplete comment line at the end is discarded", "", ": done\n: never ended", []wire.Event{comment("", "done")}},
		{"a colon later in the line is part of the text", "", ":a: b\n", []wire.Event{comment("", "a: b")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := feedWith(t, func() *wire.Parser { return &wire.Parser{Comments: true} }, tc.seed, tc.in)
			require.NoError(t, got.Err)
			assert.Equal(t, tc.want, got.Events)
			assert.Equal(t, wiretest.RefParseWith([]byte(tc.in), tc.seed, wiretest.RefOptions{Comments: true}), got)
		})
	}
	t.Run("off, comments are skipped", func(t *testing.T) {
		got := feedWith(t, func() *wire.Parser { return &wire.Parser{} }, "", ": a\ndata: x\n\n: b\n")
		assert.Equal(t, []wire.Event{msg("", "x")}, got.Events)
	})
	t.Run("a comment line is bounded by MaxEventSize like any line", func(t *testing.T) {
		got := feedParser(&wire.Parser{Comments: true, MaxEventSize: 8}, "", []byte(":"+strings.Repeat("x", 8)+"\n"))
		assert.ErrorIs(t, got.Err, wire.ErrEventTooLarge)
		assert.Empty(t, got.Events)
	})
	t.Run("the comment's text is its own string, with BorrowData too", func(t *testing.T) {
		p := &wire.Parser{Comments: true, BorrowData: true}
		p.Feed([]byte(": first\ndata: x\n\n"))
		c, ok := p.Next()
		require.True(t, ok)
		ev, ok := p.Next()
		require.True(t, ok)
		assert.Equal(t, "x", ev.Data)
		p.Feed([]byte(": overwrite the buffer\n"))
		_, ok = p.Next()
		require.True(t, ok)
		assert.Equal(t, "first", c.Comment)
	})
}

func TestParserMaxIDLen(t *testing.T) {
	for _, tc := range []struct {
		name, seed, in string
		max            int
		want           []wire.Event
		lastID         string
	}{
		{"an id of exactly MaxIDLen is kept", "", "id: abcd\ndata: x\n\n", 4, []wire.Event{msg("abcd", "x")}, "abcd"},
		{"a longer id is ignored: the last event ID keeps its value", "s", "id: abcde\ndata: x\n\n", 4, []wire.Event{msg("s", "x")}, "s"},
		{"a longer id after a kept one in the same block", "", "id: 1\nid: abcde\ndata: x\n\n", 4, []wire.Event{msg("1", "x")}, "1"},
		{"a longer id does not reset an empty one", "old", "id\nid: abcde\ndata: x\n\n", 4, []wire.Event{msg("", "x")}, ""},
		{"the length is counted in UTF-8 bytes", "", "id: éé\ndata: x\n\nid: ééé\ndata: y\n\n", 4, []wire.Event{msg("éé", "x"), msg("éé", "y")}, "éé"},
		{"after invalid bytes are replaced", "", "id: a\xff\ndata: x\n\nid: aa\xff\ndata: y\n\n", 4, []wire.Event{msg("a\uFFFD", "x"), msg("a\uFFFD", "y")}, "a\uFFFD"},
		{"zero: no bound", "", "id: " + strings.Repeat("i", 5000) + "\ndata: x\n\n", 0, []wire.Event{msg(strings.Repeat("i", 5000), "x")}, strings.Repeat("i", 5000)},
		{"an id-only block with a longer id changes nothing", "s", "id: abcde\n\ndata: x\n\n", 4, []wire.Event{msg("s", "x")}, "s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := feedWith(t, func() *wire.Parser { return &wire.Parser{MaxIDLen: tc.max} }, tc.seed, tc.in)
			require.NoError(t, got.Err)
			assert.Equal(t, tc.want, got.Events)
			assert.Equal(t, tc.lastID, got.LastEventID)
			assert.Equal(t, wiretest.RefParseWith([]byte(tc.in), tc.seed, wiretest.RefOptions{MaxIDLen: tc.max}), got)
		})
	}
}

// FuzzParserOptions is FuzzParser with Comments on and a MaxIDLen: the output never
// depends on how the input is split (Feed in chunks, Feed whole, Fill from a reader of
// those chunks), equals the reference parser's with the same options, and without its
// comments is the output of a parser without Comments.
func FuzzParserOptions(f *testing.F) {
	for _, v := range wiretest.Vectors {
		f.Add([]byte(v.In), []byte{1, 7, 0, 3}, v.Seed, uint8(3))
	}
	f.Add([]byte(": c\nid: 12345\ndata: x\n\n:\xffz\r\n"), []byte{2, 9}, "s", uint8(4))
	f.Fuzz(func(t *testing.T, in, cuts []byte, seed string, maxID uint8) {
		mk := func(comments bool) *wire.Parser {
			return &wire.Parser{Comments: comments, MaxIDLen: int(maxID % 16)}
		}
		whole := feedParser(mk(true), seed, in)
		chunks := chunksFromCuts(in, cuts)
		require.Equal(t, whole, feedParser(mk(true), seed, chunks...), "Feed whole vs Feed in chunks %q", chunks)
		require.Equal(t, whole, fillAll(mk(true), seed, &chunkReader{chunks: chunksFromCuts(in, cuts)}), "Feed whole vs Fill over chunks %q", chunks)
		require.Equal(t, wiretest.RefParseWith(in, seed, wiretest.RefOptions{Comments: true, MaxIDLen: int(maxID % 16)}), whole, "reference parser, input %q", in)
		without := whole
		without.Events = nil
		for _, ev := range whole.Events {
			if ev.Type != "" {
				without.Events = append(without.Events, ev)
			}
		}
		require.Equal(t, feedParser(mk(false), seed, in), without, "Comments only adds the comments, input %q", in)
	})
}

// fillAll parses r with Parser.Fill, as the client does, until r fails.
func fillAll(p *wire.Parser, seed string, r *chunkReader) wiretest.Result {
	p.Reset(seed)
	var res wiretest.Result
	for {
		_, err := p.Fill(r)
		for {
			ev, ok := p.Next()
			if !ok {
				break
			}
			ev.Data = strings.Clone(ev.Data)
			res.Events = append(res.Events, ev)
		}
		if err != nil || p.Err() != nil {
			break
		}
	}
	p.End()
	res.LastEventID = p.LastEventID()
	res.Retry, res.HasRetry = p.Retry()
	res.Err = p.Err()
	return res
}
