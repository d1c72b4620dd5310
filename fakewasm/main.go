//go:build js && wasm

// Command fakewasm is the WebAssembly module of polysse's fake SSE server
// (web/dist/polysse-fake.wasm): the engine of internal/fake behind a syscall/js binding,
// for the npm entry polysse/fake (in a test's process) and the Node command
// polysse-fake (behind node:http).
//
// The loader defines globalThis.__polysseFakeReady(api) before it starts the module;
// main fills api with the binding's functions and hands it back. The functions are
// documented where they are registered (register); the JavaScript side
// (web/fake/src/engine.js) is their only caller. None of them blocks: whatever may
// wait (a session's queue, a completion, a handler's answer) runs in a goroutine and
// reports to a callback.
package main

import (
	"syscall/js"

	"github.com/polysse/sse/internal/protocol"
)

func main() {
	api := js.Global().Get("Object").New()
	api.Set("version", protocol.Version)
	newBinding().register(api)
	ready := js.Global().Get("__polysseFakeReady")
	if ready.Type() != js.TypeFunction {
		js.Global().Get("console").Call("error", "polysse fake: load polysse-fake.wasm through polysse/fake")
		return
	}
	ready.Invoke(api)
	select {} // serve callbacks until the process or page goes away
}
