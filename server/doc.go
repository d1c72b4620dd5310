//go:build !js

// Package server is polysse's embeddable Server-Sent Events server for net/http.
//
// A [Server] is an [http.Handler] for one kind of stream. Mount it on a route:
//
//	srv := server.New(server.Options{
//		Topics: func(r *http.Request) []string { return []string{"news"} },
//		ReplaySize: 1000, AutoID: true,
//	})
//	mux.Handle("GET /events", srv)
//	...
//	srv.Publish("news", sse.Event{Data: "hello"})
//
// It keeps the polysse wire conventions (PROTOCOL.md §1) so that every client, polysse's
// or a plain EventSource, behaves well:
//
//   - A request whose Last-Event-ID redeems a completion token is answered 204 with
//     SSE-Outcome (complete or fatal), once. This check comes before everything else.
//   - Options.Refuse runs before any session exists: true answers 204 (clients stop), an
//     error carrying a status ([StatusError]) answers that status.
//   - A stream starts with the headers Content-Type: text/event-stream, Cache-Control:
//     no-cache, X-Accel-Buffering: no and SSE-Heartbeat-Interval, and an initial comment,
//     flushed at once (and an optional retry field). The http.Server's WriteTimeout is
//     cleared for the stream; each write has its own deadline (Options.WriteTimeout) and a
//     client that does not take its bytes in time is evicted. The Flusher is found through
//     wrapping middleware by http.ResponseController, which follows Unwrap methods. HTTP/1.1
//     and HTTP/2 both work.
//   - An idle stream gets a heartbeat (a ":" comment, or Options.HeartbeatEvent) after
//     Options.HeartbeatInterval; every write restarts the interval.
//   - [Session.Complete] and [Session.Fail] write a "complete" or "fatal" event whose id is a
//     new token recorded in the completion store, and end the response.
//
// # Sessions
//
// Each accepted request is a [Session]. Everything written to a session (Push, Comment,
// published events, heartbeats) goes through its bounded queue; a small elastic pool of
// worker goroutines per Server writes each session's queued frames in batches, one batch
// of a session at a time, so writes never interleave. A worker blocked on a slow client's
// socket (for at most Options.WriteTimeout) does not hold up the others: when sessions wait
// and no worker makes progress, another one starts. The handler goroutine of a session
// only waits for it to end, which keeps an idle connection as cheap as an idle net/http
// handler. Options.Stream, when set, runs in its own goroutine with the session. A session
// ends once, for a [Reason]: the client went away (noticed at once through the request's
// context), it was closed, completed, failed, evicted, or the server shut down.
//
// # Fan-out and replay
//
// Options.Topics subscribes a request to topics; [Server.Publish] and [Server.PublishTo]
// encode an event once and queue it for every subscriber without ever waiting on a
// socket. A subscriber of several topics receives an event published to several of them
// once. When a subscriber's queue is full, Options.Overflow either evicts it (Disconnect,
// the default: the client reconnects and resumes from the replay buffer) or drops the event
// for it alone (Drop).
//
// With Options.ReplaySize each topic keeps its recent events (bounded by count, and by age
// with Options.ReplayAge). A client that reconnects with a Last-Event-ID still in the
// buffer of one of its topics receives every retained event published after it, then the
// live events, with no gap and no duplicate: subscription and the replay snapshot happen
// under one lock. An unknown id gets no replay and no error. Options.AutoID gives events
// without an ID one. A topic keeps its buffer while it has subscribers or retained events;
// expired events are dropped when their topic is published to, and from all topics every
// 1024 publishes, so that topics no longer published to do not hold memory for ever.
//
// # Shutdown
//
// [Server.Shutdown] refuses new requests (503 with Retry-After by default), ends every
// open stream with a plain end of response so that clients reconnect (to another
// instance), and waits for the handlers and Stream functions to return. Register it with
// http.Server.RegisterOnShutdown.
//
// # Benchmarking
//
// ServeHTTP works with any http.ResponseWriter that implements http.Flusher (or unwraps
// to one), so fan-out can be measured without sockets: serve N requests with discarding
// writers, wait until every writer got the initial comment, then Publish and wait until
// every writer got the event (BenchmarkPublish in this package's tests does this).
//
// The package is built for every platform but js: browsers do not serve event streams.
package server
