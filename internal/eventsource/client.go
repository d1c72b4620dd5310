package eventsource

import (
	"errors"
	"io"
	"iter"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/polysse/sse/internal/clock"
	"github.com/polysse/sse/internal/httplite"
	"github.com/polysse/sse/internal/protocol"
	"github.com/polysse/sse/internal/wire"
)

// ReadyState is the state of a Client, with the values of EventSource.readyState.
type ReadyState int32

// The ready states.
const (
	StateConnecting ReadyState = 0
	StateOpen       ReadyState = 1
	StateClosed     ReadyState = 2
)

// String returns "CONNECTING", "OPEN" or "CLOSED".
func (s ReadyState) String() string {
	switch s {
	case StateConnecting:
		return "CONNECTING"
	case StateOpen:
		return "OPEN"
	case StateClosed:
		return "CLOSED"
	}
	return "ReadyState(" + strconv.Itoa(int(s)) + ")"
}

// CloseReason says why a Client became CLOSED.
type CloseReason string

// The close reasons, as the JavaScript close event reports them.
const (
	// CloseLocal: Close was called, or the context given to Run was cancelled.
	CloseLocal CloseReason = "local"
	// CloseComplete: the server completed the stream: a complete event (see
	// ClientOptions.CompleteEvent), or a reconnect answered with SSE-Outcome: complete.
	CloseComplete CloseReason = "complete"
	// CloseFatal: the server ended the stream with a failure: a fatal event (see
	// ClientOptions.FatalEvent), or a reconnect answered with SSE-Outcome: fatal.
	CloseFatal CloseReason = "fatal"
	// CloseHTTPStatus: a response status other than 200 and 204 failed the connection.
	CloseHTTPStatus CloseReason = "http-status"
	// CloseContentType: a 200 response was not text/event-stream.
	CloseContentType CloseReason = "content-type"
	// CloseNoContent: the server answered 204 No Content: do not reconnect.
	CloseNoContent CloseReason = "no-content"
	// CloseRetryLimit: ClientOptions.Retry.MaxAttempts consecutive reconnection attempts
	// failed.
	CloseRetryLimit CloseReason = "retry-limit"
	// CloseNetwork: the transport failed in a way that makes reconnecting futile (an error
	// wrapping ErrPermanent from the request or the body, such as a CORS failure).
	CloseNetwork CloseReason = "network"
	// CloseEventTooLarge: an event exceeded ClientOptions.MaxEventSize.
	CloseEventTooLarge CloseReason = "event-too-large"
)

// Sentinel errors of the client.
var (
	// ErrHeartbeatTimeout is the cause of a reconnect after the heartbeat watchdog saw no
	// bytes for the heartbeat timeout.
	ErrHeartbeatTimeout = errors.New("sse: heartbeat timeout")
	// ErrAlreadyStarted is returned by Run and Events on a Client that already ran.
	ErrAlreadyStarted = errors.New("sse: client already started")
	// ErrNoTransport is the error of a client with no transport configured on a platform
	// that has no default one.
	ErrNoTransport = errors.New("sse: no transport")
)

// CloseInfo describes why a Client closed, normally or not: OnClose receives it and
// CloseInfo returns it. It is data, not an error; Run and Events return a failure as a
// *CloseError that carries it.
type CloseInfo struct {
	// Reason is why the client closed.
	Reason CloseReason
	// Fatal is true for a failure (http-status, content-type, fatal, retry-limit,
	// network, event-too-large) and false for a normal end (local, complete, no-content).
	Fatal bool
	// Local is true when the close was asked for on this side (Close, a cancelled context).
	Local bool
	// Status and StatusText are those of the response that failed the connection, if
	// any; zero after a stream that had opened (its 200 says nothing about the end).
	Status     int
	StatusText string
	// Data is the payload of the complete or fatal event, if any.
	Data string
	// Err is the underlying error, if any: a transport error, ErrEventTooLarge, ...
	Err error
}

