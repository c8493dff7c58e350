"""The leads, companies and deals tables are projections of the event log (docs/integrations.md,
"Event sourcing"). After a workload through the API (leads made, imported, scored by the rules and
by a trained model, changed and deleted; companies made, changed and deleted; deals made, moved
through their stages and deleted; the demo
pipeline loaded by `init`), `digital-enterprise rebuild` replays the log into the emptied tables
and gets every row back as it was; `--check` finds a damaged table and changes nothing."""
import csv
import io
import pathlib

import pytest

from support.helpers import wait_for

SAMPLE = pathlib.Path(__file__).resolve().parents[1] / "data" / "bank-sample.csv"
TABLES = {"leads": "SELECT * FROM leads ORDER BY id",
          "companies": "SELECT * FROM companies ORDER BY id",
          "deals": "SELECT * FROM deals ORDER BY id",
          # Its serial id is renumbered by a replay; the order of a deal's stages is kept.
          "deal_stage_changes": "SELECT deal_id, from_stage, to_stage, changed_by, changed_at FROM deal_stage_changes "
                                "ORDER BY deal_id, id"}


def snapshot(server):
    return {table: server.sql(query) for table, query in TABLES.items()}


def import_csv(admin, rows, query):
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(rows)
    r = admin.request("POST", "/api/v1/leads/import" + query, raw_body=out.getvalue(), headers={"Content-Type": "text/csv"})
    assert r.status == 200, r
    return r.body


def workload(admin):
    with open(SAMPLE, newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    header, body = rows[0], rows[1:]
    # Scored by the rules, then a model trained on them scores the open ones again.
    import_csv(admin, [header] + body[:1500], "?outcome_column=y")
    opened = [admin.post("/api/v1/leads", {"name": f"open {i}", "email": f"o{i}@example.com",
                                           "attributes": {"age": 30 + i, "job": "admin."}}).body for i in range(5)]
    model = admin.post("/api/v1/lead-models", {"exclude": ["duration"]}).body
    wait_for(lambda: admin.get(f"/api/v1/lead-models/{model['id']}").body["status"] == "ready", timeout=120,
             message="the model trained")
    wait_for(lambda: admin.get(f"/api/v1/leads/{opened[0]['id']}").body["model_id"] == model["id"],
             message="the open leads scored by the model")
    # An import with ids: new leads, then the same ids again (updates).
    keyed = [["lead_no"] + header[:-1]] + [[f"k{i}"] + row[:-1] for i, row in enumerate(body[1500:1600])]
    import_csv(admin, keyed, "?id_column=lead_no")
    assert import_csv(admin, keyed[:51], "?id_column=lead_no")["updated"] == 50
    assert admin.patch(f"/api/v1/leads/{opened[1]['id']}", {"status": "contacted", "outcome": "converted"}).status == 200
    assert admin.post(f"/api/v1/leads/{opened[2]['id']}/score").status == 200
    assert admin.delete(f"/api/v1/leads/{opened[3]['id']}").status == 204
    # Companies: made, changed, deleted.
    companies = [admin.post("/api/v1/companies", {"name": f"Company {i}", "domain": f"c{i}.example",
                                                  "attributes": {"employees": 10 * i, "public": i % 2 == 0}}).body
                 for i in range(3)]
    assert admin.patch(f"/api/v1/companies/{companies[0]['id']}", {"industry": "Retail", "owner": "sam"}).status == 200
    assert admin.delete(f"/api/v1/companies/{companies[1]['id']}").status == 204
    # Deals: made, moved, closed, deleted.
    made = [admin.post("/api/v1/deals", {"name": f"Deal {i}", "account": "Acme", "amount": "1234.56"}).body
            for i in range(4)]
    assert admin.patch(f"/api/v1/deals/{made[0]['id']}", {"stage": "engaging"}).status == 200
    assert admin.patch(f"/api/v1/deals/{made[0]['id']}", {"stage": "won", "amount": "99.99"}).status == 200
    assert admin.patch(f"/api/v1/deals/{made[1]['id']}", {"probability": 0.35, "owner": "sam"}).status == 200
    assert admin.delete(f"/api/v1/deals/{made[2]['id']}").status == 204
    return opened, made


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_the_tables_are_rebuilt_identically_from_the_log(server_factory, backend):
    server = server_factory(backend)
    opened, made = workload(server.admin())
    server.stop()
    stored = snapshot(server)
    assert len(stored["leads"]) == 1500 + 5 + 100 - 1 and len(stored["deals"]) > 1000  # the demo pipeline too
    assert len(stored["companies"]) == 85 + 2  # the demo pipeline's accounts too

    check = server.run("rebuild", "--check")
    assert check.returncode == 0, check
    assert "leads: 1604 rows" in check.stdout and check.stdout.count("identical to the stored rows") == 3, check.stdout

    # A damaged projection: a lead lost, a deal changed, a deal's history gone.
    server.sql("DELETE FROM leads WHERE id = ?", (opened[1]["id"],))
    server.sql("UPDATE deals SET amount_minor = 1 WHERE id = ?", (made[1]["id"],))
    server.sql("DELETE FROM deal_stage_changes WHERE deal_id = ?", (made[0]["id"],))
    damaged = snapshot(server)
    check = server.run("rebuild", "--check")
    assert check.returncode == 1, check
    assert "leads: 1604 rows from" in check.stdout and "1 row differs" in check.stdout and "2 rows differ" in check.stdout, check.stdout
    assert f"leads {opened[1]['id']}: rebuilt, not stored" in check.stdout
    assert f"deals {made[1]['id']}: differs" in check.stdout
    assert f"deal_stage_changes {made[0]['id']}: rebuilt, not stored" in check.stdout
    assert snapshot(server) == damaged  # a check changes nothing

    server.sql("DELETE FROM companies")
    rebuilt = server.run("rebuild", "deals", "leads", "companies")
    assert rebuilt.returncode == 0, rebuilt
    assert "now rebuilt" in rebuilt.stdout
    assert snapshot(server) == stored

    server.start()
    lead = server.admin().get(f"/api/v1/leads/{opened[1]['id']}")
    assert lead.status == 200 and lead.body["outcome"] == "converted"


def test_rebuild_names_an_unknown_projection(server_factory):
    server = server_factory("sqlite", start=False)
    r = server.run("rebuild", "contacts")
    assert r.returncode == 2 and "no projection is called 'contacts': there are leads, companies and deals" in r.stderr, r
