//go:build js && wasm

package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sync"
	"syscall/js"

	"github.com/polysse/sse/internal/fake"
)

// request is a request from JavaScript being served: its cancellation (the client went
// away) and its sink.
type request struct {
	cancel context.CancelCauseFunc
	sink   *jsSink
}

// errClientGone is the cause of a request's context when JavaScript aborted it (the
// fetch's signal, a cancelled body, a closed socket).
var errClientGone = errors.New("polysse fake: the client went away")

// newRequest returns the request a server would see for a request JavaScript makes:
// the path and query as URL, the URL's host as Host, the header, the body.
func newRequest(ctx context.Context, method, rawURL string, pairs js.Value, body []byte) (*http.Request, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, invalid("the URL " + rawURL + " is not an absolute http: or https: URL")
	}
	if method == "" {
		method = http.MethodGet
	}
	ru := &url.URL{Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery}
	if ru.Path == "" {
		ru.Path = "/"
	}
	r := &http.Request{
		Method: method, URL: ru, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: headerOf(pairs), Host: u.Host, RemoteAddr: fake.RemoteAddr, RequestURI: ru.RequestURI(),
		Body: http.NoBody,
	}
	if u.Scheme == "https" {
		r.TLS = &tls.ConnectionState{}
	}
	if len(body) > 0 {
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	return r.WithContext(ctx), nil
}

// headerOf reads an array of [name, value] pairs (undefined or null: none).
func headerOf(pairs js.Value) http.Header {
	h := http.Header{}
	if pairs.Type() != js.TypeObject {
		return h
	}
	for i, n := 0, pairs.Length(); i < n; i++ {
		p := pairs.Index(i)
		h.Add(p.Index(0).String(), p.Index(1).String())
	}
	return h
}

// pairsOf returns h as a JavaScript array of [name, value] pairs.
func pairsOf(h http.Header) js.Value {
	out := make([]any, 0, len(h))
	for k, vs := range h {
		for _, v := range vs {
			out = append(out, []any{k, v})
		}
	}
	return js.ValueOf(out)
}

// bytesOf copies a Uint8Array (undefined or null: none).
func bytesOf(v js.Value) []byte {
	if v.Type() != js.TypeObject {
		return nil
	}
	b := make([]byte, v.Get("byteLength").Int())
	js.CopyBytesToGo(b, v)
	return b
}

// u8 returns a new Uint8Array holding b.
func u8(b []byte) js.Value {
	u := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(u, b)
	return u
}

func (b *binding) handles(args []js.Value) any {
	eng, err := b.engine(arg(args, 0))
	if err != nil {
		return errValue(err)
	}
	r, err := newRequest(context.Background(), arg(args, 1).String(), arg(args, 2).String(), arg(args, 3), nil)
	if err != nil {
		return errValue(err)
	}
	return eng.e.Handles(r)
}

func (b *binding) serve(args []js.Value) any {
	eng, err := b.engine(arg(args, 0))
	if err != nil {
		return errValue(err)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	r, err := newRequest(ctx, arg(args, 1).String(), arg(args, 2).String(), arg(args, 3), bytesOf(arg(args, 4)))
	if err != nil {
		cancel(err)
		return errValue(err)
	}
	sv := arg(args, 5)
	sink := &jsSink{head: sv.Get("head"), chunk: sv.Get("chunk"), end: sv.Get("end")}
	req := &request{cancel: cancel, sink: sink}
	id := b.add(func(id int) { b.reqs[id] = req })
	sink.done = func() {
		b.mu.Lock()
		delete(b.reqs, id)
		b.mu.Unlock()
		cancel(context.Canceled) // as net/http does when ServeHTTP returns
	}
	go fake.Serve(eng.h, r, sink, eng.log)
	return id
}

func (b *binding) req(v js.Value) *request {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.reqs[v.Int()]
}

func (b *binding) pull(args []js.Value) any {
	if req := b.req(arg(args, 0)); req != nil {
		req.sink.room()
	}
	return nil
}

func (b *binding) abort(args []js.Value) any {
	if req := b.req(arg(args, 0)); req != nil {
		req.sink.gone()
		req.cancel(errClientGone)
	}
	return nil
}

// jsSink hands a response to JavaScript: head, then a chunk per flush, then the end.
// Its head, chunk and end functions are the JavaScript side's (web/fake/src/engine.js).
type jsSink struct {
	head, chunk, end js.Value
	done             func()

	mu      sync.Mutex
	waiting chan error // closed when the consumer has room, fed an error when it goes away (nil: not waiting)
	early   bool       // room was signalled while not waiting
	isGone  bool
}

func (s *jsSink) Head(status int, h http.Header) {
	_ = try(func() { s.head.Invoke(status, pairsOf(h), http.StatusText(status)) })
}

func (s *jsSink) Chunk(p []byte) (<-chan error, error) {
	s.mu.Lock()
	gone := s.isGone
	s.mu.Unlock()
	if gone {
		return nil, errClientGone
	}
	state := -1
	if err := try(func() { state = s.chunk.Invoke(u8(p)).Int() }); err != nil || state < 0 {
		s.gone()
		return nil, errClientGone
	}
	if state > 0 {
		return nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.isGone {
		return nil, errClientGone
	}
	if s.early {
		s.early = false
		return nil, nil
	}
	s.waiting = make(chan error, 1)
	return s.waiting, nil
}

func (s *jsSink) End(err error) {
	var msg any
	if err != nil {
		msg = err.Error()
	}
	_ = try(func() { s.end.Invoke(msg) })
	s.done()
}

// room wakes a flush waiting for the consumer.
func (s *jsSink) room() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.waiting != nil {
		close(s.waiting)
		s.waiting = nil
		return
	}
	s.early = true
}

// gone marks the consumer gone: later chunks fail, and so does a flush waiting for room.
func (s *jsSink) gone() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.isGone = true
	if s.waiting != nil {
		s.waiting <- errClientGone
		close(s.waiting)
		s.waiting = nil
	}
}
