"""CRM sync's routes (docs/integrations.md, "CRM sync") as the API shows them: a HubSpot
integration connected through the API and synced against the HubSpot stand-in, its run and its
leads; bad input is a problem naming what was wrong, and nothing is written. The runs' finer
points (two-way, conflicts, kill -9 mid-pull) are driven against the HubSpot and Salesforce
stand-ins in tests/unit/crm_sync_test.cpp."""
import contextlib
import json
import os
from datetime import datetime
import secrets
import subprocess
import urllib.request

import pytest

from support.helpers import assert_problem, wait_for
from support.server import Session, terminate

UNKNOWN = "01900000-0000-7000-8000-000000000000"


def test_conflicts_list_filters_by_status_and_refuses_another(srv):
    for status in ("open", "resolved"):
        r = srv.admin.get(f"/api/v1/sync-conflicts?status={status}")
        assert r.status == 200 and r.body == {"items": [], "next_cursor": None}, r
    assert_problem(srv.admin.get("/api/v1/sync-conflicts?status=maybe"), 422, fields=["status"])


def test_resolving_needs_local_or_remote_and_a_conflict_that_exists(srv):
    assert_problem(srv.admin.post(f"/api/v1/sync-conflicts/{UNKNOWN}/resolve", {"value": "mine"}), 422, fields=["value"])
    assert_problem(srv.admin.post(f"/api/v1/sync-conflicts/{UNKNOWN}/resolve", {}), 422, fields=["value"])
    assert_problem(srv.admin.post(f"/api/v1/sync-conflicts/{UNKNOWN}/resolve", {"value": "local"}), 404)
    assert_problem(srv.admin.post("/api/v1/sync-conflicts/not-an-id/resolve", {"value": "local"}), 404)


def test_a_sync_of_an_integration_that_does_not_exist_is_not_found_and_leaves_no_run(srv):
    assert_problem(srv.admin.post(f"/api/v1/integrations/{UNKNOWN}/sync"), 404)
    assert_problem(srv.admin.get(f"/api/v1/integrations/{UNKNOWN}/sync-runs"), 404)


