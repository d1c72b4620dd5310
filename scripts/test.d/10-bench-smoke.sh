#!/usr/bin/env bash
# Smoke run of the separate benchmark module (internal/bench): it must vet
# cleanly and every benchmark must compile and run once.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

dir="$ROOT/internal/bench"
[[ -f "$dir/go.mod" ]] || skip "no separate module at internal/bench yet"
cd "$dir"
info "bench smoke: go vet ./... (internal/bench)"
run go vet ./...
info "bench smoke: every benchmark once (internal/bench)"
run go test -count=1 -run '^$' -bench . -benchtime 1x ./...
