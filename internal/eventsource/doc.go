// Package eventsource is the reconnecting event stream client of polysse: the state
// machine behind both the public Go client (package sse) and the WebAssembly EventSource
// (package jsbridge).
//
// It behaves as the WHATWG HTML Standard's EventSource does (ready states, reconnection
// with the last event ID, the retry field, failing the connection on a bad response) and
// adds what polysse offers on top: methods, headers and bodies, a backoff policy, response
// classification, a heartbeat watchdog and completion (the complete and fatal events, the
// SSE-Outcome header). docs/protocol.md describes the wire conventions.
//
// The package imports nothing heavy (no net/http, fmt, encoding/json or context), because
// the polyfill links it. It therefore has small stand-ins of its own: Context for
// context.Context, Header, Request and Response for their net/http namesakes, and a
// Transport interface that performs one connection attempt. The public package adapts
// net/http to Transport (internal/httptransport); the binding adapts fetch.
package eventsource
