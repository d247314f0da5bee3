"""One training job of an RNN experiment: config entry + its networks -> histories, summaries, checkpoints."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ghostlearn.config import checkpoint_epochs, grid_axis
from ghostlearn.io import provenance
from ghostlearn.rnn.engine import (
    StartState,
    TaskData,
    TrainSpec,
    load_checkpoint,
    resolve_device,
    save_atomic,
    train,
)
from ghostlearn.rnn.families import DECLARED
from ghostlearn.rnn.models import Family, make_family


def family_from_config(exp: dict) -> Family:
    """The model family of an experiment entry; task RNNs default their read-out to the task's."""
    model = dict(exp["model"])
    name = model.pop("family")
    N, alpha = model.pop("N", 100), model.pop("alpha", 0.5)
    if "readout" in DECLARED[name].options:
        model.setdefault("readout", "tanh" if exp["task"]["kind"] == "dcdt" else "sigmoid")
    return make_family(name, N=N, alpha=alpha, **model)


def fingerprint(exp: dict, networks: list[dict], dtype: str) -> str:
    """Identifies what a job computes: a checkpoint with another fingerprint is never resumed from."""
    relevant = {k: v for k, v in exp.items() if k not in ("networks_per_job", "checkpoint_every", "compile")}
    text = json.dumps([relevant, networks, dtype], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def start_state(exp: dict, networks: list[dict], parent_checkpoints: list[dict]) -> StartState:
    """The state a continuation's networks start from: for each network, the end of its ``parent``
    network, gathered from the parent experiment's job checkpoints (any grouping of the parent's jobs)."""
    where = {}
    for checkpoint in parent_checkpoints:
        for position, network in enumerate(checkpoint["networks"]):
            where[network] = (checkpoint, position)
    missing = sorted({n["parent"] for n in networks} - set(where))
    if missing:
        raise ValueError(f"start_from: parent networks {missing[:5]} are in no checkpoint given")
    rows = [where[n["parent"]] for n in networks]

    def gather(get):
        return torch.stack([get(checkpoint)[position] for checkpoint, position in rows])

    params = {name: gather(lambda ck, name=name: ck["final"][name]) for name in rows[0][0]["final"]}
    keep = exp["start_from"].get("optimizer_state", "fresh") == "keep"
    moments = None
    if keep:
        moments = {
            name: (
                gather(lambda ck, name=name: ck["moments"][name][0]),
                gather(lambda ck, name=name: ck["moments"][name][1]),
            )
            for name in rows[0][0]["moments"]
        }
    steps = {int(checkpoint["step_count"]) for checkpoint, _ in rows}
    if keep and len(steps) != 1:
        raise ValueError(f"start_from: parent networks ended at different step counts {sorted(steps)}")
    return StartState(
        params=params,
        generators=gather(lambda ck: ck["generators"]),
        moments=moments,
        step_count=steps.pop() if keep else 0,
    )


def state_digest(start: StartState | None) -> str:
    """A digest of a start state, so that a continuation never resumes over a changed parent."""
    if start is None:
        return ""
    digest = hashlib.sha256()
    for name in sorted(start.params):
        digest.update(name.encode())
        digest.update(start.params[name].contiguous().numpy().tobytes())
    if start.moments:
        for name in sorted(start.moments):
            for tensor in start.moments[name]:
                digest.update(tensor.contiguous().numpy().tobytes())
    digest.update(str(start.step_count).encode())
    return digest.hexdigest()[:16]


def train_spec(
    exp: dict,
    networks: list[dict],
    device: str = "cpu",
    dtype: str = "float32",
    start: StartState | None = None,
) -> TrainSpec:
    """The engine's job specification for ``networks`` of an experiment entry."""
    axis, _ = grid_axis(exp)
    return TrainSpec(
        seeds=[n["seed"] for n in networks],
        lrs=[n["lr"] for n in networks],
        epochs=exp["epochs"],
        optimizer=exp.get("optimizer", "sgd"),
        dtype=dtype,
        checkpoint_epochs=checkpoint_epochs(exp),
        checkpoint_every=exp.get("checkpoint_every", 0),
        history_every=exp.get("history_every", 1),
        keep_epochs=list(exp.get("report_epochs", [])),
        out_scale=exp.get("output_l1_norm"),
        device=device,
        fingerprint=fingerprint(exp, networks, dtype) + state_digest(start),
        kernel=exp.get("kernel", "autograd"),
        compile=exp.get("compile", False),
        count_fixed_points=exp.get("count_fixed_points", False),
        network_values={} if axis is None else {axis: [n[axis] for n in networks]},
    )


def run_job(
    exp: dict,
    networks: list[dict],
    task_table: pd.DataFrame,
    workdir: str | Path,
    device: str = "auto",
    gpu_granted: bool = False,
    dtype: str = "float32",
    log=None,
    parent_checkpoints: list[dict] | None = None,
    start_epoch: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Train one job's networks; return (history, per-network summary, {epoch: params} at the
    checkpoint epochs, plus the end state a continuation starts from).  ``workdir`` keeps the resume
    state between attempts.  A continuation (``start_from``) needs the parent experiment's job
    checkpoints; ``start_epoch`` (the parent's epochs) is recorded in the summary."""
    family = family_from_config(exp)
    start = start_state(exp, networks, parent_checkpoints or []) if "start_from" in exp else None
    spec = train_spec(exp, networks, str(resolve_device(device, gpu_granted)), dtype, start)
    if log:
        print(f"{family.name}: {len(networks)} networks on {spec.device}, {spec.epochs} epochs", file=log)
    history, trainer = train(family, TaskData.from_table(task_table), spec, workdir, log=log, start=start)
    ids = np.array([n["network"] for n in networks])
    history["network"] = ids[history["network"].to_numpy()]
    last = history[history["epoch"] == spec.epochs].set_index("network")
    summary = pd.DataFrame(networks)
    summary["diverged"] = trainer.diverged.cpu().numpy()
    summary["diverged_epoch"] = trainer.diverged_epoch
    summary["first_loss"] = history[history["epoch"] == 1].set_index("network").loc[ids, "loss"].to_numpy()
    summary["final_loss"] = last.loc[ids, "loss"].to_numpy()
    summary["final_accuracy"] = last.loc[ids, "accuracy"].to_numpy()
    summary["final_grad_norm"] = last.loc[ids, "grad_norm"].to_numpy()
    for name, values in trainer.time_averages().items():
        summary[name] = values
    summary["start_epoch"] = start_epoch
    summary["epochs"] = spec.epochs
    summary["device"] = spec.device
    summary["kernel"] = trainer.kernel_note  # the kernel that ran: "fused (native: …)" where native could not
    summary["torch"] = torch.__version__
    checkpoints = {}
    for epoch in spec.checkpoint_epochs:
        state = load_checkpoint(Path(workdir) / "checkpoints" / f"epoch_{epoch:09d}.pt")
        checkpoints[epoch] = state["params"]
    checkpoints["final"] = {k: v.cpu() for k, v in trainer.params.items()}
    checkpoints["networks"] = ids.tolist()
    # the end state a continuation (start_from) picks up: random streams, optimiser moments, step count
    checkpoints["generators"] = torch.stack([g.get_state() for g in trainer.generators])
    checkpoints["moments"] = {k: (m.cpu(), v.cpu()) for k, (m, v) in trainer.moments.items()}
    checkpoints["step_count"] = trainer.step_count
    return history, summary, checkpoints


def save_checkpoints(checkpoints: dict, path: str | Path, **meta) -> None:
    """Save a job's checkpoints atomically with their provenance (:func:`ghostlearn.io.provenance` of
    ``meta``) under the key ``"provenance"``."""
    save_atomic({**checkpoints, "provenance": provenance(**meta)}, Path(path))
