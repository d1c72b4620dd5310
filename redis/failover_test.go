package redis_test

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/internal/testsupport"
	"github.com/polysse/sse/redis"
	"github.com/polysse/sse/redis/redistest"
	"github.com/polysse/sse/server"
	"github.com/redis/rueidis"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// relay forwards TCP connections to a target that can be changed, as a virtual IP or a DNS
// name moves to the promoted replica in a failover; pointed nowhere, it cuts a link (a
// replica's to its primary) like a partition.
type relay struct {
	ln     net.Listener
	wg     sync.WaitGroup
	mu     sync.Mutex
	target string // "": connections are closed at once
	gen    int    // counts point calls: a connection made before one is not tracked after it
	conns  map[net.Conn]struct{}
}

// newRelay starts a relay to target on 127.0.0.1, closed when the test ends.
func newRelay(t testing.TB, target string) *relay {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	r := &relay{ln: ln, target: target, conns: make(map[net.Conn]struct{})}
	r.wg.Go(func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			r.wg.Go(func() { r.forward(in) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		r.point("")
		r.wg.Wait()
	})
	return r
}

func (r *relay) addr() string { return r.ln.Addr().String() }

// point closes every connection the relay forwards and sends new ones to target (none
// when target is "").
func (r *relay) point(target string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.target = target
	r.gen++
	for c := range r.conns {
		c.Close()
	}
	clear(r.conns)
}

// track adds c to the relay's connections unless point was called since gen.
func (r *relay) track(c net.Conn, gen int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if gen != r.gen {
		c.Close()
		return false
	}
	r.conns[c] = struct{}{}
	return true
}

func (r *relay) forward(in net.Conn) {
	r.mu.Lock()
	target, gen := r.target, r.gen
	r.mu.Unlock()
	if target == "" || !r.track(in, gen) {
		in.Close()
		return
	}
	defer in.Close()
	out, err := net.DialTimeout("tcp", target, time.Second)
	if err != nil || !r.track(out, gen) {
		return
	}
	defer out.Close()
	pipe(in, out)
}

// waitReplicated waits until replica is connected to its primary and has applied all of
// the primary's replication stream (the offsets match).
func waitReplicated(t testing.TB, primary, replica *redistest.Server) {
	t.Helper()
	var p, r map[string]string
	require.Eventually(t, func() bool {
		var err error
		if p, err = primary.Info("replication"); err != nil {
			return false
		}
		if r, err = replica.Info("replication"); err != nil {
			return false
		}
		return r["master_link_status"] == "up" && p["master_repl_offset"] == r["slave_repl_offset"]
	}, 10*time.Second, 5*time.Millisecond, "the replica catches up: primary %v, replica %v", p, r)
}

// resumes returns the SSE-Replay of the resumes in a recorder's replays: after its first
// stream, without the answers that carried none (Redis was unreachable: retry later).
func resumes(replays []string) []string {
	var out []string
	for _, r := range replays[min(1, len(replays)):] {
		if r != "" {
			out = append(out, r)
		}
	}
	return out
}

// lastKey returns the id in the log's last key on srv, "" when there is none.
func lastKey(t testing.TB, srv *redistest.Server, name string) string {
	t.Helper()
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{srv.Addr()}, DisableCache: true})
	require.NoError(t, err)
	defer c.Close()
	v, err := c.Do(t.Context(), c.B().Get().Key(redis.DefaultPrefix+":{"+name+"}:last").Build()).ToString()
	if rueidis.IsRedisNil(err) {
		return ""
	}
	require.NoError(t, err)
	return v
}

