package fake

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Bounds of the journal.
const (
	// DefaultJournalSize is how many entries a scope's journal keeps by default; older
	// ones are dropped (and counted).
	DefaultJournalSize = 10_000
	// MaxJournalBody is how many bytes of a request body an entry keeps.
	MaxJournalBody = 64 << 10
)

// Outcome says how a request was answered.
type Outcome string

// The outcomes.
const (
	// OutcomeOpen: the request is still being answered (waiting for its head, or its
	// connection is open).
	OutcomeOpen Outcome = "open"
	// OutcomeEnded: the fake ended the response (cleanly, or by completing or failing a
	// stream).
	OutcomeEnded Outcome = "ended"
	// OutcomeDropped: the fake dropped the connection (a network error for the client).
	OutcomeDropped Outcome = "dropped"
	// OutcomeClientGone: the client went away while the fake was still answering.
	OutcomeClientGone Outcome = "client-gone"
	// OutcomeRefused: the route's server answered without a stream (its refuse option,
	// a redeemed completion token, a bad request).
	OutcomeRefused Outcome = "refused"
	// OutcomeUnhandled: no route matched.
	OutcomeUnhandled Outcome = "unhandled"
)

// Entry is one request in a scope's journal. Its fields are filled in as the request is
// served: Status when the head is written, Outcome and End when the answer ends.
type Entry struct {
	// Seq is the entry's 1-based position in its scope's journal since the last reset.
	Seq int
	// Scope is the scope's name.
	Scope string
	// Route is the name of the route that answered, "" when none did.
	Route string
	// Attempt is the attempt number for the route (and attempt key); 0 for a CORS
	// preflight and for unhandled requests.
	Attempt int
	// Conn is the id of the request's connection, "" when none opened.
	Conn string
	// Method is the request method.
	Method string
	// URL is the request URL as the routes saw it: scheme, host, path and query, with the
	// path inside its scope (a request to /s/NAME/feed is journaled in scope NAME with
	// the URL of /feed), so that a scoped test reads the URLs it would without scopes.
	URL string
	// Path is the path the routes matched (without a scope prefix).
	Path string
	// Query is the parsed query.
	Query url.Values
	// Header is the request header.
	Header http.Header
	// LastEventID is the request's last event ID as the route's server reads it: its
	// Last-Event-ID header or, when that is empty, the route's lastEventIdQuery
	// parameter, without CR, LF and NUL, and "" when longer than 1024 bytes.
	// HasLastEventID is false when the request carried neither (true for one read as "").
	LastEventID    string
	HasLastEventID bool
	// Body is the request body, at most MaxJournalBody bytes of it.
	Body []byte
	// Status is the response status, 0 when none was written (a drop, or not yet).
	Status int
	// Outcome says how the request was answered.
	Outcome Outcome
	// Start and End are when the request arrived and when its answer ended (zero while
	// open), on the Go runtime's clock.
	Start, End time.Time
}

// entryJSON is the JSON form of an Entry (the JavaScript JournalEntry).
type entryJSON struct {
	Seq         int               `json:"seq"`
	Scope       string            `json:"scope"`
	Route       *string           `json:"route"`
	Attempt     int               `json:"attempt"`
	Conn        *string           `json:"connection"`
	Method      string            `json:"method"`
	URL         string            `json:"url"`
	Path        string            `json:"path"`
	Query       map[string]string `json:"query"`
	Header      map[string]string `json:"headers"`
	LastEventID *string           `json:"lastEventId"`
	Body        string            `json:"body"`
	BodyBase64  string            `json:"bodyBase64,omitempty"`
	Status      *int              `json:"status"`
	Outcome     Outcome           `json:"outcome"`
	StartedAt   int64             `json:"startedAt"`
	EndedAt     *int64            `json:"endedAt"`
}

// MarshalJSON writes the entry as JavaScript's JournalEntry: null for no route, no
// connection, no Last-Event-ID, no status and no end; the first value of each query
// parameter; header values joined with ", "; a body that is not UTF-8 as bodyBase64;
// times in Unix milliseconds.
func (e Entry) MarshalJSON() ([]byte, error) {
	j := entryJSON{
		Seq: e.Seq, Scope: e.Scope, Attempt: e.Attempt, Method: e.Method, URL: e.URL, Path: e.Path,
		Query: map[string]string{}, Header: map[string]string{}, Outcome: e.Outcome,
		StartedAt: e.Start.UnixMilli(),
	}
	if e.Route != "" {
		j.Route = &e.Route
	}
	if e.Conn != "" {
		j.Conn = &e.Conn
	}
	for k, v := range e.Query {
		if len(v) > 0 {
			j.Query[k] = v[0]
		}
	}
	for k, v := range e.Header {
		j.Header[k] = strings.Join(v, ", ")
	}
	if e.HasLastEventID {
		j.LastEventID = &e.LastEventID
	}
	if utf8.Valid(e.Body) {
		j.Body = string(e.Body)
	} else {
		j.BodyBase64 = base64.StdEncoding.EncodeToString(e.Body)
	}
	if e.Status != 0 {
		j.Status = &e.Status
	}
	if !e.End.IsZero() {
		ms := e.End.UnixMilli()
		j.EndedAt = &ms
	}
	return json.Marshal(j)
}

// requestURL returns the URL of a request a server received.
func requestURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if host == "" {
		host = "localhost"
	}
	return scheme + "://" + host + r.URL.RequestURI()
}
