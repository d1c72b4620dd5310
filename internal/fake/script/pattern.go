package script

import (
	"errors"
	"strconv"
	"strings"
	"unicode"
)

// Pattern is a route pattern taken apart.
type Pattern struct {
	// Method is the method, or "" for any.
	Method string
	// Path is the path part, in http.ServeMux syntax.
	Path string
	// Wildcards are the names of the path's wildcards, in order.
	Wildcards []string
}

// ParsePattern checks a route pattern: "METHOD /path", "* /path" or "/path", where the
// path follows http.ServeMux's syntax (a segment is a literal or a whole wildcard
// {name}; {name...} and {$} only at the end). A host is not accepted.
func ParsePattern(s string) (Pattern, error) {
	if s == "" {
		return Pattern{}, errors.New("an empty pattern")
	}
	var p Pattern
	method, path, found := strings.Cut(s, " ")
	if !found {
		path, method = s, ""
	}
	path = strings.TrimLeft(path, " \t")
	if method != "" && method != "*" {
		if !isToken(method) {
			return Pattern{}, errors.New("bad method " + strconv.Quote(method))
		}
		p.Method = method
	}
	if !strings.HasPrefix(path, "/") {
		return Pattern{}, errors.New(`want "METHOD /path" with a path starting with "/", got ` + strconv.Quote(s))
	}
	if strings.ContainsAny(path, " \t\r\n") {
		return Pattern{}, errors.New("the path contains white space")
	}
	p.Path = path
	segs := strings.Split(path[1:], "/")
	seen := map[string]bool{}
	for i, seg := range segs {
		if !strings.ContainsAny(seg, "{}") {
			continue
		}
		if !strings.HasPrefix(seg, "{") || !strings.HasSuffix(seg, "}") || strings.Count(seg, "{") != 1 || strings.Count(seg, "}") != 1 {
			return Pattern{}, errors.New("bad wildcard segment " + strconv.Quote(seg) + " (a wildcard is a whole segment)")
		}
		name := seg[1 : len(seg)-1]
		last := i == len(segs)-1
		if name == "$" {
			if !last {
				return Pattern{}, errors.New("{$} must be the last segment")
			}
			continue
		}
		if rest, ok := strings.CutSuffix(name, "..."); ok {
			if !last {
				return Pattern{}, errors.New("{" + name + "} must be the last segment")
			}
			name = rest
		}
		if !isIdent(name) {
			return Pattern{}, errors.New("bad wildcard name " + strconv.Quote(name))
		}
		if seen[name] {
			return Pattern{}, errors.New("duplicate wildcard name " + strconv.Quote(name))
		}
		seen[name] = true
		p.Wildcards = append(p.Wildcards, name)
	}
	return p, nil
}

func isToken(s string) bool { return s != "" && validHeaderName(s) }

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if c != '_' && !unicode.IsLetter(c) && (i == 0 || !unicode.IsDigit(c)) {
			return false
		}
	}
	return true
}
