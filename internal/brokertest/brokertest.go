// Package brokertest is the conformance suite of server.Broker: every broker of this
// module (the server's in-memory one, the Redis one) runs it, so that they all keep the
// contract the server relies on. Run it from a test:
//
//	func TestConformance(t *testing.T) {
//		brokertest.Run(t, brokertest.Config{New: newBroker, Retain: 16, Evict: 16})
//	}
//
// The suite publishes events without ids: the broker under test must assign them (the
// in-memory broker with AutoID), and, since it issues positions, give a subscriber
// without a Last-Event-ID its start position (server.Resume.Start). It checks order, a
// multi-topic publish reaching a subscriber once, one common order under concurrent
// publishers, exact resume (no loss, no duplicate, even while publishing), exact resume
// from a start position (which may name an event of another topic, or none), the gap
// after trimming, unknown ids, forgetting a subscriber that refuses a frame, serialised
// delivery, Unsubscribe, Close, and that subscribing and unsubscribing cost time linear
// in the subscriber's topics.
package brokertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/server"
)

// Config describes the broker under test.
type Config struct {
	// New returns a new broker with an empty log of its own (its ids are not those of
	// any other broker New returned). The suite closes it.
	New func(t *testing.T) server.Broker
	// Retain is how many of the newest events of the log the broker surely holds for
	// replay; at least 8.
	Retain int
	// Evict is how many events published after an event surely push it out of the
	// broker's history (more than Retain when the broker trims approximately).
	Evict int
}

// Run runs the conformance suite as subtests of t.
func Run(t *testing.T, c Config) {
	t.Helper()
	if c.New == nil || c.Retain < 8 || c.Evict < c.Retain {
		t.Fatalf("brokertest: invalid Config %+v: New is required, Retain >= 8, Evict >= Retain", c)
	}
	tests := []struct {
		name string
		run  func(*testing.T, Config)
	}{
		{"order", testOrder},
		{"multi-topic publish reaches a subscriber once", testMultiTopicOnce},
		{"one order for every subscriber", testCommonOrder},
		{"resume complete", testResumeComplete},
		{"resume across topics", testResumeAcrossTopics},
		{"resume while publishing", testResumeWhilePublishing},
		{"gap after trimming", testGapAfterTrim},
		{"gap on another topic", testGapOnAnotherTopic},
		{"unknown id", testUnknown},
		{"no last event id", testNoLastEventID},
		{"resume from a start position", testResumeFromStart},
		{"resume from a start position before any publish", testResumeFromFirstStart},
		{"start position while publishing", testStartWhilePublishing},
		{"gap after a start position", testGapAfterStart},
		{"a subscriber that refuses is forgotten", testRefusedForgotten},
		{"deliveries to one subscriber are serialised", testSerialised},
		{"unsubscribe", testUnsubscribe},
		{"close", testClose},
		{"subscribe and unsubscribe cost linear time", testLinearCost},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, c) })
	}
}

