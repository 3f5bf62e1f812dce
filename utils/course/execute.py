"""Executing notebooks headlessly: solutions with papermill, lessons with nbclient and error triage."""

from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .layout import (
    BUILD,
    LESSONS,
    SOLUTIONS,
    CourseError,
    Notebook,
    cell_source,
    cell_tags,
    read_notebook,
)

KERNEL = "python3"


def _kernel_manager_class() -> type:
    """A kernel manager that gives local kernels CurveZMQ keys (jupyter_client's transport_encryption
    'auto', where the kernelspec declares support): encrypted sockets, and no ipykernel warning per run
    that the kernel "is running over TCP without encryption"."""
    from jupyter_client.manager import AsyncKernelManager

    class EncryptedKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.transport_encryption = "auto"

    return EncryptedKernelManager
EXPECTED = "NotImplementedError"


@dataclass
class RunResult:
    """The outcome of executing one notebook."""

    notebook: str
    which: str
    smoke: bool
    status: str  # "ok", "unfinished" (a lesson whose only errors are its unfinished exercises) or "failed"
    seconds: float
    output: str
    failure: str | None = None
    unfinished: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """True when the run counts as a failure."""
        return self.status == "failed"


def assigned_names(source: str) -> set[str]:
    """Top-level names a cell binds (assignments, loops, imports, defs); empty if it does not parse."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def _errors(cell: dict[str, Any]) -> list[dict[str, Any]]:
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]


def _one_line(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[-1] if lines else ''}"


def _where(index: int, cell: dict[str, Any]) -> str:
    return f"cell {index} (id {cell.get('id', '?')})"


def triage_lesson(cells: list[dict[str, Any]]) -> tuple[list[str], str | None]:
    """Split a lesson's errors into expected ones (unfinished exercises and their knock-on NameErrors)
    and the first unexpected one; returns (unfinished cell descriptions, failure or None)."""
    unfinished: list[str] = []
    pending: set[str] = set()  # names that an errored cell would have defined
    source_cells = [c for c in cells if "injected-parameters" not in cell_tags(c)]  # papermill's own
    for index, cell in enumerate(source_cells):
        if cell.get("cell_type") != "code":
            continue
        for err in _errors(cell):
            ename, evalue = err.get("ename", ""), err.get("evalue", "")
            missing = evalue.split("'")[1] if ename == "NameError" and evalue.count("'") >= 2 else None
            if ename == EXPECTED or (missing is not None and missing in pending):
                unfinished.append(_where(index, cell))
                pending |= assigned_names(cell_source(cell))
            else:
                return unfinished, f"{_where(index, cell)}: {ename}: {evalue}"
    return unfinished, None


def output_path(root: Path, nb: Notebook, which: str, smoke: bool) -> Path:
    """Where an executed copy goes: build/executed/<which>/<module>/<stem>[.smoke].ipynb."""
    suffix = ".smoke.ipynb" if smoke else ".ipynb"
    return root / BUILD / "executed" / which / nb.module / f"{nb.stem}{suffix}"


def _env_quiet() -> None:
    os.environ.setdefault("PAPERLAB_QUIET", "1")  # no per-step bars inside headless runs
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")


def run_solution(nb: Notebook, smoke: bool, timeout: int, out: Path, seed: int | None = None) -> RunResult:
    """Execute a solution notebook with papermill (SEED overridden when `seed` is given); any error is a
    failure."""
    import papermill as pm

    from .release import build_notebook

    _env_quiet()
    start = time.perf_counter()
    failure = None
    try:
        pm.execute_notebook(
            str(build_notebook(nb)), str(out), kernel_name=KERNEL,
            parameters={"SMOKE": smoke, **({} if seed is None else {"SEED": seed})},
            cwd=str(nb.root), progress_bar=False, execution_timeout=timeout,
            kernel_manager_class=_kernel_manager_class(),
        )
    except pm.PapermillExecutionError as exc:
        # papermill inserts marker cells into its output, so name the cell by its id in the source
        errored = [c for c in read_notebook(out)["cells"] if _errors(c)]
        cell_id = errored[0].get("id") if errored else None
        index = next((i for i, c in enumerate(nb.cells(SOLUTIONS)) if c.get("id") == cell_id), exc.cell_index)
        failure = f"{_where(index, errored[0] if errored else {})}: {exc.ename}: {exc.evalue}"
    except Exception as exc:  # a kernel that died or timed out
        failure = _one_line(exc)
    seconds = time.perf_counter() - start
    return RunResult(nb.name, SOLUTIONS, smoke, "failed" if failure else "ok", round(seconds, 2),
                     str(out), failure)


def run_lesson(nb: Notebook, smoke: bool, timeout: int, out: Path) -> RunResult:
    """Execute a lesson with all errors allowed, then triage them (see `triage_lesson`)."""
    import nbformat
    from nbclient import NotebookClient
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    _env_quiet()
    source = nb.path(LESSONS)
    if not source.exists():
        raise CourseError(f"{source}: no lesson (run `paperlab release {nb.module}`)")
    read_notebook(source)  # one-line error for invalid JSON
    notebook = parameterize_notebook(load_notebook_node(str(source)), {"SMOKE": smoke})
    client = NotebookClient(notebook, timeout=timeout, kernel_name=KERNEL, allow_errors=True,
                            resources={"metadata": {"path": str(nb.root)}},
                            kernel_manager_class=_kernel_manager_class())
    start = time.perf_counter()
    failure = None
    try:
        client.execute()
    except Exception as exc:  # a kernel that died or a cell that timed out
        failure = _one_line(exc)
    seconds = time.perf_counter() - start
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, str(out))
    unfinished, triaged = triage_lesson(notebook["cells"])
    failure = failure or triaged
    status = "failed" if failure else ("unfinished" if unfinished else "ok")
    return RunResult(nb.name, LESSONS, smoke, status, round(seconds, 2), str(out), failure, unfinished)


def run(nb: Notebook, which: str = SOLUTIONS, smoke: bool = False, timeout: int = 600) -> RunResult:
    """Execute one notebook into build/executed/ and return the result."""
    if which not in (SOLUTIONS, LESSONS):
        raise ValueError(f"which must be {SOLUTIONS!r} or {LESSONS!r}, got {which!r}")
    out = output_path(nb.root, nb, which, smoke)
    out.parent.mkdir(parents=True, exist_ok=True)
    runner = run_solution if which == SOLUTIONS else run_lesson
    return runner(nb, smoke, timeout, out)


def _run_with_env(env: dict[str, str], nb: Notebook, smoke: bool, timeout: int, out: Path,
                  seed: int | None) -> RunResult:
    os.environ.update(env)  # a worker process of its own: the kernel it starts inherits this
    out.parent.mkdir(parents=True, exist_ok=True)
    return run_solution(nb, smoke, timeout, out, seed)


@dataclass(frozen=True)
class Job:
    """One solution run of a batch: a notebook, its SEED (None: the notebook's own) and extra environment."""

    nb: Notebook
    out: Path
    seed: int | None = None
    env: tuple[tuple[str, str], ...] = ()


def run_batch(jobs: list[Job], smoke: bool, timeout: int, workers: int = 1, desc: str = "running",
              quiet: bool = False, on_done: Callable[[int, RunResult], None] | None = None) -> list[RunResult]:
    """Run solution notebooks, `workers` at a time (each in a process of its own, so each kernel gets
    its own environment), with a progress bar; results in the order of `jobs`. `on_done(index, result)`
    is called as each job finishes (what an interrupted batch has finished is kept)."""
    import concurrent.futures as cf
    import multiprocessing
    import sys

    from tqdm import tqdm

    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    results: dict[int, RunResult] = {}
    context = multiprocessing.get_context("spawn")  # no forked copies of a half-started kernel client
    with cf.ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool, \
            tqdm(total=len(jobs), desc=desc, unit="nb", file=sys.stderr, disable=quiet) as bar:
        futures = {pool.submit(_run_with_env, dict(job.env), job.nb, smoke, timeout, job.out, job.seed): i
                   for i, job in enumerate(jobs)}
        for future in cf.as_completed(futures):
            i = futures[future]
            results[i] = future.result()
            if on_done is not None:
                on_done(i, results[i])
            bar.set_postfix_str(f"{jobs[i].nb.name} {results[i].status}")
            bar.update()
    return [results[i] for i in range(len(jobs))]


def write_report(root: Path, results: list[RunResult]) -> Path:
    """Write build/run-report.json and return its path."""
    path = root / BUILD / "run-report.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"results": [asdict(r) for r in results],
               "failed": [r.notebook for r in results if r.failed]}
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return path


