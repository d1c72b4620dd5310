package bench_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge"
	sse "github.com/polysse/sse"
	"github.com/polysse/sse/redis"
	"github.com/polysse/sse/redis/redistest"
	"github.com/polysse/sse/server"
)

// The scale-out benchmark: publish on node A, deliver to subscribers on node B, through
// one redis-server of its own (no persistence) on loopback, for
//
//	polysse-memory     one node, the in-memory broker (no Redis): the baseline
//	polysse-redis      two nodes with redis.Broker (one Redis stream, every node reads it)
//	centrifuge-redis   two centrifuge Nodes with its RedisBroker (history on: a stream per
//	                   channel plus PUB/SUB), the peer
//
// Subscribers are sessions of each library, in this process: polysse's are ServeHTTP
// calls whose ResponseWriter records the time each event is written; centrifuge's are
// unidirectional clients (centrifuge.NewClient with a Transport that records the time of
// each Write), subscribed on the server side, as centrifugo's SSE transport does. Each
// event's data carries the time just before its publish call.
//
//	latency     events published one at a time, 1 ms apart: the time from the publish call
//	            to the moment the event is written for the slowest subscriber; p50 and p99
//	            over the events
//	throughput  8 goroutines publish as fast as they can; events per second from the
//	            first publish to the last subscriber having the last event
//
// Rounds interleave the three, so that a busy machine hurts all alike. Run it with
//
//	cd internal/bench && go test -run TestScaleOut -scaleout -v
var (
	scaleOut       = flag.Bool("scaleout", false, "run TestScaleOut (the scale-out benchmark)")
	scaleRounds    = flag.Int("scaleout.rounds", 3, "TestScaleOut: rounds (the table shows medians)")
	scaleLatEvents = flag.Int("scaleout.latency-events", 1000, "TestScaleOut: events per latency run")
	scaleTpEvents  = flag.Int("scaleout.throughput-events", 20000, "TestScaleOut: events per throughput run")
)

const scaleChannel = "bench"

// scaleImpl is one implementation under test: a publisher on node A and subscribers on
// node B.
type scaleImpl interface {
	publish(data string) error
	// subscribe adds n subscribers; each delivery calls got(i, data).
	subscribe(n int, got func(sub int, data []byte)) error
	close()
}

type scaleCandidate struct {
	name string
	make func(tb testing.TB, redisAddr, run string) scaleImpl
}

var scaleCandidates = []scaleCandidate{
	{"polysse-memory", newPolysseMemory},
	{"polysse-redis", newPolysseRedis},
	{"centrifuge-redis", newCentrifugeRedis},
}

