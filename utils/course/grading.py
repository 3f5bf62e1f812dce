"""`paperlab grade-demo`: an instructor's nbgrader round-trip with simulated students, checked."""

from __future__ import annotations

import ast
import copy
import csv
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .checks import hidden_lines
from .layout import (
    BUILD,
    CONFIG,
    LESSONS,
    SOLUTIONS,
    CourseError,
    cell_source,
    exercises_of,
    graded_points,
    is_written_answer,
    nbgrader_meta,
    read_notebook,
    written_answers,
)
from .release import BUILT_SOURCES, build_sources, tool_env
from .tables import format_table

ALTERNATES = Path("tests") / "alternates"


@dataclass
class Student:
    """A simulated submission and the grade it must receive."""

    name: str
    story: str
    make: Callable[[dict[str, Any], dict[str, Any], Path], dict[str, Any]]  # (solution, lesson, nb path) -> submission
    expected: Callable[[float, float], float]  # (autograded points, first test's points) -> score
    flagged: bool = False  # tampering must be flagged
    writes: bool = True  # answers the Reflect questions: each written answer then waits for a human grader


def _answers(cells: list[dict[str, Any]]) -> dict[str, str]:
    return {nbgrader_meta(c)["grade_id"]: cell_source(c) for c in cells
            if nbgrader_meta(c).get("solution") and c.get("cell_type") == "code"}


def _with_answers(lesson: dict[str, Any], answers: dict[str, str], writes: bool = True) -> dict[str, Any]:
    """The lesson with `answers` put in its answer cells and, if `writes`, a reply to each Reflect question."""
    nb = copy.deepcopy(lesson)
    for cell in nb["cells"]:
        gid = nbgrader_meta(cell).get("grade_id")
        if gid in answers:
            cell["source"] = answers[gid]
        elif writes and is_written_answer(cell):
            cell["source"] = "In my own words: the figure moves because the model sees less data."
    return nb


def _solved(solution: dict[str, Any], lesson: dict[str, Any], _: Path) -> dict[str, Any]:
    return _with_answers(lesson, _answers(solution["cells"]))


def _untouched(solution: dict[str, Any], lesson: dict[str, Any], _: Path) -> dict[str, Any]:
    return copy.deepcopy(lesson)


def alternate_answers(root: Path, module: str, stem: str) -> dict[str, str]:
    """Correct answers written differently from the solution: tests/alternates/MODULE/STEM/<answer-id>.py."""
    folder = root / ALTERNATES / module / stem
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.py"))}


def _alternative(root: Path) -> Callable[[dict[str, Any], dict[str, Any], Path], dict[str, Any]]:
    def make(solution: dict[str, Any], lesson: dict[str, Any], path: Path) -> dict[str, Any]:
        wanted = _answers(solution["cells"])
        given = alternate_answers(root, path.parent.name, path.stem)
        missing = sorted(set(wanted) - set(given))
        if missing:
            raise CourseError(f"grade-demo needs {ALTERNATES}/{path.parent.name}/{path.stem}/<id>.py "
                              f"for answer cells {', '.join(missing)}")
        return _with_answers(lesson, given)
    return make


def _tests_edited(solution: dict[str, Any], lesson: dict[str, Any], _: Path) -> dict[str, Any]:
    nb = copy.deepcopy(lesson)
    for cell in nb["cells"]:
        meta = nbgrader_meta(cell)
        if meta.get("grade") and not meta.get("solution"):
            cell["source"] = "pass"
    return nb


def _test_deleted(solution: dict[str, Any], lesson: dict[str, Any], path: Path) -> dict[str, Any]:
    nb = _solved(solution, lesson, path)
    first = exercises_of(nb["cells"])[0]
    del nb["cells"][first.test_index]
    return nb


def _loops_forever(solution: dict[str, Any], lesson: dict[str, Any], path: Path) -> dict[str, Any]:
    nb = _solved(solution, lesson, path)
    first = exercises_of(nb["cells"])[0]
    cell = nb["cells"][first.answer_index]
    source = cell_source(cell)
    names = [n.name for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)]
    if not names:
        raise CourseError(f"{path}: the first answer cell defines no function to replace")
    cell["source"] = source + f"\n\n\ndef {names[0]}(*args, **kwargs):\n    while True:\n        pass\n"
    return nb


