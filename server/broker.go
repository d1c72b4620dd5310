package server

import (
	"context"
	"errors"
	"strconv"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/internal/protocol"
)

// A Broker fans a Server's published events out to its sessions and replays, to a session
// that resumes with a Last-Event-ID, the events it missed. Options.Broker plugs one in;
// without it a Server uses an in-memory broker configured by Options.ReplaySize,
// ReplayAge, MaxReplayTopics and AutoID. A broker that shares a log between processes
// (one on Redis, say) lets any instance resume any client exactly.
//
// # Ids are log positions
//
// A broker keeps one ordered log per Server. Each published event gets its id from the
// broker: a position in that log, which the broker can parse and order again later (the
// in-memory broker's ids are a random prefix and a sequence number, "1a2b3c4d-42"). That
// is what makes a resume exact: from the position in a Last-Event-ID the broker knows
// which events came after it, on every topic, and whether it still holds them all.
//
// # Who calls what
//
// The Server calls Publish from Server.Publish and Server.PublishTo, after validating the
// event; Subscribe from its handler (ServeHTTP), once per accepted request that has
// topics, before the response starts; Subscription.Unsubscribe once the session has
// ended; Close from Server.Shutdown, after every session has ended. The broker calls the
// Subscriber's methods, which the session implements.
//
// # Contract
//
//   - Publish encodes the event once and hands the same frame to every subscriber of any
//     of its topics, once per subscriber however many of its topics it names, in one
//     order common to all subscribers (the log's). It returns the event's id. It never
//     waits for a subscriber: Deliver does not block. An event that already has an ID
//     keeps it when the broker supports ids of the application's choosing, and is
//     refused with an error otherwise. After Close, or when the broker cannot reach its
//     log, Publish fails; errors of an unreachable log wrap ErrBrokerUnavailable.
//   - Subscribe registers a subscriber for topics (distinct or not) and returns its
//     Subscription and a Resume for lastEventID: the frames published after it to any
//     of the topics, oldest first, each once, followed by no gap and no duplicate by the
//     frames that Deliver hands over from then on. Deliver may be called before
//     Subscribe returns; the session writes Resume.Frames first regardless. Subscribe
//     may block (a network round trip) and honours ctx.
//   - Resume.Status is ResumeNone when lastEventID is empty or the broker keeps no
//     history; ResumeComplete when continuity from lastEventID is proven (Frames may be
//     empty: nothing was missed); ResumeGap when the log issued lastEventID but no
//     longer holds every event after it to these topics, or cannot prove that it does
//     (then Frames is empty); ResumeUnknown when the log never issued lastEventID.
//   - Without a lastEventID, a broker that keeps history and issues positions returns in
//     Resume.Start the position at which the subscription took effect: Deliver hands over
//     exactly the events published after it to the topics. A position is an id like any
//     other: a later Subscribe resuming from it (as its lastEventID) is ResumeComplete,
//     with every event published after it to its topics, or ResumeGap when the broker no
//     longer holds them all; never ResumeUnknown. It need not be the id of an event of
//     these topics (it may name an event of another topic, or no event at all: the
//     in-memory broker's "<prefix>-0" is the position before its first publish). The
//     Server sends it to the client (see Resume.Start), so that a client whose
//     connection drops before its first event resumes from where it started. A broker
//     that issues no positions (the in-memory one without AutoID or without replay)
//     leaves Start empty.
//   - Calls to one Subscriber's methods are serialised by the broker and come in log
//     order; they must not call the broker back. A Deliver that returns false means the
//     session is ending: the broker never calls that subscriber again (the session
//     unsubscribes once it has ended).
//   - Subscriber.End ends the session with a plain end of response after what it has
//     queued; a broker calls it when it can no longer prove continuity for a live
//     subscriber (its log was lost or trimmed past it), so that the client resumes and
//     learns of the gap. The in-memory broker never needs to.
//   - Unsubscribe costs O(topics of that subscriber), as does Subscribe, and neither
//     holds up publishers for long (the in-memory broker registers and removes at most
//     256 topics per hold of its lock). A resume also reads what it replays: the
//     in-memory broker takes its snapshot in the one hold in which the subscriber joins,
//     at a cost of O(topics + replayed events) with automatic ids, and of O(topics ×
//     ReplaySize) to find an id of the application's own. Unsubscribe is idempotent.
//   - A broker is safe for concurrent use. A broker may implement
//     interface{ Ready(context.Context) error }, which Server.Ready calls for readiness
//     probes.
type Broker interface {
	// Publish appends ev to the log for topics, delivers it to their subscribers and
	// returns its id (ev.ID when the event had one and the broker keeps it; "" when the
	// broker assigns none).
	Publish(ctx context.Context, topics []string, ev sse.Event) (id string, err error)
	// Subscribe registers sub for topics and returns what to replay after lastEventID.
	Subscribe(ctx context.Context, sub Subscriber, topics []string, lastEventID string) (Subscription, Resume, error)
	// Close releases the broker's resources. Publish and Subscribe fail afterwards, with
	// an error wrapping ErrServerClosed.
	Close() error
}

