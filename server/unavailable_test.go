package server_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/server"
)

var errDown = fmt.Errorf("redis: connection refused: %w", server.ErrBrokerUnavailable)

// downStore is a completion store whose database is down.
type downStore struct {
	sse.MemoryStore
	down  bool
	ready error
}

func (s *downStore) Redeem(ctx context.Context, token string) (sse.Outcome, bool, error) {
	if s.down {
		return "", false, errDown
	}
	return s.MemoryStore.Redeem(ctx, token)
}

func (s *downStore) Ready(context.Context) error { return s.ready }

// downBroker is a broker whose log is unreachable.
type downBroker struct {
	server.Broker
	down   bool
	ready  error
	closed int
}

func (b *downBroker) Subscribe(ctx context.Context, sub server.Subscriber, topics []string, lastID string) (server.Subscription, server.Resume, error) {
	if b.down {
		return nil, server.Resume{}, errDown
	}
	return b.Broker.Subscribe(ctx, sub, topics, lastID)
}

func (b *downBroker) Publish(ctx context.Context, topics []string, ev sse.Event) (string, error) {
	if b.down {
		return "", errDown
	}
	return b.Broker.Publish(ctx, topics, ev)
}

func (b *downBroker) Ready(context.Context) error { return b.ready }

func (b *downBroker) Close() error { b.closed++; return b.Broker.Close() }

// When the completion store or the broker is down, the request is answered with the
// stream's headers, the preamble and a retry field, and ends: the client comes back with
// the same Last-Event-ID later. It is neither served as an ordinary reconnect (that could
// restart finished work) nor answered with a status that stops an EventSource for good.
func TestUnavailableAsksToComeBackLater(t *testing.T) {
	tests := []struct {
		name        string
		storeDown   bool
		brokerDown  bool
		lastEventID string
	}{
		{name: "store down, redeeming a token", storeDown: true, lastEventID: "0f8fad5b-d9cb-469f-a165-70867728950e"},
		{name: "broker down, resuming", brokerDown: true, lastEventID: "abc-1"},
		{name: "broker down, new stream", brokerDown: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log, logs := testLogger()
			streams := 0
			store := &downStore{down: tt.storeDown}
			broker := &downBroker{Broker: server.NewHub(8, 0, 0, true), down: tt.brokerDown}
			srv := server.New(server.Options{
				Logger:           log,
				Store:            store,
				Broker:           broker,
				RetryAfter:       7 * time.Second,
				ReconnectionTime: time.Second,
				Topics:           func(*http.Request) []string { return []string{"t"} },
				Stream:           func(s *server.Session) { streams++ },
			})
			rec, cancel, done := serveAsync(srv, "/", map[string]string{"Last-Event-ID": tt.lastEventID})
			<-done
			cancel()
			require.Equal(t, http.StatusOK, rec.Status())
			require.Equal(t, "text/event-stream", rec.Header().Get("Content-Type"))
			require.Equal(t, ": ok\nretry: 7000\n", rec.Body())
			require.Zero(t, streams, "nothing is served")
			require.Contains(t, logs.String(), "come back later")
			require.Contains(t, logs.String(), "connection refused")
			require.Equal(t, 0, srv.Sessions())

			_, err := srv.Publish(t.Context(), "t", sse.Event{Data: "x"})
			if tt.brokerDown {
				require.ErrorIs(t, err, server.ErrBrokerUnavailable)
			} else {
				require.NoError(t, err)
			}
			require.NoError(t, srv.Shutdown(t.Context()))
		})
	}
}

func TestReady(t *testing.T) {
	store := &downStore{}
	broker := &downBroker{Broker: server.NewHub(0, 0, 0, false)}
	srv := server.New(server.Options{Store: store, Broker: broker})
	require.NoError(t, srv.Ready(t.Context()))

	broker.ready = errDown
	err := srv.Ready(t.Context())
	require.ErrorIs(t, err, server.ErrBrokerUnavailable)
	require.ErrorContains(t, err, "server: broker not ready")
	broker.ready = nil

	store.ready = errors.New("timeout")
	require.ErrorContains(t, srv.Ready(t.Context()), "server: completion store not ready: timeout")
	store.ready = nil

	require.NoError(t, srv.Shutdown(t.Context()))
	require.ErrorIs(t, srv.Ready(t.Context()), server.ErrServerClosed)
	require.Equal(t, 1, broker.closed, "Shutdown closes the broker")
	require.NoError(t, srv.Shutdown(t.Context()))
	require.Equal(t, 1, broker.closed, "once")
}

// Subscriber.End ends a live session with a plain end of response after what is queued.
func TestBrokerEndsASession(t *testing.T) {
	var subs []server.Subscriber
	broker := &endingBroker{Broker: server.NewHub(0, 0, 0, false), subs: &subs}
	sessions := make(chan *server.Session, 1)
	srv := server.New(server.Options{
		Broker: broker,
		Topics: func(*http.Request) []string { return []string{"t"} },
		Stream: func(s *server.Session) { sessions <- s; <-s.Done() },
	})
	rec, cancel, done := serveAsync(srv, "/", nil)
	defer cancel()
	s := <-sessions
	mustPublish(t, srv, "t", sse.Event{Data: "before"})
	errBroken := errors.New("log lost")
	subs[0].End(errBroken)
	<-done
	require.Equal(t, server.ReasonClosed, s.Reason())
	require.ErrorIs(t, s.Err(), errBroken)
	require.Equal(t, ": ok\ndata: before\n\n", rec.Body())
	require.NoError(t, srv.Shutdown(t.Context()))
}

type endingBroker struct {
	server.Broker
	subs *[]server.Subscriber
}

func (b *endingBroker) Subscribe(ctx context.Context, sub server.Subscriber, topics []string, lastID string) (server.Subscription, server.Resume, error) {
	*b.subs = append(*b.subs, sub)
	return b.Broker.Subscribe(ctx, sub, topics, lastID)
}

// While the broker is down every reconnecting client fails to subscribe: the log gets one
// line for the first failure, then at most one per ten seconds, which counts the failures
// it did not log.
func TestOutageIsLoggedAtABoundedRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log, logs := testLogger()
		broker := &downBroker{Broker: server.NewHub(8, 0, 0, true), down: true}
		srv := server.New(server.Options{
			Logger: log, Broker: broker, HeartbeatInterval: -1,
			Topics: func(*http.Request) []string { return []string{"t"} },
		})
		request := func() {
			_, cancel, done := serveAsync(srv, "/", nil)
			<-done
			cancel()
		}
		lines := func() int { return strings.Count(logs.String(), "subscribing failed") }
		for range 50 {
			request()
		}
		require.Equal(t, 1, lines(), "50 failures at once: one line")
		time.Sleep(10 * time.Second)
		request()
		require.Equal(t, 2, lines(), "ten seconds later: a second line")
		require.Contains(t, logs.String(), "failures_not_logged=49")
		require.NoError(t, srv.Shutdown(t.Context()))
	})
}
