package redis

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/polysse/sse/server"
	"github.com/redis/rueidis"
)

// Bounds of the reader's reconnection backoff: the delay doubles from retryMin to retryMax
// and each wait is a random time between half the delay and the delay.
const (
	retryMin = 20 * time.Millisecond
	retryMax = time.Second
)

// read is the node's reader: it reads the log from the last entry dispatched and
// dispatches every entry, checking that each names the one before it. It reads on a
// connection of its own (readerConn), so that it sees every loss of it: the client's pool
// would retry a read on a new connection, to a Redis that may have failed over
// meanwhile, without a word. After such a loss, and after a read that waited a Block for
// nothing, it checks the log at its position before it reads on (recheck). It returns
// when ctx is cancelled (Close).
func (b *Broker) read(ctx context.Context) {
	defer close(b.done)
	conn := readerConn{c: b.c}
	defer conn.drop()
	var retry backoff
	check := false // recheck before the next read
	fail := func(err error) bool {
		conn.drop()
		if ctx.Err() != nil {
			return false
		}
		check = true
		b.readFailed(ctx, err)
		return retry.wait(ctx)
	}
	for ctx.Err() == nil {
		b.mu.Lock()
		started := b.started
		b.mu.Unlock()
		if !started {
			if err := b.start(ctx); err != nil {
				if !fail(err) {
					return
				}
				continue
			}
		}
		if !b.waitGate(ctx) {
			return
		}
		if check {
			if err := b.recheck(ctx, conn.get()); err != nil {
				if !fail(err) {
					return
				}
				continue
			}
			check = false
			retry.reset()
			b.readWorks(ctx)
		}
		entries, err := b.xread(ctx, conn.get())
		if err != nil {
			if !fail(err) {
				return
			}
			continue
		}
		retry.reset()
		b.readWorks(ctx)
		check = len(entries) == 0 // a Block without entries: the log may have been lost quietly
		b.dispatch(ctx, entries)
	}
}

// readerConn is the reader's own connection to Redis, a dedicated one of the client's.
type readerConn struct {
	c rueidis.Client
	d rueidis.DedicatedClient
}

// get returns the connection, taking one from the client when there is none.
func (r *readerConn) get() rueidis.DedicatedClient {
	if r.d == nil {
		r.d, _ = r.c.Dedicate() // given back by drop
	}
	return r.d
}

// drop closes the connection: a read abandoned on it may still be pending, so it never
// goes back to the client's pool.
func (r *readerConn) drop() {
	if r.d != nil {
		r.d.Close()
		r.d = nil
	}
}

// backoff is the reader's delay before it reconnects: it doubles from retryMin to
// retryMax, and each wait is a random time between half of it and all of it.
type backoff struct{ delay time.Duration }

// wait waits for the next attempt; it returns false when ctx is done first.
func (r *backoff) wait(ctx context.Context) bool {
	d := max(r.delay, retryMin)
	r.delay = min(2*d, retryMax)
	t := time.NewTimer(d/2 + rand.N(d/2+1))
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (r *backoff) reset() { r.delay = retryMin }

// readFailed records a failed round trip of the reader: Redis may change before the
// next one succeeds (restart, failover), so the cache serves no resume until the reader
// has checked the log again.
func (b *Broker) readFailed(ctx context.Context, err error) {
	b.mu.Lock()
	b.unsure = true
	b.mu.Unlock()
	b.stats.readErrors.Add(1)
	if prev := b.health.put(err); prev == nil {
		b.o.Logger.LogAttrs(ctx, slog.LevelWarn, "redis: broker: reading the log failed; retrying with backoff (open streams stay open)",
			slog.String("log", b.logKey), slog.String("error", err.Error()))
	}
}

// readWorks records a successful round trip of the reader.
func (b *Broker) readWorks(ctx context.Context) {
	if prev := b.health.put(nil); prev != nil {
		b.o.Logger.LogAttrs(ctx, slog.LevelInfo, "redis: broker: reading the log again", slog.String("log", b.logKey))
	}
}

// start finds the reader's first position, the head of the log (see logHead). Sessions
// that join before it get the entries after it.
func (b *Broker) start(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, b.readTimeout())
	defer cancel()
	res := b.c.DoMulti(cctx,
		b.c.B().Xrevrange().Key(b.logKey).End("+").Start("-").Count(1).Build().Pin(),
		b.c.B().Get().Key(b.last).Build().Pin())
	p, head, err := b.logHead(ctx, cctx, res[0], res[1])
	if err != nil {
		return err
	}
	b.mu.Lock()
	b.pos, b.head, b.started = p, head, true
	b.tellStartsLocked()
	b.mu.Unlock()
	close(b.startedCh)
	b.health.put(nil)
	return nil
}

