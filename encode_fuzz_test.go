package sse_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/polysse/sse"
	"github.com/polysse/sse/internal/clock"
	"github.com/polysse/sse/internal/wire"
	"github.com/polysse/sse/internal/wire/wiretest"
)

// FuzzEncodeRoundTrip encodes fuzzer strings as one event; an invalid one must be refused
// with nothing written, and a valid one must be written in one Write call (none for the
// zero Event, which has no wire form) and parse back to the same fields, with line ends in
// the data turned into LF and invalid UTF-8 replaced as the reference decoder does.
func FuzzEncodeRoundTrip(f *testing.F) {
	f.Add("1", "update", "line one\nline two", "", int64(0))
	f.Add("", "", "a\r\nb\rc\n", "comment\r\nmore", int64(1500*time.Millisecond))
	f.Add("", "ping", "", "", int64(0))
	f.Add("only-id", "", "", "", int64(0))
	f.Add("", "", "", "heartbeat", int64(0))
	f.Add("bad\nid", "", "x", "", int64(0))
	f.Add("", "bad\x00type", "x", "", int64(0))
	f.Add("", "", "x", "", int64(-1))
	f.Add("\xff", "\xe2\x82", "\xed\xa0\x80\r", "\xc0", int64(999_999))
	f.Add(" lead", " lead", " lead", " lead", int64(math.MaxInt64))
	f.Add("\uFEFF", "", "\uFEFFdata: x", ":", int64(1))
	f.Add("", "", "", "", int64(0)) // the zero Event: nothing to write
	f.Fuzz(func(t *testing.T, id, typ, data, comment string, retry int64) {
		ev := sse.Event{ID: id, Type: typ, Data: data, Comment: comment, Retry: time.Duration(retry)}
		frame, err := ev.AppendTo([]byte{})
		invalid := strings.ContainsAny(id, "\r\n\x00") || strings.ContainsAny(typ, "\r\n\x00") || retry < 0
		if invalid {
			require.ErrorIs(t, err, sse.ErrInvalidEvent)
			require.Empty(t, frame)
			return
		}
		require.NoError(t, err)

		var w writeRecorder
		require.NoError(t, sse.NewEncoder(&w).Encode(&ev))
		if len(frame) == 0 {
			// Every field empty: no wire form, and Encode makes no Write call.
			require.Zero(t, ev, "only the zero Event has no wire form")
			require.Empty(t, w.writes, "Encode of an event without a wire form")
		} else {
			require.Equal(t, []string{string(frame)}, w.writes, "Encode writes AppendTo's bytes in one Write")
		}

		got := feedParser(&sse.Parser{}, false, "", frame)
		require.NoError(t, got.Err)
		want := wiretest.Result{LastEventID: wiretest.RefDecode(id)}
		if data != "" || typ != "" {
			wantType := wiretest.RefDecode(typ)
			if wantType == "" {
				wantType = "message"
			}
			want.Events = []wire.Event{{ID: want.LastEventID, Type: wantType, Data: wiretest.RefDecode(normalizeLineEnds(data))}}
		}
		if retry > 0 {
			want.HasRetry = true
			want.Retry = clock.Duration(max(time.Duration(retry).Milliseconds(), 1)) * clock.Millisecond
		}
		require.Equal(t, want, got, "wire %q", frame)
	})
}
