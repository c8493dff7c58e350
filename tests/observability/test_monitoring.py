"""Monitoring as shipped in deploy/: the alert rules (promtool), a real Prometheus scraping a
running server, and the Grafana dashboard's queries against what it scraped.

Needs Debian's `prometheus` package (promtool and prometheus; script/bootstrap installs it).
The server runs on SQLite; Prometheus scrapes it every second on loopback, its TSDB in a
temporary directory; every wait is bounded.
"""
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from support import ws
from support.prometheus import JOB, Prometheus
from support.server import DEServer

ROOT = Path(__file__).resolve().parents[2]
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
ALERT_TESTS = ROOT / "deploy" / "prometheus" / "alerts.test.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "digital-enterprise.json"

# What /metrics must offer once the server has done a little of everything (issue 28).
FAMILIES = [
    "de_http_requests_total", "de_http_request_duration_seconds_bucket",
    "de_tasks", "de_task_transitions_total", "de_queue_depth", "de_tasks_waiting", "de_task_lease_takeovers_total",
    "de_workflow_executions_total", "de_websocket_clients", "de_websocket_dropped_clients_total",
    "de_db_pool_connections", "de_db_pool_max_connections", "de_db_pool_waits_total",
    "de_db_commit_duration_seconds_bucket", "de_db_wal_sync_duration_seconds_bucket",
    "de_ai_tokens_total", "de_ai_cost_usd_total", "de_ai_requests_total",
]


def promtool(*args):
    tool = shutil.which("promtool")
    assert tool, "promtool is missing: script/bootstrap installs Debian's prometheus package"
    return subprocess.run([tool, *args], capture_output=True, text=True, timeout=120)


def test_alert_rules_are_valid():
    r = promtool("check", "rules", str(ALERTS))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "SUCCESS: 7 rules found" in r.stdout, r.stdout


def test_alert_rules_fire_as_their_tests_say():
    r = promtool("test", "rules", str(ALERT_TESTS))
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.fixture(scope="module")
def scraped():
    """A server that has served requests, run tasks and a workflow, called the AI layer and has a
    WebSocket client, and a Prometheus that has scraped it (with the alert rules loaded)."""
    server = DEServer("sqlite", name="monitored")
    try:
        server.init()
        server.start()
        admin = server.admin()
        assert admin.post("/api/v1/tasks", json={"type": "echo", "input_data": {"n": 1}}).status == 201
        assert admin.post("/api/v1/tasks", json={"type": "nobody.handles_this"}).status == 201
        flow = admin.post("/api/v1/workflows", json={"name": "monitored", "status": "active", "definition": {
            "trigger": {"type": "manual"}, "steps": [{"id": "a", "type": "task", "task_type": "echo", "input": {}}]}})
        assert flow.status == 201, flow
        assert admin.post(f"/api/v1/workflows/{flow.body['id']}/execute", json={"input": {}}).status in (200, 201, 202)
        chat = admin.post("/api/v1/ai/chat", json={"messages": [{"role": "user", "content": "hello"}]})
        assert chat.status == 200, chat

        async def client_open_while_scraped():
            async with ws.connect(server.url, ws.NOTIFICATIONS, token=server.token) as socket:
                await ws.send(socket, {"type": "subscribe", "topics": ["tasks.*"]})
                with Prometheus([server.url.removeprefix("http://")], rule_files=[ALERTS]) as prom:
                    prom.wait_for(f'de_websocket_clients{{job="{JOB}",route="/ws/notifications"}}',
                                  lambda rows: rows and float(rows[0]["value"][1]) >= 1)
                    prom.wait_for('de_workflow_executions_total{status="completed"}', lambda rows: bool(rows))
                    # rate() needs two samples in its window: a few scrapes more
                    prom.wait_for(f'count_over_time(up{{job="{JOB}"}}[1m])', lambda rows: rows and float(rows[0]["value"][1]) >= 4)
                    result = {"names": prom.metric_names(), "rules": prom.api("rules"), "queries": {}}
                    for expr in dashboard_queries():
                        # parses and evaluates, or fails with Prometheus' error
                        result["queries"][expr] = prom.query(expr)
                    return result

        yield ws.run(client_open_while_scraped)
    finally:
        server.stop()
        server.cleanup()


def dashboard_queries():
    board = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in board["panels"] for t in p.get("targets", [])]
    assert exprs, "no queries in the dashboard"
    # Grafana's variables, as Grafana fills them in
    return [e.replace('"$instance"', '".*"').replace("$__rate_interval", "1m") for e in exprs]


def test_prometheus_scrapes_every_family(scraped):
    missing = [f for f in FAMILIES if f not in scraped["names"]]
    assert not missing, f"not scraped: {missing}"


def test_prometheus_loads_the_alert_rules_and_evaluates_them_on_real_series(scraped):
    rules = [r for g in scraped["rules"]["groups"] for r in g["rules"]]
    assert len(rules) == 7, rules
    for rule in rules:
        assert rule["health"] in ("ok", "unknown"), rule
    # nothing is wrong with a fresh, idle node
    assert not [r for r in rules if r["state"] == "firing"], rules


def test_grafana_dashboard_queries_only_metrics_the_server_has(scraped):
    board = json.loads(DASHBOARD.read_text())
    assert board["uid"] == "digital-enterprise" and board["panels"]
    for expr in dashboard_queries():
        for name in re.findall(r"\b((?:de|process)_[a-z0-9_]+)\b", expr):
            assert name in scraped["names"], f"{name} (in {expr}) is not a scraped metric"
    # a node that has done a little of everything has data for every panel, bar the client
    # errors by status (it has answered none)
    empty = [e for e, rows in scraped["queries"].items() if not rows]
    assert all('status=~"4.."' in e for e in empty), empty
