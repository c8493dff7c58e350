#!/usr/bin/env python3
"""Soak: a mixed load at half the measured capacity for a long time, watching the server for leaks.

Starts the real server (SQLite in a temporary data directory, or --database-url), measures the
peak of two loads alone for a few seconds each: (a) webhook -> echo task -> condition -> response
and (b) task submitted over HTTP -> completed event over WebSocket. Then runs both at once, each
at a quarter of its own peak (half the capacity in all), plus a reader that lists tasks, leads
and the analytics summary twice a second, for --seconds. Every --every seconds it samples the
server's RSS (/proc/PID/status VmRSS) and open file descriptors (/proc/PID/fd).

Writes the samples to a CSV (--csv) and prints a verdict as the last line, in JSON:
  flat: after --warmup seconds, the mean RSS of the last third is at most --tolerance percent above
        the mean of the first third (a fall is memory given back, not a leak; it is reported too);
  fds bounded: the most descriptors seen after warm-up is at most --fd-slack above the most seen
        in the first third (connections come and go; a leak climbs without end).
Exit status 0 when both hold, 1 when not, 2 when the run itself failed.

  script/soak --seconds 3600 --csv bench/results/soak.csv
"""
import argparse
import csv
import json
import os
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (the benchmark's server, load generator and measures)


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def reader(server, stop, counts):
    """Light reads beside the writes: the lists a dashboard polls."""
    paths = ("/api/v1/tasks?limit=50", "/api/v1/leads?limit=50", "/api/v1/analytics/summary")
    while not stop.wait(0.5):
        for path in paths:
            try:
                run.http_json("GET", server.url + path, token=server.token)
                counts["ok"] += 1
            except (OSError, ValueError):
                counts["failed"] += 1


def verdict(samples, warmup, tolerance, fd_slack):
    settled = [s for s in samples if s["seconds"] >= warmup]
    if len(settled) < 3:
        return {"flat": False, "fds_bounded": False, "reason": "fewer than 3 samples after warm-up"}
    third = len(settled) // 3
    first, last = settled[:third], settled[-third:]
    first_rss = statistics.mean(s["rss_mib"] for s in first)
    last_rss = statistics.mean(s["rss_mib"] for s in last)
    growth = 100 * (last_rss - first_rss) / first_rss
    first_fds = max(s["fds"] for s in first)
    most_fds = max(s["fds"] for s in settled)
    return {"rss_mib_first_third": round(first_rss, 1), "rss_mib_last_third": round(last_rss, 1),
            "rss_growth_percent": round(growth, 2), "flat": growth <= tolerance,
            "fds_first_third_max": first_fds, "fds_max": most_fds, "fds_bounded": most_fds <= first_fds + fd_slack}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=int, default=300, help="length of the soak (default 300)")
    p.add_argument("--every", type=int, default=10, help="seconds between samples (default 10)")
    p.add_argument("--warmup", type=int, default=60, help="seconds of samples the verdict ignores (default 60)")
    p.add_argument("--tolerance", type=float, default=10.0,
                   help="percent the last third's mean RSS may differ from the first third's (default 10)")
    p.add_argument("--fd-slack", type=int, default=64,
                   help="descriptors the most seen may exceed the first third's most (default 64)")
    p.add_argument("--csv", default=os.path.join(run.ROOT, "bench/results/soak.csv"), help="where the samples go")
    p.add_argument("--database-url", help="postgres://...; default SQLite in a temporary directory")
    p.add_argument("--threads", type=int, default=2, help="server threads (default 2)")
    p.add_argument("--connections", type=int, default=32, help="connections of each load (default 32)")
    args = p.parse_args()
    if args.seconds < 3 * args.every or args.every < 1:
        raise SystemExit("soak: --seconds must cover at least three samples")

    work = tempfile.mkdtemp(prefix="de-soak.")
    # Tokens that outlive the run: the loads log in once (an expired token would end them at 15 min).
    server = run.OurServer(args, work, env={"DE_ACCESS_TOKEN_TTL": str(args.seconds + 3600)})
    try:
        hook = run.http_json("POST", server.url + "/api/v1/workflows", run.WORKFLOW, server.token)["webhook_url"]
        webhook_peak = run.webhook_load(server.url, hook, args.connections, 5)["executions_per_second"]
        server.wait_idle()
        task_peak = run.loadgen("throughput", *server.login_args(), "--connections", args.connections,
                                "--seconds", 5)["tasks_per_second"]
        server.wait_idle()
        webhook_rate, task_rate = max(1, int(webhook_peak / 4)), max(1, int(task_peak / 4))
        print(f"soak: peaks {webhook_peak:.0f} webhook exec/s and {task_peak:.0f} tasks/s alone; "
              f"running {webhook_rate}/s and {task_rate}/s together for {args.seconds} s", file=sys.stderr)

        loads, stop, reads = {}, threading.Event(), {"ok": 0, "failed": 0}

        def in_thread(name, load):
            def body():
                try:
                    loads[name] = load()
                except BaseException as failure:  # SystemExit from run.loadgen included
                    loads[name] = {"error": str(failure)}
            thread = threading.Thread(target=body)
            thread.start()
            return thread

        threads = [
            in_thread("webhook", lambda: run.webhook_load(server.url, hook, args.connections, args.seconds, webhook_rate)),
            in_thread("tasks", lambda: run.loadgen("throughput", *server.login_args(), "--connections", args.connections,
                                                   "--seconds", args.seconds, "--rate", task_rate)),
        ]
        reading = threading.Thread(target=reader, args=(server, stop, reads))
        reading.start()
        samples, started = [], time.monotonic()
        os.makedirs(os.path.dirname(os.path.abspath(args.csv)), exist_ok=True)
        with open(args.csv, "w", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=["seconds", "rss_mib", "fds", "cpu_seconds"])
            writer.writeheader()
            while any(t.is_alive() for t in threads):
                time.sleep(args.every - (time.monotonic() - started) % args.every)
                if server.process.poll() is not None:
                    raise SystemExit(f"soak: the server exited (code {server.process.returncode})")
                sample = {"seconds": round(time.monotonic() - started), "rss_mib": round(server.proc.rss_mib(), 1),
                          "fds": open_fds(server.process.pid), "cpu_seconds": round(server.proc.cpu_seconds(), 1)}
                samples.append(sample)
                writer.writerow(sample)
                out.flush()
        stop.set()
        reading.join()
        for t in threads:
            t.join()
        if any("error" in result for result in loads.values()):
            raise SystemExit(f"soak: a load failed: {loads}")
        result = verdict(samples, args.warmup, args.tolerance, args.fd_slack)
        result.update({"seconds": args.seconds, "webhook_rate": webhook_rate, "task_rate": task_rate,
                       "webhook_executions": loads["webhook"].get("executions"),
                       "tasks_completed": loads["tasks"].get("completed"), "reads": reads,
                       "load_checks_passed": all(r.get("checks_passed") for r in loads.values()),
                       "peak_rss_mib": round(server.proc.rss_mib("VmHWM"), 1), "csv": args.csv,
                       "load_average": os.getloadavg()})
    finally:
        server.stop()
    print(json.dumps(result))
    return 0 if result["flat"] and result["fds_bounded"] else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SystemExit as failure:
        if isinstance(failure.code, str):
            print(failure.code, file=sys.stderr)
            sys.exit(2)
        raise
