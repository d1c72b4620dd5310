package httplite_test

// Differential tests: every helper against the standard library function it stands in
// for. The fuzz targets run natively (go test -fuzz); their seeds run everywhere.

import (
	"fmt"
	"math"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/polysse/sse/internal/httplite"
)

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func FuzzCanonicalKey(f *testing.F) {
	for _, s := range []string{"", "a", "last-event-id", "Last-Event-ID", "LAST-EVENT-ID", "x--y", "-a", "a-",
		"content type", "Content-Type:", "é-x", "sse-heartbeat-interval", "a_b", "a.b", "WWW-authenticate",
		"\x00", "a\tb", "x-\x7f", "!#$%&'*+-.^_`|~09azAZ", "foo bar", " foo", "Foo-Bar ", `a"b`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		require.Equal(t, textproto.CanonicalMIMEHeaderKey(s), httplite.CanonicalKey(s), "%q", s)
		require.Equal(t, http.CanonicalHeaderKey(s), httplite.CanonicalKey(s), "%q", s)
	})
}

func FuzzTrimOWS(f *testing.F) {
	for _, s := range []string{"", " ", "\t", " \t x \t ", "x", "\n x \n", "\u00a0x\u00a0", " a b "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		require.Equal(t, strings.Trim(s, " \t"), httplite.TrimOWS(s), "%q", s)
	})
}

func FuzzEqualFoldASCII(f *testing.F) {
	for _, p := range [][2]string{{"", ""}, {"a", "A"}, {"text/event-stream", "TEXT/Event-Stream"}, {"k", "\u212a"},
		{"@", "`"}, {"[", "{"}, {"ab", "abc"}, {"ß", "SS"}, {"\xff", "\xff"}} {
		f.Add(p[0], p[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		got := httplite.EqualFoldASCII(a, b)
		if isASCII(a) && isASCII(b) {
			require.Equal(t, strings.EqualFold(a, b), got, "%q, %q", a, b)
		} else if got {
			require.True(t, strings.EqualFold(a, b), "only ASCII is folded: %q, %q", a, b)
			require.Equal(t, len(a), len(b))
		}
	})
}

func FuzzParseDigits(f *testing.F) {
	for _, s := range []string{"", "0", "007", "42", "18446744073709551615", "18446744073709551616",
		"99999999999999999999", "+1", "-1", "1_000", "0x10", " 1", "1 ", "١", "1e3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := httplite.ParseDigits(s)
		want, err := strconv.ParseUint(s, 10, 64)
		require.Equal(t, err == nil, ok, "%q: ParseUint error %v", s, err)
		if ok {
			require.Equal(t, want, n, "%q", s)
		}
	})
}

