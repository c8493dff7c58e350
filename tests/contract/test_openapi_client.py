"""A client generated from the OpenAPI document works against the real server.

tests/openapi-npm generates TypeScript types from src/api/openapi.json (openapi-typescript),
type-checks a small program written with openapi-fetch against them (tsc: a path, field or
status the document does not have fails here), then runs it: log in, list the agents, create an
echo task and read it until it completes, and read a typed problem for an unknown task.
"""
import json
import os
import subprocess
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[1] / "openapi-npm"


@pytest.fixture(scope="module")
def generated_client():
    assert (TOOLS / "node_modules").is_dir(), "tests/openapi-npm has no node_modules: run script/bootstrap"
    built = subprocess.run(["npm", "run", "--silent", "client"], cwd=TOOLS, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, f"generating or type-checking the client failed:\n{built.stdout}\n{built.stderr}"
    program = TOOLS / "generated" / "build" / "client.js"
    assert program.is_file(), program
    return program


def test_generated_client_logs_in_lists_agents_and_runs_a_task(srv, generated_client):
    env = dict(os.environ, DE_URL=srv.url, DE_EMAIL=srv.users["operator"]["email"], DE_PASSWORD=srv.passwords["operator"])
    run = subprocess.run(["node", str(generated_client)], cwd=TOOLS, env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, f"the generated client failed:\n{run.stdout}\n{run.stderr}"
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["agents"] >= 1, result
    assert srv.admin.get(f"/api/v1/agents/{result['echo']}").body["type"] == "echo", result
    assert result["status"] == "completed" and result["output"] == {"hello": "client"}, result
    assert result["problem"].endswith("/not-found"), result
    task = srv.admin.get(f"/api/v1/tasks/{result['task']}").body
    assert task["title"] == "from the generated client" and task["created_by"] == srv.users["operator"]["id"], task
