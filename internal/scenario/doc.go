//go:build !js

// Package scenario serves named event-stream scenarios and records every request they
// receive. polysse's browser and Node test suites (web/test, run by
// internal/cmd/scenarioserver) drive clients against it, the native EventSource and
// polysse's side by side, and compare what each client observed and what the server saw.
// The conventions the scenarios exercise (completion, heartbeats, replay, refusal) are
// described in docs/protocol.md at the repository's root.
//
// The scenarios are routes of the fake SSE server's engine (internal/fake): each is a
// scripted route (see routes.go), but for raw and redirect, which are handlers that build
// their answer from the query. Streams are served by the server package's Server.
//
// A [Handler] serves, under /sse/NAME, the scenario NAME (see [Names]), and, at /log, the
// requests of one run (from the engine's journal). A run is a client's sequence of
// connection attempts; the client marks its requests with the query parameter sid (any
// string), which is the routes' attempt key. Every scenario request is answered with
// Connection: close, so that each attempt is a new TCP connection and a browser never
// silently retries a request on a reused one.
//
// # Query parameters
//
// Besides its own parameters (documented with each scenario in [Names]), every scenario
// takes:
//
//   - sid: the run the request belongs to (its log, its attempt count).
//   - times=N and then=NAME: the first N attempts of the run get this scenario, later ones
//     get scenario NAME (with the same parameters; its attempts count from 1 again).
//   - cors=echo: allow cross-origin reads for the request's Origin, with credentials;
//     cors=echo-nocreds: the same without Access-Control-Allow-Credentials;
//     cors=star: allow any origin, without credentials. Each also exposes the polysse
//     response headers (SSE-Heartbeat-Interval, SSE-Outcome, SSE-Replay, Retry-After).
//   - preflight=1: answer CORS preflight (OPTIONS) requests, allowing any method and the
//     headers asked for. Without it an OPTIONS request is answered 405, as by a server
//     that routes GET only.
//
// # The log
//
// GET /log?sid=S returns the requests of run S as a JSON array of [Request], oldest first.
// With min=N it first waits until the run has N requests, with settled=1 until every one
// of them has been answered completely (the handler returned), both for at most wait
// milliseconds (default 5000, at most 20000). It allows any origin to read it.
package scenario
