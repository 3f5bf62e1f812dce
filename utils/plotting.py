"""Plotting helpers shared by the lessons: one style, labelled axes, headless-safe."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt

plt.rcParams.update({"figure.dpi": 90, "axes.grid": True, "grid.alpha": 0.3, "figure.figsize": (6.4, 3.6)})


def subplots(ncols: int = 1, nrows: int = 1, width: float = 6.4, height: float = 3.6, **kwargs: Any):
    """`plt.subplots` sized for a notebook column, with constrained layout (colorbars and legends get
    their own room, unlike tight_layout); returns (fig, axes)."""
    if ncols < 1 or nrows < 1:
        raise ValueError(f"ncols and nrows must be >= 1, got ncols={ncols}, nrows={nrows}")
    kwargs.setdefault("layout", "constrained")
    return plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), **kwargs)


def label(ax: Any, title: str, xlabel: str, ylabel: str, legend: bool = True) -> Any:
    """Give an axis a title, axis labels and (when it has labelled artists) a legend."""
    if not title or not xlabel or not ylabel:
        raise ValueError("title, xlabel and ylabel must all be non-empty")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if legend and ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small")
    return ax


def show(fig: Any | None = None) -> None:
    """Show the figure (a no-op off-screen); a figure made without a layout engine is tightened."""
    fig = fig or plt.gcf()
    if fig.get_layout_engine() is None:
        fig.tight_layout()
    plt.show()


def line_plot(xs: Sequence[float], series: dict[str, Sequence[float]], title: str, xlabel: str,
              ylabel: str, logx: bool = False, logy: bool = False, ax: Any | None = None) -> Any:
    """Plot several named series against one x-axis, labelled; returns the axis."""
    if ax is None:
        _, ax = subplots()
    for name, ys in series.items():
        if len(ys) != len(xs):
            raise ValueError(f"series {name!r} has {len(ys)} points, expected {len(xs)} (len(xs))")
        ax.plot(xs, ys, marker="o", ms=3, label=name)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    return label(ax, title, xlabel, ylabel)
