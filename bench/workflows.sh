#!/usr/bin/env bash
# Webhook-triggered workflow executions per second: webhook -> echo task -> condition ->
# response with the workflow's output (SQLite, every execution and step stored). Loopback,
# bounded in time. Usage: bench/workflows.sh [seconds, default 10] [connections, default 32]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}; connections=${2:-32}
work=$(mktemp -d /tmp/de-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
export DE_DATABASE_URL="sqlite:$work/de.db" DE_DATA_DIR="$work" DE_ADMIN_PASSWORD=bench-password DE_LOG_LEVEL=warn
build/release/digital-enterprise init >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
build/release/digital-enterprise serve --listen 127.0.0.1:$port >"$work/server.log" 2>&1 &
for _ in $(seq 50); do curl -sf 127.0.0.1:$port/readyz >/dev/null && break; sleep 0.1; done
token=$(curl -s 127.0.0.1:$port/api/v1/auth/login -H 'Content-Type: application/json' \
  -d '{"email":"admin@example.com","password":"bench-password"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
hook=$(curl -s 127.0.0.1:$port/api/v1/workflows -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d '{
  "name": "bench", "definition": {"trigger": {"type": "webhook", "respond_with_output": true},
  "steps": [{"id": "a", "type": "task", "task_type": "echo", "input": {"v": "{{input.v}}"}},
            {"id": "c", "type": "condition", "depends_on": ["a"], "expression": "steps.a.output.v > 10"}],
  "output": {"big": "{{steps.c.output.result}}"}}}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["webhook_url"])')
echo "machine: $(nproc) cores, $(uname -r); $(date -u +%F); $connections connections, ${seconds}s"
peak=$(build/release/de-loadgen webhook --url http://127.0.0.1:$port --path "$hook" --connections "$connections" --seconds "$seconds")
echo "peak:      $peak"
rate=$(python3 -c "import json,sys; print(int(json.loads(sys.argv[1])['executions_per_second'] / 2))" "$peak")
echo "half peak: $(build/release/de-loadgen webhook --url http://127.0.0.1:$port --path "$hook" --connections "$connections" --seconds "$seconds" --rate "$rate")"
