#!/usr/bin/env python3
"""A stateful stand-in for the Salesforce REST API subset sync uses (Lead, Contact, Account, Opportunity), on 127.0.0.1.

    python3 tests/support/standins/salesforce_standin.py [--port 0] [--batch 2000] [--session-calls 0]

Prints the port it listens on as stdout's first line; or `no-contracts: <where it looked>` and
exits with status 3 when the contract is missing. The base URL is http://127.0.0.1:PORT, which
the token answer gives back as instance_url.

Every request is checked against salesforce/salesforce-rest-subset.openapi.json in the shared
contracts (never copied here): the operation must be one of its paths, the token request's form
against TokenRequest, a composite body against CompositeRequest and each create in it against
the sObject's schema, a PATCH body against SObjectWrite and the object's schema without its
fields required on create (an update sends what changed); every data call
needs the bearer token the token endpoint gave. A rejected request is answered 400 and counted.

OAuth 2.0 client credentials give a token; with --session-calls N a token expires after N calls
(401 INVALID_SESSION_ID, as Salesforce answers an expired session). The web server flow too:
`GET /services/oauth2/authorize` is the page where a person consents (a browser page, not in the
contract's API): it consents at once, answering 302 to `redirect_uri` with a code and the state
(`&deny=1`: 302 with error=access_denied). The token endpoint then takes grant_type
authorization_code (the code once, the same redirect_uri, the PKCE code_verifier whose S256 is
the challenge given) and answers a refresh token with the access token; grant_type refresh_token
gives access tokens for it. SOQL: the two shapes sync
sends, `SELECT f, ... FROM T WHERE F >= 2026-01-01T00:00:00Z ORDER BY F ASC, Id ASC` and
`... WHERE F = 'v' LIMIT 1`, and the connection check's `SELECT Id FROM Account LIMIT 1`; results in batches of --batch with nextRecordsUrl. Records keep
LastModifiedDate (ms inside, shown as Salesforce does, +0000). Every answer carries
Sforce-Limit-Info: api-usage=N/15000.

DELETE of a record (the contract's sObject delete) answers 204, then 404 NOT_FOUND as Salesforce
does for a deleted record (its PATCH too); SOQL no longer finds it. A converted Lead is read-only:
its PATCH answers 400 CANNOT_UPDATE_CONVERTED_LEAD, as Salesforce does. Composite creates take
Leads, Accounts and Opportunities only (sync never creates a Contact). The subset has no Account
schema: an Account body is checked against SObjectWrite, and its Name required on create as
Salesforce's object reference says.

Test endpoints: POST /__seed {"type", "count", "prefix"?}; POST /__edit {"type", "id", "fields"};
POST /__delete {"type", "id"} (a person deletes it in Salesforce); POST /__convert {"id"} (a
person converts a Lead: it becomes IsConverted with ConvertedContactId, and a Contact is made
from its name, email and phone); GET /__records?type=;
GET /__stats {"requests", "rejected", "rejections", "tokens", "deleted"}.
"""

import argparse
import base64
import bisect
import hashlib
import json
import re
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlencode, urlparse

import jsonschema

import contracts

CONTRACT_FILE = "salesforce/salesforce-rest-subset.openapi.json"
PREFIX = {"Lead": "00Q", "Contact": "003", "Account": "001", "Opportunity": "006"}
CREATED = ("Lead", "Account", "Opportunity")  # what composite creates take
SELECT = re.compile(r"^SELECT (?P<fields>[\w, ]+) FROM (?P<type>\w+)(?: WHERE (?P<field>\w+) (?P<op>>=|=) "
                    r"(?P<value>'(?:[^'\\]|\\.)*'|[\dT:\-.Z]+))?(?: ORDER BY \w+ ASC, Id ASC)?(?: LIMIT (?P<limit>\d+))?$")


def validator(document, name, partial=False):
    """The schema `name` of the document; `partial`: without its required fields (an update
    sends only what changed: the Lead schema says "Required on create")."""
    root = json.loads(json.dumps(document))
    if partial:
        root["components"]["schemas"][name].pop("required", None)
    root["$ref"] = "#/components/schemas/" + name
    return jsonschema.Draft202012Validator(root)


