package sse_test

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/polysse/sse"
)

// This file holds a deliberately simple reference parser, written straight from the
// specifications with no concern for speed, and the fuzz targets that hold the real Parser
// to it.

// refDecodeUTF8 is the UTF-8 decoder of the WHATWG Encoding Standard (§8.1.1, "UTF-8
// decoder"), step by step: the handler keeps UTF-8 code point, bytes seen, bytes needed,
// lower boundary and upper boundary, and an invalid byte after a lead byte is "restored to
// the stream" (processed again) after one U+FFFD. A truncated sequence at the end of the
// input is one U+FFFD.
func refDecodeUTF8(input []byte) []rune {
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

// refDecode decodes s with refDecodeUTF8.
func refDecode(s string) string { return string(refDecodeUTF8([]byte(s))) }

// refParse is the event stream interpretation of WHATWG HTML §9.2.6 applied naively to a
// whole stream: decode, strip one BOM, split into lines, process fields, and discard the
// incomplete line and event at the end. It has no size limit.
func refParse(input []byte, seed string) parseResult {
	text := refDecodeUTF8(input)
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

	res := parseResult{LastEventID: seed}
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
			ev := sse.Event{ID: res.LastEventID, Type: "message", Data: data}
			if eventType != "" {
				ev.Type = eventType
			}
			res.Events = append(res.Events, ev)
			data, eventType = "", ""
			continue
		}
		if strings.HasPrefix(line, ":") {
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
			if !strings.Contains(value, "\x00") {
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
			if ms > math.MaxInt64/uint64(time.Millisecond) {
				res.Retry = math.MaxInt64
			} else {
				res.Retry = time.Duration(ms) * time.Millisecond
			}
		}
	}
	return res
}

func TestRefDecodeUTF8(t *testing.T) {
	// The reference decoder must itself be right: check it on the Encoding Standard's cases.
	tests := []struct{ in, want string }{
		{"abc", "abc"},
		{"é€😀", "é€😀"},
		{"\xE2\x82A", "\uFFFDA"},
		{"\xF0\x80", "\uFFFD\uFFFD"},
		{"\xED\xA0\x80", "\uFFFD\uFFFD\uFFFD"},
		{"\xC0\xAF", "\uFFFD\uFFFD"},
		{"\xF4\x90\x80\x80", "\uFFFD\uFFFD\uFFFD\uFFFD"},
		{"\xF0\x9F\x98", "\uFFFD"},
		{"\xF0\x9F\x98\xF0\x9F\x98\x80", "\uFFFD😀"},
		{"\xFF\x80", "\uFFFD\uFFFD"},
		{"\xE0\xA0\x80", "\u0800"},
		{"\xF4\x8F\xBF\xBF", "\U0010FFFF"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, refDecode(tt.in), "%q", tt.in)
	}
}

// TestRefParse checks the reference parser against every vector that does not depend on a
// size limit, so that the fuzz target compares against a trusted model.
func TestRefParse(t *testing.T) {
	for _, v := range parseVectors {
		if v.max != 0 {
			continue
		}
		t.Run(v.name, func(t *testing.T) {
			require.Equal(t, v.result(), refParse([]byte(v.in), v.seed))
		})
	}
}

// chunksFromCuts splits in into chunks whose sizes are taken from cuts, one byte each
// (0 to 31, so that empty chunks occur too); the rest of in is the last chunk.
func chunksFromCuts(in, cuts []byte) [][]byte {
	var chunks [][]byte
	for _, c := range cuts {
		n := min(int(c%32), len(in))
		chunks = append(chunks, in[:n])
		in = in[n:]
	}
	return append(chunks, in)
}

// FuzzParser checks that the Parser never panics, that how the input is split never changes
// its output (Feed in chunks, Feed whole, a Reader reading those chunks), and, with the
// default size limit, that the output equals the reference parser's.
func FuzzParser(f *testing.F) {
	for _, v := range parseVectors {
		f.Add([]byte(v.in), []byte{1, 7, 0, 3}, v.seed, uint8(v.max))
	}
	f.Add([]byte("data: a\r\n\r\n"), []byte{7, 1, 1}, "", uint8(0))
	f.Add([]byte(bom+"data: x\r\rid: 1\n\n"), []byte{1, 1, 1, 1}, "s", uint8(0))
	f.Add([]byte(": long comment line\ndata: x\n\n"), []byte{5}, "", uint8(8))
	f.Fuzz(func(t *testing.T, in, cuts []byte, seed string, maxEventSize uint8) {
		max := int(maxEventSize % 64) // 0: the default limit
		whole := feedChunks(max, seed, in)
		chunks := chunksFromCuts(in, cuts)
		chunked := feedChunks(max, seed, chunks...)
		require.Equal(t, whole, chunked, "Feed whole vs Feed in chunks %q", chunks)
		read := readAll(&chunkReader{chunks: chunksFromCuts(in, cuts)}, max, seed)
		require.Equal(t, whole, read, "Feed whole vs Reader over chunks %q", chunks)
		if max == 0 {
			require.Equal(t, refParse(in, seed), whole, "reference parser vs Parser, input %q", in)
		}
	})
}

// FuzzEncodeRoundTrip encodes fuzzer strings as one event; an invalid one must be refused
// with nothing written, and a valid one must parse back to the same fields, with line ends
// in the data turned into LF and invalid UTF-8 replaced.
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
	f.Fuzz(func(t *testing.T, id, typ, data, comment string, retry int64) {
		ev := sse.Event{ID: id, Type: typ, Data: data, Comment: comment, Retry: time.Duration(retry)}
		wire, err := ev.AppendTo([]byte{})
		invalid := strings.ContainsAny(id, "\r\n\x00") || strings.ContainsAny(typ, "\r\n\x00") || retry < 0
		if invalid {
			require.ErrorIs(t, err, sse.ErrInvalidEvent)
			require.Empty(t, wire)
			return
		}
		require.NoError(t, err)

		var w writeRecorder
		require.NoError(t, sse.NewEncoder(&w).Encode(&ev))
		require.Equal(t, []string{string(wire)}, w.writes, "Encode writes AppendTo's bytes in one Write")

		got := feedChunks(0, "", wire)
		require.NoError(t, got.Err)
		want := parseResult{LastEventID: refDecode(id)}
		if data != "" || typ != "" {
			wantType := refDecode(typ)
			if wantType == "" {
				wantType = "message"
			}
			want.Events = []sse.Event{{ID: want.LastEventID, Type: wantType, Data: refDecode(normalizeLineEnds(data))}}
		}
		if retry > 0 {
			want.HasRetry = true
			want.Retry = time.Duration(max(time.Duration(retry).Milliseconds(), 1)) * time.Millisecond
		}
		require.Equal(t, want, got, "wire %q", wire)
	})
}
