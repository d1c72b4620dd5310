package redistest

import (
	"fmt"
	"strconv"
	"testing"
	"time"
)

// clusterSlots is the number of hash slots of a Redis Cluster.
const clusterSlots = 16384

// StartCluster starts masters servers (at least 1) with Options.Cluster set and joins them
// into a Redis Cluster of masters without replicas, as redis-cli --cluster create does:
// each takes an even share of the 16384 slots and a config epoch of its own, and the
// others meet the first. It returns once every server reports cluster_state:ok and knows
// all the others, within opts.StartTimeout (10 s by default), and fails tb otherwise. Each
// server is closed when the test ends, like Start's; a client that connects to any of
// them (a rueidis client does so by itself) finds the whole cluster.
func StartCluster(tb testing.TB, masters int, opts Options) []*Server {
	tb.Helper()
	if masters < 1 {
		tb.Fatalf("redistest: StartCluster of %d masters", masters)
	}
	opts.Cluster = true
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 10 * time.Second
	}
	servers := make([]*Server, masters)
	for i := range servers {
		servers[i] = Start(tb, opts)
	}
	if err := joinCluster(servers, time.Now().Add(opts.StartTimeout)); err != nil {
		tb.Fatal(err)
	}
	return servers
}

// joinCluster assigns the slots, meets the servers and waits until the cluster is formed.
func joinCluster(servers []*Server, deadline time.Time) error {
	do := func(s *Server, args ...string) (string, error) {
		r, err := command(s.Addr(), s.opts.Password, deadline, args...)
		if err != nil {
			return "", fmt.Errorf("redistest: cluster: %s on %s: %w", args, s.Addr(), err)
		}
		return r, nil
	}
	n := len(servers)
	// The servers meet first and take their slots once they all know each other: a
	// server that holds slots and sees the others' before it can reach them counts itself
	// in a minority and waits seconds before it serves. Each has a config epoch of its
	// own, set before it knows any other.
	for i, s := range servers {
		if _, err := do(s, "CLUSTER", "SET-CONFIG-EPOCH", strconv.Itoa(i+1)); err != nil {
			return err
		}
	}
	for i, s := range servers { // each meets every other: no waiting for gossip
		for _, o := range servers[:i] {
			if _, err := do(s, "CLUSTER", "MEET", "127.0.0.1", strconv.Itoa(o.port), strconv.Itoa(o.bus)); err != nil {
				return err
			}
		}
	}
	if err := waitCluster(servers, deadline, "know each other", func(info map[string]string) bool {
		return info["cluster_known_nodes"] == strconv.Itoa(n)
	}); err != nil {
		return err
	}
	for i, s := range servers {
		lo, hi := i*clusterSlots/n, (i+1)*clusterSlots/n-1
		if _, err := do(s, "CLUSTER", "ADDSLOTSRANGE", strconv.Itoa(lo), strconv.Itoa(hi)); err != nil {
			return err
		}
	}
	return waitCluster(servers, deadline, "see the cluster formed", func(info map[string]string) bool {
		return info["cluster_state"] == "ok" && info["cluster_slots_ok"] == strconv.Itoa(clusterSlots)
	})
}

// waitCluster polls CLUSTER INFO on every server until ok holds for it.
func waitCluster(servers []*Server, deadline time.Time, what string, ok func(map[string]string) bool) error {
	for _, s := range servers {
		for {
			text, err := command(s.Addr(), s.opts.Password, deadline, "CLUSTER", "INFO")
			if err != nil {
				return fmt.Errorf("redistest: cluster: CLUSTER INFO on %s: %w", s.Addr(), err)
			}
			info := parseInfo(text)
			if ok(info) {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("redistest: cluster: %s did not %s in time: state %q, %s known nodes of %d, %s slots ok",
					s.Addr(), what, info["cluster_state"], info["cluster_known_nodes"], len(servers), info["cluster_slots_ok"])
			}
			time.Sleep(10 * time.Millisecond) // the servers gossip: poll, bounded by deadline
		}
	}
	return nil
}
