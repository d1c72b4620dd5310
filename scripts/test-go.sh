#!/usr/bin/env bash
# Native tests of the root module, with the race detector: `go test -race
# -count=1` over ./... less the packages that cannot build for the host (e.g.
# wasm/ or jsbridge/, which import syscall/js), so those need no build tag for
# this to pass. Extra arguments go to `go test` (scripts/test-go.sh -run X -v).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_tool go || exit 1
[[ -n "$(go_test_pkgs)" ]] || skip "root module has no packages with tests"
list="$(go_pkgs)"
mapfile -t pkgs < <(grep -v '^$' <<<"$list" || true)
info "test-go: go test -race -count=1 ./... ($(go env GOOS)/$(go env GOARCH), ${#pkgs[@]} packages)"
run go test -race -count=1 "$@" "${pkgs[@]}"
