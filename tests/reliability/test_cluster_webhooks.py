"""Outbound webhooks with two nodes on one PostgreSQL database (issue 22): one node at a time
delivers a subscription's events (a lease), every node's events are delivered once each (up to
32 at a time, so not in order), and when the delivering node is killed the other takes over from the cursor."""
import threading

from support.helpers import wait_for
from support.receiver import Receiver

TASKS_PER_NODE = 300


def submit(server, ids, count=TASKS_PER_NODE, batch=100):
    client = server.admin()
    for start in range(0, count, batch):
        r = client.post("/api/v1/tasks/batch", {"tasks": [{"type": "echo", "input_data": {"n": start + i}}
                                                          for i in range(batch)]})
        assert r.status == 201, r
        ids.extend(t["id"] for t in r.body["items"])


def created(receiver):
    """(event id, task id) of every tasks.created delivery, in the order received."""
    return [(e["id"], e["data"]["id"]) for e in receiver.events() if e["topic"] == "tasks.created"]


def test_one_node_delivers_each_event_once_and_the_other_takes_over(server_factory):
    # Nodes of one cluster share the master key (each unseals the subscription's signing secret).
    shared = {"DE_MASTER_KEY": "cluster-master-key-" + "k" * 32}
    first = server_factory("postgres", env=shared)
    second = server_factory("sqlite", init=False, admin_password=first.admin_password,
                            env={**shared, "DE_DATABASE_URL": first.database_url})
    receiver = Receiver()
    try:
        r = first.admin().post("/api/v1/webhook-subscriptions",
                               {"url": receiver.url, "topics": ["tasks.created"], "description": "cluster"})
        assert r.status == 201, r.body
        subscription = r.body["id"]
        ids_first, ids_second = [], []
        writers = [threading.Thread(target=submit, args=(first, ids_first)),
                   threading.Thread(target=submit, args=(second, ids_second))]
        for w in writers:
            w.start()
        for w in writers:
            w.join()
        ours = set(ids_first) | set(ids_second)
        assert len(ours) == 2 * TASKS_PER_NODE
        wait_for(lambda: ours <= {task for _, task in created(receiver)}, timeout=60,
                 message="every task's tasks.created delivered")
        deliveries = created(receiver)
        event_ids = [event for event, _ in deliveries]
        assert len(event_ids) == len(set(event_ids)), "each event delivered once: one node delivers"
        holders = first.sql("SELECT DISTINCT lease_owner FROM webhook_subscriptions")
        assert len(holders) == 1 and holders[0][0], holders

        # The node delivering dies (kill -9): the other takes the lease over once it runs out and
        # delivers what comes next.
        def delivering(server):
            return [e for e in server.log_entries() if e.get("subscription") == subscription
                    and e.get("msg") == "delivering a webhook subscription's events"]
        holder, other = (first, second) if delivering(first) else (second, first)
        assert delivering(holder) and not delivering(other)
        holder.kill9()
        later = []
        submit(other, later, count=100)
        wait_for(lambda: set(later) <= {task for _, task in created(receiver)}, timeout=60,
                 message="the events after the kill delivered by the node left")
        after = [event for event, task in created(receiver) if task in set(later)]
        assert len(after) == len(set(after)) == 100
        assert delivering(other)
    finally:
        receiver.close()
