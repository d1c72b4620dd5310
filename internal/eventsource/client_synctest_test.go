package eventsource_test

// Timing of the client, exact, in the fake time of testing/synctest bubbles, against the
// fake SSE server in memory (the "mem" environment of client_table_test.go: its reads
// block durably inside the bubble; real sockets would not). These run on every platform,
// js/wasm included.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/polysse/sse/internal/clock"
	"github.com/polysse/sse/internal/eventsource"
	"github.com/polysse/sse/internal/wire"
)

// clientTestOffsets returns when each request arrived, relative to start.
func clientTestOffsets(start time.Time, reqs []clientTestRequest) []clock.Duration {
	var d []clock.Duration
	for _, r := range reqs {
		d = append(d, clock.Duration(r.At.Sub(start)))
	}
	return d
}

// clientTestGaps returns the time between consecutive requests.
func clientTestGaps(reqs []clientTestRequest) []clock.Duration {
	var d []clock.Duration
	for i := 1; i < len(reqs); i++ {
		d = append(d, clock.Duration(reqs[i].At.Sub(reqs[i-1].At)))
	}
	return d
}

func clientTestSeconds(s ...float64) []clock.Duration {
	d := make([]clock.Duration, len(s))
	for i, v := range s {
		d[i] = clock.Duration(v * float64(clock.Second))
	}
	return d
}

// TestClientSynctestBackoff: the delay before reconnection attempt n is
// Initial × Multiplier^(n-1), capped at Max; the zero policy is EventSource's constant 3 s.
// Each delay is both ErrorInfo.RetryIn and the time between the requests.
func TestClientSynctestBackoff(t *testing.T) {
	for _, tc := range []struct {
		name   string
		policy eventsource.RetryPolicy
		want   []clock.Duration
	}{
		{"zero policy: constant 3s", eventsource.RetryPolicy{}, clientTestSeconds(3, 3, 3, 3)},
		{"constant Initial", eventsource.RetryPolicy{Initial: 250 * clock.Millisecond}, clientTestSeconds(0.25, 0.25, 0.25)},
		{"Multiplier grows to Max", eventsource.RetryPolicy{Initial: clock.Second, Multiplier: 2, Max: 5 * clock.Second}, clientTestSeconds(1, 2, 4, 5, 5, 5)},
		{"Max defaults to a minute", eventsource.RetryPolicy{Initial: clock.Second, Multiplier: 2}, clientTestSeconds(1, 2, 4, 8, 16, 32, 60, 60)},
		{"fractional Multiplier", eventsource.RetryPolicy{Initial: 10 * clock.Second, Multiplier: 1.5}, clientTestSeconds(10, 15, 22.5, 33.75, 50.625, 60, 60)},
		{"Multiplier below 1 means 1", eventsource.RetryPolicy{Initial: clock.Second, Multiplier: 0.5}, clientTestSeconds(1, 1, 1)},
		{"Initial above the default Max is kept", eventsource.RetryPolicy{Initial: 2 * clock.Minute, Multiplier: 2}, clientTestSeconds(120, 120)},
		{"Max caps Initial", eventsource.RetryPolicy{Initial: 10 * clock.Second, Max: 5 * clock.Second}, clientTestSeconds(5, 5, 5)},
		{"Max caps Initial with a Multiplier", eventsource.RetryPolicy{Initial: 10 * clock.Second, Max: 5 * clock.Second, Multiplier: 2}, clientTestSeconds(5, 5, 5)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clientTestServeMem(t, []clientTestReply{clientTestFail}, func(t *testing.T, s *clientTestServer) {
				p := tc.policy
				p.MaxAttempts = len(tc.want)
				c, rec := clientTestNewClient(s.URL+"/stream", eventsource.ClientOptions{Transport: s.Transport, Retry: p})
				start := time.Now()
				err := clientTestRun(t, s, c)
				clientTestCheckErr(t, err, eventsource.CloseRetryLimit)
				assert.Equal(t, tc.want, clientTestGaps(s.requests()), "time between requests")
				assert.Equal(t, tc.want, rec.retryIns(), "ErrorInfo.RetryIn")
				var total clock.Duration
				for _, d := range tc.want {
					total += d
				}
				assert.Equal(t, total, since(start), "the client closes right after the last attempt")
			})
		})
	}
}

