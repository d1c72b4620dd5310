package script

import (
	"net/textproto"
	"strconv"
	"strings"
)

// A Template is a string with placeholders, expanded for each request:
//
//	{attempt}        the attempt number (1-based)
//	{lastEventId}    the request's last event ID
//	{i}              the 1-based round of the innermost repeat step ("" outside one)
//	{params.NAME}    the path wildcard NAME of the route's pattern
//	{query.NAME}     the first value of the query parameter NAME
//	{header.NAME}    the first value of the request header NAME (any case)
//
// Each may carry a default after a bar, used when the value is empty or absent:
// {query.retry|100}. Anything else in braces is literal text, so JSON such as
// {"ok":true} needs no escaping; "{{" is a literal "{". The zero Template is the empty
// string.
type Template struct {
	src   string
	parts []part // nil when src has no placeholder
}

type varKind uint8

const (
	varNone varKind = iota // a literal
	varAttempt
	varLastEventID
	varI
	varParam
	varQuery
	varHeader
)

type part struct {
	kind varKind
	text string // the literal, or the variable's name (params, query, header)
	def  string // the default
}

// ParseTemplate compiles s. It never fails: text that is not a placeholder is literal.
func ParseTemplate(s string) Template {
	t := Template{src: s}
	var lit strings.Builder
	vars := false
	for i := 0; i < len(s); {
		c := s[i]
		if c != '{' {
			j := strings.IndexByte(s[i:], '{')
			if j < 0 {
				j = len(s) - i
			}
			lit.WriteString(s[i : i+j])
			i += j
			continue
		}
		if i+1 < len(s) && s[i+1] == '{' {
			lit.WriteByte('{')
			i += 2
			continue
		}
		end := strings.IndexByte(s[i+1:], '}')
		if end < 0 {
			lit.WriteString(s[i:])
			break
		}
		p, ok := parseVar(s[i+1 : i+1+end])
		if !ok {
			lit.WriteByte('{')
			i++
			continue
		}
		if lit.Len() > 0 {
			t.parts = append(t.parts, part{text: lit.String()})
			lit.Reset()
		}
		t.parts = append(t.parts, p)
		vars = true
		i += end + 2
	}
	if !vars {
		// No placeholder: the literal is the source with "{{" unescaped.
		if lit.String() != s {
			t.parts = []part{{text: lit.String()}}
		}
		return t
	}
	if lit.Len() > 0 {
		t.parts = append(t.parts, part{text: lit.String()})
	}
	return t
}

// parseVar parses the inside of a placeholder ("query.retry|100").
func parseVar(in string) (part, bool) {
	name, def, _ := strings.Cut(in, "|")
	if strings.ContainsAny(name, "{") {
		return part{}, false
	}
	switch name {
	case "attempt":
		return part{kind: varAttempt, def: def}, true
	case "lastEventId":
		return part{kind: varLastEventID, def: def}, true
	case "i":
		return part{kind: varI, def: def}, true
	}
	for _, p := range [...]struct {
		prefix string
		kind   varKind
	}{{"params.", varParam}, {"query.", varQuery}, {"header.", varHeader}} {
		if rest, ok := strings.CutPrefix(name, p.prefix); ok && rest != "" {
			if p.kind == varHeader {
				rest = textproto.CanonicalMIMEHeaderKey(rest)
			}
			return part{kind: p.kind, text: rest, def: def}, true
		}
	}
	return part{}, false
}

// String returns the template's source text.
func (t Template) String() string { return t.src }

// IsStatic reports whether t has no placeholder: Expand returns the same text for any
// Vars.
func (t Template) IsStatic() bool {
	for _, p := range t.parts {
		if p.kind != varNone {
			return false
		}
	}
	return true
}

// UsesI reports whether t contains {i}.
func (t Template) UsesI() bool {
	for _, p := range t.parts {
		if p.kind == varI {
			return true
		}
	}
	return false
}

// Vars are the values a Template expands with.
type Vars struct {
	Attempt     int
	LastEventID string
	// I is the round of the innermost repeat step, 0 outside any.
	I      int
	Params map[string]string
	Query  map[string][]string
	// Header holds the request headers under canonical keys (as http.Header does).
	Header map[string][]string
}

// Expand returns the text of t with the placeholders replaced by v's values.
func (t Template) Expand(v *Vars) string {
	if t.parts == nil {
		return t.src
	}
	if len(t.parts) == 1 && t.parts[0].kind == varNone {
		return t.parts[0].text
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.kind == varNone {
			b.WriteString(p.text)
			continue
		}
		val := v.value(p)
		if val == "" {
			val = p.def
		}
		b.WriteString(val)
	}
	return b.String()
}

func (v *Vars) value(p part) string {
	if v == nil {
		return ""
	}
	switch p.kind {
	case varAttempt:
		if v.Attempt == 0 {
			return ""
		}
		return strconv.Itoa(v.Attempt)
	case varLastEventID:
		return v.LastEventID
	case varI:
		if v.I == 0 {
			return ""
		}
		return strconv.Itoa(v.I)
	case varParam:
		return v.Params[p.text]
	case varQuery:
		if vs := v.Query[p.text]; len(vs) > 0 {
			return vs[0]
		}
	case varHeader:
		if vs := v.Header[p.text]; len(vs) > 0 {
			return vs[0]
		}
	}
	return ""
}

// MarshalText returns the template's source.
func (t Template) MarshalText() ([]byte, error) { return []byte(t.src), nil }

// UnmarshalText compiles text.
func (t *Template) UnmarshalText(text []byte) error {
	*t = ParseTemplate(string(text))
	return nil
}
