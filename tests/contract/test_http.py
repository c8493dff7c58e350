"""HTTP robustness: request ids, slow and idle clients, garbage, keep-alive, concurrency; the
HTTP edge (docs/security.md): security headers, CORS, WebSocket origins, TLS.
(The access log: test_openapi.py.)"""
import concurrent.futures
import http.client
import json
import socket
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest
import websockets

from support import ws
from support.helpers import UUID_RE, assert_problem, uid
from support.server import binary, free_port


def raw_exchange(port, data, timeout=5.0):
    """Sends data, then reads until the server closes (or `timeout`). Returns the bytes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def wait_closed(s, within):
    """Reads from s until the server closes it; returns (seconds it took, bytes received)."""
    started = time.monotonic()
    s.settimeout(within)
    received = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            received += chunk
    except ConnectionResetError:
        pass
    except socket.timeout:
        raise AssertionError(f"the server kept the connection open for more than {within} s; got {received!r}")
    return time.monotonic() - started, received


def port_of(srv):
    return srv.server.port


# --- request ids ----------------------------------------------------------------------------------
def test_request_id_is_echoed(srv):
    request_id = "trace-" + uid()
    for path, status in (("/healthz", 200), ("/api/v1/agents", 401), ("/api/v1/nope", 404)):
        r = srv.anonymous().get(path, headers={"X-Request-Id": request_id})
        assert r.status == status
        assert r.headers.get("X-Request-Id") == request_id, (path, r.headers)


def test_request_id_is_generated_when_missing_or_invalid(srv):
    ids = set()
    for path in ("/healthz", "/api/v1/agents", "/api/v1/nope"):
        r = srv.anonymous().get(path)
        generated = r.headers.get("X-Request-Id", "")
        assert UUID_RE.match(generated), (path, generated)
        ids.add(generated)
    assert len(ids) == 3, "request ids must differ"
    for bad in ("x" * 129, "has space", ""):
        r = srv.anonymous().get("/healthz", headers={"X-Request-Id": bad})
        assert UUID_RE.match(r.headers.get("X-Request-Id", "")), (bad, r.headers.get("X-Request-Id"))
    r = srv.anonymous().get("/healthz", headers={"X-Request-Id": "y" * 128})
    assert r.headers.get("X-Request-Id") == "y" * 128


# --- timeouts (a dedicated server with DE_HTTP_TIMEOUT=1) --------------------------------------
def test_slow_and_idle_clients_are_disconnected(server_factory):
    server = server_factory("sqlite", env={"DE_HTTP_TIMEOUT": "1"})
    port = server.port

    # a partial request line, then nothing: closed after about DE_HTTP_TIMEOUT (1 s), not at once
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(b"GET /heal")
        took, got = wait_closed(s, within=5)
        assert 0.5 <= took < 5, took
        assert got == b"" or got.startswith(b"HTTP/1.1 4"), got

    # a request line and a header, never the end of the headers: closed, with nothing sent
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        took, got = wait_closed(s, within=5)
        assert got == b"", got

    # complete headers but a body that never comes
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 100\r\n\r\n{\"email\":")
        took, got = wait_closed(s, within=5)
        assert got == b"" or got.startswith(b"HTTP/1.1 4"), got

    # headers trickled one byte at a time, each within the timeout, never finished: the
    # timeout covers the whole request, not each read
    with socket.create_connection(("127.0.0.1", port)) as s:
        started = time.monotonic()
        closed = False
        for byte in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200:
            try:
                s.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            time.sleep(0.1)
            if time.monotonic() - started > 6:
                break
        if not closed:
            took, got = wait_closed(s, within=2)
        assert time.monotonic() - started < 6, "a client trickling its headers was never disconnected"

    # an idle keep-alive connection is closed after the timeout
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        s.settimeout(5)
        first = s.recv(65536)
        assert first.startswith(b"HTTP/1.1 200"), first
        took, _ = wait_closed(s, within=5)
        assert took < 5

    # and the server still serves
    assert server.client().get("/healthz").status == 200


def test_a_slow_but_timely_client_is_served(srv):
    with socket.create_connection(("127.0.0.1", port_of(srv)), timeout=5) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHo")
        time.sleep(0.4)
        s.sendall(b"st: x\r\nConnection: close\r\n\r\n")
        took, got = wait_closed(s, within=5)
    assert got.startswith(b"HTTP/1.1 200"), got


def test_oversize_content_length_is_refused_before_the_body_is_sent(srv):
    before = srv.admin.count("/api/v1/tasks")
    with socket.create_connection(("127.0.0.1", port_of(srv)), timeout=5) as s:
        s.sendall(b"POST /api/v1/tasks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                  srv.tokens["admin"].encode() + b"\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 2000000\r\n\r\n")
        took, got = wait_closed(s, within=5)
    assert took < 4, took
    assert got.startswith(b"HTTP/1.1 413"), got[:200]
    assert b"application/problem+json" in got.split(b"\r\n\r\n")[0]
    assert srv.admin.count("/api/v1/tasks") == before


def test_expect_100_continue_is_answered(srv):
    """RFC 9110 10.1.1: a request with a complete header section, `Expect: 100-continue` and
    content to follow gets an immediate 100 (Continue) or a final status. (curl sends this
    header for every body over 1 KiB, and waits a second for the answer when none comes.)"""
    body = json.dumps({"type": "nobody.handles_this", "input_data": {"pad": "x" * 2000}}).encode()
    with socket.create_connection(("127.0.0.1", port_of(srv)), timeout=5) as s:
        s.sendall(b"POST /api/v1/tasks HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer " +
                  srv.tokens["admin"].encode() + b"\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
                  b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n")
        s.settimeout(0.8)
        try:
            first = s.recv(65536)
        except socket.timeout:
            first = b""
        assert first.startswith(b"HTTP/1.1 100") or first.startswith(b"HTTP/1.1 4"), \
            f"no 100 Continue (nor a final status) within 0.8 s: {first[:100]!r}"
        if first.startswith(b"HTTP/1.1 100"):
            s.sendall(body)
            took, rest = wait_closed(s, within=5)
            assert b"HTTP/1.1 201" in first + rest, (first + rest)[:300]


def test_chunked_request_body(srv):
    body = json.dumps({"type": "nobody.handles_this"}).encode()
    request = (b"POST /api/v1/tasks HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer " +
               srv.tokens["admin"].encode() + b"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
               b"%x\r\n" % 5 + body[:5] + b"\r\n" + b"%x\r\n" % (len(body) - 5) + body[5:] + b"\r\n0\r\n\r\n")
    got = raw_exchange(port_of(srv), request)
    assert got.startswith(b"HTTP/1.1 201"), got[:200]


def test_chunked_body_over_1_mib_is_413(srv):
    chunk = b"x" * 65536
    head = (b"POST /api/v1/tasks HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer " +
            srv.tokens["admin"].encode() + b"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
    data = head + (b"%x\r\n" % len(chunk) + chunk + b"\r\n") * 20 + b"0\r\n\r\n"
    got = raw_exchange(port_of(srv), data)
    assert got.startswith(b"HTTP/1.1 413"), got[:200]


def test_http_1_0(srv):
    got = raw_exchange(port_of(srv), b"GET /healthz HTTP/1.0\r\n\r\n")
    assert got.startswith(b"HTTP/1.0 200") or got.startswith(b"HTTP/1.1 200"), got[:200]


# --- garbage -----------------------------------------------------------------------------------------
TLS_HELLO = b"\x16\x03\x01\x02\x00garbage that is not HTTP\r\n\r\n"  # TLS spoken to the HTTP port: 400
GARBAGE = [
    b"\x00\x01\x02\x03\xff\xfe garbage\r\n\r\n",
    TLS_HELLO,
    b"HELLO\r\n\r\n",
    b"GET\r\n\r\n",
    b"GET / HTTP/9.9\r\n\r\n",
    b"GET /healthz HTTP/1.1\r\nHost x\r\n\r\n",
    b"GET /healthz HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
    b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 100000 + b"\r\n\r\n",
]


def test_garbage_gets_400_or_a_close_and_the_server_survives(srv):
    for data in GARBAGE:
        got = raw_exchange(port_of(srv), data, timeout=5)
        if got:
            status_line = got.split(b"\r\n", 1)[0]
            assert status_line.startswith(b"HTTP/1.1 4"), (data[:60], status_line)
            assert not status_line.startswith(b"HTTP/1.1 404"), (data[:60], status_line)
            if data is TLS_HELLO:
                assert status_line.startswith(b"HTTP/1.1 400"), status_line
        assert srv.anonymous().get("/healthz").status == 200, data[:60]


@pytest.mark.parametrize("request_head", [
    b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 40000 + b"\r\n\r\n",
    b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 100) for i in range(400)) + b"\r\n",
    b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
], ids=["one big header", "many headers", "long request line"])
def test_header_fields_over_the_limit_are_431(srv, request_head):
    """RFC 6585: the request line and header fields together over 32 KiB."""
    got = raw_exchange(port_of(srv), request_head, timeout=5)
    head, _, body = got.partition(b"\r\n\r\n")
    assert head.split(b"\r\n", 1)[0] == b"HTTP/1.1 431 Request Header Fields Too Large", head[:200]
    assert b"content-type: application/problem+json" in head.lower()
    assert b"x-frame-options: deny" in head.lower() and b"content-security-policy: default-src 'none'" in head.lower()
    problem = json.loads(body)
    assert problem["status"] == 431 and problem["type"].endswith("/request-header-fields-too-large"), problem
    assert srv.anonymous().get("/healthz", headers={"X-Fine": "f" * 20000}).status == 200


def test_keep_alive_serves_several_requests_on_one_connection(srv):
    data = raw_exchange(port_of(srv), b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /readyz HTTP/1.1\r\nHost: x\r\n\r\n"
                        b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert data.count(b"HTTP/1.1 200") == 3, data


def test_head_has_no_body(srv):
    data = raw_exchange(port_of(srv), b"HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), data
    assert body == b""


# --- concurrency -----------------------------------------------------------------------------------
def test_fifty_concurrent_connections_are_served(srv):
    n = 50
    sockets = [socket.create_connection(("127.0.0.1", port_of(srv)), timeout=10) for _ in range(n)]
    try:
        # every connection is open before any request is sent
        token = srv.tokens["viewer"].encode()
        for i, s in enumerate(sockets):
            path = b"/healthz" if i % 2 else b"/api/v1/agents?limit=1"
            s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
                      b"\r\nConnection: close\r\n\r\n")
        results = [None] * n

        def read(i):
            data = b""
            try:
                while True:
                    chunk = sockets[i].recv(65536)
                    if not chunk:
                        break
                    data += chunk
            except OSError as e:
                data += f"<{e}>".encode()
            results[i] = data

        threads = [threading.Thread(target=read, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
        bad = [i for i, d in enumerate(results) if not d or not d.startswith(b"HTTP/1.1 200")]
        assert not bad, f"{len(bad)} of {n} connections were not answered 200: {results[bad[0]][:200]!r}"
    finally:
        for s in sockets:
            s.close()
    # and 200 requests from 50 threads, each on a new connection
    with concurrent.futures.ThreadPoolExecutor(n) as pool:
        statuses = list(pool.map(lambda _: srv.anonymous().get("/healthz", timeout=10).status, range(200)))
    assert statuses == [200] * 200


def test_concurrent_writes_are_all_stored(srv):
    type_ = f"it.concurrent.{uid()}"
    statuses = []
    lock = threading.Lock()

    def create(i):
        r = srv.as_("operator").post("/api/v1/tasks", {"type": type_, "input_data": {"i": i}})
        with lock:
            statuses.append(r.status)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert statuses == [201] * 40
    tasks = srv.admin.list_all(f"/api/v1/tasks?type={type_}")
    assert sorted(t["input_data"]["i"] for t in tasks) == list(range(40))


def test_error_for_an_unknown_route_is_a_problem(srv):
    assert_problem(srv.anonymous().get("/api/v1/does-not-exist"), 404, "no-route")


# --- the HTTP edge: security headers ----------------------------------------------------------------
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}


def assert_security_headers(r, policy_start):
    for name, value in SECURITY_HEADERS.items():
        assert r.headers.get(name) == value, (name, r.headers)
    policy = r.headers.get("Content-Security-Policy", "")
    assert policy.startswith(policy_start) and "frame-ancestors 'none'" in policy, policy
    assert "Strict-Transport-Security" not in r.headers, "HSTS over plain HTTP"


def test_api_answers_carry_security_headers_and_no_store(srv):
    for r in (srv.admin.get("/api/v1/agents"), srv.anonymous().get("/api/v1/agents"), srv.anonymous().get("/healthz"),
              srv.anonymous().get("/api/v1/nope")):
        assert_security_headers(r, "default-src 'none'")
    login = srv.anonymous().post("/api/v1/auth/login", {"email": "admin@example.com", "password": srv.passwords["admin"]})
    assert login.status == 200 and login.body["access_token"]
    assert login.headers.get("Cache-Control") == "no-store", login.headers
    assert srv.admin.get("/api/v1/agents").headers.get("Cache-Control") == "no-store"


def test_dashboard_and_api_reference_have_their_policies(server_factory, tmp_path):
    """The dashboard's pages: scripts and styles from its own origin only; the API reference
    (Swagger UI) may use inline styles; its hashed assets stay cacheable."""
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>d</title>")
    (tmp_path / "api-docs.html").write_text("<!doctype html><title>r</title>")
    (tmp_path / "assets" / "app-1234.js").write_text("console.log(1)")
    server = server_factory("sqlite", env={"DE_WEB_ROOT": str(tmp_path)})
    client = server.client()
    for path in ("/", "/agents/some/client/route"):
        page = client.get(path)
        assert page.status == 200 and page.content_type.startswith("text/html"), page
        assert_security_headers(page, "default-src 'self'; script-src 'self'; style-src 'self';")
        assert "unsafe" not in page.headers["Content-Security-Policy"]
    docs = client.get("/api/docs")
    assert docs.status == 200
    assert_security_headers(docs, "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline';")
    asset = client.get("/assets/app-1234.js")
    assert asset.headers.get("Cache-Control") == "public, max-age=31536000, immutable", asset.headers
    assert_security_headers(asset, "default-src 'none'")


# --- CORS ----------------------------------------------------------------------------------------------
ALLOWED_ORIGIN = "https://app.example.com"
PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"}


def test_without_configured_origins_cross_origin_calls_get_no_cors_headers(srv):
    r = srv.anonymous().request("OPTIONS", "/api/v1/tasks", headers={"Origin": ALLOWED_ORIGIN, **PREFLIGHT})
    assert_problem(r, 403)
    assert not any(h.lower().startswith("access-control-") for h in r.headers), r.headers
    r = srv.admin.get("/api/v1/agents", headers={"Origin": ALLOWED_ORIGIN})
    assert r.status == 200 and "Access-Control-Allow-Origin" not in r.headers


def test_configured_origins_get_cors_and_others_do_not(server_factory):
    server = server_factory("sqlite", env={"DE_CORS_ORIGINS": ALLOWED_ORIGIN + ", http://localhost:5173"})
    client = server.client()
    pre = client.request("OPTIONS", "/api/v1/tasks", headers={"Origin": ALLOWED_ORIGIN, **PREFLIGHT})
    assert pre.status == 204, pre
    assert pre.headers.get_all("Access-Control-Allow-Origin") == [ALLOWED_ORIGIN]  # once: browsers refuse two
    assert set(pre.headers["Access-Control-Allow-Methods"].split(", ")) >= {"GET", "POST", "PATCH", "DELETE"}
    allowed_headers = pre.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed_headers and "content-type" in allowed_headers and "x-api-key" in allowed_headers
    assert pre.headers["Access-Control-Max-Age"] == "600"
    assert "Origin" in ", ".join(pre.headers.get_all("Vary"))
    assert "Access-Control-Allow-Credentials" not in pre.headers

    refused = client.request("OPTIONS", "/api/v1/tasks", headers={"Origin": "https://evil.example", **PREFLIGHT})
    assert_problem(refused, 403)
    assert not any(h.lower().startswith("access-control-") for h in refused.headers), refused.headers

    admin = server.client(token=server.token)
    got = admin.get("/api/v1/agents", headers={"Origin": ALLOWED_ORIGIN})
    assert got.status == 200 and got.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "Origin" in got.headers["Vary"]
    assert "RateLimit-Remaining" in got.headers["Access-Control-Expose-Headers"]
    other = admin.get("/api/v1/agents", headers={"Origin": "https://evil.example"})
    assert other.status == 200 and "Access-Control-Allow-Origin" not in other.headers
    assert other.headers["Vary"] == "Origin"
    # the same origin with another port or scheme is another origin
    assert "Access-Control-Allow-Origin" not in admin.get("/api/v1/agents", headers={"Origin": "http://app.example.com"}).headers


def test_an_invalid_cors_origin_is_refused_at_start(server_factory):
    server = server_factory("sqlite", init=False, start=False)
    for bad in ("*", "https://app.example.com/path", "app.example.com"):
        result = server.run("serve", "--listen", "127.0.0.1:0", env={"DE_CORS_ORIGINS": bad}, timeout=30)
        assert result.returncode == 2 and "DE_CORS_ORIGINS" in result.stderr, (bad, result)


# --- WebSocket origins ------------------------------------------------------------------------------
def test_websocket_from_another_site_is_refused(srv):
    """Cross-site WebSocket hijacking: a page of another site opening /ws/notifications with its
    visitor's token. Same origin and non-browser clients (no Origin) are served."""
    token = srv.tokens["viewer"]

    async def scenario():
        for path in (ws.NOTIFICATIONS, ws.AGENTS):
            assert await ws.refused(srv, path, token=token, origin="https://evil.example") == 403
        same = await ws.connect(srv, ws.NOTIFICATIONS, token=token, origin=f"http://127.0.0.1:{srv.port}")
        await same.close()
        plain = await ws.connect(srv, ws.NOTIFICATIONS, token=token)
        await plain.close()

    ws.run(scenario)