// newBroker returns c.New(t), closed when the test ends.
func newBroker(t *testing.T, c Config) server.Broker {
	t.Helper()
	b := c.New(t)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// Subscriber is a server.Subscriber that records what it is given. Its zero value is
// ready to use.
type Subscriber struct {
	mu      sync.Mutex
	frames  [][]byte
	changed chan struct{}
	refuse  atomic.Bool // Deliver returns false
	calls   atomic.Int64
	inside  atomic.Int32
	overlap atomic.Bool // two Deliver calls ran at once
	ended   []error
}

// Deliver implements server.Subscriber.
func (s *Subscriber) Deliver(frame []byte) bool {
	s.calls.Add(1)
	if s.inside.Add(1) > 1 {
		s.overlap.Store(true)
	}
	defer s.inside.Add(-1)
	if s.refuse.Load() {
		return false
	}
	s.mu.Lock()
	s.frames = append(s.frames, frame)
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
	s.mu.Unlock()
	return true
}

// End implements server.Subscriber.
func (s *Subscriber) End(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ended = append(s.ended, err)
}

// Events returns the events delivered so far, decoded.
func (s *Subscriber) Events(t testing.TB) []sse.Event {
	t.Helper()
	s.mu.Lock()
	frames := slices.Clone(s.frames)
	s.mu.Unlock()
	return Decode(t, frames)
}

// WaitFor waits until n events were delivered, failing after 10 s.
func (s *Subscriber) WaitFor(t testing.TB, n int) []sse.Event {
	t.Helper()
	return Decode(t, s.WaitForFrames(t, n))
}

// WaitForFrames waits until n frames were delivered, failing after 10 s, and returns
// them all (shared with the broker: not to be modified).
func (s *Subscriber) WaitForFrames(t testing.TB, n int) [][]byte {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if len(s.frames) >= n {
			frames := slices.Clone(s.frames)
			s.mu.Unlock()
			return frames
		}
		if s.changed == nil {
			s.changed = make(chan struct{})
		}
		ch := s.changed
		got := len(s.frames)
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("brokertest: %d frames delivered after 10 s, want %d", got, n)
		}
	}
}

// Decode parses frames, each of which must hold exactly one event.
func Decode(t testing.TB, frames [][]byte) []sse.Event {
	t.Helper()
	out := make([]sse.Event, 0, len(frames))
	for _, f := range frames {
		r := sse.NewReader(bytes.NewReader(f), 0, "")
		ev, err := r.Next()
		if err != nil {
			t.Fatalf("brokertest: frame %q: %v", f, err)
		}
		if _, err := r.Next(); err != io.EOF {
			t.Fatalf("brokertest: frame %q holds more than one event", f)
		}
		out = append(out, ev)
	}
	return out
}

func publish(t testing.TB, b server.Broker, data string, topics ...string) string {
	t.Helper()
	id, err := b.Publish(context.Background(), topics, sse.Event{Data: data})
	if err != nil {
		t.Fatalf("brokertest: Publish(%v, %q): %v", topics, data, err)
	}
	if id == "" {
		t.Fatalf("brokertest: Publish(%v, %q) assigned no id", topics, data)
	}
	return id
}

func subscribe(t testing.TB, b server.Broker, s server.Subscriber, lastID string, topics ...string) (server.Subscription, server.Resume) {
	t.Helper()
	sub, res, err := b.Subscribe(context.Background(), s, topics, lastID)
	if err != nil {
		t.Fatalf("brokertest: Subscribe(%v, %q): %v", topics, lastID, err)
	}
	return sub, res
}

func data(evs []sse.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Data
	}
	return out
}

func equal(t testing.TB, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s: got %q, want %q", what, got, want)
	}
}

func testOrder(t *testing.T, c Config) {
	b := newBroker(t, c)
	s := new(Subscriber)
	sub, _ := subscribe(t, b, s, "", "a")
	defer sub.Unsubscribe()
	var want []string
	ids := map[string]bool{}
	for i := range 200 {
		d := strconv.Itoa(i)
		id := publish(t, b, d, "a")
		if ids[id] {
			t.Fatalf("id %q assigned twice", id)
		}
		ids[id] = true
		want = append(want, d)
	}
	evs := s.WaitFor(t, 200)
	equal(t, "delivered", data(evs), want)
	for _, ev := range evs {
		if !ids[ev.ID] {
			t.Fatalf("delivered id %q was not returned by Publish", ev.ID)
		}
	}
}

func testMultiTopicOnce(t *testing.T, c Config) {
	b := newBroker(t, c)
	s, dup := new(Subscriber), new(Subscriber)
	sub, _ := subscribe(t, b, s, "", "a", "b", "c")
	defer sub.Unsubscribe()
	sub2, _ := subscribe(t, b, dup, "", "a", "a")
	defer sub2.Unsubscribe()
	publish(t, b, "1", "a", "b", "c", "a")
	publish(t, b, "2", "b", "z")
	publish(t, b, "3", "z")
	publish(t, b, "4", "c")
	publish(t, b, "5", "a")
	equal(t, "subscriber of a, b, c", data(s.WaitFor(t, 4)), []string{"1", "2", "4", "5"})
	equal(t, "subscriber of a, a", data(dup.WaitFor(t, 2)), []string{"1", "5"})
	// Nothing more arrives: publish a marker and check it comes right after.
	publish(t, b, "end", "a")
	equal(t, "subscriber of a, b, c", data(s.WaitFor(t, 5)), []string{"1", "2", "4", "5", "end"})
}