// Redis fails over to its replica: the primary is killed, the replica promoted and the
// nodes' address of Redis (a relay, as a virtual IP) moved to it; a server node is killed
// at the same moment, so that its clients move to the others and resume there. When the
// replica had caught up, every client resumes exactly (from the nodes' caches or from the
// promoted replica). When it had missed the newest entries (its link cut while they were
// published and delivered), every client that had them is told of a gap before anything
// is published after the failover, no resume is "complete", nothing is lost silently, and
// what is published after the failover reaches everyone.
func TestClusterFailover(t *testing.T) {
	tests := []struct {
		name   string
		missed bool // the replica misses the newest entries
		cache  int  // BrokerOptions.CacheSize: -1 resumes from Redis only
	}{
		{"caught up", false, 0},
		{"caught up/resume from Redis", false, -1},
		{"missed the newest", true, 0},
		{"missed the newest/resume from Redis", true, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			testsupport.CheckLeaks(t)
			primary := redistest.Start(t, redistest.Options{})
			link := newRelay(t, primary.Addr())
			replica := redistest.Start(t, redistest.Options{ReplicaOf: link.addr()})
			vip := newRelay(t, primary.Addr())
			c := newCluster(t, clusterOptions{
				nodes: 3, redis: primary, addr: vip.addr(),
				broker: redis.BrokerOptions{CacheSize: tt.cache},
				server: server.Options{QueueSize: 1024},
			})
			recs := clientsVia(t, c, 30) // round robin: 10 on each node
			pub := newPublisher(c, "t")
			const before, missed, n = 100, 50, 300
			pub.publishAll(t, 0, before)
			waitReplicated(t, primary, replica)
			replicated := lastKey(t, replica, c.bo.Name)
			sent := before
			if tt.missed {
				link.point("") // the replica hears nothing more; the primary acknowledges on
				pub.publishAll(t, before, before+missed)
				sent += missed
			}
			for _, r := range recs {
				r.waitFor(t, 10*time.Second, "every event so far", func(r *recorder) bool { return r.reached(sent - 1) })
			}
			_, ids, _, _ := recs[0].snapshot()
			newest := ids[len(ids)-1]
			require.True(t, strings.HasSuffix(newest, ":"+lastKey(t, primary, c.bo.Name)), "sanity: clients have the newest entry")

			require.NoError(t, primary.Kill())
			require.NoError(t, replica.Promote())
			vip.point(replica.Addr())
			if got := lastKey(t, replica, c.bo.Name); tt.missed {
				require.Equal(t, replicated, got, "the promoted replica lacks the newest entries")
				require.False(t, strings.HasSuffix(newest, ":"+got), "clients have entries the new primary lacks")
			} else {
				require.True(t, strings.HasSuffix(newest, ":"+got), "the promoted replica has every entry: %s, %s", newest, got)
			}

			// Node 0's clients resume on the others (a resume that found Redis not yet
			// reachable is answered with a retry hint and no SSE-Replay: they come back).
			c.nodes[0].kill()
			if !tt.missed {
				var movers []*recorder
				require.Eventually(t, func() bool {
					movers = movers[:0]
					for _, r := range recs {
						if _, _, _, replays := r.snapshot(); len(resumes(replays)) > 0 {
							movers = append(movers, r)
						}
					}
					return len(movers) == 10
				}, 10*time.Second, 5*time.Millisecond, "node 0's clients resume on the others")
				for i, r := range movers {
					_, _, _, replays := r.snapshot()
					assert.Equal(t, []string{"complete"}, resumes(replays), "mover %d resumes exactly", i)
				}
			} else {
				// Each node finds the loss when its reader's connection comes back, with
				// nothing published, and ends its sessions: every client resumes (node 0's
				// on the others) and is told of the gap. No resume is "complete", not even
				// from a node's cache, which held the lost entries.
				require.Eventually(t, func() bool {
					for _, r := range recs {
						if _, _, gaps, _ := r.snapshot(); len(gaps) == 0 {
							return false
						}
					}
					return true
				}, 10*time.Second, 5*time.Millisecond, "every client is told of the gap")
				for i, r := range recs {
					_, _, _, replays := r.snapshot()
					for _, s := range resumes(replays) {
						assert.Equal(t, "gap", s, "client %d: every resume after the failover is a gap: %q", i, replays)
					}
				}
			}

			// What is published next reaches everyone.
			next := sent
			for ; next < n; next++ {
				require.NoError(t, pub.publish(t.Context(), next))
			}
			a := tallyAll(t, recs, pub, n)
			assert.Zero(t, a.lost, "silent losses")
			assert.Zero(t, a.duplicated, "duplicates")
			var breaks uint64
			for _, nd := range c.nodes[1:] {
				_, b, _ := nd.server()
				breaks += b.Stats().Breaks
			}
			if !tt.missed {
				assert.Zero(t, a.gapSignals, "gap signals: the promoted replica had every entry")
				assert.Zero(t, breaks, "chain breaks")
				return
			}
			assert.Equal(t, len(recs), a.gaps, "every client had the lost entries and is told of the gap")
			assert.Equal(t, uint64(2), breaks, "each live node's reader found the loss once")
			// A client told of a gap keeps its old id (see server.Resume.Start): one
			// whose session then ends (a client that resumed on a node before the node
			// found the loss, and node 0's clients, which resume again on the others) is
			// told once more and misses, inside that gap, what was published meanwhile.
			// After its last gap, it gets every event, once, in order.
			for i, r := range recs {
				seqs, _, gapsAt, _ := r.snapshot()
				from := gapsAt[len(gapsAt)-1]
				require.Less(t, from, len(seqs), "client %d got events after its last gap", i)
				first := seqs[from]
				for j, s := range seqs[from:] {
					require.Equal(t, first+j, s, "client %d: every event after its last gap, once, in order", i)
				}
				require.GreaterOrEqual(t, seqs[len(seqs)-1], n-1, "client %d: through the last event", i)
			}
		})
	}
}

