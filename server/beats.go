package server

import (
	"sync"
	"time"
)

// beats is a Server's heartbeat clock: one timer for all its sessions and a min-heap of
// sessions by the time at which their stream will have been idle for the heartbeat
// interval. A write does not touch it (it only records the time of the write in the
// session's lastWrite): when a session comes due, beats checks whether it wrote since,
// and either moves its time on or asks it for a heartbeat (heartbeatDue). Per session
// this costs two words instead of a timer.
type beats struct {
	interval time.Duration
	epoch    time.Time // origin of the times kept: durations since it, on the monotonic clock

	mu    sync.Mutex
	heap  []*Session
	timer *time.Timer
	at    time.Duration // when timer fires (since epoch); meaningful when armed
	armed bool
}

// add starts the heartbeats of s, whose lastWrite is set.
func (b *beats) add(s *Session) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s.beatAt = s.lastWrite.Load() + int64(b.interval)
	s.beatIdx = int32(len(b.heap)) + 1
	b.heap = append(b.heap, s)
	b.up(len(b.heap) - 1)
	b.armLocked()
}

// remove stops the heartbeats of s.
func (b *beats) remove(s *Session) {
	b.mu.Lock()
	defer b.mu.Unlock()
	i := int(s.beatIdx) - 1
	if i < 0 {
		return
	}
	last := len(b.heap) - 1
	b.swap(i, last)
	b.heap[last] = nil
	b.heap = b.heap[:last]
	s.beatIdx = 0
	if i < last {
		b.down(i)
		b.up(i)
	}
	b.armLocked()
}

// fire runs when the timer does: it asks for the heartbeats that are due.
func (b *beats) fire() {
	interval := int64(b.interval)
	now := int64(b.now())
	var due []*Session
	b.mu.Lock()
	b.armed = false
	for len(b.heap) > 0 && b.heap[0].beatAt <= now {
		s := b.heap[0]
		next := s.lastWrite.Load() + interval
		if next <= now {
			due = append(due, s)
			next = now + interval
		}
		s.beatAt = next
		b.down(0)
	}
	b.armLocked()
	b.mu.Unlock()
	for _, s := range due {
		s.heartbeatDue()
	}
}

// armLocked sets the timer for the earliest session, or stops it when there is none.
func (b *beats) armLocked() {
	if len(b.heap) == 0 {
		if b.armed {
			b.timer.Stop()
			b.armed = false
		}
		return
	}
	at := time.Duration(b.heap[0].beatAt)
	if b.armed && b.at <= at {
		return // fires early enough; fire re-arms
	}
	d := at - b.now()
	if b.timer == nil {
		b.timer = time.AfterFunc(d, b.fire)
	} else {
		b.timer.Reset(d)
	}
	b.at, b.armed = at, true
}

// now returns the time since epoch.
func (b *beats) now() time.Duration { return time.Since(b.epoch) }

func (b *beats) less(i, j int) bool { return b.heap[i].beatAt < b.heap[j].beatAt }

func (b *beats) swap(i, j int) {
	b.heap[i], b.heap[j] = b.heap[j], b.heap[i]
	b.heap[i].beatIdx = int32(i) + 1
	b.heap[j].beatIdx = int32(j) + 1
}

func (b *beats) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !b.less(i, p) {
			return
		}
		b.swap(i, p)
		i = p
	}
}

func (b *beats) down(i int) {
	n := len(b.heap)
	for {
		c := 2*i + 1
		if c >= n {
			return
		}
		if c+1 < n && b.less(c+1, c) {
			c++
		}
		if !b.less(c, i) {
			return
		}
		b.swap(i, c)
		i = c
	}
}
