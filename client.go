package sse

import (
	"errors"
	"iter"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/polysse/sse/internal/protocol"
)

// ReadyState is the state of a Client, with the values of EventSource.readyState.
type ReadyState int32

// The ready states.
const (
	Connecting ReadyState = 0
	Open       ReadyState = 1
	Closed     ReadyState = 2
)

// String returns "CONNECTING", "OPEN" or "CLOSED".
func (s ReadyState) String() string {
	switch s {
	case Connecting:
		return "CONNECTING"
	case Open:
		return "OPEN"
	case Closed:
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
	// CloseFatalEvent: the server ended the stream with a failure: a fatal event (see
	// ClientOptions.FatalEvent), or a reconnect answered with SSE-Outcome: fatal.
	CloseFatalEvent CloseReason = "fatal-event"
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
	// wrapping ErrPermanent, such as a CORS failure).
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

// CloseInfo describes why a Client closed. It implements error so that Run and Events
// can return it for failures.
type CloseInfo struct {
	// Reason is why the client closed.
	Reason CloseReason
	// Fatal is true for a failure (http-status, content-type, fatal-event, retry-limit,
	// network, event-too-large) and false for a normal end (local, complete, no-content).
	Fatal bool
	// Local is true when the close was asked for on this side (Close, a cancelled context).
	Local bool
	// Status and StatusText are those of the response that ended the stream, if any.
	Status     int
	StatusText string
	// Data is the payload of the complete or fatal event, if any.
	Data string
	// Err is the underlying error, if any: a transport error, ErrEventTooLarge, ...
	Err error
}

// Error implements error.
func (ci *CloseInfo) Error() string {
	s := "sse: closed: " + string(ci.Reason)
	if ci.Status != 0 {
		s += " (status " + strconv.Itoa(ci.Status)
		if ci.StatusText != "" {
			s += " " + ci.StatusText
		}
		s += ")"
	}
	if ci.Err != nil {
		s += ": " + ci.Err.Error()
	}
	return s
}

// Unwrap returns Err.
func (ci *CloseInfo) Unwrap() error { return ci.Err }

// ErrorInfo describes an error event: a failed attempt the client will retry (ReadyState
// Connecting, RetryIn set) or a failure that closes it (ReadyState Closed).
type ErrorInfo struct {
	// Status and StatusText are those of the response, when there was one.
	Status     int
	StatusText string
	// Attempt counts the consecutive failed attempts, this one included.
	Attempt int
	// RetryIn is the delay before the next attempt; zero when the client closes.
	RetryIn time.Duration
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
// limit on attempts.
//
// The delay before reconnection attempt n (1 for the first after a failure) is
// Initial × Multiplier^(n-1), capped at Max, then reduced by a random fraction of at most
// Jitter.
type RetryPolicy struct {
	// Initial is the first delay; zero means 3s. A retry field from the server replaces it.
	Initial time.Duration
	// Max caps every delay, a server's retry field included; zero means one minute, or
	// Initial when that is larger.
	Max time.Duration
	// Multiplier grows the delay per consecutive failure; values below 1 mean 1.
	Multiplier float64
	// Jitter, in [0, 1], is the largest fraction by which a delay is randomly shortened.
	Jitter float64
	// MaxAttempts is how many consecutive reconnection attempts may fail before the client
	// closes with CloseRetryLimit; zero means no limit.
	MaxAttempts int
	// ResetAfter is how long a connection must stay open for the failure count to start
	// again from zero; zero means as soon as a connection opens.
	ResetAfter time.Duration
}

// DefaultReconnectionTime is the reconnection time before any retry field, as in browsers.
const DefaultReconnectionTime = protocol.DefaultReconnectionTime

// limit is the largest delay: Max, or one minute (Initial when larger) when Max is zero.
func (rp *RetryPolicy) limit(initial time.Duration) time.Duration {
	if rp.Max > 0 {
		return rp.Max
	}
	return max(time.Minute, initial)
}

// capped returns d capped by the largest delay.
func (rp *RetryPolicy) capped(d, initial time.Duration) time.Duration {
	return min(d, rp.limit(initial))
}

func (rp *RetryPolicy) delay(initial time.Duration, n int) time.Duration {
	limit := rp.limit(initial)
	d := float64(min(initial, limit))
	for i := 1; i < n && rp.Multiplier > 1 && d < float64(limit); i++ {
		d *= rp.Multiplier
	}
	d = min(d, float64(limit))
	if j := min(rp.Jitter, 1); j > 0 {
		d -= d * j * rand.Float64()
	}
	return time.Duration(d)
}

// ClientOptions configures a Client. The zero value gives EventSource behaviour: GET, no
// extra headers, the platform's DefaultTransport, spec reconnection.
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
	// Transport performs the requests; nil means DefaultTransport.
	Transport Transport
	// LastEventID seeds the last event ID, as if a previous connection had received it.
	LastEventID string
	// LastEventIDQueryParameter, if set, also sends the last event ID (when not empty) as
	// this query parameter, which avoids a CORS preflight in browsers.
	LastEventIDQueryParameter string
	// Retry is the reconnection backoff.
	Retry RetryPolicy
	// Classify, if set, decides what to do with each response; VerdictDefault leaves it to
	// the specification's rule (200 with Content-Type text/event-stream opens, anything else
	// fails). It must not read the body. A response with an SSE-Outcome header and a status
	// other than 200 is never classified: it closes the client.
	Classify func(*Response) Verdict
	// HeartbeatTimeout, if positive, aborts and reconnects an attempt that receives no
	// bytes for this long, from the request on.
	HeartbeatTimeout time.Duration
	// HeartbeatAuto derives the heartbeat timeout from the response's SSE-Heartbeat-Interval
	// header: the interval plus a third. It takes precedence over HeartbeatTimeout when the
	// header is present.
	HeartbeatAuto bool
	// CompleteEvent, if set, is an event type that closes the client with CloseComplete
	// once it has been delivered, without a reconnect round trip.
	CompleteEvent string
	// FatalEvent, if set, is an event type that closes the client with CloseFatalEvent
	// once it has been delivered.
	FatalEvent string
	// MaxEventSize bounds one event (see Parser.MaxEventSize).
	MaxEventSize int
	// BorrowData, if true, delivers events whose Data is valid only during the OnEvent
	// call, or until the Events loop asks for the next event (see Parser.BorrowData): it
	// saves an allocation and a copy per event for a consumer that copies the data out at
	// once.
	BorrowData bool

	// OnOpen is called when a connection opens, with ReadyState Open. The response's
	// body belongs to the client: do not read it.
	OnOpen func(*Response)
	// OnEvent is called for every event, unless the events are taken with Events.
	OnEvent func(Event)
	// OnError is called when an attempt fails, with ReadyState Connecting when the client
	// will retry and Closed when it gives up.
	OnError func(*ErrorInfo)
	// OnClose is called once, when the client has closed for any reason.
	OnClose func(*CloseInfo)
	// OnDrain, if set, is called after the events of a read have been delivered, before
	// the client waits for more bytes (not after a read that completed no event): a
	// consumer that batches events (the wasm binding does) delivers its batch there. Like the other callbacks, its time does not count
	// as server silence for the heartbeat watchdog.
	OnDrain func()
}

// Client is a reconnecting event stream client with the behaviour of EventSource (WHATWG
// HTML §9.2) and polysse's extensions: headers, methods and bodies, backoff, response
// classification, heartbeat watchdog, completion.
//
// A Client is created with NewClient and runs once, with Run or Events. Callbacks are
// called one at a time, on the goroutine that runs it. ReadyState, LastEventID, Close and
// CloseInfo are safe for concurrent use, and Close may be called from a callback: no event
// or callback but OnClose follows it. A callback that panics closes the client (OnClose
// runs, Done closes) before the panic continues up the Run call.
type Client struct {
	url  string // where the next attempt goes: the given URL, then the last final URL
	opts ClientOptions

	state   atomic.Int32
	mu      sync.Mutex
	started bool
	scope   *scope // the running client's scope; Close cancels it
	info    *CloseInfo
	lastID  string
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
			c.opts.Header[canonicalKey(k)] = append([]string(nil), v...)
		}
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
	c.state.Store(int32(Closed))
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

func (c *Client) closed() bool { return c.ReadyState() == Closed }

// stopped reports whether the run must stop: the client closed or its context ended.
func (c *Client) stopped(ctx *scope) bool {
	if c.closed() {
		return true
	}
	select {
	case <-ctx.done:
		return true
	default:
		return false
	}
}

// Run connects and delivers events to the callbacks until the client closes. It returns
// nil when the client closed normally (Close, a cancelled ctx, completion, 204) and the
// *CloseInfo when it failed. Run may be called once: a second call returns
// ErrAlreadyStarted, and a call after Close returns nil at once.
func (c *Client) Run(ctx Context) error {
	return c.run(ctx, c.opts.OnEvent)
}

// Events returns an iterator over the client's events, running the client while the loop
// runs: breaking out of the loop closes the client. When the client fails, the last pair
// has a zero Event and the *CloseInfo as error; after a normal close the loop just ends.
// OnEvent is not called for events taken this way. Like Run, Events may be used once.
func (c *Client) Events(ctx Context) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		stopped := false
		err := c.run(ctx, func(ev Event) {
			if !stopped && !yield(ev, nil) {
				stopped = true
				c.Close()
			}
		})
		if err != nil && !stopped {
			yield(Event{}, err)
		}
	}
}

