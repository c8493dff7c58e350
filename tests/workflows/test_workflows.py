"""The workflow engine against the real binary: step types, triggers, validation, durability."""
import json
import time
import urllib.request

import pytest


def wait_for(admin, execution_id, statuses=("completed", "failed", "cancelled"), timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = admin.get(f"/api/v1/workflow-executions/{execution_id}")
        e = r.body
        assert r.status == 200, e
        if e["status"] in statuses:
            return e
        time.sleep(0.05)
    raise AssertionError(f"execution stayed {e['status']}: {json.dumps(e)[:2000]}")


def wait_step(admin, execution_id, step_id, status, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        execution = admin.get(f"/api/v1/workflow-executions/{execution_id}").body
        if steps_of(execution)[step_id]["status"] == status:
            return execution
        time.sleep(0.05)
    raise AssertionError(f"step {step_id} never became {status}: {json.dumps(execution)[:2000]}")


def create(admin, definition, name="wf", status="active"):
    r = admin.post("/api/v1/workflows", {"name": name, "definition": definition, "status": status})
    assert r.status == 201, r.body
    return r.body


def execute(admin, workflow, body=None):
    """POST .../execute; the response."""
    return admin.post(f"/api/v1/workflows/{workflow['id']}/execute", {} if body is None else body)


def steps_of(execution):
    return {s["id"]: s for s in execution["steps"]}


def test_every_step_type_runs_and_an_approval_is_decided(server_factory):
    admin = server_factory().admin()
    agents = admin.get("/api/v1/agents?type=sales").body["items"]
    workflow = create(admin, {
        "trigger": {"type": "manual"},
        "steps": [
            {"id": "a", "type": "task", "task_type": "echo", "input": {"v": "{{input.v}}", "who": "lead {{input.name}}"}},
            {"id": "c", "type": "condition", "depends_on": ["a"], "expression": "steps.a.output.v > 10", "then": ["fan"], "else": ["small"]},
            {"id": "fan", "type": "parallel", "branches": ["left", "right"]},
            {"id": "left", "type": "task", "task_type": "echo", "input": {"side": "left"}},
            {"id": "right", "type": "delay", "seconds": 0.2},
            {"id": "join", "type": "notify", "depends_on": ["left", "right"], "to_agent": agents[0]["id"],
             "message_type": "lead.hot", "payload": {"v": "{{steps.a.output.v}}"}},
            {"id": "small", "type": "notify", "topic": "workflows.small_lead", "payload": {}},
            {"id": "ok", "type": "approval", "depends_on": ["join"], "role": "manager"},
        ],
        "output": {"who": "{{steps.a.output.who}}", "approved": "{{steps.ok.output.approved}}"},
    })
    r = execute(admin, workflow, {"input": {"v": 42, "name": "Ada"}})
    execution = r.body
    assert r.status == 201 and execution["status"] in ("running", "waiting")
    waiting = wait_step(admin, execution["id"], "ok", "waiting")
    assert waiting["status"] == "waiting"
    steps = steps_of(waiting)
    assert steps["a"]["output"] == {"v": 42, "who": "lead Ada"} and steps["a"]["task_id"]
    assert steps["c"]["output"] == {"result": True, "branch": "then"}
    assert steps["small"]["status"] == "skipped"
    assert steps["left"]["status"] == steps["right"]["status"] == steps["join"]["status"] == "completed"
    assert steps["ok"]["status"] == "waiting"
    messages = admin.get(f"/api/v1/messages?agent_id={agents[0]['id']}").body["items"]
    assert messages[0]["message_type"] == "lead.hot" and messages[0]["payload"] == {"v": 42}
    # A viewer may not decide; the approval names the manager role, which an admin also has.
    assert admin.post(f"/api/v1/workflow-executions/{execution['id']}/steps/ok/approve", {"approved": True, "comment": "go"}).status == 200
    done = wait_for(admin, execution["id"])
    assert done["status"] == "completed" and done["output"] == {"who": "lead Ada", "approved": True}
    assert admin.post(f"/api/v1/workflow-executions/{execution['id']}/steps/ok/approve", {"approved": True}).status == 409

    rejected = execute(admin, workflow, {"input": {"v": 1, "name": "Bo"}}).body
    steps = steps_of(wait_for(admin, rejected["id"]))
    assert steps["small"]["status"] == "completed" and steps["fan"]["status"] == "skipped" and steps["ok"]["status"] == "skipped"


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_parallel_task_branches_ending_together_join_once(server_factory, backend):
    """The branches' tasks end at about the same time, often in one write batch, where each end
    reads the execution without waiting: every end must see the ones before it, or the join
    never runs (or runs on stale steps)."""
    admin = server_factory(backend).admin()
    branches = [f"b{i}" for i in range(6)]
    workflow = create(admin, {
        "trigger": {"type": "manual"},
        "steps": [{"id": "fan", "type": "parallel", "branches": branches}]
        + [{"id": b, "type": "task", "task_type": "echo", "input": {"branch": b, "n": "{{input.n}}"}} for b in branches]
        + [{"id": "join", "type": "condition", "depends_on": branches, "expression": "true"}],
        "output": {b: "{{steps." + b + ".output.branch}}" for b in branches},
    })
    started = [execute(admin, workflow, {"input": {"n": n}}) for n in range(12)]
    assert all(r.status == 201 for r in started), [r.body for r in started]
    for r in started:
        done = wait_for(admin, r.body["id"])
        steps = steps_of(done)
        assert done["status"] == "completed", done
        assert done["output"] == {b: b for b in branches}
        assert all(steps[b]["status"] == "completed" and steps[b]["attempts"] == 1 for b in branches), steps
        assert steps["join"]["status"] == "completed" and steps["join"]["attempts"] == 1, steps["join"]


def test_a_failed_step_takes_its_failure_path_or_fails_the_execution(server_factory):
    admin = server_factory().admin()
    workflow = create(admin, {
        "trigger": {"type": "manual"},
        "steps": [
            {"id": "report", "type": "task", "task_type": "sales.score_lead", "input": {"lead_id": "no-such-lead"},
             "on_failure": "fallback"},
            {"id": "fallback", "type": "task", "task_type": "echo", "input": {"used": "fallback"}},
            {"id": "after", "type": "task", "task_type": "echo", "depends_on": ["report"]},
        ],
    })
    execution = wait_for(admin, execute(admin, workflow).body["id"])
    steps = steps_of(execution)
    assert steps["report"]["status"] == "failed" and "lead_id" in steps["report"]["error"], steps["report"]
    assert steps["fallback"]["status"] == "completed" and steps["after"]["status"] == "skipped"
    assert execution["status"] == "completed"
    strict = create(admin, {"trigger": {"type": "manual"}, "steps": [{"id": "report", "type": "task", "task_type": "sales.score_lead",
                                                                          "input": {"lead_id": "no-such-lead"}}]})
    failed = wait_for(admin, execute(admin, strict).body["id"])
    assert failed["status"] == "failed" and "report" in failed["error"]


def test_validation_errors_name_the_step_and_field(server_factory):
    admin = server_factory().admin()
    r = admin.post("/api/v1/workflows", {"name": "bad", "definition": {
        "trigger": {"type": "schedule", "cron": "every day"},
        "steps": [{"id": "a", "type": "task", "task_type": "echo", "input": {"x": "{{steps.b.output}}"}},
                  {"id": "b", "type": "condition", "expression": "1 +"}]}})
    assert r.status == 422
    fields = {e["field"] for e in r.body["errors"]}
    assert {"definition.trigger.cron", "definition.steps[1].expression"} <= fields
    r = admin.post("/api/v1/workflows", {"name": "cycle", "definition": {
        "trigger": {"type": "manual"},
        "steps": [{"id": "a", "type": "delay", "seconds": 1, "depends_on": ["b"]},
                  {"id": "b", "type": "delay", "seconds": 1, "depends_on": ["a"]}]}})
    assert r.status == 422 and "cycle" in json.dumps(r.body)
    names = {w["name"] for w in admin.get("/api/v1/workflows").body["items"]}
    assert "bad" not in names and "cycle" not in names
    draft = create(admin, {"trigger": {"type": "manual"}, "steps": [{"id": "a", "type": "delay", "seconds": 0}]}, status="draft")
    assert execute(admin, draft).status == 409


def test_webhook_schedule_and_event_triggers(server_factory):
    server = server_factory()
    admin = server.admin()
    hook = create(admin, {
        "trigger": {"type": "webhook", "respond_with_output": True},
        "steps": [{"id": "a", "type": "task", "task_type": "echo", "input": {"v": "{{input.v}}"}},
                  {"id": "c", "type": "condition", "depends_on": ["a"], "expression": "steps.a.output.v > 10"}],
        "output": {"big": "{{steps.c.output.result}}"}})
    assert hook["webhook_url"].startswith("/api/v1/hooks/")
    request = urllib.request.Request(server.url + hook["webhook_url"], data=b'{"v": 11}', method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        answer = json.loads(response.read())
    assert response.status == 200 and answer["status"] == "completed" and answer["output"] == {"big": True}
    anonymous = server.client()
    assert anonymous.post("/api/v1/hooks/not-a-token", {}).status == 404
    asynchronous = create(admin, {"trigger": {"type": "webhook"}, "steps": [{"id": "a", "type": "delay", "seconds": 0}]})
    r = anonymous.post(asynchronous["webhook_url"], {"k": 1})
    assert r.status == 202 and wait_for(admin, r.body["execution_id"])["trigger"] == "webhook"

    every_second = create(admin, {"trigger": {"type": "schedule", "cron": "* * * * * *", "timezone": "UTC"},
                                   "steps": [{"id": "a", "type": "delay", "seconds": 0}]})
    time.sleep(2.5)
    runs = admin.get(f"/api/v1/workflow-executions?workflow_id={every_second['id']}").body["items"]
    assert len(runs) >= 1 and all(r["trigger"] == "schedule" for r in runs)
    admin.patch(f"/api/v1/workflows/{every_second['id']}", {"status": "archived"})

    on_failure = create(admin, {"trigger": {"type": "event", "topic": "tasks.failed", "filter": "event.data.type == 'sales.score_lead'"},
                                 "steps": [{"id": "log", "type": "notify", "topic": "workflows.task_failed", "payload": {"id": "{{input.data.id}}"}}]})
    admin.post("/api/v1/tasks", {"type": "sales.score_lead"})
    admin.post("/api/v1/tasks", {"type": "nobody.runs.this"})
    deadline = time.time() + 10
    while time.time() < deadline:
        runs = admin.get(f"/api/v1/workflow-executions?workflow_id={on_failure['id']}").body["items"]
        if runs:
            break
        time.sleep(0.1)
    assert len(runs) == 1 and runs[0]["trigger"] == "event"
    assert wait_for(admin, runs[0]["id"])["input"]["data"]["type"] == "sales.score_lead"


def completed_events(server, execution_id):
    rows = server.sql("SELECT json_extract(data, '$.step_id'), count(*) FROM events WHERE topic = 'workflows.step_completed' "
                      "AND json_extract(data, '$.execution_id') = ? GROUP BY 1", (execution_id,))
    return dict(rows)


def test_kill_9_mid_ten_step_workflow_and_during_a_delay_resumes_without_rerunning(server_factory):
    server = server_factory()
    admin = server.admin()
    steps = []
    for i in range(10):
        step = {"id": f"s{i}", "type": "task" if i % 2 == 0 else "delay"}
        step.update({"task_type": "echo", "input": {"i": i}} if i % 2 == 0 else {"seconds": 0.4})
        if i:
            step["depends_on"] = [f"s{i - 1}"]
        steps.append(step)
    chain = create(admin, {"trigger": {"type": "manual"}, "steps": steps, "output": {"last": "{{steps.s8.output.i}}"}})
    long_delay = create(admin, {"trigger": {"type": "manual"}, "steps": [{"id": "wait", "type": "delay", "seconds": 3}]})
    execution = execute(admin, chain).body
    delayed = execute(admin, long_delay).body
    time.sleep(1.0)
    before = steps_of(admin.get(f"/api/v1/workflow-executions/{execution['id']}").body)
    assert 0 < sum(s["status"] == "completed" for s in before.values()) < 10
    server.kill9()
    server.start()
    done = wait_for(admin, execution["id"], timeout=30)
    assert done["status"] == "completed" and done["output"] == {"last": 8}
    assert all(s["status"] == "completed" and s["attempts"] == 1 for s in done["steps"]), done["steps"]
    for sid, s in before.items():
        if s["status"] == "completed":
            assert steps_of(done)[sid]["completed_at"] == s["completed_at"], sid  # not run again
    assert completed_events(server, execution["id"]) == {f"s{i}": 1 for i in range(10)}
    waited = wait_for(admin, delayed["id"], timeout=30)
    step = waited["steps"][0]
    assert step["status"] == "completed" and step["attempts"] == 1
    assert 2.5 <= step["output"]["waited_ms"] / 1000 < 6  # the original wake-up time, not a new delay


def test_an_approval_waits_across_a_restart(server_factory):
    server = server_factory()
    admin = server.admin()
    workflow = create(admin, {"trigger": {"type": "manual"}, "steps": [
        {"id": "ask", "type": "approval", "role": "manager"},
        {"id": "after", "type": "task", "task_type": "echo", "depends_on": ["ask"], "input": {"ok": True}}]})
    execution = execute(admin, workflow).body
    wait_step(admin, execution["id"], "ask", "waiting")
    server.kill9()
    server.start()
    admin = server.admin(fresh=True)  # a login after the restart
    assert wait_for(admin, execution["id"], ("waiting",))["status"] == "waiting"
    r = admin.post(f"/api/v1/workflow-executions/{execution['id']}/steps/ask/approve",
                   {"approved": False, "comment": "not now"})
    assert r.status == 200
    final = wait_for(admin, execution["id"])
    assert final["status"] == "failed" and "rejected" in final["error"] and steps_of(final)["after"]["status"] == "skipped"


def test_cancel_an_execution(server_factory):
    admin = server_factory().admin()
    workflow = create(admin, {"trigger": {"type": "manual"}, "steps": [{"id": "wait", "type": "delay", "seconds": 30}]})
    execution = execute(admin, workflow).body
    r = admin.post(f"/api/v1/workflow-executions/{execution['id']}/cancel")
    cancelled = r.body
    assert r.status == 200 and cancelled["status"] == "cancelled" and cancelled["steps"][0]["status"] == "cancelled"
    assert admin.post(f"/api/v1/workflow-executions/{execution['id']}/cancel").status == 409


def test_a_sub_workflow_runs_inside_its_parent(server_factory):
    admin = server_factory().admin()
    child = create(admin, {"trigger": {"type": "manual"},
                            "steps": [{"id": "double", "type": "task", "task_type": "echo", "input": {"v": "{{input.v * 2}}"}}],
                            "output": {"doubled": "{{steps.double.output.v}}"}}, name="child")
    parent = create(admin, {"trigger": {"type": "manual"},
                             "steps": [{"id": "sub", "type": "sub_workflow", "workflow_id": child["id"], "input": {"v": "{{input.v}}"}},
                                       {"id": "after", "type": "condition", "depends_on": ["sub"], "expression": "steps.sub.output.doubled == 42"}],
                             "output": {"ok": "{{steps.after.output.result}}"}}, name="parent")
    done = wait_for(admin, execute(admin, parent, {"input": {"v": 21}}).body["id"])
    assert done["status"] == "completed" and done["output"] == {"ok": True}
    children = admin.get(f"/api/v1/workflow-executions?workflow_id={child['id']}").body["items"]
    assert len(children) == 1 and children[0]["parent_execution_id"] == done["id"] and children[0]["trigger"] == "sub_workflow"
    r = admin.post("/api/v1/workflows", {"name": "bad", "definition": {
        "trigger": {"type": "manual"}, "steps": [{"id": "s", "type": "sub_workflow", "workflow_id": "nope"}]}})
    assert r.status == 422 and r.body["errors"][0]["field"] == "definition.steps[0].workflow_id"


class Receiver:
    """A local HTTP endpoint for http steps: records each call and answers from a script."""

    def __init__(self):
        import http.server
        import threading
        self.calls = []
        self.answers = {}  # path -> list of (status, body), last one repeats
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def handle_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                receiver.calls.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                       "body": json.loads(body) if body else None})
                script = receiver.answers.get(self.path, [(200, {"ok": True})])
                status, answer = script.pop(0) if len(script) > 1 else script[0]
                if status == "hang":
                    time.sleep(answer)
                    status, answer = 200, {}
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = handle_any

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def test_http_steps_call_out_retry_and_fail_clearly(server_factory):
    admin = server_factory().admin()
    receiver = Receiver()
    try:
        receiver.answers["/flaky"] = [(503, {"busy": True}), (200, {"score": 7})]
        receiver.answers["/missing"] = [(404, {"error": "no such lead"})]
        receiver.answers["/slow"] = [("hang", 3)]
        workflow = create(admin, {"trigger": {"type": "manual"}, "steps": [
            {"id": "post", "type": "http", "method": "POST", "url": receiver.url + "/leads/{{input.id}}",
             "headers": {"X-Lead": "{{input.id}}"}, "body": {"name": "{{input.name}}"}},
            {"id": "flaky", "type": "http", "depends_on": ["post"], "url": receiver.url + "/flaky",
             "max_attempts": 3, "backoff_ms": 10},
            {"id": "check", "type": "condition", "depends_on": ["flaky"], "expression": "steps.flaky.output.body.score == 7"}],
            "output": {"score": "{{steps.flaky.output.body.score}}", "posted": "{{steps.post.output.status}}"}})
        done = wait_for(admin, execute(admin, workflow, {"input": {"id": "L-1", "name": "Ada"}}).body["id"])
        assert done["status"] == "completed", done
        assert done["output"] == {"score": 7, "posted": 200}
        steps = steps_of(done)
        assert steps["flaky"]["attempts"] == 2 and steps["post"]["input"]["url"] == receiver.url + "/leads/L-1"
        post = receiver.calls[0]
        assert post["method"] == "POST" and post["path"] == "/leads/L-1"
        assert post["headers"]["X-Lead"] == "L-1" and post["body"] == {"name": "Ada"}

        # A 4xx is not retried; a timeout fails the step with a clear error.
        failing = create(admin, {"trigger": {"type": "manual"}, "steps": [
            {"id": "missing", "type": "http", "url": receiver.url + "/missing", "max_attempts": 3, "backoff_ms": 10}]})
        done = wait_for(admin, execute(admin, failing).body["id"])
        step = steps_of(done)["missing"]
        assert done["status"] == "failed" and step["attempts"] == 1 and "HTTP 404" in step["error"]
        slow = create(admin, {"trigger": {"type": "manual"}, "steps": [
            {"id": "slow", "type": "http", "url": receiver.url + "/slow", "timeout_ms": 300}]})
        done = wait_for(admin, execute(admin, slow).body["id"])
        assert done["status"] == "failed" and "no answer from" in steps_of(done)["slow"]["error"]
    finally:
        receiver.close()

    r = admin.post("/api/v1/workflows", {"name": "bad", "definition": {
        "trigger": {"type": "manual"}, "steps": [{"id": "h", "type": "http", "url": "ftp://example.com", "timeout_ms": 120000}]}})
    assert r.status == 422
    assert {e["field"] for e in r.body["errors"]} == {"definition.steps[0].url", "definition.steps[0].timeout_ms"}


def test_llm_steps_write_text_and_json_for_later_steps(server_factory):
    """Offline (no key): an inline prompt's text and a stored prompt's JSON answer, each used by
    the step after it; the calls are labelled with the workflow (and the prompt) in the usage."""
    admin = server_factory().admin()
    r = admin.post("/api/v1/prompts", {"name": "deal-facts", "template": "Deal: {{deal}}\nstage: {{stage}}",
                                       "variables": ["deal", "stage"]})
    assert r.status == 201, r
    workflow = create(admin, {
        "trigger": {"type": "manual"},
        "steps": [
            {"id": "summary", "type": "llm", "prompt": "Summarise for the team. {{input.note}}", "system": "Be brief."},
            {"id": "facts", "type": "llm", "prompt": {"name": "deal-facts"},
             "variables": {"deal": "{{input.deal}}", "stage": "{{input.stage}}"},
             "schema": {"type": "object", "properties": {"stage": {"type": "string", "enum": ["proposal", "won", "lost"]}},
                        "required": ["stage"]}},
            {"id": "keep", "type": "task", "task_type": "echo", "depends_on": ["summary", "facts"],
             "input": {"summary": "{{steps.summary.output.text}}", "stage": "{{steps.facts.output.json.stage}}"}},
        ],
        "output": "{{steps.keep.output}}"})
    note = "The customer signed the order form on Monday. Delivery starts in March."
    e = wait_for(admin, execute(admin, workflow, {"input": {"note": note, "deal": "Acme renewal", "stage": "won"}}).body["id"])
    assert e["status"] == "completed", e
    steps = steps_of(e)
    assert steps["summary"]["output"]["provider"] == "offline"
    assert steps["summary"]["output"]["text"] and steps["summary"]["output"]["text"] in note
    assert steps["facts"]["output"]["json"] == {"stage": "won"}, steps["facts"]
    assert steps["facts"]["input"]["prompt"] == "Deal: Acme renewal\nstage: won"
    assert steps["facts"]["input"]["prompt_version"] == 1
    assert e["output"] == {"summary": steps["summary"]["output"]["text"], "stage": "won"}
    usage = admin.get("/api/v1/ai/usage?group_by=model").body
    assert usage["totals"]["requests"] >= 2


def test_a_workflow_budget_stops_its_llm_step_before_the_model_is_called(server_factory):
    server = server_factory()
    admin = server.admin()
    workflow = create(admin, {
        "trigger": {"type": "manual"}, "budget": {"requests_per_minute": 1},
        "steps": [{"id": "ask", "type": "llm", "prompt": "What changed? {{input.note}}"}]})
    first = wait_for(admin, execute(admin, workflow, {"input": {"note": "The launch moved to May."}}).body["id"])
    assert first["status"] == "completed", first
    second = wait_for(admin, execute(admin, workflow, {"input": {"note": "And the budget?"}}).body["id"])
    assert second["status"] == "failed", second
    assert steps_of(second)["ask"]["error"].startswith("budget exceeded: requests_per_minute is 1, used 1"), second
    rows = server.sql("SELECT data FROM events WHERE topic = 'workflows.budget_exceeded'")
    events = [json.loads(d) if isinstance(d, str) else d for (d,) in rows]
    assert [(ev["execution_id"], ev["budget"]) for ev in events] == [(second["id"], "requests_per_minute")], events
    assert server.sql("SELECT count(*) FROM ai_calls WHERE workflow_id = ?", (workflow["id"],))[0][0] == 1


def test_llm_step_definitions_are_checked(server_factory):
    admin = server_factory().admin()

    def refused(step, field):
        r = admin.post("/api/v1/workflows", {"name": "bad-llm", "definition": {"trigger": {"type": "manual"}, "steps": [step]}})
        assert r.status == 422, r
        assert field in [e["field"] for e in r.body["errors"]], r.body

    refused({"id": "a", "type": "llm"}, "definition.steps[0].prompt")
    refused({"id": "a", "type": "llm", "prompt": "hi", "variables": {"x": 1}}, "definition.steps[0].variables")
    refused({"id": "a", "type": "llm", "prompt": "hi", "schema": {"type": "strange"}}, "definition.steps[0].schema")
    refused({"id": "a", "type": "llm", "prompt": "{{steps.b.output}}"}, "definition.steps[0].input")
    r = admin.post("/api/v1/workflows", {"name": "bad-budget", "definition": {
        "trigger": {"type": "manual"}, "budget": {"usd_per_day": "lots"}, "steps": [{"id": "a", "type": "llm", "prompt": "hi"}]}})
    assert r.status == 422 and "definition.budget.usd_per_day" in [e["field"] for e in r.body["errors"]], r.body
    # A stored prompt that does not exist fails the step when it runs, naming it.
    workflow = create(admin, {"trigger": {"type": "manual"}, "steps": [{"id": "a", "type": "llm", "prompt": {"name": "nope"}}]})
    e = wait_for(admin, execute(admin, workflow).body["id"])
    assert e["status"] == "failed" and "no prompt is named 'nope'" in steps_of(e)["a"]["error"], e
