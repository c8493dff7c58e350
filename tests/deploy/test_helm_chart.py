"""deploy/helm/digital-enterprise rendered without Helm (tests/deploy-npm/render-chart.mjs: Go's
own text/template engine, the chart using its built-ins only) and every manifest validated
against the Kubernetes schemas (kubernetes-models; the ServiceMonitor against the Prometheus
operator's). The values are checked against values.schema.json as Helm would. `helm lint` and
`helm template` run in the GitHub pipeline, where Helm installs."""
import copy
import json
import os
import re
import shutil

import jsonschema
import pytest
import yaml

from deploy_files import CHART, node_tool, render_chart, stage
from support.server import ROOT

# What a release names: the existing Secret with the JWT secret and master key, the database's.
REQUIRED = {"secrets": {"existingSecret": "de-keys"}, "database": {"existingSecret": "de-keys"}}
EVERYTHING_ON = {**REQUIRED, "serviceMonitor": {"enabled": True},
                 "ingress": {"enabled": True, "tlsSecretName": "de-tls"}}


def merged(overrides):
    def merge(base, over):
        out = dict(base)
        for k, v in over.items():
            out[k] = merge(base[k], v) if isinstance(v, dict) and isinstance(base.get(k), dict) else v
        return out
    return merge(yaml.safe_load(open(os.path.join(CHART, "values.yaml"))), overrides)


def schema_errors(overrides):
    schema = json.load(open(os.path.join(CHART, "values.schema.json")))
    return [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(merged(overrides))]


@pytest.fixture(scope="module")
def rendered():
    result = render_chart(EVERYTHING_ON)
    assert result["errors"] == [], "\n".join(result["errors"])
    return result


def the(rendered, kind):
    found = [m["object"] for m in rendered["manifests"] if m["object"]["kind"] == kind]
    assert len(found) == 1, f"{len(found)} {kind}"
    return found[0]


def env_of(container):
    return {e["name"]: e for e in container.get("env", [])}


def mebibytes(quantity):
    number, unit = re.fullmatch(r"(\d+)(Mi|Gi)", quantity).groups()
    return int(number) * (1024 if unit == "Gi" else 1)


def test_the_values_need_the_secrets_and_a_database():
    assert schema_errors(REQUIRED) == []
    assert schema_errors(EVERYTHING_ON) == []
    assert schema_errors({}), "values.yaml alone names no Secret and no database"
    assert schema_errors({"secrets": {"existingSecret": "de-keys"}}), "no database"
    assert schema_errors({**REQUIRED, "admin": {"password": "short"}}), "a password under 8 characters"
    assert schema_errors({**REQUIRED, "database": {"url": "mysql://x"}}), "not PostgreSQL"
    assert schema_errors({**REQUIRED, "extraConfig": {"PATH": "/tmp"}}), "extraConfig takes DE_* only"


def test_every_manifest_matches_the_kubernetes_schemas(rendered):
    kinds = sorted(m["object"]["kind"] for m in rendered["manifests"])
    assert kinds == ["ConfigMap", "Deployment", "HorizontalPodAutoscaler", "Ingress", "Job", "PodDisruptionBudget",
                     "Service", "ServiceAccount", "ServiceMonitor"], kinds
    assert "Sign in as admin@example.com" in rendered["notes"]


def test_the_validation_catches_a_manifest_kubernetes_would_refuse():
    result = render_chart({**REQUIRED, "service": {"port": "eighty"}})
    assert any("Service does not match the Kubernetes schema" in e for e in result["errors"]), result["errors"]