func TestScaleOut(t *testing.T) {
	if !*scaleOut {
		t.Skip("the scale-out benchmark runs with -scaleout")
	}
	srv := redistest.Start(t, redistest.Options{})
	type result struct{ p50, p99, p50k, p99k, tput []float64 }
	results := map[string]*result{}
	for round := range *scaleRounds {
		for _, c := range scaleCandidates {
			r := results[c.name]
			if r == nil {
				r = &result{}
				results[c.name] = r
			}
			run := fmt.Sprintf("r%d-%d", round, time.Now().UnixNano())
			p50, p99 := scaleLatency(t, c, srv.Addr(), run+"a", 1)
			p50k, p99k := scaleLatency(t, c, srv.Addr(), run+"b", 1000)
			tput := scaleThroughput(t, c, srv.Addr(), run+"c", 100)
			t.Logf("round %d %-16s latency 1 sub p50 %.3f p99 %.3f ms; 1000 subs p50 %.3f p99 %.3f ms; throughput %.0f events/s",
				round+1, c.name, p50, p99, p50k, p99k, tput)
			r.p50, r.p99, r.p50k, r.p99k, r.tput = append(r.p50, p50), append(r.p99, p99), append(r.p50k, p50k), append(r.p99k, p99k), append(r.tput, tput)
		}
	}
	med := func(v []float64) float64 {
		s := slices.Sorted(slices.Values(v))
		return s[len(s)/2]
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| implementation | 1 subscriber p50 / p99 (ms) | 1,000 subscribers p50 / p99 (ms) | throughput, 100 subscribers (events/s) |\n")
	fmt.Fprintf(&b, "|:---|---:|---:|---:|\n")
	for _, c := range scaleCandidates {
		r := results[c.name]
		fmt.Fprintf(&b, "| %s | %.3f / %.3f | %.3f / %.3f | %.0f |\n", c.name, med(r.p50), med(r.p99), med(r.p50k), med(r.p99k), med(r.tput))
	}
	pr, cr, mr := results["polysse-redis"], results["centrifuge-redis"], results["polysse-memory"]
	fmt.Fprintf(&b, "\npolysse-redis / centrifuge-redis: p50 latency %.2f× (1 sub), %.2f× (1,000 subs); throughput %.2f×\n",
		med(pr.p50)/med(cr.p50), med(pr.p50k)/med(cr.p50k), med(pr.tput)/med(cr.tput))
	fmt.Fprintf(&b, "polysse-redis − polysse-memory: p50 latency +%.3f ms (1 sub), +%.3f ms (1,000 subs); throughput %.2f×\n",
		med(pr.p50)-med(mr.p50), med(pr.p50k)-med(mr.p50k), med(pr.tput)/med(mr.tput))
	fmt.Fprintf(&b, "(medians of %d rounds; %d events per latency run, %d per throughput run)\n", *scaleRounds, *scaleLatEvents, *scaleTpEvents)
	fmt.Println(b.String())
}

// stamp is the data of an event: its number and the time just before it was published.
func stamp(seq int) string {
	return strconv.Itoa(seq) + " " + strconv.FormatInt(time.Now().UnixNano(), 10)
}

func parseStamp(data []byte) (seq int, at int64, ok bool) {
	a, b, found := bytes.Cut(data, []byte(" "))
	if !found {
		return 0, 0, false
	}
	s, err1 := strconv.Atoi(string(a))
	ns, err2 := strconv.ParseInt(string(b), 10, 64)
	return s, ns, err1 == nil && err2 == nil
}

// scaleLatency publishes events one at a time and returns the p50 and p99, in ms, of the
// time until the last of subs subscribers had each.
func scaleLatency(t *testing.T, c scaleCandidate, addr, run string, subs int) (p50, p99 float64) {
	t.Helper()
	impl := c.make(t, addr, run)
	defer impl.close()
	n := *scaleLatEvents
	var mu sync.Mutex
	left := make([]int, n)    // subscribers still to get event i
	worst := make([]int64, n) // the latest delivery of event i, ns after its publish
	done := make([]chan struct{}, n)
	for i := range n {
		left[i] = subs
		done[i] = make(chan struct{})
	}
	if err := impl.subscribe(subs, func(_ int, data []byte) {
		now := time.Now().UnixNano()
		seq, at, ok := parseStamp(data)
		if !ok || seq < 0 || seq >= n {
			return
		}
		mu.Lock()
		worst[seq] = max(worst[seq], now-at)
		left[seq]--
		if left[seq] == 0 {
			close(done[seq])
		}
		mu.Unlock()
	}); err != nil {
		t.Fatalf("%s: subscribe: %v", c.name, err)
	}
	for i := range n {
		if err := impl.publish(stamp(i)); err != nil {
			t.Fatalf("%s: publish: %v", c.name, err)
		}
		select {
		case <-done[i]:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: event %d not delivered to all %d subscribers in 10 s", c.name, i, subs)
		}
		time.Sleep(time.Millisecond)
	}
	slices.Sort(worst)
	return float64(worst[n/2]) / 1e6, float64(worst[n*99/100]) / 1e6
}

// scaleThroughput publishes events from 8 goroutines and returns events per second until
// every one of subs subscribers had them all.
func scaleThroughput(t *testing.T, c scaleCandidate, addr, run string, subs int) float64 {
	t.Helper()
	impl := c.make(t, addr, run)
	defer impl.close()
	n := *scaleTpEvents
	var got atomic.Int64
	all := make(chan struct{})
	if err := impl.subscribe(subs, func(_ int, data []byte) {
		if _, _, ok := parseStamp(data); ok && got.Add(1) == int64(n*subs) {
			close(all)
		}
	}); err != nil {
		t.Fatalf("%s: subscribe: %v", c.name, err)
	}
	start := time.Now()
	var wg sync.WaitGroup
	var next atomic.Int64
	for range 8 {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := impl.publish(stamp(i)); err != nil {
					t.Errorf("%s: publish: %v", c.name, err)
					return
				}
			}
		})
	}
	wg.Wait()
	select {
	case <-all:
	case <-time.After(60 * time.Second):
		t.Fatalf("%s: %d of %d deliveries after 60 s", c.name, got.Load(), n*subs)
	}
	return float64(n) / time.Since(start).Seconds()
}

