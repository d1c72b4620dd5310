#!/usr/bin/env bash
# The npm package as a user gets it: `make pack` builds and checks the tarball
# (scripts/pack.sh), then a fresh Vite project (scripts/test.d/pack-app: index.html and
# main.js) installs it from the tarball with Vite from npm, `vite build` bundles it, and
# pack-app/check.mjs serves the build and an event stream on 127.0.0.1 and loads the page
# in headless Chromium (playwright-core driving Debian's chromium) until polysse in the
# page has received the events and the complete event. Under CI=true a missing tool fails.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

VITE_VERSION="${VITE_VERSION:-8.4.0}"

require_node20 "builds the Vite project; npm installs the tarball and Vite"
require_chromium
# The same playwright-core as the browser tests.
playwright_version="$(node -p 'require("./web/test/package.json").devDependencies["playwright-core"]')"

bash scripts/pack.sh
version="$(node -p 'require("./web/package.json").version')"
tgz="$ROOT/build/npm/polysse-$version.tgz"
[[ -s "$tgz" ]] || die "scripts/pack.sh made no $tgz"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
app="$tmp/app"
mkdir -p "$app"
cp scripts/test.d/pack-app/index.html scripts/test.d/pack-app/main.js scripts/test.d/pack-app/check.mjs "$app/"
printf '{ "name": "pack-app", "private": true, "type": "module" }\n' >"$app/package.json"
cd "$app"
info "pack-app: npm install vite@$VITE_VERSION playwright-core@$playwright_version ${tgz#"$ROOT"/}"
run npm install --no-audit --no-fund --loglevel=error "vite@$VITE_VERSION" "playwright-core@$playwright_version" "$tgz"
info "pack-app: vite build"
run npx --no-install vite build --logLevel warn
ls dist/assets/*.wasm >/dev/null 2>&1 || die "the Vite build has no .wasm asset: polysse.wasm was not bundled"
info "pack-app: the built page in Chromium"
run timeout --signal=TERM --kill-after=10 180 node check.mjs "$app/dist"
ok "the npm package installs, bundles with Vite $VITE_VERSION and receives events in Chromium"
