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

// MaxGzipBytes is the size limit of the gzip-compressed polysse.wasm: 720 KB, read
// strictly as 720,000 bytes (not 720 KiB = 737,280), and measured strictly too:
// compress/gzip at BestCompression comes out about 0.9% larger than the gzip -9 that
// `make wasm` reports (709,368 against 703,290 bytes when this was written). The aim is
// 650 KB.
const MaxGzipBytes = 720_000

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
