package wiretest_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/polysse/sse/internal/wire/wiretest"
)

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
		require.Equal(t, tt.want, wiretest.RefDecode(tt.in), "%q", tt.in)
	}
}

// TestRefParse checks the reference parser against every vector that does not depend on a
// size limit, so that the fuzz target compares against a trusted model.
func TestRefParse(t *testing.T) {
	for _, v := range wiretest.Vectors {
		if v.Max != 0 {
			continue
		}
		t.Run(v.Name, func(t *testing.T) {
			require.Equal(t, v.Result(), wiretest.RefParse([]byte(v.In), v.Seed))
		})
	}
}
