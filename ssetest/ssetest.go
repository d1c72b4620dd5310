// Package ssetest provides a fake Server-Sent Events server for tests, in the spirit of
// net/http/httptest: routes answered by scripts or by handlers, a journal of every
// request, live connections to push to, drop or complete, and an in-memory transport, so
// that an SSE client (polysse's sse.Client or any net/http code) runs against it inside
// testing/synctest with no sockets and no real time.
//
//	func TestWatcherResumes(t *testing.T) {
//		synctest.Test(t, func(t *testing.T) {
//			fake := ssetest.New(t)
//			fake.Handle("GET /jobs/{id}/events",
//				ssetest.Stream(ssetest.Retry(2*time.Second), ssetest.Event(sse.Event{ID: "7", Data: "a"}), ssetest.Drop()),
//				ssetest.Stream(ssetest.Event(sse.Event{Data: "after the drop"})))
//			w := myapp.NewWatcher(fake.URL+"/jobs/1/events", fake.Client())
//			go w.Run(t.Context())
//			reqs := fake.Requests(t, "GET /jobs/{id}/events", 2) // waits, in the bubble's time
//			if reqs[1].LastEventID != "7" { ... }
//		})
//	}
//
// A route is a method and a URL pattern (net/http ServeMux syntax: "GET /jobs/{id}/events",
// "POST /chat/{rest...}", "/any-method") answered per connection attempt: attempt n gets
// the n-th answer (an answer serves Times attempts; the last one serves every later
// attempt), or the answer queued with Next, or a handler. Streams are served by the
// production server (package server) with the route's Options, so completion tokens,
// heartbeats, replay and refusal behave exactly as in production. Strings in answers and
// steps may contain templates, expanded per request: {attempt}, {lastEventId}, {i} (the
// round of a Repeat), {params.NAME}, {query.NAME}, {header.NAME}, each with an optional
// default ({query.retry|100}); "{{" is a literal "{".
//
// The same routes can be written as JSON (Load, LoadFile): the script format shared with
// the JavaScript fake (polysse/fake) and the standalone polysse-fake.
//
// A Fake is an http.Handler too: NewServer serves it on a real socket (httptest), for
// clients that cannot take an *http.Client.
package ssetest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/internal/fake"
	"github.com/polysse/sse/internal/fake/script"
	"github.com/polysse/sse/internal/testsupport"
)

// URL is the base URL of the requests a Fake's Client sends to it (any host works).
const URL = "http://fake.test"

// WaitTimeout bounds the waits of Requests, NextConn and Conn.Wait: real time outside a
// synctest bubble, the bubble's time inside one.
const WaitTimeout = 10 * time.Second

// Fake is a fake SSE server. Create it with New. Its methods are safe for concurrent
// use.
type Fake struct {
	// URL is the base URL for its Client (URL): requests to any host reach the Fake
	// through Client.
	URL string

	t     testing.TB
	e     *fake.Engine
	s     *fake.Scope
	tr    *fake.Transport
	start map[string]string // goroutines when New was called (outside a bubble)

	mu        sync.Mutex
	cursors   map[string]int // NextConn: the last connection number returned, by route
	unhandled func(w http.ResponseWriter, r *http.Request)
}

// live counts the Fakes alive, so that the goroutine check runs only when one Fake was
// alive for the whole of a test (goroutines of another one could not be told apart).
var live struct {
	sync.Mutex
	n      int
	shared map[*Fake]bool
}

// New returns a Fake for the test t. A request no route matches fails the test (see
// Unhandled). When t ends, t.Cleanup ends every open connection, waits for the fake's
// goroutines (its handlers included) to return, and fails the test when they do not
// within WaitTimeout or, outside a synctest bubble, when goroutines of the fake or of the
// server are left running.
func New(t testing.TB) *Fake {
	t.Helper()
	f := newFake(t)
	if !inBubble() {
		f.start = testsupport.Goroutines()
	}
	live.Lock()
	live.n++
	if live.shared == nil {
		live.shared = map[*Fake]bool{}
	}
	if live.n > 1 {
		for g := range live.shared {
			live.shared[g] = true
		}
		live.shared[f] = true
	} else {
		live.shared[f] = false
	}
	live.Unlock()
	t.Cleanup(f.cleanup)
	return f
}

