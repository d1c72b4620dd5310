package jsbridge

import (
	"errors"
	"io"
	"strings"
	"sync"
	"syscall/js"
	"unicode/utf8"

	"github.com/polysse/sse"
)

// FetchTransport is an sse.Transport that uses the JavaScript fetch API: the response body
// is streamed through a ReadableStream reader and cancellation goes through an
// AbortController.
//
// The zero value looks up globalThis.fetch at every attempt, so that interceptors such as
// MSW installed after the client was created still see its requests. A failed cross-origin
// request whose server answers a no-cors probe is reported as a CORS failure, wrapping
// sse.ErrPermanent, so the client fails instead of retrying forever.
type FetchTransport struct {
	// Fetch is the fetch function to call; undefined means globalThis.fetch.
	Fetch js.Value
	// BeforeRead, if set, is called before every read of a response body waits for
	// more bytes. The EventSource binding delivers its batch of events there.
	BeforeRead func()
}

var (
	// ErrCORS is the cause of a cross-origin request that the browser refused.
	ErrCORS = errors.New("jsbridge: cross-origin request refused (CORS)")
	// ErrNoFetch is returned when no fetch function is available.
	ErrNoFetch = errors.New("jsbridge: fetch is not available")
)

// RoundTrip implements sse.Transport.
func (t *FetchTransport) RoundTrip(ctx sse.Context, req *sse.Request) (*sse.Response, error) {
	fetch := t.Fetch
	if !isFunction(fetch) {
		fetch = js.Global().Get("fetch")
	}
	if !isFunction(fetch) {
		return nil, errors.Join(ErrNoFetch, sse.ErrPermanent)
	}
	resp, stop, err := t.fetch(ctx, fetch, req)
	if err != nil && errors.Is(err, ErrCORS) && req.Header.Get("Last-Event-Id") != "" {
		// Native EventSource sends Last-Event-ID cross-origin without a CORS preflight;
		// fetch cannot, and a server that does not answer the preflight refuses the
		// reconnect. Reconnect without the header rather than fail: the stream resumes
		// from the start, as if the server did not keep ids.
		js.Global().Get("console").Call("warn", "polysse: the server refused the CORS preflight that the Last-Event-ID header needs; "+
			"reconnecting without it. Allow the header in Access-Control-Allow-Headers, or set lastEventIdQueryParameter.")
		h := req.Header.Clone()
		h.Del("Last-Event-Id")
		retry := *req
		retry.Header = h
		resp, stop, err = t.fetch(ctx, fetch, &retry)
	}
	if err != nil {
		return nil, err
	}
	// The abort stays armed while the body is read; Close disarms it.
	body := newFetchBody(resp, t.BeforeRead, ctx, stop)
	r := &sse.Response{
		StatusCode: resp.Get("status").Int(),
		StatusText: resp.Get("statusText").String(),
		Header:     headersOf(resp.Get("headers")),
		URL:        resp.Get("url").String(),
		Body:       body,
	}
	if r.URL == "" {
		r.URL = req.URL
	}
	return r, nil
}

// fetch sends one request and waits for its response headers. The returned stop disarms
// the abort on ctx; the caller owns it when err is nil.
func (t *FetchTransport) fetch(ctx sse.Context, fetch js.Value, req *sse.Request) (js.Value, func(), error) {
	ac := js.Global().Get("AbortController").New()
	stop := onDone(ctx, func() { ac.Call("abort") })
	init := fetchInit(req, ac.Get("signal"))
	var p js.Value
	if err := try(func() { p = fetch.Invoke(req.URL, init) }); err != nil {
		stop()
		// fetch threw synchronously: a malformed URL or header. It will not get better.
		return js.Undefined(), nil, errors.Join(err, sse.ErrPermanent)
	}
	resp, err := await(p)
	if err != nil {
		stop()
		if cerr := ctx.Err(); cerr != nil {
			return js.Undefined(), nil, cerr
		}
		if corsRefused(ctx, fetch, req) {
			return js.Undefined(), nil, errors.Join(ErrCORS, err, sse.ErrPermanent)
		}
		return js.Undefined(), nil, err
	}
	return resp, stop, nil
}

