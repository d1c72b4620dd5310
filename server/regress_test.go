//go:build !js

package server_test

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/server"
)

// publishLoop publishes to topic until the returned stop is called.
func publishLoop(srv *server.Server, topic string) (stop func()) {
	var quit atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		for !quit.Load() {
			_ = srv.Publish(topic, sse.Event{Data: "x"})
		}
	})
	return func() { quit.Store(true); wg.Wait() }
}

// Sessions that connect while events are published always start with the headers and the
// initial comment (a race once lost them, or crashed the process).
func TestConnectDuringPublishStartsWithThePreamble(t *testing.T) {
	srv := server.New(server.Options{
		HeartbeatInterval: -1, ReplaySize: 8, AutoID: true, Overflow: server.Drop,
		Topics: func(*http.Request) []string { return []string{"t"} },
	})
	defer func() { _ = srv.Shutdown(t.Context()) }()
	stop := publishLoop(srv, "t")
	defer stop()
	for i := range 500 {
		rec, cancel, done := serveAsync(srv, "/", nil)
		deadline := time.Now().Add(5 * time.Second)
		for !strings.Contains(rec.Body(), "data: x") && time.Now().Before(deadline) {
			time.Sleep(50 * time.Microsecond)
		}
		body := rec.Body()
		cancel()
		<-done
		if !strings.HasPrefix(body, ": ok\n") {
			t.Fatalf("iteration %d: the stream does not start with the initial comment: %q", i, body[:min(len(body), 80)])
		}
	}
}

// A subscriber evicted before its first write still gets headers and the initial comment,
// so that its client reconnects: an empty 200 would fail an EventSource for good.
func TestEvictedBeforeStartStillAnswersAStream(t *testing.T) {
	srv := server.New(server.Options{
		HeartbeatInterval: -1, QueueSize: 1,
		Topics: func(*http.Request) []string { return []string{"t"} },
	})
	defer func() { _ = srv.Shutdown(t.Context()) }()
	stop := publishLoop(srv, "t")
	defer stop()
	for i := range 500 {
		rec, cancel, done := serveAsync(srv, "/", nil)
		<-done // evicted quickly: a queue of 1 under a publish loop
		cancel()
		if rec.Status() != http.StatusOK || rec.Header().Get("Content-Type") != "text/event-stream" {
			t.Fatalf("iteration %d: status %d, Content-Type %q", i, rec.Status(), rec.Header().Get("Content-Type"))
		}
	}
}

// A resume whose Last-Event-ID one topic holds, while another topic already dropped events
// published after it, is flagged as a gap.
func TestReplayGapAcrossTopicsIsReported(t *testing.T) {
	gaps := make(chan bool, 1)
	srv := server.New(server.Options{
		HeartbeatInterval: -1, ReplaySize: 2,
		Topics: func(*http.Request) []string { return []string{"a", "b"} },
		Stream: func(s *server.Session) { gaps <- s.ReplayGap(); <-s.Done() },
	})
	defer func() { _ = srv.Shutdown(t.Context()) }()
	_ = srv.Publish("a", sse.Event{ID: "a1", Data: "a1"})
	for _, id := range []string{"b1", "b2", "b3"} {
		_ = srv.Publish("b", sse.Event{ID: id, Data: id})
	}
	_, cancel, done := serveAsync(srv, "/", map[string]string{"Last-Event-ID": "a1"})
	defer func() { cancel(); <-done }()
	if !<-gaps {
		t.Fatal("ReplayGap is false; b1, published after a1, had left topic b's buffer")
	}
	_, cancel2, done2 := serveAsync(srv, "/", map[string]string{"Last-Event-ID": "b2"})
	defer func() { cancel2(); <-done2 }()
	if <-gaps {
		t.Fatal("ReplayGap is true for a resume from b2, which both buffers cover")
	}
}

// A Refuse error carrying 204 answers 204 with no body, and its header keys in canonical form.
func TestRefuseStatusErrorNoContent(t *testing.T) {
	srv := server.New(server.Options{Refuse: func(*http.Request) (bool, error) {
		return false, &server.StatusError{Code: http.StatusNoContent, Msg: "gone", Header: http.Header{"sse-outcome": {"complete"}}}
	}})
	defer func() { _ = srv.Shutdown(t.Context()) }()
	rec, cancel, done := serveAsync(srv, "/", nil)
	<-done
	cancel()
	if rec.Status() != http.StatusNoContent || rec.Body() != "" || rec.Header().Get("SSE-Outcome") != "complete" {
		t.Fatalf("status %d, body %q, SSE-Outcome %q", rec.Status(), rec.Body(), rec.Header().Get("SSE-Outcome"))
	}
}
