"""Release and integrity: lessons are generated deterministically and `paperlab check` passes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from utils.course.authoring import save
from utils.course.checks import run_checks
from utils.course.layout import LESSONS, SOLUTIONS, modules, read_notebook, select
from utils.course.release import generate


def test_course_passes_every_check(root: Path) -> None:
    """Sync, no outputs, nbgrader metadata, no leaks, anatomy: every check has no problem."""
    problems = {name: found for name, found in run_checks(root).items() if found}
    assert not problems, json.dumps(problems, indent=2)


def test_release_is_byte_deterministic(root: Path, tmp_path: Path) -> None:
    """Two releases of the same sources are identical, byte for byte."""
    module = modules(root)[0]
    first = generate(root, module, tmp_path / "a")
    second = generate(root, module, tmp_path / "b")
    names = sorted(p.name for p in first.glob("*.ipynb"))
    assert names and names == sorted(p.name for p in second.glob("*.ipynb"))
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_lessons_have_stubs_not_solutions(root: Path) -> None:
    """Each lesson answer cell raises NotImplementedError instead of holding the solution."""
    for lesson in sorted((root / LESSONS).rglob("*.ipynb")):
        cells = json.loads(lesson.read_text())["cells"]
        answers = [c for c in cells if c.get("metadata", {}).get("nbgrader", {}).get("solution")
                   and c["cell_type"] == "code"]
        for cell in answers:
            assert "raise NotImplementedError(" in "".join(cell["source"]), (lesson, cell["id"])


@pytest.fixture()
def course_copy(root: Path, tmp_path: Path) -> Path:
    """A throwaway copy of the course (sources, lessons, config, utils) to plant faults in."""
    for name in (SOLUTIONS, LESSONS, "utils"):
        shutil.copytree(root / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.pt"))
    shutil.copy(root / "nbgrader_config.py", tmp_path)
    return tmp_path


def _edit(path: Path, fn) -> None:
    nb = read_notebook(path)
    fn(nb)
    save(nb, path)


def test_check_catches_planted_faults(course_copy: Path) -> None:
    """Each check fails on the fault it exists for."""
    sol = course_copy / SOLUTIONS / "00_welcome" / "welcome.py"
    les = course_copy / LESSONS / "00_welcome" / "welcome.ipynb"

    def plant(nb):
        cells = nb["cells"]
        cells[0]["source"] = "# Welcome\n\nno card fields"  # anatomy: papers/time/points
        for cell in cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if meta.get("grade_id") == "ma-loop-tests":
                meta["locked"] = False  # metadata: unlocked test
                meta["grade_id"] = "lse-tests"  # metadata: duplicate grade id
            if "claim-check" in cell.get("metadata", {}).get("tags", []):
                cell["metadata"]["tags"] = []  # anatomy: no claim check

    welcome = select(course_copy, ["00_welcome"])
    assert not any(run_checks(course_copy, welcome).values())
    _edit(sol, lambda nb: nb["cells"][1].update(source="edited after the release"))
    assert "out of sync" in json.dumps(run_checks(course_copy, welcome))
    _edit(sol, plant)
    lesson = json.loads(les.read_text())  # a student's saved lesson: outputs, and a pasted solution block
    lesson["cells"][2]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "x"}]
    lesson["cells"].append({"cell_type": "code", "id": "leak", "metadata": {}, "outputs": [],
                            "execution_count": None,
                            "source": "### BEGIN " + "SOLUTION\nx = 1\n### END " + "SOLUTION"})
    les.write_text(json.dumps(lesson, indent=1))
    text = json.dumps(run_checks(course_copy, welcome))
    for expected in ("could not release", "has outputs", "is not locked", "used twice", "no **Papers:**",
                     "no claim-check", "contains a solution block"):
        assert expected in text, f"check did not report {expected!r}: {text}"


def test_new_lesson_scaffold_passes_check(course_copy: Path) -> None:
    """`paperlab new` writes a source that releases and passes every check; its solution passes its
    tests and each stub mutant (a patch that applies) fails them."""
    from utils.course import mutants
    from utils.course.execute import notebook_namespace
    from utils.course.layout import CourseError, cell_source
    from utils.course.scaffold import new_lesson

    written = new_lesson(course_copy, "09_demo/01_first_lesson", title="A first lesson")
    assert all(p.exists() for p in written) and len(written) == 7
    with pytest.raises(CourseError, match="exists already"):
        new_lesson(course_copy, "09_demo/01_first_lesson")
    with pytest.raises(CourseError, match="MODULE/NOTEBOOK"):
        new_lesson(course_copy, "Bad Name")
    generate(course_copy, "09_demo")
    nbs = select(course_copy, ["09_demo"])
    problems = {name: found for name, found in run_checks(course_copy, nbs).items() if found}
    assert not problems, json.dumps(problems, indent=2)
    nb = nbs[0]
    ns = notebook_namespace(nb.path(), smoke=True)  # every cell, the claim check included
    cells = nb.cells()
    for ex in nb.exercises():
        code = mutants.solution_code(cell_source(cells[ex.answer_index]))
        for name, hunks in mutants.load(course_copy, nb.module, nb.stem)[ex.answer_id].items():
            exec(mutants.apply(code, hunks, name), ns)
            with pytest.raises(AssertionError):
                exec(cell_source(cells[ex.test_index]), ns)
