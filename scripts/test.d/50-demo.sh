#!/usr/bin/env bash
# The demo as a user runs it: `make demo` starts and prints its URL; the pages work in
# headless Chromium (scripts/test.d/demo/check.mjs, which also saves screenshots to
# build/screenshots/); and stopping make stops everything, with no orphan left holding
# the port: a SIGTERM to make while the server runs, a Ctrl-C (SIGINT to make's process
# group) while it runs, and a SIGTERM while it is still building. Under CI=true a missing
# tool fails.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

require_tool make "make runs the demo" || skip "make not found"
require_node20 "drives the browser; npm installs playwright-core"
require_tool curl "curl checks the demo's answers" || skip "curl not found"
require_chromium
playwright_version="$(node -p 'require("./web/test/package.json").devDependencies["playwright-core"]')"

tmp="$(mktemp -d)"
make_pid=""
cleanup() {
  local rc=$?
  if [[ -n "$make_pid" ]] && kill -0 "$make_pid" 2>/dev/null; then
    kill -TERM -- "-$make_pid" 2>/dev/null || true
    wait "$make_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT

# Job control: each `make demo` below runs in a process group of its own, as a job in a
# terminal does, so that a SIGINT to that group is what Ctrl-C sends.
set -m

# descendants PID: PID's child processes, their children, and so on.
descendants() {
  local c
  for c in $(pgrep -P "$1" || true); do
    printf '%s\n' "$c"
    descendants "$c"
  done
}

# start_demo OUT: runs `make demo` on a free port with its output in OUT; sets make_pid.
start_demo() {
  make demo ARGS="-addr 127.0.0.1:0" >"$1" 2>&1 &
  make_pid=$!
}

# wait_for PATTERN OUT SECONDS: waits until OUT has a line matching PATTERN.
wait_for() {
  local i
  for ((i = 0; i < $3 * 5; i++)); do
    grep -Eq "$1" "$2" 2>/dev/null && return 0
    kill -0 "$make_pid" 2>/dev/null || { cat "$2" >&2; die "make demo ended before printing /$1/"; }
    sleep 0.2
  done
  cat "$2" >&2
  die "make demo printed no /$1/ within $3 s"
}

# stop_and_check SIGNAL TARGET PORT WHAT: sends SIGNAL to TARGET (a pid, or -pgid for the
# whole group), then checks that make and everything it started have ended and that
# nothing listens on PORT (when given) any more.
stop_and_check() {
  local sig="$1" target="$2" port="$3" what="$4" i pids p left=()
  mapfile -t pids < <(descendants "$make_pid")
  ((${#pids[@]})) || die "$what: make has no child processes to check"
  kill "-$sig" -- "$target"
  for ((i = 0; i < 100; i++)); do
    kill -0 "$make_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$make_pid" 2>/dev/null && die "$what: make is still running 10 s after SIG$sig"
  wait "$make_pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    left=()
    for p in "${pids[@]}"; do
      kill -0 "$p" 2>/dev/null && left+=("$p")
    done
    ((${#left[@]} == 0)) && break
    sleep 0.1
  done
  if ((${#left[@]})); then
    ps -o pid,ppid,pgid,args -p "$(IFS=,; echo "${left[*]}")" >&2 || true
    die "$what: processes make started are still running 10 s after SIG$sig"
  fi
  if [[ -n "$port" ]] && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "$what: something still listens on port $port"
  fi
  make_pid=""
  ok "$what: make and all it started ended (${#pids[@]} processes)${port:+, port $port is free}"
}

url_re='polysse demo: http://127\.0\.0\.1:[0-9]+/'

info "demo: make demo, then the pages in Chromium"
out="$tmp/run1.log"
start_demo "$out"
wait_for "$url_re" "$out" 600 # a cold build takes about a minute; CI machines can be slower
url="$(grep -Eo 'http://127\.0\.0\.1:[0-9]+/' "$out" | head -n1)"
port="${url##*:}" port="${port%/}"
log "  $url"
grep -q 'building polysse' "$out" || die "make demo printed no progress while building"
[[ "$(curl -s -o /dev/null -w '%{http_code}' "$url")" == 200 ]] || die "GET / did not answer 200"
headers="$(curl -s -o /dev/null -D - -H 'Accept-Encoding: br, gzip' "${url}polysse/polysse.wasm")"
grep -qi '^content-encoding: br' <<<"$headers" || die "polysse.wasm is not sent brotli-compressed: $headers"
grep -qi '^vary: accept-encoding' <<<"$headers" || die "polysse.wasm is sent without Vary: Accept-Encoding"
grep -qi '^cache-control:' <<<"$headers" || die "polysse.wasm is sent without Cache-Control"

(cd "$tmp" && printf '{ "private": true }\n' >package.json &&
  run npm install --no-audit --no-fund --loglevel=error "playwright-core@$playwright_version")
cp scripts/test.d/demo/check.mjs "$tmp/check.mjs"
run timeout --signal=TERM --kill-after=10 180 node "$tmp/check.mjs" "$url" "$ROOT/build/screenshots"

info "demo: SIGTERM to make while the server runs"
stop_and_check TERM "$make_pid" "$port" "SIGTERM to make"

info "demo: Ctrl-C (SIGINT to make's process group) while the server runs"
out="$tmp/run2.log"
start_demo "$out"
wait_for "$url_re" "$out" 120
url="$(grep -Eo 'http://127\.0\.0\.1:[0-9]+/' "$out" | head -n1)"
port="${url##*:}" port="${port%/}"
stop_and_check INT "-$make_pid" "$port" "Ctrl-C"

info "demo: SIGTERM to make while it builds"
out="$tmp/run3.log"
start_demo "$out"
# The web build takes a few seconds even when Go's cache is warm (it compresses the wasm).
wait_for "building polysse's web build" "$out" 60
sleep 0.5
stop_and_check TERM "$make_pid" "" "SIGTERM to make during the build"
