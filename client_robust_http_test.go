//go:build !js

package sse_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/polysse/sse"
	"github.com/polysse/sse/internal/testsupport"
)

// TestClientLongIDOverHTTP: over real HTTP, a 2 MiB id sent back as Last-Event-ID makes a
// net/http server answer 431, which fails the client for good. With the default bound the
// id is not stored and the reconnect works; without a bound (MaxLastEventIDLen < 0) the
// failure is what it was.
func TestClientLongIDOverHTTP(t *testing.T) {
	testsupport.CheckLeaks(t)
	long := strings.Repeat("x", 2<<20) // more than net/http.DefaultMaxHeaderBytes
	for _, tc := range []struct {
		name   string
		max    int
		status int // of the reconnect
		err    sse.CloseReason
	}{
		{"default bound: the reconnect sends the previous id", 0, 204, ""},
		{"no bound: 431, the client fails", -1, http.StatusRequestHeaderFieldsTooLarge, sse.CloseHTTPStatus},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var got []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				got = append(got, r.Header.Get("Last-Event-ID"))
				n := len(got)
				mu.Unlock()
				if n > 1 {
					w.WriteHeader(http.StatusNoContent)
					return
				}
				w.Header().Set("Content-Type", "text/event-stream")
				io.WriteString(w, "id: first\ndata: 1\n\nid: "+long+"\ndata: 2\n\n")
			}))
			defer srv.Close()
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			c := sse.NewClient(srv.URL, &sse.ClientOptions{
				MaxLastEventIDLen: tc.max,
				Retry:             sse.RetryPolicy{Initial: 10 * time.Millisecond},
			})
			err := c.Run(ctx)
			var ce *sse.CloseError
			if tc.err == "" {
				require.NoError(t, err)
				assert.Equal(t, sse.CloseNoContent, c.CloseInfo().Reason)
				mu.Lock()
				assert.Equal(t, []string{"", "first"}, got)
				mu.Unlock()
				return
			}
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tc.err, ce.Reason)
			assert.Equal(t, tc.status, ce.Status)
		})
	}
}
