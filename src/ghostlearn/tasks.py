"""The tasks of the paper (docs/methods.md §2), as tidy tables (one row per trial and time step).

* ``delayed_activation_1d``: the 1-D model's window [0, 2T] sampled by the Euler step Δt; the target
  switches from 0 to 1 after T (Figures 2, 8A).
* ``delayed_activation``: the rank-one / rank-K RNN version, 2T steps, target 0 for steps 1…T and 1
  after, no input (Figures 3, 6, 8B).
* ``dcdt`` (delayed cue discrimination) and ``dmts`` (delayed match-to-sample): cue/delay/response
  segments in steps, every trial of a class identical, classes repeated in order A, B, A, B, … or
  1, 2, 3, 4, 1, … (Figures 4, 5, 7, 8C).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TASK_KINDS = ("delayed_activation_1d", "delayed_activation", "dcdt", "dmts")

#: DMTS classes as (first stimulus, second stimulus, response target): matches → 1, non-matches → 0.
DMTS_CLASSES = ((1.0, 1.0, 1.0), (-1.0, -1.0, 1.0), (-1.0, 1.0, 0.0), (1.0, -1.0, 0.0))
#: DCDT classes as (cue, response target).
DCDT_CLASSES = ((1.0, 1.0), (-1.0, -1.0))


def delayed_activation_1d(T: float, dt: float) -> pd.DataFrame:
    """Targets of Euler steps k = 1 … round(2T/Δt) at time kΔt: 1 iff k > T/Δt (the authors' test)."""
    steps = np.arange(1, round(2 * T / dt) + 1)
    target = ((steps - T / dt) > 0).astype(float)
    return pd.DataFrame({"trial": 0, "step": steps, "time": steps * dt, "input": 0.0, "target": target})


def delayed_activation(T: int) -> pd.DataFrame:
    """2T output steps with no input; target 0 on steps 1…T and 1 on steps T+1…2T."""
    steps = np.arange(1, 2 * T + 1)
    return pd.DataFrame({"trial": 0, "step": steps, "input": 0.0, "target": (steps > T).astype(float)})


def _trials(segments: list[tuple[int, int]], patterns, trials_per_class: int) -> pd.DataFrame:
    """Assemble trials from (start, length) segments and one value per segment for each class."""
    total = sum(length for _, length in segments)
    rows = []
    n_classes = len(patterns)
    for trial in range(trials_per_class * n_classes):
        cls = trial % n_classes
        inputs, targets = patterns[cls]
        u = np.zeros(total)
        y = np.zeros(total)
        for (start, length), value in zip(segments, inputs, strict=True):
            u[start : start + length] = value
        for (start, length), value in zip(segments, targets, strict=True):
            y[start : start + length] = value
        rows.append(
            pd.DataFrame({"trial": trial, "cls": cls, "step": np.arange(total), "input": u, "target": y})
        )
    return pd.concat(rows, ignore_index=True)


def dcdt(n_in: int, n_delay: int, n_response: int, trials_per_class: int) -> pd.DataFrame:
    """Delayed cue discrimination: [cue | delay | response]; cue ±1 → response target ±1."""
    segments = [(0, n_in), (n_in, n_delay), (n_in + n_delay, n_response)]
    patterns = [((cue, 0.0, 0.0), (0.0, 0.0, goal)) for cue, goal in DCDT_CLASSES]
    return _trials(segments, patterns, trials_per_class)


def dmts(n_in: int, n_delay: int, n_response: int, trials_per_class: int) -> pd.DataFrame:
    """Delayed match-to-sample: [cue 1 | delay | cue 2 | response]; match → 1, non-match → 0."""
    starts = np.cumsum([0, n_in, n_delay, n_in])
    segments = list(zip(starts.tolist(), [n_in, n_delay, n_in, n_response], strict=True))
    patterns = [((s1, 0.0, s2, 0.0), (0.0, 0.0, 0.0, goal)) for s1, s2, goal in DMTS_CLASSES]
    return _trials(segments, patterns, trials_per_class)


def make_task(spec: dict) -> pd.DataFrame:
    """Build a task table from a config task entry (``kind`` plus that kind's sizes)."""
    kind = spec["kind"]
    if kind == "delayed_activation_1d":
        return delayed_activation_1d(spec["T"], spec["dt"])
    if kind == "delayed_activation":
        return delayed_activation(spec["T"])
    if kind in ("dcdt", "dmts"):
        build = dcdt if kind == "dcdt" else dmts
        return build(spec["n_in"], spec["n_delay"], spec["n_response"], spec["trials_per_class"])
    raise ValueError(f"task.kind: unknown task {kind!r}; expected one of {TASK_KINDS}")


def task_name(spec: dict) -> str:
    """A file-name-safe identifier of a task entry, e.g. ``delayed_activation_1d_T100_dt0.1``."""
    keys = [k for k in ("T", "dt", "n_in", "n_delay", "n_response", "trials_per_class") if k in spec]
    short = {"trials_per_class": "b", "n_in": "in", "n_delay": "d", "n_response": "r"}
    return "_".join([spec["kind"], *(f"{short.get(k, k)}{spec[k]:g}" for k in keys)])
