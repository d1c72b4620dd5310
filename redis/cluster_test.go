package redis_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/redis"
	"github.com/polysse/sse/redis/redistest"
	"github.com/polysse/sse/server"
	"github.com/redis/rueidis"
)

// A cluster is several server nodes in this test process, each with its own Redis client,
// Broker, Store, server.Server and http.Server on 127.0.0.1, sharing one Redis, behind a
// round-robin TCP proxy.
type cluster struct {
	t     testing.TB
	redis *redistest.Server
	bo    redis.BrokerOptions
	so    server.Options // Broker, Store and Logger are set per node
	nodes []*node
	proxy *proxy
}

// clusterOptions configure newCluster.
type clusterOptions struct {
	nodes       int
	persistence redistest.Persistence
	broker      redis.BrokerOptions
	server      server.Options
}

// node is one server node.
type node struct {
	c     *cluster
	i     int
	addr  string
	mu    sync.Mutex
	alive bool
	cl    rueidis.Client
	b     *redis.Broker
	srv   *server.Server
	hs    *http.Server
	done  chan struct{} // closed when hs.Serve has returned
}

// gapEvent is the GapEvent of the cluster's servers.
var gapEvent = sse.Event{Type: "gap", Data: "resync"}

func newCluster(t testing.TB, o clusterOptions) *cluster {
	t.Helper()
	c := &cluster{t: t, redis: redistest.Start(t, redistest.Options{Persistence: o.persistence})}
	c.bo = o.broker
	if c.bo.Name == "" {
		c.bo.Name = "cluster"
	}
	if c.bo.Block == 0 {
		c.bo.Block = 200 * time.Millisecond
	}
	c.so = o.server
	if c.so.Topics == nil {
		c.so.Topics = func(r *http.Request) []string {
			if t := r.URL.Query()["topic"]; len(t) > 0 {
				return t
			}
			return []string{"t"}
		}
	}
	if c.so.GapEvent == nil {
		c.so.GapEvent = &gapEvent
	}
	if c.so.RetryAfter == 0 {
		c.so.RetryAfter = 50 * time.Millisecond
	}
	if c.so.ReconnectionTime == 0 {
		c.so.ReconnectionTime = 10 * time.Millisecond
	}
	if c.so.HeartbeatInterval == 0 {
		c.so.HeartbeatInterval = 500 * time.Millisecond
	}
	c.so.Logger = quietLogger()
	for i := range max(1, o.nodes) {
		n := &node{c: c, i: i}
		c.nodes = append(c.nodes, n)
		n.start()
	}
	c.proxy = newProxy(t, c)
	t.Cleanup(c.close)
	return c
}

func (c *cluster) close() {
	c.proxy.close()
	for _, n := range c.nodes {
		n.kill()
	}
}

// start starts the node (again, on the same address).
func (n *node) start() {
	t := n.c.t
	t.Helper()
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.alive {
		return
	}
	addr := n.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var ln net.Listener
	var err error
	for range 100 { // the port of a killed node may take a moment to be free again
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("node %d: %v", n.i, err)
	}
	if n.addr == "" { // the first start; a restart listens on the same address (read without the lock)
		n.addr = ln.Addr().String()
	}
	var cl rueidis.Client
	for range 200 { // Redis may be restarting: the client needs it to start
		if cl, err = redis.Dial(n.c.redis.Addr()); err == nil || !errors.Is(err, redis.ErrUnavailable) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		ln.Close()
		t.Fatalf("node %d: %v", n.i, err)
	}
	bo := n.c.bo
	bo.Logger = quietLogger()
	n.cl = cl
	n.b = redis.NewBroker(cl, bo)
	so := n.c.so
	so.Broker = n.b
	so.Store = redis.NewStore(cl, redis.StoreOptions{Prefix: bo.Prefix})
	n.srv = server.New(so)
	n.hs = &http.Server{Handler: n.srv, ErrorLog: discardLog}
	n.done = make(chan struct{})
	n.alive = true
	hs, done := n.hs, n.done
	go func() {
		defer close(done)
		_ = hs.Serve(ln)
	}()
}

// kill stops the node abruptly: its connections are closed at once (the clients see the
// stream break), then its server, broker and Redis client are released.
func (n *node) kill() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.alive {
		return
	}
	n.alive = false
	_ = n.hs.Close()
	<-n.done
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.srv.Shutdown(ctx); err != nil {
		n.c.t.Errorf("node %d: shutdown: %v", n.i, err)
	}
	n.cl.Close()
}

func (n *node) isAlive() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.alive
}

// server returns the node's server and broker while it is alive.
func (n *node) server() (*server.Server, *redis.Broker, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.srv, n.b, n.alive
}

