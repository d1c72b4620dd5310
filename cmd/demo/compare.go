//go:build !js

package main

import (
	_ "embed"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/internal/fake"
	"github.com/polysse/sse/internal/fake/script"
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

	// The streams only the page uses are routes of the fake SSE server's engine (the
	// scripted server polysse's tests use too): scripts, and a handler for the drop.
	e, err := fake.New(fake.Options{MaxHold: time.Minute})
	if err == nil {
		var f *script.File
		if f, err = script.ParseFile([]byte(compareRoutes)); err == nil {
			err = e.Load(f)
		}
	}
	if err == nil {
		err = e.Route(fake.Route{Route: script.Route{Pattern: "GET /events/drop", Options: &script.Options{
			ReconnectionTime: ptr(script.NumOf(1000))}}, Handler: serveDrop})
	}
	if err != nil {
		panic("demo: the compare routes: " + err.Error()) // constants: TestCompareRoutes catches it
	}
	d.compare = e
	for _, p := range []string{"GET /events/stream", "GET /events/unavailable", "GET /events/stall", "GET /events/drop"} {
		d.mux.Handle(p, e)
	}
}

// compareRoutes are the streams of the compare page:
//
//   - /events/stream: numbered events, without end;
//   - /events/unavailable: 503 with Retry-After for the first two attempts of each ?run=,
//     then a stream: native EventSource gives up at the first 503; polysse retries it
//     when classify says so;
//   - /events/stall: stalled heartbeats: it announces a 1 s heartbeat, sends two events,
//     then falls silent with the connection open. Native waits forever; polysse, with
//     heartbeatTimeout: 'auto', reconnects after 1.33 s of silence.
const compareRoutes = `{"version": 1, "routes": [
  {"route": "GET /events/stream", "options": {"reconnectionTime": 2000},
   "answers": [{"stream": [{"repeat": null, "steps": [{"event": {"id": "{i}", "data": "event {i}"}}, {"wait": 700}]}]}]},
  {"route": "GET /events/unavailable", "attemptKey": "{query.run}", "answers": [
    {"times": 2, "respond": {"status": 503, "headers": {"Retry-After": "1"}, "body": "busy, try again\n"}},
    {"stream": [{"event": {"data": "the server is back"}}]}]},
  {"route": "GET /events/stall", "answers": [{"respond": {"status": 200,
    "headers": {"Content-Type": "text/event-stream", "SSE-Heartbeat-Interval": "1000"},
    "body": [{"raw": "data: event 1, then silence\n\n"}, {"raw": "data: event 2, then silence\n\n"}, "hold"]}}]}
]}`

func ptr[T any](v T) *T { return &v }

// serveDrop answers /events/drop: three events whose ids continue from the request's
// Last-Event-ID, 300 ms apart, then the connection is cut without ending the response.
// Both EventSources reconnect with Last-Event-ID and resume.
func serveDrop(c *fake.Context) {
	from, _ := strconv.Atoi(c.LastEventID)
	conn := c.Stream()
	for i := from + 1; i <= from+3; i++ {
		if conn.Send(sse.Event{ID: strconv.Itoa(i), Data: "event " + strconv.Itoa(i)}) != nil || conn.Sleep(300*time.Millisecond) != nil {
			return
		}
	}
	_ = conn.Drop()
}
