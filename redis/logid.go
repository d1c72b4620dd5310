package redis

import (
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"strconv"
	"strings"
)

// pos is a position in a log: a Redis stream entry id, <ms>-<seq>. The zero value is
// "0-0", before every entry.
type pos struct{ ms, seq uint64 }

// after reports whether p comes after q in the log.
func (p pos) after(q pos) bool { return p.ms > q.ms || (p.ms == q.ms && p.seq > q.seq) }

// String returns the stream id form, "<ms>-<seq>".
func (p pos) String() string {
	b := make([]byte, 0, 41)
	return string(p.append(b))
}

func (p pos) append(b []byte) []byte {
	b = strconv.AppendUint(b, p.ms, 10)
	b = append(b, '-')
	return strconv.AppendUint(b, p.seq, 10)
}

// parsePos parses a stream id in its canonical form (decimal numbers without leading
// zeros or signs, as Redis writes them).
func parsePos(s string) (pos, bool) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return pos{}, false
	}
	ms, ok1 := parseDecimal(a)
	seq, ok2 := parseDecimal(b)
	return pos{ms, seq}, ok1 && ok2
}

func parseDecimal(s string) (uint64, bool) {
	if s == "" || len(s) > 20 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

// logTag returns the tag of a log's event ids: 6 lower-case base32 characters derived
// from its prefix and name, the same on every node. It never contains ':' and is far
// from the 36 characters of a completion token.
func logTag(prefix, name string) string {
	sum := sha256.Sum256([]byte(prefix + "\x00" + name))
	return strings.ToLower(base32.StdEncoding.EncodeToString(sum[:])[:6])
}

// encodeTopics joins topics as "<len>:<topic>" items, so that a topic may hold any
// bytes.
func encodeTopics(topics []string) string {
	n := 0
	for _, t := range topics {
		n += len(t) + 4
	}
	b := make([]byte, 0, n)
	for _, t := range topics {
		b = strconv.AppendInt(b, int64(len(t)), 10)
		b = append(b, ':')
		b = append(b, t...)
	}
	return string(b)
}

var errBadTopics = errors.New("malformed topic list")

// decodeTopics splits what encodeTopics joined.
func decodeTopics(s string) ([]string, error) {
	var out []string
	for s != "" {
		l, rest, ok := strings.Cut(s, ":")
		n, okn := parseDecimal(l)
		if !ok || !okn || n > uint64(len(rest)) {
			return nil, errBadTopics
		}
		out = append(out, rest[:n])
		s = rest[n:]
	}
	return out, nil
}

// distinct returns topics without repetitions, in their first order (a copy only when
// there are repetitions).
func distinct(topics []string) []string {
	seen := make(map[string]struct{}, len(topics))
	for i, t := range topics {
		if _, dup := seen[t]; dup {
			out := append([]string(nil), topics[:i]...)
			for _, u := range topics[i+1:] {
				if _, dup := seen[u]; !dup {
					seen[u] = struct{}{}
					out = append(out, u)
				}
			}
			return out
		}
		seen[t] = struct{}{}
	}
	return topics
}