def test_websocket_from_a_configured_origin_is_served(server_factory):
    server = server_factory("sqlite", env={"DE_CORS_ORIGINS": ALLOWED_ORIGIN})
    token = server.token

    async def scenario():
        allowed = await ws.connect(server, ws.NOTIFICATIONS, token=token, origin=ALLOWED_ORIGIN)
        await allowed.close()
        assert await ws.refused(server, ws.NOTIFICATIONS, token=token, origin="https://evil.example") == 403

    ws.run(scenario)


# --- TLS -------------------------------------------------------------------------------------------------
def make_certificates(folder):
    """A certificate authority and a server certificate for 127.0.0.1 it signed (openssl CLI)."""
    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=folder)
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-subj", "/CN=test CA", "-keyout", "ca.key", "-out", "ca.pem")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=127.0.0.1",
            "-keyout", "server.key", "-out", "server.csr")
    (folder / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
            "-extfile", "ext.cnf", "-out", "server.pem")
    return folder / "ca.pem", folder / "server.pem", folder / "server.key"


def start_tls_server(server, context):
    """Starts `serve` over TLS (DEServer.start waits on plain HTTP) and waits for /readyz."""
    server.port = server.port or free_port()
    server.url = f"https://127.0.0.1:{server.port}"
    log = open(server.log_path, "ab")
    server.process = subprocess.Popen([binary(), "serve", "--listen", f"127.0.0.1:{server.port}"],
                                      env=server.env, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    log.close()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        assert server.process.poll() is None, server.log_tail()
        try:
            with urllib.request.urlopen(server.url + "/readyz", timeout=1, context=context) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("the TLS server did not get ready:\n" + server.log_tail())


def test_tls_serves_https_and_wss_with_hsts(server_factory, tmp_path):
    ca, cert, key = make_certificates(tmp_path)
    server = server_factory("sqlite", start=False, env={"DE_TLS_CERT_FILE": str(cert), "DE_TLS_KEY_FILE": str(key)})
    context = ssl.create_default_context(cafile=str(ca))
    start_tls_server(server, context)

    conn = http.client.HTTPSConnection("127.0.0.1", server.port, context=context, timeout=10)
    conn.request("POST", "/api/v1/auth/login", body=json.dumps({"email": "admin@example.com", "password": server.admin_password}),
                 headers={"Content-Type": "application/json"})
    login = conn.getresponse()
    body = json.loads(login.read())
    assert login.status == 200, body
    assert login.getheader("Strict-Transport-Security") == "max-age=31536000"
    assert login.getheader("Cache-Control") == "no-store"
    conn.request("POST", "/api/v1/auth/login", body=json.dumps({"email": "admin@example.com", "password": server.admin_password,
                                                                "session": "cookie"}),
                 headers={"Content-Type": "application/json"})
    cookie_login = conn.getresponse()
    cookie_login.read()
    assert "; Secure" in cookie_login.getheader("Set-Cookie", ""), "the refresh cookie must be Secure over TLS"
    conn.request("GET", "/api/v1/agents", headers={"Authorization": "Bearer " + body["access_token"]})
    agents = conn.getresponse()
    assert agents.status == 200 and json.loads(agents.read())["items"]
    conn.close()

    async def scenario():
        url = f"wss://127.0.0.1:{server.port}{ws.NOTIFICATIONS}?access_token={body['access_token']}"
        async with websockets.connect(url, ssl=context) as sub:
            await ws.send(sub, {"type": "subscribe", "topics": ["tasks.*"]})
            reply = await ws.receive(sub)
            assert reply["type"] == "subscribed", reply

    ws.run(scenario)

    # a client that does not trust the certificate gets no answer; plain HTTP gets none either
    with pytest.raises(urllib.error.URLError) as untrusted:
        urllib.request.urlopen(server.url + "/healthz", timeout=5, context=ssl.create_default_context())
    assert isinstance(untrusted.value.reason, ssl.SSLCertVerificationError), untrusted.value
    assert raw_exchange(server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", timeout=5)[:8] != b"HTTP/1.1"
    assert server.process.poll() is None
    assert server.stop() == 0  # a clean stop on SIGTERM, TLS sessions open or not


def test_tls_with_a_missing_key_file_is_refused_at_start(server_factory, tmp_path):
    ca, cert, key = make_certificates(tmp_path)
    server = server_factory("sqlite", start=False)
    result = server.run("serve", "--listen", "127.0.0.1:0",
                        env={"DE_TLS_CERT_FILE": str(cert), "DE_TLS_KEY_FILE": str(tmp_path / "nope.key")}, timeout=30)
    assert result.returncode != 0 and "DE_TLS_KEY_FILE" in result.stderr, result
    result = server.run("serve", "--listen", "127.0.0.1:0", env={"DE_TLS_CERT_FILE": str(cert)}, timeout=30)
    assert result.returncode == 2 and "DE_TLS_KEY_FILE" in result.stderr, result