// NewFake returns a Fake for use outside a test (an example, a program, TestMain): a
// request no route matches is answered 404, and nothing else reports problems. Close
// it when done.
func NewFake() *Fake { return newFake(nil) }

func newFake(t testing.TB) *Fake {
	f := &Fake{URL: URL, t: t, cursors: map[string]int{}}
	e, err := fake.New(fake.Options{Unhandled: f.serveUnhandled})
	if err != nil {
		panic(err) // no route yet: cannot fail
	}
	f.e, f.s = e, e.DefaultScope()
	f.tr = &fake.Transport{Handler: e}
	return f
}

// Close ends every open connection and waits, at most WaitTimeout, for the fake's
// goroutines (handlers included) to return. A Fake of New is closed when its test ends.
func (f *Fake) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), WaitTimeout)
	defer cancel()
	return f.e.Close(ctx)
}

// bubbleEpoch is where the clock of every synctest bubble starts.
var bubbleEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// inBubble reports whether the calling goroutine is in a synctest bubble, without side
// effects (synctest.Wait, which panics outside a bubble, would wait for the bubble's
// other goroutines, and panics when two goroutines of one bubble call it at once):
// outside a bubble, time.Now carries a monotonic clock reading; inside one, the time is
// the bubble's clock alone, which starts at midnight UTC 2000-01-01 and only moves on.
func inBubble() bool {
	now := time.Now()
	noMonotonic := now == now.Round(0) // Round(0) strips the monotonic reading, if any
	return noMonotonic && !now.Before(bubbleEpoch)
}

func (f *Fake) cleanup() {
	err := f.Close()
	live.Lock()
	shared := live.shared[f]
	delete(live.shared, f)
	live.n--
	live.Unlock()
	if err != nil {
		f.t.Errorf("ssetest: the fake's handlers or streams were still running %v after the test (a handler that does not return?): %v", WaitTimeout, err)
		return
	}
	if f.start == nil || shared {
		return
	}
	if leaked := testsupport.WaitLeaks(f.start, testsupport.LeakGrace, func(stack string) bool {
		return strings.Contains(stack, "github.com/polysse/sse/internal/fake.") ||
			strings.Contains(stack, "github.com/polysse/sse/server.")
	}); leaked != "" {
		f.t.Errorf("ssetest: goroutines of the fake or the server still running after the test:\n\n%s", leaked)
	}
}

// ServeHTTP serves r with the Fake's routes.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) { f.e.ServeHTTP(w, r) }

// Client returns an *http.Client whose requests, to any URL, are served by the Fake in
// memory: no socket, no timer of its own (see Transport).
func (f *Fake) Client() *http.Client { return &http.Client{Transport: f.tr} }

// Transport returns the in-memory http.RoundTripper of Client: it serves each request in
// a goroutine, returns the response as soon as its head is written, and yields each
// chunk the server flushes as one Read. Cancelling a request's context, or closing the
// body, is the client going away. A dropped connection fails the request, or the
// body's Read, with an error wrapping io.ErrUnexpectedEOF (a network error).
func (f *Fake) Transport() http.RoundTripper { return f.tr }

// Unhandled sets what answers requests that no route matches (they are journaled
// first, with Route ""). By default such a request fails the test (t.Errorf) and is
// answered 404; nil restores that.
func (f *Fake) Unhandled(h func(w http.ResponseWriter, r *http.Request)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.unhandled = h
}

func (f *Fake) serveUnhandled(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	h := f.unhandled
	f.mu.Unlock()
	if h != nil {
		h(w, r)
		return
	}
	msg := "ssetest: no route for " + r.Method + " " + r.URL.String()
	if f.t != nil {
		f.t.Errorf("%s", msg)
	}
	http.Error(w, msg, http.StatusNotFound)
}

