# A throwaway PostgreSQL on 127.0.0.1 for script/test and script/bench (sourced, not run).
# start_throwaway_postgres [durable]: initdb in a temporary folder, start it on a free port,
# export DE_TEST_POSTGRES_URL and stop it (and remove the folder) when the calling shell
# exits. Tests run with fsync off; "durable" keeps it on, for benchmarks. DE_PG_OPTIONS adds
# server settings (`-c name=value ...`), e.g. pg_stat_statements for the cluster benchmark.

start_throwaway_postgres() {
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  pg_dir=$(mktemp -d /tmp/de-pg.XXXXXX)
  chown postgres: "$pg_dir"
  local port fsync="-c fsync=off"
  [[ "${1:-}" == durable ]] && fsync=""
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  trap stop_throwaway_postgres EXIT
  as_postgres "$pg_bin/initdb" -D "$pg_dir/data" -U postgres --auth=trust -E UTF8 >"$pg_dir/initdb.log" 2>&1 ||
    { cat "$pg_dir/initdb.log"; return 1; }
  as_postgres "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w \
    -o "-p $port -k $pg_dir -c listen_addresses=127.0.0.1 $fsync -c max_connections=200 ${DE_PG_OPTIONS:-}" start >/dev/null ||
    { cat "$pg_dir/server.log"; return 1; }
  export DE_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
  echo "PostgreSQL on 127.0.0.1:$port (throwaway, in $pg_dir)"
}

# initdb refuses to run as root.
as_postgres() { if [[ $(id -un) == postgres ]]; then "$@"; else runuser -u postgres -- "$@"; fi; }

stop_throwaway_postgres() {
  as_postgres "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1
  rm -rf "$pg_dir"
}