func testCommonOrder(t *testing.T, c Config) {
	b := newBroker(t, c)
	topicSets := [][]string{{"a"}, {"b"}, {"a", "b"}}
	subs := make([]*Subscriber, len(topicSets))
	for i, ts := range topicSets {
		subs[i] = new(Subscriber)
		sub, _ := subscribe(t, b, subs[i], "", ts...)
		defer sub.Unsubscribe()
	}
	const publishers, each = 4, 100
	var wg sync.WaitGroup
	for p := range publishers {
		wg.Go(func() {
			for i := range each {
				topics := [][]string{{"a"}, {"b"}, {"a", "b"}}[i%3]
				if _, err := b.Publish(context.Background(), topics, sse.Event{Data: fmt.Sprintf("%d:%d", p, i)}); err != nil {
					t.Errorf("Publish: %v", err)
				}
			}
		})
	}
	wg.Wait()
	both := data(subs[2].WaitFor(t, publishers*each))
	pos := map[string]int{}
	for i, d := range both {
		pos[d] = i
	}
	for k, s := range subs[:2] {
		want := 0
		for i := range each {
			if i%3 == k || i%3 == 2 {
				want += publishers
			}
		}
		got := data(s.WaitFor(t, want))
		for i := 1; i < len(got); i++ {
			if pos[got[i-1]] > pos[got[i]] {
				t.Fatalf("subscriber %d got %s before %s; the subscriber of both topics got them the other way round",
					k, got[i-1], got[i])
			}
		}
	}
}

func testResumeComplete(t *testing.T, c Config) {
	b := newBroker(t, c)
	var ids []string
	for i := range 8 {
		ids = append(ids, publish(t, b, strconv.Itoa(i), "a"))
	}
	s := new(Subscriber)
	sub, res := subscribe(t, b, s, ids[2], "a")
	defer sub.Unsubscribe()
	if res.Status != server.ResumeComplete {
		t.Fatalf("status %v, want complete", res.Status)
	}
	equal(t, "replay after the third event", data(Decode(t, res.Frames)), []string{"3", "4", "5", "6", "7"})
	for i, ev := range Decode(t, res.Frames) {
		if ev.ID != ids[3+i] {
			t.Fatalf("replayed id %q, published as %q", ev.ID, ids[3+i])
		}
	}
	s2 := new(Subscriber)
	sub2, res2 := subscribe(t, b, s2, ids[7], "a")
	defer sub2.Unsubscribe()
	if res2.Status != server.ResumeComplete || len(res2.Frames) != 0 {
		t.Fatalf("resume at the newest event: status %v, %d frames; want complete, none", res2.Status, len(res2.Frames))
	}
	publish(t, b, "live", "a")
	equal(t, "live after the replay", data(s.WaitFor(t, 1)), []string{"live"})
}

func testResumeAcrossTopics(t *testing.T, c Config) {
	b := newBroker(t, c)
	var ids []string
	for i, topics := range [][]string{{"a"}, {"b"}, {"a", "b"}, {"a"}, {"b"}, {"c"}, {"a", "b", "a", "b"}} {
		ids = append(ids, publish(t, b, strconv.Itoa(i+1), topics...))
	}
	tests := []struct {
		topics []string
		after  int // index in ids
		want   []string
	}{
		{[]string{"a", "b"}, 0, []string{"2", "3", "4", "5", "7"}},
		{[]string{"b", "a"}, 2, []string{"4", "5", "7"}},
		{[]string{"b"}, 1, []string{"3", "5", "7"}},
		{[]string{"a", "a"}, 0, []string{"3", "4", "7"}},
		{[]string{"b"}, 5, []string{"7"}}, // the id of an event to another topic is a position too
	}
	for _, tt := range tests {
		s := new(Subscriber)
		sub, res := subscribe(t, b, s, ids[tt.after], tt.topics...)
		if res.Status != server.ResumeComplete {
			t.Fatalf("%v after event %d: status %v, want complete", tt.topics, tt.after+1, res.Status)
		}
		equal(t, fmt.Sprintf("%v after event %d", tt.topics, tt.after+1), data(Decode(t, res.Frames)), tt.want)
		sub.Unsubscribe()
	}
}

