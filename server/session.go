//go:build !js

package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	sse "github.com/polysse/sse"
)

// Reason says why a session ended.
type Reason string

// The reasons a session ends.
const (
	// ReasonClientGone: the client went away (its request was cancelled or a write
	// failed).
	ReasonClientGone Reason = "client-gone"
	// ReasonClosed: the server closed the session (Close, the stream function returned
	// or panicked).
	ReasonClosed Reason = "closed"
	// ReasonCompleted: Complete ended the session.
	ReasonCompleted Reason = "completed"
	// ReasonFailed: Fail ended the session.
	ReasonFailed Reason = "failed"
	// ReasonEvicted: the client was too slow (a full queue under policy Disconnect, or a
	// write that exceeded the write timeout).
	ReasonEvicted Reason = "evicted"
	// ReasonShutdown: Server.Shutdown ended the session.
	ReasonShutdown Reason = "shutdown"
)

// Session is one client's open event stream.
//
// All of its methods are safe for concurrent use. Writes (Push, PushData, PushJSON,
// Comment, Complete, Fail) and published events queue an encoded frame; the Server's
// workers write a session's frames one batch at a time, never two at once, so they never
// interleave. A session ends once: Done is then closed, and Reason and Err say why. Its
// request's context (Request().Context()) is cancelled when the handler returns, right
// after the session ends.
type Session struct {
	srv    *Server
	uid    uuid.UUID
	req    *http.Request
	lastID string
	done   chan struct{}

	mu        sync.Mutex
	queue     [][]byte
	scheduled bool          // on the run queue or being run by a worker
	beat      bool          // a heartbeat is due
	discard   bool          // end without writing the queue (eviction, client gone)
	ending    rcode         // set once the session is ending: no more writes are accepted
	reason    rcode         // final, set before done is closed
	started   bool          // the first run has begun (owned by the worker running the session)
	live      bool          // the response has started: a write in progress can be aborted
	err       error         // the error of the end asked for, then of the end
	space     chan struct{} // closed when a worker takes the queue; made by a waiting Push
	dropped   int32
	beatIdx   int32 // 1 + index in the Server's heartbeat heap, 0 when not in it (guarded by its mutex)
	beatAt    int64 // when the heartbeat heap looks at the session next (guarded by its mutex)

	// Owned by the worker running the session (set by the handler before its first run).
	wr        writer
	spare     [][]byte     // the queue's spare slice; before the first run, the preamble and replay
	lastWrite atomic.Int64 // time of the last write, since srv.epoch; read by the heartbeat heap

	// Guarded by the Server's mutex: the list of open sessions.
	prev, next *Session

	// Guarded by the hub's mutex.
	subs    []subscription
	lastSeq uint64
	gap     bool // the replay missed events (see ReplayGap)
}

// subscription is a session's place in one topic's subscribers.
type subscription struct {
	t *topic
	i int // index in t.subs
}

// rcode is a Reason as stored in a Session.
type rcode uint8

var reasons = [...]Reason{"", ReasonClientGone, ReasonClosed, ReasonCompleted, ReasonFailed, ReasonEvicted, ReasonShutdown}

func codeOf(r Reason) rcode {
	for i, x := range reasons {
		if x == r {
			return rcode(i)
		}
	}
	panic("server: unknown reason " + string(r))
}

func newSession(srv *Server, w http.ResponseWriter, r *http.Request, lastID string) *Session {
	s := &Session{
		srv:       srv,
		uid:       uuid.New(),
		req:       r,
		lastID:    lastID,
		done:      make(chan struct{}),
		scheduled: true, // until serve puts it on the run queue: nobody else may
	}
	s.wr.w = w
	s.spare = [][]byte{srv.preamble}
	return s
}

// ReplayGap reports whether the session resumed from a Last-Event-ID that one of its
// topics still held, but another of its topics had already dropped (by ReplaySize or
// ReplayAge) events published after it: the replay it received has a gap. The Stream
// function can then tell the client to resynchronise. It is safe for concurrent use.
func (s *Session) ReplayGap() bool {
	s.srv.hub.mu.Lock()
	defer s.srv.hub.mu.Unlock()
	return s.gap
}

