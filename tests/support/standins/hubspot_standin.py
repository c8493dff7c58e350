#!/usr/bin/env python3
"""A stateful stand-in for HubSpot CRM v3 (contacts, companies, deals), for sync tests, on 127.0.0.1.

    python3 tests/support/standins/hubspot_standin.py [--port 0] [--page-delay-ms 0] [--limit-every 0]

Prints the port it listens on as stdout's first line; or `no-contracts: <where it looked>` and
exits with status 3 when the vendor contract is missing. Base URL: http://127.0.0.1:PORT.

HubSpot keeps no machine-readable contract we may copy (hubspot/crm-v3-objects.md in the shared
contracts says why), so the document checked against is that page: the operations served are
the rows of its table (read from the file at start; a request for any other is rejected), and
each body is checked with python3-jsonschema against a schema written from the table's body
column, below. Every request needs `Authorization: Bearer <token>` and JSON. A rejected request
is answered 400 in HubSpot's error shape and counted.

Two operations are served beyond the table, as HubSpot's public reference documents them (the
fact sheet does not list them): archiving a record (`DELETE /crm/v3/objects/{type}/{id}`, 204),
with which sync pushes a deletion; and the batch update (`POST /crm/v3/objects/{type}/batch/update`
`{inputs:[{id, properties}]}`, at most 100: 200 with every record updated, or 207 Multi-Status
with an error naming the ids not found, the others updated), with which sync pushes changes. An
archived record leaves searches and reads (404) and is listed by the table's list operation with
`archived=true` (`"archived": true`, `archivedAt`), which is how sync pulls HubSpot's deletions.

Records live in memory with their modification times (ms): the search's `GTE` filter on the
last-modified property, sorted ascending, pages with `after` as HubSpot's does (an offset), and
stops at HubSpot's 10,000-result window. Every answer carries X-HubSpot-RateLimit-* headers; with
--limit-every N every Nth request is answered 429 (category RATE_LIMITS, Retry-After: 1).
--page-delay-ms makes each search page that slow (for a sync stopped midway).

Test endpoints: POST /__seed {"type", "count", "prefix"?}: that many records, ten per millisecond;
POST /__edit {"type", "id", "properties"}: a person's edit there (the record's time moves on);
POST /__archive {"type", "id"}: a person archives it there;
GET /__records?type=: every record; GET /__stats: {"requests", "rejected", "rejections",
"by_operation"}. A test passes only with rejected 0.
"""

import argparse
import bisect
import json
import re
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import jsonschema

import contracts

CONTRACT_FILE = "hubspot/crm-v3-objects.md"
TYPES = {"contacts": "contacts", "companies": "companies", "deals": "deals", "0-1": "contacts", "0-2": "companies", "0-3": "deals"}
MODIFIED = {"contacts": "lastmodifieddate", "companies": "hs_lastmodifieddate", "deals": "hs_lastmodifieddate"}
SEARCH_WINDOW = 10_000
OPERATORS = ["EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN", "HAS_PROPERTY", "NOT_HAS_PROPERTY",
             "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"]

# Request bodies, from the table's body column (all property values are strings).
PROPERTIES = {"type": "object", "additionalProperties": {"type": "string"}}
SCHEMAS = {
    "create": {"type": "object", "required": ["properties"],
               "properties": {"properties": PROPERTIES, "associations": {"type": "array"}}},
    "update": {"type": "object", "required": ["properties"], "properties": {"properties": PROPERTIES}},
    "search": {"type": "object", "properties": {
        "filterGroups": {"type": "array", "items": {"type": "object", "required": ["filters"], "properties": {
            "filters": {"type": "array", "items": {"type": "object", "required": ["propertyName", "operator"], "properties": {
                "propertyName": {"type": "string"}, "operator": {"enum": OPERATORS}, "value": {"type": "string"},
                "values": {"type": "array", "items": {"type": "string"}}, "highValue": {"type": "string"}}}}}}},
        "sorts": {"type": "array"}, "properties": {"type": "array", "items": {"type": "string"}},
        "limit": {"type": "integer", "minimum": 1, "maximum": 200}, "after": {"type": "string"}, "query": {"type": "string"}}},
    "batch read": {"type": "object", "required": ["inputs"], "properties": {
        "inputs": {"type": "array", "items": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}},
        "properties": {"type": "array", "items": {"type": "string"}}, "propertiesWithHistory": {"type": "array"},
        "idProperty": {"type": "string"}}},
    "batch create": {"type": "object", "required": ["inputs"], "properties": {
        "inputs": {"type": "array", "maxItems": 100, "items": {"type": "object", "required": ["properties"], "properties": {
            "properties": PROPERTIES, "associations": {"type": "array"}}}}}},
    "batch update": {"type": "object", "required": ["inputs"], "additionalProperties": False, "properties": {
        "inputs": {"type": "array", "minItems": 1, "maxItems": 100, "items": {
            "type": "object", "required": ["id", "properties"], "additionalProperties": False,
            "properties": {"id": {"type": "string"}, "properties": PROPERTIES}}}}},
}


