package redis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/server"
	"github.com/redis/rueidis"
)

// Defaults of BrokerOptions.
const (
	// DefaultLogName names a Server's log when BrokerOptions.Name is empty.
	DefaultLogName = "events"
	// DefaultMaxLen is how many entries a log keeps at least (Redis trims it
	// approximately, so it may hold a few hundred more).
	DefaultMaxLen = 10_000
	// DefaultMaxReplay bounds the events replayed to one resuming session.
	DefaultMaxReplay = 1000
	// DefaultResumeBuffer bounds the live events a resuming session buffers while its
	// replay is read from Redis.
	DefaultResumeBuffer = 1024
	// DefaultCacheSize is how many of the newest entries a node keeps to serve resumes
	// without a Redis round trip.
	DefaultCacheSize = 1024
	// DefaultReadBatch bounds the entries one XREAD or XRANGE returns.
	DefaultReadBatch = 512
	// DefaultBlock is how long one XREAD of the reader waits for new entries.
	DefaultBlock = 5 * time.Second
	// DefaultIdempotencyTTL is how long an idempotency key remembers its publish.
	DefaultIdempotencyTTL = 5 * time.Minute
)

// Errors of the Broker.
var (
	// ErrContinuity is wrapped by the Err of the sessions a Broker ended because its log
	// lost entries the node had not read yet (Redis restarted without its data, failed
	// over, or trimmed the log past a node that fell behind). Their clients reconnect with
	// their last event ID and are told of the gap.
	ErrContinuity = errors.New("redis: continuity of the log lost")
	// ErrReplayLimit is wrapped by the Err of a resuming session whose replay was longer
	// than BrokerOptions.MaxReplay (or its live events overflowed ResumeBuffer while the
	// replay was read): it ends after the first part, and its client resumes from there.
	ErrReplayLimit = errors.New("redis: replay cut at its limit")
	// ErrEventID is returned by Publish for an event that has an ID: the Broker gives
	// every event its position in the log as its id.
	ErrEventID = errors.New("redis: a published event must have no ID (the broker assigns it)")
)

// BrokerOptions configure a Broker. The zero value uses the defaults.
type BrokerOptions struct {
	// Prefix begins every key (as StoreOptions.Prefix). Empty means DefaultPrefix.
	Prefix string
	// Name names the Server's log: every node of one Server uses the same Prefix and
	// Name; different Servers sharing a Redis use different Names. Empty means
	// DefaultLogName. The log is the stream <Prefix>:{<Name>}:log; its other keys share
	// the {<Name>} hash tag, so that a Redis Cluster keeps them in one slot.
	Name string
	// MaxLen bounds the log: each publish trims it to about MaxLen entries (XADD MAXLEN
	// ~). A client that resumes from an id older than what the log holds gets a gap.
	// Zero means DefaultMaxLen.
	MaxLen int
	// MaxAge, when positive, also drops entries older than MaxAge at each publish (by the
	// time in their ids, XTRIM MINID ~).
	MaxAge time.Duration
	// MaxReplay bounds the events replayed to one resuming session. A session further
	// behind gets the first MaxReplay events, then ends, and its client resumes from there.
	// Zero means DefaultMaxReplay.
	MaxReplay int
	// ResumeBuffer bounds the live events held for a resuming session while its replay is
	// read from Redis; past it, the session ends after its replay and resumes again.
	// Zero means DefaultResumeBuffer.
	ResumeBuffer int
	// CacheSize is how many of the newest entries the node keeps in memory, so that a
	// client resuming from one of them is served without a Redis round trip; at most
	// MaxLen. Zero means DefaultCacheSize; negative keeps none.
	CacheSize int
	// ReadBatch bounds the entries read by one XREAD of the reader and one XRANGE of a
	// resume. Zero means DefaultReadBatch.
	ReadBatch int
	// Block is how long one XREAD of the reader waits for entries. A read that gets no
	// answer within twice that (at least Block + 1 s) is abandoned and its connection
	// closed and redialled: a wedged connection cannot silence a node for long. Zero
	// means DefaultBlock.
	Block time.Duration
	// Timeout bounds each Publish and the Redis reads of each Subscribe, on top of the
	// caller's context: past it they fail with an error wrapping ErrUnavailable and
	// server.ErrBrokerUnavailable. Zero means DefaultTimeout; negative means no bound but
	// the caller's context.
	Timeout time.Duration
	// IdempotencyTTL is how long a publish made with an idempotency key (see
	// WithIdempotencyKey) is remembered. Zero means DefaultIdempotencyTTL.
	IdempotencyTTL time.Duration
	// Logger receives the reader's connection errors and recoveries and continuity
	// breaks. Nil means slog.Default().
	Logger *slog.Logger
}

