"""Tasks: create, defaults, idempotency, batch (all or none), filters, cursor paging, cancel, retry."""

from support.helpers import (NOT_A_ROUTE_ID, TASK_STATUSES, UNHANDLED, assert_problem, is_timestamp, is_uuid, uid,
                     wait_for)

TASKS = "/api/v1/tasks"
TASK_FIELDS = {"id", "title", "description", "type", "status", "priority", "assigned_agent", "created_by",
               "input_data", "output_data", "error", "attempts", "started_at", "completed_at", "created_at"}
# a task just created: a worker may already have picked it up, or even finished it
FRESH = {"pending", "queued", "running", "completed"}
WAITING = {"pending", "queued"}


def unique_type():
    return f"it.{uid()}"


def check_task(task):
    assert TASK_FIELDS <= task.keys(), sorted(TASK_FIELDS - task.keys())
    assert is_uuid(task["id"])
    assert task["status"] in TASK_STATUSES, task
    assert task["priority"] in ("low", "normal", "high", "critical"), task
    assert isinstance(task["input_data"], dict)
    assert isinstance(task["attempts"], int)
    assert is_timestamp(task["created_at"]), task


def count_of_type(srv, type_):
    return srv.admin.count(f"{TASKS}?type={type_}")


def test_create_answers_201_with_location_and_defaults(srv):
    r = srv.as_("operator").post(TASKS, {"type": UNHANDLED})
    assert r.status == 201, r
    task = r.body
    check_task(task)
    assert r.headers["Location"] == f"{TASKS}/{task['id']}"
    assert task["type"] == UNHANDLED
    assert task["priority"] == "normal"
    assert task["input_data"] == {}
    assert task["status"] in FRESH
    assert task["status"] == "queued", task  # no agent has this type
    assert task["created_by"] == srv.users["operator"]["id"]
    r = srv.as_("viewer").get(f"{TASKS}/{task['id']}")
    assert r.status == 200, r
    check_task(r.body)
    assert r.body["id"] == task["id"] and r.body["type"] == UNHANDLED
    # nobody handles this type: it waits
    assert r.body["status"] in WAITING, r.body
    srv.admin.post(f"{TASKS}/{task['id']}/cancel")


def test_create_with_every_field(srv):
    agent = srv.new_agent("remote")
    body = {"type": unique_type(), "title": "Score the leads", "description": "all of them", "priority": "high",
            "input_data": {"leads": [1, 2], "source": "csv"}, "assigned_agent": agent["id"], "max_attempts": 3,
            "timeout_ms": 60000}
    r = srv.admin.post(TASKS, body)
    assert r.status == 201, r
    task = r.body
    for key in ("type", "title", "description", "priority", "input_data", "assigned_agent"):
        assert task[key] == body[key], key
    srv.admin.post(f"{TASKS}/{task['id']}/cancel")


def test_echo_task_completes_with_its_input_as_output(srv):
    data = {"text": "hi " + uid(), "values": [1, 2.5, None, True]}
    r = srv.as_("manager").post(TASKS, {"type": "echo", "input_data": data})
    assert r.status == 201, r
    task_id = r.body["id"]
    done = wait_for(lambda: (lambda t: t if t["status"] in ("completed", "failed") else None)(
        srv.as_("viewer").get(f"{TASKS}/{task_id}").body), timeout=15, message="the echo task to finish")
    assert done["status"] == "completed", done
    assert done["output_data"] == data
    assert done["attempts"] == 1
    assert is_timestamp(done["started_at"]) and is_timestamp(done["completed_at"])
    assert done["assigned_agent"] is not None


