"""What tests/deploy reads: the Dockerfile's stages, the npm tools in tests/deploy-npm."""
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile

import pytest

from support.server import ROOT

DOCKERFILE = os.path.join(ROOT, "deploy", "docker", "Dockerfile")
CHART = os.path.join(ROOT, "deploy", "helm", "digital-enterprise")
NPM_DIR = os.path.join(ROOT, "tests", "deploy-npm")


def node_tool(script, *args, timeout=120):
    """Runs tests/deploy-npm/SCRIPT ARGS with node; returns its JSON output."""
    if not os.path.isdir(os.path.join(NPM_DIR, "node_modules")):
        pytest.fail("tests/deploy-npm/node_modules is missing: run script/bootstrap")
    result = subprocess.run(["node", os.path.join(NPM_DIR, script), *args], capture_output=True, text=True,
                            timeout=timeout, cwd=NPM_DIR)
    assert result.returncode == 0, f"{script} failed ({result.returncode}):\n{result.stderr}"
    return json.loads(result.stdout)


def render_chart(overrides):
    """The chart rendered with `overrides` over values.yaml (render-chart.mjs)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(overrides, f)
    try:
        return node_tool("render-chart.mjs", CHART, f.name)
    finally:
        os.unlink(f.name)


class Stage:
    def __init__(self, base, name):
        self.base, self.name, self.instructions = base, name, []

    def all(self, keyword):
        return [args for k, args in self.instructions if k == keyword]

    def one(self, keyword):
        found = self.all(keyword)
        assert len(found) == 1, f"stage {self.name}: {len(found)} {keyword} instructions"
        return found[0]

    def env(self):
        values = {}
        for args in self.all("ENV"):
            for pair in shlex.split(args):
                key, _, value = pair.partition("=")
                values[key] = value
        return values

    def apt_packages(self):
        """The packages of `apt-get install` in the stage's RUN instructions."""
        packages = []
        for args in self.all("RUN"):
            for command in re.split(r"&&|;", args):
                words = command.split()
                if words[:2] == ["apt-get", "install"]:
                    packages += [w for w in words[2:] if not w.startswith("-")]
        return packages

    def copies_from(self):
        """(stage, source, destination) of each COPY --from=."""
        found = []
        for args in self.all("COPY"):
            words = args.split()
            if words[0].startswith("--from="):
                found.append((words[0][len("--from="):], words[1], words[2]))
        return found

    def exec_form(self, keyword):
        """The JSON array of CMD, ENTRYPOINT, or HEALTHCHECK's CMD."""
        args = self.one(keyword)
        if keyword == "HEALTHCHECK":
            args = args[args.index(" CMD ") + len(" CMD "):]
        return json.loads(args)


def dockerfile_stages(path=DOCKERFILE):
    """The Dockerfile's stages in order, each with its (KEYWORD, arguments) instructions
    (continued lines joined, comments and parser directives left out)."""
    logical, current = [], ""
    for line in open(path):
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        logical.append(current + stripped)
        current = ""
    stages = []
    for line in logical:
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            words = args.split()
            stages.append(Stage(words[0], words[2] if len(words) > 2 and words[1].upper() == "AS" else None))
        elif stages:
            stages[-1].instructions.append((keyword, " ".join(args.split()) if keyword != "HEALTHCHECK" else args))
    return stages


def stage(name):
    for s in dockerfile_stages():
        if s.name == name:
            return s
    raise AssertionError(f"no stage {name} in {DOCKERFILE}")


def have(program):
    return shutil.which(program) is not None