func (c *Client) run(parent Context, onEvent func(Event)) error {
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
	if info := c.closedInfo(); info.Fatal {
		return info
	}
	return nil
}

func (c *Client) closedInfo() *CloseInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.info == nil {
		return &CloseInfo{Reason: CloseLocal, Local: true}
	}
	return c.info
}

// attempt outcomes of connect.
type outcome struct {
	close  *CloseInfo // close with this; nil means reconnect
	status int
	text   string
	err    error
	opened time.Time // when the connection opened, zero if it did not
	after  time.Duration
}

func (c *Client) loop(ctx *scope, onEvent func(Event)) {
	transport := c.opts.Transport
	if transport == nil {
		transport = DefaultTransport
	}
	if transport == nil {
		c.fail(&CloseInfo{Reason: CloseNetwork, Fatal: true, Err: ErrNoTransport}, 0)
		return
	}
	p := &Parser{MaxEventSize: c.opts.MaxEventSize, BorrowData: c.opts.BorrowData}
	initial := c.opts.Retry.Initial
	if initial <= 0 {
		initial = DefaultReconnectionTime
	}
	failures := 0
	for !c.stopped(ctx) {
		o := c.connect(ctx, transport, p, onEvent)
		if d, ok := p.Retry(); ok {
			initial = d
		}
		if c.stopped(ctx) {
			return
		}
		if o.close != nil {
			c.fail(o.close, failures+1)
			return
		}
		if !o.opened.IsZero() && time.Since(o.opened) >= c.opts.Retry.ResetAfter {
			failures = 0
		}
		failures++
		if m := c.opts.Retry.MaxAttempts; m > 0 && failures > m {
			c.fail(&CloseInfo{Reason: CloseRetryLimit, Fatal: true, Status: o.status, StatusText: o.text, Err: o.err}, failures)
			return
		}
		// Reestablish the connection: announce, wait, try again.
		delay := max(c.opts.Retry.delay(initial, failures), c.opts.Retry.capped(o.after, initial))
		if !c.state.CompareAndSwap(int32(Open), int32(Connecting)) && c.closed() {
			return
		}
		if f := c.opts.OnError; f != nil {
			f(&ErrorInfo{Status: o.status, StatusText: o.text, Attempt: failures, RetryIn: delay, Err: o.err})
		}
		if c.stopped(ctx) {
			return
		}
		// time.AfterFunc rather than a Timer: a chan time.Time would keep time.Time's
		// formatting code alive in the js/wasm build.
		wake := make(chan struct{})
		t := time.AfterFunc(delay, func() { close(wake) })
		select {
		case <-wake:
		case <-ctx.Done():
			t.Stop()
			return
		}
	}
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

// connect makes one attempt and reads its stream until it ends.
func (c *Client) connect(ctx *scope, t Transport, p *Parser, onEvent func(Event)) outcome {
	actx := newScope(ctx)
	defer actx.cancel(ErrClosed)
	abort := actx.cancel

	req, err := c.request(actx)
	if err != nil {
		return outcome{err: err}
	}
	if c.stopped(ctx) { // closed while HeaderFunc ran
		return outcome{}
	}
	var watchdog *time.Timer
	timeout := c.opts.HeartbeatTimeout
	if timeout > 0 {
		watchdog = time.AfterFunc(timeout, func() { abort(ErrHeartbeatTimeout) })
		defer watchdog.Stop()
	}
	resp, err := t.RoundTrip(actx, req)
	if err != nil {
		if cause := actx.Err(); cause == ErrHeartbeatTimeout {
			err = cause
		}
		if errors.Is(err, ErrPermanent) {
			return outcome{close: &CloseInfo{Reason: CloseNetwork, Fatal: true, Err: err}}
		}
		return outcome{err: err}
	}
	defer resp.Body.Close()
	o := outcome{status: resp.StatusCode, text: resp.StatusText}
	if resp.URL != "" && resp.URL != req.URL {
		// Redirected: reconnect to where the redirects led, as browsers do.
		u := resp.URL
		if q := c.opts.LastEventIDQueryParameter; q != "" {
			u = removeQuery(u, q)
		}
		c.url = u
	}

	if resp.StatusCode != 200 {
		switch Outcome(trimOWS(resp.Header.Get(HeaderOutcome))) {
		case OutcomeComplete:
			o.close = &CloseInfo{Reason: CloseComplete, Status: o.status, StatusText: o.text}
			return o
		case OutcomeFatal:
			o.close = &CloseInfo{Reason: CloseFatalEvent, Fatal: true, Status: o.status, StatusText: o.text}
			return o
		}
	}
	eventStream := isEventStream(resp.Header.Get("Content-Type"))
	verdict := VerdictDefault
	if c.opts.Classify != nil {
		verdict = c.opts.Classify(resp)
	}
	if verdict == VerdictDefault {
		verdict = VerdictFatal
		if resp.StatusCode == 200 && eventStream {
			verdict = VerdictOpen
		}
	}
	switch verdict {
	case VerdictRetry:
		o.after = retryAfter(resp.Header.Get("Retry-After"))
		return o
	case VerdictOpen:
	default:
		reason := CloseHTTPStatus
		switch {
		case resp.StatusCode == 204:
			reason = CloseNoContent
		case resp.StatusCode == 200 && !eventStream:
			reason = CloseContentType
		}
		o.close = &CloseInfo{Reason: reason, Fatal: reason != CloseNoContent, Status: o.status, StatusText: o.text}
		return o
	}

	// Announce the connection.
	if !c.state.CompareAndSwap(int32(Connecting), int32(Open)) || ctx.Err() != nil {
		return o
	}
	o.opened = time.Now()
	if watchdog != nil {
		watchdog.Stop() // time spent in callbacks is not server silence
	}
	if f := c.opts.OnOpen; f != nil {
		f(resp)
	}
	if c.opts.HeartbeatAuto {
		if ms, ok := parseDigits(trimOWS(resp.Header.Get(HeaderHeartbeatInterval))); ok && ms > 0 && ms < 1<<40 {
			timeout = time.Duration(ms+ms/3) * time.Millisecond
			if watchdog == nil {
				watchdog = time.AfterFunc(timeout, func() { abort(ErrHeartbeatTimeout) })
				defer watchdog.Stop()
			}
		}
	}

	last := c.LastEventID()
	delivered := false // events delivered since the last OnDrain
	p.Reset(last)
	for {
		if watchdog != nil {
			watchdog.Reset(timeout)
		}
		_, rerr := p.Fill(resp.Body)
		if watchdog != nil {
			watchdog.Stop() // bytes arrived, or the read failed; callbacks follow
		}
		for !c.stopped(ctx) {
			ev, ok := p.Next()
			if !ok {
				break
			}
			if ev.ID != last { // the parser hands out the same string while the ID is unchanged
				last = ev.ID
				c.setLastID(last)
			}
			if onEvent != nil {
				onEvent(ev)
			}
			delivered = true
			switch {
			case c.opts.CompleteEvent != "" && ev.Type == c.opts.CompleteEvent:
				o.close = &CloseInfo{Reason: CloseComplete, Data: ev.Data}
				return o
			case c.opts.FatalEvent != "" && ev.Type == c.opts.FatalEvent:
				o.close = &CloseInfo{Reason: CloseFatalEvent, Fatal: true, Data: ev.Data}
				return o
			}
		}
		c.setLastID(p.LastEventID()) // an id-only dispatch changes it too
		if c.stopped(ctx) {
			return o
		}
		if f := c.opts.OnDrain; f != nil && delivered {
			delivered = false
			f()
			if c.stopped(ctx) {
				return o
			}
		}
		if err := p.Err(); err != nil {
			o.close = &CloseInfo{Reason: CloseEventTooLarge, Fatal: true, Err: err}
			return o
		}
		if rerr != nil {
			if cause := actx.Err(); cause != nil {
				rerr = cause
			}
			p.End()
			o.err = rerr
			return o
		}
	}
}

func (c *Client) setLastID(id string) {
	c.mu.Lock()
	c.lastID = id
	c.mu.Unlock()
}

// request builds the request of one attempt.
func (c *Client) request(ctx Context) (*Request, error) {
	h := make(Header, len(c.opts.Header)+3)
	for k, v := range c.opts.Header {
		h[k] = v
	}
	if c.opts.HeaderFunc != nil {
		extra, err := c.opts.HeaderFunc(ctx)
		if err != nil {
			return nil, err
		}
		for k, v := range extra {
			h[canonicalKey(k)] = v
		}
	}
	h.Set("Accept", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	id := c.LastEventID()
	if id != "" {
		h.Set(HeaderLastEventID, id)
	} else {
		h.Del(HeaderLastEventID)
	}
	method := c.opts.Method
	if method == "" {
		method = "GET"
	}
	u := c.url
	if q := c.opts.LastEventIDQueryParameter; q != "" && id != "" {
		u = addQuery(u, q, id)
	}
	return &Request{Method: method, URL: u, Header: h, Body: c.opts.Body, WithCredentials: c.opts.WithCredentials}, nil
}

// isEventStream reports whether a Content-Type value's MIME type essence is
// text/event-stream (parameters allowed).
func isEventStream(ct string) bool {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return equalFoldASCII(trimOWS(ct), "text/event-stream")
}

// The header helpers below are ASCII-only on purpose: header values that matter here are
// ASCII, and the Unicode-aware strings functions would pull Unicode tables into the
// js/wasm build.

// trimOWS removes leading and trailing spaces and tabs (HTTP optional white space).
func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// equalFoldASCII reports whether a and b are equal under ASCII case folding.
func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// parseDigits parses a non-empty string of ASCII digits that fits in a uint64.
func parseDigits(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' || n > (1<<64-1-uint64(c-'0'))/10 {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

// retryAfter parses a Retry-After value, in seconds or as an IMF-fixdate; zero if absent or
// invalid.
func retryAfter(v string) time.Duration {
	v = trimOWS(v)
	if v == "" {
		return 0
	}
	if s, ok := parseDigits(v); ok {
		return time.Duration(min(s, 1<<32)) * time.Second
	}
	if t, ok := parseIMFFixdate(v); ok {
		return max(time.Until(t), 0)
	}
	return 0
}

// parseIMFFixdate parses the preferred HTTP date form, "Sun, 06 Nov 1994 08:49:37 GMT".
// It avoids time.Parse and time.Date, whose layout and zone code would add tens of
// kilobytes to the js/wasm build.
func parseIMFFixdate(v string) (time.Time, bool) {
	if len(v) != 29 || v[3] != ',' || v[4] != ' ' || v[7] != ' ' || v[11] != ' ' ||
		v[16] != ' ' || v[19] != ':' || v[22] != ':' || v[25:] != " GMT" {
		return time.Time{}, false
	}
	num := func(s string) int64 {
		n, ok := parseDigits(s)
		if !ok {
			return -1
		}
		return int64(n)
	}
	m := strings.Index("JanFebMarAprMayJunJulAugSepOctNovDec", v[8:11])
	day, year, hh, mm, ss := num(v[5:7]), num(v[12:16]), num(v[17:19]), num(v[20:22]), num(v[23:25])
	if m < 0 || m%3 != 0 || day < 1 || day > 31 || year < 0 || hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60 {
		return time.Time{}, false
	}
	return time.Unix(daysFromCivil(year, int64(m/3+1), day)*86400+hh*3600+mm*60+ss, 0), true
}

// daysFromCivil returns the number of days from 1970-01-01 to the given proleptic
// Gregorian date (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// addQuery adds name=value to the query of url, before any fragment, percent-encoding both.
func addQuery(url, name, value string) string {
	frag := ""
	if i := strings.IndexByte(url, '#'); i >= 0 {
		url, frag = url[:i], url[i:]
	}
	sep := "?"
	if i := strings.IndexByte(url, '?'); i >= 0 {
		sep = "&"
		if i == len(url)-1 || url[len(url)-1] == '&' {
			sep = ""
		}
	}
	return url + sep + queryEscape(name) + "=" + queryEscape(value) + frag
}

// removeQuery removes every name=... pair (name as addQuery encodes it) from the query of
// url.
func removeQuery(url, name string) string {
	frag := ""
	if i := strings.IndexByte(url, '#'); i >= 0 {
		url, frag = url[:i], url[i:]
	}
	i := strings.IndexByte(url, '?')
	if i < 0 {
		return url + frag
	}
	key := queryEscape(name)
	var kept []string
	for _, pair := range strings.Split(url[i+1:], "&") {
		if k, _, _ := strings.Cut(pair, "="); k != key {
			kept = append(kept, pair)
		}
	}
	if len(kept) == 0 {
		return url[:i] + frag
	}
	return url[:i+1] + strings.Join(kept, "&") + frag
}

// queryEscape percent-encodes s for a query component (as application/x-www-form-urlencoded
// but with %20 for space).
func queryEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
