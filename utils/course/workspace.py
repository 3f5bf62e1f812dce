"""A student's workspace: `work/`, a git-ignored copy of `lessons/` that JupyterLab opens, so the
released lessons are never written while a student works.

`paperlab update` brings in a new release the way nbgitpuller does for JupyterHub courses (see its
"automatic merging" rules): new notebooks are added, notebooks the student has not changed are
refreshed, and a notebook the student edited is never overwritten: the new release lands beside it as
NAME.release-<hash>.ipynb, and the command says so. What "changed" means: the notebook's cell sources
differ from the release it was copied from (recorded in work/.paperlab-workspace.json); running cells
and saving outputs does not count as a change, so refreshing such a notebook loses outputs only.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .layout import LESSONS, CourseError, cell_source, read_notebook

WORKSPACE = "work"
MANIFEST = ".paperlab-workspace.json"


def content_hash(path: Path) -> str:
    """A hash of a notebook's cell types and sources (outputs, counts and metadata ignored)."""
    cells = read_notebook(path)["cells"]
    text = json.dumps([[c.get("cell_type"), cell_source(c)] for c in cells])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class UpdateReport:
    """What one update did, by notebook (relative paths)."""

    added: list[str] = field(default_factory=list)
    refreshed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # edited by the student; the new release is beside it
    unchanged: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Human-readable lines, one per notebook that changed or was kept."""
        out = [f"added      {p}" for p in self.added] + [f"refreshed  {p}" for p in self.refreshed]
        out += [f"KEPT YOURS {p}: you edited it; the new release is beside it as {new}" for p, new in
                (k.split(" -> ") for k in self.kept)]
        return out


def update(root: Path, workspace: Path | None = None) -> UpdateReport:
    """Fill or update the workspace from lessons/; never overwrite a notebook the student edited."""
    lessons = root / LESSONS
    if not lessons.is_dir():
        raise CourseError(f"no {LESSONS}/ folder in {root}")
    work = workspace or root / WORKSPACE
    work.mkdir(parents=True, exist_ok=True)
    manifest_path = work / MANIFEST
    manifest: dict[str, str] = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    report = UpdateReport()
    for lesson in sorted(lessons.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in lesson.parts:
            continue
        rel = str(lesson.relative_to(lessons))
        mine = work / rel
        released = content_hash(lesson)
        if not mine.exists():
            mine.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(lesson, mine)
            report.added.append(rel)
        elif manifest.get(rel) == released:
            report.unchanged.append(rel)
            continue
        elif rel in manifest and content_hash(mine) == manifest[rel]:  # untouched since the last release
            shutil.copyfile(lesson, mine)
            report.refreshed.append(rel)
        elif content_hash(mine) == released:  # the student's copy already matches the release
            report.unchanged.append(rel)
        else:
            beside = mine.with_name(f"{mine.stem}.release-{released[:8]}.ipynb")
            shutil.copyfile(lesson, beside)
            report.kept.append(f"{rel} -> {beside.name}")
            continue  # the manifest keeps the old release: the student's copy still derives from it
        manifest[rel] = released
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return report
