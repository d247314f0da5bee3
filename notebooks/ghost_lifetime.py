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
# # Beyond the paper — the ghost-lifetime law in trained networks
# The saddle-node normal form ds/dt = r + a s² predicts that a trajectory needs a time ∝ 1/√(q*·q'') to
# pass a ghost (q* its speed, q'' the curvature of the slow velocity).  Measured on the autonomous latent
# flow of every ghost the checkpoint analysis found (docs/methods.md §7), beside the plateau length of each
# network against the speed of its last ghost before the drop.

# %% tags=["parameters"]
lifetimes = "results/tables/ghost_lifetime.csv"
plateaus = "results/tables/ghost_plateaus.csv"
figures_dir = "results/figures"

# %%
import numpy as np
import seaborn as sns

from ghostlearn import style
from ghostlearn.dynamics.lifetime import power_law
from ghostlearn.io import read_table
from ghostlearn.registry import PANELS

style.apply()
table = read_table(lifetimes, allow_empty=True)
networks = read_table(plateaus, ["experiment", "learned", "plateau_length", "pre_drop_ghost_speed"])
if len(table):
    table["q_product"] = table["q_star"] * table["q_curvature"]
    table = table[np.isfinite(table["measured"]) & (table["q_product"] > 0)]
if table.empty:
    print("WARNING: no ghost with a measured passage; the lifetime panel is empty")
learned = networks[networks["learned"].astype(bool)].dropna(subset=["plateau_length", "pre_drop_ghost_speed"])


# %%
def draw(axes):
    left, right = axes
    if len(table):
        sns.scatterplot(data=table, x="q_product", y="measured", hue="experiment", s=10, ax=left)
        fit = power_law(table["q_product"], table["measured"])
        q = np.geomspace(table["q_product"].min(), table["q_product"].max(), 20)
        middle = np.exp(np.median(np.log(table["measured"] * np.sqrt(table["q_product"]))))
        left.plot(q, middle / np.sqrt(q), "k--", lw=0.8, label="slope −1/2")
        left.plot(
            q, np.exp(fit["intercept"]) * q ** fit["slope"], color="grey", lw=0.8, label="Theil–Sen fit"
        )
        left.set_title(
            f"slope {fit['slope']:.2f} [{fit['slope_low']:.2f}, {fit['slope_high']:.2f}] ({fit['points']} ghosts)",
            fontsize=7,
        )
        left.set_xscale("log")
        left.set_yscale("log")
        left.legend(frameon=False, fontsize=6)
    left.set_xlabel("q*·q''")
    left.set_ylabel("Passage time (time constants)")
    if len(learned):
        sns.scatterplot(
            data=learned, x="pre_drop_ghost_speed", y="plateau_length", hue="experiment", s=10, ax=right
        )
        right.set_xscale("log")
        right.legend(frameon=False, fontsize=6)
    right.set_xlabel("q* of the last ghost before the drop")
    right.set_ylabel("Plateau length (epochs)")


style.save_stacked(
    [(lambda fig: draw(fig.subplots(1, 2)), (6.8, 2.6))],
    PANELS["ghost_lifetime"],
    figures_dir,
    "ghost_lifetime",
)