// TestClientSynctestJitter: a delay d is shortened by a random fraction of at most Jitter:
// it lies in [d×(1-Jitter), d], is what RetryIn said, and varies.
func TestClientSynctestJitter(t *testing.T) {
	for _, tc := range []struct {
		name   string
		policy eventsource.RetryPolicy
		base   func(n int) clock.Duration // the delay before attempt n without jitter
		jitter float64                    // the effective jitter
	}{
		{"constant", eventsource.RetryPolicy{Initial: clock.Second, Jitter: 0.5}, func(int) clock.Duration { return clock.Second }, 0.5},
		{"with Multiplier and Max", eventsource.RetryPolicy{Initial: clock.Second, Multiplier: 2, Max: 8 * clock.Second, Jitter: 0.25},
			func(n int) clock.Duration { return clock.Second << min(n-1, 3) }, 0.25},
		{"full", eventsource.RetryPolicy{Initial: clock.Second, Jitter: 1}, func(int) clock.Duration { return clock.Second }, 1},
		{"above 1 means 1", eventsource.RetryPolicy{Initial: clock.Second, Jitter: 7}, func(int) clock.Duration { return clock.Second }, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clientTestServeMem(t, []clientTestReply{clientTestFail}, func(t *testing.T, s *clientTestServer) {
				const n = 40
				p := tc.policy
				p.MaxAttempts = n
				c, rec := clientTestNewClient(s.URL+"/stream", eventsource.ClientOptions{Transport: s.Transport, Retry: p})
				clientTestCheckErr(t, clientTestRun(t, s, c), eventsource.CloseRetryLimit)
				gaps := clientTestGaps(s.requests())
				require.Len(t, gaps, n)
				assert.Equal(t, gaps, rec.retryIns(), "RetryIn is the delay actually waited")
				distinct := map[clock.Duration]bool{}
				for i, g := range gaps {
					base := tc.base(i + 1)
					lo := clock.Duration(float64(base) * (1 - tc.jitter))
					assert.True(t, lo <= g && g <= base, "delay %d: %v not in [%v, %v]", i+1, g, lo, base)
					distinct[g] = true
				}
				assert.Greater(t, len(distinct), n/2, "delays vary: %v", gaps)
			})
		})
	}
}

// TestClientSynctestRetryField: a retry field replaces Initial (it is the reconnection
// time) from the next delay on, for the rest of the client's life; an invalid one is
// ignored.
func TestClientSynctestRetryField(t *testing.T) {
	for _, tc := range []struct {
		name    string
		policy  eventsource.RetryPolicy
		replies []clientTestReply
		want    []clock.Duration // request offsets
	}{
		{
			"replaces the default 3s",
			eventsource.RetryPolicy{},
			[]clientTestReply{clientTestStream("retry: 1500\n\n"), clientTestHeld()},
			clientTestSeconds(0, 1.5),
		},
		{
			"replaces Initial, then grows with the Multiplier",
			eventsource.RetryPolicy{Initial: 10 * clock.Second, Multiplier: 2},
			[]clientTestReply{clientTestStream("retry: 1500\n\n"), clientTestFail, clientTestFail, clientTestHeld()},
			clientTestSeconds(0, 1.5, 4.5, 10.5),
		},
		{
			"persists across connections",
			eventsource.RetryPolicy{Initial: 10 * clock.Second},
			[]clientTestReply{clientTestStream("retry: 1500\n\n"), clientTestStream("data: x\n\n"), clientTestHeld()},
			clientTestSeconds(0, 1.5, 3),
		},
		{
			"the last valid one counts, even late in the stream",
			eventsource.RetryPolicy{Initial: 10 * clock.Second},
			[]clientTestReply{clientTestStream("retry: 1500\n\ndata: x\n\n", clock.Second, "retry: 250\n\n"), clientTestHeld()},
			clientTestSeconds(0, 1.25),
		},
		{
			"zero is valid, raised to DefaultRetryMin",
			eventsource.RetryPolicy{Initial: 10 * clock.Second},
			[]clientTestReply{clientTestStream("retry: 0\n\n"), clientTestHeld()},
			clientTestSeconds(0, 0.01),
		},
		{
			"invalid values are ignored",
			eventsource.RetryPolicy{Initial: 2 * clock.Second},
			[]clientTestReply{clientTestStream("retry: 1.5\n\nretry: -1\n\nretry: x\n\nretry:  5\n\nretry\n\n"), clientTestHeld()},
			clientTestSeconds(0, 2),
		},
		{
			"capped by Max",
			eventsource.RetryPolicy{Initial: clock.Second, Max: 5 * clock.Second},
			[]clientTestReply{clientTestStream("retry: 60000\n\n"), clientTestHeld()},
			clientTestSeconds(0, 5),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clientTestServeMem(t, tc.replies, func(t *testing.T, s *clientTestServer) {
				c, _ := clientTestNewClient(s.URL+"/stream", eventsource.ClientOptions{Transport: s.Transport, Retry: tc.policy})
				start := time.Now()
				done := clientTestStart(t.Context(), c)
				for range tc.want {
					clientTestAwait(t, s, s.arrived, "a request")
				}
				s.settle()
				c.Close()
				require.NoError(t, clientTestAwait(t, s, done, "Run"))
				assert.Equal(t, tc.want, clientTestOffsets(start, s.requests()))
			})
		})
	}
}

