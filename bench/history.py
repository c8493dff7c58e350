"""script/bench --history N (issue 26): what N stored tasks cost a server at rest.

Fills the database with N echo tasks through POST /api/v1/tasks/batch (500 a batch, four
submitters; each task stored, run and completed with its three events), then measures on the
running server: RSS at rest, GET /api/v1/analytics/summary and the task lists by status and by
type (median of 20), the database's size on disk (SQLite: file and WAL); then stops it and starts
it again on the same data: start-up to /healthz, RSS at rest after the restart, the summary again.
"""
import json
import os
import statistics
import subprocess
import threading
import time
import urllib.request

BATCH = 500
SUBMITTERS = 4


def _request(url, token, method="GET", body=None):
    request = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode())
    request.add_header("Content-Type", "application/json")
    request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.load(response)


def fill(url, token, total):
    """N echo tasks in batches; returns tasks/s."""
    counter = iter(range(0, total, BATCH))
    lock = threading.Lock()
    started = time.monotonic()

    def worker():
        body = {"tasks": [{"type": "echo", "input_data": {"n": i}} for i in range(BATCH)]}
        while True:
            with lock:
                first = next(counter, None)
            if first is None:
                return
            body["tasks"] = body["tasks"][:min(BATCH, total - first)]
            _request(url + "/api/v1/tasks/batch", token, "POST", body)

    threads = [threading.Thread(target=worker) for _ in range(SUBMITTERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return total / (time.monotonic() - started)


def timed_ms(url, token, path, repeat=20):
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        _request(url + path, token)
        samples.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(samples), 2)


def postgres_mib(url):
    """The PostgreSQL database's size on disk (tables, indexes, TOAST; not the server's WAL)."""
    out = subprocess.run(["psql", url, "-Atc", "SELECT pg_database_size(current_database())"],
                         capture_output=True, text=True, check=True).stdout
    return {"total": round(int(out.strip()) / 2**20, 1)}


def disk_mib(work):
    """The SQLite file, its WAL, and both."""
    size = lambda name: os.path.getsize(os.path.join(work, name)) / 2**20 if os.path.exists(os.path.join(work, name)) else 0.0
    database, wal = size("de.db"), size("de.db-wal")
    return {"database": round(database, 1), "wal": round(wal, 1), "total": round(database + wal, 1)}


def measure_at_rest(server, proc, token):
    # jemalloc gives unused pages back after 10 s (its dirty_decay_ms): at rest is after that.
    time.sleep(12)
    return {"rss_mib": round(proc.rss_mib(), 1),
            "summary_ms": timed_ms(server.url, token, "/api/v1/analytics/summary"),
            "list_by_status_ms": timed_ms(server.url, token, "/api/v1/tasks?status=completed&limit=50"),
            "list_by_type_ms": timed_ms(server.url, token, "/api/v1/tasks?type=echo&limit=50")}


def run_history(args, work, server_class, process_class, wait_ready, login):
    # A fill of millions takes longer than an access token lives (15 min by default): a day.
    server = server_class(args, work, env={"DE_ACCESS_TOKEN_TTL": str(24 * 3600)})
    result = {"tasks": args.history, "startup_ms_empty": round(server.startup_ms, 1)}
    try:
        result["fill_tasks_per_s"] = round(fill(server.url, server.token, args.history))
        server.wait_idle(timeout=3600)
        result["running"] = measure_at_rest(server, server.proc, server.token)
        result["running"]["peak_rss_mib"] = round(server.proc.rss_mib("VmHWM"), 1)
    finally:
        server.stop()
    result["disk_mib"] = postgres_mib(args.database_url) if args.database_url else disk_mib(work)
    log = open(os.path.join(work, "server-restart.log"), "w")
    process = subprocess.Popen(
        [server.binary, "serve", "--listen", f"127.0.0.1:{server.port}", "--threads", str(args.threads)],
        env=server.env, stdout=log, stderr=subprocess.STDOUT)
    try:
        result["startup_ms"] = round(wait_ready(server.url + "/healthz", process), 1)
        proc = process_class(process.pid)
        token = login(server.url)
        result["restarted"] = measure_at_rest(server, proc, token)
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()
    return result


def print_history(r):
    run, again = r["running"], r["restarted"]
    print(f"\nhistory: {r['tasks']:,} tasks stored (filled at {r['fill_tasks_per_s']:,} tasks/s)")
    print(f"  running:   RSS {run['rss_mib']} MiB at rest (peak {run['peak_rss_mib']}), summary {run['summary_ms']} ms, "
          f"list by status {run['list_by_status_ms']} ms, by type {run['list_by_type_ms']} ms")
    print(f"  restarted: start-up to /healthz {r['startup_ms']} ms (empty: {r['startup_ms_empty']} ms), "
          f"RSS {again['rss_mib']} MiB at rest, summary {again['summary_ms']} ms, "
          f"list by status {again['list_by_status_ms']} ms")
    if "disk_mib" in r:
        d = r["disk_mib"]
        split = f" (database {d['database']}, WAL {d['wal']})" if "wal" in d else " (the PostgreSQL database)"
        print(f"  on disk: {d['total']} MiB{split}")
