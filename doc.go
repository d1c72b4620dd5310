// Package sse is polysse's Go API for Server-Sent Events: the wire format (Event,
// Encoder, Parser, Reader), completion tokens (CompletionStore, MemoryStore, NewToken),
// the vocabulary of polysse's wire conventions (header and event names), and Client, a
// reconnecting client with the behaviour of the browsers' EventSource that sends its
// requests with net/http. The server lives in package server; docs/protocol.md describes
// the wire conventions.
//
// # Layering
//
// This package is the public face of code that lives in internal packages, so that the
// WebAssembly EventSource polyfill can share it without linking this package (and with
// it net/http and context, tens of kilobytes each):
//
//   - internal/wire holds the parser; Parser, Reader and Event here are documented types
//     of their own that delegate to it (an Event converts to and from the parser's event
//     for free).
//   - internal/eventsource holds the client state machine, with small stand-ins for
//     context.Context and net/http's types; Client here adapts it to context.Context,
//     http.Header, *http.Client and *http.Response.
//   - internal/protocol holds the vocabulary that this package re-exports.
//
// The polyfill links the internal packages only (internal/wasmcheck makes sure of it).
// This package imports net/http and context, and builds for every platform Go supports,
// js/wasm included.
package sse
