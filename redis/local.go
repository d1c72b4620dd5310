package redis

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"

	"github.com/polysse/sse/server"
)

// entry is one log entry as a node dispatches it: shared by every session it goes to.
type entry struct {
	pos, prev pos
	topics    []string
	frame     []byte // "id: <tag>:<pos>\n" and the encoded event
}

// member is one subscriber's registration on this node (the Subscription that Subscribe
// returns). All its fields but b, sub and topics are guarded by b.mu.
type member struct {
	b      *Broker
	sub    server.Subscriber
	topics []string

	slots      []slot // one per topic, in the order of topics
	added      int    // slots registered in their topics (they are slots[removed:added])
	removed    int    // slots taken out of their topics
	linked     bool   // in b.members
	prev, next *member

	joined bool   // receiving live entries after pos
	gone   bool   // refused a frame, ended or unsubscribed: receives nothing more
	last   uint64 // the dispatch last offered: an entry of several of its topics reaches it once
	pos    pos    // entries at or before pos are not delivered (they were replayed)
	sent   bool   // a frame with an id of this log was delivered or replayed to it
	// awaitStart: its session had no Last-Event-ID and joined before the reader had a
	// position; it is delivered its start position when the reader gets one.
	awaitStart bool

	// While its replay is read from Redis, a resuming member buffers its live entries.
	buffering bool
	buf       []*entry
	overflow  bool // an entry did not fit in buf
	broken    bool // the reader's chain broke meanwhile
	regPos    pos  // the reader's position when the member was fully registered
}

// slot is a member's place in one topic's members.
type slot struct {
	t *topic
	i int // index in t.subs
}

// Subscribe implements server.Broker. It registers sub in topics (a chunk of topics per
// hold of the node's lock) and, when lastEventID is a position of this log, returns the
// events after it to those topics: from the node's cache when it holds the position, from
// Redis otherwise (which may take a round trip per ReadBatch entries, bounded by
// Timeout). Without a lastEventID it returns the subscriber's start position
// (server.Resume.Start): the newest entry the node had dispatched or appended when the
// subscriber joined, an entry of the log, of any topic; when the reader has no position
// yet (Redis was unreachable since the node started), the subscriber is delivered it, as
// an event with only an id, as soon as the reader has one. It fails with an error
// wrapping server.ErrBrokerUnavailable when Redis cannot be read (only a resume reads
// it), and with one wrapping server.ErrServerClosed after Close.
func (b *Broker) Subscribe(ctx context.Context, sub server.Subscriber, topics []string, lastEventID string) (server.Subscription, server.Resume, error) {
	if err := ctx.Err(); err != nil {
		return nil, server.Resume{}, err
	}
	m := &member{b: b, sub: sub, topics: topics, slots: make([]slot, len(topics))}
	from, resuming := b.parseID(lastEventID)
	status := server.ResumeNone
	if lastEventID != "" && !resuming {
		status = server.ResumeUnknown // another log's id, a token, an id of Session.Push
	}
	// The reader's first position comes first: a session that joins before it would
	// miss what is published meanwhile.
	wctx, cancel := withTimeout(ctx, b.o.Timeout)
	err := b.waitStarted(wctx)
	cancel()
	switch {
	case errors.Is(err, server.ErrServerClosed):
		return nil, server.Resume{}, fmt.Errorf("redis: subscribe: %w", err)
	case err != nil && resuming:
		return nil, server.Resume{}, &unavailableError{fmt.Errorf("%w: resume: %w", ErrUnavailable, err)}
	}
	m.buffering = resuming
	if err := b.register(m); err != nil {
		return nil, server.Resume{}, err
	}
	// b.mu is held: the member is in all its topics. It joins the log after what the
	// reader dispatched and what this node published (the reader may not have read it
	// yet): nothing published before Subscribe is delivered live.
	m.regPos = b.pos
	if b.published.after(m.regPos) {
		m.regPos = b.published
	}
	if !resuming {
		m.joined, m.pos = true, m.regPos
		var start string
		switch {
		case lastEventID != "":
			// An id this log never issued: the client keeps it (it may be one of the
			// application's own, of Session.Push).
		case b.started:
			start, m.sent = b.tag+m.regPos.String(), true // the Server writes it first
		default:
			m.awaitStart = true
		}
		b.mu.Unlock()
		return m, server.Resume{Status: status, Start: start}, nil
	}
	// The cache serves the resume when it holds from, the reader has dispatched
	// everything this node published, and it has not lost its connection since it last
	// checked the log (the log may have lost what the cache holds).
	if i, ok := b.cache.after(from); ok && !m.broken && !b.unsure && !b.published.after(b.pos) {
		res := b.resumeFromCacheLocked(m, i)
		b.mu.Unlock()
		return m, res, nil
	}
	b.mu.Unlock()

	r, err := b.replay(ctx, from, m.matcher())
	if err != nil {
		m.Unsubscribe()
		return nil, server.Resume{}, err
	}
	b.stats.fromRedis.Add(1)
	b.mu.Lock()
	defer b.mu.Unlock()
	return m, b.mergeLocked(m, r), nil
}

