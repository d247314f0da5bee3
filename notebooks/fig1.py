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
# # Figure 1 — the ghost of a saddle-node
# dx/dt = x² + r for r > 0 (no fixed point: the flow is slowest at x = 0, the *ghost*) and r < 0
# (a stable and an unstable fixed point at ∓√(−r)). Tables from the `vector_field` rule.

# %% tags=["parameters"]
field = "results/tables/fig1_vector_field.csv"
fixed_points = "results/tables/fig1_fixed_points.csv"
figures_dir = "results/figures"

# %%
import matplotlib.pyplot as plt
import numpy as np

from ghostlearn import style
from ghostlearn.io import read_table
from ghostlearn.registry import PANELS

style.apply()
flow = read_table(field, ["r", "x", "dxdt"])
points = read_table(fixed_points, ["r", "x", "stability"]) if fixed_points else None
assert np.isfinite(flow[["r", "x", "dxdt"]].to_numpy()).all(), "non-finite vector field"
r_values = sorted(flow["r"].unique(), reverse=True)
assert len(r_values) == len(PANELS["fig1"]), f"expected one r per panel {PANELS['fig1']}"


# %%
def draw(ax, r):
    curve = flow[flow["r"] == r]
    ax.plot(curve["x"], curve["dxdt"], color="C0")
    ax.axhline(0, color="black", linewidth=0.5)
    for _, point in points[points["r"] == r].iterrows():
        filled = point["stability"] == "stable"
        ax.plot(point["x"], 0, "o", color="black", markerfacecolor="black" if filled else "white")
    if r > 0:
        ax.annotate("ghost", (0, r), (0, r + 0.6), ha="center", arrowprops={"arrowstyle": "->"})
    ax.set_ylim(-1, 2)
    ax.set_xlabel("x")
    ax.set_ylabel("dx/dt")
    ax.set_title(f"r = {r:g}")


for panel, r in zip(PANELS["fig1"], r_values, strict=True):
    fig, ax = plt.subplots()
    draw(ax, r)
    style.save_figure(fig, f"{figures_dir}/fig1/{panel}")

fig, axes = plt.subplots(1, len(r_values), figsize=(6.8, 2.6))
for ax, r in zip(np.atleast_1d(axes), r_values, strict=True):
    draw(ax, r)
style.save_figure(fig, f"{figures_dir}/fig1")
