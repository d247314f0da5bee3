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
# # Figure 7 — full-rank learning-rate sweeps: no-learning zones and saturation
# Per learning rate, time averages over all epochs of loss and gradient norm (and ‖W_rec‖ for DMTS; as the
# authors its points lie above the y-limit 1, docs/methods.md §5 item 21), one point per seed (seaborn strip
# plot, jitter seeded) over a box plot; two case networks per task; and the saturated DMTS run around its
# escape event, found automatically as the largest gradient-norm spike in the search window
# (docs/methods.md §5 item 23; the epoch is in fig7_landmarks.csv).

# %% tags=["parameters"]
networks = "results/tables/fig7_networks.csv"
stuck = "results/tables/fig7_stuck.csv"
cases = "results/tables/fig7_cases.csv"
saturation = "results/tables/fig7_saturation_history.csv"
rates = "results/tables/fig7_saturation_rates.csv"
outputs = "results/tables/fig7_saturation_outputs.csv"
landmarks = "results/tables/fig7_landmarks.csv"
figures_dir = "results/figures"

# %%
import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from ghostlearn import style
from ghostlearn.io import read_table
from ghostlearn.registry import PANELS

style.apply()
nets = read_table(
    networks, ["experiment", "lr", "seed", "mean_loss", "mean_grad_norm", "mean_weight_norm", "stuck"]
)
stuck_table = read_table(stuck, ["experiment", "lr", "stuck_fraction"])
case_rows = read_table(
    cases, ["experiment", "case", "lr", "seed", "epoch", "loss", "grad_norm", "weight_norm"]
)
sat = read_table(saturation, ["epoch", "loss", "grad_norm", "weight_norm"])
rate_rows = read_table(rates, ["epoch", "step", "unit", "rate"])
output_rows = read_table(outputs, ["epoch", "step", "output", "target"])
marks = read_table(landmarks, ["experiment", "landmark", "value"])
spike = int(marks[marks["landmark"] == "saturation_epoch"]["value"].iloc[0])
assert np.isfinite(nets[["mean_loss", "mean_grad_norm"]].to_numpy()).all(), "non-finite time averages"
print(stuck_table.pivot(index="lr", columns="experiment", values="stuck_fraction").to_string())
print(marks.to_string(index=False))


# %%
def draw_summary(ax, experiment):
    rows = nets[nets["experiment"] == experiment]
    quantities = {"mean_loss": "loss", "mean_grad_norm": "grad norm"}
    if experiment.endswith("dmts"):
        quantities["mean_weight_norm"] = "‖W_rec‖"
    long = rows.melt(id_vars=["lr", "seed"], value_vars=list(quantities), var_name="quantity")
    long["quantity"] = long["quantity"].map(quantities)
    common = {
        "data": long,
        "x": "lr",
        "y": "value",
        "hue": "quantity",
        "hue_order": list(quantities.values()),
        "palette": [f"C{i}" for i in range(len(quantities))],
        "native_scale": True,
        "dodge": False,
        "ax": ax,
    }
    # Log-scale the rate axis first: with native_scale, seaborn then places, jitters and sizes in decades.
    ax.set_xscale("log")
    np.random.seed(0)  # noqa: NPY002 (stripplot jitters with NumPy's global generator; seeded here)
    sns.stripplot(**common, jitter=0.15, size=np.sqrt(3), alpha=0.6, linewidth=0)
    sns.boxplot(**common, width=0.4, fill=False, showfliers=False, linewidth=0.8, legend=False)
    ax.set_yscale("log")  # after the boxes, so their quartiles are of the values, not of their logs
    ax.set_ylim(1e-6, 10 if experiment.endswith("dcdt") else 1)
    ax.set_xlabel("Learning rate")
    ax.set_ylabel("Time average")
    ax.set_title(experiment.split("_")[1].upper(), loc="right")
    sns.move_legend(ax, "best", title=None, frameon=False, fontsize=6)


def draw_case(ax, experiment, case):
    run = case_rows[(case_rows["experiment"] == experiment) & (case_rows["case"] == case)]
    ax.plot(run["epoch"], run["loss"], label="loss")
    ax.plot(run["epoch"], run["grad_norm"], label="grad norm")
    ax.plot(run["epoch"], run["weight_norm"], label="‖W_rec‖")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(10, 3e4)
    ax.set_xlabel("Epoch")
    ax.set_title(f"η = {run['lr'].iloc[0]:.4g}, seed {run['seed'].iloc[0]}", loc="right")
    ax.legend(frameon=False, fontsize=6)


def draw_saturation_loss(ax):
    window = sat[(sat["epoch"] >= spike - 10) & (sat["epoch"] <= spike + 10)]
    for column in ("loss", "grad_norm", "weight_norm"):
        ax.plot(window["epoch"], window[column], label=column)
    for epoch in (spike - 1, spike, spike + 1):
        ax.axvline(epoch, color="grey", linestyle="--", lw=0.8)
    ax.set_yscale("log")
    ax.set_xlabel(f"Epoch (escape event at {spike})")
    ax.legend(frameon=False, fontsize=6)


def draw_rates(ax):
    bins = np.linspace(-1, 1, 30)
    for i, (epoch, rows) in enumerate(rate_rows.groupby("epoch")):
        ax.hist(rows["rate"], bins=bins, alpha=0.5, color=f"C{i}", label=f"after {epoch} updates")
    ax.set_xlabel("Firing rate (trial 0)")
    ax.set_ylabel("Count")
    ax.legend(frameon=False, fontsize=6)


def draw_outputs(ax):
    first = output_rows[output_rows["epoch"] == output_rows["epoch"].min()]
    ax.plot(first["step"], first["target"], "k--", label="target")
    for i, (epoch, rows) in enumerate(output_rows.groupby("epoch")):
        ax.plot(rows["step"], rows["output"], color=f"C{i}", label=f"after {epoch} updates")
    ax.set_xlabel("Time step (trial 0)")
    ax.set_ylabel("Output")
    ax.legend(frameon=False, fontsize=6)


drawers = [
    lambda ax: draw_summary(ax, "fig7_dcdt"),
    lambda ax: draw_case(ax, "fig7_dcdt", 1),
    lambda ax: draw_case(ax, "fig7_dcdt", 2),
    lambda ax: draw_summary(ax, "fig7_dmts"),
    lambda ax: draw_case(ax, "fig7_dmts", 1),
    lambda ax: draw_case(ax, "fig7_dmts", 2),
    draw_saturation_loss,
    draw_rates,
    draw_outputs,
]
for name, draw in zip(PANELS["fig7"], drawers, strict=True):
    fig, ax = plt.subplots(figsize=(7.0, 2.0) if "summary" in name else None)
    draw(ax)
    style.save_figure(fig, f"{figures_dir}/fig7/{name}")

fig, axes = plt.subplots(3, 3, figsize=(9.0, 7.0))
for ax, draw, title in zip(axes.ravel(), drawers, "ABCDEFGHI", strict=True):
    draw(ax)
    ax.set_title(title, loc="left", fontweight="bold")
fig.tight_layout()
style.save_figure(fig, f"{figures_dir}/fig7")