// replayOf opens a stream of url resuming from lastID and returns its SSE-Replay ("" when
// the node answered with a retry hint: it could not reach Redis).
func replayOf(ctx context.Context, url, lastID string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set(sse.HeaderLastEventID, lastID)
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	return resp.Header.Get(sse.HeaderReplay), nil
}

// publishAll publishes seq from, from+1, ... up to to (excluded).
func (p *publisher) publishAll(t *testing.T, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		require.NoError(t, p.publish(t.Context(), i))
	}
}

// waitBreaks waits until the reader of every node of c has found the log's chain broken.
func waitBreaks(t *testing.T, c *cluster) {
	t.Helper()
	require.Eventually(t, func() bool {
		for _, nd := range c.nodes {
			if _, b, _ := nd.server(); b.Stats().Breaks == 0 {
				return false
			}
		}
		return true
	}, 10*time.Second, time.Millisecond, "every node finds the loss")
}

// Redis fails over to a replica that missed the newest entries, and nothing is published
// after the failover: no entry comes to reveal the loss. Each node checks the log when
// its reader's connection comes back, finds that it no longer holds the entry the node
// dispatched last, and ends its sessions at once, so that their clients resume and are
// told of the gap; a resume from the lost newest id, which every node's cache holds, is a
// gap, never "complete".
func TestClusterFailoverQuiet(t *testing.T) {
	testsupport.CheckLeaks(t)
	primary := redistest.Start(t, redistest.Options{})
	link := newRelay(t, primary.Addr())
	replica := redistest.Start(t, redistest.Options{ReplicaOf: link.addr()})
	vip := newRelay(t, primary.Addr())
	c := newCluster(t, clusterOptions{nodes: 3, redis: primary, addr: vip.addr()})
	recs := clientsVia(t, c, 9) // round robin: 3 on each node
	pub := newPublisher(c, "t")
	const before, missed, n = 20, 10, 40
	pub.publishAll(t, 0, before)
	waitReplicated(t, primary, replica)
	link.point("")
	pub.publishAll(t, before, before+missed)
	for _, r := range recs {
		r.waitFor(t, 10*time.Second, "every event so far", func(r *recorder) bool { return r.reached(before + missed - 1) })
	}
	_, ids, _, _ := recs[0].snapshot()
	newest := ids[len(ids)-1]
	errs := make([]uint64, len(c.nodes))
	for i, nd := range c.nodes {
		_, b, _ := nd.server()
		errs[i] = b.Stats().ReadErrors
	}

	require.NoError(t, primary.Kill())
	// The nodes' readers see their connections end (a read retried by the client's pool
	// on a new connection would not).
	assert.Eventually(t, func() bool {
		for i, nd := range c.nodes {
			if _, b, _ := nd.server(); b.Stats().ReadErrors == errs[i] {
				return false
			}
		}
		return true
	}, 10*time.Second, time.Millisecond, "every node's reader sees its connection end")
	// Clients whose sessions end are held off until every node has found the loss: each
	// is then told of the gap once.
	release := c.proxy.hold()
	defer release()
	require.NoError(t, replica.Promote())
	vip.point(replica.Addr())
	require.NotEqual(t, lastKey(t, replica, c.bo.Name), strings.TrimPrefix(newest, c.nodes[0].b.Tag()), "sanity: the new primary lacks the newest entry")

	// A resume from the lost newest id, on each node, is a gap (a resume that found Redis
	// not reachable yet is answered with a retry hint and no SSE-Replay: it is tried
	// again).
	for i, nd := range c.nodes {
		var replay string
		require.Eventually(t, func() bool {
			var err error
			replay, err = replayOf(t.Context(), nd.url("topic=t"), newest)
			return err == nil && replay != ""
		}, 10*time.Second, 5*time.Millisecond, "node %d answers the resume", i)
		assert.Equal(t, "gap", replay, "node %d: a resume from the lost newest entry, which its cache held", i)
	}
	// Every node finds the loss, with nothing published, and ends its sessions.
	waitBreaks(t, c)
	release()
	for i, r := range recs {
		r.waitFor(t, 10*time.Second, "the gap", func(r *recorder) bool { return len(r.gapsAt) > 0 })
		_, _, _, replays := r.snapshot()
		assert.Equal(t, []string{"gap"}, resumes(replays), "client %d resumes once, told of the gap", i)
	}
	for i, nd := range c.nodes {
		_, b, _ := nd.server()
		assert.Equal(t, uint64(1), b.Stats().Breaks, "node %d finds the loss once", i)
	}
	// What is published next reaches everyone, once, in order.
	pub.publishAll(t, before+missed, n)
	a := tallyAll(t, recs, pub, n)
	assert.Zero(t, a.lost, "silent losses")
	assert.Zero(t, a.duplicated, "duplicates")
	assert.Zero(t, a.signalled, "every client was told before anything was published: it misses nothing inside its gap")
	assert.Equal(t, len(recs), a.gapSignals, "every client is told once")
}

