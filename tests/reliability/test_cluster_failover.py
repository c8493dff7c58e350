"""Three nodes on one PostgreSQL database behind a real load balancer (haproxy), one of them
killed with SIGKILL under load (issue 22):

- every task a client submitted through the balancer is accepted (a submit that died with its
  node is sent again with the same Idempotency-Key) and completes exactly once: one
  `tasks.completed` per task in the event log, status completed; tasks a remote agent on the
  dead node held are given, once their lease has run out, to another agent connected through
  the balancer (to a live node), and complete once, on their second attempt;
- every WebSocket client on /ws/notifications (through the balancer, subscribed to every topic)
  that lost its node reconnects through the balancer with `since=<last id it saw>`, and each
  client's ids are exactly the event log's ids from its start on: in order, none missing, none
  twice;
- a workflow with a schedule trigger every second, armed on every node, starts one execution
  per firing across the cluster (distinct `scheduled_at`), also after the kill.
"""
import asyncio
import calendar
import http.client
import json
import secrets
import threading
import time

from support import ws
from support.haproxy import HAProxy

LEASE_SECONDS = 3
TASKS = 3000
SUBMITTERS = 6
CLIENTS = 6
KILL_AT = TASKS // 3          # accepted tasks before the kill
VICTIM = 1                    # index of the node killed (the second; the first made the workflow)
SETTLE_SECONDS = LEASE_SECONDS + 25


def start_cluster(server_factory, count, env):
    """`count` nodes on one new PostgreSQL database with the same secrets (a token from one node
    is good on all); returns them, the first having made the database."""
    shared = {"DE_JWT_SECRET": "it-" + secrets.token_hex(24), "DE_MASTER_KEY": "it-" + secrets.token_hex(24),
              **env}
    first = server_factory("postgres", env=shared)
    # The others share the first's database (and sql()); "sqlite" only stops the factory from
    # making a database of their own: DE_DATABASE_URL names the first's.
    return [first] + [server_factory("sqlite", init=False, start=False, admin_password=first.admin_password,
                                     env={**shared, "DE_DATABASE_URL": first.database_url})
                      for _ in range(count - 1)]


class Submitter(threading.Thread):
    """Submits its share of echo tasks through the balancer on one keep-alive connection, each
    with its own Idempotency-Key; a submit that fails (the node died with it: 502, a reset) is
    sent again with the same key until it is answered, so every task is accepted once."""

    def __init__(self, port, token, run, number, count, accepted, errors):
        super().__init__(name=f"submitter-{number}")
        self.port, self.token, self.run_id, self.number, self.count = port, token, run, number, count
        self.accepted, self.errors = accepted, errors
        self.retried = 0

    def run(self):
        headers = {"Authorization": "Bearer " + self.token, "Content-Type": "application/json"}
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        for n in range(self.count):
            key = f"{self.run_id}-{self.number}-{n}"
            body = json.dumps({"type": "echo", "input_data": {"submitter": self.number, "n": n}})
            deadline = time.monotonic() + 30
            while True:
                try:
                    connection.request("POST", "/api/v1/tasks", body, dict(headers, **{"Idempotency-Key": key}))
                    response = connection.getresponse()
                    payload = response.read()
                    if response.status in (200, 201):
                        self.accepted[key] = json.loads(payload)["id"]
                        break
                    if response.status not in (502, 503, 504):
                        self.errors.append((key, response.status, payload[:300]))
                        return
                except (OSError, http.client.HTTPException):
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if time.monotonic() > deadline:
                    self.errors.append((key, "not accepted within 30 s", b""))
                    return
                self.retried += 1
                time.sleep(0.05)
        connection.close()


class Listener:
    """A /ws/notifications client through the balancer, subscribed to every topic. When its
    connection ends, it reconnects (through the balancer: to a live node) with since=<the last
    id it received>. `since` None: it starts live, and its first event is its start."""

    def __init__(self, url, token, since):
        self.url, self.token, self.since = url, token, since
        self.ids, self.reconnects, self.failures = [], 0, []

    async def run(self, stop_at):
        connection = await self.connect(self.since)
        try:
            while True:
                target = stop_at()
                if target is not None and self.ids and self.ids[-1] >= target:
                    return
                try:
                    message = await ws.receive(connection, timeout=1)
                except asyncio.TimeoutError:
                    continue
                except (ws.ConnectionClosed, OSError):
                    self.reconnects += 1
                    connection = await self.connect(self.ids[-1] if self.ids else self.since)
                    continue
                if message.get("type") == "event":
                    self.ids.append(message["id"])
                elif message.get("type") == "error":
                    self.failures.append(message)
        finally:
            await connection.close()

    async def connect(self, since):
        deadline = asyncio.get_running_loop().time() + 20
        while True:
            try:
                connection, _ = await ws.subscribe(self.url, self.token, ["*"], since=since)
                return connection
            except (ws.ConnectionClosed, ws.InvalidStatusCode, OSError, asyncio.TimeoutError) as e:
                if asyncio.get_running_loop().time() > deadline:
                    raise AssertionError(f"could not reconnect through the balancer: {e!r}")
                await asyncio.sleep(0.1)


