"""The course on disk: modules, notebooks, title cards and nbgrader cells."""

from __future__ import annotations

import copy
import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SOLUTIONS = "solutions"
LESSONS = "lessons"
BUILD = "build"
CONFIG = "nbgrader_config.py"
WHICH = (SOLUTIONS, LESSONS)
SOURCE_SUFFIX = ".py"  # solutions/ holds jupytext percent files; lessons/ holds .ipynb


class CourseError(Exception):
    """A problem with the course files that the user can fix; the CLI prints it on one line."""


def find_root(start: Path | None = None) -> Path:
    """Return the course root: the nearest folder at or above `start` holding nbgrader_config.py."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG).is_file() and (folder / SOLUTIONS).is_dir():
            return folder
    raise CourseError(
        f"no course found: no {CONFIG} beside a {SOLUTIONS}/ folder in {here} or above "
        "(run paperlab from the course checkout)"
    )


def read_notebook(path: Path) -> dict[str, Any]:
    """Read a notebook: a `.py` text source through jupytext, else plain JSON; a one-line error when
    it is missing or not valid."""
    path = Path(path)
    if path.suffix == SOURCE_SUFFIX:
        try:
            return copy.deepcopy(_read_source(path.resolve(), path.stat().st_mtime_ns))
        except FileNotFoundError:
            raise CourseError(f"{path}: no such notebook source") from None
        except Exception as exc:  # jupytext's own errors: a header whose metadata does not parse
            raise CourseError(f"{path}: not a valid percent source ({_first_line(exc)})") from None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CourseError(f"{path}: no such notebook") from None
    except json.JSONDecodeError as exc:
        raise CourseError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise CourseError(f"{path}: not a notebook (no list of cells)")
    return data


@functools.lru_cache(maxsize=64)
def _read_source(path: Path, mtime_ns: int) -> dict[str, Any]:
    from .authoring import from_text  # jupytext is imported only where a text source is read

    return from_text(path.read_text(encoding="utf-8"))


def _first_line(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"


def cell_source(cell: dict[str, Any]) -> str:
    """Return a cell's source as one string (nbformat allows a list of lines)."""
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def nbgrader_meta(cell: dict[str, Any]) -> dict[str, Any]:
    """Return a cell's nbgrader metadata, or an empty dict."""
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def cell_tags(cell: dict[str, Any]) -> list[str]:
    """Return a cell's tags."""
    return list(cell.get("metadata", {}).get("tags", []))


@dataclass(frozen=True)
class Card:
    """What a notebook's title card states."""

    title: str
    papers: str
    minutes: int | None
    points: int | None


_FIELD = r"^\s*[-*]?\s*\*\*{name}:?\*\*:?\s*(.+?)\s*$"


def _card_field(text: str, name: str) -> str | None:
    match = re.search(_FIELD.format(name=name), text, flags=re.MULTILINE | re.IGNORECASE)
    return match.group(1) if match else None


def parse_card(cells: list[dict[str, Any]]) -> Card | None:
    """Parse the title card (the first cell, markdown, starting with '# '); None when absent."""
    if not cells or cells[0].get("cell_type") != "markdown":
        return None
    text = cell_source(cells[0])
    title = re.match(r"\s*#\s+(.+)", text)
    if not title:
        return None
    minutes = _card_field(text, "Time")
    points = _card_field(text, "Points")
    number = re.compile(r"(\d+)")
    return Card(
        title=title.group(1).strip(),
        papers=_card_field(text, "Papers") or "",
        minutes=int(number.search(minutes).group(1)) if minutes and number.search(minutes) else None,
        points=int(number.search(points).group(1)) if points and number.search(points) else None,
    )


@dataclass(frozen=True)
class Exercise:
    """An answer cell and the graded test cell that checks it."""

    answer_id: str
    test_id: str
    answer_index: int
    test_index: int
    points: float