// Route is a route in full: Handle and HandleFunc are its short forms.
type Route struct {
	// Pattern is "METHOD /path" (or "/path" for any method) in ServeMux syntax.
	Pattern string
	// Name is how Requests, NextConn, Broadcast and Next refer to the route. It
	// defaults to Pattern.
	Name string
	// Answers answer the attempts in order (an answer serves Times attempts; the last
	// one every later attempt). Exactly one of Answers and Handler is set.
	Answers []Answer
	// Handler answers every attempt in code.
	Handler func(c *Context)
	// Options configure the server that streams the route's answers.
	Options Options
	// Match, when set, is one more condition on the requests the route answers.
	Match func(r *http.Request) bool
	// AttemptKey, when set, counts attempts per value of this template (for example
	// "{query.sid}") instead of once for the route.
	AttemptKey string
}

// Options configure the server (server.Options) behind a route's streams.
type Options struct {
	// HeartbeatInterval is the server's heartbeat interval: zero means the server's
	// default (15 s), negative no heartbeats.
	HeartbeatInterval time.Duration
	// ReconnectionTime, when positive, is the retry field of every stream's preamble.
	ReconnectionTime time.Duration
	// Topics subscribe the route's streams to topics (for Publish), templates allowed.
	Topics []string
	// ReplaySize is how many published events each topic keeps for clients that resume
	// with a Last-Event-ID; ReplayAge, when positive, bounds their age.
	ReplaySize int
	ReplayAge  time.Duration
	// AutoID gives published events without an ID one.
	AutoID bool
	// TokenTTL is how long completion tokens stay redeemable (zero: the default).
	TokenTTL time.Duration
	// Refuse makes every attempt go through the server's refusal path with this answer.
	Refuse *Refusal
	// GapEvent is written first to a stream whose resume is a gap.
	GapEvent *sse.Event
	// LastEventIDQuery names a query parameter read as the last event ID.
	LastEventIDQuery string
	// Header is added to every answer of the route (templates allowed in values); a nil
	// value removes the header.
	Header http.Header
}

// Refusal is the answer of Options.Refuse: status (204 tells clients to stop), header
// and body, through server.Options.Refuse.
type Refusal struct {
	Status int
	Header http.Header
	Body   string
}

// Handle adds a route for pattern answered by answers (see Route). It fails the test
// when the route is invalid.
func (f *Fake) Handle(pattern string, answers ...Answer) {
	f.helper()
	f.Route(Route{Pattern: pattern, Answers: answers})
}

// HandleFunc adds a route for pattern answered by h (see Route and Context).
func (f *Fake) HandleFunc(pattern string, h func(c *Context)) {
	f.helper()
	f.Route(Route{Pattern: pattern, Handler: h})
}

// Route adds r. A route added later is tried first, and replaces an earlier one of the
// same name. It fails the test when the route is invalid.
func (f *Fake) Route(r Route) {
	f.helper()
	rt, err := r.compile()
	if err == nil {
		err = f.s.Use(rt)
	}
	if err != nil {
		f.fatalf("ssetest: route %q: %s", r.Pattern, strings.TrimPrefix(err.Error(), "fake: "))
	}
}

func (f *Fake) helper() {
	if f.t != nil {
		f.t.Helper()
	}
}

// fatalf fails the test, or panics for a Fake of NewFake.
func (f *Fake) fatalf(format string, args ...any) {
	if f.t == nil {
		panic(fmt.Sprintf(format, args...))
	}
	f.t.Helper()
	f.t.Fatalf(format, args...)
}

func (r *Route) compile() (fake.Route, error) {
	if (len(r.Answers) == 0) == (r.Handler == nil) {
		return fake.Route{}, errors.New("a route has answers or a handler (exactly one of them)")
	}
	sr := script.Route{Pattern: r.Pattern, Name: r.Name, Options: r.Options.script()}
	if r.AttemptKey != "" {
		k := script.ParseTemplate(r.AttemptKey)
		sr.AttemptKey = &k
	}
	for _, a := range r.Answers {
		sr.Answers = append(sr.Answers, a.a)
	}
	out := fake.Route{Route: sr, Filter: r.Match}
	if h := r.Handler; h != nil {
		out.Handler = func(c *fake.Context) { h(newContext(c)) }
	}
	return out, nil
}

