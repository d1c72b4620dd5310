//go:build !js

package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	sse "github.com/polysse/sse"
)

// Server is an http.Handler that serves one kind of event stream (mount it on a route)
// and fans out published events to the sessions subscribed to their topics.
//
// A Server is safe for concurrent use. Create it with New; the zero value is not usable.
type Server struct {
	opts            Options
	log             *slog.Logger
	warnNoDeadlines sync.Once // logs once that write deadlines are unsupported
	store           sse.CompletionStore
	heartbeat       time.Duration
	beat            []byte   // the heartbeat frame
	beatFrames      [][]byte // {beat}
	beatHeader      string   // SSE-Heartbeat-Interval value
	preamble        []byte   // initial comment and retry field
	writeTO         time.Duration
	queueSize       int
	retryAfter      string
	shutStatus      int
	header          http.Header // response headers: the protocol's, then Options.Header
	epoch           time.Time   // origin of Session.lastWrite

	hub   hub
	sched scheduler
	beats beats

	mu       sync.Mutex
	closed   bool
	active   int      // running handlers and stream goroutines
	sessions int      // open sessions
	list     *Session // open sessions, linked by prev and next
	// shutdownCtx is cancelled when Shutdown begins.
	shutdownCtx   context.Context
	beginShutdown context.CancelFunc
	drained       chan struct{} // closed when closed and active == 0
	isClosed      atomic.Bool
}

// New returns a Server configured by opts (see Options for the defaults). It panics when
// opts.HeartbeatEvent cannot be encoded.
func New(opts Options) *Server {
	srv := &Server{
		opts:       opts,
		log:        opts.Logger,
		store:      opts.Store,
		heartbeat:  opts.HeartbeatInterval,
		writeTO:    opts.WriteTimeout,
		queueSize:  opts.QueueSize,
		shutStatus: opts.ShutdownStatus,
		drained:    make(chan struct{}),
	}
	srv.shutdownCtx, srv.beginShutdown = context.WithCancel(context.Background())
	if srv.log == nil {
		srv.log = slog.Default()
	}
	if srv.store == nil {
		srv.store = new(sse.MemoryStore)
	}
	if srv.heartbeat == 0 {
		srv.heartbeat = DefaultHeartbeatInterval
	}
	if srv.heartbeat > 0 {
		srv.beatHeader = strconv.FormatInt(srv.heartbeat.Milliseconds(), 10)
		if opts.HeartbeatEvent != nil {
			ev := *opts.HeartbeatEvent
			ev.ID = ""
			b, err := ev.AppendTo(nil)
			if err != nil {
				panic(fmt.Sprintf("server: invalid HeartbeatEvent: %v", err))
			}
			srv.beat = b
		} else {
			srv.beat = sse.AppendComment(nil, "")
		}
	}
	if srv.writeTO == 0 {
		srv.writeTO = DefaultWriteTimeout
	}
	if srv.queueSize <= 0 {
		srv.queueSize = DefaultQueueSize
	}
	ra := opts.RetryAfter
	if ra <= 0 {
		ra = DefaultRetryAfter
	}
	srv.retryAfter = strconv.FormatInt(max(1, int64((ra+time.Second-1)/time.Second)), 10)
	if srv.shutStatus == 0 {
		srv.shutStatus = http.StatusServiceUnavailable
	}
	srv.preamble = sse.AppendComment(nil, "ok")
	if opts.Retry > 0 {
		srv.preamble, _ = (&sse.Event{Retry: opts.Retry}).AppendTo(srv.preamble)
	}
	// Every response shares these value slices; their capacity is their length, so that
	// middleware appending to one copies it.
	srv.header = http.Header{
		"Content-Type":      {"text/event-stream"},
		"Cache-Control":     {"no-cache"},
		"X-Accel-Buffering": {"no"},
	}
	if srv.beatHeader != "" {
		srv.header[http.CanonicalHeaderKey(sse.HeaderHeartbeatInterval)] = []string{srv.beatHeader}
	}
	for k, v := range opts.Header {
		srv.header[http.CanonicalHeaderKey(k)] = slices.Clip(slices.Clone(v))
	}
	srv.epoch = time.Now()
	srv.beatFrames = [][]byte{srv.beat}
	srv.sched.init(srv)
	srv.beats.srv = srv
	maxTopics := opts.MaxReplayTopics
	if maxTopics <= 0 {
		maxTopics = DefaultMaxReplayTopics
	}
	srv.hub.init(&srv.sched, opts.ReplaySize, opts.ReplayAge, maxTopics, opts.AutoID, opts.Overflow, srv.log)
	return srv
}

