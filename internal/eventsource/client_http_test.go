//go:build !js

package eventsource_test

// The "http" environment of the client tests (real httptest servers and the net/http
// transport) and the tests that only make sense over real HTTP: redirects, connection
// refused, URLs net/http cannot send. See client_table_test.go for the shared tests.

import (
	"cmp"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/polysse/sse/internal/eventsource"
	"github.com/polysse/sse/internal/httptransport"
)

func init() {
	clientTestEnvs = append(clientTestEnvs, clientTestEnv{name: "http", serve: clientTestServeHTTP})
}

// clientTestServeHTTP runs f with an httptest server answering with replies and the
// net/http transport of its client.
func clientTestServeHTTP(t *testing.T, replies []clientTestReply, f func(t *testing.T, s *clientTestServer)) {
	checkLeaks(t)
	s := clientTestNewServer(replies, false)
	srv := httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	s.URL = srv.URL
	s.Transport = httptransport.New(srv.Client(), nil)
	f(t, s)
}

func (s *clientTestServer) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rep := s.record(clientTestRequest{
		Method: r.Method,
		URL:    r.URL.RequestURI(),
		Header: r.Header.Clone(),
		Body:   string(body),
		At:     time.Now(),
	})
	rc := http.NewResponseController(w)
	if rep.wait > 0 {
		select {
		case <-time.After(rep.wait):
		case <-r.Context().Done():
			return
		}
	}
	switch {
	case rep.stall:
		<-r.Context().Done()
		return
	case rep.fail:
		// Answer with garbage and close the connection: a network error for the client.
		// (Closing without a byte would make net/http silently retry the request when the
		// connection was a reused keep-alive one.)
		conn, _, err := rc.Hijack()
		if err != nil {
			panic(err)
		}
		_, _ = io.WriteString(conn, "garbage\r\n\r\n")
		conn.Close()
		return
	}
	for i := 0; i+1 < len(rep.header); i += 2 {
		if v := rep.header[i+1]; v != "" {
			w.Header().Set(rep.header[i], v)
		} else {
			w.Header()[http.CanonicalHeaderKey(rep.header[i])] = nil // no sniffing either
		}
	}
	w.WriteHeader(cmp.Or(rep.status, 200))
	_ = rc.Flush()
	for _, b := range rep.body {
		switch b := b.(type) {
		case string:
			if _, err := io.WriteString(w, b); err != nil {
				return
			}
			_ = rc.Flush()
		case time.Duration:
			select {
			case <-time.After(b):
			case <-r.Context().Done():
				return
			}
		}
	}
	if rep.hold {
		<-r.Context().Done()
	}
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
		Retry:     eventsource.RetryPolicy{Initial: time.Millisecond, Multiplier: 2, MaxAttempts: 2},
		OnError:   func(ei *eventsource.ErrorInfo) { assert.Error(t, ei.Err) },
	})
	s := clientTestNewServer(nil, false)
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
	s := clientTestNewServer(nil, false)
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
