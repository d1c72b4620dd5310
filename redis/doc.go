// Package redis keeps the state that several polysse server nodes must share in Redis
// (version 6.2 or later), so that a client can reconnect to any node.
//
// It is a module of its own (github.com/polysse/sse/redis), so that the core module takes no
// Redis dependency. It talks to Redis through a rueidis client (github.com/redis/rueidis):
// Dial opens one with the settings recommended here, and every constructor also accepts a
// client the application already has.
//
// # Completion tokens
//
// Store is an sse.CompletionStore on Redis. A stream completed (or failed) on node A leaves
// a token that node B redeems: B answers the reconnecting client with 204 and its
// SSE-Outcome header, exactly once, however many nodes try at the same moment. Record is
// one SET … PX … NX and Redeem one GETDEL, so Redis enforces both the expiry and the
// single use; a token costs about 180 bytes of Redis memory until it is redeemed or
// expires (100,000 tokens took 18 MB on Redis 7.0).
//
//	client, err := redis.Dial("redis://redis.internal:6379")
//	if err != nil { … }
//	defer client.Close()
//	store := redis.NewStore(client, redis.StoreOptions{})
//	// give store to the server as its completion store
//
// # When Redis is down
//
// Every operation returns promptly, within its Timeout at most, with an error that wraps
// ErrUnavailable: the connection is refused or lost, Redis does not answer in time, or it
// answers that it cannot serve now (loading its data, read-only replica, out of memory).
// Nothing is retried behind the caller's back and nothing fails open: a Redeem that fails
// has redeemed nothing, so the caller can answer the client with a retry and redeem the
// token once Redis is back. (One exception: a GETDEL that Redis executed after the call
// had timed out, or whose answer was lost, spent the token; that client's next reconnect
// is then served as an ordinary one.) The rueidis client reconnects by itself.
//
// # Redis settings
//
// Tokens are keys with a TTL (<prefix>:tok:<token>). Run Redis with maxmemory-policy
// noeviction, or volatile-ttl (then the tokens closest to expiry go first). With
// persistence that can lose recent writes (RDB snapshots, appendfsync everysec) or with
// asynchronous replicas, a token recorded just before a crash or failover can be lost: the
// client is then served again as an ordinary reconnect.
//
// # Fan-out and resume across nodes
//
// Broker is a server.Broker on Redis: one ordered log per Server, a Redis stream that every
// node reads, so that every node delivers every event in the same order and a client
// resumes on any node from the id of the last event it got (the id is the event's position
// in the log), with nothing lost or repeated; a client that has received no event yet
// resumes from its start position, the entry where it joined. Continuity is checked on
// every entry; when it cannot be proven (history trimmed past the client, Redis lost its
// data), the client is told of a gap, never left with a silent hole. See Broker for the
// design, the behaviour when Redis is down and the bounds, and WithIdempotencyKey for
// publishes that are retried.
//
//	srv := server.New(server.Options{
//		Broker: redis.NewBroker(client, redis.BrokerOptions{Name: "orders"}),
//		Store:  redis.NewStore(client, redis.StoreOptions{}),
//	})
//
// # Tests
//
// The package redistest starts throwaway redis-server processes for tests (see its
// documentation and this module's README).
package redis
