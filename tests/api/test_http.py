"""The HTTP layer: request ids, access log, timeouts, concurrency, the OpenAPI document."""
import concurrent.futures
import json
import os
import socket
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from deserver import Server  # noqa: E402


def test_request_ids_are_echoed_or_generated(api):
    request = urllib.request.Request(api.url + "/healthz", headers={"X-Request-Id": "trace-42"})
    with urllib.request.urlopen(request) as response:
        assert response.headers["X-Request-Id"] == "trace-42"
    with urllib.request.urlopen(api.url + "/healthz") as response:
        assert len(response.headers["X-Request-Id"]) == 36


def test_one_json_log_line_per_request(api):
    marker = f"log-check-{time.time_ns()}"
    urllib.request.urlopen(urllib.request.Request(api.url + "/api/v1/openapi.json", headers={"X-Request-Id": marker}))
    time.sleep(0.2)
    with open(os.path.join(api.dir, "server.log")) as log:
        lines = [json.loads(l) for l in log if marker in l]
    assert len(lines) == 1
    entry = lines[0]
    assert entry["method"] == "GET" and entry["route"] == "/api/v1/openapi.json" and entry["status"] == 200
    assert entry["duration_ms"] >= 0 and entry["request_id"] == marker


def test_many_concurrent_connections_are_served(api):
    def get(_):
        with urllib.request.urlopen(api.url + "/api/v1/agents?limit=1", timeout=10) as r:
            return r.status
    req = urllib.request.Request(api.url + "/healthz")
    with concurrent.futures.ThreadPoolExecutor(50) as pool:
        statuses = list(pool.map(lambda _: urllib.request.urlopen(req, timeout=10).status, range(200)))
    assert statuses == [200] * 200


def test_openapi_routes_all_exist(api):
    status, doc = api.request("GET", "/api/v1/openapi.json", token=None)
    assert doc["openapi"].startswith("3.1")
    for path, item in doc["paths"].items():
        for method in item:
            concrete = path.replace("{id}", "01a20ce4-61b4-7003-b6ba-9486d2112aa4").replace("{step_id}", "a").replace("{token}", "none")
            status, body = api.request(method.upper(), concrete, {} if method != "get" else None)
            assert status != 405, (method, path)
            if status == 404:
                assert body["type"].endswith("/not-found"), (method, path, body)


def test_slow_and_idle_clients_are_disconnected():
    server = Server("sqlite", DE_HTTP_TIMEOUT="1")
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never finishes its headers
            started = time.time()
            assert s.recv(1024) == b""
            assert time.time() - started < 5
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert s.recv(4096).startswith(b"HTTP/1.1 200")
            started = time.time()
            assert s.recv(1024) == b""  # idle keep-alive closed
            assert time.time() - started < 5
    finally:
        server.stop()
