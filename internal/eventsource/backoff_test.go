package eventsource_test

// Reconnection that can never storm, counted in the fake time of testing/synctest against
// the in-memory fake server: the floor under every delay (RetryPolicy.Min), a backoff that
// grows from it when a server sends "retry: 0", the default ResetAfter that keeps a server
// which answers 200 and ends at once from defeating MaxAttempts, and the bound on the
// stored last event ID.

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/polysse/sse/internal/clock"
	"github.com/polysse/sse/internal/eventsource"
	"github.com/polysse/sse/internal/protocol"
	"github.com/polysse/sse/internal/wire"
)

// backoffTestMs is a list of durations in milliseconds.
func backoffTestMs(ms ...int) []clock.Duration {
	d := make([]clock.Duration, len(ms))
	for i, v := range ms {
		d[i] = clock.Duration(v) * clock.Millisecond
	}
	return d
}

// backoffTestRunFor runs c for d of fake time and returns the requests the server got,
// those at d included (the run ends half a millisecond later, so that no request comes in
// the same instant as the end).
func backoffTestRunFor(t *testing.T, s *clientTestServer, c *eventsource.Client, d clock.Duration) []clientTestRequest {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Duration(d+500*clock.Microsecond))
	defer cancel()
	require.NoError(t, c.Run(ctx))
	return s.requests()
}

// TestClientRetryZeroCannotStorm: a server that sends "retry: 0" and ends every response
// at once. Without a floor the client reconnected in a tight loop (tens of thousands of
// times a second over loopback); now no delay is shorter than Min (DefaultRetryMin, 10ms),
// and a backoff grows from it.
func TestClientRetryZeroCannotStorm(t *testing.T) {
	retryZero := clientTestStream("retry: 0\n\n")
	for _, tc := range []struct {
		name   string
		policy eventsource.RetryPolicy
		// gaps are the first delays between requests; requests is how many arrive in 2s.
		gaps     []clock.Duration
		requests int
	}{
		{"no options: the floor, 100 a second", eventsource.RetryPolicy{},
			backoffTestMs(10, 10, 10, 10), 201},
		{"backoff: grows from the floor", eventsource.RetryPolicy{Multiplier: 2},
			backoffTestMs(10, 20, 40, 80, 160, 320, 640), 8},
		{"backoff from a tiny Initial: grows from the floor", eventsource.RetryPolicy{Initial: clock.Nanosecond, Multiplier: 2},
			backoffTestMs(10, 20, 40, 80), 8},
		{"a larger Min", eventsource.RetryPolicy{Min: 100 * clock.Millisecond},
			backoffTestMs(100, 100, 100), 21},
		{"a larger Min, with backoff", eventsource.RetryPolicy{Min: 100 * clock.Millisecond, Multiplier: 2},
			backoffTestMs(100, 200, 400, 800), 5},
		{"Max below Min means Min", eventsource.RetryPolicy{Min: 100 * clock.Millisecond, Max: clock.Millisecond, Multiplier: 2},
			backoffTestMs(100, 100, 100), 21},
		{"a smaller Min is honoured", eventsource.RetryPolicy{Min: clock.Millisecond},
			backoffTestMs(1, 1, 1), 2001},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clientTestServeMem(t, []clientTestReply{retryZero}, func(t *testing.T, s *clientTestServer) {
				c, rec := clientTestNewClient(s.URL+"/stream", eventsource.ClientOptions{Transport: s.Transport, Retry: tc.policy})
				reqs := backoffTestRunFor(t, s, c, 2*clock.Second)
				gaps := clientTestGaps(reqs)
				require.GreaterOrEqual(t, len(gaps), len(tc.gaps), "requests: %d", len(reqs))
				assert.Equal(t, tc.gaps, gaps[:len(tc.gaps)], "time between requests")
				assert.Equal(t, tc.gaps, rec.retryIns()[:len(tc.gaps)], "ErrorInfo.RetryIn")
				assert.Len(t, reqs, tc.requests, "requests in 2s")
			})
		})
	}
}

