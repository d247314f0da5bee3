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
# # Figure 4 — rank-2 RNNs on DCDT (a–d) and DMTS (e–g): ghost points precede abrupt learning
# (a, e) training curves with the analysed checkpoints; (b, f) latent flow maps κ = P r of every analysed
# checkpoint: log₁₀ speed, unit arrows, one trajectory per class, grid minima of the speed (purple ×) and
# the Newton-refined points by kind, the low-confidence read-out band, and the outputs of each class
# below; (c) DCDT close-ups around the origin; (d, g) the speed q* of every refined slow point against
# the checkpoint epoch, with the fixed-point and ghost tolerances and the drop epoch. The outputs are the
# mean ± SEM over the trials of each class (seaborn line plot).

# %% tags=["parameters"]
history_fig4_dcdt = "results/tables/rnn_fig4_dcdt_history.parquet"
points_fig4_dcdt = "results/tables/rnn_fig4_dcdt_points.csv"
trajectories_fig4_dcdt = "results/tables/rnn_fig4_dcdt_trajectories.parquet"
fields_fig4_dcdt = "results/tables/rnn_fig4_dcdt_fields.parquet"
history_fig4_dmts = "results/tables/rnn_fig4_dmts_history.parquet"
points_fig4_dmts = "results/tables/rnn_fig4_dmts_points.csv"
trajectories_fig4_dmts = "results/tables/rnn_fig4_dmts_trajectories.parquet"
fields_fig4_dmts = "results/tables/rnn_fig4_dmts_fields.parquet"
landmarks = "results/tables/fig4_landmarks.csv"
fixed_tol = 1e-8
ghost_tol = 0.1
figures_dir = "results/figures"

# %%
import numpy as np
import seaborn as sns

from ghostlearn import style
from ghostlearn.io import read_table
from ghostlearn.registry import PANELS

style.apply()
NAMES = {"dcdt": "fig4_dcdt", "dmts": "fig4_dmts"}
files = {
    "dcdt": (history_fig4_dcdt, points_fig4_dcdt, trajectories_fig4_dcdt, fields_fig4_dcdt),
    "dmts": (history_fig4_dmts, points_fig4_dmts, trajectories_fig4_dmts, fields_fig4_dmts),
}
data = {}
for task, (h, p, t, f) in files.items():
    data[task] = {
        "history": read_table(h, ["epoch", "loss", "grad_norm", "accuracy"]),
        "points": read_table(
            p, ["epoch", "kind", "kappa_1", "kappa_2", "speed", "grid_kappa_1", "grid_kappa_2"]
        ),
        "trajectories": read_table(
            t, ["epoch", "trial", "cls", "state", "kappa_1", "kappa_2", "output", "target"]
        ),
        "fields": read_table(
            f, ["epoch", "view", "kappa_1", "kappa_2", "speed", "velocity_1", "velocity_2", "readout"]
        ),
    }
    data[task]["epochs"] = sorted(data[task]["fields"]["epoch"].unique())
    assert np.isfinite(data[task]["history"][["loss", "grad_norm"]].to_numpy()).all(), (
        f"{task}: non-finite history"
    )
marks = read_table(landmarks, ["experiment", "landmark", "value", "detail"])
print(marks.to_string(index=False))
drop = {
    task: float(marks.query("experiment == @name and landmark == 'drop_epoch'")["value"].iloc[0])
    for task, name in NAMES.items()
}

# %%
KIND_STYLE = {
    "fixed": {"marker": "o", "color": "black", "ms": 5},
    "ghost": {"marker": "*", "color": "red", "ms": 8},
    "slow": {"marker": "d", "color": "grey", "ms": 4},
}
CLASS_COLORS = {"dcdt": ["C0", "C3"], "dmts": ["C0", "C1", "C2", "C3"]}
BAND = {
    "dcdt": 0.55,
    "dmts": 1.0,
}  # |z| of the low-confidence read-out band (|tanh z| < 0.5; σ(z) in (0.27, 0.73))


