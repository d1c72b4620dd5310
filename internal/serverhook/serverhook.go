// Package serverhook gives the packages of this module test capabilities of a
// server.Session that its public API does not offer: writing raw bytes as a chunk of
// their own, and dropping the connection abruptly. The fake SSE server uses them to
// script what real servers and networks do. Package server fills the variables in its
// init, so they are set in any program that links server.
package serverhook

// Raw queues b for the session s (a *server.Session) to be written and flushed on its
// own, after what is queued: nothing is written with it in one flush, so b reaches the
// client as one chunk (HTTP/1.1 chunked encoding, an HTTP/2 DATA frame). It waits while
// the session's queue is full, as Push does, and fails with server.ErrSessionClosed once
// the session is ending.
var Raw func(s any, b []byte) error

// Drop ends the session s (a *server.Session) once what is queued is written, by dropping
// the connection instead of ending the response: the session's ServeHTTP panics with
// http.ErrAbortHandler, which makes net/http close the connection (HTTP/1.1) or reset the
// stream (HTTP/2), and the client sees a network error. A transport that calls
// ServeHTTP itself (an in-memory one) must recover that panic and fail the response body.
// The session ends with ReasonClosed. Drop does not wait; use Done. It reports whether
// it dropped: false when the session was already ending (its end, asked for before,
// applies: a clean end, a complete or fatal event, an earlier drop).
var Drop func(s any) bool
