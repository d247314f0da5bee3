"""Hand-written forward pass and backpropagation through time for the batched task RNNs (no autograd).

The two task families of :mod:`ghostlearn.rnn.models` (``TaskLowRank``, ``TaskFull``), E independent networks
on a leading axis sharing the task.  Per network, for t = 0 … S−1::

    o_t = φ(readout(r_t) + b_out)                 (read from r_t before the update)
    z_t = J r_t + w_in u_t + b + ξ_t,   r_{t+1} = (1 − α) r_t + α tanh(z_t)
    L   = mean over (trials, steps) of (o − target)²

with J r = (r S_l) S_r, readout = (r S_l)·w_out (low rank) or J r = r W_rec, readout = w_out·r (full).
:func:`task_low_rank_step` and :func:`task_full_step` return ``(outputs (E, B, S), loss (E,), grads)``,
``grads`` holding d loss_e / d param_e with the parameters' keys and shapes; they equal autograd of
``TaskFamily.forward`` + ``TaskFamily.loss`` up to float rounding.

How (both families):

* tanh(z) = 2σ(2z) − 1 (torch.tanh is ~3x slower than torch.sigmoid on some CPUs), so tanh' = 4σ(1 − σ),
  and the state is carried as r̂ = (r + 1)/2, which turns the update into one lerp, r̂' = r̂ + α(σ − r̂)
  (low rank: κ̂ = r̂ S_l, κ̂' = (1 − α)κ̂ + α σ S_l), with the constant parts folded into the input drive.
* The input drive w_in u_t + b rides in the recurrent product as two extra columns of the state
  ([r̂ | u_t | 1] @ [4 W; 2 w_in; 2b − 2·1ᵀW]), so one (b)addmm per step makes 2z_t, noise included.
* The z_{S−1} update never reaches an output (o_{S−1} reads r_{S−1}); it is skipped.
* Parameter gradients are whole-sequence sums, one GEMM over the stacked (step × trial) axis after the
  time loop.  Full rank: [r | u | 1]ᵀ [δ | g] gives dW_rec, dw_in, db, dw_out and db_out at once.
* Low rank: dL/dr_t = μ_t S_lᵀ stays in the K-dimensional span of S_l, with the K-vector recurrence
  μ_t = (1 − α) μ_{t+1} + g_t w_out + 4α μ_{t+1} Y_t,  Y_t[k', k] = Σ_n q_tn S_l[n, k'] S_r[k, n],
  q = σ(1 − σ).  All Y_t come from one GEMM of the q stack, so the backward time loop touches only
  (B, K) tensors, and δ_t = 4α q_t ⊙ (μ_{t+1} S_lᵀ) is never formed: its sums (dS_r, dw_in, db) come from
  one GEMM of the q stack against the (step × trial) products of μ with [κ | u | 1], dS_l from one of the σ
  stack against μ.
* Eager work buffers (the per-step stacks) are kept between calls (:data:`_WORKSPACE`, cleared by
  :func:`clear_workspace`): freshly allocated multi-MB tensors cost their page faults on every call.
  Under torch.compile they are ordinary graph temporaries.
* task_full splits large jobs into chunks of networks whose W_rec fits in cache
  (:data:`FULL_CHUNK_BYTES`); the per-step product is bound by streaming W_rec.

Everything is plain torch (no .item(), no numpy), for any device and dtype, and traces under
torch.compile(dynamic=False).
"""

from __future__ import annotations

import torch

#: Per-call work buffers, keyed by (name, shape, dtype, device); see :func:`clear_workspace`.
_WORKSPACE: dict[tuple, torch.Tensor] = {}
_WORKSPACE_MAX = 64
#: task_full processes networks in chunks of about this many bytes of W_rec (the per-step (B, N) x (N, N)
#: products stream W_rec; a chunk that stays in cache across the time loop runs about 2x faster).
FULL_CHUNK_BYTES = 2 * 2**20
#: task_low_rank's backward pass takes the σ stack in chunks of steps of about this many elements per
#: network (per network, not per job: the chunks set how the sums over time are grouped, so a chunk
#: length that depended on the job's size would round a network differently in jobs of other sizes).
LOW_RANK_CHUNK_ELEMENTS = 2**19


