import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from deserver import Server  # noqa: E402


@pytest.fixture
def make_server():
    servers = []

    def make(**env):
        servers.append(Server(**env))
        return servers[-1]

    yield make
    for s in servers:
        s.stop()
