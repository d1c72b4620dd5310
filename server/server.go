package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
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
	"github.com/polysse/sse/internal/protocol"
)

// Server is an http.Handler that serves one kind of event stream (mount it on a route)
// and fans out published events to the sessions subscribed to their topics.
//
// A Server is safe for concurrent use. Create it with New; the zero value is not usable.
//
// Its state has these owners and locks. A lock may be taken while one before it in this
// order is held, never the other way round:
//
//	Broker (the in-memory hub's mutex)  →  Session.mu
//	Broker (the in-memory hub's mutex)  →  scheduler.mu  →  Server.mu
//
// The broker delivers to sessions under its lock, and a session that must be written
// goes on the scheduler's run queue (after its own lock is released); a worker asks
// whether sessions are open (Server.mu) under the scheduler's lock. A session never calls
// its broker while holding its own lock (it unsubscribes after it ended, with no lock
// held). The heartbeat heap's mutex and the completion store's are leaves: nothing else
// is locked while one of them is held.
type Server struct {
	opts    Options // normalised by withDefaults; read-only after New
	beats   beats
	sched   *scheduler
	boostAt int // queue length at which a session waiting for a writer boosts the pool

	// Frames and header values made once by New.
	preamble     []byte   // the initial comment and the retry field
	later        []byte   // the initial comment and a retry field of RetryAfter: "come back later"
	beatFrames   [][]byte // {the heartbeat}
	gapFrame     []byte   // Options.GapEvent encoded, or nil
	header       http.Header
	replayHeader [4][]string // SSE-Replay values by ResumeStatus (nil for ResumeNone)
	retryAfter   string      // Retry-After of 503 answers, in seconds

	warned     sync.Map     // misconfigurations already logged, by cause
	warnedSize atomic.Int32 // entries in warned
	outage     outageLog    // failures of the broker and the store, logged at a bounded rate
	closeOnce  sync.Once
	brokerErr  error // of Broker.Close

	// closing is the one shutdown state: closed, once and under mu, when Shutdown begins.
	closing  chan struct{}
	mu       sync.Mutex
	active   int      // running handlers and stream goroutines
	sessions int      // open sessions
	list     *Session // open sessions, linked by prev and next
	drained  chan struct{}
}

// replayKey is the canonical form of the SSE-Replay header name.
var replayKey = http.CanonicalHeaderKey(sse.HeaderReplay)

// New returns a Server configured by opts (see Options for the defaults). It panics when
// opts.HeartbeatEvent or opts.GapEvent cannot be encoded.
func New(opts Options) *Server {
	srv := &Server{opts: opts.withDefaults(), drained: make(chan struct{}), closing: make(chan struct{})}
	o := &srv.opts
	srv.beats = beats{interval: o.HeartbeatInterval, epoch: time.Now()}
	srv.sched = newScheduler(func() bool { return srv.Sessions() > 0 }, srv.closing)
	srv.boostAt = max(1, o.QueueSize/2)
	beat := sse.AppendComment(nil, "")
	if o.HeartbeatEvent != nil {
		beat = mustEncode("HeartbeatEvent", *o.HeartbeatEvent)
	}
	srv.beatFrames = [][]byte{beat}
	if o.GapEvent != nil {
		srv.gapFrame = mustEncode("GapEvent", *o.GapEvent)
	}
	srv.preamble = sse.AppendComment(nil, "ok")
	if o.ReconnectionTime > 0 {
		srv.preamble, _ = (&sse.Event{Retry: o.ReconnectionTime}).AppendTo(srv.preamble)
	}
	srv.later, _ = (&sse.Event{Retry: o.RetryAfter}).AppendTo(sse.AppendComment(nil, "ok"))
	srv.retryAfter = strconv.FormatInt(max(1, int64((o.RetryAfter+time.Second-1)/time.Second)), 10)
	// Every response shares these value slices; their capacity is their length, so that
	// middleware appending to one copies it.
	srv.header = http.Header{
		"Content-Type":      {"text/event-stream"},
		"Cache-Control":     {"no-cache"},
		"X-Accel-Buffering": {"no"},
	}
	if o.HeartbeatInterval > 0 {
		srv.header[http.CanonicalHeaderKey(sse.HeaderHeartbeatInterval)] = []string{strconv.FormatInt(o.HeartbeatInterval.Milliseconds(), 10)}
	}
	for k, v := range o.Header {
		srv.header[http.CanonicalHeaderKey(k)] = slices.Clip(slices.Clone(v))
	}
	for _, st := range []ResumeStatus{ResumeComplete, ResumeGap, ResumeUnknown} {
		srv.replayHeader[st] = []string{st.String()}
	}
	return srv
}

