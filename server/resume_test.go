package server_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/server"
)

// TestResumeIsSignalled resumes from ids that the server holds, no longer holds, or never
// issued: a lost stretch of events is never silent (the SSE-Replay header, the gap event,
// Session.ReplayGap), and an unknown id is told apart from it.
func TestResumeIsSignalled(t *testing.T) {
	tests := []struct {
		name       string
		opts       server.Options
		lastID     string // "#n": the id of the n-th event published (1-based)
		wantHeader string // SSE-Replay; "" for none
		wantGap    bool
		wantBody   string // after the preamble, before the live event
		noLive     bool   // the session has no topics
	}{
		// The start position: an event with only an id (stripIDs removes its id line).
		{name: "no Last-Event-ID", wantHeader: "", wantBody: "\n"},
		{name: "complete", lastID: "#8", wantHeader: "complete", wantBody: "data: 9\n\ndata: 10\n\n"},
		{name: "complete, at the newest event", lastID: "#10", wantHeader: "complete"},
		{name: "complete, though the id left the buffer", lastID: "#6", wantHeader: "complete",
			wantBody: "data: 7\n\ndata: 8\n\ndata: 9\n\ndata: 10\n\n"},
		{name: "gap", lastID: "#2", wantHeader: "gap", wantGap: true},
		{name: "gap with a gap event", lastID: "#2", opts: server.Options{GapEvent: &sse.Event{ID: "ignored", Type: "gap", Data: "resync"}},
			wantHeader: "gap", wantGap: true, wantBody: "event: gap\ndata: resync\n\n"},
		{name: "unknown", lastID: "someone-else-1", wantHeader: "unknown"},
		{name: "unknown token-shaped id", lastID: "0f8fad5b-d9cb-469f-a165-70867728950e", wantHeader: "unknown"},
		{name: "no replay configured", lastID: "#8", opts: server.Options{ReplaySize: -1}},
		{name: "no topics", lastID: "#8", opts: server.Options{Topics: func(*http.Request) []string { return nil }}, noLive: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				gaps := make(chan bool, 1)
				opts := tt.opts
				opts.HeartbeatInterval = -1
				opts.AutoID = true
				if opts.ReplaySize == 0 {
					opts.ReplaySize = 4
				} else if opts.ReplaySize < 0 {
					opts.ReplaySize = 0
				}
				if opts.Topics == nil {
					opts.Topics = func(*http.Request) []string { return []string{"t"} }
				}
				opts.Stream = func(s *server.Session) { gaps <- s.ReplayGap(); <-s.Done() }
				srv := server.New(opts)
				var ids []string
				for i := 1; i <= 10; i++ {
					ids = append(ids, mustPublish(t, srv, "t", sse.Event{Data: strconv.Itoa(i)}))
				}
				lastID := tt.lastID
				if n, ok := strings.CutPrefix(lastID, "#"); ok {
					lastID = ids[mustAtoi(t, n)-1]
				}
				header := map[string]string{}
				if lastID != "" {
					header["Last-Event-ID"] = lastID
				}
				rec, cancel, done := serveAsync(srv, "/", header)
				require.Equal(t, tt.wantGap, <-gaps)
				mustPublish(t, srv, "t", sse.Event{Data: "live"})
				synctest.Wait()
				cancel()
				<-done
				require.Equal(t, tt.wantHeader, rec.Header().Get(sse.HeaderReplay))
				if tt.wantHeader == "" {
					require.NotContains(t, rec.Header(), http.CanonicalHeaderKey(sse.HeaderReplay))
				}
				live := "data: live\n\n"
				if tt.noLive {
					live = ""
				}
				require.Equal(t, ": ok\n"+tt.wantBody+live, stripIDs(rec.Body()))
				require.NoError(t, srv.Shutdown(context.Background()))
			})
		})
	}
}

// A resume whose Last-Event-ID one topic holds, while another topic already dropped events
// published after it, is a gap too.
func TestReplayGapAcrossTopics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gaps := make(chan bool, 1)
		srv := server.New(server.Options{
			HeartbeatInterval: -1, ReplaySize: 2,
			Topics: func(*http.Request) []string { return []string{"a", "b"} },
			Stream: func(s *server.Session) { gaps <- s.ReplayGap(); <-s.Done() },
		})
		mustPublish(t, srv, "a", sse.Event{ID: "a1", Data: "a1"})
		for _, id := range []string{"b1", "b2", "b3"} {
			mustPublish(t, srv, "b", sse.Event{ID: id, Data: id})
		}
		rec, cancel, done := serveAsync(srv, "/", map[string]string{"Last-Event-ID": "a1"})
		require.True(t, <-gaps, "b1, published after a1, had left topic b's buffer")
		cancel()
		<-done
		require.Equal(t, "gap", rec.Header().Get(sse.HeaderReplay))
		require.Equal(t, ": ok\n", rec.Body())

		rec, cancel, done = serveAsync(srv, "/", map[string]string{"Last-Event-ID": "b2"})
		require.False(t, <-gaps, "both buffers cover a resume from b2")
		cancel()
		<-done
		require.Equal(t, "complete", rec.Header().Get(sse.HeaderReplay))
		require.Equal(t, ": ok\nid: b3\ndata: b3\n\n", rec.Body())
		require.NoError(t, srv.Shutdown(context.Background()))
	})
}

func TestNewPanicsOnInvalidOptionEvents(t *testing.T) {
	for _, field := range []string{"HeartbeatEvent", "GapEvent"} {
		t.Run(field, func(t *testing.T) {
			bad := &sse.Event{Type: "bad\nname"}
			opts := server.Options{HeartbeatEvent: bad}
			if field == "GapEvent" {
				opts = server.Options{GapEvent: bad}
			}
			defer func() {
				msg, _ := recover().(string)
				require.True(t, strings.HasPrefix(msg, "server: invalid Options."+field+": "), "panic %q", msg)
			}()
			server.New(opts)
		})
	}
}

// stripIDs removes the id lines of automatic ids (random prefixes) from a stream.
func stripIDs(body string) string {
	var b strings.Builder
	for line := range strings.Lines(body) {
		if !strings.HasPrefix(line, "id: ") {
			b.WriteString(line)
		}
	}
	return b.String()
}
