"""Checkpoint analysis of a training job: every saved network at every checkpoint epoch -> one tidy table of
fixed points, slow points and ghosts (one row per point), and the ghost-versus-drop statistic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ghostlearn.dynamics import fixedpoints as fp
from ghostlearn.rnn.engine import TaskData
from ghostlearn.rnn.models import Family, TaskFamily


def settings_from_config(analysis: dict) -> fp.SlowPointSettings:
    keys = ("fixed_tol", "ghost_tol", "near_trajectory", "newton_iters", "newton_damping", "merge_tol")
    return fp.SlowPointSettings(**{k: analysis[k] for k in keys if k in analysis})


def trajectories(
    family: TaskFamily, params: dict, task: TaskData, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """States r_0 … r_S (E, B, S + 1, N) and outputs o_0 … o_{S−1} (E, B, S) of every trial at the given
    parameters, with the family's noise drawn from a generator seeded ``seed`` (the authors seed torch
    with 0 before each flow map)."""
    g = torch.Generator().manual_seed(seed)
    E = next(iter(params.values())).shape[0]
    B, S = task.targets.shape
    sigma_rec = float(family.extra.get("sigma_rec", 0.0))
    r0 = family.initial_rates((E, B, family.N), g, dtype=torch.float64)
    noise = (
        sigma_rec * torch.randn((E, S, B, family.N), generator=g, dtype=torch.float64) if sigma_rec else None
    )
    params = {k: v.to(torch.float64) for k, v in params.items()}
    with torch.no_grad():
        outputs, states = family.forward(
            params, task.targets.double(), task.inputs.double(), noise=noise, r0=r0, return_states=True
        )
    return states.numpy(), outputs.numpy()


def _rank_one(params, i):
    """(points, flow curve) of one rank-one network: fixed points and ghosts of F(κ) = −κ + nᵀtanh(mκ + b),
    and F on the authors' κ grid with κ₀ = nᵀx₀ of this checkpoint."""
    m, n, b = (params[k][i].double().numpy() for k in ("m", "n", "b"))
    points = fp.rank_one_points(m, n, b)
    kappa = np.linspace(*fp.KAPPA_GRID)
    curve = fp.flow_curve(m, n, b, kappa)
    points["kappa0"] = fp.kappa0(n)
    points["fixed_point_count"] = int(fp.count_sign_changes(curve))
    return points, pd.DataFrame({"kappa": kappa, "velocity": curve, "kappa0": fp.kappa0(n)})


def latent_field(params: dict, i: int) -> fp.LatentField:
    """The exact latent flow of network ``i`` of a rank-2 checkpoint (docs/methods.md §1c)."""
    return _latent(params, i)[0]


def _latent(params, i):
    """The exact latent field of a rank-2 network and the read-out direction in latent coordinates."""
    J = (params["S_l"][i] @ params["S_r"][i]).T.double().numpy()  # the code's r @ S_l S_r is J r
    M, P = fp.latent_reduction(J)
    field = fp.LatentField(M, P, params["b"][i].double().numpy())
    # read-out pre-activation of the back-projected state r = Pᵀκ: z = κ · P S_l w_out + b_out
    readout = P @ (params["S_l"][i].double().numpy() @ params["w_out"][i].double().numpy().reshape(-1))
    return field, readout, float(params["b_out"][i].double().reshape(-1)[0])


def latent_map(
    field: fp.LatentField, readout, b_out: float, lo: float, hi: float, points: int
) -> pd.DataFrame:
    """The flow map the figures draw: on a ``points``² grid over [lo, hi]², the speed q = ‖F‖, the
    velocity F and the read-out pre-activation z(κ) (docs/methods.md §1c, flow-map panel content)."""
    axis = np.linspace(lo, hi, points)
    k1, k2 = np.meshgrid(axis, axis, indexing="ij")
    kappa = np.stack([k1.ravel(), k2.ravel()], axis=1)
    F = field(kappa)
    return pd.DataFrame(
        {
            "kappa_1": kappa[:, 0],
            "kappa_2": kappa[:, 1],
            "speed": np.linalg.norm(F, axis=1),
            "velocity_1": F[:, 0],
            "velocity_2": F[:, 1],
            "readout": kappa @ readout + b_out,
        }
    )


