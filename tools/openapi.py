# Writes the OpenAPI document: python3 tools/openapi.py > src/api/openapi.json
# (the server embeds that file; tests check it lists exactly the routes served).
import json
P = lambda name, schema={"type":"string"}, where="query", req=False, desc=None: {"name":name,"in":where,"required":req or where=="path","schema":schema, **({"description":desc} if desc else {})}
ID = P("id", {"type":"string","format":"uuid"}, "path")
LIMIT = P("limit", {"type":"integer","minimum":1,"maximum":500,"default":50})
CURSOR = P("cursor", {"type":"string"}, desc="next_cursor of the previous page")
def ref(n): return {"$ref": f"#/components/schemas/{n}"}
def body(schema): return {"required": True, "content": {"application/json": {"schema": schema}}}
def ok(schema, code="200", desc="OK"): return {code: {"description": desc, "content": {"application/json": {"schema": schema}}}}
def page(n): return {"type":"object","properties":{"items":{"type":"array","items":ref(n)},"next_cursor":{"type":["string","null"]}}}
PROBLEM = {"description":"Error (RFC 9457)","content":{"application/problem+json":{"schema":ref("Problem")}}}
def op(summary, tag, responses, params=None, req=None, secured=True, roles=None):
    o = {"summary": summary, "tags":[tag], "responses": {**responses, "default": PROBLEM}}
    if params: o["parameters"] = params
    if req: o["requestBody"] = req
    if not secured: o["security"] = []
    if roles: o["x-roles"] = roles
    return o
