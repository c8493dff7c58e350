"""Cursor paging on every list: newest first, no duplicates, no gaps, next_cursor null at the end."""
import pytest

from support.helpers import assert_problem

LISTS = ["/api/v1/users", "/api/v1/agents", "/api/v1/api-keys", "/api/v1/tasks", "/api/v1/messages", "/api/v1/leads"]


def make_some(srv, path):
    admin = srv.admin
    for i in range(3):
        if path.endswith("users"):
            srv.new_user()
        elif path.endswith("agents"):
            srv.new_agent()
        elif path.endswith("api-keys"):
            assert admin.post(path, {"name": f"paging-{i}", "roles": ["viewer"]}).status == 201
        elif path.endswith("tasks"):
            srv.new_task()
        elif path.endswith("leads"):
            assert admin.post(path, {"name": f"paging-{i}"}).status == 201
        else:
            assert admin.post(path, {"to_agent": srv.echo_agent["id"], "message_type": "paging"}).status == 201


@pytest.mark.parametrize("path", LISTS)
def test_walk_with_limit_1_and_2(srv, path):
    make_some(srv, path)
    everything = srv.admin.list_all(path)
    assert len(everything) >= 3
    ids = [i["id"] for i in everything]
    assert len(ids) == len(set(ids)), "the full list has duplicates"
    for limit in (1, 2):
        seen, cursor, pages = [], None, 0
        while True:
            r = srv.admin.get(f"{path}?limit={limit}" + (f"&cursor={cursor}" if cursor else ""))
            assert r.status == 200, r
            assert len(r.body["items"]) <= limit
            seen.extend(i["id"] for i in r.body["items"])
            cursor = r.body["next_cursor"]
            pages += 1
            assert pages <= len(ids) + 2, "the cursor never ends"
            if cursor is None:
                break
        assert seen == ids, f"{path} limit={limit}: paging differs from the full list"
    stamps = [i.get("created_at") or i.get("sent_at") for i in everything]
    if all(stamps):
        assert stamps == sorted(stamps, reverse=True), f"{path} is not newest first"


@pytest.mark.parametrize("path", LISTS)
def test_bad_paging_parameters_are_400(srv, path):
    for query in ("limit=0", "limit=501", "limit=x", "cursor=not-a-cursor"):
        assert_problem(srv.admin.get(f"{path}?{query}"), 400)
