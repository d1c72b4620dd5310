package redis_test

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/polysse/sse/internal/testsupport"
	"github.com/polysse/sse/redis/redistest"
	"github.com/polysse/sse/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The chaos run's size: the defaults are the short run of make test; make chaos runs
// 1,000 clients × 10,000 events.
var (
	chaosClients  = flag.Int("chaos.clients", 100, "TestChaos: clients (native sse.Clients through the round-robin proxy)")
	chaosEvents   = flag.Int("chaos.events", 1500, "TestChaos: events published, one at a time, in order")
	chaosRate     = flag.Int("chaos.rate", 500, "TestChaos: events published per second")
	chaosKill     = flag.Duration("chaos.kill", 300*time.Millisecond, "TestChaos: a node is killed every this long (and started again half-way to the next kill)")
	chaosRedis    = flag.Int("chaos.redis-kills", 2, "TestChaos: Redis kill -9 and restarts, evenly spread")
	chaosPersists = flag.String("chaos.persistence", "both", "TestChaos: Redis persistence: aof-always, none or both")
)

// TestChaos runs clients through a round-robin proxy over 3 nodes while events are
// published in order, nodes are killed (their connections dropped) and started again, and
// Redis is killed with SIGKILL and restarted. The clients connect in a quiet period, and
// the first node is killed before the first event: its clients reconnect having received
// nothing. It counts, per client, the events lost,
// duplicated and missed inside signalled gaps. Pass: 0 lost and 0 duplicated (outside
// signalled gaps); with AOF (appendfsync always) Redis loses nothing, so the gaps
// should be 0 too; without persistence every missed event must be inside a signalled gap.
func TestChaos(t *testing.T) {
	var modes []redistest.Persistence
	switch *chaosPersists {
	case "both":
		modes = []redistest.Persistence{redistest.AOFAlways, redistest.NoPersistence}
	case "aof-always":
		modes = []redistest.Persistence{redistest.AOFAlways}
	case "none":
		modes = []redistest.Persistence{redistest.NoPersistence}
	default:
		t.Fatalf("-chaos.persistence %q: want aof-always, none or both", *chaosPersists)
	}
	for _, p := range modes {
		t.Run(p.String(), func(t *testing.T) { runChaos(t, p) })
	}
}

func runChaos(t *testing.T, p redistest.Persistence) {
	testsupport.CheckLeaks(t)
	start := time.Now()
	c := newCluster(t, clusterOptions{
		nodes: 3, persistence: p,
		server: server.Options{QueueSize: 256},
	})
	recs := clientsVia(t, c, *chaosClients)
	n := *chaosEvents
	pub := newPublisher(c, "t")

	// The clients connected in a quiet period: the first node is killed before any event
	// is published, so that its clients reconnect having received none (they resume from
	// their start position) while the first events are published.
	var nodeKills, redisKills atomic.Int64
	stop, firstKill := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(*chaosKill)
		defer tick.Stop()
		for first := true; ; first = false {
			if !first {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
			}
			nd := c.nodes[rand.N(len(c.nodes))]
			nd.kill()
			nodeKills.Add(1)
			if first {
				close(firstKill)
			}
			select {
			case <-stop:
			case <-time.After(*chaosKill / 2):
			}
			nd.start()
		}
	})

	<-firstKill
	interval := time.Second / time.Duration(max(1, *chaosRate))
	next := time.Now()
	every := n / (*chaosRedis + 1)
	for i := range n {
		if *chaosRedis > 0 && i > 0 && i%every == 0 && i/every <= *chaosRedis {
			require.NoError(t, c.redis.Kill())
			require.NoError(t, c.redis.Restart())
			redisKills.Add(1)
		}
		if err := pub.publish(t.Context(), i); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
		next = next.Add(interval)
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		}
	}
	close(stop)
	wg.Wait()
	for _, nd := range c.nodes {
		nd.start()
	}
	a := tallyAll(t, recs, pub, n)
	opens := 0
	for _, r := range recs {
		_, _, _, replays := r.snapshot()
		opens += len(replays)
	}
	var st struct{ breaks, cached, redis, gaps uint64 }
	for _, nd := range c.nodes {
		if _, b, ok := nd.server(); ok {
			s := b.Stats()
			st.breaks, st.cached, st.redis, st.gaps = st.breaks+s.Breaks, st.cached+s.ResumesCached, st.redis+s.ResumesRedis, st.gaps+s.Gaps
		}
	}
	// Printed, not only logged: make chaos shows it.
	fmt.Printf("chaos (redis %s): %d clients × %d events in %v: lost %d, duplicated %d, missed inside signalled gaps %d (%d gap signals to %d clients), repeated after a gap %d; %d node kills, %d Redis kills, %d connections, %d publish retries; live nodes at the end: %d chain breaks, %d resumes from the cache, %d from Redis, %d gaps\n",
		p, a.clients, n, time.Since(start).Round(100*time.Millisecond), a.lost, a.duplicated, a.signalled, a.gapSignals, a.gaps,
		a.repeatedAfterGap, nodeKills.Load(), redisKills.Load(), opens, pub.retries.Load(), st.breaks, st.cached, st.redis, st.gaps)
	assert.Zero(t, a.lost, "events lost without a gap signal")
	assert.Zero(t, a.duplicated, "events duplicated outside signalled gaps")
	if p == redistest.AOFAlways {
		assert.Zero(t, a.signalled, "with appendfsync always Redis loses nothing: no event may be missed")
	}
}
