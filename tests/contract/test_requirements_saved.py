"""Saved requirement analyses and prioritisation through the API (docs/product.md): a saved
document is analysed and prioritised, re-analysing an edited document makes a new version (the
older ones stay readable), a requirement's text is edited and re-analysed, a person's priority
values override the rules and are kept; events requirements.*; bad input is a problem naming the
field and writes nothing; product.prioritize runs the same prioritisation as a task."""
import secrets

from support.helpers import assert_problem, wait_for

PRIORITIZE = "/api/v1/requirements/prioritize"

DOCUMENT = """# Shop

1. The system must let 20,000 customers check out at the same time.
2. Store managers could print the monthly sales report.
3. The system shall integrate with the payment provider's API to refund orders.
4. The product won't support gift cards in this release: out of scope.
5. The checkout page should load fast.
"""


def _save(srv, text=DOCUMENT, title=None):
    title = title or "shop " + secrets.token_hex(4)
    r = srv.as_("operator").post("/api/v1/requirements", {"title": title, "text": text})
    assert r.status == 201, r
    return r


def by_id(body):
    return {item["id"]: item for item in body["items"]}


def test_prioritize_computes_rice_and_moscow_from_each_requirement(srv):
    r = srv.as_("operator").post(PRIORITIZE, {"text": DOCUMENT})
    assert r.status == 200, r
    items = by_id(r.body)
    for item in items.values():
        p = item["priority"]
        assert set(p) == {"reach", "impact", "confidence", "effort", "score", "moscow", "method", "overridden", "reasoning"}
        assert p["method"] == "rules" and p["overridden"] == []
        assert abs(p["score"] - round(p["reach"] * p["impact"] * p["confidence"] / p["effort"], 2)) < 0.01, p
        assert {r["factor"] for r in p["reasoning"]} == {"reach", "impact", "confidence", "effort", "moscow"}, p
    # Explicit words decide MoSCoW; a stated number of customers is the reach.
    assert [items[i]["priority"]["moscow"] for i in ("R1", "R2", "R3", "R4")] == ["must", "could", "must", "wont"]
    assert items["R1"]["priority"]["reach"] == 20000
    assert "20,000 customers" in next(x["why"] for x in items["R1"]["priority"]["reasoning"] if x["factor"] == "reach")
    # A named role reaches fewer people than everyone; an integration costs more effort.
    assert items["R2"]["priority"]["reach"] < items["R1"]["priority"]["reach"]
    assert items["R3"]["priority"]["effort"] > items["R2"]["priority"]["effort"]
    assert "touches another system" in next(x["why"] for x in items["R3"]["priority"]["reasoning"] if x["factor"] == "effort")
    # Ambiguities ("fast", "should") lower the confidence.
    assert items["R5"]["ambiguities"] and items["R5"]["priority"]["confidence"] < items["R3"]["priority"]["confidence"]
    assert r.body["summary"]["by_moscow"] == {"must": 2, "should": 1, "could": 1, "wont": 1}


def test_a_persons_values_override_the_rules(srv):
    items = [{"id": "A", "text": "The system shall export reports as PDF.", "priority": {"effort": 4, "moscow": "could"}},
             {"id": "B", "text": "The system shall import contacts from CSV files."}]
    r = srv.as_("operator").post(PRIORITIZE, {"requirements": items})
    assert r.status == 200, r
    a = by_id(r.body)["A"]["priority"]
    assert a["effort"] == 4 and a["moscow"] == "could" and sorted(a["overridden"]) == ["effort", "moscow"]
    assert a["score"] == round(a["reach"] * a["impact"] * a["confidence"] / 4, 2)
    assert next(x["why"] for x in a["reasoning"] if x["factor"] == "effort") == "set by a person"
    # The items of an analysis are taken as they are.
    analysed = srv.as_("viewer").post("/api/v1/requirements/analyze", {"requirements": items[1:]}).body["items"]
    again = srv.as_("operator").post(PRIORITIZE, {"requirements": analysed})
    assert again.status == 200 and again.body["items"][0]["priority"]["method"] == "rules", again


def test_bad_prioritize_input_names_the_field(srv):
    op = srv.as_("operator")
    assert_problem(op.post(PRIORITIZE, {"text": ""}), 422, "validation", ["text"])
    bad = [{"id": "A", "text": "The system shall work.", "priority": {"impact": 1.5, "confidence": 2, "moscow": "maybe",
                                                                       "colour": 1}}]
    assert_problem(op.post(PRIORITIZE, {"requirements": bad}), 422, "validation",
                   ["requirements[0].priority.impact", "requirements[0].priority.confidence",
                    "requirements[0].priority.moscow", "requirements[0].priority.colour"])
    assert_problem(op.post(PRIORITIZE, {"requirements": [{"id": "A"}]}), 422, "validation", ["requirements[0].text"])


