// Package jsbridge connects polysse's client to JavaScript under GOOS=js GOARCH=wasm:
// Register installs the binding behind the JavaScript EventSource class of the polysse
// WebAssembly module, which runs the client state machine of internal/eventsource over a
// fetch-based transport.
//
// It builds on the internal packages only (eventsource, wire, protocol), never on the
// public package sse or on server, so that the polyfill links neither net/http nor the
// rest of what a Go program needs (internal/wasmcheck guards this).
//
// Everything but this comment is built only for js; on other platforms the package is
// empty.
package jsbridge
