package sse_test

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/polysse/sse"
	"github.com/polysse/sse/internal/clock"
	"github.com/polysse/sse/internal/wire"
)

// TestEventAppendTo checks every rule of Event.AppendTo's documentation, one subtest per rule.
func TestEventAppendTo(t *testing.T) {
	tests := []struct {
		name string
		ev   sse.Event
		want string
	}{
		{"zero event writes nothing", sse.Event{}, ""},
		{"single-line data", sse.Event{Data: "hello"}, "data: hello\n\n"},
		{"data with LF becomes one data line per line", sse.Event{Data: "a\nb\nc"}, "data: a\ndata: b\ndata: c\n\n"},
		{"data with CR becomes one data line per line", sse.Event{Data: "a\rb"}, "data: a\ndata: b\n\n"},
		{"data with CRLF is one line end, not two", sse.Event{Data: "a\r\nb"}, "data: a\ndata: b\n\n"},
		{"data with LF CR is two line ends", sse.Event{Data: "a\n\rb"}, "data: a\ndata: \ndata: b\n\n"},
		{"data with mixed line ends", sse.Event{Data: "a\r\r\nb\nc\r"}, "data: a\ndata: \ndata: b\ndata: c\ndata: \n\n"},
		{"data with a trailing LF keeps a final empty data line", sse.Event{Data: "a\n"}, "data: a\ndata: \n\n"},
		{"data that is only a line end", sse.Event{Data: "\r\n"}, "data: \ndata: \n\n"},
		{"data keeps leading spaces after the separator space", sse.Event{Data: " x"}, "data:  x\n\n"},
		{"data with a colon is written as is", sse.Event{Data: "a: b"}, "data: a: b\n\n"},
		{"data with NUL is allowed", sse.Event{Data: "a\x00b"}, "data: a\x00b\n\n"},
		{"empty data with a type writes one empty data line", sse.Event{Type: "ping"}, "event: ping\ndata: \n\n"},
		{"id-only event writes the id and the blank line", sse.Event{ID: "42"}, "id: 42\n\n"},
		{"id, type and data in order", sse.Event{ID: "7", Type: "update", Data: "x"}, "id: 7\nevent: update\ndata: x\n\n"},
		{"comment-only event has no blank line", sse.Event{Comment: "hi"}, ": hi\n"},
		{"multi-line comment writes one comment line per line", sse.Event{Comment: "a\nb\r\nc\rd"}, ": a\n: b\n: c\n: d\n"},
		{"comment with a trailing line end", sse.Event{Comment: "a\n"}, ": a\n: \n"},
		{"comment comes first", sse.Event{Comment: "c", Data: "d"}, ": c\ndata: d\n\n"},
		{"retry is written in whole milliseconds", sse.Event{Retry: 1500 * time.Millisecond}, "retry: 1500\n"},
		{"retry truncates sub-millisecond parts", sse.Event{Retry: 2*time.Second + 999*time.Microsecond}, "retry: 2000\n"},
		{"a positive retry under a millisecond is written as 1", sse.Event{Retry: time.Microsecond}, "retry: 1\n"},
		{"retry-only event has no blank line", sse.Event{Retry: time.Second}, "retry: 1000\n"},
		{"zero retry writes nothing", sse.Event{Retry: 0, Data: "x"}, "data: x\n\n"},
		{"full event in documented order", sse.Event{Comment: "c", Retry: 3 * time.Second, ID: "1", Type: "t", Data: "d1\nd2"},
			": c\nretry: 3000\nid: 1\nevent: t\ndata: d1\ndata: d2\n\n"},
		{"id with leading space is kept by the extra space", sse.Event{ID: " x"}, "id:  x\n\n"},
		{"non-ASCII id and type", sse.Event{ID: "é€😀", Type: "ü", Data: "ß"}, "id: é€😀\nevent: ü\ndata: ß\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.ev.AppendTo(nil)
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(got))

			// AppendTo appends: an existing prefix is kept.
			got, err = tt.ev.AppendTo([]byte("prefix"))
			require.NoError(t, err)
			assert.Equal(t, "prefix"+tt.want, string(got))
		})
	}
}

