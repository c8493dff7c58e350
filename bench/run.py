#!/usr/bin/env python3
"""The benchmark run behind script/bench: starts the real server on loopback and runs bounded
loads against it, measuring throughput, latency, the server's CPU and its RSS.

  (a) webhook -> echo task -> condition -> response (de-loadgen webhook)
  (b) task submit over HTTP -> echo agent -> completed event over WebSocket (de-loadgen throughput)
  (c) authenticated REST read GET /api/v1/agents and write POST /api/v1/tasks (wrk)
  (d) WebSocket fan-out: N subscribers receiving every task event (de-loadgen fanout)
  (g) outbound webhooks: the events of a burst of echo tasks held back by a paused subscription,
      then delivered, signed, to a local receiver (de-loadgen receiver) that fails the first
      attempt of every 100th event; deliveries/s until the last one is in, retries included
  (f) leads: 45,211 real leads (bank-marketing, shared/data) imported and a model trained on them
      through the API (timed), then scored by POST /api/v1/leads/score with and without explanations
  plus start-up time to /readyz, idle and peak RSS, and an optional soak at half load.
  --history N: instead of the loads, N stored tasks and what they cost at rest: RSS, the summary,
      the lists, start-up after a restart, the database's size (bench/history.py)
  (e) the AI adapter, without the server: our CPU per non-streamed call through ai::AiService
      and each provider class, and RSS with 100 and 1,000 streamed calls at once, against a
      stand-in vendor (de-aibench; not in the default set: --only e)
  (h) CRM sync: 100,000 contacts pulled in one run from the HubSpot stand-in into a fresh
      database (de-crm-bench; time, RSS at a tenth and at the end; not in the default set: --only h)

With --peer n8n, load (a) also runs against n8n (bench/peers/n8n) at the same concurrency: with
its stock defaults, with its fairest settings (successful executions not saved), and fast but
saving every execution as we do. Prints a table and writes bench/results/<date>-<name>.json.
"""
import argparse
import datetime
import json
import os
import platform
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import history
import leads

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# DE_BENCH_BINARY: another build of the server (to compare two builds in alternating runs).
BINARY = os.environ.get("DE_BENCH_BINARY") or os.path.join(ROOT, "build/release/digital-enterprise")
LOADGEN = os.path.join(ROOT, "build/release/de-loadgen")
AIBENCH = os.path.join(ROOT, "build/release/de-aibench")
CRMBENCH = os.path.join(ROOT, "build/release/de-crm-bench")
HUBSPOT_STANDIN = os.path.join(ROOT, "tests/support/standins/hubspot_standin.py")
SERVER_LOADS = "abcdfg"  # the loads that start our server (e, the AI adapter, and h, CRM sync, run without it)
PASSWORD = "bench-password"
TICKS = os.sysconf("SC_CLK_TCK")

WORKFLOW = {
    "name": "bench: webhook -> echo -> condition -> response",
    "status": "active",
    "definition": {
        "trigger": {"type": "webhook", "respond_with_output": True},
        "steps": [
            {"id": "echo", "type": "task", "task_type": "echo", "input": {"v": "{{input.v}}"}},
            {"id": "check", "type": "condition", "depends_on": ["echo"], "expression": "steps.echo.output.v > 10"},
        ],
        "output": {"big": "{{steps.check.output.result}}"},
    },
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_json(method, url, body=None, token=None, timeout=30):
    request = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode())
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response)


class Process:
    """A server process we measure: CPU seconds from /proc/PID/stat, RSS from /proc/PID/status."""

    def __init__(self, pid):
        self.pid = pid

    def cpu_seconds(self):
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime

    def rss_mib(self, field="VmRSS"):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
        return 0.0


def wait_ready(url, process, timeout=60):
    """Milliseconds from now until `url` answers 200."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise SystemExit(f"bench: the server exited while starting (code {process.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return (time.monotonic() - started) * 1000
        except OSError:
            pass
        time.sleep(0.002)
    raise SystemExit(f"bench: {url} did not answer within {timeout} s")


def wait_webhook(url, process, timeout=120):
    """n8n answers /healthz seconds before it registers the workflow's webhook (404 until then)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise SystemExit(f"bench: the peer exited while starting (code {process.returncode})")
        request = urllib.request.Request(url, method="POST", data=b'{"v": 1}',
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                if b'"big"' in response.read():  # early answers may be empty
                    return (time.monotonic() - started) * 1000
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"bench: {url} did not answer within {timeout} s")