// ID returns the session's unique id, a random UUID in its canonical form.
func (s *Session) ID() string { return s.uid.String() }

// Request returns the request that opened the session. It must not be modified.
func (s *Session) Request() *http.Request { return s.req }

// LastEventID returns the last event ID the client sent (the Last-Event-ID header, or the
// Options.LastEventIDQuery parameter), with CR, LF and NUL removed; "" when it sent none
// or one longer than MaxLastEventIDLen bytes.
func (s *Session) LastEventID() string { return s.lastID }

// Done returns a channel that is closed when the session has ended: nothing more will be
// written to its client.
func (s *Session) Done() <-chan struct{} { return s.done }

// Reason returns why the session ended, or "" while it is open.
func (s *Session) Reason() Reason {
	s.mu.Lock()
	defer s.mu.Unlock()
	return reasons[s.reason]
}

// Err returns the error that ended the session, or nil while it is open or when it ended
// normally (completed, failed or closed without error). Evictions wrap ErrSlowSubscriber
// or ErrWriteTimeout, shutdown is ErrServerClosed, a panic wraps ErrStreamPanic, and a
// client that went away reports the write error or the request context's cause.
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reason == 0 {
		return nil
	}
	return s.err
}

// Dropped returns how many published events were discarded for this session under policy
// Drop because its queue was full.
func (s *Session) Dropped() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int(s.dropped)
}

// Push queues ev for the client. It waits while the session's queue is full and returns
// once ev is queued (which does not mean delivered), or ErrSessionClosed when the session
// is ending or has ended. An event that cannot be encoded returns a *sse.FieldError and
// nothing is queued. Push does not keep ev.
func (s *Session) Push(ev sse.Event) error {
	b, err := ev.AppendTo(nil)
	if err != nil {
		return err
	}
	return s.enqueue(b)
}

// PushData pushes an event with data and no type or id (see Push).
func (s *Session) PushData(data string) error {
	return s.Push(sse.Event{Data: data})
}

// PushJSON pushes an event whose data is v encoded as JSON (see Push). An error of
// encoding/json is returned as is and nothing is queued.
func (s *Session) PushJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.Push(sse.Event{Data: string(b)})
}

// Comment queues a comment (one ": " line per line of text, or ":" when text is empty),
// which clients ignore (see Push).
func (s *Session) Comment(text string) error {
	return s.enqueue(sse.AppendComment(nil, text))
}

// Complete ends the stream because its work is done: it records a new completion token
// (outcome complete) in the store, writes, after the events already queued, an event of
// type "complete" with the token as id and data (or "{}" when data is empty), and ends the
// response (ReasonCompleted). A client that reconnects with the token is answered 204 with
// SSE-Outcome: complete, once.
//
// Complete waits until the session has ended and returns nil when the event was written;
// an error wrapping ErrSessionClosed when the session ended before (or while) it could be;
// or the store's error, wrapped, and then the session stays open.
func (s *Session) Complete(data string) error {
	if data == "" {
		data = "{}"
	}
	return s.finish(sse.EventComplete, data, sse.OutcomeComplete, ReasonCompleted)
}

// Fail ends the stream for good with a failure: like Complete, with an event of type
// "fatal" carrying data, outcome fatal and ReasonFailed. A client that reconnects with the
// token is answered Options.FatalStatus (204 by default) with SSE-Outcome: fatal, once.
func (s *Session) Fail(data string) error {
	return s.finish(sse.EventFatal, data, sse.OutcomeFatal, ReasonFailed)
}

