package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/polysse/sse/internal/fake"
	"github.com/polysse/sse/server"
)

// heldSink takes the first chunk (the head and the preamble) and holds every later one
// until the test releases it: a write on its way over a slow network.
type heldSink struct {
	mu      sync.Mutex
	chunks  []string
	release chan error
}

func (s *heldSink) Head(int, http.Header) {}

func (s *heldSink) Chunk(b []byte) (<-chan error, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chunks = append(s.chunks, string(b))
	if len(s.chunks) == 1 {
		return nil, nil
	}
	return s.release, nil
}

func (s *heldSink) End(error) {}

func (s *heldSink) written() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.chunks...)
}

// A Complete or Fail whose event is never written, because the client went away (or was
// evicted) while an earlier write was on its way, reports so: the session does not end
// with the reason of an event the client never received.
func TestEndingSessionThatLosesItsClientReportsIt(t *testing.T) {
	for _, tt := range []struct {
		name string
		end  func(*server.Session) error
	}{
		{"complete", func(s *server.Session) error { return s.Complete("done") }},
		{"fail", func(s *server.Session) error { return s.Fail("broken") }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sink := &heldSink{release: make(chan error)}
				ended := make(chan error, 1)
				sessions := make(chan *server.Session, 1)
				proceed := make(chan struct{})
				srv := server.New(server.Options{WriteTimeout: time.Hour, Stream: func(s *server.Session) {
					err := s.PushData("a")
					sessions <- s
					if err == nil {
						<-proceed
						err = tt.end(s)
					}
					ended <- err
				}})
				ctx, cancel := context.WithCancel(context.Background())
				req := httptest.NewRequest(http.MethodGet, "/", nil).WithContext(ctx)
				done := make(chan struct{})
				go func() {
					defer close(done)
					srv.ServeHTTP(fake.NewResponseWriter(sink), req)
				}()
				s := <-sessions
				synctest.Wait() // "a" is on its way
				require.Equal(t, []string{": ok\n", "data: a\n\n"}, sink.written())
				close(proceed)
				synctest.Wait() // the final event is queued behind "a"
				cancel()        // the client goes away
				synctest.Wait()
				close(sink.release) // the write of "a" returns after all
				<-done
				<-s.Done()
				require.ErrorIs(t, <-ended, server.ErrSessionClosed)
				require.Equal(t, server.ReasonClientGone, s.Reason())
				require.Len(t, sink.written(), 2, "nothing written after the client left")
			})
		})
	}
}
