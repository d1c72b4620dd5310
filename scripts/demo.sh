#!/usr/bin/env bash
# Runs the demo (cmd/demo): builds polysse's web build (scripts/wasm.sh) and the demo
# server, then runs the server in place of this script, passing this script's arguments
# on (make demo ARGS="-addr 127.0.0.1:9000").
#
# The first build compiles the Go standard library twice (for js/wasm and for this
# machine) and takes a minute or two: each step prints what it does and, every few
# seconds, that it is still at it. Stopping make stops everything: Ctrl-C reaches the
# whole process group; a SIGTERM to make is passed on by make to its child, which is the
# server itself once it runs (this script execs it), or is forwarded by this script to the
# step it is waiting for. Where setpriv is available the server also gets SIGTERM when
# its parent dies, however it dies, so no orphan keeps the port.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if ! compgen -G "cmd/demo/*.go" >/dev/null; then
  die "./cmd/demo does not exist yet: there is no demo to run"
fi
require_tool go "the Go toolchain builds the demo" || exit 1

logdir="$ROOT/build"
mkdir -p "$logdir"

# step LABEL LOG CMD...: runs CMD in the background with its output in LOG, prints a line
# every 10 s while it runs, and ends this script on SIGINT or SIGTERM after passing the
# signal on to CMD and everything CMD started (CMD runs in a process group of its own when
# setsid is there). On failure it shows the end of LOG.
step() {
  local label="$1" logfile="$2" pid target rc=0 t0=$SECONDS next=10
  shift 2
  info "demo: $label"
  if command -v setsid >/dev/null 2>&1; then
    # A background child of this (non-interactive) shell is no process-group leader, so
    # setsid does not fork: $! is the new group's id.
    setsid "$@" >"$logfile" 2>&1 </dev/null &
    pid=$! target="-$!"
  else
    "$@" >"$logfile" 2>&1 </dev/null &
    pid=$! target="$!"
  fi
  # shellcheck disable=SC2064 # expand the ids now
  trap "kill -TERM -- $target 2>/dev/null; wait $pid 2>/dev/null; log '  stopped'; exit 143" TERM
  # shellcheck disable=SC2064
  trap "kill -INT -- $target 2>/dev/null; wait $pid 2>/dev/null; log '  interrupted'; exit 130" INT
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS - t0 >= next)); then
      log "  ... still at it ($((SECONDS - t0)) s)"
      next=$((next + 10))
    fi
    sleep 1 & wait $! || true # an interruptible wait: the traps run at once
  done
  wait "$pid" || rc=$?
  trap - TERM INT
  if ((rc != 0)); then
    tail -n 30 "$logfile" >&2
    die "demo: $label failed (exit $rc; the whole output is in ${logfile#"$ROOT"/})"
  fi
  ok "$label ($((SECONDS - t0)) s)"
}

if [[ ! -f web/dist/polysse.wasm ]]; then
  log "The first build compiles Go's standard library for WebAssembly and for this machine:"
  log "a minute or two. Later builds take seconds."
fi
step "building polysse's web build (scripts/wasm.sh -> web/dist)" "$logdir/demo-wasm.log" \
  bash scripts/wasm.sh
sed -n '/^web\/dist\/polysse.wasm/,$p' "$logdir/demo-wasm.log"
step "building the demo server (go build ./cmd/demo)" "$logdir/demo-build.log" \
  go build -o "$logdir/demo" ./cmd/demo

info "demo: build/demo $*"
if command -v setpriv >/dev/null 2>&1 && setpriv --pdeathsig TERM true 2>/dev/null; then
  exec setpriv --pdeathsig TERM -- "$logdir/demo" "$@"
fi
exec "$logdir/demo" "$@"
