"""What one PostgreSQL does for the nodes in front of it (script/bench --nodes): counters read
before and after a load, and their difference per task (or per request).

- WAL: bytes (pg_current_wal_lsn), records, full-page images, WAL flushes and the time they
  took (pg_stat_wal; the time with track_wal_io_timing on);
- the bench database's commits, rollbacks and rows inserted, updated, deleted (pg_stat_database),
  and rows written per table (pg_stat_user_tables);
- statements by kind (INSERT, UPDATE, DELETE, SELECT, BEGIN/COMMIT, other) from
  pg_stat_statements, when the server preloads it (script/bench --nodes starts it so);
- CPU seconds of every PostgreSQL process (the postmaster, its live children, and what its
  ended children used), of the whole machine (/proc/stat), for the share each part took.

PostgreSQL publishes most of these counters from each backend at most once a second, and an
idle backend's after up to 10 s: `settle()` waits that long before the second reading.
"""
import os
import secrets
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))
from support.server import psql  # noqa: E402  (the test harness's psql runner)

TICKS = os.sysconf("SC_CLK_TCK")
STATS_FLUSH_SECONDS = 11  # PGSTAT_IDLE_INTERVAL (10 s) and a margin


def rows(url, sql):
    out = psql(url, sql)
    return [line.strip("\n").split("|") for line in out.split("\x1e") if line.strip()]


def create_database(base_url, prefix):
    """A new database on the server of `base_url`: (its URL, its name)."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    psql(base_url, f"CREATE DATABASE {name};")
    head, _, tail = base_url.rpartition("/")
    query = "?" + tail.split("?", 1)[1] if "?" in tail else ""
    return f"{head}/{name}{query}", name


def drop_database(base_url, name):
    psql(base_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE);")


def process_cpu(pid, children=False):
    """CPU seconds of a process (with `children`: plus those of its ended, reaped children)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12]) + ((int(fields[13]) + int(fields[14])) if children else 0)
    return ticks / TICKS


