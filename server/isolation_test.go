package server_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/server"
)

// stalledWriter is the ResponseWriter of a client that stopped reading: it takes the
// first flush (the headers and the preamble), and then every Write blocks, as on a socket
// whose buffers are full, until its write deadline passes (then it fails with
// os.ErrDeadlineExceeded, as a net.Conn does) or the client goes away (ctx is done).
type stalledWriter struct {
	header http.Header
	ctx    context.Context

	mu       sync.Mutex
	flushed  bool
	deadline time.Time
	changed  chan struct{} // closed when the deadline changes
}

func newStalledWriter(ctx context.Context) *stalledWriter {
	return &stalledWriter{header: http.Header{}, ctx: ctx, changed: make(chan struct{})}
}

func (w *stalledWriter) Header() http.Header { return w.header }
func (w *stalledWriter) WriteHeader(int)     {}

func (w *stalledWriter) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.flushed = true
}

func (w *stalledWriter) SetWriteDeadline(t time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.deadline = t
	close(w.changed)
	w.changed = make(chan struct{})
	return nil
}

func (w *stalledWriter) Write(b []byte) (int, error) {
	for {
		w.mu.Lock()
		flushed, deadline, changed := w.flushed, w.deadline, w.changed
		w.mu.Unlock()
		if !flushed {
			return len(b), nil
		}
		if !deadline.IsZero() && !time.Now().Before(deadline) {
			return 0, os.ErrDeadlineExceeded
		}
		var timeout <-chan time.Time
		if !deadline.IsZero() {
			timer := time.NewTimer(time.Until(deadline))
			defer timer.Stop()
			timeout = timer.C
		}
		select {
		case <-changed:
		case <-timeout:
		case <-w.ctx.Done():
			return 0, errors.New("connection closed")
		}
	}
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
