package fake

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/internal/serverhook"
	"github.com/polysse/sse/server"
)

// The reasons of Conn.Reason that are not a server.Reason (those of a stream's session:
// complete, fatal, closed, client-gone, evicted, shutdown).
const (
	// ReasonEnded: the fake ended the response cleanly (a plain response, or a stream
	// that ended before it opened).
	ReasonEnded = "ended"
	// ReasonDropped: the fake dropped the connection (a network error for the client).
	ReasonDropped = "dropped"
	// ReasonRefused: the server answered a handler's Stream without a stream (a refusal,
	// a redeemed completion token).
	ReasonRefused = "refused"
)

// ErrEnded is wrapped by the errors of operations on a connection that has ended.
var ErrEnded = errors.New("fake: connection ended")

// EndedError reports an operation on a connection that has ended (or is ending). It
// wraps ErrEnded.
type EndedError struct {
	ID, Route string
	// Reason is why it ended: a server.Reason (complete, fatal, closed, client-gone,
	// evicted, shutdown), ReasonDropped, ReasonEnded, or ReasonRefused for a handler's
	// stream that the server refused.
	Reason string
}

func (e *EndedError) Error() string {
	return "fake: connection " + e.ID + " (" + e.Route + ") has ended: " + e.Reason
}

// Unwrap returns ErrEnded.
func (e *EndedError) Unwrap() error { return ErrEnded }

// ErrNotStream is returned by Complete and Fail on a connection that is not a stream
// (a respond answer).
var ErrNotStream = errors.New("fake: not a stream (complete and fail need a stream answer)")

// Conn is an open response of the fake: a stream (served by a route's server, with a
// session) or a plain response (a respond answer). Its methods are safe for concurrent
// use; they fail with an *EndedError once the connection has ended. Operations on a
// stream go through its session's queue, in order with the script's steps.
type Conn struct {
	id      string
	num     int
	route   string
	attempt int
	req     *http.Request
	lastID  string
	x       *exchange

	sess  *server.Session // a stream
	plain *plainConn      // a plain response

	final string // the reason of a handler's stream that ended before it opened

	progressed atomic.Uint64 // the steps that wrote or waited (see runRepeat)

	mu      sync.Mutex
	dropped bool
	refused int // a handler's stream the server refused, with this status
}

// ID returns the connection's id: c1, c2, ... in the order connections opened in its
// scope since the last reset.
func (c *Conn) ID() string { return c.id }

// Num returns the n of the id cn.
func (c *Conn) Num() int { return c.num }

// Route returns the name of the route that opened it.
func (c *Conn) Route() string { return c.route }

// Attempt returns the attempt it answers.
func (c *Conn) Attempt() int { return c.attempt }

// Request returns the request it answers (its body can be read again).
func (c *Conn) Request() *http.Request { return c.req }

// LastEventID returns the request's last event ID ("" for none).
func (c *Conn) LastEventID() string { return c.lastID }

// Session returns the stream's server session, nil for a plain response.
func (c *Conn) Session() *server.Session { return c.sess }

// IsStream reports whether the connection is a stream (not a plain response).
func (c *Conn) IsStream() bool { return c.sess != nil || c.plain == nil }

// Done returns a channel closed when the connection has ended.
func (c *Conn) Done() <-chan struct{} {
	switch {
	case c.sess != nil:
		return c.sess.Done()
	case c.plain != nil:
		return c.plain.done
	}
	return closedChan
}

var closedChan = func() chan struct{} { ch := make(chan struct{}); close(ch); return ch }()

func (c *Conn) isOpen() bool {
	select {
	case <-c.Done():
		return false
	default:
		return true
	}
}

// Reason returns why the connection ended, "" while it is open (see EndedError).
func (c *Conn) Reason() string {
	if c.isOpen() {
		return ""
	}
	c.mu.Lock()
	dropped, refused := c.dropped, c.refused
	c.mu.Unlock()
	switch {
	case refused != 0:
		return ReasonRefused
	case dropped:
		return ReasonDropped
	case c.sess != nil:
		return string(c.sess.Reason())
	case c.plain != nil:
		return c.plain.reason()
	case c.final != "":
		return c.final
	}
	return ReasonEnded
}

// outcome returns the journal's outcome for the connection once it has ended.
func (c *Conn) outcome() Outcome {
	switch c.Reason() {
	case "":
		return OutcomeOpen
	case ReasonDropped:
		return OutcomeDropped
	case ReasonRefused:
		return OutcomeRefused
	case string(server.ReasonClientGone):
		return OutcomeClientGone
	}
	return OutcomeEnded
}

func (c *Conn) ended() error {
	r := c.Reason()
	if r == "" {
		r = "ending"
	}
	return &EndedError{ID: c.id, Route: c.route, Reason: r}
}

// sessionErr turns a session's error into the connection's.
func (c *Conn) sessionErr(err error) error {
	if errors.Is(err, server.ErrSessionClosed) {
		return c.ended()
	}
	return err
}

// Send sends ev (on a plain response: its encoding, as raw bytes).
func (c *Conn) Send(ev sse.Event) error {
	if err := ev.Validate(); err != nil {
		return err
	}
	if c.sess != nil {
		return c.sessionErr(c.sess.Push(ev))
	}
	b, _ := ev.AppendTo(nil)
	return c.Raw(b)
}

// Comment sends a comment line (":" alone for an empty text: a heartbeat).
func (c *Conn) Comment(text string) error {
	if c.sess != nil {
		return c.sessionErr(c.sess.Comment(text))
	}
	return c.Raw(sse.AppendComment(nil, text))
}

