//go:build !js

// Command benchserver is the local server of `make bench-browser` (scripts/bench-browser.sh,
// web/bench/): it serves a static directory (the page, web/dist and the npm peers) and, at
// /stream?n=N&size=S, an event stream of N message events whose data are S ASCII bytes.
//
// Each stream is encoded once (with sse.Event.AppendTo) and cached, then written to every
// request for it with one Write and a Flush, as fast as the connection takes it; the
// response then stays open until the client goes away (or -hold passes), so that no client
// sees an end of stream and reconnects. It listens on 127.0.0.1 only and prints
// "listening http://ADDR" on standard output once it accepts connections; it exits after
// -lifetime, or when its standard input reaches EOF with -stdin.
//
// It is a host tool: it does not build for js/wasm.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/polysse/sse"
)

// maxStreamBytes bounds one encoded stream (and so the memory of the cache entry).
const maxStreamBytes = 64 << 20

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (host must be a loopback address)")
	root := flag.String("root", ".", "directory served at /")
	hold := flag.Duration("hold", 2*time.Minute, "how long a finished stream stays open at most")
	lifetime := flag.Duration("lifetime", 30*time.Minute, "exit after this long")
	stdin := flag.Bool("stdin", false, "exit when standard input reaches EOF (the parent went away)")
	flag.Parse()

	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		log.Fatalf("benchserver: -addr %q: %v", *addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		log.Fatalf("benchserver: -addr %q: only a loopback IP address is allowed", *addr)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("benchserver: %v", err)
	}
	srv := &http.Server{
		Handler:           newHandler(*root, *hold),
		ReadHeaderTimeout: 10 * time.Second,
	}
	fmt.Printf("listening http://%s\n", ln.Addr())

	ctx, cancel := context.WithTimeout(context.Background(), *lifetime)
	defer cancel()
	if *stdin {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			cancel()
		}()
	}
	go func() {
		<-ctx.Done()
		sctx, scancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer scancel()
		if srv.Shutdown(sctx) != nil {
			_ = srv.Close()
		}
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		log.Fatalf("benchserver: %v", err)
	}
}

// handler serves /stream and the static files.
type handler struct {
	files http.Handler
	hold  time.Duration

	mu      sync.Mutex
	streams map[[2]int][]byte
}

func newHandler(root string, hold time.Duration) *handler {
	return &handler{files: http.FileServer(http.Dir(root)), hold: hold, streams: map[[2]int][]byte{}}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/stream" {
		w.Header().Set("Cache-Control", "no-cache")
		h.files.ServeHTTP(w, r)
		return
	}
	n, err1 := strconv.Atoi(r.URL.Query().Get("n"))
	size, err2 := strconv.Atoi(r.URL.Query().Get("size"))
	if err1 != nil || err2 != nil || n < 0 || size < 0 || int64(n)*int64(size+16) > maxStreamBytes {
		http.Error(w, "want /stream?n=N&size=S with N*S at most 64 MiB", http.StatusBadRequest)
		return
	}
	body := h.stream(n, size)
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Access-Control-Allow-Origin", "*")
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(body); err != nil {
		return
	}
	if err := http.NewResponseController(w).Flush(); err != nil {
		return
	}
	t := time.NewTimer(h.hold)
	defer t.Stop()
	select {
	case <-r.Context().Done():
	case <-t.C:
	}
}

// stream returns the encoded stream of n events of size bytes of data, encoding it on
// first use.
func (h *handler) stream(n, size int) []byte {
	key := [2]int{n, size}
	h.mu.Lock()
	defer h.mu.Unlock()
	if b, ok := h.streams[key]; ok {
		return b
	}
	b := encode(n, size)
	h.streams[key] = b
	return b
}

// encode returns n events whose data are size ASCII bytes each, with no id or type: the
// clients dispatch them as "message" events.
func encode(n, size int) []byte {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/"
	data := make([]byte, size)
	for i := range data {
		data[i] = alphabet[i%len(alphabet)]
	}
	ev := sse.Event{Data: string(data)}
	one, err := ev.AppendTo(nil)
	if err != nil {
		panic(err) // cannot happen: data has no line ends and there is no id or type
	}
	b := make([]byte, 0, len(one)*n)
	for range n {
		b = append(b, one...)
	}
	return b
}
