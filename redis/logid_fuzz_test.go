package redis

import (
	"slices"
	"testing"
)

// FuzzParsePos: parsePos accepts exactly the canonical stream ids, and String gives the
// text back.
func FuzzParsePos(f *testing.F) {
	for _, s := range []string{"0-0", "1796109656088-9", "01-2", "1-", "-1", "18446744073709551615-18446744073709551615", "18446744073709551616-0", "1-2-3", "+1-2", " 1-2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := parsePos(s)
		if ok && p.String() != s {
			t.Fatalf("parsePos(%q) = %v, which prints as %q", s, p, p.String())
		}
		if q, ok := parsePos(p.String()); !ok || q != p {
			t.Fatalf("parsePos(%q) = %v, %v: the canonical form does not parse back", p.String(), q, ok)
		}
	})
}

// FuzzTopics: decodeTopics reads back what encodeTopics wrote, and never panics on
// anything else.
func FuzzTopics(f *testing.F) {
	f.Add("a", "b:c", "")
	f.Add("3:x", "\x1f", "12345678901234567890")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		in := []string{a, b, c}
		got, err := decodeTopics(encodeTopics(in))
		if err != nil || !slices.Equal(got, in) {
			t.Fatalf("decodeTopics(encodeTopics(%q)) = %q, %v", in, got, err)
		}
		_, _ = decodeTopics(a + b + c)
	})
}

func TestDistinct(t *testing.T) {
	tests := []struct{ in, want []string }{
		{nil, nil},
		{[]string{"a"}, []string{"a"}},
		{[]string{"a", "b", "a", "c", "b"}, []string{"a", "b", "c"}},
		{[]string{"a", "a", "a"}, []string{"a"}},
	}
	for _, tt := range tests {
		if got := distinct(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("distinct(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLogTag(t *testing.T) {
	a, b := logTag("polysse", "orders"), logTag("polysse", "orders")
	if a != b || len(a) != 6 || logTag("polysse", "other") == a || logTag("other", "orders") == a {
		t.Fatalf("logTag: %q %q %q", a, logTag("polysse", "other"), logTag("other", "orders"))
	}
}
