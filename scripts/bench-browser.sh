#!/usr/bin/env bash
# Browser throughput benchmark (web/bench/): one headless Chromium session (Debian's
# /usr/bin/chromium driven by playwright-core; no browser is downloaded) receives streams
# as servers write them (web/bench/workloads.mjs: 100,000 events of 64 B flushed every 100,
# 20,000 of 1 KiB every 16, 200 of 64 KiB every event, 50,000 multi-line named events with
# comments, CRLF and UTF-8 every 50; and, as extras, the plain ones in one write) from
# web/bench/server.mjs on 127.0.0.1, through the native EventSource, polysse, npm
# eventsource, @microsoft/fetch-event-source and event-source-polyfill, interleaved, and
# prints the median events/s, the ratio to native, the geometric means and polysse's
# ready time.
#   make bench-browser                  # ROUNDS=5 counted rounds after one warm-up round
#   ROUNDS=3 make bench-browser
#   WORKLOADS=64B,mixed make bench-browser   # a subset (keys: 64B 1KiB 64KiB mixed 64B-1w 1KiB-1w 64KiB-1w)
#   RECORD=1 make bench-browser         # also write the table into web/bench/README.md
#   PROFILE=polysse:64B make bench-browser   # a CPU profile of one run instead (also
#                                            # PROFILE=dispatch, PROFILE=ready); see web/bench/README.md
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_tool node "Node >= 20" || die "make bench-browser needs node"
require_tool npm || die "make bench-browser needs npm"
need_apt_pkg chromium /usr/bin/chromium

bash "$ROOT/scripts/wasm.sh"

# The Go wasm floor (internal/bench/cmd/wasmfloor), whose ready time is reported next to
# polysse's; packed as polysse.wasm is.
info "bench-browser: the Go wasm floor -> web/bench/floor/floor.wasm"
(cd "$ROOT/internal/bench" && GOOS=js GOARCH=wasm go build -trimpath -ldflags='-s -w' \
  -o "$ROOT/web/bench/floor/floor.wasm" ./cmd/wasmfloor)
(cd "$ROOT" && env -u GOOS -u GOARCH go run ./internal/cmd/wasmpack "$ROOT/web/bench/floor/floor.wasm")

bench="$ROOT/web/bench"
if [[ ! -f "$bench/node_modules/.package-lock.json" ||
      "$bench/package-lock.json" -nt "$bench/node_modules/.package-lock.json" ||
      "$bench/package.json" -nt "$bench/node_modules/.package-lock.json" ]]; then
  info "bench-browser: npm ci (web/bench)"
  (cd "$bench" && npm ci --no-audit --no-fund --loglevel=error)
fi

tmp="$(mktemp -d -t polysse-bench-browser.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT

args=(--rounds "${ROUNDS:-5}")
[[ -n "${PROFILE:-}" ]] && args+=(--profile "$PROFILE")
[[ -n "${WORKLOADS:-}" ]] && args+=(--workloads "$WORKLOADS")
[[ -n "${RECORD:-}" ]] && args+=(--markdown "$tmp/table.md")
cmd="make bench-browser${ROUNDS:+ ROUNDS=$ROUNDS}${WORKLOADS:+ WORKLOADS=$WORKLOADS}"
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
