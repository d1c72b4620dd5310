package script

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
)

// ErrInvalid is wrapped by every *Error.
var ErrInvalid = errors.New("script: invalid")

// Error reports an invalid script: where (a path such as routes[0].answers[1].stream[2])
// and what. It wraps ErrInvalid.
type Error struct {
	Path string
	Msg  string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return "script: " + e.Msg
	}
	return "script: " + e.Path + ": " + e.Msg
}

// Unwrap returns ErrInvalid.
func (e *Error) Unwrap() error { return ErrInvalid }

// ParseFile decodes and validates a script file.
func ParseFile(b []byte) (*File, error) {
	if len(b) > MaxFileSize {
		return nil, &Error{Msg: "the file is longer than 1 MiB"}
	}
	m, err := object("", b)
	if err != nil {
		return nil, err
	}
	if err := known("", m, "version", "routes"); err != nil {
		return nil, err
	}
	f := &File{Routes: []Route{}}
	raw, ok := m["version"]
	if !ok {
		return nil, &Error{Msg: `missing "version" (1)`}
	}
	if err := json.Unmarshal(raw, &f.Version); err != nil || f.Version != Version {
		return nil, &Error{Path: "version", Msg: "must be 1, got " + string(raw)}
	}
	rs, err := array("routes", m["routes"])
	if err != nil {
		return nil, err
	}
	names := map[string]int{}
	for i, r := range rs {
		p := "routes[" + strconv.Itoa(i) + "]"
		route, err := decodeRoute(p, r, true)
		if err != nil {
			return nil, err
		}
		if j, dup := names[route.RouteName()]; dup {
			return nil, &Error{Path: p, Msg: "the name " + strconv.Quote(route.RouteName()) +
				" is taken by routes[" + strconv.Itoa(j) + "] (give one a \"name\")"}
		}
		names[route.RouteName()] = i
		f.Routes = append(f.Routes, *route)
	}
	return f, nil
}

// ParseRoute decodes and validates one route object. When answers is true the route
// must have answers (it is not answered by a handler).
func ParseRoute(b []byte, answers bool) (*Route, error) {
	if len(b) > MaxFileSize {
		return nil, &Error{Msg: "the route is longer than 1 MiB"}
	}
	return decodeRoute("", b, answers)
}

// ParseAnswer decodes and validates one answer object.
func ParseAnswer(b []byte) (*Answer, error) {
	if len(b) > MaxFileSize {
		return nil, &Error{Msg: "the answer is longer than 1 MiB"}
	}
	return decodeAnswer("", b)
}

// ParseAnswers decodes an answer object or an array of them.
func ParseAnswers(b []byte) ([]Answer, error) {
	if len(b) > MaxFileSize {
		return nil, &Error{Msg: "the answers are longer than 1 MiB"}
	}
	if kind(b) != '[' {
		a, err := decodeAnswer("", b)
		if err != nil {
			return nil, err
		}
		return []Answer{*a}, nil
	}
	items, err := array("", b)
	if err != nil {
		return nil, err
	}
	return decodeAnswers("", items)
}

// ParseEvent decodes and validates an event object ({type, id, data, retry}).
func ParseEvent(b []byte) (*Event, error) {
	if len(b) > MaxFileSize {
		return nil, &Error{Msg: "the event is longer than 1 MiB"}
	}
	return decodeEvent("", b)
}

// ParseOptions decodes and validates route options.
func ParseOptions(b []byte) (*Options, error) {
	if len(b) > MaxFileSize {
		return nil, &Error{Msg: "the options are longer than 1 MiB"}
	}
	return decodeOptions("", b)
}

// Validate checks an answer built in Go (not decoded) as ParseAnswer checks a decoded
// one.
func (a *Answer) Validate() error {
	b, err := json.Marshal(a)
	if err != nil {
		return &Error{Msg: err.Error()}
	}
	_, err = decodeAnswer("", b)
	return err
}

