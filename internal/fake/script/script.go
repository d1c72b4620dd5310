// Package script is the JSON script format of polysse's fake SSE server: the routes, the
// answers they give per connection attempt and the steps of those answers, their strict
// decoding and validation, and the templates their strings may contain. It has no
// network code, so that every face of the fake (in Go, in JavaScript through
// WebAssembly, standalone) validates scripts with this one package.
//
// A script file:
//
//	{
//	  "version": 1,
//	  "routes": [
//	    { "route": "GET /jobs/{id}/events",
//	      "options": { "heartbeat": 15000, "reconnectionTime": 1000 },
//	      "answers": [
//	        { "times": 2, "respond": { "status": 503, "headers": { "Retry-After": "1" }, "body": "busy" } },
//	        { "stream": [
//	            { "event": { "type": "progress", "id": "1", "data": { "job": "{params.id}", "pct": 50 } } },
//	            { "wait": 1000 },
//	            { "comment": "still working" },
//	            { "complete": "{\"ok\":true}" } ] } ] } ]
//	}
//
// Decoding is strict: a field this package does not know is an error naming where it
// is (script: routes[0].answers[1].stream[2]: unknown step "commnet"), so that a typo
// never silently does nothing. See the fake's design notes (docs/fake-design.md) for
// what each answer, step and option does when served.
package script

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"
)

// Version is the script format's version: the "version" field of a file.
const Version = 1

// File is a script file.
type File struct {
	// Version is 1.
	Version int `json:"version"`
	// Routes are tried in order; the first that matches a request answers it.
	Routes []Route `json:"routes"`
}

// Route is a method and URL pattern with the answers it gives, one per connection
// attempt (or, in Go and JavaScript, a handler instead of answers).
type Route struct {
	// Pattern is "METHOD /path" in the syntax of Go's http.ServeMux patterns, with
	// wildcards ({id}, {rest...}, {$}); "* /path" or "/path" matches any method. Host
	// and scheme are not matched.
	Pattern string `json:"route"`
	// Name is how the route is referred to (journal, next answers, connections). It
	// defaults to Pattern.
	Name string `json:"name,omitempty"`
	// Match adds conditions on the query and headers.
	Match *Match `json:"match,omitempty"`
	// Options configure the server that streams the route's answers.
	Options *Options `json:"options,omitempty"`
	// Answers answer the attempts in order: each serves Times attempts, the last one
	// every later attempt.
	Answers []Answer `json:"answers,omitempty"`
	// AttemptKey, when set, counts attempts per expansion of this template (e.g.
	// "{query.sid}") instead of once for the route.
	AttemptKey *Template `json:"attemptKey,omitempty"`
}

// RouteName returns r.Name, or r.Pattern when it is empty.
func (r *Route) RouteName() string {
	if r.Name != "" {
		return r.Name
	}
	return r.Pattern
}

// Match holds conditions on a request, besides its method and path. A value is "*"
// (present, any value), nil (absent) or the exact value (of the first value).
type Match struct {
	Query   map[string]*string `json:"query,omitempty"`
	Headers map[string]*string `json:"headers,omitempty"`
}

// AnyValue is the Match value that accepts any value of a present parameter or header.
const AnyValue = "*"

