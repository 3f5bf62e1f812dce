"""Shared fixtures: the course root and the list of notebooks to parametrise over."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from utils.course.layout import notebooks  # noqa: E402

os.environ.setdefault("PAPERLAB_QUIET", "1")
NOTEBOOKS = notebooks(ROOT)


def pytest_addoption(parser: pytest.Parser) -> None:
    """--full: also run every solution notebook with full parameters and assert its claims."""
    parser.addoption("--full", action="store_true", help="run notebooks with full parameters (slow)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the slow full runs unless --full is given."""
    if config.getoption("--full"):
        return
    skip = pytest.mark.skip(reason="full-parameter run: use --full or `make run`")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def root() -> Path:
    """The course checkout."""
    return ROOT
