#!/usr/bin/env bash
# Builds the wasm client into web/dist/ and reports its size:
#   web/dist/polysse.wasm   GOOS=js GOARCH=wasm, -trimpath -ldflags='-s -w'
#   web/dist/wasm_exec.js   from the same Go toolchain
# Then runs scripts/wasm.d/*.sh (sorted), if any: the hook for copying or
# building the JS side (polysse.js, polysse.mjs, polysse.d.ts) into web/dist/.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if ! compgen -G "wasm/*.go" >/dev/null; then
  die "./wasm (the wasm main package) does not exist yet: nothing to build"
fi

out="$ROOT/web/dist"
mkdir -p "$out"
info "wasm: GOOS=js GOARCH=wasm go build -trimpath -ldflags='-s -w' -o web/dist/polysse.wasm ./wasm"
GOOS=js GOARCH=wasm go build -trimpath -ldflags='-s -w' -o "$out/polysse.wasm" ./wasm
cp "$(go env GOROOT)/lib/wasm/wasm_exec.js" "$out/wasm_exec.js"

shopt -s nullglob
for f in scripts/wasm.d/*.sh; do
  info "wasm: hook $f"
  bash "$f"
done

size() { wc -c | tr -d ' '; }
brotli_size() {
  if command -v brotli >/dev/null 2>&1; then
    brotli -q 11 -c "$1" | size
  elif command -v node >/dev/null 2>&1; then
    node -e '
      const zlib = require("zlib"), fs = require("fs");
      const buf = fs.readFileSync(process.argv[1]);
      const out = zlib.brotliCompressSync(buf, { params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: buf.length } });
      console.log(out.length);' "$1"
  else
    need_apt_pkg brotli brotli
    brotli -q 11 -c "$1" | size
  fi
}
human() { awk -v b="$1" 'BEGIN { printf "%.1f KiB", b / 1024 }'; }

f="$out/polysse.wasm"
raw=$(size <"$f")
gz=$(gzip -9 -c "$f" | size)
br=$(brotli_size "$f")
printf '\n%-22s %10s %12s\n' "web/dist/polysse.wasm" "bytes" ""
printf '  %-20s %10d %12s\n' "raw" "$raw" "$(human "$raw")"
printf '  %-20s %10d %12s\n' "gzip -9" "$gz" "$(human "$gz")"
printf '  %-20s %10d %12s\n' "brotli -q 11" "$br" "$(human "$br")"
