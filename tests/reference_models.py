"""Per-network reference models: one plain ``nn.Module`` per model family, written the obvious way.

These are the test suite's ground truth for the batched training engine.  Each builder seeds torch
and creates the parameters in exactly the order, and with exactly the random draws, of the authors'
scripts (fatihdinc/ghost-mechanism), so a network built here for seed ``s`` is bit-identical to the
authors' network for seed ``s``.  The forward passes loop over time steps in Python and use autograd,
performing the same floating-point operations as the authors' classes (same operators, same operand
order), so losses and gradients agree with the authors' to the last bit on the same torch build.
One deliberate exception: the low-rank task RNN's recurrent term defaults to (r @ S_l) @ S_r, the
factored product the batched engine uses; ``recurrence="authors"`` gives the authors' r @ (S_l @ S_r)
and then agrees bit for bit (the two differ by float rounding only, ~1e-7 relative at initialisation).

Families and the authors' scripts they mirror
--------------------------------------------
* rank-one canonical RNN (Fig 3, 6A "rank-one", 8B):
  Figure3/code/B/run_large_network_with_large_learningrate.py, Figure6/code/A/run_multiple_networks.py,
  Figure8/code/B/test_ablation.py, Figure8/code/B - learnable confidence/run_with_learnable_confidence.py
* rank-K canonical RNN (Fig 6B): Figure6/code/B-with-extra-data/run_network_rank.py
* full canonical RNN (Fig 6A "full"): Figure6/code/A/run_multiple_networks_fullrank.py
* low-rank task RNN (Fig 4): Figure4/code/A-D - DCDT/run_dcdt.py, Figure4/code/E-H - DMTS/run_dmts.py
* full-rank task RNN (Fig 5, 7, 8C): Figure5/code/run_dcdt_fullrank.py, Figure5/code/run_dmts_fullrank.py,
  Figure7/code/dcdt/run_multiple_networks_dcdt.py, Figure7/code/dmts/run_multiple_networks_dms.py,
  Figure8/code/C/intervention_experiment.py

Random numbers the authors draw but that never change a value
--------------------------------------------------------------
The canonical scripts draw ``randn(N)`` at the start of every epoch for the initial state (then
multiply it by 0 and set every unit to -0.3) and ``randn(N)`` inside every time step for the
recurrent noise (then multiply it by ``noise_std = 0``).  These draws advance torch's global generator
after the parameters have been created, but nothing random is used afterwards, so they change no
value; the reference skips them.  (Fig 8B's learnable-confidence script builds a second network after
10,000 epochs; its fresh m and n come from the advanced generator but are overwritten by the trained
values at once, so that is unaffected too.  The Fig 8B ablation's 30 continuation copies likewise load
the trained state dict.)
The task RNNs draw, per forward pass, the initial rates ``tanh(randn(B, N) * sigma_fr)`` first and then
one ``randn(B, N) * sigma_n`` per time step; here the caller supplies both (``r0`` and ``noise``).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

ALPHA = 0.5  #: Δt/τ = 5 ms / 10 ms, every model
T_CANONICAL = 20  #: delayed-activation task of the canonical RNNs: 2T = 40 steps, switch at T
X0_CANONICAL = -0.3  #: every unit of the canonical RNNs starts here, every epoch


def _canonical_target(T: int) -> torch.Tensor:
    return torch.cat([torch.zeros(T), torch.ones(T)])


class _CanonicalRNN(nn.Module):
    """Shared loop of the three canonical models: 2T autonomous updates from x0 = -0.3·1."""

    def __init__(self, N: int, T: int = T_CANONICAL, alpha: float = ALPHA):
        super().__init__()
        self.N = N
        self.T = T
        self.alpha = alpha

    def initial_state(self) -> torch.Tensor:
        # The authors compute randn(N)/10 * 0 - mean - 3/10, which is exactly float32(-0.3) everywhere.
        return torch.full((self.N,), X0_CANONICAL)

    def step(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def outputs(self) -> torch.Tensor:
        """The 2T outputs y_1 … y_2T, each read out after its update (shape (2T,))."""
        x = self.initial_state()
        ys = []
        for _ in range(2 * self.T):
            x, y = self.step(x)
            ys.append(y)
        return torch.stack(ys).reshape(-1)

    def loss(self) -> torch.Tensor:
        """sum_t (y_t - y*_t)² / T, as the authors compute it."""
        return torch.sum((self.outputs() - _canonical_target(self.T)) ** 2) / self.T

    def grad_norm(self) -> float:
        """Root-sum-square of all parameter gradients, accumulated like the authors (Python floats,
        parameters in their registration order)."""
        total = 0.0
        for p in self.parameters():
            if p.grad is not None:
                total += p.grad.norm(2).item() ** 2
        return total**0.5

    def accuracy(self) -> float:
        """Fraction of the 2T steps with (y > 0.5) == target (Fig 8B)."""
        with torch.no_grad():
            y = self.outputs()
        return ((y > 0.5).float() == _canonical_target(self.T)).float().mean().item()


class RankOneRNN(_CanonicalRNN):
    """x_{t+1} = (1-α)x_t + α tanh(m κ_t + b), κ = nᵀx, y = σ(c (κ_{t+1} - 1))."""

    def __init__(self, m, n, b, N: int, c: float = 10.0, trainable_c: bool = False, c_param=None):
        super().__init__(N)
        # registration order = the authors' (m, n, b[, c]); it fixes the grad-norm accumulation order
        self.m = nn.Parameter(m)
        self.n = nn.Parameter(n)
        self.b = nn.Parameter(b)
        self.trainable_c = trainable_c
        if trainable_c:
            self.c = nn.Parameter(c_param)
        else:
            self.c = float(c)

    def named_engine_parameters(self) -> dict[str, torch.Tensor]:
        params = {"m": self.m, "n": self.n, "b": self.b}
        if self.trainable_c:
            params["c"] = self.c
        return params

    def kappa(self, x: torch.Tensor) -> torch.Tensor:
        return torch.dot(self.n, x)

    def step(self, x):
        # authors: tanh(m*kappa + b + noise) with noise = randn(N) * 0.0 (adds zeros: skipped)
        phi = torch.tanh(self.m * self.kappa(x) + self.b)
        x = (1 - self.alpha) * x + self.alpha * phi
        y = torch.sigmoid(self.c * (self.kappa(x) - 1))
        return x, y


class RankKRNN(_CanonicalRNN):
    """x_{t+1} = (1-α)x_t + α tanh(x_t @ m @ n + b), y = σ(x_{t+1} @ w_out + b_out)."""

    def __init__(self, m, n, b, w_out, b_out, N: int):
        super().__init__(N)
        self.m = nn.Parameter(m)  # (N, K)
        self.n = nn.Parameter(n)  # (K, N)
        self.b = nn.Parameter(b)
        self.w_out = nn.Parameter(w_out)
        self.b_out = nn.Parameter(b_out)  # () here, (1,) in the authors' class: same value

    def named_engine_parameters(self) -> dict[str, torch.Tensor]:
        return {"m": self.m, "n": self.n, "b": self.b, "w_out": self.w_out, "b_out": self.b_out}

    def step(self, x):
        phi = torch.tanh(x @ self.m @ self.n + self.b)  # (x @ m) @ n, as the authors associate it
        x = (1 - self.alpha) * x + self.alpha * phi
        y = torch.sigmoid(x @ self.w_out + self.b_out)
        return x, y


class FullCanonicalRNN(_CanonicalRNN):
    """x_{t+1} = (1-α)x_t + α tanh(x_t @ M + b), y = σ(x_{t+1} @ w_out + b_out) (Fig 6A "full")."""

    def __init__(self, M, b, w_out, b_out, N: int):
        super().__init__(N)
        self.M = nn.Parameter(M)  # the authors' attribute ``m`` (N, N), used as x @ m
        self.b = nn.Parameter(b)
        self.w_out = nn.Parameter(w_out)
        self.b_out = nn.Parameter(b_out)

    def named_engine_parameters(self) -> dict[str, torch.Tensor]:
        return {"M": self.M, "b": self.b, "w_out": self.w_out, "b_out": self.b_out}

    def step(self, x):
        phi = torch.tanh(x @ self.M + self.b)
        x = (1 - self.alpha) * x + self.alpha * phi
        y = torch.sigmoid(x @ self.w_out + self.b_out)
        return x, y


# ----------------------------------------------------------------------------------------------------
# canonical builders
# ----------------------------------------------------------------------------------------------------


def rank_one(seed: int, N: int = 100, trainable_c: bool = False, c: float = 10.0) -> RankOneRNN:
    """Rank-one RNN of §1b.  Draws: m = randn(N)/√N, then n = randn(N)/√N; b = zeros(N) (no draw).

    With ``trainable_c`` (Fig 8B learnable confidence, class ``RankOneRNN_conf``) the authors create
    ``c = nn.Parameter(torch.zeros(1) + 10)`` *after* b — no draw — with shape (1,); here it is a 0-d
    parameter holding ``c`` (10 by default; phase 2 of that script resets it to 1 via ``.data``).
    """
    torch.manual_seed(seed)
    m = torch.randn(N) / math.sqrt(N)
    n = torch.randn(N) / math.sqrt(N)
    b = torch.zeros(N)
    c_param = (torch.zeros(()) + c) if trainable_c else None
    return RankOneRNN(m, n, b, N, c=c, trainable_c=trainable_c, c_param=c_param)


def rank_k(seed: int, N: int = 100, K: int = 1) -> RankKRNN:
    """Rank-K RNN of Fig 6B.  Draws, in order: m = randn(N, K)/√N, n = randn(K, N)/√N, [b = zeros(N)],
    w_out = randn(N)/√N, b_out = randn(1)/√N."""
    torch.manual_seed(seed)
    m = torch.randn(N, K) / math.sqrt(N)
    n = torch.randn(K, N) / math.sqrt(N)
    b = torch.zeros(N)
    w_out = torch.randn(N) / math.sqrt(N)
    b_out = torch.randn(1) / math.sqrt(N)
    return RankKRNN(m, n, b, w_out, b_out.reshape(()), N)


def full_canonical(seed: int, N: int = 100) -> FullCanonicalRNN:
    """Fig 6A "full" model.  Draws, in order: M = randn(N, N)/√N, [b = zeros(N)], w_out = randn(N)/√N,
    b_out = randn(1)/√N."""
    torch.manual_seed(seed)
    M = torch.randn(N, N) / math.sqrt(N)
    b = torch.zeros(N)
    w_out = torch.randn(N) / math.sqrt(N)
    b_out = torch.randn(1) / math.sqrt(N)
    return FullCanonicalRNN(M, b, w_out, b_out.reshape(()), N)


# ----------------------------------------------------------------------------------------------------
# task RNNs (DCDT / DMTS)
# ----------------------------------------------------------------------------------------------------

READOUTS = {"tanh": torch.tanh, "sigmoid": torch.sigmoid}


class _TaskRNN(nn.Module):
    """Shared loop: output read from r_t *before* the update of step t (docs/methods.md §1c)."""

    def __init__(self, readout: str, alpha: float = ALPHA):
        super().__init__()
        if readout not in READOUTS:
            raise ValueError(f"readout must be one of {sorted(READOUTS)}, got {readout!r}")
        self.readout = readout
        self.alpha = alpha

    def _readout_pre(self, r: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _recurrent(self, r: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    @torch.no_grad()
    def _normalise_output(self, c: float) -> None:
        # Fig 8C: before each forward pass W_out.weight and W_out.bias are divided, in place and
        # outside autograd, by ||W_out.weight||_1 / c (the same 0-d tensor for both).
        norm = self.w_out.norm(p=1) / c
        self.w_out.div_(norm)
        self.b_out.div_(norm)

    def _forward(self, inputs, r0, noise, output_l1_norm=None) -> tuple[torch.Tensor, torch.Tensor]:
        """Outputs as the authors hold them, (B, steps, 1) (a permuted stack), and the post-update
        states r_1 … r_steps, (B, steps, N)."""
        if output_l1_norm is not None:
            self._normalise_output(output_l1_norm)
        phi = READOUTS[self.readout]
        r = r0
        outs, states = [], []
        for t in range(inputs.shape[1]):
            outs.append(phi(self._readout_pre(r)))  # (B, 1)
            hid = F.linear(inputs[:, t : t + 1], self.w_in.unsqueeze(1), self.b)  # nn.Linear(1, N)
            z = torch.tanh(hid + self._recurrent(r) + noise[t])
            r = (1 - self.alpha) * r + self.alpha * z
            states.append(r)
        return torch.stack(outs).permute(1, 0, 2), torch.stack(states).permute(1, 0, 2)

    def forward(self, inputs, r0, noise, output_l1_norm=None) -> torch.Tensor:
        """inputs (B, steps), r0 (B, N), noise (steps, B, N) already scaled by σ_n -> outputs (B, steps).

        ``output_l1_norm = c`` applies Fig 8C's normalisation (w_out, b_out /= ||w_out||_1 / c, in place,
        no gradient) before the pass; None = off (the authors' c = ∞)."""
        return self._forward(inputs, r0, noise, output_l1_norm)[0][..., 0]

    def states(self, inputs, r0, noise) -> torch.Tensor:
        """Post-update states r_1 … r_steps (B, steps, N) (the Fig 4 / Fig 7 classes' second return;
        the Fig 5 class prepends r0)."""
        return self._forward(inputs, r0, noise)[1]

    def loss(self, inputs, targets, r0, noise, output_l1_norm=None) -> torch.Tensor:
        """nn.MSELoss() (mean over trials × steps) on (B, steps, 1) tensors, as in the authors' loop."""
        pred = self._forward(inputs, r0, noise, output_l1_norm)[0]
        return F.mse_loss(pred, targets.unsqueeze(-1))


class LowRankTaskRNN(_TaskRNN):
    """Fig 4 class: o_t = φ(w_outᵀ S_lᵀ r_t + b_out); J r = S_rᵀ S_lᵀ r (code: r @ S_l @ S_r).

    ``recurrence``: "factored" computes (r @ S_l) @ S_r (what the batched engine does); "authors"
    computes r @ (S_l @ S_r) exactly like the authors' forward_step (W_rec_lr = S_l @ S_r, then
    r @ W_rec_lr).  The two agree up to float rounding only.
    """

    def __init__(self, w_in, b, S_l, S_r, w_out, b_out, readout: str, recurrence: str = "factored"):
        super().__init__(readout)
        if recurrence not in ("factored", "authors"):
            raise ValueError(f"recurrence must be 'factored' or 'authors', got {recurrence!r}")
        self.recurrence = recurrence
        # authors' registration order: W_in.weight, W_in.bias, S_l, S_r, W_out.weight, W_out.bias
        self.w_in = nn.Parameter(w_in)  # W_in.weight[:, 0]
        self.b = nn.Parameter(b)  # W_in.bias
        self.S_l = nn.Parameter(S_l)  # (N, K)
        self.S_r = nn.Parameter(S_r)  # (K, N)
        self.w_out = nn.Parameter(w_out)  # W_out.weight[0], (K,)
        self.b_out = nn.Parameter(b_out)  # W_out.bias[0], ()

    def named_engine_parameters(self) -> dict[str, torch.Tensor]:
        return {
            "w_in": self.w_in,
            "b": self.b,
            "S_l": self.S_l,
            "S_r": self.S_r,
            "w_out": self.w_out,
            "b_out": self.b_out,
        }

    def _readout_pre(self, r):
        return F.linear(r @ self.S_l, self.w_out.unsqueeze(0), self.b_out.unsqueeze(0))

    def _recurrent(self, r):
        if self.recurrence == "authors":
            return r @ (self.S_l @ self.S_r)
        return (r @ self.S_l) @ self.S_r

    def grad_norm(self) -> float:
        """||∂S_l||_F + ||∂S_r||_F (a sum, as in run_dcdt.py / run_dmts.py)."""
        return torch.norm(self.S_l.grad).item() + torch.norm(self.S_r.grad).item()


class FullTaskRNN(_TaskRNN):
    """Fig 5 / 7 / 8C class: o_t = φ(w_outᵀ r_t + b_out); J r = W_recᵀ r (code: r @ W_rec)."""

    def __init__(self, w_in, b, W_rec, w_out, b_out, readout: str):
        super().__init__(readout)
        # authors' registration order: W_in.weight, W_in.bias, W_rec, W_out.weight, W_out.bias
        self.w_in = nn.Parameter(w_in)
        self.b = nn.Parameter(b)
        self.W_rec = nn.Parameter(W_rec)
        self.w_out = nn.Parameter(w_out)  # W_out.weight[0], (N,)
        self.b_out = nn.Parameter(b_out)

    def named_engine_parameters(self) -> dict[str, torch.Tensor]:
        return {"w_in": self.w_in, "b": self.b, "W_rec": self.W_rec, "w_out": self.w_out, "b_out": self.b_out}

    def _readout_pre(self, r):
        return F.linear(r, self.w_out.unsqueeze(0), self.b_out.unsqueeze(0))

    def _recurrent(self, r):
        return r @ self.W_rec

    def grad_norm(self) -> float:
        """||∂W_rec||_F."""
        return torch.norm(self.W_rec.grad).item()

    def weight_norm(self) -> float:
        """||W_rec||_F (recorded by the Fig 5 and Fig 7 scripts)."""
        return torch.norm(self.W_rec).item()


def _squeeze_linear_in(lin: nn.Linear) -> tuple[torch.Tensor, torch.Tensor]:
    return lin.weight.detach()[:, 0].clone(), lin.bias.detach().clone()


def _squeeze_linear_out(lin: nn.Linear) -> tuple[torch.Tensor, torch.Tensor]:
    return lin.weight.detach()[0].clone(), lin.bias.detach()[0].clone()


def task_rnn_low_rank(
    seed: int, N: int = 100, K: int = 2, readout: str = "tanh", recurrence: str = "factored"
) -> LowRankTaskRNN:
    """Fig 4 class (run_dcdt.py / run_dmts.py, ``low_rank=K``).  Creation order and draws:

    1. W_in = nn.Linear(1, N): default init, weight U(-1, 1) (N draws) then bias U(-1, 1) (N draws);
    2. S_l = randn(N, K); 3. S_r = randn(K, N);
    4. normal_(S_l, 0, 1/√N); 5. normal_(S_r, 0, 1);
    6. W_out = nn.Linear(K, 1): default init, weight U(±1/√K) (K draws) then bias U(±1/√K) (1 draw);
    7. xavier_uniform_(W_in.weight) (bound √(6/(1+N))); 8. xavier_uniform_(W_out.weight) (bound √(6/(K+1)));
    9. normal_(W_in.bias, 0, 0.1).
    W_out.bias keeps its default U(±1/√K) draw.
    """
    torch.manual_seed(seed)
    W_in = nn.Linear(1, N, bias=True)
    S_l = torch.randn(N, K)
    S_r = torch.randn(K, N)
    nn.init.normal_(S_l, mean=0.0, std=1.0 / math.sqrt(N))
    nn.init.normal_(S_r, mean=0.0, std=1.0)
    W_out = nn.Linear(K, 1, bias=True)
    nn.init.xavier_uniform_(W_in.weight)
    nn.init.xavier_uniform_(W_out.weight)
    nn.init.normal_(W_in.bias, mean=0.0, std=0.1)
    w_in, b = _squeeze_linear_in(W_in)
    w_out, b_out = _squeeze_linear_out(W_out)
    return LowRankTaskRNN(w_in, b, S_l, S_r, w_out, b_out, readout, recurrence)


def task_rnn_full(
    seed: int, N: int = 100, readout: str = "tanh", w_rec_sd: float | None = None
) -> FullTaskRNN:
    """Fig 5 / 7 / 8C class (``low_rank=None``).  Creation order and draws:

    1. W_in = nn.Linear(1, N): default init, weight U(-1, 1) (N draws) then bias U(-1, 1) (N draws);
    2. W_rec = randn(N, N);
    3. W_out = nn.Linear(N, 1): default init, weight U(±1/√N) (N draws) then bias U(±1/√N) (1 draw);
    4. xavier_uniform_(W_in.weight); 5. xavier_uniform_(W_rec) (bound √(6/2N)); 6. xavier_uniform_(W_out.weight).
    W_in.bias keeps the default U(-1, 1) draw; W_out.bias keeps U(±1/√N).

    The Fig 5 DCDT, Fig 5 DMTS (with ``sd=None``, as run), Fig 7 DCDT/DMTS and Fig 8C classes all make
    exactly these draws in this order (they differ only in the forward pass: the Fig 5 class also returns
    r0 among the states, the Fig 7 class draws r0 with requires_grad=True, the Fig 8C class has the
    optional output normalisation).  ``w_rec_sd`` reproduces the Fig 5 DMTS class's unused option: step 5
    becomes normal_(W_rec, 0, sd/√N) (the draw count changes, so later values differ).
    """
    torch.manual_seed(seed)
    W_in = nn.Linear(1, N, bias=True)
    W_rec = torch.randn(N, N)
    W_out = nn.Linear(N, 1, bias=True)
    nn.init.xavier_uniform_(W_in.weight)
    if w_rec_sd is None:
        nn.init.xavier_uniform_(W_rec)
    else:
        nn.init.normal_(W_rec, mean=0, std=w_rec_sd / math.sqrt(N))
    nn.init.xavier_uniform_(W_out.weight)
    w_in, b = _squeeze_linear_in(W_in)
    w_out, b_out = _squeeze_linear_out(W_out)
    return FullTaskRNN(w_in, b, W_rec, w_out, b_out, readout)


# ----------------------------------------------------------------------------------------------------
# tasks, written independently of ghostlearn.tasks (batch ordered by repeating the class pattern)
# ----------------------------------------------------------------------------------------------------


def dcdt_trials(
    n_in: int, n_delay: int, n_response: int, per_class: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """DCDT inputs and targets, each (2·per_class, steps): classes A (+1), B (-1), A, B, …"""
    steps = n_in + n_delay + n_response
    inputs = torch.zeros(2, steps)
    targets = torch.zeros(2, steps)
    for k, sign in enumerate((1.0, -1.0)):
        inputs[k, :n_in] = sign
        targets[k, n_in + n_delay :] = sign
    return inputs.repeat(per_class, 1), targets.repeat(per_class, 1)


def dmts_trials(
    n_in: int, n_delay: int, n_response: int, per_class: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """DMTS inputs and targets, each (4·per_class, steps): classes (+,+)→1, (-,-)→1, (-,+)→0, (+,-)→0."""
    steps = 2 * n_in + n_delay + n_response
    inputs = torch.zeros(4, steps)
    targets = torch.zeros(4, steps)
    for k, (first, second) in enumerate(((1.0, 1.0), (-1.0, -1.0), (-1.0, 1.0), (1.0, -1.0))):
        inputs[k, :n_in] = first
        inputs[k, n_in + n_delay : 2 * n_in + n_delay] = second
        targets[k, 2 * n_in + n_delay :] = float(first == second)
    return inputs.repeat(per_class, 1), targets.repeat(per_class, 1)


if __name__ == "__main__":
    net = rank_one(40)
    opt = torch.optim.SGD(net.parameters(), lr=0.02)
    for epoch in range(3):
        opt.zero_grad()
        loss = net.loss()
        loss.backward()
        opt.step()
        print(f"rank-one seed 40 epoch {epoch}: loss {loss.item():.6f} grad {net.grad_norm():.4e}")
    inputs, targets = dcdt_trials(2, 10, 10, 1)
    for build in (task_rnn_low_rank, task_rnn_full):
        net = build(0)
        r0 = torch.tanh(torch.randn(inputs.shape[0], 100) * 0.1)
        noise = torch.zeros(inputs.shape[1], inputs.shape[0], 100)
        loss = net.loss(inputs, targets, r0, noise)
        loss.backward()
        print(f"{build.__name__} seed 0 DCDT: loss {loss.item():.6f} grad {net.grad_norm():.4e}")
