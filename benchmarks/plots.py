"""PNG plots for docs/benchmarks.md: scaling curves and throughput-vs-latency curves.

Small typed functions over plain numbers, so any benchmark section can draw its figures without
knowing matplotlib. The Agg backend renders to files only (no display, safe in CI and threads).
Each function writes one PNG and returns its path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before pyplot is imported: files only, never a window

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

DPI = 110


@dataclass(frozen=True)
class Series:
    """One curve: a value per x, optionally with the spread (min and max) drawn as a band."""

    label: str
    y: Sequence[float]
    lo: Sequence[float] | None = None
    hi: Sequence[float] | None = None
    dashed: bool = False  # baselines are dashed, so they read as "the reference" at a glance


@dataclass(frozen=True)
class Panel:
    """One set of axes: curves sharing a unit."""

    ylabel: str
    series: Sequence[Series]
    logy: bool = False


def scaling_plot(
    x: Sequence[float],
    panels: Sequence[Panel],
    path: Path | str,
    *,
    title: str,
    xlabel: str,
    logx: bool = True,
) -> Path:
    """Cost against size: one panel per unit, side by side, sharing the x axis (log by default)."""
    if not x or not panels:
        raise ValueError("a scaling plot needs x values and at least one panel")
    for panel in panels:
        for s in panel.series:
            if len(s.y) != len(x):
                raise ValueError(f"series {s.label!r} has {len(s.y)} values for {len(x)} x values")
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.0), squeeze=False)
    for ax, panel in zip(axes[0], panels, strict=True):
        for s in panel.series:
            (line,) = ax.plot(x, s.y, marker="o", linestyle="--" if s.dashed else "-", label=s.label)
            if s.lo is not None and s.hi is not None:
                ax.fill_between(x, s.lo, s.hi, color=line.get_color(), alpha=0.15, linewidth=0)
        if logx:
            ax.set_xscale("log")
        if panel.logy:
            ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(panel.ylabel)
        ax.grid(True, which="both", alpha=0.3)
        # below the axes, so curves are never hidden; savefig's tight bbox keeps it in the image
        ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)


def latency_curve(
    points: list[tuple[float, float, float]],
    path: Path | str,
    *,
    title: str = "Throughput vs submit-to-commit latency",
    xlabel: str = "tx/s",
) -> Path:
    """Latency against load: `points` are (offered or committed tx/s, p50 ms, p99 ms), any order."""
    if not points:
        raise ValueError("a latency curve needs at least one point")
    ordered = sorted(points)
    rate = [p[0] for p in ordered]
    fig, ax = plt.subplots(figsize=(6.0, 4.0))
    ax.plot(rate, [p[1] for p in ordered], marker="o", label="p50")
    ax.plot(rate, [p[2] for p in ordered], marker="s", label="p99")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("latency, ms")
    ax.set_ylim(bottom=0)
    ax.set_xlim(left=0)
    ax.grid(True, alpha=0.3)
    ax.legend()
    ax.set_title(title)
    fig.tight_layout()
    return _save(fig, path)


def _save(fig: Figure, path: Path | str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fig.savefig(path, dpi=DPI, bbox_inches="tight")
    finally:
        plt.close(fig)  # pyplot keeps every open figure alive otherwise
    return path
