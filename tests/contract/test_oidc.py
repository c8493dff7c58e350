"""Single sign-on with OpenID Connect against a real provider (node-oidc-provider, tests/oidc-npm):
the authorization code flow with PKCE, state and nonce; the session it gives; roles from groups;
accounts found, linked or created; the callback's refusals; the provider's key rotation.
The ID token checks one by one (tampered, expired, wrong audience, wrong nonce, alg none, HS256
with the public key) are unit tests: tests/unit/oidc_test.cpp."""
import json
import time
import urllib.parse

import pytest

from support.client import Client
from support.fixtures import BACKENDS
from support.oidc import Browser, OidcProvider, available, make_key
from support.server import ADMIN_EMAIL, free_port

pytestmark = pytest.mark.skipif(not available(), reason="tests/oidc-npm is not installed: run script/bootstrap")

CLIENT_ID = "de-dashboard"
SECRET = "oidc-client-secret-0123456789"
ROLE_MAP = "admins:admin,sales:operator"


@pytest.fixture
def sso(server_factory):
    """sso(backend, env=None, secret=SECRET, keys=None) -> (server, provider): a provider on
    127.0.0.1 and a server configured for it (both stopped at the test's end)."""
    providers = []

    def make(backend="sqlite", env=None, secret=SECRET, keys=None):
        port = free_port()
        redirect_uri = f"http://127.0.0.1:{port}/api/v1/auth/oidc/callback"
        provider = OidcProvider(CLIENT_ID, redirect_uri, secret=secret)
        providers.append(provider)
        provider.start(keys or [make_key("key-1")])
        server = server_factory(backend, start=False, env={
            "DE_OIDC_ISSUER": provider.issuer, "DE_OIDC_CLIENT_ID": CLIENT_ID, "DE_OIDC_CLIENT_SECRET": secret,
            "DE_OIDC_REDIRECT_URI": redirect_uri, "DE_OIDC_SCOPES": "openid email profile groups",
            "DE_OIDC_ROLE_MAP": ROLE_MAP, "DE_OIDC_KEYS_REFRESH_FLOOR": "1", **(env or {})})
        server.port, server.url = port, f"http://127.0.0.1:{port}"
        server.start()
        return server, provider

    yield make
    for provider in providers:
        provider.cleanup()


def sign_in(server, account, browser=None):
    """The whole flow as a browser does it: the callback's answer and the browser."""
    browser = browser or Browser()
    callback = browser.authorize(server.url, account)
    return browser.get(callback), browser


def session_of(server, browser):
    """What the dashboard does when it loads: its refresh cookie exchanged for an access token."""
    answer = browser.request("POST", server.url + "/api/v1/auth/refresh")
    assert answer.status == 200, answer.body
    return json.loads(answer.body)


def sso_error(answer):
    assert answer.status == 302, (answer.status, answer.body)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(answer.location).query)
    return query.get("sso_error", [None])[0]


def test_providers_tells_the_dashboard_whether_sso_is_configured(srv, sso):
    plain = Client(srv.server.url)
    r = plain.request("GET", "/api/v1/auth/providers")
    assert r.status == 200 and r.body == {"password": True, "oidc": False, "oidc_login_url": None}
    r = plain.request("GET", "/api/v1/auth/oidc/login")
    assert r.status == 404 and "DE_OIDC_ISSUER" in r.body["detail"]
    assert plain.request("GET", "/api/v1/auth/oidc/callback?state=x&code=y").status == 404
    server, _ = sso()
    r = Client(server.url).request("GET", "/api/v1/auth/providers")
    assert r.body == {"password": True, "oidc": True, "oidc_login_url": "/api/v1/auth/oidc/login"}


