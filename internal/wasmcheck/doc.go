// Package wasmcheck holds no code, only tests that keep the WebAssembly build small: they
// run natively as part of `make test` and use the go command from PATH.
//
//   - TestWasmSize builds ./wasm as `make wasm` does (GOOS=js GOARCH=wasm go build
//     -trimpath -ldflags='-s -w'), compresses it with compress/gzip at BestCompression
//     and fails when the result exceeds [MaxGzipBytes]. It logs the raw and gzip sizes
//     and the headroom.
//   - TestWasmDeps runs `go list -deps` for js/wasm on ./wasm and on every package it is
//     built from ([Targets]) and fails when any of [ForbiddenDeps] is among the
//     dependencies, naming the import chain that pulls it in. The public package
//     github.com/polysse/sse is forbidden too: it imports net/http and context for the
//     native client, so the polyfill must link the internal packages only.
//
// Without the go command the tests skip, except under CI=true, where they fail.
package wasmcheck

// MaxGzipBytes is the size limit of the gzip-compressed polysse.wasm: 725 KB, read
// strictly as 725,000 bytes (not 725 KiB), and measured strictly too: compress/gzip at
// BestCompression comes out about 1% larger than the gzip -9 that `make wasm` reports
// (722,400 against 715,060 bytes when this was last raised). It was 720 KB; the pushed
// body (JavaScript writes each chunk into Go's memory, Go parses and dispatches it in
// that call) added about 4 KB and took the browser bench from 0.65× to 0.84× native, a
// trade kept on purpose. The aim is 650 KB: web/bench/README.md accounts for the floor
// (a module that imports syscall/js and time alone is 633 KB).
const MaxGzipBytes = 725_000

// ForbiddenDeps are packages the wasm build must not import: each costs tens of
// kilobytes of compressed wasm (context was removed on purpose, saving about 40 KB), and
// the public package and the server bring net/http with them.
var ForbiddenDeps = []string{
	"github.com/polysse/sse",
	"github.com/polysse/sse/server",
	"net/http",
	"net/url",
	"fmt",
	"encoding/json",
	"context",
}

// Targets are the packages checked for ForbiddenDeps: the module's main package and the
// packages the polyfill is built from.
var Targets = []string{
	"./wasm",
	"./jsbridge",
	"./internal/eventsource",
	"./internal/wire",
	"./internal/protocol",
	"./internal/httplite",
}
