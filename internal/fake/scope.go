package fake

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/internal/fake/script"
)

// Scope is a set of routes with their own state: per-test overrides of the default
// routes, attempt counts, next answers, a journal of requests, open connections, and the
// servers that stream the answers (with their replay buffers and completion tokens).
// Parallel tests that share one engine each use a scope of their own. Reset returns a
// scope to its start.
type Scope struct {
	e    *Engine
	name string

	mu        sync.Mutex
	overrides []*route // newest first
	gen       *generation
	counts    map[countKey]int
	next      map[string][]script.Answer
	journal   []*Entry
	seq       int
	dropped   int // journal entries dropped beyond the bound
	conns     []*Conn
	connSeq   int
	pool      *pool
	changed   chan struct{} // closed and replaced when the journal or the connections change
	closed    bool
}

// generation is a scope's life between resets: what a reset cancels.
type generation struct{ done chan struct{} }

func newGeneration() *generation { return &generation{done: make(chan struct{})} }

type countKey struct{ route, key string }

func newScope(e *Engine, name string) *Scope {
	return &Scope{
		e: e, name: name, gen: newGeneration(), counts: map[countKey]int{},
		next: map[string][]script.Answer{}, pool: newPool(e), changed: make(chan struct{}),
	}
}

// Name returns the scope's name.
func (s *Scope) Name() string { return s.name }

// Prefix returns the path prefix of the scope's requests ("" for the default scope).
func (s *Scope) Prefix() string {
	if s.name == DefaultScope {
		return ""
	}
	return ScopePrefix + s.name
}

// Use adds a per-test override, tried before the other overrides and the default
// routes. An override with the name of an earlier override replaces it. Reset removes
// the overrides.
func (s *Scope) Use(r Route) error {
	rt, err := compile(r)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	kept := s.overrides[:0:0]
	for _, o := range s.overrides {
		if o.name != rt.name {
			kept = append(kept, o)
		}
	}
	s.overrides = append([]*route{rt}, kept...)
	return nil
}

// SetOverrides replaces the overrides with rs (the first is tried first).
func (s *Scope) SetOverrides(rs []Route) error {
	list := make([]*route, 0, len(rs))
	names := map[string]bool{}
	for i, r := range rs {
		rt, err := compile(r)
		if err != nil {
			return prefixErr("routes["+strconv.Itoa(i)+"]", err)
		}
		if names[rt.name] {
			return &script.Error{Path: "routes[" + strconv.Itoa(i) + "]", Msg: "the name " + strconv.Quote(rt.name) + " is taken by another route"}
		}
		names[rt.name] = true
		list = append(list, rt)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.overrides = list
	return nil
}

// routes returns the routes in the order they are tried.
func (s *Scope) routes() []*route {
	s.mu.Lock()
	over := s.overrides
	s.mu.Unlock()
	return append(append([]*route(nil), over...), *s.e.defaults.Load()...)
}

// routeNamed returns the route that requests to name reach first.
func (s *Scope) routeNamed(name string) *route {
	for _, rt := range s.routes() {
		if rt.name == name {
			return rt
		}
	}
	return nil
}

// HasRoute reports whether requests can reach a route named name: an override of the
// scope or a default route of its engine.
func (s *Scope) HasRoute(name string) bool { return s.routeNamed(name) != nil }

func errNoRoute(name string) error {
	return &NotFoundError{What: "route " + strconv.Quote(name), Err: ErrNoRoute}
}

// Next queues a for the next attempt of the route named route: each queued answer
// answers one attempt, before the route's own answers (or handler).
func (s *Scope) Next(route string, a script.Answer) error {
	if s.routeNamed(route) == nil {
		return errNoRoute(route)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next[route] = append(s.next[route], a)
	return nil
}

// find returns the first route matching r with method (skipping those in skip), and
// its path wildcards.
func (s *Scope) find(r *http.Request, method string, skip []*route) (*route, map[string]string) {
	for _, rt := range s.routes() {
		if containsRoute(skip, rt) {
			continue
		}
		if params, ok := rt.match(r, method); ok {
			return rt, params
		}
	}
	return nil, nil
}

func containsRoute(list []*route, rt *route) bool {
	for _, r := range list {
		if r == rt {
			return true
		}
	}
	return false
}

// Reset returns the scope to its start: every open connection ends (cleanly), scripted
// waits, delays and handler sleeps are cancelled (a request still waiting for its head
// is dropped), the overrides and next answers are removed, the journal is emptied,
// attempt counts start again, and the servers are replaced (so that replay buffers and
// completion tokens start empty too). The default routes stay. Reset does not wait for
// the old connections to finish ending.
func (s *Scope) Reset() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	old, conns, oldPool := s.resetLocked()
	s.pool = newPool(s.e)
	s.mu.Unlock()
	s.endOld(old, conns)
	s.e.running.Add(1) // a request or a caller holding the engine is running
	go func() {
		defer s.e.running.Done()
		_ = oldPool.shutdown(context.Background())
	}()
}

// resetLocked empties the scope's state and returns what is to end.
func (s *Scope) resetLocked() (*generation, []*Conn, *pool) {
	old := s.gen
	s.gen = newGeneration()
	conns := s.conns
	oldPool := s.pool
	s.overrides, s.counts, s.next = nil, map[countKey]int{}, map[string][]script.Answer{}
	s.journal, s.seq, s.dropped = nil, 0, 0
	s.conns, s.connSeq = nil, 0
	s.notifyLocked()
	return old, conns, oldPool
}

// endOld cancels generation old and ends conns.
func (s *Scope) endOld(old *generation, conns []*Conn) {
	close(old.done)
	for _, c := range conns {
		_ = c.End()
	}
}

// close ends the scope for good: as Reset, and waits for the servers to shut down, at
// most until ctx is done (then it returns ctx's error).
func (s *Scope) close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	old, conns, oldPool := s.resetLocked()
	s.mu.Unlock()
	s.endOld(old, conns)
	return oldPool.shutdown(ctx)
}