def shown(ms):
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}+0000"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--session-calls", type=int, default=0)
    args = parser.parse_args()
    folder, looked = contracts.find(CONTRACT_FILE)
    if not folder:
        print("no-contracts: " + ", ".join(str(p) for p in looked), flush=True)
        sys.exit(3)
    document = json.loads((folder / CONTRACT_FILE).read_text())
    paths = [(re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", p) + "$"), set(ops)) for p, ops in document["paths"].items()]
    schemas = document["components"]["schemas"]
    checks = {name: validator(document, name) for name in ("TokenRequest", "CompositeRequest", "SObjectWrite") + CREATED if name in schemas}
    checks.update({name + " update": validator(document, name, partial=True) for name in PREFIX if name in schemas})
    lock = threading.Lock()
    records = {t: {} for t in PREFIX}
    order = {t: [] for t in PREFIX}
    locators = {}
    tokens = {}
    codes = {}  # authorization code -> (code_challenge, redirect_uri)
    refresh_tokens = set()
    state = {"clock": 0, "next": 1, "requests": 0, "rejected": 0, "rejections": [], "tokens": 0, "deleted": 0}

    def stamp():
        state["clock"] = max(state["clock"] + 1, int(time.time() * 1000))
        return state["clock"]

    def put(kind, fields, record_id=None, modified=None):
        modified = modified or stamp()
        if record_id is None:
            state["next"] += 1
            record_id = f"{PREFIX[kind]}{state['next']:015d}"
            records[kind][record_id] = {"Id": record_id}
        else:
            old = records[kind][record_id]
            order[kind].pop(bisect.bisect_left(order[kind], (old["_modified"], record_id)))
        record = records[kind][record_id]
        record.update(fields)
        record["_modified"] = modified
        bisect.insort(order[kind], (modified, record_id))
        return record

    def delete(kind, record_id):
        """True when there was such a record."""
        record = records.get(kind, {}).pop(record_id, None)
        if record is None:
            return False
        order[kind].pop(bisect.bisect_left(order[kind], (record["_modified"], record_id)))
        state["deleted"] += 1
        return True

    def view(kind, record, fields=None):
        out = {"attributes": {"type": kind, "url": f"/services/data/v60.0/sobjects/{kind}/{record['Id']}"}}
        for f in fields or [k for k in record if not k.startswith("_")] + ["LastModifiedDate"]:
            out[f] = shown(record["_modified"]) if f == "LastModifiedDate" else record.get(f)
        return out

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def answer(self, status, body):
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            if body is not None:
                self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Sforce-Limit-Info", f"api-usage={state['requests']}/15000")
            self.end_headers()
            self.wfile.write(data)

        def reject(self, message):
            with lock:
                state["rejected"] += 1
                state["rejections"].append(f"{self.command} {self.path}: {message}")
            self.answer(400, [{"message": message, "errorCode": "INVALID_REQUEST"}])

        def problems(self, name, instance):
            if name == "Account":  # no schema in the subset: its one field required on create
                return [] if isinstance(instance, dict) and instance.get("Name") else ["Account Name: required on create"]
            if name not in checks:
                return []
            return [f"{name} {'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message[:200]}"
                    for e in checks[name].iter_errors(instance)][:5]

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
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if url.path.startswith("/__"):
                return self.test_endpoint(url, raw)
            if url.path == "/services/oauth2/authorize" and self.command == "GET":
                return self.consent(parse_qs(url.query))
            with lock:
                state["requests"] += 1
            for pattern, ops in paths:
                match = pattern.match(url.path)
                if match and self.command.lower() in ops:
                    break
            else:
                return self.reject("no operation of the contract is " + self.command + " " + url.path)
            if url.path == "/services/oauth2/token":
                form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                found = self.problems("TokenRequest", form)
                if found or not (self.headers.get("Content-Type") or "").startswith("application/x-www-form-urlencoded"):
                    return self.reject("; ".join(found) or "the token request is a form")
                if form.get("client_id") != "sf-client" or form.get("client_secret") != "sf-secret":
                    return self.answer(400, {"error": "invalid_client", "error_description": "invalid client credentials"})
                grant, refresh = form.get("grant_type"), None
                if grant == "authorization_code":
                    with lock:
                        given = codes.pop(form.get("code", ""), None)
                    verifier = form.get("code_verifier", "").encode()
                    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
                    if not given or given != (challenge, form.get("redirect_uri")):
                        return self.answer(400, {"error": "invalid_grant", "error_description": "invalid authorization code"})
                    refresh = "5Aep" + uuid.uuid4().hex
                    with lock:
                        refresh_tokens.add(refresh)
                elif grant == "refresh_token":
                    if form.get("refresh_token") not in refresh_tokens:
                        return self.answer(400, {"error": "invalid_grant", "error_description": "expired access/refresh token"})
                elif grant != "client_credentials":
                    return self.answer(400, {"error": "unsupported_grant_type", "error_description": "grant type not supported"})
                token = "00D" + uuid.uuid4().hex
                with lock:
                    tokens[token] = 0
                    state["tokens"] += 1
                host = self.headers["Host"]
                body = {"access_token": token, "instance_url": f"http://{host}", "id": "https://login.salesforce.com/id/00D/005",
                        "token_type": "Bearer", "issued_at": str(int(time.time() * 1000)), "signature": "c2lnbmF0dXJl"}
                if refresh:
                    body["refresh_token"] = refresh
                return self.answer(200, body)
            token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
            with lock:
                if token not in tokens:
                    return self.reject("Authorization: Bearer <a token from /services/oauth2/token> is required")
                tokens[token] += 1
                expired = args.session_calls and tokens[token] > args.session_calls
            if expired:
                return self.answer(401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])
            body = None
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError:
                    return self.reject("the body is not JSON")
            if url.path.endswith("/query"):
                return self.query(parse_qs(url.query).get("q", [""])[0])
            if "/query/" in url.path:
                return self.more(match["queryLocator"])
            if url.path.endswith("/composite"):
                return self.composite(body)
            if self.command == "PATCH":
                return self.update(match["sObjectName"], match["id"], body)
            if self.command == "DELETE" and "id" in match.groupdict():
                with lock:
                    gone = not delete(match["sObjectName"], match["id"])
                if gone:
                    return self.answer(404, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}])
                return self.answer(204, None)
            self.reject("the stand-in does not serve " + self.command + " " + url.path)

        def consent(self, query):
            """The page where a person consents: at once, back to redirect_uri with a code."""
            one = {k: v[0] for k, v in query.items()}
            if one.get("response_type") != "code" or one.get("client_id") != "sf-client" or not one.get("redirect_uri") \
                    or one.get("code_challenge_method") != "S256" or not one.get("code_challenge") or not one.get("state"):
                return self.answer(400, {"error": "invalid_request", "error_description": "response_type=code, client_id, "
                                         "redirect_uri, state and an S256 code_challenge are required"})
            if one.get("deny") == "1":
                back = {"error": "access_denied", "error_description": "end-user denied authorization", "state": one["state"]}
            else:
                code = "aPrx" + uuid.uuid4().hex
                with lock:
                    codes[code] = (one["code_challenge"], one["redirect_uri"])
                back = {"code": code, "state": one["state"]}
            self.send_response(302)
            self.send_header("Location", one["redirect_uri"] + "?" + urlencode(back))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def query(self, soql):
            parsed = SELECT.match(soql)
            if not parsed or parsed["type"] not in PREFIX:
                return self.answer(400, [{"message": "unexpected SOQL: " + soql, "errorCode": "MALFORMED_QUERY"}])
            kind, fields = parsed["type"], [f.strip() for f in parsed["fields"].split(",")]
            with lock:
                if not parsed["op"]:
                    ids = [rid for _, rid in order[kind]][:int(parsed["limit"] or 2000)]
                elif parsed["op"] == ">=":
                    since = int(datetime.strptime(parsed["value"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp() * 1000)
                    ids = [rid for _, rid in order[kind][bisect.bisect_left(order[kind], (since, "")):]]
                else:
                    value = parsed["value"][1:-1].replace("\\'", "'").replace("\\\\", "\\")
                    ids = [rid for rid, r in records[kind].items() if r.get(parsed["field"]) == value][:int(parsed["limit"] or 2000)]
                found = [view(kind, records[kind][rid], fields) for rid in ids]
            self.page(found, 0)

        def page(self, found, start):
            batch = found[start:start + args.batch]
            body = {"totalSize": len(found), "done": start + args.batch >= len(found), "records": batch}
            if not body["done"]:
                locator = f"01g{uuid.uuid4().hex[:15]}-{start + args.batch}"
                with lock:
                    locators[locator] = (found, start + args.batch)
                body["nextRecordsUrl"] = "/services/data/v60.0/query/" + locator
            self.answer(200, body)

        def more(self, locator):
            with lock:
                held = locators.pop(unquote(locator), None)
            if not held:
                return self.answer(400, [{"message": "invalid query locator", "errorCode": "INVALID_QUERY_LOCATOR"}])
            self.page(*held)

        def composite(self, body):
            found = self.problems("CompositeRequest", body)
            for sub in body.get("compositeRequest", []) if not found else []:
                kind = sub["url"].rsplit("/", 1)[-1]
                if sub["method"] != "POST" or kind not in CREATED:
                    found.append("the stand-in serves composite creates of Lead and Opportunity")
                else:
                    found += self.problems("SObjectWrite", sub.get("body")) + self.problems(kind, sub.get("body"))
            if found:
                return self.reject("; ".join(found))
            results = []
            with lock:
                for sub in body["compositeRequest"]:
                    made = put(sub["url"].rsplit("/", 1)[-1], sub["body"])
                    results.append({"body": {"id": made["Id"], "success": True, "errors": []}, "httpHeaders": {},
                                    "httpStatusCode": 201, "referenceId": sub["referenceId"]})
            self.answer(200, {"compositeResponse": results})

        def update(self, kind, record_id, body):
            found = self.problems("SObjectWrite", body) + self.problems(kind + " update", body)
            if found:
                return self.reject("; ".join(found))
            with lock:
                if record_id not in records.get(kind, {}):
                    return self.answer(404, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}])
                if records[kind][record_id].get("IsConverted"):
                    return self.answer(400, [{"message": "cannot reference converted lead", "errorCode": "CANNOT_UPDATE_CONVERTED_LEAD"}])
                put(kind, body, record_id)
            self.answer(204, None)

        def test_endpoint(self, url, raw):
            data = json.loads(raw) if raw else {}
            with lock:
                if url.path == "/__stats":
                    return self.answer(200, {k: state[k] for k in ("requests", "rejected", "rejections", "tokens", "deleted")})
                if url.path == "/__records":
                    kind = parse_qs(url.query)["type"][0]
                    return self.answer(200, [view(kind, r) for r in records[kind].values()])
                if url.path == "/__seed":
                    kind, prefix = data["type"], data.get("prefix", "seed")
                    for i in range(data["count"]):
                        person = {"FirstName": "Person", "LastName": f"{prefix} {i}", "Email": f"{prefix}{i}@example.com", "Phone": None}
                        put(kind, dict(person, Company=f"{prefix} Co") if kind == "Lead" else person if kind == "Contact" else
                            {"Name": f"{prefix} account {i}", "Industry": "Software", "Website": f"https://{prefix}{i}.example"}
                            if kind == "Account" else
                            {"Name": f"{prefix} deal {i}", "Amount": 1000 + i, "StageName": "Qualification", "CloseDate": "2027-01-31"})
                    return self.answer(200, {"seeded": data["count"]})
                if url.path == "/__edit":
                    return self.answer(200, view(data["type"], put(data["type"], data["fields"], data["id"])))
                if url.path == "/__convert":
                    lead = records["Lead"][data["id"]]
                    contact = put("Contact", {k: lead.get(k) for k in ("FirstName", "LastName", "Email", "Phone")})
                    put("Lead", {"IsConverted": True, "ConvertedContactId": contact["Id"]}, data["id"])
                    return self.answer(200, view("Contact", contact))
                if url.path == "/__delete":
                    return self.answer(200, {"deleted": delete(data["type"], data["id"])})
            self.answer(404, {"message": "no such test endpoint"})

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
