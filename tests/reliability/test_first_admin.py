"""`serve` makes the first admin from DE_ADMIN_EMAIL and DE_ADMIN_PASSWORD on a database without
users, so a container needs no `init` step; nodes started at once on one PostgreSQL make it once
(docs/operations.md, Deployment)."""
import subprocess
import threading
import time

from support.server import ADMIN_EMAIL, postgres_query

NODES = 4


def start_all(nodes):
    """Starts every node at the same moment (a barrier); returns the errors of those that failed."""
    barrier = threading.Barrier(len(nodes))
    errors = []

    def start(node):
        barrier.wait()
        try:
            node.start()
        except Exception as e:  # noqa: BLE001 (reported with the node's log)
            errors.append(f"{node.name}: {e}")

    threads = [threading.Thread(target=start, args=(n,)) for n in nodes]
    for t in threads:
        t.start()
    return threads, errors


def make_nodes(server_factory):
    first = server_factory("postgres", init=False, start=False)
    return [first] + [server_factory("sqlite", init=False, start=False, admin_password=first.admin_password,
                                     env={"DE_DATABASE_URL": first.database_url}) for _ in range(NODES - 1)]


def check_one_admin(nodes):
    first = nodes[0]
    users = first.sql("SELECT email, username, roles FROM users")
    assert users == [(ADMIN_EMAIL, "admin", ["admin"])], users
    created = [n.name for n in nodes if "first admin created" in open(n.log_path).read()]
    assert len(created) == 1, created
    for n in nodes:  # every node signs the one admin in
        assert n.login(ADMIN_EMAIL, first.admin_password)["user"]["roles"] == ["admin"]


def test_nodes_started_at_once_on_one_database_create_the_admin_once(server_factory):
    nodes = make_nodes(server_factory)
    threads, errors = start_all(nodes)
    for t in threads:
        t.join()
    assert not errors, errors
    check_one_admin(nodes)


def test_nodes_that_all_found_no_user_still_create_the_admin_once(server_factory):
    """The race itself, made certain: the schema exists, and a session holds the users table
    against writes (reads pass) while the nodes start. Every node finds no user and gets as far
    as its write before the table is let go. Checking and inserting under one lock per database
    (the advisory lock) makes the first insert the only one; without it every node would insert
    and all but one would stop on the unique email."""
    nodes = make_nodes(server_factory)
    first = nodes[0]
    assert first.run("migrate").returncode == 0
    holder = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", first.database_url],
                              stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    holder.stdin.write("BEGIN; LOCK TABLE users IN EXCLUSIVE MODE; SELECT 1;\n")
    holder.stdin.flush()
    threads, errors = start_all(nodes)
    try:
        deadline = time.monotonic() + 60
        while True:  # every node waits on a lock: the table (its insert) or the advisory lock
            waiting = postgres_query(first.database_url,
                                     "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                     "AND wait_event_type = 'Lock'")[0][0]
            if waiting == NODES:
                break
            assert time.monotonic() < deadline, f"{waiting} of {NODES} nodes reached their write"
            assert not errors, errors
            time.sleep(0.05)
    finally:
        holder.stdin.write("COMMIT;\n")
        holder.stdin.close()
        holder.wait(10)
    for t in threads:
        t.join()
    assert not errors, errors
    check_one_admin(nodes)
