"""Messages between agents: sent, listed by agent, refused to an agent that does not exist."""
from support.helpers import NOT_A_ROUTE_ID, assert_problem

MESSAGES = "/api/v1/messages"


def test_messages_between_agents(srv):
    sales = srv.admin.get("/api/v1/agents?type=sales").body["items"][0]
    echo = srv.echo_agent
    r = srv.admin.post(MESSAGES, {"from_agent": sales["id"], "to_agent": echo["id"], "message_type": "lead.hot",
                                  "payload": {"lead": 1}})
    assert r.status == 201 and r.body["status"] == "sent", r
    message = r.body
    listed = srv.admin.get(f"{MESSAGES}?agent_id={echo['id']}")
    assert listed.status == 200, listed
    assert message["id"] in [m["id"] for m in listed.body["items"]]
    r = srv.admin.post(MESSAGES, {"to_agent": NOT_A_ROUTE_ID, "message_type": "x"})
    assert_problem(r, 422)
