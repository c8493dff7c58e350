"""The requirement analyser through the API (docs/product.md): POST /api/v1/requirements/analyze
finds the requirements of a document or takes a list, classifies them, flags ambiguities with
spans and rewrites, writes user stories with Given/When/Then criteria, flags duplicates and
conflicts; bad input is a problem naming the field; the product_manager agent runs the same
analysis as the task product.analyze_requirements. With a model configured, the model classifies
and the classifier's answers stand where it fails."""
import secrets

import pytest

from support.helpers import assert_problem, wait_for

ANALYZE = "/api/v1/requirements/analyze"
ITEM_FIELDS = {"id", "text", "kind", "category", "confidence", "classified_by", "ambiguities", "rewrite", "user_story",
               "acceptance_criteria", "duplicates", "conflicts"}
CATEGORIES = {"availability", "fault tolerance", "legal", "look and feel", "maintainability", "operational",
              "performance", "portability", "scalability", "security", "usability"}

DOCUMENT = """# Order service requirements

## Functional

1. The system shall allow registered customers to cancel an order before it is shipped.
2. The system shall send a confirmation e-mail after an order is placed.

## Quality

| ID | Requirement |
|----|-------------|
| NFR-1 | The system shall answer 95% of search requests within 2 seconds. |
| NFR-2 | Only authorized staff shall have access to payment details. |

The interface should be user-friendly and fast if possible. This overview is not a requirement.
"""


def check_item(item):
    assert set(item) == ITEM_FIELDS, item
    assert item["kind"] in ("functional", "non_functional")
    assert (item["category"] is None) == (item["kind"] == "functional"), item
    assert item["category"] is None or item["category"] in CATEGORIES
    assert 0 < item["confidence"] <= 1
    # No model configured here: the classifier decides and nothing is rewritten.
    assert item["classified_by"] == {"method": "classifier"} and item["rewrite"] is None, item
    for a in item["ambiguities"]:
        # Spans are code points of the item's text.
        assert item["text"][a["start"]:a["end"]] == a["text"], a
        assert a["reason"] and a["suggestion"], a
    assert item["user_story"].startswith(("As a ", "As an ")), item
    assert item["acceptance_criteria"], item


def test_a_markdown_document_is_split_into_its_requirements(srv):
    r = srv.as_("viewer").post(ANALYZE, {"text": DOCUMENT})
    assert r.status == 200, r
    items = r.body["items"]
    for item in items:
        check_item(item)
    # Two list items, two table rows (their ids kept), one sentence of the paragraph; no heading.
    assert [i["id"] for i in items] == ["R1", "R2", "NFR-1", "NFR-2", "R5"], items
    assert items[0]["text"].startswith("The system shall allow registered customers")
    assert items[2]["text"] == "The system shall answer 95% of search requests within 2 seconds."
    assert items[4]["text"] == "The interface should be user-friendly and fast if possible."
    assert items[0]["kind"] == "functional"
    assert items[2]["category"] == "performance" and items[3]["category"] == "security", items
    found = {(a["text"].lower(), a["type"]) for a in items[4]["ambiguities"]}
    assert {("should", "uncertain_verb"), ("user-friendly", "subjective"), ("if possible", "loophole")} <= found, found
    # The actor comes from the sentence; a system-only sentence says the actor is unknown.
    assert items[0]["user_story"].startswith("As a registered customer, I want"), items[0]
    assert "names no actor" in items[1]["user_story"], items[1]
    assert any("within 2 seconds" in c for c in items[2]["acceptance_criteria"]), items[2]
    summary = r.body["summary"]
    assert summary["total"] == 5 and summary["functional"] + summary["non_functional"] == 5
    assert summary["with_ambiguities"] >= 1


def test_a_list_keeps_its_ids_and_flags_duplicates_and_conflicts(srv):
    requirements = [
        {"id": "A", "text": "The system shall lock an account after 3 failed login attempts."},
        {"id": "B", "text": "The system shall lock an account after 5 failed login attempts."},
        {"id": "C", "text": "The system shall export monthly reports as PDF files."},
        {"id": "D", "text": "The system shall export the monthly reports as PDF files."},
        {"id": "E", "text": "The system shall be available 99.9% of the time."},
    ]
    r = srv.as_("operator").post(ANALYZE, {"requirements": requirements})
    assert r.status == 200, r
    by_id = {i["id"]: i for i in r.body["items"]}
    assert list(by_id) == ["A", "B", "C", "D", "E"]
    assert by_id["A"]["conflicts"] == ["B"] and by_id["B"]["conflicts"] == ["A"]
    assert by_id["C"]["duplicates"] == ["D"] and by_id["D"]["duplicates"] == ["C"]
    assert by_id["E"]["duplicates"] == [] and by_id["E"]["conflicts"] == []
    assert by_id["E"]["category"] == "availability", by_id["E"]
    assert r.body["summary"]["duplicate_pairs"] == 1 and r.body["summary"]["conflict_pairs"] == 1


@pytest.mark.parametrize("body, field", [
    ({"text": ""}, "text"),
    ({"text": "   \n  "}, "text"),
    ({"text": "# Only a heading\n\nSome prose without a requirement."}, "text"),
    ({}, "text"),
    ({"text": "The system shall log in users.", "requirements": [{"id": "1", "text": "x"}]}, "text"),
    ({"requirements": []}, "requirements"),
    ({"requirements": "The system shall work."}, "requirements"),
    ({"requirements": [{"id": "1", "text": "The system shall work."}, {"id": "1", "text": "It shall run."}]},
     "requirements[1].id"),
    ({"requirements": [{"id": "1", "text": ""}]}, "requirements[0].text"),
    ({"requirements": [{"text": "The system shall work."}]}, "requirements[0].id"),
    ({"text": "The system shall work.", "extra": 1}, "extra"),
])
def test_bad_input_is_a_problem_naming_the_field(srv, body, field):
    assert_problem(srv.as_("viewer").post(ANALYZE, body), 422, "validation", [field])