def draw_training(ax, task):
    run = data[task]["history"]
    stride = max(1, len(run) // 2000)
    shown = run.iloc[::stride]
    ax.semilogy(shown["epoch"], shown["loss"] / shown["loss"].max(), color="C0", label="loss")
    ax.semilogy(
        shown["epoch"], shown["grad_norm"] / shown["grad_norm"].max(), color="C1", alpha=0.6, label="gradient"
    )
    for epoch in data[task]["epochs"]:
        ax.axvline(epoch + 1, color="grey", linestyle="--", lw=0.7)
    if np.isfinite(drop[task]):
        ax.axvline(drop[task], color="red", lw=0.7, label="drop")
    ax.set_xlabel("epoch")
    ax.set_ylabel("normalised value")
    ax.legend(frameon=False)


def grid(frame, column):
    """A field column as a 2-D array indexed [kappa_2, kappa_1] (for imshow), with its extent."""
    table = frame.pivot(index="kappa_2", columns="kappa_1", values=column)
    k1, k2 = table.columns.to_numpy(), table.index.to_numpy()
    return table.to_numpy(), (k1[0], k1[-1], k2[0], k2[-1]), k1, k2


def draw_map(ax, task, epoch, view="main"):
    field = data[task]["fields"].query("epoch == @epoch and view == @view")
    speed, extent, k1, k2 = grid(field, "speed")
    image = ax.imshow(
        np.log10(speed),
        origin="lower",
        extent=extent,
        cmap="viridis",
        alpha=0.6,
        vmin=-1,
        vmax=1,
        aspect="auto",
    )
    v1, v2 = grid(field, "velocity_1")[0], grid(field, "velocity_2")[0]
    stride = max(1, len(k1) // 20)
    norm = np.hypot(v1, v2)
    K1, K2 = np.meshgrid(k1, k2)
    s = (slice(None, None, stride), slice(None, None, stride))
    ax.quiver(K1[s], K2[s], (v1 / norm)[s], (v2 / norm)[s], color="white", alpha=0.7, scale=30, width=0.004)
    if view == "main":
        z = grid(field, "readout")[0]
        ax.contourf(K1, K2, z, levels=[-BAND[task], 0], colors=["red"], alpha=0.15)
        ax.contourf(K1, K2, z, levels=[0, BAND[task]], colors=["green"], alpha=0.15)
    paths = data[task]["trajectories"].query("epoch == @epoch")
    for trial, color in zip(range(len(CLASS_COLORS[task])), CLASS_COLORS[task], strict=True):
        path = paths[paths["trial"] == trial].sort_values("state")
        ax.plot(path["kappa_1"], path["kappa_2"], color=color, lw=1)
        ax.plot(path["kappa_1"].iloc[-1], path["kappa_2"].iloc[-1], "o", color=color, ms=2)
    found = data[task]["points"].query("epoch == @epoch")
    ax.plot(found["grid_kappa_1"], found["grid_kappa_2"], "x", color="purple", ms=4)
    for kind, spec in KIND_STYLE.items():
        at = found[found["kind"] == kind]
        ax.plot(at["kappa_1"], at["kappa_2"], linestyle="none", mfc="none", **spec)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_title(f"epoch {epoch:,}")
    ax.set_xlabel("κ₁")
    ax.set_ylabel("κ₂")
    return image


def draw_outputs(ax, task, epoch):
    paths = data[task]["trajectories"].query("epoch == @epoch").dropna(subset=["output"])
    for cls, color in zip(range(len(CLASS_COLORS[task])), CLASS_COLORS[task], strict=True):
        rows = paths[paths["cls"] == cls]
        sns.lineplot(rows, x="state", y="output", errorbar="se", color=color, err_kws={"alpha": 0.3}, ax=ax)
        target = rows.groupby("state")["target"].first()
        ax.plot(target.index, target, color=color, linestyle="--", lw=0.8)
    ax.set_xlabel("time step")
    ax.set_ylabel("output")


def draw_maps(fig, task, view="main", outputs=True):
    epochs = data[task]["epochs"]
    rows = 2 if outputs else 1
    axes = fig.subplots(rows, len(epochs), squeeze=False, gridspec_kw={"height_ratios": [3, 1][:rows]})
    for column, epoch in enumerate(epochs):
        image = draw_map(axes[0, column], task, epoch, view)
        if outputs:
            draw_outputs(axes[1, column], task, epoch)
    fig.colorbar(image, ax=axes[0, :].tolist(), label="log₁₀ speed", shrink=0.8)


def draw_slow_points(ax, task):
    found = data[task]["points"]
    for kind, spec in KIND_STYLE.items():
        at = found[found["kind"] == kind]
        ax.semilogy(
            at["epoch"], at["speed"].clip(lower=1e-17), linestyle="none", mfc="none", label=kind, **spec
        )
    ax.axhline(fixed_tol, color="black", linestyle=":", lw=0.8)
    ax.axhline(ghost_tol, color="red", linestyle=":", lw=0.8)
    if np.isfinite(drop[task]):
        ax.axvline(drop[task], color="red", lw=0.7)
    ax.set_xlabel("checkpoint epoch")
    ax.set_ylabel("speed q* of refined point")
    ax.legend(frameon=False, fontsize=6)


def one_axis(draw, *args):
    def panel(fig):
        draw(fig.subplots(), *args)

    return panel


def maps(task, view="main", outputs=True):
    def panel(fig):
        draw_maps(fig, task, view, outputs)

    return panel


width = {task: 2.4 * len(data[task]["epochs"]) + 1 for task in data}
layout = [
    (one_axis(draw_training, "dcdt"), (3.4, 2.6)),
    (maps("dcdt"), (width["dcdt"], 4.2)),
    (maps("dcdt", "closeup", outputs=False), (width["dcdt"], 2.6)),
    (one_axis(draw_slow_points, "dcdt"), (3.4, 2.6)),
    (one_axis(draw_training, "dmts"), (3.4, 2.6)),
    (maps("dmts"), (width["dmts"], 4.2)),
    (one_axis(draw_slow_points, "dmts"), (3.4, 2.6)),
]
has_closeup = (data["dcdt"]["fields"]["view"] == "closeup").any()
assert has_closeup, "no close-up flow maps for DCDT (analysis.closeup is null)"
style.save_stacked(layout, PANELS["fig4"], figures_dir, "fig4")
