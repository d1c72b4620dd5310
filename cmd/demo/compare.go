//go:build !js

package main

import (
	_ "embed"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/server"
)

//go:embed compare.html
var comparePage []byte

// addCompare adds the side-by-side page, where the browser's native EventSource and
// polysse's run the same scenarios, and the streams only it uses. webDir is the folder
// make wasm writes (web/dist), served under /polysse/ with its precompressed variants
// (see staticFiles); the landing page loads polysse from there too.
func (d *demo) addCompare(webDir string) {
	d.mux.HandleFunc("GET /compare", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(comparePage)
	})
	d.mux.HandleFunc("GET /polysse/", func(w http.ResponseWriter, r *http.Request) {
		if _, err := os.Stat(filepath.Join(webDir, "polysse.wasm")); err != nil {
			http.Error(w, "polysse's web build is missing: run make wasm (or make demo, which does), or pass -web", http.StatusNotFound)
			return
		}
		http.StripPrefix("/polysse", staticFiles{dir: webDir}).ServeHTTP(w, r)
	})

	// A stream of numbered events, without end.
	d.handle("GET /events/stream", server.Options{
		ReconnectionTime: 2 * time.Second,
		Stream: func(s *server.Session) {
			for i := 1; ; i++ {
				if s.Push(sse.Event{ID: strconv.Itoa(i), Data: fmt.Sprintf("event %d", i)}) != nil || !sleep(s, 700*time.Millisecond) {
					return
				}
			}
		},
	})

	// 503 with Retry-After for the first two attempts of each ?run=, then a stream: native
	// EventSource gives up at the first 503; polysse retries it when classify says so.
	var unavailable attempts
	streamAfter := server.New(server.Options{
		Stream: func(s *server.Session) {
			_ = s.PushData("the server is back")
			<-s.Done()
		},
	})
	d.servers = append(d.servers, streamAfter)
	d.mux.HandleFunc("GET /events/unavailable", func(w http.ResponseWriter, r *http.Request) {
		if unavailable.next(r.URL.Query().Get("run")) <= 2 {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "busy, try again", http.StatusServiceUnavailable)
			return
		}
		streamAfter.ServeHTTP(w, r)
	})

	// A dropped connection: three events, then the connection is cut without ending the
	// response. Both EventSources reconnect with Last-Event-ID and resume.
	d.mux.HandleFunc("GET /events/drop", func(w http.ResponseWriter, r *http.Request) {
		from, _ := strconv.Atoi(r.Header.Get("Last-Event-ID"))
		w.Header().Set("Content-Type", "text/event-stream")
		enc := sse.NewEncoder(w)
		_ = enc.Encode(&sse.Event{Retry: time.Second})
		for i := from + 1; i <= from+3; i++ {
			_ = enc.Encode(&sse.Event{ID: strconv.Itoa(i), Data: fmt.Sprintf("event %d", i)})
			http.NewResponseController(w).Flush()
			time.Sleep(300 * time.Millisecond)
		}
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			_ = conn.Close() // HTTP/1.1: cut the connection mid-response
		} else {
			panic(http.ErrAbortHandler) // HTTP/2: reset the stream
		}
	})

	// Stalled heartbeats: the server announces a 1 s heartbeat, sends two events, then
	// falls silent with the connection open. Native waits forever; polysse, with
	// heartbeatTimeout: 'auto', reconnects after 1.33 s of silence.
	d.mux.HandleFunc("GET /events/stall", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set(sse.HeaderHeartbeatInterval, "1000")
		enc := sse.NewEncoder(w)
		for i := 1; i <= 2; i++ {
			_ = enc.Encode(&sse.Event{Data: fmt.Sprintf("event %d, then silence", i)})
			http.NewResponseController(w).Flush()
		}
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
	})
}

// attempts counts the attempts of each run of the 503 scenario.
type attempts struct {
	mu sync.Mutex
	n  map[string]int
}

func (a *attempts) next(run string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.n == nil || len(a.n) >= 1000 { // bounded: old runs are forgotten
		a.n = make(map[string]int)
	}
	a.n[run]++
	return a.n[run]
}