func (n *node) url(query string) string { return "http://" + n.addr + "/?" + query }

// publish publishes data on topic through node n.
func (n *node) publish(ctx context.Context, topic, data string) (string, error) {
	srv, _, ok := n.server()
	if !ok {
		return "", errors.New("node is down")
	}
	return srv.Publish(ctx, topic, sse.Event{Data: data})
}

// proxy is a round-robin TCP proxy in front of the cluster's nodes: every connection goes
// to the next node that accepts it.
type proxy struct {
	c     *cluster
	ln    net.Listener
	next  atomic.Int64
	mu    sync.Mutex
	conns map[net.Conn]struct{}
	held  chan struct{} // while not nil, new connections wait until it is closed (see hold)
	wg    sync.WaitGroup
}

// hold makes new connections wait, accepted but not forwarded to any node, until the
// function it returns is called: clients that reconnect meanwhile are held off.
func (p *proxy) hold() (release func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ch := make(chan struct{})
	p.held = ch
	return func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.held == ch {
			close(ch)
			p.held = nil
		}
	}
}

// waitHeld waits while the proxy holds new connections.
func (p *proxy) waitHeld() {
	p.mu.Lock()
	ch := p.held
	p.mu.Unlock()
	if ch != nil {
		<-ch
	}
}

func newProxy(t testing.TB, c *cluster) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{c: c, ln: ln, conns: make(map[net.Conn]struct{})}
	p.wg.Go(p.serve)
	return p
}

func (p *proxy) url(query string) string { return "http://" + p.ln.Addr().String() + "/?" + query }

func (p *proxy) serve() {
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Go(func() { p.forward(in) })
	}
}

func (p *proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns == nil {
		c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *proxy) untrack(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, c)
	c.Close()
}

func (p *proxy) forward(in net.Conn) {
	if !p.track(in) {
		return
	}
	defer p.untrack(in)
	p.waitHeld()
	var out net.Conn
	nodes := p.c.nodes
	for range len(nodes) {
		n := nodes[int(p.next.Add(1)-1)%len(nodes)]
		if !n.isAlive() {
			continue
		}
		var err error
		if out, err = net.DialTimeout("tcp", n.addr, time.Second); err == nil {
			break
		}
	}
	if out == nil || !p.track(out) {
		return // no node: the client sees the connection close and retries
	}
	defer p.untrack(out)
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(out, in); done <- struct{}{} }()
	go func() { _, _ = io.Copy(in, out); done <- struct{}{} }()
	<-done
	in.Close()
	out.Close()
	<-done
}

func (p *proxy) close() {
	p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.conns = nil
	if p.held != nil {
		close(p.held)
		p.held = nil
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// recorder is a native client that records the sequence numbers in its events' data and
// the gaps it was told of.
type recorder struct {
	c *sse.Client

	mu      sync.Mutex
	seqs    []int
	ids     []string
	gapsAt  []int    // a gap event came before seqs[i] for each i here
	replays []string // SSE-Replay of every response
	opens   int
	changed chan struct{}
}

// newRecorder starts a client of url, closed when the test ends.
func newRecorder(t testing.TB, url string, lastID string) *recorder {
	r := &recorder{}
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	r.c = sse.NewClient(url, &sse.ClientOptions{
		HTTPClient:  hc,
		LastEventID: lastID,
		Retry:       sse.RetryPolicy{Initial: 10 * time.Millisecond, Max: 100 * time.Millisecond, Multiplier: 2, Jitter: 0.5},
		OnOpen: func(resp *http.Response) {
			r.mu.Lock()
			r.opens++
			r.replays = append(r.replays, resp.Header.Get(sse.HeaderReplay))
			r.signal()
			r.mu.Unlock()
		},
		OnEvent: func(ev sse.Event) {
			r.mu.Lock()
			defer r.mu.Unlock()
			defer r.signal()
			if ev.Type == gapEvent.Type {
				r.gapsAt = append(r.gapsAt, len(r.seqs))
				return
			}
			n, err := strconv.Atoi(strings.TrimPrefix(ev.Data, "seq "))
			if err != nil {
				return // not an event of the sequence
			}
			r.seqs = append(r.seqs, n)
			r.ids = append(r.ids, ev.ID)
		},
	})
	go func() { _ = r.c.Run(context.Background()) }()
	t.Cleanup(func() {
		r.c.Close()
		<-r.c.Done()
		hc.CloseIdleConnections()
	})
	return r
}

func (r *recorder) signal() {
	if r.changed != nil {
		close(r.changed)
		r.changed = nil
	}
}

// waitFor waits until cond holds for r, failing t after timeout.
func (r *recorder) waitFor(t testing.TB, timeout time.Duration, what string, cond func(r *recorder) bool) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		if cond(r) {
			r.mu.Unlock()
			return
		}
		if r.changed == nil {
			r.changed = make(chan struct{})
		}
		ch := r.changed
		r.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			r.mu.Lock()
			defer r.mu.Unlock()
			t.Fatalf("after %v, still waiting for %s: %d events, last %v, %d opens, replays %q, gaps at %v",
				timeout, what, len(r.seqs), lastOf(r.seqs), r.opens, r.replays, r.gapsAt)
		}
	}
}

