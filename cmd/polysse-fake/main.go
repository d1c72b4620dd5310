//go:build !js

// Command polysse-fake is polysse's fake Server-Sent Events server as a standalone
// process, for end-to-end tests (Playwright, Cypress, any HTTP client): it serves the
// routes of a JSON script file with the production server's code, answers CORS for
// browser pages on another origin, and offers an HTTP control API to push to
// connections, drop or complete them, set the next answer of a route, read the journal
// of requests, reset, and keep parallel tests apart in scopes.
//
//	polysse-fake --routes ./sse-routes.json [--port 0] [--host 127.0.0.1]
//	             [--cors echo|echo-nocreds|star|off] [--max-hold 10m] [--quiet] [--stdin=true]
//
// Once it accepts connections it prints one line of JSON on standard output:
//
//	{"url":"http://127.0.0.1:4010","control":"http://127.0.0.1:4010/__polysse"}
//
// and serves until SIGINT or SIGTERM, or until its standard input, when that is a pipe or a
// socket, reaches EOF (the process that started it went away; --stdin=false turns that
// off; /dev/null, a file or a terminal is not watched). --port 0 picks a
// free port. The control API, under /__polysse:
//
//	GET    /health                                  {ok, version}
//	POST   /scopes                                  a new scope: {scope, baseURL}; its requests go to baseURL/...
//	DELETE /scopes/{s}                              end its connections, forget it
//	PUT    /scopes/{s}/routes                       replace the scope's overrides with a script file's routes
//	POST   /scopes/{s}/routes                       add one override (a route object)
//	DELETE /scopes/{s}/routes                       reset the scope
//	POST   /scopes/{s}/next                         {route, answer}
//	GET    /scopes/{s}/requests?route=&min=&wait=   the journal (waiting up to wait ms for min entries)
//	GET    /scopes/{s}/connections?route=&min=&wait=  the open connections
//	POST   /scopes/{s}/connections/{id}/{op}        send, comment, raw, end, drop, complete, fail
//	POST   /scopes/{s}/broadcast                    {route, event}
//	POST   /scopes/{s}/publish                      {topic, event}
//
// The scope "default" serves the requests outside /s/{scope}/.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/polysse/sse/internal/fake"
	"github.com/polysse/sse/internal/fake/script"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], watchedStdin(), os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "polysse-fake:", err)
		os.Exit(1)
	}
}

// watchedStdin returns standard input when it is a pipe or a socket, whose end means that
// the process that started this one went away, and nil otherwise: /dev/null or a file ends
// at once (a command started in the background with `&` gets /dev/null), and a terminal
// ends only when its user asks.
func watchedStdin() io.Reader {
	fi, err := os.Stdin.Stat()
	if err != nil || fi.Mode()&(os.ModeNamedPipe|os.ModeSocket) == 0 {
		return nil
	}
	return os.Stdin
}

// config is the command line.
type config struct {
	routes  string
	host    string
	port    int
	cors    string
	maxHold time.Duration
	quiet   bool
	stdin   bool
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("polysse-fake", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &config{}
	fs.StringVar(&c.routes, "routes", "", "the JSON script file whose routes are served")
	fs.StringVar(&c.host, "host", "127.0.0.1", "the address to listen on")
	fs.IntVar(&c.port, "port", 0, "the port to listen on (0: a free port)")
	fs.StringVar(&c.cors, "cors", script.CORSEcho, "CORS for routes that do not set it: echo, echo-nocreds, star or off")
	fs.DurationVar(&c.maxHold, "max-hold", 10*time.Minute, "the longest a response is held open (0: no bound)")
	fs.BoolVar(&c.quiet, "quiet", false, "log nothing but errors that stop the process")
	fs.BoolVar(&c.stdin, "stdin", true, "exit when standard input, a pipe or a socket, reaches EOF")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if !script.ValidCORS(c.cors) {
		return nil, fmt.Errorf(`--cors %q: want echo, echo-nocreds, star or off`, c.cors)
	}
	if c.port < 0 || c.port > 65535 {
		return nil, fmt.Errorf("--port %d: out of range", c.port)
	}
	return c, nil
}

// run serves until ctx is done or stdin reaches EOF.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	level := slog.LevelWarn
	if c.quiet {
		level = slog.LevelError + 100
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	e, err := fake.New(fake.Options{CORS: c.cors, Preflight: true, MaxHold: c.maxHold, Logger: logger})
	if err != nil {
		return err
	}
	if c.routes != "" {
		b, err := os.ReadFile(c.routes)
		if err != nil {
			return err
		}
		f, err := script.ParseFile(b)
		if err != nil {
			return fmt.Errorf("%s: %w", c.routes, err)
		}
		if err := e.Load(f); err != nil {
			return fmt.Errorf("%s: %w", c.routes, err)
		}
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(c.host, strconv.Itoa(c.port)))
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle(fake.ControlPath+"/", http.StripPrefix(fake.ControlPath, fake.NewControl(e)))
	mux.Handle("/", e)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if c.stdin && stdin != nil {
		go func() {
			_, _ = io.Copy(io.Discard, stdin)
			cancel()
		}()
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	base := "http://" + ln.Addr().String()
	line, _ := json.Marshal(map[string]string{"url": base, "control": base + fake.ControlPath})
	if _, err := stdout.Write(append(line, '\n')); err != nil {
		_ = srv.Close()
		return err
	}

	select {
	case <-ctx.Done():
	case err := <-served:
		return err
	}
	sctx, scancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer scancel()
	_ = e.Close(sctx) // ends every stream, so that Shutdown does not wait for them
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