// fetchInit builds the RequestInit of req.
func fetchInit(req *sse.Request, signal js.Value) js.Value {
	init := js.Global().Get("Object").New()
	init.Set("method", req.Method)
	h := js.Global().Get("Object").New()
	for k, vs := range req.Header {
		if k == "Cache-Control" {
			// cache: "no-store" below puts Cache-Control: no-cache on the wire; as a
			// request header it would force a CORS preflight that native never sends.
			continue
		}
		v := strings.Join(vs, ", ")
		if k == "Last-Event-Id" {
			v = byteString(v)
		}
		h.Set(k, v)
	}
	init.Set("headers", h)
	if req.Body != nil {
		b := js.Global().Get("Uint8Array").New(len(req.Body))
		js.CopyBytesToJS(b, req.Body)
		init.Set("body", b)
	}
	if req.WithCredentials {
		init.Set("credentials", "include")
	} else {
		init.Set("credentials", "same-origin")
	}
	init.Set("cache", "no-store")
	init.Set("redirect", "follow")
	init.Set("signal", signal)
	return init
}

// byteString returns the JavaScript string whose code units are the UTF-8 bytes of s, the
// form in which fetch sends a header value (a ByteString).
func byteString(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteRune(rune(s[i]))
	}
	return b.String()
}

// headersOf copies a fetch Headers object.
func headersOf(h js.Value) sse.Header {
	out := sse.Header{}
	entries := js.Global().Get("Array").Call("from", h)
	for i, n := 0, entries.Length(); i < n; i++ {
		kv := entries.Index(i)
		out.Add(kv.Index(0).String(), kv.Index(1).String())
	}
	return out
}

// corsRefused tells a CORS refusal from a network error after a cross-origin fetch failed:
// it sends a no-cors HEAD probe to the same URL, and a server that answers it is up, so the
// failure was the browser's CORS check. The server sees the probe, which is sent only after
// a failed cross-origin attempt. Same-origin failures are not probed, so that a network
// error costs no extra request: a same-origin URL that redirects to another origin without
// CORS headers is retried like a network error (native fails it). Outside a browser
// document or worker (Node) there is no CORS, and it reports false.
func corsRefused(ctx sse.Context, fetch js.Value, req *sse.Request) bool {
	loc := js.Global().Get("location")
	if loc.Type() != js.TypeObject {
		return false
	}
	var cross bool
	if err := try(func() {
		u := js.Global().Get("URL").New(req.URL, loc.Get("href"))
		cross = u.Get("origin").String() != loc.Get("origin").String()
	}); err != nil || !cross {
		return false
	}
	ac := js.Global().Get("AbortController").New()
	defer onDone(ctx, func() { ac.Call("abort") })()
	init := js.Global().Get("Object").New()
	init.Set("method", "HEAD")
	init.Set("mode", "no-cors")
	init.Set("cache", "no-store")
	init.Set("signal", ac.Get("signal"))
	if req.WithCredentials {
		init.Set("credentials", "include")
	}
	var p js.Value
	if err := try(func() { p = fetch.Invoke(req.URL, init) }); err != nil {
		return false
	}
	_, err := await(p)
	ac.Call("abort")
	return err == nil
}

// fetchBody reads a fetch response body through a ReadableStream reader. It keeps a read
// pending at all times, up to a few chunks ahead of the consumer: a stream that errors
// (the connection dropped right after the server's last write) discards the chunks still
// queued in it, so bytes are taken out as soon as they arrive, as a native EventSource
// does.
type fetchBody struct {
	resp       js.Value
	beforeRead func()
	ctx        sse.Context
	stop       func()
	chunks     chan chunk

	mu      sync.Mutex
	reader  js.Value
	pending bool // a read() is under way
	ended   bool // the stream is done or failed, or the body closed
	onValue js.Func
	onError js.Func
	release bool // Close ran while a read was under way: release the callbacks when it settles

	cur    []byte // the chunk being returned, not yet consumed
	err    error  // the terminal error, once taken from chunks
	closed bool
}

type chunk struct {
	b   []byte
	err error // io.EOF at the end
}

