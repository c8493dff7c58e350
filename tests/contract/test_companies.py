"""Companies (docs/sales.md, "Companies"): made, read, found by name and domain, changed and
deleted through the API, each change an event (companies.*); bad input is a problem naming the
field, and nothing is written."""
import secrets

from support.helpers import assert_problem, is_uuid

COMPANIES = "/api/v1/companies"


def test_a_company_is_made_found_changed_and_deleted(srv):
    admin = srv.admin
    tag = secrets.token_hex(4)
    r = admin.post(COMPANIES, {"name": f"Acme {tag} Ltd", "domain": f"acme-{tag}.example", "industry": "Retail",
                               "attributes": {"employees": 120, "public": False, "ticker": None}})
    assert r.status == 201, r
    acme = r.body
    assert is_uuid(acme["id"]) and acme["owner"] == "" and acme["attributes"]["employees"] == 120
    assert r.headers["Location"] == f"{COMPANIES}/{acme['id']}"
    assert admin.get(f"{COMPANIES}/{acme['id']}").body == acme

    found = admin.get(f"{COMPANIES}?name=ACME%20{tag}").body["items"]
    assert [c["id"] for c in found] == [acme["id"]], "found by a part of the name, without case"
    assert [c["id"] for c in admin.get(f"{COMPANIES}?domain=ACME-{tag}.example").body["items"]] == [acme["id"]]

    changed = admin.patch(f"{COMPANIES}/{acme['id']}", {"owner": "sam", "attributes": {"employees": 130}})
    assert changed.status == 200, changed
    assert changed.body["owner"] == "sam" and changed.body["name"] == acme["name"] and changed.body["industry"] == "Retail"
    assert changed.body["attributes"] == {"employees": 130} and changed.body["updated_at"] > acme["updated_at"]

    assert admin.delete(f"{COMPANIES}/{acme['id']}").status == 204
    assert_problem(admin.get(f"{COMPANIES}/{acme['id']}"), 404)
    assert_problem(admin.delete(f"{COMPANIES}/{acme['id']}"), 404)
    topics = [row[0] for row in srv.sql("SELECT topic FROM events WHERE CAST(data AS TEXT) LIKE ? ORDER BY id", (f"%{acme['id']}%",))]
    assert topics == ["companies.created", "companies.updated", "companies.deleted"]


def test_companies_are_listed_by_name_a_page_at_a_time(srv):
    admin = srv.admin
    tag = secrets.token_hex(4)
    for name in ("Charlie", "alpha", "Bravo"):
        assert admin.post(COMPANIES, {"name": f"{tag} {name}"}).status == 201
    first = admin.get(f"{COMPANIES}?name={tag}&limit=2").body
    assert len(first["items"]) == 2 and first["next_cursor"] == first["items"][-1]["id"]
    rest = admin.get(f"{COMPANIES}?name={tag}&limit=2&cursor={first['next_cursor']}").body
    names = [c["name"] for c in first["items"] + rest["items"]]
    assert sorted(names) == sorted(f"{tag} {n}" for n in ("Charlie", "alpha", "Bravo")) and rest["next_cursor"] is None
    assert names == [f"{tag} {n}" for n in ("alpha", "Bravo", "Charlie")], "by name, without case"


def test_bad_input_names_the_field_and_writes_nothing(srv):
    admin = srv.admin
    before = admin.get(f"{COMPANIES}?limit=500").body["items"]
    assert_problem(admin.post(COMPANIES, {"domain": "no-name.example"}), 422, fields=["name"])
    assert_problem(admin.post(COMPANIES, {"name": ""}), 422, fields=["name"])
    assert_problem(admin.post(COMPANIES, {"name": "Spaced", "domain": "not a domain"}), 422, fields=["domain"])
    assert_problem(admin.post(COMPANIES, {"name": "Nested", "attributes": {"address": {"city": "Oslo"}}}), 422,
                   fields=["attributes.address"])
    assert_problem(admin.post(COMPANIES, {"name": "Extra", "revenue": 5}), 422, fields=["revenue"])
    assert_problem(admin.post(COMPANIES, {"name": "x" * 201}), 422, fields=["name"])
    assert admin.get(f"{COMPANIES}?limit=500").body["items"] == before

    made = admin.post(COMPANIES, {"name": "Keeps its name " + secrets.token_hex(3)}).body
    assert_problem(admin.patch(f"{COMPANIES}/{made['id']}", {"name": ""}), 422, fields=["name"])
    assert admin.get(f"{COMPANIES}/{made['id']}").body == made
    assert_problem(admin.get(f"{COMPANIES}/not-a-uuid"), 404)
