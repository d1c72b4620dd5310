package server

import (
	"log/slog"
	"net/http"
	"time"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/internal/protocol"
)

// Defaults of the Options fields.
const (
	// DefaultHeartbeatInterval is how long a stream may stay idle before the server writes a
	// heartbeat.
	DefaultHeartbeatInterval = 15 * time.Second
	// DefaultWriteTimeout bounds one write to a client; a client that does not take the
	// bytes in time is evicted.
	DefaultWriteTimeout = 10 * time.Second
	// DefaultQueueSize is how many events may wait for a session's writer.
	DefaultQueueSize = 64
	// DefaultRetryAfter is the Retry-After of a 503 answer (MaxSessions, Shutdown), and the
	// retry hint of a request that must come back later (see Options.RetryAfter).
	DefaultRetryAfter = 5 * time.Second
	// DefaultMaxReplayTopics is the default of Options.MaxReplayTopics.
	DefaultMaxReplayTopics = 10_000
	// DefaultMaxRequestBody is the default of Options.MaxRequestBody: 1 MiB.
	DefaultMaxRequestBody = 1 << 20
	// MaxLastEventIDLen is the longest Last-Event-ID the server accepts; a longer one is
	// ignored, as if the client had sent none.
	MaxLastEventIDLen = protocol.MaxLastEventIDLen
)

// OverflowPolicy says what happens to a subscriber whose queue is full when an event is
// published to it.
type OverflowPolicy int

const (
	// OverflowDisconnect ends the slow subscriber's session (ReasonEvicted,
	// ErrSlowSubscriber) and its client reconnects, resuming from the replay buffer when
	// there is one. The default.
	OverflowDisconnect OverflowPolicy = iota
	// OverflowDrop discards the event for that subscriber only; its session stays open.
	// The number of events dropped is reported by Session.Dropped.
	OverflowDrop
)

