"""The instructor's round-trip: release, autograde simulated students, export; scores read back exactly."""

from __future__ import annotations

import csv
from pathlib import Path

from nbgrader.api import Gradebook

from utils.course.grading import grade_demo

EXPECTED = {  # 00_welcome: three exercises of 2 points
    "solution": (6.0, False),
    "untouched": (0.0, False),
    "alternative": (6.0, False),
    "tests-edited": (0.0, False),  # the tests are restored from the gradebook, the answers are stubs
    "test-deleted": (4.0, True),  # only the gradebook's needs_manual_grade shows the deleted cell
    "loops-forever": (4.0, False),  # the cell times out, grading goes on
}


def test_grade_demo_round_trip(root: Path, tmp_path: Path) -> None:
    """grade_demo reports success, and the gradebook and CSV hold exactly the expected scores."""
    lines: list[str] = []
    course = tmp_path / "course"
    assert grade_demo(root, "00_welcome", timeout=10, echo=lines.append, course=course), "\n".join(lines)
    with Gradebook(f"sqlite:///{course}/gradebook.db") as gb:
        assert gb.find_assignment("00_welcome").max_score == 6
        for student, (score, flagged) in EXPECTED.items():
            sub = gb.find_submission("00_welcome", student)
            assert sub.score == score, (student, sub.score)
            assert bool(sub.needs_manual_grade) is flagged, (student, sub.needs_manual_grade)
        timed_out = gb.find_grade("lse-tests", "welcome", "00_welcome", "loops-forever")
        assert timed_out.auto_score == 0
    with (course / "grades.csv").open() as fh:
        scores = {row["student_id"]: float(row["score"]) for row in csv.DictReader(fh)}
    assert scores == {s: v[0] for s, v in EXPECTED.items()}
    assert "every expected score matched" in lines[-1]