func TestEventAppendToInvalid(t *testing.T) {
	tests := []struct {
		name  string
		ev    sse.Event
		field string
	}{
		{"LF in id", sse.Event{ID: "a\nb", Data: "x"}, "id"},
		{"CR in id", sse.Event{ID: "a\rb", Data: "x"}, "id"},
		{"CRLF in id", sse.Event{ID: "a\r\n", Data: "x"}, "id"},
		{"NUL in id", sse.Event{ID: "a\x00b", Data: "x"}, "id"},
		{"LF in type", sse.Event{Type: "a\n", Data: "x"}, "event"},
		{"CR in type", sse.Event{Type: "\ra", Data: "x"}, "event"},
		{"NUL in type", sse.Event{Type: "\x00"}, "event"},
		{"negative retry", sse.Event{Retry: -time.Millisecond, Data: "x"}, "retry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := []byte("keep")
			got, err := tt.ev.AppendTo(dst)
			require.Error(t, err)
			assert.True(t, errors.Is(err, sse.ErrInvalidEvent), "errors.Is(err, ErrInvalidEvent)")
			var fe *sse.FieldError
			require.True(t, errors.As(err, &fe), "errors.As(err, *FieldError)")
			assert.Equal(t, tt.field, fe.Field)
			assert.NotEmpty(t, fe.Reason)
			assert.Equal(t, "sse: invalid event: "+fe.Field+" "+fe.Reason, err.Error())
			assert.Equal(t, "keep", string(got), "dst returned unchanged")
			assert.Equal(t, err, tt.ev.Validate(), "Validate agrees")

			var w bytes.Buffer
			err = sse.NewEncoder(&w).Encode(&tt.ev)
			assert.ErrorIs(t, err, sse.ErrInvalidEvent)
			assert.Zero(t, w.Len(), "Encode writes nothing for an invalid event")
		})
	}
}

func TestEventValidate(t *testing.T) {
	t.Run("valid event has no error", func(t *testing.T) {
		ev := sse.Event{ID: "1", Type: "t", Data: "a\r\nb\x00", Comment: "c\n", Retry: time.Second}
		assert.NoError(t, ev.Validate())
	})
	t.Run("id is checked before type", func(t *testing.T) {
		ev := sse.Event{ID: "\n", Type: "\n"}
		var fe *sse.FieldError
		require.ErrorAs(t, ev.Validate(), &fe)
		assert.Equal(t, "id", fe.Field)
	})
}

func TestAppendComment(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"empty text is the shortest heartbeat", "", ":\n"},
		{"one line", "keep-alive", ": keep-alive\n"},
		{"LF starts a new comment line", "a\nb", ": a\n: b\n"},
		{"CR starts a new comment line", "a\rb", ": a\n: b\n"},
		{"CRLF is one line end", "a\r\nb", ": a\n: b\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, "x"+tt.want, string(sse.AppendComment([]byte("x"), tt.text)))

			var w bytes.Buffer
			require.NoError(t, sse.NewEncoder(&w).Comment(tt.text))
			assert.Equal(t, tt.want, w.String())
		})
	}
}

// writeRecorder records every Write call.
type writeRecorder struct {
	writes []string
	err    error
}

func (w *writeRecorder) Write(b []byte) (int, error) {
	w.writes = append(w.writes, string(b))
	if w.err != nil {
		return 0, w.err
	}
	return len(b), nil
}

func TestEncoder(t *testing.T) {
	t.Run("one Write call per event", func(t *testing.T) {
		var w writeRecorder
		enc := sse.NewEncoder(&w)
		require.NoError(t, enc.Encode(&sse.Event{ID: "1", Type: "t", Data: "a\nb\nc", Comment: "x\ny", Retry: time.Second}))
		require.NoError(t, enc.Encode(&sse.Event{Data: "second"}))
		require.NoError(t, enc.Comment(""))
		require.NoError(t, enc.Comment("two\nlines"))
		assert.Equal(t, []string{
			": x\n: y\nretry: 1000\nid: 1\nevent: t\ndata: a\ndata: b\ndata: c\n\n",
			"data: second\n\n",
			":\n",
			": two\n: lines\n",
		}, w.writes)
	})
	t.Run("an event without a wire form makes no Write call", func(t *testing.T) {
		// The zero Event (and any event whose fields are all empty) has no wire form:
		// writing nothing is the one faithful encoding, and an empty Write would reach
		// the writer for no reason (an http.ResponseWriter would commit its headers).
		var w writeRecorder
		enc := sse.NewEncoder(&w)
		require.NoError(t, enc.Encode(&sse.Event{}))
		require.NoError(t, enc.Encode(&sse.Event{Retry: 0, Comment: ""}))
		require.NoError(t, enc.Encode(&sse.Event{Data: "x"}))
		assert.Equal(t, []string{"data: x\n\n"}, w.writes)
	})
	t.Run("write error is returned as is", func(t *testing.T) {
		boom := errors.New("boom")
		w := writeRecorder{err: boom}
		enc := sse.NewEncoder(&w)
		assert.Same(t, boom, enc.Encode(&sse.Event{Data: "x"}))
		assert.Same(t, boom, enc.Comment("x"))
	})
	t.Run("invalid event makes no Write call and the encoder stays usable", func(t *testing.T) {
		var w writeRecorder
		enc := sse.NewEncoder(&w)
		require.NoError(t, enc.Encode(&sse.Event{Data: "first"}))
		require.ErrorIs(t, enc.Encode(&sse.Event{ID: "\n", Data: "bad"}), sse.ErrInvalidEvent)
		require.NoError(t, enc.Encode(&sse.Event{Data: "third"}))
		assert.Equal(t, []string{"data: first\n\n", "data: third\n\n"}, w.writes)
	})
	t.Run("written bytes are not overwritten by the next event", func(t *testing.T) {
		// The Encoder reuses its buffer; a writer that keeps the slice would see it change,
		// but a writer that copies (as every io.Writer must assume) gets each frame intact.
		var w writeRecorder
		enc := sse.NewEncoder(&w)
		for i := 1; i <= 100; i++ {
			require.NoError(t, enc.Encode(&sse.Event{Data: strings.Repeat("x", i)}))
		}
		require.Len(t, w.writes, 100)
		for i, s := range w.writes {
			assert.Equal(t, "data: "+strings.Repeat("x", i+1)+"\n\n", s)
		}
	})
	t.Run("huge event is written whole and does not break later events", func(t *testing.T) {
		var w writeRecorder
		enc := sse.NewEncoder(&w)
		big := strings.Repeat("y", 2<<20)
		require.NoError(t, enc.Encode(&sse.Event{Data: big}))
		require.NoError(t, enc.Encode(&sse.Event{Data: "small"}))
		require.Len(t, w.writes, 2)
		assert.Equal(t, "data: "+big+"\n\n", w.writes[0])
		assert.Equal(t, "data: small\n\n", w.writes[1])
	})
}