// register adds m to its topics, a chunk at a time, and returns with b.mu held once it is
// in all of them.
func (b *Broker) register(m *member) error {
	for {
		b.mu.Lock()
		if b.closed {
			b.mu.Unlock()
			m.Unsubscribe()
			return fmt.Errorf("redis: subscribe: %w", server.ErrServerClosed)
		}
		if !m.linked {
			m.linked, m.next = true, b.members
			if m.next != nil {
				m.next.prev = m
			}
			b.members = m
		}
		end := min(len(m.topics), m.added+chunk)
		for i := m.added; i < end; i++ {
			name := m.topics[i]
			t := b.topics[name]
			if t == nil {
				t = &topic{name: name}
				b.topics[name] = t
			}
			m.slots[i] = slot{t: t, i: len(t.subs)}
			t.subs = append(t.subs, m)
			t.at = append(t.at, int32(i))
		}
		m.added = end
		if end == len(m.topics) {
			return nil
		}
		b.mu.Unlock()
		runtime.Gosched() // let the reader take the lock before the next chunk
	}
}

// resumeFromCacheLocked serves a resume whose position the cache holds: the cached
// entries from index i on, of m's topics.
func (b *Broker) resumeFromCacheLocked(m *member, i int) server.Resume {
	b.stats.cached.Add(1)
	match := m.matcher()
	var frames [][]byte
	cut := false
	for ; i < b.cache.n; i++ {
		e := b.cache.at(i)
		if !match(e.topics) {
			continue
		}
		if len(frames) == b.o.MaxReplay {
			cut = true
			break
		}
		frames = append(frames, e.frame)
	}
	m.buffering, m.buf = false, nil
	m.joined, m.pos, m.sent = true, b.pos, true
	if cut {
		b.endLocked(m, ErrReplayLimit)
	}
	return server.Resume{Status: server.ResumeComplete, Frames: frames}
}

// mergeLocked joins the replay r of m (read from Redis after m was registered) with the
// live entries m buffered meanwhile: each entry once, in log order.
func (b *Broker) mergeLocked(m *member, r replayed) server.Resume {
	buf, overflow, broken := m.buf, m.overflow, m.broken
	m.buffering, m.buf = false, nil
	m.joined = true
	if m.gone { // unsubscribed or ended meanwhile: nothing more for it
		return server.Resume{Status: r.status}
	}
	switch r.status {
	case server.ResumeComplete:
		frames, p := r.frames, r.last
		end := r.cut || broken || m.regPos.after(p) // the replay stops short of what the buffer covers
		if !end {
			for _, e := range buf {
				if e.pos.after(p) {
					frames, p = append(frames, e.frame), e.pos
				}
			}
			end = overflow
		}
		m.pos, m.sent = p, true // the client has an id of this log: its own, or a replayed one
		if end {
			b.endLocked(m, ErrReplayLimit)
		}
		return server.Resume{Status: server.ResumeComplete, Frames: frames}
	default: // a gap, or an id this log never issued: live events only
		if r.status == server.ResumeGap {
			b.stats.gaps.Add(1)
		}
		// Live from now: after what the node had dispatched or published when the
		// session registered, and after the newest entry of the log when its replay was
		// read (the reader may be a little behind it).
		m.pos, m.sent = m.regPos, r.status == server.ResumeGap
		if r.top.after(m.pos) {
			m.pos = r.top
		}
		for _, e := range buf {
			if !e.pos.after(m.pos) {
				continue
			}
			m.pos, m.sent = e.pos, true
			if !m.sub.Deliver(e.frame) {
				m.gone = true
				break
			}
		}
		if (overflow || broken) && !m.gone {
			b.endLocked(m, fmt.Errorf("%w: while the session resumed", ErrContinuity))
		}
		return server.Resume{Status: r.status}
	}
}

// endLocked ends m's session: it gets nothing more.
func (b *Broker) endLocked(m *member, err error) {
	if m.gone {
		return
	}
	m.gone = true
	m.sub.End(err)
}

// matcher returns a function that reports whether an entry of topics goes to m.
func (m *member) matcher() func(topics []string) bool {
	if len(m.topics) <= 8 {
		mine := m.topics
		return func(topics []string) bool {
			for _, t := range topics {
				if slices.Contains(mine, t) {
					return true
				}
			}
			return false
		}
	}
	set := make(map[string]struct{}, len(m.topics))
	for _, t := range m.topics {
		set[t] = struct{}{}
	}
	return func(topics []string) bool {
		for _, t := range topics {
			if _, ok := set[t]; ok {
				return true
			}
		}
		return false
	}
}