func (s *Session) finish(typ, data string, outcome sse.Outcome, reason Reason) error {
	s.mu.Lock()
	ending := s.ending
	s.mu.Unlock()
	if ending != 0 {
		return ErrSessionClosed
	}
	token, err := sse.NewToken()
	if err != nil {
		return fmt.Errorf("server: making completion token: %w", err)
	}
	frame, err := (&sse.Event{ID: token, Type: typ, Data: data}).AppendTo(nil)
	if err != nil {
		return err
	}
	// Record before writing: the client must not be able to reconnect with a token the
	// store does not know yet.
	ctx := context.WithoutCancel(s.req.Context())
	if err := s.srv.store.Record(ctx, token, outcome, s.srv.opts.TokenTTL); err != nil {
		return fmt.Errorf("server: recording completion token: %w", err)
	}
	s.mu.Lock()
	if s.ending != 0 {
		s.mu.Unlock()
		return ErrSessionClosed
	}
	s.queue = append(s.queue, frame) // the last frame may exceed QueueSize
	s.ending, s.err = codeOf(reason), nil
	run := s.scheduleLocked()
	s.mu.Unlock()
	s.run(run)
	<-s.done
	if got := s.Reason(); got != reason {
		return fmt.Errorf("%w: %s", ErrSessionClosed, got)
	}
	return nil
}

// Close ends the session after the events already queued are written (ReasonClosed). It
// does not wait; use Done. Closing an ended session does nothing.
func (s *Session) Close() {
	s.end(ReasonClosed, nil, false)
}

// end asks for the session to end with reason (unless it is already ending), after its
// queued events are written, or at once when discard is set.
func (s *Session) end(reason Reason, err error, discard bool) {
	s.mu.Lock()
	if s.ending == 0 {
		s.ending, s.err = codeOf(reason), err
	}
	// A client that has gone needs nothing more written, even for an end asked for before.
	s.discard = s.discard || discard
	run := s.scheduleLocked()
	s.mu.Unlock()
	s.run(run)
}

// heartbeatDue runs when the Server's heartbeat heap finds the stream idle for the
// heartbeat interval.
func (s *Session) heartbeatDue() {
	s.mu.Lock()
	s.beat = true
	run := s.scheduleLocked()
	s.mu.Unlock()
	s.run(run)
}

// scheduleLocked marks the session scheduled and reports whether the caller must put it
// on the run queue (with run, after unlocking s.mu).
func (s *Session) scheduleLocked() bool {
	if s.scheduled || s.reason != 0 {
		return false
	}
	s.scheduled = true
	return true
}

func (s *Session) run(ok bool) {
	if ok {
		s.srv.sched.push(s)
	}
}

// enqueue queues a frame, waiting while the queue is full.
func (s *Session) enqueue(b []byte) error {
	for {
		s.mu.Lock()
		if s.ending != 0 {
			s.mu.Unlock()
			return ErrSessionClosed
		}
		if len(s.queue) < s.srv.queueSize {
			s.queue = append(s.queue, b)
			run := s.scheduleLocked()
			s.mu.Unlock()
			s.run(run)
			return nil
		}
		if s.space == nil {
			s.space = make(chan struct{})
		}
		space := s.space
		s.mu.Unlock()
		select {
		case <-space:
		case <-s.done:
			return ErrSessionClosed
		}
	}
}

// offer queues a published frame without waiting. It reports whether the session must be
// evicted (its queue was full under policy Disconnect) and whether the caller must put it
// on the run queue. The caller holds the hub's mutex.
func (s *Session) offer(b []byte, policy OverflowPolicy) (evict, run bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ending != 0 {
		return false, false
	}
	if len(s.queue) >= s.srv.queueSize {
		if policy == Drop {
			s.dropped++
			return false, false
		}
		s.ending, s.err, s.discard = codeOf(ReasonEvicted), ErrSlowSubscriber, true
		if s.live && s.wr.deadlines {
			go s.abortWrite() // its worker may be blocked on the socket: end that write now
		}
		return true, s.scheduleLocked()
	}
	s.queue = append(s.queue, b)
	return false, s.scheduleLocked()
}

