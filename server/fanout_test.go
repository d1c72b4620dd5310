//go:build !js

package server_test

import (
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/server"
)

// topicsFromQuery subscribes a request to the comma-separated topics of its query
// parameter "topics".
func topicsFromQuery(r *http.Request) []string {
	return strings.Split(r.URL.Query().Get("topics"), ",")
}

// liveMarker publishes a marker event to topics and reads s up to it, returning the events
// before it: what the subscriber received besides live events.
func readUntilLive(t *testing.T, srv *server.Server, s *stream, topic string) []string {
	t.Helper()
	mustPublish(t, srv, topic, sse.Event{ID: "live", Data: "live"})
	var got []string
	for {
		ev := s.MustNext()
		if ev.ID == "live" {
			return got
		}
		got = append(got, ev.ID)
	}
}

func TestReplay(t *testing.T) {
	tests := []struct {
		name   string
		lastID string
		want   []string
	}{
		{name: "no last event id"},
		{name: "resume inside the buffer", lastID: "5", want: []string{"6", "7", "8"}},
		{name: "resume at the newest event", lastID: "8"},
		{name: "id pushed out of the buffer", lastID: "3"},
		{name: "unknown id", lastID: "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			subscribed := make(chan struct{}, 1)
			srv := server.New(server.Options{
				ReplaySize: 5, // keeps 4..8
				Topics:     topicsFromQuery,
				Stream:     func(s *server.Session) { subscribed <- struct{}{}; <-s.Done() },
			})
			for i := 1; i <= 8; i++ {
				mustPublish(t, srv, "t", sse.Event{ID: strconv.Itoa(i), Data: "x"})
			}
			ts := startServer(t, srv, "HTTP/1.1")
			header := map[string]string{}
			if tt.lastID != "" {
				header["Last-Event-ID"] = tt.lastID
			}
			s := connect(t, ts.Client(), ts.URL+"?topics=t", header)
			require.Equal(t, http.StatusOK, s.Resp.StatusCode)
			<-subscribed
			require.Equal(t, tt.want, readUntilLive(t, srv, s, "t"))
		})
	}
}

func TestReplayAcrossTopics(t *testing.T) {
	tests := []struct {
		topics string
		lastID string
		want   []string
	}{
		{"a,b", "1", []string{"2", "3", "4", "5", "6"}},
		{"b,a", "3", []string{"4", "5", "6"}},
		{"b", "2", []string{"3", "5", "6"}},
		{"a", "2", nil}, // 2 was published to b only: unknown in a
		{"a,a", "1", []string{"3", "4", "6"}},
		{"b", "5", []string{"6"}},
	}
	for _, tt := range tests {
		t.Run(tt.topics+" after "+tt.lastID, func(t *testing.T) {
			subscribed := make(chan struct{}, 1)
			srv := server.New(server.Options{
				ReplaySize: 10,
				Topics:     topicsFromQuery,
				Stream:     func(s *server.Session) { subscribed <- struct{}{}; <-s.Done() },
			})
			for i, topics := range [][]string{{"a"}, {"b"}, {"a", "b"}, {"a"}, {"b"}, {"a", "b", "a", "b"}} {
				mustPublishTo(t, srv, topics, sse.Event{ID: strconv.Itoa(i + 1), Data: "x"})
			}
			ts := startServer(t, srv, "HTTP/1.1")
			s := connect(t, ts.Client(), ts.URL+"?topics="+tt.topics, map[string]string{"Last-Event-ID": tt.lastID})
			<-subscribed
			require.Equal(t, tt.want, readUntilLive(t, srv, s, tt.topics[:1]))
		})
	}
}

func TestSubscriberOfSeveralTopicsGetsEachEventOnce(t *testing.T) {
	subscribed := make(chan struct{}, 1)
	srv := server.New(server.Options{
		Topics: topicsFromQuery,
		Stream: func(s *server.Session) { subscribed <- struct{}{}; <-s.Done() },
	})
	ts := startServer(t, srv, "HTTP/2")
	s := connect(t, ts.Client(), ts.URL+"?topics=a,b,c", nil)
	<-subscribed
	mustPublishTo(t, srv, []string{"a", "b", "c", "a"}, sse.Event{ID: "1", Data: "to all"})
	mustPublishTo(t, srv, []string{"b", "z"}, sse.Event{ID: "2", Data: "to b"})
	mustPublish(t, srv, "z", sse.Event{ID: "3", Data: "to z"})
	require.Equal(t, []string{"1", "2"}, readUntilLive(t, srv, s, "c"))
}

func TestAutoID(t *testing.T) {
	subscribed := make(chan struct{}, 1)
	srv := server.New(server.Options{
		AutoID: true,
		Topics: topicsFromQuery,
		Stream: func(s *server.Session) { subscribed <- struct{}{}; <-s.Done() },
	})
	ts := startServer(t, srv, "HTTP/1.1")
	s := connect(t, ts.Client(), ts.URL+"?topics=t", nil)
	<-subscribed
	mustPublish(t, srv, "t", sse.Event{Data: "a"})
	mustPublish(t, srv, "t", sse.Event{ID: "mine", Data: "b"})
	mustPublish(t, srv, "t", sse.Event{Data: "c"})
	a, b, c := s.MustNext(), s.MustNext(), s.MustNext()
	require.Equal(t, "mine", b.ID)
	prefix, n, ok := strings.Cut(a.ID, "-")
	require.True(t, ok, a.ID)
	require.Equal(t, prefix+"-"+n, a.ID)
	require.Equal(t, fmt.Sprintf("%s-%d", prefix, mustAtoi(t, n)+2), c.ID)
}