// Unsubscribe implements server.Subscription: the subscriber receives nothing from now on,
// and is taken out of its topics a chunk at a time. It is idempotent.
func (m *member) Unsubscribe() {
	b := m.b
	for {
		b.mu.Lock()
		m.gone = true
		m.buf = nil
		if m.linked {
			if m.prev != nil {
				m.prev.next = m.next
			} else {
				b.members = m.next
			}
			if m.next != nil {
				m.next.prev = m.prev
			}
			m.linked, m.prev, m.next = false, nil, nil
		}
		end := min(m.added, m.removed+chunk)
		for i := m.removed; i < end; i++ {
			sl := &m.slots[i]
			t, last := sl.t, len(sl.t.subs)-1
			moved, movedAt := t.subs[last], t.at[last]
			t.subs[sl.i], t.at[sl.i] = moved, movedAt
			moved.slots[movedAt].i = sl.i
			t.subs[last] = nil
			t.subs, t.at = t.subs[:last], t.at[:last]
			if len(t.subs) == 0 {
				delete(b.topics, t.name)
			}
			*sl = slot{}
		}
		m.removed = end
		done := end == m.added
		b.mu.Unlock()
		if done {
			return
		}
		runtime.Gosched()
	}
}

// dispatchLocked hands an entry read from the log to the node's members of its topics and
// keeps it in the cache.
func (b *Broker) dispatchLocked(e *entry) {
	b.seq++
	for _, name := range e.topics {
		t := b.topics[name]
		if t == nil {
			continue
		}
		for _, m := range t.subs {
			if m.gone || m.last == b.seq {
				continue
			}
			m.last = b.seq
			switch {
			case m.buffering:
				if len(m.buf) < b.o.ResumeBuffer {
					m.buf = append(m.buf, e)
				} else {
					m.overflow = true
				}
			case !m.joined || !e.pos.after(m.pos):
				// registering (a new session joins at the position it finds), or the
				// entry was replayed to it already
			default:
				m.sent = true
				if !m.sub.Deliver(e.frame) {
					m.gone = true // its session is ending: it unsubscribes
				}
			}
		}
	}
	b.cache.push(e)
	b.pos, b.head = e.pos, e
}

// breakLocked handles a break of the chain (the reader found an entry that does not name
// the one before, or found the log no longer holding the entry it dispatched last):
// every session of the node ends (its client resumes and learns of the gap) and the
// cache, which no longer joins the log, is emptied. It counts the break and returns the
// sessions ended.
func (b *Broker) breakLocked() int {
	b.stats.breaks.Add(1) // counted before the sessions hear of it
	n := 0
	for m := b.members; m != nil; m = m.next {
		switch {
		case m.buffering:
			m.broken = true
		case m.joined && !m.gone:
			if !m.sent && m.pos != (pos{}) {
				// Its client has no id of this log (it resumed from one the log never
				// issued): an event with only an id (clients dispatch nothing) gives it
				// the position it joined at, so that it resumes and learns of the gap.
				m.sub.Deliver(b.frame(m.pos, "\n"))
			}
			b.endLocked(m, ErrContinuity)
			n++
		}
	}
	b.cache.reset()
	b.stats.ended.Add(uint64(n))
	return n
}

// cache keeps the newest entries dispatched since the reader started or its chain last
// broke: a contiguous stretch of the log.
type cache struct {
	buf      []*entry
	start, n int
}

func (c *cache) init(size int) {
	if size > 0 {
		c.buf = make([]*entry, size)
	}
}

func (c *cache) at(i int) *entry { return c.buf[(c.start+i)%len(c.buf)] }

func (c *cache) push(e *entry) {
	if len(c.buf) == 0 {
		return
	}
	if c.n < len(c.buf) {
		c.buf[(c.start+c.n)%len(c.buf)] = e
		c.n++
		return
	}
	c.buf[c.start] = e
	c.start = (c.start + 1) % len(c.buf)
}

func (c *cache) reset() {
	clear(c.buf)
	c.start, c.n = 0, 0
}

// after returns the index of the first cached entry after p, when the cache proves
// continuity from p: p is a cached entry, or the one before the oldest.
func (c *cache) after(p pos) (int, bool) {
	if c.n == 0 {
		return 0, false
	}
	if c.at(0).prev == p {
		return 0, true
	}
	lo, hi := 0, c.n // binary search: entries rise
	for lo < hi {
		mid := (lo + hi) / 2
		if p.after(c.at(mid).pos) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < c.n && c.at(lo).pos == p {
		return lo + 1, true
	}
	return 0, false
}
