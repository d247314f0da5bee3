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