R_ALL = ["admin","manager","operator","viewer"]
R_MGR = ["admin","manager"]; R_OP = ["admin","manager","operator"]; R_ADM = ["admin"]; R_ANY = R_ALL+["agent"]
paths = {
 "/healthz": {"get": op("Process is up", "system", ok({"type":"object"}), secured=False)},
 "/readyz": {"get": op("Database is reachable", "system", ok({"type":"object"}), secured=False)},
 "/metrics": {"get": op("Prometheus metrics", "system", {"200":{"description":"Prometheus text format","content":{"text/plain":{"schema":{"type":"string"}}}}}, secured=False)},
 "/api/v1/openapi.json": {"get": op("This document", "system", ok({"type":"object"}), secured=False)},
 "/api/v1/auth/login": {"post": op("Log in", "auth", ok(ref("TokenPair")), req=body(ref("Login")), secured=False)},
 "/api/v1/auth/refresh": {"post": op("Rotate a refresh token", "auth", ok(ref("TokenPair")), req=body(ref("RefreshRequest")), secured=False)},
 "/api/v1/auth/logout": {"post": op("Revoke a refresh token's session", "auth", {"204":{"description":"Logged out"}}, req=body(ref("RefreshRequest")), secured=False)},
 "/api/v1/users/me": {"get": op("The caller", "users", ok(ref("User")), roles=R_ANY)},
 "/api/v1/users": {"get": op("List users", "users", ok(page("User")), [LIMIT, CURSOR], roles=R_ADM),
                    "post": op("Create a user", "users", ok(ref("User"),"201","Created"), req=body(ref("NewUser")), roles=R_ADM)},
 "/api/v1/users/{id}": {"get": op("Get a user (admin, or yourself)", "users", ok(ref("User")), [ID], roles=R_ANY),
                         "patch": op("Change a user (admin; anyone: own password with current_password)", "users", ok(ref("User")), [ID], req=body(ref("UserChange")), roles=R_ANY),
                         "delete": op("Delete a user", "users", {"204":{"description":"Deleted"}}, [ID], roles=R_ADM)},
 "/api/v1/api-keys": {"get": op("List API keys", "api-keys", ok(page("ApiKey")), [LIMIT, CURSOR], roles=R_ADM),
                       "post": op("Create an API key (the key is shown once)", "api-keys", ok(ref("NewApiKeyResult"),"201","Created"), req=body(ref("NewApiKey")), roles=R_ADM)},
 "/api/v1/api-keys/{id}": {"delete": op("Revoke an API key", "api-keys", {"204":{"description":"Deleted"}}, [ID], roles=R_ADM)},
 "/api/v1/agents": {"get": op("List agents", "agents", ok(page("Agent")), [LIMIT, CURSOR, P("status"), P("type")], roles=R_ALL),
                     "post": op("Create an agent", "agents", ok(ref("Agent"),"201","Created"), req=body(ref("NewAgent")), roles=R_MGR)},
 "/api/v1/agents/{id}": {"get": op("Get an agent", "agents", ok(ref("Agent")), [ID], roles=R_ALL),
                          "patch": op("Change an agent", "agents", ok(ref("Agent")), [ID], req=body(ref("AgentChange")), roles=R_MGR),
                          "delete": op("Delete an agent", "agents", {"204":{"description":"Deleted"}}, [ID], roles=R_MGR)},
 "/api/v1/agents/{id}/start": {"post": op("Start (resume) an agent", "agents", ok(ref("Agent")), [ID], roles=R_OP)},
 "/api/v1/agents/{id}/pause": {"post": op("Pause an agent", "agents", ok(ref("Agent")), [ID], roles=R_OP)},
 "/api/v1/agents/{id}/stop": {"post": op("Stop an agent", "agents", ok(ref("Agent")), [ID], roles=R_OP)},
 "/api/v1/agents/{id}/execute": {"post": op("Run a task on this agent and answer the finished task (504 with task_id after timeout_ms)", "agents", ok(ref("Task")), [ID, P("timeout_ms", {"type":"integer","minimum":1,"maximum":300000,"default":30000})], req=body(ref("NewTask")), roles=R_OP)},
 "/api/v1/tasks": {"get": op("List tasks", "tasks", ok(page("Task")), [LIMIT, CURSOR, P("status"), P("type"), P("agent", {"type":"string","format":"uuid"})], roles=R_ALL),
                    "post": op("Create a task (Idempotency-Key honoured)", "tasks", {**ok(ref("Task"),"201","Created"), **ok(ref("Task"),"200","Replayed: the task an earlier request with this Idempotency-Key created")}, [P("Idempotency-Key", where="header")], req=body(ref("NewTask")), roles=R_OP)},
 "/api/v1/tasks/batch": {"post": op("Create up to 1000 tasks, all or none", "tasks", ok({"type":"object","properties":{"items":{"type":"array","items":ref("Task")}}},"201","Created"), req=body({"type":"object","required":["tasks"],"properties":{"tasks":{"type":"array","items":ref("NewTask"),"minItems":1,"maxItems":1000}}}), roles=R_OP)},
 "/api/v1/tasks/{id}": {"get": op("Get a task", "tasks", ok(ref("Task")), [ID], roles=R_ALL)},
 "/api/v1/tasks/{id}/cancel": {"post": op("Cancel a pending, queued or running task", "tasks", ok(ref("Task")), [ID], roles=R_OP)},
 "/api/v1/tasks/{id}/retry": {"post": op("Queue a failed or cancelled task again", "tasks", ok(ref("Task")), [ID], roles=R_OP)},
 "/api/v1/analytics/metrics": {"get": op("A metric as a time series", "analytics", ok({"type":"object","properties":{"series":{"type":"array","items":{"type":"object","properties":{"t":{"type":"string","format":"date-time"},"value":{"type":"number"}}}}}}),
                                   [P("name", req=True), P("agent_id"), P("from", {"type":"string","format":"date-time"}), P("to", {"type":"string","format":"date-time"}), P("bucket", {"enum":["1m","1h","1d"]}), P("agg", {"enum":["sum","avg","min","max","count"]})], roles=R_ALL),
                                "post": op("Record a metric", "analytics", ok(ref("Metric"),"201","Created"), req=body(ref("Metric")), roles=R_MGR)},
 "/api/v1/messages": {"get": op("Messages from or to an agent", "messages", ok(page("Message")), [LIMIT, CURSOR, P("agent_id", {"type":"string","format":"uuid"})], roles=R_ALL),
                       "post": op("Send a message to an agent (delivered at once when it is connected)", "messages", ok(ref("Message"),"201","Created"), req=body(ref("NewMessage")), roles=R_OP)},
 "/api/v1/workflows": {"get": op("List workflows", "workflows", ok(page("Workflow")), [LIMIT, CURSOR], roles=R_ALL),
                        "post": op("Create a workflow (the definition is validated: errors name the step and field)", "workflows", ok(ref("Workflow"),"201","Created"), req=body(ref("NewWorkflow")), roles=R_MGR)},
 "/api/v1/workflows/{id}": {"get": op("Get a workflow", "workflows", ok(ref("Workflow")), [ID], roles=R_ALL),
                             "patch": op("Change a workflow", "workflows", ok(ref("Workflow")), [ID], req=body(ref("NewWorkflow")), roles=R_MGR),
                             "delete": op("Delete a workflow and its executions", "workflows", {"204":{"description":"Deleted"}}, [ID], roles=R_MGR)},
 "/api/v1/workflows/{id}/execute": {"post": op("Run a workflow", "workflows", ok(ref("Execution"),"201","Started"), [ID], req=body({"type":"object","properties":{"input":{"type":"object"}}}), roles=R_OP)},
 "/api/v1/workflow-executions": {"get": op("List executions", "workflows", ok(page("Execution")), [LIMIT, CURSOR, P("workflow_id", {"type":"string","format":"uuid"})], roles=R_ALL)},
 "/api/v1/workflow-executions/{id}": {"get": op("An execution with its steps", "workflows", ok(ref("Execution")), [ID], roles=R_ALL)},
 "/api/v1/workflow-executions/{id}/cancel": {"post": op("Cancel an execution", "workflows", ok(ref("Execution")), [ID], roles=R_OP)},
 "/api/v1/workflow-executions/{id}/steps/{step_id}/approve": {"post": op("Approve or reject a waiting approval step (the step's role, or admin)", "workflows", ok(ref("Execution")), [ID, P("step_id", where="path")], req=body({"type":"object","required":["approved"],"properties":{"approved":{"type":"boolean"},"comment":{"type":"string"}}}), roles=R_OP)},
 "/api/v1/hooks/{token}": {"post": op("Webhook trigger: starts the workflow; 202 with the execution id, or 200 with its output when the trigger has respond_with_output", "workflows", {**ok({"type":"object"},"202","Started"), **ok({"type":"object"},"200","Finished, with the workflow's output")}, [P("token", where="path")], req={"required": False, "content": {"application/json": {"schema": {"type":"object"}}}}, secured=False)},
 "/api/v1/analytics/summary": {"get": op("KPIs", "analytics", ok(ref("Summary")), roles=R_ALL)},
}
S = lambda **p: {"type":"string", **p}
ts = S(format="date-time")
schemas = {
 "Problem": {"type":"object","required":["type","title","status","detail"],"properties":{"type":S(),"title":S(),"status":{"type":"integer"},"detail":S(),"errors":{"type":"array","items":{"type":"object","properties":{"field":S(),"message":S()}}}}},
 "Login": {"type":"object","required":["password"],"properties":{"email":S(),"username":S(),"password":S()}},
 "RefreshRequest": {"type":"object","required":["refresh_token"],"properties":{"refresh_token":S()}},
 "TokenPair": {"type":"object","properties":{"access_token":S(),"token_type":S(enum=["Bearer"]),"expires_in":{"type":"integer"},"refresh_token":S(),"user":ref("User")}},
 "Role": S(enum=["admin","manager","operator","viewer","agent"]),
 "User": {"type":"object","properties":{"id":S(format="uuid"),"email":S(),"username":S(),"roles":{"type":"array","items":ref("Role")},"is_active":{"type":"boolean"},"created_at":ts,"updated_at":ts}},
 "NewUser": {"type":"object","required":["email","password"],"additionalProperties":False,"properties":{"email":S(),"username":S(),"password":S(minLength=8),"roles":{"type":"array","items":ref("Role")}}},
 "UserChange": {"type":"object","additionalProperties":False,"properties":{"email":S(),"username":S(),"password":S(minLength=8),"current_password":S(),"roles":{"type":"array","items":ref("Role")},"is_active":{"type":"boolean"}}},
 "ApiKey": {"type":"object","properties":{"id":S(format="uuid"),"user_id":S(format="uuid"),"name":S(),"prefix":S(),"roles":{"type":"array","items":ref("Role")},"created_at":ts,"last_used_at":{"type":["string","null"],"format":"date-time"}}},
 "NewApiKey": {"type":"object","required":["name","roles"],"additionalProperties":False,"properties":{"name":S(),"roles":{"type":"array","items":ref("Role")}}},
 "NewApiKeyResult": {"allOf":[ref("ApiKey"),{"type":"object","properties":{"key":S(description="shown only in this response")}}]},
 "AgentStatus": S(enum=["idle","busy","paused","stopped","offline","error"]),
 "Agent": {"type":"object","properties":{"id":S(format="uuid"),"name":S(),"type":S(enum=["product_manager","sales","marketing","echo","remote"]),"version":S(),"config":{"type":"object"},"status":ref("AgentStatus"),"capabilities":{"type":"array","items":S()},"created_by":{"type":["string","null"]},"created_at":ts,"updated_at":ts,
     "stats":{"type":"object","properties":{"tasks_completed":{"type":"integer"},"tasks_failed":{"type":"integer"},"avg_latency_ms":{"type":"number"},"queue_depth":{"type":"integer"}}}}},
 "NewAgent": {"type":"object","required":["name","type"],"additionalProperties":False,"properties":{"name":S(),"type":S(enum=["product_manager","sales","marketing","echo","remote"]),"version":S(),"capabilities":{"type":"array","items":S()},"config":{"type":"object"}}},
 "AgentChange": {"type":"object","additionalProperties":False,"properties":{"name":S(),"version":S(),"capabilities":{"type":"array","items":S()},"config":{"type":"object"}}},
 "Task": {"type":"object","properties":{"id":S(format="uuid"),"title":S(),"description":S(),"type":S(),"status":S(enum=["pending","queued","running","completed","failed","cancelled"]),"priority":S(enum=["low","normal","high","critical"]),"assigned_agent":{"type":["string","null"],"description":"the agent running it, or that ran it last"},"pinned_agent":{"type":["string","null"],"description":"the agent asked for at creation; only it runs the task"},"created_by":{"type":["string","null"]},"input_data":{"type":"object"},"output_data":{},"error":{"type":["string","null"]},"attempts":{"type":"integer"},"max_attempts":{"type":"integer"},"timeout_ms":{"type":"integer"},"started_at":{"type":["string","null"]},"completed_at":{"type":["string","null"]},"created_at":ts,"updated_at":ts}},
 "NewTask": {"type":"object","required":["type"],"additionalProperties":False,"properties":{"type":S(pattern="^[a-z0-9_.-]{1,100}$"),"title":S(),"description":S(),"priority":S(enum=["low","normal","high","critical"]),"input_data":{"type":"object"},"assigned_agent":S(format="uuid"),"max_attempts":{"type":"integer","minimum":1,"maximum":10},"timeout_ms":{"type":"integer","minimum":1,"maximum":3600000}}},
 "Message": {"type":"object","properties":{"id":S(format="uuid"),"from_agent":{"type":["string","null"]},"to_agent":S(format="uuid"),"message_type":S(),"payload":{},"status":S(enum=["sent","delivered"]),"sent_at":ts,"delivered_at":{"type":["string","null"]}}},
 "NewMessage": {"type":"object","required":["to_agent","message_type"],"additionalProperties":False,"properties":{"from_agent":S(format="uuid"),"to_agent":S(format="uuid"),"message_type":S(),"payload":{}}},
 "Workflow": {"type":"object","properties":{"id":S(format="uuid"),"name":S(),"description":S(),"definition":{"type":"object","description":"docs/workflows.md"},"status":S(enum=["draft","active","archived"]),"webhook_url":S(),"created_by":{"type":["string","null"]},"created_at":ts,"updated_at":ts}},
 "NewWorkflow": {"type":"object","required":["name","definition"],"additionalProperties":False,"properties":{"name":S(),"description":S(),"status":S(enum=["draft","active","archived"]),"definition":{"type":"object"}}},
 "Execution": {"type":"object","properties":{"id":S(format="uuid"),"workflow_id":S(format="uuid"),"status":S(enum=["pending","running","waiting","completed","failed","cancelled"]),"trigger":S(),"input":{"type":"object"},"output":{},"error":{"type":["string","null"]},"started_at":{"type":["string","null"]},"completed_at":{"type":["string","null"]},"created_at":ts,
   "steps":{"type":"array","items":{"type":"object","properties":{"id":S(),"type":S(),"status":S(enum=["pending","running","waiting","completed","failed","skipped","cancelled"]),"attempts":{"type":"integer"},"input":{},"output":{},"error":{"type":["string","null"]},"task_id":{"type":["string","null"]},"started_at":{"type":["string","null"]},"completed_at":{"type":["string","null"]}}}}}},
 "Metric": {"type":"object","required":["name","value"],"properties":{"name":S(),"value":{"type":"number"},"agent_id":S(format="uuid"),"tags":{"type":"object"},"recorded_at":ts}},
 "Summary": {"type":"object","properties":{"tasks_by_status":{"type":"object"},"tasks_total":{"type":"integer"},"success_rate":{"type":["number","null"]},"latency_ms":{"type":"object","properties":{"p50":{"type":["number","null"]},"p95":{"type":["number","null"]}}},"agents_by_status":{"type":"object"},"queue_depth":{"type":"integer"},"pipeline_value":{"type":["number","null"]},"weighted_pipeline_value":{"type":["number","null"]},"campaign_roi":{"type":["number","null"]},"leads_scored":{"type":["integer","null"]}}},
}
doc = {"openapi":"3.1.0","info":{"title":"Digital Enterprise API","version":"0.1.0","description":"REST API of the Digital Enterprise multi-agent platform. Errors are RFC 9457 problem+json. x-roles lists the roles allowed on each operation."},
 "servers":[{"url":"http://127.0.0.1:8080"}],
 "security":[{"bearer":[]},{"apiKey":[]}],
 "paths": paths,
 "components":{"securitySchemes":{"bearer":{"type":"http","scheme":"bearer","bearerFormat":"JWT"},"apiKey":{"type":"apiKey","in":"header","name":"X-API-Key"}},"schemas":schemas}}
print(json.dumps(doc, indent=1))
