package eventsource_test

// Client.Restart: drop the connection and connect again at once, wherever the client is
// (connecting, open, waiting to reconnect), from any goroutine or from a callback. Timing
// is exact, in the fake time of testing/synctest.

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/polysse/sse/internal/clock"
	"github.com/polysse/sse/internal/eventsource"
	"github.com/polysse/sse/internal/wire"
)

// TestClientRestart: from another goroutine, in each place the client can be, Restart
// aborts what is under way and a new request starts in the same instant, with no error
// event; ReadyState is CONNECTING as soon as Restart returns.
func TestClientRestart(t *testing.T) {
	for _, tc := range []struct {
		name    string
		first   clientTestReply
		retry   eventsource.RetryPolicy
		before  []string // the log before the restart
		lastID  string   // the Last-Event-ID of the new request
		attempt string   // the attempt of the error event a later failure reports
	}{
		{"open stream", clientTestHeld("id: 1\ndata: a\n\n"), eventsource.RetryPolicy{},
			[]string{`open OPEN`, `event message id="1" data="a" OPEN`}, "1", "attempt=1"},
		{"open stream, an event incomplete", clientTestHeld("id: 1\ndata: a\n\nid: 2\ndata: never dispatched\n"), eventsource.RetryPolicy{},
			[]string{`open OPEN`, `event message id="1" data="a" OPEN`}, "1", "attempt=1"},
		{"request under way", clientTestStall, eventsource.RetryPolicy{},
			nil, "", "attempt=1"},
		{"backoff wait: the failure count is kept", clientTestFail, eventsource.RetryPolicy{Initial: clock.Hour},
			[]string{`error CONNECTING attempt=1 status=0() retryIn=1h0m0s err=other`}, "", "attempt=2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			replies := []clientTestReply{tc.first, clientTestHeld("data: new\n\n"), clientTestFail, clientTestHeld()}
			clientTestServeMem(t, replies, func(t *testing.T, s *clientTestServer) {
				// The attempt after the restart waits for gate in HeaderFunc, so that nothing
				// but Restart changes ReadyState before the test reads it.
				gate := make(chan struct{})
				attempts := 0
				c, rec := clientTestNewClient(s.URL+"/stream", eventsource.ClientOptions{
					Transport: s.Transport, Retry: tc.retry,
					HeaderFunc: func(eventsource.Context) (eventsource.Header, error) {
						if attempts++; attempts == 2 {
							<-gate
						}
						return nil, nil
					},
				})
				done := clientTestStart(t.Context(), c)
				sleep(clock.Minute)
				s.settle()
				require.Equal(t, tc.before, rec.entries())
				c.Restart()
				assert.Equal(t, eventsource.StateConnecting, c.ReadyState(), "ReadyState right after Restart")
				close(gate)
				at := time.Now()
				<-rec.seen(`event message id="` + tc.lastID + `" data="new"`)
				reqs := s.requests()
				require.Len(t, reqs, 2)
				assert.Equal(t, at, reqs[1].At, "the new request starts at once")
				if tc.lastID == "" {
					assert.NotContains(t, reqs[1].Header, "Last-Event-Id")
				} else {
					assert.Equal(t, []string{tc.lastID}, reqs[1].Header["Last-Event-Id"])
				}
				s.settle()
				if first := s.fake.Journal("")[0]; first.Outcome != "dropped" {
					assert.Equal(t, "client-gone", first.Outcome, "the dropped connection ended on the client's side")
					assert.Equal(t, at, first.End)
				}
				// The next failure counts from the failures before the restart.
				c.Restart()
				<-rec.seen(`error CONNECTING ` + tc.attempt)
				c.Close()
				require.NoError(t, clientTestAwait(t, s, done, "Run"))
				assert.Equal(t, append(append([]string(nil), tc.before...),
					`open OPEN`, `event message id="`+tc.lastID+`" data="new" OPEN`,
					`error CONNECTING `+tc.attempt+` status=0() retryIn=`+retryInOf(tc.retry)+` err=other`,
					clientTestCloseLocal), rec.entries())
			})
		})
	}
}

func retryInOf(p eventsource.RetryPolicy) string {
	if p.Initial > 0 {
		return time.Duration(p.Initial).String()
	}
	return "3s"
}