func (o BrokerOptions) withDefaults() BrokerOptions {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.Name == "" {
		o.Name = DefaultLogName
	}
	if o.MaxLen <= 0 {
		o.MaxLen = DefaultMaxLen
	}
	if o.MaxReplay <= 0 {
		o.MaxReplay = DefaultMaxReplay
	}
	if o.ResumeBuffer <= 0 {
		o.ResumeBuffer = DefaultResumeBuffer
	}
	if o.CacheSize == 0 {
		o.CacheSize = DefaultCacheSize
	}
	o.CacheSize = min(max(0, o.CacheSize), o.MaxLen) // no longer than the log: every node resumes alike
	if o.ReadBatch <= 0 {
		o.ReadBatch = DefaultReadBatch
	}
	if o.Block <= 0 {
		o.Block = DefaultBlock
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.IdempotencyTTL <= 0 {
		o.IdempotencyTTL = DefaultIdempotencyTTL
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Broker is a server.Broker on Redis: the events of one Server go through one ordered log,
// a Redis stream that every node reads, so that every node delivers every event to its
// sessions in the same order, and a client resumes on any node from the id of the last
// event it got, with nothing lost or repeated.
//
// # The log
//
// Publish appends the event with one Lua script that also chains it to the entry before
// (the entry's field p holds the previous entry's id) and trims the log to about MaxLen
// entries. The event's id is "<tag>:<ms>-<seq>": a tag of 6 characters that names the log
// (ids of other logs are recognised without a Redis call) and the stream entry id that
// Redis chose from its clock, which is never reused, even after Redis lost its data.
// Events published with an ID are refused (ErrEventID).
//
// Each node runs one reader, which reads the log with XREAD BLOCK from the last entry it
// dispatched and delivers each entry to the node's sessions of its topics; a node's own
// publishes reach its sessions through the reader too, so that every node delivers in log
// order. The reader checks on every entry that it names the entry read before: when it
// does not (Redis restarted without its data or failed over, or trimmed the log past a
// node that fell behind), entries are missing that the node never saw, and every session
// of the node ends (Subscriber.End, with ErrContinuity) so that its client resumes and
// learns of the gap. Nothing is lost silently.
//
// Redis can also lose entries the node did read, and then nothing may come after them for
// a while (a failover to a replica that had not received the newest entries, with nothing
// published since). So the reader reads the log at its position again whenever it lost
// its connection (it reads on a connection of its own, so that it sees every loss: a
// command of the client's pool is retried on a new connection unseen) and after each
// Block spent without entries: when the log no longer holds the entry it dispatched last
// (the entry is gone or differs, and the entry after that position does not name it), the
// chain is broken there, and the node's sessions end as above, at once. From the loss of
// its connection to that check, the node serves no resume from its cache.
//
// # Resume
//
// A session that resumes from an id of this log is registered first (its live events are
// buffered), then its replay is read: from the node's cache of recent entries when the id
// is there, else from Redis (XRANGE from the id, paged). The replay and the buffer are
// merged by position, and nothing at or before the position already sent is sent again.
// Continuity is proven when the log still holds the id, or when the entry after it names
// it; otherwise the resume is a gap (server.ResumeGap: the id was trimmed, the log was
// lost, the id is older than the log, or it is after the log's newest entry although
// Redis's clock could have issued it: the log lost it, as when Redis fails over to a
// replica that had not received it), and nothing is replayed. An id of another log, or
// one no Server wrote (after the newest entry and later than Redis's clock), is
// server.ResumeUnknown.
//
// A session without a Last-Event-ID joins after the newest entry its node had dispatched
// or appended, and that entry's id is its start position (server.Resume.Start), which the
// Server writes first as an event with only an id: a client whose node is killed before
// it received any event resumes from there, on any node, like from any other id.
//
// # When Redis is down
//
// Publish fails within Timeout with an error wrapping ErrUnavailable and
// server.ErrBrokerUnavailable (see WithIdempotencyKey to retry safely). A resuming
// Subscribe fails the same way, and the Server answers the request with an empty stream
// and a retry hint, so that its client comes back later with the same id. Open sessions
// stay open (the Server's heartbeats keep them alive); the reader reconnects with a
// jittered backoff from 20 ms to 1 s and carries on from where it was, or ends the
// sessions when the log lost entries meanwhile. A resume from an id the node's cache
// holds is served from the cache until the reader finds its connection lost, and from
// Redis from then until the reader has checked the log again. Ready reports whether the
// reader is connected.
//
// # Bounds
//
// Every buffer is bounded: the log by MaxLen (and MaxAge), one replay by MaxReplay, one
// resume's live buffer by ResumeBuffer, the node's cache by CacheSize, one read by
// ReadBatch, idempotency keys by IdempotencyTTL.
//
// A Broker is safe for concurrent use. It does not own its client: close the client after
// the Broker.
type Broker struct {
	c      rueidis.Client
	o      BrokerOptions
	tag    string // of event ids, with its ':'
	logKey string
	last   string // key of the id of the newest entry
	resKey string // prefix of idempotency keys

	// mu is the node's dispatch lock: the topics and their members, the reader's
	// position and the cache. The reader delivers to sessions while holding it (lock
	// order: Broker.mu → the server's Session lock).
	mu      sync.Mutex
	closed  bool
	started bool   // the reader has a position: pos is meaningful (startedCh is closed)
	pos     pos    // the newest entry dispatched
	head    *entry // the entry at pos as the reader read it; nil when it has not read it
	// unsure: the reader lost its connection to Redis since it last checked that the log
	// still holds pos (Redis may have restarted or failed over meanwhile): the cache
	// serves no resume until the reader has checked again (see recheck).
	unsure    bool
	published pos    // the newest entry this node appended (it may not be dispatched yet)
	seq       uint64 // dispatches so far: a member offered dispatch n has last == n
	topics    map[string]*topic
	members   *member // every registered member, linked by prev and next
	cache     cache

	stop      context.CancelFunc
	startedCh chan struct{} // closed when the reader has its first position
	done      chan struct{} // closed when the reader has returned
	gate      atomic.Pointer[gate]
	health    health
	stats     stats
}

// topic is one topic's members on this node.
type topic struct {
	name string
	subs []*member
	at   []int32 // at[i] is the index of this topic in subs[i].slots
}

// chunk is how many topics Subscribe and Unsubscribe handle per hold of the lock.
const chunk = 256

// NewBroker returns a Broker for the log opts.Name, reading and writing it through c (see
// Dial), and starts its reader. Close it when the Server is done with it (Server.Shutdown
// does).
func NewBroker(c rueidis.Client, opts BrokerOptions) *Broker {
	o := opts.withDefaults()
	base := o.Prefix + ":{" + o.Name + "}:"
	b := &Broker{
		c:         c,
		o:         o,
		tag:       logTag(o.Prefix, o.Name) + ":",
		logKey:    base + "log",
		last:      base + "last",
		resKey:    base + "res:",
		topics:    make(map[string]*topic),
		startedCh: make(chan struct{}),
		done:      make(chan struct{}),
	}
	b.cache.init(o.CacheSize)
	ctx, cancel := context.WithCancel(context.Background())
	b.stop = cancel
	go b.read(ctx)
	return b
}

// The Broker implements server.Broker.
var _ server.Broker = (*Broker)(nil)

// Tag returns the tag that begins the ids of this log's events ("k7abq2:" with its
// colon). Nodes of one Server share it.
func (b *Broker) Tag() string { return b.tag }

type idempotencyKey struct{}

// WithIdempotencyKey returns a context under which a Publish of this package's Broker
// (through server.Server.Publish or PublishTo, which pass their context on) appends its
// event at most once per key: a Publish with a key already used within
// BrokerOptions.IdempotencyTTL appends nothing and returns the id of the earlier publish.
// Publish can fail after Redis appended the event (the answer was lost, or came after the
// timeout): retry such a publish with the same key, and it lands once. Keys are shared by
// the nodes of one log; an empty key means none.
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idempotencyKey{}, key)
}

// publishScript appends an event to the log, chained to the entry before it.
//
//	KEYS: log, last[, result]   ARGV: maxlen, topics, frame, result ttl ms, max age ms
var publishScript = rueidis.NewLuaScript(`
if KEYS[3] then
  local r = redis.call('GET', KEYS[3])
  if r then return r end
end
local prev = redis.call('GET', KEYS[2]) or '0-0'
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'p', prev, 't', ARGV[2], 'f', ARGV[3])
redis.call('SET', KEYS[2], id)
local age = tonumber(ARGV[5])
if age > 0 then
  local ms = tonumber(string.match(id, '^(%d+)'))
  redis.call('XTRIM', KEYS[1], 'MINID', '~', string.format('%.0f', ms - age))
end
if KEYS[3] then redis.call('SET', KEYS[3], id, 'PX', ARGV[4]) end
return id
`)

// Publish implements server.Broker: it appends ev to the log for topics and returns its
// id, "<tag>:<ms>-<seq>". The node's sessions get it from the reader, like every other
// node's. It fails with ErrEventID for an event with an ID, with an error wrapping
// ErrUnavailable and server.ErrBrokerUnavailable when Redis cannot take it within
// Timeout (the event may have been appended all the same: see WithIdempotencyKey), and
// with an error wrapping server.ErrServerClosed after Close.
func (b *Broker) Publish(ctx context.Context, topics []string, ev sse.Event) (string, error) {
	if b.isClosed() {
		return "", fmt.Errorf("redis: publish: %w", server.ErrServerClosed)
	}
	if ev.ID != "" {
		return "", ErrEventID
	}
	f, err := ev.AppendTo(nil)
	if err != nil {
		return "", err
	}
	if ev.Type == "" && ev.Data == "" {
		f = append(f, '\n') // with the id line before it, the frame ends like every event's
	}
	keys := []string{b.logKey, b.last}
	if key, _ := ctx.Value(idempotencyKey{}).(string); key != "" {
		keys = append(keys, b.resKey+key)
	}
	args := []string{
		itoa(int64(b.o.MaxLen)), encodeTopics(distinct(topics)), string(f),
		itoa(b.o.IdempotencyTTL.Milliseconds()), itoa(b.o.MaxAge.Milliseconds()),
	}
	cctx, cancel := withTimeout(ctx, b.o.Timeout)
	defer cancel()
	if err := b.waitStarted(cctx); err != nil {
		return "", brokerFailure(ctx, "publish", err)
	}
	id, err := publishScript.Exec(cctx, b.c, keys, args).ToString()
	if err != nil {
		return "", brokerFailure(ctx, "publish", err)
	}
	if p, ok := parsePos(id); ok {
		b.mu.Lock()
		if p.after(b.published) {
			b.published = p
		}
		b.mu.Unlock()
	}
	return b.tag + id, nil
}

// errNotStarted is the cause of a call that waited in vain for the reader's first read.
var errNotStarted = errors.New("the broker's reader has not reached Redis yet")

// waitStarted waits until the reader has its first position, so that the node's
// publishes and subscriptions come after it; it fails when ctx ends first.
func (b *Broker) waitStarted(ctx context.Context) error {
	select {
	case <-b.startedCh:
		return nil
	default:
	}
	select {
	case <-b.startedCh:
		return nil
	case <-b.done:
		return server.ErrServerClosed
	case <-ctx.Done():
		return errNotStarted
	}
}

// brokerFailure is failure, with server.ErrBrokerUnavailable also wrapped when Redis is
// unavailable.
func brokerFailure(ctx context.Context, op string, err error) error {
	err = failure(ctx, op, err)
	if errors.Is(err, ErrUnavailable) {
		return &unavailableError{err}
	}
	return err
}

// unavailableError is an error of Redis being unavailable, seen by the server as its
// broker being unavailable.
type unavailableError struct{ err error }

func (e *unavailableError) Error() string   { return e.err.Error() }
func (e *unavailableError) Unwrap() []error { return []error{e.err, server.ErrBrokerUnavailable} }

// parseID returns the position of an event id of this log.
func (b *Broker) parseID(id string) (pos, bool) {
	if len(id) <= len(b.tag) || id[:len(b.tag)] != b.tag {
		return pos{}, false
	}
	p, ok := parsePos(id[len(b.tag):])
	return p, ok && p != (pos{})
}

// Ready reports whether the broker can serve: nil when its reader is connected to Redis
// and Redis answers a PING; an error wrapping ErrUnavailable and
// server.ErrBrokerUnavailable when not; one wrapping server.ErrServerClosed after Close.
// Server.Ready calls it, for readiness probes.
func (b *Broker) Ready(ctx context.Context) error {
	if b.isClosed() {
		return fmt.Errorf("redis: broker: %w", server.ErrServerClosed)
	}
	if err := b.health.get(); err != nil {
		return &unavailableError{fmt.Errorf("%w: broker: reader: %w", ErrUnavailable, err)}
	}
	cctx, cancel := withTimeout(ctx, b.o.Timeout)
	defer cancel()
	if err := b.c.Do(cctx, b.c.B().Ping().Build().Pin()).Error(); err != nil {
		return brokerFailure(ctx, "ping", err)
	}
	return nil
}

// Close implements server.Broker: it stops the reader and waits until it has returned.
// Publish and Subscribe fail afterwards with an error wrapping server.ErrServerClosed.
// Sessions still registered receive nothing more. Close is idempotent; it does not close
// the client.
func (b *Broker) Close() error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.stop()
	<-b.done
	return nil
}

