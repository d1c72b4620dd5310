//go:build !js

package server

import (
	"log/slog"
	"net/http"
	"time"

	sse "github.com/polysse/sse"
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
	// DefaultRetryAfter is the Retry-After of a 503 answer (MaxSessions, Shutdown).
	DefaultRetryAfter = 5 * time.Second
	// DefaultMaxReplayTopics is the default of Options.MaxReplayTopics.
	DefaultMaxReplayTopics = 10_000
	// MaxLastEventIDLen is the longest Last-Event-ID the server accepts; a longer one is
	// ignored, as if the client had sent none.
	MaxLastEventIDLen = 1024
)

// OverflowPolicy says what Publish does to a subscriber whose queue is full.
type OverflowPolicy int

const (
	// Disconnect ends the slow subscriber's session (ReasonEvicted, ErrSlowSubscriber) and
	// its client reconnects, resuming from the replay buffer when there is one. The default.
	Disconnect OverflowPolicy = iota
	// Drop discards the event for that subscriber only; its session stays open. The
	// number of events dropped is reported by Session.Dropped.
	Drop
)

// Options configure a Server. The zero value is usable: it serves streams that stay open
// (heartbeats only) until the client goes away. Fields are read once by New.
type Options struct {
	// Stream is called, in its own goroutine, for every accepted request with its session,
	// after the response headers have been sent and after the session has been subscribed
	// to its Topics. When Stream returns, the session ends once the events already queued
	// are written (ReasonClosed); a Stream that only sets things up and should leave the
	// stream open blocks on <-s.Done(). Stream must return soon after Done is closed. A
	// panic in Stream is recovered and logged, and ends the session. When Stream is nil a
	// session stays open until its client goes away, it is closed or evicted, or Shutdown.
	Stream func(s *Session)

	// Refuse, when set, runs for every request before any session exists (after the
	// completion check). It returns true to answer 204 No Content, which tells clients to
	// stop reconnecting; or an error to answer with the status of a *StatusError (or any
	// error with a method StatusCode() int) and its message as the body; other errors
	// answer 500 and are logged. It is called concurrently.
	Refuse func(r *http.Request) (refuse bool, err error)

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

	// Retry, when positive, is sent as a retry field at the start of every stream: the
	// reconnection time clients use.
	Retry time.Duration

	// Store records the tokens of Session.Complete and Session.Fail and redeems them when
	// a client reconnects with one as its Last-Event-ID. Nil means a new in-memory
	// sse.MemoryStore for this Server. When redeeming fails with an error, the error is
	// logged and the request is served as an ordinary reconnect.
	Store sse.CompletionStore
	// TokenTTL is how long a completion token stays redeemable. Zero means
	// sse.DefaultTokenTTL (5 minutes).
	TokenTTL time.Duration
	// FatalStatus is the status of a reconnect that redeems a Fail token. Zero means
	// 204 No Content. The response carries SSE-Outcome: fatal either way.
	FatalStatus int

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
	// AutoID gives every published event without an ID a unique one: a prefix chosen at
	// random by New followed by a sequence number. Replay needs ids.
	AutoID bool

	// QueueSize is how many events may wait for one session's writer. Zero means
	// DefaultQueueSize. A full queue makes Session.Push wait and Publish apply Overflow.
	QueueSize int
	// Overflow is what Publish does to a subscriber whose queue is full. The zero value is
	// Disconnect.
	Overflow OverflowPolicy

	// MaxSessions, when positive, bounds the number of open sessions; a request over the
	// bound is answered 503 Service Unavailable with Retry-After.
	MaxSessions int
	// RetryAfter is the Retry-After of 503 answers. Zero means DefaultRetryAfter. It is sent
	// in whole seconds, at least 1.
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

	// Logger receives panics, refusal errors and store errors, and session starts and
	// ends at debug level. Nil means slog.Default().
	Logger *slog.Logger
}