func testResumeWhilePublishing(t *testing.T, c Config) {
	b := newBroker(t, c)
	const total = 2000
	var mu sync.Mutex
	ids := make([]string, 0, total)
	var wg sync.WaitGroup
	// The publisher races with Subscribe for Retain/4 events, then waits for it, so that
	// the resume point cannot leave the broker's history meanwhile.
	start, subscribed := make(chan struct{}), make(chan struct{})
	wg.Go(func() {
		for i := range total {
			switch i {
			case c.Retain / 2:
				close(start)
			case c.Retain/2 + c.Retain/4:
				<-subscribed
			}
			id, err := b.Publish(context.Background(), []string{"a"}, sse.Event{Data: strconv.Itoa(i)})
			if err != nil {
				t.Errorf("Publish: %v", err)
				return
			}
			mu.Lock()
			ids = append(ids, id)
			mu.Unlock()
		}
	})
	<-start
	mu.Lock()
	from := len(ids) - 1
	lastID := ids[from]
	mu.Unlock()
	s := new(Subscriber)
	sub, res := subscribe(t, b, s, lastID, "a")
	defer sub.Unsubscribe()
	close(subscribed)
	wg.Wait()
	if res.Status != server.ResumeComplete {
		t.Fatalf("status %v, want complete (resumed %d events behind at most)", res.Status, c.Retain/2)
	}
	replay := data(Decode(t, res.Frames))
	live := data(s.WaitFor(t, total-1-from-len(replay)))
	got := append(replay, live...)
	for i, d := range got {
		if want := strconv.Itoa(from + 1 + i); d != want {
			t.Fatalf("event %d after the resume point is %q, want %q (replay %d, live %d)", i, d, want, len(replay), len(live))
		}
	}
}

func testGapAfterTrim(t *testing.T, c Config) {
	b := newBroker(t, c)
	first := publish(t, b, "first", "a")
	for i := range c.Retain + c.Evict {
		publish(t, b, strconv.Itoa(i), "a")
	}
	s := new(Subscriber)
	sub, res := subscribe(t, b, s, first, "a")
	defer sub.Unsubscribe()
	if res.Status != server.ResumeGap || len(res.Frames) != 0 {
		t.Fatalf("resume from an id trimmed long ago: status %v, %d frames; want gap, none", res.Status, len(res.Frames))
	}
	publish(t, b, "live", "a")
	equal(t, "live after the gap", data(s.WaitFor(t, 1)), []string{"live"})
}

func testGapOnAnotherTopic(t *testing.T, c Config) {
	b := newBroker(t, c)
	on := publish(t, b, "on a", "a")
	for i := range c.Retain + c.Evict {
		publish(t, b, strconv.Itoa(i), "b")
	}
	s := new(Subscriber)
	sub, res := subscribe(t, b, s, on, "a", "b")
	defer sub.Unsubscribe()
	if res.Status != server.ResumeGap || len(res.Frames) != 0 {
		t.Fatalf("status %v, %d frames; want gap, none: events to b after the id were dropped", res.Status, len(res.Frames))
	}
}

