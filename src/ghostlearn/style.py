"""One figure style for every notebook, and reproducible saving of panels as PDF and PNG."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

DPI = 200
RC = {
    "figure.figsize": (3.4, 2.6),
    "font.size": 8,
    "axes.titlesize": 8,
    "axes.labelsize": 8,
    "legend.fontsize": 7,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 1.2,
    "savefig.bbox": "tight",
    "pdf.fonttype": 42,
    "svg.hashsalt": "ghostlearn",
}


def apply() -> None:
    """Use the project style in the current process."""
    plt.rcParams.update(RC)


def save_figure(fig, path: str | Path) -> list[Path]:
    """Save ``fig`` as ``<path>.pdf`` and ``<path>.png`` without creation dates, then close it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for suffix, meta in ((".pdf", {"CreationDate": None, "Producer": None}), (".png", {"Software": None})):
        target = path.with_suffix(suffix)
        fig.savefig(target, dpi=DPI, metadata=meta)
        written.append(target)
    plt.close(fig)
    return written


def save_stacked(layout, panels, figures_dir: str | Path, name: str, constrained: bool = True) -> None:
    """Save each ``(draw, (width, height))`` of ``layout`` as its own panel file
    ``<figures_dir>/<name>/<panel>``, then all of them stacked, lettered a, b, …, as the composed figure
    ``<figures_dir>/<name>``.  ``draw`` receives a matplotlib (sub)figure."""
    for panel, (draw, size) in zip(panels, layout, strict=True):
        fig = plt.figure(figsize=size, layout="constrained" if constrained else None)
        draw(fig)
        save_figure(fig, Path(figures_dir) / name / panel)
    width = max(size[0] for _, size in layout)
    heights = [size[1] for _, size in layout]
    fig = plt.figure(figsize=(width, sum(heights)), layout="constrained")
    subfigures = fig.subfigures(len(layout), 1, height_ratios=heights)
    for letter, sub, (draw, _) in zip("abcdefghijklmnopqrstuvwxyz", subfigures, layout, strict=False):
        draw(sub)
        sub.suptitle(letter, x=0.0, ha="left", fontweight="bold")
    save_figure(fig, Path(figures_dir) / name)


def save_single(draw, figures_dir: str | Path, name: str, panel: str, letter: str | None = None) -> None:
    """A one-panel figure: ``draw(ax)`` saved as the panel file and, larger and lettered, as the
    composed figure."""
    fig, ax = plt.subplots()
    draw(ax)
    save_figure(fig, Path(figures_dir) / name / panel)
    fig, ax = plt.subplots(figsize=(4.0, 3.0))
    draw(ax)
    if letter:
        ax.set_title(letter, loc="left", fontweight="bold")
    save_figure(fig, Path(figures_dir) / name)
