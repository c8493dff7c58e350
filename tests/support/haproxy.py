"""A real load balancer (Debian's haproxy) in front of several nodes, for the cluster tests and
the cluster benchmark (bench/run.py --nodes).

    lb = HAProxy([node.port for node in nodes]).start()   # on a free 127.0.0.1 port
    lb.url                                                # http://127.0.0.1:<port>: HTTP and WebSockets
    lb.wait_state("node2", "DOWN")                        # its health check noticed the node died
    lb.stats()                                            # {"node1": {"status": "UP", "sessions": ...}, ...}
    lb.stop()                                             # and removes its directory

HTTP is balanced per request (round robin) over keep-alive connections; a WebSocket upgrade
(/ws/notifications, /ws/agents) becomes a tunnel to the node that answered it, held open for up
to `tunnel_timeout` without traffic. Each node is checked with `GET /readyz` every
`check_interval_ms`: two failures take it out, two successes put it back. A request whose
connection to a node is refused (a node just killed, not yet marked down) is sent to another
node (`option redispatch`, up to 3 retries); a request already sent to a node that dies is not
retried (it may have been written), the client sees 502 and decides (an Idempotency-Key makes
a retry safe). haproxy's own log (one line per request, or per tunnel when it closes) is in
`<dir>/haproxy.log` when `log=True`.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time

from support.server import free_port

READY_TIMEOUT = 10


def config(backends, port, stats_socket, check_path="/readyz", check_interval_ms=500, tunnel_timeout="1h",
           log=False):
    """The haproxy configuration text for `backends` (a list of ports on 127.0.0.1, named
    node1, node2, ...) behind 127.0.0.1:`port`."""
    servers = "\n".join(f"    server node{i} 127.0.0.1:{p} check" for i, p in enumerate(backends, 1))
    logging = ("    log stdout format raw local0 info\n", "    option httplog\n    log global\n") if log else ("", "")
    return f"""global
    maxconn 4000
    stats socket {stats_socket} mode 600 level admin
{logging[0]}
defaults
    mode http
{logging[1]}    option dontlognull
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout http-request 30s
    timeout http-keep-alive 30s
    timeout queue 10s
    # After the upgrade a WebSocket is a tunnel: quiet subscribers stay connected.
    timeout tunnel {tunnel_timeout}
    timeout client-fin 5s
    timeout server-fin 5s
    option redispatch
    retries 3

frontend cluster
    bind 127.0.0.1:{port}
    default_backend nodes

backend nodes
    balance roundrobin
    option httpchk GET {check_path}
    http-check expect status 200
    default-server inter {check_interval_ms} fall 2 rise 2
{servers}
"""


class HAProxy:
    def __init__(self, backends, check_path="/readyz", check_interval_ms=500, tunnel_timeout="1h", log=False):
        if not shutil.which("haproxy"):
            raise RuntimeError("haproxy is not installed (script/bootstrap installs it)")
        self.backends = list(backends)
        self.dir = tempfile.mkdtemp(prefix="de-haproxy-")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.stats_socket = os.path.join(self.dir, "stats.sock")
        self.config_path = os.path.join(self.dir, "haproxy.cfg")
        self.log_path = os.path.join(self.dir, "haproxy.log")
        with open(self.config_path, "w") as f:
            f.write(config(self.backends, self.port, self.stats_socket, check_path, check_interval_ms,
                           tunnel_timeout, log))
        self.process = None

    def start(self):
        check = subprocess.run(["haproxy", "-c", "-q", "-f", self.config_path], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"haproxy refuses its configuration:\n{check.stderr}\n{self.config_text()}")
        log = open(self.log_path, "ab")
        try:
            # -db: in the foreground, so that stop() ends it (and nothing outlives the test).
            self.process = subprocess.Popen(["haproxy", "-db", "-f", self.config_path], stdout=log, stderr=log,
                                            stdin=subprocess.DEVNULL)
        finally:
            log.close()
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"haproxy exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                if os.path.exists(self.stats_socket):
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"haproxy did not listen on {self.port} within {READY_TIMEOUT} s:\n{self.log_tail()}")

    def stop(self, keep_dir=False):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if not keep_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    # --- observation ------------------------------------------------------------------------
    def command(self, line):
        """One command on haproxy's stats socket (`show stat`, `show servers state`, ...): its answer."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(self.stats_socket)
            s.sendall(line.encode() + b"\n")
            chunks = []
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def stats(self):
        """Per node: its check status (UP, DOWN, ...), sessions in total and now, HTTP answers by
        class, and connection errors and redispatches seen by haproxy."""
        lines = [l for l in self.command("show stat").splitlines() if l.strip()]
        header = lines[0].lstrip("# ").split(",")
        out = {}
        for line in lines[1:]:
            row = dict(zip(header, line.split(",")))
            if row.get("pxname") != "nodes" or row.get("svname") in ("BACKEND", "FRONTEND"):
                continue
            number = lambda k: int(row[k]) if row.get(k, "").isdigit() else 0
            out[row["svname"]] = {"status": row.get("status", ""), "sessions": number("stot"),
                                  "current_sessions": number("scur"), "http_2xx": number("hrsp_2xx"),
                                  "http_5xx": number("hrsp_5xx"), "connection_errors": number("econ"),
                                  "response_errors": number("eresp"), "redispatches": number("wredis")}
        return out

    def wait_state(self, node, state, timeout=15):
        """Waits until haproxy's check says `node` ("node1", ...) is `state` ("UP", "DOWN")."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.stats().get(node, {}).get("status", "").startswith(state):
                return
            time.sleep(0.05)
        raise AssertionError(f"haproxy did not see {node} {state} within {timeout} s: {self.stats()}")

    def config_text(self):
        with open(self.config_path) as f:
            return f.read()

    def log_tail(self, lines=40):
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-lines:]).decode("utf-8", "replace")
        except OSError:
            return "(no log)"
