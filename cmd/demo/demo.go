//go:build !js

package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/internal/fake"
	"github.com/polysse/sse/server"
)

//go:embed index.html
var page []byte

// favicon is the demo's icon: two event streams in polysse's blue.
const favicon = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">` +
	`<rect width="32" height="32" rx="7" fill="#1d5fbf"/>` +
	`<path d="M7 11h12M7 16h18M7 21h9" stroke="#fff" stroke-width="3" stroke-linecap="round"/>` +
	`<circle cx="24" cy="11" r="2.5" fill="#9fd0ff"/><circle cx="20" cy="21" r="2.5" fill="#9fd0ff"/></svg>`

// demo is the demo's routes and the SSE servers behind them.
type demo struct {
	mux     *http.ServeMux
	servers []*server.Server
	clock   *server.Server
	compare *fake.Engine // the compare page's streams (compare.go)
}

// handle mounts a new server.Server on pattern.
func (d *demo) handle(pattern string, opts server.Options) *server.Server {
	srv := server.New(opts)
	d.servers = append(d.servers, srv)
	d.mux.Handle(pattern, srv)
	return srv
}

// newDemo builds the demo's routes; webDir is polysse's web build (web/dist), which the
// side-by-side page at /compare loads.
func newDemo(webDir string) *demo {
	d := &demo{mux: http.NewServeMux()}
	handle := d.handle
	d.addCompare(webDir)

	d.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page)
	})
	for _, p := range []string{"GET /favicon.ico", "GET /favicon.svg"} {
		d.mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "image/svg+xml")
			w.Header().Set("Cache-Control", "public, max-age=86400")
			_, _ = io.WriteString(w, favicon)
		})
	}

	// Replay: a clock publishes a tick every second to the topic "clock", each with an
	// automatic id. Every stream is ended after 5 s; the browser reconnects 2 s later with
	// its Last-Event-ID and gets the ticks it missed from the replay buffer: no gap.
	d.clock = handle("GET /events/clock", server.Options{
		Topics:           func(*http.Request) []string { return []string{"clock"} },
		ReplaySize:       100,
		ReplayAge:        time.Minute,
		AutoID:           true,
		ReconnectionTime: 2 * time.Second,
		Stream: func(s *server.Session) {
			if id := s.LastEventID(); id != "" {
				// Stream runs after the replay has been written.
				_ = s.Push(sse.Event{Type: "info", Data: "reconnected with Last-Event-ID " + id + ": the ticks above were replayed"})
			}
			select {
			case <-time.After(5 * time.Second):
				s.Close() // a plain end of response: the browser reconnects
			case <-s.Done():
			}
		},
	})

	// Heartbeats: an idle stream gets a "ping" event every 2 s (by default a ":" comment
	// every 15 s, which a page cannot see). The interval is announced in the
	// SSE-Heartbeat-Interval response header.
	handle("GET /events/heartbeat", server.Options{
		HeartbeatInterval: 2 * time.Second,
		HeartbeatEvent:    &sse.Event{Type: "ping", Data: "still here"},
	})

	// Completion: five progress events, then a complete event. The browser's EventSource
	// reconnects when the response ends; the reconnect redeems the complete event's id and
	// is answered 204 with SSE-Outcome: complete, which closes the EventSource for good.
	handle("GET /events/complete", server.Options{
		ReconnectionTime: time.Second,
		Stream: func(s *server.Session) {
			for i := 1; i <= 5; i++ {
				if !sleep(s, 400*time.Millisecond) || s.PushJSON(map[string]int{"progress": 20 * i}) != nil {
					return
				}
			}
			_ = s.Complete(`{"result":"all done"}`)
		},
	})

	// Fatal: the stream fails mid-way; the reconnect is answered 204 with SSE-Outcome: fatal.
	handle("GET /events/fatal", server.Options{
		ReconnectionTime: time.Second,
		Stream: func(s *server.Session) {
			for i := 1; i <= 2; i++ {
				if !sleep(s, 400*time.Millisecond) || s.PushData(fmt.Sprintf("working (%d)", i)) != nil {
					return
				}
			}
			_ = s.Fail(`{"error":"disk full"}`)
		},
	})

	// Refusal: without ?token=let-me-in the request is refused before any session
	// exists: 401 with a message, or 204 (stop, without an error) with ?mode=204.
	handle("GET /events/refuse", server.Options{
		Refuse: func(r *http.Request) error {
			q := r.URL.Query()
			if q.Get("token") == "let-me-in" {
				return nil
			}
			if q.Get("mode") == "204" {
				return &server.StatusError{Code: http.StatusNoContent}
			}
			return &server.StatusError{Code: http.StatusUnauthorized, Msg: "no valid token"}
		},
		Stream: func(s *server.Session) {
			_ = s.PushData("welcome: you were let in")
			<-s.Done()
		},
	})

	// A POST stream, as chat-completion APIs do it: the question is the JSON body
	// {"prompt": "..."} and the answer streams back one word per event, then a complete
	// event. Stream reads the body itself; the server bounds it by Options.MaxRequestBody.
	handle("POST /events/ask", server.Options{
		Stream: func(s *server.Session) {
			var q struct {
				Prompt string `json:"prompt"`
			}
			if err := json.NewDecoder(io.LimitReader(s.Request().Body, 64<<10)).Decode(&q); err != nil {
				_ = s.Fail(jsonString(map[string]string{"error": "the body is not JSON of the form {\"prompt\": \"...\"}: " + err.Error()}))
				return
			}
			words := strings.Fields(q.Prompt)
			if len(words) == 0 {
				_ = s.Fail(`{"error":"the prompt is empty"}`)
				return
			}
			answer := append([]string{"You", "asked", strconv.Itoa(len(words)), "words;", "here", "they", "are", "back:"}, words...)
			// Event i has id i+1. A reconnect posts the same body with the last id it got,
			// and the answer resumes after it instead of starting again.
			from, err := strconv.Atoi(s.LastEventID())
			if err != nil || from < 0 || from > len(answer) {
				from = 0
			}
			for i := from; i < len(answer); i++ {
				w := answer[i]
				if !sleep(s, 120*time.Millisecond) || s.Push(sse.Event{Type: "token", ID: strconv.Itoa(i + 1), Data: w}) != nil {
					return
				}
			}
			_ = s.Complete(jsonString(map[string]int{"words": len(words), "tokens": len(answer)}))
		},
	})
	return d
}

// jsonString is v as JSON; v is a map of strings or ints, which always encodes.
func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// publishClock publishes a tick to the clock topic every interval until ctx is done.
func (d *demo) publishClock(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if _, err := d.clock.Publish(ctx, "clock", sse.Event{Data: fmt.Sprintf("tick %d at %s", n, now.Format(time.TimeOnly))}); err != nil {
				return
			}
		}
	}
}

// sleep waits for d and reports whether the session is still open.
func sleep(s *server.Session, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.Done():
		return false
	}
}