// TestStalledReaderDoesNotDelayOthers publishes, one event at a time, to a subscriber that
// never reads and to one that does: each event reaches the reading one while the stalled
// one's writer is blocked on its socket (the write timeout is an hour), and the stalled one
// is evicted (Disconnect) or loses events (Drop).
func TestStalledReaderDoesNotDelayOthers(t *testing.T) {
	for _, policy := range []server.OverflowPolicy{server.OverflowDisconnect, server.OverflowDrop} {
		name := map[server.OverflowPolicy]string{server.OverflowDisconnect: "Disconnect", server.OverflowDrop: "Drop"}[policy]
		t.Run(name, func(t *testing.T) {
			sessions := make(chan *server.Session, 2)
			srv := server.New(server.Options{
				QueueSize:    4,
				Overflow:     policy,
				WriteTimeout: time.Hour,
				Topics:       topicsFromQuery,
				Stream:       func(s *server.Session) { sessions <- s; <-s.Done() },
			})
			ts := startServer(t, srv, "HTTP/1.1", smallSendBuffers)
			stalledClient(t, ts.Listener.Addr().String(), "/?topics=t")
			stalled := <-sessions
			reader := connect(t, ts.Client(), ts.URL+"?topics=t", nil)
			<-sessions

			payload := strings.Repeat("x", 16<<10)
			const events = 400 // 6.4 MB: far more than the stalled socket's buffers
			for i := range events {
				mustPublish(t, srv, "t", sse.Event{ID: strconv.Itoa(i), Data: payload})
				require.Equal(t, strconv.Itoa(i), reader.MustNext().ID)
			}
			switch policy {
			case server.OverflowDisconnect:
				<-stalled.Done()
				require.Equal(t, server.ReasonEvicted, stalled.Reason())
				require.ErrorIs(t, stalled.Err(), server.ErrSlowSubscriber)
			case server.OverflowDrop:
				select {
				case <-stalled.Done():
					t.Fatalf("stalled session ended: %v", stalled.Err())
				default:
				}
				require.Greater(t, stalled.Dropped(), events/2)
			}
		})
	}
}

func TestClientThatNeverReadsIsEvictedWithinWriteTimeout(t *testing.T) {
	sessions := make(chan *server.Session, 1)
	pushErr := make(chan error, 1)
	srv := server.New(server.Options{
		WriteTimeout: 50 * time.Millisecond,
		Stream: func(s *server.Session) {
			sessions <- s
			payload := strings.Repeat("x", 16<<10)
			for {
				if err := s.PushData(payload); err != nil {
					pushErr <- err
					return
				}
			}
		},
	})
	ts := startServer(t, srv, "HTTP/1.1", smallSendBuffers)
	stalledClient(t, ts.Listener.Addr().String(), "/")
	s := <-sessions
	<-s.Done()
	require.Equal(t, server.ReasonEvicted, s.Reason())
	require.ErrorIs(t, s.Err(), server.ErrWriteTimeout)
	require.ErrorIs(t, <-pushErr, server.ErrSessionClosed)
	require.Equal(t, 0, srv.Sessions())
}

func TestMaxSessions(t *testing.T) {
	sessions := make(chan *server.Session, 3)
	srv := server.New(server.Options{
		MaxSessions: 2,
		RetryAfter:  1500 * time.Millisecond,
		Stream:      func(s *server.Session) { sessions <- s; <-s.Done() },
	})
	ts := startServer(t, srv, "HTTP/1.1")
	first := connect(t, ts.Client(), ts.URL, nil)
	require.Equal(t, http.StatusOK, first.Resp.StatusCode)
	s1 := <-sessions
	require.Equal(t, http.StatusOK, connect(t, ts.Client(), ts.URL, nil).Resp.StatusCode)
	<-sessions

	over := connect(t, ts.Client(), ts.URL, nil)
	require.Equal(t, http.StatusServiceUnavailable, over.Resp.StatusCode)
	require.Equal(t, "2", over.Resp.Header.Get("Retry-After"))
	require.Equal(t, 2, srv.Sessions())

	first.Close()
	<-s1.Done()
	require.Equal(t, http.StatusOK, connect(t, ts.Client(), ts.URL, nil).Resp.StatusCode)
}

// TestStalledReadersOutnumberingWorkers stalls more clients than the Server has workers
// (GOMAXPROCS): the workers block on their sockets, and the watchdog must start others so
// that a reading client still gets every event.
func TestStalledReadersOutnumberingWorkers(t *testing.T) {
	stalledCount := 4*runtime.GOMAXPROCS(0) + 2
	sessions := make(chan *server.Session, stalledCount+1)
	srv := server.New(server.Options{
		QueueSize:    2,
		Overflow:     server.OverflowDrop,
		WriteTimeout: time.Hour,
		Topics:       topicsFromQuery,
		Stream:       func(s *server.Session) { sessions <- s; <-s.Done() },
	})
	ts := startServer(t, srv, "HTTP/1.1", smallSendBuffers)
	var stalled []*server.Session
	for range stalledCount {
		stalledClient(t, ts.Listener.Addr().String(), "/?topics=t")
		stalled = append(stalled, <-sessions)
	}
	reader := connect(t, ts.Client(), ts.URL+"?topics=t", nil)
	<-sessions

	payload := strings.Repeat("x", 16<<10)
	for i := range 300 { // 4.8 MB: every stalled socket fills up and blocks its writer
		mustPublish(t, srv, "t", sse.Event{ID: strconv.Itoa(i), Data: payload})
		require.Equal(t, strconv.Itoa(i), reader.MustNext().ID)
	}
	for _, s := range stalled {
		require.Greater(t, s.Dropped(), 0)
		require.Empty(t, s.Reason(), "a stalled session under Drop stays open")
	}
}
