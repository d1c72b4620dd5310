#!/usr/bin/env bash
# Benchmarks against peer libraries, in the separate module internal/bench.
#   COUNT=6 make bench            # -count (default 1)
#   BENCH=Fanout make bench       # -bench regexp (default .)
#   BENCHTIME=2s make bench       # -benchtime (default: go test's, 1s)
#   ROUNDS=5 make bench           # run the whole suite 5 times, interleaving the
#                                 # implementations (fairer than -count on a busy machine)
#   BENCH_OUT=file make bench     # also keep the raw output there
#   LOAD=0 make bench             # skip the loopback load test (cmd/loadtest: 5,000
#                                 # TCP connections per server); it runs by default
#                                 # when BENCH is not set, and with LOAD=1 always.
#                                 # LOAD_ARGS="-n 1000" passes flags to it.
# If internal/bench has ./cmd/benchtable, the raw `go test` output is piped
# through it (stdin) to print a table; otherwise the raw output is the result.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dir="$ROOT/internal/bench"
[[ -f "$dir/go.mod" ]] || die "no benchmark module at internal/bench (needs its own go.mod)"
cd "$dir"

raw="${BENCH_OUT:-}"
if [[ -z "$raw" ]]; then
  raw="$(mktemp -t polysse-bench.XXXXXX)"
  trap 'rm -f "$raw"' EXIT
fi

args=(-run '^$' -bench "${BENCH:-.}" -benchmem -count "${COUNT:-1}")
[[ -n "${BENCHTIME:-}" ]] && args+=(-benchtime "$BENCHTIME")
args+=("$@" ./...)

# The command is printed, and recorded with the date and machine at the top of the
# raw output, so that a table can be pasted with what produced it.
quote() { # shell-quote an argument only when it needs it
  if [[ "$1" =~ ^[A-Za-z0-9_./=:,+-]+$ ]]; then printf '%s' "$1"; else printf "'%s'" "${1//\'/\'\\\'\'}"; fi
}
cmd="go test"
for a in "${args[@]}"; do cmd+=" $(quote "$a")"; done
rounds="${ROUNDS:-1}"
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer"
((rounds == 1)) || cmd="for i in \$(seq $rounds); do $cmd; done"
info "bench: (cd internal/bench && $cmd)"
{
  printf 'command: (cd internal/bench && %s)\n' "$cmd"
  printf 'date: %s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
  printf 'commit: %s%s\n' "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')" \
    "$(git -C "$ROOT" diff --quiet HEAD -- ':!internal/bench' 2>/dev/null || echo ' (with uncommitted changes)')"
  printf 'machine: %s, %s CPUs, %s\n' "$(uname -sm)" "$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?')" "$(go version | cut -d' ' -f3)"
  [[ -r /proc/loadavg ]] && printf 'load average before: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
} >"$raw"
for ((i = 1; i <= rounds; i++)); do
  ((rounds == 1)) || info "bench: round $i of $rounds"
  go test "${args[@]}" | tee -a "$raw"
done

[[ -r /proc/loadavg ]] && printf 'load average after: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$raw"

if [[ -d cmd/benchtable ]]; then
  info "bench: table (go run ./cmd/benchtable < raw output)"
  go run ./cmd/benchtable <"$raw"
fi

load="${LOAD:-}"
[[ -z "$load" && -z "${BENCH:-}" ]] && load=1
if [[ "$load" == 1 && -d cmd/loadtest ]]; then
  info "bench: loopback load test (cd internal/bench && go run ./cmd/loadtest ${LOAD_ARGS:-})"
  # shellcheck disable=SC2086 # LOAD_ARGS is a list of flags
  go run ./cmd/loadtest ${LOAD_ARGS:-}
fi
