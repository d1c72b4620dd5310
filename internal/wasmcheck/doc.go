// Package wasmcheck holds no code, only tests that keep the WebAssembly build small: they
// run natively as part of `make test` and use the go command from PATH.
//
//   - TestWasmSize builds ./wasm as `make wasm` does (GOOS=js GOARCH=wasm go build
//     -trimpath -ldflags='-s -w', then its data segments joined by internal/wasmpack,
//     which must leave the initial memory as it was), compresses it with compress/gzip at
//     BestCompression and fails when the result exceeds [MaxGzipBytes]. It logs the raw
//     and gzip sizes and the headroom.
//   - TestWasmDeps runs `go list -deps` for js/wasm on ./wasm and on every package it is
//     built from ([Targets]) and fails when any of [ForbiddenDeps] is among the
//     dependencies, naming the import chain that pulls it in. The public package
//     github.com/polysse/sse is forbidden too: it imports net/http and context for the
//     native client, so the polyfill must link the internal packages only.
//
// Without the go command the tests skip, except under CI=true, where they fail.
//
// The command ./wasmsize (go run ./internal/wasmcheck/wasmsize -floor) tells where the
// module's bytes go: code bytes per package from the module's name section, each package's
// share of the gzip size, and what each package adds above the smallest Go WebAssembly
// module.
package wasmcheck

// MaxGzipBytes is the size limit of the gzip-compressed polysse.wasm: 622 KB, read
// strictly as 622,000 bytes (not 622 KiB), and measured strictly too: compress/gzip at
// BestCompression comes out about 0.7% larger than the gzip -9 that `make wasm` reports
// (618,727 against 614,394 bytes when this was set, once the data segments were joined as
// `make wasm` does, with internal/wasmpack: 661,338 bytes gzip -9 without that). The limit
// is the measured size plus about 3 KB, so that a change which makes the module grow is
// seen here. The floor of any Go WebAssembly module built and packed this way is 531,786
// bytes gzip -9 (see web/bench/README.md, "Size").
const MaxGzipBytes = 622_000

// ForbiddenDeps are packages the wasm build must not import: each costs tens of
// kilobytes of compressed wasm (context was removed on purpose, saving about 40 KB; time,
// with the godebug settings, runtime metrics and bisection support it brings, about 50 KB:
// internal/clock stands in for it; strings and bytes import unicode, whose init and case
// tables cost about 4 KB: internal/scan stands in for the byte search they gave), and the
// public package and the server bring net/http with them.
var ForbiddenDeps = []string{
	"github.com/polysse/sse",
	"github.com/polysse/sse/server",
	"net/http",
	"net/url",
	"fmt",
	"encoding/json",
	"context",
	"time",
	"internal/godebug",
	"strings",
	"bytes",
	"unicode",
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
	"./internal/clock",
	"./internal/scan",
}
