package ssetest_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/ssetest"
)

// A scripted route: the first attempt streams two events and drops the connection, the
// reconnect (which carries Last-Event-ID) completes the stream. In a test, use
// ssetest.New(t) (inside synctest.Test for fake time) instead of NewFake.
func Example() {
	fake := ssetest.NewFake()
	defer fake.Close()
	fake.Handle("GET /jobs/{id}/events",
		ssetest.Stream(
			ssetest.Retry(time.Millisecond),
			ssetest.Event(sse.Event{Type: "progress", ID: "1", Data: "job {params.id}: 50%"}),
			ssetest.Drop()),
		ssetest.Stream(
			ssetest.Event(sse.Event{Type: "progress", ID: "2", Data: "job {params.id}: 100%"}),
			ssetest.Complete(`{"ok":true}`)))

	client := sse.NewClient(fake.URL+"/jobs/7/events", &sse.ClientOptions{
		HTTPClient:    fake.Client(), // in memory: no socket
		CompleteEvent: sse.EventComplete,
	})
	for ev, err := range client.Events(context.Background()) {
		if err != nil {
			fmt.Println("error:", err)
			break
		}
		fmt.Printf("%s: %s\n", ev.Type, ev.Data)
	}
	for _, r := range fake.Journal("GET /jobs/{id}/events") {
		fmt.Printf("attempt %d: Last-Event-ID %q, status %d\n", r.Attempt, r.LastEventID, r.Status)
	}
	// Output:
	// progress: job 7: 50%
	// progress: job 7: 100%
	// complete: {"ok":true}
	// attempt 1: Last-Event-ID "", status 200
	// attempt 2: Last-Event-ID "1", status 200
}

// Routes in the JSON script format that the JavaScript and standalone fakes read too.
func ExampleFake_Load() {
	fake := ssetest.NewFake()
	defer fake.Close()
	fake.Load([]byte(`{
	  "version": 1,
	  "routes": [
	    { "route": "GET /feed", "answers": [
	      { "times": 2, "respond": { "status": 503, "headers": { "Retry-After": "0" } } },
	      { "stream": [ { "event": { "data": "attempt {attempt}" } }, { "complete": "" } ] } ] }
	  ]
	}`))
	client := sse.NewClient(fake.URL+"/feed", &sse.ClientOptions{
		HTTPClient:    fake.Client(),
		CompleteEvent: sse.EventComplete,
		Retry:         sse.RetryPolicy{Initial: time.Millisecond},
		Classify: func(r *http.Response) sse.Verdict {
			if r.StatusCode == http.StatusServiceUnavailable {
				return sse.VerdictRetry
			}
			return sse.VerdictDefault
		},
		OnEvent: func(ev sse.Event) {
			if ev.Type == "message" {
				fmt.Println(ev.Data)
			}
		},
	})
	fmt.Println(client.Run(context.Background()))
	// Output:
	// attempt 3
	// <nil>
}

// A handler: code for what a script cannot say, here ids that continue from the
// client's Last-Event-ID.
func ExampleFake_HandleFunc() {
	fake := ssetest.NewFake()
	defer fake.Close()
	fake.HandleFunc("GET /ticks", func(c *ssetest.Context) {
		if c.Attempt > 2 {
			_ = c.Respond(http.StatusNoContent, nil, "") // stop
			return
		}
		from, _ := strconv.Atoi(c.LastEventID)
		conn := c.Stream()
		for i := from + 1; i <= from+2; i++ {
			_ = conn.Send(sse.Event{ID: strconv.Itoa(i), Data: "tick " + strconv.Itoa(i)})
		}
		_ = conn.End()
	})
	client := sse.NewClient(fake.URL+"/ticks", &sse.ClientOptions{
		HTTPClient: fake.Client(),
		Retry:      sse.RetryPolicy{Initial: time.Millisecond},
		OnEvent:    func(ev sse.Event) { fmt.Println(ev.ID, ev.Data) },
	})
	fmt.Println(client.Run(context.Background()))
	// Output:
	// 1 tick 1
	// 2 tick 2
	// 3 tick 3
	// 4 tick 4
	// <nil>
}
