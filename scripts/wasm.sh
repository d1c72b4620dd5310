#!/usr/bin/env bash
# Builds the wasm client into web/dist/ and reports its size:
#   web/dist/polysse.wasm        GOOS=js GOARCH=wasm, -trimpath -ldflags='-s -w', then its data
#                                segments joined (go run ./internal/cmd/wasmpack)
#   web/dist/polysse.wasm.gz     gzip -9 of it, and polysse.wasm.br (brotli -q 11), for
#                                servers that send precompressed files (the demo does)
#   web/dist/wasm_exec.js        Go's JavaScript support file, from the same Go toolchain
#   web/dist/LICENSE.go-runtime  the licence of that toolchain ($(go env GOROOT)/LICENSE),
#                                which covers wasm_exec.js and the Go runtime and standard
#                                library compiled into polysse.wasm
#   web/dist/NOTICE              what in web/dist comes from where, under which licence
# Then runs scripts/wasm.d/*.sh (sorted): they build the JavaScript side (polysse.js,
# polysse.mjs, polysse.d.ts) into web/dist/.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if ! compgen -G "wasm/*.go" >/dev/null; then
  die "./wasm (the wasm main package) does not exist yet: nothing to build"
fi

out="$ROOT/web/dist"
mkdir -p "$out"
goroot="$(go env GOROOT)"
goversion="$(go env GOVERSION)"
info "wasm: GOOS=js GOARCH=wasm go build -trimpath -ldflags='-s -w' -o web/dist/polysse.wasm ./wasm"
GOOS=js GOARCH=wasm go build -trimpath -ldflags='-s -w' -o "$out/polysse.wasm" ./wasm
# The linker writes a data segment per run of non-zero bytes (about 27,000); joined, their
# headers stop costing about 50 KB of the compressed module (internal/wasmpack).
env -u GOOS -u GOARCH go run ./internal/cmd/wasmpack "$out/polysse.wasm"

exec_js="$goroot/lib/wasm/wasm_exec.js"
[[ -f "$exec_js" ]] || exec_js="$goroot/misc/wasm/wasm_exec.js" # Go < 1.24 layout
[[ -f "$exec_js" ]] || die "no wasm_exec.js in $goroot (lib/wasm or misc/wasm)"
cp "$exec_js" "$out/wasm_exec.js"
[[ -f "$goroot/LICENSE" ]] || die "no LICENSE in $goroot: cannot ship Go's wasm_exec.js without its licence"
cp "$goroot/LICENSE" "$out/LICENSE.go-runtime"

version="$(sed -n 's/^const Version = "\(.*\)"$/\1/p' internal/protocol/protocol.go)"
[[ -n "$version" ]] || die "cannot read Version from internal/protocol/protocol.go"
cat >"$out/NOTICE" <<NOTICE
polysse $version
Copyright (c) 2026 The polysse authors. MIT licence: the file LICENSE at the root of
the package (and of the repository).

Two files here come from the Go toolchain ($goversion), by The Go Authors, under
the BSD-style licence in LICENSE.go-runtime:
  - wasm_exec.js, Go's JavaScript support file for WebAssembly, unchanged; polysse.js
    and polysse.mjs contain it too, unchanged, as the body of their function defineGo;
  - polysse.wasm, polysse's Go code compiled to WebAssembly, which contains the Go
    runtime and parts of the Go standard library.
NOTICE

shopt -s nullglob
for f in scripts/wasm.d/*.sh; do
  info "wasm: hook $f"
  bash "$f"
done

# compress_brotli IN OUT: brotli at quality 11, with Debian's brotli when it is there,
# else Node's zlib (the JavaScript side needs Node anyway), else brotli from apt.
compress_brotli() {
  if ! command -v brotli >/dev/null 2>&1 && command -v node >/dev/null 2>&1; then
    node -e '
      const zlib = require("zlib"), fs = require("fs");
      const buf = fs.readFileSync(process.argv[1]);
      fs.writeFileSync(process.argv[2], zlib.brotliCompressSync(buf, { params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: buf.length } }));' "$1" "$2"
    return
  fi
  need_apt_pkg brotli brotli
  brotli -q 11 -f -o "$2" "$1"
}

f="$out/polysse.wasm"
gzip -9 -n -c "$f" >"$f.gz.tmp" && mv "$f.gz.tmp" "$f.gz"
compress_brotli "$f" "$f.br.tmp" && mv "$f.br.tmp" "$f.br"

size() { wc -c <"$1" | tr -d ' '; }
human() { awk -v b="$1" 'BEGIN { printf "%.1f KiB", b / 1024 }'; }
raw=$(size "$f") gz=$(size "$f.gz") br=$(size "$f.br")
printf '\n%-22s %10s %12s\n' "web/dist/polysse.wasm" "bytes" ""
printf '  %-20s %10d %12s\n' "raw" "$raw" "$(human "$raw")"
printf '  %-20s %10d %12s\n' "gzip -9 (.gz)" "$gz" "$(human "$gz")"
printf '  %-20s %10d %12s\n' "brotli -q 11 (.br)" "$br" "$(human "$br")"