// Subscriber is what a Broker delivers to: a session. The Server implements it; a Broker
// only calls it.
type Subscriber interface {
	// Deliver queues an encoded event (a frame) for the session without blocking. The
	// frame is shared with other subscribers: neither side may modify it. It returns false
	// when the session is ending (it was evicted, its client went away, or it closed):
	// the broker must then forget the subscriber.
	Deliver(frame []byte) bool
	// End ends the session with a plain end of response once what it has queued is
	// written; its Err then wraps err. The client reconnects with its last event ID.
	End(err error)
}

// Subscription is a Subscriber's registration with a Broker.
type Subscription interface {
	// Unsubscribe removes the subscriber from every topic. It is idempotent.
	Unsubscribe()
}

// Resume is what a Broker's Subscribe tells about the request's Last-Event-ID.
type Resume struct {
	// Status says whether the replay is complete. It is sent to the client in the
	// SSE-Replay response header (unless it is ResumeNone) and a gap is reported by
	// Session.ReplayGap.
	Status ResumeStatus
	// Frames are the encoded events to write before any live one, oldest first.
	Frames [][]byte
	// Start is, for a subscription without a Last-Event-ID (Status ResumeNone), the log
	// position at which it took effect; "" when the broker issues none. The Server writes
	// it right after the preamble as an event with only an id, "id: <Start>\n\n": by the
	// standard's dispatch rules it sets the client's last event ID and dispatches
	// nothing, so that a client whose connection drops before its first event reconnects
	// with Start as its Last-Event-ID and resumes exactly (or is told of the gap) instead
	// of reconnecting as a new stream and silently missing what was published meanwhile.
	// The Server ignores Start with any other Status, and a Start that is not a valid id
	// (it holds CR, LF or NUL, or is longer than MaxLastEventIDLen), which it logs once.
	// A resumed session keeps the client's id on purpose: after a gap, a client whose
	// connection drops before its next event is told of the gap again rather than
	// resuming past it (an id-only event could arrive without the gap event behind it),
	// and an unknown id may be the application's own (Session.Push), which is not the
	// log's to replace.
	Start string
}

// ResumeStatus says how a session resumed from its Last-Event-ID.
type ResumeStatus uint8

// The resume statuses.
const (
	// ResumeNone: the request had no Last-Event-ID, or no replay applies (the session has
	// no topics, or the broker keeps no history). A broker that issues positions gives
	// such a session its start position (Resume.Start).
	ResumeNone ResumeStatus = iota
	// ResumeComplete: every event published after the Last-Event-ID to the session's
	// topics is replayed (possibly none): nothing was lost.
	ResumeComplete
	// ResumeGap: the Last-Event-ID was issued by this log, but events published after it
	// are no longer all held (or their continuity cannot be proven): some are lost.
	// Nothing is replayed; live events follow (after Options.GapEvent when set).
	ResumeGap
	// ResumeUnknown: the log never issued the Last-Event-ID (an id of another server, of
	// Session.Push, or a forged one): nothing is replayed.
	ResumeUnknown
)

// String returns "none", "complete", "gap" or "unknown": the value of the SSE-Replay
// response header.
func (r ResumeStatus) String() string {
	switch r {
	case ResumeNone:
		return "none"
	case ResumeComplete:
		return protocol.ReplayComplete
	case ResumeGap:
		return protocol.ReplayGap
	case ResumeUnknown:
		return protocol.ReplayUnknown
	}
	return "ResumeStatus(" + strconv.Itoa(int(r)) + ")"
}

// ErrBrokerUnavailable is wrapped by the errors of a Broker that cannot reach its log
// (its database is down, say). Publish returns it; a request whose subscription fails is
// answered with an empty stream and a retry hint, so that its client comes back later.
var ErrBrokerUnavailable = errors.New("server: broker unavailable")

// readier is implemented by brokers and completion stores that can tell whether they are
// ready to serve.
type readier interface {
	Ready(ctx context.Context) error
}
