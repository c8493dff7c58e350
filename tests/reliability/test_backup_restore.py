"""Backup and restore (docs/operations.md, docs/security.md): `digital-enterprise backup FILE`
copies a running SQLite server's database while it takes writes; `restore FILE` puts it into a
fresh data folder, where a server serves the same users, leads, workflows, integrations and the
tasks of one consistent moment, logins work and sealed credentials open with the same
DE_MASTER_KEY. Restore refuses a database in use, and one with data unless --force; on
PostgreSQL both commands point at pg_dump and pg_restore."""
import os
import secrets
import threading

from support.helpers import uid, wait_for
from support.receiver import JsonStandin

MASTER_KEY = "backup-master-key-" + secrets.token_hex(24)


def everything(admin):
    """What a restored server must serve alike (tasks apart: they are written during the backup;
    the agents' counters follow them, so agents are compared by what they are)."""
    lists = {path: sorted(admin.list_all(path), key=lambda item: item["id"])
             for path in ("/api/v1/users", "/api/v1/leads", "/api/v1/workflows", "/api/v1/integrations",
                          "/api/v1/deals")}
    lists["agents"] = sorted((a["id"], a["name"], a["type"]) for a in admin.list_all("/api/v1/agents"))
    return lists


def test_a_backup_taken_under_writes_restores_into_a_fresh_folder(server_factory, tmp_path):
    slack = JsonStandin(lambda *_: (200, {"ok": True, "user_id": "U1", "team_id": "T1"}, {}))  # Slack's auth.test
    env = {"DE_MASTER_KEY": MASTER_KEY, "DE_RETENTION_ARCHIVE_DIR": str(tmp_path / "archive-old")}
    try:
        original = server_factory("sqlite", env=env)
        admin = original.admin()
        password = "restored-" + secrets.token_hex(8)
        assert admin.post("/api/v1/users", {"email": "kept@example.com", "password": password,
                                            "roles": ["manager"]}).status == 201
        for i in range(20):
            assert admin.post("/api/v1/leads", {"name": f"Lead {i}", "email": f"lead{i}@example.com",
                                                "external_id": uid()}).status == 201
        assert admin.post("/api/v1/workflows", {"name": "kept workflow", "status": "active", "definition": {
            "trigger": {"type": "manual"},
            "steps": [{"id": "a", "type": "task", "task_type": "echo", "input": {"v": 1}}]}}).status == 201
        token = "xoxb-sealed-" + secrets.token_hex(8)
        r = admin.post("/api/v1/integrations", {"name": "kept slack", "type": "slack",
                                                 "config": {"base_url": slack.url + "/api", "default_channel": "C1"},
                                                 "credentials": {"bot_token": token}})
        assert r.status == 201, r
        integration = r.body["id"]
        os.makedirs(env["DE_RETENTION_ARCHIVE_DIR"])
        with open(os.path.join(env["DE_RETENTION_ARCHIVE_DIR"], "tasks-2026-01-01.jsonl.gz"), "wb") as f:
            f.write(b"archived rows stand-in")
        for _ in range(30):
            assert admin.post("/api/v1/tasks", {"type": "echo"}).status == 201
        before = {t["id"] for t in admin.list_all("/api/v1/tasks")}

        # Tasks keep coming while the backup runs.
        stop, written, refused = threading.Event(), [], []

        def write():
            writer = original.admin()
            while not stop.is_set():
                r = writer.post("/api/v1/tasks", {"type": "echo", "input_data": {"n": len(written)}})
                if r.status != 201:  # said after the join: an assert here would end only this thread
                    refused.append(r)
                    return
                written.append(r.body["id"])
        writer = threading.Thread(target=write)
        writer.start()
        try:
            wait_for(lambda: len(written) >= 20 or refused, timeout=60, message="20 tasks written")
            written_before = len(written)
            backup = tmp_path / "de-backup.db"
            out = original.run("backup", str(backup), timeout=120)
            written_by_its_end = len(written)
            wait_for(lambda: len(written) >= written_by_its_end + 10 or refused, timeout=60,
                     message="10 more tasks written after the backup")
        finally:
            stop.set()
            writer.join()
        assert not refused, refused
        assert out.returncode == 0, out
        assert "integrity_check ok" in out.stdout and "DE_MASTER_KEY" in out.stdout, out.stdout
        assert token not in out.stdout + out.stderr
        assert os.path.exists(tmp_path / "de-backup.db.archive" / "tasks-2026-01-01.jsonl.gz")
        assert not [p for p in os.listdir(tmp_path) if ".tmp" in p], "no temporary file left"
        expected = everything(admin)
        tasks = {t["id"]: t for t in admin.list_all("/api/v1/tasks")}

        # A fresh data folder and archive folder, the same master key.
        fresh_archive = tmp_path / "archive-new"
        restored = server_factory("sqlite", env={**env, "DE_RETENTION_ARCHIVE_DIR": str(fresh_archive)},
                                  init=False, start=False, admin_password=original.admin_password)
        assert not os.path.exists(restored.db_path())
        out = restored.run("restore", str(backup))
        assert out.returncode == 0, out
        assert "DE_MASTER_KEY" in out.stdout, out.stdout
        assert os.path.exists(fresh_archive / "tasks-2026-01-01.jsonl.gz")
        again = restored.run("restore", str(backup))
        assert again.returncode != 0 and "--force" in again.stderr, again
        restored.start()
        login = restored.client().post("/api/v1/auth/login", {"email": "kept@example.com", "password": password})
        assert login.status == 200, login
        restored_admin = restored.admin()
        assert everything(restored_admin) == expected
        restored_tasks = {t["id"]: t for t in restored_admin.list_all("/api/v1/tasks")}
        assert before <= set(restored_tasks), "every task from before the backup is there"
        assert set(restored_tasks) <= set(tasks), "nothing the original never had"
        # One writer, one task at a time: a snapshot of one moment holds a prefix of what it wrote.
        kept = [task for task in written if task in restored_tasks]
        assert kept == written[:len(kept)], "the tasks written up to one moment, none after a gap"
        assert written_before <= len(kept) <= written_by_its_end, (written_before, len(kept), written_by_its_end)
        # The credentials were sealed with the master key: the restored server opens them.
        r = restored_admin.post(f"/api/v1/integrations/{integration}/test")
        assert r.status == 200 and r.body["ok"] is True, r
        assert slack.headers[-1]["Authorization"] == f"Bearer {token}"

        # While a server holds it, the database is not replaced, even with --force.
        busy = restored.run("restore", "--force", str(backup))
        assert busy.returncode != 0 and "running server" in busy.stderr, busy
        restored.stop()
        forced = restored.run("restore", "--force", str(backup))
        assert forced.returncode == 0, forced
    finally:
        slack.close()


def test_a_broken_backup_is_refused_and_the_database_left_alone(server_factory, tmp_path):
    server = server_factory("sqlite", start=False)
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    out = server.run("restore", "--force", str(broken))
    assert out.returncode != 0 and out.stderr.startswith("error:"), out
    server.start()
    assert server.admin().get("/api/v1/agents").status == 200


def test_postgres_points_at_pg_dump_and_pg_restore(server_factory, tmp_path):
    server = server_factory("postgres", start=False)
    for command in (["backup", str(tmp_path / "x.db")], ["restore", __file__]):
        out = server.run(*command)
        assert out.returncode == 2, out
        assert "pg_dump" in out.stderr and "pg_restore" in out.stderr, out.stderr
        assert server.database_url not in out.stderr + out.stdout, "the URL may hold a password"
    assert not os.path.exists(tmp_path / "x.db")
