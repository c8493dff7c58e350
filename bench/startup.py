#!/usr/bin/env python3
"""Start-up of two or more builds, compared on one database: each build's `serve` is started and
stopped in turn (rounds of --per-round starts, the builds alternating, so that a machine
getting busier or quieter weighs on all of them alike). Per build: the time from the spawn to
the first 200 of /healthz, and the server's own count (`startup_ms` of its "listening" line),
as median, mean and range. The database must exist (run `init` on it first); nothing is written
to it beyond what a start writes.

    python3 bench/startup.py --database-url postgres://... --rounds 10 --per-round 5 OLD NEW
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import free_port  # noqa: E402


def one_start(binary, database_url, work):
    port = free_port()
    log_path = os.path.join(work, "server.log")
    env = dict(os.environ, DE_DATABASE_URL=database_url, DE_DATA_DIR=work)
    with open(log_path, "w") as log:
        spawned = time.monotonic()
        process = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{port}"], env=env,
                                   stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        try:
            while True:
                if process.poll() is not None:
                    raise SystemExit(f"startup: {binary} exited while starting (see {log_path})")
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() - spawned > 30:
                    raise SystemExit(f"startup: {binary} did not answer /healthz within 30 s")
                time.sleep(0.002)
            to_healthz = (time.monotonic() - spawned) * 1000
        finally:
            process.terminate()
            process.wait(10)
    in_process = None
    with open(log_path) as log:
        for line in log:
            if '"listening"' in line:
                in_process = json.loads(line).get("startup_ms")
    return to_healthz, in_process


def summary(values):
    return (f"median {statistics.median(values):.1f}, mean {statistics.mean(values):.1f}, "
            f"{min(values):.1f}-{max(values):.1f}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", required=True, help="sqlite:/path or postgres://... (already initialised)")
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--per-round", type=int, default=5)
    p.add_argument("binaries", nargs="+")
    args = p.parse_args()
    results = {b: ([], []) for b in args.binaries}
    with tempfile.TemporaryDirectory(prefix="de-startup-") as work:
        for _ in range(args.rounds):
            for binary in args.binaries:
                for _ in range(args.per_round):
                    to_healthz, in_process = one_start(binary, args.database_url, work)
                    results[binary][0].append(to_healthz)
                    if in_process is not None:
                        results[binary][1].append(in_process)
    for binary, (spawn, own) in results.items():
        print(f"{binary}: {len(spawn)} starts; spawn to /healthz {summary(spawn)} ms; "
              f"in process {summary(own) if own else 'not logged'} ms")


if __name__ == "__main__":
    main()
