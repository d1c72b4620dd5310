package server

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
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
	// or panicked, the broker ended it, or the request could not be served now).
	ReasonClosed Reason = "closed"
	// ReasonComplete: Complete ended the session.
	ReasonComplete Reason = "complete"
	// ReasonFatal: Fail ended the session.
	ReasonFatal Reason = "fatal"
	// ReasonEvicted: the client was too slow (a full queue under OverflowDisconnect, or a
	// write that exceeded the write timeout).
	ReasonEvicted Reason = "evicted"
	// ReasonShutdown: Server.Shutdown ended the session.
	ReasonShutdown Reason = "shutdown"
)

// state is where a Session is in its life. Every transition is made under Session.mu, in
// end (open → ending) and finish (ending → ended):
//
//		open ──end──▶ ending ──finish──▶ ended
//
//	  - open: frames are accepted (Push, Comment, published events, heartbeats).
//	  - ending: an end was asked for and its reason recorded; frames are refused. The
//	    writer writes what is queued (nothing when discard is set: the client is gone or
//	    too slow), then finishes.
//	  - ended: Done is closed; Reason and Err are final; the session left its topics and
//	    the Server's list.
//
// Independently, served gates the writer: until ServeHTTP has subscribed the session
// and handed it its first frames (the preamble and the replay), frames only queue; and
// scheduled says that it is on the Server's run queue or being run by a worker (step),
// which happens once at a time.
type state uint8

const (
	stateOpen state = iota
	stateEnding
	stateEnded
)

// Session is one client's open event stream.
//
// All of its methods are safe for concurrent use. Writes (Push, PushData, PushJSON,
// Comment, Complete, Fail) and published events queue an encoded frame; the Server's
// writer goroutines write a session's frames in order, a batch at a time, never two at
// once. A session ends once: Done is
// then closed, and Reason and Err say why. Its request's context (Request().Context())
// is cancelled when the handler returns, right after the session ends.
type Session struct {
	srv    *Server
	uid    uuid.UUID
	req    *http.Request
	lastID string
	done   chan struct{}
	wr     writer       // used by the one worker running the session
	sub    Subscription // set by ServeHTTP before serve; nil without topics

	mu        sync.Mutex
	state     state
	served    bool // ServeHTTP handed over the first frames: a writer may run
	scheduled bool // on the run queue or being run by a worker
	stepping  bool // being run by a worker
	started   bool // the response has started: a write in progress can be aborted
	reason    Reason
	err       error
	discard   bool // end without writing what is queued
	abort     bool // end by dropping the connection (a test hook)
	beat      bool // a heartbeat is due
	resume    ResumeStatus
	head      [][]byte // the first frames (preamble and start position, gap event, replay): not bounded by QueueSize
	queue     [][]byte
	breaks    []int    // indexes in queue before which the writer flushes (raw chunks)
	spare     [][]byte // the writer's last batch, emptied: the next queue
	space     chan struct{}
	dropped   int

	lastWrite atomic.Int64 // time of the last write (see beats.now); read by the heartbeat heap
	beatIdx   int32        // 1 + index in the heartbeat heap, 0 when not in it (beats.mu)
	beatAt    int64        // when the heartbeat heap looks at the session next (beats.mu)

	prev, next *Session // the Server's list of open sessions (Server.mu)
}

func newSession(srv *Server, w http.ResponseWriter, r *http.Request, lastID string) *Session {
	return &Session{
		srv:    srv,
		uid:    uuid.New(),
		req:    r,
		lastID: lastID,
		done:   make(chan struct{}),
		wr:     writer{w: w, timeout: srv.opts.WriteTimeout},
	}
}

// ID returns the session's unique id, a random UUID in its canonical form.
func (s *Session) ID() string { return s.uid.String() }

// Request returns the request that opened the session. It must not be modified. Its
// body, read by the server before the response started (see Options.MaxRequestBody),
// can be read once more through Request().Body.
func (s *Session) Request() *http.Request { return s.req }

// LastEventID returns the last event ID the client sent (the Last-Event-ID header, or the
// Options.LastEventIDQuery parameter), with CR, LF and NUL removed; "" when it sent none
// or one longer than MaxLastEventIDLen bytes.
func (s *Session) LastEventID() string { return s.lastID }

// ReplayGap reports whether the session resumed from a Last-Event-ID that this server
// issued but after which it no longer holds every event published to the session's
// topics (they left a replay buffer by ReplaySize or ReplayAge, or the broker cannot
// prove continuity): events were lost, and nothing was replayed. The client was told so
// by the SSE-Replay: gap response header, and by Options.GapEvent when set; the Stream
// function can tell it to resynchronise.
func (s *Session) ReplayGap() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resume == ResumeGap
}

