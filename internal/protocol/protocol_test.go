package protocol_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/polysse/sse/internal/protocol"
)

func TestIsToken(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"canonical lower", "0f8fad5b-d9cb-469f-a165-70867728950e", true},
		{"canonical upper", "0F8FAD5B-D9CB-469F-A165-70867728950E", true},
		{"empty", "", false},
		{"too short", "0f8fad5b-d9cb-469f-a165-70867728950", false},
		{"braces", "{0f8fad5b-d9cb-469f-a165-70867728950e}", false},
		{"urn", "urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e", false},
		{"no hyphens", "0f8fad5bd9cb469fa16570867728950e0000", false},
		{"hyphen moved", "0f8fad5bd-9cb-469f-a165-70867728950e", false},
		{"non-hex", "0f8fad5b-d9cb-469f-a165-70867728950g", false},
		{"auto id", "1a2b3c4d-42", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := protocol.IsToken(tt.in); got != tt.want {
				t.Errorf("IsToken(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzIsToken checks IsToken against google/uuid: a 36-byte string is a token exactly
// when uuid parses it.
func FuzzIsToken(f *testing.F) {
	f.Add("0f8fad5b-d9cb-469f-a165-70867728950e")
	f.Add("0f8fad5b-d9cb-469f-a165-70867728950")
	f.Add("zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz")
	f.Fuzz(func(t *testing.T, s string) {
		want := len(s) == protocol.TokenLen && uuid.Validate(s) == nil
		if got := protocol.IsToken(s); got != want {
			t.Fatalf("IsToken(%q) = %v, uuid says %v", s, got, want)
		}
	})
}

func TestLastEventID(t *testing.T) {
	long := strings.Repeat("x", protocol.MaxLastEventIDLen)
	tests := []struct {
		name   string
		header string
		query  func() string
		want   string
	}{
		{"header", "7", func() string { return "9" }, "7"},
		{"no header: the query", "", func() string { return "9" }, "9"},
		{"no header, no query option", "", nil, ""},
		{"no header, no query parameter", "", func() string { return "" }, ""},
		{"CR, LF and NUL removed", "a\r\nb\x00c", nil, "abc"},
		{"from the query too", "", func() string { return "\n5\r" }, "5"},
		{"the longest", long, nil, long},
		{"too long: ignored", long + "x", func() string { return "9" }, ""},
		{"too long before the removal", long + "\n", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := protocol.LastEventID(tt.header, tt.query); got != tt.want {
				t.Errorf("LastEventID(%q) = %q, want %q", tt.header, got, tt.want)
			}
		})
	}
}
