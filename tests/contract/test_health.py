"""Public operational endpoints: /healthz, /readyz, /metrics."""
import re

# One sample line of the Prometheus text format 0.0.4: name{labels} value [timestamp]
SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)'
                       r'(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})?'
                       r' (-?[0-9.eE+-]+|NaN|[+-]Inf)( -?\d+)?$')


def test_healthz_is_public_json(srv):
    r = srv.anonymous().get("/healthz")
    assert r.status == 200, r
    assert r.content_type.startswith("application/json"), r
    assert r.body == {"status": "ok"}, r


def test_readyz_is_public_and_ready(srv):
    r = srv.anonymous().get("/readyz")
    assert r.status == 200, r
    assert r.content_type.startswith("application/json"), r
    assert r.body == {"status": "ready"}, r


def test_health_endpoints_answer_with_credentials_too(srv):
    for role in ("viewer", "agent"):
        for path in ("/healthz", "/readyz", "/metrics"):
            assert srv.as_(role).get(path).status == 200, (role, path)


def test_metrics_is_prometheus_text(srv):
    srv.anonymous().get("/healthz")  # at least one request has been served
    r = srv.anonymous().get("/metrics")
    assert r.status == 200, r
    assert r.content_type.startswith("text/plain; version=0.0.4"), r.content_type
    lines = r.body.splitlines()
    types = {}
    for line in lines:
        if line.startswith("# TYPE "):
            parts = line.split()
            assert len(parts) == 4, line
            assert parts[3] in ("counter", "gauge", "histogram", "summary", "untyped"), line
            assert parts[2] not in types, f"family {parts[2]} declared twice"
            types[parts[2]] = parts[3]
    assert types, "no '# TYPE' line"
    samples = [l for l in lines if l and not l.startswith("#")]
    assert samples, "no samples"
    for line in samples:
        m = SAMPLE_RE.match(line)
        assert m, f"not a Prometheus sample line: {line!r}"
        name = m.group(1)
        family = re.sub(r"_(bucket|sum|count|total|created)$", "", name)
        assert name in types or family in types or family + "_total" in types, f"sample {name} of no declared family"
    # the families the dashboards and docs rely on
    assert types.get("de_http_requests_total") == "counter", types
    assert 'de_tasks{status="queued"}' in r.body
    assert "de_store_batches_total" in r.body


def test_metrics_needs_no_credentials_and_is_text_even_with_accept_json(srv):
    r = srv.anonymous().get("/metrics", headers={"Accept": "application/json"})
    assert r.status == 200
    assert r.content_type.lower().startswith("text/plain")
    assert "# TYPE " in r.body


def metric_value(text, name, labels):
    """The value of the sample `name{labels}` (labels as rendered, in order), or None."""
    prefix = f"{name}{{{labels}}} "
    for line in text.splitlines():
        if line.startswith(prefix):
            return float(line[len(prefix):])
    return None


def test_requests_are_counted_by_route_template_never_by_path(srv):
    client = srv.as_("viewer")
    missing = "01a20ce4-61b4-7003-b6ba-9486d2112aa4"
    before = srv.anonymous().get("/metrics").body
    assert client.get(f"/api/v1/agents/{missing}").status == 404
    assert client.post(f"/api/v1/agents/{missing}/nonsense", json={}).status == 404
    text = srv.anonymous().get("/metrics").body
    labels = 'method="GET",route="/api/v1/agents/{id}",status="404"'
    assert metric_value(text, "de_http_requests_total", labels) >= (metric_value(before, "de_http_requests_total", labels) or 0) + 1
    assert 'route="/api/v1/agents/{id}",le="+Inf"' in text
    assert missing not in text, "a path (with its id) became a label"
    assert metric_value(text, "de_http_requests_total", 'method="ANY",route="(none)",status="404"') >= 1


def test_metrics_count_tasks_by_type_and_websocket_clients(srv):
    r = srv.as_("operator").post("/api/v1/tasks", json={"type": "echo", "input_data": {"m": 1}})
    assert r.status == 201, r
    text = srv.anonymous().get("/metrics").body
    assert metric_value(text, "de_task_transitions_total", 'type="echo",status="created"') >= 1
    for family in ("de_task_lease_takeovers_total", "de_db_commit_duration_seconds_count",
                   "de_db_pool_max_connections", 'de_websocket_clients{route="/ws/notifications"}',
                   'de_websocket_dropped_clients_total{route="/ws/agents"}'):
        assert family in text, family


def test_readyz_is_unavailable_while_a_migration_is_missing(server_factory):
    """Ready means the database answers and holds every migration the binary knows: a schema
    rolled back under a running node (or a restored older backup) makes it unready until fixed."""
    server = server_factory("postgres", init=False)
    (version, name, applied_at), = server.sql(
        "SELECT version, name, applied_at FROM schema_migrations ORDER BY version DESC LIMIT 1")
    server.sql("DELETE FROM schema_migrations WHERE version = ?", (version,))
    r = server.client().get("/readyz")
    assert r.status == 503, r
    assert r.content_type.startswith("application/problem+json"), r
    assert f"lacks migrations {version}" in r.body["detail"], r.body
    assert server.client().get("/healthz").status == 200  # alive, only not ready
    server.sql("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
               (version, name, applied_at))
    assert server.client().get("/readyz").status == 200
