package bench_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/polysse/sse/redis/redistest"
	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/rueidis"
)

// The Redis client benchmark picks the client library of the redis module: the two
// operations that module runs on every publish and every completion token, on each
// candidate library through its public API, against one redis-server of its own (no
// persistence) on loopback.
//
//	publish: a Lua script appends a 128-byte event to a stream with XADD MAXLEN ~ and
//	         chains it to the previous entry (the id of the previous entry is kept in a key).
//	token:   SET <key> <outcome> PX <ttl> NX (record), then GETDEL <key> (redeem).
//
// Each runs with 1 and with 64 concurrent callers. Besides ns/op, B/op and allocs/op (of
// this process: the client library's work), it reports the p50 and p99 latency of one
// operation, and the CPU time per operation of this process (client-cpu-ns/op) and of the
// redis-server (redis-cpu-ns/op), because a client that batches writes trades latency for
// CPU.

// publishScript appends ARGV[3] (the event) with ARGV[2] (its topics) to the stream KEYS[1],
// trimmed to about ARGV[1] entries, and records the new id in KEYS[2]; the entry's field p is
// the id recorded before, so that readers can prove that no entry is missing between two.
const publishScript = `local prev = redis.call('GET', KEYS[2]) or '0-0'
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'p', prev, 't', ARGV[2], 'ev', ARGV[3])
redis.call('SET', KEYS[2], id)
return id`

const (
	benchLogKey  = "bench:{log}:log"
	benchLastKey = "bench:{log}:last"
	benchMaxLen  = "10000"
	benchTopics  = "news"
	tokenTTL     = 5 * time.Minute
)

var benchEvent = "event: update\ndata: " + strings.Repeat("x", 128-len("event: update\ndata: \n")) + "\n"

// redisClient is what a candidate library does for one operation of the benchmark. Both
// methods check the reply, so that no client can win by skipping work.
type redisClient interface {
	publish(ctx context.Context) error
	token(ctx context.Context, key string) error
	close()
}

type redisCandidate struct {
	name string
	dial func(addr string) (redisClient, error)
}

var redisCandidates = []redisCandidate{
	{"go-redis", dialGoRedis},
	{"rueidis", func(addr string) (redisClient, error) { return dialRueidis(addr, 0) }},
	{"rueidis-flush100µs", func(addr string) (redisClient, error) { return dialRueidis(addr, 100*time.Microsecond) }},
}

// rueidis with the options the redis module would use; maxFlushDelay 0 is rueidis's default.
type rueidisClient struct {
	c      rueidis.Client
	script *rueidis.Lua
	keys   []string
	args   []string
}

func dialRueidis(addr string, maxFlushDelay time.Duration) (redisClient, error) {
	c, err := rueidis.NewClient(rueidis.ClientOption{
		InitAddress:   []string{addr},
		DisableCache:  true,
		MaxFlushDelay: maxFlushDelay,
	})
	if err != nil {
		return nil, err
	}
	return &rueidisClient{
		c:      c,
		script: rueidis.NewLuaScript(publishScript),
		keys:   []string{benchLogKey, benchLastKey},
		args:   []string{benchMaxLen, benchTopics, benchEvent},
	}, nil
}

func (r *rueidisClient) publish(ctx context.Context) error {
	id, err := r.script.Exec(ctx, r.c, r.keys, r.args).ToString()
	if err == nil && id == "" {
		err = errors.New("empty id")
	}
	return err
}

func (r *rueidisClient) token(ctx context.Context, key string) error {
	c := r.c
	if err := c.Do(ctx, c.B().Set().Key(key).Value("complete").Nx().PxMilliseconds(tokenTTL.Milliseconds()).Build()).Error(); err != nil {
		return fmt.Errorf("record: %w", err)
	}
	v, err := c.Do(ctx, c.B().Getdel().Key(key).Build()).ToString()
	if err != nil {
		return fmt.Errorf("redeem: %w", err)
	}
	if v != "complete" {
		return fmt.Errorf("redeem: got %q", v)
	}
	return nil
}

func (r *rueidisClient) close() { r.c.Close() }

// go-redis v9 with its defaults (RESP3, a pool of 10 connections per GOMAXPROCS).
type goRedisClient struct {
	c      *goredis.Client
	script *goredis.Script
	keys   []string
	args   []any
}

func dialGoRedis(addr string) (redisClient, error) {
	c := goredis.NewClient(&goredis.Options{Addr: addr})
	if err := c.Ping(context.Background()).Err(); err != nil {
		c.Close()
		return nil, err
	}
	return &goRedisClient{
		c:      c,
		script: goredis.NewScript(publishScript),
		keys:   []string{benchLogKey, benchLastKey},
		args:   []any{benchMaxLen, benchTopics, benchEvent},
	}, nil
}