func testUnknown(t *testing.T, c Config) {
	b := newBroker(t, c)
	publish(t, b, "x", "a")
	other := newBroker(t, c)
	foreign := publish(t, other, "y", "a")
	for _, id := range []string{"nope", foreign, "00000000-0000-4000-8000-000000000000"} {
		s := new(Subscriber)
		sub, res := subscribe(t, b, s, id, "a")
		if res.Status != server.ResumeUnknown || len(res.Frames) != 0 {
			t.Fatalf("resume from %q: status %v, %d frames; want unknown, none", id, res.Status, len(res.Frames))
		}
		sub.Unsubscribe()
	}
}

func testNoLastEventID(t *testing.T, c Config) {
	b := newBroker(t, c)
	publish(t, b, "before", "a")
	s := new(Subscriber)
	sub, res := subscribe(t, b, s, "", "a")
	defer sub.Unsubscribe()
	if res.Status != server.ResumeNone || len(res.Frames) != 0 {
		t.Fatalf("status %v, %d frames; want none, none", res.Status, len(res.Frames))
	}
	checkStart(t, res)
	publish(t, b, "after", "a")
	equal(t, "live", data(s.WaitFor(t, 1)), []string{"after"})
}

// checkStart fails unless res carries a start position that is a valid event id.
func checkStart(t testing.TB, res server.Resume) string {
	t.Helper()
	switch {
	case res.Start == "":
		t.Fatal("a subscription without a Last-Event-ID got no start position (Resume.Start)")
	case len(res.Start) > server.MaxLastEventIDLen || strings.ContainsAny(res.Start, "\r\n\x00"):
		t.Fatalf("start position %q is not a valid event id", res.Start)
	}
	return res.Start
}

// resumeFrom subscribes a new subscriber to topics from lastID, requires a complete
// resume, and returns the replayed events.
func resumeFrom(t testing.TB, b server.Broker, lastID string, topics ...string) []sse.Event {
	t.Helper()
	sub, res := subscribe(t, b, new(Subscriber), lastID, topics...)
	sub.Unsubscribe()
	if res.Status != server.ResumeComplete {
		t.Fatalf("resume of %v from %q: status %v, want complete", topics, lastID, res.Status)
	}
	return Decode(t, res.Frames)
}

// sameEvents fails unless got and want are the same events (data and ids).
func sameEvents(t testing.TB, what string, got, want []sse.Event) {
	t.Helper()
	equal(t, what, data(got), data(want))
	for i := range got {
		if got[i].ID != want[i].ID {
			t.Fatalf("%s: event %d has id %q, want %q", what, i, got[i].ID, want[i].ID)
		}
	}
}

// A subscriber's start position may name an event of another topic: resuming from it
// replays exactly what the subscriber was delivered live, on any of its topics.
func testResumeFromStart(t *testing.T, c Config) {
	b := newBroker(t, c)
	publish(t, b, "a0", "a")
	publish(t, b, "b0", "b") // the newest publish when the subscriber joins: to another topic
	s := new(Subscriber)
	sub, res := subscribe(t, b, s, "", "a")
	start := checkStart(t, res)
	for _, p := range [][2]string{{"b1", "b"}, {"a1", "a"}, {"c1", "c"}, {"a2", "a"}, {"b2", "b"}} {
		publish(t, b, p[0], p[1])
	}
	live := s.WaitFor(t, 2)
	equal(t, "delivered from the start position", data(live), []string{"a1", "a2"})
	sub.Unsubscribe()
	sameEvents(t, "resume of a from the start position", resumeFrom(t, b, start, "a"), live)
	equal(t, "resume of a, b from the start position", data(resumeFrom(t, b, start, "a", "b")), []string{"b1", "a1", "a2", "b2"})
	equal(t, "resume of c from the start position", data(resumeFrom(t, b, start, "c")), []string{"c1"})
	equal(t, "resume of d from the start position", data(resumeFrom(t, b, start, "d")), nil)
}

