"""Leads, their CSV import and scores, and the lead models (docs/sales.md): fields, filters, the
import's all-or-nothing and partial modes, malformed files, the rule-based score before any model,
training on real leads (tests/data/bank-sample.csv) with a held-out ROC-AUC floor, activation and
roll-back, and the sales agent's task types."""
import csv
import io
import pathlib
import random
import secrets

import pytest

from support.helpers import assert_problem, wait_for

SAMPLE = pathlib.Path(__file__).resolve().parents[1] / "data" / "bank-sample.csv"
LEAD_FIELDS = {"id", "external_id", "name", "email", "company", "source", "status", "owner", "attributes", "outcome",
               "score", "grade", "probability", "score_factors", "score_method", "model_id", "scored_at", "created_at",
               "updated_at"}
MODEL_FIELDS = {"id", "status", "active", "activate", "exclude", "task_id", "created_by", "error", "columns",
                "ignored_columns", "importance", "evaluation", "threshold", "training_rows", "validation_rows", "trees",
                "created_at", "completed_at", "activated_at"}


def import_csv(client, text, query=""):
    return client.request("POST", "/api/v1/leads/import" + query, raw_body=text,
                          headers={"Content-Type": "text/csv"})


def tag():
    return "t" + secrets.token_hex(4)


def count_leads(srv, **filters):
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    return len(srv.admin.list_all("/api/v1/leads?" + query))


def roc_auc(scores, labels):
    pairs = sorted(zip(scores, labels))
    rank_sum, positives, i = 0.0, 0, 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        mean_rank = (i + j - 1) / 2 + 1
        for k in range(i, j):
            if pairs[k][1]:
                rank_sum += mean_rank
                positives += 1
        i = j
    negatives = len(pairs) - positives
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def wait_for_model(client, model_id):
    def done():
        r = client.get(f"/api/v1/lead-models/{model_id}")
        return r.body if r.body["status"] != "training" else None
    return wait_for(done, timeout=120, message="the model finished training")


# ---- leads --------------------------------------------------------------------------------------

def test_a_lead_is_created_scored_by_the_rules_changed_and_deleted(srv):
    scored_before = srv.admin.get("/api/v1/analytics/summary").body["leads_scored"]
    body = {"name": "Ada Lovelace", "email": "ada@analytical.example", "company": "Analytical Engines",
            "source": "Referral", "status": "contacted", "owner": "sam", "external_id": tag(),
            "attributes": {"page_views": 12, "country": "UK", "newsletter": True, "budget": None}}
    r = srv.as_("manager").post("/api/v1/leads", body)
    assert r.status == 201, r
    lead = r.body
    assert set(lead) == LEAD_FIELDS
    assert r.headers["location"] == f"/api/v1/leads/{lead['id']}"
    assert lead["attributes"] == body["attributes"] and lead["outcome"] == "open"
    # No model on this server: the rules score it, and say so, each point explained.
    assert lead["score_method"] == "rules" and lead["model_id"] is None and lead["probability"] is None
    factors = {f["feature"]: f for f in lead["score_factors"]}
    assert factors["email"]["contribution"] == 15 and factors["source"]["contribution"] == 15
    assert factors["status"]["contribution"] == 15 and factors["page_views"]["value"] == 12
    assert all(f["reason"] for f in lead["score_factors"])
    assert lead["score"] == sum(f["contribution"] for f in lead["score_factors"]) == 66
    assert lead["grade"] == "B"  # A from 70
    summary = srv.as_("viewer").get("/api/v1/analytics/summary").body
    assert summary["leads_scored"] >= scored_before + 1 and summary["leads_scored_by_model"] == 0

    changed = srv.as_("admin").patch(f"/api/v1/leads/{lead['id']}", {"status": "unqualified", "outcome": "lost"})
    assert changed.status == 200, changed
    assert changed.body["outcome"] == "lost" and changed.body["score"] < lead["score"]
    assert srv.as_("viewer").get(f"/api/v1/leads/{lead['id']}").body == changed.body

    assert srv.admin.delete(f"/api/v1/leads/{lead['id']}").status == 204
    assert_problem(srv.admin.get(f"/api/v1/leads/{lead['id']}"), 404, "not-found")