def test_every_task_type_an_agent_offers_has_its_logic(srv):
    """Each business agent runs every type it offers: a task with no input fails on its input, never
    as "not implemented"."""
    offered = sorted({c for a in srv.admin.get("/api/v1/agents?limit=500").body["items"]
                      if a["type"] in ("product_manager", "sales", "marketing") for c in a["capabilities"]})
    assert len(offered) >= 9, offered
    ids = {}
    for task_type in offered:
        r = srv.as_("operator").post(TASKS, {"type": task_type, "input_data": {"unexpected": True}})
        assert r.status == 201, r
        ids[task_type] = r.body["id"]
    for task_type, task_id in ids.items():
        done = wait_for(lambda: (lambda t: t if t["status"] in ("completed", "failed") else None)(
            srv.admin.get(f"{TASKS}/{task_id}").body), timeout=30, message=f"the {task_type} task to finish")
        assert "not implemented" not in (done.get("error") or ""), done


def test_get_unknown_task_is_404(srv):
    assert_problem(srv.admin.get(f"{TASKS}/{NOT_A_ROUTE_ID}"), 404, "not-found")
    assert_problem(srv.admin.get(f"{TASKS}/not-a-uuid"), 404, "not-found")


def test_idempotency_key_replays_the_same_task(srv):
    client = srv.as_("operator")
    type_ = unique_type()
    key = "idem-" + uid()
    body = {"type": type_, "input_data": {"n": 1}}
    first = client.post(TASKS, body, headers={"Idempotency-Key": key})
    assert first.status == 201, first
    assert first.headers.get("Idempotent-Replayed") in (None, "false")
    second = client.post(TASKS, body, headers={"Idempotency-Key": key})
    assert second.status == 200, second
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert second.body["id"] == first.body["id"]
    assert count_of_type(srv, type_) == 1
    # same key, different body: refused, nothing written
    other = client.post(TASKS, {"type": type_, "input_data": {"n": 2}}, headers={"Idempotency-Key": key})
    assert_problem(other, 422)
    assert count_of_type(srv, type_) == 1
    # another key creates another task
    third = client.post(TASKS, body, headers={"Idempotency-Key": key + "-b"})
    assert third.status == 201 and third.body["id"] != first.body["id"]
    assert count_of_type(srv, type_) == 2
    # without a key, every request creates a task
    assert client.post(TASKS, body).status == 201
    assert client.post(TASKS, body).status == 201
    assert count_of_type(srv, type_) == 4


def test_idempotency_keys_are_per_user(srv):
    type_ = unique_type()
    key = "shared-" + uid()
    body = {"type": type_, "input_data": {"secret": uid()}}
    a = srv.as_("operator").post(TASKS, body, headers={"Idempotency-Key": key})
    b = srv.as_("manager").post(TASKS, body, headers={"Idempotency-Key": key})
    assert a.status == 201 and b.status == 201, (a, b)
    assert a.body["id"] != b.body["id"], "another user's key replayed someone else's task"
    assert b.body["created_by"] == srv.users["manager"]["id"]


def test_batch_creates_all(srv):
    type_ = unique_type()
    tasks = [{"type": type_, "input_data": {"i": i}, "priority": p}
             for i, p in enumerate(["low", "normal", "high", "critical"])]
    r = srv.as_("operator").post(f"{TASKS}/batch", {"tasks": tasks})
    assert r.status == 201, r
    items = r.body["items"]
    assert len(items) == 4
    for item, sent in zip(items, tasks):
        check_task(item)
        assert item["input_data"] == sent["input_data"] and item["priority"] == sent["priority"]
        assert item["status"] in FRESH
    assert len({i["id"] for i in items}) == 4
    assert count_of_type(srv, type_) == 4


def test_batch_is_all_or_none(srv):
    type_ = unique_type()
    tasks = [{"type": type_}, {"type": type_, "priority": "urgent"}, {"type": type_}]
    r = srv.admin.post(f"{TASKS}/batch", {"tasks": tasks})
    problem = assert_problem(r, 422, "validation", fields=["tasks[1].priority"])
    assert problem["errors"][0]["field"] == "tasks[1].priority", problem
    assert count_of_type(srv, type_) == 0

    tasks = [{"type": type_}, {"type": type_}, {"priority": "low"}, {"type": type_, "input_data": []}]
    r = srv.admin.post(f"{TASKS}/batch", {"tasks": tasks})
    assert_problem(r, 422, "validation", fields=["tasks[2].type", "tasks[3].input_data"])
    assert count_of_type(srv, type_) == 0

    # an agent that does not exist is found only when writing: still nothing is written
    tasks = [{"type": type_}, {"type": type_, "assigned_agent": NOT_A_ROUTE_ID}]
    r = srv.admin.post(f"{TASKS}/batch", {"tasks": tasks})
    assert_problem(r, 422, "validation", fields=["tasks[1].assigned_agent"])
    assert count_of_type(srv, type_) == 0