// Validate checks a route built in Go (not decoded) as ParseRoute checks a decoded one.
func (r *Route) Validate(answers bool) error {
	b, err := json.Marshal(r)
	if err != nil {
		return &Error{Msg: err.Error()}
	}
	_, err = decodeRoute("", b, answers)
	return err
}

// UnmarshalJSON decodes strictly (see ParseRoute; answers are not required).
func (r *Route) UnmarshalJSON(b []byte) error {
	x, err := decodeRoute("", b, false)
	if err != nil {
		return err
	}
	*r = *x
	return nil
}

// UnmarshalJSON decodes strictly (see ParseAnswer).
func (a *Answer) UnmarshalJSON(b []byte) error {
	x, err := decodeAnswer("", b)
	if err != nil {
		return err
	}
	*a = *x
	return nil
}

// UnmarshalJSON decodes strictly (see ParseEvent).
func (e *Event) UnmarshalJSON(b []byte) error {
	x, err := decodeEvent("", b)
	if err != nil {
		return err
	}
	*e = *x
	return nil
}

// ---- JSON helpers

// kind returns the first byte of the JSON value b: '{', '[', '"', 'n', 't', 'f', or a
// digit or '-' for a number; 0 when b is empty.
func kind(b []byte) byte {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

func kindName(b []byte) string {
	switch kind(b) {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	case 0:
		return "nothing"
	}
	return "a number"
}

func object(path string, b []byte) (map[string]json.RawMessage, error) {
	if kind(b) != '{' {
		return nil, &Error{Path: path, Msg: "want an object, got " + kindName(b)}
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, &Error{Path: path, Msg: "invalid JSON: " + err.Error()}
	}
	return m, nil
}

func array(path string, b []byte) ([]json.RawMessage, error) {
	if kind(b) != '[' {
		return nil, &Error{Path: path, Msg: "want an array, got " + kindName(b)}
	}
	var a []json.RawMessage
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, &Error{Path: path, Msg: "invalid JSON: " + err.Error()}
	}
	return a, nil
}

func str(path string, b []byte) (string, error) {
	if kind(b) != '"' {
		return "", &Error{Path: path, Msg: "want a string, got " + kindName(b)}
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return "", &Error{Path: path, Msg: "invalid JSON: " + err.Error()}
	}
	return s, nil
}

func boolean(path string, b []byte) (bool, error) {
	var v bool
	if k := kind(b); k != 't' && k != 'f' || json.Unmarshal(b, &v) != nil {
		return false, &Error{Path: path, Msg: "want true or false, got " + kindName(b)}
	}
	return v, nil
}