// ---- polysse

// polysseNode is a server.Server with subscribers that are ServeHTTP calls.
type polysseNode struct {
	srv     *server.Server
	cancels []context.CancelFunc
	wg      sync.WaitGroup
}

func newPolysseNode(b server.Broker) *polysseNode {
	opts := server.Options{
		Topics:            func(*http.Request) []string { return []string{scaleChannel} },
		HeartbeatInterval: -1,
		QueueSize:         1 << 16, // the throughput run must not evict anybody
		Broker:            b,
		AutoID:            true,
		ReplaySize:        1000,
	}
	return &polysseNode{srv: server.New(opts)}
}

func (n *polysseNode) subscribe(count int, got func(int, []byte)) error {
	ready := make(chan struct{}, count)
	for i := range count {
		ctx, cancel := context.WithCancel(context.Background())
		n.cancels = append(n.cancels, cancel)
		w := &stampWriter{h: http.Header{}, sub: i, got: got, ready: ready}
		req := httptest.NewRequest(http.MethodGet, "/", nil).WithContext(ctx)
		n.wg.Go(func() { n.srv.ServeHTTP(w, req) })
	}
	for range count {
		<-ready
	}
	return nil
}

func (n *polysseNode) close() {
	for _, c := range n.cancels {
		c()
	}
	n.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = n.srv.Shutdown(ctx)
}

// stampWriter is a ResponseWriter that hands the data of every event it is written to got.
type stampWriter struct {
	h     http.Header
	sub   int
	got   func(int, []byte)
	ready chan<- struct{}
	once  sync.Once
	rest  []byte
}

func (w *stampWriter) Header() http.Header { return w.h }
func (w *stampWriter) WriteHeader(int)     {}
func (w *stampWriter) Flush()              { w.once.Do(func() { w.ready <- struct{}{} }) }

// SetWriteDeadline lets the server arm its write timeout (http.ResponseController).
func (w *stampWriter) SetWriteDeadline(time.Time) error { return nil }

func (w *stampWriter) Write(p []byte) (int, error) {
	buf := append(w.rest, p...)
	for {
		line, rest, ok := bytes.Cut(buf, []byte("\n"))
		if !ok {
			break
		}
		if d, ok := bytes.CutPrefix(line, []byte("data: ")); ok {
			w.got(w.sub, d)
		}
		buf = rest
	}
	w.rest = append(w.rest[:0], buf...)
	return len(p), nil
}

type polysseMemory struct{ *polysseNode }

func newPolysseMemory(testing.TB, string, string) scaleImpl {
	return polysseMemory{newPolysseNode(nil)}
}

func (m polysseMemory) publish(data string) error {
	_, err := m.srv.Publish(context.Background(), scaleChannel, sse.Event{Data: data})
	return err
}

type polysseRedis struct {
	a, b   *polysseNode
	closer []func()
}

func newPolysseRedis(tb testing.TB, addr, run string) scaleImpl {
	p := &polysseRedis{}
	nodes := make([]*polysseNode, 2)
	for i := range nodes {
		c, err := redis.Dial(addr)
		if err != nil {
			tb.Fatal(err)
		}
		nodes[i] = newPolysseNode(redis.NewBroker(c, redis.BrokerOptions{Name: run, MaxLen: 100_000}))
		p.closer = append(p.closer, c.Close)
	}
	p.a, p.b = nodes[0], nodes[1]
	return p
}

func (p *polysseRedis) publish(data string) error {
	_, err := p.a.srv.Publish(context.Background(), scaleChannel, sse.Event{Data: data})
	return err
}

func (p *polysseRedis) subscribe(n int, got func(int, []byte)) error { return p.b.subscribe(n, got) }

func (p *polysseRedis) close() {
	p.a.close()
	p.b.close()
	for _, c := range p.closer {
		c()
	}
}

// ---- centrifuge

type centrifugeRedis struct {
	a, b    *centrifuge.Node
	shards  []*centrifuge.RedisShard
	clients []func()
}

