//go:build !js

package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/server"
)

// End-to-end tests: the server over real httptest servers, read by the core's native
// client.

// newClient returns a native client of ts at path, closed when the test ends.
func newClient(t *testing.T, ts *httptest.Server, path string, opts sse.ClientOptions) *sse.Client {
	t.Helper()
	opts.HTTPClient = ts.Client()
	c := sse.NewClient(ts.URL+path, &opts)
	t.Cleanup(c.Close)
	return c
}

// drain runs c to its end and returns the events it delivered and its close info.
func drain(t *testing.T, c *sse.Client) ([]sse.Event, *sse.CloseInfo) {
	t.Helper()
	var evs []sse.Event
	for ev, err := range c.Events(t.Context()) {
		if err != nil {
			break
		}
		evs = append(evs, ev)
	}
	<-c.Done()
	return evs, c.CloseInfo()
}

func TestClientEndOfStreamOutcomes(t *testing.T) {
	tests := []struct {
		name        string
		end         func(*server.Session) error
		clientNames bool // the client knows the complete and fatal event names
		fatalStatus int
		want        sse.CloseInfo
		wantEvent   string // type of the last event the client delivered
	}{
		{
			name: "complete event", clientNames: true,
			end:  func(s *server.Session) error { return s.Complete(`{"n":3}`) },
			want: sse.CloseInfo{Reason: sse.CloseComplete, Data: `{"n":3}`}, wantEvent: "complete",
		},
		{
			name: "complete redeemed on reconnect",
			end:  func(s *server.Session) error { return s.Complete("") },
			want: sse.CloseInfo{Reason: sse.CloseComplete, Status: 204, StatusText: "No Content"}, wantEvent: "complete",
		},
		{
			name: "fatal event", clientNames: true,
			end:  func(s *server.Session) error { return s.Fail("boom") },
			want: sse.CloseInfo{Reason: sse.CloseFatal, Fatal: true, Data: "boom"}, wantEvent: "fatal",
		},
		{
			name: "fatal redeemed on reconnect", fatalStatus: http.StatusGone,
			end:  func(s *server.Session) error { return s.Fail("boom") },
			want: sse.CloseInfo{Reason: sse.CloseFatal, Fatal: true, Status: 410, StatusText: "Gone"}, wantEvent: "fatal",
		},
	}
	for _, proto := range protocols {
		for _, tt := range tests {
			t.Run(proto+"/"+tt.name, func(t *testing.T) {
				ended := make(chan error, 1)
				srv := server.New(server.Options{
					ReconnectionTime: time.Millisecond,
					FatalStatus:      tt.fatalStatus,
					Stream: func(s *server.Session) {
						for i := range 3 {
							_ = s.Push(sse.Event{ID: strconv.Itoa(i), Data: "step " + strconv.Itoa(i)})
						}
						ended <- tt.end(s)
					},
				})
				ts := startServer(t, srv, proto)
				opts := sse.ClientOptions{}
				if tt.clientNames {
					opts.CompleteEvent, opts.FatalEvent = sse.EventComplete, sse.EventFatal
				}
				evs, info := drain(t, newClient(t, ts, "/", opts))
				require.NoError(t, <-ended)
				require.Len(t, evs, 4)
				for i, ev := range evs[:3] {
					require.Equal(t, "step "+strconv.Itoa(i), ev.Data)
				}
				require.Equal(t, tt.wantEvent, evs[3].Type)
				require.Equal(t, tt.want, *info)
			})
		}
	}
}

func TestClientRefused(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want sse.CloseInfo
	}{
		{"no content", &server.StatusError{Code: http.StatusNoContent}, sse.CloseInfo{Reason: sse.CloseNoContent, Status: 204, StatusText: "No Content"}},
		{"status", &server.StatusError{Code: 401}, sse.CloseInfo{Reason: sse.CloseHTTPStatus, Fatal: true, Status: 401, StatusText: "Unauthorized"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := server.New(server.Options{Refuse: func(*http.Request) error { return tt.err }})
			ts := startServer(t, srv, "HTTP/1.1")
			evs, info := drain(t, newClient(t, ts, "/", sse.ClientOptions{}))
			require.Empty(t, evs)
			require.Equal(t, tt.want, *info)
		})
	}
}