func TestEncoderAllocs(t *testing.T) {
	tests := []struct {
		name string
		ev   sse.Event
	}{
		{"data only", sse.Event{Data: "hello world"}},
		{"full event", sse.Event{ID: "12345", Type: "update", Data: "line one\nline two\r\nline three", Comment: "c", Retry: time.Second}},
		{"1 KiB data", sse.Event{ID: "1", Data: strings.Repeat("z", 1024)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc := sse.NewEncoder(io.Discard)
			ev := tt.ev
			allocs := testing.AllocsPerRun(200, func() {
				if err := enc.Encode(&ev); err != nil {
					t.Fatal(err)
				}
			})
			assert.Zero(t, allocs, "allocations per Encode in steady state")
		})
	}
	t.Run("comment heartbeat", func(t *testing.T) {
		enc := sse.NewEncoder(io.Discard)
		allocs := testing.AllocsPerRun(200, func() {
			if err := enc.Comment(""); err != nil {
				t.Fatal(err)
			}
		})
		assert.Zero(t, allocs)
	})
	t.Run("AppendTo into a large enough buffer", func(t *testing.T) {
		ev := sse.Event{ID: "1", Type: "t", Data: "a\nb"}
		buf := make([]byte, 0, 256)
		allocs := testing.AllocsPerRun(200, func() {
			var err error
			if buf, err = ev.AppendTo(buf[:0]); err != nil {
				t.Fatal(err)
			}
		})
		assert.Zero(t, allocs)
	})
}

// normalizeLineEnds turns CRLF and CR into LF, as a client sees them.
func normalizeLineEnds(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// randomText returns a short random string over an alphabet rich in line ends, spaces,
// colons and non-ASCII characters. With allowBreaks false it has no CR, LF or NUL.
func randomText(r *rand.Rand, allowBreaks bool) string {
	alphabet := []string{"a", "b", " ", ":", "é", "€", "😀", "\uFEFF", "\t", "x y"}
	if allowBreaks {
		alphabet = append(alphabet, "\n", "\r", "\r\n", "\n\r", "\x00")
	}
	n := r.IntN(12)
	var b strings.Builder
	for range n {
		b.WriteString(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

// TestEncodeParseRoundTrip encodes random events into one stream and parses it back.
func TestEncodeParseRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		var (
			stream bytes.Buffer
			want   []wire.Event
			lastID string
			retry  time.Duration
		)
		enc := sse.NewEncoder(&stream)
		for range 1 + r.IntN(10) {
			ev := sse.Event{
				ID:      randomText(r, false),
				Type:    randomText(r, false),
				Data:    randomText(r, true),
				Comment: randomText(r, true),
			}
			if r.IntN(4) == 0 {
				ev.Retry = time.Duration(r.IntN(100000)) * time.Millisecond
			}
			require.NoError(t, enc.Encode(&ev))
			if ev.ID != "" {
				lastID = ev.ID
			}
			if ev.Retry > 0 {
				retry = ev.Retry
			}
			if ev.Data != "" || ev.Type != "" {
				typ := ev.Type
				if typ == "" {
					typ = "message"
				}
				want = append(want, wire.Event{ID: lastID, Type: typ, Data: normalizeLineEnds(ev.Data)})
			}
		}
		got := feedParser(&sse.Parser{}, false, "", stream.Bytes())
		if !assert.Equal(t, want, got.Events, "round %d, stream %q", round, stream.String()) {
			return
		}
		assert.Equal(t, lastID, got.LastEventID)
		if retry > 0 {
			assert.Equal(t, clock.Duration(retry), got.Retry)
			assert.True(t, got.HasRetry)
		}
	}
}