class Measured:
    """Runs one load while sampling the server's RSS; adds CPU use and peak RSS to its result.
    `settle`, when given, runs first (outside the measurement)."""

    def __init__(self, server, settle=None):
        self.server, self.settle = server, settle

    def __call__(self, load):
        if self.settle:
            self.settle()
        peak, stop = [self.server.rss_mib()], threading.Event()

        def sample():
            while not stop.wait(0.1):
                peak.append(self.server.rss_mib())

        sampler = threading.Thread(target=sample)
        sampler.start()
        cpu, started = self.server.cpu_seconds(), time.monotonic()
        try:
            result = load()
        finally:
            stop.set()
            sampler.join()
        wall = time.monotonic() - started
        result["server_cpu_percent"] = round(100 * (self.server.cpu_seconds() - cpu) / wall, 1)
        result["server_peak_rss_mib"] = round(max(peak), 1)
        return result


def loadgen(*args):
    seconds = int(args[args.index("--seconds") + 1]) if "--seconds" in args else 0
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([LOADGEN, *map(str, args)], capture_output=True, text=True, timeout=seconds + 600)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode == 2 or not out.stdout.strip():
        raise SystemExit(f"bench: de-loadgen {args[0]} failed: {out.stderr.strip()}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["checks_passed"] = out.returncode == 0
    result["client_cpu_seconds"] = round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 3)
    return result


def wrk(url, script, seconds, connections, token):
    env = dict(os.environ, DE_TOKEN=token)
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if script:
        command += ["-s", os.path.join(ROOT, "bench", script)]
    out = subprocess.run(command,
                         capture_output=True, text=True, env=env, timeout=seconds + 60).stdout

    def latency(label):
        m = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return None
        return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    total = re.search(r"(\d+) requests in", out)
    return {"requests_per_second": float(rps.group(1)) if rps else 0.0, "latency_ms_p50": latency("50%"),
            "latency_ms_p99": latency("99%"), "non_2xx": int(errors.group(1)) if errors else 0,
            "requests": int(total.group(1)) if total else 0}


