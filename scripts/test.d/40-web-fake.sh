#!/usr/bin/env bash
# The suites of web/fake/test (see web/fake/README.md), against web/dist (rebuilt here):
#   1. tsc --noEmit: the types of polysse/fake and polysse/fake/remote as users see them
#      (types/), the Playwright specs (e2e/), and the Cypress spec and config (cypress/): Cypress
#      cannot download its binary here, so its spec is type-checked, not run;
#   2. Vitest in Node, jsdom and happy-dom: polysse's EventSource under every fake-timer flavour
#      (against a scripted fetch), polysse/fake in process (a test per capability, handlers,
#      policies, fake timers, MSW and fetch-event-source), and in Node only the standalone
#      conformance suite, against `npx polysse-fake` (Node) and, when the repository has it,
#      the native cmd/polysse-fake (built here, passed as POLYSSE_FAKE_NATIVE);
#   3. Playwright (@playwright/test, Debian's chromium, nothing downloaded): the end-to-end
#      example against the standalone fake, and polysse/fake inside a browser page;
#   4. exit checks: a Node process that used polysse, or polysse/fake, under fake timers ends by
#      itself once its sources (and fake) are closed.
# Installs web/fake/test/node_modules (npm ci, when missing or when the lock file changed;
# CYPRESS_INSTALL_BINARY=0) and chromium (apt) when missing. Under CI=true a missing node,
# npm or browser fails; nothing is skipped.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

require_node20 "the Vitest suites; npm installs vitest, jsdom, happy-dom, @sinonjs/fake-timers, msw, playwright and cypress types"

require_chromium

dir=web/fake/test
stamp="$dir/node_modules/.polysse-lock-stamp"
want="$(cat "$dir/package.json" "$dir/package-lock.json" | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" || ! -d "$dir/node_modules/vitest" ]]; then
  info "$dir: npm ci"
  # Cypress's package is here for its types only: never fetch its binary.
  (cd "$dir" && CYPRESS_INSTALL_BINARY=0 run npm ci --no-audit --no-fund)
  printf '%s\n' "$want" >"$stamp"
fi

info "building web/dist"
bash scripts/wasm.sh >/dev/null

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
if [[ -d cmd/polysse-fake ]]; then
  info "building the native standalone fake (cmd/polysse-fake) for the conformance suite"
  go build -o "$tmp/polysse-fake" ./cmd/polysse-fake
  export POLYSSE_FAKE_NATIVE="$tmp/polysse-fake"
else
  # The suite runs against the Node command alone until the native one exists.
  log "  no cmd/polysse-fake in this tree: the conformance suite runs against npx polysse-fake only"
fi

cd "$dir"
info "tsc --noEmit (types, e2e, cypress; typescript $(node -p 'require("./node_modules/typescript/package.json").version'))"
run node_modules/.bin/tsc -p types/tsconfig.json
run node_modules/.bin/tsc -p cypress/tsconfig.json

info "vitest run ($dir: node, jsdom, happy-dom, and node only)"
# Every test has its own timeout; this bounds the whole run, and a process that does not exit.
run timeout --signal=TERM --kill-after=10 900 npx vitest run

info "playwright test (e2e: the standalone fake behind a page; polysse/fake in a page; $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM"))"
run timeout --signal=TERM --kill-after=10 300 npx playwright test -c e2e/playwright.config.ts

info "exit-check: Node ends by itself after polysse, or polysse/fake, ran under fake timers"
n=0
for flavour in 'sinon epoch 0' 'vitest default' 'jest modern' 'setTimeout only'; do
  for when in before after; do
    # The delays in the checks are minutes long: a process held by a leaked timer times out.
    timeout --signal=KILL 60 node exit-check.mjs "$flavour" "$when" ||
      die "exit-check '$flavour' $when: the process failed or did not end by itself"
    timeout --signal=KILL 60 node fake-exit-check.mjs "$flavour" "$when" ||
      die "fake-exit-check '$flavour' $when: the process failed or did not end by itself"
    n=$((n + 2))
  done
done
ok "exit-check: $n of $n processes ended by themselves"
