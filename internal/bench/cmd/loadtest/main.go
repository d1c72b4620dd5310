// Command loadtest measures SSE servers over real loopback TCP: n concurrent connections
// (5,000 by default) to one server, each receiving published events. For every server it
// reports the delivery latency of one published event to all connections (p50, p99 and
// max, from the moment the server is asked to publish to the moment a client has parsed
// the event), how many deliveries per second that makes, and the memory the server holds
// per idle connection: heap objects and goroutine stacks, read with runtime/metrics after
// a GC, minus the same figures before any connection.
//
// Each server runs in a child process (this program with -serve), so that the client
// side does not count in its memory. The servers are polysse's server package,
// tmaxmax/go-sse (Server with its default provider, Joe), r3labs/sse/v2, and two bare
// net/http handlers, which give what net/http itself costs per connection: "net/http"
// sends the headers, flushes and blocks until the client goes away (a streaming handler
// that writes from its own goroutine, as r3labs' does); "net/http-noflush" only blocks
// (the handler goroutines of go-sse and polysse do not write either: go-sse's provider
// and polysse's writer pool do, so the handlers never grow the write path's deep stack).
//
//	go run ./cmd/loadtest                 # all servers, 5,000 connections
//	go run ./cmd/loadtest -n 1000 -servers polysse,go-sse
//	go run ./cmd/loadtest -isolation -rounds 3   # a stalled client next to a fast one
//	go run ./cmd/loadtest -subscribe 10000,100000 -rounds 9   # Publish while a client subscribes to n topics
//
// Everything listens on and dials 127.0.0.1 only. Both processes raise their open-file
// limit (RLIMIT_NOFILE) to what n needs, up to the hard limit.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/polysse/sse"
	"github.com/polysse/sse/server"
	r3sse "github.com/r3labs/sse/v2"
	gosse "github.com/tmaxmax/go-sse"
)

var servers = []string{"polysse", "go-sse", "r3labs", "net/http", "net/http-noflush"}

func main() {
	serve := flag.String("serve", "", "child mode: serve this server on 127.0.0.1 and print its address")
	n := flag.Int("n", 5000, "concurrent connections")
	rounds := flag.Int("rounds", 10, "published events whose delivery is timed")
	list := flag.String("servers", strings.Join(servers, ","), "servers to measure, comma-separated")
	iso := flag.Bool("isolation", false, "measure isolation instead: a stalled client and a fast one on one polysse server")
	protos := flag.String("protos", "http1,h2c", "with -isolation: protocols, comma-separated (http1, h2c)")
	rate := flag.Int("rate", 16000, "with -isolation: events per second")
	events := flag.Int("events", 8000, "with -isolation: events published")
	subscribe := flag.String("subscribe", "", "measure instead how long Publish waits while a client subscribes to, or leaves, this many topics (comma-separated counts)")
	flag.Parse()

	if *subscribe != "" {
		var ns []int
		for f := range strings.SplitSeq(*subscribe, ",") {
			n, err := strconv.Atoi(f)
			if err != nil || n < 1 {
				fmt.Fprintf(os.Stderr, "loadtest -subscribe: bad topic count %q\n", f)
				os.Exit(2)
			}
			ns = append(ns, n)
		}
		if err := subscribeLatency(ns, *rounds); err != nil {
			fmt.Fprintln(os.Stderr, "loadtest -subscribe:", err)
			os.Exit(1)
		}
		return
	}

	if *iso {
		if err := isolation(strings.Split(*protos, ","), *rate, *events, *rounds); err != nil {
			fmt.Fprintln(os.Stderr, "loadtest -isolation:", err)
			os.Exit(1)
		}
		return
	}

	if *serve != "" {
		if err := runServer(*serve, *n); err != nil {
			fmt.Fprintln(os.Stderr, "loadtest -serve:", err)
			os.Exit(1)
		}
		return
	}
	if err := raiseFileLimit(*n); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
	fmt.Printf("loadtest: %d connections over 127.0.0.1, %d timed events per server; %s, %d CPUs, %s\n\n",
		*n, *rounds, runtime.GOOS+"/"+runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	var results []result
	for name := range strings.SplitSeq(*list, ",") {
		if !slices.Contains(servers, name) {
			fmt.Fprintf(os.Stderr, "loadtest: unknown server %q (have %s)\n", name, strings.Join(servers, ", "))
			os.Exit(2)
		}
		fmt.Fprintf(os.Stderr, "loadtest: %s ...\n", name)
		res, err := measure(name, *n, *rounds)
		if err != nil {
			fmt.Fprintf(os.Stderr, "loadtest: %s: %v\n", name, err)
			os.Exit(1)
		}
		results = append(results, res)
	}
	printTable(os.Stdout, results)
}

// raiseFileLimit makes room for n sockets and some more.
func raiseFileLimit(n int) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	want := uint64(n) + 512
	if lim.Cur >= want {
		return nil
	}
	if lim.Max < want {
		return fmt.Errorf("open-file hard limit %d is below the %d that %d connections need", lim.Max, want, n)
	}
	lim.Cur = want
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
}

