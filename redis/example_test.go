package redis_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/redis"
)

// Two server nodes share completion tokens through one Redis: node A records the token of
// a stream that completed, node B redeems it when the client reconnects with it, once.
func ExampleStore() {
	// REDIS_ADDR is "host:port" or a redis:// URL (the tests set it to a redis-server of
	// their own).
	client, err := redis.Dial(os.Getenv("REDIS_ADDR"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()
	nodeA := redis.NewStore(client, redis.StoreOptions{Prefix: "example"})
	nodeB := redis.NewStore(client, redis.StoreOptions{Prefix: "example"})
	ctx := context.Background()

	token, err := sse.NewToken()
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := nodeA.Record(ctx, token, sse.OutcomeComplete, time.Minute); err != nil {
		fmt.Println(err)
		return
	}

	outcome, ok, err := nodeB.Redeem(ctx, token)
	fmt.Printf("first reconnect: %q %v %v\n", outcome, ok, err)
	outcome, ok, err = nodeA.Redeem(ctx, token)
	fmt.Printf("second reconnect: %q %v %v\n", outcome, ok, err)
	// Output:
	// first reconnect: "complete" true <nil>
	// second reconnect: "" false <nil>
}

// printer is a subscriber (in a server, a session) that prints the events it gets.
type printer struct{ got chan string }

func (p printer) Deliver(frame []byte) bool {
	ev, _ := sse.NewReader(bytes.NewReader(frame), 0, "").Next()
	p.got <- ev.Data
	return true
}

func (p printer) End(error) {}

// Two nodes of one Server share a log: an event published on node A reaches the
// subscribers of node B, and a retried publish with the same idempotency key lands once.
// (In an application, each node gives its Broker to server.New as Options.Broker.)
func ExampleBroker() {
	client, err := redis.Dial(os.Getenv("REDIS_ADDR"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()
	opts := redis.BrokerOptions{Prefix: "example", Name: "orders"}
	nodeA, nodeB := redis.NewBroker(client, opts), redis.NewBroker(client, opts)
	defer nodeA.Close()
	defer nodeB.Close()

	sub := printer{got: make(chan string, 8)}
	subscription, _, err := nodeB.Subscribe(context.Background(), sub, []string{"orders"}, "")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer subscription.Unsubscribe()

	ctx := redis.WithIdempotencyKey(context.Background(), "order-42-shipped")
	first, _ := nodeA.Publish(ctx, []string{"orders"}, sse.Event{Data: "order 42 shipped"})
	retry, _ := nodeA.Publish(ctx, []string{"orders"}, sse.Event{Data: "order 42 shipped"})
	fmt.Println("node B got:", <-sub.got)
	fmt.Println("the retry has the same id:", first == retry)
	fmt.Println("ids name the log:", strings.HasPrefix(first, nodeB.Tag()))
	// Output:
	// node B got: order 42 shipped
	// the retry has the same id: true
	// ids name the log: true
}
