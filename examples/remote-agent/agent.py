#!/usr/bin/env python3
"""A remote agent for Digital Enterprise, in Python, over /ws/agents (docs/agent-protocol.md).

It registers with capabilities, takes tasks, answers results and heartbeats. Its one skill,
`text.reverse`, reverses `input_data.text`; swap in your own logic in `work()`.

    DE_URL=ws://127.0.0.1:8080 DE_API_KEY=de_... python3 agent.py --name "Reverser"

The API key needs the `agent` role (create one as admin: POST /api/v1/api-keys
{"name":"reverser","roles":["agent"]}). Needs python3-websockets (Debian) or `websockets`.
"""
import argparse
import asyncio
import json
import os
import sys

import websockets


def work(task):
    """The agent's business logic: returns output_data or raises to fail the task."""
    text = task.get("input_data", {}).get("text")
    if not isinstance(text, str):
        raise ValueError("input_data.text must be a string")
    return {"text": text[::-1]}


async def heartbeats(ws, every):
    while True:
        await asyncio.sleep(every)
        await ws.send(json.dumps({"type": "heartbeat"}))


async def run(url, key, name, capabilities, concurrency, once):
    async with websockets.connect(f"{url}/ws/agents", extra_headers={"X-API-Key": key}) as ws:
        await ws.send(json.dumps({"type": "register", "name": name,
                                  "capabilities": capabilities, "max_concurrency": concurrency}))
        beat = asyncio.create_task(heartbeats(ws, 10))
        try:
            async for raw in ws:
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "registered":
                    print(f"registered as {message['agent_id']}", flush=True)
                elif kind == "task":
                    task = message["task"]
                    try:
                        result = {"type": "result", "task_id": task["id"], "status": "completed",
                                  "output_data": work(task)}
                    except Exception as error:  # the task fails, the agent keeps going
                        result = {"type": "result", "task_id": task["id"], "status": "failed",
                                  "error": str(error)}
                    await ws.send(json.dumps(result))
                    print(f"{task['id']}: {result['status']}", flush=True)
                    if once:
                        return
                elif kind == "message":
                    print(f"message from {message.get('from_agent')}: {message.get('message_type')}", flush=True)
                elif kind == "error":
                    print(f"server says: {message.get('message')}", file=sys.stderr, flush=True)
        finally:
            beat.cancel()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("DE_URL", "ws://127.0.0.1:8080"))
    parser.add_argument("--api-key", default=os.environ.get("DE_API_KEY"))
    parser.add_argument("--name", default="Python Reverser")
    parser.add_argument("--capability", action="append", default=None)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--once", action="store_true", help="exit after the first task")
    args = parser.parse_args()
    if not args.api_key:
        parser.error("an API key with the agent role is required (--api-key or DE_API_KEY)")
    asyncio.run(run(args.url, args.api_key, args.name, args.capability or ["text.reverse"],
                    args.concurrency, args.once))


if __name__ == "__main__":
    main()