// TestClientRestartFromCallbacks: Restart inside OnEvent drops the rest of the chunk and
// reconnects with the ID of the last event delivered; inside OnError it skips the wait;
// inside OnOpen it drops the connection before any event.
func TestClientRestartFromCallbacks(t *testing.T) {
	t.Run("OnEvent", func(t *testing.T) {
		replies := []clientTestReply{clientTestHeld("id: 1\ndata: a\n\nid: 2\ndata: b\n\n"), clientTestHeld("data: c\n\n")}
		clientTestServeMem(t, replies, func(t *testing.T, s *clientTestServer) {
			var c *eventsource.Client
			restarted := false
			c, rec := clientTestNewClient(s.URL+"/stream", eventsource.ClientOptions{
				Transport: s.Transport,
				OnEvent: func(ev wire.Event) {
					if ev.Data == "a" && !restarted {
						restarted = true
						c.Restart()
					}
				},
			}, `event message id="1" data="c"`)
			require.NoError(t, clientTestRun(t, s, c))
			assert.Equal(t, []string{
				`open OPEN`, `event message id="1" data="a" OPEN`,
				`open OPEN`, `event message id="1" data="c" OPEN`, clientTestCloseLocal,
			}, rec.entries())
			reqs := s.requests()
			require.Len(t, reqs, 2)
			assert.Equal(t, []string{"1"}, reqs[1].Header["Last-Event-Id"])
			assert.Equal(t, reqs[0].At, reqs[1].At)
		})
	})
	t.Run("RestartFrom: the next attempt sends the ID given", func(t *testing.T) {
		// As the wasm binding does when it drops the events of a batch that a restart
		// overtook: the client had delivered b (id 2) to OnEvent, the page saw only a.
		replies := []clientTestReply{clientTestHeld("id: 1\ndata: a\n\nid: 2\ndata: b\n\n"), clientTestHeld("data: c\n\n")}
		clientTestServeMem(t, replies, func(t *testing.T, s *clientTestServer) {
			var c *eventsource.Client
			c, rec := clientTestNewClient(s.URL+"/stream", eventsource.ClientOptions{
				Transport: s.Transport,
				OnDrain: func() {
					if c.LastEventID() == "2" {
						c.RestartFrom("1")
					}
				},
			}, `event message id="1" data="c"`)
			require.NoError(t, clientTestRun(t, s, c))
			assert.Equal(t, []string{
				`open OPEN`, `event message id="1" data="a" OPEN`, `event message id="2" data="b" OPEN`,
				`open OPEN`, `event message id="1" data="c" OPEN`, clientTestCloseLocal,
			}, rec.entries())
			reqs := s.requests()
			require.Len(t, reqs, 2)
			assert.Equal(t, []string{"1"}, reqs[1].Header["Last-Event-Id"])
		})
	})
	t.Run("OnError skips the wait", func(t *testing.T) {
		replies := []clientTestReply{clientTestFail, clientTestHeld("data: x\n\n")}
		clientTestServeMem(t, replies, func(t *testing.T, s *clientTestServer) {
			var c *eventsource.Client
			c, rec := clientTestNewClient(s.URL+"/stream", eventsource.ClientOptions{
				Transport: s.Transport,
				OnError:   func(*eventsource.ErrorInfo) { c.Restart() },
			}, "event")
			require.NoError(t, clientTestRun(t, s, c))
			assert.Equal(t, []string{
				`error CONNECTING attempt=1 status=0() retryIn=3s err=other`,
				`open OPEN`, `event message id="" data="x" OPEN`, clientTestCloseLocal,
			}, rec.entries())
			assert.Equal(t, []clock.Duration{0}, clientTestGaps(s.requests()))
		})
	})
	t.Run("OnOpen, once", func(t *testing.T) {
		replies := []clientTestReply{clientTestHeld("data: old\n\n"), clientTestHeld("data: new\n\n")}
		clientTestServeMem(t, replies, func(t *testing.T, s *clientTestServer) {
			var c *eventsource.Client
			opens := 0
			c, rec := clientTestNewClient(s.URL+"/stream", eventsource.ClientOptions{
				Transport: s.Transport,
				OnOpen: func(*eventsource.Response) {
					if opens++; opens == 1 {
						c.Restart()
						assert.Equal(t, eventsource.StateConnecting, c.ReadyState())
					}
				},
			}, "event")
			require.NoError(t, clientTestRun(t, s, c))
			assert.Equal(t, []string{`open OPEN`, `open OPEN`, `event message id="" data="new" OPEN`, clientTestCloseLocal}, rec.entries())
		})
	})
}

