"""WebSocket helpers (python3-websockets) for /ws/notifications and /ws/agents.

    from support import ws

    async def scenario():
        sub, reply = await ws.subscribe(srv, srv.tokens["viewer"], ["tasks.*"], since=0)
        event = await ws.receive(sub)                     # the next message, parsed (15 s at most)
        agent, agent_id = await ws.register_agent(server, key, "Worker", ["job.resize"])
        offer = await ws.next_of_type(agent, "task")
        assert await ws.refused(server, "/ws/agents") == 401
    ws.run(scenario)

`base` is anything with a `url` (a DEServer, the `srv` session) or an http:// URL.
"""
import asyncio
import json
import urllib.parse

import websockets

ConnectionClosed = websockets.ConnectionClosed
InvalidStatusCode = websockets.InvalidStatusCode
NOTIFICATIONS = "/ws/notifications"
AGENTS = "/ws/agents"


def run(scenario):
    """Runs an async function (no arguments) to its end."""
    return asyncio.run(scenario())


def url_of(base, path, token=None):
    """ws://host:port/path, with ?access_token= when a token is given (as browsers send it)."""
    http = base if isinstance(base, str) else base.url
    url = http.replace("http://", "ws://", 1) + path
    if token is not None:
        url += ("&" if "?" in path else "?") + "access_token=" + urllib.parse.quote(token, safe="")
    return url


def connect(base, path, token=None, api_key=None, headers=None, **kwargs):
    """`await connect(...)` is an open connection; `async with connect(...) as c:` closes it at
    the end. `token` goes in the query, `api_key` in X-API-Key, `headers` as given; other keyword
    arguments go to websockets.connect (max_size, max_queue, ...)."""
    extra = dict(headers or {})
    if api_key is not None:
        extra["X-API-Key"] = api_key
    return websockets.connect(url_of(base, path, token), extra_headers=extra, **kwargs)


async def refused(base, path, **kwargs):
    """The HTTP status with which the upgrade is refused; fails when it is accepted."""
    try:
        ws = await connect(base, path, **kwargs)
    except InvalidStatusCode as e:
        return e.status_code
    await ws.close()
    raise AssertionError(f"the WebSocket handshake on {path} was accepted")


async def send(ws, message):
    await ws.send(json.dumps(message))


async def receive(ws, timeout=15):
    """The next message, parsed as JSON."""
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def next_of_type(ws, kind, timeout=15):
    """The next message whose "type" is `kind` (others are skipped)."""
    while True:
        message = await receive(ws, timeout)
        if message["type"] == kind:
            return message


async def subscribe(base, token, topics, since=None, **kwargs):
    """/ws/notifications with `topics` (and replay from `since`); returns (ws, the "subscribed"
    reply). max_queue=None: the client reads on while the test is not looking, so that control
    frames (pongs, closes) are never stuck behind unread events."""
    kwargs.setdefault("max_size", 4 * 1024 * 1024)
    kwargs.setdefault("max_queue", None)
    ws = await connect(base, NOTIFICATIONS, token=token, **kwargs)
    message = {"type": "subscribe", "topics": topics}
    if since is not None:
        message["since"] = since
    await send(ws, message)
    reply = await receive(ws)
    assert reply["type"] == "subscribed" and reply["topics"] == topics, reply
    return ws, reply


async def register_agent(base, api_key, name, capabilities, max_concurrency=2, **kwargs):
    """A remote agent on /ws/agents, registered; returns (ws, its agent id)."""
    ws = await connect(base, AGENTS, api_key=api_key, **kwargs)
    await send(ws, {"type": "register", "name": name, "capabilities": capabilities,
                    "max_concurrency": max_concurrency})
    reply = await receive(ws, 10)
    assert reply["type"] == "registered", reply
    return ws, reply["agent_id"]