func newCentrifugeRedis(tb testing.TB, addr, run string) scaleImpl {
	c := &centrifugeRedis{}
	nodes := make([]*centrifuge.Node, 2)
	for i := range nodes {
		n, err := centrifuge.New(centrifuge.Config{ClientQueueMaxSize: 64 << 20})
		if err != nil {
			tb.Fatal(err)
		}
		shard, err := centrifuge.NewRedisShard(n, centrifuge.RedisShardConfig{Address: addr})
		if err != nil {
			tb.Fatal(err)
		}
		c.shards = append(c.shards, shard)
		broker, err := centrifuge.NewRedisBroker(n, centrifuge.RedisBrokerConfig{Prefix: "cf-" + run, Shards: []*centrifuge.RedisShard{shard}})
		if err != nil {
			tb.Fatal(err)
		}
		n.SetBroker(broker)
		n.OnConnecting(func(context.Context, centrifuge.ConnectEvent) (centrifuge.ConnectReply, error) {
			return centrifuge.ConnectReply{Subscriptions: map[string]centrifuge.SubscribeOptions{scaleChannel: {}}}, nil
		})
		n.OnConnect(func(*centrifuge.Client) {})
		if err := n.Run(); err != nil {
			tb.Fatal(err)
		}
		nodes[i] = n
	}
	c.a, c.b = nodes[0], nodes[1]
	return c
}

func (c *centrifugeRedis) publish(data string) error {
	_, err := c.a.Publish(scaleChannel, []byte(strconv.Quote(data)), centrifuge.WithHistory(100_000, 5*time.Minute))
	return err
}

func (c *centrifugeRedis) subscribe(n int, got func(int, []byte)) error {
	for i := range n {
		ctx := centrifuge.SetCredentials(context.Background(), &centrifuge.Credentials{UserID: "u" + strconv.Itoa(i)})
		t := &stampTransport{sub: i, got: got}
		client, closeFn, err := centrifuge.NewClient(ctx, c.b, t)
		if err != nil {
			return err
		}
		if err := client.ConnectNoErrorToDisconnect(centrifuge.ConnectRequest{}); err != nil {
			return err
		}
		c.clients = append(c.clients, func() { _ = closeFn() })
	}
	// The subscriptions are made on the server side at connect: wait until node B is
	// subscribed to the channel in Redis (a publish reaches the client).
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if len(c.b.Hub().Channels()) > 0 {
			return nil
		}
		time.Sleep(time.Millisecond)
	}
	return fmt.Errorf("centrifuge: node B has no channel after connecting %d clients", n)
}

func (c *centrifugeRedis) close() {
	for _, f := range c.clients {
		f()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = c.a.Shutdown(ctx)
	_ = c.b.Shutdown(ctx)
	for _, s := range c.shards {
		s.Close()
	}
}

// stampTransport is a unidirectional centrifuge Transport (JSON) that hands the data of
// every publication written to it to got.
type stampTransport struct {
	sub int
	got func(int, []byte)
}

func (t *stampTransport) Name() string                      { return "bench" }
func (t *stampTransport) AcceptProtocol() string            { return "" }
func (t *stampTransport) Protocol() centrifuge.ProtocolType { return centrifuge.ProtocolTypeJSON }
func (t *stampTransport) ProtocolVersion() centrifuge.ProtocolVersion {
	return centrifuge.ProtocolVersion2
}
func (t *stampTransport) Unidirectional() bool      { return true }
func (t *stampTransport) Emulation() bool           { return false }
func (t *stampTransport) DisabledPushFlags() uint64 { return 0 }
func (t *stampTransport) PingPongConfig() centrifuge.PingPongConfig {
	return centrifuge.PingPongConfig{PingInterval: -1, PongTimeout: -1}
}
func (t *stampTransport) Close(centrifuge.Disconnect) error { return nil }

func (t *stampTransport) Write(p []byte) error {
	// Publications: {"push":{"channel":"bench","pub":{"data":"<seq> <ns>",...}}}, one or
	// more per write.
	for {
		_, rest, ok := bytes.Cut(p, []byte(`"data":"`))
		if !ok {
			return nil
		}
		d, after, ok := bytes.Cut(rest, []byte(`"`))
		if !ok {
			return nil
		}
		t.got(t.sub, d)
		p = after
	}
}

func (t *stampTransport) WriteMany(ps ...[]byte) error {
	for _, p := range ps {
		_ = t.Write(p)
	}
	return nil
}