func (b *Broker) isClosed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}

// BrokerStats are counters of a Broker since it was made.
type BrokerStats struct {
	// Entries is how many log entries the reader dispatched.
	Entries uint64
	// Breaks is how many times the reader found the log's chain broken, ending every
	// session of the node: an entry it read did not name the one before (entries lost
	// before it read them), or the log no longer held the entry it had dispatched last
	// when it checked after losing its connection or waiting a Block for entries.
	Breaks uint64
	// Ended is how many sessions the breaks ended.
	Ended uint64
	// ReadErrors is how many reads of the reader failed (Redis unreachable, a wedged
	// connection abandoned).
	ReadErrors uint64
	// Resumes counts resuming sessions by how they were served: from the node's cache,
	// from Redis.
	ResumesCached, ResumesRedis uint64
	// Gaps is how many resumes were gaps.
	Gaps uint64
}

type stats struct {
	entries, breaks, ended, readErrors, cached, fromRedis, gaps atomic.Uint64
}

// Stats returns the broker's counters.
func (b *Broker) Stats() BrokerStats {
	s := &b.stats
	return BrokerStats{
		Entries: s.entries.Load(), Breaks: s.breaks.Load(), Ended: s.ended.Load(),
		ReadErrors: s.readErrors.Load(), ResumesCached: s.cached.Load(), ResumesRedis: s.fromRedis.Load(),
		Gaps: s.gaps.Load(),
	}
}

// health is the reader's state, for Ready.
type health struct {
	mu  sync.Mutex
	err error // nil when the reader's last round trip succeeded
	set bool  // the reader has made one
}

func (h *health) get() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.set {
		return errors.New("not connected yet")
	}
	return h.err
}

// put records the result of a round trip and returns the previous error.
func (h *health) put(err error) (prev error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	prev, h.err, h.set = h.err, err, true
	return prev
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