// CloseError is the error of a client that failed (CloseInfo.Fatal): Run returns it and
// Events yields it last. It unwraps to the underlying error, CloseInfo.Err.
type CloseError struct {
	*CloseInfo
}

// Error describes the close: "sse: closed: <reason> (status <code> <text>): <error>".
func (e *CloseError) Error() string {
	s := "sse: closed: " + string(e.Reason)
	if e.Status != 0 {
		s += " (status " + strconv.Itoa(e.Status)
		if e.StatusText != "" {
			s += " " + e.StatusText
		}
		s += ")"
	}
	if e.Err != nil {
		s += ": " + describe(e.Err)
	}
	return s
}

// describe words err for a message: the bare end-of-input errors of io, which say nothing
// to a reader of a log ("EOF"), become what they mean for a stream; any other error,
// wrapped ones included, speaks for itself.
func describe(err error) string {
	switch err {
	case io.EOF:
		return "the server ended the response"
	case io.ErrUnexpectedEOF:
		return "the connection was lost before the response ended"
	}
	return err.Error()
}

// Unwrap returns the underlying error, CloseInfo.Err.
func (e *CloseError) Unwrap() error { return e.Err }

// ErrorInfo describes an error event: a failed attempt the client will retry (ReadyState
// Connecting, RetryIn set) or a failure that closes it (ReadyState Closed).
type ErrorInfo struct {
	// Status and StatusText are those of the response that failed the attempt, when there
	// was one; zero when a stream that had opened ended or dropped.
	Status     int
	StatusText string
	// Attempt counts the consecutive failed attempts, this one included.
	Attempt int
	// RetryIn is the delay before the next attempt; zero when the client closes.
	RetryIn clock.Duration
	// Err is the cause, when known: the transport error, ErrHeartbeatTimeout, io.EOF for a
	// stream the server ended, ...
	Err error
}

// Verdict is what a ClientOptions.Classify function decides about a response.
type Verdict int

// The verdicts.
const (
	// VerdictDefault: apply the specification's rule (a 200 with Content-Type
	// text/event-stream opens, anything else fails), so that a Classify function only
	// decides the responses it cares about.
	VerdictDefault Verdict = iota
	// VerdictOpen: read the body as an event stream.
	VerdictOpen
	// VerdictRetry: discard the response and reconnect with backoff, waiting at least what
	// a Retry-After header asks (capped by RetryPolicy.Max).
	VerdictRetry
	// VerdictFatal: fail the connection for good.
	VerdictFatal
)

// RetryPolicy is the reconnection backoff. The zero value behaves as EventSource does: a
// constant reconnection time of 3 seconds, which the server's retry field replaces, and no
// limit on attempts; but no delay is shorter than DefaultRetryMin, and the failure count
// starts again only after a connection stayed open for DefaultResetAfter.
//
// The delay before reconnection attempt n (1 for the first after a failure) is
// B × Multiplier^(n-1), where B is the reconnection time (Initial, or the server's retry
// field) raised to Min; it is capped at Max, reduced by a random fraction of at most
// Jitter, and raised to Min again. No delay is shorter than Min, so no server can make the
// client reconnect in a tight loop, and a backoff always grows from a base above zero.
type RetryPolicy struct {
	// Initial is the first delay; zero means 3s. A retry field from the server replaces it.
	Initial clock.Duration
	// Max caps every delay, a server's retry field included; zero means one minute, or
	// Initial when that is larger. A Max below Min means Min.
	Max clock.Duration
	// Min is the shortest delay, whatever Initial, the server's retry field or Jitter say;
	// zero means DefaultRetryMin.
	Min clock.Duration
	// Multiplier grows the delay per consecutive failure; values below 1 mean 1.
	Multiplier float64
	// Jitter, in [0, 1], is the largest fraction by which a delay is randomly shortened.
	Jitter float64
	// MaxAttempts is how many consecutive reconnection attempts may fail before the client
	// closes with CloseRetryLimit; zero means no limit.
	MaxAttempts int
	// ResetAfter is how long a connection must stay open for the failure count to start
	// again from zero: a connection that ends sooner counts as a failed attempt, for
	// MaxAttempts and for the backoff. Zero means DefaultResetAfter; a negative value
	// resets the count as soon as a connection opens.
	ResetAfter clock.Duration
}

