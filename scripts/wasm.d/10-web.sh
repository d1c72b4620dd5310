#!/usr/bin/env bash
# Assembles the JavaScript side of web/dist from web/src: polysse.js (classic script) and
# polysse.mjs (ES module) both wrap web/src/clock.js and web/src/core.js, and Go's
# wasm_exec.js (web/dist/wasm_exec.js, unchanged, from the toolchain that built the wasm) as
# the body of a function defineGo, which the loaders call (core.js withOwnGo) instead of
# fetching a second script. polysse.js starts with classic.js, which starts the download of
# polysse.wasm before the rest of the script is evaluated. polysse.d.ts and global.d.ts are
# copied.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
src=web/src dist=web/dist
mkdir -p "$dist"
version=$(sed -n 's/^const Version = "\(.*\)"$/\1/p' internal/protocol/protocol.go)
[[ -n "$version" ]] || { echo "cannot read Version from internal/protocol/protocol.go" >&2; exit 1; }
exec_js="$dist/wasm_exec.js" # copied from the Go toolchain by scripts/wasm.sh
[[ -f "$exec_js" ]] || { echo "$exec_js is missing: run scripts/wasm.sh (make wasm)" >&2; exit 1; }
define_go() {
  printf '\n// defineGo defines globalThis.Go: the body is Go'"'"'s wasm_exec.js (%s), unchanged,\n' "$(go env GOVERSION)"
  printf '// under the licence in LICENSE.go-runtime.\nfunction defineGo() {\n'
  cat "$exec_js"
  printf '}\n'
}
{
  printf '// polysse %s: classic script. Generated from web/src by make wasm; do not edit.\n' "$version"
  printf "(function () {\n'use strict';\n"
  cat "$src/classic.js" "$src/clock.js" "$src/core.js"
  define_go
  printf '})();\n'
} >"$dist/polysse.js"
{
  printf '// polysse %s: ES module. Generated from web/src by make wasm; do not edit.\n' "$version"
  cat "$src/clock.js" "$src/core.js" "$src/module.js"
  define_go
} >"$dist/polysse.mjs"
cp web/polysse.d.ts "$dist/polysse.d.ts"
cp web/global.d.ts "$dist/global.d.ts"
node --check "$dist/polysse.js"
node --check "$dist/polysse.mjs"
echo "web/dist: polysse.js, polysse.mjs, polysse.d.ts, global.d.ts (polysse $version)"
