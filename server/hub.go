package server

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	sse "github.com/polysse/sse"
)

// hub is the in-memory Broker: the topics of one Server, their subscribers and their
// replay buffers. One mutex orders every publish, subscribe and unsubscribe, so that a
// subscriber's replay and its live events meet with no gap and no duplicate, and every
// subscriber sees the publishes in one order. Its log positions are sequence numbers:
// with AutoID, the ids "<prefix>-<seq>" carry them; otherwise an id is looked up in the
// replay buffers.
//
// Subscribing and unsubscribing cost O(topics of that subscriber), and hold the mutex for
// at most chunk topics at a time, so that a subscriber of 100,000 topics does not stall
// publishers: a subscriber joins (starts receiving, and gets its replay) at one point of
// the log, once it is registered in all its topics; it leaves at once, and is then taken
// out of its topics chunk by chunk.
type hub struct {
	replaySize int
	replayAge  time.Duration
	maxTopics  int    // topics kept only for their replay buffers
	prefix     string // of automatic ids; "" unless AutoID
	now        func() time.Time

	mu     sync.Mutex
	closed bool
	ready  []*Session // scratch of Publish: sessions to put on their run queue
	seq    uint64     // position of the last publish
	// forgotten is the newest position among the events dropped together with their
	// topic (a topic that nobody subscribes to is forgotten when it holds no events, or
	// when there are too many such topics). A topic made later cannot know whether it
	// had events after a position older than this: it starts with this as its loss mark.
	forgotten uint64
	topics    map[string]*topic
}

// hubConfig is what the in-memory broker uses of the Options.
type hubConfig struct {
	replaySize int
	replayAge  time.Duration
	maxTopics  int
	autoID     bool
}

func newHub(c hubConfig) *hub {
	h := &hub{
		replaySize: max(0, c.replaySize),
		replayAge:  c.replayAge,
		maxTopics:  c.maxTopics,
		now:        time.Now,
		topics:     make(map[string]*topic),
	}
	if h.maxTopics <= 0 {
		h.maxTopics = DefaultMaxReplayTopics
	}
	if c.autoID {
		h.prefix = randomPrefix()
	}
	return h
}

// topic is one topic's subscribers and replay buffer.
type topic struct {
	name   string
	subs   []*member
	at     []int32 // at[i] is the index of this topic in subs[i].slots
	replay ring
}

// chunk is how many topics Subscribe and Unsubscribe handle per hold of the hub's mutex.
const chunk = 256

// member is one subscriber's registration (the Subscription the hub returns). Publish
// delivers to it only while it is joined and not gone.
type member struct {
	h       *hub
	sub     Subscriber
	own     *Session // sub, when it is a session of this package (offered to directly)
	lastSeq uint64   // the last publish offered to it: a publish to several of its topics reaches it once
	slots   []slot   // one per distinct topic
	added   int      // slots registered in their topics (they are slots[removed:added])
	removed int      // slots taken out of their topics
	joined  bool     // registered in all its topics, replay taken: receiving
	gone    bool     // refused a frame or unsubscribed: receives nothing more
}

// slot is a member's place in one topic's subscribers.
type slot struct {
	t *topic
	i int // index in t.subs
}

// entry is a published event kept for replay. A publish to several topics shares one
// entry value (same seq, same frame) in each of their buffers.
type entry struct {
	seq   uint64
	id    string
	frame []byte
	at    time.Time // zero unless ReplayAge is set
}

