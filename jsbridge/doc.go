// Package jsbridge connects polysse's core to JavaScript under GOOS=js GOARCH=wasm: a
// fetch-based sse.Transport (FetchTransport) and the binding behind the JavaScript
// EventSource class of the polysse WebAssembly module (Register).
//
// Everything but this comment is built only for js; on other platforms the package is
// empty.
package jsbridge
