"""The `paperlab` command: list, run, claims, new, release, check, update, grade, grade-demo and bench."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from .layout import (
    BUILD,
    LESSONS,
    SOLUTIONS,
    CourseError,
    find_root,
    graded_points,
    select,
    written_answers,
)
from .tables import format_table


def cmd_list(root: Path, args: argparse.Namespace) -> int:
    """Print modules and notebooks with title, papers, points and time."""
    rows = []
    for nb in select(root, args.names):
        card = nb.card()
        cells = nb.cells()
        points, by_hand = graded_points(cells), sum(written_answers(cells).values())
        rows.append([nb.name, card.title if card else "(no title card)",
                     f"{points:g}" + (f" ({by_hand:g} by hand)" if by_hand else ""),
                     f"{card.minutes} min" if card and card.minutes else "?",
                     (card.papers if card else "")[:70]])
    print(format_table(rows, ["notebook", "title", "points", "time", "papers"]))
    return 0


def cmd_run(root: Path, args: argparse.Namespace) -> int:
    """Execute notebooks into build/executed/, print a summary table and write build/run-report.json."""
    from .execute import Job, output_path, run, run_batch, write_report

    chosen = select(root, args.names)
    desc = f"running {args.which}{' (smoke)' if args.smoke else ''}"
    if args.which == SOLUTIONS:
        jobs = [Job(nb, output_path(root, nb, SOLUTIONS, args.smoke)) for nb in chosen]
        results = run_batch(jobs, args.smoke, args.timeout, workers=args.jobs, desc=desc, quiet=args.quiet)
    else:
        from tqdm import tqdm

        results = [run(nb, which=LESSONS, smoke=args.smoke, timeout=args.timeout)
                   for nb in tqdm(chosen, desc=desc, unit="nb", file=sys.stderr, disable=args.quiet)]
    report = write_report(root, results)
    rows = [[r.notebook, r.status + (f" ({len(r.unfinished)} unfinished)" if r.unfinished else ""),
             f"{r.seconds:.1f}"] for r in results]
    print(format_table(rows, ["notebook", "status", "seconds"]))
    for r in results:
        if r.failed:
            print(f"FAILED {r.which}/{r.notebook}: {r.failure}  (executed copy: {r.output})")
    print(f"report: {report.relative_to(root)}")
    return 1 if any(r.failed for r in results) else 0


def cmd_claims(root: Path, args: argparse.Namespace) -> int:
    """Run the solutions at full parameters over seeds and thread counts; print the claims table."""
    from .claims import format_report, parse_range, sweep

    seeds, threads = parse_range(args.seeds, "--seeds"), parse_range(args.threads, "--threads")
    if 0 in threads:
        raise CourseError("--threads must be >= 1")
    report = sweep(root, select(root, args.names), seeds, threads, args.jobs, args.timeout, args.quiet,
                   missing=args.missing, report_only=args.report_only)
    print(format_report(report))
    print(f"report: {BUILD}/claims-report.json")
    failed = any(r["status"] != "ok" or not all(c["passed"] or not c.get("asserted", True) for c in r["claims"])
                 for r in report["runs"])
    return 1 if failed else 0


def cmd_release(root: Path, args: argparse.Namespace) -> int:
    """Regenerate lessons/ from solutions/ through nbgrader."""
    from .release import release

    modules = sorted({nb.module for nb in select(root, args.names)})
    for path in release(root, modules):
        print(f"rewrote {path.relative_to(root)} in canonical form (no outputs, stable ids)")
    print(f"released {', '.join(modules)} into {LESSONS}/")
    return 0


def cmd_check(root: Path, args: argparse.Namespace) -> int:
    """Run every integrity check and print a verdict per check."""
    from .checks import run_checks

    results = run_checks(root, select(root, args.names))
    failed = 0
    for name, problems in results.items():
        print(f"{'ok  ' if not problems else 'FAIL'}  {name}")
        for p in problems:
            print(f"        {p}")
        failed += bool(problems)
    print("all checks passed" if not failed else f"{failed} check(s) failed")
    return 1 if failed else 0


def cmd_grade_demo(root: Path, args: argparse.Namespace) -> int:
    """A full nbgrader round-trip with simulated students; non-zero on any unexpected score."""
    from .grading import grade_demo

    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()] if args.kinds else None
    ok = grade_demo(root, args.module, keep=args.keep, timeout=args.timeout, workers=args.workers,
                    full_size=args.full_size, copies=args.copies, kinds=kinds)
    return 0 if ok else 1


def cmd_new(root: Path, args: argparse.Namespace) -> int:
    """Write a new lesson's text source, with stub mutant and alternate files."""
    from .scaffold import new_lesson

    for path in new_lesson(root, args.name, args.title):
        print(f"wrote {path.relative_to(root)}")
    print(f"next: edit the TODOs, then `paperlab release {args.name.split('/')[0]}` and `paperlab check`")
    return 0


def cmd_grade(root: Path, args: argparse.Namespace) -> int:
    """Autograde a class in parallel on Dask; print the class table; non-zero if a submission failed."""
    from .autograde import grade_class

    students = [s for s in (args.students or "").split(",") if s] or None
    report = grade_class(root, args.module, scheduler=args.scheduler, workers=args.workers,
                         timeout=args.timeout, students=students, quiet=args.quiet)
    print(f"next: `nbgrader generate_feedback {args.module}` and `nbgrader export` (to {BUILD}/grades.csv)")
    return 0 if all(r.ok for r in report.rows) else 1


def cmd_update(root: Path, args: argparse.Namespace) -> int:
    """Fill or update the student's workspace from lessons/, never overwriting an edited notebook."""
    from .workspace import WORKSPACE, update

    report = update(root)
    for line in report.lines():
        print(line)
    print(f"{WORKSPACE}/: {len(report.added)} added, {len(report.refreshed)} refreshed, "
          f"{len(report.kept)} kept (yours, edited), {len(report.unchanged)} unchanged")
    return 0


