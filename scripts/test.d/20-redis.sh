#!/usr/bin/env bash
# Tests of the nested module redis/ (github.com/polysse/sse/redis) with the race
# detector, against redis-server processes the tests start themselves on
# 127.0.0.1 and free ports (never a system Redis on 6379). Installs Debian's
# redis-server when it is missing; under CI=true the tests fail, never skip,
# without it. Extra arguments go to `go test` (scripts/test.d/20-redis.sh -run X -v).
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

dir="$ROOT/redis"
[[ -f "$dir/go.mod" ]] || skip "no nested module at redis/ yet"
# Fatal under CI; locally a failed install leaves the tests to skip, saying why.
(need_apt_pkg redis-server redis-server) || { is_ci && exit 1; warn "no redis-server: the Redis tests will skip"; }
cd "$dir"
info "redis: go test -race -count=1 ./... (module redis, $(redis-server --version 2>/dev/null | cut -d' ' -f3 || echo 'no redis-server'))"
run go test -race -count=1 "$@" ./...
