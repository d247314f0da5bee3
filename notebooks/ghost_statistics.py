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
# # Beyond the paper — does a ghost precede abrupt learning in general?
# Over many seeds of the Figure 4 and 5 networks: the lead time of each learned network's first ghost
# over its abrupt drop (drop epoch − first checkpoint epoch with a ghost; positive: the ghost came first),
# and per experiment the fraction of learned networks whose ghost came first, with its 95 % Wilson
# interval (docs/methods.md §7).

# %% tags=["parameters"]
statistics = "results/tables/ghost_statistics.csv"
summary = "results/tables/ghost_statistics_summary.csv"
figures_dir = "results/figures"

# %%
import numpy as np
import seaborn as sns

from ghostlearn import style
from ghostlearn.io import read_table
from ghostlearn.registry import PANELS

style.apply()
table = read_table(statistics, ["experiment", "learned", "lead_time", "ghost_before_drop"])
fractions = read_table(summary, ["experiment", "networks", "learned", "fraction", "ci_low", "ci_high"])
print(fractions.to_string(index=False))
leads = table[table["learned"].astype(bool) & np.isfinite(table["lead_time"])]
if leads.empty:
    print("WARNING: no learned network with a ghost; the lead-time histogram is empty")


# %%
def draw(axes):
    left, right = axes
    if len(leads):
        sns.histplot(
            data=leads, x="lead_time", hue="experiment", element="step", fill=False, bins=20, ax=left
        )
    left.axvline(0, color="k", lw=0.8, ls=":")
    left.set_xlabel("Lead time: drop − first ghost epoch")
    left.set_ylabel("Learned networks")
    y = np.arange(len(fractions))
    err = np.vstack(
        [fractions["fraction"] - fractions["ci_low"], fractions["ci_high"] - fractions["fraction"]]
    )
    right.errorbar(fractions["fraction"], y, xerr=err, fmt="o", color="C0", capsize=2)
    right.set_yticks(y, [f"{r.experiment}\n{r.learned}/{r.networks} learned" for r in fractions.itertuples()])
    right.set_xlim(-0.02, 1.02)
    right.axvline(0.5, color="grey", lw=0.6, ls=":")
    right.set_xlabel("Fraction with the ghost first (95 % CI)")


style.save_stacked(
    [(lambda fig: draw(fig.subplots(1, 2)), (6.8, 2.6))],
    PANELS["ghost_statistics"],
    figures_dir,
    "ghost_statistics",
)
