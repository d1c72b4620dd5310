//go:build !js

package server

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	sse "github.com/polysse/sse"
)

// A publish between hub.subscribe and Session.serve must not run the session before serve
// puts it on the run queue (it used to run with no ResponseWriter and crash the process).
func TestPublishBetweenSubscribeAndServe(t *testing.T) {
	srv := New(Options{HeartbeatInterval: -1, Topics: func(*http.Request) []string { return []string{"t"} }})
	defer func() { _ = srv.Shutdown(t.Context()) }()
	r := httptest.NewRequest("GET", "/", nil)
	w := &lockedRecorder{header: http.Header{}}
	s := newSession(srv, w, r, "")
	if err := srv.acquire(s); err != nil {
		t.Fatal(err)
	}
	replay := srv.hub.subscribe(s, []string{"t"}, "")
	if err := srv.Publish("t", sse.Event{Data: "live"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond) // a worker would run the session now, if it were queued
	done := make(chan struct{})
	go func() { s.serve(replay); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(w.String(), "data: live") && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	s.Close()
	<-done
	srv.release()
	if body := w.String(); !strings.HasPrefix(body, ": ok\n") || !strings.Contains(body, "data: live") {
		t.Fatalf("body %q: want the initial comment, then the event", body)
	}
}

// Topics kept only for replay are bounded by MaxReplayTopics.
func TestReplayTopicsAreBounded(t *testing.T) {
	srv := New(Options{HeartbeatInterval: -1, ReplaySize: 16, MaxReplayTopics: 100})
	for i := range 10_000 {
		_ = srv.Publish("user:"+strconv.Itoa(i), sse.Event{Data: "done"})
	}
	srv.hub.mu.Lock()
	n := len(srv.hub.topics)
	_, newest := srv.hub.topics["user:9999"]
	srv.hub.mu.Unlock()
	if n > 100 || !newest {
		t.Fatalf("%d topics retained (newest kept: %v); want at most 100, the newest among them", n, newest)
	}
}

// The run queue's slice stays bounded under a backlog that never drains.
func TestRunQueueCompacts(t *testing.T) {
	srv := New(Options{HeartbeatInterval: -1})
	sc := &srv.sched
	sc.mu.Lock()
	sc.running = sc.max // pretend every worker is busy: push starts none
	sc.mu.Unlock()
	a, b := new(Session), new(Session)
	sc.push(a)
	for range 100_000 {
		sc.push(b)
		sc.mu.Lock()
		sc.pop()
		sc.mu.Unlock()
	}
	sc.mu.Lock()
	c := cap(sc.queue)
	for sc.pop() != nil {
	}
	sc.running = 0
	sc.mu.Unlock()
	if c > 1024 {
		t.Fatalf("the run queue holds 1 session but its slice has capacity %d", c)
	}
}

// lockedRecorder is a ResponseWriter and Flusher whose body may be read while it is written.
type lockedRecorder struct {
	mu     sync.Mutex
	header http.Header
	body   strings.Builder
}

func (r *lockedRecorder) Header() http.Header { return r.header }
func (r *lockedRecorder) WriteHeader(int)     {}
func (r *lockedRecorder) Flush()              {}
func (r *lockedRecorder) Write(b []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.body.Write(b)
}
func (r *lockedRecorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.body.String()
}
