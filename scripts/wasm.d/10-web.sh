#!/usr/bin/env bash
# Assembles the JavaScript side of web/dist from web/src: polysse.js (classic script) and
# polysse.mjs (ES module) both wrap web/src/clock.js and web/src/core.js; polysse.d.ts and
# global.d.ts are copied.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
src=web/src dist=web/dist
mkdir -p "$dist"
version=$(sed -n 's/^const Version = "\(.*\)"$/\1/p' internal/protocol/protocol.go)
[[ -n "$version" ]] || { echo "cannot read Version from internal/protocol/protocol.go" >&2; exit 1; }
{
  printf '// polysse %s: classic script. Generated from web/src by make wasm; do not edit.\n' "$version"
  printf "(function () {\n'use strict';\n"
  cat "$src/clock.js" "$src/core.js" "$src/classic.js"
  printf '})();\n'
} >"$dist/polysse.js"
{
  printf '// polysse %s: ES module. Generated from web/src by make wasm; do not edit.\n' "$version"
  cat "$src/clock.js" "$src/core.js" "$src/module.js"
} >"$dist/polysse.mjs"
cp web/polysse.d.ts "$dist/polysse.d.ts"
cp web/global.d.ts "$dist/global.d.ts"
node --check "$dist/polysse.js"
node --check "$dist/polysse.mjs"
echo "web/dist: polysse.js, polysse.mjs, polysse.d.ts, global.d.ts (polysse $version)"
