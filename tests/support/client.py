"""A small HTTP client for the Python test suites (standard library only).

    c = Client("http://127.0.0.1:8080", token="...")
    r = c.request("POST", "/api/v1/tasks", json={"type": "echo"})
    r.status, r.headers["Location"], r.body["id"]

`request` returns a Response with the status, the headers (case-insensitive), the body parsed
(JSON when the Content-Type says JSON, text otherwise, None when empty) and the raw bytes.
A new connection is used per request, so one test cannot disturb another's connection.
"""
import http.client
import json as jsonlib
import urllib.parse

TIMEOUT = 30


def _plain_float(text):
    """Numbers with a fraction part as people and tools write them (3.2, 1.0), never in the
    exponent form 3.2E0 that a serializer may fall back to for any double."""
    if "E" in text or ("e" in text and 1e-6 <= abs(float(text)) < 1e16):
        raise ValueError(f"the number {text} is written in exponent form")
    return float(text)


def _reject_constant(name):
    raise ValueError(f"{name} is not JSON")


def _unique_keys(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError(f"duplicate keys in an object: {keys}")
    return dict(pairs)


class Response:
    def __init__(self, status, headers, raw):
        self.status = status
        self.headers = headers
        self.raw = raw
        content_type = headers.get("Content-Type", "") or ""
        if not raw:
            self.body = None
        elif "json" in content_type and "ndjson" not in content_type:  # JSON lines stay text
            # Strict JSON (RFC 8259): no NaN/Infinity, no duplicate keys, valid UTF-8. A server
            # answer that says JSON and is not fails the test that received it.
            try:
                self.body = jsonlib.loads(raw.decode("utf-8"), parse_constant=_reject_constant, parse_float=_plain_float,
                                          object_pairs_hook=_unique_keys)
            except ValueError as e:
                raise AssertionError(f"the server sent invalid JSON ({e}) with status {status}: {raw[:300]!r}")
        else:
            self.body = raw.decode("utf-8", "replace")

    @property
    def content_type(self):
        return self.headers.get("Content-Type", "") or ""

    def __iter__(self):  # status, headers, body = client.request(...)
        return iter((self.status, self.headers, self.body))

    def __repr__(self):
        text = self.raw[:600].decode("utf-8", "replace")
        return f"<Response {self.status} {self.content_type!r} {text}>"


class Client:
    def __init__(self, base_url, token=None, api_key=None, headers=None):
        parsed = urllib.parse.urlsplit(base_url)
        self.base_url = base_url
        self.host = parsed.hostname
        self.port = parsed.port
        self.token = token
        self.api_key = api_key
        self.default_headers = dict(headers or {})

    def with_token(self, token):
        return Client(self.base_url, token=token, headers=self.default_headers)

    def with_api_key(self, key):
        return Client(self.base_url, api_key=key, headers=self.default_headers)

    def anonymous(self):
        return Client(self.base_url, headers=self.default_headers)

    def request(self, method, path, json=None, headers=None, raw_body=None, timeout=TIMEOUT):
        """json: a value sent as application/json; raw_body: bytes/str sent as given (set the
        Content-Type yourself in headers). Credentials of the client are added unless headers
        already carry Authorization or X-API-Key (pass the header with value None to drop it)."""
        all_headers = dict(self.default_headers)
        if self.token:
            all_headers["Authorization"] = "Bearer " + self.token
        if self.api_key:
            all_headers["X-API-Key"] = self.api_key
        body = None
        if json is not None:
            body = jsonlib.dumps(json).encode()
            all_headers["Content-Type"] = "application/json"
        if raw_body is not None:
            body = raw_body.encode() if isinstance(raw_body, str) else raw_body
        for k, v in (headers or {}).items():
            # header names are case-insensitive: replace an existing one whatever its case
            for existing in [e for e in all_headers if e.lower() == k.lower()]:
                del all_headers[existing]
            if v is not None:
                all_headers[k] = v
        if body is not None and not any(k.lower() == "content-length" for k in all_headers):
            all_headers["Content-Length"] = str(len(body))
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=all_headers)
            response = conn.getresponse()
            raw = response.read()
            return Response(response.status, response.headers, raw)
        finally:
            conn.close()

    # shorthands
    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.request("POST", path, json=json, **kw)

    def patch(self, path, json=None, **kw):
        return self.request("PATCH", path, json=json, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def list_all(self, path, limit=500):
        """Every item of a paginated list, following next_cursor."""
        items, cursor = [], None
        sep = "&" if "?" in path else "?"
        for _ in range(10000):
            url = f"{path}{sep}limit={limit}" + (f"&cursor={urllib.parse.quote(cursor)}" if cursor else "")
            r = self.get(url)
            assert r.status == 200, (url, r)
            items.extend(r.body["items"])
            cursor = r.body.get("next_cursor")
            if not cursor:
                return items
        raise AssertionError(f"{path}: the cursor never ends")

    def count(self, path):
        return len(self.list_all(path))