def printed_text(path: Path) -> str:
    """Everything an executed notebook printed to stdout, in cell order."""
    lines = []
    for cell in read_notebook(path)["cells"]:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stdout":
                text = out.get("text", "")
                lines.append("".join(text) if isinstance(text, list) else text)
    return "".join(lines)


def claim_lines(path: Path) -> list[str]:
    """The `paper: ... | here: ...` lines an executed notebook's claim-check cells printed."""
    lines = []
    for cell in read_notebook(path)["cells"]:
        if "claim-check" not in cell_tags(cell):
            continue
        for out in cell.get("outputs", []):
            text = out.get("text", "")
            text = "".join(text) if isinstance(text, list) else text
            lines.extend(line for line in text.splitlines() if "paper:" in line and "here:" in line)
    return lines


def notebook_namespace(path: str | Path, until: str | None = None, smoke: bool = True,
                       quiet: bool = True, **parameters: Any) -> dict[str, Any]:
    """Run a notebook's code cells in this process, up to (not including) cell id `until`, with the
    parameters cell's values overridden by SMOKE=`smoke` and `parameters`; return the namespace.
    What the cells print is swallowed unless `quiet` is False."""
    cells = read_notebook(Path(path))["cells"]
    if until is not None and until not in {c.get("id") for c in cells}:
        raise ValueError(f"until={until!r} is not a cell id of {path}")
    namespace: dict[str, Any] = {"__name__": "__paperlab__"}
    for cell in cells:
        if cell.get("id") == until:
            break
        if cell.get("cell_type") != "code":
            continue
        source = "\n".join(line for line in cell_source(cell).splitlines()
                           if not line.lstrip().startswith(("%", "!")))
        with contextlib.redirect_stdout(io.StringIO()) if quiet else contextlib.nullcontext():
            exec(compile(source, f"{path}:{cell.get('id')}", "exec"), namespace)
        if "parameters" in cell_tags(cell):
            namespace.update({"SMOKE": smoke, **parameters})
    return namespace