func (o *Options) script() *script.Options {
	so := &script.Options{}
	ms := func(d time.Duration) *script.Num { n := script.Millis(d); return &n }
	switch {
	case o.HeartbeatInterval < 0:
		so.Heartbeat = ms(0)
	case o.HeartbeatInterval > 0:
		so.Heartbeat = ms(o.HeartbeatInterval)
	}
	if o.ReconnectionTime > 0 {
		so.ReconnectionTime = ms(o.ReconnectionTime)
	}
	for _, t := range o.Topics {
		so.Topics = append(so.Topics, script.ParseTemplate(t))
	}
	if o.ReplaySize > 0 {
		n := script.NumOf(int64(o.ReplaySize))
		so.Replay = &n
	}
	if o.ReplayAge > 0 {
		so.ReplayAge = ms(o.ReplayAge)
	}
	so.AutoIDs = o.AutoID
	if o.TokenTTL > 0 {
		so.TokenTTL = ms(o.TokenTTL)
	}
	if r := o.Refuse; r != nil {
		body := script.ParseTemplate(r.Body)
		so.Refuse = &script.Refusal{Status: script.NumOf(int64(r.Status)), Headers: headers(r.Header), Body: &body}
	}
	if ev := o.GapEvent; ev != nil {
		so.GapEvent = scriptEvent(*ev)
	}
	so.LastEventIDQuery = o.LastEventIDQuery
	so.Headers = headers(o.Header)
	return so
}

func headers(h http.Header) map[string]*script.Template {
	if h == nil {
		return nil
	}
	m := make(map[string]*script.Template, len(h))
	for k, v := range h {
		if v == nil {
			m[k] = nil
			continue
		}
		t := script.ParseTemplate(strings.Join(v, ", "))
		m[k] = &t
	}
	return m
}

// Load adds the routes of a JSON script file (the format shared with the JavaScript and
// standalone fakes; see the package documentation), in order. It fails the test when
// the script is invalid, naming where.
func (f *Fake) Load(jsonScript []byte) {
	f.helper()
	file, err := script.ParseFile(jsonScript)
	if err != nil {
		f.fatalf("%s", message(err))
	}
	for i := len(file.Routes) - 1; i >= 0; i-- { // the first is tried first
		if err := f.s.Use(fake.Route{Route: file.Routes[i]}); err != nil {
			f.fatalf("%s", message(err))
		}
	}
}

// LoadFile is Load of the file at path.
func (f *Fake) LoadFile(path string) {
	f.helper()
	b, err := os.ReadFile(path)
	if err != nil {
		f.fatalf("%s", message(err))
	}
	f.Load(b)
}

// Next queues a for the next attempt of route (by name), before the route's own
// answers: each queued answer answers one attempt.
func (f *Fake) Next(route string, a Answer) {
	f.helper()
	if err := f.s.Next(route, a.a); err != nil {
		f.fatalf("%s", message(err))
	}
}

// Reset ends every open connection (cleanly), removes every route and queued answer,
// empties the journal and restarts attempt counts.
func (f *Fake) Reset() {
	f.s.Reset()
	f.mu.Lock()
	f.cursors = map[string]int{}
	f.mu.Unlock()
}

// Publish publishes ev to topic through the servers of the routes (those with Topics
// receive it, and keep it for replay with ReplaySize). It returns the ids the servers
// gave it (with AutoID).
func (f *Fake) Publish(topic string, ev sse.Event) ([]string, error) {
	ids, err := f.s.Publish(context.Background(), topic, ev)
	return ids, userErr(err)
}

// Broadcast sends ev to every open connection of route and returns how many it
// reached.
func (f *Fake) Broadcast(route string, ev sse.Event) (int, error) {
	n, err := f.s.Broadcast(route, ev)
	return n, userErr(err)
}

// waitCtx returns the context of a wait of t.
func waitCtx(t testing.TB) (context.Context, context.CancelFunc) {
	ctx := context.Background()
	if c, ok := t.(interface{ Context() context.Context }); ok {
		ctx = c.Context()
	}
	return context.WithTimeout(ctx, WaitTimeout)
}
