"""CRM sync's routes (docs/integrations.md, "CRM sync") as the API shows them: a HubSpot
integration connected through the API and synced against the HubSpot stand-in, its run and its
leads; bad input is a problem naming what was wrong, and nothing is written. The runs' finer
points (two-way, conflicts, kill -9 mid-pull) are driven against the HubSpot and Salesforce
stand-ins in tests/unit/crm_sync_test.cpp."""
import json
import os
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


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_hubspot_integration_connected_through_the_api_syncs_its_contacts_into_leads(backend, server_factory):
    # A server of its own: a sync also pushes every local lead, and the shared server holds
    # whatever leads other tests imported.
    srv = Session(server_factory(backend))
    script = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support", "standins",
                          "hubspot_standin.py")
    standin = subprocess.Popen(["/usr/bin/python3", script, "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{int(standin.stdout.readline())}"
        prefix = "sync" + secrets.token_hex(3)
        seed = urllib.request.Request(url + "/__seed", method="POST", headers={"Content-Type": "application/json"},
                                      data=json.dumps({"type": "contacts", "count": 25, "prefix": prefix}).encode())
        urllib.request.urlopen(seed, timeout=10).read()
        integration = srv.as_("manager").post("/api/v1/integrations", {
            "name": "HubSpot " + prefix, "type": "hubspot", "config": {"base_url": url},
            "credentials": {"access_token": "pat-" + prefix}})
        assert integration.status == 201, integration
        path = f"/api/v1/integrations/{integration.body['id']}"
        assert_problem(srv.as_("operator").post(path + "/sync"), 403)
        started = srv.as_("manager").post(path + "/sync")
        assert started.status == 202, started
        runs = wait_for(lambda: [r for r in srv.as_("viewer").get(path + "/sync-runs").body["items"]
                                 if r["status"] != "running"], timeout=60)
        assert runs[0]["status"] == "succeeded" and runs[0]["pulled"] == 25, runs[0]
        leads = [lead for lead in srv.admin.list_all("/api/v1/leads") if prefix in (lead["email"] or "")]
        assert len(leads) == 25, len(leads)
        with urllib.request.urlopen(url + "/__stats", timeout=10) as r:
            assert json.load(r)["rejected"] == 0
    finally:
        terminate(standin)