def clear_workspace() -> None:
    """Drop the cached work buffers (they are reused by calls of the same shapes)."""
    _WORKSPACE.clear()


def _buffer(name: str, shape, like: torch.Tensor) -> torch.Tensor:
    """An uninitialised work tensor, reused across eager calls of the same shape (fresh when compiling)."""
    if torch.compiler.is_compiling():
        return like.new_empty(shape)
    key = (name, tuple(shape), like.dtype, like.device)
    buf = _WORKSPACE.get(key)
    if buf is None:
        if len(_WORKSPACE) >= _WORKSPACE_MAX:
            _WORKSPACE.clear()
        buf = _WORKSPACE[key] = like.new_empty(shape)
    return buf


def _call_out(fn, dst, *args, **kwargs):
    return fn(*args, **kwargs, out=dst)


def _copy_into(fn, dst, *args, **kwargs):
    """``fn(..., out=dst)`` for torch.compile, which does not trace ``out=`` into non-contiguous views."""
    return dst.copy_(fn(*args, **kwargs))


def _writer():
    return _copy_into if torch.compiler.is_compiling() else _call_out


def _loss_terms(a: torch.Tensor, targets: torch.Tensor, readout: str):
    """Read-out pre-activations ``a`` (E, S, B) → outputs (E, B, S), loss (E,), g = dL/da (E, S, B)."""
    E, S, B = a.shape
    if readout == "tanh":
        o = torch.tanh(a)
        slope = 1 - o * o
    elif readout == "sigmoid":
        o = torch.sigmoid(a)
        slope = o * (1 - o)
    else:
        raise ValueError(f"readout: expected 'tanh' or 'sigmoid', got {readout!r}")
    residual = o - targets.T
    loss = residual.pow(2).sum((1, 2)) / (B * S)
    g = residual.mul_(slope).mul_(2.0 / (B * S))
    return o.transpose(1, 2), loss, g


def _t(x: torch.Tensor) -> torch.Tensor:
    return x.transpose(-2, -1)


# ---------------------------------------------------------------------------------------------------
# Full rank