// DefaultRetryMin is the shortest reconnection delay unless RetryPolicy.Min says
// otherwise.
const DefaultRetryMin = protocol.DefaultRetryMin

// DefaultResetAfter is how long a connection must stay open for the failure count to
// start again from zero, unless RetryPolicy.ResetAfter says otherwise.
const DefaultResetAfter = protocol.DefaultResetAfter

// floor is the shortest delay: Min, or DefaultRetryMin when Min is zero.
func (rp *RetryPolicy) floor() clock.Duration {
	if rp.Min > 0 {
		return rp.Min
	}
	return DefaultRetryMin
}

// limit is the largest delay: Max, or one minute (Initial when larger) when Max is zero;
// never below the floor.
func (rp *RetryPolicy) limit(initial clock.Duration) clock.Duration {
	if rp.Max > 0 {
		return max(rp.Max, rp.floor())
	}
	return max(clock.Minute, initial, rp.floor())
}

// capped returns d capped by the largest delay.
func (rp *RetryPolicy) capped(d, initial clock.Duration) clock.Duration {
	return min(d, rp.limit(initial))
}

// resetAfter is how long a connection must stay open for the failure count to reset.
func (rp *RetryPolicy) resetAfter() clock.Duration {
	switch {
	case rp.ResetAfter > 0:
		return rp.ResetAfter
	case rp.ResetAfter < 0:
		return 0
	}
	return DefaultResetAfter
}

func (rp *RetryPolicy) delay(initial clock.Duration, n int) clock.Duration {
	floor, limit := rp.floor(), rp.limit(initial)
	d := float64(min(max(initial, floor), limit))
	for i := 1; i < n && rp.Multiplier > 1 && d < float64(limit); i++ {
		d *= rp.Multiplier
	}
	d = min(d, float64(limit))
	if j := min(rp.Jitter, 1); j > 0 {
		d -= d * j * rand.Float64()
	}
	return max(clock.Duration(d), floor)
}

