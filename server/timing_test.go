package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/server"
)

// The tests in this file run in testing/synctest bubbles, on fake time, and drive the
// handler with the in-memory recorder: goroutines blocked on real sockets are not durably
// blocked, so a bubble cannot contain an httptest server.

type at struct {
	after time.Duration
	data  string
}

// flushesSince returns the recorder's flushes with their times relative to start.
func flushesSince(rec *recorder, start time.Time) []at {
	var out []at
	for _, f := range rec.Flushes() {
		out = append(out, at{f.At.Sub(start), f.Data})
	}
	return out
}

func TestHeartbeat(t *testing.T) {
	tests := []struct {
		name      string
		event     *sse.Event
		wantBeat  string
		wantValue string
	}{
		{name: "comment", wantBeat: ":\n", wantValue: "15000"},
		{name: "event without id", event: &sse.Event{ID: "ignored", Type: "ping"}, wantBeat: "event: ping\ndata: \n\n", wantValue: "15000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sessions := make(chan *server.Session, 1)
				srv := server.New(server.Options{
					HeartbeatInterval: 15 * time.Second,
					HeartbeatEvent:    tt.event,
					Topics:            func(*http.Request) []string { return []string{"t"} },
					Stream:            func(s *server.Session) { sessions <- s; <-s.Done() },
				})
				start := time.Now()
				rec, cancel, done := serveAsync(srv, "/", nil)
				s := <-sessions
				require.Equal(t, tt.wantValue, rec.Header().Get(sse.HeaderHeartbeatInterval))

				time.Sleep(40 * time.Second) // heartbeats at 15 s and 30 s
				require.NoError(t, s.PushData("pushed"))
				synctest.Wait()
				time.Sleep(25 * time.Second) // the push at 40 s moves the next beat to 55 s
				_, err := srv.Publish(context.Background(), "t", sse.Event{Data: "published"})
				require.NoError(t, err)
				synctest.Wait()
				time.Sleep(16 * time.Second) // and the publish at 65 s to 80 s
				cancel()
				<-done

				require.Equal(t, []at{
					{0, ": ok\n"},
					{15 * time.Second, tt.wantBeat},
					{30 * time.Second, tt.wantBeat},
					{40 * time.Second, "data: pushed\n\n"},
					{55 * time.Second, tt.wantBeat},
					{65 * time.Second, "data: published\n\n"},
					{80 * time.Second, tt.wantBeat},
				}, flushesSince(rec, start))
				require.Equal(t, server.ReasonClientGone, s.Reason())
				require.NoError(t, srv.Shutdown(context.Background())) // its workers exit
			})
		})
	}
}

// tokenOf returns the id of the complete or fatal event in body.
func tokenOf(t *testing.T, body string) string {
	t.Helper()
	for line := range strings.Lines(body) {
		if id, ok := strings.CutPrefix(line, "id: "); ok {
			return strings.TrimSuffix(id, "\n")
		}
	}
	t.Fatalf("no id in %q", body)
	return ""
}

func TestCompletionTokenExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := server.New(server.Options{
			TokenTTL: time.Minute,
			Stream: func(s *server.Session) {
				if s.LastEventID() == "" {
					_ = s.Complete("")
					return
				}
				s.Close()
			},
		})
		complete := func() string {
			rec, _, done := serveAsync(srv, "/", nil)
			<-done
			return tokenOf(t, rec.Body())
		}
		reconnect := func(token string) int {
			rec, _, done := serveAsync(srv, "/", map[string]string{"Last-Event-ID": token})
			<-done
			return rec.Status()
		}
		early, late := complete(), complete()
		time.Sleep(time.Minute - time.Nanosecond)
		require.Equal(t, http.StatusNoContent, reconnect(early))
		time.Sleep(time.Nanosecond)
		require.Equal(t, http.StatusOK, reconnect(late), "an expired token is an ordinary reconnect")
		require.NoError(t, srv.Shutdown(context.Background()))
	})
}

func TestReplayAge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sessions := make(chan *server.Session, 1)
		srv := server.New(server.Options{
			ReplaySize: 100,
			ReplayAge:  10 * time.Second,
			Topics:     func(*http.Request) []string { return []string{"t"} },
			Stream:     func(s *server.Session) { sessions <- s; s.Close() },
		})
		publish := func(id string) {
			_, err := srv.Publish(context.Background(), "t", sse.Event{ID: id, Data: id})
			require.NoError(t, err)
		}
		replay := func(lastID string) string {
			rec, _, done := serveAsync(srv, "/", map[string]string{"Last-Event-ID": lastID})
			<-sessions
			<-done
			return strings.TrimPrefix(rec.Body(), ": ok\n")
		}
		publish("1")
		time.Sleep(time.Second)
		publish("2")
		time.Sleep(10 * time.Second)
		publish("3") // 1 is now older than 10 s and is dropped
		require.Equal(t, "", replay("1"), "an expired id is unknown")
		require.Equal(t, "id: 3\ndata: 3\n\n", replay("2"))
		time.Sleep(11 * time.Second) // 3 is now older than 10 s too
		require.Equal(t, "", replay("2"), "expired events are not replayed")
		require.NoError(t, srv.Shutdown(context.Background()))
	})
}
