//go:build !js

package scenario

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/polysse/sse/internal/fake"
)

// DefaultMaxHold is the default of Options.MaxHold.
const DefaultMaxHold = 30 * time.Second

// JournalSize is how many requests the handler remembers (of all runs); older ones are
// forgotten first.
const JournalSize = 50_000

// Options configure a Handler.
type Options struct {
	// MaxHold bounds how long a scenario keeps a stream open (or a request waiting) for a
	// client that does not go away. Zero means DefaultMaxHold.
	MaxHold time.Duration
	// Logger receives the logs of the server package's servers. Nil means slog.Default().
	Logger *slog.Logger
}

// Handler serves the scenarios under /sse/ and the request log at /log (see the package
// documentation). Create it with New; Close ends its open streams.
type Handler struct {
	e *fake.Engine
	s *fake.Scope
}

// New returns a Handler configured by opts.
func New(opts Options) *Handler {
	if opts.MaxHold <= 0 {
		opts.MaxHold = DefaultMaxHold
	}
	rs, err := routes()
	if err != nil {
		panic("scenario: " + err.Error()) // the routes are constants: a test catches this
	}
	e, err := fake.New(fake.Options{
		Routes: rs, MaxHold: opts.MaxHold, Logger: opts.Logger, JournalSize: JournalSize,
		MaxServers: 64, Unhandled: unhandled,
	})
	if err != nil {
		panic("scenario: " + err.Error())
	}
	return &Handler{e: e, s: e.DefaultScope()}
}

// unhandled answers an unknown scenario 404 and an OPTIONS request that is not a CORS
// preflight the scenarios answer 405, with the query's CORS headers.
func unhandled(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	setCORS(w.Header(), q.Get("cors"), r.Header.Get("Origin"))
	w.Header().Set("Connection", "close")
	if r.Method == http.MethodOptions {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	http.Error(w, "unknown scenario "+strconv.Quote(strings.TrimPrefix(r.URL.Path, "/sse/")), http.StatusNotFound)
}

// setCORS sets the CORS headers of mode for origin (see the package documentation).
func setCORS(h http.Header, mode, origin string) {
	switch mode {
	case "echo", "echo-nocreds":
		h.Add("Vary", "Origin")
		if origin == "" {
			return
		}
		h.Set("Access-Control-Allow-Origin", origin)
		if mode == "echo" {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
	case "star":
		h.Set("Access-Control-Allow-Origin", "*")
	default:
		return
	}
	h.Set("Access-Control-Expose-Headers", fake.ExposedHeaders)
}

// Close ends every open stream (a plain end of response) and answers later requests
// 503. It waits for the streams to end, at most until ctx is done.
func (h *Handler) Close(ctx context.Context) error { return h.e.Close(ctx) }

// ServeHTTP serves /sse/NAME and /log; other paths are not found.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch p := r.URL.Path; {
	case p == "/log":
		h.serveLog(w, r)
	case strings.HasPrefix(p, "/sse/"):
		h.e.ServeHTTP(w, r)
	default:
		http.NotFound(w, r)
	}
}

// Request is one request as the server saw it. Its fields are filled in as the request is
// served: Status when the response headers are sent, Ended and ClientGone when the
// handler returns.
type Request struct {
	// Seq is the 1-based position of the request in its run.
	Seq int `json:"seq"`
	// Scenario is the scenario named in the path (before any times/then switch).
	Scenario string `json:"scenario"`
	// Attempt is the 1-based count of the run's requests to this scenario, preflight
	// requests left out (they have Attempt 0).
	Attempt int `json:"attempt"`
	// Method, Host and Path are those of the request line; Query is its raw query without
	// the sid parameter.
	Method string `json:"method"`
	Host   string `json:"host"`
	Path   string `json:"path"`
	Query  string `json:"query"`
	// Header holds the request headers, canonical names, several values joined with ", ".
	// A value that is not valid UTF-8 is recorded as "hex:" followed by its bytes in hex.
	Header map[string]string `json:"header"`
	// Body is the request body (at most 64 KiB; hex-encoded like a header value when not
	// valid UTF-8).
	Body string `json:"body"`
	// Status is the status of the response; 0 when the connection was dropped before one
	// was sent.
	Status int `json:"status"`
	// Ended is true once the handler has returned.
	Ended bool `json:"ended"`
	// ClientGone is true when the client went away (closed the connection) while the
	// scenario was still serving the request: holding the response open, or writing it. It
	// stays false when the scenario had ended the response on its own, even if the client
	// closed the connection before the handler returned.
	ClientGone bool `json:"clientGone"`
}

// Requests returns the requests of run sid, oldest first.
func (h *Handler) Requests(sid string) []Request { return run(h.s.Journal(""), sid) }

// run returns the entries of run sid as log requests.
func run(entries []fake.Entry, sid string) []Request {
	out := []Request{}
	for _, e := range entries {
		if e.Query.Get("sid") != sid {
			continue
		}
		q := url.Values{}
		for k, v := range e.Query {
			if k != "sid" {
				q[k] = v
			}
		}
		host := ""
		if u, err := url.Parse(e.URL); err == nil {
			host = u.Host
		}
		r := Request{
			Seq: len(out) + 1, Scenario: strings.TrimPrefix(e.Path, "/sse/"), Attempt: e.Attempt,
			Method: e.Method, Host: host, Path: e.Path, Query: q.Encode(),
			Header: make(map[string]string, len(e.Header)), Body: text(string(e.Body)),
			Status: e.Status, Ended: !e.End.IsZero(), ClientGone: e.Outcome == fake.OutcomeClientGone,
		}
		for k, vs := range e.Header {
			r.Header[k] = text(strings.Join(vs, ", "))
		}
		out = append(out, r)
	}
	return out
}

func (h *Handler) serveLog(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sid := q.Get("sid")
	minN, _ := strconv.Atoi(q.Get("min"))
	settled := q.Get("settled") == "1"
	wait := 5 * time.Second
	if n, err := strconv.Atoi(q.Get("wait")); err == nil && n >= 0 {
		wait = time.Duration(n) * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(r.Context(), min(wait, 20*time.Second))
	defer cancel()
	var reqs []Request
	_, _ = h.s.WaitJournal(ctx, "the log of "+sid, func(es []fake.Entry) bool {
		reqs = run(es, sid)
		if len(reqs) < minN {
			return false
		}
		if settled {
			for _, e := range reqs {
				if !e.Ended {
					return false
				}
			}
		}
		return true
	})
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Access-Control-Allow-Origin", "*")
	_ = json.NewEncoder(w).Encode(reqs)
}

// text returns s, or "hex:" and its bytes in hex when s is not valid UTF-8.
func text(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return "hex:" + hex.EncodeToString([]byte(s))
}
