// Command demo-nodes runs the polysse demo's streams as three server nodes in one process,
// sharing one Redis through the redis module (a Broker for fan-out and resume, a Store for
// completion tokens), behind a round-robin TCP proxy: every connection, and so every
// reconnect, goes to the next node.
//
//	go run ./cmd/demo-nodes -redis 127.0.0.1:6379     # from the redis module
//	make demo-redis                                    # from the repository: starts a private redis-server too
//
// Open the printed URL. The page shows, for each stream, which node served each
// connection: the clock's streams end every 5 s and the browser's EventSource reconnects,
// through the proxy, to another node, which replays the ticks it missed from the shared
// log; buttons kill and restart nodes (their connections drop, and clients resume on the
// others), and a completed stream's reconnect is answered 204 by whichever node gets it.
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/redis"
	"github.com/polysse/sse/server"
	"github.com/redis/rueidis"
)

//go:embed index.html
var page []byte

func main() {
	redisAddr := flag.String("redis", "127.0.0.1:6379", "Redis address (host:port or redis:// URL)")
	addr := flag.String("addr", "127.0.0.1:8090", "address of the proxy in front of the nodes (the URL to open)")
	name := flag.String("log", "demo", "name of the Servers' logs in Redis (a key prefix polysse:{<name>-<route>}:…)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c := &cluster{redis: *redisAddr, name: *name}
	for i := range 3 {
		c.nodes = append(c.nodes, &node{c: c, name: string(rune('A' + i))})
	}
	for _, n := range c.nodes {
		if err := n.start(); err != nil {
			log.Fatalf("demo-nodes: node %s: %v", n.name, err)
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("demo-nodes: %v", err)
	}
	go c.proxy(ln)
	go c.clock(ctx)
	fmt.Printf("demo-nodes: three nodes (%s, %s, %s) on Redis %s behind http://%s/\n",
		c.nodes[0].addr, c.nodes[1].addr, c.nodes[2].addr, *redisAddr, ln.Addr())
	<-ctx.Done()
	ln.Close()
	for _, n := range c.nodes {
		n.stop()
	}
}

// cluster is the three nodes, their proxy and the clock that publishes through them.
type cluster struct {
	redis string
	name  string
	nodes []*node
	next  atomic.Int64
}

// node is one server node: its own Redis client, Brokers (one per route with a log),
// Store, servers and http.Server.
type node struct {
	c    *cluster
	name string
	addr string

	mu    sync.Mutex
	alive bool
	cl    rueidis.Client
	srvs  []*server.Server
	clock *server.Server
	hs    *http.Server
}

func (n *node) start() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.alive {
		return nil
	}
	listen := n.addr
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	if n.addr == "" { // the first start; a restart listens on the same address (read without the lock)
		n.addr = ln.Addr().String()
	}
	cl, err := redis.Dial(n.c.redis)
	if err != nil {
		ln.Close()
		return err
	}
	n.cl, n.srvs = cl, nil
	store := redis.NewStore(cl, redis.StoreOptions{})
	logger := slog.Default().With("node", n.name)
	mux := http.NewServeMux()
	handle := func(pattern, logName string, o server.Options) *server.Server {
		o.Store, o.Logger = store, logger
		if logName != "" {
			o.Broker = redis.NewBroker(cl, redis.BrokerOptions{Name: n.c.name + "-" + logName, MaxLen: 1000, Logger: logger})
		}
		srv := server.New(o)
		n.srvs = append(n.srvs, srv)
		mux.Handle(pattern, srv)
		return srv
	}
	hello := func(s *server.Session, what string) {
		msg := "node " + n.name + " serves this connection"
		if id := s.LastEventID(); id != "" {
			msg += "; it resumed from " + id
			if s.ReplayGap() {
				msg += ": a gap (events were lost), nothing replayed"
			} else {
				msg += what
			}
		}
		_ = s.Push(sse.Event{Type: "node", Data: msg})
	}
	// The clock: a tick a second to every node's sessions, through the shared log. Every
	// stream ends after 5 s; the browser reconnects (to the next node) and resumes.
	n.clock = handle("GET /events/clock", "clock", server.Options{
		Topics:           func(*http.Request) []string { return []string{"clock"} },
		ReconnectionTime: 2 * time.Second,
		GapEvent:         &sse.Event{Type: "gap", Data: "events were lost: resynchronise"},
		Stream: func(s *server.Session) {
			hello(s, ": the ticks missed meanwhile were replayed above, from the shared log")
			select {
			case <-time.After(5 * time.Second):
				s.Close()
			case <-s.Done():
			}
		},
	})
	// Completion: progress, then complete; the reconnect, to another node, redeems the
	// token from Redis and is answered 204 with SSE-Outcome: complete.
	handle("GET /events/complete", "", server.Options{
		ReconnectionTime: time.Second,
		Stream: func(s *server.Session) {
			hello(s, "")
			for i := 1; i <= 5; i++ {
				select {
				case <-time.After(400 * time.Millisecond):
				case <-s.Done():
					return
				}
				if s.PushData(fmt.Sprintf(`{"progress":%d}`, 20*i)) != nil {
					return
				}
			}
			_ = s.Complete(`{"result":"all done","node":"` + n.name + `"}`)
		},
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page)
	})
	mux.HandleFunc("GET /nodes", n.c.status)
	mux.HandleFunc("POST /nodes/{name}/{action}", n.c.control)
	n.hs = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	n.alive = true
	go func() { _ = n.hs.Serve(ln) }()
	return nil
}