// TestClientSynctestRetryAfter: with VerdictRetry, a Retry-After header (seconds or an
// HTTP date) sets a floor on the delay: the delay is the larger of it and the backoff.
func TestClientSynctestRetryAfter(t *testing.T) {
	// Fake time starts at 2000-01-01T00:00:00Z (a Saturday); the third request comes at
	// 9s, so this date is 5s later.
	const date = "Sat, 01 Jan 2000 00:00:14 GMT"
	replies := []clientTestReply{
		clientTestStatus(503, "Retry-After", "7"),                             // 7s > 2s
		clientTestStatus(429, "Retry-After", "1"),                             // 1s < 2s: the backoff wins
		clientTestStatus(503, "Retry-After", date),                            // 5s
		clientTestStatus(503, "Retry-After", "Sat, 01 Jan 2000 00:00:00 GMT"), // past
		clientTestStatus(503, "Retry-After", "soon"),                          // invalid
		clientTestStatus(503, "Retry-After", " 3 "),
		clientTestHeld(),
	}
	clientTestServeMem(t, replies, func(t *testing.T, s *clientTestServer) {
		c, rec := clientTestNewClient(s.URL+"/stream", eventsource.ClientOptions{
			Transport: s.Transport,
			Classify:  clientTestClassify,
			Retry:     eventsource.RetryPolicy{Initial: 2 * clock.Second},
		}, "open")
		require.NoError(t, clientTestRun(t, s, c))
		want := clientTestSeconds(7, 2, 5, 2, 2, 3)
		assert.Equal(t, want, clientTestGaps(s.requests()))
		assert.Equal(t, want, rec.retryIns())
	})
}

