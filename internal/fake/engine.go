package fake

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/polysse/sse/internal/fake/script"
)

// DefaultScope is the name of the scope that always exists: the one of requests outside
// a scope's prefix.
const DefaultScope = "default"

// ScopePrefix is the path prefix of a scope's requests: /s/NAME/... is served by scope
// NAME with the path /... .
const ScopePrefix = "/s/"

// Options configure an Engine. The zero value is usable.
type Options struct {
	// Routes are the default routes, in every scope, tried after the scope's overrides.
	Routes []Route
	// CORS is the CORS mode of routes that do not set one: "off" (the default),
	// "echo", "echo-nocreds" or "star".
	CORS string
	// Preflight answers CORS preflight requests for routes that do not set the option.
	Preflight bool
	// MaxHold bounds how long an answer holds a connection open (a hold ending, a
	// stream without ending, a "forever" delay, a handler's stream); then the response
	// ends cleanly. Zero means no bound (a reset or Close still ends them).
	MaxHold time.Duration
	// Unhandled answers requests no route matches, after they are journaled. Nil means
	// 404 with the text "fake: no route for METHOD URL".
	Unhandled func(w http.ResponseWriter, r *http.Request)
	// JournalSize bounds each scope's journal. Zero means DefaultJournalSize.
	JournalSize int
	// MaxServers bounds the servers of one scope (one per distinct resolved option
	// set); a request beyond it is answered 500. Zero means DefaultMaxServers.
	MaxServers int
	// MaxRequestBody bounds request bodies; a longer one is answered 413. Zero means
	// 1 MiB.
	MaxRequestBody int64
	// Logger receives the servers' logs and the engine's errors. Nil means
	// slog.Default().
	Logger *slog.Logger
}

// Engine is the fake SSE server: an http.Handler that answers requests with the routes
// of its scopes (see Scope). A request whose path starts with ScopePrefix and the name
// of a scope is served by that scope, without the prefix; any other by the default
// scope. Create it with New; it is safe for concurrent use.
//
// Its state and locks, in the order they may be taken (a lock is never taken while a
// later one in this list is held):
//
//	Engine.mu     scopes, closed, adding default routes
//	plainConn.mu  a plain response's writes (the first write records the status: Scope.mu)
//	Scope.mu      overrides, attempt counts, next answers, journal, connections, generation
//	pool.mu       a scope's servers (server.New runs under it and takes none of these)
//
// Leaves (nothing is locked while one is held): Conn.mu (but for a session's lock, taken
// under it by Conn.Drop), a ResponseWriter's locks, the token store's. The default routes are an immutable list behind an atomic pointer. No
// engine lock is held while calling into a Session or a server (Push may wait for queue
// space): operations on connections take no scope lock; a connection's state is read
// before the scope's lock is taken to journal it; and a session's writer, which records
// the status through the journaling writer (Scope.mu), holds no lock of the server then.
type Engine struct {
	opts     Options
	defaults atomic.Pointer[[]*route]

	mu        sync.Mutex
	scopes    map[string]*Scope
	nextScope int
	closed    bool

	running sync.WaitGroup // requests being served, handler goroutines, shutdowns
}

// ErrClosed is returned by the engine's methods after Close.
var ErrClosed = errors.New("fake: closed")

// New returns an engine with opts. It fails when a route is invalid (a *script.Error)
// or two default routes have one name.
func New(opts Options) (*Engine, error) {
	if opts.JournalSize <= 0 {
		opts.JournalSize = DefaultJournalSize
	}
	if opts.MaxServers <= 0 {
		opts.MaxServers = DefaultMaxServers
	}
	if opts.MaxRequestBody <= 0 {
		opts.MaxRequestBody = 1 << 20
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.CORS == "" {
		opts.CORS = script.CORSOff
	}
	if !script.ValidCORS(opts.CORS) {
		return nil, errors.New("fake: Options.CORS " + strconv.Quote(opts.CORS) + ` is not "echo", "echo-nocreds", "star" or "off"`)
	}
	e := &Engine{opts: opts, scopes: map[string]*Scope{}}
	e.defaults.Store(&[]*route{})
	for i, r := range opts.Routes {
		if err := e.Route(r); err != nil {
			return nil, prefixErr("routes["+strconv.Itoa(i)+"]", err)
		}
	}
	e.scopes[DefaultScope] = newScope(e, DefaultScope)
	return e, nil
}

// prefixErr puts path before the path of a *script.Error.
func prefixErr(path string, err error) error {
	var se *script.Error
	if errors.As(err, &se) {
		p := path
		if se.Path != "" {
			p += "." + se.Path
		}
		return &script.Error{Path: p, Msg: se.Msg}
	}
	return err
}

// Route adds a default route (in every scope, after the overrides, in the order
// added). Its name must not be taken by another default route.
func (e *Engine) Route(r Route) error {
	rt, err := compile(r)
	if err != nil {
		return err
	}
	return e.addDefaults([]*route{rt}, func(_ int, err error) error { return err })
}

// Load adds the routes of a script file as default routes: all of them, or, when one is
// invalid or its name is taken, none (the error names the route's index).
func (e *Engine) Load(f *script.File) error {
	at := func(i int, err error) error { return prefixErr("routes["+strconv.Itoa(i)+"]", err) }
	rts := make([]*route, len(f.Routes))
	for i, r := range f.Routes {
		rt, err := compile(Route{Route: r})
		if err != nil {
			return at(i, err)
		}
		rts[i] = rt
	}
	return e.addDefaults(rts, at)
}

// addDefaults appends rts to the default routes at once, unless one's name is taken (by an
// existing route or an earlier one of rts); wrap names the index in rts of a failure.
func (e *Engine) addDefaults(rts []*route, wrap func(i int, err error) error) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return ErrClosed
	}
	old := *e.defaults.Load()
	list := append(make([]*route, 0, len(old)+len(rts)), old...)
	for i, rt := range rts {
		for _, o := range list {
			if o.name == rt.name {
				return wrap(i, &script.Error{Path: "name", Msg: "the name " + strconv.Quote(rt.name) + " is taken by another route (give one a \"name\")"})
			}
		}
		list = append(list, rt)
	}
	e.defaults.Store(&list)
	return nil
}

