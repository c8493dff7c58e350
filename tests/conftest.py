"""Loads the shared harness (tests/support) for every Python suite: contract, reliability,
workflows. The fixtures themselves are in support/fixtures.py."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # `import support.…` from any suite
pytest.register_assert_rewrite("support.helpers", "support.server", "support.ws")

pytest_plugins = ["support.fixtures"]
