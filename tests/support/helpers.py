"""Assertions and small utilities shared by the Python test suites."""
import re
import secrets
import time

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
# RFC 3339 UTC with milliseconds, as docs/api.md fixes it: 2026-11-24T09:13:37.123Z
TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
PROBLEM_BASE = "https://digital-enterprise.dev/problems/"
TASK_STATUSES = {"pending", "queued", "running", "completed", "failed", "cancelled"}
AGENT_STATUSES = {"idle", "busy", "paused", "stopped", "offline", "error"}
# A task type that no agent has as a capability: such a task waits in the queue.
UNHANDLED = "nobody.handles_this"
NOT_A_ROUTE_ID = "0190f0e0-0000-7000-8000-000000000000"  # a well-formed UUID that no resource has


def uid():
    return secrets.token_hex(5)


def is_uuid(text):
    return isinstance(text, str) and bool(UUID_RE.match(text))


def is_timestamp(text):
    return isinstance(text, str) and bool(TIMESTAMP_RE.match(text))


def assert_problem(r, status, slug=None, fields=None):
    """r is an RFC 9457 problem with this status: application/problem+json (exactly),
    {"type","title","status","detail"}, every errors[] entry with a non-empty "field" and
    "message"; `slug` is the end of `type`; `fields` must each be named by an entry of errors[]."""
    assert r.status == status, f"expected {status}, got {r!r}"
    assert r.content_type == "application/problem+json", r
    body = r.body
    assert isinstance(body, dict), r
    for key in ("type", "title", "status", "detail"):
        assert key in body, f"problem without {key!r}: {r!r}"
    assert isinstance(body["type"], str) and body["type"], r
    assert isinstance(body["title"], str) and body["title"], r
    assert isinstance(body["detail"], str) and body["detail"], r
    assert body["status"] == status, f"problem status {body['status']} != HTTP {status}"
    if slug:
        assert body["type"] == PROBLEM_BASE + slug, f"type should end in /{slug}: {r!r}"
    for e in body.get("errors") or []:
        assert isinstance(e, dict) and e.get("field") and e.get("message"), f"errors[] entry without field/message: {r!r}"
    if fields:
        errors = body.get("errors")
        assert isinstance(errors, list) and errors, f"validation problem without errors[]: {r!r}"
        for e in errors:
            assert isinstance(e, dict) and isinstance(e.get("field"), str) and isinstance(e.get("message"), str), r
        named = {e["field"] for e in errors}
        for f in fields:
            assert f in named, f"errors[] should name {f!r}, names {sorted(named)}: {r!r}"
    return body


def assert_unauthorized(r):
    assert_problem(r, 401)
    challenge = r.headers.get("WWW-Authenticate", "")
    assert challenge.split(" ")[0].lower() == "bearer", f"401 without WWW-Authenticate: Bearer: {r!r}"


SECRET_KEY_PARTS = ("password", "hash", "secret", "salt")


def assert_no_secrets(value, also_forbidden=(), where="body"):
    """No key that looks like a password or hash anywhere in value, and none of the given
    strings (e.g. a plain password) anywhere in it."""
    if isinstance(value, dict):
        for k, v in value.items():
            assert not any(p in k.lower() for p in SECRET_KEY_PARTS), f"{where} has a key {k!r}"
            assert_no_secrets(v, also_forbidden, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            assert_no_secrets(v, also_forbidden, f"{where}[{i}]")
    elif isinstance(value, str):
        for s in also_forbidden:
            assert s not in value, f"{where} contains a secret"
        assert not value.startswith("$argon2"), f"{where} is a password hash"


def wait_for(predicate, timeout=10.0, interval=0.05, message="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {message}; last value: {last!r}")


# --- JWT helpers (HS256, standard library) -----------------------------------------------------
import base64  # noqa: E402
import hashlib  # noqa: E402
import hmac  # noqa: E402
import json as _json  # noqa: E402


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwt_parts(token):
    header, payload, signature = token.split(".")
    return _json.loads(b64url_decode(header)), _json.loads(b64url_decode(payload)), signature


def jwt_encode(header, payload, secret=None, signature=None):
    """A compact JWT; signed with HS256 and `secret` unless `signature` is given."""
    signing_input = b64url(_json.dumps(header, separators=(",", ":")).encode()) + "." + \
        b64url(_json.dumps(payload, separators=(",", ":")).encode())
    if signature is None:
        signature = b64url(hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()) if secret else ""
    return signing_input + "." + signature


def tamper_signature(token):
    """The token with one character in the middle of its signature changed. (The last
    character of a base64url signature may carry only padding bits, so it is not touched.)"""
    head, payload, signature = token.split(".")
    i = len(signature) // 2
    replacement = "A" if signature[i] != "A" else "Q"
    return f"{head}.{payload}.{signature[:i]}{replacement}{signature[i + 1:]}"
