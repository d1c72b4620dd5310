#!/usr/bin/env bash
# Builds the npm package polysse and checks it:
#
#   bash scripts/pack.sh                 (make pack)
#
# 1. web/dist is removed and rebuilt from source (scripts/wasm.sh), so nothing stale or
#    left over from another build can end up in the package;
# 2. `npm pack` in web/ writes build/npm/polysse-VERSION.tgz;
# 3. the tarball must hold exactly the files below, nothing missing and nothing else;
#    its wasm must be the one just built, its licences the repository's and the Go
#    toolchain's, its version the Go module's (internal/protocol), and every path its
#    package.json names (main, types, exports) must be in it;
# 4. the tarball is installed into an empty folder and loaded in Node (init(), then an
#    EventSource that is opened and closed), as a user's `npm install` would; polysse/fake
#    answers an EventSource there, and the polysse-fake command serves a stream.
#
# Any failure ends the script with an error. `--verify-dist` only checks that web/dist
# holds every file of the package (web/package.json runs it before any `npm pack`, so a
# pack without a build fails instead of making a package without its files).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The files of the package, paths inside the tarball without its package/ prefix.
expected=(
  LICENSE
  README.md
  package.json
  dist/LICENSE.go-runtime
  dist/NOTICE
  dist/fake-remote.d.ts
  dist/fake-remote.mjs
  dist/fake.d.ts
  dist/fake.mjs
  dist/global.d.ts
  dist/polysse.d.ts
  dist/polysse.js
  dist/polysse.mjs
  dist/polysse-fake.mjs
  dist/polysse-fake.wasm
  dist/polysse.wasm
  dist/wasm_exec.js
)