// DefaultScope returns the default scope.
func (e *Engine) DefaultScope() *Scope {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.scopes[DefaultScope]
}

// Scope returns the scope named name, or nil.
func (e *Engine) Scope(name string) *Scope {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.scopes[name]
}

// NewScope returns a new scope, named s1, s2, ...: its own overrides, journal, attempt
// counts, connections and servers, with the engine's default routes. Its requests are
// those under ScopePrefix + name.
func (e *Engine) NewScope() (*Scope, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, ErrClosed
	}
	var name string
	for {
		e.nextScope++
		name = "s" + strconv.Itoa(e.nextScope)
		if _, taken := e.scopes[name]; !taken {
			break
		}
	}
	s := newScope(e, name)
	e.scopes[name] = s
	return s, nil
}

// ErrNoScope is wrapped by the errors of calls that name a scope that does not exist.
var ErrNoScope = errors.New("fake: no such scope")

// DeleteScope ends the scope's connections, shuts its servers down and forgets it. The
// default scope cannot be deleted (reset it).
func (e *Engine) DeleteScope(name string) error {
	if name == DefaultScope {
		return errors.New("fake: the default scope cannot be deleted")
	}
	e.mu.Lock()
	s := e.scopes[name]
	delete(e.scopes, name)
	e.mu.Unlock()
	if s == nil {
		return errNoScope(name)
	}
	return s.close(context.Background())
}

func errNoScope(name string) error {
	return &NotFoundError{What: "scope " + strconv.Quote(name), Err: ErrNoScope}
}

// NotFoundError reports a scope, route or connection that does not exist. It wraps
// ErrNoScope, ErrNoRoute or ErrNoConn.
type NotFoundError struct {
	What string
	Err  error
}

func (e *NotFoundError) Error() string { return "fake: no " + e.What }

// Unwrap returns the sentinel.
func (e *NotFoundError) Unwrap() error { return e.Err }

// ServeHTTP serves r in its scope (see Engine).
func (e *Engine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s, r := e.scopeOf(r)
	s.ServeHTTP(w, r)
}

// scopeOf returns the scope of r and r with its path relative to the scope.
func (e *Engine) scopeOf(r *http.Request) (*Scope, *http.Request) {
	if rest, ok := strings.CutPrefix(r.URL.Path, ScopePrefix); ok {
		name, path, _ := strings.Cut(rest, "/")
		if s := e.Scope(name); s != nil && name != DefaultScope {
			r2 := r.WithContext(r.Context())
			u := *r.URL
			u.Path, u.RawPath = "/"+path, ""
			r2.URL = &u
			r2.RequestURI = u.RequestURI()
			return s, r2
		}
	}
	return e.DefaultScope(), r
}

// Handles reports whether a route of r's scope matches r (for the JavaScript face,
// which passes unmatched requests on).
func (e *Engine) Handles(r *http.Request) bool {
	s, r := e.scopeOf(r)
	rt, _ := s.find(r, r.Method, nil)
	return rt != nil
}

// Close ends every scope (as DeleteScope does, the default scope too), so that
// requests are answered 503 from then on, and waits until the scopes' servers have shut
// down and every request and handler goroutine has returned, at most until ctx is done:
// then it returns ctx's error (what was still running goes on ending).
func (e *Engine) Close(ctx context.Context) error {
	e.mu.Lock()
	e.closed = true
	scopes := make([]*Scope, 0, len(e.scopes))
	for _, s := range e.scopes {
		scopes = append(scopes, s)
	}
	e.mu.Unlock()
	for _, s := range scopes {
		_ = s.close(ctx) // once ctx is done, the others only start ending
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() {
		e.running.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
