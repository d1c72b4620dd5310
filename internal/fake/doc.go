// Package fake is the engine of polysse's fake SSE server, shared by its three faces:
// the Go package ssetest, the standalone cmd/polysse-fake (and its Node twin), and the
// JavaScript module polysse/fake (this package compiled to WebAssembly behind a
// syscall/js binding).
//
// An [Engine] is an http.Handler that answers requests with routes (package script
// describes routes, answers and steps, and their JSON form): each request that matches a
// route is an attempt, numbered per route (and attempt key), and gets the route's next
// queued answer, its answer for that attempt, or its [Handler]. Streams are served by the
// real server.Server, one per distinct set of route options per scope, so completion
// tokens, heartbeats, replay and refusal behave as in production; the raw-bytes and drop
// steps use the server's test hooks (internal/serverhook). Plain (respond) answers are
// written directly, with a flush per step. Every answer is journaled ([Entry]); every
// open response is a connection ([Conn]) that tests drive (send, comment, raw, end, drop,
// complete, fail). [Scope]s keep parallel tests apart: each has its own overrides,
// attempt counts, journal, connections and servers.
//
// The engine reads the Go runtime's clock only (timers, time.Now): inside a
// testing/synctest bubble, and in WebAssembly under a loader that makes the runtime's
// clock follow a test's fake timers, scripted waits, heartbeats and delays move with the
// test's clock. [Transport] and [ResponseWriter] serve requests in memory (no socket),
// handing each flushed chunk to a consumer ([Sink]).
//
// [NewControl] is the HTTP control API of the standalone faces over the same methods.
//
// # For the JavaScript binding
//
// Everything a face does is a method here: Engine.Route / Scope.Use with a Route decoded
// by script.ParseRoute (JSON in) and, for a JavaScript handler, a Handler that hands the
// Context to JavaScript and waits for its promise (the Context's methods carry out the
// answer from any goroutine); Scope.Next, Reset, Publish, Broadcast, Conn, Conns,
// NextConn, WaitRequests, Journal (Entry and Conn marshal to the JSON of the JavaScript
// types); Serve runs a request into a Sink (the binding's Sink calls a JavaScript
// callback per chunk); Engine.Handles tells the binding whether to pass a request on.
package fake