verify_dist() {
  local f missing=()
  for f in "${expected[@]}"; do
    [[ -s "web/$f" ]] || missing+=("web/$f")
  done
  if ((${#missing[@]})); then
    printf 'polysse: cannot pack, missing or empty: %s\n' "${missing[*]}" >&2
    printf 'polysse: build the package with `make pack` (or `make wasm`, then npm pack) from the repository root\n' >&2
    exit 1
  fi
}

if [[ "${1:-}" == --verify-dist ]]; then
  verify_dist
  exit 0
fi
[[ $# == 0 ]] || die "usage: scripts/pack.sh [--verify-dist]"

require_tool go "the Go toolchain builds polysse.wasm" || exit 1
require_tool node "Node >= 20 builds and checks the JavaScript side" || exit 1
require_tool npm "npm packs the package" || exit 1

version="$(sed -n 's/^const Version = "\(.*\)"$/\1/p' internal/protocol/protocol.go)"
[[ -n "$version" ]] || die "cannot read Version from internal/protocol/protocol.go"
pkg_version="$(node -p 'require("./web/package.json").version')"
[[ "$pkg_version" == "$version" ]] ||
  die "web/package.json has version $pkg_version, the Go module (internal/protocol.Version) $version: make them equal"
cmp -s LICENSE web/LICENSE || die "web/LICENSE differs from LICENSE: copy it (cp LICENSE web/LICENSE)"

info "pack: a clean build of web/dist"
rm -rf web/dist
bash scripts/wasm.sh

outdir="$ROOT/build/npm"
tgz="$outdir/polysse-$version.tgz"
mkdir -p "$outdir"
rm -f "$tgz"
info "pack: npm pack (web/ -> ${tgz#"$ROOT"/})"
(cd web && printf "+ npm pack --pack-destination %s\n" "$outdir" && npm pack --silent --pack-destination "$outdir" >/dev/null) || die "npm pack failed"
[[ -s "$tgz" ]] || die "npm pack wrote no $tgz"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

info "pack: checking the contents"
mapfile -t got < <(tar -tzf "$tgz" | sed 's|^package/||' | LC_ALL=C sort)
mapfile -t want < <(printf '%s\n' "${expected[@]}" | LC_ALL=C sort)
missing="$(LC_ALL=C comm -13 <(printf '%s\n' "${got[@]}") <(printf '%s\n' "${want[@]}"))"
extra="$(LC_ALL=C comm -23 <(printf '%s\n' "${got[@]}") <(printf '%s\n' "${want[@]}"))"
[[ -z "$missing" ]] || die "the package lacks: $(tr '\n' ' ' <<<"$missing")"
[[ -z "$extra" ]] || die "the package holds files it should not: $(tr '\n' ' ' <<<"$extra") (see \"files\" in web/package.json)"

tar -xzf "$tgz" -C "$tmp"
p="$tmp/package"
[[ "$(head -c 4 "$p/dist/polysse.wasm" | od -An -tx1 | tr -d ' \n')" == 0061736d ]] ||
  die "dist/polysse.wasm in the package is not a WebAssembly module"
cmp -s "$p/dist/polysse.wasm" web/dist/polysse.wasm || die "dist/polysse.wasm in the package is not the one just built"
cmp -s "$p/LICENSE" LICENSE || die "LICENSE in the package is not the repository's"
cmp -s "$p/dist/LICENSE.go-runtime" "$(go env GOROOT)/LICENSE" || die "dist/LICENSE.go-runtime is not the Go toolchain's LICENSE"
grep -q 'wasm_exec.js' "$p/dist/NOTICE" && grep -q 'LICENSE.go-runtime' "$p/dist/NOTICE" ||
  die "dist/NOTICE does not name wasm_exec.js and LICENSE.go-runtime"
[[ "$(head -c 4 "$p/dist/polysse-fake.wasm" | od -An -tx1 | tr -d ' \n')" == 0061736d ]] ||
  die "dist/polysse-fake.wasm in the package is not a WebAssembly module"
cmp -s "$p/dist/polysse-fake.wasm" web/dist/polysse-fake.wasm || die "dist/polysse-fake.wasm in the package is not the one just built"
grep -q 'polysse-fake.wasm' "$p/dist/NOTICE" || die "dist/NOTICE does not name polysse-fake.wasm"
for f in polysse.js polysse.mjs wasm_exec.js fake.mjs fake-remote.mjs polysse-fake.mjs; do
  node --check "$p/dist/$f" || die "dist/$f does not parse"
done
# Every path package.json points at is in the package.
node - "$p" <<'JS' || die "package.json names a file the package lacks"
const fs = require('fs'), path = require('path');
const dir = process.argv[2];
const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
const targets = [pkg.main, pkg.types, ...Object.values(pkg.bin || {})];
const walk = (v) => { if (typeof v === 'string') targets.push(v); else if (v) Object.values(v).forEach(walk); };
walk(pkg.exports);
let bad = 0;
for (const t of targets) {
  if (!fs.existsSync(path.join(dir, t))) { console.error(`package.json names ${t}, which is not in the package`); bad++; }
}
if (pkg.license !== 'MIT') { console.error(`license is ${pkg.license}, want MIT`); bad++; }
process.exit(bad ? 1 : 0);
JS
ok "contents: ${#got[@]} files, as expected"

info "pack: installing the tarball into an empty project and loading it in Node"
app="$tmp/app"
mkdir -p "$app"
printf '{ "name": "pack-check", "private": true, "type": "module" }\n' >"$app/package.json"
(cd "$app" && run npm install --silent --no-audit --no-fund --offline "$tgz")
cat >"$app/check.mjs" <<'JS'
import { init } from 'polysse';
const api = await init();
const es = new api.EventSource('http://127.0.0.1:9/never');
es.close();
if (es.readyState !== 2) throw new Error(`readyState ${es.readyState} after close()`);
console.log(api.version);
JS
loaded="$(cd "$app" && timeout 60 node check.mjs)" || die "the installed package does not load in Node"
[[ "$loaded" == "$version" ]] || die "the installed package reports version '$loaded', want $version"
ok "the installed package loads in Node (version $loaded)"

cat >"$app/check-fake.mjs" <<'JS'
import { createFake, sse } from 'polysse/fake';
import { connectFake } from 'polysse/fake/remote';
const fake = await createFake({ routes: [sse.route('GET /feed', sse.stream(sse.event({ data: 'hi' }), sse.complete()))] });
await fake.install();
const es = new EventSource('/feed');
const data = await new Promise((resolve, reject) => {
  es.onmessage = (e) => resolve(e.data);
  es.onerror = () => reject(new Error('error before the message'));
});
es.close();
await fake.close();
if (data !== 'hi') throw new Error(`got ${data}`);
if (typeof connectFake !== 'function') throw new Error('polysse/fake/remote has no connectFake');
console.log('fake ok');
JS
fake_out="$(cd "$app" && timeout 60 node check-fake.mjs)" || die "polysse/fake does not work from the installed package"
[[ "$fake_out" == "fake ok" ]] || die "polysse/fake check printed '$fake_out'"
ok "polysse/fake answers an EventSource from the installed package"
printf '{ "version": 1, "routes": [ { "route": "GET /hello", "answers": [ { "stream": [ { "event": { "data": "hello" } }, "end" ] } ] } ] }\n' >"$app/routes.json"
cat >"$app/check-bin.mjs" <<'JS'
import { spawn } from 'node:child_process';
import { once } from 'node:events';
const child = spawn('npx', ['--no-install', 'polysse-fake', '--port', '0', '--routes', 'routes.json'], { stdio: ['pipe', 'pipe', 'inherit'] });
let out = '';
child.stdout.setEncoding('utf8');
for await (const chunk of child.stdout) {
  out += chunk;
  if (out.includes('\n')) break;
}
const { url } = JSON.parse(out.split('\n')[0]);
const text = await (await fetch(`${url}/hello`)).text();
child.stdin.end(); // the command stops when its standard input closes
const [code] = await once(child, 'exit');
if (!text.includes('data: hello') || code !== 0) throw new Error(`got ${JSON.stringify(text)}, exit ${code}`);
console.log('bin ok');
JS
bin_out="$(cd "$app" && timeout 60 node check-bin.mjs)" || die "the polysse-fake command does not work from the installed package"
[[ "$bin_out" == "bin ok" ]] || die "polysse-fake check printed '$bin_out'"
ok "npx polysse-fake serves a routes file from the installed package"

size="$(wc -c <"$tgz" | tr -d ' ')"
unpacked="$(du -sb "$p" | cut -f1)"
printf '\n%s (%s bytes packed, %s unpacked)\n' "${tgz#"$ROOT"/}" "$size" "$unpacked"
tar -tzvf "$tgz" | awk '{ printf "  %10s  %s\n", $3, $6 }'
