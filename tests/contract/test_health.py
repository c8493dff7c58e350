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