// imfShape reports whether v has the shape of an IMF-fixdate: 29 bytes, the punctuation
// in place, digits where the numbers go, " GMT" at the end (the names are not checked).
func imfShape(v string) bool {
	if len(v) != 29 || v[3] != ',' || v[4] != ' ' || v[7] != ' ' || v[11] != ' ' ||
		v[16] != ' ' || v[19] != ':' || v[22] != ':' || v[25:] != " GMT" {
		return false
	}
	for _, i := range []int{5, 6, 12, 13, 14, 15, 17, 18, 20, 21, 23, 24} {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

// checkHTTPDate holds ParseHTTPDate to time.Parse(http.TimeFormat): whatever it accepts,
// time.Parse accepts as the same instant (and so does http.ParseTime); whatever
// time.Parse accepts in the IMF-fixdate shape, it accepts.
func checkHTTPDate(t *testing.T, v string) {
	unix, ok := httplite.ParseHTTPDate(v)
	got := time.Unix(unix, 0)
	want, err := time.Parse(http.TimeFormat, v)
	if ok {
		require.NoError(t, err, "ParseHTTPDate accepts %q, time.Parse does not", v)
		require.True(t, want.Equal(got), "%q: %v, time.Parse %v", v, got, want)
		viaHTTP, err := http.ParseTime(v)
		require.NoError(t, err)
		require.True(t, viaHTTP.Equal(got))
		return
	}
	if err == nil && imfShape(v) {
		t.Fatalf("time.Parse accepts the IMF-fixdate %q (%v); ParseHTTPDate does not", v, want)
	}
}

func FuzzParseHTTPDate(f *testing.F) {
	for _, s := range []string{
		"Sun, 06 Nov 1994 08:49:37 GMT",
		"sun, 06 nov 1994 08:49:37 GMT", // names in any case, as time.Parse
		"SUN, 06 NOV 1994 08:49:37 GMT",
		"Mon, 06 Nov 1994 08:49:37 GMT", // the wrong weekday: not checked, as time.Parse
		"Xyz, 06 Nov 1994 08:49:37 GMT", // not a day name
		"Sat, 31 Feb 2000 00:00:00 GMT", // impossible date
		"Sat, 30 Feb 2000 00:00:00 GMT",
		"Tue, 29 Feb 2000 00:00:00 GMT", // leap year (divisible by 400)
		"Thu, 29 Feb 1900 00:00:00 GMT", // not a leap year (divisible by 100)
		"Sat, 29 Feb 2003 00:00:00 GMT",
		"Thu, 31 Apr 2003 00:00:00 GMT",
		"Sat, 01 Jan 0000 00:00:00 GMT", // year zero, before the 1 March that the civil-day algorithm pivots on
		"Fri, 31 Dec 9999 23:59:59 GMT",
		"Sat, 31 Dec 2016 23:59:60 GMT", // a leap second: refused, as time.Parse
		"Sun, 06 Nov 1994 24:00:00 GMT",
		"Sun, 06 Nov 1994 08:60:00 GMT",
		"Sun, 00 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 08:49:37 UTC",
		"Sun, 06 Nov 1994 08:49:37 gmt",
		"Sun, 06 Nov 1994 8:49:37 GMT",      // one-digit hour: time.Parse takes it, not the grammar
		"Sun, 06 Nov 1994 08:49:37.5 GMT",   // a fraction: likewise
		"Sun,  06 Nov 1994 08:49:37 GMT",    // two spaces: likewise
		"Sunday, 06-Nov-94 08:49:37 GMT",    // RFC 850: not accepted
		"Sun Nov  6 08:49:37 1994",          // asctime: not accepted
		"Sun, 06 Nov +994 08:49:37 GMT",     //
		"Sun, 06 Nov 1994 08:49:37 GMT\x00", //
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(checkHTTPDate)
}

// FuzzParseHTTPDateFields builds IMF-fixdates from their fields, mostly in range, so that
// the calendar rules (month lengths, leap years) are explored far better than random
// strings would.
func FuzzParseHTTPDateFields(f *testing.F) {
	f.Add(uint16(2000), uint8(2), uint8(29), uint8(12), uint8(30), uint8(59), uint8(0), uint8(0))
	f.Add(uint16(1900), uint8(2), uint8(29), uint8(0), uint8(0), uint8(0), uint8(1), uint8(1))
	f.Add(uint16(0), uint8(1), uint8(1), uint8(0), uint8(0), uint8(0), uint8(2), uint8(0))
	f.Add(uint16(9999), uint8(12), uint8(31), uint8(23), uint8(59), uint8(60), uint8(3), uint8(2))
	f.Fuzz(func(t *testing.T, year uint16, month, day, hour, minute, second, weekday, caseMode uint8) {
		days := []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
		months := []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
		wd, mo := days[int(weekday)%7], months[int(month+11)%12]
		switch caseMode % 3 {
		case 1:
			wd, mo = strings.ToLower(wd), strings.ToLower(mo)
		case 2:
			wd, mo = strings.ToUpper(wd), strings.ToUpper(mo)
		}
		v := fmt.Sprintf("%s, %02d %s %04d %02d:%02d:%02d GMT", wd, day%100, mo, year%10000, hour%100, minute%100, second%100)
		checkHTTPDate(t, v)
	})
}

func TestParseHTTPDate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // RFC 3339, or "" for a refusal
	}{
		{"Sun, 06 Nov 1994 08:49:37 GMT", "1994-11-06T08:49:37Z"},
		{"Tue, 29 Feb 2000 00:00:00 GMT", "2000-02-29T00:00:00Z"},
		{"Sat, 01 Jan 0000 00:00:00 GMT", "0000-01-01T00:00:00Z"},
		{"Sat, 31 Feb 2000 00:00:00 GMT", ""},
		{"Thu, 29 Feb 1900 00:00:00 GMT", ""},
		{"Sat, 31 Dec 2016 23:59:60 GMT", ""},
		{"Xyz, 06 Nov 1994 08:49:37 GMT", ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			unix, ok := httplite.ParseHTTPDate(tc.in)
			if tc.want == "" {
				assert.False(t, ok, "refused")
				return
			}
			require.True(t, ok)
			assert.Equal(t, tc.want, time.Unix(unix, 0).UTC().Format(time.RFC3339))
		})
	}
}

