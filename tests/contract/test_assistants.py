"""The `assistant` agent type (docs/ai.md, "Tool-using agents"): the model answers or asks for
tools, each tool a task of another agent that the hub runs; every step is stored in the task's
output and published as an `agents.steps` event."""
import json
import secrets

from support import ws
from support.helpers import NOT_A_ROUTE_ID, assert_problem, wait_for


def new_assistant(client, **config):
    r = client.post("/api/v1/agents", {"name": "assistant-" + secrets.token_hex(4), "type": "assistant", "config": config})
    assert r.status == 201, r
    assert r.body["capabilities"] == ["assistant.run"]
    return r.body


def run(client, agent, input_data):
    r = client.post(f"/api/v1/agents/{agent['id']}/execute?timeout_ms=20000", {"type": "assistant.run", "input_data": input_data})
    assert r.status == 200, r
    return r.body


async def first_event(srv, topic, matches):
    """The data of the first event on `topic` (replayed from the start) that `matches`."""
    sub, _ = await ws.subscribe(srv, srv.tokens["viewer"], [topic], since=0)
    try:
        while True:
            message = await ws.receive(sub)
            if message["type"] == "event" and matches(message["data"]):
                return message["data"]
    finally:
        await sub.close()


def step_events(server_or_session, task_id):
    rows = server_or_session.sql("SELECT data FROM events WHERE topic = 'agents.steps'")
    events = [json.loads(d) if isinstance(d, str) else d for (d,) in rows]
    return [e for e in events if e["task_id"] == task_id]


def test_the_offline_model_calls_a_tool_and_answers_with_its_result(srv):
    agent = new_assistant(srv.admin, tools=["echo"], system_prompt="You help.")
    task = run(srv.as_("operator"), agent, {"prompt": 'Please echo this back: {"greeting": "hello", "n": 3}'})
    assert task["status"] == "completed", task
    out = task["output_data"]
    assert out["stopped"] == "answered"
    model, tool, final = out["steps"]
    assert model["type"] == "model" and model["provider"] == "offline"
    assert model["tool_calls"][0]["tool"] == "echo" and model["tool_calls"][0]["arguments"] == {"greeting": "hello", "n": 3}
    assert tool["type"] == "tool" and tool["result"]["status"] == "completed"
    assert tool["result"]["output"] == {"greeting": "hello", "n": 3}, "the hub ran the echo task with the arguments"
    echo_task = srv.admin.get(f"/api/v1/tasks/{tool['result']['task_id']}").body
    assert echo_task["type"] == "echo" and echo_task["input_data"] == {"greeting": "hello", "n": 3}
    assert final["type"] == "model" and final["tool_calls"] == []
    assert out["answer"] == final["content"] and "greeting: hello" in out["answer"]
    events = wait_for(lambda: len(step_events(srv, task["id"])) == 3 and step_events(srv, task["id"]), message="three step events")
    assert [e["index"] for e in events] == [1, 2, 3] and [e["step"]["type"] for e in events] == ["model", "tool", "model"]
    assert all(e["agent_id"] == agent["id"] for e in events)


def test_a_run_stops_at_max_steps_and_says_why(srv):
    agent = new_assistant(srv.admin, tools=["echo"], max_steps=1)
    task = run(srv.admin, agent, {"prompt": 'echo {"x": 1}'})
    assert task["status"] == "completed", task
    assert task["output_data"]["stopped"] == "max_steps"
    assert "max_steps (1)" in task["output_data"]["reason"]
    assert [s["type"] for s in task["output_data"]["steps"]] == ["model", "tool"]


def test_a_tool_it_was_not_given_is_refused_and_bad_input_fails_at_once(srv):
    agent = new_assistant(srv.admin)  # no tools: the model answers from the prompt alone
    task = run(srv.admin, agent, {"prompt": "The launch moved to May. The budget stays the same."})
    assert task["status"] == "completed" and task["output_data"]["stopped"] == "answered", task
    assert len(task["output_data"]["steps"]) == 1
    bad = run(srv.admin, agent, {"question": "no prompt"})
    assert bad["status"] == "failed" and bad["attempts"] == 1, bad
    assert "input_data.prompt" in bad["error"]


def test_a_vendor_model_drives_the_loop(server_factory, llm_standin):
    """The stand-in's `tool-call` model calls the first tool offered every time it is asked: the
    hub runs each call as a task, and the run stops at max_steps with every step kept."""
    server = server_factory(env={"DE_OPENAI_BASE_URL": llm_standin + "/v1", "DE_OPENAI_API_KEY": "sk-env-openai-0123456789"})
    admin = server.admin()
    agent = new_assistant(admin, provider="openai", model="tool-call", tools=["echo"], max_steps=2)
    task = run(admin, agent, {"prompt": "Use the tool."})
    assert task["status"] == "completed", task
    out = task["output_data"]
    assert out["stopped"] == "max_steps"
    assert [s["type"] for s in out["steps"]] == ["model", "tool", "model", "tool"]
    assert all(s["provider"] == "openai" and s["model"] == "tool-call" for s in out["steps"] if s["type"] == "model")
    assert all(s["result"]["status"] == "completed" for s in out["steps"] if s["type"] == "tool")
    usage = wait_for(lambda: next((r for r in admin.get("/api/v1/ai/usage?group_by=agent").body["items"]
                                   if r["key"] == agent["id"] and r["requests"] == 2), None), message="two calls by the agent")
    assert usage["input_tokens"] == 42


