package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/server"
)

// discard is a ResponseWriter that drops what it is given and counts the bytes of all
// discards sharing its counter, reporting when they reach a target.
type discard struct {
	header http.Header
	c      *byteCounter
}

type byteCounter struct {
	total, target atomic.Int64
	reached       chan struct{}
}

func (d *discard) Header() http.Header { return d.header }
func (d *discard) WriteHeader(int)     {}
func (d *discard) Flush()              {}
func (d *discard) Write(b []byte) (int, error) {
	if d.c.total.Add(int64(len(b))) == d.c.target.Load() {
		d.c.reached <- struct{}{}
	}
	return len(b), nil
}

// BenchmarkPublish measures one publish of a 64-byte event to n subscribers, until every
// subscriber's writer has been handed it, with writers that discard.
func BenchmarkPublish(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		b.Run("subscribers="+strconv.Itoa(n), func(b *testing.B) {
			srv := server.New(server.Options{
				HeartbeatInterval: -1,
				QueueSize:         1024,
				Topics:            func(*http.Request) []string { return []string{"t"} },
			})
			c := &byteCounter{reached: make(chan struct{}, 1)}
			c.target.Store(int64(n * len(": ok\n")))
			ctx, cancel := context.WithCancel(context.Background())
			var handlers sync.WaitGroup
			for range n {
				req := httptest.NewRequest(http.MethodGet, "/", nil).WithContext(ctx)
				w := &discard{header: make(http.Header), c: c}
				handlers.Go(func() { srv.ServeHTTP(w, req) })
			}
			<-c.reached // every session has started
			ev := sse.Event{Data: string(make([]byte, 64))}
			frame, _ := ev.AppendTo(nil)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				c.target.Add(int64(n * len(frame)))
				if _, err := srv.Publish(ctx, "t", ev); err != nil {
					b.Fatal(err)
				}
				<-c.reached
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/subscriber")
			cancel()
			handlers.Wait()
		})
	}
}
