#!/usr/bin/env bash
# Browser and Node tests of polysse's JavaScript side (web/test, node --test):
#   web/test/browser.test.mjs  Debian's chromium driven by playwright-core: conformance
#                              (native EventSource vs polysse), extensions, loaders
#   web/test/node.test.mjs     the npm entry in Node: init(), install(), extensions
#   web/test/types             tsc --noEmit: the type declarations (web/polysse.d.ts,
#                              web/global.d.ts) as TypeScript users see them
# against the scenario server (internal/cmd/scenarioserver, 127.0.0.1 only), which this
# script builds, starts, and stops on exit. It installs what is missing: chromium (apt),
# web/test/node_modules (npm ci, when missing or when the lock file changed), web/dist
# (make wasm, always rebuilt). Extra arguments go to node --test (e.g.
# --test-name-pattern=CORS). Under CI=true nothing may be skipped: a missing browser or
# node fails.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_node20 "the browser and Node tests, and npm installs playwright-core"

require_chromium
info "browser: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"

# JS dependencies: npm ci when node_modules is missing or package.json/lock changed.
stamp="web/test/node_modules/.polysse-lock-stamp"
want="$(cat web/test/package.json web/test/package-lock.json | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" || ! -d web/test/node_modules/playwright-core ]]; then
  info "web/test: npm ci"
  (cd web/test && run npm ci --no-audit --no-fund)
  printf '%s\n' "$want" >"$stamp"
fi

info "building web/dist"
bash scripts/wasm.sh

# The type declarations as a TypeScript user sees them (web/test/types): polysse's
# EventSource where the DOM's is expected, the opt-in globals of web/global.d.ts, and
# lines that must not type-check (@ts-expect-error).
info "tsc --noEmit (web/test/types, typescript $(node -p 'require("./web/test/node_modules/typescript/package.json").version'))"
run web/test/node_modules/.bin/tsc -p web/test/types/tsconfig.json
run web/test/node_modules/.bin/tsc -p web/test/types/tsconfig.global.json

tmp="$(mktemp -d)"
srv_pid=""
cleanup() {
  local rc=$?
  if [[ -n "$srv_pid" ]]; then
    kill "$srv_pid" 2>/dev/null || true
    wait "$srv_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT

info "starting the scenario server"
go build -o "$tmp/scenarioserver" ./internal/cmd/scenarioserver
# The server exits when its standard input (our coproc pipe) closes, or on SIGTERM.
coproc SRV { exec "$tmp/scenarioserver" -dist web/dist -test web/test; }
srv_pid="$SRV_PID"
line=""
read -r -t 30 line <&"${SRV[0]}" || die "the scenario server printed no URL within 30 s"
SCENARIO_URL="$(node -p 'JSON.parse(process.argv[1]).url' "$line")"
SCENARIO_ALT_URL="$(node -p 'JSON.parse(process.argv[1]).altURL' "$line")"
export SCENARIO_URL SCENARIO_ALT_URL
log "  $SCENARIO_URL (and $SCENARIO_ALT_URL)"

info "node --test (web/test, node $(node --version))"
cd web/test
# Every test has its own timeout; this bounds the whole run as well.
run timeout --signal=TERM --kill-after=10 600 node --test --test-reporter=spec "$@" browser.test.mjs node.test.mjs lifetime.test.mjs