def _low_rank(params, i, states, settings, analysis):
    field, readout, b_out = _latent(params, i)
    grid = analysis["grid"]
    latent = states[i] @ field.P.T
    table, _, _ = fp.latent_points(field, grid["lo"], grid["hi"], grid["points"], latent, settings)
    if not analysis.get("maps", True):
        return table, None
    views = {"main": (grid["lo"], grid["hi"])}
    if analysis.get("closeup"):
        views["closeup"] = tuple(analysis["closeup"])
    points = analysis.get("display_points", 400)
    maps = [
        latent_map(field, readout, b_out, lo, hi, points).assign(view=view)
        for view, (lo, hi) in views.items()
    ]
    return table, pd.concat(maps, ignore_index=True)


def _full(params, i, states, settings, analysis, basis):
    J = params["W_rec"][i].T.double().numpy()  # the code's r @ W_rec is J r
    b = params["b"][i].double().numpy()
    search = {
        "adam_iters": analysis["adam_iters"],
        "newton_steps": analysis.get("full_rank_newton_steps", 1),
        "method": analysis.get("full_rank_search", "adam"),
        "lm_iters": analysis.get("full_rank_lm_iters", 100),
    }
    guesses = analysis.get("full_rank_guesses")
    return fp.full_rank_points(J, b, states[i], settings, basis=basis, guesses=guesses, **search)


def epochs_until_drop(history: pd.DataFrame, epochs, drop_fraction: float = 0.5) -> dict:
    """Per network of a job's history, the checkpoint epochs up to its abrupt drop (the rule of
    :func:`ghostlearn.tables.landmarks.drop_epoch`): what decides whether a ghost came before the drop.
    A network without a drop gets none."""
    from ghostlearn.tables.landmarks import drop_epoch

    chosen = {}
    for network, run in history.sort_values("epoch").groupby("network"):
        drop = drop_epoch(run["epoch"].to_numpy(), run["loss"].to_numpy(float), drop_fraction)
        chosen[network] = [e for e in epochs if np.isfinite(drop) and e <= drop]
    return chosen