def wait_until_finished(server, timeout):
    """Polls until no echo or job.hold task is pending, queued or running; returns
    {id: (status, attempts)} of them."""
    deadline = time.monotonic() + timeout
    while True:
        rows = server.sql("SELECT id, status, attempts FROM tasks WHERE type IN ('echo', 'job.hold')")
        if not any(s in ("pending", "queued", "running") for _, s, _ in rows) or time.monotonic() > deadline:
            return {i: (s, a) for i, s, a in rows}
        time.sleep(0.3)


def test_three_nodes_behind_haproxy_survive_a_kill_9_under_load(server_factory):
    began = time.monotonic()
    nodes = start_cluster(server_factory, 3, {"DE_TASK_LEASE_SECONDS": str(LEASE_SECONDS)})
    first = nodes[0]
    # A schedule every second, made before the other nodes start, so that every node arms it.
    r = first.admin().post("/api/v1/workflows", {
        "name": "cluster: every second", "status": "active",
        "definition": {"trigger": {"type": "schedule", "cron": "* * * * * *", "timezone": "UTC"},
                       "steps": [{"id": "a", "type": "task", "task_type": "echo",
                                  "input": {"at": "{{input.scheduled_at}}"}}]}})
    assert r.status == 201, r
    schedule_id = r.body["id"]
    for node in nodes[1:]:
        node.start()
    balancer = HAProxy([n.port for n in nodes], log=True).start()
    try:
        print(asyncio.run(scenario(nodes, balancer, schedule_id, began)))
    except BaseException:
        print(f"haproxy stats: {balancer.stats()}\nhaproxy log tail:\n{balancer.log_tail()}")
        raise
    finally:
        balancer.stop()
        for node in reversed(nodes[1:]):  # before the fixture drops the database under them
            node.stop()


