package redis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
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
// dispatches every entry, checking that each names the one before it. It returns when ctx
// is cancelled (Close).
func (b *Broker) read(ctx context.Context) {
	defer close(b.done)
	delay := retryMin
	fail := func(err error) bool {
		if ctx.Err() != nil {
			return false
		}
		b.stats.readErrors.Add(1)
		if prev := b.health.put(err); prev == nil {
			b.o.Logger.LogAttrs(ctx, slog.LevelWarn, "redis: broker: reading the log failed; retrying with backoff (open streams stay open)",
				slog.String("log", b.logKey), slog.String("error", err.Error()))
		}
		wait := delay/2 + rand.N(delay/2+1)
		delay = min(2*delay, retryMax)
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-ctx.Done():
			return false
		}
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
		entries, err := b.xread(ctx)
		if err != nil {
			if !fail(err) {
				return
			}
			continue
		}
		delay = retryMin
		if prev := b.health.put(nil); prev != nil {
			b.o.Logger.LogAttrs(ctx, slog.LevelInfo, "redis: broker: reading the log again", slog.String("log", b.logKey))
		}
		b.dispatch(ctx, entries)
	}
}

// start finds the reader's first position: the newest entry of the log (or the id in
// the last key when the log is empty, or 0-0). Sessions that join before it get the
// entries after it.
func (b *Broker) start(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, b.readTimeout())
	defer cancel()
	res := b.c.DoMulti(cctx,
		b.c.B().Xrevrange().Key(b.logKey).End("+").Start("-").Count(1).Build().Pin(),
		b.c.B().Get().Key(b.last).Build().Pin())
	top, err := res[0].AsXRange()
	if err != nil {
		return failure(ctx, "read the log's top", err)
	}
	last, err := res[1].ToString()
	if err != nil && !rueidis.IsRedisNil(err) {
		return failure(ctx, "read the log's last id", err)
	}
	var p pos
	if len(top) > 0 {
		p, _ = parsePos(top[0].ID)
	} else if q, ok := parsePos(last); ok {
		p = q
	} else {
		// A new (or lost) log: its first entry, to no topic, gives the node a position
		// that is an id. 0-0 would not do: it names the start of every incarnation of the
		// log, and a client holding it after Redis lost the log would resume "complete".
		keys := []string{b.logKey, b.last}
		args := []string{itoa(int64(b.o.MaxLen)), "", "", "0", itoa(b.o.MaxAge.Milliseconds())}
		id, err := publishScript.Exec(cctx, b.c, keys, args).ToString()
		if err != nil {
			return failure(ctx, "start the log", err)
		}
		p, _ = parsePos(id)
	}
	b.mu.Lock()
	b.pos, b.started = p, true
	b.tellStartsLocked()
	b.mu.Unlock()
	close(b.startedCh)
	b.health.put(nil)
	return nil
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
// client and redialled.
func (b *Broker) readTimeout() time.Duration {
	return b.o.Block + max(b.o.Block, time.Second)
}

// xread reads the entries after the reader's position, waiting up to Block for some.
func (b *Broker) xread(ctx context.Context) ([]*entry, error) {
	// A context without a deadline but cancelled by a timer: the client then abandons the
	// read when it is cancelled (Close) or times out, and closes its connection (with a
	// deadline, it would wait on the socket even after Close).
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wedged := time.AfterFunc(b.readTimeout(), cancel)
	defer wedged.Stop()
	cmd := b.c.B().Xread().Count(int64(b.o.ReadBatch)).Block(b.o.Block.Milliseconds()).
		Streams().Key(b.logKey).Id(b.pos.String()).Build().Pin()
	streams, err := b.c.Do(cctx, cmd).AsXRead()
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
			b.stats.breaks.Add(1) // counted before the sessions hear of it
			ended := b.breakLocked()
			b.stats.ended.Add(uint64(ended))
			b.mu.Unlock()
			b.o.Logger.LogAttrs(ctx, slog.LevelWarn,
				"redis: broker: the log lost entries this node had not read (Redis restarted without its data, failed over, or trimmed the log past this node); its sessions end so that their clients resume and learn of the gap",
				slog.String("log", b.logKey), slog.String("read", b.pos.String()), slog.String("next", e.pos.String()),
				slog.String("next_names", e.prev.String()), slog.Int("sessions", ended))
			b.mu.Lock()
		}
		b.dispatchLocked(e)
		b.mu.Unlock()
		b.stats.entries.Add(1)
	}
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
		return replayed{status: server.ResumeUnknown, top: top}, nil // never issued (every id is at most the last)
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