// TestClientSynctestHeartbeat: with no bytes for the heartbeat timeout the attempt is
// aborted (ErrorInfo.Err is ErrHeartbeatTimeout) and the client reconnects; every chunk of
// bytes, even part of a line, restarts the timeout; HeartbeatAuto uses the announced
// interval plus a third.
func TestClientSynctestHeartbeat(t *testing.T) {
	interval := func(v string) []string {
		return []string{"Content-Type", "text/event-stream", "SSE-Heartbeat-Interval", v}
	}
	for _, tc := range []struct {
		name  string
		opts  eventsource.ClientOptions
		reply clientTestReply
		want  clock.Duration // when the error event comes; 0: never (the run ends at s.timeout)
		open  bool           // whether the connection opened
	}{
		{"silence after open", eventsource.ClientOptions{HeartbeatTimeout: 10 * clock.Second},
			clientTestHeld(), 10 * clock.Second, true},
		{"each chunk restarts the timeout", eventsource.ClientOptions{HeartbeatTimeout: 10 * clock.Second},
			clientTestHeld(6*clock.Second, ":\n", 6*clock.Second, "data: x\n\n", 9*clock.Second, "da", 9*clock.Second, "ta: y\n\n"),
			40 * clock.Second, true},
		{"from the request on", eventsource.ClientOptions{HeartbeatTimeout: 10 * clock.Second},
			clientTestStall, 10 * clock.Second, false},
		{"restarted when the response arrives", eventsource.ClientOptions{HeartbeatTimeout: 10 * clock.Second},
			clientTestReplyWith([]string{"Content-Type", "text/event-stream"}, true).Delay(6 * time.Second),
			16 * clock.Second, true},
		{"bytes keep it alive", eventsource.ClientOptions{HeartbeatTimeout: 10 * clock.Second},
			clientTestHeld(9*clock.Second, ":\n", 9*clock.Second, ":\n", 9*clock.Second, ":\n", 9*clock.Second, ":\n"),
			46 * clock.Second, true},
		{"HeartbeatAuto: interval plus a third", eventsource.ClientOptions{HeartbeatAuto: true},
			clientTestReplyWith(interval("3000"), true), 4 * clock.Second, true},
		{"HeartbeatAuto rounds down to the millisecond", eventsource.ClientOptions{HeartbeatAuto: true},
			clientTestReplyWith(interval("1000"), true), 1333 * clock.Millisecond, true},
		{"HeartbeatAuto takes precedence over HeartbeatTimeout", eventsource.ClientOptions{HeartbeatAuto: true, HeartbeatTimeout: 10 * clock.Second},
			clientTestReplyWith(interval("3000"), true), 4 * clock.Second, true},
		{"HeartbeatAuto, longer than HeartbeatTimeout", eventsource.ClientOptions{HeartbeatAuto: true, HeartbeatTimeout: 2 * clock.Second},
			clientTestReplyWith(interval("15000"), true), 20 * clock.Second, true},
		{"HeartbeatAuto without the header uses HeartbeatTimeout", eventsource.ClientOptions{HeartbeatAuto: true, HeartbeatTimeout: 5 * clock.Second},
			clientTestHeld(), 5 * clock.Second, true},
		{"HeartbeatAuto with an invalid header uses HeartbeatTimeout", eventsource.ClientOptions{HeartbeatAuto: true, HeartbeatTimeout: 5 * clock.Second},
			clientTestReplyWith(interval("3s"), true), 5 * clock.Second, true},
		{"HeartbeatAuto without the header and no HeartbeatTimeout: no watchdog", eventsource.ClientOptions{HeartbeatAuto: true},
			clientTestHeld(), 0, true},
		{"HeartbeatAuto does not time the request", eventsource.ClientOptions{HeartbeatAuto: true},
			clientTestStall, 0, false},
		{"no heartbeat options: no watchdog", eventsource.ClientOptions{},
			clientTestReplyWith(interval("3000"), true), 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clientTestServeMem(t, []clientTestReply{tc.reply, clientTestHeld()}, func(t *testing.T, s *clientTestServer) {
				opts := tc.opts
				opts.Transport = s.Transport
				opts.Retry.Initial = clock.Second
				c, rec := clientTestNewClient(s.URL+"/stream", opts)
				start := time.Now()
				done := clientTestStart(t.Context(), c)
				if tc.want == 0 {
					sleep(clock.Hour)
					s.settle()
					assert.NotContains(t, strings.Join(rec.entries(), "\n"), "error", "no timeout")
					c.Close()
					require.NoError(t, clientTestAwait(t, s, done, "Run"))
					return
				}
				clientTestAwait(t, s, s.arrived, "the first request")
				clientTestAwait(t, s, s.arrived, "the second request")
				s.settle()
				c.Close()
				require.NoError(t, clientTestAwait(t, s, done, "Run"))
				assert.Equal(t, tc.want, clock.Duration(rec.timeOf(t, "error").Sub(start)), "time of the error")
				rec.mu.Lock()
				require.NotEmpty(t, rec.errs)
				ei := rec.errs[0]
				rec.mu.Unlock()
				assert.ErrorIs(t, ei.Err, eventsource.ErrHeartbeatTimeout)
				assert.Equal(t, eventsource.ErrHeartbeatTimeout, ei.Err, "the cause itself")
				assert.Equal(t, clock.Second, ei.RetryIn)
				assert.Equal(t, clientTestSeconds(0, time.Duration(tc.want).Seconds()+1), clientTestOffsets(start, s.requests()))
				if tc.open {
					assert.Equal(t, "open OPEN", rec.entries()[0])
				} else {
					assert.True(t, strings.HasPrefix(rec.entries()[0], "error CONNECTING attempt=1 status=0()"), rec.entries()[0])
				}
			})
		})
	}
}

