package bench_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/polysse/sse/server"
	r3sse "github.com/r3labs/sse/v2"
	gosse "github.com/tmaxmax/go-sse"
)

// deliveries counts the events that reach the subscribers' writers during one publish.
// The count is sharded (writer i counts in shard i mod len(shards), each on its own cache
// line), so that implementations that deliver from several goroutines at once do not
// pay for contention on one counter that only the benchmark has.
type deliveries struct {
	shards []shard
	left   atomic.Int64  // shards with deliveries still to come
	done   chan struct{} // receives when left reaches zero
}

type shard struct {
	remaining atomic.Int64
	size      int64 // writers that count here
	_         [48]byte
}

// idle is what the counters hold between publishes: out of reach, so that nothing written
// then (a preamble, a warm-up event) completes a publish.
const idle = 1 << 62

func newDeliveries(n int) *deliveries {
	c := &deliveries{shards: make([]shard, min(64, (n+127)/128)), done: make(chan struct{}, 1)}
	for i := range n {
		c.shards[i%len(c.shards)].size++
	}
	c.disarm()
	return c
}

// arm expects one delivery to every writer.
func (c *deliveries) arm() {
	for i := range c.shards {
		c.shards[i].remaining.Store(c.shards[i].size)
	}
	c.left.Store(int64(len(c.shards)))
}

func (c *deliveries) disarm() {
	for i := range c.shards {
		c.shards[i].remaining.Store(idle)
	}
	c.left.Store(idle)
}

// pending returns how many deliveries of the armed publish have not happened.
func (c *deliveries) pending() int64 {
	var n int64
	for i := range c.shards {
		n += max(0, c.shards[i].remaining.Load())
	}
	return n
}

// subWriter is a subscriber's http.ResponseWriter: it discards what it is given and
// counts, at each Flush that follows a Write, one delivered event. Every implementation
// writes a published event and then flushes it, once per event when events are
// published one at a time, as here. Each subWriter is used by one goroutine at a time.
type subWriter struct {
	h       http.Header
	c       *deliveries
	shard   *shard
	dirty   bool
	flushes atomic.Int64
	_       [24]byte // 64 bytes in all: writers used by different goroutines share no cache line
}

func (w *subWriter) Header() http.Header { return w.h }

func (w *subWriter) Write(p []byte) (int, error) {
	w.dirty = true
	return len(p), nil
}

func (w *subWriter) WriteHeader(int) {}

// SetWriteDeadline accepts a deadline, as net/http's ResponseWriter does (through
// http.ResponseController): a server that sets one per write pays for it here too.
func (w *subWriter) SetWriteDeadline(time.Time) error { return nil }

func (w *subWriter) Flush() {
	w.flushes.Add(1)
	if w.dirty {
		w.dirty = false
		if w.shard.remaining.Add(-1) == 0 && w.c.left.Add(-1) == 0 {
			w.c.done <- struct{}{}
		}
	}
}

// fanout is one implementation's server, seen from the benchmark.
type fanout interface {
	http.Handler
	// publish sends the benchmark's event to every subscriber.
	publish() error
	// warmUp reports whether publishing is needed before every subscriber has flushed
	// once (go-sse sends no headers until its first event).
	warmUp() bool
	// shutdown ends the server once every request's context is cancelled.
	shutdown(ctx context.Context) error
}

// publishEvent is what every publish benchmark sends: 64 bytes of data with an id and a
// type, as in the 64B parser workload.
var publishEvent = workloads[0].Events[0]

type polysseFanout struct{ srv *server.Server }

func newPolysse() fanout {
	return &polysseFanout{server.New(server.Options{
		Topics:            func(*http.Request) []string { return []string{"bench"} },
		HeartbeatInterval: -1, // no heartbeats: every flush is a published event
	})}
}

func (f *polysseFanout) ServeHTTP(w http.ResponseWriter, r *http.Request) { f.srv.ServeHTTP(w, r) }
func (f *polysseFanout) publish() error {
	_, err := f.srv.Publish(context.Background(), "bench", publishEvent)
	return err
}
func (f *polysseFanout) warmUp() bool                       { return false }
func (f *polysseFanout) shutdown(ctx context.Context) error { return f.srv.Shutdown(ctx) }

type goSSEFanout struct {
	srv *gosse.Server
	msg *gosse.Message
}

func newGoSSE() fanout {
	msg := &gosse.Message{ID: gosse.ID(publishEvent.ID), Type: gosse.Type(publishEvent.Type)}
	msg.AppendData(publishEvent.Data)
	return &goSSEFanout{srv: &gosse.Server{}, msg: msg} // the default provider, Joe
}

func (f *goSSEFanout) ServeHTTP(w http.ResponseWriter, r *http.Request) { f.srv.ServeHTTP(w, r) }
func (f *goSSEFanout) publish() error                                   { return f.srv.Publish(f.msg) }
func (f *goSSEFanout) warmUp() bool                                     { return true }
func (f *goSSEFanout) shutdown(ctx context.Context) error               { return f.srv.Shutdown(ctx) }