// FuzzNanosUntil holds NanosUntil to time.Time.Sub, saturation included, for every instant
// ParseHTTPDate can return (years 0 to 9999) and any wall-clock time.
func FuzzNanosUntil(f *testing.F) {
	const first, last = -62167219200, 253402300799 // 0000-01-01T00:00:00Z, 9999-12-31T23:59:59Z
	f.Add(int64(784111777), int64(1_700_000_000_123_456_789))
	f.Add(int64(first), int64(0))
	f.Add(int64(last), int64(-1))
	f.Add(int64(9_223_372_036), int64(-854_775_808))
	f.Add(int64(-9_223_372_036), int64(854_775_807))
	f.Add(int64(0), int64(math.MinInt64))
	f.Add(int64(0), int64(math.MaxInt64))
	f.Fuzz(func(t *testing.T, unix, now int64) {
		if unix < first || unix > last {
			unix = first + int64(uint64(unix)%uint64(last-first+1))
		}
		want := int64(time.Unix(unix, 0).Sub(time.Unix(0, now)))
		require.Equal(t, want, httplite.NanosUntil(unix, now), "NanosUntil(%d, %d)", unix, now)
	})
}

func FuzzQueryEscape(f *testing.F) {
	for _, s := range []string{"", "a b", "a+b", "x y/é&=#?%", "-._~", "\x00\xff", "100%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := httplite.QueryEscape(s)
		require.Equal(t, strings.ReplaceAll(url.QueryEscape(s), "+", "%20"), got, "%q", s)
		back, err := url.QueryUnescape(got)
		require.NoError(t, err)
		require.Equal(t, s, back)
	})
}

// query returns the part of u between the first "?" and the first "#", and whether there
// is a "?" before any "#".
func query(u string) (string, bool) {
	u, _, _ = strings.Cut(u, "#")
	_, q, ok := strings.Cut(u, "?")
	return q, ok
}

// fragment returns u from its first "#" on.
func fragment(u string) string {
	if i := strings.IndexByte(u, '#'); i >= 0 {
		return u[i:]
	}
	return ""
}

// FuzzAddRemoveQuery holds AddQuery and RemoveQuery to net/url's reading of a query: after
// AddQuery, url.ParseQuery finds value as the last value of name; after RemoveQuery, it
// finds no name at all, and every other key keeps its values; the fragment never changes.
func FuzzAddRemoveQuery(f *testing.F) {
	for _, s := range [][3]string{
		{"", "lei", "1"},
		{"?a=1", "lei", "x y/é&"},
		{"?a=1#frag", "lei", "a+b"},
		{"?#frag", "lei", "1"},
		{"?a&", "lei", "1"},
		{"?a=1#f?x#y", "lei", "1"},
		{"?last+id=old&a=1", "last id", "new"}, // the same key, encoded otherwise
		{"?last%20id=old&last id=x", "last id", "new"},
		{"?l%65i=old&lei=old2", "lei", "new"},
		{"?lei=%zz&a=1", "lei", "new"}, // a malformed value
		{"?l%zzi=1", "l%zzi", "new"},   // a malformed key
		{"?=x", "", "new"},
		{"#x?lei=1", "lei", "1"},
		{"?a=1;b=2", "lei", "1"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, rest, name, value string) {
		u := "http://h.test/p" + rest
		added := httplite.AddQuery(u, name, value)
		require.Equal(t, fragment(u), fragment(added), "AddQuery keeps the fragment: %q", added)
		q, ok := query(added)
		require.True(t, ok, "AddQuery makes a query: %q", added)
		parsed, _ := url.ParseQuery(q) // errors concern other pairs, which are skipped
		vals := parsed[name]
		require.NotEmpty(t, vals, "url.ParseQuery of %q finds no %q", q, name)
		require.Equal(t, value, vals[len(vals)-1], "the last value of %q in %q", name, q)

		removed := httplite.RemoveQuery(added, name)
		require.Equal(t, fragment(u), fragment(removed), "RemoveQuery keeps the fragment: %q", removed)
		rq, _ := query(removed)
		after, _ := url.ParseQuery(rq)
		require.NotContains(t, after, name, "url.ParseQuery of %q after RemoveQuery", rq)
		origQ, _ := query(u)
		before, _ := url.ParseQuery(origQ)
		delete(before, name)
		if len(before) == 0 {
			before = url.Values{}
		}
		if len(after) == 0 {
			after = url.Values{}
		}
		require.Equal(t, before, after, "the other keys of %q keep their values in %q", u, removed)
	})
}
