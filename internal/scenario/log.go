//go:build !js

package scenario

import (
	"context"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"unicode/utf8"
)

// Bounds of a Log.
const (
	// MaxRuns is how many runs a Log keeps; the oldest run is forgotten first.
	MaxRuns = 4096
	// MaxRequestsPerRun is how many requests of one run a Log keeps; later ones are served
	// but not recorded.
	MaxRequestsPerRun = 256
	// MaxBody is how many bytes of a request body a Log keeps.
	MaxBody = 64 << 10
)

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
	// Body is the request body (at most MaxBody bytes; hex-encoded like a header value
	// when not valid UTF-8).
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

// Log records the requests of each run. It is safe for concurrent use; the zero value is
// ready to use.
type Log struct {
	mu      sync.Mutex
	runs    map[string][]*Request
	order   []string      // run ids, oldest first
	changed chan struct{} // closed and replaced on every change
}

// add records r as a new request of run sid to scenario and returns the entry, which the
// caller updates with update (nil when the run is full), and the request's attempt number
// (0 for a preflight).
func (l *Log) add(sid, scenario string, preflight bool, r *http.Request, body []byte) (*Request, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.runs == nil {
		l.runs = make(map[string][]*Request)
	}
	reqs, ok := l.runs[sid]
	if !ok {
		if len(l.order) >= MaxRuns {
			delete(l.runs, l.order[0])
			l.order = l.order[1:]
		}
		l.order = append(l.order, sid)
	}
	attempt := 0
	if !preflight {
		attempt = 1
		for _, e := range reqs {
			if e.Scenario == scenario && e.Attempt > 0 {
				attempt++
			}
		}
	}
	if len(reqs) >= MaxRequestsPerRun {
		return nil, attempt
	}
	q := r.URL.Query()
	q.Del("sid")
	e := &Request{
		Seq:      len(reqs) + 1,
		Scenario: scenario,
		Attempt:  attempt,
		Method:   r.Method,
		Host:     r.Host,
		Path:     r.URL.Path,
		Query:    q.Encode(),
		Header:   make(map[string]string, len(r.Header)),
		Body:     text(string(body)),
	}
	for k, vs := range r.Header {
		e.Header[k] = text(strings.Join(vs, ", "))
	}
	l.runs[sid] = append(reqs, e)
	l.notifyLocked()
	return e, attempt
}

// update changes e under the lock; e may be nil.
func (l *Log) update(e *Request, f func(*Request)) {
	if e == nil {
		return
	}
	l.mu.Lock()
	f(e)
	l.notifyLocked()
	l.mu.Unlock()
}

func (l *Log) notifyLocked() {
	if l.changed != nil {
		close(l.changed)
		l.changed = nil
	}
}

// Requests returns a copy of the requests of run sid, oldest first.
func (l *Log) Requests(sid string) []Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.copyLocked(sid)
}

func (l *Log) copyLocked(sid string) []Request {
	reqs := l.runs[sid]
	out := make([]Request, len(reqs))
	for i, e := range reqs {
		out[i] = *e
		out[i].Header = make(map[string]string, len(e.Header))
		for k, v := range e.Header {
			out[i].Header[k] = v
		}
	}
	return out
}

// Wait waits until the requests of run sid satisfy cond, or ctx is done, and returns them
// (satisfying cond or not).
func (l *Log) Wait(ctx context.Context, sid string, cond func([]Request) bool) []Request {
	for {
		l.mu.Lock()
		reqs := l.copyLocked(sid)
		if cond(reqs) {
			l.mu.Unlock()
			return reqs
		}
		if l.changed == nil {
			l.changed = make(chan struct{})
		}
		ch := l.changed
		l.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return reqs
		}
	}
}

// text returns s, or "hex:" and its bytes in hex when s is not valid UTF-8.
func text(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return "hex:" + hex.EncodeToString([]byte(s))
}