func lastOf(s []int) any {
	if len(s) == 0 {
		return "none"
	}
	return s[len(s)-1]
}

// has reports whether r received seq n last (or later).
func (r *recorder) reached(n int) bool {
	return len(r.seqs) > 0 && r.seqs[len(r.seqs)-1] >= n
}

func (r *recorder) snapshot() (seqs []int, ids []string, gapsAt []int, replays []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int(nil), r.seqs...), append([]string(nil), r.ids...), append([]int(nil), r.gapsAt...), append([]string(nil), r.replays...)
}

// tally is the ground truth of what clients received of events 0..n-1, published in that
// order: every event a client missed is lost, unless a gap was signalled between the
// events around it; a repeated event is duplicated, unless a gap signal came between the
// two copies (the log it came from was lost).
type tally struct {
	clients, events        int
	received               int
	lost, duplicated       int
	signalled, gapSignals  int
	repeatedAfterGap, gaps int // clients that got at least one gap
}

func (a *tally) String() string {
	return fmt.Sprintf("%d clients × %d events: %d received, lost %d, duplicated %d, missed inside signalled gaps %d (%d gap signals, %d clients), repeated after a gap %d",
		a.clients, a.events, a.received, a.lost, a.duplicated, a.signalled, a.gapSignals, a.gaps, a.repeatedAfterGap)
}

// count adds a client's record to the tally: it should have received 0..n-1.
func (a *tally) count(seqs []int, gapsAt []int, n int) {
	a.clients++
	a.events = n
	a.received += len(seqs)
	a.gapSignals += len(gapsAt)
	if len(gapsAt) > 0 {
		a.gaps++
	}
	gapBefore := func(i int) bool { // a gap event between seqs[i-1] and seqs[i]
		for _, g := range gapsAt {
			if g == i {
				return true
			}
		}
		return false
	}
	prev := -1
	for i, s := range seqs {
		gap := gapBefore(i)
		if s >= n { // a tail event: what is missing before it is missing for good
			s = n
		}
		switch {
		case s > prev+1 && gap:
			a.signalled += s - prev - 1
		case s > prev+1:
			a.lost += s - prev - 1
		case s <= prev && gap:
			a.repeatedAfterGap++
		case s <= prev:
			a.duplicated++
		}
		prev = max(prev, s)
		if s == n {
			prev = n - 1
			break
		}
	}
	if prev < n-1 {
		if gapBefore(len(seqs)) {
			a.signalled += n - 1 - prev
		} else {
			a.lost += n - 1 - prev
		}
	}
}

// publisher publishes "seq <i>" for i = 0, 1, ... on a live node, retrying a failed
// publish (on the next node) with the same idempotency key until it lands.
type publisher struct {
	c       *cluster
	topic   string
	next    int
	tail    int // the last tail event published (see tallyAll)
	retries atomic.Int64
	run     string // makes the keys of this run unique
}

func newPublisher(c *cluster, topic string) *publisher {
	return &publisher{c: c, topic: topic, run: strconv.FormatInt(time.Now().UnixNano(), 36)}
}

func (p *publisher) publish(ctx context.Context, seq int) error {
	kctx := redis.WithIdempotencyKey(ctx, p.run+"-"+strconv.Itoa(seq))
	for attempt := 0; ; attempt++ {
		n := p.c.nodes[p.next%len(p.c.nodes)]
		p.next++
		_, err := n.publish(kctx, p.topic, "seq "+strconv.Itoa(seq))
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		p.retries.Add(1)
		if attempt%len(p.c.nodes) == len(p.c.nodes)-1 {
			time.Sleep(20 * time.Millisecond) // every node failed: Redis is down
		}
	}
}

var discardLog = newDiscardLog()

func newDiscardLog() *log.Logger { return log.New(io.Discard, "", 0) }

// quietLogger discards what nodes log, unless POLYSSE_TEST_LOG is set.
func quietLogger() *slog.Logger {
	if os.Getenv("POLYSSE_TEST_LOG") != "" {
		return slog.Default()
	}
	return slog.New(slog.DiscardHandler)
}