// The log is lost while nothing is published, in two ways the nodes' readers could miss:
// the nodes' address of Redis (a relay, as a virtual IP) moves straight to another, empty
// Redis, so that a read retried on a new connection would succeed there at once; and the
// log is flushed on the same Redis, with no connection lost at all (the reader checks the
// log after each Block spent without entries). Either way, every node ends its sessions
// without waiting for an entry, their clients are told of the gap, and a resume from an
// id a node's cache holds is a gap.
func TestClusterLogLostQuietly(t *testing.T) {
	for _, how := range []string{"re-pointed", "flushed"} {
		t.Run(how, func(t *testing.T) {
			testsupport.CheckLeaks(t)
			first := redistest.Start(t, redistest.Options{})
			vip := newRelay(t, first.Addr())
			c := newCluster(t, clusterOptions{nodes: 2, redis: first, addr: vip.addr()})
			recs := clientsVia(t, c, 4)
			pub := newPublisher(c, "t")
			const before, n = 10, 20
			pub.publishAll(t, 0, before)
			for _, r := range recs {
				r.waitFor(t, 10*time.Second, "every event so far", func(r *recorder) bool { return r.reached(before - 1) })
			}
			_, ids, _, _ := recs[0].snapshot()
			release := c.proxy.hold() // resumes wait until every node found the loss
			defer release()
			if how == "re-pointed" {
				second := redistest.Start(t, redistest.Options{})
				vip.point(second.Addr())
			} else {
				cl, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{first.Addr()}, DisableCache: true})
				require.NoError(t, err)
				require.NoError(t, cl.Do(t.Context(), cl.B().Flushall().Build()).Error())
				cl.Close()
			}
			waitBreaks(t, c)
			for i, nd := range c.nodes {
				replay, err := replayOf(t.Context(), nd.url("topic=t"), ids[before-2])
				require.NoError(t, err)
				assert.Equal(t, "gap", replay, "node %d: a resume from an id its cache held", i)
			}
			release()
			for i, r := range recs {
				r.waitFor(t, 10*time.Second, "the gap", func(r *recorder) bool { return len(r.gapsAt) > 0 })
				_, _, _, replays := r.snapshot()
				assert.Equal(t, []string{"gap"}, resumes(replays), "client %d resumes once, told of the gap", i)
			}
			pub.publishAll(t, before, n)
			a := tallyAll(t, recs, pub, n)
			assert.Zero(t, a.lost, "silent losses")
			assert.Zero(t, a.duplicated, "duplicates")
			assert.Zero(t, a.signalled, "told before anything was published: nothing missed inside the gap")
			assert.Equal(t, len(recs), a.gapSignals, "every client is told once")
		})
	}
}