def test_bad_leads_are_refused_naming_the_field(srv):
    r = srv.admin.post("/api/v1/leads", {"outcome": "maybe", "email": "nobody", "attributes": {"nested": {"a": 1}},
                                         "colour": "red"})
    assert_problem(r, 422, "validation", ["outcome", "email", "attributes.nested", "colour"])
    external = tag()
    assert srv.admin.post("/api/v1/leads", {"external_id": external}).status == 201
    assert_problem(srv.admin.post("/api/v1/leads", {"external_id": external}), 409, "conflict", ["external_id"])


def test_leads_are_filtered_and_sorted_by_score_across_pages(srv):
    source = tag()
    for visits in (0, 1, 100, 5):
        body = {"source": source, "attributes": {"visits": visits}}
        assert srv.admin.post("/api/v1/leads", body).status == 201
    listed = srv.admin.list_all(f"/api/v1/leads?source={source}&sort=score&limit=1")
    assert len(listed) == 4
    scores = [lead["score"] for lead in listed]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[-1]
    assert count_leads(srv, source=source, min_score=scores[0]) == 1
    assert_problem(srv.admin.get("/api/v1/leads?sort=colour"), 400)
    assert_problem(srv.admin.get("/api/v1/leads?min_score=101"), 400)


# ---- import -------------------------------------------------------------------------------------

def test_a_csv_import_keeps_types_reads_outcomes_and_updates_by_id(srv):
    company = tag()
    text = ("\ufeffid;name;company;visits;signed_up;plan;converted\n"
            f'a1;"Smith; Jane";{company};12;true;"Pro ""plus""";yes\n'
            f"a2;Bob;{company};0;false;;0\n"
            f"a3;Eve;{company};3.5;;Free;\n")
    r = import_csv(srv.admin, text.encode(), "?outcome_column=converted&id_column=id")
    assert r.status == 200, r
    assert r.body == {"imported": 3, "updated": 0, "rejected": [], "model_id": None}
    leads = {lead["name"]: lead for lead in srv.admin.list_all("/api/v1/leads?limit=500")
             if lead["company"] == company}
    assert set(leads) == {"Smith; Jane", "Bob", "Eve"}
    jane = leads["Smith; Jane"]
    assert jane["external_id"] == "a1" and jane["outcome"] == "converted"
    assert jane["attributes"] == {"name": "Smith; Jane", "company": company, "visits": 12, "signed_up": True,
                                  "plan": 'Pro "plus"'}
    assert leads["Bob"]["outcome"] == "lost" and leads["Eve"]["outcome"] == "open"
    assert leads["Eve"]["attributes"]["visits"] == 3.5 and leads["Eve"]["attributes"]["signed_up"] is None

    again = import_csv(srv.admin, f"id,name,company,converted\r\na1,Jane Smith,{company},1\r\na4,New,{company},\r\n",
                       "?outcome_column=converted&id_column=id")
    assert again.status == 200, again
    assert (again.body["imported"], again.body["updated"]) == (1, 1)
    updated = srv.admin.get(f"/api/v1/leads/{jane['id']}").body
    assert updated["name"] == "Jane Smith" and updated["created_at"] == jane["created_at"]


def test_an_import_is_all_or_nothing_unless_partial(srv):
    company = tag()
    text = (f"name,company,won\nA,{company},yes\nB,{company},perhaps\nC,{company}\nD,{company},no\n")
    r = import_csv(srv.admin, text, "?outcome_column=won")
    assert_problem(r, 422, "validation", ["row 3, column won", "row 4, column won"])
    assert "row 3" in r.body["detail"]
    assert not [lead for lead in srv.admin.list_all("/api/v1/leads?limit=500") if lead["company"] == company]
    partial = import_csv(srv.admin, text, "?outcome_column=won&partial=true")
    assert partial.status == 200, partial
    assert partial.body["imported"] == 2
    assert [(x["row"], x["column"]) for x in partial.body["rejected"]] == [(3, "won"), (4, "won")]
    assert "perhaps" in partial.body["rejected"][0]["reason"]


@pytest.mark.parametrize("text,row,column", [
    ('name,company\nA,"unclosed\n', 2, "company"),
    ('name,company\nA,"x"y\n', 2, "company"),
    ("name,name\nA,B\n", 1, "name"),
    (b"name,company\nA,\xff\xfe\n", 2, "company"),
    (b"name,company\nA,B\nC,x\x00y\n", 3, "company"),
])
def test_a_malformed_file_is_a_400_naming_row_and_column_and_nothing_is_written(srv, text, row, column):
    before = count_leads(srv, limit=500)
    r = import_csv(srv.admin, text, "?partial=true")
    assert_problem(r, 400, None, [f"row {row}, column {column}"])
    assert count_leads(srv, limit=500) == before


