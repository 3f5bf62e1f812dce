"""Welcome lesson: the causal moving average as a Python loop versus one convolution."""

from __future__ import annotations

from pathlib import Path

import torch

from utils.common import best_time
from utils.course.execute import notebook_namespace

NOTEBOOK = Path(__file__).resolve().parents[2] / "solutions" / "00_welcome" / "welcome.py"


def run(quick: bool = False) -> list[dict]:
    """Loop over convolution time, both measured in this run, at a few lengths."""
    ns = notebook_namespace(NOTEBOOK, until="experiment-intro")
    loop, conv = ns["moving_average_loop"], ns["moving_average_conv"]
    rows = []
    for n in (1_000, 10_000) if quick else (1_000, 10_000, 100_000):
        x = torch.randn(n, generator=torch.Generator().manual_seed(0))
        slow = best_time(lambda: loop(x, 25), repeat=3)
        fast = best_time(lambda: conv(x, 25), repeat=7)
        rows.append({"benchmark": f"moving average, conv vs loop, L={n:,}", "ratio": slow / fast,
                     "detail": f"loop {slow * 1e3:.2f} ms, conv {fast * 1e3:.3f} ms"})
    return rows
