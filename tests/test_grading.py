"""The instructor's round-trip: release, `paperlab grade` on a Dask LocalCluster with 2 workers, export,
feedback; every score read back from the gradebook and the CSV, and no hidden test in any feedback page."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from utils.course.grading import grade_demo, hidden_test_lines, leaked_lines
from utils.course.layout import read_notebook

EXPECTED = {  # 00_welcome: four exercises of 2 points, three written answers of 1; (autograded score, writes)
    "solution": (8.0, True),
    "untouched": (0.0, False),
    "alternative": (8.0, True),
    "tests-edited": (0.0, False),  # the tests are restored from the gradebook; the edit is flagged
    "test-deleted": (6.0, True),  # needs_manual_grade in the gradebook, and flagged
    "loops-forever": (6.0, True),  # the cell times out, grading goes on
}
WRITTEN = ("reflect-stream", "reflect-kernel", "reflect-tests")


def _scores(course: Path) -> dict[str, float]:
    with Gradebook(f"sqlite:///{course}/build/gradebook.db") as gb:
        return {s: gb.find_submission("00_welcome", s).score for s in EXPECTED}


@pytest.fixture(scope="module")
def graded(root: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The welcome module graded at the grading size, on 2 Dask workers."""
    lines: list[str] = []
    course = tmp_path_factory.mktemp("graded") / "course"
    assert grade_demo(root, "00_welcome", timeout=10, echo=lines.append, course=course, workers=2), "\n".join(lines)
    return course, lines


def test_grade_round_trip(graded: tuple[Path, list[str]]) -> None:
    """The gradebook and the CSV hold exactly the expected scores; written answers wait for a human grader
    (an unanswered one is scored 0 at once); tampering is flagged."""
    course, lines = graded
    with Gradebook(f"sqlite:///{course}/build/gradebook.db") as gb:
        assert gb.find_assignment("00_welcome").max_score == 11
        for student, (score, writes) in EXPECTED.items():
            assert gb.find_submission("00_welcome", student).score == score, student
            for gid in WRITTEN:
                grade = gb.find_grade(gid, "welcome", "00_welcome", student)
                assert grade.needs_manual_grade == writes and grade.auto_score == (None if writes else 0), (student, gid)
        assert gb.find_grade("lse-tests", "welcome", "00_welcome", "test-deleted").needs_manual_grade
        assert not gb.find_grade("lse-tests", "welcome", "00_welcome", "solution").needs_manual_grade
        assert gb.find_grade("lse-tests", "welcome", "00_welcome", "loops-forever").auto_score == 0
    with (course / "build" / "grades.csv").open() as fh:
        scores = {row["student_id"]: float(row["score"]) for row in csv.DictReader(fh)}
    assert scores == {s: v[0] for s, v in EXPECTED.items()}
    table = "\n".join(lines)
    assert "tampering flagged for test-deleted, tests-edited" in table
    assert "lse-tests deleted" in table and "ma-conv-tests edited" in table
    assert "12 written answers wait for the formgrader" in table
    assert "every expected score matched" in lines[-1]


def test_feedback_shows_no_hidden_test(root: Path, graded: tuple[Path, list[str]]) -> None:
    """Every feedback page exists, renders its formulas as MathML, and holds no hidden-test line (other
    than a line the student's own answer happens to share)."""
    course, _ = graded
    hidden = hidden_test_lines(read_notebook(root / "solutions/00_welcome/welcome.py")["cells"])
    assert len(hidden) > 10
    pages = sorted((course / "build" / "feedback").rglob("*.html"))
    assert len(pages) == len(EXPECTED)
    for page in pages:
        html = page.read_text(encoding="utf-8")
        submission = course / "build" / "submitted" / page.relative_to(course / "build" / "feedback").with_suffix(".ipynb")
        assert submission.exists()
        assert not leaked_lines(page, hidden, submission), page
        assert "<math" in html and "max-width: 100%" in html, page
        assert "grading size, set by the instructor" in html  # autograde ran at the grading size


def test_grading_size_gives_full_size_scores(root: Path, graded: tuple[Path, list[str]], tmp_path: Path) -> None:
    """Grading at full parameters gives the same score to every simulated student."""
    lines: list[str] = []
    course = tmp_path / "full"
    assert grade_demo(root, "00_welcome", timeout=30, echo=lines.append, course=course, workers=2,
                      full_size=True), "\n".join(lines)
    assert _scores(course) == _scores(graded[0])
