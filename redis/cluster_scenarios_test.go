package redis_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/internal/testsupport"
	"github.com/polysse/sse/redis"
	"github.com/polysse/sse/redis/redistest"
	"github.com/polysse/sse/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// get sends a GET to url with a Last-Event-ID and returns the response; its body is
// closed when the test ends.
func get(t *testing.T, ctx context.Context, url, lastID string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	require.NoError(t, err)
	if lastID != "" {
		req.Header.Set(sse.HeaderLastEventID, lastID)
	}
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := hc.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// completeOn opens a stream on n that completes at once and returns its token.
func completeOn(t *testing.T, n *node) string {
	t.Helper()
	resp := get(t, t.Context(), n.url("complete=1"), "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	r := sse.NewReader(resp.Body, 0, "")
	for {
		ev, err := r.Next()
		require.NoError(t, err, "the stream ended before its complete event")
		if ev.Type == sse.EventComplete {
			require.True(t, sse.IsToken(ev.ID), "complete event id %q", ev.ID)
			return ev.ID
		}
	}
}

// completingStream completes the session when the request asks for it.
func completingStream(s *server.Session) {
	if s.Request().URL.Query().Get("complete") != "" {
		_ = s.Complete(`{"done":true}`)
		return
	}
	<-s.Done()
}

func TestClusterCompletionAcrossNodes(t *testing.T) {
	testsupport.CheckLeaks(t)
	c := newCluster(t, clusterOptions{nodes: 3, server: server.Options{Stream: completingStream}})
	a, b, cn := c.nodes[0], c.nodes[1], c.nodes[2]

	token := completeOn(t, a)
	resp := get(t, t.Context(), b.url(""), token)
	assert.Equal(t, http.StatusNoContent, resp.StatusCode, "reconnect to B with A's token")
	assert.Equal(t, string(sse.OutcomeComplete), resp.Header.Get(sse.HeaderOutcome))
	// Redeemed once: on C it is an ordinary reconnect (a stream, the id unknown).
	ctx, cancel := context.WithCancel(t.Context())
	resp = get(t, ctx, cn.url(""), token)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "second reconnect, on C")
	assert.Equal(t, "unknown", resp.Header.Get(sse.HeaderReplay))
	cancel()

	for round := range 5 {
		token := completeOn(t, c.nodes[round%3])
		wins, streams := redeemAll(t, token, 64, func(i int) *node { return c.nodes[i%3] })
		assert.Equal(t, 1, wins, "round %d: 64 concurrent redemptions over 3 nodes: exactly one 204", round)
		assert.Equal(t, 63, streams, "round %d: the others are ordinary streams", round)
	}
}

// redeemAll sends n reconnects with token at once, the i-th to on(i), and counts the 204s
// (redeemed) and the 200s (ordinary streams).
func redeemAll(t *testing.T, token string, n int, on func(i int) *node) (wins, streams int) {
	t.Helper()
	var w, s atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		url := on(i).url("")
		wg.Go(func() {
			<-start
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			req.Header.Set(sse.HeaderLastEventID, token)
			hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			resp, err := hc.Do(req)
			if err != nil {
				t.Errorf("redemption %d: %v", i, err)
				return
			}
			defer resp.Body.Close()
			switch resp.StatusCode {
			case http.StatusNoContent:
				w.Add(1)
			case http.StatusOK:
				s.Add(1)
			default:
				t.Errorf("redemption %d: status %d", i, resp.StatusCode)
			}
		})
	}
	close(start)
	wg.Wait()
	return int(w.Load()), int(s.Load())
}

