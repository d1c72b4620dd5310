package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/server"
)

// lastIDOf returns the Last-Event-ID a client sends after reading body: what the
// standard's parser leaves as its last event ID.
func lastIDOf(body string) string {
	var p sse.Parser
	p.Feed([]byte(body))
	for {
		if _, ok := p.Next(); !ok {
			break
		}
	}
	return p.LastEventID()
}

// dataOf returns the data of the events in body.
func dataOf(t *testing.T, body string) []string {
	t.Helper()
	var p sse.Parser
	p.Feed([]byte(body))
	var out []string
	for {
		ev, ok := p.Next()
		if !ok {
			break
		}
		out = append(out, ev.Data)
	}
	require.NoError(t, p.Err())
	return out
}

// A client that has received no event when its connection drops reconnects with the id
// of its start position and misses nothing that was published meanwhile (or is told of
// the gap): it never reconnects as a new stream that silently lost those events.
func TestClientWithoutEventsResumesFromItsStart(t *testing.T) {
	tests := []struct {
		name    string
		before  [][2]string // topic, data: published before the client connects
		offline [][2]string // published while it is disconnected
		want    []string    // replayed on its reconnect
		gap     bool
	}{
		{name: "nothing published before", offline: [][2]string{{"a", "1"}, {"b", "x"}, {"a", "2"}}, want: []string{"1", "2"}},
		{name: "the start position is an event of another topic",
			before:  [][2]string{{"a", "old"}, {"b", "x"}, {"b", "y"}},
			offline: [][2]string{{"b", "z"}, {"a", "1"}, {"a", "2"}, {"b", "w"}, {"a", "3"}},
			want:    []string{"1", "2", "3"}},
		{name: "nothing published meanwhile", before: [][2]string{{"a", "old"}}, want: nil},
		{name: "gap: more published meanwhile than the buffer holds",
			before:  [][2]string{{"a", "old"}},
			offline: [][2]string{{"a", "1"}, {"a", "2"}, {"a", "3"}, {"a", "4"}, {"a", "5"}},
			gap:     true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				gaps := make(chan bool, 2)
				srv := server.New(server.Options{
					HeartbeatInterval: -1, ReplaySize: 4, AutoID: true,
					GapEvent: &sse.Event{Type: "gap"},
					Topics:   func(*http.Request) []string { return []string{"a"} },
					Stream:   func(s *server.Session) { gaps <- s.ReplayGap(); <-s.Done() },
				})
				for _, p := range tt.before {
					mustPublish(t, srv, p[0], sse.Event{Data: p[1]})
				}
				rec, cancel, done := serveAsync(srv, "/", nil)
				require.False(t, <-gaps)
				synctest.Wait()
				cancel() // the connection drops before any event
				<-done
				require.Empty(t, dataOf(t, rec.Body()), "the client received no event")
				lastID := lastIDOf(rec.Body())
				require.NotEmpty(t, lastID, "the stream gave the client its start position: %q", rec.Body())

				for _, p := range tt.offline {
					mustPublish(t, srv, p[0], sse.Event{Data: p[1]})
				}
				rec, cancel, done = serveAsync(srv, "/", map[string]string{"Last-Event-ID": lastID})
				require.Equal(t, tt.gap, <-gaps)
				synctest.Wait()
				cancel()
				<-done
				if tt.gap {
					require.Equal(t, "gap", rec.Header().Get(sse.HeaderReplay))
					require.Equal(t, ": ok\nevent: gap\ndata: \n\n", rec.Body())
				} else {
					require.Equal(t, "complete", rec.Header().Get(sse.HeaderReplay))
					require.Equal(t, tt.want, dataOf(t, rec.Body()))
				}
				require.NoError(t, srv.Shutdown(context.Background()))
			})
		})
	}
}

