"""The RNN families of the paper, batched: E independent networks on a leading axis (docs/methods.md §1b, §1c).

Every family provides a faithful per-seed initialisation (the authors' draws, in their creation order,
after ``torch.manual_seed(seed)``, in float32), a batched forward pass, the paper's loss for that family
and its recorded quantities (gradient norm in the figure's convention, ‖W_rec‖_F, accuracy).  What a
family trains on, which options it takes and which values a grid may set per network are declared in
:mod:`ghostlearn.rnn.families`; each class reads them from there.

Shapes: parameters ``(E, ...)``; canonical models read a target vector ``(S,)``; task RNNs read inputs
and targets ``(B, S)`` shared by every network; outputs are ``(E, B, S)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

import torch
from torch import nn

from ghostlearn.rnn import families
from ghostlearn.rnn.families import FAMILIES, Declaration

#: Initial state of every unit of the canonical models.
CANONICAL_X0 = -0.3
#: κ grid of the authors' rank-one flow curves: linspace(−15, 15, 1000).
KAPPA_GRID = (-15.0, 15.0, 1000)


#: The class of each family, by name; filled as the classes are defined (:meth:`Family.__init_subclass__`).
_CLASSES: dict[str, type[Family]] = {}


def _randn(shape, g):
    return torch.randn(shape, generator=g)


def _linear(fan_in: int, fan_out: int, g) -> tuple[torch.Tensor, torch.Tensor]:
    """nn.Linear(fan_in, fan_out)'s default initialisation, drawn from ``g`` (weight, then bias)."""
    weight = torch.empty(fan_out, fan_in)
    nn.init.kaiming_uniform_(weight, a=math.sqrt(5), generator=g)
    bound = 1 / math.sqrt(fan_in)
    bias = torch.empty(fan_out).uniform_(-bound, bound, generator=g)
    return weight, bias


def tanh(x: torch.Tensor) -> torch.Tensor:
    """The recurrent nonlinearity: torch.tanh, the authors' exact float path (so that chaotic phases after
    abrupt learning, e.g. Fig. 3c, follow the reference runs)."""
    return torch.tanh(x)


@dataclass
class Family:
    """One model family with its sizes; subclasses implement the science."""

    N: int = 100
    alpha: float = 0.5
    extra: dict = field(default_factory=dict)

    name: ClassVar[str] = "family"
    #: The family's declaration (:data:`ghostlearn.rnn.families.DECLARED`); None on the abstract classes.
    declaration: ClassVar[Declaration | None] = None
    #: Task kinds, ``extra`` options and per-network grid axes, from the declaration.
    task_kinds: ClassVar[tuple[str, ...]] = ()
    options: ClassVar[tuple[str, ...]] = ()
    grid_axes: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs):
        """A class that names a family takes that family's declared facts (and must be declared)."""
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            return
        declaration = families.declared(cls.name)
        cls.declaration = declaration
        cls.task_kinds, cls.options = declaration.task_kinds, declaration.options
        cls.grid_axes = declaration.grid_axes
        _CLASSES[cls.name] = cls

    def init_network(self, g: torch.Generator) -> dict[str, torch.Tensor]:  # pragma: no cover
        raise NotImplementedError

    def trainable(self) -> tuple[str, ...]:
        """Names of the trainable parameters (all, unless a family says otherwise)."""
        return tuple(self.init_network(torch.Generator().manual_seed(0)))

    def grad_norm(self, grads: dict[str, torch.Tensor]) -> torch.Tensor:
        """Root-sum-square over all trainable parameters (canonical models)."""
        return torch.sqrt(sum(g.reshape(g.shape[0], -1).pow(2).sum(1) for g in grads.values()))

    def weight_norm(self, params: dict[str, torch.Tensor]) -> torch.Tensor | None:
        return None


# ---------------------------------------------------------------------------------------------------
# Canonical models: 2T steps, x0 = −0.3·1, no input, no noise; loss Σ(y − y*)² / T.