@dataclass(frozen=True)
class Notebook:
    """One notebook of the course, in both of its versions."""

    root: Path
    module: str
    stem: str

    @property
    def name(self) -> str:
        """The name users type: MODULE/STEM."""
        return f"{self.module}/{self.stem}"

    def path(self, which: str = SOLUTIONS) -> Path:
        """Path of the solutions/ text source or the lessons/ notebook."""
        if which not in WHICH:
            raise ValueError(f"which must be one of {WHICH}, got {which!r}")
        suffix = SOURCE_SUFFIX if which == SOLUTIONS else ".ipynb"
        return self.root / which / self.module / f"{self.stem}{suffix}"

    def cells(self, which: str = SOLUTIONS) -> list[dict[str, Any]]:
        """The cells of one version."""
        return read_notebook(self.path(which))["cells"]

    def card(self) -> Card | None:
        """The solution's title card."""
        return parse_card(self.cells())

    def exercises(self) -> list[Exercise]:
        """Pair each autograded answer cell with the next graded test cell."""
        return exercises_of(self.cells())


def exercises_of(cells: list[dict[str, Any]]) -> list[Exercise]:
    """Pair each answer cell (solution, not graded) with the graded test cell that follows it."""
    found: list[Exercise] = []
    pending: tuple[int, str] | None = None
    for index, cell in enumerate(cells):
        meta = nbgrader_meta(cell)
        if cell.get("cell_type") != "code":
            continue
        if meta.get("solution") and not meta.get("grade"):
            pending = (index, meta.get("grade_id", f"cell-{index}"))
        elif meta.get("grade") and not meta.get("solution") and pending is not None:
            found.append(
                Exercise(
                    answer_id=pending[1],
                    test_id=meta.get("grade_id", f"cell-{index}"),
                    answer_index=pending[0],
                    test_index=index,
                    points=float(meta.get("points", 0)),
                )
            )
            pending = None
    return found


def graded_points(cells: list[dict[str, Any]]) -> float:
    """The points of every graded cell (autograded tests and manually graded answers)."""
    return sum(float(nbgrader_meta(c).get("points") or 0) for c in cells if nbgrader_meta(c).get("grade"))


def is_written_answer(cell: dict[str, Any]) -> bool:
    """A manually graded markdown answer cell (a Reflect question): nbgrader `solution` and `grade`."""
    meta = nbgrader_meta(cell)
    return cell.get("cell_type") == "markdown" and bool(meta.get("solution")) and bool(meta.get("grade"))


def written_answers(cells: list[dict[str, Any]]) -> dict[str, float]:
    """grade_id -> points of every written answer, in notebook order."""
    return {nbgrader_meta(c)["grade_id"]: float(nbgrader_meta(c).get("points") or 0)
            for c in cells if is_written_answer(c)}


def modules(root: Path) -> list[str]:
    """The module folders under solutions/, in course order."""
    base = root / SOLUTIONS
    return sorted(p.name for p in base.iterdir() if p.is_dir() and not p.name.startswith("."))


def sources(root: Path, module: str) -> list[Path]:
    """The text sources of one module: solutions/MODULE/*.py."""
    return sorted((root / SOLUTIONS / module).glob(f"*{SOURCE_SUFFIX}"))


def notebooks(root: Path) -> list[Notebook]:
    """Every notebook of the course, in course order."""
    found = []
    for module in modules(root):
        for path in sources(root, module):
            found.append(Notebook(root=root, module=module, stem=path.stem))
    return found


def select(root: Path, names: list[str] | None) -> list[Notebook]:
    """Resolve MODULE, MODULE/STEM or a unique STEM to notebooks; unknown names raise CourseError."""
    every = notebooks(root)
    if not names:
        return every
    chosen: list[Notebook] = []
    for raw in names:
        name = raw.strip().strip("/").removesuffix(".ipynb").removesuffix(SOURCE_SUFFIX)
        for prefix in (SOLUTIONS + "/", LESSONS + "/"):
            name = name.removeprefix(prefix)
        hits = [nb for nb in every if name in (nb.module, nb.name, nb.stem)]
        if not hits:
            known = ", ".join(sorted({nb.module for nb in every} | {nb.name for nb in every}))
            raise CourseError(f"unknown notebook or module {raw!r}; known: {known}")
        if len({nb.module for nb in hits}) > 1 and name not in {nb.module for nb in hits}:
            raise CourseError(
                f"{raw!r} is ambiguous: {', '.join(nb.name for nb in hits)} (use MODULE/STEM)"
            )
        chosen.extend(nb for nb in hits if nb not in chosen)
    return chosen
