"""`make bench`: run every tests/bench/bench_*.py side by side and print its speed ratios."""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path
from typing import Any

from .layout import BUILD, CourseError

BENCH_DIR = Path("tests") / "bench"


def discover(root: Path, names: list[str] | None = None) -> dict[str, Path]:
    """{theme: path} of the benchmark files, filtered by `names`."""
    found = {p.stem.removeprefix("bench_"): p for p in sorted((root / BENCH_DIR).glob("bench_*.py"))}
    unknown = sorted(set(names or []) - set(found))
    if unknown:
        raise CourseError(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(found) or 'none'}")
    return {k: v for k, v in found.items() if not names or k in names}


def _load(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"paperlab_bench_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise CourseError(f"{path}: cannot be imported")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not callable(getattr(module, "run", None)):
        raise CourseError(f"{path}: defines no run(quick=False) function")
    return module


def run_benchmarks(root: Path, names: list[str] | None = None, quick: bool = False) -> int:
    """Run the benchmarks, print one table, write build/bench-report.json; 0 unless one crashed."""
    import torch

    torch.set_num_threads(1)  # one thread: ratios stay comparable on a shared, loaded machine
    rows: list[dict[str, Any]] = []
    failed = 0
    print("benchmarks run single-threaded; each ratio is measured side by side in this run")
    for theme, path in discover(root, names).items():
        start = time.perf_counter()
        try:
            results = _load(path).run(quick=quick)
        except Exception as exc:  # report and go on: one broken benchmark must not hide the others
            print(f"{theme}: FAILED: {type(exc).__name__}: {exc}")
            failed += 1
            continue
        for row in results:
            rows.append({"theme": theme, **row})
        print(f"{theme}: {len(results)} benchmark(s) in {time.perf_counter() - start:.1f} s")
    if rows:
        width = max(len(r["benchmark"]) for r in rows)
        print(f"\n{'theme':<10}  {'benchmark':<{width}}  {'ratio':>8}  detail")
        for r in rows:
            print(f"{r['theme']:<10}  {r['benchmark']:<{width}}  {r['ratio']:>7.2f}x  {r.get('detail', '')}")
    out = root / BUILD / "bench-report.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"report: {out.relative_to(root)}")
    return 1 if failed else 0
