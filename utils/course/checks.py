"""`paperlab check`: the course's integrity rules, each returning the problems it found."""

from __future__ import annotations

import ast
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .layout import (
    LESSONS,
    SOLUTIONS,
    CourseError,
    Notebook,
    cell_source,
    cell_tags,
    exercises_of,
    graded_points,
    nbgrader_meta,
    notebooks,
    parse_card,
    read_notebook,
    written_answers,
)
from .release import generate

# Spelled in two halves so that this file does not itself contain the markers it hunts for.
SOLUTION_MARKERS = ("### BEGIN " + "SOLUTION", "### END " + "SOLUTION")
HIDDEN_MARKERS = ("### BEGIN " + "HIDDEN TESTS", "### END " + "HIDDEN TESTS")
MIN_EXERCISES = {"00_welcome": 2}  # DESIGN: 3-6 per notebook; the welcome lesson has 2-3
MAX_EXERCISES = 6


def _versions(root: Path, nbs: list[Notebook]) -> list[Path]:
    paths = [nb.path(SOLUTIONS) for nb in nbs]
    paths += [nb.path(LESSONS) for nb in nbs if nb.path(LESSONS).exists()]
    return paths


def check_sync(root: Path, nbs: list[Notebook]) -> list[str]:
    """Lessons regenerated into a temporary folder must equal the committed lessons, byte for byte."""
    problems = []
    for module in sorted({nb.module for nb in nbs}):
        with tempfile.TemporaryDirectory(prefix="paperlab-release-") as tmp:
            try:
                fresh_dir = generate(root, module, Path(tmp))
            except CourseError as exc:
                problems.append(str(exc))
                continue
            fresh = {p.name: p.read_bytes() for p in sorted(fresh_dir.glob("*.ipynb"))}
        committed_dir = root / LESSONS / module
        committed = {p.name: p.read_bytes() for p in sorted(committed_dir.glob("*.ipynb"))}
        for name in sorted(fresh.keys() | committed.keys()):
            where = f"{LESSONS}/{module}/{name}"
            if name not in committed:
                problems.append(f"{where}: missing (run `paperlab release {module}`)")
            elif name not in fresh:
                problems.append(f"{where}: has no source in {SOLUTIONS}/ (delete it or restore the source)")
            elif fresh[name] != committed[name]:
                problems.append(f"{where}: out of sync with {SOLUTIONS}/ (run `paperlab release {module}`)")
    return problems


def check_outputs(root: Path, nbs: list[Notebook]) -> list[str]:
    """Notebooks are committed without outputs or execution counts."""
    problems = []
    for path in _versions(root, nbs):
        for index, cell in enumerate(read_notebook(path)["cells"]):
            if cell.get("cell_type") == "code" and (cell.get("outputs") or cell.get("execution_count")):
                problems.append(f"{path.relative_to(root)}: cell {index} has outputs (clear them)")
                break
    return problems


def check_metadata(root: Path, nbs: list[Notebook]) -> list[str]:
    """nbgrader metadata: schema 3 (nbgrader's own validator), unique grade ids, points, locked tests."""
    from nbformat import from_dict
    from nbgrader.nbgraderformat import MetadataValidator, ValidationError

    validator = MetadataValidator()
    problems = []
    for nb in nbs:
        path = nb.path(SOLUTIONS)
        where = str(path.relative_to(root))
        try:
            validator.validate_nb(from_dict(read_notebook(path)))
        except ValidationError as exc:
            problems.append(f"{where}: nbgrader metadata invalid: {exc}")
        seen: set[str] = set()
        for index, cell in enumerate(nb.cells()):
            meta = nbgrader_meta(cell)
            source = cell_source(cell)
            if not meta:
                if any(m in source for m in SOLUTION_MARKERS + HIDDEN_MARKERS):
                    problems.append(f"{where}: cell {index} has solution/hidden-test markers but no nbgrader metadata")
                continue
            gid = meta.get("grade_id")
            if meta.get("schema_version") != 3:
                problems.append(f"{where}: cell {index} ({gid}) nbgrader schema_version is not 3")
            if not gid:
                problems.append(f"{where}: cell {index} has nbgrader metadata but no grade_id")
            elif gid in seen:
                problems.append(f"{where}: grade_id {gid!r} is used twice")
            seen.add(gid)
            if meta.get("grade") and not float(meta.get("points") or 0) > 0:
                problems.append(f"{where}: graded cell {gid!r} has no points")
            if meta.get("grade") and not meta.get("solution") and not meta.get("locked"):
                problems.append(f"{where}: test cell {gid!r} is not locked")
            if meta.get("solution") and cell.get("cell_type") == "code" and SOLUTION_MARKERS[0] not in source:
                problems.append(f"{where}: answer cell {gid!r} has no solution block")
            if any(m in source for m in HIDDEN_MARKERS) and not (meta.get("grade") and not meta.get("solution")):
                problems.append(f"{where}: cell {index} has hidden tests but is not a graded test cell")
    return problems


