"""One figure style for every notebook, and reproducible saving of panels as PDF and PNG.

The style is seaborn's ``paper`` context and ``ticks`` style with the overrides in ``RC``: small print
sizes, no top/right spines, matplotlib's spine, tick, marker and patch sizes, its tab10 colour cycle (the
notebooks name colours C0, C1, …), viridis as the default colour map and the bundled DejaVu Sans font, so
a panel renders the same on any machine."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402

DPI = 200
RC = {
    "figure.figsize": (3.4, 2.6),
    "font.size": 8,
    "axes.titlesize": 8,
    "axes.labelsize": 8,
    "legend.fontsize": 7,
    "legend.title_fontsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 1.2,
    # matplotlib's spine and tick sizes and marker size rather than the paper context's, so axes, markers and
    # "best" legend positions stay where they were
    "axes.linewidth": 0.8,
    "xtick.major.width": 0.8,
    "ytick.major.width": 0.8,
    "xtick.minor.width": 0.6,
    "ytick.minor.width": 0.6,
    "xtick.major.size": 3.5,
    "ytick.major.size": 3.5,
    "xtick.minor.size": 2.0,
    "ytick.minor.size": 2.0,
    "lines.markersize": 6.0,
    "image.cmap": "viridis",
    "patch.force_edgecolor": False,  # seaborn's white patch edges would hide annotation arrows
    "patch.edgecolor": "black",
    "savefig.bbox": "tight",
    "pdf.fonttype": 42,
    "svg.hashsalt": "ghostlearn",
}


def apply() -> None:
    """Use the project style in the current process: seaborn's paper context and ticks style, then ``RC``."""
    sns.set_theme(context="paper", style="ticks", palette="tab10", font="DejaVu Sans", rc=RC)


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
    subfigures = [subfigures] if len(layout) == 1 else subfigures  # matplotlib returns a lone one bare
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