@dataclass
class CanonicalFamily(Family):
    def loss(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        T = targets.shape[-1] // 2
        return (outputs - targets).pow(2).sum(dim=(-2, -1)) / T

    def accuracy(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return ((outputs > 0.5).to(targets.dtype) == targets).to(outputs.dtype).mean(dim=(-2, -1))

    def initial_state(self, E: int, dtype, device) -> torch.Tensor:
        # The authors compute x − x.mean() − 3/10 on zeros: −0.3 in float32.
        return torch.full((E, self.N), CANONICAL_X0, dtype=dtype, device=device)


@dataclass
class RankOne(CanonicalFamily):
    """κ_t = nᵀx_t; x_{t+1} = (1−α)x_t + α tanh(mκ_t + b); y_{t+1} = σ(c(κ_{t+1} − 1)) (§1b).

    ``extra``: ``c`` (confidence, default 10) and ``trainable_c`` (Fig. 8B learnable confidence).
    """

    name = "rank_one"

    def init_network(self, g):
        params = {
            "m": _randn(self.N, g) / math.sqrt(self.N),
            "n": _randn(self.N, g) / math.sqrt(self.N),
            "b": torch.zeros(self.N),
        }
        if self.extra.get("trainable_c", False):
            params["c"] = torch.tensor(float(self.extra.get("c", 10.0)))
        return params

    def forward(self, params, targets, inputs=None, noise=None, r0=None):
        E = params["m"].shape[0]
        c = params["c"][:, None] if "c" in params else self.extra.get("c", 10.0)
        x = self.initial_state(E, params["m"].dtype, params["m"].device)
        kappa = (params["n"] * x).sum(-1, keepdim=True)
        outputs = []
        for _ in range(targets.shape[-1]):
            x = (1 - self.alpha) * x + self.alpha * tanh(params["m"] * kappa + params["b"])
            kappa = (params["n"] * x).sum(-1, keepdim=True)
            outputs.append(torch.sigmoid(c * (kappa - 1)))
        return torch.cat(outputs, dim=-1)[:, None, :]

    def flow_monitor(self, params, grid: torch.Tensor) -> dict[str, torch.Tensor]:
        """Per network: κ₀ = nᵀx₀ and the number of zero crossings of dκ/dt = −κ + nᵀtanh(mκ + b) along
        ``grid`` (changes of dκ/dt > 0, the authors' count), computed without keeping the curves."""
        m, n, b = params["m"], params["n"], params["b"]
        with torch.no_grad():
            F = torch.tanh(m[:, None, :] * grid[None, :, None] + b[:, None, :]) @ n[:, :, None]
            positive = (F[..., 0] - grid) > 0
            crossings = (positive[:, 1:] != positive[:, :-1]).sum(1)
            kappa0 = (n * CANONICAL_X0).sum(-1)
        return {"fixed_points": crossings.to(m.dtype), "kappa0": kappa0}

    #: The fused kernel's backward pass takes at most this many networks at a time (a few whole-sequence
    #: tensor operations per chunk: fewer, larger calls than a step-by-step pass, with a working set that
    #: stays in cache).  Chunks, not another code path, so that a network rounds alike in every job size.
    BACKWARD_CHUNK = 64

    def fused_step(self, params, targets):
        """Forward pass and hand-written backpropagation through time, all networks at once.

        Uses the exact 1-D reduction κ_{t+1} = (1−α)κ_t + α nᵀtanh(mκ_t + b), runs the forward pass on one
        (E, N) slice per time step, and writes tanh(z) = 2s − 1 with s = σ(2z) (torch.tanh is slow on some
        CPUs), so tanh' = 4s(1 − s).  The backward pass is :meth:`_backward_vectorised`, over chunks of at
        most BACKWARD_CHUNK networks (:meth:`_backward`).  Equal to autograd of the full model up to float
        rounding.
        Returns (outputs (E, 1, S), loss (E,), grads).
        """
        m, n, b = params["m"], params["n"], params["b"]
        E, N = m.shape
        S = targets.shape[-1]
        T, alpha = S // 2, self.alpha
        c = params["c"][:, None] if "c" in params else self.extra.get("c", 10.0)
        m2, b2, n2 = 2 * m, 2 * b, (2 * alpha) * n
        offset = alpha * n.sum(-1, keepdim=True)
        kappa = (n * CANONICAL_X0).sum(-1, keepdim=True)
        # network axis outermost in every tensor that is reduced: each network's sums then run over the
        # same memory layout whatever the job's size, so results do not depend on how networks are grouped
        sigmas = m.new_empty((E, S, N))
        kappas = [kappa]
        for t in range(S):
            sigma = torch.sigmoid(torch.addcmul(b2, m2, kappa), out=sigmas[:, t])  # tanh(mκ + b) = 2σ − 1
            # κ ← (1 − α)κ + α nᵀ(2σ − 1), in as few calls as possible (the loop's cost is per call)
            drive = torch.linalg.vecdot(sigma, n2)[:, None].sub_(offset)
            kappa = torch.add(drive, kappa, alpha=1 - alpha)
            kappas.append(kappa)
        kappa = torch.cat(kappas, 1)
        y = torch.sigmoid(c * (kappa[:, 1:] - 1))
        residual = y - targets
        loss = residual.pow(2).sum(-1) / T
        sensitivity = 2 * residual / T * y * (1 - y)  # dL/d(c(κ − 1)) at t = 1…S
        e = sensitivity * c  # dL/dκ_t through the output at t
        dm, dn, db, step_sum, a = self._backward(m, n, kappa, sigmas, e)
        grads = {
            "m": (4 * n) * dm,
            "n": (2 * dn).sub_(step_sum).add_(a, alpha=CANONICAL_X0),
            "b": (4 * n) * db,
        }
        if "c" in params:
            grads["c"] = (sensitivity * (kappa[:, 1:] - 1)).sum(-1)
        return y[:, None, :], loss, grads

    def native_step(self, params, targets):
        """:meth:`fused_step` in C++, one network at a time (:mod:`ghostlearn.rnn.native`; CPU only)."""
        from ghostlearn.rnn.native import rank_one_step

        return rank_one_step(params, targets, self.alpha, CANONICAL_X0, self.extra.get("c", 10.0))

    def _backward(self, m, n, kappa, sigmas, e):
        """:meth:`_backward_vectorised` over equal chunks (sizes differ by at most one) of at most
        BACKWARD_CHUNK networks, none of a lone network where E ≥ 2.  The whole-sequence pass rounds a
        network alike for every chunk size from 2 up (and a step-by-step pass would round differently),
        so a network's result does not depend on the size of its job (docs/engine.md)."""
        E = m.shape[0]
        count = min(-(-E // self.BACKWARD_CHUNK), max(1, E // 2))
        if count == 1:
            return self._backward_vectorised(m, n, kappa, sigmas, e)
        base, extra = divmod(E, count)
        sizes = [base + 1] * extra + [base] * (count - extra)
        parts = zip(*(t.split(sizes) for t in (m, n, kappa, sigmas, e)), strict=True)
        sums = [self._backward_vectorised(*part) for part in parts]
        return tuple(torch.cat(pieces) for pieces in zip(*sums, strict=True))

    def _backward_vectorised(self, m, n, kappa, sigmas, e):
        """Backpropagation through time: (Σ_t α a_{t+1} κ_t q_t, Σ_t α a_{t+1} σ_t, Σ_t α a_{t+1} q_t,
        Σ_t α a_{t+1}, dL/dκ_0) with a_t = dL/dκ_t and q_t = σ_t(1 − σ_t).  Only the scalar recurrence of
        a_t is left in the time loop: dκ_{t+1}/dκ_t and the three weighted sums over t are whole-sequence
        operations."""
        alpha, S = self.alpha, sigmas.shape[1]
        q = sigmas - sigmas * sigmas  # (E, S, N): σ(1 − σ) = tanh' / 4
        gain = (q * ((4 * alpha) * n * m)[:, None, :]).sum(-1).add_(1 - alpha)  # (E, S): dκ_{t+1}/dκ_t
        a = e[:, S - 1]  # dL/dκ_S
        upstream = [a]
        for t in range(S - 1, 0, -1):
            a = torch.addcmul(e[:, t - 1], a, gain[:, t])  # dL/dκ_t
            upstream.append(a)
        step = alpha * torch.stack(upstream[::-1], dim=1)  # (E, S): α dL/dκ_{t+1}
        weights = step[:, :, None]
        db = (weights * q).sum(1)
        dm = (weights * kappa[:, :S, None] * q).sum(1)
        dn = (weights * sigmas).sum(1)
        return dm, dn, db, step.sum(1)[:, None], (upstream[-1] * gain[:, 0])[:, None]


@dataclass
class RankK(CanonicalFamily):
    """x_{t+1} = (1−α)x_t + α tanh(x_t m n + b); y = σ(w_outᵀx_{t+1} + b_out) (Fig. 6B); ``extra['K']``."""

    name = "rank_k"

    def init_network(self, g):
        N, K = self.N, int(self.extra.get("K", 1))
        return {
            "m": _randn((N, K), g) / math.sqrt(N),
            "n": _randn((K, N), g) / math.sqrt(N),
            "b": torch.zeros(N),
            "w_out": _randn(N, g) / math.sqrt(N),
            "b_out": _randn((), g) / math.sqrt(N),
        }

    def recurrent_input(self, params, x):
        return torch.bmm(torch.bmm(x[:, None, :], params["m"]), params["n"])[:, 0, :]

    def fused_step(self, params, targets):
        """Forward pass and hand-written backpropagation through time (:mod:`ghostlearn.rnn.kernels_canonical`);
        returns (outputs (E, 1, S), loss (E,), grads), equal to autograd up to float rounding."""
        from ghostlearn.rnn.kernels_canonical import rank_k_step

        return rank_k_step(params, targets, self.alpha, CANONICAL_X0)

    def native_step(self, params, targets):
        """:meth:`fused_step` in C++, one network at a time (:mod:`ghostlearn.rnn.native`; CPU only)."""
        from ghostlearn.rnn.native import rank_k_step

        return rank_k_step(params, targets, self.alpha, CANONICAL_X0)

    def forward(self, params, targets, inputs=None, noise=None, r0=None):
        E = params["b"].shape[0]
        x = self.initial_state(E, params["b"].dtype, params["b"].device)
        outputs = []
        for _ in range(targets.shape[-1]):
            x = (1 - self.alpha) * x + self.alpha * tanh(self.recurrent_input(params, x) + params["b"])
            outputs.append(torch.sigmoid((x * params["w_out"]).sum(-1) + params["b_out"]))
        return torch.stack(outputs, dim=-1)[:, None, :]


@dataclass
class FullCanonical(RankK):
    """The Fig. 6A "full" model: x_{t+1} = (1−α)x_t + α tanh(x_t M + b); y = σ(w_outᵀx_{t+1} + b_out)."""

    name = "full_canonical"

    def init_network(self, g):
        N = self.N
        return {
            "M": _randn((N, N), g) / math.sqrt(N),
            "b": torch.zeros(N),
            "w_out": _randn(N, g) / math.sqrt(N),
            "b_out": _randn((), g) / math.sqrt(N),
        }

    def recurrent_input(self, params, x):
        return torch.bmm(x[:, None, :], params["M"])[:, 0, :]

    def fused_step(self, params, targets):
        """Hand-written forward and backward pass (:mod:`ghostlearn.rnn.kernels_canonical`)."""
        from ghostlearn.rnn.kernels_canonical import full_canonical_step

        return full_canonical_step(params, targets, self.alpha, CANONICAL_X0)

    def native_step(self, params, targets):
        """:meth:`fused_step` in C++, one network at a time (:mod:`ghostlearn.rnn.native`; CPU only)."""
        from ghostlearn.rnn.native import full_canonical_step

        return full_canonical_step(params, targets, self.alpha, CANONICAL_X0)


# ---------------------------------------------------------------------------------------------------
# Task RNNs (Figs. 4, 5, 7, 8C): inputs u_t, noise, output read from r_t before the update; MSE loss.


@dataclass
class TaskFamily(Family):
    """Shared parts of the low-rank and full-rank task RNNs.

    ``extra``: ``readout`` ("tanh" for DCDT, "sigmoid" for DMTS), ``sigma_rec`` (σ_n), ``sigma_init``
    (σ_fr).
    """

    @property
    def sigma_init(self) -> float:
        """σ_fr, the spread of the random initial rates (0: every trial starts from r = 0)."""
        return float(self.extra.get("sigma_init", 0.0))

    def initial_rates(self, shape, generator: torch.Generator, dtype=torch.float32) -> torch.Tensor:
        """Random initial rates r_0 = tanh(σ_fr ξ), ξ ~ N(0, 1) of ``shape`` (…, B, N), drawn from
        ``generator`` as the authors draw them (docs/methods.md §1c)."""
        return torch.tanh(self.sigma_init * torch.randn(shape, generator=generator, dtype=dtype))

    def readout(self, z):
        return torch.tanh(z) if self.extra.get("readout", "tanh") == "tanh" else torch.sigmoid(z)

    def loss(self, outputs, targets):
        return (outputs - targets).pow(2).mean(dim=(-2, -1))

    def accuracy(self, outputs, targets):
        if self.extra.get("readout", "tanh") == "tanh":
            decided = torch.where(outputs >= 0.33, 1.0, torch.where(outputs <= -0.33, -1.0, 0.0))
        else:
            decided = (outputs >= 0.5).to(outputs.dtype)
        return (decided == targets).to(outputs.dtype).mean(dim=(-2, -1))

    def step_terms(self, params, r, w_out):  # pragma: no cover
        """(read-out pre-activation without b_out (E, B), recurrent input J r (E, B, N)) at state r."""
        raise NotImplementedError

    def forward(self, params, targets, inputs, noise=None, r0=None, return_states=False):
        """Outputs (E, B, S).  ``r0`` (E, B, N) initial rates, ``noise`` (E, S, B, N) scaled recurrent
        noise or None.  With ``return_states`` also the rates r_0 … r_S, (E, B, S + 1, N)."""
        w_out, b_out = params["w_out"], params["b_out"]
        r = r0
        states = [r0]
        # input drive w_in u_t + b of every step, (E, B, N) slabs; unbind (not indexing) keeps the backward
        # pass to one stack instead of a full-size zero fill per step
        drive = params["w_in"][None, :, None, :] * inputs.T[:, None, :, None] + params["b"][None, :, None, :]
        drive = drive.unbind(0)
        outputs = []
        for t in range(inputs.shape[-1]):
            readout, recurrent = self.step_terms(params, r, w_out)
            outputs.append(self.readout(readout + b_out[:, None]))
            z = recurrent + drive[t]
            if noise is not None:
                z = z + noise[:, t]
            r = (1 - self.alpha) * r + self.alpha * tanh(z)
            if return_states:
                states.append(r)
        if return_states:
            return torch.stack(outputs, dim=-1), torch.stack(states, dim=2)
        return torch.stack(outputs, dim=-1)


@dataclass
class TaskLowRank(TaskFamily):
    """J r = S_rᵀ S_lᵀ r, computed as (r S_l) S_r; o_t = φ(w_outᵀ S_lᵀ r_t + b_out); ``extra['K']``."""

    name = "task_low_rank"

    def init_network(self, g):
        N, K = self.N, int(self.extra.get("K", 2))
        w_in, b = _linear(1, N, g)
        S_l = _randn((N, K), g)
        S_r = _randn((K, N), g)
        nn.init.normal_(S_l, 0.0, 1 / math.sqrt(N), generator=g)
        nn.init.normal_(S_r, 0.0, 1.0, generator=g)
        w_out, b_out = _linear(K, 1, g)
        nn.init.xavier_uniform_(w_in, generator=g)
        nn.init.xavier_uniform_(w_out, generator=g)
        nn.init.normal_(b, 0.0, 0.1, generator=g)
        return {"w_in": w_in[:, 0], "b": b, "S_l": S_l, "S_r": S_r, "w_out": w_out[0], "b_out": b_out[0]}

    def step_terms(self, params, r, w_out):
        latent = torch.bmm(r, params["S_l"])  # κ = S_lᵀ r, shared by read-out and recurrence
        return torch.bmm(latent, w_out[:, :, None])[..., 0], torch.bmm(latent, params["S_r"])

    def fused_step(self, params, targets, inputs, r0, noise):
        """Forward pass and hand-written backpropagation through time (:mod:`ghostlearn.rnn.kernels_task`);
        returns (outputs (E, B, S), loss (E,), grads), equal to autograd up to float rounding."""
        from ghostlearn.rnn.kernels_task import task_low_rank_step

        return task_low_rank_step(
            params, targets, inputs, r0, noise, self.alpha, self.extra.get("readout", "tanh")
        )

    def grad_norm(self, grads):
        """‖∂/∂S_l‖_F + ‖∂/∂S_r‖_F (a sum, as the authors)."""
        return grads["S_l"].flatten(1).norm(dim=1) + grads["S_r"].flatten(1).norm(dim=1)


@dataclass
class TaskFull(TaskFamily):
    """J r = W_recᵀ r (code: r @ W_rec); o_t = φ(w_outᵀ r_t + b_out)."""

    name = "task_full"

    def init_network(self, g):
        N = self.N
        w_in, b = _linear(1, N, g)
        W_rec = _randn((N, N), g)
        w_out, b_out = _linear(N, 1, g)
        nn.init.xavier_uniform_(w_in, generator=g)
        nn.init.xavier_uniform_(W_rec, generator=g)
        nn.init.xavier_uniform_(w_out, generator=g)
        return {"w_in": w_in[:, 0], "b": b, "W_rec": W_rec, "w_out": w_out[0], "b_out": b_out[0]}

    def step_terms(self, params, r, w_out):
        return torch.bmm(r, w_out[:, :, None])[..., 0], torch.bmm(r, params["W_rec"])

    def fused_step(self, params, targets, inputs, r0, noise):
        """Hand-written forward and backward pass (:mod:`ghostlearn.rnn.kernels_task`)."""
        from ghostlearn.rnn.kernels_task import task_full_step

        return task_full_step(
            params, targets, inputs, r0, noise, self.alpha, self.extra.get("readout", "tanh")
        )

    def grad_norm(self, grads):
        """‖∂/∂W_rec‖_F."""
        return grads["W_rec"].flatten(1).norm(dim=1)

    def weight_norm(self, params):
        return params["W_rec"].flatten(1).norm(dim=1)


if set(_CLASSES) != set(FAMILIES):  # pragma: no cover - a declared family without its class
    raise ImportError(f"declared families {sorted(set(FAMILIES) - set(_CLASSES))} have no class")


def make_family(name: str, N: int = 100, alpha: float = 0.5, **extra) -> Family:
    """A model family by name (one of :data:`FAMILIES`) with its sizes and its declared options."""
    declaration = families.declared(name)
    unknown = sorted(set(extra) - set(declaration.options))
    if unknown:
        raise ValueError(
            f"model.{unknown[0]}: not an option of {name} (options: {', '.join(declaration.options)})"
        )
    return _CLASSES[name](N=N, alpha=alpha, extra=extra)


def init_networks(family: Family, seeds, dtype=torch.float32) -> tuple[dict, list[torch.Generator]]:
    """Stacked faithful initialisation for each seed, plus each network's generator (its stream goes on
    to draw that network's noise, so results do not depend on how networks are grouped into jobs)."""
    generators, networks = [], []
    for seed in seeds:
        g = torch.Generator().manual_seed(int(seed))
        networks.append(family.init_network(g))
        generators.append(g)
    params = {name: torch.stack([net[name] for net in networks]).to(dtype) for name in networks[0]}
    return params, generators