// armWrite sets the deadline of the next write, unless the session has been evicted. It
// holds s.mu, as abortWrite does: either abortWrite ran first, and armWrite sees the
// eviction and reports false, or it runs after, and its deadline replaces this one. (Set
// without the lock, a worker that took its batch before the eviction would replace the
// abort's deadline with a full write timeout and stay blocked on the socket.)
func (s *Session) armWrite() (deadline time.Time, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ending == codeOf(ReasonEvicted) {
		return time.Time{}, false
	}
	if s.wr.deadlines {
		deadline = time.Now().Add(s.srv.writeTO)
		_ = http.NewResponseController(s.wr.w).SetWriteDeadline(deadline)
	}
	return deadline, true
}

// abortWrite makes a write in progress fail at once, by moving the write deadline to now.
// It holds s.mu, so that the session cannot end (and its handler return) meanwhile.
func (s *Session) abortWrite() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reason == 0 {
		_ = http.NewResponseController(s.wr.w).SetWriteDeadline(time.Now())
	}
}

// step is one run of the session by a worker: it writes what is queued (or a heartbeat
// that is due), ends the session when asked to, and puts it back on the run queue when
// more is waiting.
func (s *Session) step() {
	srv := s.srv
	s.mu.Lock()
	batch, ending, endErr, discard, beat := s.queue, reasons[s.ending], s.err, s.discard, s.beat
	var initial [][]byte // before the first run, spare holds the preamble and replay
	if s.started {
		s.queue = s.spare
	} else {
		initial, s.queue = s.spare, nil
	}
	s.spare, s.beat = nil, false
	if s.space != nil {
		close(s.space)
		s.space = nil
	}
	s.mu.Unlock()

	frames := batch
	write := !discard
	if !s.started && ending != ReasonClientGone {
		// Start even a session that ends before its first run (evicted, shut down): a
		// handler that returned without writing would make net/http answer 200 without
		// Content-Type, which fails an EventSource for good. Headers and the initial
		// comment, then the end, make the client reconnect.
		s.start()
		if discard {
			frames, write = initial[:1], true // the preamble alone
		} else {
			frames = append(initial, batch...)
		}
	}
	if beat && len(frames) == 0 {
		frames = srv.beatFrames // the heartbeat heap found the stream idle for the interval
	}
	if len(frames) > 0 && write {
		deadline, ok := s.armWrite()
		if !ok { // evicted since the batch was taken: abortWrite came first
			s.close(ReasonEvicted, ErrSlowSubscriber)
			return
		}
		if reason, err := s.wr.write(s.req.Context(), deadline, frames...); reason != "" {
			s.mu.Lock()
			if s.ending == codeOf(ReasonEvicted) { // abortWrite failed the write
				reason, err = ReasonEvicted, s.err
			}
			s.mu.Unlock()
			s.close(reason, err)
			return
		}
		if srv.heartbeat > 0 {
			s.lastWrite.Store(int64(srv.now()))
		}
	}
	if !s.started {
		s.started = true
		if srv.opts.Stream != nil && ending == "" && !discard {
			srv.runStream(s) // the response is streaming: start the stream function
		}
	}
	clear(batch)
	s.spare = batch[:0]
	if ending != "" {
		s.close(ending, endErr)
		return
	}
	s.mu.Lock()
	again := len(s.queue) > 0 || s.beat || s.ending != 0
	s.scheduled = again
	s.mu.Unlock()
	s.run(again)
}

// writer writes frames to the response with a per-write deadline.
type writer struct {
	w         http.ResponseWriter
	deadlines bool // the ResponseWriter supports SetWriteDeadline, and writes have a timeout
}