def students(root: Path) -> list[Student]:
    """The simulated class."""
    return [
        Student("solution", "the solution, copied in", _solved, lambda total, first: total),
        Student("untouched", "the lesson as released", _untouched, lambda total, first: 0.0, writes=False),
        Student("alternative", "correct answers written differently", _alternative(root),
                lambda total, first: total),
        Student("tests-edited", "every test cell replaced by `pass`", _tests_edited, lambda total, first: 0.0,
                flagged=True, writes=False),
        Student("test-deleted", "solved, but the first test cell deleted", _test_deleted,
                lambda total, first: total - first, flagged=True),
        Student("loops-forever", "solved, but the first answer loops forever", _loops_forever,
                lambda total, first: total - first),
    ]


def _nbgrader(course: Path, *args: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args, "--log-level=WARN"], cwd=course,
                          capture_output=True, text=True, env=tool_env())
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr + proc.stdout).strip().splitlines()[-15:])
        raise CourseError(f"`nbgrader {' '.join(args)}` failed:\n{tail}")


def hidden_test_lines(cells: list[dict[str, Any]]) -> list[str]:
    """The distinctive lines of every hidden test block (what feedback must never show)."""
    return [line for cell in cells for line in hidden_lines(cell_source(cell))]


def not_shown_in(lines: list[str], public: str) -> list[str]:
    """The `lines` that `public` (the JSON text of released lessons) does not show anyway: a generic line
    that a lesson also shows (e.g. a seeded generator that opens a visible check too) reveals nothing."""
    return [ln for ln in lines if json.dumps(ln)[1:-1] not in public]


def leaked_lines(page: Path, hidden: list[str], submission: Path) -> list[str]:
    """The hidden-test lines a feedback page shows as text, other than lines of the student's own answers."""
    import html as _html
    import re

    text = " ".join(re.sub(r"<[^>]+>", "", _html.unescape(page.read_text(encoding="utf-8"))).split())
    own = submission.read_text(encoding="utf-8") if submission.exists() else ""
    return [ln for ln in hidden if " ".join(ln.split()) in text and json.dumps(ln)[1:-1] not in own]