// Done returns a channel that is closed when the session has ended: nothing more will be
// written to its client.
func (s *Session) Done() <-chan struct{} { return s.done }

// Reason returns why the session ended, or "" while it is open.
func (s *Session) Reason() Reason {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateEnded {
		return ""
	}
	return s.reason
}

// Err returns the error that ended the session, or nil while it is open or when it ended
// normally (complete, fatal or closed without error). Evictions wrap ErrSlowSubscriber
// or ErrWriteTimeout, shutdown is ErrServerClosed, a panic wraps ErrStreamPanic, and a
// client that went away reports the write error or the request context's cause.
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateEnded {
		return nil
	}
	return s.err
}

// Dropped returns how many published events were discarded for this session under
// OverflowDrop because its queue was full.
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
	return s.enqueue(b, false)
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
	return s.enqueue(sse.AppendComment(nil, text), false)
}

// Complete ends the stream because its work is done: it records a new completion token
// (outcome complete) in the store, writes, after the events already queued, an event of
// type "complete" with the token as id and data (or "{}" when data is empty), and ends the
// response (ReasonComplete). A client that reconnects with the token is answered 204
// with SSE-Outcome: complete, once.
//
// Complete waits until the session has ended and returns nil when the event was written;
// an error wrapping ErrSessionClosed when the session ended before (or while) it could be;
// or the store's error, wrapped, and then the session stays open.
func (s *Session) Complete(data string) error {
	if data == "" {
		data = "{}"
	}
	return s.conclude(sse.EventComplete, data, sse.OutcomeComplete, ReasonComplete)
}

// Fail ends the stream for good with a failure: like Complete, with an event of type
// "fatal" carrying data, outcome fatal and ReasonFatal. A client that reconnects with the
// token is answered Options.FatalStatus (204 by default) with SSE-Outcome: fatal, once.
func (s *Session) Fail(data string) error {
	return s.conclude(sse.EventFatal, data, sse.OutcomeFatal, ReasonFatal)
}