// TestClientRestartIsNotAFailure: restarts never count toward MaxAttempts, and the retry
// field's reconnection time survives them.
func TestClientRestartIsNotAFailure(t *testing.T) {
	replies := []clientTestReply{clientTestHeld("retry: 5000\ndata: x\n\n")}
	clientTestServeMem(t, replies, func(t *testing.T, s *clientTestServer) {
		c, rec := clientTestNewClient(s.URL+"/stream", eventsource.ClientOptions{
			Transport: s.Transport, Retry: eventsource.RetryPolicy{MaxAttempts: 1},
		})
		done := clientTestStart(t.Context(), c)
		for range 5 {
			s.settle()
			c.Restart()
		}
		s.settle()
		assert.Equal(t, eventsource.StateOpen, c.ReadyState())
		assert.Len(t, s.requests(), 6)
		c.Close()
		require.NoError(t, clientTestAwait(t, s, done, "Run"))
		for _, e := range rec.entries() {
			assert.NotContains(t, e, "error", "a restart fires no error event")
		}
	})
	t.Run("the reconnection time is kept", func(t *testing.T) {
		replies := []clientTestReply{clientTestHeld("retry: 5000\n\n"), clientTestStream(), clientTestHeld()}
		clientTestServeMem(t, replies, func(t *testing.T, s *clientTestServer) {
			c, _ := clientTestNewClient(s.URL+"/stream", eventsource.ClientOptions{Transport: s.Transport})
			done := clientTestStart(t.Context(), c)
			s.settle()
			c.Restart()
			sleep(clock.Minute)
			s.settle()
			c.Close()
			require.NoError(t, clientTestAwait(t, s, done, "Run"))
			assert.Equal(t, clientTestSeconds(0, 0, 5), clientTestOffsets(s.requests()[0].At, s.requests()))
		})
	})
	t.Run("a healthy connection resets the count", func(t *testing.T) {
		replies := []clientTestReply{clientTestFail, clientTestHeld(), clientTestFail, clientTestHeld()}
		clientTestServeMem(t, replies, func(t *testing.T, s *clientTestServer) {
			c, rec := clientTestNewClient(s.URL+"/stream", eventsource.ClientOptions{
				Transport: s.Transport, Retry: eventsource.RetryPolicy{Initial: clock.Second},
			})
			done := clientTestStart(t.Context(), c)
			sleep(clock.Minute) // the stream of attempt 2 is healthy after 5s
			s.settle()
			c.Restart()
			sleep(clock.Minute)
			s.settle()
			c.Close()
			require.NoError(t, clientTestAwait(t, s, done, "Run"))
			assert.Equal(t, []string{
				`error CONNECTING attempt=1 status=0() retryIn=1s err=other`, `open OPEN`,
				`error CONNECTING attempt=1 status=0() retryIn=1s err=other`, `open OPEN`,
				clientTestCloseLocal,
			}, rec.entries())
		})
	})
}

// TestClientRestartNoOp: before Run and after Close, Restart does nothing.
func TestClientRestartNoOp(t *testing.T) {
	clientTestServeMem(t, []clientTestReply{clientTestHeld("data: x\n\n")}, func(t *testing.T, s *clientTestServer) {
		c, rec := clientTestNewClient(s.URL+"/stream", eventsource.ClientOptions{Transport: s.Transport}, "event")
		c.Restart()
		require.NoError(t, clientTestRun(t, s, c))
		c.Restart()
		s.settle()
		assert.Len(t, s.requests(), 1)
		assert.Equal(t, eventsource.StateClosed, c.ReadyState())
		assert.Equal(t, []string{`open OPEN`, `event message id="" data="x" OPEN`, clientTestCloseLocal}, rec.entries())
	})
}

// TestClientRestartEvents: Restart while the events are taken with the Events iterator.
func TestClientRestartEvents(t *testing.T) {
	replies := []clientTestReply{clientTestHeld("id: 1\ndata: a\n\ndata: b\n\n"), clientTestHeld("data: c\n\n")}
	clientTestServeMem(t, replies, func(t *testing.T, s *clientTestServer) {
		c := eventsource.NewClient(s.URL+"/stream", &eventsource.ClientOptions{Transport: s.Transport})
		var got []string
		for ev, err := range c.Events(t.Context()) {
			require.NoError(t, err)
			got = append(got, ev.ID+":"+ev.Data)
			switch ev.Data {
			case "a":
				c.Restart()
			case "c":
				c.Close()
			}
		}
		assert.Equal(t, []string{"1:a", "1:c"}, got)
	})
}

// TestClientRestartConcurrent: Restart and Close from many goroutines while events flow
// over real HTTP (with -race): no deadlock, no event after Close returned, nothing leaks.
func TestClientRestartConcurrent(t *testing.T) {
	reply := clientTestHeld("id: 1\ndata: a\n\n", clock.Millisecond, "id: 2\ndata: b\n\n", clock.Millisecond, "data: c\n\n")
	clientTestEachEnv(t, []clientTestReply{reply}, func(t *testing.T, s *clientTestServer) {
		var closed sync.WaitGroup
		var after []string
		var mu sync.Mutex
		closing := make(chan struct{})
		c := eventsource.NewClient(s.URL+"/stream", &eventsource.ClientOptions{
			Transport: s.Transport,
			OnEvent: func(ev wire.Event) {
				select {
				case <-closing:
					mu.Lock()
					after = append(after, ev.Data)
					mu.Unlock()
				default:
				}
			},
		})
		ctx, cancel := context.WithTimeout(t.Context(), time.Duration(s.timeout))
		defer cancel()
		done := clientTestStart(ctx, c)
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for range 50 {
					c.Restart()
					sleep(100 * clock.Microsecond)
				}
			})
		}
		wg.Wait()
		closed.Go(func() {
			c.Close()
			close(closing)
		})
		closed.Wait()
		require.NoError(t, clientTestAwait(t, s, done, "Run"))
		assert.Empty(t, after, "events after Close returned")
		assert.Equal(t, eventsource.StateClosed, c.ReadyState())
	})
}
