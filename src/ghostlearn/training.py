"""One training job of an RNN experiment: config entry + its networks -> histories, summaries, checkpoints."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ghostlearn.config import checkpoint_epochs
from ghostlearn.engine import TaskData, TrainSpec, load_checkpoint, resolve_device, save_atomic, train
from ghostlearn.io import provenance
from ghostlearn.models import Family, make_family


def family_from_config(exp: dict) -> Family:
    """The model family of an experiment entry; task RNNs default their read-out to the task's."""
    model = dict(exp["model"])
    name = model.pop("family")
    N, alpha = model.pop("N", 100), model.pop("alpha", 0.5)
    if name.startswith("task_"):
        model.setdefault("readout", "tanh" if exp["task"]["kind"] == "dcdt" else "sigmoid")
    return make_family(name, N=N, alpha=alpha, **model)


def fingerprint(exp: dict, networks: list[dict], dtype: str) -> str:
    """Identifies what a job computes: a checkpoint with another fingerprint is never resumed from."""
    relevant = {k: v for k, v in exp.items() if k not in ("networks_per_job", "checkpoint_every", "compile")}
    text = json.dumps([relevant, networks, dtype], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_job(
    exp: dict,
    networks: list[dict],
    task_table: pd.DataFrame,
    workdir: str | Path,
    device: str = "auto",
    gpu_granted: bool = False,
    dtype: str = "float32",
    log=None,
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Train one job's networks; return (history, per-network summary, {epoch: params} at the
    checkpoint epochs).  ``workdir`` keeps the resume state between attempts."""
    family = family_from_config(exp)
    spec = TrainSpec(
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
        device=str(resolve_device(device, gpu_granted)),
        fingerprint=fingerprint(exp, networks, dtype),
        kernel=exp.get("kernel", "autograd"),
        compile=exp.get("compile", False),
        count_fixed_points=exp.get("count_fixed_points", False),
    )
    if log:
        print(f"{family.name}: {len(networks)} networks on {spec.device}, {spec.epochs} epochs", file=log)
    history, trainer = train(family, TaskData.from_table(task_table), spec, workdir, log=log)
    ids = np.array([n["network"] for n in networks])
    history["network"] = ids[history["network"].to_numpy()]
    last = history[history["epoch"] == spec.epochs].set_index("network")
    summary = pd.DataFrame(networks)
    summary["diverged"] = trainer.diverged.cpu().numpy()
    summary["diverged_epoch"] = trainer.diverged_epoch
    summary["first_loss"] = history[history["epoch"] == 1].set_index("network").loc[ids, "loss"].to_numpy()
    summary["final_loss"] = last.loc[ids, "loss"].to_numpy()
    summary["final_accuracy"] = last.loc[ids, "accuracy"].to_numpy()
    summary["device"] = spec.device
    summary["torch"] = torch.__version__
    checkpoints = {}
    for epoch in spec.checkpoint_epochs:
        state = load_checkpoint(Path(workdir) / "checkpoints" / f"epoch_{epoch:09d}.pt")
        checkpoints[epoch] = state["params"]
    checkpoints["final"] = {k: v.cpu() for k, v in trainer.params.items()}
    checkpoints["networks"] = ids.tolist()
    return history, summary, checkpoints


def save_checkpoints(checkpoints: dict, path: str | Path, **meta) -> None:
    """Save a job's checkpoints atomically with their provenance (:func:`ghostlearn.io.provenance` of
    ``meta``) under the key ``"provenance"``."""
    save_atomic({**checkpoints, "provenance": provenance(**meta)}, Path(path))