// mustEncode encodes an event of the Options, without its ID, or panics.
func mustEncode(field string, ev sse.Event) []byte {
	ev.ID = ""
	b, err := ev.AppendTo(nil)
	if err != nil {
		panic(fmt.Sprintf("server: invalid Options.%s: %v", field, err))
	}
	return b
}

// ServeHTTP serves one event stream, in this order:
//
//  1. A Last-Event-ID that redeems a completion token is answered 204 (or
//     Options.FatalStatus) with SSE-Outcome. When the store fails, the request is
//     answered with an empty stream that asks the client to retry after RetryAfter.
//  2. During Shutdown the request is answered Options.ShutdownStatus.
//  3. When w cannot flush (it is buffered by http.TimeoutHandler, or wrapped by a
//     middleware that has neither Flush nor Unwrap), the request is answered 500 with a
//     message naming the cause, which is logged once per cause: a stream that could not
//     flush would make clients reconnect for ever.
//  4. The request body is read, up to Options.MaxRequestBody (413 beyond).
//  5. Options.Refuse may refuse it; over Options.MaxSessions it is answered 503.
//  6. The session subscribes to its Topics; when the broker fails, it is answered with an
//     empty stream and a retry hint.
//  7. The response headers (with SSE-Replay when the request resumed from a Last-Event-ID
//     with replay), the preamble, the session's start position when it had no
//     Last-Event-ID and its broker issues positions (an event with only an id: see
//     Resume.Start), the gap event and the replay are written and flushed at once, and
//     the session runs until it ends.
//
// ServeHTTP returns when the session has ended; it does not wait for Options.Stream to
// return.
func (srv *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	lastID := lastEventID(r, srv.opts.LastEventIDQuery)
	if sse.IsToken(lastID) && srv.redeem(w, r, lastID) {
		return
	}
	if srv.isClosed() {
		srv.refuseShutdown(w)
		return
	}
	if ok, chain := flushable(w); !ok {
		msg := notFlushableMessage(chain)
		srv.warnOnce(slog.LevelError, "flush "+chain, msg)
		http.Error(w, msg, http.StatusInternalServerError)
		return
	}
	body, ok := srv.readBody(w, r)
	if !ok {
		return
	}
	if srv.opts.Refuse != nil && srv.refuse(w, withBody(r, body)) {
		return
	}
	var topics []string
	if srv.opts.Topics != nil {
		topics = srv.opts.Topics(withBody(r, body))
	}
	s := newSession(srv, w, withBody(r, body), lastID)
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
	head, resume := srv.subscribe(s, topics)
	s.serve(head, resume)
	if s.aborted() {
		panic(http.ErrAbortHandler) // net/http drops the connection (HTTP/2: resets the stream)
	}
}

// subscribe subscribes s to topics with its broker and returns the session's first
// frames and how it resumed. When the broker fails, the session is ended so that only
// the preamble and a retry hint are written.
func (srv *Server) subscribe(s *Session, topics []string) ([][]byte, ResumeStatus) {
	if len(topics) == 0 {
		return [][]byte{srv.preamble}, ResumeNone
	}
	ctx := s.req.Context()
	sub, res, err := srv.opts.Broker.Subscribe(ctx, (*subscriber)(s), topics, s.lastID)
	if err != nil {
		if ctx.Err() == nil {
			srv.outage.log(srv.opts.Logger, "server: subscribing failed; the client is asked to come back later",
				slog.String("session", s.ID()), slog.String("error", err.Error()))
		}
		s.end(ReasonClosed, fmt.Errorf("server: subscribing: %w", err), false)
		return [][]byte{srv.later}, ResumeNone
	}
	s.sub = sub
	head := make([][]byte, 0, 2+len(res.Frames))
	head = append(head, srv.startFrames(res))
	if res.Status == ResumeGap && srv.gapFrame != nil {
		head = append(head, srv.gapFrame)
	}
	return append(head, res.Frames...), res.Status
}

