//go:build js && wasm

package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall/js"
	"time"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/internal/fake"
	"github.com/polysse/sse/internal/fake/script"
)

// binding holds what JavaScript refers to by number: engines, requests being served,
// connections, and the contexts of attempts answered by JavaScript handlers.
//
// Lock order: binding.mu, then a connRef's mu; neither is held while calling into the
// engine or into JavaScript.
type binding struct {
	mu      sync.Mutex
	engines map[int]*engine
	reqs    map[int]*request
	refs    map[int]*connRef
	ctxs    map[int]*handlerCtx
	next    int // the last number handed out (one sequence for all four maps)
}

func newBinding() *binding {
	return &binding{
		engines: map[int]*engine{}, reqs: map[int]*request{}, refs: map[int]*connRef{},
		ctxs: map[int]*handlerCtx{},
	}
}

// engine is one createFake() (or one Node command): an engine, the handler that serve
// runs, and the canonical reference of each connection JavaScript has seen.
type engine struct {
	id    int
	e     *fake.Engine
	h     http.Handler
	log   *slog.Logger
	refOf map[*fake.Conn]*connRef // under binding.mu
}

// UnhandledHeader marks the answer to a request no route matched, for engines created
// with markUnhandled: the JavaScript side applies its unhandled-request policy instead
// of handing the answer on.
const UnhandledHeader = "Polysse-Fake-Unhandled"

// engineOptions are the options of newEngine (JSON).
type engineOptions struct {
	CORS          string `json:"cors"`
	Preflight     bool   `json:"preflight"`
	MaxHold       int64  `json:"maxHold"` // ms; 0: no bound
	JournalSize   int    `json:"journalSize"`
	LogLevel      string `json:"logLevel"`      // debug, info, warn (default), error, silent
	Standalone    bool   `json:"standalone"`    // serve the control API under fake.ControlPath too
	MarkUnhandled bool   `json:"markUnhandled"` // answer unmatched requests with UnhandledHeader
}

// register sets the binding's functions on api. Conventions: a function that fails
// returns an error value (errValue: {fakeError, code}) instead of throwing; a function
// that may wait takes a callback cb(error | null, result) as its last argument, starts a
// goroutine and returns at once (undefined, or an error value when the call is invalid
// and cb will not be called).
func (b *binding) register(api js.Value) {
	fns := map[string]func(args []js.Value) any{
		// newEngine(optionsJSON, log(level, line)) → engine id
		"newEngine": b.newEngine,
		// route(engine, routeJSON, handler | null, override) → undefined
		"route": b.route,
		// next(engine, routeName, answerJSON) → undefined
		"next": b.nextAnswer,
		// load(engine, fileJSON) → undefined: the file's routes become default routes
		"load": b.load,
		// reset(engine) → undefined
		"reset": b.reset,
		// close(engine, cb)
		"close": b.closeEngine,
		// handles(engine, method, url, headerPairs) → boolean
		"handles": b.handles,
		// serve(engine, method, url, headerPairs, body | null, sink) → request id;
		// sink: {head(status, headerPairs, statusText), chunk(Uint8Array) → 1 room | 0 full | -1 gone,
		// end(null | message)}
		"serve": b.serve,
		// pull(request): the consumer has room again; abort(request): it went away
		"pull":  b.pull,
		"abort": b.abort,
		// journal(engine, route) → JSON of the journal entries ("" route: all)
		"journal": b.journal,
		// conns(engine, route, openOnly) → JSON of [{ref, ...ConnInfo}]
		"conns": b.conns,
		// connInfo(ref) → JSON of {ref, ...ConnInfo}, null while a handler's stream starts
		"connInfo": b.connInfo,
		// connOp(ref, op, arg, cb): send (eventJSON), comment (text), raw (Uint8Array),
		// end, drop, complete and fail (dataJSON), sleep (ms); in order per connection
		"connOp": b.connOp,
		// broadcast(engine, route, eventJSON, cb(err, count)), publish(engine, topic,
		// eventJSON, cb(err, idsJSON))
		"broadcast": b.broadcast,
		"publish":   b.publish,
		// ctxOp(ctx, op, a, b, c, cb): a JavaScript handler answers its attempt: stream
		// (returns a connection ref at once), respond (status, headerPairs, body), drop,
		// serve (answerJSON), forward (path), sleep (ms)
		"ctxOp": b.ctxOp,
		// handlerDone(ctx, null | message): the handler's promise settled
		"handlerDone": b.handlerDone,
	}
	for name, f := range fns {
		api.Set(name, js.FuncOf(guard(name, f)))
	}
}

