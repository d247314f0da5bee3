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
# # Theory check — the critical learning rate scales as T⁻⁵
# Beyond the paper: for each task timescale T, the smallest learning rate at which gradient descent on r
# (from random starts above r_opt) ever enters the no-learning zone, against the closed form
# η_c = 3π⁴/(32T⁵), with the fitted log-log slope.

# %% tags=["parameters"]
table = "results/tables/theory_critical_lr.csv"
fit = "results/tables/theory_power_law.csv"
figures_dir = "results/figures"

# %%
import numpy as np

from ghostlearn import style
from ghostlearn.io import read_table
from ghostlearn.registry import PANELS

style.apply()
rates = read_table(table, ["T", "critical_lr", "smallest_failing_lr", "failing_over_critical"])
fits = read_table(fit, ["quantity", "slope", "intercept"]).set_index("quantity")
assert len(rates) >= 2, "need at least two T values"
assert np.isfinite(rates["smallest_failing_lr"]).all(), "some T never failed: widen lr_over_critical"
print(rates.to_string(index=False))
print(fits.to_string())


# %%
def draw(ax):
    T = rates["T"].to_numpy()
    grid = np.geomspace(T.min(), T.max(), 50)
    ax.plot(grid, 3 * np.pi**4 / (32 * grid**5), color="black", label="η_c = 3π⁴/(32T⁵)")
    slope = fits.loc["smallest_failing_lr", "slope"]
    ax.scatter(T, rates["smallest_failing_lr"], color="C3", zorder=3, label=f"measured (slope {slope:.3f})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(T, [f"{t:g}" for t in T])
    ax.minorticks_off()
    ax.set_xlabel("task timescale T")
    ax.set_ylabel("critical learning rate")
    ax.legend(frameon=False)


(panel,) = PANELS["theory"]
style.save_single(draw, figures_dir, "theory", panel)
