package jsbridge

import (
	"errors"
	"io"
	"syscall/js"
	"unsafe"

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

// fetchBody reads a response body through the handle's read(ptr, cap, wake) (see
// responseHandle in web/src/core.js): JavaScript writes the bytes straight into p's memory
// and answers with a number, so that a chunk costs one call into JavaScript and, when
// the chunk was not there yet, one call back (wake), and no JavaScript object reaches Go
// (each costs a finalizer). Go's heap does not move objects, and p stays referenced while
// JavaScript may write into it: until wake is called or forget withdraws the read.
type fetchBody struct {
	res    js.Value
	ctx    eventsource.Context
	stop   func()
	wake   js.Func  // made at the first read, released by Close
	ready  chan int // the result wake delivered
	err    error    // sticky: io.EOF, the read error
	closed bool
}

// Results of the handle's read other than a byte count.
const (
	readWait   = 0  // nothing yet: wake follows
	readEnd    = -1 // the body ended
	readFailed = -2 // the body failed: the handle's failure holds the error
)

func (b *fetchBody) Read(p []byte) (int, error) {
	if b.closed {
		return 0, errors.New("jsbridge: read from closed body")
	}
	if b.err == nil {
		if err := b.ctx.Err(); err != nil {
			return 0, err
		}
	}
	if b.err != nil || len(p) == 0 {
		return 0, b.err
	}
	if b.ready == nil {
		b.ready = make(chan int, 1)
		b.wake = js.FuncOf(func(_ js.Value, args []js.Value) any {
			select { // never blocks: one wake per read that answered readWait
			case b.ready <- arg(args, 0).Int():
			default:
			}
			return nil
		})
	}
	var n int
	if err := try(func() { n = b.res.Call("read", addressOf(p), len(p), b.wake).Int() }); err != nil {
		b.err = errors.Join(errBadResponse, err)
		return 0, b.err
	}
	if n == readWait {
		select {
		case n = <-b.ready:
		case <-b.ctx.Done():
			_ = try(func() { b.res.Call("forget") })
			return 0, b.ctx.Err()
		}
	}
	switch {
	case n > 0:
		return min(n, len(p)), nil
	case n == readEnd:
		b.err = io.EOF
	default:
		var failure error
		if err := try(func() { failure = newJSError(b.res.Get("failure")) }); err != nil {
			failure = err
		}
		b.err = failure
	}
	if b.err != io.EOF {
		if cerr := b.ctx.Err(); cerr != nil {
			return 0, cerr
		}
	}
	return 0, b.err
}

// addressOf returns the address of p's first byte in the module's memory.
func addressOf(p []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(p))) }

func (b *fetchBody) Close() error {
	if !b.closed {
		b.closed = true
		b.stop()
		_ = try(func() { b.res.Call("cancel") })
		if b.ready != nil {
			b.wake.Release()
		}
	}
	return nil
}
