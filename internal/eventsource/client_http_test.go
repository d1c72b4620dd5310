//go:build !js

package eventsource_test

// The "http" environment of the client tests (real httptest servers and the net/http
// transport) and the tests that only make sense over real HTTP: redirects, connection
// refused, URLs net/http cannot send. See client_table_test.go for the shared tests.

import (
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/polysse/sse/internal/eventsource"
	"github.com/polysse/sse/internal/httptransport"
	"github.com/polysse/sse/ssetest"
)

func init() {
	clientTestEnvs = append(clientTestEnvs, clientTestEnv{name: "http", serve: clientTestServeHTTP})
}

// clientTestServeHTTP runs f with the fake serving replies on a real socket and the
// net/http transport of a client that opens a connection per request (so that no request
// is retried silently on a reused connection that the fake drops).
func clientTestServeHTTP(t *testing.T, replies []clientTestReply, f func(t *testing.T, s *clientTestServer)) {
	checkLeaks(t)
	s := clientTestNewServer(t, replies, false)
	srv := ssetest.NewServer(t, s.fake)
	s.URL = srv.URL
	s.Transport = httptransport.New(&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}, nil)
	f(t, s)
}

// TestClientRedirect: a redirect to a 200 stream works (net/http follows it) and
// Response.URL is the final URL; a 307 resends a POST body.
func TestClientRedirect(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		method string
	}{
		{"302 GET", 302, "GET"},
		{"307 GET", 307, "GET"},
		{"307 POST", 307, "POST"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			replies := []clientTestReply{
				clientTestStatus(tc.status, "Location", "/final?x=1"),
				clientTestHeld("data: x\n\n"),
			}
			clientTestServeHTTP(t, replies, func(t *testing.T, s *clientTestServer) {
				opts := eventsource.ClientOptions{Transport: s.Transport, Method: tc.method}
				if tc.method == "POST" {
					opts.Body = []byte("payload")
				}
				c, rec := clientTestNewClient(s.URL+"/start", opts, "event")
				require.NoError(t, clientTestRun(t, s, c))
				assert.Equal(t, []string{`open OPEN`, `event message id="" data="x" OPEN`, clientTestCloseLocal}, rec.entries())
				clientTestCheckClosed(t, c, rec)

				require.Len(t, rec.opens, 1)
				assert.Equal(t, s.URL+"/final?x=1", rec.opens[0].URL, "Response.URL is the final URL")
				reqs := s.requests()
				require.Len(t, reqs, 2)
				assert.Equal(t, "/start", reqs[0].URL)
				assert.Equal(t, "/final?x=1", reqs[1].URL)
				for _, req := range reqs {
					assert.Equal(t, tc.method, req.Method)
					assert.Equal(t, string(opts.Body), req.Body)
					assert.Equal(t, []string{"text/event-stream"}, req.Header["Accept"])
				}
			})
		})
	}
}

// TestClientConnectionRefused: a network error (nothing listens) is an error event in
// CONNECTING with RetryIn, and the client reconnects, here until MaxAttempts.
func TestClientConnectionRefused(t *testing.T) {
	checkLeaks(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	c, rec := clientTestNewClient("http://"+addr+"/stream", eventsource.ClientOptions{
		Transport: httptransport.New(&http.Client{Transport: &http.Transport{}}, nil),
		Retry:     eventsource.RetryPolicy{Initial: time.Millisecond, Min: time.Millisecond, Multiplier: 2, MaxAttempts: 2},
		OnError:   func(ei *eventsource.ErrorInfo) { assert.Error(t, ei.Err) },
	})
	s := clientTestNewServer(t, nil, false)
	err = clientTestRun(t, s, c)
	assert.Equal(t, []string{
		`error CONNECTING attempt=1 status=0() retryIn=1ms err=other`,
		`error CONNECTING attempt=2 status=0() retryIn=2ms err=other`,
		`error CLOSED attempt=3 status=0() retryIn=0s err=other`,
		`close retry-limit fatal=true local=false status=0() data="" err=other CLOSED`,
	}, rec.entries())
	clientTestCheckErr(t, err, eventsource.CloseRetryLimit)
	clientTestCheckClosed(t, c, rec)
	var ce *eventsource.CloseError
	require.ErrorAs(t, err, &ce)
	var opErr *net.OpError
	assert.ErrorAs(t, ce.Err, &opErr, "the transport error is kept")
}

// TestClientUnsendableURL: a URL net/http cannot send fails the connection for good with
// close reason network (the transport's error wraps ErrPermanent).
func TestClientUnsendableURL(t *testing.T) {
	checkLeaks(t)
	s := clientTestNewServer(t, nil, false)
	c, rec := clientTestNewClient("http://[::1", eventsource.ClientOptions{Transport: httptransport.New(nil, nil)})
	err := clientTestRun(t, s, c)
	assert.Equal(t, []string{
		`error CLOSED attempt=1 status=0() retryIn=0s err=permanent`,
		`close network fatal=true local=false status=0() data="" err=permanent CLOSED`,
	}, rec.entries())
	clientTestCheckErr(t, err, eventsource.CloseNetwork)
	assert.ErrorIs(t, err, eventsource.ErrPermanent)
	clientTestCheckClosed(t, c, rec)
}

// TestClientLastEventIDQueryFragment: the parameter goes into the query, not
// after the fragment (net/http does not send the fragment, so a misplaced parameter would
// be lost).
func TestClientLastEventIDQueryFragment(t *testing.T) {
	for _, tc := range []struct{ path, want string }{
		{"/s#frag", "/s?lei=a%2Bb"},
		{"/s?a=1#frag", "/s?a=1&lei=a%2Bb"},
		{"/s?#frag", "/s?lei=a%2Bb"},
		{"/s?a=1&#frag?x", "/s?a=1&lei=a%2Bb"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			clientTestServeHTTP(t, []clientTestReply{clientTestStatus(204)}, func(t *testing.T, s *clientTestServer) {
				c, _ := clientTestNewClient(s.URL+tc.path, eventsource.ClientOptions{
					Transport:        s.Transport,
					LastEventID:      "a+b",
					LastEventIDQuery: "lei",
				})
				require.NoError(t, clientTestRun(t, s, c))
				reqs := s.requests()
				require.Len(t, reqs, 1)
				assert.Equal(t, tc.want, reqs[0].URL)
				u, err := url.Parse(reqs[0].URL)
				require.NoError(t, err)
				assert.Equal(t, []string{"a+b"}, u.Query()["lei"])
			})
		})
	}
}
