#!/usr/bin/env bash
# js/wasm tests of the root module, run under Node via go_js_wasm_exec.
# Only packages that build for js/wasm and have test files are tested.
# Extra arguments go to `go test`.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_tool go || exit 1
require_tool node "needed to run js/wasm test binaries" || skip "node not found"

list="$(go_test_pkgs js wasm)"
mapfile -t pkgs < <(grep -v '^$' <<<"$list" || true)
if ((${#pkgs[@]} == 0)); then
  skip "no package with tests builds for js/wasm"
fi

execdir="$(wasm_exec_dir)"
[[ -x "$execdir/go_js_wasm_exec" ]] || die "go_js_wasm_exec not found in $execdir"
export PATH="$execdir:$PATH"

info "test-wasm: GOOS=js GOARCH=wasm go test -count=1 (${#pkgs[@]} packages, node $(node --version))"
run env GOOS=js GOARCH=wasm go test -count=1 "$@" "${pkgs[@]}"
