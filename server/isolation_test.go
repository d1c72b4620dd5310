package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/internal/testsupport"
	"github.com/polysse/sse/server"
)

// newStalledWriter returns the ResponseWriter of a client that stopped reading (see
// testsupport.NewStalledRecorder).
func newStalledWriter(ctx context.Context) *testsupport.Recorder {
	return testsupport.NewStalledRecorder(ctx)
}

// TestStalledClientDoesNotCostAFastOneItsEvents publishes 8,000 events of 1 KB at 16,000
// events/s (on synctest's clock) to a client that reads everything and to one that
// stopped reading, with QueueSize 64 and WriteTimeout 1 s: the stalled one is evicted,
// and the fast one gets every event. (With a shared pool of writers, a writer blocked on
// the stalled client counted as available, and the fast client's queue overflowed.)
func TestStalledClientDoesNotCostAFastOneItsEvents(t *testing.T) {
	for _, policy := range []server.OverflowPolicy{server.OverflowDisconnect, server.OverflowDrop} {
		t.Run(map[server.OverflowPolicy]string{server.OverflowDisconnect: "Disconnect", server.OverflowDrop: "Drop"}[policy], func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sessions := make(chan *server.Session, 2)
				srv := server.New(server.Options{
					QueueSize:    64,
					WriteTimeout: time.Second,
					Overflow:     policy,
					Topics:       func(*http.Request) []string { return []string{"t"} },
					Stream:       func(s *server.Session) { sessions <- s; <-s.Done() },
				})
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				stalledDone := make(chan struct{})
				go func() {
					defer close(stalledDone)
					srv.ServeHTTP(newStalledWriter(ctx), httptest.NewRequest(http.MethodGet, "/", nil).WithContext(ctx))
				}()
				stalled := <-sessions
				fastRec, fastCancel, fastDone := serveAsync(srv, "/", nil)
				fast := <-sessions

				const events, rate = 8000, 16000
				payload := strings.Repeat("x", 1000)
				for range events {
					mustPublish(t, srv, "t", sse.Event{Data: payload})
					time.Sleep(time.Second / rate)
				}
				synctest.Wait()
				require.Equal(t, events, strings.Count(fastRec.Body(), "data: "), "events the fast client received")
				require.Empty(t, fast.Reason(), "the fast client's session is open")
				switch policy {
				case server.OverflowDisconnect:
					<-stalledDone
					require.Equal(t, server.ReasonEvicted, stalled.Reason())
					require.ErrorIs(t, stalled.Err(), server.ErrSlowSubscriber)
				case server.OverflowDrop:
					require.Empty(t, stalled.Reason())
					require.Greater(t, stalled.Dropped(), events/2)
					cancel() // the stalled client goes away
					<-stalledDone
					require.Equal(t, server.ReasonClientGone, stalled.Reason())
				}
				fastCancel()
				<-fastDone
				require.NoError(t, srv.Shutdown(context.Background()))
			})
		})
	}
}

// A client that takes nothing is evicted after WriteTimeout even with no publish to fill
// its queue (a heartbeat's write times out).
func TestStalledClientEvictedByWriteTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sessions := make(chan *server.Session, 1)
		srv := server.New(server.Options{
			HeartbeatInterval: 10 * time.Second,
			WriteTimeout:      time.Second,
			Stream:            func(s *server.Session) { sessions <- s; <-s.Done() },
		})
		done := make(chan struct{})
		start := time.Now()
		go func() {
			defer close(done)
			srv.ServeHTTP(newStalledWriter(context.Background()), httptest.NewRequest(http.MethodGet, "/", nil))
		}()
		s := <-sessions
		<-done
		require.Equal(t, 11*time.Second, time.Since(start), "the first heartbeat at 10 s, its write timed out 1 s later")
		require.Equal(t, server.ReasonEvicted, s.Reason())
		require.ErrorIs(t, s.Err(), server.ErrWriteTimeout)
		require.NoError(t, srv.Shutdown(context.Background()))
	})
}