// write writes and flushes frames. The caller has set the write deadline (armWrite) and
// passes it, for telling a timeout from other errors. On error it returns the reason to
// end the session.
func (wr *writer) write(ctx context.Context, deadline time.Time, frames ...[]byte) (Reason, error) {
	rc := http.NewResponseController(wr.w) // does not escape: no allocation
	var err error
	for _, b := range frames {
		if _, err = wr.w.Write(b); err != nil {
			break
		}
	}
	if err == nil {
		err = rc.Flush()
	}
	if err == nil {
		if wr.deadlines {
			// Clear it: over HTTP/2 a passed deadline resets the stream even when idle.
			_ = rc.SetWriteDeadline(time.Time{})
		}
		return "", nil
	}
	// Check the deadline before the context: net/http cancels the request's context on
	// any write error, a timeout included.
	switch {
	case errors.Is(err, http.ErrNotSupported):
		return ReasonClosed, fmt.Errorf("%w: %w", ErrNotFlushable, err)
	case wr.deadlines && (errors.Is(err, os.ErrDeadlineExceeded) || !time.Now().Before(deadline)):
		return ReasonEvicted, fmt.Errorf("%w: %w", ErrWriteTimeout, err)
	case ctx.Err() != nil:
		return ReasonClientGone, context.Cause(ctx)
	default:
		return ReasonClientGone, err
	}
}

// serve starts the session and waits, in the handler goroutine, until it has ended. All
// the work, the response headers included, is done by the Server's workers: a handler
// goroutine that only waits keeps the small stack of an idle net/http handler.
func (s *Session) serve(replay [][]byte) {
	s.mu.Lock()
	s.spare = append(s.spare, replay...)
	s.mu.Unlock()
	s.srv.sched.push(s) // scheduled since newSession

	// Shutdown ends the session through the Server's list of sessions: one case less to
	// wait on is one sudog less per idle connection.
	ctx := s.req.Context()
	select {
	case <-s.done:
	case <-ctx.Done():
		s.end(ReasonClientGone, context.Cause(ctx), true)
		<-s.done
	}
}

// start prepares the response, in the session's first run: the protocol's headers, the
// write deadlines and the heartbeat timer.
func (s *Session) start() {
	srv := s.srv
	w := s.wr.w
	h := w.Header()
	for k, v := range srv.header { // the protocol's headers, then Options.Header
		h[k] = v
	}
	// Clear the http.Server's WriteTimeout, which would end a long stream.
	s.wr.deadlines = http.NewResponseController(w).SetWriteDeadline(time.Time{}) == nil && srv.writeTO > 0
	if !s.wr.deadlines && srv.writeTO > 0 {
		srv.warnNoDeadlines.Do(func() {
			srv.log.Warn("server: the ResponseWriter does not support write deadlines (a middleware without Unwrap?): " +
				"WriteTimeout is off, and a stalled client holds a writer until it goes away")
		})
	}
	s.mu.Lock()
	s.live = true
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
	if srv.heartbeat > 0 {
		s.lastWrite.Store(int64(srv.now()))
		srv.beats.add(s)
	}
	if ctx := s.req.Context(); srv.log.Enabled(ctx, slog.LevelDebug) {
		srv.log.LogAttrs(ctx, slog.LevelDebug, "server: session started",
			slog.String("session", s.ID()), slog.String("last_event_id", s.lastID))
	}
}

// close records the end of the session, frees its resources and closes Done.
func (s *Session) close(reason Reason, err error) {
	s.mu.Lock()
	if s.reason != 0 {
		s.mu.Unlock()
		return
	}
	if s.ending == 0 {
		s.ending = codeOf(reason)
	}
	s.reason, s.err = codeOf(reason), err
	s.queue = nil
	if s.space != nil {
		close(s.space)
		s.space = nil
	}
	s.mu.Unlock()
	s.srv.beats.remove(s)
	s.srv.hub.unsubscribe(s)
	s.srv.sessionEnded(s)
	lvl := slog.LevelDebug
	if errors.Is(err, ErrNotFlushable) {
		lvl = slog.LevelError
	}
	if log := s.srv.log; log.Enabled(context.Background(), lvl) {
		attrs := []slog.Attr{slog.String("session", s.ID()), slog.String("reason", string(reason))}
		if err != nil {
			attrs = append(attrs, slog.String("error", err.Error()))
		}
		log.LogAttrs(context.Background(), lvl, "server: session ended", attrs...)
	}
	close(s.done)
}
