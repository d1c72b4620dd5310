#!/usr/bin/env bash
# Assembles the JavaScript side of web/dist from web/src: polysse.js (classic script) and
# polysse.mjs (ES module) both wrap web/src/clock.js and web/src/core.js; polysse.d.ts is
# copied.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
src=web/src dist=web/dist
mkdir -p "$dist"
version=$(sed -n 's/^const Version = "\(.*\)"$/\1/p' event.go)
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
node --check "$dist/polysse.js"
node --check "$dist/polysse.mjs"
echo "web/dist: polysse.js, polysse.mjs, polysse.d.ts (polysse $version)"
