"""Hand-written forward pass and backpropagation through time (no autograd) for the batched canonical
RNNs of Fig. 6: ``rank_k`` (``models.RankK``) and ``full_canonical`` (``models.FullCanonical``).

E independent networks sit on a leading axis; one trial of S = 2T steps, x_0 = x0·1 and, for t = 0…S−1,

    z_t = x_t m n + b   (rank K; full: x_t M + b),   x_{t+1} = (1−α)x_t + α tanh(z_t),
    y_{t+1} = σ(w_out·x_{t+1} + b_out),              loss = Σ_{t=1…S} (y_t − y*_t)² / T.

Each step function returns ``(outputs (E, 1, S), loss (E,), grads)`` with ``grads[name]`` =
d loss_e / d params[name]_e, the same as autograd of ``models.RankK.forward`` / ``FullCanonical.forward``
followed by ``CanonicalFamily.loss`` (up to float rounding).  This module must not import
``ghostlearn.rnn.models`` (which delegates to it).

Common devices:

* tanh(z) = 2σ(2z) − 1 (σ is ~3x cheaper than tanh on some CPUs), so tanh' = 4σ(1 − σ), and the state is
  carried as x̄ = (x + 1)/2, for which the update is a plain interpolation x̄_{t+1} = lerp(x̄_t, σ(2z_t), α).
* Rank K with K + 1 < N (see :func:`rank_k_path`): the dynamics live in the latent κ_t = x_t m (K numbers
  per network), z_t = κ_t n + b and κ_{t+1} = (1−α)κ_t + α tanh(z_t) m; the read-out w_out·x_t obeys the
  same linear recurrence and is summed after the loop, so the time loops only carry K numbers and the
  parameter gradients are whole-sequence matrix products.  For K = 1 the time loops use elementwise ops
  only (ATen's batched matmul is slow for such thin shapes) and the backward loop is a scalar recursion;
  K ≤ J_TRICK_MAX_K backpropagates through the K×K step Jacobians, computed for all steps at once;
  larger K backpropagates one step at a time.
* Larger K (and the full model) run on the full state with W = m n formed once per call.
* The backward recursion of dL/d(state) is split into the part driven by the outputs alone, c_t =
  Σ_{τ≥t} (1−α)^{τ−t} e_τ (one (S, S) matrix product), and the rest, which the loop carries.

Grouping invariance: a network's results are bitwise the same whichever other networks share the call
(for E ≥ 2, on CPU with one thread, in eager mode; a lone network may take other vector paths).  Measured
causes of rounding that depends on the batch, and what avoids each:

* A reduction or a 2-D matrix product across networks (e.g. a time-major (S, E, N) buffer summed over
  time, or (E, S) @ (S, S)): vectorised kernels split the work by the total size.  Sums here run within
  a network's contiguous entries, over time through bmm (:func:`_time_sum`), and every product is one
  batched product per network (bmm), the discount products included (:func:`_times`).
* MKL's batched GEMM rounds a network's product differently depending on where its operands start
  (see ALIGN_BYTES): every per-network block handed to it has a size that is a multiple of ALIGN_BYTES.
  N is padded with inert zero units where needed (:func:`_pad_units`), the discount products pad S, and
  the (S, K) product of the full-state rank-K path takes a column-major right-hand side where S·K would
  not do.  (The K×K products of the Jacobian recursion, K² < 400, run in ATen's own loop, not MKL.)
* torch.sigmoid finishes a contiguous run with scalar code that rounds differently from its vector code:
  every sigmoid runs over a run padded to a multiple of SIMD_RUN_BYTES, so there is no scalar tail
  (:func:`_sigmoid_runs`, :func:`_readout`).  The other elementwise ops used (add, mul, addcmul, lerp)
  round alike in both codes.

Everything is plain torch (any device and dtype, no ``.item()``); ``torch.compile(fn, dynamic=False)``
of a whole step function works (under compilation the loops build lists instead of writing into slices
of buffers).  In eager mode, large intermediates live in per-thread scratch buffers reused across calls
(first-touch page faults of fresh memory cost more than the passes themselves on some virtual machines);
nothing returned lives in them.
"""

from __future__ import annotations

import threading

import torch
from torch import Tensor

