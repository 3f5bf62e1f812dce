"""Style: ruff, with the rule selection in pyproject.toml, passes on utils/, tests/ and solutions/."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def test_ruff_is_clean(root: Path) -> None:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.fail("ruff is not installed (it is in the dev extra: pip install -e '.[dev]')")
    proc = subprocess.run([ruff, "check", "--no-cache", "utils", "tests", "solutions"], cwd=root,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
