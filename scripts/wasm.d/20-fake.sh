#!/usr/bin/env bash
# Builds the fake SSE server's side of web/dist (the npm entries polysse/fake and
# polysse/fake/remote, and the polysse-fake command):
#   web/dist/polysse-fake.wasm  GOOS=js GOARCH=wasm ./fakewasm (the engine of internal/fake and
#                               the server), -trimpath -ldflags='-s -w'; never linked into
#                               polysse.wasm
#   web/dist/fake.mjs           web/src/clock.js + web/fake/src/{sse,engine,fake}.js
#   web/dist/fake-remote.mjs    web/fake/src/{sse,remote}.js (no wasm: the control API's client)
#   web/dist/polysse-fake.mjs   the command (#!/usr/bin/env node): clock.js + engine.js + cli.js
#   web/dist/fake.d.ts, web/dist/fake-remote.d.ts  copied from web/fake
# and adds polysse-fake.wasm to web/dist/NOTICE. Prints the wasm's size (raw and gzip -9).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
src=web/fake/src dist=web/dist
mkdir -p "$dist"
version=$(sed -n 's/^const Version = "\(.*\)"$/\1/p' internal/protocol/protocol.go)
[[ -n "$version" ]] || { echo "cannot read Version from internal/protocol/protocol.go" >&2; exit 1; }

echo "wasm: GOOS=js GOARCH=wasm go build -trimpath -ldflags='-s -w' -o web/dist/polysse-fake.wasm ./fakewasm"
GOOS=js GOARCH=wasm go build -trimpath -ldflags='-s -w' -o "$dist/polysse-fake.wasm" ./fakewasm

header() { printf '// polysse %s: %s. Generated from web/src and web/fake/src by make wasm; do not edit.\n' "$version" "$1"; }
{
  header 'polysse/fake (ES module)'
  cat web/src/clock.js "$src/sse.js" "$src/engine.js" "$src/fake.js"
} >"$dist/fake.mjs"
{
  header 'polysse/fake/remote (ES module)'
  cat "$src/sse.js" "$src/remote.js"
} >"$dist/fake-remote.mjs"
{
  printf '#!/usr/bin/env node\n'
  header 'the polysse-fake command'
  cat web/src/clock.js "$src/engine.js" "$src/cli.js"
} >"$dist/polysse-fake.mjs"
chmod +x "$dist/polysse-fake.mjs"
cp web/fake/fake.d.ts "$dist/fake.d.ts"
cp web/fake/remote.d.ts "$dist/fake-remote.d.ts"
for f in fake.mjs fake-remote.mjs polysse-fake.mjs; do
  node --check "$dist/$f"
done

if [[ -f "$dist/NOTICE" ]] && ! grep -q 'polysse-fake.wasm' "$dist/NOTICE"; then
  cat >>"$dist/NOTICE" <<'NOTICE'
  - polysse-fake.wasm, polysse's fake SSE server (its engine and server) compiled to
    WebAssembly, which contains the Go runtime and parts of the Go standard library
    (net/http among them); the polysse-fake command and polysse/fake load it.
NOTICE
fi

raw=$(wc -c <"$dist/polysse-fake.wasm" | tr -d ' ')
gz=$(gzip -9 -n -c "$dist/polysse-fake.wasm" | wc -c | tr -d ' ')
printf 'web/dist: fake.mjs, fake-remote.mjs, polysse-fake.mjs, fake.d.ts, fake-remote.d.ts; polysse-fake.wasm %d bytes (%.2f MB), gzip -9 %d bytes (%.2f MB)\n' \
  "$raw" "$(awk -v b="$raw" 'BEGIN { print b / 1e6 }')" "$gz" "$(awk -v b="$gz" 'BEGIN { print b / 1e6 }')"
