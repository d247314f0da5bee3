# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Figure 8A — lower output confidence gives a gradient inside the no-learning zone
# |dE/dr| (central differences over the r grid) divided by its maximum, for the closed form (black; zero,
# hence off the log axis, inside the zone) and for the Euler-simulated model at each confidence a.

# %% tags=["parameters"]
landscape = "results/tables/landscape.csv"
figures_dir = "results/figures"

# %%
import matplotlib.pyplot as plt
import numpy as np

from ghostlearn import style
from ghostlearn.io import read_table
from ghostlearn.registry import PANELS

style.apply()
land = read_table(landscape, ["confidence", "r", "r_over_ropt", "grad_rel"])
assert np.isfinite(land["grad_rel"]).all(), "non-finite gradients"
assert np.isinf(land["confidence"]).any(), "landscape lacks the closed form (confidence = inf)"
finite = sorted(c for c in land["confidence"].unique() if np.isfinite(c))
assert finite, "landscape has no simulated confidence"
zone = land[land["r_over_ropt"] < 0.25]
print("mean relative gradient inside the no-learning zone per confidence:")
print(zone.groupby("confidence")["grad_rel"].mean().to_string())


# %%
def draw(ax):
    closed = land[np.isinf(land["confidence"])]
    ax.plot(closed["r_over_ropt"], closed["grad_rel"], color="black", label="closed form")
    colors = plt.cm.Reds(np.linspace(0.1, 0.9, len(finite)))
    for a, color in zip(finite, colors, strict=True):
        rows = land[land["confidence"] == a]
        ax.plot(rows["r_over_ropt"], rows["grad_rel"], color=color, label=f"{a:g}")
    ax.set_yscale("log")
    ax.axvspan(land["r_over_ropt"].min(), 0.25, color="grey", alpha=0.15, lw=0)
    ax.set_xlabel("r / r_opt  (shaded: no-learning zone)")
    ax.set_ylabel("|dE/dr| / max")
    ax.legend(title="a", frameon=False)


(panel,) = PANELS["fig8a"]
style.save_single(draw, figures_dir, "fig8a", panel, letter="A")
