"""The shared figure style (seaborn theme plus the project's overrides) and byte-identical panel files."""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.colors import to_hex

from ghostlearn import style


def test_apply_sets_the_seaborn_theme_with_the_project_overrides():
    style.apply()
    rc = matplotlib.rcParams
    assert not rc["axes.spines.top"] and not rc["axes.spines.right"]
    assert rc["font.size"] == 8 and rc["legend.fontsize"] == 7 and rc["pdf.fonttype"] == 42
    assert rc["svg.hashsalt"] == "ghostlearn" and rc["image.cmap"] == "viridis"
    assert not rc["axes.grid"] and rc["xtick.direction"] == "out"  # seaborn's "ticks" style
    assert rc["patch.edgecolor"] == "black" and not rc["patch.force_edgecolor"]  # arrows stay visible
    colors = [to_hex(c) for c in rc["axes.prop_cycle"].by_key()["color"]]
    assert colors[:3] == ["#1f77b4", "#ff7f0e", "#2ca02c"]  # C0, C1, C2 as the notebooks name them


def _draw(path):
    """A strip + box summary on a log axis and a mean ± SEM line, as the figure notebooks draw them."""
    rng = np.random.default_rng(0)
    rows = pd.DataFrame({"lr": np.repeat([0.01, 0.1, 1.0], 5), "value": 10 ** rng.uniform(-4, 0, 15)})
    curves = pd.DataFrame({"step": np.tile(np.arange(10), 4), "output": rng.normal(size=40)})
    fig, (left, right) = plt.subplots(1, 2)
    left.set_xscale("log")
    np.random.seed(0)  # noqa: NPY002 (stripplot jitters with NumPy's global generator)
    sns.stripplot(rows, x="lr", y="value", native_scale=True, jitter=0.15, ax=left)
    sns.boxplot(rows, x="lr", y="value", native_scale=True, fill=False, showfliers=False, ax=left)
    sns.lineplot(curves, x="step", y="output", errorbar="se", ax=right)
    return style.save_figure(fig, path)


def test_seaborn_panels_are_byte_identical_on_rerun(tmp_path):
    style.apply()
    first = [p.read_bytes() for p in _draw(tmp_path / "a")]
    second = [p.read_bytes() for p in _draw(tmp_path / "b")]
    assert first == second
    assert b"CreationDate" not in first[0]
