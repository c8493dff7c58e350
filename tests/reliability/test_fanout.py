"""500 subscribers receive every event of 5,000 tasks in order; a non-reader is dropped."""
import json
import subprocess

from support.server import ADMIN_EMAIL, loadgen


def test_five_hundred_subscribers_get_every_event_and_a_stalled_one_is_dropped(server_factory):
    server = server_factory()
    result = subprocess.run([loadgen(), "fanout", "--url", server.url, "--email", ADMIN_EMAIL,
                             "--password", server.admin_password, "--clients", "500", "--tasks", "5000"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr + server.log_tail()
    report = json.loads(result.stdout)
    assert report["clients_complete"] == 500
    assert report["ordered"] and report["identical"]
    assert report["events_per_client"] >= 3 * 5000  # created, running, completed for each task
    assert report["slow_client_dropped"]
    # ... and /metrics counts the drop (the alert "WebSocket clients dropped" reads this)
    metrics = server.client().get("/metrics").body
    dropped = [l for l in metrics.splitlines() if l.startswith('de_websocket_dropped_clients_total{route="/ws/notifications"}')]
    assert dropped and float(dropped[0].split()[-1]) >= 1, dropped
