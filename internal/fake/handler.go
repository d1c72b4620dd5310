package fake

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/polysse/sse/internal/fake/script"
)

// Handler answers the attempts of a route in code: it gets the attempt's Context and
// answers it with one of the context's Stream, Respond, Drop, Serve or Forward. It runs
// in a goroutine of its own; an open stream stays open after the handler returns, until
// it is ended (by the client, a connection operation, a reset or Options.MaxHold). A
// handler that returns without answering gets a 500 answer naming its route; a handler
// that panics, a dropped connection (the panic is logged).
type Handler func(c *Context)

// Context is an attempt answered by a Handler.
type Context struct {
	// Request is the request (its body can be read).
	Request *http.Request
	// Params are the values of the pattern's wildcards.
	Params map[string]string
	// Attempt is the attempt number (1-based) for the route and its attempt key.
	Attempt int
	// LastEventID is the request's last event ID as the route's server reads it ("" when
	// none; see Entry.LastEventID); HasLastEventID says whether it sent one.
	LastEventID    string
	HasLastEventID bool
	// Route is the route's name.
	Route string

	x        *exchange
	decide   chan *decision // to the request's goroutine
	over     chan struct{}  // closed when the request is over
	mu       sync.Mutex
	answered bool
	conn     chan *Conn // the stream's connection (buffered)
	once     sync.Once
}

// ErrAnswered is returned by a Context's answering methods after the first.
var ErrAnswered = errors.New("fake: the attempt was answered already")

// ErrRequestOver is returned by a Context's answering methods once the request is over
// (the client went away, or the scope was reset).
var ErrRequestOver = errors.New("fake: the request is over")

type decisionKind uint8

const (
	decideStream decisionKind = iota + 1
	decideRespond
	decideDrop
	decideServe
	decideForward
)

type decision struct {
	kind   decisionKind
	status int
	header http.Header
	body   []byte
	answer *script.Answer
	path   string
	done   chan error // closed (or sent an error) once carried out, for Respond and Forward
}

// Done returns a channel closed when the request is over: its answer has ended, or the
// client went away, or the scope was reset.
func (c *Context) Done() <-chan struct{} { return c.over }

// Sleep waits for d on the Go runtime's clock; it returns ErrRequestOver early when the
// request is over.
func (c *Context) Sleep(d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-c.over:
		return ErrRequestOver
	}
}

// send hands d to the request's goroutine.
func (c *Context) send(d *decision) error {
	c.mu.Lock()
	if c.answered {
		c.mu.Unlock()
		return ErrAnswered
	}
	c.answered = true
	c.mu.Unlock()
	select {
	case c.decide <- d:
		return nil
	case <-c.over:
		return ErrRequestOver
	}
}

// Stream answers with a stream of the route's server (its options apply: heartbeats,
// retry, replay of its topics, refusal) and returns its connection once the server has
// started it. When the server does not start one (it refuses the request, or redeems a
// completion token), or the request is over, the connection returned has ended (its
// methods fail with an *EndedError).
func (c *Context) Stream() *Conn {
	ended := &Conn{route: c.Route, attempt: c.Attempt, req: c.Request, lastID: c.LastEventID}
	if err := c.send(&decision{kind: decideStream}); err != nil {
		if errors.Is(err, ErrAnswered) {
			select {
			case conn := <-c.conn: // the stream asked for before
				c.conn <- conn
				return conn
			default:
			}
		}
		return ended
	}
	select {
	case conn := <-c.conn:
		c.conn <- conn // for a later Stream call
		return conn
	case <-c.over:
		select { // the connection handed over before the request was over
		case conn := <-c.conn:
			c.conn <- conn
			return conn
		default:
			return ended
		}
	}
}

// streamed hands the stream's connection to Stream.
func (c *Context) streamed(conn *Conn) {
	c.once.Do(func() { c.conn <- conn })
}

// refused hands Stream an ended connection: the server answered status without a
// stream.
func (c *Context) refused(status int) {
	conn := &Conn{route: c.Route, attempt: c.Attempt, req: c.Request, lastID: c.LastEventID, refused: max(status, 1)}
	c.once.Do(func() { c.conn <- conn })
}

// unopened hands Stream an ended connection: the server started a stream that ended, for
// reason, before its stream function ran.
func (c *Context) unopened(reason string) {
	conn := &Conn{route: c.Route, attempt: c.Attempt, req: c.Request, lastID: c.LastEventID, final: reason}
	c.once.Do(func() { c.conn <- conn })
}