// Options configure a Server. The zero value is usable: it serves streams that stay open
// (heartbeats only) until the client goes away. Fields are read once by New.
type Options struct {
	// Stream is called, in its own goroutine, for every accepted request with its session,
	// after the response headers and the replay have been written. When Stream returns,
	// the session ends once the events already queued are written (ReasonClosed); a
	// Stream that only sets things up and should leave the stream open blocks on
	// <-s.Done(). Stream must return soon after Done is closed. A panic in Stream is
	// recovered and logged, and ends the session. When Stream is nil a session stays open
	// until its client goes away, it is closed or evicted, or Shutdown.
	Stream func(s *Session)

	// Refuse, when set, runs for every request before any session exists (after the
	// completion check and after the request body has been read). It returns nil to serve
	// the request, or an error to refuse it: the status of a *StatusError, or of any error
	// with a method StatusCode() int, with the error's message as the body (204 No
	// Content, which tells clients to stop reconnecting, has no body); any other error
	// answers 500 and is logged. It is called concurrently.
	Refuse func(r *http.Request) error

	// Topics, when set, names the topics a request subscribes to: events published to any
	// of them reach the session (once, however many of its topics they were published to).
	// It is called concurrently, before the session starts.
	Topics func(r *http.Request) []string

	// HeartbeatInterval is how long a stream may stay idle before a heartbeat is written;
	// every write restarts it. It is announced in milliseconds in the response header
	// SSE-Heartbeat-Interval. Zero means DefaultHeartbeatInterval; negative disables
	// heartbeats (and the header).
	HeartbeatInterval time.Duration
	// HeartbeatEvent, when set, is the heartbeat written instead of a ":" comment line;
	// its ID is ignored (a heartbeat never moves the client's last event ID). New panics
	// when it cannot be encoded.
	HeartbeatEvent *sse.Event

	// ReconnectionTime, when positive, is sent as a retry field at the start of every
	// stream: how long clients wait before they reconnect.
	ReconnectionTime time.Duration

	// Store records the tokens of Session.Complete and Session.Fail and redeems them when
	// a client reconnects with one as its Last-Event-ID. Nil means a new in-memory
	// sse.MemoryStore for this Server. When redeeming fails with an error (the store is
	// down), the error is logged and the request is answered with an empty stream that
	// asks the client to come back after RetryAfter, with the same Last-Event-ID: never
	// served as an ordinary reconnect, which could restart finished work.
	Store sse.CompletionStore
	// TokenTTL is how long a completion token stays redeemable. Zero means
	// sse.DefaultTokenTTL (5 minutes).
	TokenTTL time.Duration
	// FatalStatus is the status of a reconnect that redeems a Fail token. Zero means
	// 204 No Content. The response carries SSE-Outcome: fatal either way.
	FatalStatus int

	// Broker fans published events out and replays what resuming clients missed. Nil
	// means an in-memory broker for this Server, configured by ReplaySize, ReplayAge,
	// MaxReplayTopics and AutoID (which a Broker of your own ignores). A request whose
	// subscription fails (the broker is down) is answered with an empty stream that asks
	// the client to come back after RetryAfter.
	Broker Broker
	// ReplaySize is how many published events each topic keeps for clients that reconnect
	// with a Last-Event-ID. Zero disables replay.
	ReplaySize int
	// ReplayAge, when positive, is how long a published event stays in a replay buffer.
	// Zero keeps events until ReplaySize pushes them out.
	ReplayAge time.Duration
	// MaxReplayTopics bounds the topics kept only for their replay buffers (published to,
	// no subscriber now); beyond it, those published to longest ago are dropped. Zero
	// means DefaultMaxReplayTopics.
	MaxReplayTopics int
	// AutoID gives every published event without an ID one: a prefix chosen at random by
	// New followed by the event's position in the Server's log. Exact resume needs it:
	// with such ids the server tells an id it no longer holds events after (a gap) from
	// one it never issued; with ids of your own it knows only the ids still in a replay
	// buffer, and reports every other id as unknown. With AutoID and replay, a session
	// without a Last-Event-ID starts with an event that has only an id, its position in
	// the log (see Resume.Start), so that a client whose connection drops before its
	// first event resumes from there too.
	AutoID bool
	// GapEvent, when set, is written first to a session whose resume is a gap (see
	// Session.ReplayGap), so that clients that cannot read response headers (a browser's
	// EventSource) learn of it. New panics when it cannot be encoded.
	GapEvent *sse.Event

	// QueueSize is how many events may wait for one session's writer. Zero means
	// DefaultQueueSize. A full queue makes Session.Push wait and Publish apply Overflow.
	QueueSize int
	// Overflow is what Publish does to a subscriber whose queue is full. The zero value is
	// OverflowDisconnect.
	Overflow OverflowPolicy

	// MaxSessions, when positive, bounds the number of open sessions; a request over the
	// bound is answered 503 Service Unavailable with Retry-After.
	MaxSessions int
	// RetryAfter is the Retry-After of 503 answers, and the retry field of the empty
	// stream that answers a request when the completion store or the broker fails. Zero
	// means DefaultRetryAfter. Retry-After is sent in whole seconds, at least 1.
	RetryAfter time.Duration
	// ShutdownStatus is the status of requests that arrive after Shutdown began. Zero means
	// 503 Service Unavailable (sent with Retry-After).
	ShutdownStatus int

	// Header holds extra headers for every stream response; they are set after the
	// protocol's headers and so may override them.
	Header http.Header

	// WriteTimeout bounds every write to a client, heartbeats included; a client that
	// takes longer is evicted (ReasonEvicted, ErrWriteTimeout). Zero means
	// DefaultWriteTimeout; negative disables the bound. The http.Server's own WriteTimeout
	// is cleared for streams.
	WriteTimeout time.Duration

	// LastEventIDQuery, when set, names a query parameter read as the last event ID when
	// the request has no Last-Event-ID header (clients use it to avoid a CORS preflight).
	LastEventIDQuery string

	// MaxRequestBody bounds the request body (of a POST stream, say), which the server
	// reads before the response starts, so that Refuse, Topics and Stream can all read
	// it through Request().Body (net/http closes the body once a response is flushed). A
	// longer body is answered 413 Request Entity Too Large. Zero means
	// DefaultMaxRequestBody; negative leaves the body unread (then it cannot be read once
	// the stream has started).
	MaxRequestBody int64

	// Logger receives panics, refusal errors, store and broker errors, misconfigurations
	// (once per cause), and session starts and ends at debug level. Nil means
	// slog.Default().
	Logger *slog.Logger
}

// withDefaults returns o with every zero value that has a default replaced by it.
func (o Options) withDefaults() Options {
	if o.HeartbeatInterval == 0 {
		o.HeartbeatInterval = DefaultHeartbeatInterval
	}
	if o.Store == nil {
		o.Store = new(sse.MemoryStore)
	}
	if o.MaxReplayTopics <= 0 {
		o.MaxReplayTopics = DefaultMaxReplayTopics
	}
	if o.QueueSize <= 0 {
		o.QueueSize = DefaultQueueSize
	}
	if o.RetryAfter <= 0 {
		o.RetryAfter = DefaultRetryAfter
	}
	if o.ShutdownStatus == 0 {
		o.ShutdownStatus = http.StatusServiceUnavailable
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.MaxRequestBody == 0 {
		o.MaxRequestBody = DefaultMaxRequestBody
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Broker == nil {
		o.Broker = newHub(hubConfig{
			replaySize: o.ReplaySize,
			replayAge:  o.ReplayAge,
			maxTopics:  o.MaxReplayTopics,
			autoID:     o.AutoID,
		})
	}
	return o
}