def analyse_job(
    family: Family,
    checkpoints: dict,
    task: TaskData,
    analysis: dict,
    log=None,
    selected: dict | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Every network at every checkpoint epoch of a job.

    Returns (points, trajectories, fields): points has one row per point (network, epoch, kind, the
    point's coordinates, speed q and Jacobian eigenvalues; columns depend on the family, see
    fixedpoints); trajectories has one row per network, epoch, trial and state r_0 … r_S of the task RNNs,
    in the coordinates the figures draw (latent κ for rank 2, PC1–3 of the network's PCA for full rank),
    with the output read from that state and its target (NaN after the last step); fields holds the flow
    the figures draw: the rank-one flow curve F(κ) (with κ₀), or the rank-2 flow maps (:func:`latent_map`,
    one per view), one row per grid point; it has only the key columns for full rank.  With
    ``analysis["maps"]`` false only the points are computed (trajectories and fields are empty);
    ``selected`` ({network: epochs}, e.g. :func:`epochs_until_drop`) limits the points
    to those checkpoints of each network.
    """
    settings = settings_from_config(analysis)
    maps = analysis.get("maps", True)
    ids = checkpoints["networks"]
    epochs = sorted(k for k in checkpoints if isinstance(k, int))
    is_task = isinstance(family, TaskFamily)
    runs = {e: trajectories(family, checkpoints[e], task) for e in epochs} if is_task else {}
    states = {e: run[0] for e, run in runs.items()}
    # Fig. 5: one PCA per network, fitted on the states of all its checkpoints together
    bases = [fp.pca(np.stack([states[e][i] for e in epochs])) for i in range(len(ids))] if is_task else []
    tables, paths, fields = [], [], []
    for epoch in epochs:
        params = checkpoints[epoch]
        if is_task and maps:
            paths += [
                _projected(family, params, i, network, epoch, runs[epoch], bases[i], task)
                for i, network in enumerate(ids)
            ]
        for i, network in enumerate(ids):
            if selected is not None and epoch not in selected.get(network, ()):
                continue
            field = None
            if family.name == "rank_one":
                table, field = _rank_one(params, i)
                field = field if maps else None
            elif family.name == "task_low_rank":
                table, field = _low_rank(params, i, states[epoch], settings, analysis)
            else:
                table = _full(params, i, states[epoch], settings, analysis, bases[i])
            tables.append(table.assign(network=network, epoch=epoch))
            if field is not None:
                fields.append(field.assign(network=network, epoch=epoch))
        if log:
            done = len(ids) if selected is None else sum(epoch in selected.get(n, ()) for n in ids)
            print(f"epoch {epoch}: {done} of {len(ids)} networks analysed", file=log, flush=True)
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    front = ["network", "epoch", "kind"]
    trajectories_table = pd.concat(paths, ignore_index=True) if paths else pd.DataFrame()
    fields_table = (
        pd.concat(fields, ignore_index=True) if fields else pd.DataFrame({"network": [], "epoch": []})
    )
    fields_table = fields_table[
        ["network", "epoch"] + [c for c in fields_table if c not in ("network", "epoch")]
    ]
    return table[front + [c for c in table.columns if c not in front]], trajectories_table, fields_table


def _projected(family, params, i, network, epoch, run, basis, task) -> pd.DataFrame:
    """One network's trial trajectories in figure coordinates, with outputs and targets, as a tidy table."""
    x = run[0][i]  # (B, S + 1, N)
    B, steps, _ = x.shape
    outputs = np.concatenate([run[1][i], np.full((B, 1), np.nan)], axis=1)
    targets = np.concatenate([task.targets.double().numpy(), np.full((B, 1), np.nan)], axis=1)
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
    frame.update(output=outputs.ravel(), target=targets.ravel())
    return pd.DataFrame(frame)


def detector_comparison(
    family: Family, checkpoints: dict, grid_points: pd.DataFrame, analysis: dict, log=None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rank-2 task networks: the trajectory-based detector (:mod:`~ghostlearn.dynamics.trajectory_ghosts`)
    on every network's latent flow at every checkpoint, started from a grid over the flow-map window,
    and its agreement per kind with the grid + Newton points of :func:`analyse_job` (``grid_points``) on
    the same flow.  Settings: ``analysis.trajectory_detector`` (``fixed_tol`` and ``ghost_tol`` shared).

    Returns (points: network, epoch and the detector's columns; agreement: network, epoch, kind, n_grid,
    n_trajectory, matched_grid, matched_trajectory)."""
    from ghostlearn.dynamics import trajectory_ghosts as tg

    if family.name != "task_low_rank":
        raise ValueError(f"the trajectory detector compares rank-2 latent flows, not {family.name}")
    opts = analysis["trajectory_detector"]
    settings = tg.TrajectorySettings.from_slow_points(
        settings_from_config(analysis), eig_tol=opts["eig_tol"], merge_distance=opts["merge_distance"]
    )
    grid = analysis["grid"]
    starts = tg.grid_starts(grid["lo"], grid["hi"], opts["starts_per_axis"])
    ids = checkpoints["networks"]
    points, agreements = [], []
    for epoch in sorted(k for k in checkpoints if isinstance(k, int)):
        for i, network in enumerate(ids):
            field, _, _ = _latent(checkpoints[epoch], i)
            found = tg.detect(field, starts, settings, dt=opts["dt"], steps=opts["steps"])
            mine = grid_points[(grid_points["network"] == network) & (grid_points["epoch"] == epoch)]
            agree = tg.agreement(
                mine,
                found,
                opts["match_distance"],
                coords=["kappa_1", "kappa_2"],
                kinds=["fixed", "ghost", "slow"],
            ).rename(
                columns={
                    "n_a": "n_grid",
                    "n_b": "n_trajectory",
                    "matched_a": "matched_grid",
                    "matched_b": "matched_trajectory",
                }
            )
            points.append(found.assign(network=network, epoch=epoch))
            agreements.append(agree.assign(network=network, epoch=epoch))
        if log:
            print(f"epoch {epoch}: trajectory detector on {len(ids)} networks", file=log, flush=True)
    front = ["network", "epoch"]
    points = pd.concat(points, ignore_index=True)
    agreement = pd.concat(agreements, ignore_index=True)
    return (
        points[front + [c for c in points.columns if c not in front]],
        agreement[front + [c for c in agreement.columns if c not in front]],
    )


def agreement_summary(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per experiment and kind, the two detectors' point counts over every network and checkpoint, how
    many of each detector's points the other found, and those fractions."""
    rows = []
    for experiment, table in tables.items():
        for kind, part in table.groupby("kind", sort=True):
            n_grid, n_traj = int(part["n_grid"].sum()), int(part["n_trajectory"].sum())
            m_grid, m_traj = int(part["matched_grid"].sum()), int(part["matched_trajectory"].sum())
            rows.append(
                {
                    "experiment": experiment,
                    "kind": kind,
                    "checkpoints": len(part),
                    "n_grid": n_grid,
                    "n_trajectory": n_traj,
                    "matched_grid": m_grid,
                    "matched_trajectory": m_traj,
                    "grid_found_by_trajectory": m_grid / n_grid if n_grid else float("nan"),
                    "trajectory_found_by_grid": m_traj / n_traj if n_traj else float("nan"),
                }
            )
    return pd.DataFrame(rows)