// TestResumeWithoutLossOrDuplicate closes the client's session again and again while
// events are being published: every reconnect resumes from the replay buffer, and the
// client sees every event exactly once, in order.
func TestResumeWithoutLossOrDuplicate(t *testing.T) {
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			const total = 600
			sessions := make(chan *server.Session, total)
			srv := server.New(server.Options{
				ReconnectionTime: time.Millisecond,
				AutoID:           true,
				ReplaySize:       total,
				QueueSize:        total,
				Topics:           func(*http.Request) []string { return []string{"t"} },
				Stream:           func(s *server.Session) { sessions <- s; <-s.Done() },
			})
			ts := startServer(t, srv, proto)
			opens := 0
			c := newClient(t, ts, "/", sse.ClientOptions{OnOpen: func(*http.Response) { opens++ }})

			// Publish from the moment the first session is subscribed, concurrently with
			// the reconnects, at most a window of events ahead of the client.
			first := make(chan *server.Session, 1)
			window := make(chan struct{}, 15)
			var publishing sync.WaitGroup
			publishing.Go(func() {
				first <- <-sessions
				for i := 1; i <= total; i++ {
					window <- struct{}{}
					_, _ = srv.Publish(context.Background(), "t", sse.Event{Data: "event " + strconv.Itoa(i)})
				}
			})
			var open []*server.Session
			seen := 0
			for ev, err := range c.Events(t.Context()) {
				require.NoError(t, err)
				seq, err := strconv.Atoi(ev.ID[strings.LastIndexByte(ev.ID, '-')+1:])
				require.NoError(t, err)
				require.Equal(t, seen+1, seq, "event %q after %d", ev.ID, seen)
				require.Equal(t, "event "+strconv.Itoa(seq), ev.Data)
				seen = seq
				<-window
				if seen == total {
					break
				}
				if seen%40 == 0 {
					if open == nil {
						open = append(open, <-first)
					}
					for len(open) < opens {
						open = append(open, <-sessions)
					}
					open[len(open)-1].Close()
				}
			}
			publishing.Wait()
			require.Equal(t, total, seen)
			require.Greater(t, opens, total/40/2, "the test must exercise reconnects")
		})
	}
}

func TestShutdownEndsStreamsSoClientsReconnect(t *testing.T) {
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			sessions := make(chan *server.Session, 3)
			srv := server.New(server.Options{
				Topics: func(*http.Request) []string { return []string{"t"} },
				Stream: func(s *server.Session) { sessions <- s; <-s.Done() },
			})
			ts := startServer(t, srv, proto)
			type result struct {
				evs  []sse.Event
				info *sse.CloseInfo
			}
			results := make(chan result, 3)
			for range 3 {
				c := newClient(t, ts, "/", sse.ClientOptions{
					CompleteEvent: sse.EventComplete,
					Retry:         sse.RetryPolicy{Initial: time.Millisecond},
				})
				go func() {
					evs, info := drain(t, c)
					results <- result{evs, info}
				}()
			}
			var ss []*server.Session
			for range 3 {
				ss = append(ss, <-sessions)
			}
			mustPublish(t, srv, "t", sse.Event{Data: "before shutdown"})
			require.NoError(t, srv.Shutdown(t.Context()))
			for _, s := range ss {
				require.Equal(t, server.ReasonShutdown, s.Reason())
				require.ErrorIs(t, s.Err(), server.ErrServerClosed)
			}
			for range 3 {
				r := <-results
				// The stream ended plainly (no complete event), so the client reconnected
				// and was refused with 503.
				require.Equal(t, []string{"before shutdown"}, eventData(r.evs))
				require.Equal(t, sse.CloseHTTPStatus, r.info.Reason)
				require.Equal(t, http.StatusServiceUnavailable, r.info.Status)
			}
			late := connect(t, ts.Client(), ts.URL, nil)
			require.Equal(t, http.StatusServiceUnavailable, late.Resp.StatusCode)
			require.Equal(t, "5", late.Resp.Header.Get("Retry-After"))
			_, err := srv.Publish(t.Context(), "t", sse.Event{Data: "late"})
			require.ErrorIs(t, err, server.ErrServerClosed)
		})
	}
}

func eventData(evs []sse.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Data
	}
	return out
}

