"""Agents: demo data, CRUD, start/pause/stop, execute on the echo agent."""
import re
import secrets

from support.helpers import AGENT_STATUSES, NOT_A_ROUTE_ID, assert_problem, is_timestamp, is_uuid, wait_for

AGENTS = "/api/v1/agents"
AGENT_FIELDS = {"id", "name", "type", "version", "config", "status", "capabilities", "created_by",
                "created_at", "updated_at", "stats"}
STATS_FIELDS = {"tasks_completed", "tasks_failed", "avg_latency_ms", "queue_depth"}


def check_agent(agent):
    assert AGENT_FIELDS <= agent.keys(), agent
    assert is_uuid(agent["id"])
    assert agent["status"] in AGENT_STATUSES, agent
    assert isinstance(agent["capabilities"], list)
    assert isinstance(agent["config"], dict)
    assert STATS_FIELDS <= agent["stats"].keys(), agent
    assert is_timestamp(agent["created_at"]) and is_timestamp(agent["updated_at"]), agent


def test_demo_agents_are_present(srv):
    agents = srv.admin.list_all(AGENTS)
    for a in agents:
        check_agent(a)
    types = {a["type"] for a in agents}
    assert {"product_manager", "sales", "marketing", "echo", "assistant"} <= types, types
    assistant = next(a for a in agents if a["type"] == "assistant")
    assert assistant["capabilities"] == ["assistant.run"] and assistant["config"]["tools"] == ["echo"], assistant
    echo = [a for a in agents if a["type"] == "echo"]
    assert any("echo" in a["capabilities"] for a in echo), echo
    assert srv.echo_agent["capabilities"] == ["echo"], srv.echo_agent
    assert set(srv.echo_agent["stats"]) == STATS_FIELDS, srv.echo_agent["stats"]


def test_create_get_update_delete(srv):
    admin = srv.admin
    name = "it-agent-" + secrets.token_hex(4)
    r = admin.post(AGENTS, {"name": name, "type": "marketing", "config": {"tone": "dry"}})
    assert r.status == 201, r
    agent = r.body
    check_agent(agent)
    assert r.headers["Location"] == f"{AGENTS}/{agent['id']}"
    assert agent["name"] == name and agent["type"] == "marketing"
    assert agent["status"] == "idle"
    assert agent["config"] == {"tone": "dry"}
    assert agent["created_by"] == srv.users["admin"]["id"]
    assert "marketing.generate_content" in agent["capabilities"], agent  # the type's default
    r = admin.get(f"{AGENTS}?type=marketing&status=idle&limit=500")
    assert r.status == 200 and agent["id"] in [a["id"] for a in r.body["items"]], r

    r = admin.get(f"{AGENTS}/{agent['id']}")
    assert r.status == 200 and r.body["id"] == agent["id"] and r.body["name"] == name, r

    r = admin.patch(f"{AGENTS}/{agent['id']}", {"name": name + "-renamed", "config": {"tone": "warm"},
                                                "capabilities": ["marketing.campaign_report"], "version": "2.0.0"})
    assert r.status == 200, r
    assert r.body["name"] == name + "-renamed" and r.body["config"] == {"tone": "warm"}
    assert r.body["capabilities"] == ["marketing.campaign_report"]
    assert r.body["version"] == "2.0.0"
    assert r.body["type"] == "marketing"
    assert admin.get(f"{AGENTS}/{agent['id']}").body["name"] == name + "-renamed"

    r = admin.delete(f"{AGENTS}/{agent['id']}")
    assert r.status == 204 and not r.raw, r
    assert_problem(admin.get(f"{AGENTS}/{agent['id']}"), 404, "not-found")
    assert_problem(admin.delete(f"{AGENTS}/{agent['id']}"), 404, "not-found")


def test_echo_agent_default_capability(srv):
    r = srv.admin.post(AGENTS, {"name": "it-echo-" + secrets.token_hex(4), "type": "echo"})
    assert r.status == 201, r
    assert "echo" in r.body["capabilities"]
    srv.admin.delete(f"{AGENTS}/{r.body['id']}")


def test_manager_may_manage_agents(srv):
    manager = srv.as_("manager")
    r = manager.post(AGENTS, {"name": "it-mgr-" + secrets.token_hex(4), "type": "sales"})
    assert r.status == 201, r
    assert r.body["created_by"] == srv.users["manager"]["id"]
    assert manager.delete(f"{AGENTS}/{r.body['id']}").status == 204


