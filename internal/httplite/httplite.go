// Package httplite holds the few pieces of net/http, net/textproto, net/url, strconv and
// time that the client state machine needs: canonical header keys, optional white space,
// ASCII case folding, digit strings, HTTP dates and query parameters.
//
// They exist because the WebAssembly polyfill links neither net/http nor
// package time (each would add tens of kilobytes of compressed code). Each function is held to
// its standard library counterpart by a native differential fuzz test (httplite_test.go);
// where a function is stricter than its counterpart on purpose, its comment says so.
//
// Everything here is ASCII-only on purpose: the header values that matter are ASCII, and
// the Unicode-aware strings functions would pull Unicode tables into the js/wasm build.
package httplite

import (
	"math"

	"github.com/polysse/sse/internal/scan"
)

// CanonicalKey returns the canonical form of an ASCII header name, as
// net/textproto.CanonicalMIMEHeaderKey does: the first letter and every letter after a
// hyphen upper case, the rest lower case. A name with a byte that is not a token
// character (a space, a colon, a non-ASCII byte, ...) is returned unchanged.
func CanonicalKey(s string) string {
	upper := true
	canonical := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isTokenChar(c) {
			return s
		}
		if upper && 'a' <= c && c <= 'z' || !upper && 'A' <= c && c <= 'Z' {
			canonical = false
		}
		upper = c == '-'
	}
	if canonical {
		return s
	}
	b := []byte(s)
	upper = true
	for i, c := range b {
		if upper && 'a' <= c && c <= 'z' {
			b[i] = c - ('a' - 'A')
		} else if !upper && 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
		upper = c == '-'
	}
	return string(b)
}

// isTokenChar reports whether c may appear in an HTTP token (a header name): a visible
// ASCII character other than the delimiters.
func isTokenChar(c byte) bool {
	return c > ' ' && c < 0x7f && scan.IndexByteString(`"(),/:;<=>?@[\]{}`, c) < 0
}

