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
# # Figure 5 — full-rank RNNs: the same phenomenology (a–c DCDT, d–f DMTS)
# (a, d) loss and gradient norm with the saved checkpoints; (b, e) accuracy; (c, f) at each checkpoint the
# trial trajectories in the first three principal components (one PCA per network over all its
# checkpoints) and the slow/fixed points found from every visited state, coloured by log₁₀ speed and
# annotated with their distance to the nearest visited state.

# %% tags=["parameters"]
history_fig5_dcdt = "results/tables/rnn_fig5_dcdt_history.parquet"
points_fig5_dcdt = "results/tables/rnn_fig5_dcdt_points.csv"
trajectories_fig5_dcdt = "results/tables/rnn_fig5_dcdt_trajectories.parquet"
history_fig5_dmts = "results/tables/rnn_fig5_dmts_history.parquet"
points_fig5_dmts = "results/tables/rnn_fig5_dmts_points.csv"
trajectories_fig5_dmts = "results/tables/rnn_fig5_dmts_trajectories.parquet"
landmarks = "results/tables/fig5_landmarks.csv"
figures_dir = "results/figures"

# %%
import numpy as np

from ghostlearn import style
from ghostlearn.io import read_table
from ghostlearn.registry import PANELS

style.apply()
NAMES = {"dcdt": "fig5_dcdt", "dmts": "fig5_dmts"}
files = {
    "dcdt": (history_fig5_dcdt, points_fig5_dcdt, trajectories_fig5_dcdt),
    "dmts": (history_fig5_dmts, points_fig5_dmts, trajectories_fig5_dmts),
}
data = {}
for task, (h, p, t) in files.items():
    data[task] = {
        "history": read_table(h, ["epoch", "loss", "grad_norm", "accuracy"]),
        "points": read_table(p, ["epoch", "kind", "speed", "distance_to_trajectory", "pc1", "pc2", "pc3"]),
        "trajectories": read_table(t, ["epoch", "trial", "state", "pc1", "pc2", "pc3"]),
    }
    data[task]["epochs"] = sorted(data[task]["trajectories"]["epoch"].unique())
    assert np.isfinite(data[task]["history"][["loss", "grad_norm"]].to_numpy()).all(), (
        f"{task}: non-finite history"
    )
marks = read_table(landmarks, ["experiment", "landmark", "value", "detail"])
print(marks.to_string(index=False))
for task in data:
    slowest = data[task]["points"].sort_values("speed").groupby("epoch").first()
    print(
        task,
        "slowest point per checkpoint:\n",
        slowest[["kind", "speed", "distance_to_trajectory"]].to_string(),
    )

# %%
TRIAL_COLORS = ["C0", "C3", "C2", "C1"]


def draw_training(ax, task):
    run = data[task]["history"]
    stride = max(1, len(run) // 5000)
    shown = run.iloc[::stride]
    ax.loglog(shown["epoch"], shown["loss"], color="C0", label="loss")
    ax.loglog(shown["epoch"], shown["grad_norm"], color="C1", alpha=0.5, label="‖∇W_rec‖")
    for epoch in data[task]["epochs"]:
        ax.axvline(epoch + 1, color="grey", linestyle="--", lw=0.7)
    ax.set_xlabel("epoch")
    ax.legend(frameon=False)


def draw_accuracy(ax, task):
    run = data[task]["history"]
    ax.semilogx(run["epoch"], run["accuracy"], color="C2")
    for epoch in data[task]["epochs"]:
        ax.axvline(epoch + 1, color="grey", linestyle="--", lw=0.7)
    ax.set_ylim(-0.01, 1.01)
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy")


def accuracy_at(task, epoch):
    """Accuracy recorded with the checkpoint's parameters: history epoch e + 1 (the loss before update
    e + 1); for the final checkpoint, the last recorded epoch."""
    run = data[task]["history"]
    row = run[run["epoch"] <= epoch + 1].tail(1)
    return float(row["accuracy"].iloc[0]) if len(row) else float("nan")


def draw_pca(fig, task):
    epochs = data[task]["epochs"]
    paths = data[task]["trajectories"]
    lims = [(paths[c].min() - 0.5, paths[c].max() + 0.5) for c in ("pc1", "pc2", "pc3")]
    for column, epoch in enumerate(epochs):
        ax = fig.add_subplot(1, len(epochs), column + 1, projection="3d")
        at = paths[paths["epoch"] == epoch]
        for trial, path in at.groupby("trial"):
            path = path.sort_values("state")
            color = TRIAL_COLORS[trial % len(TRIAL_COLORS)]
            ax.plot(path["pc1"], path["pc2"], path["pc3"], color=color, lw=1)
        found = data[task]["points"].query("epoch == @epoch")
        found = found[
            found["pc1"].between(*lims[0]) & found["pc2"].between(*lims[1]) & found["pc3"].between(*lims[2])
        ]
        image = ax.scatter(
            found["pc1"],
            found["pc2"],
            found["pc3"],
            c=np.log10(found["speed"].clip(lower=1e-16)),
            cmap="coolwarm",
            vmin=-6,
            vmax=0,
            marker="D",
            s=18,
        )
        for _, point in found.iterrows():
            ax.text(
                point["pc1"], point["pc2"], point["pc3"], f"{point['distance_to_trajectory']:.2f}", fontsize=5
            )
        ax.set_xlim(*lims[0])
        ax.set_ylim(*lims[1])
        ax.set_zlim(*lims[2])
        ax.set_xlabel("PC1")
        ax.set_ylabel("PC2")
        ax.set_zlabel("PC3")
        for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
            axis.pane.set_visible(False)
        ax.set_title(f"Epoch {epoch + 1:,}, acc {accuracy_at(task, epoch):.2f}")
    fig.colorbar(image, ax=fig.axes, label="log₁₀ speed", shrink=0.6, pad=0.08)


def one_axis(draw, task):
    def panel(fig):
        draw(fig.subplots(), task)

    return panel


def pca(task):
    def panel(fig):
        draw_pca(fig, task)

    return panel


width = {task: 2.6 * len(data[task]["epochs"]) + 1 for task in data}
layout = [
    (one_axis(draw_training, "dcdt"), (3.4, 2.6)),
    (one_axis(draw_accuracy, "dcdt"), (3.4, 2.6)),
    (pca("dcdt"), (width["dcdt"], 3.0)),
    (one_axis(draw_training, "dmts"), (3.4, 2.6)),
    (one_axis(draw_accuracy, "dmts"), (3.4, 2.6)),
    (pca("dmts"), (width["dmts"], 3.0)),
]
style.save_stacked(layout, PANELS["fig5"], figures_dir, "fig5", constrained=False)