type r3labsFanout struct {
	srv *r3sse.Server
	ev  *r3sse.Event
}

func newR3labs() fanout {
	srv := r3sse.New()
	srv.AutoReplay = false // its event log is unbounded; polysse and go-sse keep none here
	srv.CreateStream("bench")
	return &r3labsFanout{srv: srv, ev: &r3sse.Event{
		ID:    []byte(publishEvent.ID),
		Event: []byte(publishEvent.Type),
		Data:  []byte(publishEvent.Data),
	}}
}

func (f *r3labsFanout) ServeHTTP(w http.ResponseWriter, r *http.Request) { f.srv.ServeHTTP(w, r) }
func (f *r3labsFanout) publish() error                                   { f.srv.Publish("bench", f.ev); return nil }
func (f *r3labsFanout) warmUp() bool                                     { return false }
func (f *r3labsFanout) shutdown(context.Context) error                   { f.srv.Close(); return nil }

var _ [64 - unsafe.Sizeof(subWriter{})]struct{} // subWriter must not outgrow 64 bytes

var fanouts = []struct {
	name string
	make func() fanout
}{
	{"polysse", newPolysse},
	{"go-sse", newGoSSE},
	{"r3labs", newR3labs},
}

// subscribed is a fan-out server with n subscribers whose writers discard.
type subscribed struct {
	f       fanout
	c       *deliveries
	writers []*subWriter
	cancel  context.CancelFunc
	served  sync.WaitGroup
}

// subscribe starts n requests (each in its own goroutine, as net/http would) and waits
// until every subscriber is live and nothing is in flight. It fails after 30 s.
func subscribe(tb testing.TB, f fanout, n int) *subscribed {
	tb.Helper()
	return subscribeWith(tb, f, n, nil)
}

// subscribeWith is subscribe with w, when not nil, as the first subscriber's writer. w
// is not counted in deliveries.
func subscribeWith(tb testing.TB, f fanout, n int, w0 http.ResponseWriter) *subscribed {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &subscribed{f: f, c: newDeliveries(n), cancel: cancel}
	s.writers = make([]*subWriter, n)
	for i := range s.writers {
		w := &subWriter{h: http.Header{}, c: s.c, shard: &s.c.shards[i%len(s.c.shards)]}
		s.writers[i] = w
		var rw http.ResponseWriter = w
		if i == 0 && w0 != nil {
			// w0 stands in for w: w stays in writers, flushed once, so that readiness
			// does not wait on w0, and w0 counts in no shard.
			w.flushes.Store(1)
			s.c.shards[0].size--
			rw = w0
		}
		// Each request has its own context, as net/http gives it; cancelling ctx ends all.
		rctx, rcancel := context.WithCancel(ctx)
		r, err := http.NewRequestWithContext(rctx, http.MethodGet, "http://bench.invalid/events?stream=bench", nil)
		if err != nil {
			tb.Fatal(err)
		}
		r.Header.Set("Accept", "text/event-stream")
		s.served.Go(func() {
			defer rcancel() // as net/http does when the handler returns
			f.ServeHTTP(rw, r)
		})
	}
	deadline := time.Now().Add(30 * time.Second)
	for !s.allFlushed() {
		if time.Now().After(deadline) {
			s.close(tb)
			tb.Fatalf("%d subscribers: not all live after 30 s", n)
		}
		if f.warmUp() {
			if err := f.publish(); err != nil {
				tb.Fatal(err)
			}
		}
		time.Sleep(time.Millisecond)
	}
	// Let warm-up deliveries finish: wait until no flush happens for 20 ms.
	last := int64(-1)
	for total := s.flushes(); total != last; total = s.flushes() {
		if time.Now().After(deadline) {
			s.close(tb)
			tb.Fatalf("%d subscribers: writes still going on after 30 s", n)
		}
		last = total
		time.Sleep(20 * time.Millisecond)
	}
	return s
}

func (s *subscribed) allFlushed() bool {
	for _, w := range s.writers {
		if w.flushes.Load() == 0 {
			return false
		}
	}
	return true
}

func (s *subscribed) flushes() int64 {
	var n int64
	for _, w := range s.writers {
		n += w.flushes.Load()
	}
	return n
}

// publishAll publishes once and waits until every subscriber's writer has flushed the
// event, failing after timer fires.
func (s *subscribed) publishAll(tb testing.TB, timer *time.Timer, timeout time.Duration) {
	s.c.arm()
	if err := s.f.publish(); err != nil {
		tb.Fatal(err)
	}
	timer.Reset(timeout)
	select {
	case <-s.c.done:
	case <-timer.C:
		tb.Fatalf("publish to %d subscribers: %d not delivered after %v",
			len(s.writers), s.c.pending(), timeout)
	}
}

