"""Batched training engine: E independent networks in one tensor program, resumable (docs/methods.md §1b, §1c).

Each network keeps its own seed, learning rate, optimiser state and random stream; the loss is summed over
networks only to obtain every network's own gradient in one backward pass (the networks share nothing).
A network whose loss or parameters turn non-finite is frozen and marked diverged while the others go on.

Epoch convention: history row ``epoch = e`` (1-based) holds the loss and gradient evaluated during the
e-th update, before it (the authors' ``history[e − 1]``); checkpoint ``epoch = k`` holds the parameters
after k updates (k = 0: the initialisation).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ghostlearn.io import atomic_path, provenance, write_table
from ghostlearn.rnn.families import GRID_AXES, KERNELS
from ghostlearn.rnn.models import KAPPA_GRID, Family, TaskFamily, init_networks

OPTIMIZERS = ("sgd", "adam")
ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8


def resolve_device(device: str = "auto", gpu_granted: bool = False) -> torch.device:
    """``auto``: CUDA when it is present and the job holds a GPU, else CPU."""
    if device == "auto":
        return torch.device("cuda" if gpu_granted and torch.cuda.is_available() else "cpu")
    return torch.device(device)


@dataclass
class TrainSpec:
    """What one training job does; ``seeds`` and ``lrs`` have one entry per network."""

    seeds: list[int]
    lrs: list[float]
    epochs: int
    optimizer: str = "sgd"
    dtype: str = "float32"
    checkpoint_epochs: list[int] = field(default_factory=list)
    checkpoint_every: int = 0  # extra resume points, 0 = none
    history_every: int = 1
    keep_epochs: list[int] = field(default_factory=list)
    out_scale: float | None = None  # Fig. 8C: ‖w_out‖₁ normalised to this value
    device: str = "cpu"
    fingerprint: str = ""  # what the job computes; checkpoints of another fingerprint are not resumed
    kernel: str = "autograd"  # or "fused" / "native": hand-written backpropagation where the family has one
    compile: bool = False  # torch.compile the kernel (pays a compile per shape; off unless it helps)
    count_fixed_points: bool = False  # rank-one: κ₀ and the fixed-point count of the flow every epoch
    #: per-network model values of a grid axis (one entry per network): ``c`` (rank-one confidence) or
    #: ``output_l1_norm`` (Fig. 8C; inf = no normalisation)
    network_values: dict[str, list[float]] = field(default_factory=dict)

    def __post_init__(self):
        if len(self.seeds) != len(self.lrs):
            raise ValueError("seeds and lrs need one entry per network")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer: unknown optimizer {self.optimizer!r}; expected one of {OPTIMIZERS}")
        if self.kernel not in KERNELS:
            raise ValueError(f"kernel: unknown kernel {self.kernel!r}; expected one of {KERNELS}")
        bad = [e for e in self.checkpoint_epochs if not 0 <= e <= self.epochs]
        if bad:
            raise ValueError(f"checkpoint_epochs {bad} lie outside [0, {self.epochs}]")
        for key, values in self.network_values.items():
            if key not in NETWORK_VALUES:
                raise ValueError(f"grid: unknown per-network value {key!r}; expected one of {NETWORK_VALUES}")
            if len(values) != len(self.seeds):
                raise ValueError(f"grid.{key}: needs one value per network")


#: Model values a grid axis may set per network: every grid axis a family declares.
NETWORK_VALUES = tuple(GRID_AXES)
#: Per-epoch records whose running time-average every job reports (Fig. 7 "time-averaged" summaries).
AVERAGED = ("loss", "grad_norm", "accuracy", "weight_norm")


@dataclass
class StartState:
    """Where a continuation starts (an experiment trained on from another's end, docs/methods.md §3 Fig. 8B, 8C):
    per-network parameters, random streams and, when the optimiser state is kept, Adam moments and the
    step count (all stacked on the network axis in this job's network order)."""

    params: dict[str, torch.Tensor]
    generators: torch.Tensor | None = None
    moments: dict | None = None
    step_count: int = 0


@dataclass
class TaskData:
    """The task as tensors: ``targets`` (B, S) and ``inputs`` (B, S) (zeros for canonical models)."""

    inputs: torch.Tensor
    targets: torch.Tensor

    @classmethod
    def from_table(cls, table: pd.DataFrame, dtype=torch.float32, device="cpu") -> TaskData:
        wide = table.pivot(index="trial", columns="step")
        inputs = torch.tensor(wide["input"].to_numpy(), dtype=dtype, device=device)
        targets = torch.tensor(wide["target"].to_numpy(), dtype=dtype, device=device)
        return cls(inputs, targets)


def recurrent_noise(steps: int, B: int, N: int, g: torch.Generator) -> torch.Tensor:
    """Standard normal noise (steps, B, N) drawn from ``g`` exactly as the authors draw it: one
    ``randn(B, N)`` per time step.

    torch fills a normal tensor of 16 or more entries in blocks of 16 (the last block is redrawn over the
    tail), so one ``randn(steps, B, N)`` equals the per-step draws only when B·N is a multiple of 16; it is
    used then (one call instead of ``steps``), the per-step draws otherwise (e.g. Fig. 5 DCDT, B·N = 200).
    """
    if (B * N) % 16 == 0:
        return torch.randn((steps, B, N), generator=g)
    return torch.stack([torch.randn((B, N), generator=g) for _ in range(steps)])


class Trainer:
    """Trains E networks of one family on one task, one epoch per :meth:`step` (:func:`train` runs it).

    One update (:meth:`step`) is: rescale the read-out (:meth:`_normalise_output`), the per-network
    gradients (:meth:`_gradients`, by :meth:`_fused_gradients` or :meth:`_autograd_gradients`, both
    drawing the epoch's noise with :meth:`_noise`), the epoch's records (:meth:`_record`, whose time
    averages :meth:`_accumulate` keeps), the optimiser step (:meth:`_update`) and divergence
    (:meth:`_mark_diverged`).  :meth:`state_dict` and :meth:`load_state_dict` are the resume points.
    """

    def __init__(self, family: Family, task: TaskData, spec: TrainSpec, start: StartState | None = None):
        self.family, self.spec = family, spec
        self.device = torch.device(spec.device)
        self.dtype = getattr(torch, spec.dtype)
        self.task = TaskData(
            task.inputs.to(self.device, self.dtype), task.targets.to(self.device, self.dtype)
        )
        E = len(spec.seeds)
        self.step_count = 0
        self.frozen: set[str] = set()
        self.params = self._initial_params(start)
        self.lrs = torch.tensor(spec.lrs, dtype=self.dtype, device=self.device)
        self.out_scale = self._output_scales()
        self.moments = self._initial_moments(start)
        self.totals: dict[str, torch.Tensor] = {}  # running sums of the AVERAGED records a family has
        self.averaged_epochs = 0
        self.diverged = torch.zeros(E, dtype=torch.bool, device=self.device)
        self.diverged_epoch = np.full(E, -1, dtype=np.int64)
        self.epoch = 0
        self._check_family()
        self._grid = torch.linspace(*KAPPA_GRID, dtype=self.dtype, device=self.device)
        self._forward, self._fused = self._kernels()

    # -- set-up ----------------------------------------------------------------------------------------
    def _initial_params(self, start: StartState | None) -> dict[str, torch.Tensor]:
        """Every network's parameters on the device: the faithful initialisation of its seed (which also
        seeds its random stream, :attr:`generators`), or the start state of a continuation; a grid's
        per-network confidence ``c`` is added, frozen unless the family trains it."""
        params, self.generators = init_networks(self.family, self.spec.seeds, self.dtype)
        if start is not None:
            params = {k: v.to(self.dtype) for k, v in start.params.items()}
            if start.generators is not None:
                self._set_generator_states(start.generators)
            self.step_count = int(start.step_count)
        if "c" in self.spec.network_values:
            params["c"] = torch.tensor(self.spec.network_values["c"], dtype=self.dtype)
            if not self.family.extra.get("trainable_c", False):
                self.frozen.add("c")  # a fixed confidence per network: no update, not in the gradient norm
        return {k: v.to(self.device) for k, v in params.items()}

    def _output_scales(self) -> torch.Tensor | None:
        """Per network, the ‖w_out‖₁ the read-out is normalised to (Fig. 8C: a grid axis, or one value
        for the whole job), or None without normalisation."""
        scales = self.spec.network_values.get("output_l1_norm")
        if scales is None and self.spec.out_scale is not None:
            scales = [self.spec.out_scale] * len(self.spec.seeds)
        return None if scales is None else torch.tensor(scales, dtype=self.dtype, device=self.device)

    def _initial_moments(self, start: StartState | None) -> dict:
        """Adam's first and second moments of every updated parameter: zeros, or those a continuation
        keeps; empty for SGD."""
        if self.spec.optimizer != "adam":
            return {}
        if start is not None and start.moments is not None:
            return self._moments_on_device(start.moments)
        return {
            k: (torch.zeros_like(v), torch.zeros_like(v))
            for k, v in self.params.items()
            if k not in self.frozen
        }

    def _moments_on_device(self, moments: dict) -> dict:
        """Optimiser moments moved to this trainer's device and dtype."""
        return {
            k: (m.to(self.device, self.dtype), v.to(self.device, self.dtype)) for k, (m, v) in moments.items()
        }

    def _set_generator_states(self, states) -> None:
        """Set each network's random stream to its saved state (one row of ``states`` per network)."""
        for g, state in zip(self.generators, states, strict=True):
            g.set_state(state.clone())

    def _check_family(self) -> None:
        """The spec asks only for what the family declares: one of its kernels, a one-dimensional flow
        to count fixed points on."""
        declaration = self.family.declaration
        if self.spec.kernel not in (declaration.kernels if declaration is not None else KERNELS[:1]):
            raise ValueError(f"kernel: {self.family.name} has no {self.spec.kernel} kernel; use autograd")
        if self.spec.kernel == "native" and self.spec.compile:
            raise ValueError("compile: the native kernel is compiled C++ already; set compile: false")
        if self.spec.count_fixed_points and not (declaration is not None and declaration.flow):
            raise ValueError(
                f"count_fixed_points: {self.family.name} has no one-dimensional flow to count on"
            )

    def _kernels(self):
        """(forward pass, hand-written step or None), compiled with torch.compile when the spec says so.
        The native kernel runs on a CPU that can build it; elsewhere (a GPU, no C++ compiler, no AVX2)
        the family's fused kernel runs instead, and :attr:`kernel_note` says why."""
        forward, fused = self.family.forward, getattr(self.family, "fused_step", None)
        self.kernel_note = self.spec.kernel
        if self.spec.kernel == "native":
            from ghostlearn.rnn.native import unavailable

            reason = f"not on {self.device}" if self.device.type != "cpu" else unavailable()
            if reason is None:
                fused = self.family.native_step
            else:
                self.kernel_note = f"fused (native: {reason})"
        if self.spec.compile:
            forward = torch.compile(forward, dynamic=False)
            if fused is not None:
                fused = torch.compile(fused, dynamic=False)
        return forward, fused

    # -- one update ------------------------------------------------------------------------------------
    def _noise(self):
        """Per-network draws of the initial rates and the recurrent noise (task RNNs only): (r0 (E, B, N),
        scaled noise (E, S, B, N) or None), each network drawing from its own stream, r0 before noise."""
        fam = self.family
        if not isinstance(fam, TaskFamily):
            return None, None
        B, S = self.task.targets.shape
        sigma_rec = float(fam.extra.get("sigma_rec", 0.0))
        r0, noise = [], []
        for g in self.generators:
            r0.append(fam.initial_rates((B, fam.N), g) if fam.sigma_init else None)
            noise.append(sigma_rec * recurrent_noise(S, B, fam.N, g) if sigma_rec else None)
        E = len(self.generators)
        r0 = torch.stack(r0) if fam.sigma_init else torch.zeros(E, B, fam.N)
        noise = torch.stack(noise) if sigma_rec else None
        to = {"device": self.device, "dtype": self.dtype}
        return r0.to(**to), None if noise is None else noise.to(**to)

    def _normalise_output(self) -> None:
        """Fig. 8C: before every forward pass w_out and b_out are divided, in place and outside autograd,
        by ‖w_out‖₁ / c, so the read-out the network trains has ‖w_out‖₁ = c (c = inf: no normalisation;
        diverged networks stay)."""
        if self.out_scale is None:
            return
        scale = torch.linalg.vector_norm(self.params["w_out"], ord=1, dim=1) / self.out_scale
        scale = torch.where(self.diverged | torch.isinf(self.out_scale), torch.ones_like(scale), scale)
        self.params["w_out"] = self.params["w_out"] / scale[:, None]
        self.params["b_out"] = self.params["b_out"] / scale

    def evaluate(self, params=None):
        """Outputs, per-network loss, for the current (or given) parameters; draws this epoch's noise."""
        params = self.params if params is None else params
        r0, noise = self._noise()
        kwargs = {}
        if isinstance(self.family, TaskFamily):
            kwargs = {"r0": r0, "noise": noise}
        outputs = self._forward(params, self.task.targets, self.task.inputs, **kwargs)
        return outputs, self.family.loss(outputs, self.task.targets)

    def _fused_gradients(self):
        """(outputs, loss, gradients of the updated parameters) from the family's hand-written kernel."""
        if isinstance(self.family, TaskFamily):
            r0, noise = self._noise()
            task = (self.task.inputs, r0, noise)
        else:
            task = ()
        outputs, loss, grads = self._fused(self.params, self.task.targets, *task)
        return outputs, loss, {k: g for k, g in grads.items() if k not in self.frozen}

    def _autograd_gradients(self):
        """(outputs, loss, gradients of the updated parameters) by autograd of the summed loss of the live
        networks (each network's gradient is that of its own loss)."""
        leaves = {k: v.detach().requires_grad_(k not in self.frozen) for k, v in self.params.items()}
        outputs, loss = self.evaluate(leaves)
        live_loss = torch.where(self.diverged, torch.zeros_like(loss), loss)
        trainable = [k for k in leaves if k not in self.frozen]
        grads = torch.autograd.grad(live_loss.sum(), [leaves[k] for k in trainable])
        return outputs, loss, dict(zip(trainable, grads, strict=True))

    def _gradients(self):
        """(outputs, per-network loss, gradients) at the current parameters, by the spec's kernel."""
        return self._autograd_gradients() if self.spec.kernel == "autograd" else self._fused_gradients()

    def _record(self, outputs, loss, grads, monitored: dict) -> dict[str, torch.Tensor]:
        """The epoch's per-network records, evaluated before the update: loss, gradient norm, accuracy,
        the weight norm where the family has one and the flow monitor's values."""
        record = {
            "loss": loss.detach(),
            "grad_norm": self.family.grad_norm(grads).detach(),
            "accuracy": self.family.accuracy(outputs.detach(), self.task.targets),
        }
        weight_norm = self.family.weight_norm(self.params)
        if weight_norm is not None:
            record["weight_norm"] = weight_norm
        record.update(monitored)
        return record

    def _accumulate(self, record: dict[str, torch.Tensor]) -> None:
        """Add the epoch's AVERAGED records to the running sums (in float64) of :meth:`time_averages`."""
        for key in AVERAGED:
            if key in record:
                value = record[key].detach().to(torch.float64)
                self.totals[key] = self.totals[key] + value if key in self.totals else value
        self.averaged_epochs += 1

    def _mark_diverged(self, loss: torch.Tensor, grad_norm: torch.Tensor) -> None:
        """Freeze, from now on, every network whose loss, gradient norm or updated parameters are not
        finite, and note the epoch it diverged at."""
        bad = ~torch.isfinite(loss.detach()) | ~torch.isfinite(grad_norm)
        for value in self.params.values():  # a row sum is finite iff every entry is (or overflows)
            bad |= ~torch.isfinite(value.reshape(value.shape[0], -1).sum(1))
        newly = bad & ~self.diverged
        if newly.any():
            self.diverged_epoch[newly.cpu().numpy()] = self.epoch
            self.diverged |= newly

    def step(self) -> dict[str, torch.Tensor]:
        """One update of every live network; returns this epoch's per-network records."""
        self._normalise_output()
        monitored = self.family.flow_monitor(self.params, self._grid) if self.spec.count_fixed_points else {}
        outputs, loss, grads = self._gradients()
        record = self._record(outputs, loss, grads, monitored)
        self._accumulate(record)
        self._update(grads)
        self.epoch += 1
        self._mark_diverged(loss, record["grad_norm"])
        record["diverged"] = self.diverged.clone()
        return record

    def _update(self, grads) -> None:
        """One optimiser step of every parameter of the live networks (diverged ones keep theirs)."""
        live = ~self.diverged
        all_live = bool(live.all())
        self.step_count += 1
        for name, grad in grads.items():
            p = self.params[name]
            shape = (-1,) + (1,) * (p.dim() - 1)
            lr = self.lrs.view(shape)
            keep = live.view(shape)
            if self.spec.optimizer == "sgd":
                new = p - lr * grad
            else:
                new = self._adam(name, p, grad, lr, None if all_live else keep)
            self.params[name] = (new if all_live else torch.where(keep, new, p)).detach()

    def _adam(self, name: str, p, grad, lr, keep) -> torch.Tensor:
        """Adam's new value of parameter ``name`` (torch.optim.Adam's arithmetic, per-network rates);
        updates its moments, those of the networks in ``keep`` only (None: all)."""
        m, v = self.moments[name]
        b1, b2 = ADAM_BETAS
        m_new = b1 * m + (1 - b1) * grad
        v_new = b2 * v + (1 - b2) * grad * grad
        denom = (v_new.sqrt() / math.sqrt(1 - b2**self.step_count)) + ADAM_EPS
        new = p - (lr / (1 - b1**self.step_count)) * m_new / denom
        self.moments[name] = (
            (m_new, v_new) if keep is None else (torch.where(keep, m_new, m), torch.where(keep, v_new, v))
        )
        return new

    # -- checkpoints -----------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Everything a resumed run needs to continue bit for bit, on CPU, with the job's provenance."""
        return {
            "epoch": self.epoch,
            "step_count": self.step_count,
            "params": {k: v.cpu() for k, v in self.params.items()},
            "moments": {k: (m.cpu(), v.cpu()) for k, (m, v) in self.moments.items()},
            "generators": torch.stack([g.get_state() for g in self.generators]),
            "diverged": self.diverged.cpu(),
            "diverged_epoch": torch.from_numpy(self.diverged_epoch.copy()),
            "seeds": list(self.spec.seeds),
            "lrs": list(self.spec.lrs),
            "fingerprint": self.spec.fingerprint,
            "provenance": provenance(
                device=self.spec.device, seeds=list(self.spec.seeds), spec=asdict(self.spec)
            ),
            "totals": {k: v.cpu() for k, v in self.totals.items()},
            "averaged_epochs": self.averaged_epochs,
        }

    def time_averages(self) -> dict[str, np.ndarray]:
        """Per network: the mean over every epoch of this job of each recorded quantity in AVERAGED."""
        n = max(self.averaged_epochs, 1)
        return {f"mean_{k}": (v / n).cpu().numpy() for k, v in self.totals.items()}

    def load_state_dict(self, state: dict) -> None:
        """Continue from a :meth:`state_dict` of this same job (fingerprint and seeds must match)."""
        if state.get("fingerprint", "") != self.spec.fingerprint or list(state["seeds"]) != list(
            self.spec.seeds
        ):
            raise ValueError("checkpoint belongs to another experiment (fingerprint or seeds differ)")
        self.epoch = int(state["epoch"])
        self.step_count = int(state["step_count"])
        self.params = {k: v.to(self.device, self.dtype) for k, v in state["params"].items()}
        self.moments = self._moments_on_device(state["moments"])
        self._set_generator_states(state["generators"])
        self.diverged = state["diverged"].to(self.device)
        self.diverged_epoch = state["diverged_epoch"].numpy().copy()
        if "totals" not in state:
            raise ValueError("checkpoint of an older format (no time averages); not resumed")
        self.totals = {k: v.to(self.device) for k, v in state["totals"].items()}
        self.averaged_epochs = int(state["averaged_epochs"])


def save_atomic(obj, path: Path) -> None:
    """torch.save through :func:`ghostlearn.io.atomic_path`: a killed job leaves no torn checkpoint."""
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def load_checkpoint(path: Path) -> dict:
    """Load a checkpoint, naming the file if it is truncated or corrupted."""
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # noqa: BLE001 - re-raised with the file named
        raise ValueError(f"{path}: unreadable checkpoint ({exc})") from exc


class HistoryBuffer:
    """The history rows since the last checkpoint, in preallocated per-record tensors (rows x networks)
    that double when full.

    Keeping each epoch's small record tensors alive instead, between the large temporaries of a step
    (e.g. the (E, 1000, N) flow of ``count_fixed_points``), fragments the C heap: memory grew by about
    0.3 MB per epoch, which a 500,000-epoch run cannot afford.  Values stay on the trainer's device until
    :meth:`frame` (no per-epoch transfer from a GPU).
    """

    def __init__(self, capacity: int = 1024):
        self.capacity = capacity
        self.columns: dict[str, torch.Tensor] = {}
        self.epochs: list[int] = []

    def __len__(self) -> int:
        return len(self.epochs)

    def append(self, record: dict[str, torch.Tensor], epoch: int) -> None:
        row = len(self.epochs)
        for key, value in record.items():
            column = self.columns.get(key)
            if column is None:
                column = value.new_empty((self.capacity,) + tuple(value.shape))
            elif row == column.shape[0]:
                column = torch.cat([column, torch.empty_like(column)])
            column[row] = value
            self.columns[key] = column
        self.epochs.append(epoch)

    def frame(self) -> pd.DataFrame:
        """The rows as a tidy frame (one row per network and epoch); empties the buffer."""
        if not self.epochs:
            return pd.DataFrame()
        n = len(self.epochs)
        columns = {k: v[:n].cpu().numpy() for k, v in self.columns.items()}
        E = columns["loss"].shape[1]
        frame = {
            "network": np.tile(np.arange(E, dtype=np.int32), n),
            "epoch": np.repeat(np.asarray(self.epochs, dtype=np.int64), E),
        }
        for key, value in columns.items():
            frame[key] = value.ravel() if key == "diverged" else value.ravel().astype(np.float32)
        self.columns, self.epochs = {}, []
        return pd.DataFrame(frame)


def train(
    family: Family,
    task: TaskData,
    spec: TrainSpec,
    workdir: str | Path,
    log=None,
    log_every_s: float = 30.0,
    start: StartState | None = None,
) -> tuple[pd.DataFrame, Trainer]:
    """Train, resuming from the newest readable checkpoint in ``workdir`` if there is one.

    At ``spec.checkpoint_epochs``, every ``spec.checkpoint_every`` epochs and at the end, the history rows
    since the previous checkpoint go to ``workdir/history/part_{k:09d}.parquet`` and then the trainer state
    to ``workdir/checkpoints/epoch_{k:09d}.pt``, both atomically.  A rerun after a kill continues from the
    newest readable checkpoint (parts written after it are discarded) and ends with the same histories and
    parameters as an uninterrupted run on CPU.  Resume-only checkpoints are pruned as newer ones land.
    History rows are kept every ``history_every`` epochs, at ``keep_epochs``, the first and the last.
    ``start`` continues networks trained elsewhere (see :class:`StartState`); it is part of what the job
    computes, so its digest belongs in ``spec.fingerprint``.
    Returns (history, trainer).
    """
    workdir = Path(workdir)
    ckpt_dir, part_dir = workdir / "checkpoints", workdir / "history"
    trainer = Trainer(family, task, spec, start)
    if log and trainer.kernel_note != spec.kernel:
        print(f"kernel: {trainer.kernel_note}", file=log)
    for path in sorted(ckpt_dir.glob("epoch_*.pt"), reverse=True) if ckpt_dir.exists() else []:
        try:
            trainer.load_state_dict(load_checkpoint(path))
        except ValueError as error:
            if log:
                print(f"not resuming from {path.name}: {error}", file=log)
            if "another experiment" in str(error):
                path.unlink()
            continue
        if log:
            print(f"resumed from {path} at epoch {trainer.epoch}", file=log)
        break
    for part in sorted(part_dir.glob("part_*.parquet")) if part_dir.exists() else []:
        if int(part.stem.split("_")[1]) > trainer.epoch:
            part.unlink()
    keep = set(spec.keep_epochs) | {1, spec.epochs}
    listed = set(spec.checkpoint_epochs)
    if 0 in listed and trainer.epoch == 0:
        save_atomic(trainer.state_dict(), ckpt_dir / f"epoch_{0:09d}.pt")
    rows = HistoryBuffer()
    E = len(spec.seeds)
    start_epoch, start_time, last_log = trainer.epoch, time.perf_counter(), time.perf_counter()
    while trainer.epoch < spec.epochs:
        record = trainer.step()
        e = trainer.epoch
        if e % spec.history_every == 0 or e in keep:
            rows.append(record, e)
        resume_point = spec.checkpoint_every and e % spec.checkpoint_every == 0
        if e in listed or resume_point or e == spec.epochs:
            part = part_dir / f"part_{e:09d}.parquet"
            write_table(rows.frame(), part, device=spec.device, seeds=list(spec.seeds))
            save_atomic(trainer.state_dict(), ckpt_dir / f"epoch_{e:09d}.pt")
            for old in ckpt_dir.glob("epoch_*.pt"):
                k = int(old.stem.split("_")[1])
                if k < e and k not in listed:
                    old.unlink()
        now = time.perf_counter()
        if log and (now - last_log >= log_every_s or e == spec.epochs):
            rate = (e - start_epoch) * E / max(now - start_time, 1e-9)
            print(
                f"epoch {e}/{spec.epochs}  {rate:,.0f} network-epochs/s  "
                f"diverged {int(trainer.diverged.sum())}/{E}",
                file=log,
                flush=True,
            )
            last_log = now
    parts = sorted(part_dir.glob("part_*.parquet")) if part_dir.exists() else []
    history = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True) if parts else pd.DataFrame()
    return history, trainer
