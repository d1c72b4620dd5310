//go:build js && wasm

// Command wasm is polysse's WebAssembly module: the EventSource of web/polysse.js runs on it.
//
// The loader defines globalThis.__polysseReady(api) before it starts the module; main fills
// api through jsbridge.Register and hands it back, and gets the loader's timer hooks in
// return (clock.UseHost).
package main

import (
	"syscall/js"

	"github.com/polysse/sse/internal/clock"
	"github.com/polysse/sse/internal/protocol"
	"github.com/polysse/sse/jsbridge"
)

func main() {
	api := js.Global().Get("Object").New()
	api.Set("version", protocol.Version)
	jsbridge.Register(api)
	ready := js.Global().Get("__polysseReady")
	if ready.Type() != js.TypeFunction {
		js.Global().Get("console").Call("error", "polysse: load polysse.wasm through polysse.js or polysse.mjs")
		return
	}
	clock.UseHost(ready.Invoke(api))
	select {} // serve callbacks until the page goes away
}