// The start position of a subscriber of a log that has no event yet is a position too.
func testResumeFromFirstStart(t *testing.T, c Config) {
	b := newBroker(t, c)
	s := new(Subscriber)
	sub, res := subscribe(t, b, s, "", "a", "b")
	start := checkStart(t, res)
	sub.Unsubscribe()
	equal(t, "resume from the start position, nothing published", data(resumeFrom(t, b, start, "a")), nil)
	publish(t, b, "a1", "a")
	publish(t, b, "b1", "b")
	equal(t, "resume from the start position", data(resumeFrom(t, b, start, "a", "b")), []string{"a1", "b1"})
	equal(t, "resume from the start position", data(resumeFrom(t, b, start, "b")), []string{"b1"})
}

// A subscriber that joins while events are published is delivered exactly the events
// after its start position: a resume from it replays them, with nothing missing and
// nothing more.
func testStartWhilePublishing(t *testing.T, c Config) {
	b := newBroker(t, c)
	var wg sync.WaitGroup
	// As in testResumeWhilePublishing: the publisher races with Subscribe for Retain/4
	// events, then waits for it, so that the start position stays in the history.
	start, subscribed := make(chan struct{}), make(chan struct{})
	wg.Go(func() {
		for i := range c.Retain {
			switch i {
			case c.Retain / 4:
				close(start)
			case c.Retain / 2:
				<-subscribed
			}
			if _, err := b.Publish(context.Background(), []string{"a"}, sse.Event{Data: strconv.Itoa(i)}); err != nil {
				t.Errorf("Publish: %v", err)
				return
			}
		}
	})
	<-start
	s := new(Subscriber)
	sub, res := subscribe(t, b, s, "", "a")
	defer sub.Unsubscribe()
	close(subscribed)
	wg.Wait()
	replay := resumeFrom(t, b, checkStart(t, res), "a")
	if len(replay) < c.Retain/2 || len(replay) > c.Retain-c.Retain/4 {
		t.Fatalf("resume from the start position replayed %d events; the subscriber joined after %d to %d of %d",
			len(replay), c.Retain/4, c.Retain/2, c.Retain)
	}
	first, err := strconv.Atoi(replay[0].Data)
	if err != nil {
		t.Fatalf("replayed event %q", replay[0].Data)
	}
	for i, ev := range replay {
		if want := strconv.Itoa(first + i); ev.Data != want {
			t.Fatalf("replayed event %d is %q, want %q", i, ev.Data, want)
		}
	}
	if last := replay[len(replay)-1].Data; last != strconv.Itoa(c.Retain-1) {
		t.Fatalf("the replay ends with event %q, want the last one published, %d", last, c.Retain-1)
	}
	sameEvents(t, "delivered live vs resumed from the start position", s.WaitFor(t, len(replay)), replay)
	publish(t, b, "marker", "a")
	if got := data(s.WaitFor(t, len(replay)+1)); len(got) != len(replay)+1 || got[len(replay)] != "marker" {
		t.Fatalf("the subscriber was delivered %q, want the replay from its start position and the marker", got)
	}
}

// A resume from a start position after which the broker dropped events is a gap, as from
// any id.
func testGapAfterStart(t *testing.T, c Config) {
	b := newBroker(t, c)
	publish(t, b, "before", "a")
	sub, res := subscribe(t, b, new(Subscriber), "", "a")
	start := checkStart(t, res)
	sub.Unsubscribe()
	for i := range c.Retain + c.Evict {
		publish(t, b, strconv.Itoa(i), "a")
	}
	sub, res = subscribe(t, b, new(Subscriber), start, "a")
	defer sub.Unsubscribe()
	if res.Status != server.ResumeGap || len(res.Frames) != 0 || res.Start != "" {
		t.Fatalf("resume from a start position trimmed long ago: status %v, %d frames, start %q; want gap, none, none",
			res.Status, len(res.Frames), res.Start)
	}
}