def test_a_task_goes_straight_to_an_agent_with_room_and_a_rolled_back_one_frees_its_seat(srv):
    agent = srv.new_agent("echo", config={"max_concurrency": 1})
    pinned = {"type": "echo", "assigned_agent": agent["id"]}

    def finished(task_id):
        return wait_for(lambda: (lambda t: t if t["status"] in ("completed", "failed") else None)(
            srv.admin.get(f"{TASKS}/{task_id}").body), timeout=15, message="the pinned echo task to finish")

    # The agent has room: the task is created already running on it, in its first attempt.
    r = srv.admin.post(TASKS, {**pinned, "input_data": {"n": 1}})
    assert r.status == 201, r
    assert r.body["status"] in ("running", "completed") and r.body["attempts"] == 1, r.body
    assert r.body["assigned_agent"] == agent["id"] and is_timestamp(r.body["started_at"]), r.body
    assert finished(r.body["id"])["output_data"] == {"n": 1}

    # The first task of this batch takes the agent's only seat, then the batch is refused:
    # the seat must come back, or the agent would never run another task.
    r = srv.admin.post(f"{TASKS}/batch", {"tasks": [pinned, {**pinned, "assigned_agent": NOT_A_ROUTE_ID}]})
    assert_problem(r, 422, "validation", fields=["tasks[1].assigned_agent"])
    # Each task is given its seat before the write: one never stored must give it back too,
    # whether its batch failed before reaching it or its request was a replay.
    r = srv.admin.post(f"{TASKS}/batch", {"tasks": [{**pinned, "assigned_agent": NOT_A_ROUTE_ID}, pinned]})
    assert_problem(r, 422, "validation", fields=["tasks[0].assigned_agent"])
    key = {"Idempotency-Key": f"seat-{uid()}"}
    first = srv.admin.post(TASKS, {**pinned, "input_data": {"n": 4}}, headers=key)
    assert first.status == 201 and finished(first.body["id"])["status"] == "completed", first
    replay = srv.admin.post(TASKS, {**pinned, "input_data": {"n": 4}}, headers=key)
    assert replay.status == 200 and replay.body["id"] == first.body["id"], replay
    for n in (2, 3):
        task = srv.admin.post(TASKS, {**pinned, "input_data": {"n": n}}).body
        assert finished(task["id"])["status"] == "completed", task
    srv.admin.delete(f"/api/v1/agents/{agent['id']}")


def test_batch_size_limits(srv):
    type_ = unique_type()
    assert_problem(srv.admin.post(f"{TASKS}/batch", {"tasks": []}), 422, "validation", fields=["tasks"])
    too_many = [{"type": type_}] * 1001
    assert_problem(srv.admin.post(f"{TASKS}/batch", {"tasks": too_many}), 422, "validation", fields=["tasks"])
    assert_problem(srv.admin.post(f"{TASKS}/batch", {}), 422, "validation", fields=["tasks"])
    assert_problem(srv.admin.post(f"{TASKS}/batch", {"tasks": {"type": type_}}), 422, "validation", fields=["tasks"])
    assert count_of_type(srv, type_) == 0