def operations(document):
    """The table's rows: operation name -> (method, path regex)."""
    out = {}
    for name, method, path in re.findall(r"^\| (\w[\w ]*?) \| `(GET|POST|PATCH|DELETE) ([^`?]+)", document, re.M):
        pattern = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "$"
        out[name] = (method, re.compile(pattern))
    return out


def iso(ms):
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


class Store:
    def __init__(self):
        self.lock = threading.Lock()
        self.records = {t: {} for t in MODIFIED}      # type -> id -> record
        self.archived = {t: {} for t in MODIFIED}     # type -> id -> record, with "archived_at"
        self.order = {t: [] for t in MODIFIED}        # type -> sorted [(modified, id)]
        self.next_id = 1000
        self.clock = 0

    def stamp(self):
        self.clock = max(self.clock + 1, int(time.time() * 1000))
        return self.clock

    def put(self, kind, properties, record_id=None, modified=None):
        modified = modified or self.stamp()
        records, order = self.records[kind], self.order[kind]
        if record_id is None:
            self.next_id += 1
            record_id = str(self.next_id)
            record = {"id": record_id, "properties": {}, "created": modified}
        else:
            record = records[record_id]
            order.pop(bisect.bisect_left(order, (record["modified"], record_id)))
        record["properties"].update(properties)
        record["modified"] = modified
        records[record_id] = record
        bisect.insort(order, (modified, record_id))
        return record

    def archive(self, kind, record_id):
        """True when there was such a record (not archived yet)."""
        record = self.records[kind].pop(record_id, None)
        if record is None:
            return False
        self.order[kind].pop(bisect.bisect_left(self.order[kind], (record["modified"], record_id)))
        record["archived_at"] = self.stamp()
        self.archived[kind][record_id] = record
        return True

    def view(self, kind, record, wanted=None):
        props = dict(record["properties"])
        props[MODIFIED[kind]] = iso(record["modified"])
        props["createdate"] = iso(record["created"])
        props["hs_object_id"] = record["id"]
        if wanted:
            props = {k: props.get(k) for k in set(wanted) | {MODIFIED[kind], "createdate", "hs_object_id"}}
        out = {"id": record["id"], "properties": props, "createdAt": iso(record["created"]),
               "updatedAt": iso(record["modified"]), "archived": "archived_at" in record}
        if "archived_at" in record:
            out["archivedAt"] = iso(record["archived_at"])
        return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--page-delay-ms", type=int, default=0)
    parser.add_argument("--limit-every", type=int, default=0)
    args = parser.parse_args()
    folder, looked = contracts.find(CONTRACT_FILE)
    if not folder:
        print("no-contracts: " + ", ".join(str(p) for p in looked), flush=True)
        sys.exit(3)
    ops = operations((folder / CONTRACT_FILE).read_text())
    ops["batch update"] = ("POST", re.compile(r"^/crm/v3/objects/(?P<type>[^/]+)/batch/update$"))  # see the docstring
    ops["archive"] = ("DELETE", re.compile(r"^/crm/v3/objects/(?P<type>[^/]+)/(?P<id>[^/]+)$"))
    validators = {name: jsonschema.Draft202012Validator(schema) for name, schema in SCHEMAS.items()}
    store = Store()
    stats = {"requests": 0, "rejected": 0, "rejections": [], "by_operation": {}}
    stats_lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def answer(self, status, body, extra=None):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-HubSpot-RateLimit-Max", "1000")
            self.send_header("X-HubSpot-RateLimit-Remaining", "999")
            self.send_header("X-HubSpot-RateLimit-Interval-Milliseconds", "10000")
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def error(self, status, message, category="VALIDATION_ERROR", extra=None):
            self.answer(status, {"status": "error", "message": message, "correlationId": str(uuid.uuid4()),
                                 "category": category}, extra)

        def reject(self, message):
            with stats_lock:
                stats["rejected"] += 1
                stats["rejections"].append(f"{self.command} {self.path}: {message}")
            self.error(400, message)

        def body(self):
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def do_GET(self):
            self.handle_any()

        def do_POST(self):
            self.handle_any()

        def do_PATCH(self):
            self.handle_any()

        def do_DELETE(self):
            self.handle_any()

        def handle_any(self):
            url = urlparse(self.path)
            raw = self.body()
            if url.path.startswith("/__"):
                return self.test_endpoint(url, raw)
            with stats_lock:
                stats["requests"] += 1
                count = stats["requests"]
            for name, (method, pattern) in ops.items():
                match = pattern.match(url.path)
                if method == self.command and match and not (name == "get one" and match["id"] in ("search", "batch")):
                    break
            else:
                return self.reject("no operation of the contract is " + self.command + " " + url.path)
            kind = TYPES.get(match["type"])
            if not kind:
                return self.reject("unknown object type " + match["type"])
            if not (self.headers.get("Authorization") or "").startswith("Bearer ") or len(self.headers["Authorization"]) < 8:
                return self.reject("Authorization: Bearer <token> is required")
            payload = None
            if name in validators:
                if not (self.headers.get("Content-Type") or "").startswith("application/json"):
                    return self.reject("the body must be application/json")
                try:
                    payload = json.loads(raw)
                except ValueError:
                    return self.reject("the body is not JSON")
                problems = [e.message for e in validators[name].iter_errors(payload)]
                if problems:
                    return self.reject("; ".join(problems[:5]))
            with stats_lock:
                stats["by_operation"][name] = stats["by_operation"].get(name, 0) + 1
            if args.limit_every and count % args.limit_every == 0:
                return self.error(429, "You have reached your secondly limit.", "RATE_LIMITS", {"Retry-After": "1"})
            getattr(self, "op_" + name.replace(" ", "_"))(kind, match, payload, parse_qs(url.query))

        def op_search(self, kind, match, payload, query):
            if args.page_delay_ms:
                time.sleep(args.page_delay_ms / 1000)
            filters = [f for g in payload.get("filterGroups", []) for f in g["filters"]]
            limit, offset = payload.get("limit", 10), int(payload.get("after", "0") or 0)
            with store.lock:
                order, records = store.order[kind], store.records[kind]
                since = [f for f in filters if f["propertyName"] == MODIFIED[kind] and f["operator"] == "GTE"]
                start = bisect.bisect_left(order, (int(since[0]["value"]), "")) if since else 0
                others = [f for f in filters if f not in since]
                if others:  # EQ on a property: a scan (it finds one record)
                    hits = [rid for _, rid in order[start:] if all(
                        f["operator"] == "EQ" and records[rid]["properties"].get(f["propertyName"]) == f.get("value") for f in others)]
                else:
                    hits = None
                total = len(hits) if hits is not None else len(order) - start
                ids = hits[offset:offset + limit] if hits is not None else [rid for _, rid in order[start + offset:start + offset + limit]]
                results = [store.view(kind, records[rid], payload.get("properties")) for rid in ids]
            body = {"total": total, "results": results}
            following = offset + limit
            if following < min(total, SEARCH_WINDOW + limit) and following <= SEARCH_WINDOW:
                body["paging"] = {"next": {"after": str(following)}}
            self.answer(200, body)

        def op_list_a_page(self, kind, match, payload, query):
            limit, offset = int(query.get("limit", ["10"])[0]), int(query.get("after", ["0"])[0] or 0)
            archived = query.get("archived", ["false"])[0] == "true"
            with store.lock:
                if archived:
                    listed = sorted(store.archived[kind].values(), key=lambda r: (r["archived_at"], r["id"]))
                    results = [store.view(kind, r) for r in listed[offset:offset + limit]]
                    more = offset + limit < len(listed)
                else:
                    ids = [rid for _, rid in store.order[kind][offset:offset + limit]]
                    results = [store.view(kind, store.records[kind][rid]) for rid in ids]
                    more = offset + limit < len(store.order[kind])
            body = {"results": results}
            if more:
                body["paging"] = {"next": {"after": str(offset + limit)}}
            self.answer(200, body)

        def op_get_one(self, kind, match, payload, query):
            with store.lock:
                record = store.records[kind].get(match["id"])
                if not record:
                    return self.error(404, "Object not found", "OBJECT_NOT_FOUND")
                self.answer(200, store.view(kind, record))

        def op_create(self, kind, match, payload, query):
            with store.lock:
                self.answer(201, store.view(kind, store.put(kind, payload["properties"])))

        def op_update(self, kind, match, payload, query):
            with store.lock:
                if match["id"] not in store.records[kind]:
                    return self.error(404, "Object not found", "OBJECT_NOT_FOUND")
                self.answer(200, store.view(kind, store.put(kind, payload["properties"], match["id"])))

        def op_archive(self, kind, match, payload, query):
            with store.lock:
                if not store.archive(kind, match["id"]):
                    return self.error(404, "Object not found", "OBJECT_NOT_FOUND")
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def op_batch_read(self, kind, match, payload, query):
            with store.lock:
                found = [store.records[kind][i["id"]] for i in payload["inputs"] if i["id"] in store.records[kind]]
                results = [store.view(kind, r, payload.get("properties")) for r in found]
            now = iso(int(time.time() * 1000))
            self.answer(200, {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now})

        def op_batch_create(self, kind, match, payload, query):
            started = iso(int(time.time() * 1000))
            with store.lock:
                results = [store.view(kind, store.put(kind, i["properties"])) for i in payload["inputs"]]
            results.reverse()  # HubSpot promises no order: a client must not count on it
            self.answer(201, {"status": "COMPLETE", "results": results, "startedAt": started,
                              "completedAt": iso(int(time.time() * 1000))})

        def op_batch_update(self, kind, match, payload, query):
            started = iso(int(time.time() * 1000))
            with store.lock:
                records = store.records[kind]
                missing = [i["id"] for i in payload["inputs"] if i["id"] not in records]
                results = [store.view(kind, store.put(kind, i["properties"], i["id"])) for i in payload["inputs"] if i["id"] in records]
            body = {"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": iso(int(time.time() * 1000))}
            if missing:
                body["numErrors"] = 1
                body["errors"] = [{"status": "error", "category": "OBJECT_NOT_FOUND", "message": "Could not get some objects, they may be deleted or not exist.",
                                   "context": {"ids": missing}}]
            self.answer(207 if missing else 200, body)

        def test_endpoint(self, url, raw):
            data = json.loads(raw) if raw else {}
            if url.path == "/__stats":
                with stats_lock:
                    return self.answer(200, stats)
            if url.path == "/__records":
                kind = parse_qs(url.query)["type"][0]
                with store.lock:
                    return self.answer(200, [store.view(kind, r) for r in store.records[kind].values()])
            if url.path == "/__seed":
                kind, prefix = data["type"], data.get("prefix", "seed")
                with store.lock:
                    base = store.stamp()
                    for i in range(data["count"]):
                        store.put(kind, seed_properties(kind, prefix, i), modified=base + i // 10)
                    store.clock = max(store.clock, base + data["count"] // 10)
                return self.answer(200, {"seeded": data["count"]})
            if url.path == "/__archive":
                with store.lock:
                    return self.answer(200, {"archived": store.archive(data["type"], data["id"])})
            if url.path == "/__edit":
                with store.lock:
                    return self.answer(200, store.view(data["type"], store.put(data["type"], data["properties"], data["id"])))
            self.error(404, "no such test endpoint")

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


def seed_properties(kind, prefix, i):
    if kind == "deals":
        return {"dealname": f"{prefix} deal {i}", "amount": str(1000 + i), "dealstage": "qualifiedtobuy",
                "closedate": "2027-01-31T00:00:00.000Z"}
    if kind == "companies":
        return {"name": f"{prefix} company {i}", "domain": f"{prefix}{i}.example"}
    return {"email": f"{prefix}{i}@example.com", "firstname": "Person", "lastname": f"{prefix} {i}",
            "company": f"{prefix} Co {i % 100}", "phone": f"+1555{i:07d}", "lifecyclestage": "lead"}


if __name__ == "__main__":
    main()