def hidden_lines(source: str, min_len: int = 25) -> list[str]:
    """The distinctive lines (longer than `min_len`) of a cell's hidden-test block; [] without one."""
    if HIDDEN_MARKERS[0] not in source:
        return []
    block = source.split(HIDDEN_MARKERS[0], 1)[1].split(HIDDEN_MARKERS[1], 1)[0]
    return [ln.strip() for ln in block.splitlines() if len(ln.strip()) > min_len]


def check_leaks(root: Path, nbs: list[Notebook]) -> list[str]:
    """No solution block or hidden-test text in lessons/ or utils/."""
    problems = []
    files = [p for p in (root / "utils").rglob("*.py")] + [nb.path(LESSONS) for nb in nbs]
    markers = SOLUTION_MARKERS + HIDDEN_MARKERS
    for path in files:
        if path.exists() and any(m in path.read_text(encoding="utf-8") for m in markers):
            problems.append(f"{path.relative_to(root)}: contains a solution block or hidden tests")
    for nb in nbs:  # the hidden tests' own text must not reach the lesson either
        lesson = nb.path(LESSONS)
        if not lesson.exists():
            continue
        text = lesson.read_text(encoding="utf-8")
        for cell in nb.cells():
            if any(ln in text for ln in hidden_lines(cell_source(cell), min_len=30)[:3]):
                problems.append(f"{lesson.relative_to(root)}: hidden test text of {nbgrader_meta(cell).get('grade_id')!r} leaked")
    return problems


def _parameter_names(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {t.id for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
            if isinstance(t, ast.Name)}


def check_anatomy(root: Path, nbs: list[Notebook]) -> list[str]:
    """Title card with papers, time and points; one parameters cell with SMOKE and SEED; a claim check."""
    problems = []
    for nb in nbs:
        where = str(nb.path(SOLUTIONS).relative_to(root))
        cells = nb.cells()
        card = parse_card(cells)
        exercises = exercises_of(cells)
        total = graded_points(cells)
        if card is None:
            problems.append(f"{where}: the first cell must be a markdown title card starting with '# '")
        else:
            if not card.papers:
                problems.append(f"{where}: title card has no **Papers:** line")
            if card.minutes is None:
                problems.append(f"{where}: title card has no **Time:** N min line")
            if card.points is None:
                problems.append(f"{where}: title card has no **Points:** line")
            elif abs(card.points - total) > 1e-9:
                problems.append(f"{where}: title card says {card.points} points, graded cells add up to {total:g}")
        params = [c for c in cells if "parameters" in cell_tags(c)]
        if len(params) != 1:
            problems.append(f"{where}: needs exactly one cell tagged 'parameters', found {len(params)}")
        else:
            missing = {"SMOKE", "SEED"} - _parameter_names(cell_source(params[0]))
            if missing:
                problems.append(f"{where}: the parameters cell does not define {', '.join(sorted(missing))}")
        if not any("claim-check" in cell_tags(c) for c in cells):
            problems.append(f"{where}: no claim-check cell (a code cell tagged 'claim-check')")
        problems += _reflect_problems(where, cells)
        low = MIN_EXERCISES.get(nb.module, 3)
        if not low <= len(exercises) <= MAX_EXERCISES:
            problems.append(f"{where}: {len(exercises)} autograded exercises, expected {low}-{MAX_EXERCISES}")
    return problems


def _reflect_problems(where: str, cells: list[dict[str, Any]]) -> list[str]:
    """DESIGN, anatomy 8: Reflect questions are manually graded answer cells whose whole answer (a model
    answer and a rubric, for the instructor) sits in a solution block that the release removes."""
    answers = written_answers(cells)
    if not answers:
        return [f"{where}: no graded Reflect answer (a markdown cell with nbgrader solution and grade)"]
    problems = []
    by_id = {nbgrader_meta(c).get("grade_id"): cell_source(c) for c in cells}
    for gid in answers:
        text = by_id[gid]
        block = text.split(SOLUTION_MARKERS[0], 1)[-1].split(SOLUTION_MARKERS[1], 1)[0] if SOLUTION_MARKERS[0] in text else ""
        if "**Model answer" not in block or "**Rubric" not in block:
            problems.append(f"{where}: written answer {gid!r} needs '**Model answer' and '**Rubric' inside "
                            f"its {SOLUTION_MARKERS[0]} ... {SOLUTION_MARKERS[1]} block")
    return problems


CHECKS: dict[str, Callable[[Path, list[Notebook]], list[str]]] = {
    "lessons in sync with solutions": check_sync,
    "committed without outputs": check_outputs,
    "nbgrader metadata": check_metadata,
    "no solutions or hidden tests leaked": check_leaks,
    "notebook anatomy": check_anatomy,
}


def run_checks(root: Path, nbs: list[Notebook] | None = None) -> dict[str, list[str]]:
    """Run every check; return {check name: problems}."""
    nbs = notebooks(root) if nbs is None else nbs
    if not nbs:
        raise CourseError(f"no notebooks under {root / SOLUTIONS}")
    results: dict[str, Any] = {}
    for name, check in CHECKS.items():
        results[name] = check(root, nbs)
    return results