// Options configure a route's server (server.Options) and its answers. Every field is
// optional; templates are expanded per request.
type Options struct {
	// Heartbeat is the heartbeat interval in ms; 0 turns heartbeats off. Unset: the
	// server's default.
	Heartbeat *Num `json:"heartbeat,omitempty"`
	// ReconnectionTime is the retry field of the stream's preamble, in ms.
	ReconnectionTime *Num `json:"reconnectionTime,omitempty"`
	// Topics subscribe the streams to topics (for publish steps and Publish).
	Topics []Template `json:"topics,omitempty"`
	// Replay is how many published events each topic keeps for resuming clients.
	Replay *Num `json:"replay,omitempty"`
	// ReplayAge bounds how long a published event is kept, in ms.
	ReplayAge *Num `json:"replayAge,omitempty"`
	// AutoIDs gives every published event without an id one.
	AutoIDs bool `json:"autoIds,omitempty"`
	// TokenTTL is how long completion tokens stay redeemable, in ms.
	TokenTTL *Num `json:"tokenTTL,omitempty"`
	// Refuse makes the server refuse every attempt with this answer.
	Refuse *Refusal `json:"refuse,omitempty"`
	// GapEvent is written first to a stream whose resume is a gap.
	GapEvent *Event `json:"gapEvent,omitempty"`
	// LastEventIDQuery names a query parameter read as the last event ID.
	LastEventIDQuery string `json:"lastEventIdQuery,omitempty"`
	// Headers are added to every answer of the route; a nil value removes the header.
	Headers map[string]*Template `json:"headers,omitempty"`
	// CORS is "echo", "echo-nocreds", "star" or "off"; unset: the fake's default.
	CORS *Template `json:"cors,omitempty"`
	// Preflight answers CORS preflight requests; unset: the fake's default.
	Preflight *Flag `json:"preflight,omitempty"`
}

// Refusal is the answer of Options.Refuse: the server's refusal path with this status.
type Refusal struct {
	Status  Num                  `json:"status"`
	Headers map[string]*Template `json:"headers,omitempty"`
	Body    *Template            `json:"body,omitempty"`
}

// AnswerKind says what an answer does.
type AnswerKind uint8

// The answer kinds.
const (
	// AnswerStream streams steps through the route's server.
	AnswerStream AnswerKind = iota + 1
	// AnswerRespond writes a plain HTTP response, not through the server.
	AnswerRespond
	// AnswerDrop gives no response: the client sees a network error.
	AnswerDrop
)

// Answer is the answer to one or more attempts.
type Answer struct {
	Kind AnswerKind
	// Steps are the steps of a stream answer.
	Steps []Step
	// Respond is the response of a respond answer.
	Respond *Respond
	// Times is how many attempts the answer serves (0 means 1); the last answer of a
	// route serves every later attempt.
	Times int
	// Delay, when set, is a wait before the response head.
	Delay *Delay
}

// Respond is a plain HTTP response: any status and headers, and a body of text or of
// steps (raw, rawBase64, wait, repeat and the endings end, drop and hold).
type Respond struct {
	Status Num
	// Headers are the response headers; a nil value removes the header (and keeps
	// net/http from sniffing a Content-Type).
	Headers map[string]*Template
	// Body is a text body (when BodySteps is nil).
	Body *Template
	// BodySteps is a body of steps.
	BodySteps []Step
}

// StepKind says what a step does.
type StepKind uint8

// The step kinds. The last five are endings: they may only be the last step.
const (
	StepEvent StepKind = iota + 1
	StepComment
	StepRetry
	StepRaw
	StepWait
	StepPublish
	StepRepeat
	StepEnd
	StepDrop
	StepHold
	StepComplete
	StepFail
)

var stepNames = [...]string{
	StepEvent: "event", StepComment: "comment", StepRetry: "retry", StepRaw: "raw",
	StepWait: "wait", StepPublish: "publish", StepRepeat: "repeat", StepEnd: "end",
	StepDrop: "drop", StepHold: "hold", StepComplete: "complete", StepFail: "fail",
}

// String returns the step's JSON name.
func (k StepKind) String() string {
	if int(k) < len(stepNames) && stepNames[k] != "" {
		return stepNames[k]
	}
	return "step?"
}

// IsEnding reports whether k is an ending (end, drop, hold, complete, fail).
func (k StepKind) IsEnding() bool { return k >= StepEnd }

// Step is one step of a stream or of a respond body.
type Step struct {
	Kind StepKind
	// Event is the event of an event step.
	Event *Event
	// Text is the text of a comment or raw step.
	Text Template
	// Bytes are the bytes of a raw step given as rawBase64 (Text is then empty).
	Bytes []byte
	// Num is the retry time, the wait or the repeat count (nil: repeat until the
	// connection ends; then the steps must be able to wait or write in every round).
	Num *Num
	// Topic and Event are those of a publish step.
	Topic Template
	// Steps are the steps of a repeat step.
	Steps []Step
	// Data is the data of a complete or fail step.
	Data Data
}