def task_full_step(params, targets, inputs, r0, noise, alpha: float, readout: str):
    """Forward pass and BPTT of E full-rank task RNNs: ``(outputs (E, B, S), loss (E,), grads)``.

    ``params``: w_in (E, N), b (E, N), W_rec (E, N, N), w_out (E, N), b_out (E,); ``targets``, ``inputs``
    (B, S); ``r0`` (E, B, N); ``noise`` (E, S, B, N) scaled recurrent noise or None.
    """
    W = params["W_rec"]
    E, N = W.shape[0], W.shape[1]
    B, S = targets.shape
    result = (
        W.new_empty((E, B, S)),
        W.new_empty((E,)),
        {k: torch.empty_like(params[k]) for k in ("w_in", "b", "W_rec", "w_out", "b_out")},
    )
    chunk = E if torch.compiler.is_compiling() else max(1, FULL_CHUNK_BYTES // (N * N * W.element_size()))
    chunk = -(-E // -(-E // chunk))  # equal chunks (one set of work buffers)
    for i in range(0, E, chunk):
        j = min(E, i + chunk)
        _full(
            {k: v[i:j] for k, v in params.items()},
            targets,
            inputs,
            r0[i:j],
            None if noise is None else noise[i:j],
            alpha,
            readout,
            (result[0][i:j], result[1][i:j], {k: v[i:j] for k, v in result[2].items()}),
        )
    return result


def _full(params, targets, inputs, r0, noise, alpha, readout, out):
    w_in, b, W, w_out, b_out = (params[k] for k in ("w_in", "b", "W_rec", "w_out", "b_out"))
    E, N = b.shape
    B, S = targets.shape
    one = E == 1
    sq = (lambda x: x[0]) if one else (lambda x: x)
    put = _writer()
    # 2z = [r^ | u | 1] @ Wz (+ 2 noise) with r^ = (r + 1)/2
    Wz = _buffer("full.Wz", (E, N + 2, N), W)
    put(torch.mul, Wz[:, :N], W, 4)
    put(torch.mul, Wz[:, N], w_in, 2)
    put(torch.add, Wz[:, N + 1], b, W.sum(1), alpha=-1).mul_(2)
    R = _buffer("full.R", (E, S, B, N + 2), W)  # [r^_t | u_t | 1]
    R[..., N] = inputs.T
    R[..., N + 1].fill_(1)
    put(torch.mul, R[:, 0, :, :N], r0, 0.5).add_(0.5)
    sig = _buffer("full.sig", (E, S - 1, B, N), W)  # σ(2 z_t)
    Wz_ = sq(Wz)
    Rt = sq(R).unbind(-3)
    Rn = sq(R[..., :N]).unbind(-3)
    st_ = sq(sig).unbind(-3)
    nt = None if noise is None else sq(noise).unbind(-3)
    if one:
        for t in range(S - 1):
            st = st_[t]
            if nt is None:
                put(torch.mm, st, Rt[t], Wz_)
            else:
                put(torch.addmm, st, nt[t], Rt[t], Wz_, beta=2)
            st.sigmoid_()
            put(torch.lerp, Rn[t + 1], Rn[t], st, alpha)
    else:
        ztmp = _buffer("full.z", (E, B, N), W)
        for t in range(S - 1):
            if nt is None:
                put(torch.bmm, ztmp, Rt[t], Wz_)
            else:
                put(torch.baddbmm, ztmp, nt[t], Rt[t], Wz_, beta=2)
            put(torch.sigmoid, st_[t], ztmp)
            put(torch.lerp, Rn[t + 1], Rn[t], st_[t], alpha)
    # read-out a_t = w_out·r_t + b_out = [r^ | u | 1] · [2 w_out, 0, b_out − Σ w_out]
    v = _buffer("full.v", (E, 1, N + 2), W)
    put(torch.mul, v[:, 0, :N], w_out, 2)
    v[:, 0, N].zero_()
    put(torch.sub, v[:, 0, N + 1], b_out, w_out.sum(1))
    a = torch.bmm(v, _t(R.view(E, S * B, N + 2))).view(E, S, B)
    outputs, loss, g = _loss_terms(a, targets, readout)
    out[0].copy_(outputs)
    out[1].copy_(loss)
    # backward: D_t = [δ_t | g_t] with δ_t = dL/dz_t; ρ~_t = 4α dL/dr_t
    #   ρ~_t = (1 − α) ρ~_{t+1} + 4α (δ_t W_recᵀ + g_t w_outᵀ),   δ_t = ρ~_{t+1} ⊙ σ_t(1 − σ_t)
    D = _buffer("full.D", (E, S, B, N + 1), W)
    D[..., N] = g
    D[:, S - 1, :, :N].zero_()
    Q = put(torch.addcmul, _buffer("full.Q", sig.shape, W), sig, sig, sig, value=-1)
    Qt = sq(Q).unbind(-3)
    Dn = sq(D[..., :N]).unbind(-3)
    # [δ | g] @ [W_recᵀ; w_outᵀ] in one product (a transposed copy of W_rec: the product with a transposed
    # view is slower)
    U = _buffer("full.U", (E, N + 1, N), W)
    U[:, :N] = _t(W)
    U[:, N] = w_out
    U_ = sq(U)
    Dt = sq(D).unbind(-3)
    mm, gemm = (torch.mm, torch.addmm) if one else (torch.bmm, torch.baddbmm)
    rho = mm(Dt[S - 1], U_).mul_(4 * alpha)
    for t in range(S - 2, -1, -1):
        put(torch.mul, Dn[t], rho, Qt[t])
        rho = gemm(rho, Dt[t], U_, beta=1 - alpha, alpha=4 * alpha)
    # whole-sequence sums: G = Σ_t [r^ | u | 1]ᵀ [δ | g]
    G = torch.bmm(_t(R.view(E, S * B, N + 2)), D.view(E, S * B, N + 1))  # (E, N+2, N+1)
    db = G[:, N + 1, :N]
    db_out = G[:, N + 1, N]
    grads = out[2]
    grads["w_in"].copy_(G[:, N, :N])
    grads["b"].copy_(db)
    grads["b_out"].copy_(db_out)
    # dW_rec = Σ_t r_tᵀ δ_t = 2 Σ r^ᵀ δ − 1 dbᵀ;  dw_out = Σ_t r_tᵀ g_t = 2 Σ r^ᵀ g − db_out
    ones = W.new_ones((E, N, 1))
    put(torch.baddbmm, grads["W_rec"], G[:, :N, :N], ones, db[:, None, :], beta=2, alpha=-1)
    put(torch.sub, grads["w_out"], 2 * G[:, :N, N], db_out[:, None])


# ---------------------------------------------------------------------------------------------------
# Low rank


def task_low_rank_step(params, targets, inputs, r0, noise, alpha: float, readout: str):
    """Forward pass and BPTT of E low-rank task RNNs: ``(outputs (E, B, S), loss (E,), grads)``.

    ``params``: w_in (E, N), b (E, N), S_l (E, N, K), S_r (E, K, N), w_out (E, K), b_out (E,);
    ``targets``, ``inputs`` (B, S); ``r0`` (E, B, N); ``noise`` (E, S, B, N) or None.
    """
    w_in, b, S_l, S_r, w_out, b_out = (params[k] for k in ("w_in", "b", "S_l", "S_r", "w_out", "b_out"))
    E, N, K = S_l.shape
    B, S = targets.shape
    one = E == 1
    sq = (lambda x: x[0]) if one else (lambda x: x)
    put = _writer()
    S_lT = _t(S_l).contiguous()  # (E, K, N)
    c = S_l.sum(1)  # (E, K) = 1ᵀ S_l;  κ = r S_l = 2 κ^ − c with κ^ = r^ S_l
    # 2z = [κ^ | u | 1]ᵀ-rows @ Wz (+ 2 noise); the latent is kept K-major, A_t = [κ^_t; u_t; 1] (K+2, B)
    Wz = torch.cat(
        [4 * S_r, 2 * w_in[:, None, :], (2 * b - 2 * torch.bmm(c[:, None, :], S_r)[:, 0])[:, None, :]], 1
    )
    A = _buffer("lr.A", (E, S, K + 2, B), S_l)
    A[:, :, K] = inputs.T
    A[:, :, K + 1].fill_(1)
    A[:, 0, :K] = (torch.bmm(S_lT, _t(r0)) + c[:, :, None]) * 0.5
    sig = _buffer("lr.sig", (E, S - 1, B, N), S_l)
    aS_lT = sq(alpha * S_lT)
    Wz_ = sq(Wz)
    At = sq(A).unbind(-3)
    Ak = sq(A[:, :, :K]).unbind(-3)
    st_ = sq(sig).unbind(-3)
    nt = None if noise is None else sq(noise).unbind(-3)
    if one:
        for t in range(S - 1):
            st = st_[t]
            if nt is None:
                put(torch.mm, st, At[t].T, Wz_)
            else:
                put(torch.addmm, st, nt[t], At[t].T, Wz_, beta=2)
            st.sigmoid_()
            put(torch.addmm, Ak[t + 1], Ak[t], aS_lT, st.T, beta=1 - alpha)
    else:
        ztmp = _buffer("lr.z", (E, B, N), S_l)
        for t in range(S - 1):
            if nt is None:
                put(torch.bmm, ztmp, _t(At[t]), Wz_)
            else:
                put(torch.baddbmm, ztmp, nt[t], _t(At[t]), Wz_, beta=2)
            put(torch.sigmoid, st_[t], ztmp)
            Ak[t + 1].copy_(torch.baddbmm(Ak[t], aS_lT, _t(st_[t]), beta=1 - alpha))
    kappa = 2 * A[:, :, :K] - c[:, None, :, None]  # (E, S, K, B): the latent r_t S_l
    a = torch.bmm(w_out[:, None, :], kappa.transpose(1, 2).reshape(E, K, S * B)).view(E, S, B)
    outputs, loss, g = _loss_terms(a + b_out[:, None, None], targets, readout)
    # backward in the K-dim latent space, in chunks of steps (their σ(1 − σ) stays in cache)
    # M[(k', k), n] = 4α S_l[n, k'] S_r[k, n]
    M = ((4 * alpha) * (S_lT[:, :, None, :] * S_r[:, None, :, :])).reshape(E, K * K, N)
    gw = g[:, :, None, :] * w_out[:, None, :, None]  # (E, S, K, B): g_t w_out
    mu = _buffer("lr.mu", (E, S, K, B), S_l)  # μ_t = dL/dκ_t accumulated: dL/dr_t = μ_t S_lᵀ
    mu[:, S - 1] = gw[:, S - 1]
    mut = mu.unbind(1)
    gwt = gw.unbind(1)
    lhs = torch.cat([kappa, A[:, :, K:]], 2)  # (E, S, K+2, B): [κ_t; u_t; 1]
    Z = S_l.new_zeros((E, (K + 2) * K, N))  # Σ_t [κ | u | 1]_t ⊗ μ_{t+1} · q_t
    sm = S_l.new_zeros((E, K, N))  # Σ_t μ_{t+1}ᵀ σ_t
    T = S - 1
    chunk = max(1, LOW_RANK_CHUNK_ELEMENTS // (B * N))  # steps: the same in every job size
    Qbuf = _buffer("lr.Q", (E, min(chunk, T) * B, N), S_l)
    Lbuf = _buffer("lr.L", (E, K + 2, K, min(chunk, T), B), S_l)
    t1 = T
    while t1 > 0:
        t0 = max(0, t1 - chunk)
        n = t1 - t0
        sc = sig[:, t0:t1].reshape(E, n * B, N)
        Qc = put(torch.addcmul, Qbuf[:, : n * B], sc, sc, sc, value=-1)  # σ(1 − σ)
        if one:  # 4α Y_t[k', k]
            Y = torch.mm(M[0], Qc[0].T).view(1, K, K, n, B)
        else:
            Y = _t(torch.bmm(Qc, _t(M))).view(E, K, K, n, B)
        Y.diagonal(0, 1, 2).add_(1 - alpha)
        Yk = [Y[:, k].unbind(2) for k in range(K)]  # Yk[k'][i]: (E, K, B)
        for t in range(t1 - 1, t0 - 1, -1):
            nxt, cur, i = mut[t + 1], mut[t], t - t0
            put(torch.addcmul, cur, gwt[t], nxt[:, 0:1], Yk[0][i])
            for k in range(1, K):
                cur.addcmul_(nxt[:, k : k + 1], Yk[k][i])
        m1 = mu[:, t0 + 1 : t1 + 1].transpose(1, 2)  # (E, K, n, B): μ_{t+1}
        L = put(torch.mul, Lbuf[:, :, :, :n], lhs[:, t0:t1].transpose(1, 2)[:, :, None], m1[:, None])
        L = L.view(E, (K + 2) * K, n * B)
        Z.baddbmm_(L, Qc)
        sm.baddbmm_(m1.reshape(E, K, n * B), sc)
        t1 = t0
    Z = Z.view(E, K + 2, K, N)
    Zs = (4 * alpha) * (Z * S_lT[:, None]).sum(2)  # (E, K+2, N)
    # dS_lᵀ = μ_0 r_0 + 2α Σ_t μ_{t+1} σ_t − α (Σ_t μ_{t+1}) 1ᵀ
    dS_lT = torch.baddbmm((2 * alpha) * sm - alpha * mu[:, 1:].sum((1, 3))[:, :, None], mu[:, 0], r0)
    grads = {
        "w_in": Zs[:, K],
        "b": Zs[:, K + 1],
        "S_l": _t(dS_lT).contiguous(),
        "S_r": Zs[:, :K],
        "w_out": (kappa * g[:, :, None, :]).sum((1, 3)),
        "b_out": g.sum((1, 2)),
    }
    return outputs, loss, grads
