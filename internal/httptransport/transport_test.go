package httptransport_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/polysse/sse/internal/eventsource"
	"github.com/polysse/sse/internal/httptransport"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

type key struct{}

func request(url string) *eventsource.Request {
	h := eventsource.Header{}
	h.Set("Accept", "text/event-stream")
	return &eventsource.Request{Method: "POST", URL: url, Header: h, Body: []byte("body")}
}

// TestRoundTrip: the request reaches net/http as given, the response comes back with the
// reason phrase alone, the final URL and the *http.Response in Raw.
func TestRoundTrip(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var got *http.Request
		client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			got = r
			return &http.Response{
				StatusCode: 200, Status: "200 OK", Header: http.Header{"Content-Type": {"text/event-stream"}},
				Body: io.NopCloser(strings.NewReader("data: x\n\n")), Request: r,
			}, nil
		})}
		tr := httptransport.New(client, func(r *http.Request) error {
			r.Header.Set("Authorization", "Bearer t")
			return nil
		})
		resp, err := tr.RoundTrip(t.Context(), request("http://h.test/s?a=1"))
		require.NoError(t, err)
		defer resp.Body.Close()
		assert.Equal(t, "POST", got.Method)
		assert.Equal(t, "Bearer t", got.Header.Get("Authorization"))
		assert.Equal(t, "text/event-stream", got.Header.Get("Accept"))
		body, _ := io.ReadAll(got.Body)
		assert.Equal(t, "body", string(body))
		assert.Equal(t, 200, resp.StatusCode)
		assert.Equal(t, "OK", resp.StatusText)
		assert.Equal(t, "http://h.test/s?a=1", resp.URL)
		assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
		assert.Same(t, httptransport.HTTPResponse(resp), resp.Raw.(*http.Response))
		data, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		assert.Equal(t, "data: x\n\n", string(data))
		assert.Nil(t, httptransport.HTTPResponse(&eventsource.Response{}), "not from this transport")
	})
}

// TestRequestContext: the request's context is a standard one: the values and deadline of
// the caller's, Err context.Canceled once the caller's ends with the caller's error as its
// cause, or once the body is closed; its goroutine ends either way (synctest checks).
func TestRequestContext(t *testing.T) {
	for _, end := range []string{"caller", "body closed"} {
		t.Run(end, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				deadline := time.Now().Add(time.Hour)
				parent, cancelDeadline := context.WithDeadline(context.WithValue(t.Context(), key{}, "v"), deadline)
				defer cancelDeadline()
				caller, cancel := context.WithCancelCause(parent)
				var reqCtx context.Context
				client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
					reqCtx = r.Context()
					return &http.Response{StatusCode: 200, Status: "200 OK", Header: http.Header{}, Body: http.NoBody, Request: r}, nil
				})}
				resp, err := httptransport.New(client, nil).RoundTrip(caller, request("http://h.test/"))
				require.NoError(t, err)
				assert.Equal(t, "v", reqCtx.Value(key{}))
				d, ok := reqCtx.Deadline()
				assert.True(t, ok)
				assert.Equal(t, deadline, d)
				require.NoError(t, reqCtx.Err())
				boom := errors.New("heartbeat")
				if end == "caller" {
					cancel(boom)
					synctest.Wait()
					assert.Equal(t, context.Canceled, reqCtx.Err())
					assert.ErrorIs(t, context.Cause(reqCtx), context.Canceled, "the caller's Err is its cause")
				} else {
					require.NoError(t, resp.Body.Close())
					assert.Equal(t, context.Canceled, reqCtx.Err())
					cancel(boom)
				}
			})
		})
	}
}

// TestRoundTripErrors: a request net/http cannot build is permanent; a PrepareRequest
// error and a transport error are returned as they are (the client retries them).
func TestRoundTripErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		refused := errors.New("refused")
		client := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, refused })}

		_, err := httptransport.New(client, nil).RoundTrip(t.Context(), request("http://[::1"))
		assert.ErrorIs(t, err, eventsource.ErrPermanent)

		_, err = httptransport.New(client, nil).RoundTrip(t.Context(), &eventsource.Request{Method: "BAD METHOD", URL: "http://h.test/"})
		assert.ErrorIs(t, err, eventsource.ErrPermanent)

		token := errors.New("no token")
		_, err = httptransport.New(client, func(*http.Request) error { return token }).RoundTrip(t.Context(), request("http://h.test/"))
		assert.Same(t, token, err)
		assert.NotErrorIs(t, err, eventsource.ErrPermanent)

		_, err = httptransport.New(client, nil).RoundTrip(t.Context(), request("http://h.test/"))
		assert.ErrorIs(t, err, refused)
		assert.NotErrorIs(t, err, eventsource.ErrPermanent)
	})
}
