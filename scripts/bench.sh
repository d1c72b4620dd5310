#!/usr/bin/env bash
# Benchmarks against peer libraries, in the separate module internal/bench.
#   COUNT=6 make bench            # -count (default 1)
#   BENCH=Fanout make bench       # -bench regexp (default .)
#   BENCH_OUT=file make bench     # also keep the raw output there
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

info "bench: go test -run '^\$' -bench '${BENCH:-.}' -benchmem -count ${COUNT:-1} ./... (internal/bench)"
go test -run '^$' -bench "${BENCH:-.}" -benchmem -count "${COUNT:-1}" "$@" ./... | tee "$raw"

if [[ -d cmd/benchtable ]]; then
  info "bench: table (go run ./cmd/benchtable)"
  go run ./cmd/benchtable <"$raw"
fi