func TestClusterFanoutOneOrder(t *testing.T) {
	testsupport.CheckLeaks(t)
	c := newCluster(t, clusterOptions{nodes: 3})
	var recs []*recorder
	for _, n := range c.nodes {
		for range 2 {
			recs = append(recs, newRecorder(t, n.url("topic=t"), ""))
		}
	}
	for _, r := range recs {
		r.waitFor(t, 10*time.Second, "the stream to open", func(r *recorder) bool { return r.opens > 0 })
	}
	const publishers, each = 8, 125
	b := c.nodes[1]
	var wg sync.WaitGroup
	for p := range publishers {
		wg.Go(func() {
			for i := range each {
				if _, err := b.publish(t.Context(), "t", "seq "+strconv.Itoa(p*each+i)); err != nil {
					t.Errorf("publish: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, r := range recs {
		r.waitFor(t, 20*time.Second, "1000 events", func(r *recorder) bool { return len(r.seqs) >= publishers*each })
	}
	want, wantIDs, _, _ := recs[0].snapshot()
	sorted := slices.Sorted(slices.Values(want))
	for i, s := range sorted {
		require.Equal(t, i, s, "node A's subscriber got every event once")
	}
	for i, r := range recs[1:] {
		got, ids, gaps, _ := r.snapshot()
		require.Equal(t, want, got, "subscriber %d (node %d) got the events in node A's order", i+1, (i+1)/2)
		require.Equal(t, wantIDs, ids, "subscriber %d has the same ids", i+1)
		require.Empty(t, gaps)
	}
	require.True(t, strings.HasPrefix(wantIDs[0], b.b.Tag()), "id %q is a position of the log", wantIDs[0])
}

// runPublisher publishes seq 0..n-1 in order, calling at(i) before seq i; it returns the
// publisher once all are published.
func runPublisher(t *testing.T, c *cluster, n int, pace time.Duration, at func(i int)) *publisher {
	t.Helper()
	p := newPublisher(c, "t")
	for i := range n {
		if at != nil {
			at(i)
		}
		if err := p.publish(t.Context(), i); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
		if pace > 0 {
			time.Sleep(pace)
		}
	}
	return p
}

// clientsVia starts n recorders through the proxy and waits until their streams are open.
func clientsVia(t *testing.T, c *cluster, n int) []*recorder {
	t.Helper()
	recs := make([]*recorder, n)
	for i := range recs {
		recs[i] = newRecorder(t, c.proxy.url("topic=t"), "")
	}
	for _, r := range recs {
		r.waitFor(t, 10*time.Second, "the stream to open", func(r *recorder) bool { return r.opens > 0 })
	}
	return recs
}

// tallyAll publishes tail events (n, n+1, ...) through pub until every recorder got one
// (or event n-1), so that a client that resumed with a gap at the very end has something
// after it, and returns the tally of events 0..n-1.
func tallyAll(t *testing.T, recs []*recorder, pub *publisher, n int) *tally {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			pub.tail = max(pub.tail+1, n)
			_ = pub.publish(ctx, pub.tail)
			select {
			case <-ctx.Done():
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	for _, r := range recs {
		r.waitFor(t, 60*time.Second, "the last event", func(r *recorder) bool { return r.reached(n - 1) })
	}
	cancel()
	<-done
	var a tally
	for _, r := range recs {
		seqs, _, gaps, _ := r.snapshot()
		a.count(seqs, gaps, n)
	}
	t.Log(a.String())
	return &a
}

func TestClusterNodeKilledMidStream(t *testing.T) {
	testsupport.CheckLeaks(t)
	c := newCluster(t, clusterOptions{nodes: 3})
	recs := clientsVia(t, c, 30)
	const n = 600
	pub := runPublisher(t, c, n, time.Millisecond, func(i int) {
		switch i {
		case n / 3:
			c.nodes[0].kill()
		case 2 * n / 3:
			c.nodes[0].start()
			c.nodes[2].kill()
		}
	})
	a := tallyAll(t, recs, pub, n)
	assert.Zero(t, a.lost, "lost")
	assert.Zero(t, a.duplicated, "duplicated")
	assert.Zero(t, a.gapSignals, "gap signals: the log is intact")
}

// Clients that connected in a quiet period have received no event when their node is
// killed. They reconnect, through the proxy, to the other nodes with their start position
// (the entry of the log where they joined: here one of another topic) and get every event
// published while they were away, with nothing lost, nothing twice and no gap.
func TestClusterNodeKilledBeforeAnyEvent(t *testing.T) {
	testsupport.CheckLeaks(t)
	// Queues that take the bursts: no client is evicted (and reconnects).
	c := newCluster(t, clusterOptions{nodes: 3, server: server.Options{QueueSize: 1024}})
	_, err := c.nodes[1].publish(t.Context(), "other", "not for them")
	require.NoError(t, err)
	recs := clientsVia(t, c, 30) // round robin: 10 on each node
	release := c.proxy.hold()    // node 0's clients stay away until events were published
	c.nodes[0].kill()
	const n = 200
	pub := newPublisher(c, "t")
	for i := range n / 2 {
		require.NoError(t, pub.publish(t.Context(), i))
	}
	release()
	for i := n / 2; i < n; i++ {
		require.NoError(t, pub.publish(t.Context(), i))
	}
	a := tallyAll(t, recs, pub, n)
	assert.Zero(t, a.lost, "lost")
	assert.Zero(t, a.duplicated, "duplicated")
	assert.Zero(t, a.gapSignals, "gap signals: the log is intact")
	reconnected := 0
	for i, r := range recs {
		_, _, _, replays := r.snapshot()
		if len(replays) > 1 {
			reconnected++
			assert.Equal(t, []string{"", "complete"}, replays, "client %d: a new stream, then a resume from its start position", i)
		}
	}
	assert.Equal(t, 10, reconnected, "the clients of the killed node reconnected")
}

func TestClusterRedisRestart(t *testing.T) {
	for _, p := range []redistest.Persistence{redistest.AOFAlways, redistest.NoPersistence} {
		t.Run(p.String(), func(t *testing.T) {
			testsupport.CheckLeaks(t)
			c := newCluster(t, clusterOptions{nodes: 3, persistence: p})
			recs := clientsVia(t, c, 20)
			const n = 400
			pub := runPublisher(t, c, n, time.Millisecond, func(i int) {
				if i == n/2 {
					require.NoError(t, c.redis.Kill())
					require.NoError(t, c.redis.Restart())
				}
			})
			a := tallyAll(t, recs, pub, n)
			t.Logf("publisher retries: %d", pub.retries.Load())
			assert.Zero(t, a.lost, "silent losses")
			assert.Zero(t, a.duplicated, "duplicates")
			if p == redistest.AOFAlways {
				assert.Zero(t, a.gapSignals, "gap signals: every acknowledged event survived")
				assert.Zero(t, a.signalled)
			} else {
				assert.GreaterOrEqual(t, a.gaps, len(recs), "every client is told of the gap")
				var breaks uint64
				for _, nd := range c.nodes {
					_, b, _ := nd.server()
					breaks += b.Stats().Breaks
				}
				assert.GreaterOrEqual(t, breaks, uint64(len(c.nodes)), "every node's reader saw the chain break")
			}
		})
	}
}

// gapStream reports each session's ReplayGap.
func gapStream(gaps chan<- bool) func(*server.Session) {
	return func(s *server.Session) {
		select {
		case gaps <- s.ReplayGap():
		default:
		}
		<-s.Done()
	}
}

func TestClusterTrimmedPastClient(t *testing.T) {
	testsupport.CheckLeaks(t)
	gaps := make(chan bool, 64)
	c := newCluster(t, clusterOptions{nodes: 3, broker: redis.BrokerOptions{MaxLen: 100}, server: server.Options{Stream: gapStream(gaps)}})
	r := newRecorder(t, c.proxy.url("topic=t"), "")
	r.waitFor(t, 10*time.Second, "the stream to open", func(r *recorder) bool { return r.opens > 0 })
	<-gaps
	pub := newPublisher(c, "t")
	for i := range 10 {
		require.NoError(t, pub.publish(t.Context(), i))
	}
	r.waitFor(t, 10*time.Second, "10 events", func(r *recorder) bool { return len(r.seqs) == 10 })
	_, ids, _, _ := r.snapshot()
	r.c.Close()
	<-r.c.Done()
	// A watcher on each node paces the burst, so that no node's reader falls more than
	// the log's length behind (it would end its sessions: a legitimate gap, but another
	// test's).
	var watchers []*recorder
	for _, nd := range c.nodes {
		w := newRecorder(t, nd.url("topic=t"), "")
		w.waitFor(t, 10*time.Second, "the stream to open", func(r *recorder) bool { return r.opens > 0 })
		<-gaps
		watchers = append(watchers, w)
	}
	for i := 10; i < 1010; i++ {
		require.NoError(t, pub.publish(t.Context(), i))
		if i%50 == 9 {
			for _, w := range watchers {
				w.waitFor(t, 10*time.Second, "the node to keep up", func(r *recorder) bool { return r.reached(i) })
			}
		}
	}
	for i, nd := range c.nodes {
		resp := get(t, t.Context(), nd.url("topic=t"), ids[9])
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "gap", resp.Header.Get(sse.HeaderReplay), "node %d", i)
		require.True(t, <-gaps, "node %d: Session.ReplayGap", i)
		require.NoError(t, pub.publish(t.Context(), 1010+i))
		rd := sse.NewReader(resp.Body, 0, "")
		ev, err := rd.Next()
		require.NoError(t, err)
		assert.Equal(t, gapEvent.Type, ev.Type, "node %d: the gap event comes first", i)
		ev, err = rd.Next()
		require.NoError(t, err)
		assert.Equal(t, "seq "+strconv.Itoa(1010+i), ev.Data, "node %d: no partial replay: the next event is live", i)
		resp.Body.Close()
	}
}

func TestClusterRedisOutage(t *testing.T) {
	testsupport.CheckLeaks(t)
	c := newCluster(t, clusterOptions{
		nodes: 3, persistence: redistest.AOFAlways,
		// No cache: every resume reads Redis (a node serves a resume from its cache while
		// Redis is down until its reader notices: TestClusterFrozenRedis).
		broker: redis.BrokerOptions{Timeout: 300 * time.Millisecond, CacheSize: -1},
		// Queues that take the bursts: no client is evicted (and reconnects).
		server: server.Options{Stream: completingStream, QueueSize: 1024},
	})
	recs := clientsVia(t, c, 12)
	pub := newPublisher(c, "t")
	for i := range 100 {
		require.NoError(t, pub.publish(t.Context(), i))
	}
	recs[0].waitFor(t, 10*time.Second, "100 events", func(r *recorder) bool { return r.reached(99) })
	_, ids, _, _ := recs[0].snapshot()
	token := completeOn(t, c.nodes[0])

	require.NoError(t, c.redis.Kill())
	down := time.Now()
	// Publish fails promptly, with the server's sentinel.
	start := time.Now()
	_, err := c.nodes[1].publish(t.Context(), "t", "lost")
	require.ErrorIs(t, err, server.ErrBrokerUnavailable)
	require.ErrorIs(t, err, redis.ErrUnavailable)
	assert.Less(t, time.Since(start), 2*time.Second, "Publish fails within its Timeout")
	for i, nd := range c.nodes {
		srv, _, _ := nd.server()
		require.Eventually(t, func() bool { return srv.Ready(t.Context()) != nil }, 5*time.Second, 10*time.Millisecond, "node %d: not ready", i)
	}
	// A resume and a redemption during the outage: 200, a retry hint, and the end.
	for _, lastID := range []string{ids[50], token} {
		resp := get(t, t.Context(), c.nodes[2].url("topic=t"), lastID)
		require.Equal(t, http.StatusOK, resp.StatusCode, "Last-Event-ID %s during the outage", lastID)
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err, "the response ends")
		assert.Contains(t, string(body), "retry: 50\n")
		assert.Empty(t, resp.Header.Get(sse.HeaderReplay))
	}
	time.Sleep(2*time.Second - time.Since(down)) // a 2 s outage
	require.NoError(t, c.redis.Restart())

	for i := 100; i < 200; i++ {
		require.NoError(t, pub.publish(t.Context(), i))
	}
	a := tallyAll(t, recs, pub, 200)
	assert.Zero(t, a.lost)
	assert.Zero(t, a.duplicated)
	assert.Zero(t, a.gapSignals)
	for _, r := range recs {
		_, _, _, replays := r.snapshot()
		assert.Len(t, replays, 1, "the stream stayed open through the outage")
	}
	for i, nd := range c.nodes {
		srv, _, _ := nd.server()
		require.Eventually(t, func() bool { return srv.Ready(t.Context()) == nil }, 5*time.Second, 10*time.Millisecond, "node %d: ready again", i)
	}
	// The same resume and redemption now succeed.
	resp := get(t, t.Context(), c.nodes[2].url("topic=t"), ids[50])
	assert.Equal(t, "complete", resp.Header.Get(sse.HeaderReplay))
	rd := sse.NewReader(resp.Body, 0, "")
	ev, err := rd.Next()
	require.NoError(t, err)
	assert.Equal(t, "seq 51", ev.Data)
	resp.Body.Close()
	resp = get(t, t.Context(), c.nodes[1].url(""), token)
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Equal(t, string(sse.OutcomeComplete), resp.Header.Get(sse.HeaderOutcome))
}

func TestClusterFrozenRedis(t *testing.T) {
	testsupport.CheckLeaks(t)
	c := newCluster(t, clusterOptions{nodes: 2, broker: redis.BrokerOptions{Timeout: 300 * time.Millisecond}})
	recs := clientsVia(t, c, 6)
	pub := newPublisher(c, "t")
	for i := range 20 {
		require.NoError(t, pub.publish(t.Context(), i))
	}
	recs[0].waitFor(t, 10*time.Second, "20 events", func(r *recorder) bool { return r.reached(19) })
	_, ids, _, _ := recs[0].snapshot()
	_, b1, _ := c.nodes[1].server()
	require.Eventually(t, func() bool { return b1.Stats().Entries >= 20 }, 10*time.Second, time.Millisecond, "node 1 read the 20 events")
	require.NoError(t, c.redis.Freeze())
	_, err := c.nodes[0].publish(t.Context(), "t", "x")
	require.ErrorIs(t, err, server.ErrBrokerUnavailable)
	// A resume from an id the node's cache holds needs no Redis: it is served.
	resp := get(t, t.Context(), c.nodes[1].url("topic=t"), ids[10])
	assert.Equal(t, "complete", resp.Header.Get(sse.HeaderReplay))
	ev, err := sse.NewReader(resp.Body, 0, "").Next()
	require.NoError(t, err)
	assert.Equal(t, "seq 11", ev.Data)
	resp.Body.Close()
	// The readers give up on their blocked reads (Block 200 ms + 1 s) and redial.
	for _, nd := range c.nodes {
		_, b, _ := nd.server()
		require.Eventually(t, func() bool { return b.Stats().ReadErrors > 0 }, 5*time.Second, 10*time.Millisecond)
	}
	require.NoError(t, c.redis.Thaw())
	for i := 20; i < 40; i++ {
		require.NoError(t, pub.publish(t.Context(), i))
	}
	a := tallyAll(t, recs, pub, 40)
	// The frozen publish may have been appended after all (its answer came too late): it
	// is not part of the sequence (the tally ignores it).
	assert.Zero(t, a.lost)
	assert.Zero(t, a.duplicated)
	assert.Zero(t, a.gapSignals)
}

func TestClusterLaggingReader(t *testing.T) {
	testsupport.CheckLeaks(t)
	// Queues that take the burst: A's clients must not be evicted (they would resume
	// from ids trimmed from the log of 100, and get a gap).
	c := newCluster(t, clusterOptions{nodes: 2, broker: redis.BrokerOptions{MaxLen: 100}, server: server.Options{QueueSize: 2048}})
	a, b := c.nodes[0], c.nodes[1]
	var onA, onB []*recorder
	for range 4 {
		onA = append(onA, newRecorder(t, a.url("topic=t"), ""))
		onB = append(onB, newRecorder(t, b.url("topic=t"), ""))
	}
	for _, r := range append(onA, onB...) {
		r.waitFor(t, 10*time.Second, "the stream to open", func(r *recorder) bool { return r.opens > 0 })
	}
	_, bb, _ := b.server()
	resume := redis.PauseReader(bb)
	pub := newPublisher(c, "t")
	for i := range 1000 {
		if err := pub.publishOn(t.Context(), a, i); err != nil {
			t.Fatal(err)
		}
		if i%50 == 49 { // A's reader keeps up: the log is never trimmed past it
			onA[0].waitFor(t, 10*time.Second, "A to keep up", func(r *recorder) bool { return r.reached(i) })
		}
	}
	resume()
	require.Eventually(t, func() bool { return bb.Stats().Breaks > 0 }, 10*time.Second, 10*time.Millisecond, "B's reader finds the log trimmed past it")
	for i := 1000; i < 1010; i++ {
		require.NoError(t, pub.publishOn(t.Context(), a, i))
	}
	ta := tallyAll(t, onA, pub, 1010)
	assert.Zero(t, ta.lost)
	assert.Zero(t, ta.duplicated)
	assert.Zero(t, ta.gapSignals, "node A kept up: its clients lose nothing")
	tb := tallyAll(t, onB, pub, 1010)
	assert.Zero(t, tb.lost, "silent losses on B")
	assert.Zero(t, tb.duplicated)
	assert.Equal(t, len(onB), tb.gaps, "every client of B is told of the gap")
	_, ab, _ := a.server()
	assert.Zero(t, ab.Stats().Breaks)
}

func TestClusterRestartBetweenReads(t *testing.T) {
	testsupport.CheckLeaks(t)
	c := newCluster(t, clusterOptions{nodes: 2})
	a, b := c.nodes[0], c.nodes[1]
	var onB []*recorder
	for range 4 {
		onB = append(onB, newRecorder(t, b.url("topic=t"), ""))
	}
	for _, r := range onB {
		r.waitFor(t, 10*time.Second, "the stream to open", func(r *recorder) bool { return r.opens > 0 })
	}
	pub := newPublisher(c, "t")
	for i := range 10 {
		require.NoError(t, pub.publishOn(t.Context(), a, i))
	}
	for _, r := range onB {
		r.waitFor(t, 10*time.Second, "10 events", func(r *recorder) bool { return r.reached(9) })
	}
	_, bb, _ := b.server()
	resume := redis.PauseReader(bb)
	errsBefore := bb.Stats().ReadErrors
	// Redis restarts empty between two reads of B: its client reconnects, and no read of
	// B ever fails.
	require.NoError(t, c.redis.Kill())
	require.NoError(t, c.redis.Restart())
	for i := 10; i < 20; i++ {
		require.NoError(t, pub.publishOn(t.Context(), a, i))
	}
	resume()
	require.Eventually(t, func() bool { return bb.Stats().Breaks > 0 }, 10*time.Second, 10*time.Millisecond, "B's chain check finds the lost log")
	t.Logf("B's read errors across the restart: %d", bb.Stats().ReadErrors-errsBefore)
	for i := 20; i < 30; i++ {
		require.NoError(t, pub.publishOn(t.Context(), a, i))
	}
	tb := tallyAll(t, onB, pub, 30)
	assert.Zero(t, tb.lost, "silent losses")
	assert.Zero(t, tb.duplicated)
	assert.Equal(t, len(onB), tb.gaps)
}

// publishOn publishes seq on node n, retrying there.
func (p *publisher) publishOn(ctx context.Context, n *node, seq int) error {
	kctx := redis.WithIdempotencyKey(ctx, p.run+"-"+strconv.Itoa(seq))
	for {
		_, err := n.publish(kctx, p.topic, "seq "+strconv.Itoa(seq))
		if err == nil || ctx.Err() != nil || !errors.Is(err, server.ErrBrokerUnavailable) {
			return err
		}
		time.Sleep(10 * time.Millisecond)
	}
}
