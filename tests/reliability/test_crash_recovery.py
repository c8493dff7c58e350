"""kill -9 while 10,000 tasks are submitted and run: nothing accepted is lost, nothing completes twice."""
import http.client
import json
import threading
import time
import uuid

TOTAL = 10000
THREADS = 8


def submit_all(server, accepted, stop_at):
    """Each thread posts echo tasks until TOTAL are accepted; a request that fails (server down)
    is retried with the same Idempotency-Key, so an uncertain attempt is never stored twice."""
    lock = threading.Lock()
    counter = iter(range(TOTAL))

    def worker():
        connection = None
        for n in counter:
            key = str(uuid.uuid4())
            body = json.dumps({"type": "echo", "input_data": {"n": n}})
            while True:
                try:
                    if connection is None:
                        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
                    connection.request("POST", "/api/v1/tasks", body, {
                        "Authorization": "Bearer " + server.token, "Content-Type": "application/json",
                        "Idempotency-Key": key})
                    response = connection.getresponse()
                    payload = json.loads(response.read())
                    assert response.status in (200, 201), payload
                    with lock:
                        accepted[payload["id"]] = response.status
                        if len(accepted) == stop_at[0]:
                            stop_at[1].set()
                    break
                except (OSError, http.client.HTTPException):
                    connection = None
                    time.sleep(0.05)

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    return threads


def test_kill_9_loses_nothing_and_completes_nothing_twice(server_factory):
    server = server_factory()
    admin = server.admin()
    accepted = {}
    halfway = threading.Event()
    threads = submit_all(server, accepted, [TOTAL // 3, halfway])
    assert halfway.wait(120), "submissions stalled"
    server.kill9()
    time.sleep(0.5)
    server.start()
    for t in threads:
        t.join(300)
    assert len(accepted) == TOTAL

    deadline = time.time() + 180
    while time.time() < deadline:
        r = admin.get("/api/v1/analytics/summary")
        assert r.status == 200
        summary = r.body
        open_tasks = sum(summary["tasks_by_status"][s] for s in ("pending", "queued", "running"))
        if open_tasks == 0:
            break
        time.sleep(0.5)
    assert open_tasks == 0, summary

    statuses = dict(server.sql("SELECT id, status FROM tasks"))
    missing = [i for i in accepted if i not in statuses]
    assert not missing, f"{len(missing)} accepted tasks were lost"
    not_completed = {i: statuses[i] for i in accepted if statuses[i] != "completed"}
    assert not not_completed, f"not completed: {list(not_completed.items())[:5]}"
    # One completion event per task, and the agent counted each once.
    duplicates = server.sql(
        "SELECT json_extract(data, '$.id') AS id, count(*) FROM events WHERE topic = 'tasks.completed' "
        "GROUP BY id HAVING count(*) > 1")
    assert duplicates == []
    completed_events = server.sql("SELECT count(*) FROM events WHERE topic = 'tasks.completed'")[0][0]
    assert completed_events == len(statuses)
    counted = server.sql("SELECT tasks_completed FROM agents WHERE type = 'echo'")[0][0]
    assert counted == len(statuses)