def test_filters(srv):
    type_ = unique_type()
    agent = srv.new_agent("remote")
    plain = srv.new_task(type_)
    pinned = srv.new_task(type_, assigned_agent=agent["id"])
    cancelled = srv.new_task(type_)
    assert srv.admin.post(f"{TASKS}/{cancelled['id']}/cancel").status == 200
    viewer = srv.as_("viewer")

    r = viewer.get(f"{TASKS}?type={type_}")
    assert r.status == 200, r
    assert {t["id"] for t in r.body["items"]} == {plain["id"], pinned["id"], cancelled["id"]}
    assert all(t["type"] == type_ for t in r.body["items"])

    by_agent = viewer.list_all(f"{TASKS}?agent={agent['id']}")
    assert [t["id"] for t in by_agent] == [pinned["id"]]

    r = viewer.get(f"{TASKS}?type={type_}&status=cancelled")
    assert [t["id"] for t in r.body["items"]] == [cancelled["id"]]
    for status in ("cancelled", "queued"):
        items = viewer.get(f"{TASKS}?status={status}&limit=100").body["items"]
        assert all(t["status"] == status for t in items), status
    r = viewer.get(f"{TASKS}?type={type_}&agent={agent['id']}&status=queued")
    assert [t["id"] for t in r.body["items"]] in ([pinned["id"]], [])  # [] only if it left the queue
    empty = viewer.get(f"{TASKS}?type=it.nothing-{uid()}").body
    assert empty["items"] == [] and empty["next_cursor"] is None
    for t in (plain, pinned):
        srv.admin.post(f"{TASKS}/{t['id']}/cancel")


def test_bad_filters_are_400(srv):
    for query in ("status=sleeping", "limit=0", "limit=501", "limit=9999", "limit=abc", "limit=-1",
                  "cursor=garbage", "agent=not-a-uuid"):
        assert_problem(srv.admin.get(f"{TASKS}?{query}"), 400)


def test_cursor_paging_walks_every_task_once(srv):
    type_ = unique_type()
    r = srv.admin.post(f"{TASKS}/batch", {"tasks": [{"type": type_, "input_data": {"i": i}} for i in range(5)]})
    assert r.status == 201, r
    created = {t["id"] for t in r.body["items"]}
    extra = srv.new_task(type_)  # a later single create: must come first (newest first)
    created.add(extra["id"])
    seen, pages, cursor = [], [], None
    for _ in range(10):
        url = f"{TASKS}?type={type_}&limit=2" + (f"&cursor={cursor}" if cursor else "")
        r = srv.as_("viewer").get(url)
        assert r.status == 200, r
        assert set(r.body) >= {"items", "next_cursor"}
        assert len(r.body["items"]) <= 2
        pages.append(r.body["items"])
        seen.extend(t["id"] for t in r.body["items"])
        cursor = r.body["next_cursor"]
        if cursor is None:
            break
        assert isinstance(cursor, str) and cursor
    assert cursor is None, "next_cursor never became null"
    assert len(seen) == len(set(seen)), "a task appeared twice"
    assert set(seen) == created, "a task is missing"
    assert all(len(p) == 2 for p in pages[:-1]), [len(p) for p in pages]
    assert pages[0][0]["id"] == extra["id"], "lists are newest first"
    created_at = [t["created_at"] for p in pages for t in p]
    assert created_at == sorted(created_at, reverse=True)
    srv.admin.post(f"{TASKS}/{extra['id']}/cancel")


def test_default_limit_is_50(srv):
    type_ = unique_type()
    r = srv.admin.post(f"{TASKS}/batch", {"tasks": [{"type": type_} for _ in range(51)]})
    assert r.status == 201, r
    r = srv.as_("viewer").get(f"{TASKS}?type={type_}")
    assert r.status == 200, r
    assert len(r.body["items"]) == 50
    assert isinstance(r.body["next_cursor"], str) and r.body["next_cursor"]
    rest = srv.as_("viewer").get(f"{TASKS}?type={type_}&cursor={r.body['next_cursor']}").body
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    r = srv.as_("viewer").get(f"{TASKS}?type={type_}&limit=500")
    assert len(r.body["items"]) == 51 and r.body["next_cursor"] is None


def test_batch_of_1000_is_accepted(srv):
    type_ = unique_type()
    r = srv.admin.post(f"{TASKS}/batch", {"tasks": [{"type": type_, "input_data": {"i": i}} for i in range(1000)]})
    assert r.status == 201, r
    assert len(r.body["items"]) == 1000
    assert count_of_type(srv, type_) == 1000


