#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets (tests/fuzz/corpus/<target>/) from real examples:
the request bodies the contract tests send, the workflow definitions the workflow tests save, the
heads of the shared data sets' CSV files, requirement documents, and hand-written HTTP requests
and webhook deliveries. script/fuzz --merge then minimises each directory with what the
campaigns found. Run from the repository root: python3 tests/fuzz/seed_corpus.py [DATA_DIR]."""
import ast
import glob
import hashlib
import json
import os
import sys

DATA = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data"
OUT = "tests/fuzz/corpus"
MAX_SEED = 4096


def write(target, data):
    if isinstance(data, str):
        data = data.encode()
    data = data[:MAX_SEED]
    os.makedirs(f"{OUT}/{target}", exist_ok=True)
    with open(f"{OUT}/{target}/seed-{hashlib.sha1(data).hexdigest()[:16]}", "wb") as f:
        f.write(data)


def literal_dicts(paths, want):
    """Dict literals in Python sources for which want(node, value) holds."""
    for path in paths:
        for node in ast.walk(ast.parse(open(path).read())):
            if isinstance(node, ast.Dict):
                try:
                    value = ast.literal_eval(node)
                except (ValueError, SyntaxError, TypeError):
                    continue
                if want(value):
                    yield value


def request_bodies():
    for path in glob.glob("tests/contract/*.py"):
        for node in ast.walk(ast.parse(open(path).read())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    node.func.attr in ("post", "put", "patch") and len(node.args) >= 2:
                try:
                    yield ast.literal_eval(node.args[1])
                except (ValueError, SyntaxError, TypeError):
                    pass


def main():
    bodies = [b for b in request_bodies() if isinstance(b, dict)]
    seen = set()
    for body in bodies:
        text = json.dumps(body)
        if text not in seen and len(seen) < 120:
            seen.add(text)
            write("json_body", text)
    for definition in literal_dicts(glob.glob("tests/workflows/*.py") + glob.glob("tests/contract/*.py"),
                                    lambda v: isinstance(v, dict) and isinstance(v.get("steps"), list)):
        write("workflow_definition", json.dumps(definition))
    for path in sorted(glob.glob(f"{DATA}/*/*.csv")) + ["tests/data/bank-sample.csv", "src/app/demo/campaigns.csv",
                                                       "tests/unit/data/ertms_frs_reqs.csv"]:
        with open(path, "rb") as f:
            write("csv", b"".join(f.readlines()[:8]))
    write("csv", 'name,note\r\n"Ann ""A"" Lee","two\r\nlines"\r\n\r\nBob,\r\n')
    write("csv", "\ufeffa;b;c\n1;2;3\n\"x;y\";;\n")
    for path in ["tests/unit/data/ertms_frs.md"] + sorted(glob.glob(f"{DATA}/pure-docs/original/*"))[:3]:
        with open(path, "rb") as f:
            write("requirement_text", f.read(MAX_SEED))
    write("requirement_text", "# Login\n\n1. The system shall lock an account after 5 failed logins.\n"
          "- FR-2: Users must be able to reset their password quickly.\n| R3 | The UI should be fast |\n")
    expressions = ["input.v > 10 && steps.a.output.v < 2", "len(input.list) * 3 - -1", "lower(input.s) + 'x'",
                   "contains(input.list, 2) and number('4') == 4", "[1, 'a', null, true][1]", "string(input.obj)"]
    for e in expressions:
        write("expression", e)
    for template in ["Summarise {{text}} in {{words}} words.", "{{a}}{{b}}{{ c }}", "{{", "no placeholders",
                     '[{"name":"text","type":"string"},"words",{"name":"n","type":"number"}]']:
        write("prompt_template", template)
    body = '{"type":"event_callback","event":{"type":"message","text":"hi"}}'
    for selector, secret, ts in [(0, "slack-signing", "1700000000"), (5, "hubspot-client", "1700000000000"),
                                 (6, "webhook-secret", "1700000000"), (2, "s", "17x")]:
        write("webhook_signature", bytes([selector]) + f"{secret}\n{ts}\nv0=00ff\n{body}".encode())
    requests = [
        "GET /api/v1/agents?limit=5&cursor=abc HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n\r\n",
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 44\r\n\r\n"
        '{"email":"a@example.com","password":"secret"}',
        "PATCH /api/v1/leads/0b0e/stage HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        '5\r\n{"nam\r\n9\r\ne":"x1"}\r\n0\r\n\r\n',
        "DELETE /api/v1/users/%2e%2e/x HTTP/1.0\r\nX-Request-Id: abc\r\n\r\n",
        "HEAD /index.html HTTP/1.1\r\nHost: x\r\n\r\n",
        "PUT /api/v1/workflows/w1 HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}",
        "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
    ]
    for r in requests:
        write("http_request", r)
    for body in bodies[:10]:
        text = json.dumps(body)
        write("http_request", f"POST /api/v1/agents HTTP/1.1\r\nHost: x\r\nContent-Length: {len(text.encode())}"
                              f"\r\n\r\n{text}")


if __name__ == "__main__":
    main()
