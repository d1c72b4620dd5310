//go:build !js

package server

import (
	"cmp"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	sse "github.com/polysse/sse"
)

// hub holds the topics: their subscribers and replay buffers. One mutex orders every
// publish, subscribe and unsubscribe, so that a subscriber's replay and its live events
// meet with no gap and no duplicate, and all subscribers see publishes in one order.
type hub struct {
	replaySize int
	replayAge  time.Duration
	maxTopics  int    // topics kept only for their replay buffers
	idPrefix   string // "" unless AutoID
	policy     OverflowPolicy
	logger     *slog.Logger

	sched *scheduler

	mu     sync.Mutex
	seq    uint64 // sequence number of the last publish
	topics map[string]*topic
	ready  []*Session // scratch: subscribers to put on the run queue
}

// topic is one topic's subscribers and replay buffer.
type topic struct {
	name   string
	subs   []*Session
	replay ring
}

// entry is a published event kept for replay. One publish to several topics shares one
// entry value (same seq, same frame) in each of their buffers.
type entry struct {
	seq   uint64
	id    string
	frame []byte
	at    time.Time // zero unless ReplayAge is set
}

func (h *hub) init(sched *scheduler, replaySize int, replayAge time.Duration, maxTopics int, autoID bool, policy OverflowPolicy, logger *slog.Logger) {
	h.sched = sched
	h.replaySize = max(0, replaySize)
	h.replayAge = replayAge
	h.maxTopics = maxTopics
	h.logger = logger
	h.policy = policy
	if autoID {
		h.idPrefix = randomPrefix()
	}
	h.topics = make(map[string]*topic)
}

// publish encodes ev once and queues it for every subscriber of topics (once each).
// ev has been validated.
func (h *hub) publish(topics []string, ev *sse.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	seq := h.seq
	if h.idPrefix != "" && ev.ID == "" {
		ev.ID = h.idPrefix + strconv.FormatUint(seq, 10)
	}
	var frame []byte
	var now time.Time
	if h.replayAge > 0 {
		now = time.Now()
	}
	for i, name := range topics {
		if slices.Contains(topics[:i], name) {
			continue
		}
		t := h.topics[name]
		if t == nil {
			if h.replaySize == 0 {
				continue
			}
			t = &topic{name: name}
			h.topics[name] = t
			if len(h.topics) > h.maxTopics {
				h.dropIdleTopicsLocked()
			}
		}
		if frame == nil {
			frame, _ = ev.AppendTo(nil)
		}
		if h.replaySize > 0 {
			t.replay.push(entry{seq: seq, id: ev.ID, frame: frame, at: now}, h.replaySize)
			if h.replayAge > 0 {
				t.replay.trim(now.Add(-h.replayAge))
			}
		}
		for i := 0; i < len(t.subs); {
			s := t.subs[i]
			if s.lastSeq == seq {
				i++
				continue
			}
			s.lastSeq = seq
			evict, run := s.offer(frame, h.policy)
			if run {
				h.ready = append(h.ready, s)
			}
			if evict {
				h.removeLocked(s) // moves another subscriber to index i
				continue
			}
			i++
		}
	}
	if len(h.ready) > 0 {
		h.sched.push(h.ready...)
		clear(h.ready)
		h.ready = h.ready[:0]
	}
	if h.replayAge > 0 && seq%sweepEvery == 0 {
		h.sweepLocked(now.Add(-h.replayAge))
	}
}

// sweepEvery is how many publishes go between two sweeps of all replay buffers.
const sweepEvery = 1024

// sweepLocked drops expired events from every topic, and the topics left with neither
// subscribers nor events, so that topics no longer published to do not hold memory.
func (h *hub) sweepLocked(cutoff time.Time) {
	for name, t := range h.topics {
		t.replay.trim(cutoff)
		if len(t.subs) == 0 && t.replay.n == 0 {
			delete(h.topics, name)
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
		delete(h.topics, t.name)
	}
}

// subscribe registers s with topics and returns the frames to replay to it: with a
// lastID found in one of its topics' buffers, every retained event published after it, in
// publish order and each once. Registration and the snapshot happen under one lock, so
// every later publish reaches s through its queue and no earlier one does.
func (h *hub) subscribe(s *Session, topics []string, lastID string) [][]byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, name := range topics {
		t := h.topics[name]
		if t == nil {
			t = &topic{name: name}
			h.topics[name] = t
		} else if slices.ContainsFunc(s.subs, func(sub subscription) bool { return sub.t == t }) {
			continue
		}
		s.subs = append(s.subs, subscription{t, len(t.subs)})
		t.subs = append(t.subs, s)
	}
	if lastID == "" || h.replaySize == 0 {
		return nil
	}
	var from uint64
	found := false
	for _, sub := range s.subs {
		if seq, ok := sub.t.replay.find(lastID); ok && (!found || seq > from) {
			from, found = seq, true
		}
	}
	if !found {
		return nil
	}
	for _, sub := range s.subs {
		if sub.t.replay.lost > from {
			// Another topic dropped events published after lastID: the replay has a gap.
			s.gap = true
			h.logger.Warn("sse: replay has a gap: a subscribed topic no longer holds every event after Last-Event-ID",
				"session", s.ID(), "topic", sub.t.name, "last_event_id", lastID)
			break
		}
	}
	var cutoff time.Time
	if h.replayAge > 0 {
		cutoff = time.Now().Add(-h.replayAge)
	}
	var entries []entry
	for _, sub := range s.subs {
		entries = sub.t.replay.after(entries, from, cutoff)
	}
	if len(s.subs) > 1 {
		slices.SortFunc(entries, func(a, b entry) int { return cmp.Compare(a.seq, b.seq) })
		entries = slices.CompactFunc(entries, func(a, b entry) bool { return a.seq == b.seq })
	}
	frames := make([][]byte, len(entries))
	for i, e := range entries {
		frames[i] = e.frame
	}
	return frames
}

// unsubscribe removes s from its topics.
func (h *hub) unsubscribe(s *Session) {
	h.mu.Lock()
	h.removeLocked(s)
	h.mu.Unlock()
}

func (h *hub) removeLocked(s *Session) {
	for _, sub := range s.subs {
		t, i, last := sub.t, sub.i, len(sub.t.subs)-1
		moved := t.subs[last]
		t.subs[i] = moved
		t.subs[last] = nil
		t.subs = t.subs[:last]
		if moved != s {
			for k := range moved.subs {
				if moved.subs[k].t == t {
					moved.subs[k].i = i
					break
				}
			}
		}
		if len(t.subs) == 0 && t.replay.n == 0 {
			delete(h.topics, t.name)
		}
	}
	s.subs = nil
}

// ring is a replay buffer: a circular queue of entries, grown on demand up to its bound.
type ring struct {
	buf      []entry
	start, n int
	lost     uint64 // seq of the newest entry pushed out or trimmed
}

// newest returns the seq of the newest entry, or of the newest one lost.
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

// find returns the sequence number of the newest entry with id.
func (r *ring) find(id string) (uint64, bool) {
	for i := r.n - 1; i >= 0; i-- {
		if e := r.at(i); e.id == id {
			return e.seq, true
		}
	}
	return 0, false
}

// after appends to dst the entries published after seq and not before cutoff.
func (r *ring) after(dst []entry, seq uint64, cutoff time.Time) []entry {
	for i := range r.n {
		if e := r.at(i); e.seq > seq && !e.at.Before(cutoff) {
			dst = append(dst, *e)
		}
	}
	return dst
}