def test_cursor_is_stable_when_tasks_are_added_while_paging(srv):
    type_ = unique_type()
    r = srv.admin.post(f"{TASKS}/batch", {"tasks": [{"type": type_} for _ in range(5)]})
    created = {t["id"] for t in r.body["items"]}
    first = srv.admin.get(f"{TASKS}?type={type_}&limit=2").body
    seen = [t["id"] for t in first["items"]]
    newer = srv.new_task(type_)  # newer than everything: belongs before the pages already read
    cursor = first["next_cursor"]
    while cursor:
        page = srv.admin.get(f"{TASKS}?type={type_}&limit=2&cursor={cursor}").body
        seen.extend(t["id"] for t in page["items"])
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)), "a task appeared twice"
    assert set(seen) == created, (newer["id"] in seen, "the pages should hold exactly the first five")


def test_cancel_and_retry(srv):
    operator = srv.as_("operator")
    task = srv.new_task(UNHANDLED)
    assert task["status"] in WAITING, task
    base = f"{TASKS}/{task['id']}"
    r = operator.post(f"{base}/cancel")
    assert r.status == 200, r
    assert r.body["status"] == "cancelled" and r.body["id"] == task["id"]
    assert srv.as_("viewer").get(base).body["status"] == "cancelled"
    assert_problem(operator.post(f"{base}/cancel"), 409, "conflict")

    r = operator.post(f"{base}/retry")
    assert r.status == 200, r
    assert r.body["status"] == "queued", r.body
    assert srv.as_("viewer").get(base).body["status"] in WAITING
    assert_problem(operator.post(f"{base}/retry"), 409, "conflict")
    assert srv.as_("viewer").get(base).body["status"] in WAITING
    assert operator.post(f"{base}/cancel").status == 200


def test_cancel_of_a_completed_task_is_409(srv):
    r = srv.admin.post(f"/api/v1/agents/{srv.echo_agent['id']}/execute?timeout_ms=10000", {"type": "echo"})
    assert r.status == 200 and r.body["status"] == "completed", r
    assert_problem(srv.admin.post(f"{TASKS}/{r.body['id']}/cancel"), 409, "conflict")
    assert srv.admin.get(f"{TASKS}/{r.body['id']}").body["status"] == "completed"
    assert_problem(srv.admin.post(f"{TASKS}/{r.body['id']}/retry"), 409, "conflict")


def test_cancel_and_retry_of_unknown_task_are_404(srv):
    assert_problem(srv.admin.post(f"{TASKS}/{NOT_A_ROUTE_ID}/cancel"), 404, "not-found")
    assert_problem(srv.admin.post(f"{TASKS}/{NOT_A_ROUTE_ID}/retry"), 404, "not-found")


def test_unknown_assigned_agent_is_422(srv):
    type_ = unique_type()
    r = srv.admin.post(TASKS, {"type": type_, "assigned_agent": NOT_A_ROUTE_ID})
    assert_problem(r, 422, "validation", fields=["assigned_agent"])
    assert count_of_type(srv, type_) == 0


def test_a_waiting_task_has_not_started(srv):
    task = srv.new_task()
    got = srv.admin.get(f"{TASKS}/{task['id']}").body
    assert got["status"] in WAITING
    assert got["attempts"] == 0
    assert got["started_at"] is None and got["completed_at"] is None
    assert got["error"] is None
    srv.admin.post(f"{TASKS}/{task['id']}/cancel")


def test_agent_filter_finds_tasks_an_agent_ran(srv):
    echo = srv.echo_agent["id"]
    r = srv.admin.post(f"/api/v1/agents/{echo}/execute?timeout_ms=10000", {"type": "echo", "input_data": {"k": uid()}})
    assert r.status == 200, r
    ran = srv.admin.list_all(f"{TASKS}?agent={echo}&status=completed")
    assert r.body["id"] in [t["id"] for t in ran]
    assert all(t["assigned_agent"] == echo for t in ran)