// Publish implements Broker: it queues the encoded event for every subscriber of topics
// (once each) and keeps it in each topic's replay buffer. It never blocks on a
// subscriber.
func (h *hub) Publish(ctx context.Context, topics []string, ev sse.Event) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	topics = distinct(topics)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return "", ErrServerClosed
	}
	h.seq++
	seq := h.seq
	if h.prefix != "" && ev.ID == "" {
		ev.ID = h.prefix + strconv.FormatUint(seq, 10)
	}
	var frame []byte
	var now time.Time
	var boost *Session
	if h.replayAge > 0 {
		now = h.now()
	}
	for _, name := range topics {
		t := h.topics[name]
		if t == nil {
			if h.replaySize == 0 {
				continue // no subscriber, nothing to keep
			}
			if len(h.topics) >= h.maxTopics {
				h.dropIdleTopicsLocked() // before the new topic, which has no event yet to date it
			}
			t = h.newTopicLocked(name)
		}
		if frame == nil {
			var err error
			if frame, err = ev.AppendTo(nil); err != nil {
				return "", err // the Server validated it: cannot happen
			}
		}
		if h.replaySize > 0 {
			t.replay.push(entry{seq: seq, id: ev.ID, frame: frame, at: now}, h.replaySize)
			if h.replayAge > 0 {
				t.replay.trim(now.Add(-h.replayAge))
			}
		}
		for _, m := range t.subs {
			if !m.joined || m.gone || m.lastSeq == seq {
				continue
			}
			m.lastSeq = seq
			var ok bool
			if s := m.own; s != nil {
				// A session of this package: its scheduler gets the sessions to run
				// in one call, after the loop.
				var run, b bool
				ok, run, b = s.offer(frame)
				if run {
					h.ready = append(h.ready, s)
				}
				if b {
					boost = s
				}
			} else {
				ok = m.sub.Deliver(frame)
			}
			if !ok {
				m.gone = true // its session is ending: it unsubscribes
			}
		}
	}
	if len(h.ready) > 0 {
		h.ready[0].srv.sched.push(h.ready...)
		clear(h.ready)
		h.ready = h.ready[:0]
	}
	if boost != nil {
		boost.srv.sched.boost() // a session waits for a writer with a half-full queue
	}
	if h.replayAge > 0 && seq%sweepEvery == 0 {
		h.sweepLocked(now.Add(-h.replayAge))
	}
	return ev.ID, nil
}

// distinct returns topics without repetitions, in their first order. It copies only when
// there are repetitions.
func distinct(topics []string) []string {
	if len(topics) <= 16 {
		for i, t := range topics {
			if slices.Contains(topics[:i], t) {
				out := slices.Clone(topics[:i])
				for _, u := range topics[i+1:] {
					if !slices.Contains(out, u) {
						out = append(out, u)
					}
				}
				return out
			}
		}
		return topics
	}
	seen := make(map[string]struct{}, len(topics))
	out := topics[:0:0]
	for _, t := range topics {
		if _, ok := seen[t]; !ok {
			seen[t] = struct{}{}
			out = append(out, t)
		}
	}
	return out
}

// newTopicLocked makes and registers a topic.
func (h *hub) newTopicLocked(name string) *topic {
	t := &topic{name: name}
	t.replay.lost = h.forgotten
	h.topics[name] = t
	return t
}

// deleteTopicLocked forgets a topic that has no subscribers.
func (h *hub) deleteTopicLocked(t *topic) {
	h.forgotten = max(h.forgotten, t.replay.newest())
	delete(h.topics, t.name)
}

// sweepEvery is how many publishes go between two sweeps of all replay buffers.
const sweepEvery = 1024

// sweepLocked drops expired events from every topic, and the topics left with neither
// subscribers nor events, so that topics no longer published to do not hold memory.
func (h *hub) sweepLocked(cutoff time.Time) {
	for _, t := range h.topics {
		t.replay.trim(cutoff)
		if len(t.subs) == 0 && t.replay.n == 0 {
			h.deleteTopicLocked(t)
		}
	}
}

