"""Releasing lessons: normalise the sources, then let nbgrader generate the student versions."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from . import authoring
from .course import LESSONS, SOLUTIONS, CourseError, read_notebook


def normalise_sources(root: Path, module: str) -> list[Path]:
    """Strip outputs and give stable ids to every source notebook of `module`; return those changed."""
    changed = []
    for path in sorted((root / SOLUTIONS / module).glob("*.ipynb")):
        if authoring.save(read_notebook(path), path):
            changed.append(path)
    return changed


def tool_env() -> dict[str, str]:
    """The environment with this interpreter's bin/ first on PATH (nbgrader calls `alembic` by name)."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def failure_line(log: str) -> str:
    """The most telling line of a tool's log: the last exception raised, else the last line."""
    lines = [ln.strip() for ln in log.splitlines() if ln.strip()]
    raised = [ln for ln in lines if re.match(r"^[\w.]*(Error|Exception|Invalid\w*):? ", ln)]
    return (raised or lines or ["(no output)"])[-1]


def generate(root: Path, module: str, dest: Path | None = None) -> Path:
    """Run `nbgrader generate_assignment MODULE --force`; into `dest` (no gradebook) when given."""
    args = [sys.executable, "-m", "nbgrader", "generate_assignment", module, "--force",
            "--log-level=WARN"]
    if dest is not None:
        args += ["--no-db", f"--CourseDirectory.release_directory={Path(dest).resolve()}"]
    proc = subprocess.run(args, cwd=root, capture_output=True, text=True, env=tool_env())
    if proc.returncode != 0:
        raise CourseError(f"nbgrader could not release {module}: {failure_line(proc.stderr + proc.stdout)}")
    return (Path(dest) if dest is not None else root / LESSONS) / module


def release(root: Path, modules: list[str], dest: Path | None = None) -> list[Path]:
    """Normalise and release each module; return the source notebooks that normalising rewrote."""
    rewritten: list[Path] = []
    for module in modules:
        if dest is None:
            rewritten += normalise_sources(root, module)
        generate(root, module, dest)
    return rewritten
