package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/polysse/sse/internal/serverhook"
	"github.com/polysse/sse/server"
)

// gatedRecorder is a recorder whose writes, after the first flush, wait while its gate
// is closed: a writer can be held in the middle of a batch.
type gatedRecorder struct {
	*recorder
	mu   sync.Mutex
	gate chan struct{} // nil: open
}

func (g *gatedRecorder) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.gate = make(chan struct{})
}

func (g *gatedRecorder) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	close(g.gate)
	g.gate = nil
}

func (g *gatedRecorder) Write(b []byte) (int, error) {
	g.mu.Lock()
	gate := g.gate
	g.mu.Unlock()
	if gate != nil {
		<-gate
	}
	return g.recorder.Write(b)
}

// serverhook.Raw writes its bytes as a flush of their own, even when they are queued
// between events that the writer takes in one batch.
func TestRawIsAChunkOfItsOwn(t *testing.T) {
	pushed := make(chan struct{})
	rec := &gatedRecorder{recorder: newRecorder()}
	srv := server.New(server.Options{HeartbeatInterval: -1, Stream: func(s *server.Session) {
		rec.close()
		require.NoError(t, s.PushData("a")) // the writer takes it, and waits at the gate
		require.NoError(t, serverhook.Raw(s, []byte("raw: not a field\n")))
		require.NoError(t, s.PushData("b"))
		close(pushed)
		s.Close()
	}})
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	}()
	<-pushed
	rec.open()
	<-done
	var got []string
	for _, f := range rec.Flushes() {
		got = append(got, f.Data)
	}
	require.Equal(t, []string{": ok\n", "data: a\n\n", "raw: not a field\n", "data: b\n\n"}, got)
	require.NoError(t, srv.Shutdown(t.Context()))
}

// serverhook.Drop writes what is queued, then makes ServeHTTP panic with
// http.ErrAbortHandler, which net/http turns into a dropped connection.
func TestDropAbortsTheResponse(t *testing.T) {
	sessions := make(chan *server.Session, 1)
	srv := server.New(server.Options{HeartbeatInterval: -1, Stream: func(s *server.Session) {
		sessions <- s
		_ = s.PushData("a")
		serverhook.Drop(s)
		_ = s.PushData("refused")
	}})
	rec := newRecorder()
	panicked := make(chan any, 1)
	go func() {
		defer func() { panicked <- recover() }()
		srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	}()
	require.Equal(t, http.ErrAbortHandler, <-panicked)
	s := <-sessions
	require.Equal(t, ": ok\ndata: a\n\n", rec.Body())
	require.Equal(t, server.ReasonClosed, s.Reason())
	require.NoError(t, s.Err())
	require.Equal(t, 0, srv.Sessions())
	require.NoError(t, srv.Shutdown(context.Background()))
}