// TestClientSynctestResetAfter: the failure count starts again from zero only after a
// connection stayed open for ResetAfter; a shorter one counts as a failure.
func TestClientSynctestResetAfter(t *testing.T) {
	t.Run("shorter: failures accumulate", func(t *testing.T) {
		clientTestServeMem(t, []clientTestReply{clientTestStream(9 * clock.Second)}, func(t *testing.T, s *clientTestServer) {
			c, rec := clientTestNewClient(s.URL+"/stream", eventsource.ClientOptions{
				Transport: s.Transport,
				Retry:     eventsource.RetryPolicy{Initial: clock.Second, Multiplier: 2, MaxAttempts: 2, ResetAfter: 10 * clock.Second},
			})
			start := time.Now()
			clientTestCheckErr(t, clientTestRun(t, s, c), eventsource.CloseRetryLimit)
			assert.Equal(t, []string{
				`open OPEN`, `error CONNECTING attempt=1 status=0() retryIn=1s err=EOF`,
				`open OPEN`, `error CONNECTING attempt=2 status=0() retryIn=2s err=EOF`,
				`open OPEN`, `error CLOSED attempt=3 status=0() retryIn=0s err=EOF`,
				`close retry-limit fatal=true local=false status=0() data="" err=EOF CLOSED`,
			}, rec.entries())
			assert.Equal(t, clientTestSeconds(0, 10, 21), clientTestOffsets(start, s.requests()))
			assert.Equal(t, 30*clock.Second, since(start))
		})
	})
	t.Run("exactly ResetAfter: reset", func(t *testing.T) {
		replies := []clientTestReply{clientTestStream(10 * clock.Second), clientTestStream(10 * clock.Second), clientTestStatus(204)}
		clientTestServeMem(t, replies, func(t *testing.T, s *clientTestServer) {
			c, rec := clientTestNewClient(s.URL+"/stream", eventsource.ClientOptions{
				Transport: s.Transport,
				Retry:     eventsource.RetryPolicy{Initial: clock.Second, Multiplier: 2, MaxAttempts: 1, ResetAfter: 10 * clock.Second},
			})
			start := time.Now()
			require.NoError(t, clientTestRun(t, s, c))
			assert.Equal(t, []string{
				`open OPEN`, `error CONNECTING attempt=1 status=0() retryIn=1s err=EOF`,
				`open OPEN`, `error CONNECTING attempt=1 status=0() retryIn=1s err=EOF`,
				clientTestErr204, clientTestClose204,
			}, rec.entries())
			assert.Equal(t, clientTestSeconds(0, 11, 22), clientTestOffsets(start, s.requests()))
		})
	})
}

// TestClientSynctestCloseIsImmediate: Close and a cancelled context end the client at
// once, in the same instant, whatever it waits for.
func TestClientSynctestCloseIsImmediate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reply clientTestReply
	}{
		{"backoff", clientTestFail},
		{"connect", clientTestStall},
		{"read", clientTestHeld()},
		{"pause in the body", clientTestStream(clock.Hour)},
	} {
		for _, how := range []string{"Close", "cancel"} {
			t.Run(tc.name+"/"+how, func(t *testing.T) {
				clientTestServeMem(t, []clientTestReply{tc.reply}, func(t *testing.T, s *clientTestServer) {
					c, rec := clientTestNewClient(s.URL+"/stream", eventsource.ClientOptions{
						Transport:        s.Transport,
						Retry:            eventsource.RetryPolicy{Initial: clock.Hour},
						HeartbeatTimeout: 2 * clock.Hour,
					})
					ctx, cancel := context.WithCancel(t.Context())
					defer cancel()
					done := clientTestStart(ctx, c)
					sleep(clock.Minute)
					s.settle()
					start := time.Now()
					if how == "Close" {
						c.Close()
					} else {
						cancel()
					}
					require.NoError(t, clientTestAwait(t, s, done, "Run"))
					assert.Zero(t, since(start))
					assert.Len(t, s.requests(), 1)
					entries := rec.entries()
					assert.Equal(t, clientTestCloseLocal, entries[len(entries)-1])
				})
			})
		}
	}
}