@pytest.mark.parametrize("backend", BACKENDS)
def test_login_by_code_and_pkce_gives_the_dashboard_session(sso, backend):
    server, provider = sso(backend)
    browser = Browser()
    start = browser.get(server.url + "/api/v1/auth/oidc/login")
    assert start.status == 302 and start.headers["Cache-Control"] == "no-store"
    authorize = urllib.parse.urlsplit(start.location)
    params = dict(urllib.parse.parse_qsl(authorize.query))
    assert f"{authorize.scheme}://{authorize.netloc}" == provider.issuer
    assert params["response_type"] == "code" and params["client_id"] == CLIENT_ID
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert len(params["state"]) >= 43 and len(params["nonce"]) >= 43 and params["state"] != params["nonce"]
    state_cookie = next(c for c in start.cookies() if c.startswith("de_oidc_state="))
    assert params["state"] in state_cookie and "HttpOnly" in state_cookie and "SameSite=Lax" in state_cookie
    assert "Path=/api/v1/auth/oidc" in state_cookie
    # The attempt is in the database (any node takes the callback), by the state's hash only.
    assert server.sql("SELECT count(*) FROM oidc_logins")[0][0] == 1
    assert not server.sql("SELECT count(*) FROM oidc_logins WHERE state_hash = ?", (params["state"],))[0][0]

    callback = browser.authorize(server.url, "alice", start=start.location)
    answer = browser.get(callback)
    assert answer.status == 302 and answer.location == server.url + "/"
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    cookies = answer.cookies()
    refresh = next(c for c in cookies if c.startswith("de_refresh="))
    assert "HttpOnly" in refresh and "SameSite=Strict" in refresh and "Path=/api/v1/auth" in refresh
    assert any(c.startswith("de_oidc_state=;") and "Max-Age=0" in c for c in cookies)
    assert "token" not in answer.location and "code" not in answer.location
    assert server.sql("SELECT count(*) FROM oidc_logins")[0][0] == 0  # spent

    tokens = session_of(server, browser)
    assert tokens["user"]["email"] == "alice@example.com" and tokens["user"]["roles"] == ["admin"]
    assert tokens["user"]["username"] == "alice"
    alice = Client(server.url, token=tokens["access_token"])
    assert alice.request("GET", "/api/v1/users/me").body["email"] == "alice@example.com"
    assert alice.request("GET", "/api/v1/users").status == 200  # an admin's route
    # The account has no password: a password login cannot reach it.
    r = Client(server.url).request("POST", "/api/v1/auth/login", json={"email": "alice@example.com", "password": "!sso"})
    assert r.status == 401
    # A second sign-in is the same account (found by issuer and subject).
    again, _ = sign_in(server, "alice")
    assert again.location == server.url + "/", server.log_tail(10)
    assert server.sql("SELECT count(*) FROM users WHERE email = 'alice@example.com'")[0][0] == 1
    assert server.sql("SELECT subject FROM oidc_identities")[0][0] == "alice"


@pytest.mark.parametrize("backend", BACKENDS)
def test_roles_come_from_the_group_claim_at_every_login(sso, backend):
    server, _ = sso(backend)
    answer, browser = sign_in(server, "bob")
    bob = session_of(server, browser)
    assert bob["user"]["roles"] == ["operator"]
    client = Client(server.url, token=bob["access_token"])
    assert client.request("GET", "/api/v1/agents").status == 200
    assert client.request("GET", "/api/v1/users").status == 403
    # An admin made bob a manager here; the provider still says sales: the next login says operator.
    r = server.admin().request("PATCH", f"/api/v1/users/{bob['user']['id']}", json={"roles": ["manager"]})
    assert r.status == 200 and r.body["roles"] == ["manager"]
    answer, browser = sign_in(server, "bob")
    assert session_of(server, browser)["user"]["roles"] == ["operator"]
    # Audited as password logins are: the account made, each login, the role the provider put back.
    entries = server.admin().request("GET", f"/api/v1/audit?target_id={bob['user']['id']}").body["items"]
    sso_entries = [(e["action"], e["details"].get("method")) for e in entries if e["details"].get("method") == "sso"]
    assert sso_entries == [("auth.login", "sso"), ("users.role_changed", "sso"), ("auth.login", "sso"),
                           ("users.created", "sso")], entries
    changed = next(e for e in entries if e["action"] == "users.role_changed" and e["details"].get("method") == "sso")
    assert changed["details"]["from"] == ["manager"] and changed["details"]["to"] == ["operator"]
    # carol is in no mapped group: refused, and no account made.
    answer, _ = sign_in(server, "carol")
    assert sso_error(answer) == "no_role"
    assert server.sql("SELECT count(*) FROM users WHERE email = 'carol@example.com'")[0][0] == 0
    assert "no value of the claim groups is in DE_OIDC_ROLE_MAP" in server.log_tail(20)


def test_a_default_role_admits_who_no_mapping_matches(sso):
    server, _ = sso(env={"DE_OIDC_DEFAULT_ROLE": "viewer"})
    answer, browser = sign_in(server, "carol")
    assert session_of(server, browser)["user"]["roles"] == ["viewer"]


def test_an_existing_account_is_linked_only_by_a_verified_email(sso):
    server, _ = sso()
    admin_id = server.admin().request("GET", "/api/v1/users/me").body["id"]
    answer, _ = sign_in(server, "mallory")  # says admin@example.com, not verified
    assert sso_error(answer) == "email"
    assert server.sql("SELECT count(*) FROM oidc_identities")[0][0] == 0
    answer, browser = sign_in(server, "verified_admin")
    tokens = session_of(server, browser)
    assert tokens["user"]["id"] == admin_id and tokens["user"]["email"] == ADMIN_EMAIL
    assert server.sql("SELECT user_id FROM oidc_identities WHERE subject = 'verified_admin'")[0][0] == admin_id