// ClientOptions configures a Client. Transport is required; the other zero values give
// EventSource behaviour: GET, no extra headers, spec reconnection.
type ClientOptions struct {
	// Method is the HTTP method; empty means GET.
	Method string
	// Header holds extra request headers sent on every attempt.
	Header Header
	// HeaderFunc, if set, is called before every attempt; its headers are added to Header's
	// (replacing same-named ones). An error counts as a failed attempt and is retried.
	HeaderFunc func(ctx Context) (Header, error)
	// Body is the request body sent on every attempt, e.g. a JSON document for a POST.
	Body []byte
	// WithCredentials is passed to the transport (see Request.WithCredentials).
	WithCredentials bool
	// Transport performs the requests. Without one the client fails at once with
	// CloseNetwork and ErrNoTransport.
	Transport Transport
	// LastEventID seeds the last event ID, as if a previous connection had received it.
	LastEventID string
	// LastEventIDQuery, if set, also sends the last event ID (when not empty) as this
	// query parameter, which avoids a CORS preflight in browsers; it replaces a parameter
	// of that name already in the URL (however encoded).
	LastEventIDQuery string
	// Retry is the reconnection backoff.
	Retry RetryPolicy
	// Classify, if set, decides what to do with each response; VerdictDefault leaves it to
	// the specification's rule (200 with Content-Type text/event-stream opens, anything else
	// fails). It must not read the body. A response with an SSE-Outcome header and a status
	// other than 200 is never classified: it closes the client.
	Classify func(*Response) Verdict
	// HeartbeatTimeout, if positive, aborts and reconnects an attempt that receives no
	// bytes for this long, from the request on.
	HeartbeatTimeout clock.Duration
	// HeartbeatAuto derives the heartbeat timeout from the response's SSE-Heartbeat-Interval
	// header: the interval plus a third. It takes precedence over HeartbeatTimeout when the
	// header is present.
	HeartbeatAuto bool
	// CompleteEvent, if set, is an event type that closes the client with CloseComplete
	// once it has been delivered, without a reconnect round trip.
	CompleteEvent string
	// FatalEvent, if set, is an event type that closes the client with CloseFatal
	// once it has been delivered.
	FatalEvent string
	// MaxEventSize bounds one event's data, and any line, in bytes; zero means
	// wire.DefaultMaxEventSize (8 MiB). A larger event closes the client with
	// CloseEventTooLarge and wire.ErrEventTooLarge, after the events before it.
	MaxEventSize int
	// MaxLastEventIDLen bounds the last event ID, in bytes of UTF-8: an id field longer
	// than that is ignored, as the specification ignores one containing NUL, so the last
	// event ID keeps its previous value (which the event then carries, and the next attempt
	// sends). Zero means protocol.MaxLastEventIDLen (1024 bytes, the longest a polysse
	// server reads); a negative value means no bound. The LastEventID option is sent as
	// given.
	MaxLastEventIDLen int
	// BorrowData, if true, delivers events whose Data is valid only during the OnEvent
	// call, or until the Events loop asks for the next event (see wire.Parser.BorrowData):
	// it saves an allocation and a copy per event for a consumer that copies the data out
	// at once (the wasm binding does).
	BorrowData bool

	// Clock is the source of time: reconnection delays, the heartbeat watchdog,
	// RetryPolicy.ResetAfter and Retry-After dates. Nil means clock.System under js/wasm
	// (JavaScript's timers) and package time natively.
	Clock clock.Clock

	// OnOpen is called when a connection opens, with ReadyState StateOpen. The
	// response's body belongs to the client: do not read it.
	OnOpen func(*Response)
	// OnEvent is called for every event, unless the events are taken with Events.
	OnEvent func(wire.Event)
	// OnComment, if set, is called with the text of each comment line of the stream (after
	// the colon, one leading space removed), in order with the events: heartbeats and
	// other keep-alive comments, say; LastEventID is then the last event ID at that line.
	// Without it comment lines are skipped at no cost.
	OnComment func(text string)
	// OnError is called when an attempt fails, with ReadyState StateConnecting when the
	// client will retry and StateClosed when it gives up.
	OnError func(*ErrorInfo)
	// OnClose is called once, when the client has closed for any reason.
	OnClose func(*CloseInfo)
	// OnDrain, if set, is called after the events of a read have been delivered, before
	// the client waits for more bytes (not after a read that completed no event): a
	// consumer that batches events (the wasm binding does) delivers its batch there. Like
	// the other callbacks, its time does not count as server silence for the heartbeat
	// watchdog.
	OnDrain func()
}

// Client is a reconnecting event stream client with the behaviour of the WHATWG HTML
// Standard's EventSource and polysse's extensions: headers, methods and bodies, backoff,
// response classification, heartbeat watchdog, completion.
//
// A Client is created with NewClient and runs once, with Run or Events. Callbacks are
// called one at a time, on the goroutine that runs it. ReadyState, LastEventID, Close,
// Restart and CloseInfo are safe for concurrent use, and Close and Restart may be called
// from a callback: after Close no event or callback but OnClose follows, after Restart no
// event of the dropped connection. A callback that panics closes the client (OnClose
// runs, Done closes) before the panic continues up the Run call.
type Client struct {
	// State has one owner, the goroutine that runs the client (Run or Events): it alone
	// makes attempts, reads url and opts, and moves state between CONNECTING and OPEN,
	// by compare-and-swap so that it never leaves CLOSED. Any goroutine may close the
	// client (closeWith): under mu it records info, stores CLOSED and takes the scope to
	// cancel, which ends whatever the owner waits for. Any goroutine may restart it
	// (Restart): under mu it takes the scope of the current round (an attempt and the wait
	// after it) to cancel, which ends the attempt or the wait, and it moves OPEN to
	// CONNECTING by compare-and-swap. mu also guards started, lastID, round and resume;
	// the owner sets round (and applies resume) under it at the start of each round.
	//
	// Locks: mu and each scope's own lock are leaves. No lock is held while another is
	// taken (closeWith and Restart release mu before they cancel a scope; a scope releases
	// its lock before it cancels its children), so there is no lock order to keep.
	url  string // where the next attempt goes: the given URL, then the last final URL
	opts ClientOptions

	state   atomic.Int32 // a ReadyState
	mu      sync.Mutex
	started bool
	scope   *scope // the running client's scope; Close cancels it
	info    *CloseInfo
	lastID  string
	round   *scope  // the current round: an attempt and the wait after it; Restart cancels it
	resume  *string // the last event ID that RestartFrom asks the next round to send
	done    chan struct{}
}