// TestClientJitterKeepsTheFloor: Jitter shortens a delay by a random fraction, but never
// below Min: full jitter on a zero reconnection time waits exactly the floor.
func TestClientJitterKeepsTheFloor(t *testing.T) {
	clientTestServeMem(t, []clientTestReply{clientTestStream("retry: 0\n\n")}, func(t *testing.T, s *clientTestServer) {
		c, _ := clientTestNewClient(s.URL+"/stream", eventsource.ClientOptions{
			Transport: s.Transport,
			Retry:     eventsource.RetryPolicy{Multiplier: 1.5, Jitter: 1, Max: 50 * clock.Millisecond},
		})
		gaps := clientTestGaps(backoffTestRunFor(t, s, c, clock.Second))
		require.NotEmpty(t, gaps)
		for i, g := range gaps {
			assert.True(t, eventsource.DefaultRetryMin <= g && g <= 50*clock.Millisecond, "delay %d: %v", i+1, g)
		}
	})
}

// TestClientResetAfterDefault: a connection that opens and ends before DefaultResetAfter
// (5s) is a failed attempt, so a server that answers 200 and ends at once cannot defeat
// MaxAttempts (before: MaxAttempts 3 allowed 10 connections in 5s against "retry: 500",
// and a connection every 500ms for ever) or keep a backoff from growing.
func TestClientResetAfterDefault(t *testing.T) {
	for _, tc := range []struct {
		name   string
		policy eventsource.RetryPolicy
		reply  clientTestReply
		// requests within 30s; closed: the client closed with retry-limit.
		requests int
		closed   bool
		want     clock.Duration // when the client closed, from the start
	}{
		{"ends at once: MaxAttempts counts it", eventsource.RetryPolicy{MaxAttempts: 3},
			clientTestStream("retry: 500\ndata: x\n\n"), 4, true, 1500 * clock.Millisecond},
		{"ends after 4.9s: still a failure", eventsource.RetryPolicy{MaxAttempts: 3},
			clientTestStream("retry: 500\ndata: x\n\n", 4900*clock.Millisecond), 4, true, 4*4900*clock.Millisecond + 1500*clock.Millisecond},
		{"stays open 5s: healthy, the count starts again", eventsource.RetryPolicy{MaxAttempts: 1},
			clientTestStream("retry: 500\ndata: x\n\n", 5*clock.Second), 6, false, 0},
		{"ResetAfter negative: every open resets, as before", eventsource.RetryPolicy{MaxAttempts: 3, ResetAfter: -1},
			clientTestStream("retry: 500\ndata: x\n\n"), 61, false, 0},
		{"a longer ResetAfter", eventsource.RetryPolicy{MaxAttempts: 2, ResetAfter: 10 * clock.Second},
			clientTestStream("retry: 500\ndata: x\n\n", 9*clock.Second), 3, true, 3*9*clock.Second + clock.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clientTestServeMem(t, []clientTestReply{tc.reply}, func(t *testing.T, s *clientTestServer) {
				c, rec := clientTestNewClient(s.URL+"/stream", eventsource.ClientOptions{Transport: s.Transport, Retry: tc.policy})
				start := time.Now()
				ctx, cancel := context.WithTimeout(t.Context(), time.Duration(30*clock.Second+500*clock.Microsecond))
				defer cancel()
				err := c.Run(ctx)
				assert.Len(t, s.requests(), tc.requests, "requests in 30s")
				if !tc.closed {
					require.NoError(t, err)
					return
				}
				clientTestCheckErr(t, err, eventsource.CloseRetryLimit)
				assert.Equal(t, tc.want, since(start), "closed after")
				entries := rec.entries()
				assert.Equal(t, fmt.Sprintf("error CLOSED attempt=%d status=0() retryIn=0s err=EOF", tc.policy.MaxAttempts+1), entries[len(entries)-2])
			})
		})
	}
}

