package redis_test

import (
	"net/http"
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

// Two server nodes on a Redis Cluster of three masters, each dialling one of them (Dial
// finds the cluster): the log's keys share a hash tag, so its scripts and pipelines stay
// in one slot, while tokens spread over the masters. Publishes on one node reach both in
// one order, a node killed mid-stream leaves its clients to resume exactly on the other
// (from Redis: no cache), and a token recorded on one node is redeemed once.
func TestRedisCluster(t *testing.T) {
	testsupport.CheckLeaks(t)
	masters := redistest.StartCluster(t, 3, redistest.Options{})
	c := newCluster(t, clusterOptions{
		nodes: 2, redis: masters[0], addr: masters[1].Addr(),
		broker: redis.BrokerOptions{CacheSize: -1},
		server: server.Options{Stream: completingStream, QueueSize: 1024},
	})
	for i, nd := range c.nodes {
		assert.Len(t, nd.cl.Nodes(), 3, "node %d's client is a cluster client", i)
	}

	// One order on both nodes.
	var recs []*recorder
	for _, nd := range c.nodes {
		for range 2 {
			recs = append(recs, newRecorder(t, nd.url("topic=t"), ""))
		}
	}
	for _, r := range recs {
		r.waitFor(t, 10*time.Second, "the stream to open", func(r *recorder) bool { return r.opens > 0 })
	}
	moving := clientsVia(t, c, 10) // through the proxy: 5 on each node
	pub := newPublisher(c, "t")    // with idempotency keys: a third key in the script
	for i := range 100 {
		require.NoError(t, pub.publishOn(t.Context(), c.nodes[1], i))
	}
	for _, r := range recs {
		r.waitFor(t, 10*time.Second, "100 events", func(r *recorder) bool { return r.reached(99) })
	}
	_, wantIDs, _, _ := recs[0].snapshot()
	for i, r := range recs {
		got, ids, gaps, _ := r.snapshot()
		require.Len(t, got, 100, "subscriber %d", i)
		for j, s := range got {
			require.Equal(t, j, s, "subscriber %d: every event once, in order", i)
		}
		assert.Equal(t, wantIDs, ids, "subscriber %d: the same ids", i)
		assert.Empty(t, gaps)
	}

	// A resume on either node, read from the cluster: exact.
	for i, nd := range c.nodes {
		resp := get(t, t.Context(), nd.url("topic=t"), wantIDs[49])
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "complete", resp.Header.Get(sse.HeaderReplay), "node %d", i)
		ev, err := sse.NewReader(resp.Body, 0, "").Next()
		require.NoError(t, err)
		assert.Equal(t, "seq 50", ev.Data, "node %d", i)
		resp.Body.Close()
	}

	// Node 0 killed mid-stream: its clients through the proxy resume on node 1.
	for i := 100; i < 300; i++ {
		if i == 200 {
			c.nodes[0].kill()
		}
		require.NoError(t, pub.publish(t.Context(), i))
	}
	a := tallyAll(t, append(recs[2:], moving...), pub, 300) // recs[:2] dialled node 0 itself
	assert.Zero(t, a.lost, "lost")
	assert.Zero(t, a.duplicated, "duplicated")
	assert.Zero(t, a.gapSignals, "gap signals")
	resumed := 0
	for _, r := range moving {
		if _, _, _, replays := r.snapshot(); len(replays) > 1 {
			resumed++
			assert.Equal(t, []string{"complete"}, resumes(replays))
		}
	}
	assert.Equal(t, 5, resumed, "node 0's clients resumed on node 1")

	// Tokens: recorded on one node, redeemed once by 16 concurrent reconnects.
	c.nodes[0].start()
	for round := range 3 {
		token := completeOn(t, c.nodes[round%2])
		wins, streams := redeemAll(t, token, 16, func(i int) *node { return c.nodes[i%2] })
		assert.Equal(t, 1, wins, "round %d: exactly one 204", round)
		assert.Equal(t, 15, streams, "round %d: the others are ordinary streams", round)
	}
	t.Logf("publishes retried: %d", pub.retries.Load())
}
