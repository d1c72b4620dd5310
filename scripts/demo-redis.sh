#!/usr/bin/env bash
# Runs the demo as three server nodes on one Redis (make demo-redis): installs Debian's
# redis-server when it is missing, starts a private one on 127.0.0.1 and a free port (AOF,
# appendfsync always, data in a temporary directory; never the system Redis on 6379),
# builds redis/cmd/demo-nodes and runs it in front of that Redis. Ctrl-C (or SIGTERM)
# stops the nodes and the Redis and removes the directory. Arguments go to demo-nodes,
# e.g. make demo-redis ARGS="-addr 127.0.0.1:9090".
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_apt_pkg redis-server redis-server
require_tool go "the Go toolchain builds the demo" || exit 1

data="$(mktemp -d "${TMPDIR:-/tmp}/polysse-demo-redis.XXXXXX")"
redis_pid="" demo_pid=""
cleanup() {
  trap - EXIT INT TERM
  [[ -n "$demo_pid" ]] && kill -TERM "$demo_pid" 2>/dev/null && wait "$demo_pid" 2>/dev/null
  [[ -n "$redis_pid" ]] && kill -TERM "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
  rm -rf "$data"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A free port: bind to port 0 and read what the kernel gave.
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
  echo 6390)"
info "demo-redis: redis-server on 127.0.0.1:$port (data in $data)"
redis-server --bind 127.0.0.1 --port "$port" --dir "$data" --save "" \
  --appendonly yes --appendfsync always --maxmemory-policy noeviction \
  --daemonize no --logfile "$data/redis.log" &
redis_pid=$!
for _ in $(seq 100); do
  redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1 && break
  sleep 0.05
done
redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1 || die "redis-server did not start (see $data/redis.log)"
# The server that answers must be ours (another one could hold the port).
[[ "$(redis-cli -h 127.0.0.1 -p "$port" info server | tr -d '\r' | sed -n 's/^process_id://p')" == "$redis_pid" ]] ||
  die "the redis-server on port $port is not the one started here"

info "demo-redis: building redis/cmd/demo-nodes"
(cd "$ROOT/redis" && go build -o "$data/demo-nodes" ./cmd/demo-nodes) || die "build failed"
info "demo-redis: three nodes behind a round-robin proxy; Ctrl-C stops everything"
"$data/demo-nodes" -redis "127.0.0.1:$port" "$@" &
demo_pid=$!
wait "$demo_pid"
