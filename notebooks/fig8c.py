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
# Mean ± SEM over seeds of the accuracy; the first phase (normal Adam training) is shared by every c and
# drawn in black; after the switch w_out and b_out are divided by ‖w_out‖₁/c before every forward pass
# (c = inf: no normalisation), colours C0–C4 in order of c.

# %% tags=["parameters"]
curves = "results/tables/fig8c_curves.csv"
switch_epoch = 10000
figures_dir = "results/figures"

# %%
import numpy as np

from ghostlearn import style
from ghostlearn.io import read_table
from ghostlearn.registry import PANELS

style.apply()
table = read_table(curves, ["output_l1_norm", "epoch", "mean_accuracy", "sem_accuracy", "n"])
assert table["mean_accuracy"].between(0, 1).all(), "accuracies outside [0, 1]"
levels = np.sort(table["output_l1_norm"].dropna().unique())
assert len(levels), "no continuation level"
print(table[table["epoch"] == table["epoch"].max()].to_string(index=False))


# %%
def draw(ax):
    before = table[table["output_l1_norm"].isna()]
    ax.plot(before["epoch"], before["mean_accuracy"], color="black", label="first phase")
    ax.fill_between(
        before["epoch"],
        before["mean_accuracy"] - before["sem_accuracy"],
        before["mean_accuracy"] + before["sem_accuracy"],
        color="black",
        alpha=0.2,
        lw=0,
    )
    for i, c in enumerate(levels):
        rows = table[table["output_l1_norm"] == c]
        ax.plot(rows["epoch"], rows["mean_accuracy"], color=f"C{i}", label="∞" if np.isinf(c) else f"{c:g}")
        ax.fill_between(
            rows["epoch"],
            rows["mean_accuracy"] - rows["sem_accuracy"],
            rows["mean_accuracy"] + rows["sem_accuracy"],
            color=f"C{i}",
            alpha=0.2,
            lw=0,
        )
    ax.axvline(switch_epoch, color="grey", linestyle="--", lw=0.8)
    ax.set_ylim(0, 1)
    ax.set_xlabel("Epoch")
    ax.set_ylabel("Accuracy")
    ax.legend(title="c", frameon=False, fontsize=6)


(panel,) = PANELS["fig8c"]
style.save_single(draw, figures_dir, "fig8c", panel, letter="C")
