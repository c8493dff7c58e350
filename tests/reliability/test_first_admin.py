"""`serve` makes the first admin from DE_ADMIN_EMAIL and DE_ADMIN_PASSWORD on a database without
users, so a container needs no `init` step; nodes started at once on one PostgreSQL make it once
(docs/operations.md, Deployment)."""
import threading

from support.server import ADMIN_EMAIL

NODES = 4


def test_nodes_started_at_once_on_one_database_create_the_admin_once(server_factory):
    first = server_factory("postgres", init=False, start=False)
    nodes = [first] + [server_factory("sqlite", init=False, start=False, admin_password=first.admin_password,
                                      env={"DE_DATABASE_URL": first.database_url}) for _ in range(NODES - 1)]
    barrier = threading.Barrier(NODES)
    errors = []

    def start(node):
        barrier.wait()
        try:
            node.start()
        except Exception as e:  # noqa: BLE001 (reported below with the node's log)
            errors.append(f"{node.name}: {e}")

    threads = [threading.Thread(target=start, args=(n,)) for n in nodes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors

    users = first.sql("SELECT email, username, roles FROM users")
    assert len(users) == 1, users
    email, username, roles = users[0]
    assert (email, username, roles) == (ADMIN_EMAIL, "admin", ["admin"]), users[0]
    created = [n for n in nodes if "first admin created" in open(n.log_path).read()]
    assert len(created) == 1, [n.log_path for n in created]
    for n in nodes:  # every node signs the one admin in
        assert n.login(ADMIN_EMAIL, first.admin_password)["user"]["roles"] == ["admin"]
