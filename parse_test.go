package sse_test

// The Parser and Reader of this package delegate to internal/wire, whose tests hold the
// parser to every rule (split invariance, memory bounds, allocations, the reference
// parser). These tests run the same vectors through the public types, so that every
// method and setting is shown to reach the parser.

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/polysse/sse"
	"github.com/polysse/sse/internal/clock"
	"github.com/polysse/sse/internal/wire"
	"github.com/polysse/sse/internal/wire/wiretest"
)

// feedParser parses chunks with p.Feed (or p.Fill when fill is set), calling Next after
// every chunk, and End at the end of the stream. Each event's Data is copied before the
// next call of Next, as BorrowData requires.
func feedParser(p *sse.Parser, fill bool, seed string, chunks ...[]byte) wiretest.Result {
	p.Reset(seed)
	var res wiretest.Result
	for _, c := range chunks {
		if fill {
			if _, err := p.Fill(strings.NewReader(string(c))); err != nil && err != io.EOF && err != p.Err() {
				res.Err = err
			}
		} else {
			p.Feed(c)
		}
		for {
			ev, ok := p.Next()
			if !ok {
				break
			}
			ev.Data = strings.Clone(ev.Data)
			res.Events = append(res.Events, toWire(ev))
		}
	}
	p.End()
	if _, ok := p.Next(); ok {
		res.Err = errors.New("Next returned an event after End")
	}
	res.LastEventID = p.LastEventID()
	retry, ok := p.Retry()
	res.Retry, res.HasRetry = clock.Duration(retry), ok
	if res.Err == nil {
		res.Err = p.Err()
	}
	return res
}

// toWire converts a parsed event to the reference's type: field by field, since under
// js/wasm wire's Retry is a clock.Duration (natively sse.Event(ev) would do).
func toWire(ev sse.Event) wire.Event {
	return wire.Event{ID: ev.ID, Type: ev.Type, Data: ev.Data, Retry: clock.Duration(ev.Retry), Comment: ev.Comment}
}

// readAll parses r with a Reader until it returns an error; io.EOF is reported as nil.
func readAll(r io.Reader, maxEventSize int, seed string) wiretest.Result {
	rd := sse.NewReader(r, maxEventSize, seed)
	var res wiretest.Result
	for {
		ev, err := rd.Next()
		if err != nil {
			if err != io.EOF {
				res.Err = err
			}
			break
		}
		res.Events = append(res.Events, toWire(ev))
	}
	res.LastEventID = rd.LastEventID()
	retry, ok := rd.Retry()
	res.Retry, res.HasRetry = clock.Duration(retry), ok
	return res
}

// TestParser runs every vector through Parser.Feed, Parser.Fill (with and without
// BorrowData) and a Reader over a one-byte reader.
func TestParser(t *testing.T) {
	for _, v := range wiretest.Vectors {
		t.Run(v.Name, func(t *testing.T) {
			for _, tc := range []struct {
				name   string
				fill   bool
				borrow bool
			}{{"Feed", false, false}, {"Fill", true, false}, {"Feed with BorrowData", false, true}} {
				p := &sse.Parser{MaxEventSize: v.Max, BorrowData: tc.borrow}
				got := feedParser(p, tc.fill, v.Seed, []byte(v.In))
				assert.Equal(t, v.Result(), got, "%s, input %q", tc.name, v.In)
			}
			got := readAll(iotest.OneByteReader(strings.NewReader(v.In)), v.Max, v.Seed)
			assert.Equal(t, v.Result(), got, "Reader, input %q", v.In)
		})
	}
}

func TestParserSettings(t *testing.T) {
	t.Run("the zero Parser is ready to use, with the default limit", func(t *testing.T) {
		var p sse.Parser
		assert.Empty(t, p.LastEventID())
		_, ok := p.Retry()
		assert.False(t, ok)
		p.Feed([]byte(wiretest.BOM + "id: 1\ndata: x\n\n"))
		ev, ok := p.Next()
		require.True(t, ok)
		assert.Equal(t, sse.Event{ID: "1", Type: "message", Data: "x"}, ev)
		assert.NoError(t, p.Err())
		assert.Equal(t, 8<<20, sse.DefaultMaxEventSize)
	})
	t.Run("MaxEventSize set after the first use applies", func(t *testing.T) {
		var p sse.Parser
		p.Feed([]byte("data: ok\n\n"))
		_, ok := p.Next()
		require.True(t, ok)
		p.MaxEventSize = 4
		p.Feed([]byte("data: too long\n\n"))
		_, ok = p.Next()
		assert.False(t, ok)
		assert.ErrorIs(t, p.Err(), sse.ErrEventTooLarge)
		assert.Same(t, wire.ErrEventTooLarge, sse.ErrEventTooLarge, "one sentinel for both packages")
		p.Reset("")
		assert.NoError(t, p.Err(), "Reset clears the error")
	})
	t.Run("BorrowData shares the parser's memory until the next Next", func(t *testing.T) {
		p := sse.Parser{BorrowData: true}
		// Data of several lines is joined in the parser's data buffer, which the next
		// such event reuses.
		p.Feed([]byte("data: fi\ndata: rst\n\ndata: ot\ndata: her\n\n"))
		first, ok := p.Next()
		require.True(t, ok)
		kept := strings.Clone(first.Data)
		_, ok = p.Next()
		require.True(t, ok)
		assert.Equal(t, "fi\nrst", kept)
		assert.NotEqual(t, "fi\nrst", first.Data, "the borrowed memory was reused")
	})
	t.Run("Fill returns the reader's error and the retry value is kept", func(t *testing.T) {
		var p sse.Parser
		n, err := p.Fill(strings.NewReader("retry: 250\ndata: x\n\n"))
		require.NoError(t, err)
		assert.Equal(t, 20, n)
		_, ok := p.Next()
		require.True(t, ok)
		_, err = p.Fill(strings.NewReader(""))
		assert.Equal(t, io.EOF, err)
		d, ok := p.Retry()
		assert.True(t, ok)
		assert.Equal(t, 250*time.Millisecond, d)
	})
	t.Run("a Reader's underlying error sticks", func(t *testing.T) {
		boom := errors.New("boom")
		rd := sse.NewReader(iotest.ErrReader(boom), 0, "seed")
		for range 2 {
			_, err := rd.Next()
			assert.Same(t, boom, err)
		}
		assert.Equal(t, "seed", rd.LastEventID())
	})
}
