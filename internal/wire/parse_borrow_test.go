package wire_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/polysse/sse/internal/wire"
	"github.com/polysse/sse/internal/wire/wiretest"
)

// TestParserBorrowData: with BorrowData the events are the same as without, for every
// vector and every way of splitting it.
func TestParserBorrowData(t *testing.T) {
	for _, v := range wiretest.Vectors {
		t.Run(v.Name, func(t *testing.T) {
			for way, chunks := range splits([]byte(v.In)) {
				p := &wire.Parser{MaxEventSize: v.Max, BorrowData: true}
				require.Equal(t, v.Result(), feedParser(p, v.Seed, chunks...), way)
			}
		})
	}
}

// TestParserBorrowDataAllocs: borrowed events cost no allocation while the ID and type
// stay the same, and one (the new ID) when the ID changes.
func TestParserBorrowDataAllocs(t *testing.T) {
	for _, tc := range []struct {
		name  string
		event string
		want  float64
	}{
		{"same id and type", "event: tick\nid: 7\ndata: " + strings.Repeat("x", 1000) + "\n\n", 0},
		{"no id", "data: " + strings.Repeat("x", 1000) + "\n\n", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stream := []byte(strings.Repeat(tc.event, 64))
			p := wire.Parser{BorrowData: true}
			p.Reset("")
			p.Feed(stream) // warm up: buffers grow once
			for {
				if _, ok := p.Next(); !ok {
					break
				}
			}
			allocs := testing.AllocsPerRun(20, func() {
				p.Feed(stream)
				for {
					ev, ok := p.Next()
					if !ok {
						break
					}
					if len(ev.Data) != 1000 {
						t.Fatalf("data of %d bytes", len(ev.Data))
					}
				}
			})
			require.LessOrEqual(t, allocs/64, tc.want, "allocations per event")
		})
	}
}

// TestParserBorrowDataIsReused documents the contract: a borrowed Data may be overwritten
// by the next event (here, data of several lines, joined in the parser's data buffer), so
// it must be copied to be kept.
func TestParserBorrowDataIsReused(t *testing.T) {
	p := wire.Parser{BorrowData: true}
	p.Feed([]byte("data: fi\ndata: rst\n\ndata: ot\ndata: her\n\n"))
	first, ok := p.Next()
	require.True(t, ok)
	kept := strings.Clone(first.Data)
	_, ok = p.Next()
	require.True(t, ok)
	require.Equal(t, "fi\nrst", kept)
	require.False(t, bytes.Equal([]byte(first.Data), []byte("fi\nrst")), "the borrowed memory was reused")
}
