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
# # Figure 6 — critical learning rate in RNNs, and the rank remedy
# (A) Mean ± SEM over seeds (population std / √n, as the authors; drawn by seaborn from the per-network
# losses) of the loss against the learning rate at several training times, for the rank-one RNN and the
# "full" canonical model (trainable read-out; not a matched model, docs/methods.md §5 item
# 18): a valley whose right wall is a cliff (marked). (B) Learning curves (loss / first loss) per rank K at
# each learning rate, and the fraction of seeds that learned (final / first loss < 1e-2) against K: as η
# grows, low ranks fail first.

# %% tags=["parameters"]
loss_vs_lr = "results/tables/fig6a_loss_vs_lr.csv"
losses = "results/tables/fig6a_losses.csv"
cliff = "results/tables/fig6a_cliff.csv"
learned = "results/tables/fig6b_fraction_learned.csv"
curves = "results/tables/fig6b_learning_curves.parquet"
figures_dir = "results/figures"

# %%
import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from ghostlearn import style
from ghostlearn.io import read_table
from ghostlearn.registry import PANELS
from ghostlearn.tables.sweeps import population_sem_interval

style.apply()
summary = read_table(loss_vs_lr, ["experiment", "lr", "epoch", "mean_loss", "sem_loss"])
per_network = read_table(losses, ["experiment", "network", "lr", "seed", "epoch", "loss"])
cliffs = read_table(cliff, ["experiment", "epoch", "cliff_lr"])
fractions = read_table(learned, ["K", "lr", "fraction_learned"])
learning = read_table(curves, ["K", "lr", "seed", "epoch", "normalised_loss"])
assert set(summary["experiment"]) == {"fig6a_rank_one", "fig6a_full"}, "Fig. 6A needs both models"
assert np.isfinite(summary["mean_loss"]).all(), "non-finite mean losses"
assert np.isfinite(per_network["loss"]).all(), "non-finite per-network losses"
assert fractions["fraction_learned"].between(0, 1).all()
print(cliffs.to_string(index=False))
print(fractions.pivot(index="K", columns="lr", values="fraction_learned").round(2).to_string())


# %%
def draw_loss_vs_lr(ax, experiment):
    rows = per_network[per_network["experiment"] == experiment]
    epochs = sorted(rows["epoch"].unique())
    colors = plt.cm.autumn(np.linspace(0, 0.85, len(epochs)))
    for epoch, color in zip(epochs, colors, strict=True):
        # drawn before the axes are log-scaled: seaborn averages in the scaled coordinates
        sns.lineplot(
            rows[rows["epoch"] == epoch],
            x="lr",
            y="loss",
            errorbar=population_sem_interval,
            err_style="bars",
            color=color,
            label=f"{epoch:,}",
            ax=ax,
        )
    for epoch, color in zip(epochs, colors, strict=True):
        lr = cliffs[(cliffs["experiment"] == experiment) & (cliffs["epoch"] == epoch)]["cliff_lr"]
        if len(lr) and np.isfinite(lr.iloc[0]):
            ax.axvline(lr.iloc[0], color=color, linestyle=":", lw=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(1e-7, 3)
    ax.set_xlabel("Learning rate")
    ax.set_ylabel("Loss value")
    ax.set_title("rank-one" if experiment.endswith("rank_one") else "full", loc="right")
    ax.legend(title="Epoch (dotted: cliff)", frameon=False, fontsize=6)


lrs = sorted(learning["lr"].unique())
ranks = sorted(learning["K"].unique())
rank_colors = dict(zip(ranks, plt.cm.viridis(np.linspace(0, 1, len(ranks))), strict=True))


def draw_curves(ax, lr, legend=True):
    rows = learning[(learning["lr"] == lr) & (learning["epoch"] >= 1)]
    for (K, seed), run in rows.groupby(["K", "seed"]):
        ax.plot(
            run["epoch"],
            run["normalised_loss"],
            color=rank_colors[K],
            lw=0.6,
            label=f"K = {K}" if seed == rows[rows["K"] == K]["seed"].min() else None,
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(1e-7, 2.5)
    ax.set_title(f"η = {lr:.2e}", loc="right")
    ax.set_xlabel("Epoch")
    ax.set_ylabel("Loss / first loss")
    if legend:
        ax.legend(frameon=False, fontsize=5)


def draw_all_curves(fig):
    cols = int(np.ceil(np.sqrt(len(lrs))))
    rows = int(np.ceil(len(lrs) / cols))
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, lr in zip(axes.ravel(), lrs, strict=False):
        draw_curves(ax, lr, legend=lr == lrs[0])
    for ax in axes.ravel()[len(lrs) :]:
        ax.set_visible(False)


def draw_fraction(ax):
    colors = plt.cm.viridis(np.linspace(0, 1, len(lrs)))
    for lr, color in zip(lrs, colors, strict=True):
        part = fractions[fractions["lr"] == lr].sort_values("K")
        ax.plot(part["K"], part["fraction_learned"], "o-", color=color, ms=3, label=f"{lr:.1e}")
    ax.set_xscale("log")
    ax.set_ylim(-0.05, 1.05)
    ax.set_xlabel("Rank K")
    ax.set_ylabel("Fraction learned")
    ax.legend(title="Learning rate", frameon=False, fontsize=5)


names = PANELS["fig6"]
for name, experiment in zip(names[:2], ("fig6a_rank_one", "fig6a_full"), strict=True):
    fig, ax = plt.subplots()
    draw_loss_vs_lr(ax, experiment)
    style.save_figure(fig, f"{figures_dir}/fig6/{name}")
fig = plt.figure(figsize=(7.0, 6.0))
draw_all_curves(fig)
fig.tight_layout()
style.save_figure(fig, f"{figures_dir}/fig6/{names[2]}")
fig, ax = plt.subplots()
draw_fraction(ax)
style.save_figure(fig, f"{figures_dir}/fig6/{names[3]}")

fig, axes = plt.subplots(2, 2, figsize=(6.8, 5.2))
draw_loss_vs_lr(axes[0, 0], "fig6a_rank_one")
draw_loss_vs_lr(axes[0, 1], "fig6a_full")
draw_curves(axes[1, 0], lrs[len(lrs) // 2])
draw_fraction(axes[1, 1])
for letter, ax in zip("AABB", axes.ravel(), strict=True):
    ax.set_title(letter, loc="left", fontweight="bold")
fig.tight_layout()
style.save_figure(fig, f"{figures_dir}/fig6")
