package wire_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/polysse/sse/internal/wire/wiretest"
)

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
	for _, v := range wiretest.Vectors {
		f.Add([]byte(v.In), []byte{1, 7, 0, 3}, v.Seed, uint8(v.Max))
	}
	f.Add([]byte("data: a\r\n\r\n"), []byte{7, 1, 1}, "", uint8(0))
	f.Add([]byte(wiretest.BOM+"data: x\r\rid: 1\n\n"), []byte{1, 1, 1, 1}, "s", uint8(0))
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
			require.Equal(t, wiretest.RefParse(in, seed), whole, "reference parser vs Parser, input %q", in)
		}
	})
}