// guard turns a panic in f (a JavaScript value of the wrong type, say) into an error
// value, so that no call from JavaScript can end the module.
func guard(name string, f func([]js.Value) any) func(js.Value, []js.Value) any {
	return func(_ js.Value, args []js.Value) (out any) {
		defer func() {
			if r := recover(); r != nil {
				out = errValue(errors.New("polysse fake: " + name + ": " + panicText(r)))
			}
		}()
		return f(args)
	}
}

func panicText(r any) string {
	switch v := r.(type) {
	case js.Error:
		return v.Error()
	case error:
		return v.Error()
	case string:
		return v
	}
	return "internal error"
}

// arg returns args[i], or undefined.
func arg(args []js.Value, i int) js.Value {
	if i < len(args) {
		return args[i]
	}
	return js.Undefined()
}

func (b *binding) add(put func(id int)) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.next++
	put(b.next)
	return b.next
}

func (b *binding) engine(v js.Value) (*engine, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if eng := b.engines[v.Int()]; eng != nil {
		return eng, nil
	}
	return nil, fake.ErrClosed
}

// ---- errors

// errCode names the kind of err for JavaScript (FakeError.code).
func errCode(err error) string {
	switch {
	case errors.Is(err, fake.ErrEnded):
		return "ENDED"
	case errors.Is(err, fake.ErrNoRoute), errors.Is(err, fake.ErrNoConn), errors.Is(err, fake.ErrNoScope):
		return "NOT_FOUND"
	case errors.Is(err, script.ErrInvalid), errors.Is(err, errInvalid):
		return "INVALID"
	case errors.Is(err, fake.ErrClosed):
		return "CLOSED"
	case errors.Is(err, fake.ErrReset):
		return "RESET"
	case errors.Is(err, fake.ErrRequestOver):
		return "OVER"
	case errors.Is(err, fake.ErrAnswered):
		return "ANSWERED"
	case errors.Is(err, fake.ErrNotStream):
		return "NOT_STREAM"
	}
	return "ERROR"
}

// errInvalid is wrapped by the errors of arguments the binding rejects itself.
var errInvalid = errors.New("invalid argument")

type invalidError struct{ msg string }

func (e *invalidError) Error() string { return e.msg }
func (e *invalidError) Unwrap() error { return errInvalid }

func invalid(msg string) error { return &invalidError{msg: "polysse fake: " + msg} }

func errValue(err error) js.Value {
	o := js.Global().Get("Object").New()
	o.Set("fakeError", err.Error())
	o.Set("code", errCode(err))
	return o
}

// report calls cb(error | null, result), ignoring what it throws.
func report(cb js.Value, v any, err error) {
	if cb.Type() != js.TypeFunction {
		return
	}
	var e any
	if err != nil {
		e = errValue(err)
	}
	_ = try(func() { cb.Invoke(e, v) })
}

// try runs f, turning a JavaScript exception into an error.
func try(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New(panicText(r))
		}
	}()
	f()
	return nil
}

// ---- engines