// stop kills the node: its connections drop at once (clients resume on the others).
func (n *node) stop() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.alive {
		return
	}
	n.alive = false
	_ = n.hs.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, s := range n.srvs {
		_ = s.Shutdown(ctx)
	}
	n.cl.Close()
}

func (n *node) isAlive() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.alive
}

// clock publishes a tick every second through the next live node.
func (c *cluster) clock(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for tick := 1; ; tick++ {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			for range len(c.nodes) {
				n := c.nodes[int(c.next.Add(1))%len(c.nodes)]
				n.mu.Lock()
				srv, alive := n.clock, n.alive
				n.mu.Unlock()
				if !alive {
					continue
				}
				_, err := srv.Publish(ctx, "clock", sse.Event{Type: "tick",
					Data: fmt.Sprintf(`{"tick":%d,"time":%q,"published_by":%q}`, tick, now.Format("15:04:05"), n.name)})
				if err == nil || errors.Is(err, context.Canceled) {
					break
				}
				log.Printf("demo-nodes: publish on node %s: %v", n.name, err)
			}
		}
	}
}

// proxy sends every connection to the next live node.
func (c *cluster) proxy(ln net.Listener) {
	for {
		in, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer in.Close()
			for range len(c.nodes) {
				n := c.nodes[int(c.next.Add(1))%len(c.nodes)]
				if !n.isAlive() {
					continue
				}
				out, err := net.DialTimeout("tcp", n.addr, time.Second)
				if err != nil {
					continue
				}
				defer out.Close()
				done := make(chan struct{}, 2)
				go func() { _, _ = io.Copy(out, in); done <- struct{}{} }()
				go func() { _, _ = io.Copy(in, out); done <- struct{}{} }()
				<-done
				return
			}
		}()
	}
}

// status answers the nodes' states: {"A":true,...}.
func (c *cluster) status(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	b := []byte{'{'}
	for i, n := range c.nodes {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, n.name)
		b = append(b, ':')
		b = strconv.AppendBool(b, n.isAlive())
	}
	_, _ = w.Write(append(b, '}'))
}

// control kills or restarts a node: POST /nodes/{A|B|C}/{kill|start}. A node cannot be
// restarted from its own connection once it is down: the proxy sends the request to a
// live one.
func (c *cluster) control(w http.ResponseWriter, r *http.Request) {
	for _, n := range c.nodes {
		if n.name != r.PathValue("name") {
			continue
		}
		switch r.PathValue("action") {
		case "kill":
			go n.stop() // this request may be served by n itself
			w.WriteHeader(http.StatusAccepted)
		case "start":
			if err := n.start(); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		default:
			http.NotFound(w, r)
		}
		return
	}
	http.NotFound(w, r)
}