func (s *Scope) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// ---- journal

// Journal returns the entries of the journal for route ("" for all), oldest first.
func (s *Scope) Journal(route string) []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.journalLocked(route)
}

func (s *Scope) journalLocked(route string) []Entry {
	var out []Entry
	for _, e := range s.journal {
		if route == "" || e.Route == route {
			out = append(out, *e)
		}
	}
	return out
}

// Dropped returns how many journal entries were dropped since the last reset because
// the journal was full.
func (s *Scope) Dropped() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

// addEntryLocked appends e to the journal.
func (s *Scope) addEntryLocked(e *Entry) {
	s.seq++
	e.Seq = s.seq
	e.Scope = s.name
	if len(s.journal) >= s.e.opts.JournalSize {
		s.journal[0] = nil
		s.journal = s.journal[1:]
		s.dropped++
	}
	s.journal = append(s.journal, e)
	s.notifyLocked()
}

// update changes e under the scope's lock and wakes the waiters.
func (s *Scope) update(e *Entry, f func(*Entry)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(e)
	s.notifyLocked()
}

// WaitError is the error of a wait that ended before its condition held: it says what
// was awaited and holds the journal's last entries.
type WaitError struct {
	What string  // "2 requests to GET /feed"
	Last []Entry // the scope's last journal entries (at most 5)
	Err  error   // the context's error, or ErrClosed
}

func (e *WaitError) Error() string {
	var b strings.Builder
	b.WriteString("fake: waiting for " + e.What + ": " + e.Err.Error())
	if len(e.Last) == 0 {
		b.WriteString(" (the journal is empty)")
		return b.String()
	}
	b.WriteString("; the journal's last entries:")
	for _, en := range e.Last {
		route := en.Route
		if route == "" {
			route = "no route"
		}
		fmt.Fprintf(&b, "\n  #%d %s %s (%s, attempt %d) status %d %s", en.Seq, en.Method, en.URL, route, en.Attempt, en.Status, en.Outcome)
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *WaitError) Unwrap() error { return e.Err }

// waitFor calls check under the scope's lock until it returns true, and returns nil
// then; or a *WaitError naming what when ctx is done or the scope is closed.
func (s *Scope) waitFor(ctx context.Context, what string, check func() bool) error {
	for {
		s.mu.Lock()
		if check() {
			s.mu.Unlock()
			return nil
		}
		ch, closed := s.changed, s.closed
		if closed || ctx.Err() != nil {
			last := s.journal[max(0, len(s.journal)-5):]
			err := &WaitError{What: what, Err: ErrClosed}
			for _, e := range last {
				err.Last = append(err.Last, *e)
			}
			s.mu.Unlock()
			if !closed {
				err.Err = ctx.Err()
			}
			return err
		}
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
		}
	}
}

// WaitRequests waits until the journal has n entries for route ("" for any) and
// returns them (all of them, oldest first), or fails with a *WaitError when ctx is
// done first.
func (s *Scope) WaitRequests(ctx context.Context, route string, n int) ([]Entry, error) {
	var got []Entry
	what := strconv.Itoa(n) + " requests"
	if route != "" {
		what += " to " + route
	}
	err := s.waitFor(ctx, what, func() bool {
		got = s.journalLocked(route)
		return len(got) >= n
	})
	return got, err
}

