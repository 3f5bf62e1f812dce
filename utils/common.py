"""Helpers every lesson shares: seeding, device choice, parameter checks, claim checks, timing."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
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


def pick_device(prefer_cuda: bool = True) -> torch.device:
    """CPU by default; CUDA when present and wanted (the course never needs it)."""
    if prefer_cuda and torch.cuda.is_available() and os.environ.get("PAPERLAB_CPU") != "1":
        return torch.device("cuda")
    return torch.device("cpu")


def limit_threads(n: int = 2) -> None:
    """Keep PyTorch to `n` threads: the course's budget machine has two cores."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    torch.set_num_threads(n)


def check_params(**rules: tuple[Any, Callable[[Any], bool], str]) -> None:
    """Raise ValueError naming each parameter whose value breaks its rule: name=(value, ok, expected)."""
    bad = [f"{name}={value!r} (expected {expected})" for name, (value, ok, expected) in rules.items()
           if not ok(value)]
    if bad:
        raise ValueError("bad parameters: " + "; ".join(bad))


def positive_int(value: Any) -> bool:
    """True for an int >= 1 (bools excluded)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


class ClaimError(AssertionError):
    """A measured figure does not support the paper's claim."""


def claim(name: str, paper: str, here: str, ok: bool, smoke: bool = False) -> bool:
    """Print `paper: ... | here: ...` for one claim; raise ClaimError if it fails in a full run."""
    verdict = "PASS" if ok else ("not asserted in a SMOKE run" if smoke else "FAIL")
    print(f"[{name}] paper: {paper} | here: {here}  -> {verdict}")
    if not ok and not smoke:
        raise ClaimError(f"claim {name!r} not reproduced: {here}")
    return bool(ok)


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
    """A tqdm progress bar that draws in notebooks and terminals and stays quiet under PAPERLAB_QUIET."""
    from tqdm.auto import tqdm

    disable = os.environ.get("PAPERLAB_QUIET") == "1"
    return tqdm(iterable, desc=desc, total=total, disable=disable, leave=False, **kwargs)
