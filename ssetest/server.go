//go:build !js

package ssetest

import (
	"net/http/httptest"
	"testing"
)

// NewServer serves f on a real socket (127.0.0.1) and closes it when t ends: for code
// that needs a URL rather than an *http.Client (a browser, another process). Its Client
// talks to it over the loopback interface.
func NewServer(t testing.TB, f *Fake) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv
}
