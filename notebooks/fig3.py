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
# # Figure 3 — rank-one RNN: abrupt learning through a ghost; a large learning rate destabilises it
# (a) training curve at a small η (paper: 0.003); (b) the flow dκ/dt = −κ + nᵀtanh(mκ + b) at three
# epochs: the single fixed point moves right and a ghost (positive local minimum) forms between κ₀ and the threshold 1;
# (c) training curve at η = 0.02 with its inset; (d) flow curves in the unstable phase after the drop;
# fixed-point test: the number of κ fixed points, counted every epoch, never exceeds one.

# %% tags=["parameters"]
history_fig3_small_lr = "results/tables/rnn_fig3_small_lr_history.parquet"
points_fig3_small_lr = "results/tables/rnn_fig3_small_lr_points.csv"
fields_fig3_small_lr = "results/tables/rnn_fig3_small_lr_fields.parquet"
history_fig3_large_lr = "results/tables/rnn_fig3_large_lr_history.parquet"
points_fig3_large_lr = "results/tables/rnn_fig3_large_lr_points.csv"
fields_fig3_large_lr = "results/tables/rnn_fig3_large_lr_fields.parquet"
epochs = "results/tables/fig3_epochs.csv"
landmarks = "results/tables/fig3_landmarks.csv"
figures_dir = "results/figures"

# %%
import matplotlib.pyplot as plt
import numpy as np

from ghostlearn import style
from ghostlearn.io import read_table
from ghostlearn.registry import PANELS

style.apply()
history = {
    "small": read_table(history_fig3_small_lr, ["epoch", "loss", "grad_norm"]),
    "large": read_table(history_fig3_large_lr, ["epoch", "loss", "grad_norm"]),
}
curves = {
    "small": read_table(fields_fig3_small_lr, ["epoch", "kappa", "velocity", "kappa0"]),
    "large": read_table(fields_fig3_large_lr, ["epoch", "kappa", "velocity", "kappa0"]),
}
points = {
    "small": read_table(points_fig3_small_lr, ["epoch", "kind", "kappa"]),
    "large": read_table(points_fig3_large_lr, ["epoch", "kind", "kappa"]),
}
chosen = read_table(epochs, ["panel", "epoch", "rule"])
marks = read_table(landmarks, ["experiment", "landmark", "value", "detail"])
for run in history.values():
    assert np.isfinite(run[["loss", "grad_norm"]].to_numpy()).all(), "non-finite loss or gradient"
panel_b = chosen.loc[chosen["panel"] == "b", "epoch"].tolist()
panel_d = chosen.loc[chosen["panel"] == "d", "epoch"].tolist()
inset = (
    int(chosen.loc[chosen["panel"] == "inset_start", "epoch"].iloc[0]),
    int(chosen.loc[chosen["panel"] == "inset_end", "epoch"].iloc[0]),
)
for name, wanted in (("small", panel_b), ("large", panel_d)):
    missing = set(wanted) - set(curves[name]["epoch"])
    assert not missing, f"{name} learning rate: no flow curve at epochs {sorted(missing)}"
print(chosen.to_string(index=False))
print(marks.to_string(index=False))

# %%
WINDOW = (-8.99, 8.99)  # the authors plot grid indices 200…799 of linspace(−15, 15, 1000)


def draw_training(ax, run, grad_alpha):
    ax.semilogy(run["epoch"], run["loss"] / run["loss"].max(), color="C0", label="loss")
    ax.semilogy(
        run["epoch"],
        run["grad_norm"] / run["grad_norm"].max(),
        color="C1",
        alpha=grad_alpha,
        label="gradient",
    )
    ax.set_ylim(1e-6, 5)
    ax.set_xlabel("epoch")
    ax.set_ylabel("normalised value")
    ax.legend(frameon=False)