def test_a_deactivated_account_is_refused(sso):
    server, _ = sso()
    answer, _ = sign_in(server, "bob")
    bob = server.sql("SELECT id FROM users WHERE email = 'bob@example.com'")[0][0]
    assert server.admin().request("PATCH", f"/api/v1/users/{bob}", json={"is_active": False}).status == 200
    answer, _ = sign_in(server, "bob")
    assert sso_error(answer) == "deactivated"


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_callback_refuses_another_browsers_state_a_replay_and_a_bad_code(sso, backend):
    server, _ = sso(backend)
    browser = Browser()
    callback = browser.authorize(server.url, "alice")
    # Someone else's callback (login CSRF: the attacker's code in the victim's browser).
    assert sso_error(Browser().get(callback)) == "state"
    # The state changed in the URL.
    parts = urllib.parse.urlsplit(callback)
    query = dict(urllib.parse.parse_qsl(parts.query))
    forged = parts._replace(query=urllib.parse.urlencode({**query, "state": query["state"][:-2] + "xy"})).geturl()
    assert sso_error(browser.get(forged)) == "state"
    # The real one still works once, then never again (the attempt is spent).
    assert browser.get(callback).location == server.url + "/"
    replay = Browser().request("GET", callback, headers={"Cookie": "de_oidc_state=" + query["state"]})
    assert sso_error(replay) == "state"
    assert "the login attempt is unknown, used or expired" in server.log_tail(5)
    # A state that is this browser's, with a code the provider never issued.
    start = browser.get(server.url + "/api/v1/auth/oidc/login")
    state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(start.location).query))["state"]
    bad_code = f"{server.url}/api/v1/auth/oidc/callback?state={state}&code=not-a-code"
    assert sso_error(browser.get(bad_code)) == "token"
    assert "invalid_grant" in server.log_tail(20)
    # The provider's error (the user cancelled), said as a code the dashboard words itself.
    start = browser.get(server.url + "/api/v1/auth/oidc/login")
    state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(start.location).query))["state"]
    denied = (f"{server.url}/api/v1/auth/oidc/callback?state={state}&error=access_denied"
              "&error_description=Your+account+is+locked%2C+call+0800")
    answer = browser.get(denied)
    assert sso_error(answer) == "denied" and "0800" not in answer.location
    # A callback that names another issuer (RFC 9207 mix-up).
    start = browser.get(server.url + "/api/v1/auth/oidc/login")
    state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(start.location).query))["state"]
    mixed = f"{server.url}/api/v1/auth/oidc/callback?state={state}&code=c&iss=https%3A%2F%2Fevil.example.com"
    assert sso_error(browser.get(mixed)) == "provider"


def test_a_public_client_signs_in_with_pkce_alone(sso):
    server, _ = sso(secret="")
    answer, browser = sign_in(server, "alice")
    assert answer.location == server.url + "/"
    assert session_of(server, browser)["user"]["roles"] == ["admin"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_keys_rotated_by_the_provider_are_fetched_again(sso, backend):
    server, provider = sso(backend)
    answer, _ = sign_in(server, "alice")
    assert answer.location == server.url + "/"
    assert provider.requests("/jwks") == 1
    answer, _ = sign_in(server, "alice")
    assert answer.location == server.url + "/"
    assert provider.requests("/jwks") == 1  # kept
    # The provider restarts with a new key only (the old one is withdrawn).
    provider.stop()
    provider.start([make_key("key-2", "ES256")])
    # An unknown kid fetches the keys again once the floor (1 s here) has passed since the last
    # fetch; on a fast machine the restart takes less than that.
    time.sleep(1.1)
    answer, _ = sign_in(server, "alice")
    assert answer.location == server.url + "/", server.log_tail(10)
    assert provider.requests("/jwks") == 2  # fetched once more, for the unknown kid


def test_an_unknown_kid_refetches_the_keys_at_most_once_per_floor(sso):
    server, provider = sso(env={"DE_OIDC_KEYS_REFRESH_FLOOR": "600"})
    assert sign_in(server, "alice")[0].location == server.url + "/"
    provider.stop()
    provider.start([make_key("key-2")])
    # Within the floor the keys are not fetched again: the new kid is refused.
    answer, _ = sign_in(server, "alice")
    assert sso_error(answer) == "token"
    assert provider.requests("/jwks") == 1
    assert "unknown key" in server.log_tail(20)


@pytest.mark.parametrize("env, message", [
    ({"DE_OIDC_ISSUER": "https://idp.example.com", "DE_OIDC_CLIENT_ID": "x"}, "DE_OIDC_REDIRECT_URI is required"),
    ({"DE_OIDC_ISSUER": "https://idp.example.com", "DE_OIDC_REDIRECT_URI": "https://de.example.com/cb"},
     "DE_OIDC_CLIENT_ID is required"),
    ({"DE_OIDC_ISSUER": "http://idp.example.com"}, "invalid DE_OIDC_ISSUER"),
    ({"DE_OIDC_ISSUER": "http://127.0.0.1.example.com"}, "invalid DE_OIDC_ISSUER"),
    ({"DE_OIDC_ROLE_MAP": "admins:root"}, "invalid DE_OIDC_ROLE_MAP"),
    ({"DE_OIDC_ROLE_MAP": "admins:agent"}, "invalid DE_OIDC_ROLE_MAP"),
    ({"DE_OIDC_DEFAULT_ROLE": "superuser"}, "invalid DE_OIDC_DEFAULT_ROLE"),
])
def test_bad_configuration_is_said_at_start(server_factory, env, message):
    server = server_factory(init=False, start=False)
    result = server.run("init", env={"DE_OIDC_CLIENT_SECRET": "never-printed-secret", **env})
    assert result.returncode != 0 and message in result.stderr + result.stdout
    assert "never-printed-secret" not in result.stderr + result.stdout
