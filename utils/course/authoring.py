"""Writing course notebooks: cells with stable ids and nbgrader schema-3 metadata, saved normalised,
either as a jupytext percent file (the hand-written sources in solutions/) or as .ipynb JSON."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from textwrap import dedent
from typing import Any

SCHEMA = 3
TEXT_FORMAT = "py:percent"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
_ID = re.compile(r"^[a-zA-Z0-9-_]{1,64}$")


def _text(source: str) -> str:
    return dedent(source).strip("\n")


def _nbgrader(grade_id: str, *, grade: bool, solution: bool, locked: bool, points: float | None,
              task: bool = False) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": SCHEMA,
        "solution": solution,
        "task": task,
    }
    if points is not None:
        meta["points"] = points
    return meta


def _cell(kind: str, cell_id: str, source: str, metadata: dict[str, Any]) -> dict[str, Any]:
    if not _ID.match(cell_id):
        raise ValueError(f"cell_id must match {_ID.pattern}, got {cell_id!r}")
    cell: dict[str, Any] = {"cell_type": kind, "id": cell_id, "metadata": metadata, "source": _text(source)}
    if kind == "code":
        cell["execution_count"] = None
        cell["outputs"] = []
    return cell


def markdown(cell_id: str, source: str) -> dict[str, Any]:
    """A markdown cell."""
    return _cell("markdown", cell_id, source, {})


def code(cell_id: str, source: str, tags: list[str] | None = None, locked: bool = False) -> dict[str, Any]:
    """A plain code cell; `locked=True` makes it read-only for nbgrader."""
    meta: dict[str, Any] = {"tags": list(tags)} if tags else {}
    if locked:
        meta["nbgrader"] = _nbgrader(cell_id, grade=False, solution=False, locked=True, points=None)
    return _cell("code", cell_id, source, meta)


def parameters(cell_id: str, source: str) -> dict[str, Any]:
    """The papermill `parameters` cell."""
    return code(cell_id, source, tags=["parameters"])


def answer(cell_id: str, source: str) -> dict[str, Any]:
    """An autograded answer cell: the body between BEGIN/END SOLUTION is removed on release."""
    meta = {"nbgrader": _nbgrader(cell_id, grade=False, solution=True, locked=False, points=None)}
    return _cell("code", cell_id, source, meta)


def tests(cell_id: str, source: str, points: float) -> dict[str, Any]:
    """A locked, graded test cell worth `points`."""
    if points <= 0:
        raise ValueError(f"points must be positive, got {points}")
    meta = {"nbgrader": _nbgrader(cell_id, grade=True, solution=False, locked=True, points=points)}
    return _cell("code", cell_id, source, meta)


def written_answer(cell_id: str, source: str, points: float) -> dict[str, Any]:
    """A manually graded markdown answer (a reflection question)."""
    meta = {"nbgrader": _nbgrader(cell_id, grade=True, solution=True, locked=False, points=points)}
    return _cell("markdown", cell_id, source, meta)


def new_notebook(cells: list[dict[str, Any]]) -> dict[str, Any]:
    """A notebook (nbformat 4.5) holding `cells`, with duplicate ids refused."""
    ids = [c["id"] for c in cells]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"duplicate cell ids: {dupes}")
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": dict(KERNELSPEC),
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def stable_id(index: int, cell: dict[str, Any]) -> str:
    """A deterministic id for a cell that has none: its position and a hash of its source."""
    src = cell.get("source", "")
    src = "".join(src) if isinstance(src, list) else src
    return f"c{index:03d}-{hashlib.sha1(src.encode()).hexdigest()[:8]}"


def normalise(nb: dict[str, Any]) -> dict[str, Any]:
    """Strip outputs and execution counts, give every cell a stable id, join sources into strings."""
    nb["nbformat"], nb["nbformat_minor"] = 4, max(5, nb.get("nbformat_minor", 5))
    seen: set[str] = set()
    for index, cell in enumerate(nb["cells"]):
        if isinstance(cell.get("source"), list):
            cell["source"] = "".join(cell["source"])
        if not cell.get("id") or cell["id"] in seen:
            cell["id"] = stable_id(index, cell)
        seen.add(cell["id"])
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        for volatile in ("execution", "collapsed", "scrolled"):
            cell.get("metadata", {}).pop(volatile, None)
    nb.get("metadata", {}).pop("widgets", None)
    nb.get("metadata", {}).pop("papermill", None)
    return nb


def to_text(nb: dict[str, Any]) -> str:
    """A notebook as a jupytext percent file: each cell's id and metadata in its `# %%` header, no
    notebook header (the kernel is the course's own, restored by `from_text`)."""
    import jupytext
    import nbformat

    nb = normalise(json.loads(json.dumps(nb)))
    for cell in nb["cells"]:
        meta = json.loads(json.dumps(cell.get("metadata", {}), sort_keys=True))  # stable headers
        cell["metadata"] = {"id": cell["id"], **meta}
    nb["metadata"] = {"jupytext": {"notebook_metadata_filter": "-all"}}
    return jupytext.writes(nbformat.from_dict(nb), fmt=TEXT_FORMAT)


def from_text(text: str) -> dict[str, Any]:
    """The notebook a percent file describes, with cell ids restored from the headers, normalised.
    jupytext keeps cell ids only as metadata, so `to_text` writes them there and this moves them back."""
    import jupytext

    parsed = jupytext.reads(text, fmt=TEXT_FORMAT)
    cells = []
    for index, cell in enumerate(parsed.cells):
        cell = dict(cell)
        meta = dict(cell.get("metadata", {}))
        if "incorrectly_encoded_metadata" in meta:  # jupytext keeps a header it cannot parse as text
            raise ValueError(f"cell {index}: its '# %%' header does not parse: "
                             f"{meta['incorrectly_encoded_metadata']!r}")
        cell["id"] = str(meta.pop("id", "") or "")
        cell["metadata"] = json.loads(json.dumps(meta))
        cells.append(cell)
    nb = {"cells": cells, "metadata": {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    return normalise(nb)


def dumps(nb: dict[str, Any]) -> str:
    """Serialise a notebook the way Jupyter does (indent 1, sorted keys, trailing newline)."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def save(nb: dict[str, Any], path: str | Path) -> bool:
    """Normalise and write a notebook, as percent text for a `.py` path, else as JSON; written
    atomically (parallel test workers build the same files) and only when it changed: return whether."""
    path = Path(path)
    text = to_text(nb) if path.suffix == ".py" else dumps(normalise(nb))
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return True
