//go:build js && wasm

package main

import (
	"errors"
	"io"
	"net/http"
	"sync"
	"syscall/js"

	"github.com/polysse/sse/internal/fake"
	"github.com/polysse/sse/internal/fake/script"
)

// handlerCtx is an attempt answered by a JavaScript handler. The handler's JavaScript
// side (web/fake/src/fake.js) gets its id and answers with ctxOp; it reports the end of
// the handler's promise with handlerDone.
type handlerCtx struct {
	id      int
	c       *fake.Context
	eng     *engine
	settled chan error // the handler's promise settled (nil: resolved); buffered

	mu      sync.Mutex
	over    bool           // the Go handler is returning: no more answers
	pending sync.WaitGroup // answers started and not yet handed to the engine
}

// start counts an answer about to be started; false once the handler is returning.
func (h *handlerCtx) start() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.over {
		return false
	}
	h.pending.Add(1)
	return true
}

// jsHandler returns the engine handler that runs fn, the JavaScript side of a
// handler: fn(ctxId, info) starts it and returns at once. The Go handler returns when
// the JavaScript promise has settled (or the request is over) and every answer it
// started has reached the engine; a handler that failed without answering gets a 500
// naming its route and the error.
func (b *binding) jsHandler(eng *engine, fn js.Value) fake.Handler {
	return func(c *fake.Context) {
		h := &handlerCtx{c: c, eng: eng, settled: make(chan error, 1)}
		b.add(func(id int) {
			h.id = id
			b.ctxs[id] = h
		})
		defer func() {
			b.mu.Lock()
			delete(b.ctxs, h.id)
			b.mu.Unlock()
		}()
		if err := try(func() { fn.Invoke(h.id, ctxInfo(c)) }); err != nil {
			h.settled <- err
		}
		var failed error
		select {
		case failed = <-h.settled:
		case <-c.Done():
		}
		h.mu.Lock()
		h.over = true
		h.mu.Unlock()
		h.pending.Wait()
		if failed != nil {
			msg := "fake: the handler of route " + c.Route + " failed: " + failed.Error()
			eng.log.Error(msg)
			_ = c.Respond(http.StatusInternalServerError, http.Header{"Content-Type": {"text/plain; charset=utf-8"}}, []byte(msg))
		}
	}
}

// ctxInfo returns what the JavaScript handler gets of the attempt.
func ctxInfo(c *fake.Context) js.Value {
	r := c.Request
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	params := map[string]any{}
	for k, v := range c.Params {
		params[k] = v
	}
	var body any
	if r.GetBody != nil {
		if rc, err := r.GetBody(); err == nil {
			if b, err := io.ReadAll(rc); err == nil { // the engine holds the body in memory
				body = u8(b)
			}
		}
	}
	var lastID any
	if c.HasLastEventID {
		lastID = c.LastEventID
	}
	info := js.ValueOf(map[string]any{
		"method": r.Method, "url": scheme + "://" + r.Host + r.URL.RequestURI(), "params": params,
		"attempt": c.Attempt, "lastEventId": lastID, "route": c.Route,
	})
	info.Set("headers", pairsOf(r.Header))
	info.Set("body", body)
	return info
}

func (b *binding) handlerCtx(v js.Value) *handlerCtx {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ctxs[v.Int()]
}

func (b *binding) handlerDone(args []js.Value) any {
	h := b.handlerCtx(arg(args, 0))
	if h == nil {
		return nil
	}
	var err error
	if m := arg(args, 1); m.Type() == js.TypeString {
		err = errors.New(m.String())
	}
	select {
	case h.settled <- err:
	default:
	}
	return nil
}

// errOver is the error of a handler's answer after the handler returned.
var errOver = errors.New("fake: the attempt is over (answer it before the handler's promise settles)")

func (b *binding) ctxOp(args []js.Value) any {
	h := b.handlerCtx(arg(args, 0))
	if h == nil {
		return errValue(errOver)
	}
	c := h.c
	op := arg(args, 1).String()
	cb := arg(args, 5)
	var run func() error
	switch op {
	case "stream":
		if !h.start() {
			return errValue(errOver)
		}
		r := b.newRef(h.eng, nil)
		go func() {
			defer h.pending.Done()
			b.resolve(r, c.Stream())
		}()
		return r.id
	case "respond":
		status := arg(args, 2).Int()
		hdr := headerOf(arg(args, 3))
		body := bytesOf(arg(args, 4))
		run = func() error { return c.Respond(status, hdr, body) }
	case "drop":
		run = c.Drop
	case "serve":
		a, err := script.ParseAnswer([]byte(arg(args, 2).String()))
		if err != nil {
			return errValue(err)
		}
		run = func() error { return c.Serve(*a) }
	case "forward":
		path := arg(args, 2).String()
		run = func() error { return c.Forward(path) }
	case "sleep":
		d, err := millis(arg(args, 2))
		if err != nil {
			return errValue(err)
		}
		go func() { report(cb, nil, c.Sleep(d)) }()
		return nil
	default:
		return errValue(invalid("no handler operation " + op))
	}
	if !h.start() {
		return errValue(errOver)
	}
	go func() {
		defer h.pending.Done()
		report(cb, nil, run())
	}()
	return nil
}