// TestClientNoTransport: with no Transport the client fails at once with close reason
// network and ErrNoTransport.
func TestClientNoTransport(t *testing.T) {
	checkLeaks(t)
	s := clientTestNewServer(t, nil, false)
	c, rec := clientTestNewClient("http://example.invalid/stream", eventsource.ClientOptions{})
	err := clientTestRun(t, s, c)
	clientTestCheckErr(t, err, eventsource.CloseNetwork)
	assert.ErrorIs(t, err, eventsource.ErrNoTransport)
	assert.Equal(t, []string{
		`error CLOSED attempt=0 status=0() retryIn=0s err=no-transport`,
		`close network fatal=true local=false status=0() data="" err=no-transport CLOSED`,
	}, rec.entries())
	clientTestCheckClosed(t, c, rec)
}

// TestClientPermanentTransportError: a transport error wrapping ErrPermanent (a CORS
// failure, say) fails the connection for good with close reason network.
func TestClientPermanentTransportError(t *testing.T) {
	checkLeaks(t)
	cors := fmt.Errorf("fetch: CORS: %w", eventsource.ErrPermanent)
	calls := 0
	c, rec := clientTestNewClient("http://x.test/stream", eventsource.ClientOptions{
		Transport: eventsource.TransportFunc(func(eventsource.Context, *eventsource.Request) (*eventsource.Response, error) {
			calls++
			return nil, cors
		}),
	})
	err := clientTestRun(t, clientTestNewServer(t, nil, false), c)
	clientTestCheckErr(t, err, eventsource.CloseNetwork)
	assert.ErrorIs(t, err, eventsource.ErrPermanent)
	var ce *eventsource.CloseError
	require.ErrorAs(t, err, &ce)
	assert.Same(t, cors, ce.Err)
	assert.Equal(t, 1, calls)
	assert.Equal(t, []string{
		`error CLOSED attempt=1 status=0() retryIn=0s err=permanent`,
		`close network fatal=true local=false status=0() data="" err=permanent CLOSED`,
	}, rec.entries())
}

// TestClientRequestURL: the request the transport gets: the URL with the last event ID
// query parameter placed before any fragment, escaped; method; WithCredentials.
func TestClientRequestURL(t *testing.T) {
	for _, tc := range []struct {
		url, param, id, want string
	}{
		{"http://h/s", "lei", "", "http://h/s"},
		{"http://h/s", "lei", "1", "http://h/s?lei=1"},
		{"http://h/s#f", "lei", "1", "http://h/s?lei=1#f"},
		{"http://h/s?#f", "lei", "1", "http://h/s?lei=1#f"},
		{"http://h/s?a&", "lei", "1", "http://h/s?a&lei=1"},
		{"http://h/s?a=1#f?x#y", "lei", "1", "http://h/s?a=1&lei=1#f?x#y"},
		{"http://h/s", "last id", "a b&c=d+é", "http://h/s?last%20id=a%20b%26c%3Dd%2B%C3%A9"},
		{"http://h/s", "", "1", "http://h/s"},
	} {
		t.Run(tc.url+" "+tc.param+" "+tc.id, func(t *testing.T) {
			checkLeaks(t)
			var got []*eventsource.Request
			c := eventsource.NewClient(tc.url, &eventsource.ClientOptions{
				LastEventID:      tc.id,
				LastEventIDQuery: tc.param,
				Method:           "PUT",
				WithCredentials:  true,
				Transport: eventsource.TransportFunc(func(ctx eventsource.Context, req *eventsource.Request) (*eventsource.Response, error) {
					got = append(got, req)
					return nil, errors.New("stop")
				}),
				Retry: eventsource.RetryPolicy{MaxAttempts: 1, Initial: clock.Nanosecond},
			})
			clientTestCheckErr(t, c.Run(t.Context()), eventsource.CloseRetryLimit)
			require.Len(t, got, 2)
			for _, req := range got {
				assert.Equal(t, tc.want, req.URL)
				assert.Equal(t, "PUT", req.Method)
				assert.True(t, req.WithCredentials)
				assert.Nil(t, req.Body)
			}
		})
	}
}