func TestConcurrentPublish(t *testing.T) {
	const publishers, perPublisher = 4, 150
	sessions := make(chan *server.Session, 3)
	srv := server.New(server.Options{
		QueueSize: publishers * perPublisher,
		Topics: func(r *http.Request) []string {
			return strings.Split(r.URL.Query().Get("topics"), ",")
		},
		Stream: func(s *server.Session) { sessions <- s; <-s.Done() },
	})
	ts := startServer(t, srv, "HTTP/1.1")
	// Event i of a publisher goes to a, b, or both.
	topicsOf := func(i int) []string { return [][]string{{"a"}, {"b"}, {"a", "b"}}[i%3] }
	subscribers := map[string]func(i int) bool{
		"a":   func(i int) bool { return i%3 != 1 },
		"b":   func(i int) bool { return i%3 != 0 },
		"a,b": func(i int) bool { return true },
	}
	var readers sync.WaitGroup
	for topics, wants := range subscribers {
		want := 0
		for i := range perPublisher {
			if wants(i) {
				want += publishers
			}
		}
		c := newClient(t, ts, "/?topics="+topics, sse.ClientOptions{})
		readers.Go(func() {
			last := map[string]int{}
			got := 0
			for ev, err := range c.Events(context.Background()) {
				if err != nil {
					t.Errorf("%s: %v", topics, err)
					return
				}
				p, is, _ := strings.Cut(ev.Data, ":")
				i, _ := strconv.Atoi(is)
				if prev, ok := last[p]; ok && i <= prev {
					t.Errorf("%s: publisher %s: event %d after %d", topics, p, i, prev)
				}
				if !wants(i) {
					t.Errorf("%s: unexpected event %s", topics, ev.Data)
				}
				last[p] = i
				if got++; got == want {
					return
				}
			}
		})
	}
	for range subscribers {
		<-sessions
	}
	var publishing sync.WaitGroup
	for p := range publishers {
		publishing.Go(func() {
			for i := range perPublisher {
				mustPublishTo(t, srv, topicsOf(i), sse.Event{Data: fmt.Sprintf("%d:%d", p, i)})
			}
		})
	}
	publishing.Wait()
	readers.Wait()
}

func TestRegisterOnShutdown(t *testing.T) {
	checkLeaks(t)
	srv := server.New(server.Options{Stream: func(s *server.Session) { <-s.Done() }})
	hs := httptest.NewUnstartedServer(srv)
	hs.Config.RegisterOnShutdown(func() { _ = srv.Shutdown(context.Background()) })
	hs.Start()
	defer hs.Close()
	c := connect(t, hs.Client(), hs.URL, nil)
	line, err := c.Line()
	require.NoError(t, err)
	require.Equal(t, ": ok", line)

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	require.NoError(t, hs.Config.Shutdown(ctx)) // would wait for the stream forever otherwise
	c.RequireEOF()
}

func TestShutdownWaitsForStreamFunctions(t *testing.T) {
	release := make(chan struct{})
	sessions := make(chan *server.Session, 1)
	srv := server.New(server.Options{Stream: func(s *server.Session) {
		sessions <- s
		<-release // ignores Done
	}})
	ts := startServer(t, srv, "HTTP/1.1")
	c := connect(t, ts.Client(), ts.URL, nil)
	s := <-sessions

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	require.ErrorIs(t, srv.Shutdown(ctx), context.Canceled)
	<-s.Done() // the stream ended even though Stream did not return
	c.RequireEOF()

	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(context.Background()) }()
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v before Stream returned", err)
	default:
	}
	close(release)
	require.NoError(t, <-shut)
}

func TestClientRejectedWhenShuttingDown(t *testing.T) {
	srv := server.New(server.Options{ShutdownStatus: http.StatusNoContent})
	ts := startServer(t, srv, "HTTP/1.1")
	require.NoError(t, srv.Shutdown(t.Context()))
	evs, info := drain(t, newClient(t, ts, "/", sse.ClientOptions{}))
	require.Empty(t, evs)
	require.Equal(t, sse.CloseNoContent, info.Reason)
	require.NoError(t, info.Err)
}

// Behind http.TimeoutHandler a stream cannot flush: the 500 that says so stops the client
// after one request, instead of a reconnect storm on empty 200s.
func TestClientStopsBehindAWriterThatCannotFlush(t *testing.T) {
	log, _ := testLogger()
	srv := server.New(server.Options{Logger: log})
	var requests atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.TimeoutHandler(srv, time.Minute, "timeout").ServeHTTP(w, r)
	})
	ts := startServer(t, h, "HTTP/1.1")
	evs, info := drain(t, newClient(t, ts, "/", sse.ClientOptions{Retry: sse.RetryPolicy{Initial: time.Millisecond}}))
	require.Empty(t, evs)
	require.Equal(t, sse.CloseHTTPStatus, info.Reason)
	require.Equal(t, http.StatusInternalServerError, info.Status)
	require.EqualValues(t, 1, requests.Load())
}