// ServeHTTP serves one event stream, in this order: a Last-Event-ID that redeems a
// completion token is answered 204 (or Options.FatalStatus) with SSE-Outcome; during
// Shutdown the request is answered Options.ShutdownStatus; Options.Refuse may refuse it;
// over Options.MaxSessions it is answered 503; otherwise the response headers and an
// initial comment are sent at once and the session runs until it ends. ServeHTTP returns
// when the session has ended; it does not wait for Options.Stream to return.
func (srv *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	lastID := lastEventID(r, srv.opts.LastEventIDQuery)
	if lastID != "" && srv.redeem(w, r, lastID) {
		return
	}
	if srv.isClosed.Load() {
		srv.refuseShutdown(w)
		return
	}
	if srv.opts.Refuse != nil && srv.refuse(w, r) {
		return
	}
	s := newSession(srv, w, r, lastID)
	switch srv.acquire(s) {
	case errFull:
		w.Header().Set("Retry-After", srv.retryAfter)
		http.Error(w, http.StatusText(http.StatusServiceUnavailable), http.StatusServiceUnavailable)
		return
	case ErrServerClosed:
		srv.refuseShutdown(w)
		return
	}
	defer srv.release()
	defer func() {
		if v := recover(); v != nil { // from Options.Topics: free the session, let net/http log it
			s.close(ReasonClosed, fmt.Errorf("server: panic serving session: %v", v))
			panic(v)
		}
	}()
	var replay [][]byte
	if srv.opts.Topics != nil {
		if topics := srv.opts.Topics(r); len(topics) > 0 {
			replay = srv.hub.subscribe(s, topics, lastID)
		}
	}
	s.serve(replay)
}

// refuseWith answers code with msg as a plain-text body, except for statuses that have no
// body (204, 304, 1xx), which http.Error would try to give one.
func refuseWith(w http.ResponseWriter, code int, msg string) {
	if code == http.StatusNoContent || code == http.StatusNotModified || code < 200 {
		w.WriteHeader(code)
		return
	}
	http.Error(w, msg, code)
}

// redeem answers a request whose last event ID redeems a completion token and reports
// whether it did.
func (srv *Server) redeem(w http.ResponseWriter, r *http.Request, id string) bool {
	// Tokens are canonical UUIDs: skip the store for every other id.
	if !sse.IsToken(id) {
		return false
	}
	outcome, ok, err := srv.store.Redeem(r.Context(), id)
	if err != nil {
		srv.log.LogAttrs(r.Context(), slog.LevelWarn, "server: redeeming completion token failed",
			slog.String("error", err.Error()))
		return false
	}
	if !ok {
		return false
	}
	status := http.StatusNoContent
	if outcome == sse.OutcomeFatal && srv.opts.FatalStatus != 0 {
		status = srv.opts.FatalStatus
	}
	w.Header().Set(sse.HeaderOutcome, string(outcome))
	w.WriteHeader(status)
	return true
}

// refuse runs Options.Refuse and answers the request when it refuses it.
func (srv *Server) refuse(w http.ResponseWriter, r *http.Request) bool {
	no, err := srv.opts.Refuse(r)
	if err != nil {
		var se *StatusError
		var sc statusCoder
		switch {
		case errors.As(err, &se):
			for k, v := range se.Header {
				w.Header()[http.CanonicalHeaderKey(k)] = slices.Clone(v)
			}
			refuseWith(w, se.Code, se.Error())
		case errors.As(err, &sc):
			refuseWith(w, sc.StatusCode(), err.Error())
		default:
			srv.log.LogAttrs(r.Context(), slog.LevelError, "server: Refuse failed",
				slog.String("error", err.Error()))
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		}
		return true
	}
	if no {
		w.WriteHeader(http.StatusNoContent)
		return true
	}
	return false
}

func (srv *Server) refuseShutdown(w http.ResponseWriter) {
	if srv.shutStatus == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", srv.retryAfter)
	}
	if srv.shutStatus == http.StatusNoContent {
		w.WriteHeader(srv.shutStatus)
		return
	}
	http.Error(w, http.StatusText(srv.shutStatus), srv.shutStatus)
}

var errFull = errors.New("server: too many sessions")

// acquire counts a running handler and its session s, or a stream goroutine (s nil). It
// fails with ErrServerClosed after Shutdown began and with errFull over MaxSessions.
func (srv *Server) acquire(s *Session) error {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.closed {
		return ErrServerClosed
	}
	if s != nil {
		if srv.opts.MaxSessions > 0 && srv.sessions >= srv.opts.MaxSessions {
			return errFull
		}
		srv.sessions++
		s.next = srv.list
		if s.next != nil {
			s.next.prev = s
		}
		srv.list = s
	}
	srv.active++
	return nil
}

// release ends what acquire counted as running.
func (srv *Server) release() {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	srv.active--
	if srv.closed && srv.active == 0 {
		close(srv.drained)
	}
}