// Event is an event of a step, an option or an API call: each field optional.
type Event struct {
	Type  Template `json:"type,omitzero"`
	ID    Template `json:"id,omitzero"`
	Data  Data     `json:"data,omitzero"`
	Retry *Num     `json:"retry,omitempty"`
}

// IsZero reports whether t is the empty template.
func (t Template) IsZero() bool { return t.src == "" }

// Expanded is an event with its templates expanded.
type Expanded struct {
	Type, ID, Data string
	Retry          time.Duration
}

// Expand expands e for v.
func (e *Event) Expand(v *Vars) (Expanded, error) {
	x := Expanded{Type: e.Type.Expand(v), ID: e.ID.Expand(v), Data: e.Data.Expand(v)}
	if e.Retry != nil {
		ms, ok, err := e.Retry.Expand(v)
		if err != nil {
			return Expanded{}, &FieldError{Field: "retry", Err: err}
		}
		if ok {
			x.Retry = time.Duration(ms) * time.Millisecond
		}
	}
	if len(x.Data) > MaxExpanded {
		return Expanded{}, &FieldError{Field: "data", Err: errTooLong}
	}
	return x, nil
}

// Literal returns e with its strings as they are (templates not expanded), for events
// that an API call sends (a retry that is a template counts as none).
func (e *Event) Literal() Expanded {
	x := Expanded{Type: e.Type.src, ID: e.ID.src, Data: e.Data.Literal()}
	if e.Retry != nil && !e.Retry.isTmpl {
		x.Retry = time.Duration(e.Retry.lit) * time.Millisecond
	}
	return x
}

var errTooLong = errors.New("longer than 1 MiB once expanded")

// FieldError reports a field whose template expanded to a value it does not accept.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *FieldError) Unwrap() error { return e.Err }

// MarshalJSON writes an answer in the file format.
func (a Answer) MarshalJSON() ([]byte, error) {
	m := map[string]any{}
	switch a.Kind {
	case AnswerStream:
		steps := a.Steps
		if steps == nil {
			steps = []Step{}
		}
		m["stream"] = steps
	case AnswerRespond:
		m["respond"] = a.Respond
	case AnswerDrop:
		m["drop"] = true
	}
	if a.Times > 1 {
		m["times"] = a.Times
	}
	if a.Delay != nil {
		m["delay"] = a.Delay
	}
	return json.Marshal(m)
}

// MarshalJSON writes a response in the file format.
func (r *Respond) MarshalJSON() ([]byte, error) {
	m := map[string]any{"status": r.Status}
	if r.Headers != nil {
		m["headers"] = r.Headers
	}
	switch {
	case r.BodySteps != nil:
		m["body"] = r.BodySteps
	case r.Body != nil:
		m["body"] = r.Body
	}
	return json.Marshal(m)
}

// MarshalJSON writes a step in the file format.
func (s Step) MarshalJSON() ([]byte, error) {
	switch s.Kind {
	case StepEnd, StepDrop, StepHold:
		return json.Marshal(s.Kind.String())
	case StepEvent:
		return json.Marshal(map[string]any{"event": s.Event})
	case StepComment:
		return json.Marshal(map[string]any{"comment": s.Text})
	case StepRaw:
		if s.Bytes != nil {
			return json.Marshal(map[string]any{"rawBase64": base64.StdEncoding.EncodeToString(s.Bytes)})
		}
		return json.Marshal(map[string]any{"raw": s.Text})
	case StepRetry, StepWait:
		return json.Marshal(map[string]any{s.Kind.String(): s.Num})
	case StepPublish:
		return json.Marshal(map[string]any{"publish": map[string]any{"topic": s.Topic, "event": s.Event}})
	case StepRepeat:
		steps := s.Steps
		if steps == nil {
			steps = []Step{}
		}
		return json.Marshal(map[string]any{"repeat": s.Num, "steps": steps})
	case StepComplete, StepFail:
		return json.Marshal(map[string]any{s.Kind.String(): s.Data})
	}
	return nil, errors.New("script: step of unknown kind")
}