// Respond answers with a plain response: status, header and body, then the end. It
// returns once the response is written.
func (c *Context) Respond(status int, header http.Header, body []byte) error {
	if status < 200 || status > 999 {
		return errors.New("fake: Respond: invalid status")
	}
	d := &decision{kind: decideRespond, status: status, header: header, body: body, done: make(chan error, 1)}
	if err := c.send(d); err != nil {
		return err
	}
	select {
	case err := <-d.done:
		return err
	case <-c.over:
		return nil
	}
}

// Drop answers with no response: the client sees a network error.
func (c *Context) Drop() error { return c.send(&decision{kind: decideDrop}) }

// Serve answers with a scripted answer (its delay, its steps, with this attempt's
// template values). It fails with a *script.Error, answering nothing, when a is not
// valid (as script.ParseAnswer checks it).
func (c *Context) Serve(a script.Answer) error {
	if err := a.Validate(); err != nil {
		return err
	}
	return c.send(&decision{kind: decideServe, answer: &a})
}

// Forward answers as the scope's routes would answer the request with path instead of
// its own (the routes the request went through excepted): the route found counts an
// attempt and answers with its options. The journal entry keeps the first route and
// attempt. It fails with a *NotFoundError when no other route matches.
func (c *Context) Forward(path string) error {
	d := &decision{kind: decideForward, path: path, done: make(chan error, 1)}
	if err := c.send(d); err != nil {
		return err
	}
	select {
	case err := <-d.done:
		return err
	case <-c.over:
		return ErrRequestOver
	}
}

// serveHandler runs the route's handler and carries out its answer.
func (x *exchange) serveHandler() {
	c := &Context{
		Request: x.req, Params: x.vars.Params, Attempt: x.attempt, LastEventID: x.lastID,
		HasLastEventID: x.hasID, Route: x.rt.name, x: x,
		decide: make(chan *decision), over: make(chan struct{}), conn: make(chan *Conn, 1),
	}
	x.hctx = c
	defer close(c.over)
	returned := make(chan struct{})
	e := x.s.e
	e.running.Add(1) // this request holds the engine: Close waits for the handler too
	h := x.rt.handler
	go func() {
		defer e.running.Done()
		defer close(returned)
		defer func() {
			if v := recover(); v != nil {
				e.opts.Logger.LogAttrs(context.Background(), slog.LevelError, "fake: the handler of route "+x.rt.name+" panicked",
					slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
				_ = c.Drop()
			}
		}()
		h(c)
	}()
	select {
	case d := <-c.decide:
		x.carryOut(d)
	case <-returned:
		select {
		case d := <-c.decide:
			x.carryOut(d)
		default:
			x.fail(http.StatusInternalServerError, errors.New("the handler returned without answering"))
		}
	case <-x.req.Context().Done():
		x.gone = true
	case <-x.gen.done:
		x.drop()
	}
}

// carryOut carries out a handler's decision in the request's goroutine.
func (x *exchange) carryOut(d *decision) {
	switch d.kind {
	case decideStream:
		x.serveStream(nil)
	case decideRespond:
		h := x.w.Header()
		for k, v := range d.header {
			h[http.CanonicalHeaderKey(k)] = v
		}
		x.w.WriteHeader(d.status)
		c := &Conn{route: x.rt.name, attempt: x.attempt, req: x.req, lastID: x.lastID, x: x, plain: newPlainConn(x.w)}
		if x.open(c) {
			_ = c.Raw(d.body)
			c.plain.finish(ReasonEnded)
		}
		close(d.done)
	case decideDrop:
		x.drop()
	case decideServe:
		x.hctx = nil // a scripted answer runs its steps: it is not the handler's stream
		x.serveAnswer(d.answer)
	case decideForward:
		x.forward(d)
	}
}

// forward answers with the route that matches the request with d.path.
func (x *exchange) forward(d *decision) {
	r := x.req.Clone(x.req.Context())
	r.URL.Path, r.URL.RawPath = d.path, ""
	rt, params := x.s.find(r, r.Method, x.visited)
	if rt == nil {
		d.done <- errNoRoute("route for " + d.path)
		x.fail(http.StatusNotFound, errors.New("Forward: no other route matches "+d.path))
		return
	}
	close(d.done)
	x.hctx = nil // the route found answers with its own answer (or handler)
	x.visited = append(x.visited, rt)
	x.vars.Params = params
	x.s.mu.Lock()
	x.count(rt)
	x.s.mu.Unlock()
	x.answerRoute()
}
