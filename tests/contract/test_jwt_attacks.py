"""Attacks on access and refresh tokens (docs/security.md, "Tokens (JWT)"), against the real
binary. Each forged token is the server's own viewer token changed in one way and, unless the
attack is about the signature, signed again with the server's DE_JWT_SECRET: so what refuses it
is the check under test, not a bad signature. test_the_control_is_accepted shows that a token
re-signed that way with nothing changed does pass."""
import concurrent.futures
import hashlib
import hmac
import json
import time

import pytest

from support.fixtures import JWT_SECRET
from support.helpers import assert_unauthorized, b64url, jwt_encode, jwt_parts

ME = "/api/v1/users/me"
REFRESH = "/api/v1/auth/refresh"
ATTACKER_SECRET = "the-attackers-own-secret-" + "k" * 32


def bearer(srv, token):
    return srv.anonymous().get(ME, headers={"Authorization": "Bearer " + token})


def viewer_parts(srv):
    header, payload, signature = jwt_parts(srv.tokens["viewer"])
    assert header["alg"] == "HS256", header
    return header, payload, signature


def test_issued_tokens_name_issuer_audience_and_times(srv):
    _, payload, _ = viewer_parts(srv)
    assert payload["iss"] == "digital-enterprise" and payload["aud"] == "digital-enterprise-api"
    assert payload["nbf"] <= payload["iat"] + 1 and payload["exp"] > payload["iat"]


def test_the_control_is_accepted(srv):
    header, payload, _ = viewer_parts(srv)
    r = bearer(srv, jwt_encode(header, dict(payload, iat=int(time.time()) - 5), secret=JWT_SECRET))
    assert r.status == 200 and r.body["id"] == srv.users["viewer"]["id"], r


def _claims_attack(payload, attack):
    now = int(time.time())
    changes = {
        "expired": {"exp": now - 60},
        "expired-long-ago": {"exp": 1},
        "exp-missing": {"exp": None},
        "exp-as-text": {"exp": str(now + 600)},
        "not-yet-valid": {"nbf": now + 3600},
        "issued-in-the-future": {"iat": now + 3600},
        "iat-missing": {"iat": None},
        "wrong-issuer": {"iss": "https://attacker.example"},
        "issuer-missing": {"iss": None},
        "wrong-audience": {"aud": "another-service"},
        "audience-missing": {"aud": None},
        "audience-list": {"aud": ["another-service", "digital-enterprise-api"]},
        "subject-missing": {"sub": None},
        "subject-of-nobody": {"sub": "00000000-0000-4000-8000-000000000000"},
    }[attack]
    out = dict(payload)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


@pytest.mark.parametrize("attack", ["expired", "expired-long-ago", "exp-missing", "exp-as-text", "not-yet-valid",
                                    "issued-in-the-future", "iat-missing", "wrong-issuer", "issuer-missing",
                                    "wrong-audience", "audience-missing", "audience-list", "subject-missing",
                                    "subject-of-nobody"])
def test_claims_that_do_not_hold_are_401_even_rightly_signed(srv, attack):
    header, payload, _ = viewer_parts(srv)
    assert_unauthorized(bearer(srv, jwt_encode(header, _claims_attack(payload, attack), secret=JWT_SECRET)))


def _hmac_token(header, payload, secret, digest):
    signing_input = b64url(json.dumps(header, separators=(",", ":")).encode()) + "." + \
        b64url(json.dumps(payload, separators=(",", ":")).encode())
    mac = hmac.new(secret.encode(), signing_input.encode(), getattr(hashlib, digest)).digest()
    return signing_input + "." + b64url(mac)


@pytest.mark.parametrize("attack", ["alg-none", "alg-None", "alg-NONE", "alg-none-with-signature", "alg-missing",
                                    "signature-stripped", "signature-stripped-no-dot", "hs512-right-secret",
                                    "hs384-right-secret", "rs256-claimed-hmac-signed", "es256-claimed-hmac-signed",
                                    "another-secret", "role-escalated-old-signature", "empty-secret",
                                    "two-tokens-joined", "whitespace-in-token"])
