//go:build !js

// Command scenarioserver serves polysse's test scenarios (package internal/scenario; the
// conventions they exercise are described in docs/protocol.md) for the browser and Node
// test suites in web/test, with the files they load:
//
//	/sse/NAME, /log   the scenarios and the request log
//	/dist/...         the -dist directory (web/dist: polysse.js, polysse.mjs, polysse.wasm, ...)
//	/test/...         the -test directory (web/test: pages and shared test modules;
//	                  node_modules is not served)
//
// It listens on 127.0.0.1 only. Once it accepts connections it prints one line of JSON
// on standard output:
//
//	{"url":"http://127.0.0.1:PORT/","altURL":"http://localhost:PORT/","pid":N}
//
// altURL is the same server under another origin, for cross-origin scenarios. It exits
// when its standard input reaches EOF (unless -stdin=false), on SIGINT or SIGTERM, or
// after -lifetime.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/polysse/sse/internal/scenario"
)

func main() {
	dist := flag.String("dist", "web/dist", "directory served at /dist/")
	test := flag.String("test", "web/test", "directory served at /test/ (without node_modules)")
	port := flag.Int("port", 0, "port on 127.0.0.1 (0: any free port)")
	stdin := flag.Bool("stdin", true, "exit when standard input reaches EOF (the parent went away)")
	lifetime := flag.Duration("lifetime", 30*time.Minute, "exit after this long")
	hold := flag.Duration("hold", scenario.DefaultMaxHold, "longest time a scenario holds a stream open")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("scenarioserver: ")

	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(*port)))
	if err != nil {
		log.Fatal(err)
	}
	sc := scenario.New(scenario.Options{MaxHold: *hold})
	srv := &http.Server{
		Handler:           newMux(sc, *dist, *test),
		ReadHeaderTimeout: 10 * time.Second,
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *lifetime)
	defer cancel()
	if *stdin {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			cancel()
		}()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		sctx, scancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer scancel()
		_ = sc.Close(sctx)
		if srv.Shutdown(sctx) != nil {
			_ = srv.Close()
		}
	}()

	port0 := ln.Addr().(*net.TCPAddr).Port
	ready, _ := json.Marshal(map[string]any{
		"url":    "http://127.0.0.1:" + strconv.Itoa(port0) + "/",
		"altURL": "http://localhost:" + strconv.Itoa(port0) + "/",
		"pid":    os.Getpid(),
	})
	os.Stdout.Write(append(ready, '\n'))

	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
	<-done
}

// newMux routes the scenarios and the static directories. Every response closes its
// connection: a browser then never has an idle connection to this server, which it would
// reuse for a scenario and, when that one drops the connection, silently retry.
func newMux(sc http.Handler, dist, test string) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/sse/", sc)
	mux.Handle("/log", sc)
	mux.Handle("/dist/", static("/dist/", dist))
	mux.Handle("/test/", static("/test/", test))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		mux.ServeHTTP(w, r)
	})
}

// static serves dir under prefix, never from a node_modules directory, never cached.
func static(prefix, dir string) http.Handler {
	files := http.StripPrefix(prefix, http.FileServer(http.Dir(dir)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/node_modules/") || strings.HasSuffix(r.URL.Path, "/node_modules") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		files.ServeHTTP(w, r)
	})
}
