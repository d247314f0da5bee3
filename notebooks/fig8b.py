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
# # Figure 8B — lowering the output confidence rescues rank-one RNNs stuck in the no-learning zone
# Ablation: runs that learned and then fell back into the zone (selection in fig8b_selection.csv) are
# continued from the switch epoch with a lower confidence c (fresh SGD); mean ± SEM (population std / √n, as
# the authors; drawn by seaborn from the per-run rows) accuracy and gradient norm, black before the switch,
# viridis_r by log c after, every `plot_every`-th c (the authors: every third from index 2). Learnable
# confidence: c trained from 10, reset to 1 at the phase boundary.

# %% tags=["parameters"]
selection = "results/tables/fig8b_selection.csv"
curves = "results/tables/fig8b_ablation_curves.csv"
runs = "results/tables/fig8b_ablation_runs.csv"
learnable = "results/tables/fig8b_learnable.csv"
landmarks = "results/tables/fig8b_landmarks.csv"
switch_epoch = 6000
plot_every = 3
figures_dir = "results/figures"

# %%
import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from ghostlearn import style
from ghostlearn.io import read_table
from ghostlearn.registry import PANELS
from ghostlearn.tables.sweeps import ABLATION_LEAD, population_sem_interval, shown_values

style.apply()
marks = read_table(landmarks, ["experiment", "landmark", "value"])
run = read_table(learnable, ["epoch", "loss", "grad_norm", "phase"])
print(marks.to_string(index=False))
selected = int(read_table(selection, ["selected"])["selected"].sum())  # learned, then fell back
assert selected == int(marks[marks["landmark"] == "selected_runs"]["value"].iloc[0])
if selected:
    table = read_table(curves, ["c", "epoch", "mean_accuracy", "mean_grad_norm"])
    per_run = read_table(runs, ["c", "epoch", "network", "seed", "accuracy", "grad_norm"])
    shown = shown_values(table["c"], plot_every)
    assert set(per_run["c"].dropna()) == set(shown), "the per-run table holds other values of c than drawn"
else:
    table, per_run, shown = None, None, []


# %%
def draw_ablation(ax, column, log=False):
    if table is None:
        ax.text(0.5, 0.5, "no run learned and fell back", transform=ax.transAxes, ha="center")
        return
    # mean ± SEM bands, drawn before the axes are log-scaled (seaborn averages in the scaled coordinates)
    band = {
        "x": "epoch",
        "y": column,
        "errorbar": population_sem_interval,
        "err_kws": {"alpha": 0.2, "lw": 0},
    }
    sns.lineplot(per_run[per_run["c"].isna()], color="black", **band, ax=ax)
    colors = plt.cm.viridis_r(np.linspace(0, 1, len(shown)))
    for c, color in zip(shown, colors, strict=True):
        sns.lineplot(per_run[per_run["c"] == c], color=color, label=f"{c:.3g}", **band, ax=ax)
    ax.axvline(switch_epoch, color="red", linestyle="--")
    ax.set_xlim(switch_epoch - ABLATION_LEAD, table["epoch"].max())
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("Epoch")
    ax.set_ylabel("Accuracy" if column == "accuracy" else "Gradient norm")
    ax.legend(title="c", frameon=False, fontsize=5)


def draw_learnable(ax):
    ax.plot(run["epoch"], run["loss"], label="loss")
    ax.plot(run["epoch"], run["grad_norm"], alpha=0.5, label="grad norm")
    boundary = run[run["phase"] == 1]["epoch"].max()
    ax.axvline(boundary, color="red", linestyle="--", lw=0.8)
    ax.set_yscale("log")
    ax.set_xlabel(f"Epoch (c reset to 1 after {boundary})")
    ax.legend(frameon=False, fontsize=6)


drawers = [
    lambda ax: draw_ablation(ax, "accuracy"),
    lambda ax: draw_ablation(ax, "grad_norm", log=True),
    draw_learnable,
]
for name, draw in zip(PANELS["fig8b"], drawers, strict=True):
    fig, ax = plt.subplots()
    draw(ax)
    style.save_figure(fig, f"{figures_dir}/fig8b/{name}")
fig, axes = plt.subplots(1, 3, figsize=(9.0, 2.6))
for ax, draw in zip(axes, drawers, strict=True):
    draw(ax)
axes[0].set_title("B", loc="left", fontweight="bold")
fig.tight_layout()
style.save_figure(fig, f"{figures_dir}/fig8b")
