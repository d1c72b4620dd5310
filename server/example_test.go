//go:build !js

package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os/signal"
	"strings"
	"syscall"
	"time"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/server"
)

// A backend embeds the handler on a route: here a job reports its progress and completes,
// and a client that reconnects afterwards is told, with 204 and SSE-Outcome, not to.
func Example() {
	jobEvents := server.New(server.Options{
		ReconnectionTime: 100 * time.Millisecond, // clients reconnect after 100 ms
		Refuse: func(r *http.Request) error {
			if r.Header.Get("Authorization") == "" {
				return &server.StatusError{Code: http.StatusUnauthorized, Msg: "log in first"}
			}
			return nil
		},
		Stream: func(s *server.Session) {
			for i := 1; i <= 3; i++ {
				if err := s.PushJSON(map[string]int{"progress": 33 * i}); err != nil {
					return // the client went away
				}
			}
			_ = s.Complete(`{"result":"done"}`)
		},
	})
	mux := http.NewServeMux()
	mux.Handle("GET /jobs/42/events", jobEvents)
	ts := httptest.NewServer(mux)
	defer ts.Close()

	// Any SSE client works; this is polysse's native one.
	client := sse.NewClient(ts.URL+"/jobs/42/events", &sse.ClientOptions{
		Header: http.Header{"Authorization": {"Bearer demo"}},
	})
	for ev, err := range client.Events(context.Background()) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %s\n", ev.Type, ev.Data)
	}
	info := client.CloseInfo()
	fmt.Println("closed:", info.Reason, info.Status)

	// Output:
	// message: {"progress":33}
	// message: {"progress":66}
	// message: {"progress":99}
	// complete: {"result":"done"}
	// closed: complete 204
}

// Publish fans an event out to every subscriber of its topics; a subscriber that
// reconnects with its last event ID gets what it missed from the replay buffer.
func ExampleServer_Publish() {
	subscribed := make(chan struct{})
	news := server.New(server.Options{
		Topics:     func(r *http.Request) []string { return []string{r.URL.Query().Get("topic")} },
		ReplaySize: 100,
		AutoID:     true,
		Stream: func(s *server.Session) {
			close(subscribed) // Stream runs once the session is subscribed
			<-s.Done()
		},
	})
	ts := httptest.NewServer(news)
	defer ts.Close()
	defer news.Shutdown(context.Background())

	resp, err := http.Get(ts.URL + "?topic=sports")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	<-subscribed
	_, _ = news.Publish(context.Background(), "weather", sse.Event{Data: "rain"})
	_, _ = news.Publish(context.Background(), "sports", sse.Event{Type: "score", Data: "2-1"})

	buf := make([]byte, 256)
	var got strings.Builder
	for !strings.Contains(got.String(), "2-1\n\n") {
		n, err := resp.Body.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			break
		}
	}
	for line := range strings.Lines(got.String()) {
		if strings.HasPrefix(line, "id: ") {
			line = "id: <automatic>\n"
		}
		fmt.Print(line)
	}

	// The stream starts with the session's position in the log, an event with only an id
	// that clients store and do not dispatch: a client that lost its connection before its
	// first event would resume from there.

	// Output:
	// : ok
	// id: <automatic>
	//
	// id: <automatic>
	// event: score
	// data: 2-1
}

// A production server drains its streams on shutdown, so that clients reconnect to
// another instance.
func ExampleServer_Shutdown() {
	events := server.New(server.Options{
		Topics: func(*http.Request) []string { return []string{"all"} },
	})
	mux := http.NewServeMux()
	mux.Handle("GET /events", events)
	hs := &http.Server{
		Addr:              "127.0.0.1:8080",
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout:      30 * time.Second, // cleared for event streams
	}
	hs.RegisterOnShutdown(func() { _ = events.Shutdown(context.Background()) })

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = hs.Shutdown(shutdownCtx)
	}()
	if err := hs.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}

// A stream may answer a POST: the server reads the request body before the response
// starts (up to Options.MaxRequestBody), so Stream can read it, as a chat completion
// endpoint does with its prompt.
func Example_postStream() {
	chat := server.New(server.Options{
		Stream: func(s *server.Session) {
			var req struct{ Prompt string }
			if err := json.NewDecoder(s.Request().Body).Decode(&req); err != nil {
				_ = s.Fail(`{"error":"bad request"}`)
				return
			}
			for _, word := range strings.Fields("you said: " + req.Prompt) {
				_ = s.PushData(word)
			}
			_ = s.Complete("")
		},
	})
	mux := http.NewServeMux()
	mux.Handle("POST /chat", chat)
	ts := httptest.NewServer(mux)
	defer ts.Close()

	resp, err := http.Post(ts.URL+"/chat", "application/json", strings.NewReader(`{"prompt":"hello"}`))
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	r := sse.NewReader(resp.Body, 0, "")
	for {
		ev, err := r.Next()
		if err != nil {
			break
		}
		fmt.Printf("%s: %s\n", ev.Type, ev.Data)
	}

	// Output:
	// message: you
	// message: said:
	// message: hello
	// complete: {}
}