// The start position is an event with only an id, right after the preamble: the
// position in the log at which the session joined, "<prefix>-<seq>" of the last publish
// (to any topic) before it. Only a session without a Last-Event-ID of a Server whose
// broker issues positions gets one.
func TestStartPosition(t *testing.T) {
	tests := []struct {
		name   string
		opts   server.Options
		lastID string // "#n": the id of the n-th event published
		want   string // the body; "#3" stands for the id of the third event
	}{
		{name: "auto ids and replay", opts: server.Options{AutoID: true, ReplaySize: 8}, want: ": ok\nid: #3\n\n"},
		{name: "with a retry field", opts: server.Options{AutoID: true, ReplaySize: 8, ReconnectionTime: 1500e6},
			want: ": ok\nretry: 1500\nid: #3\n\n"},
		// Event 3 went to topic b: the replay after event 2 is empty.
		{name: "a resume gets none", opts: server.Options{AutoID: true, ReplaySize: 8}, lastID: "#2", want: ": ok\n"},
		{name: "an unknown id gets none", opts: server.Options{AutoID: true, ReplaySize: 8}, lastID: "elsewhere-1", want: ": ok\n"},
		{name: "no automatic ids: none", opts: server.Options{ReplaySize: 8}, want: ": ok\n"},
		{name: "no replay: none", opts: server.Options{AutoID: true}, want: ": ok\n"},
		{name: "no topics: none", opts: server.Options{AutoID: true, ReplaySize: 8, Topics: func(*http.Request) []string { return nil }}, want: ": ok\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				opts := tt.opts
				opts.HeartbeatInterval = -1
				if opts.Topics == nil {
					opts.Topics = func(*http.Request) []string { return []string{"a"} }
				}
				srv := server.New(opts)
				ids := []string{
					mustPublish(t, srv, "a", sse.Event{Data: "1"}),
					mustPublish(t, srv, "a", sse.Event{Data: "2"}),
					mustPublish(t, srv, "b", sse.Event{Data: "3"}),
				}
				header := map[string]string{}
				if n, ok := strings.CutPrefix(tt.lastID, "#"); ok {
					header["Last-Event-ID"] = ids[mustAtoi(t, n)-1]
				} else if tt.lastID != "" {
					header["Last-Event-ID"] = tt.lastID
				}
				rec, cancel, done := serveAsync(srv, "/", header)
				synctest.Wait()
				cancel()
				<-done
				require.Equal(t, strings.ReplaceAll(tt.want, "#3", ids[2]), rec.Body())
				require.NoError(t, srv.Shutdown(context.Background()))
			})
		})
	}
}

// A session evicted before its first write writes its preamble and start position alone
// (the events queued for it are discarded): its client resumes from its start, and gets
// them replayed.
func TestEvictedBeforeStartResumesFromItsStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hub := server.NewHub(8, 0, 0, true)
		srv := server.New(server.Options{
			HeartbeatInterval: -1,
			QueueSize:         1,
			Broker:            &racingBroker{Broker: hub, events: []string{"1", "2"}},
			Topics:            func(*http.Request) []string { return []string{"t"} },
		})
		rec, cancel, done := serveAsync(srv, "/", nil)
		<-done // evicted: a queue of 1, two events
		cancel()
		require.Regexp(t, `^: ok\nid: [0-9a-f]{8}-0\n\n$`, rec.Body())

		srv2 := server.New(server.Options{
			HeartbeatInterval: -1,
			Broker:            hub, // no racing publishes this time
			Topics:            func(*http.Request) []string { return []string{"t"} },
		})
		rec, cancel, done = serveAsync(srv2, "/", map[string]string{"Last-Event-ID": lastIDOf(rec.Body())})
		synctest.Wait()
		cancel()
		<-done
		require.Equal(t, "complete", rec.Header().Get(sse.HeaderReplay))
		require.Equal(t, []string{"1", "2"}, dataOf(t, rec.Body()))
		require.NoError(t, srv.Shutdown(context.Background()))
		require.NoError(t, srv2.Shutdown(context.Background()))
	})
}
