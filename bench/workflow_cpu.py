#!/usr/bin/env python3
"""PostgreSQL's CPU per workflow execution in load (a): starts the server on DATABASE_URL (a fresh
database), warms up for 2 s, then runs the webhook load for 8 s and prints executions per second
with the CPU time of the postmaster and all its children (every backend) and of the server, per
execution. DE_BENCH_BINARY selects another build, so two builds can be compared in alternating
runs (docs/performance.md, PostgreSQL).
Usage: python3 bench/workflow_cpu.py postgres://...  (run from the repository's root)"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster  # noqa: E402
import run  # noqa: E402


def main(url):
    options = type("Options", (), {"database_url": url, "threads": 2})()
    with tempfile.TemporaryDirectory() as work:
        server = run.OurServer(options, work)
        try:
            postgres = cluster.Postgres(url)
            hook = run.http_json("POST", server.url + "/api/v1/workflows", run.WORKFLOW, server.token)["webhook_url"]
            run.webhook_load(server.url, hook, 32, 2)
            server.wait_idle()
            pg, ours = postgres.cpu_seconds(), server.proc.cpu_seconds()
            result = run.webhook_load(server.url, hook, 32, 8)
            n = result["executions"]
            print(f"{result['executions_per_second']:,.0f} exec/s; CPU per execution: PostgreSQL "
                  f"{(postgres.cpu_seconds() - pg) / n * 1e6:.0f} us, server {(server.proc.cpu_seconds() - ours) / n * 1e6:.0f} us")
        finally:
            server.stop()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
