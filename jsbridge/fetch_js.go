package jsbridge

import (
	"errors"
	"io"
	"syscall/js"

	"github.com/polysse/sse/internal/eventsource"
)

// fetchTransport is the transport of the client state machine (internal/eventsource) on
// the JavaScript fetch API. The JavaScript half, helpers, does what is JavaScript's to do
// (web/src/core.js, fetchHelpers): it calls fetch with an AbortController, sends
// Last-Event-ID as the byte string of its UTF-8 bytes, tells a CORS refusal from a network
// error with a no-cors probe after a failed cross-origin request, and reads the body ahead
// of the parser so that a connection that drops right after the server's last write loses
// as little as fetch allows. The Go half waits and copies bytes; keeping it small keeps
// the module small.
type fetchTransport struct {
	// helpers is the fetchHelpers object of web/src/core.js.
	helpers js.Value
	// fetch is the fetch function to call; undefined means globalThis.fetch, looked up at
	// every attempt so that interceptors installed later (MSW, say) see the requests.
	fetch js.Value
}

var (
	// errCORS is the cause of a cross-origin request that the browser refused.
	errCORS = errors.New("jsbridge: cross-origin request refused (CORS)")
	// errBadResponse is returned when a custom fetch resolves to something that is not a
	// Response, or its body yields something other than Uint8Array chunks.
	errBadResponse = errors.New("jsbridge: fetch did not resolve to a Response")
)

// RoundTrip implements eventsource.Transport.
func (t *fetchTransport) RoundTrip(ctx eventsource.Context, req *eventsource.Request) (*eventsource.Response, error) {
	var call js.Value
	if err := try(func() {
		call = t.helpers.Call("fetch", req.URL, req.Method, headerArray(req.Header), bodyValue(req.Body), req.WithCredentials, t.fetch)
	}); err != nil {
		return nil, errors.Join(err, eventsource.ErrPermanent)
	}
	stop := onDone(ctx, func() { _ = try(func() { call.Call("abort") }) })
	res, err := await(ctx, call.Get("result"))
	if err != nil {
		stop()
		if cerr := ctx.Err(); cerr != nil {
			return nil, cerr
		}
		// await returns *jsError itself; errors.As would pull reflection into the module.
		if je, ok := err.(*jsError); ok && je.cors {
			return nil, errors.Join(errCORS, err, eventsource.ErrPermanent)
		} else if ok && je.permanent {
			return nil, errors.Join(err, eventsource.ErrPermanent)
		}
		return nil, err
	}
	r := &eventsource.Response{}
	err = try(func() {
		r.StatusCode = res.Get("status").Int()
		r.StatusText = res.Get("statusText").String()
		r.URL = res.Get("url").String()
	})
	if err == nil {
		r.Header, err = headerPairs(res.Get("headers"))
	}
	if err != nil || r.StatusCode == 0 {
		stop()
		_ = try(func() { res.Call("cancel") })
		return nil, errors.Join(errBadResponse, err, eventsource.ErrPermanent)
	}
	if r.URL == "" {
		r.URL = req.URL
	}
	// The abort stays armed while the body is read; Close disarms it.
	r.Body = &fetchBody{res: res, ctx: ctx, stop: stop}
	return r, nil
}

// headerArray converts h to an array of [name, value] pairs.
func headerArray(h eventsource.Header) js.Value {
	a := js.Global().Get("Array").New()
	for k, vs := range h {
		for _, v := range vs {
			a.Call("push", js.ValueOf([]any{k, v}))
		}
	}
	return a
}

func bodyValue(b []byte) js.Value {
	if b == nil {
		return js.Undefined()
	}
	u := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(u, b)
	return u
}

// jsResponse returns the JavaScript Response object behind r, when r came from a
// fetchTransport, and undefined otherwise.
func jsResponse(r *eventsource.Response) js.Value {
	if b, ok := r.Body.(*fetchBody); ok {
		return b.res.Get("response")
	}
	return js.Undefined()
}

// fetchBody reads a response body through the helpers' read(), which resolves to the next
// Uint8Array chunk or null at the end.
type fetchBody struct {
	res    js.Value
	ctx    eventsource.Context
	stop   func()
	chunk  []byte // bytes of the current chunk not yet returned
	buf    []byte
	err    error
	closed bool
}

func (b *fetchBody) Read(p []byte) (int, error) {
	if len(b.chunk) == 0 && b.err == nil && !b.closed {
		if n, ok := b.fill(p); ok {
			return n, nil
		}
	}
	if len(b.chunk) > 0 {
		n := copy(p, b.chunk)
		b.chunk = b.chunk[n:]
		return n, nil
	}
	if b.closed {
		return 0, errors.New("jsbridge: read from closed body")
	}
	if b.err != io.EOF {
		if cerr := b.ctx.Err(); cerr != nil {
			return 0, cerr
		}
	}
	return 0, b.err
}

// fill waits for the next chunk. One that fits p is copied straight into it (n, true);
// a larger one is kept in b.chunk.
func (b *fetchBody) fill(p []byte) (n int, ok bool) {
	var next js.Value
	if b.err = try(func() { next = b.res.Call("read") }); b.err != nil {
		return 0, false
	}
	v, err := await(b.ctx, next)
	if err != nil {
		b.err = err
		return 0, false
	}
	if v.IsNull() || v.IsUndefined() {
		b.err = io.EOF
		return 0, false
	}
	b.err = try(func() {
		size := v.Get("byteLength").Int()
		if size <= len(p) {
			n, ok = js.CopyBytesToGo(p, v), true
			return
		}
		if cap(b.buf) < size {
			b.buf = make([]byte, size)
		}
		b.chunk = b.buf[:js.CopyBytesToGo(b.buf[:size], v)]
	})
	return n, ok && b.err == nil
}

func (b *fetchBody) Close() error {
	if !b.closed {
		b.closed = true
		b.stop()
		_ = try(func() { b.res.Call("cancel") })
	}
	return nil
}
