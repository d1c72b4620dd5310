package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/polysse/sse"
	"github.com/polysse/sse/server"
)

// subscribeLatency measures how long Publish can be held up while a client with n topics
// subscribes and while one leaves: one goroutine publishes to one of the topics in a
// loop and records the longest Publish call in each window. A client subscribed to the
// same n topics is already there, and it is the older client that leaves (so that the
// newer one is moved in every topic). Each window is compared with a quiet window as
// long, in which nothing subscribes: the noise of the machine.
func subscribeLatency(ns []int, rounds int) error {
	fmt.Printf("subscribe: the longest Publish call while a client subscribes to, or leaves, n topics; medians of %d rounds\n\n", rounds)
	fmt.Println("| topics | subscribing | leaving | quiet window as long |")
	fmt.Println("|---:|---:|---:|---:|")
	for _, n := range ns {
		sub, leave, quiet := subscribeRounds(n, rounds)
		fmt.Printf("| %d | %v | %v | %v |\n", n, median(sub), median(leave), median(quiet))
	}
	return nil
}

func median(ds []time.Duration) time.Duration {
	ds = slices.Clone(ds)
	slices.Sort(ds)
	return ds[len(ds)/2].Round(time.Microsecond)
}

// startedWriter is a discarding ResponseWriter that reports its first write.
type startedWriter struct {
	h       http.Header
	started chan struct{}
	once    sync.Once
}

func (w *startedWriter) Header() http.Header { return w.h }
func (w *startedWriter) WriteHeader(int)     {}
func (w *startedWriter) Flush()              {}
func (w *startedWriter) Write(b []byte) (int, error) {
	w.once.Do(func() { close(w.started) })
	return len(b), nil
}

func subscribeRounds(n, rounds int) (sub, leave, quiet []time.Duration) {
	topics := make([]string, n)
	for i := range topics {
		topics[i] = "t" + strconv.Itoa(i)
	}
	srv := server.New(server.Options{
		HeartbeatInterval: -1, QueueSize: 1 << 20, Overflow: server.OverflowDrop,
		Topics: func(*http.Request) []string { return topics },
	})
	serve := func() (context.CancelFunc, chan struct{}, *startedWriter) {
		ctx, cancel := context.WithCancel(context.Background())
		r := httptest.NewRequest(http.MethodGet, "/", nil).WithContext(ctx)
		w := &startedWriter{h: http.Header{}, started: make(chan struct{})}
		done := make(chan struct{})
		go func() { defer close(done); srv.ServeHTTP(w, r) }()
		return cancel, done, w
	}
	cancelOld, doneOld, w := serve()
	<-w.started
	var longest atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		for !stop.Load() {
			start := time.Now()
			_, _ = srv.Publish(context.Background(), "t0", sse.Event{Data: "x"})
			d := int64(time.Since(start))
			for m := longest.Load(); d > m && !longest.CompareAndSwap(m, d); m = longest.Load() {
			}
		}
	})
	settle := func() { time.Sleep(20 * time.Millisecond) } // a Publish held up records its time
	for range rounds {
		settle()
		longest.Store(0)
		start := time.Now()
		cancel, done, w := serve()
		<-w.started
		took := time.Since(start)
		settle()
		sub = append(sub, time.Duration(longest.Load()))

		longest.Store(0)
		time.Sleep(took)
		settle()
		quiet = append(quiet, time.Duration(longest.Load()))

		longest.Store(0)
		cancelOld() // the older client leaves: the newer one is moved in every topic
		<-doneOld
		for srv.Sessions() != 1 {
			time.Sleep(100 * time.Microsecond)
		}
		settle()
		leave = append(leave, time.Duration(longest.Load()))
		cancelOld, doneOld = cancel, done
	}
	stop.Store(true)
	wg.Wait()
	cancelOld()
	<-doneOld
	_ = srv.Shutdown(context.Background())
	return sub, leave, quiet
}
