package sse

import (
	"context"
	"iter"
	"net/http"
	"time"

	"github.com/polysse/sse/internal/clock"
	"github.com/polysse/sse/internal/clock/timeclock"
	"github.com/polysse/sse/internal/eventsource"
	"github.com/polysse/sse/internal/httptransport"
	"github.com/polysse/sse/internal/protocol"
	"github.com/polysse/sse/internal/wire"
)

// ReadyState is the state of a Client, with the values of EventSource.readyState.
type ReadyState int32

// The ready states.
const (
	// StateConnecting: connecting, or waiting to reconnect.
	StateConnecting ReadyState = 0
	// StateOpen: a connection is open and events are delivered.
	StateOpen ReadyState = 1
	// StateClosed: the client closed for good (see CloseInfo).
	StateClosed ReadyState = 2
)

// String returns "CONNECTING", "OPEN" or "CLOSED".
func (s ReadyState) String() string { return eventsource.ReadyState(s).String() }

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
	// CloseHTTPStatus: a response status other than 200 and 204 failed the connection
	// (or Classify said VerdictFatal).
	CloseHTTPStatus CloseReason = "http-status"
	// CloseContentType: a 200 response was not text/event-stream.
	CloseContentType CloseReason = "content-type"
	// CloseNoContent: the server answered 204 No Content: do not reconnect.
	CloseNoContent CloseReason = "no-content"
	// CloseRetryLimit: ClientOptions.Retry.MaxAttempts consecutive reconnection attempts
	// failed.
	CloseRetryLimit CloseReason = "retry-limit"
	// CloseNetwork: the request can never be sent (a malformed URL or method).
	CloseNetwork CloseReason = "network"
	// CloseEventTooLarge: an event exceeded ClientOptions.MaxEventSize.
	CloseEventTooLarge CloseReason = "event-too-large"
)

// Sentinel errors of the client.
var (
	// ErrHeartbeatTimeout is the cause of a reconnect after the heartbeat watchdog saw no
	// bytes for the heartbeat timeout (ErrorInfo.Err).
	ErrHeartbeatTimeout = eventsource.ErrHeartbeatTimeout
	// ErrAlreadyStarted is returned by Run and Events on a Client that already ran.
	ErrAlreadyStarted = eventsource.ErrAlreadyStarted
)

// CloseInfo describes why a Client closed, normally or not: OnClose receives it and
// Client.CloseInfo returns it. It is data, not an error: Run and Events return a failure
// as a *CloseError, which carries it.
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
// Events yields it last. Its CloseInfo is the one Client.CloseInfo returns; it unwraps to
// the underlying error, CloseInfo.Err. A normal end (Close, a cancelled context,
// completion, 204) is not an error: Run returns nil.
type CloseError struct {
	*CloseInfo
}

// Error describes the close: "sse: closed: <reason> (status <code> <text>): <error>".
func (e *CloseError) Error() string {
	return (&eventsource.CloseError{CloseInfo: &eventsource.CloseInfo{
		Reason: eventsource.CloseReason(e.Reason), Status: e.Status, StatusText: e.StatusText, Err: e.Err,
	}}).Error()
}

// Unwrap returns the underlying error, CloseInfo.Err.
func (e *CloseError) Unwrap() error { return e.Err }

// ErrorInfo describes an error event: a failed attempt the client will retry (ReadyState
// StateConnecting, RetryIn set) or a failure that closes it (StateClosed).
type ErrorInfo struct {
	// Status and StatusText are those of the response that failed the attempt, when there
	// was one; zero when a stream that had opened ended or dropped.
	Status     int
	StatusText string
	// Attempt counts the consecutive failed attempts, this one included.
	Attempt int
	// RetryIn is the delay before the next attempt; zero when the client closes.
	RetryIn time.Duration
	// Err is the cause, when known: the transport error, ErrHeartbeatTimeout, io.EOF for a
	// stream the server ended, an error of PrepareRequest, ...
	Err error
}

// Verdict is what a ClientOptions.Classify function decides about a response.
type Verdict int

