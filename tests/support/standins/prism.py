"""Vendor stand-ins served by Stoplight Prism (`prism mock`, npm, tests/standins-npm) straight from
the vendor contracts in ../shared/contracts: every request is validated against the vendor's
OpenAPI document, and the answer is the document's example (or one generated from its schema).

    with PrismStandin("slack/slack-web-api.openapi.json") as slack:
        ... point the integration at slack.url ...
        assert slack.violations() == []

A request the contract rejects still gets an answer (the vendor's error response, with the
violations in the `sl-violations` header), so a test must check `violations()`: the
`prism_standin` fixture does it for every test that uses it.
"""
import os
import pathlib
import re
import subprocess
import time
import urllib.error
import urllib.request

from support.server import free_port, terminate
from support.standins import contracts

REPO = pathlib.Path(__file__).resolve().parents[3]
PRISM = REPO / "tests" / "standins-npm" / "node_modules" / ".bin" / "prism"
VIOLATION = re.compile(r"Violation: (request\S*) (.*)")


class PrismStandin:
    def __init__(self, contract, dynamic=False):
        """contract: a path under the contracts folder, e.g. "jira/jira-cloud-platform-v3.openapi.json".
        dynamic: answers generated from the schemas instead of the documents' examples."""
        folder, looked = contracts.find(contract)
        if not folder:
            raise FileNotFoundError(f"no contract {contract} in any of {', '.join(map(str, looked))}")
        self.contract = folder / contract
        if not PRISM.exists():
            raise FileNotFoundError(f"{PRISM} is missing: run script/bootstrap (npm ci in tests/standins-npm)")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.dynamic = dynamic
        self._log_path = None
        self._process = None

    def start(self):
        import tempfile
        log = tempfile.NamedTemporaryFile(prefix="prism-", suffix=".log", delete=False)
        self._log_path = log.name
        command = [str(PRISM), "mock", "-h", "127.0.0.1", "-p", str(self.port), str(self.contract)]
        if self.dynamic:
            command.append("--dynamic")
        self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"prism exited ({self._process.returncode}): {self.log()[-2000:]}")
            try:
                urllib.request.urlopen(self.url + "/__not_a_path", timeout=2)
            except urllib.error.HTTPError:  # listening: it answers 404 for a path not in the contract
                return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"prism did not start within 60 s: {self.log()[-2000:]}")

    def log(self):
        return pathlib.Path(self._log_path).read_text(errors="replace") if self._log_path else ""

    def violations(self):
        """The contract's objections to the requests it received: [(where, message)]."""
        return [(m.group(1), m.group(2).strip()) for m in VIOLATION.finditer(self.log())]

    def stop(self):
        if self._process:
            terminate(self._process)
        if self._log_path:
            os.unlink(self._log_path)
            self._log_path = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
