"""A real Prometheus (Debian's `prometheus` package) on loopback, scraping test servers.

    with Prometheus(["127.0.0.1:8080"], rule_files=[ALERTS]) as prom:
        prom.wait_for("up", lambda rows: rows and rows[0]["value"][1] == "1")
        prom.metric_names()

Its configuration and TSDB live in a temporary directory, removed on stop(); it scrapes every
second. Every wait is bounded: a failure says what Prometheus answered last.
"""
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

from support.server import free_port, terminate

JOB = "digital-enterprise"


class Prometheus:
    def __init__(self, targets, rule_files=(), job=JOB, scrape_interval="1s"):
        self.targets = list(targets)
        self.rule_files = [os.path.abspath(f) for f in rule_files]
        self.job = job
        self.scrape_interval = scrape_interval
        self.dir = None
        self.process = None
        self.url = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def start(self, timeout=30):
        self.dir = tempfile.mkdtemp(prefix="de-prometheus-")
        config = {
            "global": {"scrape_interval": self.scrape_interval, "evaluation_interval": self.scrape_interval},
            "rule_files": self.rule_files,
            "scrape_configs": [{"job_name": self.job, "static_configs": [{"targets": self.targets}]}],
        }
        config_path = os.path.join(self.dir, "prometheus.yml")
        with open(config_path, "w") as f:
            json.dump(config, f)  # YAML is a superset of JSON
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = os.path.join(self.dir, "prometheus.log")
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [shutil.which("prometheus") or "/usr/bin/prometheus", f"--config.file={config_path}",
                 f"--storage.tsdb.path={os.path.join(self.dir, 'data')}", f"--web.listen-address=127.0.0.1:{port}",
                 "--log.level=warn"],
                stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"prometheus exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/-/ready", timeout=1) as r:
                    if r.status == 200:
                        return self
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"prometheus was not ready within {timeout} s")

    def stop(self):
        if self.process is not None:
            terminate(self.process)
        if self.dir and not os.environ.get("DE_TEST_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self, lines=40):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def api(self, path, **params):
        """GET /api/v1/<path>: the `data` of a successful answer (else an AssertionError with the error)."""
        url = f"{self.url}/api/v1/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                body = json.load(r)
        except urllib.error.HTTPError as e:
            body = json.load(e)
        assert body.get("status") == "success", f"{path} {params}: {body}"
        return body["data"]

    def query(self, expr):
        """An instant query's result vector: [{"metric": {...}, "value": [t, "v"]}]."""
        return self.api("query", query=expr)["result"]

    def metric_names(self):
        return set(self.api("label/__name__/values"))

    def wait_for(self, expr, ok, timeout=30):
        """Queries `expr` until ok(result) holds; returns that result."""
        deadline = time.monotonic() + timeout
        result = None
        while time.monotonic() < deadline:
            result = self.query(expr)
            if ok(result):
                return result
            time.sleep(0.25)
        raise AssertionError(f"{expr!r} never held within {timeout} s; last: {result}\n{self.log_tail()}")
