#!/usr/bin/env python3
"""A stand-in for the LLM vendors, for tests: OpenAI Chat Completions (POST /v1/chat/completions)
and Anthropic Messages (POST /v1/messages), on 127.0.0.1.

    python3 tests/support/standins/llm_standin.py [--port 0] [--tls-cert FILE --tls-key FILE]

Prints the port it listens on as stdout's first line; or `no-contracts: <where it looked>` and
exits with status 3 when the vendor contracts are missing. Base URLs: OpenAI-compatible
http://127.0.0.1:PORT/v1, Anthropic http://127.0.0.1:PORT (https:// with --tls-cert).

Every request is checked as the vendor would check it, against the vendor's contract
($DE_CONTRACTS_DIR, else <repo>/../shared/contracts, else /work/shared/contracts; the files
openai/openai-chat-models.openapi.json and anthropic/anthropic-messages.openapi.json, never
copied here): the body against the request schema of the operation, the headers against its
required header parameters, security schemes and request content types. A request the contract
rejects is answered 400 with the errors, and counted. Every answer of ours is checked against
the operation's response schemas too (with OAS 3.0's `nullable`, which the OpenAI document still
uses, read as "or null"; requests are held to the document as written).

GET /__stats: {"requests", "rejected", "rejections": [...], "invalid_answers": [...],
"scenarios": {"vendor model": count}}. A test passes only with rejected 0 and no invalid answer.

Scenarios, by the request's `model`:
  tool-call      the first tool offered is called, with arguments built from its schema
  unauthorized   401 with the vendor's error body (OpenAI's quotes the key masked, as OpenAI does)
  rate-limited   429 with Retry-After: 1 on the 1st, 3rd, ... request for this model at this
                 vendor; a plain answer on the 2nd, 4th, ...
  server-error   500 with the vendor's error body
  hung           reads the request and never answers (until the client goes away)
  anything else  a plain answer: "Hello from the stand-in."
With "stream": true the answer is streamed as the vendor streams it (SSE in its event format,
one event per HTTP chunk, every other event cut in two, 20 ms apart). Asked for structured
output (OpenAI: response_format json_schema; Anthropic: tool_choice naming a tool), the answer
is a value built from the schema: strings "stand-in", integers 42, numbers 4.2, booleans true,
arrays of one item, objects with their required properties (all when none is required), the
first of an enum, anyOf or oneOf. Usage is always 21 tokens in and 7 out.
"""

import argparse
import json
import ssl
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jsonschema

import contracts

CONTRACT_FILES = {
    "openai": "openai/openai-chat-models.openapi.json",
    "anthropic": "anthropic/anthropic-messages.openapi.json",
}
TEXT_PIECES = ["Hello", " from", " the", " stand", "-in", "."]
INPUT_TOKENS, OUTPUT_TOKENS = 21, 7
EVENT_GAP_SECONDS = 0.02


def pointer(*parts):
    """A JSON pointer fragment to parts of the document (RFC 6901 escapes)."""
    return "#/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def with_nullable(node):
    """OAS 3.0's `nullable: true` as JSON Schema: the schema, or null."""
    if isinstance(node, list):
        return [with_nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: with_nullable(value) for key, value in node.items()}
    if out.pop("nullable", None) is True:
        return {"anyOf": [out, {"type": "null"}]}
    return out


def validator(document, fragment):
    # The whole document is the root schema, so that every internal $ref resolves in it; its
    # other members (openapi, info, paths, ...) are no JSON Schema keywords and are passed over.
    root = dict(document)
    root["$ref"] = fragment
    return jsonschema.Draft202012Validator(root)


def errors_of(check, instance, limit=10):
    """Each error as deep as it goes: within a oneOf or anyOf, the errors of the alternatives,
    less those that only say an alternative's `type` or `role` is another one (the alternative
    was not meant), the deepest first."""
    def leaves(error):
        return [leaf for sub in error.context for leaf in leaves(sub)] if error.context else [error]

    def meant(leaf):
        path = leaf.absolute_path
        return not (leaf.validator in ("const", "enum") and path and path[-1] in ("type", "role"))

    described = []
    for error in sorted(check.iter_errors(instance), key=lambda e: list(e.absolute_path))[:limit]:
        found = leaves(error)
        found = [leaf for leaf in found if meant(leaf)] or found
        found.sort(key=lambda leaf: -len(leaf.absolute_path))
        described += [f"{'/'.join(str(p) for p in leaf.absolute_path) or '(body)'}: {leaf.message[:300]}"
                      for leaf in found[:3]]
    return described


