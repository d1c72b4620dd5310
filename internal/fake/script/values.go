package script

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Bounds of scripts.
const (
	// MaxFileSize bounds a script file (and any JSON document the decoder reads).
	MaxFileSize = 1 << 20
	// MaxExpanded bounds one step (an event's data, a raw chunk, a comment) once its
	// templates are expanded.
	MaxExpanded = 1 << 20
	// MaxSteps bounds the steps of one answer, those inside repeat steps included.
	MaxSteps = 10_000
	// MaxDepth bounds the nesting of repeat steps.
	MaxDepth = 8
	// MaxMillis bounds every duration in milliseconds (about 31 years) and every count.
	MaxMillis = 1_000_000_000_000
)

// A Num is a non-negative integer field (milliseconds, a count, a status): a JSON
// number, or a string template that expands to one per request. A template that
// expands to the empty string leaves the field unset.
type Num struct {
	lit    int64
	tmpl   Template
	isTmpl bool
}

// NumOf returns the literal n.
func NumOf(n int64) Num { return Num{lit: n} }

// NumTemplate returns the template s, expanded per request.
func NumTemplate(s string) Num {
	t := ParseTemplate(s)
	return Num{tmpl: t, isTmpl: true}
}

// Millis returns the duration d as a Num of milliseconds (rounded up).
func Millis(d time.Duration) Num {
	return NumOf(int64((d + time.Millisecond - 1) / time.Millisecond))
}

// Expand returns the value of n for v: ok is false when a template expanded to the
// empty string; err is a *ValueError when it expanded to anything but an integer in
// [0, MaxMillis].
func (n Num) Expand(v *Vars) (value int64, ok bool, err error) {
	if !n.isTmpl {
		return n.lit, true, nil
	}
	s := strings.TrimSpace(n.tmpl.Expand(v))
	if s == "" {
		return 0, false, nil
	}
	x, err := strconv.ParseInt(s, 10, 64)
	if err != nil || x < 0 || x > MaxMillis {
		return 0, false, &ValueError{Value: s, Want: "an integer from 0 to " + strconv.Itoa(MaxMillis)}
	}
	return x, true, nil
}

// Template returns the template of n and true, or false when n is a literal.
func (n Num) Template() (Template, bool) { return n.tmpl, n.isTmpl }

// MarshalJSON writes a literal as a number and a template as a string.
func (n Num) MarshalJSON() ([]byte, error) {
	if n.isTmpl {
		return appendQuoted(nil, n.tmpl.src), nil
	}
	return strconv.AppendInt(nil, n.lit, 10), nil
}

// ValueError reports a template that expanded to a value its field does not accept.
type ValueError struct {
	Value string // the expanded text
	Want  string // what the field accepts
}

func (e *ValueError) Error() string {
	return "expanded to " + strconv.Quote(e.Value) + ", want " + e.Want
}

// Forever is the delay value meaning "until the client goes away".
const Forever = "forever"

// A Delay is a Num of milliseconds or the word "forever" (also as a template's
// expansion).
type Delay struct {
	Num
	forever bool
}

// DelayForever returns the delay "forever".
func DelayForever() Delay { return Delay{forever: true} }

// Expand returns the delay for v: forever, or d; ok is false when a template expanded
// to the empty string (no delay).
func (d Delay) Expand(v *Vars) (dur time.Duration, forever, ok bool, err error) {
	if d.forever {
		return 0, true, true, nil
	}
	if d.isTmpl && strings.TrimSpace(d.tmpl.Expand(v)) == Forever {
		return 0, true, true, nil
	}
	ms, ok, err := d.Num.Expand(v)
	if err != nil {
		err = &ValueError{Value: err.(*ValueError).Value, Want: `milliseconds or "forever"`}
	}
	return time.Duration(ms) * time.Millisecond, false, ok, err
}

// MarshalJSON writes "forever", a number or a template string.
func (d Delay) MarshalJSON() ([]byte, error) {
	if d.forever {
		return []byte(`"forever"`), nil
	}
	return d.Num.MarshalJSON()
}

// A Flag is a boolean: a JSON boolean, or a template that expands to "1" or "true"
// (true), or "", "0" or "false" (false).
type Flag struct {
	lit    bool
	tmpl   Template
	isTmpl bool
}