// known fails when m has a key not in keys.
func known(path string, m map[string]json.RawMessage, keys ...string) error {
	var unknown []string
	for k := range m {
		if !slices.Contains(keys, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	return &Error{Path: path, Msg: "unknown field " + strconv.Quote(unknown[0]) + " (known: " + strings.Join(keys, ", ") + ")"}
}

// field decodes m[key] with dec into *dst when m has key (the error's path names it);
// when m has no key, *dst keeps its value.
func field[T any](m map[string]json.RawMessage, path, key string, dst *T, dec func(string, []byte) (T, error)) error {
	raw, ok := m[key]
	if !ok {
		return nil
	}
	v, err := dec(join(path, key), raw)
	if err != nil {
		return err
	}
	*dst = v
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// num decodes a Num: a non-negative integer or a string template (a static one is
// checked now).
func num(path string, b []byte) (Num, error) {
	switch k := kind(b); {
	case k == '"':
		s, err := str(path, b)
		if err != nil {
			return Num{}, err
		}
		n := NumTemplate(s)
		if n.tmpl.IsStatic() {
			if _, _, err := n.Expand(nil); err != nil {
				return Num{}, &Error{Path: path, Msg: "want a non-negative integer or a template, got " + strconv.Quote(s)}
			}
		}
		return n, nil
	case k == '-' || k >= '0' && k <= '9':
		x, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil || x < 0 || x > MaxMillis {
			return Num{}, &Error{Path: path, Msg: "want an integer from 0 to " + strconv.Itoa(MaxMillis) + ", got " + strings.TrimSpace(string(b))}
		}
		return NumOf(x), nil
	}
	return Num{}, &Error{Path: path, Msg: "want a non-negative integer or a template string, got " + kindName(b)}
}

func templ(path string, b []byte) (Template, error) {
	s, err := str(path, b)
	if err != nil {
		return Template{}, err
	}
	return ParseTemplate(s), nil
}

// headers decodes {name: template or null}.
func headers(path string, b []byte) (map[string]*Template, error) {
	m, err := object(path, b)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*Template, len(m))
	for _, k := range sortedKeys(m) {
		p := join(path, k)
		if !validHeaderName(k) {
			return nil, &Error{Path: p, Msg: "not a valid header name"}
		}
		if kind(m[k]) == 'n' {
			out[k] = nil
			continue
		}
		t, err := templ(p, m[k])
		if err != nil {
			return nil, err
		}
		if strings.ContainsAny(t.src, "\r\n\x00") {
			return nil, &Error{Path: p, Msg: "a header value must not contain CR, LF or NUL"}
		}
		out[k] = &t
	}
	return out, nil
}

// validHeaderName reports whether s is an HTTP token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// ---- routes

func decodeRoute(path string, b []byte, needAnswers bool) (*Route, error) {
	m, err := object(path, b)
	if err != nil {
		return nil, err
	}
	if err := known(path, m, "route", "name", "match", "options", "answers", "attemptKey"); err != nil {
		return nil, err
	}
	r := &Route{}
	raw, ok := m["route"]
	if !ok {
		return nil, &Error{Path: path, Msg: `missing "route" (a pattern such as "GET /events")`}
	}
	if r.Pattern, err = str(join(path, "route"), raw); err != nil {
		return nil, err
	}
	if _, err := ParsePattern(r.Pattern); err != nil {
		return nil, &Error{Path: join(path, "route"), Msg: err.Error()}
	}
	if err := field(m, path, "name", &r.Name, str); err != nil {
		return nil, err
	}
	if err := field(m, path, "match", &r.Match, decodeMatch); err != nil {
		return nil, err
	}
	if err := field(m, path, "options", &r.Options, decodeOptions); err != nil {
		return nil, err
	}
	if raw, ok := m["attemptKey"]; ok {
		t, err := templ(join(path, "attemptKey"), raw)
		if err != nil {
			return nil, err
		}
		r.AttemptKey = &t
	}
	if raw, ok := m["answers"]; ok {
		items, err := array(join(path, "answers"), raw)
		if err != nil {
			return nil, err
		}
		if r.Answers, err = decodeAnswers(join(path, "answers"), items); err != nil {
			return nil, err
		}
	}
	if needAnswers && len(r.Answers) == 0 {
		return nil, &Error{Path: join(path, "answers"), Msg: "a route needs at least one answer"}
	}
	return r, nil
}

func decodeMatch(path string, b []byte) (*Match, error) {
	m, err := object(path, b)
	if err != nil {
		return nil, err
	}
	if err := known(path, m, "query", "headers"); err != nil {
		return nil, err
	}
	conds := func(key string) (map[string]*string, error) {
		raw, ok := m[key]
		if !ok {
			return nil, nil
		}
		p := join(path, key)
		o, err := object(p, raw)
		if err != nil {
			return nil, err
		}
		out := make(map[string]*string, len(o))
		for _, k := range sortedKeys(o) {
			if kind(o[k]) == 'n' {
				out[k] = nil
				continue
			}
			s, err := str(join(p, k), o[k])
			if err != nil {
				return nil, err
			}
			out[k] = &s
		}
		return out, nil
	}
	mt := &Match{}
	if mt.Query, err = conds("query"); err != nil {
		return nil, err
	}
	if mt.Headers, err = conds("headers"); err != nil {
		return nil, err
	}
	for k := range mt.Headers {
		if !validHeaderName(k) {
			return nil, &Error{Path: join(join(path, "headers"), k), Msg: "not a valid header name"}
		}
	}
	return mt, nil
}

func decodeOptions(path string, b []byte) (*Options, error) {
	m, err := object(path, b)
	if err != nil {
		return nil, err
	}
	if err := known(path, m, "heartbeat", "reconnectionTime", "topics", "replay", "replayAge", "autoIds",
		"tokenTTL", "refuse", "gapEvent", "lastEventIdQuery", "headers", "cors", "preflight"); err != nil {
		return nil, err
	}
	o := &Options{}
	nums := []struct {
		key string
		dst **Num
	}{
		{"heartbeat", &o.Heartbeat}, {"reconnectionTime", &o.ReconnectionTime}, {"replay", &o.Replay},
		{"replayAge", &o.ReplayAge}, {"tokenTTL", &o.TokenTTL},
	}
	for _, n := range nums {
		if raw, ok := m[n.key]; ok {
			v, err := num(join(path, n.key), raw)
			if err != nil {
				return nil, err
			}
			*n.dst = &v
		}
	}
	if raw, ok := m["topics"]; ok {
		items, err := array(join(path, "topics"), raw)
		if err != nil {
			return nil, err
		}
		for i, it := range items {
			t, err := templ(index(join(path, "topics"), i), it)
			if err != nil {
				return nil, err
			}
			o.Topics = append(o.Topics, t)
		}
	}
	if err := field(m, path, "autoIds", &o.AutoIDs, boolean); err != nil {
		return nil, err
	}
	if err := field(m, path, "refuse", &o.Refuse, decodeRefusal); err != nil {
		return nil, err
	}
	if err := field(m, path, "gapEvent", &o.GapEvent, decodeEvent); err != nil {
		return nil, err
	}
	if err := field(m, path, "lastEventIdQuery", &o.LastEventIDQuery, str); err != nil {
		return nil, err
	}
	if err := field(m, path, "headers", &o.Headers, headers); err != nil {
		return nil, err
	}
	if raw, ok := m["cors"]; ok {
		t, err := templ(join(path, "cors"), raw)
		if err != nil {
			return nil, err
		}
		if t.IsStatic() && !ValidCORS(t.Expand(nil)) {
			return nil, &Error{Path: join(path, "cors"), Msg: `want "echo", "echo-nocreds", "star" or "off", got ` + strconv.Quote(t.src)}
		}
		o.CORS = &t
	}
	if raw, ok := m["preflight"]; ok {
		f, err := flag(join(path, "preflight"), raw)
		if err != nil {
			return nil, err
		}
		o.Preflight = &f
	}
	return o, nil
}

// CORS modes.
const (
	CORSOff         = "off"
	CORSEcho        = "echo"
	CORSEchoNoCreds = "echo-nocreds"
	CORSStar        = "star"
)

// ValidCORS reports whether s names a CORS mode ("" counts as off).
func ValidCORS(s string) bool {
	switch s {
	case "", CORSOff, CORSEcho, CORSEchoNoCreds, CORSStar:
		return true
	}
	return false
}

func flag(path string, b []byte) (Flag, error) {
	if kind(b) == '"' {
		s, err := str(path, b)
		if err != nil {
			return Flag{}, err
		}
		f := Flag{tmpl: ParseTemplate(s), isTmpl: true}
		if f.tmpl.IsStatic() {
			if _, err := f.Expand(nil); err != nil {
				return Flag{}, &Error{Path: path, Msg: err.Error()}
			}
		}
		return f, nil
	}
	v, err := boolean(path, b)
	return FlagOf(v), err
}

func decodeRefusal(path string, b []byte) (*Refusal, error) {
	m, err := object(path, b)
	if err != nil {
		return nil, err
	}
	if err := known(path, m, "status", "headers", "body"); err != nil {
		return nil, err
	}
	r := &Refusal{}
	raw, ok := m["status"]
	if !ok {
		return nil, &Error{Path: path, Msg: `missing "status"`}
	}
	if r.Status, err = status(join(path, "status"), raw); err != nil {
		return nil, err
	}
	if err := field(m, path, "headers", &r.Headers, headers); err != nil {
		return nil, err
	}
	if raw, ok := m["body"]; ok {
		t, err := templ(join(path, "body"), raw)
		if err != nil {
			return nil, err
		}
		r.Body = &t
	}
	return r, nil
}

// ValidStatus reports whether n is a status an answer may have: 200 to 599.
func ValidStatus(n int64) bool { return n >= 200 && n <= 599 }

func status(path string, b []byte) (Num, error) {
	n, err := num(path, b)
	if err != nil {
		return Num{}, err
	}
	if x, ok, _ := n.Expand(nil); (!n.isTmpl || n.tmpl.IsStatic()) && (!ok || !ValidStatus(x)) {
		return Num{}, &Error{Path: path, Msg: "want a status from 200 to 599"}
	}
	return n, nil
}

// ---- answers and steps

func decodeAnswers(path string, items []json.RawMessage) ([]Answer, error) {
	out := make([]Answer, 0, len(items))
	for i, it := range items {
		a, err := decodeAnswer(index(path, i), it)
		if err != nil {
			return nil, err
		}
		out = append(out, *a)
	}
	return out, nil
}

func decodeAnswer(path string, b []byte) (*Answer, error) {
	m, err := object(path, b)
	if err != nil {
		return nil, err
	}
	if err := known(path, m, "stream", "respond", "drop", "times", "delay"); err != nil {
		return nil, err
	}
	a := &Answer{}
	n := 0
	for _, k := range []string{"stream", "respond", "drop"} {
		if _, ok := m[k]; ok {
			n++
		}
	}
	if n != 1 {
		return nil, &Error{Path: path, Msg: `an answer has exactly one of "stream", "respond" or "drop"`}
	}
	budget := MaxSteps
	switch {
	case m["stream"] != nil:
		a.Kind = AnswerStream
		if a.Steps, err = decodeSteps(join(path, "stream"), m["stream"], streamSteps, 0, &budget); err != nil {
			return nil, err
		}
		if a.Steps == nil {
			a.Steps = []Step{}
		}
	case m["respond"] != nil:
		a.Kind = AnswerRespond
		if a.Respond, err = decodeRespond(join(path, "respond"), m["respond"], &budget); err != nil {
			return nil, err
		}
	default:
		a.Kind = AnswerDrop
		if v, err := boolean(join(path, "drop"), m["drop"]); err != nil || !v {
			return nil, &Error{Path: join(path, "drop"), Msg: "must be true"}
		}
	}
	if raw, ok := m["times"]; ok {
		n, err := num(join(path, "times"), raw)
		x, _, _ := n.Expand(nil)
		if err != nil || n.isTmpl || x < 1 || x > 1<<30 {
			return nil, &Error{Path: join(path, "times"), Msg: "want a whole number of attempts, at least 1"}
		}
		a.Times = int(x)
	}
	if raw, ok := m["delay"]; ok {
		d, err := delay(join(path, "delay"), raw)
		if err != nil {
			return nil, err
		}
		a.Delay = &d
	}
	return a, nil
}

func delay(path string, b []byte) (Delay, error) {
	if kind(b) == '"' {
		s, _ := str(path, b)
		if s == Forever {
			return DelayForever(), nil
		}
		t := ParseTemplate(s)
		if t.IsStatic() {
			if _, err := num(path, b); err != nil {
				return Delay{}, &Error{Path: path, Msg: `want milliseconds, "forever" or a template, got ` + strconv.Quote(s)}
			}
		}
		return Delay{Num: Num{tmpl: t, isTmpl: true}}, nil
	}
	n, err := num(path, b)
	return Delay{Num: n}, err
}

func decodeRespond(path string, b []byte, budget *int) (*Respond, error) {
	m, err := object(path, b)
	if err != nil {
		return nil, err
	}
	if err := known(path, m, "status", "headers", "body"); err != nil {
		return nil, err
	}
	r := &Respond{Status: NumOf(200)}
	if err := field(m, path, "status", &r.Status, status); err != nil {
		return nil, err
	}
	if err := field(m, path, "headers", &r.Headers, headers); err != nil {
		return nil, err
	}
	if raw, ok := m["body"]; ok {
		if kind(raw) == '[' {
			if r.BodySteps, err = decodeSteps(join(path, "body"), raw, bodySteps, 0, budget); err != nil {
				return nil, err
			}
			if r.BodySteps == nil {
				r.BodySteps = []Step{}
			}
		} else {
			t, err := templ(join(path, "body"), raw)
			if err != nil {
				return nil, &Error{Path: join(path, "body"), Msg: "want a string or an array of steps, got " + kindName(raw)}
			}
			r.Body = &t
		}
	}
	return r, nil
}

// stepSet is the set of steps a list accepts.
type stepSet uint8

const (
	streamSteps stepSet = iota
	bodySteps
)

func (s stepSet) allows(k StepKind) bool {
	if s == streamSteps {
		return true
	}
	switch k {
	case StepRaw, StepWait, StepRepeat, StepEnd, StepDrop, StepHold:
		return true
	}
	return false
}

func decodeSteps(path string, b []byte, set stepSet, depth int, budget *int) ([]Step, error) {
	items, err := array(path, b)
	if err != nil {
		return nil, err
	}
	var out []Step
	for i, it := range items {
		p := index(path, i)
		if *budget--; *budget < 0 {
			return nil, &Error{Path: p, Msg: "more than " + strconv.Itoa(MaxSteps) + " steps in one answer"}
		}
		s, err := decodeStep(p, it, set, depth, budget)
		if err != nil {
			return nil, err
		}
		if s.Kind.IsEnding() && i != len(items)-1 {
			return nil, &Error{Path: p, Msg: "the ending " + strconv.Quote(s.Kind.String()) + " must be the last step"}
		}
		if s.Kind.IsEnding() && depth > 0 {
			return nil, &Error{Path: p, Msg: "an ending cannot be inside a repeat step"}
		}
		out = append(out, *s)
	}
	return out, nil
}

func decodeStep(path string, b []byte, set stepSet, depth int, budget *int) (*Step, error) {
	s := &Step{}
	if kind(b) == '"' {
		name, err := str(path, b)
		if err != nil {
			return nil, err
		}
		switch name {
		case "end":
			s.Kind = StepEnd
		case "drop":
			s.Kind = StepDrop
		case "hold":
			s.Kind = StepHold
		default:
			return nil, &Error{Path: path, Msg: "unknown ending " + strconv.Quote(name) + ` (known: "end", "drop", "hold")`}
		}
		if !set.allows(s.Kind) {
			return nil, &Error{Path: path, Msg: "a respond body cannot " + name}
		}
		return s, nil
	}
	m, err := object(path, b)
	if err != nil {
		return nil, &Error{Path: path, Msg: "want a step object or an ending string, got " + kindName(b)}
	}
	var key string
	for k := range m {
		if k == "steps" {
			continue
		}
		if key != "" {
			ks := []string{key, k}
			slices.Sort(ks)
			return nil, &Error{Path: path, Msg: "a step has one kind, got " + strconv.Quote(ks[0]) + " and " + strconv.Quote(ks[1])}
		}
		key = k
	}
	if _, ok := m["steps"]; ok && key != "repeat" {
		return nil, &Error{Path: path, Msg: `"steps" belongs to a "repeat" step`}
	}
	raw := m[key]
	p := join(path, key)
	switch key {
	case "event":
		s.Kind = StepEvent
		if s.Event, err = decodeEvent(p, raw); err != nil {
			return nil, err
		}
	case "comment":
		s.Kind = StepComment
		if s.Text, err = templ(p, raw); err != nil {
			return nil, err
		}
	case "retry", "wait":
		s.Kind = StepRetry
		if key == "wait" {
			s.Kind = StepWait
		}
		n, err := num(p, raw)
		if err != nil {
			return nil, err
		}
		s.Num = &n
	case "raw":
		s.Kind = StepRaw
		if s.Text, err = templ(p, raw); err != nil {
			return nil, err
		}
	case "rawBase64":
		s.Kind = StepRaw
		txt, err := str(p, raw)
		if err != nil {
			return nil, err
		}
		if s.Bytes, err = base64.StdEncoding.DecodeString(txt); err != nil {
			return nil, &Error{Path: p, Msg: "invalid base64: " + err.Error()}
		}
		if s.Bytes == nil {
			s.Bytes = []byte{}
		}
	case "publish":
		s.Kind = StepPublish
		pm, err := object(p, raw)
		if err != nil {
			return nil, err
		}
		if err := known(p, pm, "topic", "event"); err != nil {
			return nil, err
		}
		if pm["topic"] == nil || pm["event"] == nil {
			return nil, &Error{Path: p, Msg: `a publish step has a "topic" and an "event"`}
		}
		if s.Topic, err = templ(join(p, "topic"), pm["topic"]); err != nil {
			return nil, err
		}
		if s.Event, err = decodeEvent(join(p, "event"), pm["event"]); err != nil {
			return nil, err
		}
	case "repeat":
		s.Kind = StepRepeat
		if depth+1 > MaxDepth {
			return nil, &Error{Path: p, Msg: "repeat steps nest more than " + strconv.Itoa(MaxDepth) + " deep"}
		}
		if kind(raw) != 'n' {
			n, err := num(p, raw)
			if err != nil {
				return nil, err
			}
			s.Num = &n
		}
		inner, ok := m["steps"]
		if !ok {
			return nil, &Error{Path: path, Msg: `a repeat step needs "steps"`}
		}
		if s.Steps, err = decodeSteps(join(path, "steps"), inner, set, depth+1, budget); err != nil {
			return nil, err
		}
		if s.Num == nil && stepsProgress(s.Steps) == progressNever {
			return nil, &Error{Path: p, Msg: errSpins}
		}
	case "complete", "fail":
		s.Kind = StepComplete
		if key == "fail" {
			s.Kind = StepFail
		}
		if kind(raw) == 'n' {
			break
		}
		if err := s.Data.setJSON(raw); err != nil {
			return nil, &Error{Path: p, Msg: "invalid JSON: " + err.Error()}
		}
	case "":
		return nil, &Error{Path: path, Msg: "an empty step"}
	default:
		return nil, &Error{Path: path, Msg: "unknown step " + strconv.Quote(key)}
	}
	if !set.allows(s.Kind) {
		return nil, &Error{Path: path, Msg: "a respond body cannot have " + strconv.Quote(key) + " steps (only raw, rawBase64, wait, repeat, end, drop, hold)"}
	}
	return s, nil
}

func decodeEvent(path string, b []byte) (*Event, error) {
	m, err := object(path, b)
	if err != nil {
		return nil, err
	}
	if err := known(path, m, "type", "id", "data", "retry"); err != nil {
		return nil, err
	}
	e := &Event{}
	for _, f := range []struct {
		key string
		dst *Template
	}{{"type", &e.Type}, {"id", &e.ID}} {
		raw, ok := m[f.key]
		if !ok || kind(raw) == 'n' {
			continue
		}
		if *f.dst, err = templ(join(path, f.key), raw); err != nil {
			return nil, err
		}
		if strings.ContainsAny(f.dst.src, "\r\n\x00") {
			return nil, &Error{Path: join(path, f.key), Msg: "must not contain CR, LF or NUL"}
		}
	}
	if raw, ok := m["data"]; ok && kind(raw) != 'n' {
		if err := e.Data.setJSON(raw); err != nil {
			return nil, &Error{Path: join(path, "data"), Msg: "invalid JSON: " + err.Error()}
		}
	}
	if raw, ok := m["retry"]; ok && kind(raw) != 'n' {
		n, err := num(join(path, "retry"), raw)
		if err != nil {
			return nil, err
		}
		e.Retry = &n
	}
	return e, nil
}
