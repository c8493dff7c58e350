"""A person's consent to a Salesforce integration (docs/integrations.md, "Consent"), Salesforce's
OAuth 2.0 web server flow with PKCE against the Salesforce stand-in: the API gives the authorize
URL, the person consents there, the callback redeems the code for a refresh token that is sealed
with the credentials, and the integration's check and sync then run on it. A used or unknown
state is refused, a refusal at Salesforce comes back to the dashboard with its reason, and only
people who manage integrations may begin one."""
import contextlib
import json
import os
import secrets
import subprocess
import urllib.parse
import urllib.request

from support.client import Client
from support.helpers import assert_problem, wait_for
from support.server import terminate

CALLBACK = "/api/v1/integrations/oauth/callback"


@contextlib.contextmanager
def salesforce_standin():
    script = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support", "standins",
                          "salesforce_standin.py")
    standin = subprocess.Popen(["/usr/bin/python3", script, "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{int(standin.stdout.readline())}"
        yield url
        with urllib.request.urlopen(url + "/__stats", timeout=10) as r:
            stats = json.load(r)
        assert stats["rejected"] == 0, stats["rejections"]
    finally:
        terminate(standin)


def location(response):
    assert response.status == 302, response
    return response.headers["Location"]


def consent_at_salesforce(authorize_url, deny=False):
    """The person's browser at Salesforce's authorize page: where it is sent back to."""
    parts = urllib.parse.urlsplit(authorize_url)
    target = parts.path + "?" + parts.query + ("&deny=1" if deny else "")
    return location(Client(f"{parts.scheme}://{parts.netloc}").get(target))


def test_a_person_consents_and_the_integration_runs_on_the_refresh_token(srv):
    manager = srv.as_("manager")
    with salesforce_standin() as sf:
        made = manager.post("/api/v1/integrations", {
            "name": "Salesforce consent " + secrets.token_hex(3), "type": "salesforce",
            # Contacts only: pulled, and never created there (the shared server's leads are other tests').
            "config": {"instance_url": sf, "login_url": sf, "mapping": {"lead": None, "deal": None}},
            "credentials": {"client_id": "sf-client", "client_secret": "sf-secret"}})
        assert made.status == 201, made
        path = f"/api/v1/integrations/{made.body['id']}"

        begun = manager.post(path + "/consent")
        assert begun.status == 200, begun
        redirect_uri = srv.url + CALLBACK
        assert begun.body["redirect_uri"] == redirect_uri
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(begun.body["authorize_url"]).query)
        assert begun.body["authorize_url"].startswith(sf + "/services/oauth2/authorize?")
        assert query["response_type"] == ["code"] and query["client_id"] == ["sf-client"]
        assert query["redirect_uri"] == [redirect_uri] and query["code_challenge_method"] == ["S256"]

        back = consent_at_salesforce(begun.body["authorize_url"])
        assert back.startswith(redirect_uri + "?code=")
        callback = back[len(srv.url):]
        landed = srv.anonymous().get(callback)  # the browser, with no token: the state is the credential
        assert location(landed) == f"/integrations?tab=connected&integration={made.body['id']}&consent=given"

        got = srv.admin.get(path).body
        assert "refresh_token" in got["credentials_set"] and "5Aep" not in json.dumps(got)
        tested = manager.post(path + "/test")
        assert tested.status == 200 and tested.body["ok"], tested
        assert "refresh token" in tested.body["checks"][0]["detail"], tested.body
        assert manager.post(path + "/sync").status == 202
        run = wait_for(lambda: next((r for r in manager.get(path + "/sync-runs").body["items"] if r["status"] != "running"), None),
                       timeout=60)
        assert run["status"] == "succeeded", run
        audit = srv.admin.get(f"/api/v1/audit?action=integrations.consented&target_id={made.body['id']}").body["items"]
        assert any(a["target_id"] == made.body["id"] for a in audit), audit

        # The state is spent: the same callback again is refused, and so is one never begun.
        assert_problem(srv.anonymous().get(callback), 400)
        assert_problem(srv.anonymous().get(CALLBACK + "?code=x&state=never-begun"), 400)
        assert_problem(srv.anonymous().get(CALLBACK + "?code=x"), 400)

        # A person who says no at Salesforce is back on the dashboard with the reason.
        refused = consent_at_salesforce(manager.post(path + "/consent").body["authorize_url"], deny=True)
        landed = srv.anonymous().get(refused[len(srv.url):])
        assert location(landed) == (f"/integrations?tab=connected&integration={made.body['id']}"
                                    "&consent=refused&reason=end-user%20denied%20authorization")


def test_only_a_salesforce_integration_with_its_client_asks_consent_and_only_its_managers(srv):
    admin = srv.admin
    hubspot = admin.post("/api/v1/integrations", {"name": "HubSpot no consent " + secrets.token_hex(3), "type": "hubspot",
                                                   "credentials": {"access_token": "pat-x"}}).body
    assert_problem(admin.post(f"/api/v1/integrations/{hubspot['id']}/consent"), 422, fields=["type"])
    salesforce = admin.post("/api/v1/integrations", {"name": "Salesforce consent " + secrets.token_hex(3), "type": "salesforce",
                                                      "config": {"instance_url": "https://example.my.salesforce.com"},
                                                      "credentials": {"client_id": "only-the-id", "client_secret": "s"}}).body
    assert_problem(srv.as_("operator").post(f"/api/v1/integrations/{salesforce['id']}/consent"), 403)
    assert_problem(admin.post("/api/v1/integrations/01900000-0000-7000-8000-000000000000/consent"), 404)
