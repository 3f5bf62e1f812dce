"""Grading a class: `paperlab grade MODULE` autogrades every submission in parallel through nbgrader's
own API, on Dask distributed (a LocalCluster by default, an existing cluster by address).

Why one gradebook per task: SQLite allows one writer, and a remote Dask worker shares no disk with us.
So each task gets the submission, the released lesson and a snapshot of the gradebook, autogrades in a
temporary course folder of its own with `NbGraderAPI.autograde`, and returns the autograded notebooks,
the grades nbgrader stored and the tampering it found. This process alone writes the course gradebook,
one submission at a time, through nbgrader's `Gradebook` API (`add_submission`, `find_grade`), so the
formgrader and `nbgrader export` see exactly what a sequential `nbgrader autograde` would have written.

The grading size: `GradingParameters` (an nbgrader preprocessor, configured in nbgrader_config.py) puts
a cell right after each notebook's parameters cell that sets the grading parameters (SMOKE=True), so
the experiments shrink while the exercises and their hidden tests run unchanged.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, Dict

from .layout import BUILD, CONFIG, LESSONS, CourseError, written_answers
from .tables import format_table

GRADING_CELL_ID = "grading-size"


class GradingParameters(Preprocessor):
    """Insert, after the cell tagged `parameters`, a cell that sets `parameters` (the grading size)."""

    enabled = Bool(True, help="nbconvert preprocessors are off unless enabled").tag(config=True)

    parameters = Dict({}, help="parameter values set under autograde, e.g. {'SMOKE': True}").tag(config=True)

    def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        """Add the grading-size cell (once) after the parameters cell."""
        from nbformat.v4 import new_code_cell

        if not self.parameters or any(c.get("id") == GRADING_CELL_ID for c in nb.cells):
            return nb, resources
        for index, cell in enumerate(nb.cells):
            if "parameters" in cell.get("metadata", {}).get("tags", []):
                lines = [f"{name} = {value!r}" for name, value in self.parameters.items()]
                source = "# grading size, set by the instructor in nbgrader_config.py\n" + "\n".join(lines)
                nb.cells.insert(index + 1, new_code_cell(source, id=GRADING_CELL_ID))
                break
        return nb, resources


@dataclass
class Graded:
    """What grading one submission gave."""

    student: str
    ok: bool
    seconds: float
    error: str = ""
    flags: list[str] = field(default_factory=list)
    grades: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # notebook -> cell -> grade
    timestamp: str | None = None


def _read_tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _write_tree(folder: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def tampering(submitted: str, released: str, name: str) -> list[str]:
    """Locked cells (tests, read-only setup) that the student deleted, de-tagged or edited, compared with
    the lesson as released (not with the instructor's source, whose tests hold the hidden ones)."""
    import nbformat
    from nbgrader.utils import compute_checksum, is_locked

    mine = {c.metadata.get("nbgrader", {}).get("grade_id"): c
            for c in nbformat.reads(submitted, as_version=4).cells}
    flags = []
    for cell in nbformat.reads(released, as_version=4).cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if not gid or not is_locked(cell):
            continue
        if gid not in mine:
            flags.append(f"{name}: {gid} deleted")
        elif compute_checksum(mine[gid]) != compute_checksum(cell):
            flags.append(f"{name}: {gid} edited")
    return flags


def autograde_one(task: dict[str, Any]) -> dict[str, Any]:
    """Autograde one submission in a temporary course of its own (runs on a Dask worker; it changes the
    working directory while nbgrader runs, so a worker runs one task at a time: --nthreads 1)."""
    from nbgrader.api import Gradebook
    from nbgrader.apps import NbGraderAPI
    from traitlets.config.loader import PyFileConfigLoader

    start = time.perf_counter()
    student, module = task["student"], task["module"]
    os.environ.setdefault("PAPERLAB_QUIET", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    with tempfile.TemporaryDirectory(prefix=f"paperlab-grade-{student}-") as tmp:
        course = Path(tmp)
        (course / "gradebook.db").write_bytes(task["gradebook"])
        config_text = task["config"] + (
            f"\nc.CourseDirectory.root = {str(course)!r}\n"
            f"c.CourseDirectory.db_url = {'sqlite:///' + str(course / 'gradebook.db')!r}\n"
            f"c.Execute.timeout = {task['timeout']}\n")
        (course / CONFIG).write_text(config_text)
        submitted = course / "build" / "submitted" / student / module
        _write_tree(submitted, task["files"])
        flags = []
        for name, data in task["released"].items():
            path = submitted / name
            if not path.exists():
                flags.append(f"{name}: notebook missing")
                continue
            try:
                flags += tampering(path.read_text(encoding="utf-8"), data.decode("utf-8"), name)
            except Exception as exc:  # not a notebook at all: nbgrader fails it too
                flags.append(f"{name}: unreadable ({type(exc).__name__})")
        cwd = os.getcwd()
        try:
            os.chdir(course)
            config = PyFileConfigLoader(CONFIG, path=str(course)).load_config()
            result = NbGraderAPI(config=config).autograde(module, student, force=True, create=True)
        finally:
            os.chdir(cwd)
        out: dict[str, Any] = {"student": student, "ok": bool(result.get("success")), "flags": flags,
                               "error": "" if result.get("success") else (result.get("error") or result.get("log") or "")[-2000:],
                               "grades": {}, "files": {}, "timestamp": None}
        if out["ok"]:
            with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
                sub = gb.find_submission(module, student)
                out["timestamp"] = sub.timestamp.isoformat() if sub.timestamp else None
                for nb in sub.notebooks:
                    out["grades"][nb.name] = {
                        g.name: {"auto_score": g.auto_score, "manual_score": g.manual_score,
                                 "extra_credit": g.extra_credit, "needs_manual_grade": g.needs_manual_grade}
                        for g in nb.grades}
            out["files"] = _read_tree(course / "build" / "autograded" / student / module)
        out["seconds"] = time.perf_counter() - start
        return out


def _store(db_url: str, module: str, result: dict[str, Any]) -> None:
    """Write one task's grades into the course gradebook through nbgrader's Gradebook API."""
    import warnings

    from nbgrader.api import Gradebook, MissingEntry
    from sqlalchemy.exc import SAWarning

    with Gradebook(db_url) as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's add_submission under SQLAlchemy 2 (harmless)
        gb.update_or_create_student(result["student"])
        with contextlib.suppress(MissingEntry):  # regrading replaces the old submission
            gb.remove_submission(module, result["student"])
        kwargs = {"timestamp": result["timestamp"]} if result["timestamp"] else {}
        gb.add_submission(module, result["student"], **kwargs)
        for notebook, grades in result["grades"].items():
            for cell, values in grades.items():
                grade = gb.find_grade(cell, notebook, module, result["student"])
                for key, value in values.items():
                    setattr(grade, key, value)
        gb.db.commit()


@dataclass
class ClassReport:
    """The outcome of grading a class."""

    module: str
    rows: list[Graded]
    max_score: float
    seconds: float
    written: dict[str, set[str]] = field(default_factory=dict)  # notebook -> grade ids of written answers

    def to_grade(self, g: Graded) -> int:
        """The written answers of one submission that wait for a human grader (the formgrader)."""
        return sum(bool(v["needs_manual_grade"]) for nb, cells in g.grades.items() for gid, v in cells.items()
                   if gid in self.written.get(nb, ()))

    def table(self) -> str:
        """One line per student: score, status, time, written answers to grade, flags."""
        body = []
        for g in sorted(self.rows, key=lambda r: r.student):
            score = sum((v["auto_score"] or 0) + (v["manual_score"] or 0) for nb in g.grades.values()
                        for v in nb.values())
            status = "ok" if g.ok else "FAILED"
            body.append([g.student, f"{score:g}" if g.ok else "-", f"{self.max_score:g}", status,
                         f"{g.seconds:.0f}", str(self.to_grade(g)) if g.ok else "-",
                         "; ".join(g.flags) or (g.error.splitlines() or [""])[-1][:80]])
        return format_table(body, ["student", "score", "max", "status", "seconds", "written answers to grade",
                                   "flags (tampering) / error"])


def _config_text(root: Path) -> str:
    path = root / CONFIG
    if not path.is_file():
        raise CourseError(f"no {CONFIG} in {root}")
    return path.read_text()


def grade_class(root: Path, module: str, scheduler: str | None = None, workers: int = 2,
                timeout: int = 120, students: list[str] | None = None,
                echo: Callable[[str], None] = print, quiet: bool = False) -> ClassReport:
    """Autograde every submission of `module` under build/submitted/ on Dask; write the course gradebook
    and build/autograded/; return the class report."""
    from dask.distributed import Client, LocalCluster, as_completed
    from nbgrader.api import Gradebook, MissingEntry
    from tqdm import tqdm

    submitted = root / BUILD / "submitted"
    everyone = sorted(p.parent.name for p in submitted.glob(f"*/{module}") if p.is_dir())
    chosen = students or everyone
    missing = sorted(set(chosen) - set(everyone))
    if missing:
        raise CourseError(f"no submission of {module} under {submitted} for: {', '.join(missing)}")
    if not chosen:
        raise CourseError(f"no submissions of {module} under {submitted}/STUDENT/{module}/")
    db_path = root / BUILD / "gradebook.db"
    db_url = f"sqlite:///{db_path}"
    with Gradebook(db_url) as gb:
        try:
            assignment = gb.find_assignment(module)
        except MissingEntry:
            raise CourseError(f"{module} is not in the gradebook: release it first (`paperlab release {module}`)") from None
        max_score = float(assignment.max_score)
        for student in chosen:
            gb.update_or_create_student(student)
    released = {p.name: p.read_bytes() for p in sorted((root / LESSONS / module).glob("*.ipynb"))}
    written = {Path(name).stem: set(written_answers(json.loads(data)["cells"])) for name, data in released.items()}
    snapshot = db_path.read_bytes()
    config = _config_text(root)

    start = time.perf_counter()
    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=40)
        client = Client(cluster)
    rows: list[Graded] = []
    try:
        futures = {client.submit(autograde_one, {"student": s, "module": module, "timeout": timeout,
                                                 "files": _read_tree(submitted / s / module),
                                                 "released": released, "gradebook": snapshot, "config": config},
                                 key=f"autograde-{module}-{s}", pure=False): s for s in chosen}
        with tqdm(total=len(futures), desc=f"grading {module}", unit="submission", disable=quiet) as bar:
            for future in as_completed(futures):
                try:
                    result = future.result()
                except Exception as exc:  # a worker that died: report and go on
                    rows.append(Graded(futures[future], False, 0.0, f"{type(exc).__name__}: {exc}"))
                    bar.update()
                    continue
                if result["ok"]:
                    result["flags"] += [f"{nb}: {gid} needs manual grade" for nb, cells in result["grades"].items()
                                        for gid, v in cells.items() if v["needs_manual_grade"]
                                        and gid not in written.get(nb, ())
                                        and not any(f.startswith(f"{nb}.ipynb: {gid} ") for f in result["flags"])]
                    _store(db_url, module, result)
                    target = root / BUILD / "autograded" / result["student"] / module
                    shutil.rmtree(target, ignore_errors=True)
                    _write_tree(target, result["files"])
                rows.append(Graded(result["student"], result["ok"], result["seconds"], result["error"],
                                   result["flags"], result["grades"], result["timestamp"]))
                bar.set_postfix_str(f"{result['student']} {'ok' if result['ok'] else 'FAILED'}")
                bar.update()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    report = ClassReport(module, rows, max_score, time.perf_counter() - start, written)
    echo(report.table())
    flagged = sorted(r.student for r in rows if r.flags)
    failed = [r.student for r in rows if not r.ok]
    waiting = sum(report.to_grade(r) for r in rows if r.ok)
    echo(f"graded {len(rows)} submissions of {module} in {report.seconds:.0f} s"
         + (f"; {waiting} written answers wait for the formgrader" if waiting else "")
         + (f"; tampering flagged for {', '.join(flagged)}" if flagged else "; no tampering found")
         + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    return report