// logHead returns the position a reader takes in the log as it is, from the answers to
// XREVRANGE + - COUNT 1 (top) and GET of the last key: the newest entry of the log (also
// returned), or the id in the last key when the log is empty, or else a first entry it
// appends, to no topic. ctx is the caller's context (for errors), cctx bounds the call.
func (b *Broker) logHead(ctx, cctx context.Context, top, last rueidis.RedisResult) (pos, *entry, error) {
	entries, err := top.AsXRange()
	if err != nil {
		return pos{}, nil, failure(ctx, "read the log's top", err)
	}
	lastID, err := last.ToString()
	if err != nil && !rueidis.IsRedisNil(err) {
		return pos{}, nil, failure(ctx, "read the log's last id", err)
	}
	if len(entries) > 0 {
		e, _ := b.parseEntry(entries[0], true)
		if e == nil {
			return pos{}, nil, fmt.Errorf("redis: the log's newest entry has the id %q", entries[0].ID)
		}
		return e.pos, e, nil
	}
	if p, ok := parsePos(lastID); ok {
		return p, nil, nil
	}
	// A new (or lost) log: its first entry, to no topic, gives the node a position that
	// is an id. 0-0 would not do: it names the start of every incarnation of the log,
	// and a client holding it after Redis lost the log would resume "complete".
	keys := []string{b.logKey, b.last}
	args := []string{itoa(int64(b.o.MaxLen)), "", "", "0", itoa(b.o.MaxAge.Milliseconds())}
	id, err := publishScript.Exec(cctx, b.c, keys, args).ToString()
	if err != nil {
		return pos{}, nil, failure(ctx, "start the log", err)
	}
	p, ok := parsePos(id)
	if !ok {
		return pos{}, nil, fmt.Errorf("redis: the log's first entry has the id %q", id)
	}
	return p, nil, nil
}

// recheck checks, on the reader's connection conn, that the log still holds the entry
// the reader dispatched last: the entry at its position is there and is the one it read,
// or the entry after the position names it, or the log holds nothing after it and its
// last key names it. When not, Redis lost entries the node had dispatched (it restarted
// without them, failed over to a replica that had not received them, or the log was
// deleted), and no entry may come to reveal it: the chain is broken there, as when an
// entry read does not name the one before (breakLocked), and the reader goes on from
// the log's head (logHead). Either way, the cache serves resumes again.
func (b *Broker) recheck(ctx context.Context, conn rueidis.DedicatedClient) error {
	cctx, cancel := b.readContext(ctx)
	defer cancel()
	at := b.pos // only the reader changes it
	res := conn.DoMulti(cctx,
		conn.B().Xrange().Key(b.logKey).Start(at.String()).End("+").Count(2).Build().Pin(),
		conn.B().Get().Key(b.last).Build().Pin(),
		conn.B().Xrevrange().Key(b.logKey).End("+").Start("-").Count(1).Build().Pin())
	from, err := res[0].AsXRange()
	if err != nil {
		return failure(ctx, "check the log", err)
	}
	last, err := res[1].ToString()
	if err != nil && !rueidis.IsRedisNil(err) {
		return failure(ctx, "check the log", err)
	}
	if b.holdsHead(from, last) {
		b.mu.Lock()
		b.unsure = false
		b.mu.Unlock()
		return nil
	}
	p, head, err := b.logHead(ctx, cctx, res[2], res[1])
	if err != nil {
		return err
	}
	b.mu.Lock()
	ended := b.breakLocked()
	b.pos, b.head, b.unsure = p, head, false
	b.mu.Unlock()
	b.logBreak(ctx, ended, slog.String("read", at.String()), slog.String("log_head", p.String()))
	return nil
}