def test_the_pods_run_the_image_as_its_non_root_user_with_probes_and_measured_resources(rendered):
    deployment = the(rendered, "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    uid, gid = (int(x) for x in stage("runtime").one("USER").split(":"))
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert (pod["securityContext"]["runAsUser"], pod["securityContext"]["runAsGroup"]) == (uid, gid)
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    assert container["args"] == ["serve"]
    # the data folder (kept secrets, SQLite) is writable although the root file system is not
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert stage("runtime").env()["DE_DATA_DIR"] in mounts and "/tmp" in mounts
    # docs/performance.md: 212 MiB peak training and scoring 45,211 leads, +64 MiB per Argon2id login
    assert mebibytes(container["resources"]["limits"]["memory"]) >= 212 + 64
    assert mebibytes(container["resources"]["requests"]["memory"]) >= 36  # RSS under load (b)
    assert "cpu" not in container["resources"]["limits"], "a CPU limit throttles into tail latency"
    # autoscaled: no fixed replica count to fight the HPA
    assert "replicas" not in deployment["spec"]


def test_the_secrets_come_from_the_existing_secret_and_nothing_secret_is_in_plain_values(rendered):
    (container,) = the(rendered, "Deployment")["spec"]["template"]["spec"]["containers"]
    env = env_of(container)
    for name, key in (("DE_JWT_SECRET", "jwt-secret"), ("DE_MASTER_KEY", "master-key"), ("DE_DATABASE_URL", "database-url")):
        assert env[name]["valueFrom"]["secretKeyRef"] == {"name": "de-keys", "key": key}, env[name]
    assert "DE_ADMIN_PASSWORD" not in env  # none given
    config = the(rendered, "ConfigMap")["data"]
    assert not {"DE_JWT_SECRET", "DE_MASTER_KEY", "DE_DATABASE_URL", "DE_ADMIN_PASSWORD"} & set(config)
    assert config["DE_LISTEN"] == "0.0.0.0:8080"
    assert [c["configMapRef"]["name"] for c in container["envFrom"]] == [the(rendered, "ConfigMap")["metadata"]["name"]]


def test_every_configmap_variable_is_in_the_readme_configuration_table(rendered):
    readme = open(os.path.join(ROOT, "README.md")).read()
    for name in the(rendered, "ConfigMap")["data"]:
        assert f"`{name}`" in readme, f"{name} is not documented in README.md"


def test_inline_values_make_the_charts_own_secret():
    result = render_chart({"secrets": {"existingSecret": "de-keys"}, "database": {"url": "postgres://de:pw@db/de"},
                           "admin": {"password": "first-admin-password"}})
    assert result["errors"] == [], result["errors"]
    secret = the(result, "Secret")
    assert secret["stringData"] == {"database-url": "postgres://de:pw@db/de", "admin-password": "first-admin-password"}
    (container,) = the(result, "Deployment")["spec"]["template"]["spec"]["containers"]
    env = env_of(container)
    assert env["DE_DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {"name": secret["metadata"]["name"], "key": "database-url"}
    assert env["DE_ADMIN_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": secret["metadata"]["name"], "key": "admin-password"}
    annotations = the(result, "Deployment")["spec"]["template"]["metadata"]["annotations"]
    assert "pw@" not in json.dumps(annotations) and "first-admin-password" not in json.dumps(annotations)


def test_the_ingress_keeps_websockets_open_and_takes_csv_imports(rendered):
    ingress = the(rendered, "Ingress")
    annotations = ingress["metadata"]["annotations"]
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-send-timeout"]) >= 3600
    assert annotations["nginx.ingress.kubernetes.io/proxy-body-size"] == "64m"  # the CSV import's limit
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": the(rendered, "Service")["metadata"]["name"], "port": {"name": "http"}}
    assert ingress["spec"]["tls"][0]["secretName"] == "de-tls"


def test_migrations_run_as_a_pre_upgrade_job_with_the_same_image(rendered):
    job = the(rendered, "Job")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-upgrade"
    (container,) = job["spec"]["template"]["spec"]["containers"]
    (server,) = the(rendered, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["migrate"] and container["image"] == server["image"]
    assert env_of(container)["DE_DATABASE_URL"] == env_of(server)["DE_DATABASE_URL"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert job["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True


def test_service_autoscaler_budget_and_monitor_select_the_pods(rendered):
    pod_labels = the(rendered, "Deployment")["spec"]["template"]["metadata"]["labels"]
    service = the(rendered, "Service")

    def selects(selector, labels):
        return selector and all(labels.get(k) == v for k, v in selector.items())

    assert selects(service["spec"]["selector"], pod_labels)
    assert selects(the(rendered, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"], pod_labels)
    hpa = the(rendered, "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                             "name": the(rendered, "Deployment")["metadata"]["name"]}
    assert hpa["spec"]["minReplicas"] > the(rendered, "PodDisruptionBudget")["spec"]["minAvailable"]
    monitor = the(rendered, "ServiceMonitor")
    assert selects(monitor["spec"]["selector"]["matchLabels"], service["metadata"]["labels"])
    assert monitor["spec"]["endpoints"] == [{"port": "http", "path": "/metrics", "interval": "30s"}]


def test_switches_leave_their_objects_out():
    result = render_chart({**REQUIRED, "autoscaling": {"enabled": False}, "podDisruptionBudget": {"enabled": False},
                           "migrations": {"enabled": False}, "replicaCount": 2})
    assert result["errors"] == [], result["errors"]
    kinds = sorted(m["object"]["kind"] for m in result["manifests"])
    assert kinds == ["ConfigMap", "Deployment", "Service", "ServiceAccount"], kinds
    assert the(result, "Deployment")["spec"]["replicas"] == 2


def test_a_helm_or_sprig_function_does_not_render_here(tmp_path):
    """The renderer is Go's template engine with its built-ins only, not an imitation of Helm: a
    template that needed a Sprig or Helm function (include, toYaml, nindent, default...) would
    fail here, so that every template rendered above renders the same under Helm."""
    chart = tmp_path / "chart"
    shutil.copytree(CHART, chart)
    (chart / "templates" / "extra.yaml").write_text('metadata: {{ include "de.labels" . | nindent 2 }}\n')
    result = node_tool("render-chart.mjs", str(chart), write_json(tmp_path, REQUIRED))
    assert any(e.startswith("extra.yaml: Template parse error") and 'function "include" not defined' in e
               for e in result["errors"]), result["errors"]


def write_json(folder, value):
    path = folder / "values.json"
    path.write_text(json.dumps(value))
    return str(path)