class OurServer:
    """One node. `database_url` (default --database-url, else SQLite in `work`), `init=False` for
    a node joining a database another one made, `env` added (the secrets nodes share)."""

    def __init__(self, args, work, database_url=None, init=True, env=None):
        self.args, self.work = args, work
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.binary = BINARY
        db = database_url or args.database_url or f"sqlite:{work}/de.db"
        self.env = dict(os.environ, DE_DATABASE_URL=db, DE_DATA_DIR=work, DE_ADMIN_PASSWORD=PASSWORD,
                        DE_LOG_LEVEL="warn", DE_DEMO_DATA="1",
                        # Thousands of requests a second from one user: the limiter runs, never refuses.
                        DE_RATE_LIMIT_PER_MINUTE=os.environ.get("DE_RATE_LIMIT_PER_MINUTE", "1000000000"),
                        DE_WEBHOOK_RETRY_SCHEDULE="200ms,500ms,1s,2s,5s",  # (g): retries within the run
                        DE_OUTBOUND_ALLOW="127.0.0.1/32",  # (g): the receiver listens on loopback
                        **(env or {}))
        if init:
            subprocess.run([BINARY, "init"], env=self.env, check=True, capture_output=True)
        self.log = open(os.path.join(work, "server.log"), "w")
        self.process = subprocess.Popen(
            [BINARY, "serve", "--listen", f"127.0.0.1:{self.port}", "--threads", str(args.threads)],
            env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        self.startup_ms = wait_ready(self.url + "/readyz", self.process)
        self.proc = Process(self.process.pid)
        time.sleep(1)
        self.idle_rss_mib = self.proc.rss_mib()
        self.token = http_json("POST", self.url + "/api/v1/auth/login",
                               {"email": "admin@example.com", "password": PASSWORD})["access_token"]

    def wait_idle(self, timeout=600):
        """Lets the queue drain, so that one load's leftover tasks do not weigh on the next."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            by_status = http_json("GET", self.url + "/api/v1/analytics/summary", token=self.token)["tasks_by_status"]
            if not any(by_status.get(s) for s in ("pending", "queued", "running")):
                return
            time.sleep(0.5)
        raise SystemExit("bench: the task queue did not drain within 10 minutes")

    def login_args(self):
        return ["--url", self.url, "--email", "admin@example.com", "--password", PASSWORD]

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def webhook_load(url, path, connections, seconds, rate=0, expect=None):
    args = ["webhook", "--url", url, "--path", path, "--connections", connections, "--seconds", seconds]
    if rate:
        args += ["--rate", rate]
    if expect:
        args += ["--expect", expect]
    return loadgen(*args)


def run_ours(args, work, results):
    server = OurServer(args, work)
    measure = Measured(server.proc, server.wait_idle)
    c, s = args.connections, args.seconds
    summary = {"startup_ms": round(server.startup_ms, 1), "idle_rss_mib": round(server.idle_rss_mib, 1)}
    try:
        if "a" in args.only:
            hook = http_json("POST", server.url + "/api/v1/workflows", WORKFLOW, server.token)["webhook_url"]
            peak = measure(lambda: webhook_load(server.url, hook, c, s))
            results.append(row("a", "webhook workflow, peak", peak, "executions_per_second", "exec/s"))
            half = int(peak["executions_per_second"] / 2)
            results.append(row("a", f"webhook workflow at half peak ({half}/s)",
                               measure(lambda: webhook_load(server.url, hook, c, s, half)), "executions_per_second", "exec/s"))
            summary["webhook_path"] = hook
        if "b" in args.only:
            peak = measure(lambda: loadgen("throughput", *server.login_args(), "--connections", args.task_connections, "--seconds", s))
            results.append(row("b", f"tasks end to end, peak ({args.task_connections} connections)", peak,
                               "tasks_per_second", "tasks/s"))
            half = int(peak["tasks_per_second"] / 2)
            results.append(row("b", f"tasks end to end at half peak ({half}/s)",
                               measure(lambda: loadgen("throughput", *server.login_args(), "--connections", args.task_connections,
                                                       "--seconds", s, "--rate", half)), "tasks_per_second", "tasks/s"))
        if "c" in args.only:
            for label, path, script in (("GET /healthz (no auth: the HTTP layer)", "/healthz", None),
                                        ("GET /api/v1/agents (JWT)", "/api/v1/agents", "auth_get.lua"),
                                        ("POST /api/v1/tasks (JWT)", "/api/v1/tasks", "post_task.lua")):
                r = measure(lambda: wrk(server.url + path, script, s, 64, server.token))
                results.append(row("c", label, r, "requests_per_second", "req/s"))
        if "d" in args.only:
            r = measure(lambda: loadgen("fanout", *server.login_args(), "--clients", args.subscribers, "--tasks", args.fanout_tasks))
            results.append(row("d", f"fan-out to {args.subscribers} subscribers", r, "deliveries_per_second", "deliveries/s"))
        if "f" in args.only:
            results += lead_loads(server, measure)
        if "g" in args.only:
            results.append(row("g", "outbound webhook deliveries (1 subscription, 1% retried)",
                               webhook_deliveries(server, measure, args), "deliveries_per_second", "deliveries/s"))
        if args.soak:
            summary["soak"] = soak(server, args.soak, args.task_connections)
        summary["peak_rss_mib"] = round(server.proc.rss_mib("VmHWM"), 1)
    finally:
        server.stop()
    return summary


def run_cluster(args, work, results):
    """--nodes 1,2,3: for each count, a fresh database on the PostgreSQL of --database-url, that
    many nodes on it behind haproxy (tests/support/haproxy.py), then load (b) and authenticated
    GET /api/v1/agents through the balancer; with the CPU each part used (nodes, PostgreSQL,
    haproxy, the load generator: they share this machine) and what PostgreSQL did per task and
    per request (bench/cluster.py)."""
    import secrets

    import cluster
    from support.haproxy import HAProxy
    out = []
    for count in args.nodes:
        url, name = cluster.create_database(args.database_url, f"de_bench_{count}n")
        shared = {"DE_JWT_SECRET": secrets.token_hex(32), "DE_MASTER_KEY": secrets.token_hex(32)}
        nodes, balancer = [], None
        try:
            for i in range(count):
                folder = tempfile.mkdtemp(dir=work, prefix=f"{count}n-node{i + 1}-")
                nodes.append(OurServer(args, folder, database_url=url, init=i == 0, env=shared))
            balancer = HAProxy([n.port for n in nodes]).start()
            pg = cluster.Postgres(url)
            login = ["--url", balancer.url, "--email", "admin@example.com", "--password", PASSWORD]
            entry = {"nodes": count, "pg_stat_statements": pg.statements}
            label = f"{count} node{'s' if count > 1 else ''} behind haproxy"

            def tasks_load():
                return loadgen("throughput", *login, "--connections", args.task_connections, "--seconds", args.seconds)

            r = cluster_measure(nodes, balancer, pg, tasks_load, lambda r: r["completed"], nodes[0].wait_idle)
            results.append(row("b", f"{label}: tasks end to end", r, "tasks_per_second", "tasks/s"))
            entry["tasks"] = r

            def reads_load():
                return wrk(balancer.url + "/api/v1/agents", "auth_get.lua", args.seconds, 64, nodes[0].token)

            r = cluster_measure(nodes, balancer, pg, reads_load, lambda r: r["requests"], lambda: None)
            results.append(row("c", f"{label}: GET /api/v1/agents (JWT)", r, "requests_per_second", "req/s"))
            entry["reads"] = r
            entry["haproxy"] = balancer.stats()
            out.append(entry)
        finally:
            if balancer:
                balancer.stop()
            for node in nodes:
                node.stop()
            cluster.drop_database(args.database_url, name)
    return {"cluster": out}


def cluster_measure(nodes, balancer, pg, load, units, drain):
    """Runs `load` and measures it: CPU of each part over the load (percent of one core; the
    machine's busy share of all its cores), then, once drained and PostgreSQL's counters are
    published, what PostgreSQL did per unit (`units(result)`: tasks completed, requests)."""
    import cluster
    procs = [n.proc for n in nodes]
    haproxy = Process(balancer.process.pid)
    before = pg.reading()
    cpu = [p.cpu_seconds() for p in procs], haproxy.cpu_seconds(), pg.cpu_seconds(), cluster.machine_busy_seconds()
    started = time.monotonic()
    with cluster.WaitSampler(pg.url) as waits:
        result = load()
    wall = time.monotonic() - started
    nodes_cpu = sum(p.cpu_seconds() for p in procs) - sum(cpu[0])
    haproxy_cpu = haproxy.cpu_seconds() - cpu[1]
    pg_cpu = pg.cpu_seconds() - cpu[2]
    busy, total = cluster.machine_busy_seconds()
    drain()
    cluster.settle(started + wall)
    after = pg.reading()
    done = units(result)
    result["server_cpu_percent"] = round(100 * nodes_cpu / wall, 1)
    result["server_peak_rss_mib"] = round(max(p.rss_mib("VmHWM") for p in procs), 1)
    result["cpu_percent"] = {"nodes": round(100 * nodes_cpu / wall, 1), "postgres": round(100 * pg_cpu / wall, 1),
                             "haproxy": round(100 * haproxy_cpu / wall, 1),
                             "load_generator": round(100 * result.get("client_cpu_seconds", 0) / wall, 1),
                             "machine_busy_of_all_cores": round(100 * (busy - cpu[3][0]) / max(total - cpu[3][1], 1e-9), 1)}
    result["cpu_us_per_unit"] = {"nodes": round(1e6 * nodes_cpu / max(done, 1), 1),
                                 "postgres": round(1e6 * pg_cpu / max(done, 1), 1),
                                 "haproxy": round(1e6 * haproxy_cpu / max(done, 1), 1)}
    result["postgres"] = cluster.difference(before, after, done)
    result["postgres"]["waits"] = waits.result()
    result["units"] = done
    return result


def print_cluster(summary):
    rows_ = summary.get("cluster")
    if not rows_:
        return
    print("\nnodes on one PostgreSQL behind haproxy (all on this machine: CPU % is of one core)")
    print(f"{'nodes':>5} {'tasks/s':>8} {'p99 ms':>7} {'GET req/s':>9} {'p99 ms':>7} | (b) CPU %: {'nodes':>5} "
          f"{'PG':>4} {'proxy':>5} {'loadgen':>7} {'busy':>5} | per task: {'WAL B':>6} {'writes':>6} {'commits':>7} "
          f"{'ins':>5} {'upd':>5} {'flush':>5} {'PG us':>6}")
    for e in rows_:
        t, g = e["tasks"], e["reads"]
        c, p = t["cpu_percent"], t["postgres"]["per_unit"]
        print(f"{e['nodes']:>5} {t['tasks_per_second']:>8,.0f} {fmt(t['latency_ms_p99']):>7} "
              f"{g['requests_per_second']:>9,.0f} {fmt(g['latency_ms_p99']):>7} |            {c['nodes']:>5.0f} "
              f"{c['postgres']:>4.0f} {c['haproxy']:>5.0f} {c['load_generator']:>7.0f} {c['machine_busy_of_all_cores']:>5.0f} |"
              f"           {p['wal_bytes']:>6,.0f} {t['postgres']['writes_per_unit']:>6.2f} {p['commits']:>7.3f} "
              f"{p['rows_inserted']:>5.2f} {p['rows_updated']:>5.2f} {p['wal_flushes']:>5.3f} "
              f"{t['cpu_us_per_unit']['postgres']:>6.0f}")
    print("(commits count read-only transactions too; writes: INSERT/UPDATE/DELETE statements (pg_stat_statements); "
          "flush: WAL fsyncs; PG us: PostgreSQL CPU per task; busy: the machine's, of all cores)")
    for e in rows_:
        for what in ("tasks", "reads"):
            w = e[what]["postgres"]["waits"]["active_backends"]
            flush = e[what]["postgres"].get("wal_flush_ms_average")
            print(f"{e['nodes']} node(s), {'(b)' if what == 'tasks' else 'GET'}: PostgreSQL backends active on average: "
                  + ", ".join(f"{k} {v}" for k, v in w.items())
                  + (f"; a WAL flush took {flush} ms on average" if flush else ""))


def webhook_deliveries(server, measure, args):
    receiver = subprocess.Popen([LOADGEN, "receiver", "--fail-every", "100"], stdout=subprocess.PIPE, text=True)
    try:
        stats_url = f"http://127.0.0.1:{int(receiver.stdout.readline())}/__stats"
        subscription = http_json("POST", server.url + "/api/v1/webhook-subscriptions",
                                 {"url": stats_url.replace("__stats", "hook"), "topics": ["tasks.*"], "status": "paused",
                                  "description": "bench (g)"}, server.token)
        backlog = loadgen("throughput", *server.login_args(), "--connections", args.task_connections, "--seconds", 5)
        server.wait_idle()
        expected = 3 * backlog["completed"]  # created, running, completed: at least

        def drain():
            start = http_json("GET", stats_url)["now_ms"]
            http_json("PATCH", f"{server.url}/api/v1/webhook-subscriptions/{subscription['id']}", {"status": "active"},
                      server.token)
            deadline, stats = time.monotonic() + 600, {}
            while time.monotonic() < deadline:
                time.sleep(0.5)
                stats = http_json("GET", stats_url)
                retrying = http_json("GET", f"{server.url}/api/v1/webhook-subscriptions/{subscription['id']}",
                                     token=server.token)["retrying"]
                if stats["distinct"] >= expected and not retrying and stats["failed_then_delivered"] == stats["failed"]:
                    break
            seconds = max(stats["last_distinct_ms"] - start, 1) / 1000
            return {"delivered": stats["distinct"], "events_expected_at_least": expected, "attempts": stats["received"],
                    "failed_first_attempts": stats["failed"], "failed_then_delivered": stats["failed_then_delivered"],
                    "seconds": round(seconds, 2), "deliveries_per_second": stats["distinct"] / seconds,
                    "checks_passed": stats["distinct"] >= expected and stats["failed_then_delivered"] == stats["failed"]}

        return measure(drain)
    finally:
        receiver.terminate()
        receiver.wait(10)


def lead_loads(server, measure):
    if not os.path.exists(leads.BANK_FULL):
        print(f"bench: load (f) skipped: {leads.BANK_FULL} is missing", file=sys.stderr)
        return []
    header, rows, delimiter = leads.read_csv(leads.BANK_FULL)
    figures = {}

    def run():
        result, _, _ = leads.train_and_score(server.url, server.token, header, rows, rows, "y", "yes", delimiter,
                                             {"duration"})
        result.pop("model")
        figures.update(result)
        return result

    measured = measure(run)
    return [row("f", f"lead model trained on {len(rows):,} leads (s)", measured, "train_seconds", "s"),
            row("f", "leads scored, no explanations", measured, "scored_per_second", "leads/s"),
            row("f", "leads scored with their factors", measured, "scored_per_second_explained", "leads/s")]


def soak(server, seconds, connections):
    """Half the peak task rate for `seconds`, RSS sampled every 10 s: flat means no leak."""
    peak = loadgen("throughput", *server.login_args(), "--connections", connections, "--seconds", 5)["tasks_per_second"]
    samples, stop = [], threading.Event()

    def sample():
        started = time.monotonic()
        while not stop.wait(10):
            samples.append([round(time.monotonic() - started), round(server.proc.rss_mib(), 1)])

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        result = loadgen("throughput", *server.login_args(), "--connections", connections, "--seconds", seconds,
                         "--rate", int(peak / 2))
    finally:
        stop.set()
        sampler.join()
    tail = [rss for _, rss in samples[len(samples) // 2:]] or [0]
    return {"seconds": seconds, "rate": int(peak / 2), "tasks_completed": result["completed"],
            "rss_mib_samples": samples, "rss_growth_second_half_mib": round(max(tail) - min(tail), 1)}


def aibench(*args):
    out = subprocess.run([AIBENCH, *map(str, args)], capture_output=True, text=True, timeout=900)
    if out.returncode == 2 or not out.stdout.strip():
        raise SystemExit(f"bench: de-aibench {args[0]} failed: {out.stderr.strip()}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["checks_passed"] = out.returncode == 0
    return result


def run_ai(args):
    """Load (e): de-aibench's client modes against its stand-in, a process of its own (one thread,
    canned answers; streams of 200 text events 25 ms apart). The stand-in's CPU is reported too,
    to show it is not what limits."""
    standin = subprocess.Popen([AIBENCH, "standin", "--chunks", "200", "--gap-ms", "25"], stdout=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{int(standin.stdout.readline())}"
        peer = Process(standin.pid)
        cpu = peer.cpu_seconds()
        calls = aibench("calls", "--url", url, "--calls", args.ai_calls)
        answered = sum(c["calls"] for c in calls["cases"])
        calls["standin_cpu_us_per_call"] = round(1e6 * (peer.cpu_seconds() - cpu) / answered, 1)
        streams = aibench("streams", "--url", url, "--counts", args.ai_streams)
    finally:
        standin.terminate()
        standin.wait(timeout=30)
    return {"calls": calls, "streams": streams}


def run_crm(args, work):
    """Load (h): de-crm-bench against the HubSpot stand-in seeded with --crm-records contacts."""
    standin = subprocess.Popen([sys.executable, HUBSPOT_STANDIN], stdout=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{int(standin.stdout.readline())}"
        http_json("POST", url + "/__seed", {"type": "contacts", "count": args.crm_records, "prefix": "bench"})
        database = args.database_url or "sqlite:" + os.path.join(work, "crm.db")
        out = subprocess.run([CRMBENCH, "--url", url, "--database", database, "--records", str(args.crm_records)],
                             capture_output=True, text=True, timeout=900)
        if not out.stdout.strip():
            raise SystemExit(f"bench: de-crm-bench failed: {out.stderr.strip()}")
        result = json.loads(out.stdout.strip().splitlines()[-1])
        result["checks_passed"] = out.returncode == 0
        print(f"(h) CRM sync: {result['records']} records in {result['seconds']:.1f} s "
              f"({result['records_per_s']:.0f}/s), RSS {result['rss_mib_at_10pct']:.1f} MiB at a tenth, "
              f"peak {result['peak_rss_mib']:.1f} MiB", flush=True)
        return result
    finally:
        standin.terminate()
        standin.wait(timeout=30)


def run_n8n(args, work):
    """Load (a) against n8n, with its fairest settings and saving every execution."""
    peer = os.path.join(ROOT, "bench/peers/n8n")
    subprocess.run(["bash", os.path.join(peer, "install.sh")], check=True)
    out = []
    settings = (
        ("stock defaults (vm expressions, one SQLite connection, executions saved)",
         {"N8N_EXPRESSION_ENGINE": "vm", "DB_SQLITE_POOL_SIZE": "0", "DE_N8N_SAVE": "all"}),
        ("fairest (legacy expressions, pool of 4, successes not saved)",
         {"N8N_EXPRESSION_ENGINE": "legacy", "DB_SQLITE_POOL_SIZE": "4", "DE_N8N_SAVE": "none"}),
        ("fast and durable like ours (legacy expressions, pool of 4, every execution saved)",
         {"N8N_EXPRESSION_ENGINE": "legacy", "DB_SQLITE_POOL_SIZE": "4", "DE_N8N_SAVE": "all"}),
    )
    for setting, env in settings:
        folder = tempfile.mkdtemp(dir=work, prefix="n8n-")
        port = free_port()
        log = open(os.path.join(folder, "n8n.log"), "w")
        process = subprocess.Popen(["bash", os.path.join(peer, "start.sh"), str(port), folder],
                                   env=dict(os.environ, **env), stdout=log, stderr=subprocess.STDOUT)
        try:
            startup = wait_ready(f"http://127.0.0.1:{port}/healthz", process, timeout=180)
            webhook_ms = wait_webhook(f"http://127.0.0.1:{port}/webhook/de-bench", process)
            proc = Process(process.pid)
            idle = proc.rss_mib()
            r = Measured(proc)(lambda: webhook_load(f"http://127.0.0.1:{port}", "/webhook/de-bench",
                                                    args.connections, args.seconds, expect='"big"'))
            r.update(setting=setting, startup_ms=round(startup, 1), webhook_ready_ms=round(startup + webhook_ms, 1),
                     idle_rss_mib=round(idle, 1))
            out.append(r)
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
            log.close()
    return out


def row(load, label, result, key, unit):
    return {"load": load, "label": label, "throughput": round(result.get(key, 0), 1), "unit": unit, **result}


def fmt(v, digits=1):
    return "-" if v is None else f"{v:,.{digits}f}"


def print_ai(ai):
    print(f"\n(e) AI adapter, non-streamed calls one at a time on one thread (stand-in: "
          f"{ai['calls']['standin_cpu_us_per_call']} us of its own CPU per call)")
    print(f"{'provider':<10} {'through':<38} {'our CPU us/call':>15} {'user':>6} {'system':>6} {'wall us':>8} ok")
    for c in ai["calls"]["cases"]:
        print(f"{c['provider']:<10} {c['through']:<38} {c['cpu_us_per_call']:>15.1f} {c['user_us_per_call']:>6.1f} "
              f"{c['system_us_per_call']:>6.1f} {c['wall_us_per_call']:>8.1f} {'yes' if not c['failures'] else 'NO'}")
    print("\n(e) AI adapter, streamed calls at once (200 events each), RSS in MiB")
    print(f"{'streams':>7} {'before':>7} {'all streaming':>13} {'peak':>7} {'after':>7} {'seconds':>7} {'CPU us/event':>12} ok")
    for r in ai["streams"]["rounds"]:
        print(f"{r['streams']:>7} {r['rss_mib_before']:>7.1f} {r['rss_mib_all_streaming']:>13.1f} {r['rss_mib_peak']:>7.1f} "
              f"{r['rss_mib_after']:>7.1f} {r['seconds']:>7.1f} {r['cpu_us_per_token']:>12.1f} {'yes' if not r['failures'] else 'NO'}")


def print_table(results, summary, peers):
    if "ai" in summary:
        print_ai(summary["ai"])
    if "startup_ms" not in summary:
        return
    print(f"\n{'load':<4} {'what':<44} {'throughput':>16} {'p50 ms':>8} {'p99 ms':>8} {'CPU %':>6} {'RSS MiB':>8} ok")
    for r in results:
        ok = r.get("checks_passed", True) and not r.get("non_2xx") and not r.get("errors") and not r.get("http_errors")
        print(f"{r['load']:<4} {r['label']:<44} {fmt(r['throughput'], 0):>9} {r['unit']:<6} "
              f"{fmt(r.get('latency_ms_p50')):>8} {fmt(r.get('latency_ms_p99')):>8} "
              f"{fmt(r['server_cpu_percent'], 0):>6} {fmt(r['server_peak_rss_mib']):>8} {'yes' if ok else 'NO'}")
    print(f"\nstart-up to /readyz {summary['startup_ms']} ms; idle RSS {summary['idle_rss_mib']} MiB; "
          f"peak RSS {summary.get('peak_rss_mib')} MiB")
    tasks = next((r for r in results if r["load"] == "b" and "half" not in r["label"]), None)
    if tasks and tasks.get("completed"):
        # The same client code in every run: its cost per task tells how fast the machine was.
        print(f"load generator CPU per task at (b)'s peak: {1e6 * tasks['client_cpu_seconds'] / tasks['completed']:.1f} us "
              f"(a gauge of this machine's speed at the time)")
    if "soak" in summary:
        s = summary["soak"]
        print(f"soak: {s['seconds']} s at {s['rate']} tasks/s, {s['tasks_completed']} tasks; "
              f"RSS growth over the second half {s['rss_growth_second_half_mib']} MiB")
    ours = next((r for r in results if r["load"] == "a" and "peak" in r["label"] and "half" not in r["label"]), None)
    for p in peers:
        print(f"\nn8n ({p['setting']}): {fmt(p['executions_per_second'])} exec/s, p50 {fmt(p['latency_ms_p50'])} ms, "
              f"p99 {fmt(p['latency_ms_p99'])} ms, CPU {fmt(p['server_cpu_percent'], 0)} %, peak RSS "
              f"{fmt(p['server_peak_rss_mib'])} MiB, start-up {p['startup_ms']} ms to /healthz and "
              f"{p['webhook_ready_ms']} ms to a working webhook, errors {p['errors']}")
        if ours and p["executions_per_second"] > 0:
            print(f"  ours / n8n: throughput x{ours['executions_per_second'] / p['executions_per_second']:,.1f}, "
                  f"p99 {fmt(ours['latency_ms_p99'], 2)} ms vs {fmt(p['latency_ms_p99'], 2)} ms, peak RSS "
                  f"{fmt(ours['server_peak_rss_mib'])} vs {fmt(p['server_peak_rss_mib'])} MiB")


def machine():
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"cores": os.cpu_count(), "cpu": model, "kernel": platform.release(),
            "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", help="postgres://... (script/bench --db postgres sets it); default SQLite")
    p.add_argument("--peer", choices=["n8n"], help="also run load (a) against this product")
    p.add_argument("--seconds", type=int, default=10, help="length of each load (default 10)")
    p.add_argument("--connections", type=int, default=32, help="concurrent connections for load (a) (default 32)")
    p.add_argument("--task-connections", type=int, default=192,
                   help="concurrent submitters for load (b) and the soak (default 192: the fewest that saturate "
                        "the server, docs/performance.md)")
    p.add_argument("--threads", type=int, default=2, help="server threads (default 2)")
    p.add_argument("--only", default="abcdfg", help="which loads, e.g. ac (default abcdfg; e, the AI adapter, and h, CRM sync, only when named)")
    p.add_argument("--subscribers", type=int, default=1000, help="WebSocket subscribers for load (d)")
    p.add_argument("--fanout-tasks", type=int, default=2000,
                   help="tasks whose events load (d) delivers (at least 1000, so that a stalled subscriber overflows)")
    p.add_argument("--soak", type=int, default=0, help="seconds of half load watching RSS (e.g. 600); 0 skips")
    p.add_argument("--ai-calls", type=int, default=20000, help="(e): non-streamed calls per case (default 20000)")
    p.add_argument("--ai-streams", default="100,1000,1000",
                   help="(e): rounds of streamed calls at once (default 100,1000,1000)")
    p.add_argument("--crm-records", type=int, default=100000, help="(h): contacts to sync (default 100000)")
    p.add_argument("--history", type=int, default=0,
                   help="instead of the loads: store this many tasks, then measure RSS, the summary, the lists and "
                        "start-up after a restart (e.g. 1000000)")
    p.add_argument("--nodes", help="e.g. 1,2,3: instead of the loads above, (b) and GET /api/v1/agents through haproxy "
                                   "on that many nodes sharing the PostgreSQL of --database-url, with PostgreSQL's work "
                                   "per task (script/bench --nodes starts a PostgreSQL)")
    p.add_argument("--name", help="results go to bench/results/<date>-<name>.json (default: the database)")
    args = p.parse_args()
    if args.nodes:
        try:
            args.nodes = [int(n) for n in args.nodes.split(",")]
        except ValueError:
            raise SystemExit("bench: --nodes takes counts such as 1,2,3")
        if not all(1 <= n <= 8 for n in args.nodes):
            raise SystemExit("bench: --nodes: 1 to 8 nodes")
        if not args.database_url:
            raise SystemExit("bench: --nodes needs --database-url (script/bench --nodes starts a PostgreSQL)")
        if not shutil.which("haproxy"):
            raise SystemExit("bench: haproxy is missing (script/bootstrap installs it)")
        args.only = "bc"
    if not shutil.which("wrk") and "c" in args.only:
        raise SystemExit("bench: wrk is missing (script/bootstrap installs it)")
    if args.fanout_tasks < 1000:
        raise SystemExit("bench: --fanout-tasks must be at least 1000")
    if not 1 <= args.task_connections <= 1024 or not 1 <= args.connections <= 1024:
        raise SystemExit("bench: --connections and --task-connections must be between 1 and 1024")
    if args.seconds < 1 or args.seconds > 120:
        raise SystemExit("bench: --seconds must be between 1 and 120")

    work = tempfile.mkdtemp(prefix="de-bench.")
    results, peers = [], []
    if args.history:
        return main_history(args, work)
    try:
        server = (f"; database: {'PostgreSQL' if args.database_url else 'SQLite'}; {args.threads} server threads; "
                  f"{args.seconds} s per load" if set(args.only) & set(SERVER_LOADS) else "")
        print(f"machine: {machine()}{server}", flush=True)
        if args.nodes:
            summary = run_cluster(args, work, results)
        else:
            summary = run_ours(args, work, results) if set(args.only) & set(SERVER_LOADS) else {}
        if "e" in args.only:
            summary["ai"] = run_ai(args)
        if "h" in args.only:
            summary["crm_sync"] = run_crm(args, work)
        if args.peer == "n8n":
            peers = run_n8n(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print_table(results, summary, peers)
    print_cluster(summary)
    os.makedirs(os.path.join(ROOT, "bench/results"), exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc)
    database = "postgres" if args.database_url else "sqlite"
    name = args.name or ("ai" if args.only == "e" else f"nodes-{'-'.join(map(str, args.nodes))}" if args.nodes else database)
    path = os.path.join(ROOT, "bench/results", f"{stamp:%Y-%m-%d}-{name}.json")
    with open(path, "w") as f:
        json.dump({"date": stamp.isoformat(timespec="seconds"), "machine": machine(), "command": sys.argv,
                   "database": database, "threads": args.threads, "nodes": args.nodes,
                   "seconds": args.seconds, "connections": args.connections,
                   "task_connections": args.task_connections, "summary": summary,
                   "results": results, "peers": {"n8n": peers} if peers else {}}, f, indent=2)
    print(f"\nresults: {os.path.relpath(path, ROOT)}")
    failed = [r["label"] for r in results if not r.get("checks_passed", True)]
    failed += [f"(e) {mode}" for mode, r in summary.get("ai", {}).items() if not r["checks_passed"]]
    failed += ["(h) CRM sync"] if not summary.get("crm_sync", {}).get("checks_passed", True) else []
    if failed:
        raise SystemExit(f"bench: checks failed in: {', '.join(failed)}")


def main_history(args, work):
    def login(url):
        return http_json("POST", url + "/api/v1/auth/login", {"email": "admin@example.com", "password": PASSWORD})["access_token"]

    print(f"machine: {machine()}; database: {'PostgreSQL' if args.database_url else 'SQLite'}", flush=True)
    try:
        result = history.run_history(args, work, OurServer, Process, wait_ready, login)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    history.print_history(result)
    os.makedirs(os.path.join(ROOT, "bench/results"), exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc)
    database = "postgres" if args.database_url else "sqlite"
    name = args.name or f"history-{args.history}-{database}"
    path = os.path.join(ROOT, "bench/results", f"{stamp:%Y-%m-%d}-{name}.json")
    with open(path, "w") as f:
        json.dump({"date": stamp.isoformat(timespec="seconds"), "machine": machine(), "command": sys.argv,
                   "database": database, "threads": args.threads, "history": result}, f, indent=2)
    print(f"\nresults: {os.path.relpath(path, ROOT)}")


if __name__ == "__main__":
    main()