// holdsHead reports whether the log, as XRANGE from the reader's position (COUNT 2) and
// GET of the last key answered, still holds the entry the reader dispatched last.
func (b *Broker) holdsHead(from []rueidis.XRangeEntry, last string) bool {
	if len(from) == 0 {
		return last == b.pos.String() // nothing at or after it, and the next entry will name it
	}
	e, _ := b.parseEntry(from[0], true)
	switch {
	case e == nil:
		return false
	case e.pos != b.pos:
		return e.prev == b.pos // the entry itself was trimmed, but the chain goes on from it
	case b.head == nil:
		return true // the reader has not read the entry it started from: its id must do
	default:
		// The same id with other content: a Redis whose clock is behind issued the id
		// again after losing the entry.
		return e.prev == b.head.prev && slices.Equal(e.topics, b.head.topics) && bytes.Equal(e.frame, b.head.frame)
	}
}

// tellStartsLocked delivers the reader's first position, as an event with only an id, to
// the sessions without a Last-Event-ID that joined before it: they receive the entries
// after it, so it is their start position (see Subscribe).
func (b *Broker) tellStartsLocked() {
	for m := b.members; m != nil; m = m.next {
		if !m.awaitStart {
			continue
		}
		m.awaitStart = false
		if m.gone {
			continue
		}
		m.pos, m.sent = b.pos, true
		if !m.sub.Deliver(b.frame(b.pos, "\n")) {
			m.gone = true // its session is ending: it unsubscribes
		}
	}
}

// The read-only commands are pinned (never recycled into rueidis's pool of commands):
// rueidis retries a read-only command on a new connection when the first fails, and
// recycles it after the retry succeeds, with no synchronisation with the first
// connection's writer, which may still hold it (the race detector reports it when Redis
// restarts under load). A pinned command costs one allocation per call.

// readTimeout bounds one XREAD: the Block time plus as much again (at least a second)
// for the answer to come. A connection that does not answer within it is closed by the
// reader and redialled.
func (b *Broker) readTimeout() time.Duration {
	return b.o.Block + max(b.o.Block, time.Second)
}

// readContext returns the context of one round trip of the reader on its connection: ctx,
// cancelled after readTimeout. It has no deadline, so that the client abandons the call
// as soon as it is cancelled (Close) or times out, and the reader then closes its
// connection (with a deadline, the client would wait on the socket even after Close).
func (b *Broker) readContext(ctx context.Context) (context.Context, context.CancelFunc) {
	cctx, cancel := context.WithCancel(ctx)
	wedged := time.AfterFunc(b.readTimeout(), cancel)
	return cctx, func() {
		wedged.Stop()
		cancel()
	}
}

