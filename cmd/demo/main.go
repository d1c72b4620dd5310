//go:build !js

// Command demo shows what polysse does. It serves, on 127.0.0.1:
//
//   - / : a page that says what polysse is and whose panels open polysse's EventSource (or
//     the browser's, to compare) on the server's streams: replay after a reconnect,
//     heartbeats, completion, a fatal end, refusal, and a POST stream whose request body is
//     the question;
//   - /compare : the browser's native EventSource and polysse's running the same scenarios
//     side by side (a 503 that polysse retries, a dropped connection, stalled heartbeats);
//   - /polysse/ : polysse's web build (make wasm writes it to web/dist), with polysse.wasm
//     sent brotli- or gzip-compressed from the precompressed files of the build.
//
// The conventions the streams follow are described in docs/protocol.md. `make demo` builds
// everything and runs it; by hand:
//
//	make wasm && go run ./cmd/demo   # port 8080, or a free port when 8080 is taken
//	go run ./cmd/demo -port 9000
//	go run ./cmd/demo -addr 127.0.0.1:0
//
// It prints its URL once it listens, and shuts down gracefully on SIGINT or SIGTERM.
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
	web := flag.String("web", "web/dist", "polysse's web build (make wasm), served under /polysse/")
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
	hs.RegisterOnShutdown(func() { _ = d.compare.Close(context.Background()) })
	shutdownDone := make(chan struct{})
	go func() {
		defer close(shutdownDone)
		<-ctx.Done()
		stop() // a second Ctrl-C ends the process at once
		log.Print("demo: shutting down")
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(shutdownCtx)
	}()

	fmt.Printf("polysse demo: http://%s/  (native and polysse side by side: http://%s/compare)  (Ctrl-C to stop)\n", ln.Addr(), ln.Addr())
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		log.Fatalf("demo: %v", err)
	}
	<-shutdownDone // the open streams have ended
	log.Print("demo: stopped")
}
