#!/usr/bin/env bash
# The Vitest suites of web/fake/test, run in Node, jsdom and happy-dom: polysse's EventSource
# (the npm entry, web/dist) against a scripted in-process fetch under every fake-timer flavour
# (Vitest, Vitest with only setTimeout faked, @sinonjs/fake-timers at the epoch, Jest's modern
# set), installed before or after polysse loads; then exit-check.mjs, which proves that a
# Node process using polysse under fake timers ends by itself once its sources are closed.
# Installs web/fake/test/node_modules (npm ci, when missing or when the lock file changed)
# and rebuilds web/dist. Under CI=true a missing node or npm fails; nothing is skipped.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

require_tool node "Node >= 20 runs the Vitest suites" || skip "node not found"
require_tool npm "npm installs vitest, jsdom, happy-dom and @sinonjs/fake-timers" || skip "npm not found"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if ((node_major < 20)); then
  is_ci && die "Node >= 20 needed, found $(node --version)"
  skip "Node >= 20 needed, found $(node --version)"
fi

dir=web/fake/test
stamp="$dir/node_modules/.polysse-lock-stamp"
want="$(cat "$dir/package.json" "$dir/package-lock.json" | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" || ! -d "$dir/node_modules/vitest" ]]; then
  info "$dir: npm ci"
  (cd "$dir" && run npm ci --no-audit --no-fund)
  printf '%s\n' "$want" >"$stamp"
fi

info "building web/dist"
bash scripts/wasm.sh >/dev/null

cd "$dir"
info "vitest run ($dir: node, jsdom, happy-dom)"
# Every test has its own timeout; this bounds the whole run, and a process that does not exit.
run timeout --signal=TERM --kill-after=10 600 npx vitest run

info "exit-check: Node ends by itself after polysse ran under fake timers"
for flavour in 'sinon epoch 0' 'vitest default' 'jest modern' 'setTimeout only'; do
  for when in before after; do
    # The delays in the check are minutes long: a process held by a leaked timer times out.
    timeout --signal=KILL 60 node exit-check.mjs "$flavour" "$when" ||
      die "exit-check '$flavour' $when: the process failed or did not end by itself"
  done
done
ok "exit-check: 8 of 8 processes ended by themselves"