def test_import_parameters_and_media_type_are_checked(srv):
    assert_problem(import_csv(srv.admin, "name\nA\n", "?outcome_column=missing"), 400, None, ["outcome_column"])
    assert_problem(import_csv(srv.admin, "name\nA\n", "?partial=sometimes"), 400)
    r = srv.admin.request("POST", "/api/v1/leads/import", raw_body="name\nA\n", headers={"Content-Type": "text/plain"})
    assert_problem(r, 415)
    assert_problem(import_csv(srv.admin, ""), 400)


def test_the_import_takes_bodies_over_the_usual_limit(srv):
    company = tag()
    rows = "".join(f"lead {i},{company},{'x' * 200}\n" for i in range(8000))  # about 1.8 MB
    r = import_csv(srv.admin, "name,company,notes\n" + rows)
    assert r.status == 200, r
    assert r.body["imported"] == 8000
    # Other routes keep the 1 MiB limit.
    big = srv.admin.request("POST", "/api/v1/leads", raw_body="{" + " " * (2 << 20) + "}",
                            headers={"Content-Type": "application/json"})
    assert big.status == 413


# ---- scores without a model ---------------------------------------------------------------------

def test_batch_scores_before_any_model_come_from_the_rules_in_order(srv):
    leads = [{"attributes": {"email": "x@gmail.com"}}, {"attributes": {"email": "y@acme.example", "demo_requests": 2}},
             {"attributes": {}}]
    r = srv.as_("operator").post("/api/v1/leads/score", {"leads": leads, "explain": True})
    assert r.status == 200, r
    assert r.body["model_id"] is None and r.body["method"] == "rules"
    items = r.body["items"]
    assert [i["score"] for i in items] == [5, 15 + 4, 0]
    assert all(i["method"] == "rules" and i["probability"] is None for i in items)
    assert items[2]["factors"] == [] and items[2]["predicted"] == "not_converted"
    bad = srv.admin.post("/api/v1/leads/score", {"leads": [{"attributes": {"a": [1]}}, {"x": 1}]})
    assert_problem(bad, 422, "validation", ["leads[0].attributes.a", "leads[1]"])
    assert_problem(srv.admin.post("/api/v1/leads/score", {"leads": [{"attributes": {}}] * 10001}), 422, "validation",
                   ["leads"])


def test_the_sales_agent_scores_a_lead_as_a_task(srv):
    lead = srv.admin.post("/api/v1/leads", {"email": "kim@firm.example", "company": "Firm"}).body
    task = srv.admin.post("/api/v1/tasks", {"type": "sales.score_lead", "input_data": {"lead_id": lead["id"]}}).body
    done = wait_for(lambda: (t := srv.admin.get(f"/api/v1/tasks/{task['id']}").body)["status"] in ("completed", "failed") and t,
                    message="the score task finished")
    assert done["status"] == "completed", done["error"]
    assert done["output_data"]["lead_id"] == lead["id"] and done["output_data"]["score"] == 25
    bare = srv.admin.post("/api/v1/tasks", {"type": "sales.score_lead", "input_data": {"lead": 1}}).body
    failed = wait_for(lambda: (t := srv.admin.get(f"/api/v1/tasks/{bare['id']}").body)["status"] == "failed" and t,
                      message="the bad task failed")
    assert "lead_id" in failed["error"]


# ---- models -------------------------------------------------------------------------------------

