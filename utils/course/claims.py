"""`paperlab claims`: every solution notebook at full parameters for several seeds and thread counts,
and one table of each claim's figures, thresholds and smallest margin (build/claims-report.json).

DESIGN.md, Claims: a threshold is set from a measurement over at least 5 seeds and 2 thread counts
(a cheap stand-in for another machine's floating-point kernels), and every one of those runs passes.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from ..common import CLAIMS_LOG
from .execute import Job, run_batch
from .layout import BUILD, CourseError, Notebook, cell_source, read_notebook
from .tables import format_table


def parse_range(text: str, what: str) -> list[int]:
    """'0-4' or '1,2' or '3' -> a sorted list of ints >= 0; CourseError naming `what` otherwise."""
    values: set[int] = set()
    try:
        for part in text.split(","):
            low, _, high = part.strip().partition("-")
            values.update(range(int(low), int(high or low) + 1))
    except ValueError:
        raise CourseError(f"{what} must look like 0-4 or 1,2, got {text!r}") from None
    if not values or min(values) < 0:
        raise CourseError(f"{what} must be non-negative ints, got {text!r}")
    return sorted(values)


_UTILS_IMPORT = re.compile(r"\butils\.(\w+)|\bfrom utils import ([\w, ()]+)")


def fingerprint(nb: Notebook) -> str:
    """sha256 of what a run's figures depend on: the solution's code cells (prose cannot move a figure)
    and the utils/ modules they import."""
    text = "\n\0".join(cell_source(c) for c in read_notebook(nb.path())["cells"]
                       if c.get("cell_type") == "code")
    modules: dict[str, bytes] = {}  # the utils modules imported, directly or by another utils module
    todo = ["common", *_utils_imports(text)]
    while todo:
        name = todo.pop()
        module = nb.root / "utils" / f"{name}.py"
        if name in modules or not module.exists():
            continue
        modules[name] = module.read_bytes()
        todo.extend(_utils_imports(modules[name].decode()))
    digest = hashlib.sha256(text.encode())
    for name in sorted(modules):
        digest.update(name.encode() + b"\0" + modules[name])
    return digest.hexdigest()


def _utils_imports(text: str) -> set[str]:
    """The names of the utils modules a text imports (`utils.NAME`, `from utils import NAME, ...`)."""
    names: set[str] = set()
    for dotted, listed in _UTILS_IMPORT.findall(text):
        names.update([dotted] if dotted else re.findall(r"\w+", listed))
    return names


def _log(folder: Path, nb: Notebook, seed: int, threads: int) -> Path:
    """The claims log of one run: build/claims/MODULE/STEM.seedS.threadsT.jsonl."""
    return folder / f"{nb.module}/{nb.stem}.seed{seed}.threads{threads}.jsonl"


def _sidecar(log: Path) -> Path:
    return log.with_suffix(".run.json")


def _current(log: Path, digest: str) -> bool:
    """A run already logged for this exact source that finished: its sidecar holds the same fingerprint
    and status ok (a failed run is run again)."""
    side = _sidecar(log)
    if not (log.exists() and side.exists()):
        return False
    record = json.loads(side.read_text())
    return record.get("fingerprint") == digest and record.get("status") == "ok"


def sweep(root: Path, nbs: list[Notebook], seeds: list[int], threads: list[int], workers: int,
          timeout: int = 900, quiet: bool = False, missing: bool = False,
          report_only: bool = False) -> dict[str, Any]:
    """Run every (notebook, seed, thread count); return the report (also written to build/).

    With `missing`, a run whose log was made from the same source (same fingerprint) is kept and
    not rerun, so an interrupted sweep resumes and an edit reruns only the notebooks it touched.
    The report always covers every selected (notebook, seed, thread count); `report_only` runs
    nothing and reports what the logs hold (runs of an older source count as stale).
    """
    folder = root / BUILD / "claims"
    folder.mkdir(parents=True, exist_ok=True)
    digests = {nb.name: fingerprint(nb) for nb in nbs}
    for t in threads:  # one thread count at a time, never more threads than `workers` cores in all:
        jobs, logs = [], []  # tiny ops on oversubscribed cores run 10-100x slower and time out
        for nb in nbs:
            for seed in seeds:
                log = _log(folder, nb, seed, t)
                if report_only or (missing and _current(log, digests[nb.name])):
                    continue
                log.parent.mkdir(parents=True, exist_ok=True)
                log.unlink(missing_ok=True)
                _sidecar(log).unlink(missing_ok=True)
                env = (("PAPERLAB_THREADS", str(t)), (CLAIMS_LOG, str(log)), ("OMP_NUM_THREADS", str(t)))
                jobs.append(Job(nb, log.with_suffix(".ipynb"), seed=seed, env=env))
                logs.append((nb, log))
        if not jobs:
            continue

        def record(i: int, result: Any, logs: list[tuple[Notebook, Path]] = logs) -> None:
            nb, log = logs[i]
            # a source edited while its run was going on does not count as a run of either version
            same = fingerprint(nb) == digests[nb.name]
            _sidecar(log).write_text(json.dumps({
                "fingerprint": digests[nb.name] if same else None, "status": result.status,
                "seconds": result.seconds, "failure": result.failure}) + "\n")

        run_batch(jobs, smoke=False, timeout=timeout, workers=max(1, workers // t), on_done=record,
                  desc=f"claims, {t} thread{'s' * (t > 1)}: {len(jobs)} runs", quiet=quiet)
    runs = []
    for nb in nbs:
        for seed in seeds:
            for t in threads:
                log = _log(folder, nb, seed, t)
                side = json.loads(_sidecar(log).read_text()) if _sidecar(log).exists() else {}
                if side.get("fingerprint") != digests[nb.name]:
                    side = {"status": "stale", "seconds": 0.0,
                            "failure": "no run of the current source (edited during or since its run)"}
                records = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
                if len({r["claim"] for r in records}) != len(records):  # two runs wrote into one log
                    side = {"status": "stale", "seconds": 0.0, "failure": "log written by two runs at once"}
                runs.append({"notebook": nb.name, "seed": seed, "threads": t, "status": side["status"],
                             "seconds": side["seconds"], "failure": side["failure"],
                             "claims": records if side["status"] != "stale" else []})
    report = {"seeds": seeds, "threads": threads, "runs": runs, "rows": summarise(runs)}
    (root / BUILD / "claims-report.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def summarise(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (notebook, claim, check): figures over runs, threshold range, smallest margin."""
    rows: dict[tuple[str, str, int], dict[str, Any]] = {}
    passes: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for run in runs:
        for rec in run["claims"]:
            passes[(run["notebook"], rec["claim"])].append(rec["passed"])
            for i, check in enumerate(rec["checks"] or [None]):
                row = rows.setdefault((run["notebook"], rec["claim"], i), {
                    "notebook": run["notebook"], "claim": rec["claim"], "check": i, "op": None,
                    "asserted": rec.get("asserted", True), "figures": {}, "thresholds": [], "margins": []})
                key = f"s{run['seed']}/t{run['threads']}"
                if check is None:
                    row["figures"][key] = "pass" if rec["passed"] else "FAIL"
                    continue
                row["op"] = check["op"]
                row["figures"][key] = check["figure"]
                row["thresholds"].append(check["threshold"])
                row["margins"].append(check["margin"])
    out = []
    for (name, claim_name, _), row in sorted(rows.items()):
        row["runs_passed"] = sum(passes[(name, claim_name)])
        row["runs"] = len(passes[(name, claim_name)])
        row["smallest_margin"] = min(row["margins"]) if row["margins"] else None
        out.append(row)
    return out