def grade_demo(root: Path, module: str = "00_welcome", keep: bool = False, timeout: int = 30,
               echo: Callable[[str], None] = print, course: Path | None = None, workers: int = 2,
               full_size: bool = False, copies: int = 1, kinds: list[str] | None = None) -> bool:
    """Release `module` in a course folder of its own (this course's nbgrader_config.py), autograde the
    simulated class with `paperlab grade` (Dask), export grades, generate feedback; print expected versus
    actual and check that no feedback page shows a hidden test. `full_size` grades at full parameters
    instead of the grading size; `copies` > 1 repeats each simulated student (a class of 6 x copies);
    `kinds` keeps only the named simulated students.
    The folder is temporary unless `keep` or a `course` folder is given."""
    from nbgrader.api import Gradebook

    from .autograde import grade_class

    if not (root / SOLUTIONS / module).is_dir():
        raise CourseError(f"unknown module {module!r} (no {root / SOLUTIONS / module})")
    if timeout < 1:
        raise CourseError(f"timeout must be >= 1 second, got {timeout}")
    known = [st.name for st in students(root)]
    unknown = sorted(set(kinds or ()) - set(known))
    if unknown or kinds == []:
        raise CourseError(f"unknown simulated students {unknown or kinds}: choose from {', '.join(known)}")
    keep = keep or course is not None
    course = Path(course) if course is not None else Path(tempfile.mkdtemp(prefix="paperlab-grade-demo-"))
    course.mkdir(parents=True, exist_ok=True)
    try:
        config = (root / CONFIG).read_text()
        if full_size:
            config += "\nc.GradingParameters.parameters = {}  # grade-demo --full-size\n"
        (course / CONFIG).write_text(config)
        build_sources(root, module, course / BUILT_SOURCES)
        echo(f"course folder: {course}")
        _nbgrader(course, "generate_assignment", module, "--force")
        class_ = [replace(st, name=f"{st.name}-{k}") if copies > 1 else st
                  for k in range(1, copies + 1) for st in students(root) if kinds is None or st.name in kinds]
        totals: dict[str, tuple[float, float]] = {}
        written: dict[str, dict[str, float]] = {}
        hidden: list[str] = []
        for path in sorted((course / BUILT_SOURCES / module).glob("*.ipynb")):
            solution = read_notebook(path)
            lesson = read_notebook(course / LESSONS / module / path.name)
            exercises = exercises_of(solution["cells"])
            written[path.stem] = written_answers(solution["cells"])
            total = graded_points(solution["cells"]) - sum(written[path.stem].values())
            totals[path.stem] = (total, exercises[0].points if exercises else 0.0)
            hidden += hidden_test_lines(solution["cells"])
            for student in class_:
                out = course / BUILD / "submitted" / student.name / module / path.name
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_text(json.dumps(student.make(solution, lesson, path), indent=1) + "\n")
        echo(f"autograding {len(class_)} submissions of {module} on {workers} Dask workers "
             f"({'full size' if full_size else 'grading size'}, per-cell timeout {timeout} s) ...")
        report = grade_class(course, module, workers=workers, timeout=timeout, echo=echo, quiet=True)
        _nbgrader(course, "export")
        with (course / BUILD / "grades.csv").open() as fh:
            exported = {row["student_id"]: float(row["score"]) for row in csv.DictReader(fh)
                        if row["assignment"] == module}
        _nbgrader(course, "generate_feedback", module, "--force")
        pages = sorted((course / BUILD / "feedback").rglob("*.html"))
        feedback = course / BUILD / "feedback"
        hidden = not_shown_in(hidden, "".join(p.read_text(encoding="utf-8")
                                              for p in (course / LESSONS / module).glob("*.ipynb")))
        leaked = [p for p in pages if leaked_lines(p, hidden, course / BUILD / "submitted" /
                                                   p.relative_to(feedback).with_suffix(".ipynb"))]

        ok = not leaked and len(pages) == len(class_) * len(totals)
        rows = []
        flags = {r.student: r.flags for r in report.rows}
        with Gradebook(f"sqlite:///{course / BUILD / 'gradebook.db'}") as gb:
            for student in class_:
                sub = gb.find_submission(module, student.name)
                expected = sum(student.expected(*totals[stem]) for stem in totals)
                to_grade = sum(g.needs_manual_grade for nb in sub.notebooks for g in nb.grades
                               if g.name in written[nb.name])
                expected_to_grade = sum(len(w) for w in written.values()) if student.writes else 0
                flagged = bool(flags.get(student.name)) or any(
                    g.needs_manual_grade for nb in sub.notebooks for g in nb.grades if g.name not in written[nb.name])
                match = (abs(sub.score - expected) < 1e-9 and flagged == student.flagged
                         and to_grade == expected_to_grade
                         and abs(exported.get(student.name, -1) - sub.score) < 1e-9)
                ok &= match
                rows.append((student.name, student.story, f"{expected:g}", f"{sub.score:g}",
                             f"{exported.get(student.name, float('nan')):g}", f"{expected_to_grade}/{to_grade}",
                             "yes" if student.flagged else "no", "yes" if flagged else "no",
                             "ok" if match else "MISMATCH"))
        echo(format_table(rows, ("student", "submission", "expected", "gradebook", "csv",
                                 "written answers to grade (expected/found)", "flag expected", "flagged",
                                 "verdict")))
        echo(f"the expected scores are the autograded points; written answers ({sum(map(len, written.values()))} "
             f"cells, {sum(sum(w.values()) for w in written.values()):g} points per student) wait for "
             f"the formgrader")
        echo(f"grades exported to {course / BUILD / 'grades.csv'}" + ("" if keep else " (temporary; --keep to keep it)"))
        echo(f"feedback: {len(pages)} pages, " + (f"HIDDEN TESTS LEAKED in {len(leaked)}" if leaked
                                                 else "no hidden-test line in any of them"))
        echo("every expected score matched" if ok else "MISMATCH: some scores or feedback differ from what was expected")
        return ok
    finally:
        if not keep:
            shutil.rmtree(course, ignore_errors=True)