def parent_of(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def children_of(pid):
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if parent_of(int(entry)) == pid:
                    out.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return out


def machine_busy_seconds():
    """(busy, total) CPU seconds of the machine, all cores, since boot."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / TICKS, sum(values) / TICKS


class Postgres:
    def __init__(self, url):
        self.url = url
        # The checkpointer lives as long as the postmaster (a psql session's backend is gone
        # once psql has its answer, maybe before its /proc entry is read).
        checkpointer = int(rows(url, "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'")[0][0])
        self.postmaster = parent_of(checkpointer)
        try:
            psql(url, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements;")
            rows(url, "SELECT count(*) FROM pg_stat_statements")
            self.statements = True
        except RuntimeError:  # not preloaded
            self.statements = False

    def cpu_seconds(self):
        return process_cpu(self.postmaster, children=True) + sum(process_cpu(p) for p in children_of(self.postmaster))

    def reading(self):
        """The counters now."""
        (wal_lsn, commits, rollbacks, inserted, updated, deleted, records, fpi, wal_bytes, flushes, writes,
         sync_ms), = rows(
            self.url,
            "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint, d.xact_commit, d.xact_rollback, "
            "d.tup_inserted, d.tup_updated, d.tup_deleted, w.wal_records, w.wal_fpi, w.wal_bytes, w.wal_sync, "
            "w.wal_write, w.wal_sync_time FROM pg_stat_database d, pg_stat_wal w WHERE d.datname = current_database()")
        r = {"wal_bytes": int(wal_lsn), "commits": int(commits), "rollbacks": int(rollbacks),
             "rows_inserted": int(inserted), "rows_updated": int(updated), "rows_deleted": int(deleted),
             "wal_records": int(records), "wal_full_page_images": int(fpi), "wal_bytes_stat": int(wal_bytes),
             "wal_flushes": int(flushes), "wal_writes": int(writes), "wal_flush_ms": float(sync_ms),
             "tables": {}, "statements": {}}
        for name, ins, upd, hot, dele in rows(self.url, "SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, "
                                                        "n_tup_del FROM pg_stat_user_tables"):
            r["tables"][name] = {"inserted": int(ins), "updated": int(upd), "hot_updated": int(hot),
                                 "deleted": int(dele)}
        if self.statements:
            for kind, calls, rows_ in rows(self.url, STATEMENTS):
                r["statements"][kind] = {"calls": int(calls), "rows": int(rows_)}
        r["cpu_seconds"] = self.cpu_seconds()
        r["machine_busy_seconds"], r["machine_seconds"] = machine_busy_seconds()
        r["at"] = time.monotonic()
        return r


# Statements of the bench database by their first word (our own readings left out).
STATEMENTS = """
SELECT kind, sum(calls)::bigint, sum(rows)::bigint FROM (
  SELECT CASE WHEN q ~* '^(insert|update|delete|select|with)' THEN upper(substring(q from '^[A-Za-z]+'))
              WHEN q ~* '^(begin|commit|rollback|savepoint|release)' THEN 'BEGIN/COMMIT'
              ELSE 'OTHER' END AS kind, calls, rows
  FROM (SELECT ltrim(query) AS q, calls, rows FROM pg_stat_statements
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND query !~ 'pg_stat_|pg_backend_pid|pg_current_wal_lsn|CREATE EXTENSION') s) k
GROUP BY kind ORDER BY kind
"""


def difference(before, after, per):
    """What happened between two readings, in total and per unit of work (`per`: tasks or
    requests)."""
    per = max(per, 1)
    d = {k: after[k] - before[k] for k in ("wal_bytes", "commits", "rollbacks", "rows_inserted", "rows_updated",
                                          "rows_deleted", "wal_records", "wal_full_page_images", "wal_flushes",
                                          "wal_writes")}
    out = {"total": d, "per_unit": {k: round(v / per, 4) for k, v in d.items()}}
    # The time a WAL flush takes (track_wal_io_timing, which script/bench --nodes turns on).
    flush_ms = after["wal_flush_ms"] - before["wal_flush_ms"]
    out["wal_flush_ms_average"] = round(flush_ms / d["wal_flushes"], 3) if d["wal_flushes"] and flush_ms else None
    tables = {}
    for name, t in after["tables"].items():
        b = before["tables"].get(name, {})
        written = {k: v - b.get(k, 0) for k, v in t.items()}
        if any(written.values()):
            tables[name] = {k: round(v / per, 4) for k, v in written.items()}
    out["tables_per_unit"] = tables
    statements = {}
    for kind, s in after["statements"].items():
        b = before["statements"].get(kind, {"calls": 0, "rows": 0})
        if s["calls"] - b["calls"]:
            statements[kind] = round((s["calls"] - b["calls"]) / per, 4)
    out["statements_per_unit"] = statements
    out["writes_per_unit"] = round(sum(v for k, v in statements.items() if k in ("INSERT", "UPDATE", "DELETE")), 3)
    return out


class WaitSampler:
    """Samples what the bench database's active backends wait on, every `interval` seconds
    while a load runs (pg_stat_activity): "running" (on CPU, or ready to be), a lock held by
    another transaction (Lock:transactionid, Lock:tuple: nodes queueing on one row), the WAL
    (LWLock:WALWrite, IO:WALSync), the client (Client:ClientRead: idle in a transaction
    between statements)... The share of samples per state says where the time goes."""

    QUERY = ("SELECT COALESCE(wait_event_type || ':' || wait_event, 'running'), count(*) FROM pg_stat_activity "
             "WHERE datname = current_database() AND state <> 'idle' AND pid <> pg_backend_pid() GROUP BY 1")

    def __init__(self, url, interval=0.2):
        import threading
        self.url, self.interval = url, interval
        self.counts, self.samples = {}, 0
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop_event.wait(self.interval):
            try:
                for state, n in rows(self.url, self.QUERY):
                    self.counts[state] = self.counts.get(state, 0) + int(n)
                self.samples += 1
            except RuntimeError:
                pass

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        self.thread.join()

    def result(self):
        """Average active backends per sample, by what they wait on."""
        n = max(self.samples, 1)
        return {"samples": self.samples,
                "active_backends": {k: round(v / n, 2) for k, v in sorted(self.counts.items(), key=lambda kv: -kv[1])}}


def settle(since):
    """Waits until PostgreSQL's backends have published their counters for what happened up to
    `since` (a time.monotonic() value)."""
    left = since + STATS_FLUSH_SECONDS - time.monotonic()
    if left > 0:
        time.sleep(left)