// sessionEnded frees the MaxSessions slot of a session that ended; its handler may still
// be returning.
func (srv *Server) sessionEnded(s *Session) {
	srv.mu.Lock()
	srv.sessions--
	if s.prev != nil {
		s.prev.next = s.next
	} else {
		srv.list = s.next
	}
	if s.next != nil {
		s.next.prev = s.prev
	}
	s.prev, s.next = nil, nil
	none := srv.sessions == 0
	srv.mu.Unlock()
	if none {
		srv.sched.wakeIdle()
	}
}

// now returns the time since the Server was made, on the monotonic clock.
func (srv *Server) now() time.Duration { return time.Since(srv.epoch) }

// Sessions returns the number of open sessions.
func (srv *Server) Sessions() int {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return srv.sessions
}

// Publish sends ev to every session subscribed to topic, and keeps it in the topic's
// replay buffer when replay is enabled. See PublishTo.
func (srv *Server) Publish(topic string, ev sse.Event) error {
	topics := [1]string{topic}
	return srv.PublishTo(topics[:], ev)
}

// PublishTo sends ev to every session subscribed to any of topics; a session subscribed to
// several of them receives it once. With Options.AutoID an event without an ID gets one.
//
// PublishTo never waits for a client: it queues the encoded event for each subscriber and
// returns. A subscriber whose queue is full is treated by Options.Overflow. Events
// published by one goroutine reach every subscriber in the order they were published, and
// concurrent publishes reach all subscribers in one common order. It is safe for
// concurrent use.
//
// It returns ErrServerClosed after Shutdown began, and a *sse.FieldError (wrapping
// sse.ErrInvalidEvent) when ev cannot be encoded; then nothing is sent.
func (srv *Server) PublishTo(topics []string, ev sse.Event) error {
	if srv.isClosed.Load() {
		return ErrServerClosed
	}
	if err := ev.Validate(); err != nil {
		return err
	}
	srv.hub.publish(topics, &ev)
	return nil
}

// Shutdown ends the Server gracefully: requests that arrive from now on are answered
// Options.ShutdownStatus; Publish fails with ErrServerClosed; every open stream ends with
// a plain end of response (events already queued are written first; no complete event),
// so that clients reconnect, to another instance; then Shutdown waits until every handler
// and every Stream function has returned, or ctx is done, whichever comes first, and
// returns ctx's error in the latter case.
//
// Shutdown may be called several times and concurrently. It can be registered with
// http.Server.RegisterOnShutdown:
//
//	httpSrv.RegisterOnShutdown(func() { sseSrv.Shutdown(context.Background()) })
//
// since http.Server.Shutdown waits for the handlers that it ends.
func (srv *Server) Shutdown(ctx context.Context) error {
	var open []*Session
	srv.mu.Lock()
	if !srv.closed {
		srv.closed = true
		srv.isClosed.Store(true)
		srv.beginShutdown()
		if srv.active == 0 {
			close(srv.drained)
		}
		for s := srv.list; s != nil; s = s.next {
			open = append(open, s)
		}
	}
	srv.mu.Unlock()
	for _, s := range open {
		s.end(ReasonShutdown, ErrServerClosed, false)
	}
	select {
	case <-srv.drained:
	case <-ctx.Done():
		return ctx.Err()
	}
	// No session is left: the workers exit as soon as they are idle.
	select {
	case <-srv.sched.stopped():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// runStream runs Options.Stream for s in its own goroutine, recovering a panic.
func (srv *Server) runStream(s *Session) {
	if srv.acquire(nil) != nil {
		s.end(ReasonShutdown, ErrServerClosed, false)
		return
	}
	go func() {
		defer srv.release()
		defer func() {
			if v := recover(); v != nil {
				srv.log.LogAttrs(context.Background(), slog.LevelError, "server: stream function panicked",
					slog.String("session", s.ID()), slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
				s.end(ReasonClosed, fmt.Errorf("%w: %v", ErrStreamPanic, v), false)
				return
			}
			s.end(ReasonClosed, nil, false)
		}()
		srv.opts.Stream(s)
	}()
}

// lastEventID returns the request's last event ID: the Last-Event-ID header, else the
// query parameter q when set, with CR, LF and NUL removed; "" when it is longer than
// MaxLastEventIDLen.
func lastEventID(r *http.Request, q string) string {
	id := r.Header.Get(sse.HeaderLastEventID)
	if id == "" && q != "" {
		id = r.URL.Query().Get(q)
	}
	if len(id) > MaxLastEventIDLen {
		return ""
	}
	if strings.ContainsAny(id, "\r\n\x00") {
		id = strings.Map(func(c rune) rune {
			if c == '\r' || c == '\n' || c == 0 {
				return -1
			}
			return c
		}, id)
	}
	return id
}

// randomPrefix returns the prefix of automatic event ids: 8 random hex digits and "-".
func randomPrefix() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:]) + "-"
}