// xread reads, on the reader's connection conn, the entries after the reader's position,
// waiting up to Block for some.
func (b *Broker) xread(ctx context.Context, conn rueidis.DedicatedClient) ([]*entry, error) {
	cctx, cancel := b.readContext(ctx)
	defer cancel()
	cmd := conn.B().Xread().Count(int64(b.o.ReadBatch)).Block(b.o.Block.Milliseconds()).
		Streams().Key(b.logKey).Id(b.pos.String()).Build().Pin()
	streams, err := conn.Do(cctx, cmd).AsXRead()
	if rueidis.IsRedisNil(err) {
		return nil, nil // nothing new within Block: the connection is alive
	}
	if err != nil {
		if ctx.Err() == nil && cctx.Err() != nil {
			err = fmt.Errorf("no answer within %v: %w", b.readTimeout(), err)
		}
		return nil, failure(ctx, "read the log", err)
	}
	raw := streams[b.logKey]
	out := make([]*entry, 0, len(raw))
	for _, x := range raw {
		e, err := b.parseEntry(x, true)
		if err != nil {
			b.o.Logger.LogAttrs(ctx, slog.LevelError, "redis: broker: an entry of the log is not an event of this package; it is skipped",
				slog.String("log", b.logKey), slog.String("id", x.ID), slog.String("error", err.Error()))
		}
		if e != nil {
			out = append(out, e)
		}
	}
	return out, nil
}

// parseEntry decodes a log entry; with frame, it builds the frame sessions get. An entry
// whose position or chain field cannot be read is returned as nil with an error; one
// whose event cannot is returned without topics (delivered to nobody) and an error.
func (b *Broker) parseEntry(x rueidis.XRangeEntry, frame bool) (*entry, error) {
	p, ok := parsePos(x.ID)
	if !ok {
		return nil, fmt.Errorf("entry id %q", x.ID)
	}
	e := &entry{pos: p}
	if e.prev, ok = parsePos(x.FieldValues["p"]); !ok {
		e.prev = pos{ms: ^uint64(0)} // names no entry: the chain breaks here
		return e, errors.New("no previous id")
	}
	topics, okT := x.FieldValues["t"]
	f, okF := x.FieldValues["f"]
	if !okT || !okF {
		return e, errors.New("no topics or no event")
	}
	t, err := decodeTopics(topics)
	if err != nil {
		return e, err
	}
	e.topics = t
	if frame {
		e.frame = b.frame(p, f)
	}
	return e, nil
}

// frame returns what a session writes for the event f at position p.
func (b *Broker) frame(p pos, f string) []byte {
	fr := make([]byte, 0, len("id: \n")+len(b.tag)+41+len(f))
	fr = append(fr, "id: "...)
	fr = append(fr, b.tag...)
	fr = p.append(fr)
	fr = append(fr, '\n')
	return append(fr, f...)
}

// dispatch hands entries to the node's sessions, in log order, checking the chain.
func (b *Broker) dispatch(ctx context.Context, entries []*entry) {
	for _, e := range entries {
		b.mu.Lock()
		if e.prev != b.pos {
			ended := b.breakLocked()
			b.mu.Unlock()
			b.logBreak(ctx, ended, slog.String("read", b.pos.String()), slog.String("next", e.pos.String()),
				slog.String("next_names", e.prev.String()))
			b.mu.Lock()
		}
		b.dispatchLocked(e)
		b.mu.Unlock()
		b.stats.entries.Add(1)
	}
}

// logBreak logs a break of the chain that ended sessions of the node.
func (b *Broker) logBreak(ctx context.Context, sessions int, attrs ...slog.Attr) {
	attrs = append([]slog.Attr{slog.String("log", b.logKey)}, attrs...)
	b.o.Logger.LogAttrs(ctx, slog.LevelWarn,
		"redis: broker: the log lost entries (Redis restarted without its data, failed over, or trimmed the log past this node); this node's sessions end so that their clients resume and learn of the gap",
		append(attrs, slog.Int("sessions", sessions))...)
}

// gate holds the reader between two reads (a test hook: see export_test.go).
type gate struct {
	open   chan struct{}
	parked chan struct{}
	once   sync.Once
}

// waitGate waits while a gate is set; it returns false when ctx is done.
func (b *Broker) waitGate(ctx context.Context) bool {
	g := b.gate.Load()
	if g == nil {
		return true
	}
	g.once.Do(func() { close(g.parked) })
	select {
	case <-g.open:
		return true
	case <-ctx.Done():
		return false
	}
}