@contextlib.contextmanager
def hubspot_standin(contacts):
    """The HubSpot stand-in on a port of its own, seeded with `contacts` contacts: (its URL, their prefix)."""
    script = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support", "standins",
                          "hubspot_standin.py")
    standin = subprocess.Popen(["/usr/bin/python3", script, "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{int(standin.stdout.readline())}"
        prefix = "sync" + secrets.token_hex(3)
        seed = urllib.request.Request(url + "/__seed", method="POST", headers={"Content-Type": "application/json"},
                                      data=json.dumps({"type": "contacts", "count": contacts, "prefix": prefix}).encode())
        urllib.request.urlopen(seed, timeout=10).read()
        yield url, prefix
        with urllib.request.urlopen(url + "/__stats", timeout=10) as r:
            assert json.load(r)["rejected"] == 0
    finally:
        terminate(standin)


def finished_runs(srv, path, count=1):
    """The newest `count` finished runs of an integration, once there are that many."""
    def finished():
        runs = [r for r in srv.as_("viewer").get(path + "/sync-runs").body["items"] if r["status"] != "running"]
        return runs[:count] if len(runs) >= count else None
    return wait_for(finished, timeout=60)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_hubspot_integration_connected_through_the_api_syncs_its_contacts_into_leads(backend, server_factory):
    # A server of its own: a sync also pushes every local lead, and the shared server holds
    # whatever leads other tests imported.
    srv = Session(server_factory(backend))
    with hubspot_standin(25) as (url, prefix):
        integration = srv.as_("manager").post("/api/v1/integrations", {
            "name": "HubSpot " + prefix, "type": "hubspot", "config": {"base_url": url},
            "credentials": {"access_token": "pat-" + prefix}})
        assert integration.status == 201, integration
        path = f"/api/v1/integrations/{integration.body['id']}"
        assert_problem(srv.as_("operator").post(path + "/sync"), 403)
        started = srv.as_("manager").post(path + "/sync")
        assert started.status == 202 and started.body["trigger"] == "manual", started
        runs = finished_runs(srv, path)
        assert runs[0]["status"] == "succeeded" and runs[0]["pulled"] == 25, runs[0]
        leads = [lead for lead in srv.admin.list_all("/api/v1/leads") if prefix in (lead["email"] or "")]
        assert len(leads) == 25, len(leads)
        assert all(lead["company"] and lead["attributes"].get("phone") for lead in leads), leads[0]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_mapping_and_a_schedule_set_through_the_api_are_checked_and_followed(backend, server_factory):
    srv = Session(server_factory(backend))
    manager = srv.as_("manager")
    with hubspot_standin(12) as (url, prefix):
        body = {"name": "HubSpot " + prefix, "type": "hubspot", "credentials": {"access_token": "pat-" + prefix}}
        bad = manager.post("/api/v1/integrations", {**body, "config": {
            "base_url": url, "sync_every": "5s",
            "mapping": {"contact": {"fields": [{"local": "nickname", "remote": "email"}]}, "company": None}}})
        assert_problem(bad, 422, fields=["config.sync_every", "config.mapping.contact.fields[0].local"])
        assert not [i for i in srv.admin.list_all("/api/v1/integrations") if i["name"] == body["name"]]

        # Contacts by name and email only (no company, no phone), deals not synced, every 10 s.
        mapping = {"contact": {"fields": [{"local": "name", "remote": ["firstname", "lastname"]},
                                          {"local": "email", "remote": "email"}]},
                   "deal": None}
        made = manager.post("/api/v1/integrations", {**body, "config": {"base_url": url, "sync_every": "10s",
                                                                        "mapping": mapping}})
        assert made.status == 201, made
        assert made.body["config"]["mapping"] == mapping and made.body["config"]["sync_every"] == "10s", made.body
        path = f"/api/v1/integrations/{made.body['id']}"

        # Nobody asks: the schedule begins a run, then another once 10 s have passed since it began.
        runs = finished_runs(srv, path, count=2)
        assert [r["trigger"] for r in runs] == ["schedule", "schedule"], runs
        assert all(r["status"] == "succeeded" for r in runs), runs
        newer, older = runs
        assert older["pulled"] == 12 and newer["pulled"] == 0, runs
        started = [datetime.fromisoformat(r["started_at"].replace("Z", "+00:00")) for r in runs]
        assert (started[0] - started[1]).total_seconds() >= 10, runs
        leads = [lead for lead in srv.admin.list_all("/api/v1/leads") if prefix in (lead["email"] or "")]
        assert len(leads) == 12 and not any(lead["company"] or lead["attributes"] for lead in leads), leads[0]

        # Switched off, it is not synced, on schedule or by hand.
        assert manager.patch(path, {"is_active": False}).status == 200
        assert_problem(manager.post(path + "/sync"), 409)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_sales_agent_syncs_a_crm_as_a_task(backend, server_factory):
    """sales.sync_crm (the sales agent's CRM tool, also an assistant's): a run begun as the
    route begins it, answered once finished; a second task while none runs syncs nothing new."""
    srv = Session(server_factory(backend))
    with hubspot_standin(15) as (url, prefix):
        integration = srv.as_("manager").post("/api/v1/integrations", {
            "name": "HubSpot " + prefix, "type": "hubspot", "config": {"base_url": url},
            "credentials": {"access_token": "pat-" + prefix}}).body

        def run_task(input_data):
            r = srv.as_("operator").post("/api/v1/tasks", {"type": "sales.sync_crm", "input_data": input_data})
            assert r.status == 201, r
            return wait_for(lambda: (lambda t: t if t["status"] in ("completed", "failed") else None)(
                srv.admin.get(f"/api/v1/tasks/{r.body['id']}").body), timeout=60, message="the sync task")

        done = run_task({"integration": integration["name"]})
        assert done["status"] == "completed", done
        run = done["output_data"]
        assert run["status"] == "succeeded" and run["pulled"] == 15 and run["integration_id"] == integration["id"], run
        runs = srv.admin.get(f"/api/v1/integrations/{integration['id']}/sync-runs").body["items"]
        assert [r["id"] for r in runs] == [run["id"]]
        again = run_task({"integration": integration["id"]})
        assert again["status"] == "completed" and again["output_data"]["pulled"] == 0, again
        wrong = run_task({"integration": "no such integration"})
        assert wrong["status"] == "failed" and "does not exist" in wrong["error"] and wrong["attempts"] == 1, wrong
