"""What RNN training costs, before it runs: a throughput model fed by measurements, the split of experiments
into jobs, and the wall time of a whole config on a number of cores.

One epoch of a training job of E networks costs, in seconds (docs/paper_cost.md),

    per_step · S  +  per_unit · E · S · B · w  +  per_draw · draws  +  per_flow · E · F · N

with S time steps, B trials, w the arithmetic per unit and step (:func:`work_per_step`), ``draws`` the
normal numbers an epoch draws for recurrent noise and random initial states, and the last term the
on-the-fly fixed-point count of rank-one runs (F = 1000 flow points).  ``per_step`` is the cost of the
calls of one time step, which dominates jobs of one network; ``per_unit`` is arithmetic, which dominates
large jobs.  Both are fitted per family and kernel to the rates ``benchmarks/paper_cost.py`` measures at
the paper's job sizes, and written with the machine they were measured on to ``throughput.yaml`` beside
this module; rerun the benchmark to fit the model to another machine.
"""

from __future__ import annotations

import heapq
import json
import math
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from ghostlearn.rnn import families

THROUGHPUT = Path(__file__).with_name("throughput.yaml")
#: Points of the κ grid the rank-one fixed-point count evaluates the flow on (models.KAPPA_GRID).
FLOW_POINTS = 1000
#: Seconds a training job spends before its first epoch (interpreter, imports, task, initialisation).
JOB_STARTUP_S = 5.0
#: No automatic split makes jobs shorter than this (scheduling a job costs seconds, on a cluster minutes).
MIN_JOB_S = 600.0
#: Networks one job stacks at most when the config does not say (memory of the largest families).
MAX_NETWORKS_PER_JOB = 1024


def task_steps(task: dict) -> int:
    """Time steps of one trial of a task config entry."""
    if task["kind"] == "delayed_activation":
        return 2 * int(task["T"])
    cues = 1 if task["kind"] == "dcdt" else 2
    return int(task["n_in"]) * cues + int(task["n_delay"]) + int(task["n_response"])


def task_trials(task: dict) -> int:
    """Trials of a task config entry (one for the canonical task)."""
    classes = {"dcdt": 2, "dmts": 4}.get(task["kind"])
    return int(task["trials_per_class"]) * classes if classes else 1


def work_per_step(family: str, N: int, K: int = 1) -> int:
    """Multiply-adds per network, trial and time step of the forward pass (the backward pass is a
    fixed multiple, folded into ``per_unit``), as the family declares it
    (:attr:`ghostlearn.rnn.families.Declaration.work`)."""
    return int(families.declared(family).work(N, K))


@dataclass(frozen=True)
class JobShape:
    """What the cost of one epoch depends on."""

    family: str
    kernel: str
    networks: int
    steps: int
    trials: int
    work: int
    draws_per_network: int  # normal numbers drawn per network and epoch
    flow: int  # F·N per network and epoch with count_fixed_points, else 0

    @property
    def units(self) -> float:
        return float(self.networks * self.steps * self.trials * self.work)


def job_shape(exp: dict, networks: int) -> JobShape:
    """The shape of a job of ``networks`` networks of a (schema-checked) experiment entry."""
    model, task = exp["model"], exp["task"]
    family, N = model["family"], int(model.get("N", 100))
    S, B = task_steps(task), task_trials(task)
    draws = 0
    if families.declared(family).noisy:
        draws = (S * B * N if model.get("sigma_rec", 0) else 0) + (B * N if model.get("sigma_init", 0) else 0)
    return JobShape(
        family=family,
        kernel=exp.get("kernel", "autograd"),
        networks=int(networks),
        steps=S,
        trials=B,
        work=work_per_step(family, N, int(model.get("K", 1))),
        draws_per_network=draws,
        flow=FLOW_POINTS * N if exp.get("count_fixed_points") else 0,
    )


