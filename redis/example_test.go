package redis_test

import (
	"context"
	"fmt"
	"os"
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