// Raw sends b as it is, flushed as a chunk of its own.
func (c *Conn) Raw(b []byte) error {
	switch {
	case c.sess != nil:
		return c.sessionErr(serverhook.Raw(c.sess, b))
	case c.plain != nil:
		if !c.plain.write(b) {
			return c.ended()
		}
		return nil
	}
	return c.ended()
}

// End ends the response cleanly, after what is queued (a spec client reconnects). It
// does not wait; use Done.
func (c *Conn) End() error {
	switch {
	case c.sess != nil:
		if !c.isOpen() {
			return c.ended()
		}
		c.sess.Close()
		return nil
	case c.plain != nil:
		if !c.plain.end(false) {
			return c.ended()
		}
		return nil
	}
	return c.ended()
}

// Drop cuts the connection after what is queued, without ending the response: the
// client sees a network error. It does not wait; use Done. When the connection is
// already ending (End, Complete, Fail or Drop came first), it drops nothing and fails
// with an *EndedError: the connection ends as asked before.
func (c *Conn) Drop() error {
	if !c.isOpen() {
		return c.ended()
	}
	switch {
	case c.sess != nil:
		// c.mu is held across the session's lock, so that Reason never sees the
		// session ended by this drop without the drop recorded.
		c.mu.Lock()
		dropped := serverhook.Drop(c.sess)
		c.dropped = c.dropped || dropped
		c.mu.Unlock()
		if !dropped {
			return c.ended()
		}
		return nil
	case c.plain != nil: // its owner records the drop when it carries it out
		if !c.plain.end(true) {
			return c.ended()
		}
		return nil
	}
	return c.ended()
}

// Complete ends a stream with a complete event whose id is a completion token: the
// client's reconnect with it is answered 204 with SSE-Outcome: complete. It waits until
// the event is written (see server.Session.Complete).
func (c *Conn) Complete(data string) error {
	if c.sess == nil {
		if c.plain != nil {
			return ErrNotStream
		}
		return c.ended()
	}
	return c.sessionErr(c.sess.Complete(data))
}

// Fail ends a stream with a fatal event (see Complete).
func (c *Conn) Fail(data string) error {
	if c.sess == nil {
		if c.plain != nil {
			return ErrNotStream
		}
		return c.ended()
	}
	return c.sessionErr(c.sess.Fail(data))
}

// Sleep waits for d on the Go runtime's clock. It returns early, with an *EndedError,
// when the connection ends, or ErrReset when its scope is reset.
func (c *Conn) Sleep(d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	var gen, gone <-chan struct{}
	if c.x != nil {
		gen = c.x.gen.done
	}
	if c.plain != nil && c.req != nil {
		gone = c.req.Context().Done() // a session notices that itself
	}
	select {
	case <-t.C:
		return nil
	case <-c.Done():
		return c.ended()
	case <-gone:
		c.plain.mu.Lock()
		c.plain.gone = true
		c.plain.mu.Unlock()
		return c.ended()
	case <-gen:
		return ErrReset
	}
}

// ErrReset is returned by waits cancelled by a reset of their scope (or Close).
var ErrReset = errors.New("fake: the scope was reset")

// ConnInfo is the JSON form of a connection.
type ConnInfo struct {
	ID          string  `json:"id"`
	Route       string  `json:"route"`
	Attempt     int     `json:"attempt"`
	Stream      bool    `json:"stream"`
	Open        bool    `json:"open"`
	Reason      string  `json:"reason,omitempty"`
	LastEventID *string `json:"lastEventId"`
}

// Info returns the connection's ConnInfo.
func (c *Conn) Info() ConnInfo {
	i := ConnInfo{ID: c.id, Route: c.route, Attempt: c.attempt, Stream: c.IsStream(), Open: c.isOpen(), Reason: c.Reason()}
	if c.lastID != "" {
		id := c.lastID
		i.LastEventID = &id
	}
	return i
}

// MarshalJSON writes the connection's ConnInfo.
func (c *Conn) MarshalJSON() ([]byte, error) { return json.Marshal(c.Info()) }

// String returns "c3 (GET /feed)".
func (c *Conn) String() string { return c.id + " (" + c.route + ") attempt " + strconv.Itoa(c.attempt) }

// plainConn is the writer side of a plain response: the request's goroutine owns it
// (it runs the body's steps and waits while the response is held); other goroutines
// write raw bytes and ask it to end through it.
type plainConn struct {
	w http.ResponseWriter

	mu     sync.Mutex
	ending int           // 0 open, 1 end asked, 2 drop asked
	gone   bool          // the client went away (a write failed, or its context ended)
	wake   chan struct{} // closed when ending is set
	done   chan struct{} // closed by the owner once the response is over
	final  string        // the reason, once done
}

func newPlainConn(w http.ResponseWriter) *plainConn {
	return &plainConn{w: w, wake: make(chan struct{}), done: make(chan struct{})}
}

// write writes and flushes b; false when the response is ending or over.
func (p *plainConn) write(b []byte) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ending != 0 || p.gone || p.final != "" {
		return false
	}
	if len(b) == 0 {
		return true
	}
	if _, err := p.w.Write(b); err != nil {
		p.gone = true
		return false
	}
	if err := http.NewResponseController(p.w).Flush(); err != nil {
		p.gone = true
		return false
	}
	return true
}

// end asks the owner to end the response (drop: cut it); false when already ending.
func (p *plainConn) end(drop bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ending != 0 || p.final != "" {
		return false
	}
	p.ending = 1
	if drop {
		p.ending = 2
	}
	close(p.wake)
	return true
}

// finish records the end (called by the owner) and closes done.
func (p *plainConn) finish(reason string) {
	p.mu.Lock()
	p.final = reason
	p.mu.Unlock()
	close(p.done)
}

func (p *plainConn) reason() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.final
}

// state returns what was asked and whether the client went away.
func (p *plainConn) state() (ending int, gone bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ending, p.gone
}
