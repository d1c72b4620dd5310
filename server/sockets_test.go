//go:build !js

package server_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/internal/testsupport"
	"github.com/polysse/sse/server"
)

// The tests in files built for every platform but js use real sockets, which js/wasm
// lacks; the others drive ServeHTTP with in-memory ResponseWriters.

// protocols are the HTTP versions every end-to-end test runs over.
var protocols = []string{"HTTP/1.1", "HTTP/2"}

// startServer serves h over proto ("HTTP/1.1" or "HTTP/2", the latter over TLS as
// net/http's own tests do) and returns the test server; use ts.Client(). configure, when
// given, adjusts the http.Server before it starts. It checks for leaked goroutines after
// the server is closed.
func startServer(t *testing.T, h http.Handler, proto string, configure ...func(*http.Server)) *httptest.Server {
	t.Helper()
	checkLeaks(t)
	ts := httptest.NewUnstartedServer(h)
	for _, f := range configure {
		f(ts.Config)
	}
	if proto == "HTTP/2" {
		ts.EnableHTTP2 = true
		ts.StartTLS()
	} else {
		ts.Start()
	}
	t.Cleanup(ts.Close)
	return ts
}

// stalledClient opens a stream over a raw connection with a small receive buffer and
// never reads from it. It is closed when the test ends.
func stalledClient(t *testing.T, addr, target string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	require.NoError(t, conn.(*net.TCPConn).SetReadBuffer(4096))
	_, err = fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: test\r\nAccept: text/event-stream\r\n\r\n", target)
	require.NoError(t, err)
}

// smallSendBuffers makes the server's connections fill up fast when not read.
func smallSendBuffers(hs *http.Server) {
	hs.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		_ = c.(*net.TCPConn).SetWriteBuffer(4096)
		return ctx
	}
}

// checkLeaks fails the test when, after its cleanups, goroutines running code of package
// server remain. Cleanups run last-registered first, so call it before registering the
// cleanups that stop servers.
func checkLeaks(t *testing.T) {
	t.Helper()
	t.Cleanup(func() {
		if stacks := testsupport.WaitLeaks(nil, 2*time.Second, isServerStack); stacks != "" {
			t.Errorf("leaked goroutines:\n%s", stacks)
		}
	})
}

// mustPublishTo publishes ev to topics and fails the test on error.
func mustPublishTo(t testing.TB, srv *server.Server, topics []string, ev sse.Event) string {
	t.Helper()
	id, err := srv.PublishTo(context.Background(), topics, ev)
	require.NoError(t, err)
	return id
}