func (b *binding) newEngine(args []js.Value) any {
	var o engineOptions
	if err := strictJSON(arg(args, 0).String(), &o); err != nil {
		return errValue(invalid("createFake options: " + err.Error()))
	}
	if o.MaxHold < 0 || o.JournalSize < 0 {
		return errValue(invalid("createFake options: maxHold and journalSize must not be negative"))
	}
	logFn := arg(args, 1)
	lvl, ok := levels[o.LogLevel]
	if !ok {
		return errValue(invalid(`logLevel must be "debug", "info", "warn", "error" or "silent", not ` + strconv.Quote(o.LogLevel)))
	}
	log := slog.New(&jsLogHandler{fn: logFn, min: lvl})
	opts := fake.Options{
		CORS: o.CORS, Preflight: o.Preflight, MaxHold: time.Duration(o.MaxHold) * time.Millisecond,
		JournalSize: o.JournalSize, Logger: log,
	}
	if o.MarkUnhandled {
		opts.Unhandled = func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set(UnhandledHeader, "1")
			http.Error(w, "fake: no route for "+r.Method+" "+r.URL.String(), http.StatusNotFound)
		}
	}
	e, err := fake.New(opts)
	if err != nil {
		return errValue(err)
	}
	eng := &engine{e: e, h: e, log: log, refOf: map[*fake.Conn]*connRef{}}
	if o.Standalone {
		eng.h = standalone{e: e, control: http.StripPrefix(fake.ControlPath, fake.NewControl(e))}
	}
	return b.add(func(id int) {
		eng.id = id
		b.engines[id] = eng
	})
}

// standalone serves the control API under fake.ControlPath and the engine elsewhere, as
// the standalone faces do.
type standalone struct {
	e       *fake.Engine
	control http.Handler
}

func (s standalone) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p := r.URL.Path; p == fake.ControlPath || strings.HasPrefix(p, fake.ControlPath+"/") {
		s.control.ServeHTTP(w, r)
		return
	}
	s.e.ServeHTTP(w, r)
}