// TestClientSynctestHeartbeatSlowConsumer: time spent in the client's own callbacks is not
// server silence. The server sends a chunk every 5s, well within the 10s timeout, but the
// first OnEvent takes 12s; the bytes sent meanwhile wait, unread, in the connection. The
// watchdog must not abort the attempt for that.
func TestClientSynctestHeartbeatSlowConsumer(t *testing.T) {
	replies := []clientTestReply{
		clientTestHeld("data: 1\n\n", 5*clock.Second, "data: 2\n\n", 5*clock.Second, "data: 3\n\n"),
		clientTestStatus(204), // ends a wrongly reconnecting client
	}
	clientTestServeMem(t, replies, func(t *testing.T, s *clientTestServer) {
		c, rec := clientTestNewClient(s.URL+"/stream", eventsource.ClientOptions{
			Transport:        s.Transport,
			HeartbeatTimeout: 10 * clock.Second,
			OnEvent: func(ev wire.Event) {
				if ev.Data == "1" {
					sleep(12 * clock.Second) // a slow consumer
				}
			},
		}, `event message id="" data="3"`)
		require.NoError(t, clientTestRun(t, s, c))
		assert.Equal(t, []string{
			`open OPEN`,
			`event message id="" data="1" OPEN`,
			`event message id="" data="2" OPEN`,
			`event message id="" data="3" OPEN`,
			clientTestCloseLocal,
		}, rec.entries())
		assert.Len(t, s.requests(), 1)
	})
}

// TestClientSynctestRetryAfterCappedByMax: a Retry-After longer than RetryPolicy.Max waits
// Max, so that a server cannot park a client for a day.
func TestClientSynctestRetryAfterCappedByMax(t *testing.T) {
	replies := []clientTestReply{clientTestStatus(503, "Retry-After", "86400"), clientTestHeld()}
	clientTestServeMem(t, replies, func(t *testing.T, s *clientTestServer) {
		c, _ := clientTestNewClient(s.URL+"/stream", eventsource.ClientOptions{
			Transport: s.Transport,
			Classify:  clientTestClassify,
			Retry:     eventsource.RetryPolicy{Initial: 2 * clock.Second, Max: 4 * clock.Second},
		}, "open")
		require.NoError(t, clientTestRun(t, s, c))
		assert.Equal(t, clientTestSeconds(4), clientTestGaps(s.requests()))
	})
}

// TestClientSynctestOnDrain: OnDrain follows the events of each read, before the client
// waits for more bytes, and its time does not count as server silence.
func TestClientSynctestOnDrain(t *testing.T) {
	replies := []clientTestReply{clientTestHeld("data: a\n\ndata: b\n\n", clock.Second, "data: c\n\n")}
	clientTestServeMem(t, replies, func(t *testing.T, s *clientTestServer) {
		var log []string
		c := eventsource.NewClient(s.URL+"/stream", &eventsource.ClientOptions{
			Transport:        s.Transport,
			HeartbeatTimeout: 5 * clock.Second,
			OnEvent:          func(ev wire.Event) { log = append(log, "event "+ev.Data) },
			OnError:          func(e *eventsource.ErrorInfo) { log = append(log, "error") },
			OnDrain: func() {
				log = append(log, "drain")
				sleep(10 * clock.Second) // longer than the heartbeat timeout
			},
		})
		done := clientTestStart(t.Context(), c)
		s.settle()
		sleep(27 * clock.Second) // the reconnect would come at 28s
		c.Close()
		require.NoError(t, clientTestAwait(t, s, done, "Run"))
		// Reads at 0s and 10s deliver events; the heartbeat timeout then aborts at 25s.
		assert.Equal(t, []string{"event a", "event b", "drain", "event c", "drain", "error"}, log)
	})
}
