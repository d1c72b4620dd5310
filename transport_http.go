//go:build !js

package sse

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

func init() {
	DefaultTransport = HTTPTransport(nil)
}

// HTTPTransport returns a Transport that sends requests with client (http.DefaultClient
// when nil), following its redirect policy. Response.URL is the URL of the final request.
//
// HTTPTransport is not available under js, where requests go through fetch.
func HTTPTransport(client *http.Client) Transport {
	if client == nil {
		client = http.DefaultClient
	}
	return httpTransport{client}
}

type httpTransport struct{ c *http.Client }

func (t httpTransport) RoundTrip(c Context, req *Request) (*Response, error) {
	ctx, ok := c.(context.Context)
	if !ok {
		ctx = contextOf{c}
	}
	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body) // NewRequest sets GetBody, so redirects resend it
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, req.URL, body)
	if err != nil {
		// A URL or method that cannot be sent never will be.
		return nil, &permanentError{err}
	}
	hr.Header = http.Header(req.Header)
	resp, err := t.c.Do(hr)
	if err != nil {
		return nil, err
	}
	return &Response{
		StatusCode: resp.StatusCode,
		StatusText: strings.TrimPrefix(resp.Status, strconv.Itoa(resp.StatusCode)+" "),
		Header:     Header(resp.Header),
		URL:        resp.Request.URL.String(),
		Body:       resp.Body,
	}, nil
}

// permanentError wraps err so that it also matches ErrPermanent.
type permanentError struct{ err error }

func (e *permanentError) Error() string   { return e.err.Error() }
func (e *permanentError) Unwrap() []error { return []error{e.err, ErrPermanent} }

// contextOf makes a Context that is not a context.Context into one.
type contextOf struct{ Context }

func (contextOf) Deadline() (time.Time, bool) { return time.Time{}, false }
func (contextOf) Value(any) any               { return nil }