// The verdicts.
const (
	// VerdictDefault: apply the specification's rule (a 200 with Content-Type
	// text/event-stream opens, anything else fails), so that a Classify function only
	// decides the responses it cares about.
	VerdictDefault Verdict = 0
	// VerdictOpen: read the body as an event stream.
	VerdictOpen Verdict = 1
	// VerdictRetry: discard the response and reconnect with backoff, waiting at least what
	// a Retry-After header asks (capped by RetryPolicy.Max).
	VerdictRetry Verdict = 2
	// VerdictFatal: fail the connection for good.
	VerdictFatal Verdict = 3
)

// Defaults of the client.
const (
	// DefaultReconnectionTime is the reconnection time before any retry field, as in
	// browsers.
	DefaultReconnectionTime = time.Duration(protocol.DefaultReconnectionTime)
	// DefaultRetryMin is the shortest delay between two attempts unless RetryPolicy.Min
	// says otherwise: a server that sends "retry: 0" and ends each response at once gets at
	// most a hundred reconnections a second, fewer than a browser's EventSource makes
	// against a local server (about 230 a second in Chromium), and a backoff grows from it.
	DefaultRetryMin = time.Duration(protocol.DefaultRetryMin)
	// DefaultResetAfter is how long a connection must stay open for the failure count to
	// start again from zero, unless RetryPolicy.ResetAfter says otherwise: a server that
	// answers 200 and ends the response at once does not reset it, so it cannot defeat
	// MaxAttempts or the backoff.
	DefaultResetAfter = time.Duration(protocol.DefaultResetAfter)
	// DefaultMaxLastEventIDLen is the longest last event ID, in bytes, that a client
	// stores unless ClientOptions.MaxLastEventIDLen says otherwise: the longest that a
	// polysse server reads from the Last-Event-ID header (server.MaxLastEventIDLen).
	DefaultMaxLastEventIDLen = protocol.MaxLastEventIDLen
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
	// Initial is the first delay; zero means DefaultReconnectionTime. A retry field from
	// the server replaces it.
	Initial time.Duration
	// Max caps every delay, a server's retry field and a Retry-After header included; zero
	// means one minute, or Initial when that is larger. A Max below Min means Min.
	Max time.Duration
	// Min is the shortest delay, whatever Initial, the server's retry field or Jitter say;
	// zero means DefaultRetryMin.
	Min time.Duration
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
	ResetAfter time.Duration
}