// WaitJournal waits until cond holds for the journal (all entries, oldest first), and
// returns them, or fails with a *WaitError naming what when ctx is done first.
func (s *Scope) WaitJournal(ctx context.Context, what string, cond func([]Entry) bool) ([]Entry, error) {
	var got []Entry
	err := s.waitFor(ctx, what, func() bool {
		got = s.journalLocked("")
		return cond(got)
	})
	return got, err
}

// ---- connections

// ErrNoConn is wrapped by the errors of calls that name a connection that does not
// exist.
var ErrNoConn = errors.New("fake: no such connection")

// Conn returns the connection with id (c1, c2, ...), open or not, since the last reset.
func (s *Scope) Conn(id string) (*Conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		if c.id == id {
			return c, nil
		}
	}
	return nil, &NotFoundError{What: "connection " + strconv.Quote(id), Err: ErrNoConn}
}

// Conns returns the connections of route ("" for any) since the last reset, in the
// order they opened; only the open ones when open is set.
func (s *Scope) Conns(route string, open bool) []*Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connsLocked(route, open, 0)
}

func (s *Scope) connsLocked(route string, open bool, after int) []*Conn {
	var out []*Conn
	for _, c := range s.conns {
		if (route == "" || c.route == route) && c.num > after && (!open || c.isOpen()) {
			out = append(out, c)
		}
	}
	return out
}

// WaitConns waits until route ("" for any) has n connections (open ones only when
// open is set) and returns them, or fails with a *WaitError when ctx is done first.
func (s *Scope) WaitConns(ctx context.Context, route string, open bool, n int) ([]*Conn, error) {
	var got []*Conn
	what := strconv.Itoa(n) + " connections"
	if open {
		what = strconv.Itoa(n) + " open connections"
	}
	if route != "" {
		what += " of " + route
	}
	err := s.waitFor(ctx, what, func() bool {
		got = s.connsLocked(route, open, 0)
		return len(got) >= n
	})
	return got, err
}

// NextConn waits for the first connection of route ("" for any) whose number (the n of
// its id cn) is above after, and returns it (open or not): with after the number of the
// last connection returned, it yields each connection once, in order.
func (s *Scope) NextConn(ctx context.Context, route string, after int) (*Conn, error) {
	var got *Conn
	what := "a connection"
	if route != "" {
		what += " of " + route
	}
	err := s.waitFor(ctx, what, func() bool {
		if cs := s.connsLocked(route, false, after); len(cs) > 0 {
			got = cs[0]
			return true
		}
		return false
	})
	return got, err
}

// addConnLocked registers c with the next id, unless gen is not the scope's generation
// any more (the scope was reset since the request arrived): then it returns false.
func (s *Scope) addConnLocked(c *Conn, gen *generation) bool {
	if gen != s.gen || s.closed {
		return false
	}
	s.connSeq++
	c.num = s.connSeq
	c.id = "c" + strconv.Itoa(c.num)
	if len(s.conns) >= s.e.opts.JournalSize { // bounded: forget the oldest ended one
		for i, old := range s.conns {
			if !old.isOpen() {
				s.conns = append(s.conns[:i], s.conns[i+1:]...)
				break
			}
		}
	}
	s.conns = append(s.conns, c)
	s.notifyLocked()
	return true
}

// connEnded wakes the waiters when a connection ended.
func (s *Scope) connEnded() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notifyLocked()
}

// Broadcast sends ev to every open connection of route and returns how many it
// reached. It fails with a *NotFoundError when the scope has no such route.
func (s *Scope) Broadcast(route string, ev sse.Event) (int, error) {
	if s.routeNamed(route) == nil {
		return 0, errNoRoute(route)
	}
	if err := ev.Validate(); err != nil {
		return 0, err
	}
	n := 0
	for _, c := range s.Conns(route, true) {
		if c.Send(ev) == nil {
			n++
		}
	}
	return n, nil
}

// Publish publishes ev to topic through every server of the scope, so that it reaches
// every stream subscribed to the topic (a route's topics option) and, with replay, the
// replay buffers. It returns the event's ids (one per server, with auto ids) and the
// first error.
func (s *Scope) Publish(ctx context.Context, topic string, ev sse.Event) ([]string, error) {
	if err := ev.Validate(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	p := s.pool
	s.mu.Unlock()
	var ids []string
	var first error
	for _, srv := range p.all() {
		id, err := srv.Publish(ctx, topic, ev)
		if err != nil {
			first = cmpErr(first, err)
			continue
		}
		ids = append(ids, id)
	}
	return ids, first
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}
