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
# # Beyond the paper — the rank-one RNN's critical learning rate against the task timescale T
# The cliff of Fig. 6A (first learning rate right of the valley floor whose mean loss reaches half the
# first-epoch loss) measured for several T, its log-log fit, and the 1-D theory's exponents beside it
# (η_c ∝ T⁻⁵ for the authors' un-normalised error, T⁻⁴ for a loss normalised by T as the RNN's).

# %% tags=["parameters"]
loss_vs_lr = "results/tables/rnn_scaling_loss_vs_lr.csv"
critical = "results/tables/rnn_scaling_critical_lr.csv"
fit = "results/tables/rnn_scaling_power_law.csv"
figures_dir = "results/figures"

# %%
import matplotlib.pyplot as plt
import numpy as np

from ghostlearn import style
from ghostlearn.io import read_table
from ghostlearn.registry import PANELS

style.apply()
summary = read_table(loss_vs_lr, ["T", "lr", "mean_loss", "sem_loss"])
table = read_table(critical, ["T", "cliff_lr", "lr_min", "lr_max"])
power = read_table(
    fit, ["slope", "intercept", "theory_exponent_error", "theory_exponent_normalised_loss"]
).iloc[0]
assert len(table) >= 2, "the T scaling needs two T or more"
if np.isfinite(table["cliff_lr"]).sum() < 2:
    print("WARNING: fewer than two T show a cliff; no fit drawn (train longer or widen the grid)")
print(table.to_string(index=False))
print(power.to_string())


# %%
def draw(ax):
    ax.plot(table["T"], table["cliff_lr"], "o", color="C0", label="measured cliff")
    ax.fill_between(
        table["T"], table["lr_min"], table["lr_max"], color="grey", alpha=0.15, lw=0, label="sweep range"
    )
    T = np.geomspace(table["T"].min(), table["T"].max(), 50)
    found = table.dropna(subset=["cliff_lr"])
    if not np.isfinite(power["slope"]):
        ax.set_xscale("log")
        return
    ax.plot(
        T,
        10 ** power["intercept"] * T ** power["slope"],
        color="C0",
        label=f"fit: slope {power['slope']:.2f}",
    )
    middle = found.iloc[len(found) // 2]
    for exponent, style_ in (
        (power["theory_exponent_error"], ":"),
        (power["theory_exponent_normalised_loss"], "--"),
    ):
        ax.plot(
            T,
            middle["cliff_lr"] * (T / middle["T"]) ** exponent,
            "k",
            linestyle=style_,
            lw=0.8,
            label=f"1-D theory slope {exponent:g}",
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("Task timescale T (steps)")
    ax.set_ylabel("Critical learning rate")
    ax.legend(frameon=False, fontsize=6)


(panel,) = PANELS["rnn_scaling"]
fig, ax = plt.subplots()
draw(ax)
style.save_figure(fig, f"{figures_dir}/rnn_scaling/{panel}")
fig, axes = plt.subplots(1, 2, figsize=(6.8, 2.6))
draw(axes[0])
colors = plt.cm.plasma(np.linspace(0, 0.85, summary["T"].nunique()))
for (T, rows), color in zip(summary.groupby("T"), colors, strict=True):
    rows = rows.sort_values("lr")
    axes[1].errorbar(rows["lr"], rows["mean_loss"], rows["sem_loss"], color=color, label=f"T = {T}")
axes[1].set_xscale("log")
axes[1].set_yscale("log")
axes[1].set_xlabel("Learning rate")
axes[1].set_ylabel("Loss at the last epoch")
axes[1].legend(frameon=False, fontsize=6)
fig.tight_layout()
style.save_figure(fig, f"{figures_dir}/rnn_scaling")
