#!/usr/bin/env bash
# Browser throughput benchmark (web/bench/): one headless Chromium session (Debian's
# /usr/bin/chromium driven by playwright-core; no browser is downloaded) receives 100,000
# events of 64 B, 20,000 of 1 KiB and 200 of 64 KiB from internal/cmd/benchserver on
# 127.0.0.1, through the native EventSource, polysse, npm eventsource,
# @microsoft/fetch-event-source and event-source-polyfill, interleaved, and prints the
# median events/s, the ratio to native and polysse's ready time.
#   make bench-browser                  # ROUNDS=5 counted rounds after one warm-up round
#   ROUNDS=3 make bench-browser
#   RECORD=1 make bench-browser         # also write the table into web/bench/README.md
#   PROFILE=polysse:64B make bench-browser   # a CPU profile of one run instead (also
#                                            # PROFILE=dispatch, PROFILE=ready); see web/bench/README.md
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_tool node "Node >= 20" || die "make bench-browser needs node"
require_tool npm || die "make bench-browser needs npm"
need_apt_pkg chromium /usr/bin/chromium

bash "$ROOT/scripts/wasm.sh"

bench="$ROOT/web/bench"
if [[ ! -f "$bench/node_modules/.package-lock.json" ||
      "$bench/package-lock.json" -nt "$bench/node_modules/.package-lock.json" ||
      "$bench/package.json" -nt "$bench/node_modules/.package-lock.json" ]]; then
  info "bench-browser: npm ci (web/bench)"
  (cd "$bench" && npm ci --no-audit --no-fund --loglevel=error)
fi

tmp="$(mktemp -d -t polysse-bench-browser.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
info "bench-browser: go build ./internal/cmd/benchserver"
go build -o "$tmp/benchserver" ./internal/cmd/benchserver

args=(--server "$tmp/benchserver" --rounds "${ROUNDS:-5}")
[[ -n "${PROFILE:-}" ]] && args+=(--profile "$PROFILE")
[[ -n "${RECORD:-}" ]] && args+=(--markdown "$tmp/table.md")
cmd="make bench-browser${ROUNDS:+ ROUNDS=$ROUNDS}"
info "bench-browser: node web/bench/run.mjs ${args[*]}"
(cd "$bench" && timeout 30m node run.mjs "${args[@]}")

if [[ -n "${RECORD:-}" && -z "${PROFILE:-}" ]]; then
  readme="$bench/README.md"
  {
    printf 'Command: `%s` (%s)\n' "$cmd" "$(date -u '+%Y-%m-%d %H:%M UTC')"
    printf 'Machine: %s, %s CPUs, %s, Node %s\n\n' "$(uname -sm)" "$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?')" \
      "$(go version | cut -d' ' -f3)" "$(node --version)"
    cat "$tmp/table.md"
  } >"$tmp/section.md"
  awk -v f="$tmp/section.md" '
    /<!-- results:begin -->/ { print; while ((getline line < f) > 0) print line; skip = 1; next }
    /<!-- results:end -->/ { skip = 0 }
    !skip { print }' "$readme" >"$tmp/README.md"
  grep -q '<!-- results:end -->' "$tmp/README.md" || die "web/bench/README.md lacks the results markers"
  cp "$tmp/README.md" "$readme"
  ok "bench-browser: table written to web/bench/README.md"
fi