// ClientOptions configures a Client. The zero value gives EventSource behaviour: GET, no
// extra headers, http.DefaultClient, spec reconnection.
type ClientOptions struct {
	// Method is the HTTP method; empty means GET.
	Method string
	// Header holds extra request headers sent on every attempt. The client sets Accept,
	// Cache-Control and Last-Event-ID itself.
	Header http.Header
	// Body is the request body sent on every attempt, e.g. a JSON document for a POST.
	Body []byte
	// HTTPClient sends the requests and follows redirects; nil means http.DefaultClient.
	// Its Timeout, if any, bounds a whole stream: leave it zero and use HeartbeatTimeout.
	HTTPClient *http.Client
	// PrepareRequest, if set, is called with each attempt's request just before it is
	// sent, e.g. to set a fresh Authorization header. It may change the request but must
	// not keep it. Its error fails the attempt, which is retried with backoff (ErrorInfo.Err
	// is the error). req.Context() ends when the client closes, so a slow token refresh
	// does not hold it open; its time counts toward HeartbeatTimeout.
	PrepareRequest func(req *http.Request) error
	// LastEventID seeds the last event ID, as if a previous connection had received it.
	LastEventID string
	// LastEventIDQuery, if set, also sends the last event ID (when not empty) as this
	// query parameter, which avoids a CORS preflight in browsers; it replaces a parameter
	// of that name already in the URL.
	LastEventIDQuery string
	// Retry is the reconnection backoff.
	Retry RetryPolicy
	// Classify, if set, decides what to do with each response; VerdictDefault leaves it to
	// the specification's rule (200 with Content-Type text/event-stream opens, anything else
	// fails). It must not read the body. A response with an SSE-Outcome header and a status
	// other than 200 is never classified: it closes the client.
	Classify func(*http.Response) Verdict
	// HeartbeatTimeout, if positive, aborts and reconnects an attempt that receives no
	// bytes for this long, from the request on.
	HeartbeatTimeout time.Duration
	// HeartbeatAuto derives the heartbeat timeout from the response's SSE-Heartbeat-Interval
	// header: the interval plus a third. It takes precedence over HeartbeatTimeout when the
	// header is present.
	HeartbeatAuto bool
	// CompleteEvent, if set, is an event type that closes the client with CloseComplete
	// once it has been delivered, without a reconnect round trip (EventComplete for a
	// polysse server).
	CompleteEvent string
	// FatalEvent, if set, is an event type that closes the client with CloseFatal once it
	// has been delivered (EventFatal for a polysse server).
	FatalEvent string
	// MaxEventSize bounds one event's data, and any line, in bytes; zero means
	// DefaultMaxEventSize (8 MiB). A larger event closes the client with
	// CloseEventTooLarge and ErrEventTooLarge, after the events before it were delivered;
	// the client does not reconnect, since the server would send the same event again.
	MaxEventSize int
	// MaxLastEventIDLen bounds the last event ID, in bytes of UTF-8: an id field longer
	// than that is ignored, as the specification ignores one containing NUL, so the last
	// event ID keeps its previous value (which the event then carries, and the next attempt
	// sends). Zero means DefaultMaxLastEventIDLen (1024); a negative value means no bound.
	// The LastEventID option is sent as given.
	MaxLastEventIDLen int

	// OnOpen is called when a connection opens, with ReadyState StateOpen. The response's
	// body belongs to the client: do not read it.
	OnOpen func(*http.Response)
	// OnEvent is called for every event, unless the events are taken with Events.
	OnEvent func(Event)
	// OnComment, if set, is called with the text of each comment line of the stream (after
	// the colon, one leading space removed), in order with the events, with Run and with
	// Events alike: heartbeats and other keep-alive comments, say. Without it comment
	// lines are skipped at no cost.
	OnComment func(text string)
	// OnError is called when an attempt fails, with ReadyState StateConnecting when the
	// client will retry and StateClosed when it gives up.
	OnError func(*ErrorInfo)
	// OnClose is called once, when the client has closed for any reason.
	OnClose func(*CloseInfo)
}

// Client is a reconnecting event stream client with the behaviour of the browsers'
// EventSource and polysse's extensions: methods, headers and bodies, backoff, response
// classification, a heartbeat watchdog, completion. It sends its requests with net/http.
//
// A Client is created with NewClient and runs once, with Run or Events. Callbacks are
// called one at a time, on the goroutine that runs it. ReadyState, LastEventID, Close,
// Restart, Done and CloseInfo are safe for concurrent use, and Close and Restart may be
// called from a callback: after Close no event or callback but OnClose follows, after
// Restart no event of the dropped connection. A callback that panics closes the client
// (OnClose runs, Done closes) before the panic continues up the Run call.
type Client struct {
	c    *eventsource.Client
	info *CloseInfo // written by the OnClose adapter, read after done closes
}

// NewClient returns a Client for url with opts (nil means the zero options). It does not
// connect: call Run or Events.
func NewClient(url string, opts *ClientOptions) *Client {
	if opts == nil {
		opts = &ClientOptions{}
	}
	c := &Client{}
	o := &eventsource.ClientOptions{
		Method:            opts.Method,
		Header:            eventsource.Header(opts.Header),
		Body:              opts.Body,
		Transport:         httptransport.New(opts.HTTPClient, opts.PrepareRequest),
		LastEventID:       opts.LastEventID,
		LastEventIDQuery:  opts.LastEventIDQuery,
		Retry:             retryPolicy(opts.Retry),
		HeartbeatTimeout:  clock.Duration(opts.HeartbeatTimeout),
		HeartbeatAuto:     opts.HeartbeatAuto,
		CompleteEvent:     opts.CompleteEvent,
		FatalEvent:        opts.FatalEvent,
		MaxEventSize:      opts.MaxEventSize,
		MaxLastEventIDLen: opts.MaxLastEventIDLen,
		Clock:             timeclock.New(),
		OnComment:         opts.OnComment,
		OnClose: func(ci *eventsource.CloseInfo) {
			c.info = &CloseInfo{
				Reason: CloseReason(ci.Reason), Fatal: ci.Fatal, Local: ci.Local,
				Status: ci.Status, StatusText: ci.StatusText, Data: ci.Data, Err: ci.Err,
			}
			if opts.OnClose != nil {
				opts.OnClose(c.info)
			}
		},
	}
	if f := opts.Classify; f != nil {
		o.Classify = func(r *eventsource.Response) eventsource.Verdict {
			return eventsource.Verdict(f(httptransport.HTTPResponse(r)))
		}
	}
	if f := opts.OnOpen; f != nil {
		o.OnOpen = func(r *eventsource.Response) { f(httptransport.HTTPResponse(r)) }
	}
	if f := opts.OnEvent; f != nil {
		o.OnEvent = func(ev wire.Event) { f(fromWire(ev)) }
	}
	if f := opts.OnError; f != nil {
		o.OnError = func(ei *eventsource.ErrorInfo) { f(errorInfo(ei)) }
	}
	c.c = eventsource.NewClient(url, o)
	return c
}

