"""Helpers every lesson shares: the setup call (seed, threads, parameter checks, banner), claim checks,
timing and progress bars."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import torch

T = TypeVar("T")


def set_seed(seed: int) -> torch.Generator:
    """Seed Python, NumPy and PyTorch; return a torch.Generator seeded the same way."""
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 (lessons may use the legacy global generator)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def limit_threads(n: int = 1) -> None:
    """Keep PyTorch to `n` threads: the course's budget machine has two cores."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be an int >= 1, got {n!r}")
    torch.set_num_threads(n)


@dataclass(frozen=True)
class Rule:
    """A named check of one parameter: `test(value)` must hold; `expected` says what it wants."""

    expected: str
    test: Callable[[Any], bool]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_int(value: Any, name: str, low: int) -> None:
    """Raise TypeError unless `value` is an int (a bool is not), ValueError unless it is >= `low`."""
    if not _is_int(value):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")


def check_generator(generator: Any) -> None:
    """Raise TypeError unless `generator` is a torch.Generator."""
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}")


def at_least(low: int) -> Rule:
    """An int >= `low`."""
    return Rule(f"an int >= {low}", lambda v: _is_int(v) and v >= low)


def between(low: int, high: int) -> Rule:
    """An int in [`low`, `high`]."""
    return Rule(f"an int in [{low}, {high}]", lambda v: _is_int(v) and low <= v <= high)


def positive_number() -> Rule:
    """An int or float > 0."""
    return Rule("a number > 0", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0)


def check_params(**params: tuple[Any, Rule]) -> None:
    """Raise one ValueError naming every parameter whose value breaks its rule: NAME=(value, rule)."""
    bad = [f"{name}={value!r} (expected {rule.expected})" for name, (value, rule) in params.items()
           if not rule.test(value)]
    if bad:
        raise ValueError("bad parameters: " + "; ".join(bad))


def threads_wanted(default: int = 1) -> int:
    """The torch thread count for a lesson: PAPERLAB_THREADS if set (the claims run tries 1 and 2), else
    `default` (one thread: small ops are fastest and steadiest on one core of a shared machine)."""
    raw = os.environ.get("PAPERLAB_THREADS", "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"PAPERLAB_THREADS must be an int >= 1, got {raw!r}")
    return int(raw)


def setup_lesson(seed: int, smoke: bool, **params: tuple[Any, Rule]) -> torch.Generator:
    """A lesson's setup in one call: check SEED, SMOKE and each NAME=(value, rule) (one ValueError
    naming every bad one), seed Python, NumPy and PyTorch, set the thread count, print the banner;
    return a torch.Generator seeded with `seed`."""
    check_params(SEED=(seed, at_least(0)),
                 SMOKE=(smoke, Rule("True or False", lambda v: isinstance(v, bool))), **params)
    generator = set_seed(seed)
    threads = threads_wanted()
    limit_threads(threads)
    sizes = "".join(f", {name}={value}" for name, (value, _) in params.items())
    print(f"Paper Lab ready: torch {torch.__version__} on the CPU, {threads} thread{'s' * (threads > 1)}, "
          f"SEED={seed}, SMOKE={smoke}{sizes}")
    return generator


class ClaimError(AssertionError):
    """A measured figure does not support the paper's claim."""


@dataclass(frozen=True)
class Check:
    """One comparison a claim rests on: `figure` `op` `threshold`, with op one of '>', '<', '=='."""

    figure: float
    op: str
    threshold: float

    @property
    def passed(self) -> bool:
        """Whether the figure is on the right side of the threshold."""
        if self.op == ">":
            return self.figure > self.threshold
        if self.op == "<":
            return self.figure < self.threshold
        return self.figure == self.threshold

    @property
    def margin(self) -> float:
        """How far the figure is on the right side: relative to |threshold| (absolute when the threshold
        is 0; 0 for an exact equality that holds); negative when the check fails."""
        if self.op == "==":
            return 0.0 if self.passed else -1.0
        gap = self.figure - self.threshold if self.op == ">" else self.threshold - self.figure
        return gap / abs(self.threshold) if self.threshold else gap


def above(figure: float, threshold: float) -> Check:
    """The claim needs figure > threshold."""
    return Check(float(figure), ">", float(threshold))


def below(figure: float, threshold: float) -> Check:
    """The claim needs figure < threshold."""
    return Check(float(figure), "<", float(threshold))


def equal(figure: float, expected: float) -> Check:
    """The claim needs figure == expected (counts, exact identities)."""
    return Check(float(figure), "==", float(expected))


CLAIMS_LOG = "PAPERLAB_CLAIMS_FILE"  # where `paperlab claims` collects every claim's checks, one JSON line each


def claim(name: str, paper: str, here: str, checks: list[Check] | None = None, ok: bool = True,
          smoke: bool = False, asserted: bool = True, why_reported: str = "") -> None:
    """Print `[name] paper: ... | here: ...  -> PASS/FAIL` for one claim, which holds when every check
    passes (and `ok`, for a qualitative fact with no threshold); raise ClaimError if it fails in a full run.
    `asserted=False`: a figure that does not hold in every run (DESIGN.md, Claims) is reported, never
    raised; `why_reported` says why (it holds for some seeds only, it depends on the machine, ...)."""
    import json

    if not asserted and not why_reported.strip():
        raise ValueError(f"claim {name!r}: a claim reported, not asserted, needs why_reported (why it is not asserted)")
    checks = list(checks or [])
    passed = bool(ok) and all(c.passed for c in checks)
    if not asserted:
        verdict = ("holds" if passed else "does not hold") + f" in this run (reported, not asserted: {why_reported})"
        smoke = True  # never raise
    else:
        verdict = "PASS" if passed else ("not asserted in a SMOKE run" if smoke else "FAIL")
    print(f"[{name}] paper: {paper} | here: {here}  -> {verdict}")
    log = os.environ.get(CLAIMS_LOG)
    if log:
        record = {"claim": name, "passed": passed, "asserted": asserted, "smoke": smoke, "here": here,
                  "checks": [{"figure": c.figure, "op": c.op, "threshold": c.threshold, "margin": c.margin}
                             for c in checks]}
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")
    if not passed and not smoke and not log:  # a sweep records every claim of the cell, then judges
        raise ClaimError(f"claim {name!r} not reproduced: {here}")


@contextmanager
def timer() -> Iterator[dict[str, float]]:
    """Measure wall time: `with timer() as t: ...; t['seconds']`."""
    box = {"seconds": float("nan")}
    start = time.perf_counter()
    try:
        yield box
    finally:
        box["seconds"] = time.perf_counter() - start


def best_time(fn: Callable[[], Any], repeat: int = 5, number: int = 1) -> float:
    """The best of `repeat` timings of `number` calls of `fn`, in seconds per call."""
    if repeat < 1 or number < 1:
        raise ValueError(f"repeat and number must be >= 1, got repeat={repeat}, number={number}")
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def progress(iterable: Iterable[T], desc: str = "", total: int | None = None, **kwargs: Any) -> Iterable[T]:
    """A text progress bar (tqdm, written to stdout): it updates live in a notebook and leaves its
    final line as plain text, which survives saving and reopening (a widget bar would show "model not
    found"). Headless runs (PAPERLAB_QUIET=1: papermill, nbgrader) draw it rarely, start and end."""
    import sys

    from tqdm.std import tqdm

    headless = os.environ.get("PAPERLAB_QUIET") == "1"
    return tqdm(iterable, desc=desc, total=total, file=sys.stdout, leave=True, ascii=headless,
                mininterval=60.0 if headless else 0.2, dynamic_ncols=False, ncols=90, **kwargs)
