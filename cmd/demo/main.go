//go:build !js

// Command demo serves a page and event streams that show what polysse's server does:
// refusal, completion, a fatal end, heartbeats, and replay after a reconnect, and a page
// (/compare) where the browser's native EventSource and polysse's run the same scenarios
// side by side. It listens on 127.0.0.1 and prints its URL.
//
//	go run ./cmd/demo              # port 8080, or a free port when 8080 is taken
//	go run ./cmd/demo -port 9000
//	go run ./cmd/demo -addr 127.0.0.1:0
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	port := flag.Int("port", 8080, "port to listen on, on 127.0.0.1")
	addr := flag.String("addr", "", "address to listen on (host:port); overrides -port")
	web := flag.String("web", "web/dist", "polysse's web build (make wasm), for the side-by-side page at /compare")
	flag.Parse()

	explicit := false
	flag.Visit(func(*flag.Flag) { explicit = true })
	listenAddr := *addr
	if listenAddr == "" {
		listenAddr = fmt.Sprintf("127.0.0.1:%d", *port)
	}
	ln, err := net.Listen("tcp", listenAddr)
	if err != nil && !explicit {
		// The default port is taken: any free one will do.
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		log.Fatalf("demo: %v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	d := newDemo(*web)
	go d.publishClock(ctx, time.Second)
	hs := &http.Server{Handler: d.mux, ReadHeaderTimeout: 10 * time.Second}
	for _, srv := range d.servers {
		hs.RegisterOnShutdown(func() { _ = srv.Shutdown(context.Background()) })
	}
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(shutdownCtx)
	}()

	fmt.Printf("polysse demo: http://%s/  (native and polysse side by side: http://%s/compare)  (Ctrl-C to stop)\n", ln.Addr(), ln.Addr())
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		log.Fatalf("demo: %v", err)
	}
}