// NewClient returns a Client for url with opts (nil means the zero options). It does not
// connect: call Run or Events.
func NewClient(url string, opts *ClientOptions) *Client {
	c := &Client{url: url, done: make(chan struct{})}
	if opts != nil {
		c.opts = *opts
		c.opts.Header = make(Header, len(opts.Header))
		for k, v := range opts.Header {
			c.opts.Header[httplite.CanonicalKey(k)] = append([]string(nil), v...)
		}
	}
	if c.opts.Clock == nil {
		c.opts.Clock = defaultClock()
	}
	c.lastID = c.opts.LastEventID
	return c
}

// ReadyState returns the current state.
func (c *Client) ReadyState() ReadyState { return ReadyState(c.state.Load()) }

// LastEventID returns the last event ID string, which the next attempt sends.
func (c *Client) LastEventID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastID
}

// Done returns a channel that is closed when the client has closed and OnClose returned.
func (c *Client) Done() <-chan struct{} { return c.done }

// CloseInfo returns why the client closed, or nil while it has not.
func (c *Client) CloseInfo() *CloseInfo {
	select {
	case <-c.done:
		return c.info
	default:
		return nil
	}
}

// Close closes the client with CloseLocal. It may be called at any time, from any
// goroutine, any number of times. Called from a callback, nothing but OnClose follows it.
// Called from another goroutine, one callback that is already being dispatched may still
// run; Close does not wait for it (that would deadlock a Close from inside a callback).
// Done is closed once nothing more will be called.
func (c *Client) Close() {
	c.closeWith(&CloseInfo{Reason: CloseLocal, Local: true})
}

// closeWith moves to Closed with info unless already closed, and cancels the run.
func (c *Client) closeWith(info *CloseInfo) bool {
	c.mu.Lock()
	if c.info != nil {
		c.mu.Unlock()
		return false
	}
	c.info = info
	c.state.Store(int32(StateClosed))
	sc, started := c.scope, c.started
	c.mu.Unlock()
	if sc != nil {
		sc.cancel(ErrClosed)
	}
	if !started {
		// Never run: nothing else will finish it. OnClose still fires, once.
		c.finish()
	}
	return true
}

func (c *Client) finish() {
	if f := c.opts.OnClose; f != nil {
		f(c.info)
	}
	close(c.done)
}

func (c *Client) closed() bool { return c.ReadyState() == StateClosed }

// stopped reports whether the run must stop: the client closed or its context ended.
func (c *Client) stopped(ctx *scope) bool {
	return c.closed() || ctx.ended.Load()
}

// Run connects and delivers events to the callbacks until the client closes. It returns
// nil when the client closed normally (Close, a cancelled ctx, completion, 204) and a
// *CloseError when it failed. Run may be called once: a second call returns
// ErrAlreadyStarted, and a call after Close returns nil at once.
func (c *Client) Run(ctx Context) error {
	return c.run(ctx, c.opts.OnEvent)
}