#: ATen's bmm falls back to a slow naive loop when contraction·rows·cols < 400: the latent rank-K path
#: pads K up to this many (zero) components so that its per-step products take the BLAS path (N ≥ 100).
MIN_BMM = 4
#: Latent path, up to this K: backward through the K×K step Jacobians (one (K² + K)-wide product over all
#: steps, then a K×K recursion); above it, the backward runs step by step.
J_TRICK_MAX_K = 2
#: Latent path up to this K (and K + 1 < N); above it the full state with W = m n (N×N products per step,
#: but two instead of four per step).
LATENT_MAX_K = 50
#: Networks are processed in chunks whose recurrent weights (W = m n or M, N×N per network; the latent
#: path's m and n, 2·K·N) take about this many bytes, so the chunk's weights stay in cache across the
#: time loop: 300 full networks of N = 100 in one call ran 2x slower per network than three chunks of 100
#: (AMD EPYC, float32; see docs/engine.md).  Results are the same whatever the chunking (module notes).
CHUNK_BYTES = 4 * 2**20
#: Scratch buffers kept per thread before the store is emptied (guards against many distinct shapes).
WORKSPACE_MAX_BUFFERS = 64
#: MKL's batched GEMM (behind CPU bmm/baddbmm) rounds one network's product differently depending on the
#: addresses of its operands modulo this many bytes (the output's for a row-major right-hand matrix, the
#: inputs' for a column-major one; measured with oneMKL 2024.2 on AVX2).
ALIGN_BYTES = 16
#: ATen's vectorised elementwise loops run over 2 SIMD vectors at a time (64 bytes on AVX2, 128 on
#: AVX-512) and finish a run with scalar code: runs of a multiple of this many bytes have no scalar tail.
SIMD_RUN_BYTES = 128

_CONSTANTS: dict = {}
_WORKSPACE = threading.local()


def rank_k_path(N: int, K: int) -> str:
    """Which code path :func:`rank_k_step` takes: "rank_one", "latent_jacobian", "latent_steps" or
    "full_state"."""
    if K + 1 >= N or K > LATENT_MAX_K:
        return "full_state"
    if K == 1:
        return "rank_one"
    return "latent_jacobian" if K <= J_TRICK_MAX_K else "latent_steps"


def _scratch(tag: str, shape: tuple, like: Tensor) -> Tensor:
    """An uninitialised scratch tensor reused across calls (per thread, tag, shape, dtype and device);
    a fresh one under torch.compile."""
    if torch.compiler.is_compiling():
        return like.new_empty(shape)
    store = getattr(_WORKSPACE, "buffers", None)
    if store is None or len(store) > WORKSPACE_MAX_BUFFERS:
        store = _WORKSPACE.buffers = {}
    key = (tag, tuple(shape), like.dtype, like.device)
    buf = store.get(key)
    if buf is None:
        buf = store[key] = like.new_empty(shape)
    return buf


def _discount(S: int, alpha: float, like: Tensor) -> tuple[Tensor, Tensor]:
    """L (S, S) with L[t, τ] = (1 − α)^(τ − t) for τ ≥ t, else 0, and the decay (1 − α)^t for t = 1…S.
    Cached per (S, α, dtype, device) in eager mode (they cost a dozen small calls)."""
    key = (S, float(alpha), like.dtype, like.device)
    compiling = torch.compiler.is_compiling()
    if not compiling and key in _CONSTANTS:
        return _CONSTANTS[key]
    idx = torch.arange(S + 1, device=like.device, dtype=like.dtype)
    lag = idx[None, :S] - idx[:S, None]
    L = torch.pow(1 - alpha, lag.clamp(min=0)) * (lag >= 0)
    decay = torch.pow(1 - alpha, idx[1:])
    if not compiling:
        _CONSTANTS[key] = (L, decay)
    return L, decay