func testRefusedForgotten(t *testing.T, c Config) {
	b := newBroker(t, c)
	refusing, other := new(Subscriber), new(Subscriber)
	refusing.refuse.Store(true)
	sub, _ := subscribe(t, b, refusing, "", "a", "b")
	sub2, _ := subscribe(t, b, other, "", "a", "b")
	defer sub2.Unsubscribe()
	publish(t, b, "1", "a")
	publish(t, b, "2", "b")
	publish(t, b, "3", "a", "b")
	other.WaitFor(t, 3)
	if n := refusing.calls.Load(); n != 1 {
		t.Fatalf("a subscriber that returned false was called %d times, want 1", n)
	}
	sub.Unsubscribe() // allowed, and harmless
}

func testSerialised(t *testing.T, c Config) {
	b := newBroker(t, c)
	s := new(Subscriber)
	sub, _ := subscribe(t, b, s, "", "a", "b")
	defer sub.Unsubscribe()
	var wg sync.WaitGroup
	for p := range 8 {
		wg.Go(func() {
			for i := range 200 {
				topic := []string{"a", "b"}[(p+i)%2]
				if _, err := b.Publish(context.Background(), []string{topic}, sse.Event{Data: "x"}); err != nil {
					t.Errorf("Publish: %v", err)
				}
			}
		})
	}
	wg.Wait()
	s.WaitFor(t, 8*200)
	if s.overlap.Load() {
		t.Fatal("Deliver was called concurrently for one subscriber")
	}
}

func testUnsubscribe(t *testing.T, c Config) {
	b := newBroker(t, c)
	s, other := new(Subscriber), new(Subscriber)
	sub, _ := subscribe(t, b, s, "", "a", "b")
	sub2, _ := subscribe(t, b, other, "", "a", "b")
	defer sub2.Unsubscribe()
	publish(t, b, "1", "a")
	s.WaitFor(t, 1)
	sub.Unsubscribe()
	sub.Unsubscribe() // idempotent
	publish(t, b, "2", "a")
	publish(t, b, "3", "b")
	other.WaitFor(t, 3)
	equal(t, "after Unsubscribe", data(s.Events(t)), []string{"1"})
}

func testClose(t *testing.T, c Config) {
	b := c.New(t)
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := b.Publish(context.Background(), []string{"a"}, sse.Event{Data: "x"}); !errors.Is(err, server.ErrServerClosed) {
		t.Fatalf("Publish after Close: %v, want an error wrapping server.ErrServerClosed", err)
	}
	if _, _, err := b.Subscribe(context.Background(), new(Subscriber), []string{"a"}, ""); !errors.Is(err, server.ErrServerClosed) {
		t.Fatalf("Subscribe after Close: %v, want an error wrapping server.ErrServerClosed", err)
	}
}

// testLinearCost subscribes a second subscriber to the n topics of a first one, and makes
// the first leave (so that the second one is moved in every topic), for n and 64n topics.
// Linear costs grow 64 times (more with cache misses); quadratic ones 4096 times. The
// best of several rounds is compared, with room for noise and caches: the bound is 640.
// The garbage collector is off while timing: its work grows with the heap, not with the
// broker's algorithm.
func testLinearCost(t *testing.T, c Config) {
	b := newBroker(t, c)
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	cost := func(n int) time.Duration {
		topics := make([]string, n)
		for i := range topics {
			topics[i] = fmt.Sprintf("cost-%d-%d", n, i)
		}
		best := time.Duration(1<<63 - 1)
		for range 5 {
			runtime.GC()
			first, _ := subscribe(t, b, new(Subscriber), "", topics...)
			start := time.Now()
			second, _ := subscribe(t, b, new(Subscriber), "", topics...)
			first.Unsubscribe()
			second.Unsubscribe()
			best = min(best, time.Since(start))
		}
		return best
	}
	const n, factor = 250, 64
	cost(n) // warm up
	small, large := cost(n), cost(factor*n)
	t.Logf("subscribe and unsubscribe: %d topics %v, %d topics %v", n, small, factor*n, large)
	if ratio := float64(large) / float64(max(small, time.Microsecond)); ratio > 640 {
		t.Fatalf("subscribing and unsubscribing %d topics took %v, %d topics %v: %.0f times as long; linear costs grow %d times",
			n, small, factor*n, large, ratio, factor)
	}
}
