package server_test

import (
	"context"
	"net/http"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/server"
)

// racingBroker is the in-memory broker with a publish that races every subscription: it
// publishes events to the new subscriber's topics after registering it and before
// Subscribe returns, as a concurrent Publish can.
type racingBroker struct {
	server.Broker
	events []string
}

func (b *racingBroker) Subscribe(ctx context.Context, sub server.Subscriber, topics []string, lastID string) (server.Subscription, server.Resume, error) {
	s, res, err := b.Broker.Subscribe(ctx, sub, topics, lastID)
	for _, d := range b.events {
		if _, err := b.Publish(ctx, topics, sse.Event{Data: d}); err != nil {
			panic(err)
		}
	}
	return s, res, err
}

// A publish between subscription and the start of the response must not write before
// the headers and the preamble (a race once ran the session with no ResponseWriter and
// crashed the process, or lost the preamble).
func TestPublishDuringSubscribeFollowsThePreamble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := server.New(server.Options{
			HeartbeatInterval: -1,
			Broker:            &racingBroker{Broker: server.NewHub(8, 0, 0, true), events: []string{"live"}},
			Topics:            func(*http.Request) []string { return []string{"t"} },
		})
		rec, cancel, done := serveAsync(srv, "/", nil)
		synctest.Wait()
		cancel()
		<-done
		require.Equal(t, "text/event-stream", rec.Header().Get("Content-Type"))
		// The start position (before the racing publish), then the racing publish.
		require.Regexp(t, `^: ok\nid: [0-9a-f]{8}-0\n\nid: [0-9a-f]{8}-1\ndata: live\n\n$`, rec.Body())
		require.NoError(t, srv.Shutdown(context.Background()))
	})
}

// A subscriber evicted before its first write still gets headers and the initial comment,
// so that its client reconnects: an empty 200 would fail an EventSource for good.
func TestEvictedBeforeStartStillAnswersAStream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sessions := make(chan *server.Session, 1)
		srv := server.New(server.Options{
			HeartbeatInterval: -1,
			QueueSize:         1,
			Broker:            &racingBroker{Broker: server.NewHub(0, 0, 0, false), events: []string{"1", "2"}},
			Topics:            func(*http.Request) []string { return []string{"t"} },
			Stream:            func(s *server.Session) { sessions <- s },
		})
		rec, cancel, done := serveAsync(srv, "/", nil)
		<-done // evicted: a queue of 1, two events
		cancel()
		require.Equal(t, http.StatusOK, rec.Status())
		require.Equal(t, "text/event-stream", rec.Header().Get("Content-Type"))
		require.Equal(t, ": ok\n", rec.Body())
		require.Empty(t, sessions, "Stream does not run for a session that ended before it started")
		require.NoError(t, srv.Shutdown(context.Background()))
	})
}

// A Refuse error carrying 204 answers 204 with no body, and its header keys in canonical form.
func TestRefuseStatusErrorNoContent(t *testing.T) {
	srv := server.New(server.Options{Refuse: func(*http.Request) error {
		return &server.StatusError{Code: http.StatusNoContent, Msg: "gone", Header: http.Header{"sse-outcome": {"complete"}}}
	}})
	defer func() { _ = srv.Shutdown(t.Context()) }()
	rec, cancel, done := serveAsync(srv, "/", nil)
	<-done
	cancel()
	if rec.Status() != http.StatusNoContent || rec.Body() != "" || rec.Header().Get("SSE-Outcome") != "complete" {
		t.Fatalf("status %d, body %q, SSE-Outcome %q", rec.Status(), rec.Body(), rec.Header().Get("SSE-Outcome"))
	}
}
