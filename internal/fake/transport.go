package fake

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
)

// DefaultMaxBuffered is the default of Transport.MaxBuffered.
const DefaultMaxBuffered = 256 << 10

// Transport is an in-memory http.RoundTripper: it serves each request with Handler in a
// goroutine of its own and returns the response as soon as the head is written, with a
// body that yields each flushed chunk as the handler flushes it. No socket and no timer
// of its own is involved, so it works inside a testing/synctest bubble: an idle stream
// is a goroutine durably blocked on a channel.
//
// The request's context reaches the handler: cancelling it, or closing the response
// body, ends the handler's request context (the client went away). A handler that drops
// the connection (panics with http.ErrAbortHandler) fails RoundTrip, or the body's Read,
// with an error wrapping ErrDropped, as a network error would. Request bodies are read
// whole before the handler starts.
type Transport struct {
	// Handler serves the requests.
	Handler http.Handler
	// MaxBuffered bounds the bytes a response body holds for a client that does not
	// read; beyond it the handler's flushes wait (and its write deadlines apply). Zero
	// means DefaultMaxBuffered.
	MaxBuffered int
	// Logger receives handler panics other than http.ErrAbortHandler. Nil means
	// slog.Default().
	Logger *slog.Logger
}

// RemoteAddr is the RemoteAddr of the requests the Transport serves.
const RemoteAddr = "192.0.2.1:1234"

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	sreq, err := serverRequest(req)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	stop := context.AfterFunc(req.Context(), func() { cancel(context.Cause(req.Context())) })
	limit := t.MaxBuffered
	if limit <= 0 {
		limit = DefaultMaxBuffered
	}
	p := &pipe{
		limit:    limit,
		headed:   make(chan struct{}),
		readable: make(chan struct{}),
		ctx:      req.Context(),
		cancel:   cancel,
	}
	sreq = sreq.WithContext(ctx)
	stopFail := context.AfterFunc(ctx, func() { p.fail(errClientGone) }) // a flush waiting for room fails
	go func() {
		Serve(t.Handler, sreq, p, t.Logger) // it recovers the handler's panics
		stopFail()
		cancel(context.Canceled) // as net/http does when ServeHTTP returns
		stop()
	}()
	select {
	case <-p.headed:
	case <-req.Context().Done():
	}
	if err := req.Context().Err(); err != nil {
		cancel(context.Cause(req.Context()))
		return nil, err
	}
	p.mu.Lock()
	status, header, endErr, headed := p.status, p.header, p.endErr, p.status != 0
	p.mu.Unlock()
	if !headed {
		return nil, endErr // http.Client wraps it with the method and URL
	}
	resp := &http.Response{
		Status:        strconv.Itoa(status) + " " + http.StatusText(status),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        header,
		Body:          &body{p: p},
		ContentLength: -1,
		Request:       req,
	}
	if cl := header.Get("Content-Length"); cl != "" {
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil {
			resp.ContentLength = n
		}
	}
	if req.Method == http.MethodHead || status == http.StatusNoContent || status == http.StatusNotModified {
		resp.ContentLength = 0
	}
	return resp, nil
}

// serverRequest returns the request a server would see for req: the path and query as
// URL, the host as Host, the header (without Host), the body read whole.
func serverRequest(req *http.Request) (*http.Request, error) {
	if req.URL == nil {
		return nil, errors.New("fake: request without a URL")
	}
	var b []byte
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		b, err = io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("fake: reading the request body: %w", err)
		}
	}
	u := &url.URL{Path: req.URL.Path, RawPath: req.URL.RawPath, RawQuery: req.URL.RawQuery}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	s := &http.Request{
		Method:     method,
		URL:        u,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     req.Header.Clone(),
		Host:       host,
		RemoteAddr: RemoteAddr,
		RequestURI: u.RequestURI(),
		Body:       http.NoBody,
	}
	if s.Header == nil {
		s.Header = make(http.Header)
	}
	if len(b) > 0 {
		s.Body = io.NopCloser(bytes.NewReader(b))
		s.ContentLength = int64(len(b))
		s.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	return s, nil
}

// pipe is the Sink of one response of the Transport and the source of its body.
type pipe struct {
	limit  int
	ctx    context.Context // the client's request context
	cancel context.CancelCauseFunc

	mu       sync.Mutex
	headed   chan struct{} // closed at Head or at an End without a head
	status   int
	header   http.Header
	chunks   [][]byte
	off      int // read offset in chunks[0]
	buffered int
	room     chan error    // closed when buffered drops to the limit, or fed an error (nil: not waiting)
	failed   error         // the consumer went away: every Chunk fails with it
	readable chan struct{} // closed and replaced when chunks or the end arrive
	ended    bool
	endErr   error
	closed   bool // the client closed the body
}

var errBodyClosed = errors.New("fake: read on a closed response body")

// errClientGone is the cause of a request context the client ended by closing the body.
var errClientGone = errors.New("fake: the client closed the response body")

func (p *pipe) Head(status int, h http.Header) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.status, p.header = status, h
	close(p.headed)
}

func (p *pipe) Chunk(b []byte) (<-chan error, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.failed != nil {
		return nil, p.failed
	}
	p.chunks = append(p.chunks, b)
	p.buffered += len(b)
	p.wakeLocked()
	if p.buffered <= p.limit {
		return nil, nil
	}
	if p.room == nil {
		p.room = make(chan error, 1)
	}
	return p.room, nil
}

// fail makes every later Chunk, and one waiting for room, fail with err: the client
// went away.
func (p *pipe) fail(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.failed == nil {
		p.failed = err
	}
	if p.room != nil {
		p.room <- err
		close(p.room)
		p.room = nil
	}
}

func (p *pipe) End(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ended, p.endErr = true, err
	if p.status == 0 {
		close(p.headed)
	}
	p.wakeLocked()
}

func (p *pipe) wakeLocked() {
	close(p.readable)
	p.readable = make(chan struct{})
}

// body is the response body of the Transport.
type body struct{ p *pipe }

// Read returns the bytes of the next chunk (a chunk is never merged with the next one),
// io.EOF after a clean end, an error wrapping ErrDropped after a drop, and the request
// context's error once it is done.
func (b *body) Read(dst []byte) (int, error) {
	p := b.p
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return 0, errBodyClosed
		}
		if len(p.chunks) > 0 {
			c := p.chunks[0][p.off:]
			n := copy(dst, c)
			p.off += n
			p.buffered -= n
			if p.off == len(p.chunks[0]) {
				p.chunks[0] = nil
				p.chunks, p.off = p.chunks[1:], 0
			}
			if p.room != nil && p.buffered <= p.limit {
				close(p.room)
				p.room = nil
			}
			p.mu.Unlock()
			return n, nil
		}
		if p.ended {
			err := p.endErr
			p.mu.Unlock()
			if err == nil {
				return 0, io.EOF
			}
			return 0, err
		}
		wake := p.readable
		p.mu.Unlock()
		select {
		case <-wake:
		case <-p.ctx.Done():
			p.cancel(context.Cause(p.ctx))
			return 0, p.ctx.Err()
		}
	}
}

// Close ends the handler's request context (the client went away) unless the response
// had ended.
func (b *body) Close() error {
	p := b.p
	p.mu.Lock()
	p.closed = true
	p.chunks, p.buffered = nil, 0
	p.mu.Unlock()
	p.fail(errClientGone)
	p.cancel(errClientGone)
	return nil
}
