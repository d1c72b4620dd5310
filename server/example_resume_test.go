package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/server"
)

// A client that resumes after more events than the replay buffer holds is told of the
// gap: by the SSE-Replay response header, by the gap event (which a browser's EventSource
// can see), and by Session.ReplayGap, with which the stream can tell it to resynchronise.
func ExampleSession_ReplayGap() {
	srv := server.New(server.Options{
		Topics:     func(*http.Request) []string { return []string{"prices"} },
		ReplaySize: 2,
		AutoID:     true,
		GapEvent:   &sse.Event{Type: "gap", Data: "resync"},
		Stream: func(s *server.Session) {
			if s.ReplayGap() {
				_ = s.PushData(`{"snapshot":"all prices now"}`)
			}
			s.Close()
		},
	})
	var first string
	for i := range 5 {
		id, _ := srv.Publish(context.Background(), "prices", sse.Event{Data: fmt.Sprint(i)})
		if i == 0 {
			first = id
		}
	}

	// A client comes back with the id of the first event: the buffer keeps the last two.
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Last-Event-ID", first)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	fmt.Println("SSE-Replay:", rec.Header().Get("SSE-Replay"))
	fmt.Print(strings.ReplaceAll(rec.Body.String(), "\n\n", "\n"))

	// Output:
	// SSE-Replay: gap
	// : ok
	// event: gap
	// data: resync
	// data: {"snapshot":"all prices now"}
}
