//go:build !js

package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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
		require.NoError(t, d.compare.Close(context.Background()))
	})

	t.Run("page", func(t *testing.T) {
		resp, err := http.Get(ts.URL)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Contains(t, string(body), "polysse is one Go codebase", "the page says what polysse is")
		require.Contains(t, string(body), `<script src="/polysse/polysse.js">`, "its panels use polysse's EventSource")
	})

	t.Run("favicon", func(t *testing.T) {
		for _, path := range []string{"/favicon.ico", "/favicon.svg"} {
			resp, err := http.Get(ts.URL + path)
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode, path)
			require.Equal(t, "image/svg+xml", resp.Header.Get("Content-Type"), path)
			require.True(t, strings.HasPrefix(string(body), "<svg"), path)
		}
	})

	t.Run("POST /events/ask streams the answer to its body", func(t *testing.T) {
		c := sse.NewClient(ts.URL+"/events/ask", &sse.ClientOptions{
			Method:        http.MethodPost,
			Header:        http.Header{"Content-Type": {"application/json"}},
			Body:          []byte(`{"prompt":"hello polysse"}`),
			CompleteEvent: "complete",
			FatalEvent:    "fatal",
		})
		var words, ids []string
		for ev, err := range c.Events(t.Context()) {
			if err != nil {
				break
			}
			if ev.Type == "token" {
				words, ids = append(words, ev.Data), append(ids, ev.ID)
			}
		}
		info := c.CloseInfo()
		require.Equal(t, sse.CloseComplete, info.Reason, "close info %+v", info)
		require.Equal(t, `{"tokens":10,"words":2}`, info.Data)
		require.Equal(t, "You asked 2 words; here they are back: hello polysse", strings.Join(words, " "))
		require.Equal(t, "1 2 3 4 5 6 7 8 9 10", strings.Join(ids, " "), "the ids of the tokens are their positions")
	})

	t.Run("POST /events/ask with a bad body fails the stream", func(t *testing.T) {
		c := sse.NewClient(ts.URL+"/events/ask", &sse.ClientOptions{
			Method: http.MethodPost, Body: []byte(`not json`), FatalEvent: "fatal",
		})
		for _, err := range c.Events(t.Context()) {
			if err != nil {
				break
			}
		}
		info := c.CloseInfo()
		require.Equal(t, sse.CloseFatal, info.Reason, "close info %+v", info)
		require.Contains(t, info.Data, "the body is not JSON")
	})

	tests := []struct {
		path       string
		wantLast   string // type of the last event
		wantReason sse.CloseReason
		wantStatus int
	}{
		{"/events/complete", "complete", sse.CloseComplete, 204},
		{"/events/fatal", "fatal", sse.CloseFatal, 204},
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
		_ = d.compare.Close(context.Background())
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

func TestStaticFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, age time.Duration) {
		t.Helper()
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		when := time.Now().Add(-age)
		require.NoError(t, os.Chtimes(p, when, when))
	}
	write("polysse.wasm", "\x00asm raw", time.Hour)
	write("polysse.wasm.br", "brotli bytes", time.Minute)
	write("polysse.wasm.gz", "gzip bytes", time.Minute)
	write("polysse.js", "// script", time.Hour)
	write("polysse.js.gz", "stale gzip", 2*time.Hour) // older than polysse.js: never served
	ts := httptest.NewServer(newDemo(dir).mux)
	t.Cleanup(ts.Close)

	get := func(t *testing.T, path string, header ...string) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, ts.URL+path, nil)
		require.NoError(t, err)
		// An explicit Accept-Encoding (even empty) keeps the transport from decompressing.
		req.Header.Set("Accept-Encoding", "")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, string(body)
	}

	tests := []struct {
		name, path, acceptEncoding string
		wantBody, wantEncoding     string
		wantVary                   bool
	}{
		{"brotli preferred", "/polysse/polysse.wasm", "gzip, deflate, br", "brotli bytes", "br", true},
		{"gzip when br is not accepted", "/polysse/polysse.wasm", "gzip", "gzip bytes", "gzip", true},
		{"br refused with q=0", "/polysse/polysse.wasm", "br;q=0, gzip;q=0.5", "gzip bytes", "gzip", true},
		{"a wildcard accepts both", "/polysse/polysse.wasm", "*", "brotli bytes", "br", true},
		{"identity when nothing is accepted", "/polysse/polysse.wasm", "", "\x00asm raw", "", true},
		{"identity when all is refused", "/polysse/polysse.wasm", "br;q=0, gzip;q=0", "\x00asm raw", "", true},
		{"a stale variant is ignored", "/polysse/polysse.js", "gzip", "// script", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, tt.path, "Accept-Encoding", tt.acceptEncoding)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.Equal(t, tt.wantBody, body)
			require.Equal(t, tt.wantEncoding, resp.Header.Get("Content-Encoding"))
			require.Equal(t, tt.wantVary, resp.Header.Get("Vary") == "Accept-Encoding", "Vary %q", resp.Header.Get("Vary"))
			require.Equal(t, "no-cache", resp.Header.Get("Cache-Control"))
			require.NotEmpty(t, resp.Header.Get("ETag"))
			if strings.HasSuffix(tt.path, ".wasm") {
				require.Equal(t, "application/wasm", resp.Header.Get("Content-Type"))
			}
		})
	}

	t.Run("revalidation answers 304 per encoding", func(t *testing.T) {
		first, _ := get(t, "/polysse/polysse.wasm", "Accept-Encoding", "br")
		etag := first.Header.Get("ETag")
		again, body := get(t, "/polysse/polysse.wasm", "Accept-Encoding", "br", "If-None-Match", etag)
		require.Equal(t, http.StatusNotModified, again.StatusCode)
		require.Empty(t, body)
		other, _ := get(t, "/polysse/polysse.wasm", "Accept-Encoding", "gzip", "If-None-Match", etag)
		require.Equal(t, http.StatusOK, other.StatusCode, "the gzip variant has its own ETag")
		require.NotEqual(t, etag, other.Header.Get("ETag"))
	})

	t.Run("variants are not served by their own names", func(t *testing.T) {
		for _, path := range []string{"/polysse/polysse.wasm.br", "/polysse/polysse.wasm.gz", "/polysse/", "/polysse/missing.js"} {
			resp, _ := get(t, path)
			require.Equal(t, http.StatusNotFound, resp.StatusCode, path)
		}
	})
}