func (s *Session) conclude(typ, data string, outcome sse.Outcome, reason Reason) error {
	s.mu.Lock()
	open := s.state == stateOpen
	s.mu.Unlock()
	if !open {
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
	if err := s.srv.opts.Store.Record(ctx, token, outcome, s.srv.opts.TokenTTL); err != nil {
		return fmt.Errorf("server: recording completion token: %w", err)
	}
	s.mu.Lock()
	if s.state != stateOpen {
		s.mu.Unlock()
		return ErrSessionClosed
	}
	s.queue = append(s.queue, frame) // the last frame may exceed QueueSize
	s.endLocked(reason, nil, false)
	run := s.kickLocked()
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
// queued frames are written, or at once when discard is set.
func (s *Session) end(reason Reason, err error, discard bool) {
	s.mu.Lock()
	s.endLocked(reason, err, discard)
	run := s.kickLocked()
	s.mu.Unlock()
	s.run(run)
}

// endLocked is the transition open → ending. An end asked for while the session is
// already ending keeps the first reason, except a discard: a client that has gone (or
// was evicted) needs nothing more written, whatever end was asked for before, and the
// session ends for that cause, since what the first end queued (a completion event, say)
// will not be written. A batch already taken keeps the reason it was taken with: when
// its write succeeds, that end did happen.
func (s *Session) endLocked(reason Reason, err error, discard bool) {
	switch {
	case s.state == stateOpen:
		s.state, s.reason, s.err = stateEnding, reason, err
	case s.state == stateEnding && discard && !s.discard:
		s.reason, s.err = reason, err
	}
	s.discard = s.discard || discard
}

// hasWorkLocked reports whether the session has something for a writer to do.
func (s *Session) hasWorkLocked() bool {
	return len(s.queue) > 0 || len(s.head) > 0 || s.beat || s.state == stateEnding
}

// kickLocked reports whether the caller must put the session on the run queue (with run,
// after unlocking s.mu): when it is served, has something to do and is not scheduled.
func (s *Session) kickLocked() bool {
	if s.scheduled || !s.served || s.state == stateEnded || !s.hasWorkLocked() {
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

// enqueue queues a frame, waiting while the queue is full. A frame that is alone is
// written and flushed on its own: nothing is written with it in one flush.
func (s *Session) enqueue(b []byte, alone bool) error {
	for {
		s.mu.Lock()
		if s.state != stateOpen {
			s.mu.Unlock()
			return ErrSessionClosed
		}
		if len(s.queue) < s.srv.opts.QueueSize {
			if alone {
				s.breaks = append(s.breaks, len(s.queue), len(s.queue)+1)
			}
			s.queue = append(s.queue, b)
			run := s.kickLocked()
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

// deliver queues a published frame without waiting (Subscriber.Deliver); see offer.
func (s *Session) deliver(b []byte) bool {
	ok, run, boost := s.offer(b)
	s.run(run)
	if boost {
		s.srv.sched.boost()
	}
	return ok
}

// offer queues a published frame without waiting. It returns false when the session is
// ending, or when its queue was full under OverflowDisconnect (it is then evicted); and
// whether the caller must put it on the run queue, or boost the writer pool (a session
// whose queue filled up to half while it waits on the run queue: see scheduler). The
// in-memory broker calls it directly, to push the sessions of one publish at once.
func (s *Session) offer(b []byte) (ok, run, boost bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateOpen {
		return false, false, false
	}
	if len(s.queue) >= s.srv.opts.QueueSize {
		if s.srv.opts.Overflow == OverflowDrop {
			s.dropped++
			return true, false, false
		}
		s.endLocked(ReasonEvicted, ErrSlowSubscriber, true)
		if s.started && s.wr.deadlines {
			go s.abortWrite() // its writer may be blocked on the socket: end that write now
		}
		return false, s.kickLocked(), false
	}
	s.queue = append(s.queue, b)
	run = s.kickLocked()
	boost = !run && s.scheduled && !s.stepping && len(s.queue) >= s.srv.boostAt
	return true, run, boost
}

// heartbeatDue runs when the Server's heartbeat heap finds the stream idle for the
// heartbeat interval.
func (s *Session) heartbeatDue() {
	s.mu.Lock()
	if s.state == stateOpen {
		s.beat = true
	}
	run := s.kickLocked()
	s.mu.Unlock()
	s.run(run)
}

// serve hands the session its first frames and waits, in the handler goroutine, until it
// has ended. Writes happen on the session's writer goroutine: a handler goroutine that
// only waits keeps the small stack of an idle net/http handler.
func (s *Session) serve(head [][]byte, resume ResumeStatus) {
	s.mu.Lock()
	s.head, s.resume, s.served = head, resume, true
	run := s.kickLocked()
	s.mu.Unlock()
	s.run(run)

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

// batch is what a writer takes from the session in one go.
type batch struct {
	head, frames [][]byte
	breaks       []int
	beat         bool
	ending       bool // the session is ending: after this batch, finish
	discard      bool
	reason       Reason // of the end, when ending
	err          error
}

// takeLocked takes what there is to write, or reports that there is nothing to do.
func (s *Session) takeLocked() (batch, bool) {
	if !s.hasWorkLocked() {
		return batch{}, false
	}
	b := batch{
		head: s.head, frames: s.queue, breaks: s.breaks, beat: s.beat,
		ending: s.state == stateEnding, discard: s.discard, reason: s.reason, err: s.err,
	}
	s.head, s.queue, s.breaks, s.spare, s.beat = nil, s.spare, nil, nil, false
	if s.space != nil {
		close(s.space) // a Push waiting for room may go on
		s.space = nil
	}
	return b, true
}

// step is one run of the session by a worker, the one method the scheduler calls: it
// writes what is queued (or a heartbeat that is due) and flushes it, starting the
// response in the first run, finishes the session once it is ending, and puts it back on
// the run queue when more is waiting.
func (s *Session) step() {
	s.mu.Lock()
	b, ok := s.takeLocked()
	if !ok {
		s.scheduled = false
		s.mu.Unlock()
		return
	}
	s.stepping = true
	first := !s.started
	s.mu.Unlock()

	if first {
		if b.ending && b.reason == ReasonClientGone {
			s.finish(b.reason, b.err) // nobody to answer
			return
		}
		// Start even a session that ends before its first write (evicted, shut down):
		// a handler that returned without writing would make net/http answer 200
		// without Content-Type, which fails an EventSource for good. Headers and the
		// preamble, then the end, make the client reconnect.
		s.start()
	}
	frames, breaks := b.frames, b.breaks
	switch {
	case b.discard && first:
		frames, breaks = b.head[:1], nil // the preamble (and the start position) alone
	case b.discard:
		frames, breaks = nil, nil
	case len(b.head) > 0:
		frames = append(b.head, b.frames...)
		for i := range breaks {
			breaks[i] += len(b.head)
		}
	}
	if len(frames) == 0 && b.beat && !b.discard {
		frames = s.srv.beatFrames // the heartbeat heap found the stream idle
	}
	if len(frames) > 0 {
		if reason, err := s.write(frames, breaks, b.discard); reason != "" {
			s.finish(reason, err)
			return
		}
	}
	if first && !b.ending && s.srv.opts.Stream != nil {
		s.srv.runStream(s) // the response is streaming: start the stream function
	}
	if b.ending {
		s.finish(b.reason, b.err)
		return
	}
	clear(b.frames)
	s.mu.Lock()
	s.spare, s.stepping = b.frames[:0], false
	again := s.hasWorkLocked()
	s.scheduled = again
	s.mu.Unlock()
	s.run(again)
}

// write writes and flushes frames with the write deadline, and returns the reason to
// end the session when it failed. Frames written although the session is evicted (the
// preamble of one evicted before it started) are forced.
func (s *Session) write(frames [][]byte, breaks []int, force bool) (Reason, error) {
	deadline, ok := s.armWrite(force)
	if !ok { // evicted since the batch was taken: abortWrite came first
		return ReasonEvicted, ErrSlowSubscriber
	}
	reason, err := s.wr.write(s.req.Context(), deadline, frames, breaks)
	if reason != "" {
		s.mu.Lock()
		if s.state == stateEnding && s.reason == ReasonEvicted { // abortWrite failed the write
			reason, err = ReasonEvicted, s.err
		}
		s.mu.Unlock()
		return reason, err
	}
	if s.srv.beats.interval > 0 {
		s.lastWrite.Store(int64(s.srv.beats.now()))
	}
	return "", nil
}

// armWrite sets the deadline of the next write, unless the session has been evicted. It
// holds s.mu, as abortWrite does: either abortWrite ran first, and armWrite sees the
// eviction and reports false, or it runs after, and its deadline replaces this one. (Set
// without the lock, a writer that took its batch before the eviction would replace the
// abort's deadline with a full write timeout and stay blocked on the socket.)
func (s *Session) armWrite(force bool) (deadline time.Time, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !force && s.state != stateOpen && s.reason == ReasonEvicted {
		return time.Time{}, false
	}
	if s.wr.deadlines {
		deadline = time.Now().Add(s.wr.timeout)
		_ = http.NewResponseController(s.wr.w).SetWriteDeadline(deadline)
	}
	return deadline, true
}

// abortWrite makes a write in progress fail at once, by moving the write deadline to now.
// It holds s.mu, so that the session cannot end (and its handler return) meanwhile.
func (s *Session) abortWrite() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateEnded {
		_ = http.NewResponseController(s.wr.w).SetWriteDeadline(time.Now())
	}
}

// start starts the response, in the session's first batch: the protocol's headers, the
// write deadlines and the heartbeats.
func (s *Session) start() {
	srv := s.srv
	w := s.wr.w
	h := w.Header()
	for k, v := range srv.header { // the protocol's headers, then Options.Header
		h[k] = v
	}
	s.mu.Lock()
	resume := s.resume
	s.mu.Unlock()
	if v := srv.replayHeader[resume]; v != nil {
		h[replayKey] = v
	}
	// Clear the http.Server's WriteTimeout, which would end a long stream.
	deadlines := http.NewResponseController(w).SetWriteDeadline(time.Time{}) == nil && s.wr.timeout > 0
	if !deadlines && s.wr.timeout > 0 {
		typ := fmt.Sprintf("%T", w)
		srv.warnOnce(slog.LevelWarn, "deadlines "+typ,
			"server: the ResponseWriter does not support write deadlines (a middleware without Unwrap?): "+
				"WriteTimeout is off, and a stalled client holds its writer goroutine until it goes away",
			slog.String("writer", typ))
	}
	w.WriteHeader(http.StatusOK)
	s.mu.Lock()
	s.wr.deadlines, s.started = deadlines, true
	s.mu.Unlock()
	if srv.beats.interval > 0 {
		s.lastWrite.Store(int64(srv.beats.now()))
		srv.beats.add(s)
	}
	srv.logSessionStart(s)
}

// finish is the transition ending → ended: it records the end, frees the session's
// resources and closes Done. Only the writer calls it, once.
func (s *Session) finish(reason Reason, err error) {
	s.mu.Lock()
	s.state, s.reason, s.err = stateEnded, reason, err
	s.head, s.queue, s.spare, s.breaks = nil, nil, nil, nil
	if s.space != nil {
		close(s.space)
		s.space = nil
	}
	s.mu.Unlock()
	s.srv.beats.remove(s)
	if s.sub != nil {
		s.sub.Unsubscribe()
	}
	s.srv.sessionEnded(s, reason, err)
	close(s.done)
}

// subscriber is a Session seen by its Broker.
type subscriber Session

// Deliver implements Subscriber.
func (u *subscriber) Deliver(frame []byte) bool { return (*Session)(u).deliver(frame) }

// End implements Subscriber.
func (u *subscriber) End(err error) { (*Session)(u).end(ReasonClosed, err, false) }
