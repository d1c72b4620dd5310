package jsbridge

import (
	"errors"
	"io"
	"strings"
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
	ac := js.Global().Get("AbortController").New()
	stop := onDone(ctx, func() { ac.Call("abort") })

	init := fetchInit(req, ac.Get("signal"))
	var p js.Value
	if err := try(func() { p = fetch.Invoke(req.URL, init) }); err != nil {
		stop()
		// fetch threw synchronously: a malformed URL or header. It will not get better.
		return nil, errors.Join(err, sse.ErrPermanent)
	}
	resp, err := await(p)
	if err != nil {
		stop()
		if cerr := ctx.Err(); cerr != nil {
			return nil, cerr
		}
		if t.corsRefused(ctx, fetch, req) {
			return nil, errors.Join(ErrCORS, err, sse.ErrPermanent)
		}
		return nil, err
	}
	// The abort stays armed while the body is read; Close disarms it.
	body := &fetchBody{resp: resp, beforeRead: t.BeforeRead, ctx: ctx, stop: stop}
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

// fetchInit builds the RequestInit of req.
func fetchInit(req *sse.Request, signal js.Value) js.Value {
	init := js.Global().Get("Object").New()
	init.Set("method", req.Method)
	h := js.Global().Get("Object").New()
	for k, vs := range req.Header {
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

// corsRefused tells a CORS refusal from a network error after a fetch failed: for a
// cross-origin URL it sends a no-cors probe; a server that answers it is up, so the first
// failure was the browser's CORS check.
func (t *FetchTransport) corsRefused(ctx sse.Context, fetch js.Value, req *sse.Request) bool {
	loc := js.Global().Get("location")
	if loc.Type() != js.TypeObject {
		return false // not a browser document or worker: no CORS
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
	ac.Call("abort") // the probe's body is not wanted
	return err == nil
}

// fetchBody reads a fetch response body through a ReadableStream reader.
type fetchBody struct {
	resp       js.Value
	reader     js.Value
	beforeRead func()
	ctx        sse.Context
	stop       func()
	chunk      []byte // bytes of the current JavaScript chunk not yet returned
	buf        []byte
	done       bool
	closed     bool
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
	if len(b.chunk) > 0 {
		n := copy(p, b.chunk)
		b.chunk = b.chunk[n:]
		return n, nil
	}
	if b.done {
		return 0, io.EOF
	}
	if b.closed {
		return 0, errors.New("jsbridge: read from closed body")
	}
	if b.beforeRead != nil {
		b.beforeRead()
	}
	if b.reader.IsUndefined() {
		body := b.resp.Get("body")
		if body.IsNull() || body.IsUndefined() {
			b.done = true
			return 0, io.EOF
		}
		if err := try(func() { b.reader = body.Call("getReader") }); err != nil {
			return 0, err
		}
	}
	res, err := await(b.reader.Call("read"))
	if err != nil {
		if cerr := b.ctx.Err(); cerr != nil {
			return 0, cerr
		}
		return 0, err
	}
	if res.Get("done").Truthy() {
		b.done = true
		return 0, io.EOF
	}
	v := res.Get("value")
	n := v.Get("byteLength").Int()
	if n <= len(p) {
		return js.CopyBytesToGo(p, v), nil
	}
	if cap(b.buf) < n {
		b.buf = make([]byte, n)
	}
	b.buf = b.buf[:n]
	js.CopyBytesToGo(b.buf, v)
	m := copy(p, b.buf)
	b.chunk = b.buf[m:]
	return m, nil
}

func (b *fetchBody) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	b.stop()
	if !b.done {
		if !b.reader.IsUndefined() {
			_ = try(func() { ignoreRejection(b.reader.Call("cancel")) })
		} else if body := b.resp.Get("body"); body.Type() == js.TypeObject {
			_ = try(func() { ignoreRejection(body.Call("cancel")) })
		}
	}
	return nil
}
