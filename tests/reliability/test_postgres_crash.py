"""PostgreSQL itself crashes while tasks are submitted: every task the API answered 2xx for is
there once PostgreSQL is back, and the server takes tasks again.

The writer commits without waiting for the disk (synchronous_commit off) and the syncer forces
the WAL out before anyone is answered (store::Database::run_syncer). PostgreSQL here is a server
of the test's own, stopped in "immediate" mode: its processes end at once, and what its WAL
buffers hold that nobody wrote out is lost, as in a crash (fsync stays off: the test kills
processes, the operating system keeps what they wrote). Its own WAL writer waits 10 s between
rounds, so a commit answered before its flush would be lost."""
import glob
import http.client
import json
import shutil
import subprocess
import tempfile
import threading
import time
import uuid

import pytest

from support.server import free_port, postgres_url, postgres_required, psql

SUBMITTERS = 6


class OwnPostgres:
    def __init__(self):
        self.bin = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
        self.dir = tempfile.mkdtemp(prefix="de-test-pg-crash-")
        shutil.chown(self.dir, "postgres")
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"
        self.as_postgres(f"{self.bin}/initdb", "-D", f"{self.dir}/data", "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def as_postgres(self, *command):
        subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True, capture_output=True, timeout=120)

    def start(self):
        self.as_postgres(f"{self.bin}/pg_ctl", "-D", f"{self.dir}/data", "-l", f"{self.dir}/server.log", "-w", "-o",
                         f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                         "-c wal_writer_delay=10s", "start")

    def crash(self):
        self.as_postgres(f"{self.bin}/pg_ctl", "-D", f"{self.dir}/data", "-m", "immediate", "stop")

    def remove(self):
        subprocess.run(["runuser", "-u", "postgres", "--", f"{self.bin}/pg_ctl", "-D", f"{self.dir}/data", "-m",
                        "immediate", "stop"], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def submit_until(server, stop, accepted, lock):
    """Posts echo tasks until `stop` is set; records each id answered 2xx."""
    connection = None
    while not stop.is_set():
        try:
            if connection is None:
                connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
            connection.request("POST", "/api/v1/tasks", json.dumps({"type": "echo", "input_data": {}}), {
                "Authorization": "Bearer " + server.token, "Content-Type": "application/json",
                "Idempotency-Key": str(uuid.uuid4())})
            response = connection.getresponse()
            payload = json.loads(response.read())
            if response.status in (200, 201):
                with lock:
                    accepted.append(payload["id"])
        except (OSError, http.client.HTTPException, ValueError):
            connection = None
            time.sleep(0.01)


def test_every_answered_task_outlives_a_postgres_crash(server_factory):
    """Three crashes under load, each followed by a restart that the server rides out (its
    connections opened again); then every task answered 2xx is stored."""
    if not postgres_url() and not postgres_required():
        pytest.skip("PostgreSQL cases need DE_TEST_POSTGRES_URL")
    pg = OwnPostgres()
    try:
        pg.start()
        server = server_factory("sqlite", env={"DE_DATABASE_URL": pg.url})
        accepted, lock, stop = [], threading.Lock(), threading.Event()
        threads = [threading.Thread(target=submit_until, args=(server, stop, accepted, lock)) for _ in range(SUBMITTERS)]
        for t in threads:
            t.start()

        def accepted_after(count, seconds=60):
            deadline = time.monotonic() + seconds
            while len(accepted) < count and time.monotonic() < deadline:
                time.sleep(0.02)
            return len(accepted) >= count

        try:
            for crash in range(3):
                goal = len(accepted) + 700
                assert accepted_after(goal), f"crash {crash}: only {len(accepted)} accepted, {goal} wanted"
                pg.crash()  # while the submitters go on
                pg.start()
            assert accepted_after(len(accepted) + 200), "the server did not take tasks again after the last restart"
        finally:
            stop.set()
            for t in threads:
                t.join(30)
        with lock:
            answered = list(accepted)
        server.kill9()

        stored = {line.strip() for line in psql(pg.url, "SELECT id FROM tasks;").split("\x1e")}
        lost = [i for i in answered if i not in stored]
        assert not lost, f"{len(lost)} of {len(answered)} answered tasks lost, the last answered: {lost[-3:]}"
    finally:
        pg.remove()