// close cancels every request, shuts the server down and waits for the handlers.
func (s *subscribed) close(tb testing.TB) {
	s.c.disarm()
	s.cancel()
	done := make(chan struct{})
	go func() { s.served.Wait(); close(done) }()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	select {
	case <-done:
	case <-ctx.Done():
		tb.Errorf("handlers still running 30 s after their requests were cancelled")
	}
	if err := s.f.shutdown(ctx); err != nil {
		tb.Errorf("shutdown: %v", err)
	}
}

// BenchmarkPublish measures one publish to n subscribers whose writers discard, up to
// the moment the last subscriber's writer has flushed the event: the publish call and the
// delivery to every writer. It reports ns/subscriber too.
//
// The implementations deliver differently: polysse encodes the event once, queues the
// frame for each session and puts the session on a run queue served by a small elastic
// pool of writer goroutines (another worker starts when one is stuck on a slow client,
// so a slow subscriber delays nobody); go-sse's Joe writes to every subscriber in turn
// from its one goroutine (a slow one delays all); r3labs hands the event to each
// subscriber's channel from the stream's goroutine (which blocks when one subscriber's
// buffer of 64 is full), and each subscriber's handler goroutine writes it.
func BenchmarkPublish(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprintf("%dsubs", n), func(b *testing.B) {
			for _, impl := range fanouts {
				b.Run(impl.name, func(b *testing.B) {
					s := subscribe(b, impl.make(), n)
					defer s.close(b)
					timer := time.NewTimer(time.Hour)
					defer timer.Stop()
					b.ReportAllocs()
					for b.Loop() {
						s.publishAll(b, timer, 30*time.Second)
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/subscriber")
				})
			}
		})
	}
}

// TestPublishDelivers checks the harness itself: every implementation delivers each of
// a few publishes to every subscriber, exactly once.
func TestPublishDelivers(t *testing.T) {
	for _, impl := range fanouts {
		t.Run(impl.name, func(t *testing.T) {
			s := subscribe(t, impl.make(), 50)
			defer s.close(t)
			timer := time.NewTimer(time.Hour)
			defer timer.Stop()
			before := s.flushes()
			for range 5 {
				s.publishAll(t, timer, 10*time.Second)
			}
			time.Sleep(20 * time.Millisecond)
			if got, want := s.flushes()-before, int64(5*50); got != want {
				t.Errorf("%d flushes for 5 publishes to 50 subscribers, want %d", got, want)
			}
		})
	}
}

// stallWriter is a subscriber whose writes block, once stalled, until released: a client
// that stopped reading.
type stallWriter struct {
	subWriter
	stall atomic.Pointer[chan struct{}]
}

func (w *stallWriter) Write(p []byte) (int, error) {
	if ch := w.stall.Load(); ch != nil {
		<-*ch
	}
	return w.subWriter.Write(p)
}

// TestSlowSubscriber shows what one stalled subscriber does to the others: 100
// subscribers, one of which stops reading, then 100 events published one at a time, each
// waited for (up to 2 s) at the 99 others. polysse must deliver all of them; for the
// peers the test reports how far they got (go-sse's Joe writes to subscribers in turn
// from one goroutine; r3labs' stream goroutine blocks once the stalled subscriber's
// buffer of 64 events is full).
func TestSlowSubscriber(t *testing.T) {
	const n, events = 100, 100
	for _, impl := range fanouts {
		t.Run(impl.name, func(t *testing.T) {
			f := impl.make()
			own := newDeliveries(1) // the stalled writer's count, never armed
			stalled := &stallWriter{subWriter: subWriter{h: http.Header{}, c: own, shard: &own.shards[0]}}
			s := subscribeWith(t, f, n, stalled)
			// Wait until the stalled subscriber is live too (go-sse's first flush comes
			// with its first event).
			deadline := time.Now().Add(10 * time.Second)
			for stalled.flushes.Load() == 0 {
				if time.Now().After(deadline) {
					s.close(t)
					t.Fatal("the subscriber to stall is not live after 10 s")
				}
				if f.warmUp() {
					if err := f.publish(); err != nil {
						t.Fatal(err)
					}
				}
				time.Sleep(time.Millisecond)
			}
			time.Sleep(50 * time.Millisecond) // let warm-up deliveries finish
			release := make(chan struct{})
			stalled.stall.Store(&release)
			defer s.close(t)
			defer close(release) // first: lets a blocked publish or writer go on

			timer := time.NewTimer(time.Hour)
			defer timer.Stop()
			got := 0
			for ; got < events; got++ {
				s.c.arm()
				errc := make(chan error, 1)
				go func() { errc <- f.publish() }()
				timer.Reset(2 * time.Second)
				select {
				case <-s.c.done:
				case <-timer.C:
				}
				if s.c.pending() > 0 {
					break
				}
				if err := <-errc; err != nil {
					t.Fatal(err)
				}
			}
			s.c.disarm()
			t.Logf("%s: %d of %d events reached the %d other subscribers (2 s allowed each)", impl.name, got, events, n-1)
			if impl.name == "polysse" && got < events {
				t.Errorf("polysse: one stalled subscriber held up the others")
			}
		})
	}
}
