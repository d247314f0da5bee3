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
# # Figure 8C — output-weight normalisation (confidence control) in full-rank RNNs
# Mean ± SEM over seeds (population std / √n, as the authors; drawn by seaborn from the per-seed rows) of
# the accuracy; the first phase (normal Adam training) is shared by every c and drawn in black; after the
# switch w_out and b_out are divided by ‖w_out‖₁/c before every forward pass (c = inf: no normalisation),
# colours C0–C4 in order of c.

# %% tags=["parameters"]
curves = "results/tables/fig8c_curves.csv"
runs = "results/tables/fig8c_runs.csv"
switch_epoch = 10000
figures_dir = "results/figures"

# %%
import numpy as np
import seaborn as sns

from ghostlearn import style
from ghostlearn.io import read_table
from ghostlearn.registry import PANELS
from ghostlearn.tables.sweeps import population_sem_interval

style.apply()
table = read_table(curves, ["output_l1_norm", "epoch", "mean_accuracy", "sem_accuracy", "n"])
per_seed = read_table(runs, ["output_l1_norm", "epoch", "network", "seed", "accuracy"])
assert table["mean_accuracy"].between(0, 1).all(), "accuracies outside [0, 1]"
assert per_seed["accuracy"].between(0, 1).all(), "accuracies outside [0, 1]"
levels = np.sort(table["output_l1_norm"].dropna().unique())
assert len(levels), "no continuation level"
assert set(per_seed["output_l1_norm"].dropna()) == set(levels), "per-seed and mean tables differ in c"
print(table[table["epoch"] == table["epoch"].max()].to_string(index=False))


# %%
def draw(ax):
    band = {
        "x": "epoch",
        "y": "accuracy",
        "errorbar": population_sem_interval,
        "err_kws": {"alpha": 0.2, "lw": 0},
    }
    before = per_seed[per_seed["output_l1_norm"].isna()]
    sns.lineplot(before, color="black", label="first phase", **band, ax=ax)
    for i, c in enumerate(levels):
        rows = per_seed[per_seed["output_l1_norm"] == c]
        label = "∞" if np.isinf(c) else f"{c:g}"
        sns.lineplot(rows, color=f"C{i}", label=label, **band, ax=ax)
    ax.axvline(switch_epoch, color="grey", linestyle="--", lw=0.8)
    ax.set_ylim(0, 1)
    ax.set_xlabel("Epoch")
    ax.set_ylabel("Accuracy")
    ax.legend(title="c", frameon=False, fontsize=6)


(panel,) = PANELS["fig8c"]
style.save_single(draw, figures_dir, "fig8c", panel, letter="C")
