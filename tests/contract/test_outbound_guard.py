"""The outbound guard (docs/security.md, "Outbound requests (SSRF)"): every URL a user sets, an
integration's base URL or SMTP relay, a webhook subscription, a workflow's http step, is refused
when it names a loopback, private, link-local (cloud metadata), unspecified or other internal
address, in any writing the resolver takes (127.1, 2130706433, 0x7f000001, [::ffff:127.0.0.1],
localhost): with a 422 naming the field when it is saved, and, for a name that only resolves to
such an address when it is called (DNS rebinding), with a clear error in the check, delivery or
step result, no connection made. DE_OUTBOUND_ALLOW lets chosen addresses through: with
127.0.0.1/32 the same calls reach the listeners. Every other suite's server gets
DE_OUTBOUND_ALLOW=127.0.0.1/32,::1/128 from tests/support/server.py, for its stand-ins."""
import ipaddress
import json
import socket
import threading

import pytest
from support.helpers import assert_problem, uid, wait_for
from support.receiver import JsonStandin

REFUSED_WITH_LOOPBACK_ALLOWED = ["169.254.169.254", "10.0.0.1", "172.16.5.4", "192.168.1.1", "100.64.0.1",
                                 "0.0.0.0", "[::1]", "[fe80::1]", "[fd00::1]", "[::ffff:169.254.169.254]",
                                 "224.0.0.1"]
LOOPBACK_WRITINGS = ["127.0.0.1", "127.1", "2130706433", "0x7f000001", "[::ffff:127.0.0.1]", "localhost"]


class TcpListener:
    """A TCP listener on 127.0.0.1 that counts connections and closes each (an SMTP relay's port)."""

    def __init__(self):
        self.connections = 0
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen()
        self.port = self.socket.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.connections += 1
            connection.close()

    def close(self):
        self.socket.close()


def loopback_name():
    """A host name, not localhost, that resolves to 127.0.0.1 here (/etc/hosts names the machine):
    what a rebinding name looks like once it has switched."""
    for name in dict.fromkeys([socket.gethostname(), "vm", "runsc", "localhost.localdomain"]):
        try:
            found = {info[4][0] for info in socket.getaddrinfo(name, 80, type=socket.SOCK_STREAM)}
        except OSError:
            continue
        if "127.0.0.1" in found and all(ipaddress.ip_address(a).is_loopback for a in found):
            return name
    pytest.skip("no host name other than localhost resolves to 127.0.0.1 here")


def slack(base_url):
    return {"name": "guarded " + uid(), "type": "slack", "config": {"base_url": base_url, "default_channel": "C1"},
            "credentials": {"bot_token": "xoxb-guard"}}


def email(smtp_url):
    return {"name": "guarded mail " + uid(), "type": "email",
            "config": {"smtp_url": smtp_url, "from": "de@example.com", "starttls": "optional"}}


def http_workflow(url):
    return {"name": "guarded " + uid(), "status": "active", "definition": {
        "trigger": {"type": "manual"}, "steps": [{"id": "call", "type": "http", "method": "POST", "url": url}]}}


def saved(admin, path, body, field, refused):
    r = admin.post(path, body)
    if not refused:
        assert r.status == 201, r
        return r.body
    problem = assert_problem(r, 422, fields=[field])
    message = next(e["message"] for e in problem["errors"] if e["field"] == field)
    assert "refused to connect" in message and "DE_OUTBOUND_ALLOW" in message, problem
    return None


def check_saving(admin, host, refused):
    saved(admin, "/api/v1/integrations", slack(f"http://{host}:8080/api"), "config.base_url", refused)
    saved(admin, "/api/v1/integrations", email(f"smtp://{host}:25"), "config.smtp_url", refused)
    saved(admin, "/api/v1/webhook-subscriptions", {"url": f"http://{host}/hook", "topics": ["deals.created"]},
          "url", refused)
    saved(admin, "/api/v1/workflows", http_workflow(f"https://{host}/x"), "definition.steps[0].url", refused)


def run_workflow(admin, url, input=None):
    workflow = saved(admin, "/api/v1/workflows", http_workflow(url), None, False)
    r = admin.post(f"/api/v1/workflows/{workflow['id']}/execute", {"input": input or {}})
    assert r.status == 201, r

    def finished():
        e = admin.get(f"/api/v1/workflow-executions/{r.body['id']}").body
        return e if e["status"] in ("completed", "failed") else None
    return wait_for(finished, timeout=20, message="the execution's end")