def bank_rows():
    with open(SAMPLE, newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    return rows[0], rows[1:]


def stratified_folds(rows, label_at, k, seed=11):
    """k folds, each with the same share of converted leads."""
    rnd = random.Random(seed)
    folds = [[] for _ in range(k)]
    for group in ([r for r in rows if r[label_at] == "yes"], [r for r in rows if r[label_at] != "yes"]):
        rnd.shuffle(group)
        for i, row in enumerate(group):
            folds[i % k].append(row)
    return folds


def to_csv(header, rows):
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows([header] + rows)
    return out.getvalue()


def train_on(admin, header, rows):
    r = import_csv(admin, to_csv(header, rows), "?outcome_column=y")
    assert r.status == 200 and r.body["imported"] == len(rows), r
    # duration is known only after the call: excluded as a leak.
    r = admin.post("/api/v1/lead-models", {"exclude": ["duration"]})
    assert r.status == 202, r
    assert r.headers["location"] == f"/api/v1/lead-models/{r.body['id']}"
    assert r.body["status"] == "training" and set(r.body) == MODEL_FIELDS
    model = wait_for_model(admin, r.body["id"])
    assert model["status"] == "ready", model
    assert model["active"] is True  # auto, and no model was active
    return model


def check_model(model, train_rows):
    used = {c["name"] for c in model["columns"]}
    assert "duration" not in used and {"age", "job", "poutcome", "month"} <= used
    assert {"name": "duration", "reason": "excluded"} in model["ignored_columns"]
    kinds = {c["name"]: c["kind"] for c in model["columns"]}
    assert kinds["age"] == "number" and kinds["job"] == "category" and kinds["housing"] == "boolean"
    evaluation = model["evaluation"]
    assert abs(evaluation["rows"] - train_rows * 0.2) <= 2  # its own stratified hold-out
    assert evaluation["roc_auc"] > 0.65
    for key in ("accuracy", "precision", "recall", "f1", "brier", "threshold"):
        assert 0 <= evaluation[key] <= 1, key
    assert sum(b["count"] for b in evaluation["calibration"]) == evaluation["rows"]
    assert abs(sum(i["share"] for i in model["importance"]) - 1) < 1e-6
    return used


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_models_trained_on_real_leads_beat_the_floor_on_held_out_leads(server_factory, backend):
    """4-fold cross-validation on the committed sample: each fold's leads are scored through the
    API by a model that never saw them (trained on a fresh server on the other three folds); the
    ROC-AUC of all 4,000 held-out scores together has the floor (one fold of 1,000 leads varies
    too much for a floor: 0.68 to 0.78 by the split, as the logistic regression's does)."""
    header, rows = bank_rows()
    y = header.index("y")
    folds = stratified_folds(rows, y, 4)
    probabilities, labels = [], []
    for k, test in enumerate(folds):
        admin = server_factory(backend).admin()
        train = [row for i, fold in enumerate(folds) if i != k for row in fold]
        model = train_on(admin, header, train)
        used = check_model(model, len(train))
        leads = [{"attributes": {h: v for h, v in zip(header, row) if h != "y"}} for row in test]
        scored = admin.post("/api/v1/leads/score", {"leads": leads, "explain": k == 0})
        assert scored.status == 200, scored
        assert scored.body["model_id"] == model["id"] and scored.body["method"] == "model"
        items = scored.body["items"]
        assert len(items) == len(test)
        probabilities += [i["probability"] for i in items]
        labels += [row[y] == "yes" for row in test]
        if k:
            continue
        first = items[0]
        assert first["score"] == round(first["probability"] * 100) and first["grade"] in "ABCD"
        assert first["predicted"] == ("converted" if first["probability"] >= model["threshold"] else "not_converted")
        ups = [f["contribution"] for f in first["factors"] if f["contribution"] > 0]
        downs = [f["contribution"] for f in first["factors"] if f["contribution"] < 0]
        assert len(ups) <= 5 and len(downs) <= 5 and ups == sorted(ups, reverse=True) and downs == sorted(downs)
        assert all(f["feature"] in used for f in first["factors"])
        plain = admin.post("/api/v1/leads/score", {"leads": leads[:3]}).body["items"]
        assert [i["probability"] for i in plain] == [i["probability"] for i in items[:3]] and plain[0]["factors"] == []
    auc = roc_auc(probabilities, labels)
    assert auc >= 0.71, f"cross-validated held-out ROC-AUC {auc:.3f}"


@pytest.mark.parametrize("backend", ["sqlite"])
def test_activation_scores_open_leads_again_and_rolls_back(server_factory, backend):
    s = server_factory(backend)
    admin = s.admin()
    header, rows = bank_rows()
    y = header.index("y")
    assert import_csv(admin, to_csv(header, rows[:2000]), "?outcome_column=y").status == 200
    open_lead = admin.post("/api/v1/leads", {"name": "open one", "attributes": {"age": 30, "poutcome": "success"}}).body
    assert open_lead["score_method"] == "rules"

    first = wait_for_model(admin, admin.post("/api/v1/lead-models", {"exclude": ["duration"]}).body["id"])
    assert first["active"] is True
    # The open leads are scored again right after the activation.
    rescored = wait_for(lambda: (lead := admin.get(f"/api/v1/leads/{open_lead['id']}").body)["model_id"] and lead,
                        message="the open lead scored by the model")
    assert rescored["score_method"] == "model" and rescored["model_id"] == first["id"]
    assert rescored["probability"] is not None and rescored["score_factors"]
    # New leads are scored by the active model at once.
    new = admin.post("/api/v1/leads", {"attributes": {"age": 61, "poutcome": "failure"}}).body
    assert new["model_id"] == first["id"]

    # A model trained without being activated; then activated; then rolled back.
    second = wait_for_model(admin, admin.post("/api/v1/lead-models", {"exclude": ["duration", "poutcome"],
                                                                      "activate": False}).body["id"])
    assert second["status"] == "ready" and second["active"] is False
    assert admin.get(f"/api/v1/lead-models/{first['id']}").body["active"] is True
    on = admin.post(f"/api/v1/lead-models/{second['id']}/activate")
    assert on.status == 200 and on.body["active"] is True and on.body["rescored"] >= 2, on
    assert admin.get(f"/api/v1/leads/{open_lead['id']}").body["model_id"] == second["id"]
    back = admin.post(f"/api/v1/lead-models/{first['id']}/activate")
    assert back.status == 200 and back.body["active"] is True
    assert admin.get(f"/api/v1/leads/{open_lead['id']}").body["model_id"] == first["id"]
    models = admin.list_all("/api/v1/lead-models")
    assert [m["id"] for m in models if m["active"]] == [first["id"]]

    lead_score = admin.post(f"/api/v1/leads/{open_lead['id']}/score")
    assert lead_score.status == 200 and lead_score.body["model_id"] == first["id"]
    assert lead_score.body["lead_id"] == open_lead["id"]
    assert_problem(admin.post("/api/v1/lead-models", {"activate": "sometimes", "exclude": "x"}), 422, "validation",
                   ["activate", "exclude"])


def test_training_without_enough_outcomes_fails_and_says_why(server_factory):
    s = server_factory("sqlite")
    admin = s.admin()
    assert import_csv(admin, "visits,won\n" + "".join(f"{i},{i % 2}\n" for i in range(20)), "?outcome_column=won").status == 200
    r = admin.post("/api/v1/lead-models", {})
    assert r.status == 202, r
    model = wait_for_model(admin, r.body["id"])
    assert model["status"] == "failed" and "at least 50" in model["error"] and model["active"] is False
    assert_problem(admin.post(f"/api/v1/lead-models/{model['id']}/activate"), 409, "conflict")
    # The model's record fails first, then the task that trained it.
    task = wait_for(lambda: (t := admin.get(f"/api/v1/tasks/{model['task_id']}").body)["status"] == "failed" and t,
                    message="the training task failed")
    assert "at least 50" in task["error"]


def test_a_training_task_without_a_model_makes_its_own_record(server_factory):
    s = server_factory("sqlite")
    admin = s.admin()
    rows = "".join(f"{i % 20},{'yes' if i % 3 == 0 else 'no'},{i % 2}\n" for i in range(120))
    assert import_csv(admin, "visits,demo,won\n" + rows, "?outcome_column=won").status == 200
    task = admin.post("/api/v1/tasks", {"type": "sales.train_lead_model",
                                        "input_data": {"exclude": ["demo"], "activate": False}}).body
    done = wait_for(lambda: (t := admin.get(f"/api/v1/tasks/{task['id']}").body)["status"] in ("completed", "failed") and t,
                    timeout=60, message="the training task finished")
    assert done["status"] == "completed", done["error"]
    model = done["output_data"]
    assert model["status"] == "ready" and model["task_id"] == task["id"] and model["active"] is False
    assert model["exclude"] == ["demo"] and [c["name"] for c in model["columns"]] == ["visits"]
    assert admin.get(f"/api/v1/lead-models/{model['id']}").body["status"] == "ready"
    bad = admin.post("/api/v1/tasks", {"type": "sales.train_lead_model", "input_data": {"activate": "maybe"}}).body
    failed = wait_for(lambda: (t := admin.get(f"/api/v1/tasks/{bad['id']}").body)["status"] == "failed" and t,
                      message="the bad task failed")
    assert "activate" in failed["error"]