// ---------------------------------------------------------------- child: the server

// stats is what the child reports on /stats.
type stats struct {
	Handlers   int64  `json:"handlers"`   // requests being served on /events
	HeapBytes  uint64 `json:"heapBytes"`  // /memory/classes/heap/objects:bytes after GC
	StackBytes uint64 `json:"stackBytes"` // /memory/classes/heap/stacks:bytes
	Goroutines uint64 `json:"goroutines"` // /sched/goroutines:goroutines
}

// publisher publishes one event with the given data.
type publisher func(id, data string) error

func runServer(name string, n int) error {
	if err := raiseFileLimit(n); err != nil {
		return err
	}
	events, publish, err := newServer(name)
	if err != nil {
		return err
	}
	var handlers atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("GET /events", func(w http.ResponseWriter, r *http.Request) {
		handlers.Add(1)
		defer handlers.Add(-1)
		events.ServeHTTP(w, r)
	})
	mux.HandleFunc("GET /handlers", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, handlers.Load())
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		runtime.GC()
		runtime.GC()
		samples := []metrics.Sample{
			{Name: "/memory/classes/heap/objects:bytes"},
			{Name: "/memory/classes/heap/stacks:bytes"},
			{Name: "/sched/goroutines:goroutines"},
		}
		metrics.Read(samples)
		_ = json.NewEncoder(w).Encode(stats{
			Handlers:   handlers.Load(),
			HeapBytes:  samples[0].Value.Uint64(),
			StackBytes: samples[1].Value.Uint64(),
			Goroutines: samples[2].Value.Uint64(),
		})
	})
	var seq atomic.Int64
	mux.HandleFunc("POST /publish", func(w http.ResponseWriter, r *http.Request) {
		// The data is "<round> <unix nanoseconds>", padded to 64 bytes; the stamp is
		// taken just before the event is handed to the server.
		round := r.URL.Query().Get("round")
		id := strconv.FormatInt(seq.Add(1), 10)
		data := round + " " + strconv.FormatInt(time.Now().UnixNano(), 10) + " "
		data += strings.Repeat("x", max(0, 64-len(data)))
		if err := publish(id, data); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("listening %s\n", ln.Addr())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 30 * time.Second}
	return srv.Serve(ln) // until the parent kills this process
}

// newServer returns the handler of name's event stream and its publish function.
func newServer(name string) (http.Handler, publisher, error) {
	switch name {
	case "polysse":
		srv := server.New(server.Options{
			Topics: func(*http.Request) []string { return []string{"bench"} },
		})
		return srv, func(id, data string) error {
			_, err := srv.Publish(context.Background(), "bench", sse.Event{ID: id, Type: "update", Data: data})
			return err
		}, nil
	case "go-sse":
		srv := &gosse.Server{} // the default provider, Joe
		return srv, func(id, data string) error {
			m := &gosse.Message{ID: gosse.ID(id), Type: gosse.Type("update")}
			m.AppendData(data)
			return srv.Publish(m)
		}, nil
	case "r3labs":
		srv := r3sse.New()
		srv.AutoReplay = false // its event log is unbounded
		srv.CreateStream("bench")
		return srv, func(id, data string) error {
			srv.Publish("bench", &r3sse.Event{ID: []byte(id), Event: []byte("update"), Data: []byte(data)})
			return nil
		}, nil
	case "net/http-noflush":
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }), nil, nil
	case "net/http":
		bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			w.Header().Set("Cache-Control", "no-cache")
			w.WriteHeader(http.StatusOK)
			http.NewResponseController(w).Flush()
			<-r.Context().Done()
		})
		return bare, nil, nil
	}
	return nil, nil, fmt.Errorf("unknown server %q", name)
}

// ---------------------------------------------------------------- parent: the clients

type result struct {
	name                string
	conns               int
	p50, p99, maxLat    time.Duration
	deliveriesPerSecond float64 // median over rounds: conns ÷ time to the last delivery
	heap, stack         float64 // bytes per connection
	goroutines          float64 // per connection
	timed               bool    // false for net/http, which publishes nothing
}

// child is a running server process.
type child struct {
	cmd  *exec.Cmd
	addr string
	ctl  *http.Client
}