// Events returns an iterator over the client's events, running the client while the loop
// runs: breaking out of the loop closes the client. When the client fails, the last pair
// has a zero Event and the *CloseError; after a normal close the loop just ends.
// OnEvent is not called for events taken this way. Like Run, Events may be used once.
func (c *Client) Events(ctx Context) iter.Seq2[wire.Event, error] {
	return func(yield func(wire.Event, error) bool) {
		stopped := false
		err := c.run(ctx, func(ev wire.Event) {
			if !stopped && !yield(ev, nil) {
				stopped = true
				c.Close()
			}
		})
		if err != nil && !stopped {
			yield(wire.Event{}, err)
		}
	}
}

func (c *Client) run(parent Context, onEvent func(wire.Event)) error {
	c.mu.Lock()
	if c.started {
		c.mu.Unlock()
		return ErrAlreadyStarted
	}
	if c.info != nil {
		c.mu.Unlock()
		return nil // closed before it ran; OnClose has fired
	}
	ctx := newScope(parent)
	c.started, c.scope = true, ctx
	c.mu.Unlock()
	defer func() {
		// The loop ends once the client is closed or ctx is done, or when a callback
		// panics; in the last two cases this records a local close. OnClose runs and Done
		// closes even while a panic unwinds.
		c.closeWith(&CloseInfo{Reason: CloseLocal, Local: true})
		ctx.cancel(ErrClosed)
		c.finish()
	}()
	c.loop(ctx, onEvent)
	// The loop ended because the client closed, or because ctx is done: then this closes
	// it. Either way c.info is set, under mu, which closeWith took, and stays as it is.
	c.closeWith(&CloseInfo{Reason: CloseLocal, Local: true})
	if c.info.Fatal {
		return &CloseError{c.info}
	}
	return nil
}

// loop makes attempts until the client closes: after each, it closes the client, or
// reestablishes the connection and waits out the backoff.
func (c *Client) loop(ctx *scope, onEvent func(wire.Event)) {
	transport := c.opts.Transport
	if transport == nil {
		c.fail(&CloseInfo{Reason: CloseNetwork, Fatal: true, Err: ErrNoTransport}, 0)
		return
	}
	p := &wire.Parser{
		MaxEventSize: c.opts.MaxEventSize,
		BorrowData:   c.opts.BorrowData,
		Comments:     c.opts.OnComment != nil,
		MaxIDLen:     c.opts.MaxLastEventIDLen,
	}
	switch {
	case p.MaxIDLen == 0:
		p.MaxIDLen = protocol.MaxLastEventIDLen
	case p.MaxIDLen < 0:
		p.MaxIDLen = 0 // no bound
	}
	b := backoff{policy: &c.opts.Retry, initial: c.opts.Retry.Initial}
	if b.initial <= 0 {
		b.initial = protocol.DefaultReconnectionTime
	}
	for !c.stopped(ctx) {
		round := newScope(ctx)
		c.mu.Lock()
		c.round = round
		if c.resume != nil {
			c.lastID, c.resume = *c.resume, nil
		}
		c.mu.Unlock()
		o := c.connect(ctx, round, transport, p, onEvent)
		if d, ok := p.Retry(); ok {
			b.initial = d
		}
		if c.stopped(ctx) {
			return
		}
		if o.close != nil {
			c.fail(o.close, b.failures+1)
			return
		}
		if round.Err() == errRestart {
			// Asked for, not a failure (whatever the aborted attempt came to): no error
			// event, no delay.
			b.reset(o)
			c.state.CompareAndSwap(int32(StateOpen), int32(StateConnecting))
			continue
		}
		delay, ok := b.next(o)
		if !ok {
			c.fail(&CloseInfo{Reason: CloseRetryLimit, Fatal: true, Status: o.status, StatusText: o.text, Err: o.err}, b.failures)
			return
		}
		if !c.reestablish(ctx, o, b.failures, delay) {
			return
		}
		sleep(c.opts.Clock, round, delay) // a Restart ends it early
		round.cancel(ErrClosed)
	}
}

// backoff counts consecutive failures and computes the delay before the next attempt.
type backoff struct {
	policy   *RetryPolicy
	initial  clock.Duration // the reconnection time: Initial, then the server's retry field
	failures int
}