@dataclass
class CostModel:
    """Fitted coefficients: ``kernels[(family, kernel)] = (per_step, per_unit)`` in seconds, and the global
    ``per_draw`` and ``per_flow``; ``machine`` names where they were measured."""

    kernels: dict[tuple[str, str], tuple[float, float]]
    per_draw: float
    per_flow: float
    machine: str = ""

    def epoch_seconds(self, shape: JobShape) -> float:
        key = (shape.family, shape.kernel)
        if key not in self.kernels:  # a kernel never measured: assume the family's other one
            key = next((k for k in self.kernels if k[0] == shape.family), None)
            if key is None:
                raise KeyError(f"no throughput measured for the {shape.family} family")
        per_step, per_unit = self.kernels[key]
        return (
            per_step * shape.steps
            + per_unit * shape.units
            + self.per_draw * shape.networks * shape.draws_per_network
            + self.per_flow * shape.networks * shape.flow
        )

    def job_seconds(self, exp: dict, networks: int) -> float:
        """Seconds of one training job of ``networks`` networks of ``exp``, start-up included."""
        return JOB_STARTUP_S + exp["epochs"] * self.epoch_seconds(job_shape(exp, networks))

    @classmethod
    def load(cls, path: str | Path = THROUGHPUT) -> CostModel:
        data = yaml.safe_load(Path(path).read_text())
        kernels = {
            (family, kernel): (float(c["per_step_s"]), float(c["per_unit_s"]))
            for family, by_kernel in data["families"].items()
            for kernel, c in by_kernel.items()
        }
        return cls(
            kernels, float(data["per_draw_s"]), float(data["per_flow_s"]), str(data.get("machine", ""))
        )

    def dump(self, path: str | Path = THROUGHPUT, header: str = "") -> None:
        families: dict[str, dict] = {}
        for (family, kernel), (per_step, per_unit) in sorted(self.kernels.items()):
            families.setdefault(family, {})[kernel] = {
                "per_step_s": float(f"{per_step:.4g}"),
                "per_unit_s": float(f"{per_unit:.4g}"),
            }
        data = {
            "machine": self.machine,
            "per_draw_s": float(f"{self.per_draw:.4g}"),
            "per_flow_s": float(f"{self.per_flow:.4g}"),
            "families": families,
        }
        text = "".join(f"# {line}\n" for line in header.splitlines()) + yaml.safe_dump(data, sort_keys=False)
        Path(path).write_text(text)


def fit_kernel(points: list[tuple[JobShape, float]], per_draw: float, per_flow: float) -> tuple[float, float]:
    """(per_step, per_unit) of one family and kernel from measured (shape, seconds per epoch) points, by
    least squares on relative errors, after the draw and flow terms are taken off; non-negative."""
    rows, rhs = [], []
    for shape, seconds in points:
        rest = (
            seconds
            - per_draw * shape.networks * shape.draws_per_network
            - per_flow * shape.networks * shape.flow
        )
        rows.append([shape.steps / seconds, shape.units / seconds])
        rhs.append(max(rest, 0.0) / seconds)
    A, b = np.asarray(rows), np.asarray(rhs)
    coef, *_ = np.linalg.lstsq(A, b, rcond=None)
    if coef.min() < 0:  # one term is negligible at the measured sizes: fit the other alone
        fits = []
        for j in (0, 1):
            c = float(A[:, j] @ b / (A[:, j] @ A[:, j]))
            fits.append((float(np.sum((A[:, j] * c - b) ** 2)), j, c))
        _, j, c = min(fits)
        coef = np.zeros(2)
        coef[j] = c
    return float(coef[0]), float(coef[1])


# ---------------------------------------------------------------------------------------------------
# Splitting experiments into jobs, and the wall time of a whole run.


#: Automatic job sizes are multiples of this many networks.  Vector code treats the tail of a tensor
#: (up to 128 bytes) with other instructions than its body, and MKL's batched products depend on where a
#: block starts modulo 16 bytes; with every job but the last a multiple of 32 networks, each network's
#: numbers sit at the same offsets modulo 128 bytes in a split job as in the whole one, so the split
#: changes no bit.
JOB_QUANTUM = 32


def split(n: int, jobs: int) -> list[int]:
    """``n`` networks in at most ``jobs`` consecutive chunks of equal size, a multiple of
    :data:`JOB_QUANTUM` networks (the last one smaller)."""
    size = math.ceil(n / jobs)
    if size < n:
        size = min(n, math.ceil(size / JOB_QUANTUM) * JOB_QUANTUM)
    return [min(size, n - start) for start in range(0, n, size)]


def plan_jobs(
    experiments: dict[str, dict],
    counts: dict[str, int],
    cores: int,
    model: CostModel,
    min_job_s: float = MIN_JOB_S,
    scope: Collection[str] | None = None,
) -> dict[str, list[int]]:
    """Job sizes (networks per job) of every experiment.

    An experiment with ``networks_per_job`` keeps it.  The others start as one job (of at most
    :data:`MAX_NETWORKS_PER_JOB` networks) and are split into equal jobs until none is longer than the
    whole run's CPU time divided by ``cores`` (but not below ``min_job_s``, nor below
    :data:`JOB_QUANTUM` networks a job, so that the split changes no bit of the results).  With
    ``scope`` (the experiments a run's targets train, :func:`ghostlearn.registry.target_experiments`),
    those are planned against their own total, the run that will happen; the others as in a whole run.
    """
    if scope is not None:
        whole = plan_jobs(experiments, counts, cores, model, min_job_s)
        part = {name: exp for name, exp in experiments.items() if name in scope}
        return {**whole, **plan_jobs(part, counts, cores, model, min_job_s)}
    fixed = {
        name: exp["networks_per_job"] for name, exp in experiments.items() if exp.get("networks_per_job")
    }
    sizes = {
        name: [min(size, counts[name] - start) for start in range(0, counts[name], size)]
        for name in experiments
        for size in [fixed.get(name, MAX_NETWORKS_PER_JOB)]
    }
    for _ in range(4):  # splitting adds per-call overhead to the total: iterate to a fixed point
        total = sum(model.job_seconds(experiments[n], s) for n, js in sizes.items() for s in js)
        limit = max(total / max(cores, 1), min_job_s)
        changed = False
        for name, exp in experiments.items():
            if name in fixed:
                continue
            n = counts[name]
            jobs = len(sizes[name])
            while jobs < math.ceil(n / JOB_QUANTUM) and model.job_seconds(exp, max(split(n, jobs))) > limit:
                jobs += 1
            planned = split(n, jobs)
            if planned != sizes[name]:
                sizes[name], changed = planned, True
        if not changed:
            break
    return sizes