// readAhead is how many chunks the body holds before the consumer takes them.
const readAhead = 8

func newFetchBody(resp js.Value, beforeRead func(), ctx sse.Context, stop func()) *fetchBody {
	b := &fetchBody{resp: resp, beforeRead: beforeRead, ctx: ctx, stop: stop, chunks: make(chan chunk, readAhead+1)}
	body := resp.Get("body")
	if body.Type() != js.TypeObject {
		b.ended = true
		b.chunks <- chunk{err: io.EOF}
		return b
	}
	if err := try(func() { b.reader = body.Call("getReader") }); err != nil {
		b.ended = true
		b.chunks <- chunk{err: err}
		return b
	}
	// The callbacks run on the JavaScript event loop: they must not block, and they don't
	// (the channel has room for every chunk the pump lets in).
	b.onValue = js.FuncOf(func(_ js.Value, args []js.Value) any {
		res := arg(args, 0)
		b.mu.Lock()
		defer b.mu.Unlock()
		b.pending = false
		if b.ended {
			b.releaseLocked()
			return nil
		}
		if res.Get("done").Truthy() {
			b.ended = true
			b.chunks <- chunk{err: io.EOF}
			return nil
		}
		v := res.Get("value")
		p := make([]byte, v.Get("byteLength").Int())
		js.CopyBytesToGo(p, v)
		b.chunks <- chunk{b: p}
		b.pumpLocked()
		return nil
	})
	b.onError = js.FuncOf(func(_ js.Value, args []js.Value) any {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.pending = false
		if !b.ended {
			b.ended = true
			b.chunks <- chunk{err: newJSError(arg(args, 0))}
		}
		b.releaseLocked()
		return nil
	})
	b.mu.Lock()
	b.pumpLocked()
	b.mu.Unlock()
	return b
}

// pumpLocked starts a read unless one is under way, the stream ended, or enough chunks wait.
func (b *fetchBody) pumpLocked() {
	if b.pending || b.ended || len(b.chunks) >= readAhead {
		return
	}
	b.pending = true
	if err := try(func() { b.reader.Call("read").Call("then", b.onValue, b.onError) }); err != nil {
		b.pending = false
		b.ended = true
		b.chunks <- chunk{err: err}
	}
}

// JSResponse returns the JavaScript Response object behind r, when r came from a
// FetchTransport, and undefined otherwise.
func JSResponse(r *sse.Response) js.Value {
	if b, ok := r.Body.(*fetchBody); ok {
		return b.resp
	}
	return js.Undefined()
}

func (b *fetchBody) Read(p []byte) (int, error) {
	if b.closed {
		return 0, errors.New("jsbridge: read from closed body")
	}
	if len(b.cur) == 0 && b.err == nil {
		if len(b.chunks) == 0 && b.beforeRead != nil {
			b.beforeRead() // about to wait: deliver what has been parsed
		}
		c := <-b.chunks
		b.cur, b.err = c.b, c.err
		b.mu.Lock()
		b.pumpLocked()
		b.mu.Unlock()
	}
	if len(b.cur) > 0 {
		n := copy(p, b.cur)
		b.cur = b.cur[n:]
		return n, nil
	}
	if b.err != io.EOF {
		if cerr := b.ctx.Err(); cerr != nil {
			return 0, cerr
		}
	}
	return 0, b.err
}

func (b *fetchBody) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	b.stop()
	b.mu.Lock()
	wasEnded := b.ended
	b.ended = true
	b.release = true
	if !b.pending {
		b.releaseLocked()
	}
	b.mu.Unlock()
	if !wasEnded && !b.reader.IsUndefined() {
		// A read under way settles after this, and its callback releases the callbacks.
		_ = try(func() { ignoreRejection(b.reader.Call("cancel")) })
	}
	return nil
}

// releaseLocked releases the read callbacks once Close has run and no read is under way.
// Releasing a js.Func from inside its own call is allowed.
func (b *fetchBody) releaseLocked() {
	if b.release && !b.pending && b.onValue.Type() == js.TypeFunction {
		b.onValue.Release()
		b.onError.Release()
		b.onValue, b.onError = js.Func{}, js.Func{}
	}
}
