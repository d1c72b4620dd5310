#!/usr/bin/env bash
# Runs the demo: `go run ./cmd/demo`, passing this script's arguments on
# (make demo ARGS="-addr :8080").
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if ! compgen -G "cmd/demo/*.go" >/dev/null; then
  die "./cmd/demo does not exist yet: there is no demo to run"
fi
# The side-by-side page (/compare) loads polysse's web build.
info "demo: make wasm"
bash scripts/wasm.sh >/dev/null
info "demo: go run ./cmd/demo $*"
exec go run ./cmd/demo "$@"