// dropIdleTopicsLocked drops the topics without subscribers that were published to
// longest ago, down to three quarters of maxTopics, so that per-user or per-job topics
// with replay do not accumulate for ever. Sorting once per maxTopics/4 new topics keeps
// the cost per publish small.
func (h *hub) dropIdleTopicsLocked() {
	var idle []*topic
	for _, t := range h.topics {
		if len(t.subs) == 0 {
			idle = append(idle, t)
		}
	}
	slices.SortFunc(idle, func(a, b *topic) int { return cmp.Compare(a.replay.newest(), b.replay.newest()) })
	for _, t := range idle {
		if len(h.topics) <= h.maxTopics*3/4 {
			break
		}
		h.deleteTopicLocked(t)
	}
}

// Subscribe implements Broker. The subscriber is registered in its topics a chunk at a
// time; then, in one hold of the mutex, it joins and the replay snapshot is taken, so
// every later publish reaches sub through Deliver and no earlier one does. The slots are
// made before any lock is taken; the work under it is a map lookup and an append per
// topic.
func (h *hub) Subscribe(ctx context.Context, sub Subscriber, topics []string, lastID string) (Subscription, Resume, error) {
	if err := ctx.Err(); err != nil {
		return nil, Resume{}, err
	}
	// A topic named twice gets two slots: a publish reaches the member once all the same
	// (lastSeq), and its replay is deduplicated; not building a set keeps a subscription
	// to many topics cheap.
	m := &member{h: h, sub: sub, slots: make([]slot, len(topics))}
	if s, ok := sub.(*subscriber); ok {
		m.own = (*Session)(s)
	}
	for {
		h.mu.Lock()
		if h.closed {
			h.mu.Unlock()
			m.Unsubscribe()
			return nil, Resume{}, ErrServerClosed
		}
		end := min(len(topics), m.added+chunk)
		for i := m.added; i < end; i++ {
			name := topics[i]
			t := h.topics[name]
			if t == nil {
				t = h.newTopicLocked(name)
			}
			m.slots[i] = slot{t: t, i: len(t.subs)}
			t.subs = append(t.subs, m)
			t.at = append(t.at, int32(i))
		}
		m.added = end
		if end == len(topics) {
			m.joined = true
			res := h.resumeLocked(m, lastID)
			h.mu.Unlock()
			return m, res, nil
		}
		h.mu.Unlock()
		runtime.Gosched() // let waiting publishers take the lock before the next chunk
	}
}

// resumeLocked computes the replay of m after lastID. Without one, a hub with automatic
// ids and replay tells m its start position: m joined after the publish h.seq, which
// "<prefix>-<h.seq>" names whether or not an event of m's topics has that id.
func (h *hub) resumeLocked(m *member, lastID string) Resume {
	if h.replaySize == 0 {
		return Resume{}
	}
	if lastID == "" {
		if h.prefix == "" {
			return Resume{}
		}
		return Resume{Start: h.prefix + strconv.FormatUint(h.seq, 10)}
	}
	from, ok := h.positionLocked(m, lastID)
	if !ok {
		return Resume{Status: ResumeUnknown}
	}
	var cutoff time.Time
	if h.replayAge > 0 {
		cutoff = h.now().Add(-h.replayAge)
	}
	for i := range m.slots {
		r := &m.slots[i].t.replay
		if h.replayAge > 0 {
			r.trim(cutoff) // an expired event is a lost one
		}
		if r.lost > from {
			return Resume{Status: ResumeGap} // this topic dropped an event published after lastID
		}
	}
	var entries []entry
	for i := range m.slots {
		entries = m.slots[i].t.replay.after(entries, from)
	}
	if len(m.slots) > 1 {
		slices.SortFunc(entries, func(a, b entry) int { return cmp.Compare(a.seq, b.seq) })
		entries = slices.CompactFunc(entries, func(a, b entry) bool { return a.seq == b.seq })
	}
	frames := make([][]byte, len(entries))
	for i, e := range entries {
		frames[i] = e.frame
	}
	return Resume{Status: ResumeComplete, Frames: frames}
}