def wall_time(jobs: list[tuple[str, float, str | None]], cores: int) -> float:
    """Seconds to run ``jobs`` = [(experiment, seconds, parent experiment or None)] on ``cores`` cores,
    longest first (the workflow's priorities), a continuation's jobs once every job of its parent is done
    (a parent with no job in the list has run already)."""
    pending = sorted(jobs, key=lambda j: -j[1])
    remaining: dict[str, int] = {}
    for name, _, _ in jobs:
        remaining[name] = remaining.get(name, 0) + 1
    running: list[tuple[float, str]] = []
    now, free = 0.0, cores
    while pending or running:
        ready = [j for j in pending if j[2] is None or remaining.get(j[2], 0) == 0]
        while free and ready:
            job = ready.pop(0)
            pending.remove(job)
            heapq.heappush(running, (now + job[1], job[0]))
            free -= 1
        now, name = heapq.heappop(running)
        remaining[name] -= 1
        free += 1
    return now


def plan_fingerprint(exp: dict, count: int) -> str:
    """What a stored job plan of an experiment depends on (its entry and its number of networks)."""
    return json.dumps([exp, count], sort_keys=True, default=str)


def stored_plan(
    path: str | Path,
    experiments: dict[str, dict],
    counts: dict[str, int],
    cores: int | None,
    model: CostModel,
    write: bool = True,
    scope: Collection[str] | None = None,
) -> tuple[dict[str, list[int]], list[str]]:
    """The job plan of a run, kept in ``path`` so that it survives a restart with another ``--cores``
    (an interrupted run resumes its jobs instead of regrouping them) and so that remote jobs, which do
    not know the run's cores, read the plan the main process made.

    Experiments whose entry and network count match the stored plan keep their stored sizes; the others
    are planned for ``cores`` (None: read only, every experiment must be stored).  Returns (sizes, names of
    the experiments taken from the file).  ``scope``: see :func:`plan_jobs`."""
    path = Path(path)
    stored = json.loads(path.read_text()) if path.exists() else {}
    kept = {
        name: entry["sizes"]
        for name, entry in stored.items()
        if name in experiments and entry["fingerprint"] == plan_fingerprint(experiments[name], counts[name])
    }
    missing = [name for name in experiments if name not in kept]
    if not missing:
        return kept, sorted(kept)
    if cores is None:
        raise ValueError(f"{path}: no stored job plan for {', '.join(missing)}")
    planned = plan_jobs(experiments, counts, cores, model, scope=scope)
    sizes = {name: kept.get(name, planned[name]) for name in experiments}
    if write:
        entries = {
            name: {
                "fingerprint": plan_fingerprint(experiments[name], counts[name]),
                "sizes": s,
                "cores": cores,
            }
            for name, s in sizes.items()
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({**stored, **entries}, indent=1, sort_keys=True))
        tmp.replace(path)
    return sizes, sorted(kept)


def describe_plan(
    experiments: dict[str, dict], sizes: dict[str, list[int]], model: CostModel, cores: int | None
) -> str:
    """What a run of these experiments will cost on ``cores`` cores, for the user to read before waiting:
    the total, the predicted wall time of the training, the longest job and each experiment's jobs."""
    rows, jobs = [], []
    for name, exp in experiments.items():
        seconds = [model.job_seconds(exp, s) for s in sizes[name]]
        parent = exp.get("start_from", {}).get("experiment")
        jobs += [(name, t, parent) for t in seconds]
        rows.append((sum(seconds), name, len(seconds), max(seconds)))
    if not jobs:
        return "no RNN training jobs"
    total = sum(t for _, t, _ in jobs)
    cores = max(int(cores or 1), 1)
    longest = max(rows, key=lambda r: r[3])
    lines = [
        f"estimated RNN training (cost model measured on {model.machine or 'an unnamed machine'}): "
        f"{_hours(total)} of CPU in {len(jobs)} jobs, about {_hours(wall_time(jobs, cores))} on {cores} "
        f"core{'s' if cores > 1 else ''}; longest job {_hours(longest[3])} ({longest[1]})"
    ]
    for total_s, name, n, per_job in sorted(rows, reverse=True):
        lines.append(
            f"  {name:28s} {n:4d} job{'s' if n > 1 else ' '} x {_hours(per_job):>9s}  = {_hours(total_s)}"
        )
    return "\n".join(lines)


def _hours(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