// replayed is a replay read from Redis.
type replayed struct {
	status server.ResumeStatus
	frames [][]byte // of the member's topics, after the resume position
	last   pos      // the newest entry read (the resume position when none was)
	cut    bool     // the replay stops before the log's end (MaxReplay, or a break in it)
	top    pos      // the newest entry of the log when the replay began
}

// replay reads the log from position from (inclusive) for a resume: whether it can prove
// continuity from there, and the frames after it that match.
func (b *Broker) replay(ctx context.Context, from pos, match func([]string) bool) (replayed, error) {
	cctx, cancel := withTimeout(ctx, b.o.Timeout)
	defer cancel()
	count := int64(b.o.ReadBatch)
	res := b.c.DoMulti(cctx,
		b.c.B().Get().Key(b.last).Build().Pin(),
		b.c.B().Xrange().Key(b.logKey).Start(from.String()).End("+").Count(count).Build().Pin())
	lastID, err := res[0].ToString()
	if err != nil && !rueidis.IsRedisNil(err) {
		return replayed{}, brokerFailure(ctx, "resume", err)
	}
	top, hasTop := parsePos(lastID)
	page, err := res[1].AsXRange()
	if err != nil {
		return replayed{}, brokerFailure(ctx, "resume", err)
	}
	if hasTop && from.after(top) {
		// After the newest entry: the log lost it (Redis failed over to a replica that
		// had not received it, or restarted from an older copy), unless it is later than
		// Redis's clock, which gives every id its time: then it was never issued.
		now, err := redisTime(b.c.Do(cctx, b.c.B().Time().Build()))
		if err != nil {
			return replayed{}, brokerFailure(ctx, "resume", err)
		}
		if from.ms > now {
			return replayed{status: server.ResumeUnknown, top: top}, nil
		}
		return replayed{status: server.ResumeGap, top: top}, nil
	}
	r := replayed{status: server.ResumeComplete, last: from, top: top}
	full := int64(len(page)) == count
	if len(page) == 0 {
		return replayed{status: server.ResumeGap, top: top}, nil // the log was lost, or holds nothing that long
	}
	if page[0].ID == from.String() {
		page = page[1:] // the client has it; continuity is proven
	} else if first, _ := b.parseEntry(page[0], false); first == nil || first.prev != from {
		return replayed{status: server.ResumeGap, top: top}, nil // trimmed past from, or from a lost log
	}
	for {
		for _, x := range page {
			e, err := b.parseEntry(x, false)
			if e == nil || e.prev != r.last {
				r.cut = true // the log broke between two pages (lost meanwhile)
				return r, nil
			}
			if err == nil && match(e.topics) {
				if len(r.frames) == b.o.MaxReplay {
					r.cut = true
					return r, nil
				}
				r.frames = append(r.frames, b.frame(e.pos, x.FieldValues["f"]))
			}
			r.last = e.pos
		}
		if !full || (hasTop && !top.after(r.last)) {
			return r, nil // the end of the log, or the newest entry there was when the resume began
		}
		page, err = b.c.Do(cctx, b.c.B().Xrange().Key(b.logKey).Start("("+r.last.String()).End("+").Count(count).Build().Pin()).AsXRange()
		if err != nil {
			return replayed{}, brokerFailure(ctx, "resume", err)
		}
		full = int64(len(page)) == count
	}
}

// redisTime returns the time of a TIME reply in milliseconds.
func redisTime(r rueidis.RedisResult) (uint64, error) {
	t, err := r.AsStrSlice()
	if err != nil {
		return 0, err
	}
	if len(t) != 2 {
		return 0, fmt.Errorf("TIME answered %q", t)
	}
	sec, ok1 := parseDecimal(t[0])
	usec, ok2 := parseDecimal(t[1])
	if !ok1 || !ok2 {
		return 0, fmt.Errorf("TIME answered %q", t)
	}
	return sec*1000 + usec/1000, nil
}
