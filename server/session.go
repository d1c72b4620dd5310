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
// Comment, Complete, Fail) queue an encoded frame for the session's single writer, which
// runs in the request's handler goroutine, so they never interleave. A session ends once:
// Done is then closed, and Reason and Err say why. Its request's context
// (Request().Context()) is cancelled when the handler returns, right after the session
// ends.
type Session struct {
	srv    *Server
	id     string
	req    *http.Request
	lastID string
	wake   chan struct{} // cap 1: the queue became non-empty, a heartbeat is due, or the session should end
	done   chan struct{}
	beat   atomic.Bool // a heartbeat is due

	mu      sync.Mutex
	queue   [][]byte
	ending  Reason // non-empty once the session is ending: no more writes are accepted
	endErr  error
	discard bool          // end without writing the queue (eviction, client gone)
	space   chan struct{} // closed when the writer drains the queue; made by a waiting Push
	dropped int
	reason  Reason // final, set before done is closed
	err     error

	// Guarded by the hub's mutex.
	topics  []*topic
	idx     []int // position of this session in topics[i].subs
	lastSeq uint64
}

func newSession(srv *Server, r *http.Request, lastID string) *Session {
	return &Session{
		srv:    srv,
		id:     uuid.NewString(),
		req:    r,
		lastID: lastID,
		wake:   make(chan struct{}, 1),
		done:   make(chan struct{}),
	}
}

// ID returns the session's unique id, a random UUID.
func (s *Session) ID() string { return s.id }

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
	return s.reason
}

// Err returns the error that ended the session, or nil while it is open or when it ended
// normally (completed, failed or closed without error). Evictions wrap ErrSlowSubscriber
// or ErrWriteTimeout, shutdown is ErrServerClosed, a panic wraps ErrStreamPanic, and a
// client that went away reports the write error or the request context's cause.
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Dropped returns how many published events were discarded for this session under policy
// Drop because its queue was full.
func (s *Session) Dropped() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
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
	return s.finish(EventComplete, data, sse.OutcomeComplete, ReasonCompleted)
}

// Fail ends the stream for good with a failure: like Complete, with an event of type
// "fatal" carrying data, outcome fatal and ReasonFailed. A client that reconnects with the
// token is answered Options.FatalStatus (204 by default) with SSE-Outcome: fatal, once.
func (s *Session) Fail(data string) error {
	return s.finish(EventFatal, data, sse.OutcomeFatal, ReasonFailed)
}