async def scenario(nodes, balancer, schedule_id, began):
    """One event loop for the WebSocket clients (listeners, agents); what blocks (SQL, joins)
    runs in threads, so that the listeners read on meanwhile."""
    first, victim = nodes[0], nodes[VICTIM]
    sql = lambda *args: asyncio.to_thread(first.sql, *args)
    token = first.login("admin@example.com", first.admin_password)["access_token"]
    start_id = (await sql("SELECT COALESCE(MAX(id), 0) FROM events"))[0][0]

    # Listeners through the balancer: half replay from the id before the load, half start live;
    # one at a time, so that round robin spreads them over the nodes.
    target = {}
    listeners = [Listener(balancer.url, token, start_id if i % 2 == 0 else None) for i in range(CLIENTS)]
    listening = []
    for listener in listeners:
        listening.append(asyncio.ensure_future(listener.run(lambda: target.get("id"))))
        await asyncio.sleep(0.05)

    # A remote agent on the node to be killed holds tasks (connected to it, not through the
    # balancer): its node dies with them.
    key = first.agent_key()
    holder, _ = await ws.register_agent(victim, key, "Holder", ["job.hold"], max_concurrency=4)
    held = []
    for n in range(3):
        r = victim.admin().post("/api/v1/tasks", {"type": "job.hold", "input_data": {"n": n}})
        assert r.status == 201, r
        held.append(r.body["id"])
    offered = {(await ws.next_of_type(holder, "task"))["task"]["id"] for _ in held}
    assert offered == set(held)

    # The load: TASKS echo tasks through the balancer; the victim dies a third of the way in.
    accepted, errors = {}, []
    run_id = secrets.token_hex(4)
    submitters = [Submitter(balancer.port, token, run_id, s, TASKS // SUBMITTERS, accepted, errors)
                  for s in range(SUBMITTERS)]
    for s in submitters:
        s.start()
    deadline = time.monotonic() + 60
    while len(accepted) < KILL_AT and not errors and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert len(accepted) >= KILL_AT, f"the load stalled before the kill: {len(accepted)} accepted, {errors[:3]}"
    victim.kill9()
    holder.transport.abort()
    running_at_kill = len(await sql("SELECT id FROM tasks WHERE status = 'running'"))
    killed_at = time.time()
    await asyncio.to_thread(balancer.wait_state, f"node{VICTIM + 1}", "DOWN")

    # Another remote agent, through the balancer, is given what the dead node's agent held once
    # its lease has run out.
    taker, taker_id = await ws.register_agent(balancer.url, key, "Taker", ["job.hold"], max_concurrency=4)
    taken = []
    for _ in held:
        offer = await ws.next_of_type(taker, "task", timeout=SETTLE_SECONDS)
        await ws.send(taker, {"type": "result", "task_id": offer["task"]["id"], "status": "completed",
                              "output_data": {"by": "taker"}})
        taken.append(offer["task"]["id"])
    assert sorted(taken) == sorted(held)

    for s in submitters:
        await asyncio.to_thread(s.join, 90)
    assert not any(s.is_alive() for s in submitters), "the submitters did not finish"
    assert not errors, f"submits refused: {errors[:5]}"
    assert len(accepted) == TASKS and len(set(accepted.values())) == TASKS, \
        f"{len(accepted)} keys accepted, {len(set(accepted.values()))} tasks"

    # Every task in the database (also any whose submit died with its node and was sent again:
    # the replay answered the stored one) completes, once.
    tasks = await asyncio.to_thread(wait_until_finished, first, SETTLE_SECONDS)
    not_done = {i: s for i, (s, _) in tasks.items() if s != "completed"}
    assert not not_done, (f"{len(not_done)} of {len(tasks)} tasks not completed {SETTLE_SECONDS} s after the "
                          f"kill (lease {LEASE_SECONDS} s): {list(not_done.items())[:5]}")
    missing = [i for i in list(accepted.values()) + held if i not in tasks]
    assert not missing, f"{len(missing)} accepted tasks are not in the database"
    completions = {}
    for (data,) in await sql("SELECT data FROM events WHERE topic = 'tasks.completed'"):
        task_id = (json.loads(data) if isinstance(data, str) else data)["id"]
        completions[task_id] = completions.get(task_id, 0) + 1
    not_once = {i: completions.get(i, 0) for i in tasks if completions.get(i, 0) != 1}
    assert not not_once, f"tasks not completed exactly once: {list(not_once.items())[:5]}"
    for task_id in held:
        task = first.client(token).get(f"/api/v1/tasks/{task_id}").body
        assert task["assigned_agent"] == taker_id and task["attempts"] == 2 and \
            task["output_data"] == {"by": "taker"}, task
    taken_over = sum(1 for i, (_, a) in tasks.items() if a >= 2 and i not in held)
    await taker.close()

    # Every listener has every event of the log from its start, in order, once.
    last_id = (await sql("SELECT MAX(id) FROM events"))[0][0]
    target["id"] = last_id
    done, pending = await asyncio.wait(listening, timeout=60)
    assert not pending, f"listeners did not reach event {last_id}: " + \
        ", ".join(str(l.ids[-1] if l.ids else None) for l in listeners)
    for finished in done:
        finished.result()
    log_ids = [i for (i,) in await sql("SELECT id FROM events WHERE id > ? AND id <= ? ORDER BY id",
                                       (start_id, last_id))]
    for n, listener in enumerate(listeners):
        assert not listener.failures, listener.failures[:3]
        got = [i for i in listener.ids if i <= last_id]
        begin = start_id if listener.since is not None else got[0] - 1
        expected = [i for i in log_ids if i > begin]
        if got != expected:
            duplicates = len(got) - len(set(got))
            lost = sorted(set(expected) - set(got))
            raise AssertionError(f"listener {n} (since={listener.since}, {listener.reconnects} reconnects): "
                                 f"{len(got)} events, {len(expected)} expected; {duplicates} twice, "
                                 f"{len(lost)} missing {lost[:10]}, in order: {got == sorted(got)}")
    reconnected = sum(1 for l in listeners if l.reconnects)
    assert reconnected, "no listener was on the killed node: the failover path was not taken"
    print(f"{TASKS} echo tasks, {taken_over} of them run again after the kill ({running_at_kill} tasks running "
          f"then), {sum(s.retried for s in submitters)} submits sent again; {len(held)} held by the dead node's "
          f"agent taken over; {len(log_ids)} events, {reconnected} of {CLIENTS} listeners reconnected; "
          f"{time.monotonic() - began:.1f} s; haproxy: {balancer.stats()}")

    # The schedule: one execution per firing across the three nodes, before and after the kill.
    fired = [(json.loads(i) if isinstance(i, str) else i)["scheduled_at"]
             for (i,) in await sql("SELECT input FROM workflow_executions WHERE workflow_id = ? ORDER BY created_at",
                                   (schedule_id,))]
    assert fired, "the schedule never fired"
    twice = {at: fired.count(at) for at in set(fired) if fired.count(at) > 1}
    assert not twice, (f"{len(twice)} of {len(set(fired))} firings started more than once across the cluster "
                       f"(e.g. {sorted(twice.items())[:3]})")
    after_kill = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(killed_at + 1))
    assert any(at >= after_kill for at in fired), f"the schedule did not fire after the kill: {fired[-3:]}"
    for node in nodes:
        if node is not victim:
            assert node.process.poll() is None, f"node on {node.port} died:\n{node.log_tail(30)}"
    seconds = sorted({calendar.timegm(time.strptime(at[:19], "%Y-%m-%dT%H:%M:%S")) for at in fired})
    skipped = seconds[-1] - seconds[0] + 1 - len(seconds)
    return (f"{len(fired)} firings, each once ({skipped} seconds without one between the first and the last); "
            f"{time.monotonic() - began:.1f} s in all")