// TestClientResetAfterBackoffGrows: with the default ResetAfter, the delays after streams
// that end at once keep growing, as after any failure.
func TestClientResetAfterBackoffGrows(t *testing.T) {
	clientTestServeMem(t, []clientTestReply{clientTestStream("data: x\n\n")}, func(t *testing.T, s *clientTestServer) {
		c, rec := clientTestNewClient(s.URL+"/stream", eventsource.ClientOptions{
			Transport: s.Transport,
			Retry:     eventsource.RetryPolicy{Initial: clock.Second, Multiplier: 2, Max: 8 * clock.Second},
		})
		reqs := backoffTestRunFor(t, s, c, 40*clock.Second)
		assert.Equal(t, clientTestSeconds(1, 2, 4, 8, 8), clientTestGaps(reqs)[:5])
		assert.Equal(t, "error CONNECTING attempt=5 status=0() retryIn=8s err=EOF", rec.entries()[14])
	})
}

// TestClientMaxLastEventIDLen: an id field longer than the bound is ignored: the last event
// ID keeps its previous value, the event carries it and the reconnect sends it. The
// default bound is the server's (1024 bytes), so a client never sends an id that a polysse
// server would not read, nor one so long that a server refuses the request (a 1 MiB id made
// net/http answer 431, which failed the source for good).
func TestClientMaxLastEventIDLen(t *testing.T) {
	long := func(n int) string { return strings.Repeat("i", n) }
	for _, tc := range []struct {
		name  string
		max   int
		id    string // the id field of the second event
		want  string // the second event's ID, and the reconnect's Last-Event-ID
		limit int    // the bound in effect, for the record
	}{
		{"default: 1024 bytes is kept", 0, long(1024), long(1024), protocol.MaxLastEventIDLen},
		{"default: 1025 bytes is ignored", 0, long(1025), "first", protocol.MaxLastEventIDLen},
		{"default: 1 MiB is ignored", 0, long(1 << 20), "first", protocol.MaxLastEventIDLen},
		{"counted in UTF-8 bytes", 0, strings.Repeat("é", 513), "first", protocol.MaxLastEventIDLen},
		{"a smaller bound", 8, "123456789", "first", 8},
		{"a smaller bound, an id that fits", 8, "12345678", "12345678", 8},
		{"negative: no bound", -1, long(1 << 20), long(1 << 20), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			replies := []clientTestReply{
				clientTestStream("id: first\ndata: 1\n\nid: " + tc.id + "\ndata: 2\n\n"),
				clientTestHeld("data: end\n\n"),
			}
			clientTestServeMem(t, replies, func(t *testing.T, s *clientTestServer) {
				c, rec := clientTestNewClient(s.URL+"/stream", eventsource.ClientOptions{
					Transport: s.Transport, MaxLastEventIDLen: tc.max,
				})
				done := clientTestStart(t.Context(), c)
				clientTestAwait(t, s, s.arrived, "the first request")
				clientTestAwait(t, s, s.arrived, "the reconnect")
				s.settle()
				c.Close()
				require.NoError(t, clientTestAwait(t, s, done, "Run"))
				reqs := s.requests()
				require.Len(t, reqs, 2, "the reconnect is not refused")
				assert.Equal(t, []string{tc.want}, reqs[1].Header["Last-Event-Id"])
				assert.Equal(t, tc.want, c.LastEventID())
				entries := rec.entries()
				require.GreaterOrEqual(t, len(entries), 3)
				assert.Equal(t, clientTestEventEntry(wire.Event{ID: tc.want, Type: "message", Data: "2"}, eventsource.StateOpen), entries[2])
			})
		})
	}
	t.Run("the LastEventID option is sent as given", func(t *testing.T) {
		clientTestServeMem(t, []clientTestReply{clientTestHeld("data: x\n\n")}, func(t *testing.T, s *clientTestServer) {
			c, _ := clientTestNewClient(s.URL+"/stream", eventsource.ClientOptions{
				Transport: s.Transport, LastEventID: long(2000),
			}, "event")
			require.NoError(t, clientTestRun(t, s, c))
			assert.Equal(t, []string{long(2000)}, s.requests()[0].Header["Last-Event-Id"])
		})
	})
}