def test_a_text_over_one_mebibyte_is_refused(srv):
    big = "The system shall work. " * (1024 * 1024 // 23 + 1)
    r = srv.as_("viewer").post(ANALYZE, {"text": big})
    assert_problem(r, 413, "payload-too-large")


def test_roles(srv):
    body = {"requirements": [{"id": "1", "text": "The system shall work."}]}
    assert srv.as_("none").post(ANALYZE, body).status == 401
    assert_problem(srv.as_("agent").post(ANALYZE, body), 403, "forbidden")
    for role in ("admin", "manager", "operator", "viewer"):
        assert srv.as_(role).post(ANALYZE, body).status == 200, role


def test_the_product_manager_agent_runs_the_same_analysis_as_a_task(srv):
    srv.new_agent("product_manager")
    body = {"text": DOCUMENT}
    r = srv.as_("operator").post("/api/v1/tasks", {"type": "product.analyze_requirements", "input_data": body})
    assert r.status == 201, r
    done = wait_for(lambda: (lambda t: t if t["status"] in ("completed", "failed") else None)(
        srv.admin.get(f"/api/v1/tasks/{r.body['id']}").body), timeout=15, message="the analysis task to finish")
    assert done["status"] == "completed", done
    assert done["output_data"] == srv.as_("viewer").post(ANALYZE, body).body

    bad = srv.as_("operator").post("/api/v1/tasks", {"type": "product.analyze_requirements", "input_data": {"text": ""}})
    failed = wait_for(lambda: (lambda t: t if t["status"] in ("completed", "failed") else None)(
        srv.admin.get(f"/api/v1/tasks/{bad.body['id']}").body), timeout=15, message="the bad task to fail")
    assert failed["status"] == "failed" and "text" in failed["error"], failed


MODEL_ENV = {"DE_OPENAI_API_KEY": "sk-env-openai-0123456789", "DE_AI_MAX_ATTEMPTS": "1"}
TWO = "1. The system should respond to a search quickly.\n2. The system shall encrypt every stored password.\n"


def test_with_a_model_configured_the_model_classifies_and_rewrites_and_the_classifier_keeps_its_figure(server_factory,
                                                                                                      llm_standin):
    """The stand-in answers a schema'd call with a value built from the schema: one item, the
    first id it was given (the schema names only those), "functional", category "none",
    reasoning and rewrite "stand-in"."""
    server = server_factory(env={**MODEL_ENV, "DE_OPENAI_BASE_URL": llm_standin + "/v1", "DE_AI_PROVIDERS": "openai,offline"})
    admin = server.admin()
    r = admin.post(ANALYZE, {"text": TWO})
    assert r.status == 200, r
    first, second = r.body["items"]
    assert first["classified_by"]["method"] == "model" and first["classified_by"]["model"].startswith("openai/"), first
    assert first["classified_by"]["reason"] == "stand-in"
    assert [a["text"] for a in first["ambiguities"]][:2] == ["should", "quickly"] and first["rewrite"] == "stand-in", first
    assert first["kind"] == "functional" and first["category"] is None, first
    # The classifier reads a response time as performance: its probability of "functional" is low.
    assert 0 < first["confidence"] < 0.5, first
    # The story is written for the kind the model chose: no "not testable" note of a quality requirement.
    assert not any("Not testable" in c for c in first["acceptance_criteria"]), first
    assert second["classified_by"] == {"method": "classifier"} and second["rewrite"] is None, second
    assert (second["kind"], second["category"]) == ("non_functional", "security"), second
    assert r.body["summary"]["classified_by_model"] == 1 and r.body["summary"]["functional"] == 1, r.body["summary"]
    assert "model_error" not in r.body

    # The agent's task asks the model the same way.
    agent = admin.post("/api/v1/agents", {"name": f"pm-{secrets.token_hex(4)}", "type": "product_manager"})
    assert agent.status == 201, agent
    task = admin.post("/api/v1/tasks", {"type": "product.analyze_requirements", "input_data": {"text": TWO}})
    assert task.status == 201, task
    done = wait_for(lambda: (lambda t: t if t["status"] in ("completed", "failed") else None)(
        admin.get(f"/api/v1/tasks/{task.body['id']}").body), timeout=15, message="the analysis task to finish")
    assert done["status"] == "completed", done
    assert [i["classified_by"]["method"] for i in done["output_data"]["items"]] == ["model", "classifier"], done
    wait_for(lambda: sum(row["requests"] for row in admin.get("/api/v1/ai/usage?group_by=provider").body["items"]) >= 2,
             message="the model calls recorded")


def test_when_the_model_fails_the_classifier_answers_and_the_error_is_said(server_factory, llm_standin):
    server = server_factory(env={**MODEL_ENV, "DE_OPENAI_BASE_URL": llm_standin + "/v1", "DE_AI_PROVIDERS": "openai",
                                 "DE_OPENAI_MODEL": "server-error"})
    r = server.admin().post(ANALYZE, {"text": TWO})
    assert r.status == 200, r
    assert [i["classified_by"] for i in r.body["items"]] == [{"method": "classifier"}] * 2, r.body
    assert [i["kind"] for i in r.body["items"]] == ["non_functional"] * 2, r.body
    assert r.body["summary"]["classified_by_model"] == 0
    assert "openai" in r.body["model_error"], r.body
