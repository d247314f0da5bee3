"""Checkpoint analysis of a training job: every saved network at every checkpoint epoch -> one tidy table of
fixed points, slow points and ghosts (one row per point), and the ghost-versus-drop statistic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ghostlearn import fixedpoints as fp
from ghostlearn import landmarks
from ghostlearn.engine import TaskData
from ghostlearn.models import Family, TaskFamily


def settings_from_config(analysis: dict) -> fp.SlowPointSettings:
    keys = ("fixed_tol", "ghost_tol", "near_trajectory", "newton_iters", "newton_damping", "merge_tol")
    return fp.SlowPointSettings(**{k: analysis[k] for k in keys if k in analysis})


def trajectories(family: TaskFamily, params: dict, task: TaskData, seed: int = 0) -> np.ndarray:
    """States r_0 … r_S (E, B, S + 1, N) of every trial at the given parameters, with the family's noise
    drawn from a generator seeded ``seed`` (the authors seed torch with 0 before each flow map)."""
    g = torch.Generator().manual_seed(seed)
    E = next(iter(params.values())).shape[0]
    B, S = task.targets.shape
    sigma_init = float(family.extra.get("sigma_init", 0.0))
    sigma_rec = float(family.extra.get("sigma_rec", 0.0))
    r0 = torch.tanh(sigma_init * torch.randn((E, B, family.N), generator=g, dtype=torch.float64))
    noise = (
        sigma_rec * torch.randn((E, S, B, family.N), generator=g, dtype=torch.float64) if sigma_rec else None
    )
    params = {k: v.to(torch.float64) for k, v in params.items()}
    with torch.no_grad():
        _, states = family.forward(
            params, task.targets.double(), task.inputs.double(), noise=noise, r0=r0, return_states=True
        )
    return states.numpy()


def _rank_one(params, i):
    m, n, b = (params[k][i].double().numpy() for k in ("m", "n", "b"))
    points = fp.rank_one_points(m, n, b)
    kappa = np.linspace(*fp.KAPPA_GRID)
    points["kappa0"] = fp.kappa0(n)
    points["fixed_point_count"] = int(fp.count_sign_changes(fp.flow_curve(m, n, b, kappa)))
    return points


def _low_rank(params, i, states, settings, grid):
    J = (params["S_l"][i] @ params["S_r"][i]).T.double().numpy()  # the code's r @ S_l S_r is J r
    M, P = fp.latent_reduction(J)
    field = fp.LatentField(M, P, params["b"][i].double().numpy())
    latent = states[i] @ P.T
    table, _, _ = fp.latent_points(field, grid["lo"], grid["hi"], grid["points"], latent, settings)
    return table


def _full(params, i, states, settings, adam_iters, basis):
    J = params["W_rec"][i].T.double().numpy()  # the code's r @ W_rec is J r
    b = params["b"][i].double().numpy()
    return fp.full_rank_points(J, b, states[i], settings, basis=basis, adam_iters=adam_iters)


def analyse_job(
    family: Family,
    checkpoints: dict,
    task: TaskData,
    analysis: dict,
    log=None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every network at every checkpoint epoch of a job.

    Returns (points, trajectories): points has one row per point (network, epoch, kind, the point's
    coordinates, speed q and Jacobian eigenvalues; columns depend on the family, see fixedpoints);
    trajectories has one row per network, epoch, trial and state r_0 … r_S of the task RNNs, in the
    coordinates the figures draw (latent κ for rank 2, PC1–3 of the network's PCA for full rank).
    """
    settings = settings_from_config(analysis)
    ids = checkpoints["networks"]
    epochs = sorted(k for k in checkpoints if isinstance(k, int))
    is_task = isinstance(family, TaskFamily)
    states = {e: trajectories(family, checkpoints[e], task) for e in epochs} if is_task else {}
    # Fig. 5: one PCA per network, fitted on the states of all its checkpoints together
    bases = [fp.pca(np.stack([states[e][i] for e in epochs])) for i in range(len(ids))] if is_task else []
    tables, paths = [], []
    for epoch in epochs:
        params = checkpoints[epoch]
        if is_task:
            paths += [
                _projected(family, params, i, network, epoch, states[epoch], bases[i])
                for i, network in enumerate(ids)
            ]
        for i, network in enumerate(ids):
            if family.name == "rank_one":
                table = _rank_one(params, i)
            elif family.name == "task_low_rank":
                table = _low_rank(params, i, states[epoch], settings, analysis["grid"])
            else:
                table = _full(params, i, states[epoch], settings, analysis["adam_iters"], bases[i])
            tables.append(table.assign(network=network, epoch=epoch))
        if log:
            print(f"epoch {epoch}: {len(ids)} networks analysed", file=log, flush=True)
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    front = ["network", "epoch", "kind"]
    trajectories_table = pd.concat(paths, ignore_index=True) if paths else pd.DataFrame()
    return table[front + [c for c in table.columns if c not in front]], trajectories_table


def _projected(family, params, i, network, epoch, states, basis) -> pd.DataFrame:
    """One network's trial trajectories in figure coordinates, as a tidy table."""
    x = states[i]  # (B, S + 1, N)
    B, steps, _ = x.shape
    if family.name == "task_low_rank":
        _, P = fp.latent_reduction((params["S_l"][i] @ params["S_r"][i]).T.double().numpy())
        coords = {"kappa_1": x @ P[0], "kappa_2": x @ P[1]}
    else:
        mean, components = basis
        pcs = (x - mean) @ components[:3].T
        coords = {f"pc{k + 1}": pcs[..., k] for k in range(3)}
    frame = {
        "network": network,
        "epoch": epoch,
        "trial": np.repeat(np.arange(B), steps),
        "state": np.tile(np.arange(steps), B),
    }
    frame.update({name: value.ravel() for name, value in coords.items()})
    return pd.DataFrame(frame)


def ghost_versus_drop(history: pd.DataFrame, points: pd.DataFrame, fraction: float = 0.5) -> pd.DataFrame:
    """Per network: plateau level, drop epoch (first loss below ``fraction`` × plateau), first checkpoint
    epoch with a ghost, and whether the ghost came first (PAPER.md: ghosts precede abrupt learning)."""
    rows = []
    for network, run in history.sort_values("epoch").groupby("network"):
        drop = landmarks.drop_epoch(run["epoch"].to_numpy(), run["loss"].to_numpy(), fraction)
        ghosts = points[(points["network"] == network) & (points["kind"] == "ghost")]["epoch"]
        row = {"network": network, "plateau_loss": landmarks.plateau_level(run["loss"].to_numpy())}
        row.update(landmarks.ghost_before_drop(ghosts.unique(), drop))
        rows.append(row)
    return pd.DataFrame(rows)