// Run connects and delivers events to the callbacks until the client closes. It returns
// nil when the client closed normally (Close, a cancelled ctx, completion, 204) and a
// *CloseError when it failed. Run may be called once: a second call returns
// ErrAlreadyStarted, and a call after Close returns nil at once.
func (c *Client) Run(ctx context.Context) error {
	return c.err(c.c.Run(ctx))
}

// Events returns an iterator over the client's events, running the client while the loop
// runs: breaking out of the loop closes the client. When the client fails, the last pair
// has a zero Event and the *CloseError; after a normal close the loop just ends. OnEvent
// is not called for events taken this way. Like Run, Events may be used once.
func (c *Client) Events(ctx context.Context) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		for ev, err := range c.c.Events(ctx) {
			if !yield(fromWire(ev), c.err(err)) {
				return
			}
		}
	}
}

// err turns the state machine's *CloseError into the public one.
func (c *Client) err(err error) error {
	if _, ok := err.(*eventsource.CloseError); ok {
		return &CloseError{c.info}
	}
	return err
}

// Close closes the client with CloseLocal. It may be called at any time, from any
// goroutine, any number of times. Called from a callback, nothing but OnClose follows it.
// Called from another goroutine, one callback that is already being dispatched may still
// run; Close does not wait for it (that would deadlock a Close from inside a callback).
// Done is closed once nothing more will be called.
func (c *Client) Close() { c.c.Close() }

// Restart drops the current connection and connects again at once: it aborts the attempt
// in progress (a request, or an open stream), or ends the wait before the next attempt,
// e.g. when the application knows that the network came back or that its credentials
// changed (PrepareRequest runs again). It may be called at any time, from any goroutine,
// a callback included, any number of times; on a client that has not started or has
// closed it does nothing.
//
// A restart is not a failure: no OnError, no delay, and the failure count does not grow
// (it starts again from zero when the dropped connection had stayed open for
// RetryPolicy.ResetAfter, as after any connection). ReadyState becomes StateConnecting at
// once, unless the client closed meanwhile; OnOpen follows when the new connection opens.
// No event of the dropped connection is delivered after Restart returns but one already
// being dispatched on another goroutine (Restart does not wait for it); an incomplete
// event is discarded, as at the end of a stream. The new attempt sends the last event ID
// of the events delivered (LastEventID), and the reconnection time learnt from a retry
// field is kept.
func (c *Client) Restart() { c.c.Restart() }

// Done returns a channel that is closed when the client has closed and OnClose returned.
func (c *Client) Done() <-chan struct{} { return c.c.Done() }

// ReadyState returns the current state.
func (c *Client) ReadyState() ReadyState { return ReadyState(c.c.ReadyState()) }

// LastEventID returns the last event ID string, which the next attempt sends.
func (c *Client) LastEventID() string { return c.c.LastEventID() }

// CloseInfo returns why the client closed, or nil while it has not (until Done is
// closed).
func (c *Client) CloseInfo() *CloseInfo {
	select {
	case <-c.c.Done():
		return c.info
	default:
		return nil
	}
}
