// Package scan finds a byte in a string or a byte slice for the packages the WebAssembly
// client is built from, without importing strings or bytes there.
//
// Natively IndexByte and IndexByteString are bytes.IndexByte and strings.IndexByte, with
// their vector search. Under WebAssembly, which has no vector search, they are plain loops:
// importing strings or bytes makes the module link package unicode, whose init and case
// tables cost about 4 KB of the gzip-compressed polysse.wasm, for nothing the client uses
// (internal/wasmcheck forbids strings, bytes and unicode in the wasm build).
package scan