func (g *goRedisClient) publish(ctx context.Context) error {
	id, err := g.script.Run(ctx, g.c, g.keys, g.args...).Text()
	if err == nil && id == "" {
		err = errors.New("empty id")
	}
	return err
}

func (g *goRedisClient) token(ctx context.Context, key string) error {
	ok, err := g.c.SetNX(ctx, key, "complete", tokenTTL).Result()
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	if !ok {
		return errors.New("record: key exists")
	}
	v, err := g.c.GetDel(ctx, key).Result()
	if err != nil {
		return fmt.Errorf("redeem: %w", err)
	}
	if v != "complete" {
		return fmt.Errorf("redeem: got %q", v)
	}
	return nil
}

func (g *goRedisClient) close() { g.c.Close() }

// BenchmarkRedisClient/<operation>-par<callers>/<library>.
func BenchmarkRedisClient(b *testing.B) {
	srv := redistest.Start(b, redistest.Options{})
	clients := make([]redisClient, len(redisCandidates))
	for i, cand := range redisCandidates {
		c, err := cand.dial(srv.Addr())
		if err != nil {
			b.Fatalf("%s: %v", cand.name, err)
		}
		defer c.close()
		// Warm up: connections open, the script loaded.
		if err := c.publish(context.Background()); err != nil {
			b.Fatalf("%s: publish: %v", cand.name, err)
		}
		if err := c.token(context.Background(), "bench:tok:warmup"); err != nil {
			b.Fatalf("%s: token: %v", cand.name, err)
		}
		clients[i] = c
	}
	var run atomic.Int64 // makes token keys unique across runs
	for _, op := range []string{"publish", "token"} {
		for _, par := range []int{1, 64} {
			b.Run(op+"-par"+strconv.Itoa(par), func(b *testing.B) {
				for i, cand := range redisCandidates {
					b.Run(cand.name, func(b *testing.B) {
						c := clients[i]
						do := func(ctx context.Context, _ int) error { return c.publish(ctx) }
						if op == "token" {
							prefix := "bench:tok:" + strconv.FormatInt(run.Add(1), 10) + ":"
							keys := make([]string, b.N)
							for j := range keys {
								keys[j] = prefix + strconv.Itoa(j)
							}
							do = func(ctx context.Context, j int) error { return c.token(ctx, keys[j]) }
						}
						benchRedisOp(b, srv, par, do)
					})
				}
			})
		}
	}
}

// benchRedisOp runs do b.N times from par goroutines and reports latency percentiles and
// the CPU time per operation of this process and of the server.
func benchRedisOp(b *testing.B, srv *redistest.Server, par int, do func(ctx context.Context, i int) error) {
	ctx := context.Background()
	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	var firstErr atomic.Pointer[error]
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range par {
		wg.Go(func() {
			<-start
			for {
				i := int(next.Add(1) - 1)
				if i >= len(lat) {
					return
				}
				t0 := time.Now()
				err := do(ctx, i)
				lat[i] = time.Since(t0)
				if err != nil {
					firstErr.CompareAndSwap(nil, &err)
					return
				}
			}
		})
	}
	redisCPU0 := redisCPU(b, srv)
	selfCPU0 := selfCPU()
	b.ReportAllocs()
	b.ResetTimer()
	close(start)
	wg.Wait()
	b.StopTimer()
	selfCPU1 := selfCPU()
	redisCPU1 := redisCPU(b, srv)
	if p := firstErr.Load(); p != nil {
		b.Fatal(*p)
	}
	slices.Sort(lat)
	n := float64(b.N)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1e3, "p99-µs")
	b.ReportMetric(float64(selfCPU1-selfCPU0)/n, "client-cpu-ns/op")
	b.ReportMetric(float64(redisCPU1-redisCPU0)/n, "redis-cpu-ns/op")
}

// selfCPU returns the user + system CPU time this process has used, in ns.
func selfCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// redisCPU returns the user + system CPU time the server has used, in ns (INFO cpu).
func redisCPU(b *testing.B, srv *redistest.Server) int64 {
	f, err := srv.Info("cpu")
	if err != nil {
		b.Fatal(err)
	}
	var total float64
	for _, k := range []string{"used_cpu_user", "used_cpu_sys"} {
		v, err := strconv.ParseFloat(f[k], 64)
		if err != nil {
			b.Fatalf("INFO cpu %s = %q: %v", k, f[k], err)
		}
		total += v
	}
	return int64(total * 1e9)
}
