#!/usr/bin/env bash
# HTTP throughput with Debian's wrk on loopback, bounded in time: GET /healthz and an
# authenticated GET /api/v1/agents, with 1 and 2 server threads (SQLite, demo data).
# Usage: bench/http.sh [seconds per run, default 10]   (needs build/release)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
binary=build/release/digital-enterprise
work=$(mktemp -d /tmp/de-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
export DE_DATA_DIR="$work" DE_ADMIN_PASSWORD=bench-password DE_LOG_LEVEL=warn
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
echo "machine: $(nproc) cores, $(uname -r); wrk -t2 -c64 -d${seconds}s on 127.0.0.1"
for threads in 1 2; do
  # A fresh database each time: the task writes of one run must not weigh on the next.
  export DE_DATABASE_URL="sqlite:$work/de-$threads.db"
  $binary init >/dev/null
  $binary serve --listen 127.0.0.1:$port --threads $threads >"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 50); do curl -sf 127.0.0.1:$port/readyz >/dev/null && break; sleep 0.1; done
  export DE_TOKEN=$(curl -s 127.0.0.1:$port/api/v1/auth/login -H 'Content-Type: application/json' \
    -d '{"email":"admin@example.com","password":"bench-password"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  for target in "GET /healthz" "GET /api/v1/agents (JWT)" "POST /api/v1/tasks (JWT)"; do
    case $target in
      "GET /healthz") args=(http://127.0.0.1:$port/healthz) ;;
      "GET /api/v1/agents (JWT)") args=(-s bench/auth_get.lua http://127.0.0.1:$port/api/v1/agents) ;;
      *) args=(-s bench/post_task.lua http://127.0.0.1:$port/api/v1/tasks) ;;
    esac
    result=$(wrk -t2 -c64 -d"${seconds}s" --latency "${args[@]}")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$result")
    p50=$(awk '$1=="50%" {print $2}' <<<"$result")
    p99=$(awk '$1=="99%" {print $2}' <<<"$result")
    errors=$(grep -E "Non-2xx|Socket errors" <<<"$result" | tr '\n' ' ' || true)
    printf "server threads %d  %-26s %10s req/s  p50 %-8s p99 %-8s %s\n" "$threads" "$target" "$rps" "$p50" "$p99" "$errors"
  done
  kill $server; wait $server 2>/dev/null || true
done
