//go:build !js

package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/polysse/sse"
)

func TestStream(t *testing.T) {
	srv := httptest.NewServer(newHandler(t.TempDir(), 10*time.Millisecond))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/stream?n=3&size=70")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	rd := sse.NewReader(resp.Body, 0, "")
	for i := range 3 {
		ev, err := rd.Next()
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if ev.Type != "message" || len(ev.Data) != 70 || strings.ContainsAny(ev.Data, "\r\n") {
			t.Fatalf("event %d: %+v", i, ev)
		}
	}
	if ev, err := rd.Next(); err == nil {
		t.Fatalf("a fourth event: %+v", ev)
	}
}

func TestStreamBadRequest(t *testing.T) {
	srv := httptest.NewServer(newHandler(t.TempDir(), time.Millisecond))
	defer srv.Close()
	for _, q := range []string{"", "?n=1", "?n=-1&size=1", "?n=1000000&size=65536"} {
		resp, err := http.Get(srv.URL + "/stream" + q)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("/stream%s: status %d, want 400", q, resp.StatusCode)
		}
	}
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "x.wasm"), []byte("\x00asm"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newHandler(dir, time.Millisecond))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/x.wasm")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/wasm" {
		t.Fatalf("status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}