func startChild(name string, n int) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "-serve", name, "-n", strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, ctl: &http.Client{Timeout: 60 * time.Second}}
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- s
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case s := <-line:
		addr, ok := strings.CutPrefix(strings.TrimSpace(s), "listening ")
		if !ok {
			c.stop()
			return nil, fmt.Errorf("child said %q", s)
		}
		c.addr = addr
	case <-time.After(30 * time.Second):
		c.stop()
		return nil, errors.New("child did not start within 30 s")
	}
	return c, nil
}

func (c *child) stop() {
	_ = c.cmd.Process.Kill()
	_ = c.cmd.Wait()
}

func (c *child) get(path string) ([]byte, error) {
	resp, err := c.ctl.Get("http://" + c.addr + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s: %s", path, resp.Status, b)
	}
	return b, err
}

func (c *child) stats() (stats, error) {
	var s stats
	b, err := c.get("/stats")
	if err == nil {
		err = json.Unmarshal(b, &s)
	}
	return s, err
}

func (c *child) publish(round int) error {
	resp, err := c.ctl.Post("http://"+c.addr+"/publish?round="+strconv.Itoa(round), "text/plain", nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("publish: %s: %s", resp.Status, b)
	}
	return nil
}

// clients are the n connections and what they received.
type clients struct {
	conns    []net.Conn
	mu       sync.Mutex
	received map[int]int             // round → clients that received it
	latency  map[int][]time.Duration // round → latencies
	waiters  map[int]chan struct{}   // round → closed when all clients received it
	first    atomic.Int64            // clients that received any event
	errs     chan error              // the first read errors
	n        int
	closing  atomic.Bool
}

func (cs *clients) wait(round int) chan struct{} {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	ch := cs.waiters[round]
	if ch == nil {
		ch = make(chan struct{})
		cs.waiters[round] = ch
	}
	return ch
}

// deliver records that a client received round's event stamped at stamp.
func (cs *clients) deliver(round int, lat time.Duration) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.received[round]++
	cs.latency[round] = append(cs.latency[round], lat)
	if cs.received[round] == cs.n {
		if ch := cs.waiters[round]; ch != nil {
			close(ch)
		} else {
			ch = make(chan struct{})
			close(ch)
			cs.waiters[round] = ch
		}
	}
}

// connect opens n connections to addr, 100 dials at a time, sends each a GET of the
// event stream, and reads its events in a goroutine per connection.
func connect(addr string, n int) (*clients, error) {
	cs := &clients{
		received: map[int]int{},
		latency:  map[int][]time.Duration{},
		waiters:  map[int]chan struct{}{},
		errs:     make(chan error, 1),
		n:        n,
	}
	cs.conns = make([]net.Conn, n)
	sem := make(chan struct{}, 100)
	var wg sync.WaitGroup
	var dialErr atomic.Pointer[error]
	req := "GET /events?stream=bench HTTP/1.1\r\nHost: " + addr + "\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n"
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			d := net.Dialer{Timeout: 30 * time.Second}
			conn, err := d.Dial("tcp", addr)
			if err == nil {
				_, err = io.WriteString(conn, req)
			}
			if err != nil {
				dialErr.CompareAndSwap(nil, &err)
				if conn != nil {
					conn.Close()
				}
				return
			}
			cs.conns[i] = conn
			go cs.read(conn)
		})
		if dialErr.Load() != nil {
			break
		}
	}
	wg.Wait()
	if p := dialErr.Load(); p != nil {
		cs.close()
		return nil, *p
	}
	return cs, nil
}

// read parses one connection's response: the status line and headers, then the chunked
// body, in which it looks at data lines only ("<round> <stamp> padding").
func (cs *clients) read(conn net.Conn) {
	br := bufio.NewReaderSize(conn, 4096)
	resp, err := http.ReadResponse(br, nil)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("status %s", resp.Status)
	}
	if err != nil {
		cs.fail(err)
		return
	}
	body := bufio.NewReaderSize(resp.Body, 1024)
	seen := false
	for {
		line, err := body.ReadSlice('\n')
		if err != nil {
			if !cs.closing.Load() {
				cs.fail(fmt.Errorf("stream ended: %w", err))
			}
			return
		}
		data, ok := bytes.CutPrefix(line, []byte("data: "))
		if !ok {
			continue
		}
		now := time.Now().UnixNano()
		f := bytes.Fields(data)
		if len(f) < 2 {
			continue
		}
		round, err1 := strconv.Atoi(string(f[0]))
		stamp, err2 := strconv.ParseInt(string(f[1]), 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		if !seen {
			seen = true
			cs.first.Add(1)
		}
		cs.deliver(round, time.Duration(now-stamp))
	}
}