def check_calling(admin, name, refused):
    """Names that pass when saved and resolve to 127.0.0.1 when called; nothing may connect when refused."""
    http, tcp = JsonStandin(lambda *_: (200, {"ok": True}, {})), TcpListener()
    try:
        made = saved(admin, "/api/v1/integrations", slack(f"http://{name}:{http.port}/api"), None, False)
        r = admin.post(f"/api/v1/integrations/{made['id']}/test")
        assert r.status == 200, r
        detail = r.body["checks"][0]["detail"] or ""
        assert ("refused to connect" in detail) == refused, r.body

        made = saved(admin, "/api/v1/integrations", email(f"smtp://{name}:{tcp.port}"), None, False)
        r = admin.post(f"/api/v1/integrations/{made['id']}/test")
        assert r.status == 200 and r.body["ok"] is False, r
        assert ("refused to connect" in json.dumps(r.body["checks"])) == refused, r.body

        sub = saved(admin, "/api/v1/webhook-subscriptions",
                    {"url": f"http://{name}:{http.port}/hook", "topics": ["deals.created"]}, None, False)
        assert admin.post("/api/v1/deals", {"name": "guarded " + uid(), "amount": "1.00"}).status == 201
        def attempted():
            items = admin.get(f"/api/v1/webhook-subscriptions/{sub['id']}/deliveries").body["items"]
            return items[0] if items and items[0]["attempts"] else None
        delivery = wait_for(attempted, message="the first delivery attempt")
        if refused:
            assert delivery["status"] in ("retrying", "dead") and "refused to connect" in delivery["error"], delivery
        else:
            assert delivery["status"] == "delivered", delivery
        assert admin.delete(f"/api/v1/webhook-subscriptions/{sub['id']}").status == 204

        done = run_workflow(admin, f"http://{name}:{http.port}/named")
        # An address that comes from an expression is only known when the step runs.
        from_input = run_workflow(admin, "http://{{input.host}}/from-input", {"host": f"127.1:{http.port}"})
        for execution in (done, from_input):
            if refused:
                assert execution["status"] == "failed", execution
                assert "was not made: refused to connect" in json.dumps(execution), execution
            else:
                assert execution["status"] == "completed", execution
        if refused:
            assert http.requests == [] and tcp.connections == 0, (http.paths(), tcp.connections)
        else:
            assert {"/api/auth.test", "/hook", "/named", "/from-input"} <= set(http.paths()), http.paths()
            assert tcp.connections >= 1
    finally:
        http.close()
        tcp.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_without_an_allowance_every_surface_refuses_internal_addresses(server_factory, backend):
    admin = server_factory(backend, env={"DE_OUTBOUND_ALLOW": "", "DE_WEBHOOK_RETRY_SCHEDULE": "1h"}).admin()
    for host in LOOPBACK_WRITINGS + REFUSED_WITH_LOOPBACK_ALLOWED:
        check_saving(admin, host, refused=True)
    check_saving(admin, "example.com", refused=False)  # names are resolved when called
    check_calling(admin, loopback_name(), refused=True)
    assert admin.get("/api/v1/integrations").status == 200  # the server is fine


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_with_loopback_allowed_the_same_calls_go_through(server_factory, backend):
    admin = server_factory(backend, env={"DE_OUTBOUND_ALLOW": "127.0.0.1/32", "DE_WEBHOOK_RETRY_SCHEDULE": "1h"}).admin()
    for host in LOOPBACK_WRITINGS:
        check_saving(admin, host, refused=False)
    for host in REFUSED_WITH_LOOPBACK_ALLOWED:
        check_saving(admin, host, refused=True)
    check_calling(admin, loopback_name(), refused=False)


def test_an_allowance_that_cannot_be_read_stops_the_server_with_its_name(server_factory):
    server = server_factory("sqlite", env={"DE_OUTBOUND_ALLOW": "10.0.0.0/33"}, init=False, start=False)
    for command in (["serve", "--listen", "127.0.0.1:0"], ["init"]):
        r = server.run(*command, timeout=20)
        assert r.returncode == 2, r
        assert "DE_OUTBOUND_ALLOW" in r.stderr and "10.0.0.0/33" in r.stderr, r.stderr