def draw_curves(ax, name, wanted, ylim=None):
    colors = plt.cm.viridis(np.linspace(0.1, 0.8, len(wanted)))
    for epoch, color in zip(wanted, colors, strict=True):
        curve = curves[name][curves[name]["epoch"] == epoch]
        shown = curve[(curve["kappa"] >= WINDOW[0]) & (curve["kappa"] <= WINDOW[1])]
        ax.plot(shown["kappa"], shown["velocity"], color=color, label=f"epoch {epoch:,}")
        k0 = curve["kappa0"].iloc[0]
        ax.plot(k0, np.interp(k0, curve["kappa"], curve["velocity"]), "o", color="red", ms=3)
        found = points[name][points[name]["epoch"] == epoch]
        for kind, marker in (("fixed", "s"), ("ghost", "x")):
            at = found[(found["kind"] == kind) & found["kappa"].between(*WINDOW)]
            ax.plot(
                at["kappa"],
                np.interp(at["kappa"], curve["kappa"], curve["velocity"]),
                marker,
                color=color,
                ms=4,
                mfc="none",
            )
    ax.axhline(0, color="black", linestyle="--", lw=0.8)
    ax.axvline(1, color="orange", linestyle="--", lw=0.8)
    if ylim:
        ax.set_ylim(*ylim)
    ax.set_xlabel("κ")
    ax.set_ylabel("dκ/dt")
    ax.legend(frameon=False, title="red: κ₀ · □ fixed · × ghost", title_fontsize=6)


def draw_a(ax):
    draw_training(ax, history["small"], 0.5)


def draw_b(ax):
    draw_curves(ax, "small", panel_b)


def draw_c(ax):
    draw_training(ax, history["large"], 1.0)
    rule = marks[marks["landmark"].isin(["panel_seed", "panel_behaviour_fraction"])].set_index("landmark")
    if len(rule) == 2:  # the seed rule over the population (docs/methods.md §8)
        shown = rule.loc["panel_behaviour_fraction", "detail"]  # "k of n networks show it"
        ax.text(
            0.02,
            0.04,
            f"seed {rule.loc['panel_seed', 'value']:.0f}: the rule's pick\n({shown}: drop, then relapse)",
            transform=ax.transAxes,
            fontsize=6,
        )


def draw_inset(ax):
    run = history["large"]
    window = run[run["epoch"].between(*inset)]
    ax.semilogy(window["epoch"], window["loss"] / run["loss"].max(), color="C0")
    for epoch in panel_d:
        ax.axvline(epoch, color="grey", linestyle="--", lw=0.8)
    ax.set_xlabel("epoch")
    ax.set_ylabel("normalised loss")


def draw_d(ax):
    draw_curves(ax, "large", panel_d, ylim=(-1, 3))


def draw_fixed_point_test(ax):
    run = history["small"]
    ax.semilogy(run["epoch"], run["loss"], color="C0", label="loss")
    ax.semilogy(run["epoch"], run["grad_norm"], color="C1", alpha=0.5, label="gradient")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss, gradient norm")
    ax.legend(frameon=False, loc="lower left")
    if "fixed_points" in run:
        twin = ax.twinx()
        twin.plot(run["epoch"], run["fixed_points"], color="C2", lw=0.8)
        twin.set_ylabel("κ fixed points", color="C2")
        twin.set_ylim(-0.1, max(3, run["fixed_points"].max() + 0.5))
        twin.text(
            0.98,
            0.9,
            f"max κ fixed points: {int(run['fixed_points'].max())}",
            transform=twin.transAxes,
            ha="right",
        )


drawers = [draw_a, draw_b, draw_c, draw_inset, draw_d, draw_fixed_point_test]
for panel, draw in zip(PANELS["fig3"], drawers, strict=True):
    fig, ax = plt.subplots()
    draw(ax)
    style.save_figure(fig, f"{figures_dir}/fig3/{panel}")

fig, axes = plt.subplots(2, 3, figsize=(10.2, 5.2))
for letter, ax, draw in zip(
    ["a", "b", "c", "c (inset)", "d", "fixed-point test"], axes.ravel(), drawers, strict=True
):
    draw(ax)
    ax.set_title(letter, loc="left", fontweight="bold")
fig.tight_layout()
style.save_figure(fig, f"{figures_dir}/fig3")
