package scan_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/polysse/sse/internal/scan"
)

func TestIndexByte(t *testing.T) {
	long := strings.Repeat("abcdefgh", 40)
	tests := []struct {
		name string
		s    string
		c    byte
		want int
	}{
		{"empty", "", 'a', -1},
		{"first", "abc", 'a', 0},
		{"last", "abc", 'c', 2},
		{"missing", "abc", 'x', -1},
		{"repeated", "a:b:c", ':', 1},
		{"nul", "a\x00b", 0, 1},
		{"high byte", "a\xffb", 0xff, 1},
		{"not a rune's byte", "é", 0xa9, 1},
		{"long, at the end", long + "\n", '\n', len(long)},
		{"long, missing", long, '\n', -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := scan.IndexByteString(tt.s, tt.c); got != tt.want {
				t.Errorf("IndexByteString(%q, %q) = %d, want %d", tt.s, tt.c, got, tt.want)
			}
			if got := scan.IndexByte([]byte(tt.s), tt.c); got != tt.want {
				t.Errorf("IndexByte(%q, %q) = %d, want %d", tt.s, tt.c, got, tt.want)
			}
		})
	}
}

func TestIndexByteAgreesWithStd(t *testing.T) {
	for n := range 70 {
		b := bytes.Repeat([]byte{'.'}, n)
		for pos := range n {
			b[pos] = '\r'
			if got, want := scan.IndexByte(b, '\r'), bytes.IndexByte(b, '\r'); got != want {
				t.Fatalf("len %d, CR at %d: IndexByte = %d, bytes.IndexByte = %d", n, pos, got, want)
			}
			if got, want := scan.IndexByteString(string(b[pos:]), '\r'), 0; got != want {
				t.Fatalf("len %d, CR at %d: IndexByteString of the tail = %d, want %d", n, pos, got, want)
			}
			b[pos] = '.'
		}
	}
}