func (cs *clients) fail(err error) {
	select {
	case cs.errs <- err:
	default:
	}
}

func (cs *clients) close() {
	cs.closing.Store(true)
	for _, c := range cs.conns {
		if c != nil {
			c.Close()
		}
	}
}

// waitFor polls cond every 10 ms until it holds, a client fails, or timeout.
func (cs *clients) waitFor(what string, timeout time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case err := <-cs.errs:
			return fmt.Errorf("a client failed while waiting for %s: %w", what, err)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not done after %v", what, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func measure(name string, n, rounds int) (res result, err error) {
	res = result{name: name, conns: n, timed: !strings.HasPrefix(name, "net/http")}
	c, err := startChild(name, n)
	if err != nil {
		return res, err
	}
	defer c.stop()
	base, err := c.stats()
	if err != nil {
		return res, err
	}
	cs, err := connect(c.addr, n)
	if err != nil {
		return res, fmt.Errorf("connecting: %w", err)
	}
	defer cs.close()
	err = cs.waitFor("every request to reach its handler", 60*time.Second, func() (bool, error) {
		b, err := c.get("/handlers")
		if err != nil {
			return false, err
		}
		h, err := strconv.Atoi(string(b))
		return h == n, err
	})
	if err != nil {
		return res, err
	}
	if res.timed {
		// Warm up: publish round 0 until every client has an event, so that every
		// connection is subscribed (go-sse sends no headers before its first event).
		// One warm-up event per 500 ms at most, so that no queue overflows.
		var last time.Time
		err = cs.waitFor("every client to receive a first event", 60*time.Second, func() (bool, error) {
			if cs.first.Load() == int64(n) {
				return true, nil
			}
			if time.Since(last) < 500*time.Millisecond {
				return false, nil
			}
			last = time.Now()
			return false, c.publish(0)
		})
		if err != nil {
			return res, err
		}
	}
	time.Sleep(200 * time.Millisecond) // idle
	idle, err := c.stats()
	if err != nil {
		return res, err
	}
	res.heap = (float64(idle.HeapBytes) - float64(base.HeapBytes)) / float64(n)
	res.stack = (float64(idle.StackBytes) - float64(base.StackBytes)) / float64(n)
	res.goroutines = (float64(idle.Goroutines) - float64(base.Goroutines)) / float64(n)
	if !res.timed {
		return res, nil
	}

	var all []time.Duration
	var rates []float64
	for r := 1; r <= rounds; r++ {
		done := cs.wait(r)
		if err := c.publish(r); err != nil {
			return res, err
		}
		select {
		case <-done:
		case err := <-cs.errs:
			return res, fmt.Errorf("round %d: a client failed: %w", r, err)
		case <-time.After(60 * time.Second):
			return res, fmt.Errorf("round %d: not delivered to every client after 60 s", r)
		}
		cs.mu.Lock()
		lat := slices.Clone(cs.latency[r])
		cs.mu.Unlock()
		slices.Sort(lat)
		all = append(all, lat...)
		rates = append(rates, float64(n)/lat[len(lat)-1].Seconds())
		time.Sleep(50 * time.Millisecond)
	}
	slices.Sort(all)
	slices.Sort(rates)
	res.p50 = all[len(all)/2]
	res.p99 = all[len(all)*99/100]
	res.maxLat = all[len(all)-1]
	res.deliveriesPerSecond = rates[len(rates)/2]
	return res, nil
}

func printTable(w io.Writer, results []result) {
	fmt.Fprintln(w, "| server | conns | p50 latency | p99 latency | max latency | events/s | heap B/conn | stack B/conn | total B/conn | goroutines/conn |")
	fmt.Fprintln(w, "|:---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	var bases []result
	for _, r := range results {
		if !r.timed {
			bases = append(bases, r)
		}
		lat := func(d time.Duration) string {
			if !r.timed {
				return "–"
			}
			return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
		}
		rate := "–"
		if r.timed {
			rate = fmt.Sprintf("%.0f", r.deliveriesPerSecond)
		}
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s | %.0f | %.0f | %.0f | %.2f |\n",
			r.name, r.conns, lat(r.p50), lat(r.p99), lat(r.maxLat), rate,
			r.heap, r.stack, r.heap+r.stack, r.goroutines)
	}
	for _, base := range bases {
		fmt.Fprintf(w, "\nBytes per idle connection beyond %s's %.0f B:", base.name, base.heap+base.stack)
		for _, r := range results {
			if r.timed {
				fmt.Fprintf(w, " %s %+.0f;", r.name, r.heap+r.stack-base.heap-base.stack)
			}
		}
		fmt.Fprintln(w)
	}
}
