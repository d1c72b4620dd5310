#!/usr/bin/env bash
# The long chaos run of the Redis broker (make chaos): 1,000 native clients through a
# round-robin proxy over 3 server nodes on one redis-server, 10,000 events published in
# order, a node killed every 300 ms and Redis killed (SIGKILL) and restarted twice; with
# AOF (appendfsync always) and without persistence. It prints, per mode, the events lost,
# duplicated and missed inside signalled gaps (pass: 0 lost, 0 duplicated). The short run
# is part of make test. Variables: CLIENTS, EVENTS, RATE (events/s), PERSISTENCE
# (aof-always, none, both), RACE=1 (with the race detector: slower).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

(need_apt_pkg redis-server redis-server) || die "the chaos run needs redis-server (apt-get install redis-server)"
cd "$ROOT/redis"
args=(-run '^TestChaos$' -count=1 -timeout 60m -v
  -chaos.clients "${CLIENTS:-1000}" -chaos.events "${EVENTS:-10000}" -chaos.rate "${RATE:-200}"
  -chaos.persistence "${PERSISTENCE:-both}")
[[ "${RACE:-0}" == 1 ]] && args=(-race "${args[@]}")
info "chaos: go test ${args[*]} (module redis)"
# The per-client tallies are logged by t.Log; the lines to read start with "chaos".
run go test "${args[@]}" . 2>&1 | grep -E '^(chaos|--- |ok|FAIL|PASS|panic)|_test\.go:[0-9]+:.*(Error|lost|duplicated)'
exit "${PIPESTATUS[0]}"