// TrimOWS removes leading and trailing spaces and tabs (HTTP optional white space), as
// strings.Trim(s, " \t") does.
func TrimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// EqualFoldASCII reports whether a and b are equal under ASCII case folding. For ASCII
// strings it agrees with strings.EqualFold; unlike it, it never folds non-ASCII
// characters (the Kelvin sign is not a K here), which is what HTTP's case-insensitive
// tokens require.
func EqualFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// ParseDigits parses a non-empty string of ASCII digits that fits in a uint64; it accepts
// exactly what strconv.ParseUint(s, 10, 64) accepts, with the same result.
func ParseDigits(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' || n > (1<<64-1-uint64(c-'0'))/10 {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

// ParseHTTPDate parses an HTTP date in its preferred form, the IMF-fixdate
// "Sun, 06 Nov 1994 08:49:37 GMT", and returns the instant it names in seconds since the
// Unix epoch (what time.Time.Unix returns). It avoids package time, whose layout, zone
// and godebug code would add tens of kilobytes to the js/wasm build: the date is
// converted with civil-calendar arithmetic (daysFromCivil).
//
// It accepts what time.Parse(http.TimeFormat, v) accepts, restricted to the IMF-fixdate
// grammar: exactly 29 characters, two-digit day, hour, minute and second, a four-digit
// year, one space between the parts. time.Parse is more lenient (a one-digit hour, runs
// of spaces, a fractional second); those forms are refused here. Like time.Parse, it
// matches day and month names without regard to case, checks the day name's spelling but
// not that it is the right weekday, and refuses impossible dates (31 February, 29
// February outside leap years) and a second of 60. The obsolete RFC 850 and asctime forms
// are not accepted.
func ParseHTTPDate(v string) (unix int64, ok bool) {
	const layout = "www, 00 mmm 0000 00:00:00 GMT" // w, m: day and month names; 0: a digit
	if len(v) != len(layout) {
		return 0, false
	}
	for i := 0; i < len(layout); i++ {
		switch c := layout[i]; {
		case c == '0':
			if v[i] < '0' || v[i] > '9' {
				return 0, false
			}
		case c != 'w' && c != 'm' && v[i] != c:
			return 0, false
		}
	}
	m := nameIndex("janfebmaraprmayjunjulaugsepoctnovdec", v[8:11]) + 1
	day, year := digits(v[5:7]), digits(v[12:16])
	hh, mm, ss := digits(v[17:19]), digits(v[20:22]), digits(v[23:25])
	if nameIndex("sunmontuewedthufrisat", v[:3]) < 0 || m < 1 || day < 1 || day > daysIn(m, year) ||
		hh > 23 || mm > 59 || ss > 59 {
		return 0, false
	}
	return daysFromCivil(year, m, day)*86400 + hh*3600 + mm*60 + ss, true
}

// NanosUntil returns the nanoseconds from the wall-clock time nowUnixNano (nanoseconds
// since the Unix epoch) to the instant unix (seconds since the epoch, as ParseHTTPDate
// returns), negative when it is past: what time.Unix(unix, 0).Sub(time.Unix(0,
// nowUnixNano)) returns, saturated to the int64 range as that does, without package time.
// unix must lie within the years 0 to 9999 (what ParseHTTPDate returns).
func NanosUntil(unix, nowUnixNano int64) int64 {
	const maxSec = math.MaxInt64 / 1_000_000_000
	nowSec, nowFrac := nowUnixNano/1e9, nowUnixNano%1e9 // nowFrac has the sign of nowUnixNano
	ds := unix - nowSec                                 // within ±3e11: no overflow
	switch {
	case ds > maxSec:
		return math.MaxInt64
	case ds < -maxSec:
		return math.MinInt64
	}
	r := ds * 1e9 // the result is r - nowFrac
	switch {
	case nowFrac > 0 && r < math.MinInt64+nowFrac:
		return math.MinInt64
	case nowFrac < 0 && r > math.MaxInt64+nowFrac:
		return math.MaxInt64
	}
	return r - nowFrac
}

// nameIndex returns the index of the three-letter name s, matched without regard to ASCII
// case, in names (a concatenation of lower-case three-letter names), or -1.
func nameIndex(names, s string) int64 {
	for i := 0; i+3 <= len(names); i += 3 {
		if lower(s[0]) == names[i] && lower(s[1]) == names[i+1] && lower(s[2]) == names[i+2] {
			return int64(i / 3)
		}
	}
	return -1
}

// digits returns the value of a string of ASCII digits.
func digits(s string) int64 {
	var n int64
	for i := 0; i < len(s); i++ {
		n = n*10 + int64(s[i]-'0')
	}
	return n
}

// daysIn returns the number of days of month m (1 to 12) of the proleptic Gregorian year y.
func daysIn(m, y int64) int64 {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the number of days from 1970-01-01 to the given proleptic
// Gregorian date (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// AddQuery adds name=value to the query of url, before any fragment, percent-encoding
// both (see QueryEscape), so that net/url's Query on the result yields value for name.
func AddQuery(url, name, value string) string {
	frag := ""
	if i := scan.IndexByteString(url, '#'); i >= 0 {
		url, frag = url[:i], url[i:]
	}
	sep := "?"
	if i := scan.IndexByteString(url, '?'); i >= 0 {
		sep = "&"
		if i == len(url)-1 || url[len(url)-1] == '&' {
			sep = ""
		}
	}
	return url + sep + QueryEscape(name) + "=" + QueryEscape(value) + frag
}

// RemoveQuery removes from the query of url every pair whose key is name once decoded as
// net/url decodes query keys ("+" is a space, %XX a byte), whatever its encoding. The
// other pairs are kept as they are, in order; a query left empty is removed with its "?".
func RemoveQuery(url, name string) string {
	end := len(url)
	if i := scan.IndexByteString(url, '#'); i >= 0 {
		end = i
	}
	q := scan.IndexByteString(url[:end], '?')
	if q < 0 {
		return url
	}
	b := make([]byte, 0, len(url))
	b = append(b, url[:q]...)
	sep := byte('?')
	for i := q + 1; i <= end; {
		j := i + scan.IndexByteString(url[i:end]+"&", '&')
		pair := url[i:j]
		k := pair
		if e := scan.IndexByteString(pair, '='); e >= 0 {
			k = pair[:e]
		}
		if !keyIs(k, name) {
			b = append(b, sep)
			b = append(b, pair...)
			sep = '&'
		}
		i = j + 1
	}
	return string(append(b, url[end:]...))
}

// keyIs reports whether the query key k, decoded as net/url's QueryUnescape decodes it
// ("+" is a space, %XX a byte), is name. A malformed escape matches nothing (net/url
// drops such a pair).
func keyIs(k, name string) bool {
	n := 0
	for i := 0; i < len(k); i, n = i+1, n+1 {
		c := k[i]
		switch c {
		case '+':
			c = ' '
		case '%':
			if i+2 >= len(k) || unhex(k[i+1]) < 0 || unhex(k[i+2]) < 0 {
				return false
			}
			c = byte(unhex(k[i+1])<<4 | unhex(k[i+2]))
			i += 2
		}
		if n >= len(name) || name[n] != c {
			return false
		}
	}
	return n == len(name)
}

// QueryEscape percent-encodes s for a query component: as net/url's QueryEscape, but with
// %20 for a space instead of "+", which every query parser reads as a space.
func QueryEscape(s string) string {
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hex[c>>4], hex[c&15])
	}
	return string(b)
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