def test_duplicate_name_is_409_and_nothing_is_written(srv):
    name = "it-dup-" + secrets.token_hex(4)
    assert srv.admin.post(AGENTS, {"name": name, "type": "echo"}).status == 201
    before = srv.admin.count(AGENTS)
    assert_problem(srv.admin.post(AGENTS, {"name": name, "type": "sales"}), 409, "conflict")
    assert srv.admin.count(AGENTS) == before
    other = srv.new_agent()
    assert_problem(srv.admin.patch(f"{AGENTS}/{other['id']}", {"name": name}), 409, "conflict")
    assert srv.admin.get(f"{AGENTS}/{other['id']}").body["name"] == other["name"]


def test_start_pause_stop(srv):
    agent = srv.new_agent("product_manager")
    operator = srv.as_("operator")
    base = f"{AGENTS}/{agent['id']}"
    for action, status in (("pause", "paused"), ("pause", "paused"), ("start", "idle"), ("stop", "stopped"),
                           ("start", "idle"), ("stop", "stopped")):
        r = operator.post(f"{base}/{action}")
        assert r.status == 200, (action, r)
        check_agent(r.body)
        assert r.body["status"] == status, (action, r.body)
        assert srv.as_("viewer").get(base).body["status"] == status
    listed = {a["id"]: a for a in srv.as_("viewer").list_all(AGENTS)}
    assert listed[agent["id"]]["status"] == "stopped"


def test_control_of_unknown_agent_is_404(srv):
    for action in ("start", "pause", "stop"):
        assert_problem(srv.admin.post(f"{AGENTS}/{NOT_A_ROUTE_ID}/{action}"), 404, "not-found")
    assert_problem(srv.admin.get(f"{AGENTS}/not-a-uuid"), 404, "not-found")


def test_execute_on_the_echo_agent_answers_the_finished_task(srv):
    echo = srv.echo_agent
    data = {"hello": "world", "n": 7, "nested": {"list": [1, 2, 3]}}
    r = srv.as_("operator").post(f"{AGENTS}/{echo['id']}/execute?timeout_ms=10000",
                                 {"type": "echo", "input_data": data})
    assert r.status == 200, r
    task = r.body
    assert task["status"] == "completed", task
    assert task["output_data"] == data, task
    assert task["input_data"] == data
    assert task["assigned_agent"] == echo["id"]
    assert is_timestamp(task["completed_at"])


def test_stats_count_completed_tasks(srv):
    echo = srv.echo_agent["id"]
    before = srv.admin.get(f"{AGENTS}/{echo}").body["stats"]["tasks_completed"]
    for i in range(3):
        r = srv.admin.post(f"{AGENTS}/{echo}/execute?timeout_ms=10000", {"type": "echo", "input_data": {"i": i}})
        assert r.status == 200 and r.body["status"] == "completed", r
    wait_for(lambda: srv.admin.get(f"{AGENTS}/{echo}").body["stats"]["tasks_completed"] >= before + 3,
             timeout=5, message="stats.tasks_completed to count three more tasks")
    # Numbers read as people and tools expect: "avg_latency_ms":0.0 or 3.2, never 0E0 (the
    # shared client refuses the exponent form in every answer of every test).
    raw = srv.admin.get(f"{AGENTS}/{echo}").raw.decode()
    assert re.search(r'"avg_latency_ms":-?\d+\.\d+[,}]', raw), raw


def test_execute_on_an_unknown_agent_is_404(srv):
    r = srv.admin.post(f"{AGENTS}/{NOT_A_ROUTE_ID}/execute?timeout_ms=1000", {"type": "echo"})
    assert_problem(r, 404, "not-found")


def test_the_list_follows_every_change_at_once(srv):
    """The list may be served from a cache (SQLite): every write must show in the next read."""
    admin = srv.admin
    name = "it-listed-" + secrets.token_hex(4)
    query = f"{AGENTS}?type=marketing&limit=100"

    def listed():
        found = [a for a in admin.get(query).body["items"] if a["name"] == name]
        return found[0] if found else None

    assert listed() is None and listed() is None  # the second read may come from the cache
    agent = admin.post(AGENTS, {"name": name, "type": "marketing"}).body
    assert listed()["id"] == agent["id"]
    assert admin.post(f"{AGENTS}/{agent['id']}/pause").status == 200
    assert listed()["status"] == "paused"
    assert admin.patch(f"{AGENTS}/{agent['id']}", {"name": name + "-renamed"}).status == 200
    name += "-renamed"
    assert listed()["name"] == name
    assert srv.as_("viewer").get(query).body == admin.get(query).body  # the same page for every reader
    assert admin.delete(f"{AGENTS}/{agent['id']}").status == 204
    assert listed() is None
