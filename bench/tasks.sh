#!/usr/bin/env bash
# End-to-end task throughput: HTTP submit -> echo agent -> tasks.completed received over
# /ws/notifications, with 1 and 2 server threads (SQLite), then p50/p99 submit-to-completed
# latency at half the peak rate. Loopback only, bounded in time.
# Usage: bench/tasks.sh [seconds per run, default 10]   (needs build/release)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
work=$(mktemp -d /tmp/de-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
export DE_DATABASE_URL="sqlite:$work/de.db" DE_DATA_DIR="$work" DE_ADMIN_PASSWORD=bench-password DE_LOG_LEVEL=warn
build/release/digital-enterprise init >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
load=(build/release/de-loadgen throughput --url http://127.0.0.1:$port --email admin@example.com --password bench-password)
echo "machine: $(nproc) cores, $(uname -r); $(date -u +%F)"
for threads in 1 2; do
  build/release/digital-enterprise serve --listen 127.0.0.1:$port --threads $threads >"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 50); do curl -sf 127.0.0.1:$port/readyz >/dev/null && break; sleep 0.1; done
  peak=$("${load[@]}" --connections 64 --seconds "$seconds")
  echo "server threads $threads, peak:      $peak"
  rate=$(python3 -c "import json,sys; print(int(json.loads(sys.argv[1])['tasks_per_second'] / 2))" "$peak")
  half=$("${load[@]}" --connections 64 --seconds "$seconds" --rate "$rate")
  echo "server threads $threads, half peak: $half"
  kill $server; wait $server 2>/dev/null || true
done
