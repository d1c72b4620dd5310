package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/polysse/sse"
	"github.com/polysse/sse/server"
)

// isolation measures whether a client that stopped reading costs a fast one its events,
// over real loopback sockets: one polysse server (QueueSize 64, WriteTimeout 1 s), one
// client that opens the stream and never reads, one that reads everything, and events
// of 1 KB published at a fixed rate. It reports, per protocol, how many events the fast
// client received and how its session and the stalled one ended. Each round runs the
// fast client alone first, as the baseline: what the machine can do at that rate.
func isolation(protos []string, rate, events, rounds int) error {
	fmt.Printf("isolation: %d events of 1 KB at %d/s, QueueSize 64, WriteTimeout 1 s, a fast client alone, then next to a stalled one\n\n", events, rate)
	fmt.Println("| protocol | round | stalled client | fast client received | fast session | stalled session | publishing took |")
	fmt.Println("|:---|---:|:---|---:|:---|:---|---:|")
	for r := 1; r <= rounds; r++ {
		for _, proto := range protos {
			for _, stall := range []bool{false, true} {
				res, err := isolationRound(proto, rate, events, stall)
				if err != nil {
					return fmt.Errorf("%s: %w", proto, err)
				}
				with := "none"
				if stall {
					with = "yes"
				}
				fmt.Printf("| %s | %d | %s | %d / %d | %s | %s | %v |\n", proto, r, with, res.received, events, res.fast, res.stalled, res.took.Round(time.Millisecond))
			}
		}
	}
	return nil
}

type isolationResult struct {
	received      int
	fast, stalled string // how the sessions ended ("open" when they did not)
	took          time.Duration
}

func sessionState(s *server.Session) string {
	if r := s.Reason(); r != "" {
		return string(r)
	}
	return "open"
}

func isolationRound(proto string, rate, events int, stall bool) (res isolationResult, err error) {
	sessions := make(chan *server.Session, 2)
	srv := server.New(server.Options{
		QueueSize:    64,
		WriteTimeout: time.Second,
		Topics:       func(*http.Request) []string { return []string{"t"} },
		Stream:       func(s *server.Session) { sessions <- s; <-s.Done() },
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return res, err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, Protocols: new(http.Protocols)}
	hs.Protocols.SetHTTP1(true)
	hs.Protocols.SetUnencryptedHTTP2(true)
	go func() { _ = hs.Serve(ln) }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		_ = hs.Close()
	}()
	url := "http://" + ln.Addr().String() + "/"
	client := func() *http.Client { // its own connection, as another client would have
		tr := &http.Transport{Protocols: new(http.Protocols)}
		if proto == "h2c" {
			tr.Protocols.SetUnencryptedHTTP2(true)
		} else {
			tr.Protocols.SetHTTP1(true)
		}
		return &http.Client{Transport: tr}
	}
	// The stalled client opens the stream and never reads. Over HTTP/1.1 a raw
	// connection with a small receive buffer; over h2c a Go client whose flow-control
	// window fills up.
	var stalled *server.Session
	switch {
	case !stall:
	case proto == "h2c":
		resp, err := client().Get(url)
		if err != nil {
			return res, err
		}
		defer resp.Body.Close()
		stalled = <-sessions
	default:
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			return res, err
		}
		defer conn.Close()
		_ = conn.(*net.TCPConn).SetReadBuffer(4096)
		if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n"); err != nil {
			return res, err
		}
		stalled = <-sessions
	}
	resp, err := client().Get(url)
	if err != nil {
		return res, err
	}
	defer resp.Body.Close()
	fast := <-sessions
	got := make(chan int, 1)
	go func() {
		br := bufio.NewReader(resp.Body)
		n := 0
		for n < events {
			line, err := br.ReadSlice('\n')
			if err != nil {
				break
			}
			if strings.HasPrefix(string(line), "data: ") {
				n++
			}
		}
		got <- n
	}()
	data := strings.Repeat("x", 1000)
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	for i := range events {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		if _, err := srv.Publish(context.Background(), "t", sse.Event{ID: strconv.Itoa(i), Data: data}); err != nil {
			return res, err
		}
	}
	res.took = time.Since(start)
	select {
	case res.received = <-got:
	case <-time.After(10 * time.Second):
		res.received = -1
	}
	res.fast, res.stalled = sessionState(fast), "–"
	if stalled != nil {
		res.stalled = sessionState(stalled)
	}
	return res, nil
}