def cmd_preview(root: Path, args: argparse.Namespace) -> int:
    """Write each lesson's experiments, executed, without answers or hidden tests, as HTML."""
    from .preview import preview

    for nb in select(root, args.names):
        path = preview(nb, smoke=args.smoke, timeout=args.timeout)
        print(f"{nb.name}: {path.relative_to(root)}")
    return 0


def cmd_bench(root: Path, args: argparse.Namespace) -> int:
    """Run the benchmarks in tests/bench/ and print their ratios."""
    from .bench import run_benchmarks

    return run_benchmarks(root, args.names, quick=args.quick)


def _positive(text: str) -> int:
    value = int(text) if text.isdigit() else 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an int >= 1, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `paperlab`."""
    parser = argparse.ArgumentParser(prog="paperlab", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="modules and notebooks with title, papers, points and time")
    p.add_argument("names", nargs="*", help="MODULE, MODULE/NOTEBOOK or NOTEBOOK (default: all)")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("run", help="execute notebooks headlessly into build/executed/")
    p.add_argument("names", nargs="*", help="MODULE, MODULE/NOTEBOOK or NOTEBOOK (default: all)")
    p.add_argument("--smoke", action="store_true", help="SMOKE=True: tiny sizes, seconds per notebook")
    p.add_argument("--which", choices=[SOLUTIONS, LESSONS], default=SOLUTIONS)
    p.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")
    p.add_argument("--jobs", type=_positive, default=1, help="solution notebooks run at once (default 1)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("claims", help="full runs over seeds and thread counts: each claim's smallest margin")
    p.add_argument("names", nargs="*", help="MODULE, MODULE/NOTEBOOK or NOTEBOOK (default: all)")
    p.add_argument("--seeds", default="0-4", help="SEED values, e.g. 0-4 or 0,3 (default 0-4)")
    p.add_argument("--threads", default="1,2", help="torch thread counts (default 1,2)")
    p.add_argument("--jobs", type=_positive, default=2, help="notebooks run at once (default 2)")
    p.add_argument("--timeout", type=int, default=900, help="seconds per cell (default 900)")
    p.add_argument("--missing", action="store_true",
                   help="keep runs already logged for the same source; run only the rest (resume)")
    p.add_argument("--report-only", action="store_true",
                   help="run nothing: the table of what build/claims/ holds for the current sources")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_claims)

    p = sub.add_parser("release", help="regenerate lessons/ from solutions/ with nbgrader")
    p.add_argument("names", nargs="*", help="MODULE or notebook names (default: all modules)")
    p.set_defaults(func=cmd_release)

    p = sub.add_parser("check", help="sync, outputs, nbgrader metadata, leaks and anatomy")
    p.add_argument("names", nargs="*", help="MODULE or notebook names (default: all)")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("grade", help="autograde a class in parallel (Dask), with a class table and tampering flags")
    p.add_argument("module", help="the module (assignment) to grade, e.g. 01_ssm")
    p.add_argument("--scheduler", help="address of an existing Dask scheduler (default: a local cluster)")
    p.add_argument("--workers", type=_positive, default=os.cpu_count() or 1,
                   help="local Dask workers (default: one per core)")
    p.add_argument("--timeout", type=_positive, default=120, help="seconds per cell (default 120)")
    p.add_argument("--students", help="comma-separated student ids (default: every submission)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_grade)

    p = sub.add_parser("grade-demo", help="release, autograde simulated students, export grades")
    p.add_argument("--module", default="00_welcome", help="the module to grade (default 00_welcome)")
    p.add_argument("--timeout", type=_positive, default=60, help="per-cell timeout in seconds (default 60)")
    p.add_argument("--workers", type=_positive, default=os.cpu_count() or 1, help="Dask workers (default: one per core)")
    p.add_argument("--copies", type=_positive, default=1, help="repeat each simulated student (default 1)")
    p.add_argument("--kinds", default=None,
                   help="the simulated students to use, e.g. solution,untouched (default: all six)")
    p.add_argument("--full-size", action="store_true", help="grade at full parameters instead of the grading size")
    p.add_argument("--keep", action="store_true", help="keep the temporary course folder")
    p.set_defaults(func=cmd_grade_demo)

    p = sub.add_parser("new", help="scaffold a new lesson: solutions/MODULE/NOTEBOOK.py, mutants, alternates")
    p.add_argument("name", help="MODULE/NOTEBOOK, e.g. 05_value_learning/01_classification")
    p.add_argument("--title", help="the lesson's title (default: from the name)")
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("preview", help="a lesson's experiments, executed, as HTML without the answers (build/preview/)")
    p.add_argument("names", nargs="+", help="MODULE, MODULE/NOTEBOOK or NOTEBOOK")
    p.add_argument("--smoke", action="store_true", help="SMOKE=True: seconds instead of minutes")
    p.add_argument("--timeout", type=_positive, default=600, help="seconds per cell (default 600)")
    p.set_defaults(func=cmd_preview)

    p = sub.add_parser("update", help="fill or update your workspace work/ from lessons/ (your edits are kept)")
    p.set_defaults(func=cmd_update, names=[])

    p = sub.add_parser("bench", help="speed ratios measured side by side (tests/bench/)")
    p.add_argument("names", nargs="*", help="theme names, e.g. ssm kv_cache (default: all)")
    p.add_argument("--quick", action="store_true", help="smaller sizes")
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse arguments, run the command, turn course errors into one line and exit 2."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(find_root(), args)
    except CourseError as exc:
        print(f"paperlab: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("paperlab: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
