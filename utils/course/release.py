"""Releasing lessons: build .ipynb notebooks from the text sources, then let nbgrader generate the
student versions from them.

solutions/MODULE/NB.py (jupytext percent, hand-written) -> build/source/MODULE/NB.ipynb (generated,
git-ignored; nbgrader's source_directory) -> lessons/MODULE/NB.ipynb (nbgrader, committed). The built
notebooks are not committed: they are a pure function of the text, so there is nothing to drift.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from . import authoring
from .layout import BUILD, LESSONS, CourseError, Notebook, read_notebook, sources

BUILT_SOURCES = Path(BUILD) / "source"  # = c.CourseDirectory.source_directory in nbgrader_config.py


def normalise_sources(root: Path, module: str) -> list[Path]:
    """Rewrite each text source of `module` in canonical form (a cell added without an id gets a stable
    one, outputs dropped); return those changed."""
    return [path for path in sources(root, module) if authoring.save(read_notebook(path), path)]


def built_notebook(root: Path, module: str, stem: str, dest: Path | None = None) -> Path:
    """Where the .ipynb built from solutions/MODULE/STEM.py goes: DEST (default build/source)/MODULE/STEM.ipynb."""
    return (Path(dest) if dest is not None else root / BUILT_SOURCES) / module / f"{stem}.ipynb"


def build_notebook(nb: Notebook, dest: Path | None = None) -> Path:
    """Convert one text source into its .ipynb (rewritten only when it changed); return the path."""
    path = built_notebook(nb.root, nb.module, nb.stem, dest)
    authoring.save(read_notebook(nb.path()), path)
    return path


def build_sources(root: Path, module: str, dest: Path | None = None) -> list[Path]:
    """Convert every text source of `module`; stale notebooks of deleted sources are removed."""
    built = [build_notebook(Notebook(root, module, src.stem), dest) for src in sources(root, module)]
    folder = built_notebook(root, module, "x", dest).parent
    for stale in set(folder.glob("*.ipynb")) - set(built):
        stale.unlink()
    return built


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
    """Build the module's notebooks, then run `nbgrader generate_assignment MODULE --force`; into
    `dest` (no gradebook) when given."""
    if not sources(root, module):
        raise CourseError(f"no text sources in solutions/{module}/ (*.py)")
    build_sources(root, module)
    args = [sys.executable, "-m", "nbgrader", "generate_assignment", module, "--force",
            "--log-level=WARN"]
    if dest is not None:
        args += ["--no-db", f"--CourseDirectory.release_directory={Path(dest).resolve()}"]
    proc = subprocess.run(args, cwd=root, capture_output=True, text=True, env=tool_env())
    if proc.returncode != 0:
        raise CourseError(f"nbgrader could not release {module}: {failure_line(proc.stderr + proc.stdout)}")
    return (Path(dest) if dest is not None else root / LESSONS) / module


def release(root: Path, modules: list[str], dest: Path | None = None) -> list[Path]:
    """Normalise and release each module; return the text sources that normalising rewrote."""
    rewritten: list[Path] = []
    for module in modules:
        if dest is None:
            rewritten += normalise_sources(root, module)
        generate(root, module, dest)
    return rewritten
