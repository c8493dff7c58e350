import pytest

from server import Server


@pytest.fixture
def make_server():
    servers = []

    def make(**env):
        servers.append(Server(**env))
        return servers[-1]

    yield make
    for s in servers:
        s.stop()
