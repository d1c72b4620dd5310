package wire_test

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/polysse/sse/internal/clock"
	"github.com/polysse/sse/internal/wire"
	"github.com/polysse/sse/internal/wire/wiretest"
)

// feedChunks parses chunks with Parser.Feed, calling Next after every chunk as documented,
// and End at the end of the stream. The parser is seeded with Reset(seed).
func feedChunks(maxEventSize int, seed string, chunks ...[]byte) wiretest.Result {
	return feedParser(&wire.Parser{MaxEventSize: maxEventSize}, seed, chunks...)
}

// feedParser is feedChunks with a configured parser. Each event's Data is copied before
// the next call of Next, as Parser.BorrowData requires.
func feedParser(p *wire.Parser, seed string, chunks ...[]byte) wiretest.Result {
	p.Reset(seed)
	var res wiretest.Result
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

// msg is a parsed event of the default type.
func msg(id, data string) wire.Event { return wire.Event{ID: id, Type: "message", Data: data} }

// readAll parses r with a Reader until it returns an error; io.EOF is reported as nil.
func readAll(r io.Reader, maxEventSize int, seed string) wiretest.Result {
	rd := wire.NewReader(r, maxEventSize, seed)
	var res wiretest.Result
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

// TestParser checks each vector fed as one chunk, then read by a Reader.
func TestParser(t *testing.T) {
	for _, v := range wiretest.Vectors {
		t.Run(v.Name, func(t *testing.T) {
			got := feedChunks(v.Max, v.Seed, []byte(v.In))
			assert.Equal(t, v.Result(), got, "input %q", v.In)
			got = readAll(strings.NewReader(v.In), v.Max, v.Seed)
			assert.Equal(t, v.Result(), got, "Reader, input %q", v.In)
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
	for _, v := range wiretest.Vectors {
		t.Run(v.Name, func(t *testing.T) {
			whole := feedChunks(v.Max, v.Seed, []byte(v.In))
			failed := 0
			for way, chunks := range splits([]byte(v.In)) {
				got := feedChunks(v.Max, v.Seed, chunks...)
				if !assert.Equal(t, whole, got, "Feed %s, input %q", way, v.In) {
					if failed++; failed >= 3 {
						t.Fatal("giving up on this vector after 3 failures")
					}
				}
			}
			for way, r := range readers(v.In) {
				got := readAll(r(), v.Max, v.Seed)
				assert.Equal(t, whole, got, "Reader over %s, input %q", way, v.In)
			}
		})
	}
}

func TestParserZeroValue(t *testing.T) {
	t.Run("the zero Parser is ready to use", func(t *testing.T) {
		var p wire.Parser
		p.Feed([]byte(wiretest.BOM + "id: 1\ndata: x\n\n"))
		ev, ok := p.Next()
		require.True(t, ok)
		assert.Equal(t, msg("1", "x"), ev)
		_, ok = p.Next()
		assert.False(t, ok)
		assert.NoError(t, p.Err())
	})
	t.Run("the zero Parser has an empty last event ID and no retry", func(t *testing.T) {
		var p wire.Parser
		assert.Empty(t, p.LastEventID())
		d, ok := p.Retry()
		assert.Zero(t, d)
		assert.False(t, ok)
	})
	t.Run("the default maximum event size is 8 MiB", func(t *testing.T) {
		assert.Equal(t, 8<<20, wire.DefaultMaxEventSize)
		if runtime.GOOS == "js" {
			t.Skip("8 MiB inputs are slow under wasm")
		}
		var p wire.Parser
		p.Feed([]byte("data:"))
		p.Feed([]byte(strings.Repeat("x", wire.DefaultMaxEventSize-len("data:"))))
		_, ok := p.Next()
		assert.False(t, ok)
		require.NoError(t, p.Err(), "a line of exactly the default limit")
		p.Feed([]byte("y"))
		_, ok = p.Next()
		assert.False(t, ok)
		assert.ErrorIs(t, p.Err(), wire.ErrEventTooLarge)
	})
}

func TestParserBehaviour(t *testing.T) {
	t.Run("Next reports false until an event is complete", func(t *testing.T) {
		var p wire.Parser
		p.Feed([]byte("data: a\n"))
		_, ok := p.Next()
		require.False(t, ok)
		p.Feed([]byte("\n"))
		ev, ok := p.Next()
		require.True(t, ok)
		assert.Equal(t, msg("", "a"), ev)
	})
	t.Run("Feed copies the chunk", func(t *testing.T) {
		var p wire.Parser
		chunk := []byte("data: abc\n")
		p.Feed(chunk)
		copy(chunk, "XXXXXXXXXX")
		p.Feed([]byte("\n"))
		ev, ok := p.Next()
		require.True(t, ok)
		assert.Equal(t, "abc", ev.Data)
	})
	t.Run("events do not share memory with later input", func(t *testing.T) {
		var p wire.Parser
		var got []wire.Event
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
		var p wire.Parser
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
		var p wire.Parser
		p.Feed([]byte("data: a"))
		p.End()
		p.Feed([]byte("\n\n"))
		_, ok := p.Next()
		assert.False(t, ok)
	})
	t.Run("Reset seeds the last event ID and drops unread input", func(t *testing.T) {
		var p wire.Parser
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
		var p wire.Parser
		p.Feed([]byte(wiretest.BOM + "data: a\n\n"))
		_, ok := p.Next()
		require.True(t, ok)
		p.Reset("")
		p.Feed([]byte(wiretest.BOM + "data: b\n\n"))
		ev, ok := p.Next()
		require.True(t, ok)
		assert.Equal(t, "b", ev.Data)
	})
	t.Run("Reset drops the event type and data of an incomplete event", func(t *testing.T) {
		var p wire.Parser
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
		p := wire.Parser{MaxEventSize: 16}
		p.Feed([]byte("retry: 250\n"))
		_, _ = p.Next()
		require.NoError(t, p.Err())
		p.Reset("")
		d, ok := p.Retry()
		assert.True(t, ok)
		assert.Equal(t, 250*clock.Millisecond, d)
		assert.Equal(t, 16, p.MaxEventSize)
	})
	t.Run("Reset clears ErrEventTooLarge", func(t *testing.T) {
		p := wire.Parser{MaxEventSize: 8}
		p.Feed([]byte("data: 0123456789\n\n"))
		_, ok := p.Next()
		require.False(t, ok)
		require.ErrorIs(t, p.Err(), wire.ErrEventTooLarge)
		p.Reset("x")
		require.NoError(t, p.Err())
		p.Feed([]byte("data: ok\n\n"))
		ev, ok := p.Next()
		require.True(t, ok)
		assert.Equal(t, msg("x", "ok"), ev)
	})
	t.Run("after ErrEventTooLarge Feed is ignored and Next reports false", func(t *testing.T) {
		p := wire.Parser{MaxEventSize: 8}
		p.Feed([]byte("data: 0123456789\n\n"))
		_, ok := p.Next()
		require.False(t, ok)
		p.Feed([]byte("data: more\n\n"))
		_, ok = p.Next()
		assert.False(t, ok)
		assert.ErrorIs(t, p.Err(), wire.ErrEventTooLarge)
	})
	t.Run("Fill reads from an io.Reader", func(t *testing.T) {
		var p wire.Parser
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
		p := wire.Parser{MaxEventSize: 16}
		n, err := p.Fill(strings.NewReader(strings.Repeat("x", 40)))
		require.NoError(t, err)
		require.Equal(t, 40, n)
		more := &countingReader{r: &endlessReader{b: 'y', limit: 1 << 20}}
		_, err = p.Fill(more)
		assert.ErrorIs(t, err, wire.ErrEventTooLarge, "Fill's doc: returns ErrEventTooLarge without reading")
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
		rd := wire.NewReader(src, limit, "")
		_, err := rd.Next()
		require.ErrorIs(t, err, wire.ErrEventTooLarge)
		assert.Less(t, src.n, int64(4*limit), "read %d bytes of a %d-byte stream with a %d-byte limit", src.n, total, limit)
		assert.Greater(t, src.n, int64(limit))
		// The error sticks and nothing more is read.
		n := src.n
		_, err = rd.Next()
		assert.ErrorIs(t, err, wire.ErrEventTooLarge)
		assert.Equal(t, n, src.n)
	})
	t.Run("a data-heavy event stops soon after the limit", func(t *testing.T) {
		line := "data: " + strings.Repeat("d", 1000) + "\n"
		src := &countingReader{r: io.LimitReader(&repeatReader{s: line}, total)}
		rd := wire.NewReader(src, limit, "")
		_, err := rd.Next()
		require.ErrorIs(t, err, wire.ErrEventTooLarge)
		assert.Less(t, src.n, int64(4*limit), "read %d bytes of a %d-byte stream with a %d-byte limit", src.n, total, limit)
	})
	t.Run("Feed in chunks stops at the limit", func(t *testing.T) {
		p := wire.Parser{MaxEventSize: limit}
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
		require.ErrorIs(t, p.Err(), wire.ErrEventTooLarge)
		assert.LessOrEqual(t, fed, limit+len(chunk))
	})
	t.Run("many events each below the limit are fine", func(t *testing.T) {
		line := "data: " + strings.Repeat("d", 1000) + "\n\n"
		src := io.LimitReader(&repeatReader{s: line}, int64(len(line)*2000))
		rd := wire.NewReader(src, 1024, "")
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
		rd := wire.NewReader(strings.NewReader("data: a\n\n"), 0, "")
		ev, err := rd.Next()
		require.NoError(t, err)
		assert.Equal(t, msg("", "a"), ev)
		for range 3 {
			_, err = rd.Next()
			assert.Equal(t, io.EOF, err)
		}
	})
	t.Run("io.EOF after discarding an incomplete event, its id included", func(t *testing.T) {
		rd := wire.NewReader(strings.NewReader("id: 1\ndata: a\n\nid: 2\ndata: b"), 0, "")
		_, err := rd.Next()
		require.NoError(t, err)
		_, err = rd.Next()
		assert.Equal(t, io.EOF, err)
		assert.Equal(t, "1", rd.LastEventID())
	})
	t.Run("ErrNoProgress for a reader returning 0, nil forever", func(t *testing.T) {
		zr := &zeroReader{}
		rd := wire.NewReader(zr, 0, "")
		_, err := rd.Next()
		assert.ErrorIs(t, err, io.ErrNoProgress)
		assert.Less(t, zr.calls, 1000)
	})
	t.Run("occasional empty reads are tolerated", func(t *testing.T) {
		var chunks [][]byte
		for _, c := range []string{"da", "ta: ", "x\n", "\n"} {
			chunks = append(chunks, nil, nil, nil, []byte(c))
		}
		rd := wire.NewReader(&chunkReader{chunks: chunks}, 0, "")
		ev, err := rd.Next()
		require.NoError(t, err)
		assert.Equal(t, msg("", "x"), ev)
	})
	t.Run("an underlying error is passed through after the events before it", func(t *testing.T) {
		boom := errors.New("boom")
		rd := wire.NewReader(&errAfterReader{data: "data: a\n\ndata: b\n\ndata: partial\n", err: boom}, 0, "")
		var got []wire.Event
		var err error
		for {
			var ev wire.Event
			if ev, err = rd.Next(); err != nil {
				break
			}
			got = append(got, ev)
		}
		assert.Same(t, boom, err)
		assert.Equal(t, []wire.Event{msg("", "a"), msg("", "b")}, got)
		_, err = rd.Next()
		assert.Same(t, boom, err, "the error sticks")
	})
	t.Run("an error returned with data is passed through after that data's events", func(t *testing.T) {
		boom := errors.New("boom")
		rd := wire.NewReader(iotest.DataErrReader(&errAfterReader{data: "data: a\n\n", err: boom}), 0, "")
		ev, err := rd.Next()
		require.NoError(t, err)
		assert.Equal(t, msg("", "a"), ev)
		_, err = rd.Next()
		assert.Same(t, boom, err)
	})
	t.Run("iotest.TimeoutReader's error is passed through", func(t *testing.T) {
		rd := wire.NewReader(iotest.TimeoutReader(strings.NewReader("data: a\n\ndata: b\n\n")), 0, "")
		var err error
		for range 5 {
			if _, err = rd.Next(); err != nil {
				break
			}
		}
		assert.ErrorIs(t, err, iotest.ErrTimeout)
	})
	t.Run("NewReader seeds the last event ID", func(t *testing.T) {
		rd := wire.NewReader(strings.NewReader("data: a\n\n"), 0, "seed")
		assert.Equal(t, "seed", rd.LastEventID())
		ev, err := rd.Next()
		require.NoError(t, err)
		assert.Equal(t, msg("seed", "a"), ev)
	})
	t.Run("Retry reports the reconnection time", func(t *testing.T) {
		rd := wire.NewReader(strings.NewReader("retry: 3000\ndata: a\n\n"), 0, "")
		_, ok := rd.Retry()
		assert.False(t, ok)
		_, err := rd.Next()
		require.NoError(t, err)
		d, ok := rd.Retry()
		assert.True(t, ok)
		assert.Equal(t, 3*clock.Second, d)
	})
	t.Run("ErrEventTooLarge from a Reader", func(t *testing.T) {
		rd := wire.NewReader(strings.NewReader("data: a\n\ndata: "+strings.Repeat("x", 100)+"\n\n"), 32, "")
		ev, err := rd.Next()
		require.NoError(t, err)
		assert.Equal(t, "a", ev.Data)
		_, err = rd.Next()
		assert.ErrorIs(t, err, wire.ErrEventTooLarge)
	})
	t.Run("a large event across many reads", func(t *testing.T) {
		data := strings.Repeat("0123456789", 20000)
		rd := wire.NewReader(iotest.HalfReader(strings.NewReader("data: "+data+"\n\n")), 0, "")
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
			var p wire.Parser
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
		rd := wire.NewReader(strings.NewReader(sb.String()), 0, "")
		allocs := testing.AllocsPerRun(10000, func() {
			if _, err := rd.Next(); err != nil {
				t.Fatal(err)
			}
		})
		assert.LessOrEqual(t, allocs, 1.0, "allocations per event")
	})
}

// TestParserNonASCIIAtEveryPosition puts a byte >= 0x80 (an invalid one, and the start of a
// valid 2-byte sequence) at every position of a stream whose lines are longer than the
// 8, 16 and 32 bytes the scanners look at per step, and splits each such stream at every
// point: the parser skips the UTF-8 check of values it found ASCII, so where a non-ASCII
// byte lies relative to lines, words and reads must never change the output, which must
// equal the reference parser's. The same for control bytes other than CR and LF, at which
// the js/wasm scanner stops too (it stops at every byte below 14), alone and after a byte
// >= 0x80.
func TestParserNonASCIIAtEveryPosition(t *testing.T) {
	base := "id: 0123456789abcdefghij\nevent: update-type-name\r\n" +
		"data: {\"json\":\"0123456789abcdefghijklmnopqrstuvwxyz\"}\ndata: b\r\n\n" +
		"data: second event with a long enough line to span words\n\n"
	for _, bad := range []string{"\xFF", "\xC3\xA9", "\x00", "\t", "\x0B\x0C", "\xFF\x01\x0E"} {
		t.Run(fmt.Sprintf("%q", bad), func(t *testing.T) {
			for pos := range len(base) {
				in := []byte(base[:pos] + bad + base[pos:])
				want := wiretest.RefParse(in, "")
				for cut := range len(in) + 1 {
					got := feedChunks(0, "", in[:cut], in[cut:])
					if !assert.Equal(t, want, got, "input %q split at %d", in, cut) {
						return
					}
				}
				assert.Equal(t, want, readAll(iotest.OneByteReader(strings.NewReader(string(in))), 0, ""),
					"input %q read a byte at a time", in)
			}
		})
	}
}
