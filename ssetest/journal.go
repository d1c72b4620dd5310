package ssetest

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/internal/fake"
	"github.com/polysse/sse/server"
)

// Request is a request as the Fake received it, and how it was answered.
type Request struct {
	// Route is the name of the route that answered it; "" when none matched.
	Route string
	// Attempt is its attempt number for the route (1-based; 0 for a CORS preflight).
	Attempt int
	// Conn is the id of its connection ("c1", ...), "" when none opened.
	Conn string
	// Method, URL (scheme, host, path and query), Path and Query are the request's.
	Method string
	URL    string
	Path   string
	Query  url.Values
	// Header is the request header.
	Header http.Header
	// LastEventID is its last event ID as the route's server reads it: its
	// Last-Event-ID header or, when that is empty, the route's LastEventIDQuery
	// parameter, without CR, LF and NUL, and "" when longer than 1024 bytes.
	// HasLastEventID is false when it sent neither (true for one read as "").
	LastEventID    string
	HasLastEventID bool
	// Body is the request body (at most 64 KiB of it).
	Body []byte
	// Status is the response status, 0 when none was written (a dropped connection,
	// or not yet).
	Status int
	// Outcome says how it was answered: OutcomeOpen (still), OutcomeEnded,
	// OutcomeDropped, OutcomeClientGone, OutcomeRefused (the server answered without a
	// stream) or OutcomeUnhandled.
	Outcome string
	// Start and End are when it arrived and when its answer ended (zero while open).
	Start, End time.Time
}

func request(e fake.Entry) Request {
	return Request{
		Route: e.Route, Attempt: e.Attempt, Conn: e.Conn, Method: e.Method, URL: e.URL, Path: e.Path,
		Query: e.Query, Header: e.Header, LastEventID: e.LastEventID, HasLastEventID: e.HasLastEventID,
		Body: e.Body, Status: e.Status, Outcome: string(e.Outcome), Start: e.Start, End: e.End,
	}
}

func requests(es []fake.Entry) []Request {
	out := make([]Request, len(es))
	for i, e := range es {
		out[i] = request(e)
	}
	return out
}

// Journal returns the requests to route ("" for every request) so far, oldest first.
func (f *Fake) Journal(route string) []Request { return requests(f.s.Journal(route)) }

// Requests waits until route ("" for any) has received n requests and returns them all,
// oldest first. It fails the test (t.Fatalf) after WaitTimeout, with the journal's last
// entries. Inside a synctest bubble the wait is in the bubble's time, so a client that
// waits on timers (backoff, retry) moves on while Requests waits.
func (f *Fake) Requests(t testing.TB, route string, n int) []Request {
	t.Helper()
	ctx, cancel := waitCtx(t)
	defer cancel()
	got, err := f.s.WaitRequests(ctx, route, n)
	if err != nil {
		t.Fatal(message(err))
	}
	return requests(got)
}

// Settled waits until route ("" for any) has received n requests and the first n of
// them have been answered completely (their handlers returned: their Outcome and End
// are final), and returns those n, oldest first. Later requests may still be open. It
// fails the test after WaitTimeout.
func (f *Fake) Settled(t testing.TB, route string, n int) []Request {
	t.Helper()
	ctx, cancel := waitCtx(t)
	defer cancel()
	var out []Request
	what := "the first " + strconv.Itoa(n) + " requests to be answered"
	if route != "" {
		what = "the first " + strconv.Itoa(n) + " requests to " + route + " to be answered"
	}
	_, err := f.s.WaitJournal(ctx, what, func(es []fake.Entry) bool {
		out = out[:0]
		for _, e := range es {
			if len(out) == n {
				break
			}
			if route != "" && e.Route != route {
				continue
			}
			if e.End.IsZero() {
				return false
			}
			out = append(out, request(e))
		}
		return len(out) == n
	})
	if err != nil {
		t.Fatal(message(err))
	}
	return out
}

// Conn is an open response of the Fake: a stream (with its server session) or a plain
// response (a Respond answer). Its methods are safe for concurrent use and fail with an
// error wrapping ErrEnded once it has ended.
type Conn struct{ c *fake.Conn }

// NextConn waits for the next connection of route ("" for any) and returns it: each call
// returns the connection that opened after the one the previous call returned (each
// once, in order, open or since ended). Calls from several goroutines at once each get
// a different connection. It fails the test after WaitTimeout.
func (f *Fake) NextConn(t testing.TB, route string) *Conn {
	t.Helper()
	ctx, cancel := waitCtx(t)
	defer cancel()
	for {
		f.mu.Lock()
		after := f.cursors[route]
		f.mu.Unlock()
		c, err := f.s.NextConn(ctx, route, after)
		if err != nil {
			t.Fatal(message(err))
		}
		// Claim c unless another call took it (or a Reset moved the cursor) meanwhile.
		f.mu.Lock()
		claimed := f.cursors[route] == after
		if claimed {
			f.cursors[route] = c.Num()
		}
		f.mu.Unlock()
		if claimed {
			return &Conn{c}
		}
	}
}

