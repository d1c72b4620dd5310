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
//	id, err := srv.Publish(ctx, "news", sse.Event{Data: "hello"})
//
// It keeps polysse's wire conventions (docs/protocol.md) so that every client, polysse's
// or a plain EventSource, behaves well:
//
//   - A request whose Last-Event-ID redeems a completion token is answered 204 with
//     SSE-Outcome (complete or fatal), once. This check comes before everything else.
//   - A response never ends in a way that makes a spec client reconnect for ever or stop
//     by mistake: a ResponseWriter that cannot flush (http.TimeoutHandler, a middleware
//     without Flush or Unwrap) is found before the response starts and answered 500 with
//     the cause and its fix; when the completion store or the broker fails, the client
//     gets an empty stream with a retry field and comes back later.
//   - Options.Refuse runs before any session exists: an error carrying a status
//     ([StatusError]) answers that status; 204 tells clients to stop.
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
// worker goroutines per Server writes each session's queued frames in batches (one write
// call per frame, one flush per batch), one batch of a session at a time, so writes never
// interleave. A worker blocked on a client that stopped reading (for at most
// Options.WriteTimeout) holds up nobody else: another one starts before any other
// session's queue can overflow. The handler goroutine only waits for the session to end,
// which keeps an idle connection as cheap as an idle net/http handler. Options.Stream, when set, runs in its
// own goroutine with the session. A session ends once, for a [Reason]: the client went
// away (noticed at once through the request's context), it was closed, completed,
// failed, evicted, or the server shut down.
//
// # POST streams
//
// A stream may answer any method. The request body is read before the response starts
// (net/http closes it once the response is flushed), up to Options.MaxRequestBody, so
// that Refuse, Topics and Stream can each read it through their request's Body.
//
// # Fan-out and replay
//
// Options.Topics subscribes a request to topics; [Server.Publish] and [Server.PublishTo]
// encode an event once and queue it for every subscriber without ever waiting on a
// socket. A subscriber of several topics receives an event published to several of them
// once. When a subscriber's queue is full, Options.Overflow either evicts it
// (OverflowDisconnect, the default: the client reconnects and resumes from the replay
// buffer) or drops the event for it alone (OverflowDrop).
//
// Fan-out and replay sit behind a [Broker]: by default an in-memory one, in which each
// topic keeps its recent events (Options.ReplaySize, bounded by age with ReplayAge). A
// client that reconnects with a Last-Event-ID is told how it resumed, in the SSE-Replay
// response header:
//
//   - complete: every event published after that id to its topics follows (possibly
//     none), then the live events, with no gap and no duplicate: subscription and the
//     replay snapshot happen at one point of the log.
//   - gap: the server issued that id but no longer holds every event published after it
//     (they left a replay buffer, or a shared broker cannot prove continuity). Nothing is
//     replayed; Options.GapEvent, when set, is written first (a browser's EventSource
//     cannot read headers), and [Session.ReplayGap] reports it, so that the application
//     can tell the client to resynchronise. A gap is never silent.
//   - unknown: the server never issued that id. Nothing is replayed.
//
// Telling a gap from an unknown id needs ids that are log positions: Options.AutoID
// gives each published event one (a random prefix and a sequence number). With ids of
// your own, an id that left the buffers is reported as unknown. Positions also cover a
// client that has not received an event yet: a session without a Last-Event-ID starts
// with an event that has only an id, "id: <position>", the point of the log where it
// joined (clients store the id and dispatch nothing), so that if its connection drops
// before its first event it resumes from there, exactly, or is told of the gap. A topic keeps its buffer
// while it has subscribers or retained events; expired events are dropped when their
// topic is published to, and from all topics every 1024 publishes, so that topics no
// longer published to do not hold memory for ever.
//
// # Shutdown and readiness
//
// [Server.Shutdown] refuses new requests (503 with Retry-After by default), ends every
// open stream with a plain end of response so that clients reconnect (to another
// instance), and waits for the handlers and Stream functions to return. Register it with
// http.Server.RegisterOnShutdown. [Server.Ready] reports whether the Server, its broker
// and its completion store can serve, for readiness probes.
//
// # Testing and benchmarking
//
// ServeHTTP works with any http.ResponseWriter that implements http.Flusher (or unwraps
// to one), and, optionally, SetWriteDeadline: no sockets are needed, so a Server runs
// inside a testing/synctest bubble and under GOOS=js GOARCH=wasm, and fan-out can be
// measured with discarding writers (BenchmarkPublish in this package's tests).
package server