func (s *Session) finish(typ, data string, outcome sse.Outcome, reason Reason) error {
	s.mu.Lock()
	ending := s.ending
	s.mu.Unlock()
	if ending != "" {
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
	if s.ending != "" {
		s.mu.Unlock()
		return ErrSessionClosed
	}
	s.queue = append(s.queue, frame) // the last frame may exceed QueueSize
	s.ending = reason
	s.mu.Unlock()
	s.signal()
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

// end asks the writer to end the session with reason (unless it is already ending);
// discard drops the queued events.
func (s *Session) end(reason Reason, err error, discard bool) {
	s.mu.Lock()
	if s.ending == "" {
		s.ending, s.endErr, s.discard = reason, err, discard
	}
	s.mu.Unlock()
	s.signal()
}

func (s *Session) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// enqueue queues a frame, waiting while the queue is full.
func (s *Session) enqueue(b []byte) error {
	for {
		s.mu.Lock()
		if s.ending != "" {
			s.mu.Unlock()
			return ErrSessionClosed
		}
		if len(s.queue) < s.srv.queueSize {
			s.queue = append(s.queue, b)
			first := len(s.queue) == 1
			s.mu.Unlock()
			if first {
				s.signal()
			}
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

// offer queues a published frame without waiting and reports whether the session must be
// evicted (its queue was full under policy Disconnect). The caller holds the hub's mutex.
func (s *Session) offer(b []byte, policy OverflowPolicy) (evict bool) {
	s.mu.Lock()
	if s.ending != "" {
		s.mu.Unlock()
		return false
	}
	if len(s.queue) >= s.srv.queueSize {
		if policy == Drop {
			s.dropped++
			s.mu.Unlock()
			return false
		}
		s.ending, s.endErr, s.discard = ReasonEvicted, ErrSlowSubscriber, true
		s.mu.Unlock()
		s.signal()
		return true
	}
	s.queue = append(s.queue, b)
	first := len(s.queue) == 1
	s.mu.Unlock()
	if first {
		s.signal()
	}
	return false
}

// take hands the queued frames to the writer, with the end it was asked for, if any; the
// writer gives back the (empty) slice of the previous batch for reuse as the queue.
func (s *Session) take(spare [][]byte) (batch [][]byte, ending Reason, err error, discard bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	batch, s.queue = s.queue, spare
	if s.space != nil {
		close(s.space)
		s.space = nil
	}
	return batch, s.ending, s.endErr, s.discard
}

// writer writes frames to the response with a per-write deadline.
type writer struct {
	w         http.ResponseWriter
	rc        *http.ResponseController
	timeout   time.Duration // <= 0: no deadline
	deadlines bool          // the ResponseWriter supports SetWriteDeadline
}

// write writes frames and flushes. On error it returns the reason to end the session.
func (wr *writer) write(ctx context.Context, frames ...[]byte) (Reason, error) {
	var deadline time.Time
	if wr.deadlines {
		deadline = time.Now().Add(wr.timeout)
		_ = wr.rc.SetWriteDeadline(deadline)
	}
	var err error
	for _, b := range frames {
		if _, err = wr.w.Write(b); err != nil {
			break
		}
	}
	if err == nil {
		err = wr.rc.Flush()
	}
	if err == nil {
		if wr.deadlines {
			// Clear it: over HTTP/2 a passed deadline resets the stream even when idle.
			_ = wr.rc.SetWriteDeadline(time.Time{})
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

// serve sends the response headers, the preamble and replay, then runs the session's
// writer until the session ends.
func (s *Session) serve(w http.ResponseWriter, replay [][]byte) {
	srv := s.srv
	ctx := s.req.Context()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	if srv.beatHeader != "" {
		h.Set(sse.HeaderHeartbeatInterval, srv.beatHeader)
	}
	for k, v := range srv.header {
		h[k] = v
	}
	wr := &writer{w: w, rc: http.NewResponseController(w), timeout: srv.writeTO}
	// Clear the http.Server's WriteTimeout, which would end a long stream.
	wr.deadlines = wr.rc.SetWriteDeadline(time.Time{}) == nil && wr.timeout > 0
	w.WriteHeader(http.StatusOK)

	srv.log.LogAttrs(ctx, slog.LevelDebug, "server: session started",
		slog.String("session", s.id), slog.String("last_event_id", s.lastID))
	frames := append([][]byte{srv.preamble}, replay...)
	if reason, err := wr.write(ctx, frames...); reason != "" {
		s.close(reason, err)
		return
	}
	if srv.opts.Stream != nil {
		srv.runStream(s)
	}

	s.loop(ctx, wr)
}

// loop is the session's writer: the only code that writes to the response. It waits on
// the wake channel alone; the client going away, Shutdown and the heartbeat timer reach
// it through callbacks that signal it, which keeps a wake-up cheap.
func (s *Session) loop(ctx context.Context, wr *writer) {
	srv := s.srv
	defer context.AfterFunc(ctx, func() { s.end(ReasonClientGone, context.Cause(ctx), true) })()
	defer context.AfterFunc(srv.shutdownCtx, func() { s.end(ReasonShutdown, ErrServerClosed, false) })()
	// The heartbeat timer is not reset on every write: when it fires, the writer checks
	// how long the stream has been idle and re-arms it for the rest of the interval.
	var t *time.Timer
	var lastWrite time.Time
	if srv.heartbeat > 0 {
		lastWrite = time.Now()
		t = time.AfterFunc(srv.heartbeat, func() {
			s.beat.Store(true)
			s.signal()
		})
		defer t.Stop()
	}
	var spare [][]byte
	var one [1][]byte
	for range s.wake {
		batch, ending, endErr, discard := s.take(spare)
		frames := batch
		if t != nil && s.beat.Swap(false) {
			if idle := time.Since(lastWrite); idle < srv.heartbeat && len(frames) == 0 {
				t.Reset(srv.heartbeat - idle)
			} else {
				if len(frames) == 0 {
					one[0] = srv.beat
					frames = one[:]
				}
				t.Reset(srv.heartbeat)
			}
		}
		if len(frames) > 0 && !discard {
			if reason, err := wr.write(ctx, frames...); reason != "" {
				s.close(reason, err)
				return
			}
			if t != nil {
				lastWrite = time.Now()
			}
		}
		clear(batch)
		spare = batch[:0]
		if ending != "" {
			s.close(ending, endErr)
			return
		}
	}
}

// close records the end of the session, frees its resources and closes Done.
func (s *Session) close(reason Reason, err error) {
	s.mu.Lock()
	if s.reason != "" {
		s.mu.Unlock()
		return
	}
	if s.ending == "" {
		s.ending = reason
	}
	s.reason, s.err = reason, err
	s.queue = nil
	if s.space != nil {
		close(s.space)
		s.space = nil
	}
	s.mu.Unlock()
	s.srv.hub.unsubscribe(s)
	s.srv.sessionEnded()
	close(s.done)
	lvl := slog.LevelDebug
	if errors.Is(err, ErrNotFlushable) {
		lvl = slog.LevelError
	}
	if log := s.srv.log; log.Enabled(context.Background(), lvl) {
		attrs := []slog.Attr{slog.String("session", s.id), slog.String("reason", string(reason))}
		if err != nil {
			attrs = append(attrs, slog.String("error", err.Error()))
		}
		log.LogAttrs(context.Background(), lvl, "server: session ended", attrs...)
	}
}