def _round_up(n: int, nbytes: int, like: Tensor) -> int:
    """n rounded up to a multiple of nbytes' worth of ``like``'s elements."""
    step = max(1, nbytes // like.element_size())
    return -(-n // step) * step


def _colmajor(B: Tensor) -> Tensor:
    """B with column-major matrices (a copy unless they already are)."""
    return B if B.stride(-2) == 1 else B.transpose(-1, -2).contiguous().transpose(-1, -2)


def _times(u: Tensor, A: Tensor, base: Tensor | None = None, alpha: float = 1.0) -> Tensor:
    """base + alpha·u A for u, base (E, S) and one (S, S) matrix A: one product per network (one
    (E, S) @ (S, S) product rounds a network's row differently for different E), S padded with zeros to
    a multiple of ALIGN_BYTES."""
    E, S = u.shape
    P = _round_up(S, ALIGN_BYTES, u) - S
    if P:
        pad = torch.nn.functional.pad
        u, A, base = pad(u, (0, P)), pad(A, (0, P, 0, P)), None if base is None else pad(base, (0, P))
    Ab = A.expand(E, S + P, S + P)
    if base is None:
        return torch.bmm(u[:, None, :], Ab)[:, 0, :S]
    return torch.baddbmm(base[:, None, :], u[:, None, :], Ab, alpha=alpha)[:, 0, :S]


def _sigmoid_runs(step_shape: tuple, S: int, like: Tensor) -> tuple[tuple, Tensor, tuple]:
    """The time loops' (eager) buffer for 2z_t and then, in place, σ(2z_t): S runs of R elements, R ≥
    E·N (the size of ``step_shape``) a multiple of SIMD_RUN_BYTES so that ``runs[t].sigmoid_()`` has no
    scalar tail (the padding starts at zero and stays finite).  Returns the runs, the (S, *step_shape)
    view of their first E·N elements and its steps; cached with the buffer (views cost a call each)."""
    EN = 1
    for size in step_shape:
        EN *= size
    buf = _scratch("s", (S, _round_up(EN, SIMD_RUN_BYTES, like)), like)
    store = _WORKSPACE.buffers  # after _scratch, which may have emptied it
    key = ("sigmoid_runs", tuple(step_shape), S, like.dtype, like.device)
    cached = store.get(key)
    if cached is None or cached[0] is not buf:
        buf[:, EN:].zero_()
        view = buf[:, :EN].view(S, *step_shape)
        cached = store[key] = (buf, buf.unbind(0), view, view.unbind(0))
    return cached[1:]


def _time_sum(D: Tensor) -> Tensor:
    """Σ_t D[t] for D (S, E, N) time-major, per network (a sum over the leading axis would mix them)."""
    S, E, _ = D.shape
    return torch.bmm(D.new_ones((E, 1, S)), D.transpose(0, 1))[:, 0]


def _targets(targets: Tensor, like: Tensor) -> Tensor:
    if targets.dim() == 2 and targets.shape[0] != 1:
        raise ValueError(
            f"canonical kernels take one trial of targets, shape (1, S); got {tuple(targets.shape)}"
        )
    return targets.reshape(-1).to(like.dtype)


def _readout(o: Tensor, b_out: Tensor, tgt: Tensor, T: int):
    """y = σ(o + b_out), the per-network loss and e = dL/do (all (E, S) but the loss).  σ runs over a
    zero-padded run of a multiple of SIMD_RUN_BYTES (see the module notes)."""
    E, S = o.shape
    run = o.new_zeros(_round_up(E * S, SIMD_RUN_BYTES, o))
    y = torch.add(o, b_out[:, None], out=run[: E * S].view(E, S))
    run.sigmoid_()
    residual = y - tgt
    loss = residual.pow(2).sum(-1) / T
    e = (2.0 / T) * residual * y * (1 - y)
    return y, loss, e


def _latent_readout(s: Tensor, w: Tensor, wsum: Tensor, alpha: float, x0: float, L: Tensor, decay: Tensor):
    """o_t = w·x_t for t = 1…S from σ_t = σ(2z_t) (``s``: (E, S, N), any strides): ō = w·x̄ obeys
    ō_{t+1} = (1−α)ō_t + α w·σ_t, so o = 2ō − 1ᵀw = 2(1−α)^t ō_0 + 2α (wᵀσ) L − 1ᵀw."""
    u = torch.bmm(w[:, None, :], s.transpose(1, 2))[:, 0]  # (E, S): w·σ_t
    base = wsum * ((x0 + 1) * decay - 1)
    return _times(u, L, base, alpha=2 * alpha)


def _rank_one(m, n, b, w, b_out, tgt, alpha, x0):
    """K = 1: the latent κ̄ = x̄·m is one number per network; the loops use elementwise ops only.

    Backward: with g_t = dL/d[κ_t, o_t] = [r_t, c_t], r_t = r_{t+1} (1−α + 4α Σ_i q_{t,i} m_i n_i)
    + 4α c_{t+1} Σ_i q_{t,i} w_i n_i (q = σ(1 − σ)): a scalar recursion whose coefficients are two
    whole-sequence products; dL/dz_t = 4α q_t ⊙ (r_{t+1} m + c_{t+1} w) is never formed."""
    E, N, _ = m.shape
    S = tgt.shape[-1]
    T = S // 2
    m1, n1 = m[:, :, 0], n[:, 0, :]
    msum, wsum = m1.sum(1, keepdim=True), w.sum(1, keepdim=True)
    c = torch.addcmul(2 * b, msum, n1, value=-2)  # 2z = 4κ̄n + 2b − 2(1ᵀm)n
    n4, am = 4 * n1, alpha * m1
    kb = ((x0 + 1) / 2) * msum  # κ̄_0
    functional = torch.compiler.is_compiling()  # no writes into slices of a buffer under torch.compile
    if functional:
        ss = [None] * S
    else:
        runs, sbuf, ss = _sigmoid_runs((E, N), S, m)
        ss = list(ss)
    kbs = []
    for t in range(S):
        if functional:
            st = ss[t] = torch.addcmul(c, kb, n4).sigmoid_()
        else:
            st = torch.addcmul(c, kb, n4, out=ss[t])
            runs[t].sigmoid_()
        kbs.append(kb)
        kb = torch.sum(st * am, 1, keepdim=True).add_(kb, alpha=1 - alpha)
    if functional:
        sbuf = torch.stack(ss)
    s = sbuf.transpose(0, 1)  # (E, S, N) view
    L, decay = _discount(S, alpha, sbuf)
    o = _latent_readout(s, w, wsum, alpha, x0, L, decay)
    y, loss, e = _readout(o, b_out, tgt, T)
    cc = _times(e, L.T)  # (E, S): c_t, t = 1…S
    q = torch.addcmul(sbuf, sbuf, sbuf, value=-1, out=_scratch("q", (S, E, N), m)).transpose(0, 1)
    F = torch.stack([m1 * n1, w * n1], 1)  # (E, 2, N)
    Q = torch.bmm(F, q.transpose(1, 2))  # (E, 2, S)
    gains = torch.add(1 - alpha, Q[:, 0], alpha=4 * alpha).T.unbind(0)  # dr_t/dr_{t+1}
    drives = ((4 * alpha) * cc * Q[:, 1]).T.unbind(0)
    r = drives[S - 1]
    rs = [torch.zeros_like(r), r]
    for t in range(S - 2, -1, -1):
        r = torch.addcmul(drives[t], r, gains[t])
        rs.append(r)
    r1 = torch.stack(rs[-2::-1], 1)  # (E, S): r_1 … r_S (r_S = 0)
    kappa = torch.cat(kbs, 1).mul_(2).sub_(msum)  # κ_t, t = 0…S−1
    H = torch.stack([kappa * r1, kappa * cc, r1, cc], 1)  # (E, 4, S)
    V = torch.bmm(H, q)  # (E, 4, N)
    dn = torch.addcmul(m1 * V[:, 0], w, V[:, 1]).mul_(4 * alpha)  # Σ_t κ_t dL/dz_t
    db = torch.addcmul(m1 * V[:, 2], w, V[:, 3]).mul_(4 * alpha)  # Σ_t dL/dz_t
    # d[m, w] = α Σ_t tanh(z_t)ᵀ g_{t+1} + x0 1ᵀ g_0 = 2α Σ_t σ_tᵀ g_{t+1} + 1ᵀ(x0 g_0 − α Σ_t g_{t+1})
    g0 = torch.stack([r, (1 - alpha) * cc[:, 0]], 1)
    rowterm = x0 * g0 - alpha * H[:, 2:].sum(2)  # (E, 2)
    dP = torch.baddbmm(rowterm[:, :, None], H[:, 2:], s, alpha=2 * alpha)  # (E, 2, N)
    grads = {"m": dP[:, 0, :, None], "n": dn[:, None, :], "b": db, "w_out": dP[:, 1], "b_out": e.sum(1)}
    return y[:, None, :], loss, grads


def _rank_k_latent(m, n, b, w, b_out, tgt, alpha, x0):
    """2 ≤ K, K + 1 < N: the latent κ̄ = x̄ m (E, 1, K), padded to MIN_BMM components with zeros."""
    E, N, K = m.shape
    S = tgt.shape[-1]
    T = S // 2
    Kp = max(K, MIN_BMM)
    mp, np_ = m, n
    if Kp > K:
        mp = torch.cat([m, m.new_zeros((E, N, Kp - K))], 2)
        np_ = torch.cat([n, n.new_zeros((E, Kp - K, N))], 1)
    msum = m.sum(1, keepdim=True)  # (E, 1, K)
    wsum = w.sum(1, keepdim=True)
    c = torch.baddbmm(2 * b[:, None, :], msum, n, alpha=-2)  # 2z = 4κ̄n + 2b − 2(1ᵀm)n
    n4 = 4 * np_
    am = (alpha * mp).transpose(1, 2).contiguous().transpose(1, 2)  # column-major: MKL's faster vec·mat
    kb = ((x0 + 1) / 2) * mp.sum(1, keepdim=True)  # κ̄_0
    functional = torch.compiler.is_compiling()  # no writes into slices of a buffer under torch.compile
    if functional:
        ss = [None] * S
    else:
        runs, sbuf, ss = _sigmoid_runs((E, 1, N), S, m)
        ss = list(ss)
    kbs = []
    for t in range(S):
        if functional:
            st = ss[t] = torch.baddbmm(c, kb, n4).sigmoid_()
        else:
            st = torch.baddbmm(c, kb, n4, out=ss[t])
            runs[t].sigmoid_()
        kbs.append(kb)
        kb = torch.baddbmm(kb, st, am, beta=1 - alpha)
    if functional:
        sbuf = torch.stack(ss)
    s = sbuf[:, :, 0].transpose(0, 1)  # (E, S, N) view
    L, decay = _discount(S, alpha, sbuf)
    o = _latent_readout(s, w, wsum, alpha, x0, L, decay)
    y, loss, e = _readout(o, b_out, tgt, T)
    cc = _times(e, L.T)  # (E, S): c_t, t = 1…S
    qbuf = torch.addcmul(sbuf, sbuf, sbuf, value=-1, out=_scratch("q", (S, E, 1, N), m))  # σ(1 − σ)
    q = qbuf[:, :, 0].transpose(0, 1)
    # g_t = dL/d[κ_t, o_t] = [r_t, c_t];  r_t = (1−α) r_{t+1} + δ_t nᵀ,  δ_t = dL/dz_t
    #       = 4α q_t ⊙ (r_{t+1} mᵀ + c_{t+1} w)
    if K <= J_TRICK_MAX_K:
        # r_t = r_{t+1} J_t + β_t, J_t = (1−α)I + 4α mᵀ diag(q_t) nᵀ, β_t = 4α c_{t+1} (q_t ⊙ w) nᵀ
        nT = n.transpose(1, 2)
        F = torch.cat([(m[:, :, :, None] * nT[:, :, None, :]).reshape(E, N, K * K), w[:, :, None] * nT], 2)
        Q = torch.bmm(F.transpose(1, 2), q.transpose(1, 2)).transpose(1, 2)  # (E, S, K² + K)
        eye = torch.eye(K, dtype=m.dtype, device=m.device)
        Js = torch.add(eye * (1 - alpha), Q[:, :, : K * K].reshape(E, S, K, K), alpha=4 * alpha).unbind(1)
        betas = ((4 * alpha) * cc[:, :, None] * Q[:, :, K * K :]).unbind(1)  # (E, K) each
        r = betas[S - 1][:, None, :]
        rs = [torch.zeros_like(r), r]
        for t in range(S - 2, -1, -1):
            r = torch.baddbmm(betas[t][:, None, :], r, Js[t])
            rs.append(r)
        R1 = torch.cat(rs[-2::-1], 1)  # (E, S, K): r_1 … r_S
        r0 = r[:, 0]
        G = torch.cat([R1, cc[:, :, None]], 2)  # (E, S, K+1): g_1 … g_S
        Pt = (4 * alpha) * torch.cat([m.transpose(1, 2), w[:, None, :]], 1)  # (E, K+1, N)
        D = torch.bmm(G, Pt, out=_scratch("D", (E, S, N), m)).mul_(q)  # δ_t, t = 0…S−1
        db = D.sum(1)
    else:
        mT4 = ((4 * alpha) * mp).transpose(1, 2).contiguous()  # row-major: MKL's faster vec·mat
        nT = np_.transpose(1, 2)
        Dbuf = torch.mul(qbuf, w[None, :, None, :], out=_scratch("D", (S, E, 1, N), m))
        Dbuf.mul_(((4 * alpha) * cc).T[:, :, None, None])  # the c part of δ_t
        Ds = list(Dbuf.unbind(0))
        r = torch.bmm(Ds[S - 1], nT)
        rs = [torch.zeros_like(r), r]
        for t in range(S - 2, -1, -1):
            v = torch.bmm(r, mT4)
            d = Ds[t] = torch.addcmul(Ds[t], v, qbuf[t]) if functional else Ds[t].addcmul_(v, qbuf[t])
            r = torch.baddbmm(r, d, nT, beta=1 - alpha)
            rs.append(r)
        if functional:
            Dbuf = torch.stack(Ds)
        db = _time_sum(Dbuf[:, :, 0])
        D = Dbuf[:, :, 0].transpose(0, 1)  # (E, S, N) view
        G = torch.cat([torch.cat(rs[-2::-1], 1)[:, :, :K], cc[:, :, None]], 2)
        r0 = r[:, 0, :K]
    kappa = torch.cat(kbs, 1)[:, :, :K].mul(2).sub_(msum)  # (E, S, K): κ_t, t = 0…S−1
    dn = torch.bmm(kappa.transpose(1, 2), D)
    g0 = torch.cat([r0, (1 - alpha) * cc[:, :1]], 1)
    rowterm = x0 * g0 - alpha * G.sum(1)  # (E, K+1)
    dPT = torch.baddbmm(rowterm[:, :, None], G.transpose(1, 2), s, alpha=2 * alpha)  # (E, K+1, N)
    grads = {"m": dPT[:, :K].transpose(1, 2), "n": dn, "b": db, "w_out": dPT[:, K], "b_out": e.sum(1)}
    return y[:, None, :], loss, grads


def _full_state(W, b, w, b_out, tgt, alpha, x0):
    """The full state x̄ = (x + 1)/2 (E, 1, N): 2z_t = 4x̄_t W + 2b − 2·1ᵀW, x̄_{t+1} = lerp(x̄_t, σ(2z_t), α).
    Time-major buffers (each step's slice contiguous).  Returns y, loss, e, x (S+1, E, N: x_0 … x_S) and
    D (S, E, N: dL/dz_t, t = 0 … S−1)."""
    E, N, _ = W.shape
    S = tgt.shape[-1]
    T = S // 2
    colsum = torch.bmm(W.new_ones((E, 1, N)), W)  # 1ᵀW
    b2 = 2 * b[:, None, :]
    c = torch.add(b2, colsum, alpha=-2)
    functional = torch.compiler.is_compiling()  # no writes into slices of a buffer under torch.compile
    if functional:
        xs, ss = [W.new_full((E, 1, N), (x0 + 1) / 2)] + [None] * S, [None] * S
    else:
        xbuf = _scratch("x", (S + 1, E, 1, N), W)
        runs, sbuf, ss = _sigmoid_runs((E, 1, N), S, W)
        xs, ss = list(xbuf.unbind(0)), list(ss)
        xs[0].fill_((x0 + 1) / 2)
    for t in range(S):
        out = None if functional else ss[t]
        if t == 0:  # x̄_0 W = (x0 + 1)/2 · 1ᵀW
            st = torch.add(b2, colsum, alpha=2 * x0, out=out)
        else:
            st = torch.baddbmm(c, xs[t], W, alpha=4, out=out)
        if functional:
            st = ss[t] = st.sigmoid_()
        else:
            runs[t].sigmoid_()
        xs[t + 1] = torch.lerp(xs[t], st, alpha, out=None if functional else xs[t + 1])
    if functional:
        xbuf, sbuf = torch.stack(xs), torch.stack(ss)
    x = xbuf[:, :, 0].mul_(2).sub_(1)  # x_t, (S+1, E, N)
    o = torch.bmm(w[:, None, :], x[1:].permute(1, 2, 0))[:, 0]
    y, loss, e = _readout(o, b_out, tgt, T)
    cc = _times(e, _discount(S, alpha, e)[0].T)  # c_t = dL/d(w·x_t) through the outputs alone, t = 1…S
    # dL/dx_t = c_t w + r_t,  r_t = (1−α) r_{t+1} + δ_t Wᵀ,  δ_t = 4α q_t ⊙ (c_{t+1} w + r_{t+1})
    q = torch.addcmul(sbuf, sbuf, sbuf, value=-1, out=_scratch("q", (S, E, 1, N), W))
    D = torch.mul(q, w[None, :, None, :], out=_scratch("D", (S, E, 1, N), W))
    D.mul_(((4 * alpha) * cc).T[:, :, None, None])
    WT = W.transpose(1, 2)
    qs, Ds = q.unbind(0), list(D.unbind(0))
    rh = torch.bmm(Ds[S - 1], WT).mul_(4 * alpha)  # 4α r_{S−1}
    for t in range(S - 2, -1, -1):
        d = Ds[t] = torch.addcmul(Ds[t], qs[t], rh) if functional else Ds[t].addcmul_(qs[t], rh)
        if t > 0:
            rh = torch.baddbmm(rh, d, WT, beta=1 - alpha, alpha=4 * alpha)
    if functional:
        D = torch.stack(Ds)
    return y, loss, e, x, D[:, :, 0]


def _contiguous(grads: dict) -> dict:
    return {k: v.contiguous() for k, v in grads.items()}


def _pad_units(N: int, like: Tensor) -> int:
    """How many zero units to add to N for per-network blocks of a multiple of ALIGN_BYTES: units with
    zero in- and outgoing weights, b and w_out leave the others and the loss as they are (their
    gradients are dropped)."""
    return _round_up(N, ALIGN_BYTES, like) - N


def _pad(t: Tensor, dims: tuple, P: int) -> Tensor:
    """``t`` with P zeros appended along each of ``dims`` (negative dims)."""
    spec = [0] * (2 * t.dim())
    for dim in dims:
        spec[2 * (-dim - 1) + 1] = P
    return torch.nn.functional.pad(t, spec)


def chunk_sizes(E: int, per_network_bytes: int) -> list[int]:
    """How :func:`rank_k_step` and :func:`full_canonical_step` split E networks: equal chunks (sizes
    differ by at most one) of about CHUNK_BYTES of recurrent weights, none of a lone network (E ≥ 2)."""
    if E < 2:
        return [E]
    count = min(-(-E * per_network_bytes // CHUNK_BYTES), E // 2)
    base, extra = divmod(E, max(1, count))
    return [base + 1] * extra + [base] * (max(1, count) - extra)


def _in_chunks(step, params: dict, per_network_bytes: int, *args) -> tuple[Tensor, Tensor, dict]:
    """``step(params, *args, out=...)`` over chunks of the networks (:func:`chunk_sizes`), results
    gathered.  In eager mode each chunk is handed ``out``, its slices of the whole gradients, and a step
    writes its large products straight into them: 300 full networks (three chunks) ran 1.05x faster per
    call than with the chunks' results concatenated, rank K = 100 1.19x (AMD EPYC, float32, one
    process); what a step returns elsewhere is copied in."""
    E = next(iter(params.values())).shape[0]
    sizes = chunk_sizes(E, per_network_bytes)
    if len(sizes) == 1:
        return step(params, *args)
    parts = zip(*(v.split(sizes) for v in params.values()), strict=True)
    chunks = [dict(zip(params, p, strict=True)) for p in parts]
    if torch.compiler.is_compiling():  # no writes into slices of a buffer under torch.compile
        ys, losses, grads = zip(*(step(chunk, *args) for chunk in chunks), strict=True)
        return torch.cat(ys), torch.cat(losses), {k: torch.cat([g[k] for g in grads]) for k in grads[0]}
    grads = {k: torch.empty(v.shape, dtype=v.dtype, device=v.device) for k, v in params.items()}
    views = zip(*(g.split(sizes) for g in grads.values()), strict=True)
    y = loss = None
    start = 0
    for size, chunk, view in zip(sizes, chunks, views, strict=True):
        out = dict(zip(grads, view, strict=True))
        y_c, loss_c, grads_c = step(chunk, *args, out=out)
        if y is None:
            y, loss = y_c.new_empty((E, *y_c.shape[1:])), loss_c.new_empty((E,))
        y[start : start + size], loss[start : start + size] = y_c, loss_c
        for k, target in out.items():
            if grads_c[k].data_ptr() != target.data_ptr():
                target.copy_(grads_c[k])
        start += size
    return y, loss, grads


def rank_k_step(params: dict, targets: Tensor, alpha: float, x0: float) -> tuple[Tensor, Tensor, dict]:
    """Rank-K canonical RNNs (``m`` (E, N, K), ``n`` (E, K, N), ``b`` (E, N), ``w_out`` (E, N), ``b_out``
    (E,)) on ``targets`` (1, S): (outputs (E, 1, S), loss (E,), grads with the keys and shapes of
    ``params``).  The code path depends on N and K only, see :func:`rank_k_path`; the networks run in
    chunks (:func:`chunk_sizes`)."""
    _, N, K = params["m"].shape
    streamed = N * N if rank_k_path(N, K) == "full_state" else 2 * K * N
    return _in_chunks(_rank_k_chunk, params, streamed * params["m"].element_size(), targets, alpha, x0)


def _rank_k_chunk(
    params: dict, targets: Tensor, alpha: float, x0: float, out: dict | None = None
) -> tuple[Tensor, Tensor, dict]:
    """One chunk of :func:`rank_k_step`; ``out``: tensors the large gradients may be written into."""
    m, n, b, w, b_out = (params[k] for k in ("m", "n", "b", "w_out", "b_out"))
    tgt = _targets(targets, m)
    E, N, K = m.shape
    path = rank_k_path(N, K)
    P = _pad_units(N, m)
    if P:
        m, n, b, w = _pad(m, (-2,), P), _pad(n, (-1,), P), _pad(b, (-1,), P), _pad(w, (-1,), P)
    if path == "rank_one":
        y, loss, grads = _rank_one(m, n, b, w, b_out, tgt, alpha, x0)
    elif path != "full_state":
        y, loss, grads = _rank_k_latent(m, n, b, w, b_out, tgt, alpha, x0)
    else:
        y, loss, grads = _rank_k_full(m, n, b, w, b_out, tgt, alpha, x0, None if P else out)
    if P:
        grads.update(
            m=grads["m"][:, :N], n=grads["n"][:, :, :N], b=grads["b"][:, :N], w_out=grads["w_out"][:, :N]
        )
    return y, loss, _contiguous(grads)


def _rank_k_full(m, n, b, w, b_out, tgt, alpha, x0, out=None):
    """Rank K on the full state, W = m n (dm and dn written into ``out``'s when given)."""
    out = out or {}
    E, N, K = m.shape
    S = tgt.shape[-1]
    W = torch.bmm(m, n, out=_scratch("W", (E, N, N), m))
    y, loss, e, x, D = _full_state(W, b, w, b_out, tgt, alpha, x0)
    xp = x[:-1].transpose(0, 1)  # (E, S, N): x_0 … x_{S−1}
    DE = D.transpose(0, 1)
    mk = m if _round_up(S * K, ALIGN_BYTES, m) == S * K else _colmajor(m)  # see the module notes
    kappa = torch.bmm(xp, mk, out=_scratch("kappa", (E, S, K), m))  # κ_t = x_t m
    dn = torch.bmm(kappa.transpose(1, 2), DE, out=out.get("n"))  # Σ_t κ_tᵀ δ_t
    dm = torch.bmm(xp.transpose(1, 2), torch.bmm(DE, n.transpose(1, 2)), out=out.get("m"))  # Σ_t x_tᵀ δ_t nᵀ
    dw = torch.bmm(e[:, None, :], x[1:].transpose(0, 1))[:, 0]
    grads = {"m": dm, "n": dn, "b": _time_sum(D), "w_out": dw, "b_out": e.sum(1)}
    return y[:, None, :], loss, grads


def full_canonical_step(
    params: dict, targets: Tensor, alpha: float, x0: float
) -> tuple[Tensor, Tensor, dict]:
    """Full canonical RNNs (``M`` (E, N, N), ``b`` (E, N), ``w_out`` (E, N), ``b_out`` (E,)) on ``targets``
    (1, S): (outputs (E, 1, S), loss (E,), grads with the keys and shapes of ``params``), in chunks of
    networks (:func:`chunk_sizes`)."""
    M = params["M"]
    return _in_chunks(_full_canonical_chunk, params, M.shape[1] ** 2 * M.element_size(), targets, alpha, x0)


def _full_canonical_chunk(params: dict, targets: Tensor, alpha: float, x0: float, out: dict | None = None):
    """One chunk of :func:`full_canonical_step`; ``out``: tensors dM may be written into."""
    M, b, w, b_out = (params[k] for k in ("M", "b", "w_out", "b_out"))
    N = M.shape[1]
    P = _pad_units(N, M)
    if P:
        M, b, w = _pad(M, (-1, -2), P), _pad(b, (-1,), P), _pad(w, (-1,), P)
    y, loss, e, x, D = _full_state(M, b, w, b_out, _targets(targets, M), alpha, x0)
    into = None if P or out is None else out["M"]
    dM = torch.bmm(x[:-1].permute(1, 2, 0), D.transpose(0, 1), out=into)  # Σ_t x_tᵀ δ_t
    dw = torch.bmm(e[:, None, :], x[1:].transpose(0, 1))[:, 0]
    grads = {"M": dM, "b": _time_sum(D), "w_out": dw, "b_out": e.sum(1)}
    if P:
        grads.update(M=dM[:, :N, :N], b=grads["b"][:, :N], w_out=dw[:, :N])
        grads = _contiguous(grads)
    return y[:, None, :], loss, grads