// next counts the failed attempt o and returns the delay before the next one, or false
// when the policy's MaxAttempts is exhausted.
func (b *backoff) next(o outcome) (clock.Duration, bool) {
	b.reset(o)
	b.failures++
	if m := b.policy.MaxAttempts; m > 0 && b.failures > m {
		return 0, false
	}
	return max(b.policy.delay(b.initial, b.failures), b.policy.capped(o.after, b.initial)), true
}

// reset starts the failure count again from zero when the connection of attempt o stayed
// open for the policy's ResetAfter.
func (b *backoff) reset(o outcome) {
	if o.healthy {
		b.failures = 0
	}
}

// reestablish announces a reconnection: OPEN becomes CONNECTING and the error event
// fires. It reports false when the client closed meanwhile.
func (c *Client) reestablish(ctx *scope, o outcome, attempt int, delay clock.Duration) bool {
	if !c.state.CompareAndSwap(int32(StateOpen), int32(StateConnecting)) && c.closed() {
		return false
	}
	if f := c.opts.OnError; f != nil {
		f(&ErrorInfo{Status: o.status, StatusText: o.text, Attempt: attempt, RetryIn: delay, Err: o.err})
	}
	return !c.stopped(ctx)
}

// sleep waits for d, or until ctx is done.
func sleep(clk clock.Clock, ctx *scope, d clock.Duration) {
	wake := make(chan struct{})
	t := clk.AfterFunc(d, func() { close(wake) })
	select {
	case <-wake:
	case <-ctx.Done():
		t.Stop()
	}
}

// errRestart is the cause with which Restart cancels an attempt.
var errRestart = errors.New("sse: restarted")

// Restart drops the current connection and connects again at once: it aborts the attempt
// in progress (a request, or an open stream), or ends the wait before the next attempt.
// It may be called at any time, from any goroutine, a callback included, any number of
// times; on a client that has not started or has closed it does nothing.
//
// A restart is not a failure: no error event fires and the failure count does not grow
// (it starts again from zero when the dropped connection had stayed open for
// RetryPolicy.ResetAfter, as after any connection). ReadyState becomes StateConnecting at
// once, unless the client closed meanwhile; OnOpen follows when the new connection opens.
// No event of the dropped connection is delivered after Restart returns but one already
// being dispatched on another goroutine (Restart does not wait for it); an incomplete
// event is discarded, as at the end of a stream. The new attempt sends the last event ID
// of the events delivered, and the reconnection time learnt from a retry field is kept.
func (c *Client) Restart() { c.restart(nil) }

// RestartFrom is Restart, after which the next attempt sends lastEventID as the last
// event ID. It is for a consumer that delivers events after OnEvent returned (the wasm
// binding dispatches them in batches) and drops those that a restart overtook: the
// server then sends them again.
func (c *Client) RestartFrom(lastEventID string) { c.restart(&lastEventID) }

func (c *Client) restart(resume *string) {
	c.mu.Lock()
	round := c.round
	if c.info != nil {
		round = nil
	}
	if round != nil && resume != nil {
		c.resume = resume
	}
	c.mu.Unlock()
	if round == nil {
		return // not started, or closed
	}
	c.state.CompareAndSwap(int32(StateOpen), int32(StateConnecting))
	// The round in progress, or one that is just ending: then the next attempt is starting
	// already, after this call.
	round.cancel(errRestart)
}

// fail closes the client with info and, for a close the server caused, fires the error
// event first (with ReadyState already Closed), as failing the connection does.
func (c *Client) fail(info *CloseInfo, attempt int) {
	if !c.closeWith(info) {
		return
	}
	if info.Local || info.Reason == CloseComplete && info.Status == 0 {
		return // a local close or a complete event is a normal end, not an error
	}
	if f := c.opts.OnError; f != nil {
		f(&ErrorInfo{Status: info.Status, StatusText: info.StatusText, Attempt: attempt, Err: info.Err})
	}
}

func (c *Client) setLastID(id string) {
	c.mu.Lock()
	c.lastID = id
	c.mu.Unlock()
}