// Conns returns the open connections of route ("" for any), in the order they opened.
func (f *Fake) Conns(route string) []*Conn {
	var out []*Conn
	for _, c := range f.s.Conns(route, true) {
		out = append(out, &Conn{c})
	}
	return out
}

// ID returns the connection's id: "c1", "c2", ... in the order connections opened.
func (c *Conn) ID() string { return c.c.ID() }

// Route returns the name of its route.
func (c *Conn) Route() string { return c.c.Route() }

// Attempt returns the attempt it answers.
func (c *Conn) Attempt() int { return c.c.Attempt() }

// Request returns the request it answers.
func (c *Conn) Request() *http.Request { return c.c.Request() }

// LastEventID returns the request's last event ID.
func (c *Conn) LastEventID() string { return c.c.LastEventID() }

// Session returns the stream's server session (nil for a plain response).
func (c *Conn) Session() *server.Session { return c.c.Session() }

// Done returns a channel closed when the connection has ended.
func (c *Conn) Done() <-chan struct{} { return c.c.Done() }

// Reason returns why it ended ("" while open): ReasonComplete, ReasonFatal,
// ReasonClosed, ReasonClientGone, ReasonEvicted, ReasonShutdown (a stream's server
// session's), ReasonEnded, ReasonDropped or ReasonRefused.
func (c *Conn) Reason() string { return c.c.Reason() }

// Send sends ev.
func (c *Conn) Send(ev sse.Event) error { return userErr(c.c.Send(ev)) }

// Comment sends a comment (":" alone for an empty text).
func (c *Conn) Comment(text string) error { return userErr(c.c.Comment(text)) }

// Raw sends b exactly, as a chunk of its own.
func (c *Conn) Raw(b []byte) error { return userErr(c.c.Raw(b)) }

// End ends the response cleanly after what is queued; it does not wait (see Done).
func (c *Conn) End() error { return userErr(c.c.End()) }

// Drop cuts the connection after what is queued: the client sees a network error.
func (c *Conn) Drop() error { return userErr(c.c.Drop()) }

// Complete ends a stream with a complete event and a completion token (see the Complete
// step); it waits until the event is written.
func (c *Conn) Complete(data string) error { return userErr(c.c.Complete(data)) }

// Fail ends a stream with a fatal event and a completion token.
func (c *Conn) Fail(data string) error { return userErr(c.c.Fail(data)) }

// Sleep waits for d (the bubble's time in synctest), returning early with an error when
// the connection ends.
func (c *Conn) Sleep(d time.Duration) error { return userErr(c.c.Sleep(d)) }

// Wait waits until the connection has ended (at most WaitTimeout, then it fails t) and
// returns its Reason.
func (c *Conn) Wait(t testing.TB) string {
	t.Helper()
	ctx, cancel := waitCtx(t)
	defer cancel()
	select {
	case <-c.Done():
		return c.Reason()
	case <-ctx.Done():
		t.Fatalf("ssetest: connection %s still open after %v", c.c, WaitTimeout)
		return ""
	}
}

// String returns "c3 (GET /feed) attempt 2".
func (c *Conn) String() string { return c.c.String() }

// Context is an attempt answered by a handler (HandleFunc): the request, its wildcards,
// its attempt number and last event ID, and the answers a handler can give. Exactly one
// answer counts: Stream, Respond, Drop or Serve; a handler that returns without one
// gets 500.
type Context struct {
	Request     *http.Request
	Params      map[string]string
	Attempt     int
	LastEventID string
	c           *fake.Context
}

func newContext(c *fake.Context) *Context {
	return &Context{Request: c.Request, Params: c.Params, Attempt: c.Attempt, LastEventID: c.LastEventID, c: c}
}

// Stream answers with a stream of the route's server and returns its live connection
// (whose Session is the server's). When the server answers without a stream (the
// route's Refuse, a completion token redeemed), the connection returned has ended.
func (c *Context) Stream() *Conn { return &Conn{c.c.Stream()} }

// Respond answers with a plain response (status, header, body) and returns once it is
// written.
func (c *Context) Respond(status int, header http.Header, body string) error {
	return userErr(c.c.Respond(status, header, []byte(body)))
}

// Drop answers with no response: the client sees a network error.
func (c *Context) Drop() error { return userErr(c.c.Drop()) }

// Serve answers with a scripted answer (with this attempt's template values). It fails,
// answering nothing, when a is not valid (an endless Repeat that would spin).
func (c *Context) Serve(a Answer) error { return userErr(c.c.Serve(a.a)) }

// Sleep waits for d (the bubble's time in synctest); it returns early with an error
// once the request is over.
func (c *Context) Sleep(d time.Duration) error { return userErr(c.c.Sleep(d)) }

// Done returns a channel closed when the request is over.
func (c *Context) Done() <-chan struct{} { return c.c.Done() }