// startFrames returns the session's first frame: the preamble, followed, when the broker
// gave the session a start position (Resume.Start), by an event with only that id. Both
// are one frame, so that a session evicted before its first write, which writes its
// first frame alone, still tells its client where it started.
func (srv *Server) startFrames(res Resume) []byte {
	if res.Status != ResumeNone || res.Start == "" {
		return srv.preamble
	}
	if len(res.Start) > MaxLastEventIDLen || strings.ContainsAny(res.Start, "\r\n\x00") {
		srv.warnOnce(slog.LevelError, "start position",
			"server: the broker gave a start position that is not a valid event id; sessions are not told where they started",
			slog.String("start", res.Start[:min(len(res.Start), 64)]))
		return srv.preamble
	}
	f := make([]byte, 0, len(srv.preamble)+len("id: \n\n")+len(res.Start))
	f = append(f, srv.preamble...)
	f = append(f, "id: "...)
	f = append(f, res.Start...)
	return append(f, "\n\n"...)
}

// redeem answers a request whose last event ID redeems a completion token and reports
// whether it did. When the store fails, it answers an empty stream with a retry hint.
func (srv *Server) redeem(w http.ResponseWriter, r *http.Request, id string) bool {
	outcome, ok, err := srv.opts.Store.Redeem(r.Context(), id)
	if err != nil {
		srv.outage.log(srv.opts.Logger,
			"server: redeeming a completion token failed; the client is asked to come back later",
			slog.String("error", err.Error()))
		srv.answerLater(w)
		return true
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

// answerLater answers 200 with the stream headers, the initial comment and a retry field
// of RetryAfter, and ends the response: the client reconnects later with the same
// Last-Event-ID. (Any other status would stop a spec EventSource for good.)
func (srv *Server) answerLater(w http.ResponseWriter) {
	h := w.Header()
	for k, v := range srv.header {
		h[k] = v
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(srv.later)
}

// readBody reads the request body, up to MaxRequestBody, and reports whether the
// request may go on; when not, it has answered it. It returns nil when there is no body
// or the body is to be left unread.
func (srv *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	limit := srv.opts.MaxRequestBody
	if limit < 0 || r.Body == nil || r.Body == http.NoBody {
		return nil, true
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		if tooLong := new(http.MaxBytesError); errors.As(err, &tooLong) {
			http.Error(w, "server: the request body is longer than "+strconv.FormatInt(limit, 10)+
				" bytes (Options.MaxRequestBody)", http.StatusRequestEntityTooLarge)
			return nil, false
		}
		http.Error(w, "server: reading the request body: "+err.Error(), http.StatusBadRequest)
		return nil, false
	}
	if b == nil {
		b = []byte{}
	}
	return b, true
}

// withBody returns r, or, when body is not nil, a shallow copy of r whose Body reads
// body from its start.
func withBody(r *http.Request, body []byte) *http.Request {
	if body == nil {
		return r
	}
	c := r.WithContext(r.Context())
	c.Body = io.NopCloser(bytes.NewReader(body))
	c.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	c.ContentLength = int64(len(body))
	return c
}

// refuse runs Options.Refuse and answers the request when it refuses it.
func (srv *Server) refuse(w http.ResponseWriter, r *http.Request) bool {
	err := srv.opts.Refuse(r)
	if err == nil {
		return false
	}
	code, msg := http.StatusInternalServerError, http.StatusText(http.StatusInternalServerError)
	var se *StatusError
	var sc statusCoder
	if errors.As(err, &se) {
		for k, v := range se.Header {
			w.Header()[http.CanonicalHeaderKey(k)] = slices.Clone(v)
		}
		code, msg = se.Code, se.Error()
	} else if errors.As(err, &sc) {
		code, msg = sc.StatusCode(), err.Error()
	}
	if code < 100 || code > 999 {
		srv.opts.Logger.LogAttrs(r.Context(), slog.LevelError, "server: Refuse returned an error with an invalid status",
			slog.Int("status", code), slog.String("error", err.Error()))
		code, msg = http.StatusInternalServerError, http.StatusText(http.StatusInternalServerError)
	} else if code == http.StatusInternalServerError {
		srv.opts.Logger.LogAttrs(r.Context(), slog.LevelError, "server: Refuse failed", slog.String("error", err.Error()))
	}
	if code == http.StatusNoContent || code == http.StatusNotModified || code < 200 {
		w.WriteHeader(code) // no body
		return true
	}
	http.Error(w, msg, code)
	return true
}

func (srv *Server) refuseShutdown(w http.ResponseWriter) {
	code := srv.opts.ShutdownStatus
	if code == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", srv.retryAfter)
	}
	if code == http.StatusNoContent {
		w.WriteHeader(code)
		return
	}
	http.Error(w, http.StatusText(code), code)
}

// warnOnce logs msg at lvl the first time it is called with cause (up to 64 causes, so
// that a flood of distinct ones cannot grow memory).
func (srv *Server) warnOnce(lvl slog.Level, cause, msg string, attrs ...slog.Attr) {
	if srv.warnedSize.Load() >= 64 {
		return
	}
	if _, seen := srv.warned.LoadOrStore(cause, struct{}{}); seen {
		return
	}
	srv.warnedSize.Add(1)
	srv.opts.Logger.LogAttrs(context.Background(), lvl, msg, attrs...)
}

// outageInterval is the least time between two log lines of an outageLog.
const outageInterval = 10 * time.Second

// outageLog logs the failures of a broker or a store that is down at a bounded rate: while
// it is down every reconnecting client fails, and one line per request would flood the
// log. The first failure is logged at once; the next one outageInterval later at the
// earliest, with the number of failures left unlogged meanwhile.
type outageLog struct {
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

func (o *outageLog) log(logger *slog.Logger, msg string, attrs ...slog.Attr) {
	now := time.Now()
	o.mu.Lock()
	if !o.last.IsZero() && now.Sub(o.last) < outageInterval {
		o.suppressed++
		o.mu.Unlock()
		return
	}
	n := o.suppressed
	o.last, o.suppressed = now, 0
	o.mu.Unlock()
	if n > 0 {
		attrs = append(attrs, slog.Int("failures_not_logged", n))
	}
	logger.LogAttrs(context.Background(), slog.LevelWarn, msg, attrs...)
}

var errFull = errors.New("server: too many sessions")

// acquire counts a running handler and its session s, or a stream goroutine (s nil). It
// fails with ErrServerClosed after Shutdown began and with errFull over MaxSessions.
func (srv *Server) acquire(s *Session) error {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.isClosed() {
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
	if srv.isClosed() && srv.active == 0 {
		close(srv.drained)
	}
}

// isClosed reports whether Shutdown began.
func (srv *Server) isClosed() bool { return isClosed(srv.closing) }

// sessionEnded takes a session that ended off the list (freeing its MaxSessions slot; its
// handler may still be returning) and logs its end.
func (srv *Server) sessionEnded(s *Session, reason Reason, err error) {
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
		srv.sched.wakeIdle() // so that they exit
	}
	lvl := slog.LevelDebug
	if errors.Is(err, ErrNotFlushable) {
		lvl = slog.LevelError
	}
	if log := srv.opts.Logger; log.Enabled(context.Background(), lvl) {
		attrs := []slog.Attr{slog.String("session", s.ID()), slog.String("reason", string(reason))}
		if err != nil {
			attrs = append(attrs, slog.String("error", err.Error()))
		}
		log.LogAttrs(context.Background(), lvl, "server: session ended", attrs...)
	}
}

// logSessionStart logs the start of a session at debug level.
func (srv *Server) logSessionStart(s *Session) {
	ctx := s.req.Context()
	if log := srv.opts.Logger; log.Enabled(ctx, slog.LevelDebug) {
		s.mu.Lock()
		resume := s.resume
		s.mu.Unlock()
		log.LogAttrs(ctx, slog.LevelDebug, "server: session started",
			slog.String("session", s.ID()), slog.String("last_event_id", s.lastID), slog.String("replay", resume.String()))
	}
}

// Sessions returns the number of open sessions.
func (srv *Server) Sessions() int {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return srv.sessions
}

// Publish sends ev to every session subscribed to topic and returns its id. See
// PublishTo.
func (srv *Server) Publish(ctx context.Context, topic string, ev sse.Event) (id string, err error) {
	topics := [1]string{topic}
	return srv.PublishTo(ctx, topics[:], ev)
}

// PublishTo sends ev to every session subscribed to any of topics; a session subscribed to
// several of them receives it once. It returns the event's id: the one ev had, or the one
// the broker gave it (with Options.AutoID, the in-memory broker gives one to an event
// without an ID; a shared broker gives every event its log position), or "".
//
// PublishTo never waits for a client: it queues the encoded event for each subscriber and
// returns. A subscriber whose queue is full is treated by Options.Overflow. Events
// published by one goroutine reach every subscriber in the order they were published, and
// concurrent publishes reach all subscribers in one common order. It is safe for
// concurrent use. The in-memory broker does not block, and fails only when ctx is done
// already; another broker may block up to ctx (a network round trip).
//
// It returns ErrServerClosed after Shutdown began; a *sse.FieldError (wrapping
// sse.ErrInvalidEvent) when ev cannot be encoded; the broker's error (wrapping
// ErrBrokerUnavailable when it cannot reach its log). Then nothing is sent.
func (srv *Server) PublishTo(ctx context.Context, topics []string, ev sse.Event) (id string, err error) {
	if srv.isClosed() {
		return "", ErrServerClosed
	}
	if err := ev.Validate(); err != nil {
		return "", err
	}
	return srv.opts.Broker.Publish(ctx, topics, ev)
}

// Ready reports whether the Server can serve: nil, or ErrServerClosed after Shutdown
// began, or the error of a Broker or completion store that is not ready (when they have
// a method Ready(context.Context) error). It suits readiness probes.
func (srv *Server) Ready(ctx context.Context) error {
	if srv.isClosed() {
		return ErrServerClosed
	}
	if r, ok := srv.opts.Broker.(readier); ok {
		if err := r.Ready(ctx); err != nil {
			return fmt.Errorf("server: broker not ready: %w", err)
		}
	}
	if r, ok := srv.opts.Store.(readier); ok {
		if err := r.Ready(ctx); err != nil {
			return fmt.Errorf("server: completion store not ready: %w", err)
		}
	}
	return nil
}

// Shutdown ends the Server gracefully: requests that arrive from now on are answered
// Options.ShutdownStatus; Publish fails with ErrServerClosed; every open stream ends with
// a plain end of response (events already queued are written first; no complete event),
// so that clients reconnect, to another instance; then Shutdown waits until every handler
// and every Stream function has returned, or ctx is done, whichever comes first, and
// returns ctx's error in the latter case. Once they have all returned it closes the
// broker and returns its error.
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
	if !srv.isClosed() {
		close(srv.closing)
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
	srv.closeOnce.Do(func() { srv.brokerErr = srv.opts.Broker.Close() })
	// No session is left: the workers exit as soon as they are idle.
	select {
	case <-srv.sched.stopped():
	case <-ctx.Done():
		return ctx.Err()
	}
	return srv.brokerErr
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
				srv.opts.Logger.LogAttrs(context.Background(), slog.LevelError, "server: stream function panicked",
					slog.String("session", s.ID()), slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
				s.end(ReasonClosed, fmt.Errorf("%w: %v", ErrStreamPanic, v), false)
				return
			}
			s.end(ReasonClosed, nil, false)
		}()
		srv.opts.Stream(s)
	}()
}

// lastEventID returns the request's last event ID by protocol.LastEventID, the rule the
// fake server shares: the Last-Event-ID header, else the query parameter q when set,
// with CR, LF and NUL removed; "" when it is longer than MaxLastEventIDLen.
func lastEventID(r *http.Request, q string) string {
	var query func() string
	if q != "" {
		query = func() string { return r.URL.Query().Get(q) }
	}
	return protocol.LastEventID(r.Header.Get(sse.HeaderLastEventID), query)
}
