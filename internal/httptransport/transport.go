// Package httptransport adapts net/http to the client state machine of
// internal/eventsource: a Transport that sends each connection attempt with an
// *http.Client. The public package sse builds its Client on it; the WebAssembly polyfill
// never links it (it uses fetch).
package httptransport

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/polysse/sse/internal/eventsource"
)

// New returns a Transport that sends requests with client (http.DefaultClient when nil),
// following its redirect policy. prepare, when not nil, is called with every request just
// before it is sent: it may change it (set an Authorization header, say); its error fails
// the attempt, which the client retries. The Response's URL is the URL of the final
// request and its Raw field the *http.Response.
//
// The request's context is a context.Context in its own right: Err is context.Canceled
// once the attempt ends or the client closes, context.Cause tells why
// (eventsource.ErrClosed, eventsource.ErrHeartbeatTimeout or the error of the context
// given to Run), and Value and Deadline are those of the context given to Run.
func New(client *http.Client, prepare func(*http.Request) error) eventsource.Transport {
	if client == nil {
		client = http.DefaultClient
	}
	return &transport{client: client, prepare: prepare}
}

type transport struct {
	client  *http.Client
	prepare func(*http.Request) error
}

func (t *transport) RoundTrip(c eventsource.Context, req *eventsource.Request) (*eventsource.Response, error) {
	ctx, cancel := attemptContext(c)
	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body) // NewRequest sets GetBody, so redirects resend it
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, req.URL, body)
	if err != nil {
		cancel(nil)
		// A URL or method that cannot be sent never will be.
		return nil, &permanentError{err}
	}
	hr.Header = http.Header(req.Header)
	if t.prepare != nil {
		if err := t.prepare(hr); err != nil {
			cancel(nil)
			return nil, err
		}
	}
	resp, err := t.client.Do(hr)
	if err != nil {
		cancel(nil)
		return nil, err
	}
	return &eventsource.Response{
		StatusCode: resp.StatusCode,
		StatusText: strings.TrimPrefix(resp.Status, strconv.Itoa(resp.StatusCode)+" "),
		Header:     eventsource.Header(resp.Header),
		URL:        resp.Request.URL.String(),
		Body:       &attemptBody{ReadCloser: resp.Body, cancel: cancel},
		Raw:        resp,
	}, nil
}

// HTTPResponse returns the *http.Response behind r, or nil when r did not come from a
// Transport of this package.
func HTTPResponse(r *eventsource.Response) *http.Response {
	hr, _ := r.Raw.(*http.Response)
	return hr
}

// attemptContext returns a standard context.Context for one attempt: Done when c is (or
// when cancel is called), Err context.Canceled, Cause c's error; Value and Deadline
// delegate to c. One goroutine carries c's end over; it exits when either side is done.
func attemptContext(c eventsource.Context) (context.Context, context.CancelCauseFunc) {
	ctx, cancel := context.WithCancelCause(detached{c})
	go func() {
		select {
		case <-c.Done():
			cancel(c.Err())
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// detached gives a context.Context the values and deadline of an eventsource.Context
// (whose scopes delegate both to the context given to Run) but never ends by itself.
type detached struct{ c eventsource.Context }

func (detached) Done() <-chan struct{} { return nil }
func (detached) Err() error            { return nil }

func (d detached) Deadline() (time.Time, bool) {
	if dl, ok := d.c.(interface{ Deadline() (time.Time, bool) }); ok {
		return dl.Deadline()
	}
	return time.Time{}, false
}

func (d detached) Value(key any) any {
	if v, ok := d.c.(interface{ Value(any) any }); ok {
		return v.Value(key)
	}
	return nil
}

// attemptBody ends the attempt's context when the client closes the response body.
type attemptBody struct {
	io.ReadCloser
	cancel context.CancelCauseFunc
}

func (b *attemptBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel(nil)
	return err
}

// permanentError wraps err so that it also matches eventsource.ErrPermanent.
type permanentError struct{ err error }

func (e *permanentError) Error() string   { return e.err.Error() }
func (e *permanentError) Unwrap() []error { return []error{e.err, eventsource.ErrPermanent} }