def example(schema):
    """A value valid for the plain schemas tests give (see the module's docstring)."""
    if not isinstance(schema, dict):
        return None
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            return example(schema[key][0])
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        properties = schema.get("properties", {})
        return {name: example(properties.get(name, {})) for name in schema.get("required") or properties}
    if kind == "array":
        return [example(schema.get("items", {}))]
    return {"integer": 42, "number": 4.2, "boolean": True, "null": None}.get(kind, "stand-in")


def cut(text, pieces=3):
    size = max(1, -(-len(text) // pieces))
    return [text[i:i + size] for i in range(0, len(text), size)]


def new_id(prefix):
    return prefix + uuid.uuid4().hex[:24]


class Vendor:
    """One vendor's operation: its contract checks and its way of answering."""

    def __init__(self, document, path):
        self.document = document
        self.operation = document["paths"][path]["post"]
        self.request_check = validator(document, pointer("paths", path, "post", "requestBody", "content",
                                                          "application/json", "schema"))
        answers = with_nullable(document)
        ok = pointer("paths", path, "post", "responses", "200", "content")
        self.answer_checks = {
            "json": validator(answers, ok + "/application~1json/schema"),
            "event": validator(answers, ok + "/text~1event-stream/schema"),
            "error": validator(answers, pointer("components", "schemas", "ErrorResponse")),
        }

    def request_problems(self, headers, body):
        problems = []
        for parameter in self.operation.get("parameters", []):
            if parameter.get("in") == "header" and parameter.get("required") and not headers.get(parameter["name"]):
                problems.append(f"header {parameter['name']}: required")
        schemes = self.document["components"]["securitySchemes"]
        requirements = self.operation.get("security", self.document.get("security", [{}]))
        if not any(all(self.credential_given(schemes[name], headers) for name in requirement)
                   for requirement in requirements):
            problems.append("credentials: none of " + ", ".join(" + ".join(r) for r in requirements))
        content_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if content_type not in self.operation["requestBody"]["content"]:
            problems.append(f"header Content-Type: {content_type or 'missing'} is not a type this operation takes")
        return problems + errors_of(self.request_check, body)

    @staticmethod
    def credential_given(scheme, headers):
        if scheme["type"] == "apiKey" and scheme["in"] == "header":
            return bool(headers.get(scheme["name"]))
        if scheme["type"] == "http" and scheme["scheme"] == "bearer":
            value = headers.get("Authorization") or ""
            return value.startswith("Bearer ") and len(value) > len("Bearer ")
        return False


class OpenAi(Vendor):
    name = "openai"
    request_id_header = "x-request-id"

    def error(self, message, kind, code=None):
        return {"error": {"message": message, "type": kind, "param": None, "code": code}}

    def unauthorized(self, headers):
        key = (headers.get("Authorization") or "")[len("Bearer "):]
        masked = key[:3] + "*" * 8 + key[-4:] if len(key) > 8 else "***"
        return self.error(f"Incorrect API key provided: {masked}. You can find your API key at "
                               "https://platform.openai.com/account/api-keys.", "invalid_request_error",
                          "invalid_api_key")

    def rate_limited(self):
        return self.error("Rate limit reached for requests. Please try again in 1s.", "requests",
                          "rate_limit_exceeded")

    def server_error(self):
        return self.error("The server had an error while processing your request. Sorry about that!",
                          "server_error")

    def invalid(self, problems):
        return self.error("; ".join(problems), "invalid_request_error")

    @staticmethod
    def answer_parts(body, scenario):
        """(text, tool call or None): what the answer says."""
        tools = [t for t in body.get("tools", []) if t.get("type") == "function"]
        if scenario == "tool-call" and tools:
            function = tools[0]["function"]
            arguments = json.dumps(example(function.get("parameters", {"type": "object"})))
            return None, {"id": new_id("call_"), "name": function["name"], "arguments": arguments}
        response_format = body.get("response_format") or {}
        if response_format.get("type") == "json_schema":
            return json.dumps(example(response_format["json_schema"].get("schema", {}))), None
        return "".join(TEXT_PIECES), None

    def answer(self, body, scenario):
        text, call = self.answer_parts(body, scenario)
        message = {"role": "assistant", "content": text, "refusal": None, "annotations": []}
        if call:
            message["tool_calls"] = [{"id": call["id"], "type": "function",
                                      "function": {"name": call["name"], "arguments": call["arguments"]}}]
        return {
            "id": new_id("chatcmpl-"), "object": "chat.completion", "created": int(time.time()),
            "model": body["model"], "system_fingerprint": "fp_standin",
            "choices": [{"index": 0, "message": message, "logprobs": None,
                         "finish_reason": "tool_calls" if call else "stop"}],
            "usage": {"prompt_tokens": INPUT_TOKENS, "completion_tokens": OUTPUT_TOKENS,
                      "total_tokens": INPUT_TOKENS + OUTPUT_TOKENS},
        }

    def events(self, body, scenario):
        """(event name or None, data) pairs, in OpenAI's order: a role chunk, deltas, the
        finishing chunk, the usage chunk (stream_options.include_usage), [DONE]."""
        text, call = self.answer_parts(body, scenario)
        with_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        head = {"id": new_id("chatcmpl-"), "object": "chat.completion.chunk", "created": int(time.time()),
                "model": body["model"], "system_fingerprint": "fp_standin"}

        def chunk(delta, finish_reason=None):
            data = dict(head, choices=[{"index": 0, "delta": delta, "logprobs": None,
                                        "finish_reason": finish_reason}])
            if with_usage:
                data["usage"] = None
            return None, data

        if call:
            yield chunk({"role": "assistant", "content": None, "refusal": None, "tool_calls": [
                {"index": 0, "id": call["id"], "type": "function",
                 "function": {"name": call["name"], "arguments": ""}}]})
            for piece in cut(call["arguments"]):
                yield chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
        else:
            yield chunk({"role": "assistant", "content": "", "refusal": None})
            for piece in (TEXT_PIECES if text == "".join(TEXT_PIECES) else cut(text)):
                yield chunk({"content": piece})
        yield chunk({}, "tool_calls" if call else "stop")
        if with_usage:
            yield None, dict(head, choices=[], usage={"prompt_tokens": INPUT_TOKENS,
                                                      "completion_tokens": OUTPUT_TOKENS,
                                                      "total_tokens": INPUT_TOKENS + OUTPUT_TOKENS})
        yield None, "[DONE]"


class Anthropic(Vendor):
    name = "anthropic"
    request_id_header = "request-id"

    def error(self, message, kind):
        return {"type": "error", "error": {"type": kind, "message": message}, "request_id": new_id("req_")}

    def unauthorized(self, headers):
        return self.error("invalid x-api-key", "authentication_error")

    def rate_limited(self):
        return self.error("Number of requests has exceeded your per-minute rate limit", "rate_limit_error")

    def server_error(self):
        return self.error("Internal server error", "api_error")

    def invalid(self, problems):
        return self.error("; ".join(problems), "invalid_request_error")

    @staticmethod
    def content(body, scenario):
        """The answer's content blocks and stop reason."""
        tools = [t for t in body.get("tools", []) if "input_schema" in t]
        choice = body.get("tool_choice") or {}
        forced = [t for t in tools if choice.get("type") == "tool" and t["name"] == choice.get("name")]
        if forced or (scenario == "tool-call" and tools):
            tool = (forced or tools)[0]
            return [{"type": "tool_use", "id": new_id("toolu_"), "name": tool["name"],
                     "input": example(tool["input_schema"])}], "tool_use"
        return [{"type": "text", "text": "".join(TEXT_PIECES)}], "end_turn"

    def message(self, body, content, stop_reason, output_tokens):
        return {"id": new_id("msg_"), "type": "message", "role": "assistant", "model": body["model"],
                "content": content, "stop_reason": stop_reason, "stop_sequence": None,
                "usage": {"input_tokens": INPUT_TOKENS, "output_tokens": output_tokens}}

    def answer(self, body, scenario):
        content, stop_reason = self.content(body, scenario)
        return self.message(body, content, stop_reason, OUTPUT_TOKENS)

    def events(self, body, scenario):
        """(event name, data) pairs in Anthropic's order: message_start, ping, per block
        content_block_start, deltas, content_block_stop; message_delta, message_stop."""
        content, stop_reason = self.content(body, scenario)

        def event(data):
            return data["type"], data

        yield event({"type": "message_start", "message": self.message(body, [], None, 1)})
        yield event({"type": "ping"})
        for index, block in enumerate(content):
            if block["type"] == "text":
                yield event({"type": "content_block_start", "index": index,
                             "content_block": {"type": "text", "text": ""}})
                for piece in TEXT_PIECES:
                    yield event({"type": "content_block_delta", "index": index,
                                 "delta": {"type": "text_delta", "text": piece}})
            else:
                yield event({"type": "content_block_start", "index": index,
                             "content_block": dict(block, input={})})
                for piece in cut(json.dumps(block["input"])):
                    yield event({"type": "content_block_delta", "index": index,
                                 "delta": {"type": "input_json_delta", "partial_json": piece}})
            yield event({"type": "content_block_stop", "index": index})
        yield event({"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                     "usage": {"output_tokens": OUTPUT_TOKENS}})
        yield event({"type": "message_stop"})


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = 0
        self.rejections = []
        self.invalid_answers = []
        self.scenarios = {}

    def count(self, vendor, model):
        """How many requests for `model` at `vendor` so far, this one included."""
        with self.lock:
            self.requests += 1
            key = f"{vendor} {model}"
            self.scenarios[key] = self.scenarios.get(key, 0) + 1
            return self.scenarios[key]

    def reject(self, vendor, problems):
        with self.lock:
            self.rejections.append({"vendor": vendor, "problems": problems})
        print(f"llm_standin: {vendor} request rejected by the contract: {problems}", file=sys.stderr, flush=True)

    def check_answer(self, vendor, kind, data):
        problems = errors_of(vendor.answer_checks[kind], data)
        if problems:
            with self.lock:
                self.invalid_answers.append({"vendor": vendor.name, "kind": kind, "problems": problems})
            print(f"llm_standin: our own {vendor.name} {kind} breaks the contract: {problems}",
                  file=sys.stderr, flush=True)

    def stats(self):
        with self.lock:
            return {"requests": self.requests, "rejected": len(self.rejections), "rejections": self.rejections,
                    "invalid_answers": self.invalid_answers, "scenarios": self.scenarios}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "llm-standin"

    def setup(self):
        if self.server.tls:  # the handshake here, in this connection's thread
            self.request = self.server.tls.wrap_socket(self.request, server_side=True)
        super().setup()

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/__stats":
            return self.send_json(200, self.server.state.stats())
        self.send_json(404, {"error": "no such route"})

    def do_POST(self):
        vendor = self.server.vendors.get(self.path.split("?")[0])
        body_text = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if vendor is None:
            return self.send_json(404, {"error": "no such route"})
        try:
            body = json.loads(body_text)
        except ValueError as error:
            body = None
            problems = [f"(body): not JSON: {error}"]
        else:
            problems = vendor.request_problems(self.headers, body)
        model = body.get("model") if isinstance(body, dict) else None
        state = self.server.state
        seen = state.count(vendor.name, model)
        if problems:
            state.reject(vendor.name, problems)
            return self.send_json(400, vendor.invalid(problems), vendor, "error")
        if model == "hung":
            return self.hang()
        if model == "unauthorized":
            return self.send_json(401, vendor.unauthorized(self.headers), vendor, "error")
        if model == "server-error":
            return self.send_json(500, vendor.server_error(), vendor, "error")
        if model == "rate-limited" and seen % 2 == 1:
            return self.send_json(429, vendor.rate_limited(), vendor, "error", {"Retry-After": "1"})
        if body.get("stream"):
            return self.send_events(vendor, vendor.events(body, model))
        self.send_json(200, vendor.answer(body, model), vendor, "json")

    def send_json(self, status, data, vendor=None, kind=None, headers=None):
        if vendor:
            self.server.state.check_answer(vendor, kind, data)
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        if vendor:
            self.send_header(vendor.request_id_header, new_id("req_"))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def send_events(self, vendor, events):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        self.send_header(vendor.request_id_header, new_id("req_"))
        self.end_headers()
        for number, (name, data) in enumerate(events):
            if data != "[DONE]":
                self.server.state.check_answer(vendor, "event", data)
            text = (f"event: {name}\n" if name else "") + "data: " + (data if data == "[DONE]" else json.dumps(data))
            encoded = (text + "\n\n").encode()
            # Every other event in two reads, for the client's parser to join.
            pieces = [encoded[:len(encoded) // 2], encoded[len(encoded) // 2:]] if number % 2 else [encoded]
            for piece in pieces:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                time.sleep(EVENT_GAP_SECONDS / len(pieces))
        self.wfile.write(b"0\r\n\r\n")

    def hang(self):
        self.close_connection = True
        try:
            while self.connection.recv(4096):
                pass
        except OSError:
            pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # a test opens hundreds of connections at once

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (ssl.SSLError, ConnectionError, TimeoutError)):
            return  # a client that gave up or refused our certificate, as tests make them do
        super().handle_error(request, client_address)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tls-cert", help="serve https with this certificate (PEM)")
    parser.add_argument("--tls-key", help="the certificate's private key (PEM)")
    args = parser.parse_args()
    directory, looked_in = contracts.find(*CONTRACT_FILES.values())
    if directory is None:
        print("no-contracts: looked in " + ", ".join(str(p) for p in looked_in), flush=True)
        sys.exit(3)
    documents = {name: json.loads((directory / path).read_text()) for name, path in CONTRACT_FILES.items()}
    server = Server(("127.0.0.1", args.port), Handler)
    server.vendors = {
        "/v1/chat/completions": OpenAi(documents["openai"], "/chat/completions"),
        "/v1/messages": Anthropic(documents["anthropic"], "/v1/messages"),
    }
    server.state = State()
    server.tls = None
    if args.tls_cert:
        server.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.tls.load_cert_chain(args.tls_cert, args.tls_key)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