// strictJSON decodes s into v, rejecting unknown fields.
func strictJSON(s string, v any) error {
	d := json.NewDecoder(strings.NewReader(s))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

func (b *binding) route(args []js.Value) any {
	eng, err := b.engine(arg(args, 0))
	if err != nil {
		return errValue(err)
	}
	fn := arg(args, 2)
	isHandler := fn.Type() == js.TypeFunction
	rt, err := script.ParseRoute([]byte(arg(args, 1).String()), !isHandler)
	if err != nil {
		return errValue(err)
	}
	r := fake.Route{Route: *rt}
	if isHandler {
		r.Handler = b.jsHandler(eng, fn)
	}
	if arg(args, 3).Truthy() {
		err = eng.e.DefaultScope().Use(r)
	} else {
		err = eng.e.Route(r)
	}
	if err != nil {
		return errValue(err)
	}
	return nil
}

func (b *binding) nextAnswer(args []js.Value) any {
	eng, err := b.engine(arg(args, 0))
	if err != nil {
		return errValue(err)
	}
	a, err := script.ParseAnswer([]byte(arg(args, 2).String()))
	if err != nil {
		return errValue(err)
	}
	if err := eng.e.DefaultScope().Next(arg(args, 1).String(), *a); err != nil {
		return errValue(err)
	}
	return nil
}

func (b *binding) load(args []js.Value) any {
	eng, err := b.engine(arg(args, 0))
	if err != nil {
		return errValue(err)
	}
	f, err := script.ParseFile([]byte(arg(args, 1).String()))
	if err != nil {
		return errValue(err)
	}
	if err := eng.e.Load(f); err != nil {
		return errValue(err)
	}
	return nil
}

func (b *binding) reset(args []js.Value) any {
	eng, err := b.engine(arg(args, 0))
	if err != nil {
		return errValue(err)
	}
	eng.e.DefaultScope().Reset()
	b.sweep(eng, false)
	return nil
}

func (b *binding) closeEngine(args []js.Value) any {
	b.mu.Lock()
	eng := b.engines[arg(args, 0).Int()]
	delete(b.engines, arg(args, 0).Int())
	b.mu.Unlock()
	cb := arg(args, 1)
	if eng == nil {
		report(cb, nil, nil) // closing twice is harmless
		return nil
	}
	go func() {
		err := eng.e.Close(context.Background())
		b.sweep(eng, true)
		report(cb, nil, err)
	}()
	return nil
}

// sweep forgets the references to eng's connections that have ended (all of them when
// all is set), so that JavaScript objects of old connections hold nothing in Go.
func (b *binding) sweep(eng *engine, all bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for id, r := range b.refs {
		if r.eng != eng {
			continue
		}
		if c := r.current(); all || c != nil && c.Reason() != "" && r.idle() {
			delete(b.refs, id)
			if c != nil && eng.refOf[c] == r {
				delete(eng.refOf, c)
			}
		}
	}
}

// ---- journal, connections, broadcast, publish

func (b *binding) journal(args []js.Value) any {
	eng, err := b.engine(arg(args, 0))
	if err != nil {
		return errValue(err)
	}
	entries := eng.e.DefaultScope().Journal(arg(args, 1).String())
	if entries == nil {
		entries = []fake.Entry{}
	}
	out, err := json.Marshal(entries)
	if err != nil {
		return errValue(err)
	}
	return string(out)
}

// connJSON is a connection as JavaScript sees it: its reference and its ConnInfo.
type connJSON struct {
	Ref int `json:"ref"`
	fake.ConnInfo
}

func (b *binding) conns(args []js.Value) any {
	eng, err := b.engine(arg(args, 0))
	if err != nil {
		return errValue(err)
	}
	cs := eng.e.DefaultScope().Conns(arg(args, 1).String(), arg(args, 2).Truthy())
	out := make([]connJSON, 0, len(cs))
	for _, c := range cs {
		out = append(out, connJSON{Ref: b.refFor(eng, c).id, ConnInfo: c.Info()})
	}
	j, err := json.Marshal(out)
	if err != nil {
		return errValue(err)
	}
	return string(j)
}

func (b *binding) connInfo(args []js.Value) any {
	r := b.ref(arg(args, 0).Int())
	if r == nil {
		return errValue(&fake.NotFoundError{What: "connection (it was forgotten at a reset)", Err: fake.ErrNoConn})
	}
	c := r.current()
	if c == nil {
		return nil
	}
	j, err := json.Marshal(connJSON{Ref: r.id, ConnInfo: c.Info()})
	if err != nil {
		return errValue(err)
	}
	return string(j)
}

// eventOf decodes an event object as the control API does: its strings as they are (no
// templates), validated.
func eventOf(s string) (sse.Event, error) {
	ev, err := script.ParseEvent([]byte(s))
	if err != nil {
		return sse.Event{}, err
	}
	x := ev.Literal()
	e := sse.Event{Type: x.Type, ID: x.ID, Data: x.Data, Retry: x.Retry}
	if err := e.Validate(); err != nil {
		return sse.Event{}, &invalidError{msg: err.Error()}
	}
	return e, nil
}

func (b *binding) broadcast(args []js.Value) any {
	eng, err := b.engine(arg(args, 0))
	if err != nil {
		return errValue(err)
	}
	s := eng.e.DefaultScope()
	route := arg(args, 1).String()
	if !s.HasRoute(route) {
		return errValue(&fake.NotFoundError{What: "route " + strconv.Quote(route), Err: fake.ErrNoRoute})
	}
	ev, err := eventOf(arg(args, 2).String())
	if err != nil {
		return errValue(err)
	}
	cb := arg(args, 3)
	go func() {
		n, err := s.Broadcast(route, ev)
		report(cb, n, err)
	}()
	return nil
}

func (b *binding) publish(args []js.Value) any {
	eng, err := b.engine(arg(args, 0))
	if err != nil {
		return errValue(err)
	}
	topic := arg(args, 1).String()
	if topic == "" {
		return errValue(invalid("publish: the topic is empty"))
	}
	ev, err := eventOf(arg(args, 2).String())
	if err != nil {
		return errValue(err)
	}
	cb := arg(args, 3)
	s := eng.e.DefaultScope()
	go func() {
		ids, err := s.Publish(context.Background(), topic, ev)
		if ids == nil {
			ids = []string{}
		}
		j, _ := json.Marshal(ids)
		report(cb, string(j), err)
	}()
	return nil
}
