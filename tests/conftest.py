"""Plugins shared by every test tier, and the root logger left as each test found it."""

import logging

import pytest

pytest_plugins = ["tests.fixtures.postgres", "tests.fixtures.stores", "tests.fixtures.kafka",
                  "tests.fixtures.receivers"]


@pytest.fixture(autouse=True)
def _root_logger_left_as_found():
    """A test that runs a CLI in process installs its handler on the captured stderr; once
    that file is closed, a server thread logging later would fail, so the handler goes."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
    root.setLevel(level)