def test_a_budget_reached_stops_the_run_before_the_model_is_called(srv):
    agent = new_assistant(srv.admin, budget={"requests_per_minute": 1})
    first = run(srv.admin, agent, {"prompt": "The launch moved to May."})
    assert first["status"] == "completed", first
    wait_for(lambda: any(r["key"] == agent["id"] for r in srv.admin.get("/api/v1/ai/usage?group_by=agent").body["items"]),
             message="the first call recorded")
    second = run(srv.admin, agent, {"prompt": "And the budget?"})
    assert second["status"] == "failed" and second["attempts"] == 1, second
    assert second["error"].startswith("budget exceeded: requests_per_minute is 1, used 1"), second["error"]
    event = ws.run(lambda: first_event(srv, "agents.budget_exceeded", lambda data: data["task_id"] == second["id"]))
    assert event["budget"] == "requests_per_minute" and event["limit"] == 1 and event["agent_id"] == agent["id"], event
    usage = next(r for r in srv.admin.get("/api/v1/ai/usage?group_by=agent").body["items"] if r["key"] == agent["id"])
    assert usage["requests"] == 1, "the model was not called for the second run"


def test_a_bad_budget_fails_the_run_naming_the_field(srv):
    agent = new_assistant(srv.admin, budget={"tokens_per_day": "lots"})
    task = run(srv.admin, agent, {"prompt": "hi"})
    assert task["status"] == "failed" and "config.budget.tokens_per_day" in task["error"], task


def submit(client, agent, prompt):
    r = client.post("/api/v1/tasks", {"type": "assistant.run", "assigned_agent": agent["id"], "input_data": {"prompt": prompt}})
    assert r.status == 201, r
    return r.body


def finished(client, task_id, timeout=20):
    return wait_for(lambda: (t := client.get(f"/api/v1/tasks/{task_id}").body)["status"] in ("completed", "failed", "cancelled") and t,
                    timeout=timeout, message=f"task {task_id} to finish")


def waiting_approval(client, task_id):
    return wait_for(lambda: next((a for a in client.get("/api/v1/tool-approvals?status=waiting").body["items"]
                                  if a["task_id"] == task_id), None), message="a waiting tool approval")


def test_the_tools_offered_are_described_by_what_they_accept(server_factory, llm_standin):
    """The stand-in's `tool-call` model calls the first tool with arguments made from its schema:
    the platform tool's own schema (to_agent and payload required) reached the model."""
    server = server_factory(env={"DE_OPENAI_BASE_URL": llm_standin + "/v1", "DE_OPENAI_API_KEY": "sk-env-openai-0123456789"})
    admin = server.admin()
    agent = new_assistant(admin, provider="openai", model="tool-call", tools=["platform.send_message"], max_steps=1)
    task = run(admin, agent, {"prompt": "Tell the others."})
    model, tool = task["output_data"]["steps"]
    assert model["tool_calls"][0]["arguments"] == {"to_agent": "stand-in", "payload": "stand-in"}, model
    assert tool["tool"] == "platform.send_message" and tool["result"]["status"] == "failed", tool
    assert "no to_agent has the id or name 'stand-in'" in tool["result"]["error"], tool


def test_platform_tools_start_a_workflow_and_message_an_agent(srv):
    name = "assistant-started-" + secrets.token_hex(4)
    r = srv.admin.post("/api/v1/workflows", {"name": name, "definition": {
        "trigger": {"type": "manual"},
        "steps": [{"id": "say", "type": "task", "task_type": "echo", "input": {"said": "{{input.text}}"}}],
        "output": "{{steps.say.output}}"}})
    assert r.status == 201, r
    workflow = r.body
    starter = new_assistant(srv.admin, tools=["platform.start_workflow"])
    task = run(srv.admin, starter, {"prompt": f"Start the workflow.\nworkflow: {name}"})
    assert task["status"] == "completed", task
    tool = task["output_data"]["steps"][1]
    assert tool["tool"] == "platform.start_workflow" and tool["arguments"] == {"workflow": name}, tool
    assert "execution_id" in tool["result"], tool
    execution_id = tool["result"]["execution_id"]
    execution = srv.admin.get(f"/api/v1/workflow-executions/{execution_id}").body
    assert execution["workflow_id"] == workflow["id"] and execution["trigger"] == "assistant", execution

    messenger = new_assistant(srv.admin, tools=["platform.send_message"])
    echo = srv.echo_agent
    task = run(srv.admin, messenger, {"prompt": f"Send a message to the agent.\nto_agent: {echo['name']}\npayload: the launch moved to May"})
    assert task["status"] == "completed", task
    result = task["output_data"]["steps"][1]["result"]
    assert result["to_agent"] == echo["id"], result
    messages = srv.admin.get(f"/api/v1/messages?agent_id={echo['id']}").body["items"]
    sent = next(m for m in messages if m["id"] == result["message_id"])
    assert sent["from_agent"] == messenger["id"] and sent["payload"] == "the launch moved to May", sent