// When the reader checks the log after losing its connection, it judges the entry it read
// last by the chain, not by its id alone: that entry deleted, with the entry after it
// naming it, is no loss; an entry of the same id with other content (as a Redis whose
// clock is behind could issue after losing the first) is one.
func TestClusterRecheckFollowsTheChain(t *testing.T) {
	for _, replaced := range []bool{false, true} {
		name := map[bool]string{false: "the entry deleted, the next names it", true: "the entry replaced"}[replaced]
		t.Run(name, func(t *testing.T) {
			testsupport.CheckLeaks(t)
			c := newCluster(t, clusterOptions{nodes: 1})
			r := newRecorder(t, c.nodes[0].url("topic=t"), "")
			r.waitFor(t, 10*time.Second, "the stream to open", func(r *recorder) bool { return r.opens > 0 })
			pub := newPublisher(c, "t")
			pub.publishAll(t, 0, 3)
			r.waitFor(t, 10*time.Second, "3 events", func(r *recorder) bool { return r.reached(2) })
			_, ids, _, _ := r.snapshot()
			_, b, _ := c.nodes[0].server()
			at := strings.TrimPrefix(ids[2], b.Tag())
			prev := strings.TrimPrefix(ids[1], b.Tag())

			resume := redis.PauseReader(b)
			cl := dial(t, c.redis)
			key := redis.DefaultPrefix + ":{" + c.bo.Name + "}:log"
			if replaced {
				require.NoError(t, cl.Do(t.Context(), cl.B().Del().Key(key).Build()).Error())
				require.NoError(t, cl.Do(t.Context(), cl.B().Xadd().Key(key).Id(at).FieldValue().
					FieldValue("p", prev).FieldValue("t", "1:t").FieldValue("f", "data: seq 99\n\n").Build()).Error())
			} else {
				require.NoError(t, cl.Do(t.Context(), cl.B().Xdel().Key(key).Id(at).Build()).Error())
				pub.publishAll(t, 3, 4) // names the deleted entry
			}
			// Every connection of the node is cut: its reader checks the log when it has one
			// again.
			require.NoError(t, cl.Do(t.Context(), cl.B().ClientKill().TypeNormal().Build()).Error())
			errs := b.Stats().ReadErrors
			resume()
			require.Eventually(t, func() bool { return b.Stats().ReadErrors > errs }, 10*time.Second, time.Millisecond, "the reader finds its connection cut")
			if replaced {
				// The node ends its session and empties its cache. (The client's resume,
				// from Redis, judges the id alone and is "complete": a resume cannot tell
				// which content a client had under an id; see the README on clocks.)
				waitBreaks(t, c)
				r.waitFor(t, 10*time.Second, "the session to end and the client to resume", func(r *recorder) bool { return len(r.replays) > 1 })
				pub.publishAll(t, 3, 4)
				r.waitFor(t, 10*time.Second, "the next event", func(r *recorder) bool { return r.reached(3) })
				assert.Equal(t, uint64(1), b.Stats().Breaks)
				return
			}
			pub.publishAll(t, 4, 5)
			r.waitFor(t, 10*time.Second, "every event", func(r *recorder) bool { return r.reached(4) })
			seqs, _, gaps, _ := r.snapshot()
			assert.Equal(t, []int{0, 1, 2, 3, 4}, seqs)
			assert.Empty(t, gaps)
			assert.Zero(t, b.Stats().Breaks)
		})
	}
}
