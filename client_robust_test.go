package sse_test

// The public Client against bad servers (it can never storm; its stored last event ID is
// bounded) and its Restart and OnComment, in testing/synctest bubbles against the fake
// SSE server in memory, as in client_test.go.

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/polysse/sse"
	"github.com/polysse/sse/server"
	"github.com/polysse/sse/ssetest"
)

// runFor runs c for d of fake time (and half a millisecond, so that no request comes in
// the same instant as the end) and returns Run's error.
func runFor(t *testing.T, c *sse.Client, d time.Duration) error {
	ctx, cancel := context.WithTimeout(t.Context(), d+500*time.Microsecond)
	defer cancel()
	return c.Run(ctx)
}

// TestClientCannotStorm: a server that sends "retry: 0" and ends every response at once
// made a client with a backoff policy reconnect tens of thousands of times a second; one
// that answers 200 and ends at once made MaxAttempts useless. Counted in 2s of fake time.
func TestClientCannotStorm(t *testing.T) {
	for _, tc := range []struct {
		name     string
		body     string
		retry    sse.RetryPolicy
		requests int
		reason   sse.CloseReason // "" when the client is still running at 2s
	}{
		{"retry: 0, no options: at most 100 a second", "retry: 0\n\n", sse.RetryPolicy{}, 201, ""},
		{"retry: 0, backoff: grows from DefaultRetryMin", "retry: 0\n\n", sse.RetryPolicy{Multiplier: 2}, 8, ""},
		{"200 that ends at once counts toward MaxAttempts", "retry: 500\ndata: x\n\n", sse.RetryPolicy{MaxAttempts: 3}, 4, sse.CloseRetryLimit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inBubble(t, []reply{stream(tc.body)}, func(t *testing.T, srv *ssetest.Fake) {
				c := sse.NewClient("http://sse.test/s", &sse.ClientOptions{HTTPClient: srv.Client(), Retry: tc.retry})
				err := runFor(t, c, 2*time.Second)
				assert.Len(t, srv.Journal(""), tc.requests, "requests in 2s")
				if tc.reason == "" {
					assert.NoError(t, err)
					return
				}
				var ce *sse.CloseError
				require.ErrorAs(t, err, &ce)
				assert.Equal(t, tc.reason, ce.Reason)
			})
		})
	}
}

// TestClientLastEventIDBound: a longer id field than DefaultMaxLastEventIDLen is not
// stored, so the reconnect sends the previous ID; the bound is the server's.
func TestClientLastEventIDBound(t *testing.T) {
	assert.Equal(t, server.MaxLastEventIDLen, sse.DefaultMaxLastEventIDLen, "the client stores what the server reads")
	long := strings.Repeat("x", 1<<20)
	replies := []reply{stream("id: first\ndata: 1\n\nid: " + long + "\ndata: 2\n\n"), held("data: 3\n\n")}
	inBubble(t, replies, func(t *testing.T, srv *ssetest.Fake) {
		var ids []string
		c := sse.NewClient("http://sse.test/s", &sse.ClientOptions{
			HTTPClient: srv.Client(),
			OnEvent:    func(ev sse.Event) { ids = append(ids, ev.ID) },
		})
		done := make(chan error)
		go func() { done <- c.Run(t.Context()) }()
		srv.Settled(t, "", 1)
		time.Sleep(time.Minute)
		synctest.Wait()
		c.Close()
		require.NoError(t, <-done)
		assert.Equal(t, []string{"first", "first", "first"}, ids, "the long id is ignored")
		reqs := srv.Journal("")
		require.Len(t, reqs, 2)
		assert.Equal(t, "first", reqs[1].LastEventID)
		assert.Equal(t, "first", c.LastEventID())
	})
}

// TestClientRestartPublic: Restart from another goroutine drops the open stream and
// reconnects at once with the last event ID, without an error; ReadyState is CONNECTING
// when it returns; Restart from OnEvent works too.
func TestClientRestartPublic(t *testing.T) {
	inBubble(t, []reply{held("id: 1\ndata: a\n\n"), held("data: b\n\n")}, func(t *testing.T, srv *ssetest.Fake) {
		gate := make(chan struct{})
		prepared := 0
		var log []string
		c := sse.NewClient("http://sse.test/s", &sse.ClientOptions{
			HTTPClient: srv.Client(),
			PrepareRequest: func(*http.Request) error {
				if prepared++; prepared == 2 {
					<-gate // hold the new attempt until ReadyState is checked
				}
				return nil
			},
			OnOpen:  func(*http.Response) { log = append(log, "open") },
			OnEvent: func(ev sse.Event) { log = append(log, "event "+ev.ID+" "+ev.Data) },
			OnError: func(*sse.ErrorInfo) { log = append(log, "error") },
		})
		done := make(chan error)
		go func() { done <- c.Run(t.Context()) }()
		synctest.Wait()
		require.Equal(t, sse.StateOpen, c.ReadyState())
		start := time.Now()
		c.Restart()
		assert.Equal(t, sse.StateConnecting, c.ReadyState())
		close(gate)
		synctest.Wait()
		assert.Equal(t, sse.StateOpen, c.ReadyState())
		c.Close()
		require.NoError(t, <-done)
		assert.Equal(t, []string{"open", "event 1 a", "open", "event 1 b"}, log)
		reqs := srv.Journal("")
		require.Len(t, reqs, 2)
		assert.Equal(t, "1", reqs[1].LastEventID)
		assert.Equal(t, start, reqs[1].Start, "at once")
		assert.Equal(t, ssetest.OutcomeClientGone, reqs[0].Outcome)
	})
}

// TestClientOnCommentPublic: comments reach OnComment in order with the events, with
// Events as with Run; a polysse server's heartbeats are comments.
func TestClientOnCommentPublic(t *testing.T) {
	inBubble(t, []reply{held(": hello\ndata: a\n\n:\n: bye\ndata: b\n\n")}, func(t *testing.T, srv *ssetest.Fake) {
		var log []string
		c := sse.NewClient("http://sse.test/s", &sse.ClientOptions{
			HTTPClient: srv.Client(),
			OnComment:  func(text string) { log = append(log, "comment "+text) },
		})
		for ev, err := range c.Events(t.Context()) {
			require.NoError(t, err)
			log = append(log, "event "+ev.Data)
			if ev.Data == "b" {
				break
			}
		}
		assert.Equal(t, []string{"comment hello", "event a", "comment ", "comment bye", "event b"}, log)
	})
}
