//go:build !js

package scenario

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/server"
)

// DefaultMaxHold is the default of Options.MaxHold.
const DefaultMaxHold = 30 * time.Second

// Options configure a Handler.
type Options struct {
	// MaxHold bounds how long a scenario keeps a stream open (or a request waiting) for a
	// client that does not go away. Zero means DefaultMaxHold.
	MaxHold time.Duration
	// Logger receives the logs of the server package's servers. Nil means slog.Default().
	Logger *slog.Logger
}

// Handler serves the scenarios under /sse/ and the request log at /log (see the package
// documentation). Create it with New; Close ends its open streams.
type Handler struct {
	log     Log
	maxHold time.Duration
	logger  *slog.Logger
	store   *sse.MemoryStore
	plain   *server.Server // every server-package scenario but heartbeat

	mu      sync.Mutex
	beats   map[time.Duration]*server.Server // heartbeat scenario, by interval
	closed  bool
	closing chan struct{}
}

// New returns a Handler configured by opts.
func New(opts Options) *Handler {
	h := &Handler{
		maxHold: opts.MaxHold,
		logger:  opts.Logger,
		store:   new(sse.MemoryStore),
		beats:   make(map[time.Duration]*server.Server),
		closing: make(chan struct{}),
	}
	if h.maxHold <= 0 {
		h.maxHold = DefaultMaxHold
	}
	if h.logger == nil {
		h.logger = slog.Default()
	}
	h.plain = server.New(server.Options{
		Stream:            runStream,
		Refuse:            refuse,
		HeartbeatInterval: -1, // quiet: a stalled stream stays silent
		Store:             h.store,
		Logger:            h.logger,
	})
	return h
}

// Log returns the handler's request log.
func (h *Handler) Log() *Log { return &h.log }

// Close ends every open stream (a plain end of response) and makes streams that start
// later end at once. It waits for the streams to end, at most until ctx is done.
func (h *Handler) Close(ctx context.Context) error {
	h.mu.Lock()
	if !h.closed {
		h.closed = true
		close(h.closing)
	}
	servers := []*server.Server{h.plain}
	for _, s := range h.beats {
		servers = append(servers, s)
	}
	h.mu.Unlock()
	var first error
	for _, s := range servers {
		if err := s.Shutdown(ctx); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// ServeHTTP serves /sse/NAME and /log; other paths are not found.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch p := r.URL.Path; {
	case p == "/log":
		h.serveLog(w, r)
	case strings.HasPrefix(p, "/sse/"):
		h.serveScenario(w, r, strings.TrimPrefix(p, "/sse/"))
	default:
		http.NotFound(w, r)
	}
}

func (h *Handler) serveLog(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sid := q.Get("sid")
	minN, _ := strconv.Atoi(q.Get("min"))
	settled := q.Get("settled") == "1"
	wait := min(msParam(q, "wait", 5*time.Second), 20*time.Second)
	ctx, cancel := context.WithTimeout(r.Context(), wait)
	defer cancel()
	reqs := h.log.Wait(ctx, sid, func(rs []Request) bool {
		if len(rs) < minN {
			return false
		}
		if settled {
			for _, e := range rs {
				if !e.Ended {
					return false
				}
			}
		}
		return true
	})
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Access-Control-Allow-Origin", "*")
	_ = json.NewEncoder(w).Encode(reqs)
}

// call is one request to a scenario.
type call struct {
	h       *Handler
	w       http.ResponseWriter
	r       *http.Request
	q       url.Values
	name    string // the scenario serving it, after times/then
	attempt int    // 1-based, per run and scenario (after times/then)

	// finished is set once the scenario has ended the response on its own (as opposed to
	// waiting for the client to go away): a client that goes away after that does not
	// count as gone, however the race between the two ends turns out.
	finished atomic.Bool
}

// finish records that the scenario ends the response on its own.
func (c *call) finish() { c.finished.Store(true) }

type ctxKey struct{}

