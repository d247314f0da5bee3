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
# # Figure 2 — the 1-D model: loss landscape, abrupt learning, critical learning rate
# (a) L(r): closed form (a → ∞) and the Euler-simulated model at finite confidences; (b, c) gradient
# descent below and above η_c = 3π⁴/(32T⁵); (d) loss vs learning rate after several epochs, with the
# cliff just above η_c: mean ± SEM over the starts (population std / √n, as the authors), drawn by seaborn from
# every start's loss.

# %% tags=["parameters"]
landscape = "results/tables/landscape.csv"
trajectories = "results/tables/gd_fig2_pair_trajectories.csv"
sweep = "results/tables/gd_fig2_sweep_loss_vs_lr.csv"
sweep_starts = "results/tables/gd_fig2_sweep_loss_per_start.csv"
cliff = "results/tables/gd_fig2_sweep_cliff.csv"
confidences = [0.1, 1.0]
figures_dir = "results/figures"

# %%
import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from ghostlearn import style
from ghostlearn.io import read_table
from ghostlearn.oned import canonical
from ghostlearn.registry import PANELS
from ghostlearn.tables.sweeps import population_sem_interval

style.apply()
land = read_table(landscape, ["confidence", "r", "r_over_ropt", "loss"])
traj = read_table(trajectories, ["run", "lr", "T", "epoch", "r", "loss"])
loss_lr = read_table(sweep, ["lr", "lr_over_critical", "epoch", "mean_loss", "sem_loss"])
starts = read_table(sweep_starts, ["lr", "start", "epoch", "loss"])
cliffs = read_table(cliff, ["epoch", "cliff_lr", "cliff_over_critical", "all_fail_lr"])
for name, table in {"landscape": land, "trajectories": traj, "sweep": loss_lr, "starts": starts}.items():
    values = table.select_dtypes("number").replace(np.inf, 0).to_numpy()
    assert np.isfinite(values).all(), f"{name}: non-finite values"
missing = set(confidences) - set(land["confidence"])
assert not missing, f"landscape lacks confidences {missing}"
T = float(traj["T"].iloc[0])
r_opt = canonical.optimal_r(T)
eta_c = float(loss_lr["lr"].iloc[0] / loss_lr["lr_over_critical"].iloc[0])
print(f"T = {T:g}, r_opt = {r_opt:.6e}, eta_c = {eta_c:.4e}")
print(cliffs.to_string(index=False))


# %%
def draw_landscape(ax):
    closed = land[np.isinf(land["confidence"])]
    ax.plot(closed["r_over_ropt"], closed["loss"], color="black", label="closed form")
    for i, a in enumerate(confidences):
        sim = land[land["confidence"] == a]
        ax.scatter(sim["r_over_ropt"], sim["loss"], s=10, color=f"C{i}", label=f"a = {a:g}")
    ax.axvspan(closed["r_over_ropt"].min(), 0.25, color="grey", alpha=0.15, lw=0, label="no-learning zone")
    ax.axvline(1.0, color="orange", linestyle="--")
    ax.set_xlabel("r / r_opt")
    ax.set_ylabel("loss L(r)")
    ax.legend(frameon=False)


def draw_loss_decrease(ax):
    for i, (lr, run) in enumerate(traj.groupby("lr")):
        ax.plot(run["epoch"], run["loss"], color=f"C{i}", label=f"η = {lr:.0e} ({lr / eta_c:.2f} η_c)")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.legend(frameon=False)


def draw_r_changes(ax):
    for i, (lr, run) in enumerate(traj.groupby("lr")):
        ax.plot(run["epoch"], run["r"], color=f"C{i}", label=f"η = {lr:.0e}")
    ax.axhline(r_opt, color="black", label="r_opt")
    ax.axhline(r_opt / 4, color="black", linestyle="--", label="r_opt / 4")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("r")
    ax.legend(frameon=False)


def draw_loss_vs_lr(ax):
    epochs = sorted(starts["epoch"].unique())
    colors = plt.cm.viridis(np.linspace(0.1, 0.9, len(epochs)))
    for epoch, color in zip(epochs, colors, strict=True):
        # drawn before the axes are log-scaled: seaborn averages in the scaled coordinates
        sns.lineplot(
            starts[starts["epoch"] == epoch],
            x="lr",
            y="loss",
            errorbar=population_sem_interval,
            err_style="bars",
            color=color,
            label=str(epoch),
            ax=ax,
        )
    ax.axvline(eta_c, color="grey", linestyle=":", label="η_c")
    all_fail = cliffs["all_fail_lr"].min()
    if np.isfinite(all_fail):
        ax.annotate(
            f"{all_fail / eta_c:.2f} η_c",
            (all_fail, 1.0),
            (all_fail * 1.5, 0.3),
            arrowprops={"arrowstyle": "->"},
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("Learning rate")
    ax.set_ylabel("Loss value")
    ax.legend(title="Epoch", frameon=False)


drawers = [draw_landscape, draw_loss_decrease, draw_r_changes, draw_loss_vs_lr]
for panel, draw in zip(PANELS["fig2"], drawers, strict=True):
    fig, ax = plt.subplots()
    draw(ax)
    style.save_figure(fig, f"{figures_dir}/fig2/{panel}")

fig, axes = plt.subplots(2, 2, figsize=(6.8, 5.2))
for letter, ax, draw in zip("abcd", axes.ravel(), drawers, strict=True):
    draw(ax)
    ax.set_title(letter, loc="left", fontweight="bold")
fig.tight_layout()
style.save_figure(fig, f"{figures_dir}/fig2")
