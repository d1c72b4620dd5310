//go:build js && wasm

// Command wasmfloor is the smallest Go WebAssembly program a page can wait for: it links
// only syscall/js, calls globalThis.__floorReady() as soon as main runs, and stays alive.
// make bench-browser loads it the way polysse.js loads polysse.wasm (the download started
// first, Go's wasm_exec.js, streaming compilation) and reports its ready time next to
// polysse's: what any Go wasm costs a page on that machine before doing anything.
package main

import "syscall/js"

func main() {
	js.Global().Call("__floorReady")
	select {}
}
