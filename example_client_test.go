//go:build !js

package sse_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	sse "github.com/polysse/sse"
)

// Read a stream with the Events iterator. The server ends the stream with a complete
// event, which CompleteEvent turns into a normal end of the loop instead of a reconnect.
func ExampleClient_Events() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "retry: 1000\n\n"+
			"data: hello\n\n"+
			"event: update\nid: 1\ndata: {\"n\":1}\n\n"+
			": a comment\n\n"+
			"event: update\nid: 2\ndata: line one\ndata: line two\n\n"+
			"event: complete\nid: done\ndata: {}\n\n")
	}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := sse.NewClient(srv.URL, &sse.ClientOptions{CompleteEvent: "complete"})
	for ev, err := range c.Events(ctx) {
		if err != nil {
			fmt.Println("failed:", err)
			return
		}
		fmt.Printf("%s id=%q data=%q\n", ev.Type, ev.ID, ev.Data)
	}
	fmt.Println("closed:", c.CloseInfo().Reason, c.ReadyState())
	// Output:
	// message id="" data="hello"
	// update id="1" data="{\"n\":1}"
	// update id="2" data="line one\nline two"
	// complete id="done" data="{}"
	// closed: complete CLOSED
}

// Run a client with callbacks. The server refuses the second connection with 401, which
// fails the client for good: Run returns a *CloseError.
func ExampleNewClient() {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) > 1 {
			fmt.Println("server: Last-Event-ID", r.Header.Get("Last-Event-ID"))
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "id: 41\ndata: first\n\nid: 42\ndata: second\n\n")
	}))
	defer srv.Close()

	c := sse.NewClient(srv.URL, &sse.ClientOptions{
		Retry:   sse.RetryPolicy{Initial: 10 * time.Millisecond},
		OnOpen:  func(*http.Response) { fmt.Println("open") },
		OnEvent: func(ev sse.Event) { fmt.Println("event", ev.ID, ev.Data) },
		OnError: func(ei *sse.ErrorInfo) { fmt.Println("error", ei.Status, "retry in", ei.RetryIn) },
		OnClose: func(ci *sse.CloseInfo) { fmt.Println("close", ci.Reason) },
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := c.Run(ctx)
	fmt.Println("Run:", err)
	// Output:
	// open
	// event 41 first
	// event 42 second
	// error 0 retry in 10ms
	// server: Last-Event-ID 42
	// error 401 retry in 0s
	// close http-status
	// Run: sse: closed: http-status (status 401 Unauthorized)
}

// Authenticate every attempt with a fresh token, retry a server that says it is busy, and
// tell a failure from a normal end with errors.As.
func ExampleClientOptions() {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("server:", r.Header.Get("Authorization"))
		switch requests.Add(1) {
		case 1:
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
		case 2:
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, "data: hello\n\n")
		default:
			w.WriteHeader(http.StatusForbidden)
		}
	}))
	defer srv.Close()

	var tokens atomic.Int32
	c := sse.NewClient(srv.URL, &sse.ClientOptions{
		PrepareRequest: func(req *http.Request) error {
			// A real client would refresh an OAuth token here, using req.Context().
			req.Header.Set("Authorization", fmt.Sprintf("Bearer token-%d", tokens.Add(1)))
			return nil
		},
		Classify: func(resp *http.Response) sse.Verdict {
			if resp.StatusCode == http.StatusServiceUnavailable {
				return sse.VerdictRetry // honours Retry-After
			}
			return sse.VerdictDefault // the specification's rule for the rest
		},
		Retry:   sse.RetryPolicy{Initial: 10 * time.Millisecond},
		OnEvent: func(ev sse.Event) { fmt.Println("event:", ev.Data) },
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := c.Run(ctx)
	var ce *sse.CloseError
	if errors.As(err, &ce) {
		fmt.Println("failed:", ce.Reason, ce.Status)
	}
	// Output:
	// server: Bearer token-1
	// server: Bearer token-2
	// event: hello
	// server: Bearer token-3
	// failed: http-status 403
}

// Drop the connection and reconnect at once, here when credentials change: the new
// attempt runs PrepareRequest again and resumes from the last event ID. A restart is not
// a failure: OnError is not called.
func ExampleClient_Restart() {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := requests.Add(1)
		fmt.Printf("server: request %d, %s, Last-Event-ID %q\n", n, r.Header.Get("Authorization"), r.Header.Get("Last-Event-ID"))
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "id: %d\ndata: hello %d\n\n", n, n)
		w.(http.Flusher).Flush()
		<-r.Context().Done() // hold the stream open
	}))
	defer srv.Close()

	var token atomic.Value
	token.Store("old")
	var c *sse.Client
	c = sse.NewClient(srv.URL, &sse.ClientOptions{
		PrepareRequest: func(req *http.Request) error {
			req.Header.Set("Authorization", "Bearer "+token.Load().(string))
			return nil
		},
		OnEvent: func(ev sse.Event) {
			fmt.Println("event:", ev.Data)
			switch ev.ID {
			case "1":
				token.Store("new")
				c.Restart() // from a callback, or from any goroutine
			case "2":
				c.Close()
			}
		},
		OnError: func(*sse.ErrorInfo) { fmt.Println("error") },
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fmt.Println("Run:", c.Run(ctx))
	// Output:
	// server: request 1, Bearer old, Last-Event-ID ""
	// event: hello 1
	// server: request 2, Bearer new, Last-Event-ID "1"
	// event: hello 2
	// Run: <nil>
}

// Receive the stream's comments, such as a server's heartbeats, in order with the events.
func ExampleClientOptions_comments() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, ": welcome\n\ndata: one\n\n:\n\nevent: complete\ndata: {}\n\n")
	}))
	defer srv.Close()

	c := sse.NewClient(srv.URL, &sse.ClientOptions{
		CompleteEvent: "complete",
		OnComment:     func(text string) { fmt.Printf("comment %q\n", text) },
		OnEvent:       func(ev sse.Event) { fmt.Println("event", ev.Type, ev.Data) },
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fmt.Println("Run:", c.Run(ctx))
	// Output:
	// comment "welcome"
	// event message one
	// comment ""
	// event complete {}
	// Run: <nil>
}
