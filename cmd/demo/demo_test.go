//go:build !js

package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	sse "github.com/polysse/sse"
)

func TestDemo(t *testing.T) {
	d := newDemo("../../web/dist")
	ts := httptest.NewServer(d.mux)
	t.Cleanup(ts.Close)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go d.publishClock(ctx, 10*time.Millisecond)
	t.Cleanup(func() {
		for _, srv := range d.servers {
			require.NoError(t, srv.Shutdown(context.Background()))
		}
	})

	t.Run("page", func(t *testing.T) {
		resp, err := http.Get(ts.URL)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Contains(t, string(body), "EventSource")
	})

	tests := []struct {
		path       string
		wantLast   string // type of the last event
		wantReason sse.CloseReason
		wantStatus int
	}{
		{"/events/complete", "complete", sse.CloseComplete, 204},
		{"/events/fatal", "fatal", sse.CloseFatalEvent, 204},
		{"/events/refuse", "", sse.CloseHTTPStatus, 401},
		{"/events/refuse?mode=204", "", sse.CloseNoContent, 204},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			c := sse.NewClient(ts.URL+tt.path, &sse.ClientOptions{Retry: sse.RetryPolicy{Initial: time.Millisecond}})
			var last string
			for ev, err := range c.Events(t.Context()) {
				if err != nil {
					break
				}
				last = ev.Type
			}
			require.Equal(t, tt.wantLast, last)
			info := c.CloseInfo()
			require.Equal(t, tt.wantReason, info.Reason)
			require.Equal(t, tt.wantStatus, info.Status)
		})
	}

	t.Run("/events/heartbeat", func(t *testing.T) {
		resp, err := http.Get(ts.URL + "/events/heartbeat")
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, "2000", resp.Header.Get(sse.HeaderHeartbeatInterval))
	})

	t.Run("/events/clock resumes", func(t *testing.T) {
		c := sse.NewClient(ts.URL+"/events/clock", nil)
		var prev string
		for ev, err := range c.Events(t.Context()) {
			require.NoError(t, err)
			if prev != "" {
				break
			}
			prev = ev.ID
		}
		// A new client that resumes from prev gets the ticks after it, replayed.
		r := sse.NewClient(ts.URL+"/events/clock", &sse.ClientOptions{LastEventID: prev})
		for ev, err := range r.Events(t.Context()) {
			require.NoError(t, err)
			n := func(id string) int {
				v, err := strconv.Atoi(id[strings.LastIndexByte(id, '-')+1:])
				require.NoError(t, err)
				return v
			}
			require.Equal(t, "message", ev.Type)
			require.Equal(t, n(prev)+1, n(ev.ID), "the next tick, replayed")
			break
		}
	})
}

func TestCompareRoutes(t *testing.T) {
	d := newDemo(t.TempDir()) // no web build there
	ts := httptest.NewServer(d.mux)
	// Cleanups run last-registered first: the responses are closed (the stall route
	// returns when its client goes away), then the SSE servers shut down, then ts closes
	// with no request left to wait for.
	t.Cleanup(ts.Close)
	t.Cleanup(func() {
		for _, srv := range d.servers {
			_ = srv.Shutdown(context.Background())
		}
	})
	get := func(t *testing.T, path string) *http.Response {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+path, nil)
		resp, err := ts.Client().Do(req)
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		t.Cleanup(func() { cancel(); resp.Body.Close() })
		return resp
	}
	t.Run("the page", func(t *testing.T) {
		if resp := get(t, "/compare"); resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	t.Run("a missing web build is a clear 404", func(t *testing.T) {
		resp := get(t, "/polysse/polysse.js")
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 404 || !strings.Contains(string(body), "make wasm") {
			t.Fatalf("status %d, body %q", resp.StatusCode, body)
		}
	})
	t.Run("503 twice per run, then a stream", func(t *testing.T) {
		for i, want := range []int{503, 503, 200} {
			resp := get(t, "/events/unavailable?run=a")
			if resp.StatusCode != want {
				t.Fatalf("attempt %d: status %d, want %d", i+1, resp.StatusCode, want)
			}
			if want == 503 && resp.Header.Get("Retry-After") != "1" {
				t.Fatalf("attempt %d: Retry-After %q", i+1, resp.Header.Get("Retry-After"))
			}
		}
	})
	t.Run("stall announces its heartbeat and sends two events", func(t *testing.T) {
		resp := get(t, "/events/stall")
		if resp.Header.Get(sse.HeaderHeartbeatInterval) != "1000" {
			t.Fatalf("SSE-Heartbeat-Interval %q", resp.Header.Get(sse.HeaderHeartbeatInterval))
		}
		rd := sse.NewReader(resp.Body, 0, "")
		for i := 1; i <= 2; i++ {
			if _, err := rd.Next(); err != nil {
				t.Fatal(err)
			}
		}
	})
	t.Run("drop resumes after Last-Event-ID and cuts the connection", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/events/drop", nil)
		req.Header.Set("Last-Event-ID", "3")
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		rd := sse.NewReader(resp.Body, 0, "")
		var ids []string
		for {
			ev, err := rd.Next()
			if err != nil {
				if err == io.EOF {
					t.Fatal("the response ended cleanly; want a cut connection")
				}
				break
			}
			ids = append(ids, ev.ID)
		}
		if strings.Join(ids, ",") != "4,5,6" {
			t.Fatalf("ids %v", ids)
		}
	})
}