def test_a_saved_analysis_has_versions_and_older_ones_stay_readable(srv):
    saved = _save(srv).body
    assert saved["version"] == 1 and saved["latest_version"] == 1 and saved["document"] == DOCUMENT
    assert len(saved["items"]) == 5 and all("priority" in i for i in saved["items"])
    assert [v["version"] for v in saved["versions"]] == [1]
    listed = srv.as_("viewer").list_all("/api/v1/requirements")
    assert saved["id"] in [a["id"] for a in listed]

    # A person's values, kept in place.
    patched = srv.as_("operator").patch(f"/api/v1/requirements/{saved['id']}/items/R2", {"priority": {"reach": 5000}})
    assert patched.status == 200, patched
    assert patched.body["version"] == 1 and by_id(patched.body)["R2"]["priority"]["reach"] == 5000

    edited = DOCUMENT.replace("should load fast", "shall load within 2 seconds") + \
        "6. The system shall email a receipt after each order.\n"
    v2 = srv.as_("operator").post(f"/api/v1/requirements/{saved['id']}/versions", {"text": edited})
    assert v2.status == 201, v2
    assert v2.body["version"] == 2 and len(v2.body["items"]) == 6
    assert [v["version"] for v in v2.body["versions"]] == [1, 2]
    # The unchanged requirement keeps the person's reach; the edited one lost its ambiguity.
    items = by_id(v2.body)
    assert items["R2"]["priority"]["reach"] == 5000 and items["R2"]["priority"]["overridden"] == ["reach"]
    assert not any(a["text"] == "fast" for a in items["R5"]["ambiguities"])

    old = srv.as_("viewer").get(f"/api/v1/requirements/{saved['id']}?version=1")
    assert old.status == 200 and old.body["document"] == DOCUMENT and old.body["latest_version"] == 2
    latest = srv.as_("viewer").get(f"/api/v1/requirements/{saved['id']}")
    assert latest.body["version"] == 2 and latest.body["document"] == edited
    assert_problem(srv.as_("viewer").get(f"/api/v1/requirements/{saved['id']}?version=9"), 404, "not-found")
    assert_problem(srv.as_("viewer").get(f"/api/v1/requirements/{saved['id']}?version=x"), 400)


def test_editing_a_requirements_text_re_analyses_it_as_a_new_version(srv):
    saved = _save(srv).body
    r = srv.as_("operator").patch(f"/api/v1/requirements/{saved['id']}/items/R5",
                                  {"text": "The checkout page shall load within 2 seconds for 95% of requests."})
    assert r.status == 200, r
    assert r.body["version"] == 2
    item = by_id(r.body)["R5"]
    assert item["text"].endswith("95% of requests.") and item["category"] == "performance", item
    assert item["priority"]["moscow"] == "must"
    assert "within 2 seconds" in r.body["document"] and "should load fast" not in r.body["document"]
    # Nothing else changed its id.
    assert [i["id"] for i in r.body["items"]] == [i["id"] for i in saved["items"]]


def test_requirements_events_are_published(srv):
    events = srv.admin.get("/api/v1/analytics/summary")  # touch: the server is up
    assert events.status == 200
    saved = _save(srv).body
    srv.as_("operator").patch(f"/api/v1/requirements/{saved['id']}/items/R1", {"priority": {"moscow": "should"}})
    r = srv.as_("operator").delete(f"/api/v1/requirements/{saved['id']}")
    assert r.status == 204, r
    assert_problem(srv.as_("viewer").get(f"/api/v1/requirements/{saved['id']}"), 404, "not-found")
    assert_problem(srv.as_("operator").delete(f"/api/v1/requirements/{saved['id']}"), 404, "not-found")
    # The events feed the stakeholders' updates: the saved, prioritised and deleted analysis.
    stakeholder = srv.admin.post("/api/v1/stakeholders", {"name": "Events reader", "influence": 5, "interest": 5,
                                                          "topics": [saved["title"]]}).body
    drafts = srv.admin.post("/api/v1/stakeholders/updates", {"stakeholder_ids": [stakeholder["id"]]}).body["drafts"]
    body = drafts[0]["body"]
    assert f"Requirements '{saved['title']}' saved (version 1): 5 requirements" in body, body
    assert f"Requirements '{saved['title']}': R1 set to should" in body, body
    assert f"Requirements '{saved['title']}' deleted" in body, body


def test_bad_input_writes_nothing(srv):
    op = srv.as_("operator")
    title = "bad " + secrets.token_hex(4)
    assert_problem(op.post("/api/v1/requirements", {"title": title}), 422, "validation", ["text"])
    assert_problem(op.post("/api/v1/requirements", {"title": "", "text": DOCUMENT}), 422, "validation", ["title"])
    assert_problem(op.post("/api/v1/requirements", {"title": title, "text": "# Only a heading"}), 422, "validation", ["text"])
    assert title not in [a["title"] for a in srv.admin.list_all("/api/v1/requirements")]

    saved = _save(srv).body
    path = f"/api/v1/requirements/{saved['id']}"
    assert_problem(op.patch(f"{path}/items/R1", {}), 422, "validation", ["text"])
    assert_problem(op.patch(f"{path}/items/R1", {"priority": {"impact": 7}}), 422, "validation", ["priority.impact"])
    assert_problem(op.patch(f"{path}/items/R1", {"text": "  "}), 422, "validation", ["text"])
    assert_problem(op.patch(f"{path}/items/R99", {"text": "The system shall work."}), 404, "not-found")
    assert_problem(op.post(f"{path}/versions", {"text": ""}), 422, "validation", ["text"])
    unchanged = srv.admin.get(path).body
    assert unchanged["version"] == 1 and unchanged["items"] == saved["items"]
    assert_problem(srv.as_("viewer").post("/api/v1/requirements", {"title": "x", "text": DOCUMENT}), 403, "forbidden")


def test_the_product_manager_agent_prioritizes_as_a_task(srv):
    srv.new_agent("product_manager")
    body = {"text": DOCUMENT}
    r = srv.as_("operator").post("/api/v1/tasks", {"type": "product.prioritize", "input_data": body})
    assert r.status == 201, r
    done = wait_for(lambda: (lambda t: t if t["status"] in ("completed", "failed") else None)(
        srv.admin.get(f"/api/v1/tasks/{r.body['id']}").body), timeout=15, message="the prioritize task to finish")
    assert done["status"] == "completed", done
    assert done["output_data"] == srv.as_("operator").post(PRIORITIZE, body).body