def _num(x: float) -> str:
    if isinstance(x, str):
        return x
    if math.isinf(x) or math.isnan(x):
        return str(x)
    return f"{x:.3g}"


def format_report(report: dict[str, Any]) -> str:
    """The table a maintainer reads: one row per check of each claim."""
    lines = []
    header = ["notebook", "claim", "check", "figures (min .. max over runs)", "threshold", "smallest margin",
              "runs passed"]
    rows = []
    for row in report["rows"]:
        figures = [v for v in row["figures"].values() if not isinstance(v, str)]
        spread = f"{_num(min(figures))} .. {_num(max(figures))}" if figures else "qualitative"
        thresholds = row["thresholds"]
        threshold = "" if not thresholds else (
            f"{row['op']} {_num(thresholds[0])}" if max(thresholds) == min(thresholds)
            else f"{row['op']} {_num(min(thresholds))} .. {_num(max(thresholds))}")
        margin = row["smallest_margin"]
        margin_text = "" if margin is None else (
            "exact" if row["op"] == "==" and margin == 0 else
            f"{margin:+.0%}" if thresholds and min(abs(t) for t in thresholds) > 0 else f"{margin:+.3g} (abs)")
        rows.append([row["notebook"], row["claim"], str(row["check"]), spread, threshold, margin_text,
                     f"{row['runs_passed']}/{row['runs']}" + ("" if row.get("asserted", True) else " (reported only)")])
    lines.append(format_table(rows, header))
    failed = [r for r in report["runs"] if r["status"] != "ok"]
    for r in failed:
        lines.append(f"{r['status'].upper()} {r['notebook']} seed {r['seed']} threads {r['threads']}: {r['failure']}")
    for r in report["runs"]:
        for c in r["claims"]:
            if not c["passed"] and c.get("asserted", True):
                lines.append(f"CLAIM FAILED {r['notebook']} [{c['claim']}] seed {r['seed']} threads {r['threads']}: "
                             f"{c['here']}")
    seconds = [r["seconds"] for r in report["runs"]]
    lines.append(f"{len(report['runs'])} runs ({len(failed)} failed), {sum(seconds):.0f} s of notebook time")
    return "\n".join(lines)