// positionLocked returns the log position of id: parsed from an automatic id of this
// hub (any position it reached, 0 included: start positions name publishes to other
// topics, or none), or found in the replay buffers of m's topics (the newest event with
// that id).
func (h *hub) positionLocked(m *member, id string) (uint64, bool) {
	if h.prefix != "" {
		if n, ok := strings.CutPrefix(id, h.prefix); ok {
			seq, err := strconv.ParseUint(n, 10, 64)
			if err == nil && seq <= h.seq && strconv.FormatUint(seq, 10) == n {
				return seq, true
			}
		}
	}
	found := false
	var from uint64
	for i := range m.slots {
		if seq, ok := m.slots[i].t.replay.find(id); ok && (!found || seq > from) {
			from, found = seq, true
		}
	}
	return from, found
}

// Unsubscribe implements Subscription: the subscriber receives nothing from now on, and
// is taken out of its topics a chunk at a time. O(its topics).
func (m *member) Unsubscribe() {
	h := m.h
	for {
		h.mu.Lock()
		m.gone = true
		end := min(m.added, m.removed+chunk)
		for i := m.removed; i < end; i++ {
			sl := &m.slots[i]
			t, last := sl.t, len(sl.t.subs)-1
			moved, movedAt := t.subs[last], t.at[last]
			t.subs[sl.i], t.at[sl.i] = moved, movedAt
			moved.slots[movedAt].i = sl.i
			t.subs[last] = nil
			t.subs, t.at = t.subs[:last], t.at[:last]
			if len(t.subs) == 0 && t.replay.n == 0 {
				h.deleteTopicLocked(t)
			}
			*sl = slot{}
		}
		m.removed = end
		done := end == m.added
		h.mu.Unlock()
		if done {
			return
		}
		runtime.Gosched() // let waiting publishers take the lock before the next chunk
	}
}

// Close implements Broker.
func (h *hub) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	return nil
}

// ring is a replay buffer: a circular queue of entries, grown on demand up to its bound.
type ring struct {
	buf      []entry
	start, n int
	lost     uint64 // position of the newest entry pushed out or trimmed (or forgotten before the topic was made)
}

// newest returns the position of the newest entry, or of the newest one lost.
func (r *ring) newest() uint64 {
	if r.n > 0 {
		return r.at(r.n - 1).seq
	}
	return r.lost
}

func (r *ring) at(i int) *entry { return &r.buf[(r.start+i)%len(r.buf)] }

func (r *ring) push(e entry, limit int) {
	if r.n == len(r.buf) && len(r.buf) < limit {
		grown := make([]entry, min(limit, max(8, 2*len(r.buf))))
		for i := range r.n {
			grown[i] = *r.at(i)
		}
		r.buf, r.start = grown, 0
	}
	if r.n < len(r.buf) {
		*r.at(r.n) = e
		r.n++
		return
	}
	r.lost = r.buf[r.start].seq
	r.buf[r.start] = e // full: overwrite the oldest
	r.start = (r.start + 1) % len(r.buf)
}

// trim drops entries published before cutoff.
func (r *ring) trim(cutoff time.Time) {
	for r.n > 0 && r.at(0).at.Before(cutoff) {
		r.lost = r.at(0).seq
		*r.at(0) = entry{}
		r.start = (r.start + 1) % len(r.buf)
		r.n--
	}
}

// find returns the position of the newest entry with id.
func (r *ring) find(id string) (uint64, bool) {
	for i := r.n - 1; i >= 0; i-- {
		if e := r.at(i); e.id == id {
			return e.seq, true
		}
	}
	return 0, false
}

// after appends to dst the entries published after seq.
func (r *ring) after(dst []entry, seq uint64) []entry {
	for i := range r.n {
		if e := r.at(i); e.seq > seq {
			dst = append(dst, *e)
		}
	}
	return dst
}

// randomPrefix returns the prefix of automatic event ids: 8 random hex digits and "-".
func randomPrefix() string {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("server: reading random bytes: %v", err))
	}
	return hex.EncodeToString(b[:]) + "-"
}