// FlagOf returns the literal b.
func FlagOf(b bool) Flag { return Flag{lit: b} }

// Expand returns the value of f for v.
func (f Flag) Expand(v *Vars) (bool, error) {
	if !f.isTmpl {
		return f.lit, nil
	}
	switch s := strings.TrimSpace(f.tmpl.Expand(v)); s {
	case "1", "true":
		return true, nil
	case "", "0", "false":
		return false, nil
	default:
		return false, &ValueError{Value: s, Want: `"1", "true", "0", "false" or ""`}
	}
}

// MarshalJSON writes a boolean or a template string.
func (f Flag) MarshalJSON() ([]byte, error) {
	if f.isTmpl {
		return appendQuoted(nil, f.tmpl.src), nil
	}
	return json.Marshal(f.lit)
}

// Data is an event's data or a completion's: a string template, or any other JSON value,
// which is sent as its JSON text (with the templates in its strings expanded).
type Data struct {
	text    Template
	json    []byte // compact JSON of a non-string value
	dynamic bool   // json has strings with placeholders
	isJSON  bool
}

// DataText returns the string template s.
func DataText(s string) Data { return Data{text: ParseTemplate(s)} }

// DataJSON returns data whose text is the JSON value raw; raw must be valid JSON.
func DataJSON(raw []byte) (Data, error) {
	var d Data
	if err := d.setJSON(raw); err != nil {
		return Data{}, err
	}
	return d, nil
}

func (d *Data) setJSON(raw []byte) error {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return err
	}
	b := buf.Bytes()
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*d = DataText(s)
		return nil
	}
	*d = Data{json: b, isJSON: true}
	// Are there strings with placeholders?
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		if s, ok := tok.(string); ok && !ParseTemplate(s).IsStatic() {
			d.dynamic = true
			break
		}
	}
	return nil
}

// Expand returns the data's text for v.
func (d Data) Expand(v *Vars) string {
	if !d.isJSON {
		return d.text.Expand(v)
	}
	if !d.dynamic {
		return string(d.json)
	}
	return expandJSON(d.json, v)
}

// Literal returns the data's text without expanding templates (a string as it is,
// another value as its compact JSON).
func (d Data) Literal() string {
	if d.isJSON {
		return string(d.json)
	}
	return d.text.src
}

// IsZero reports whether d is the empty string.
func (d Data) IsZero() bool { return !d.isJSON && d.text.src == "" }

// MarshalJSON writes the string or the JSON value.
func (d Data) MarshalJSON() ([]byte, error) {
	if d.isJSON {
		return d.json, nil
	}
	return appendQuoted(nil, d.text.src), nil
}

// expandJSON re-encodes the valid compact JSON b with the templates in its string
// values (not its keys) expanded, keeping the order of keys.
func expandJSON(b []byte, v *Vars) string {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out []byte
	type frame struct {
		obj bool
		n   int // values (or keys and values) written
	}
	var stack []frame
	sep := func() {
		if len(stack) == 0 {
			return
		}
		f := &stack[len(stack)-1]
		if f.obj {
			if f.n%2 == 1 {
				out = append(out, ':')
			} else if f.n > 0 {
				out = append(out, ',')
			}
		} else if f.n > 0 {
			out = append(out, ',')
		}
		f.n++
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				sep()
				out = append(out, byte(t))
				stack = append(stack, frame{obj: t == '{'})
			default:
				stack = stack[:len(stack)-1]
				out = append(out, byte(t))
			}
		case string:
			isKey := len(stack) > 0 && stack[len(stack)-1].obj && stack[len(stack)-1].n%2 == 0
			sep()
			s := t
			if !isKey {
				s = ParseTemplate(t).Expand(v)
			}
			out = appendQuoted(out, s)
		case json.Number:
			sep()
			out = append(out, t...)
		case bool:
			sep()
			out = strconv.AppendBool(out, t)
		case nil:
			sep()
			out = append(out, "null"...)
		}
	}
	return string(out)
}

// appendQuoted appends s as a JSON string, without escaping HTML characters.
func appendQuoted(dst []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return append(dst, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}
