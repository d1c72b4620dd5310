package jsbridge

import (
	"errors"
	"io"
	"sync"
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
	// owner is the binding whose client uses this transport: its sink takes the batches
	// held during a push of a body of this transport (see pushState).
	owner *binding
}

var (
	// errCORS is the cause of a cross-origin request that the browser refused.
	errCORS = errors.New("the server does not allow this cross-origin request (CORS)")
	// errBadResponse is returned when a custom fetch resolves to something that is not a
	// Response, or its body yields something other than Uint8Array chunks.
	errBadResponse = errors.New("the fetch function did not resolve to a Response")
)

// RoundTrip implements eventsource.Transport.
func (t *fetchTransport) RoundTrip(ctx eventsource.Context, req *eventsource.Request) (*eventsource.Response, error) {
	var call js.Value
	if err := try(func() {
		call = t.helpers.Call("fetch", req.URL, req.Method, headerArray(req.Header), bodyValue(req.Body), req.WithCredentials, t.fetch)
	}); err != nil {
		return nil, classify(err, eventsource.ErrPermanent)
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
			return nil, classify(err, errCORS, eventsource.ErrPermanent)
		} else if ok && je.permanent {
			return nil, classify(err, eventsource.ErrPermanent)
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
		return nil, classify(errBadResponse, err, eventsource.ErrPermanent)
	}
	if r.URL == "" {
		r.URL = req.URL
	}
	// The abort stays armed while the body is read; Close disarms it.
	r.Body = &fetchBody{res: res, ctx: ctx, stop: stop, owner: t.owner}
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

// fetchBody is the body of a fetch response. It does not read: it is an
// eventsource.Pusher, to which JavaScript delivers each chunk as it arrives, by calling
// the module's exported functions polysse_buffer and polysse_push (responseHandle in
// web/src/core.js). The client then parses the chunk and dispatches its events inside
// that call, on whatever goroutine runs it: a chunk costs no goroutine hand-off, no
// JavaScript object reaching Go (each costs a finalizer) and no promise.
type fetchBody struct {
	res     js.Value
	owner   *binding
	ctx     eventsource.Context
	stop    func()
	id      int32                    // in bodies, from Push to Close
	buf     []byte                   // where JavaScript writes the next chunk
	deliver func([]byte, error) bool // nil once the stream is over
	closed  bool
}

// errPushed is what Read returns: the client takes the body's bytes through Push.
var errPushed = errors.New("jsbridge: the body delivers its bytes through Push")

func (b *fetchBody) Read([]byte) (int, error) { return 0, errPushed }

// Push implements eventsource.Pusher: it registers the body and asks JavaScript to start
// delivering, telling it the sink that takes the batches held during a push and where
// push.out is.
func (b *fetchBody) Push(deliver func([]byte, error) bool) {
	b.deliver = deliver
	bodies.mu.Lock()
	bodies.next++
	b.id = bodies.next
	bodies.m[b.id] = b
	bodies.mu.Unlock()
	if err := try(func() { b.res.Call("start", b.id, b.owner.sink, uintptr(unsafe.Pointer(&push.out))) }); err != nil {
		b.end(classify(errBadResponse, err))
	}
}

// end delivers err, the end of the stream, unless it is over.
func (b *fetchBody) end(err error) {
	if d := b.deliver; d != nil {
		b.deliver = nil
		d(nil, err)
	}
}

func (b *fetchBody) Close() error {
	if !b.closed {
		b.closed = true
		b.deliver = nil
		b.stop()
		_ = try(func() { b.res.Call("cancel") })
		bodies.mu.Lock()
		delete(bodies.m, b.id)
		bodies.mu.Unlock()
	}
	return nil
}

// bodies are the bodies that JavaScript delivers to, by id.
var bodies = struct {
	mu   sync.Mutex
	m    map[int32]*fetchBody
	next int32
}{m: map[int32]*fetchBody{}}

func bodyByID(id int32) *fetchBody {
	bodies.mu.Lock()
	defer bodies.mu.Unlock()
	return bodies.m[id]
}

// The functions below are exported to JavaScript. JavaScript calls them only from its own
// tasks and promise reactions, never from inside a call from Go, so that they never run
// inside a client callback; they must not block.

// bodyBuffer returns the address of a buffer of at least n bytes in which JavaScript
// writes the next chunk of body id, or 0 when there is no such body (it closed).
//
//go:wasmexport polysse_buffer
//lint:ignore U1000 called by JavaScript, which staticcheck does not see
func bodyBuffer(id, n int32) uint32 {
	b := bodyByID(id)
	if b == nil || n < 0 {
		return 0
	}
	if cap(b.buf) < int(n) || cap(b.buf) == 0 {
		b.buf = make([]byte, max(int(n), 4<<10))
	}
	b.buf = b.buf[:cap(b.buf)]
	return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(b.buf))))
}

// bodyError is the error of a body that failed: a failure the fetch helpers mark permanent
// (the page stopped loading) closes the client, as a failed request does.
func bodyError(e *jsError) error {
	if e.permanent {
		return classify(e, eventsource.ErrPermanent)
	}
	return e
}

// The results of polysse_push: pushOver, or pushBatch, or both, or neither (go on).
const (
	pushOver  = 1 // the stream is over: deliver no more, and let Go's scheduler run
	pushBatch = 2 // call the sink's _batch with the batch in pushState.out first
)

// pushState is the state of the push in progress: the binding whose client the pushed
// body belongs to, and whether its batch is held. A batch that its binding flushes during
// the push (the events of the chunk) is not sent from Go: bodyPush returns pushBatch, and
// the JavaScript that pushed calls the sink's _batch with out (address, length, count;
// fetchBody.Push tells JavaScript where out is) when the push returns. Any other call to the sink, or
// a full batch, sends the held batch first, so the sink sees everything in order. The
// module runs on one thread, and JavaScript never pushes from inside a call from Go: no
// lock.
type pushState struct {
	owner *binding
	held  bool
	keep  []byte    // the bytes of the last batch handed over, until the next push
	out   [3]uint32 // the batch handed over: address, length, count
}

var push pushState

// bodyPush delivers to body id the n bytes JavaScript wrote in its buffer (n >= 0), its
// end (-1), or its failure (-2, with the error in the handle's failure). When it reports
// pushOver, the client's goroutine is ready to run: JavaScript then runs Go's scheduler.
//
//go:wasmexport polysse_push
//lint:ignore U1000 called by JavaScript, which staticcheck does not see
func bodyPush(id, n int32) int32 {
	b := bodyByID(id)
	if b == nil || b.deliver == nil {
		return pushOver
	}
	push.keep = nil
	push.owner = b.owner
	r := b.deliverPushed(n)
	push.owner = nil
	if push.held {
		b.owner.handOver()
		r |= pushBatch
	}
	return r
}

// deliverPushed delivers what bodyPush was given.
func (b *fetchBody) deliverPushed(n int32) int32 {
	switch {
	case n >= 0 && int(n) <= len(b.buf):
		if b.deliver(b.buf[:n], nil) {
			return 0
		}
		b.deliver = nil
	case n == -1:
		b.end(io.EOF)
	default:
		var failure error = errBadResponse
		if n == -2 {
			if err := try(func() { failure = bodyError(newJSError(b.res.Get("failure"))) }); err != nil {
				failure = err
			}
		}
		b.end(failure)
	}
	return pushOver
}