// callOf returns the call of a request that went through serveScenario.
func callOf(r *http.Request) *call {
	c, _ := r.Context().Value(ctxKey{}).(*call)
	return c
}

func (h *Handler) serveScenario(w http.ResponseWriter, r *http.Request, name string) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, MaxBody))
	r.Body = io.NopCloser(bytes.NewReader(body))
	q := r.URL.Query()
	preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
	entry, attempt := h.log.add(q.Get("sid"), name, preflight, r, body)
	sw := &statusWriter{ResponseWriter: w, log: &h.log, entry: entry}
	c := &call{h: h, w: sw, q: q, name: name, attempt: attempt}
	defer func() {
		gone := r.Context().Err() != nil && !c.finished.Load()
		h.log.update(entry, func(e *Request) { e.Ended, e.ClientGone = true, gone })
	}()

	hd := sw.Header()
	hd.Set("Connection", "close") // one attempt, one connection
	setCORS(hd, q.Get("cors"), r.Header.Get("Origin"))
	if r.Method == http.MethodOptions {
		c.finish()
		if preflight && q.Get("preflight") == "1" {
			hd.Set("Access-Control-Allow-Methods", r.Header.Get("Access-Control-Request-Method"))
			if rh := r.Header.Get("Access-Control-Request-Headers"); rh != "" {
				hd.Set("Access-Control-Allow-Headers", rh)
			}
			hd.Set("Access-Control-Max-Age", "0")
			sw.WriteHeader(http.StatusNoContent)
			return
		}
		hd.Set("Allow", "GET, POST")
		http.Error(sw, "method not allowed", http.StatusMethodNotAllowed)
		return
	}

	if n, _ := strconv.Atoi(q.Get("times")); n > 0 && attempt > n && q.Get("then") != "" {
		name, attempt = q.Get("then"), attempt-n
	}
	f, ok := scenarios[name]
	if !ok {
		http.Error(sw, "unknown scenario "+strconv.Quote(name), http.StatusNotFound)
		return
	}
	c.name, c.attempt = name, attempt
	c.r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, c))
	if f.serve != nil {
		f.serve(c)
	} else {
		serveStream(c)
	}
}

// setCORS sets the CORS response headers of mode "echo", "echo-nocreds" or "star" (see the
// package documentation).
func setCORS(h http.Header, mode, origin string) {
	switch mode {
	case "echo", "echo-nocreds":
		h.Add("Vary", "Origin")
		if origin == "" {
			return
		}
		h.Set("Access-Control-Allow-Origin", origin)
		if mode == "echo" {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
	case "star":
		h.Set("Access-Control-Allow-Origin", "*")
	default:
		return
	}
	h.Set("Access-Control-Expose-Headers", "SSE-Heartbeat-Interval, SSE-Outcome, Retry-After")
}

// statusWriter records the status of the response in the log.
type statusWriter struct {
	http.ResponseWriter
	log   *Log
	entry *Request
	wrote bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wrote && code >= 200 {
		s.wrote = true
		s.log.update(s.entry, func(e *Request) { e.Status = code })
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if !s.wrote {
		s.WriteHeader(http.StatusOK)
	}
	return s.ResponseWriter.Write(b)
}

// FlushError flushes through http.ResponseController, which follows Unwrap methods.
func (s *statusWriter) FlushError() error {
	if !s.wrote {
		s.WriteHeader(http.StatusOK)
	}
	return http.NewResponseController(s.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the underlying writer (Hijack, deadlines).
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// msParam returns the query parameter key as a number of milliseconds, or def when it is
// absent or not a non-negative integer.
func msParam(q url.Values, key string, def time.Duration) time.Duration {
	n, err := strconv.Atoi(q.Get(key))
	if err != nil || n < 0 {
		return def
	}
	return time.Duration(n) * time.Millisecond
}

// Names returns the names of the scenarios, sorted.
func Names() []string {
	names := make([]string, 0, len(scenarios))
	for n := range scenarios {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Describe returns the one-line description of scenario name, or "" when there is none.
func Describe(name string) string {
	return scenarios[name].doc
}
