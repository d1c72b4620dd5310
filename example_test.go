package sse_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/polysse/sse"
)

func ExampleEncoder_Encode() {
	enc := sse.NewEncoder(os.Stdout)
	err := enc.Encode(&sse.Event{
		ID:    "42",
		Type:  "update",
		Data:  "first line\nsecond line\r\nthird line",
		Retry: 3 * time.Second,
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// retry: 3000
	// id: 42
	// event: update
	// data: first line
	// data: second line
	// data: third line
	//
}

func ExampleAppendComment() {
	// The shortest heartbeat: a lone colon. Clients ignore comments, but they keep the
	// connection busy through proxies.
	buf := sse.AppendComment(nil, "")
	buf = sse.AppendComment(buf, "keep-alive")
	fmt.Printf("%q\n", buf)
	// Output:
	// ":\n: keep-alive\n"
}

func ExampleEncoder_Comment() {
	enc := sse.NewEncoder(os.Stdout)
	_ = enc.Comment("heartbeat")
	// Output:
	// : heartbeat
}

func ExampleEvent_AppendTo_invalidID() {
	ev := sse.Event{ID: "line\nbreak", Data: "x"}
	buf, err := ev.AppendTo(nil)
	fmt.Println(len(buf), err)
	fmt.Println(errors.Is(err, sse.ErrInvalidEvent))
	var fe *sse.FieldError
	if errors.As(err, &fe) {
		fmt.Println(fe.Field)
	}
	// Output:
	// 0 sse: invalid event: id contains CR, LF or NUL
	// true
	// id
}

func ExampleReader() {
	stream := "retry: 2000\n" +
		": a comment\n" +
		"id: 1\n" +
		"data: hello\n" +
		"data: world\n" +
		"\n" +
		"event: update\n" +
		"data: {\"n\": 2}\n" +
		"\n" +
		"data: incomplete, discarded at the end of the stream\n"
	rd := sse.NewReader(strings.NewReader(stream), 0, "")
	for {
		ev, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		fmt.Printf("type=%s id=%s data=%q\n", ev.Type, ev.ID, ev.Data)
	}
	retry, _ := rd.Retry()
	fmt.Println("last event id:", rd.LastEventID(), "retry:", retry)
	// Output:
	// type=message id=1 data="hello\nworld"
	// type=update id=1 data="{\"n\": 2}"
	// last event id: 1 retry: 2s
}

func ExampleParser_Feed() {
	var p sse.Parser
	p.Reset("7") // the last event ID of the previous connection
	// Chunks may split lines anywhere, even between the CR and LF of a CRLF.
	for _, chunk := range []string{"da", "ta: one\r", "\n\r\ni", "d: 8\ndata: two\n", "\n"} {
		p.Feed([]byte(chunk))
		for {
			ev, ok := p.Next()
			if !ok {
				break
			}
			fmt.Printf("id=%s data=%s\n", ev.ID, ev.Data)
		}
	}
	p.End()
	fmt.Println(p.LastEventID(), p.Err())
	// Output:
	// id=7 data=one
	// id=8 data=two
	// 8 <nil>
}

func ExampleMemoryStore() {
	ctx := context.Background()
	var store sse.MemoryStore
	token, err := sse.NewToken()
	if err != nil {
		panic(err)
	}
	_ = store.Record(ctx, token, sse.OutcomeComplete, 0) // DefaultTokenTTL
	outcome, ok, _ := store.Redeem(ctx, token)
	fmt.Println(outcome, ok)
	outcome, ok, _ = store.Redeem(ctx, token) // single use
	fmt.Printf("%q %v\n", outcome, ok)
	// Output:
	// complete true
	// "" false
}