def test_forged_signatures_are_401(srv, attack):
    header, payload, signature = viewer_parts(srv)
    admin_payload = dict(payload, roles=["admin"])
    token = {
        "alg-none": lambda: jwt_encode(dict(header, alg="none"), admin_payload, signature=""),
        "alg-None": lambda: jwt_encode(dict(header, alg="None"), admin_payload, signature=""),
        "alg-NONE": lambda: jwt_encode(dict(header, alg="NONE"), admin_payload, signature=""),
        "alg-none-with-signature": lambda: jwt_encode(dict(header, alg="none"), admin_payload, signature=signature),
        "alg-missing": lambda: jwt_encode({"typ": "JWT"}, payload, secret=JWT_SECRET),
        "signature-stripped": lambda: jwt_encode(header, admin_payload, signature=""),
        "signature-stripped-no-dot": lambda: jwt_encode(header, admin_payload, signature="")[:-1],
        "hs512-right-secret": lambda: _hmac_token(dict(header, alg="HS512"), payload, JWT_SECRET, "sha512"),
        "hs384-right-secret": lambda: _hmac_token(dict(header, alg="HS384"), payload, JWT_SECRET, "sha384"),
        # HS/RS confusion: a token claiming an asymmetric alg, signed with the shared secret as HMAC key.
        "rs256-claimed-hmac-signed": lambda: _hmac_token(dict(header, alg="RS256"), payload, JWT_SECRET, "sha256"),
        "es256-claimed-hmac-signed": lambda: _hmac_token(dict(header, alg="ES256"), payload, JWT_SECRET, "sha256"),
        "another-secret": lambda: jwt_encode(header, admin_payload, secret=ATTACKER_SECRET),
        "role-escalated-old-signature": lambda: jwt_encode(header, admin_payload, signature=signature),
        "empty-secret": lambda: _hmac_token(header, admin_payload, "", "sha256"),
        "two-tokens-joined": lambda: srv.tokens["viewer"] + "." + srv.tokens["viewer"],
        "whitespace-in-token": lambda: srv.tokens["viewer"].replace(".", " .", 1),
    }[attack]()
    assert_unauthorized(bearer(srv, token))
    # an admin-only route is refused the same way
    r = srv.anonymous().get("/api/v1/users", headers={"Authorization": "Bearer " + token})
    assert_unauthorized(r)


@pytest.mark.parametrize("hint", [{"kid": "../../../../dev/null"}, {"kid": "' OR '1'='1"},
                                  {"jku": "http://127.0.0.1:9/jwks.json"},
                                  {"x5u": "http://127.0.0.1:9/cert.pem"},
                                  {"jwk": {"kty": "oct", "k": b64url(ATTACKER_SECRET.encode())}}],
                         ids=["kid-path", "kid-sql", "jku", "x5u", "embedded-jwk"])
def test_key_hints_in_the_header_are_ignored(srv, hint):
    """The key is the one secret: a header naming another key (or carrying one) changes nothing."""
    header, payload, _ = viewer_parts(srv)
    hinted = dict(header, **hint)
    assert_unauthorized(bearer(srv, jwt_encode(hinted, dict(payload, roles=["admin"]), secret=ATTACKER_SECRET)))
    r = bearer(srv, jwt_encode(hinted, payload, secret=JWT_SECRET))
    assert r.status == 200 and r.body["roles"] == ["viewer"], r


@pytest.mark.parametrize("size", [5000, 20000])  # under the 32 KiB header limit (over it is a 431)
def test_very_long_tokens_are_401_and_the_server_stays_up(srv, size):
    header, payload, _ = viewer_parts(srv)
    padded = jwt_encode(header, dict(payload, pad="x" * size), secret=JWT_SECRET)  # rightly signed, too long
    assert_unauthorized(bearer(srv, padded))
    assert_unauthorized(bearer(srv, "e" * size))
    assert_unauthorized(bearer(srv, "a." * (size // 2) + "b"))
    assert bearer(srv, srv.tokens["viewer"]).status == 200


def test_a_replayed_refresh_token_revokes_its_family(srv):
    user = srv.new_user("viewer")
    stolen = srv.login(user["email"], user["password"])["refresh_token"]
    owner = srv.anonymous().post(REFRESH, {"refresh_token": stolen})
    assert owner.status == 200, owner
    replay = srv.anonymous().post(REFRESH, {"refresh_token": stolen})
    assert_unauthorized(replay)
    assert "already used" in replay.body["detail"]
    # the owner's rotated token went with the family: both parties must log in again
    assert_unauthorized(srv.anonymous().post(REFRESH, {"refresh_token": owner.body["refresh_token"]}))


def test_a_refresh_token_replayed_concurrently_wins_once(srv):
    """The thief and the owner refreshing at the same moment: one answer carries new tokens,
    the others are refused as reuse, and the winner's new refresh token is revoked too."""
    user = srv.new_user("viewer")
    token = srv.login(user["email"], user["password"])["refresh_token"]
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: srv.anonymous().post(REFRESH, {"refresh_token": token}), range(8)))
    winners = [a for a in answers if a.status == 200]
    assert len(winners) == 1, [a.status for a in answers]
    for a in answers:
        if a.status != 200:
            assert_unauthorized(a)
    assert_unauthorized(srv.anonymous().post(REFRESH, {"refresh_token": winners[0].body["refresh_token"]}))