def test_a_tool_that_requires_approval_waits_for_a_person_with_the_role(srv):
    agent = new_assistant(srv.admin, tools=[{"name": "echo", "requires_approval": True, "approver_role": "manager"}])
    task = submit(srv.as_("operator"), agent, 'Echo this: {"refund": 120}')
    approval = waiting_approval(srv.as_("viewer"), task["id"])
    assert approval["tool"] == "echo" and approval["arguments"] == {"refund": 120} and approval["role"] == "manager", approval
    assert srv.as_("admin").get(f"/api/v1/tasks/{task['id']}").body["status"] == "running"
    path = f"/api/v1/tool-approvals/{approval['id']}/approve"
    assert_problem(srv.as_("operator").post(path, {"approved": True}), 403)
    r = srv.as_("manager").post(path, {"approved": True, "comment": "within policy"})
    assert r.status == 200 and r.body["status"] == "approved" and r.body["decided_by"] == "manager@example.com", r
    assert r.body["comment"] == "within policy" and r.body["decided_at"], r
    assert_problem(srv.as_("manager").post(path, {"approved": False}), 409)
    done = finished(srv.admin, task["id"])
    assert done["status"] == "completed", done
    steps = done["output_data"]["steps"]
    assert [s["type"] for s in steps] == ["model", "approval", "tool", "model"], steps
    assert steps[1]["approval_id"] == approval["id"]
    assert steps[2]["approval"] == {"approval_id": approval["id"], "status": "approved", "by": "manager@example.com",
                                    "comment": "within policy"}, steps[2]
    assert steps[2]["result"]["output"] == {"refund": 120}


def test_a_rejected_tool_call_is_not_run_and_the_model_is_told(srv):
    agent = new_assistant(srv.admin, tools=[{"name": "echo", "requires_approval": True}])
    task = submit(srv.admin, agent, 'Echo this: {"refund": 9000}')
    approval = waiting_approval(srv.admin, task["id"])
    r = srv.as_("manager").post(f"/api/v1/tool-approvals/{approval['id']}/approve", {"approved": False, "comment": "too much"})
    assert r.status == 200 and r.body["status"] == "rejected", r
    done = finished(srv.admin, task["id"])
    tool = done["output_data"]["steps"][2]
    assert tool["result"]["status"] == "rejected" and "too much" in tool["result"]["error"], tool
    assert "task_id" not in tool["result"], "no echo task was made"
    assert "rejected" in done["output_data"]["answer"]


def test_approval_input_is_checked(srv):
    assert_problem(srv.admin.get("/api/v1/tool-approvals?status=maybe"), 400)
    assert_problem(srv.admin.post(f"/api/v1/tool-approvals/{NOT_A_ROUTE_ID}/approve", {"approved": True}), 404)
    agent = new_assistant(srv.admin, tools=[{"name": "echo", "requires_approval": True}])
    task = submit(srv.admin, agent, 'Echo this: {"a": 1}')
    approval = waiting_approval(srv.admin, task["id"])
    assert_problem(srv.admin.post(f"/api/v1/tool-approvals/{approval['id']}/approve", {"comment": "no verdict"}), 422,
                   fields=["approved"])
    assert srv.admin.post(f"/api/v1/tasks/{task['id']}/cancel", {}).status == 200
    finished(srv.admin, task["id"])
    assert_problem(srv.admin.post(f"/api/v1/tool-approvals/{approval['id']}/approve", {"approved": True}), 409)
    assert all(a["id"] != approval["id"] for a in srv.admin.get("/api/v1/tool-approvals?status=waiting").body["items"])


def test_a_chat_on_behalf_of_an_agent_counts_against_its_budget(srv):
    agent = new_assistant(srv.admin, budget={"requests_per_minute": 1})
    body = {"messages": [{"role": "user", "content": "The launch moved to May."}], "agent_id": agent["id"]}
    assert srv.as_("operator").post("/api/v1/ai/chat", body).status == 200
    wait_for(lambda: any(r["key"] == agent["id"] for r in srv.admin.get("/api/v1/ai/usage?group_by=agent").body["items"]),
             message="the call recorded for the agent")
    r = srv.as_("operator").post("/api/v1/ai/chat", body)
    assert_problem(r, 429, "budget-exceeded")
    assert "requests_per_minute is 1, used 1" in r.body["detail"], r
    assert_problem(srv.admin.post("/api/v1/ai/chat", dict(body, agent_id=NOT_A_ROUTE_ID)), 422, fields=["agent_id"])
