"""The ``native`` kernel of the canonical RNN families (``rank_one``, ``rank_k``, ``full_canonical``): the
forward pass and backpropagation through time of their fused kernels (``models.RankOne.fused_step``,
:mod:`ghostlearn.rnn.kernels_canonical`), one network at a time in C++
(``canonical.cpp``), so that a network's weights stay in the core's cache for the whole trial instead of
streaming a batch of them from memory at every step (docs/engine.md, "Kernels").  Same maths, other float
path: equal to autograd up to rounding (tests/test_native.py checks float64 against autograd), and a
network's results do not depend on which others share the call.

The library is compiled on first use with the system's C++ compiler (``$CXX``, else g++) for AVX2 and FMA,
linked with glibc's vector maths (libmvec), and cached under ``$GHOSTLEARN_NATIVE_CACHE`` (default
``~/.cache/ghostlearn/native``), one file per source and compiler, written atomically so that jobs side
by side share it.  CPU tensors only: on another device the engine runs the fused kernel instead.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import torch
from torch import Tensor

from ghostlearn.rnn import kernels_canonical

SOURCE = Path(__file__).with_name("canonical.cpp")
FLAGS = ("-O3", "-mavx2", "-mfma", "-std=c++17", "-shared", "-fPIC")
LIBS = ("-lmvec", "-lm")
#: From this K on, rank K also keeps m and nᵀ with K along the rows, so that x_t m and n δ_t are sums
#: of rows like the other products (no horizontal sums): 1.24x at K = 50, 1.37x at K = 100 and 1.31x at
#: K = 30, but 0.93x at K = 16 and 0.72x at K = 10 (100 networks, AMD EPYC, float32, one process).
ROWS_MIN_K = 24

_LOCK = threading.Lock()
_LIBRARY: list = []  # [ctypes.CDLL], or [RuntimeError] once a build failed


def _cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def unavailable() -> str | None:
    """Why the native kernel cannot run on this machine, or None when it can."""
    missing = {"avx2", "fma"} - _cpu_flags()
    if missing:
        return f"the CPU lacks {', '.join(sorted(missing))}"
    if shutil.which(os.environ.get("CXX", "g++")) is None:
        return f"no C++ compiler ({os.environ.get('CXX', 'g++')}) on PATH"
    try:
        library()
    except RuntimeError as error:
        return str(error)
    return None


def _cache_dir() -> Path | None:
    """``$GHOSTLEARN_NATIVE_CACHE``, else ``$XDG_CACHE_HOME`` or ``~/.cache``, under ghostlearn/native;
    None where that cannot be created or written (a read-only home on a cluster node)."""
    if os.environ.get("GHOSTLEARN_NATIVE_CACHE"):
        path = Path(os.environ["GHOSTLEARN_NATIVE_CACHE"])
    else:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        path = Path(base) / "ghostlearn" / "native"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return path if os.access(path, os.W_OK | os.X_OK) else None


def _build(compiler: str, dest: Path) -> None:
    """Compile the library to ``dest`` atomically (a job beside this one sees the whole file or none)."""
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
        built = Path(tmp) / dest.name
        result = subprocess.run(
            [compiler, *FLAGS, "-o", str(built), str(SOURCE), *LIBS], capture_output=True, text=True
        )
        if result.returncode != 0:
            raise RuntimeError(f"native kernel: {compiler} failed to build {SOURCE.name}:\n{result.stderr}")
        os.replace(built, dest)


def library() -> ctypes.CDLL:
    """The compiled kernels (built on first use, then cached; without a writable cache, built into a
    private temporary directory for this process); RuntimeError with the reason when the build or the
    load fails, remembered so that it is not retried in this process."""
    if _LIBRARY:
        if isinstance(_LIBRARY[0], RuntimeError):
            raise _LIBRARY[0]
        return _LIBRARY[0]
    with _LOCK:
        if not _LIBRARY:
            try:
                _LIBRARY.append(_load())
            except RuntimeError as error:
                _LIBRARY.append(error)
    return library()


def _load() -> ctypes.CDLL:
    compiler = os.environ.get("CXX", "g++")
    try:
        version = subprocess.run([compiler, "--version"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        raise RuntimeError(f"native kernel: cannot run the C++ compiler {compiler!r} ({error})") from None
    key = hashlib.sha256("\n".join([SOURCE.read_text(), *FLAGS, *LIBS, version]).encode()).hexdigest()[:16]
    try:
        cache = _cache_dir()
        if cache is None:
            cache = Path(tempfile.mkdtemp(prefix="ghostlearn-native-"))  # private (0700), this process only
        path = cache / f"canonical_{key}.so"
        if not path.exists():
            _build(compiler, path)
        lib = ctypes.CDLL(str(path))
    except OSError as error:
        raise RuntimeError(f"native kernel: cannot build or load the library ({error})") from None
    P, Int, D = ctypes.c_void_p, ctypes.c_int, ctypes.c_double
    for suffix in ("f32", "f64"):
        getattr(lib, f"rank_one_{suffix}").argtypes = [Int] * 3 + [P] * 5 + [D] * 2 + [P] * 6
        getattr(lib, f"rank_k_{suffix}").argtypes = [Int] * 4 + [P] * 6 + [D] * 2 + [Int] + [P] * 7
        getattr(lib, f"full_state_{suffix}").argtypes = [Int] * 3 + [P] * 5 + [D] * 2 + [P] * 8
    return lib


def _function(name: str, like: Tensor):
    if like.device.type != "cpu":
        raise ValueError(f"native kernel: CPU tensors only, got {like.device}")
    suffix = {torch.float32: "f32", torch.float64: "f64"}.get(like.dtype)
    if suffix is None:
        raise ValueError(f"native kernel: float32 or float64 only, got {like.dtype}")
    return getattr(library(), f"{name}_{suffix}")


def _ptrs(*tensors: Tensor) -> list[ctypes.c_void_p]:
    """Data pointers of contiguous CPU tensors of one dtype (the C code reads them as that type)."""
    for t in tensors:
        if not t.is_contiguous() or t.dtype != tensors[0].dtype or t.device.type != "cpu":
            raise ValueError("native kernel: contiguous CPU tensors of one dtype only")
    return [ctypes.c_void_p(t.data_ptr()) for t in tensors]


def _targets(targets: Tensor, like: Tensor) -> Tensor:
    """The one trial of targets as a contiguous (S,) tensor of ``like``'s dtype (the fused kernels' check)."""
    return kernels_canonical._targets(targets, like).contiguous()


def rank_one_step(
    params: dict, targets: Tensor, alpha: float, x0: float, c: float
) -> tuple[Tensor, Tensor, dict]:
    """``models.RankOne.fused_step`` in C++ (the 1-D reduction of the rank-one network): (outputs (E, 1, S),
    loss (E,), grads of m, n, b, and of c where ``params`` has a per-network c; else ``c`` for all)."""
    m, n, b = (params[k].contiguous() for k in ("m", "n", "b"))
    E, N = m.shape
    cs = params["c"].contiguous() if "c" in params else m.new_full((E,), float(c))
    tgt = _targets(targets, m)
    S = tgt.shape[0]
    y, loss, dc = m.new_empty((E, S)), m.new_empty((E,)), m.new_empty((E,))
    dm, dn, db = (torch.empty_like(t) for t in (m, n, b))
    fn = _function("rank_one", m)
    fn(E, N, S, *_ptrs(m, n, b, cs, tgt), float(alpha), float(x0), *_ptrs(y, loss, dm, dn, db, dc))
    grads = {"m": dm, "n": dn, "b": db}
    if "c" in params:
        grads["c"] = dc
    return y[:, None, :], loss, grads


def rank_k_step(params: dict, targets: Tensor, alpha: float, x0: float) -> tuple[Tensor, Tensor, dict]:
    """:func:`ghostlearn.rnn.kernels_canonical.rank_k_step` in C++: (outputs (E, 1, S), loss (E,), grads).
    Every K on the state, x_t m then (x_t m) n: 2NK multiply-adds a step forward and 2NK backward (then
    the gradients of m and n over the stored trial), with m and n in cache; even at K = N this beat
    forming W = m n and stepping the full state (1.4x at K = 100, AMD EPYC, float32)."""
    m, n, b, w, b_out = (params[k].contiguous() for k in ("m", "n", "b", "w_out", "b_out"))
    E, N, K = m.shape
    tgt = _targets(targets, m)
    S = tgt.shape[0]
    y, loss = m.new_empty((E, S)), m.new_empty((E,))
    dm, dn, db, dw, dbo = (torch.empty_like(t) for t in (m, n, b, w, b_out))
    fn, by_rows = _function("rank_k", m), int(K >= ROWS_MIN_K)
    fn(
        E,
        N,
        K,
        S,
        *_ptrs(m, n, b, w, b_out, tgt),
        float(alpha),
        float(x0),
        by_rows,
        *_ptrs(y, loss, dm, dn, db, dw, dbo),
    )
    return y[:, None, :], loss, {"m": dm, "n": dn, "b": db, "w_out": dw, "b_out": dbo}


def full_canonical_step(
    params: dict, targets: Tensor, alpha: float, x0: float
) -> tuple[Tensor, Tensor, dict]:
    """:func:`ghostlearn.rnn.kernels_canonical.full_canonical_step` in C++: the time loop gives the states
    X (E, S+1, N) and dL/dz_t D (E, S, N), and the weight gradient Σ_t x_tᵀ δ_t is one batched product."""
    M, b, w, b_out = (params[k].contiguous() for k in ("M", "b", "w_out", "b_out"))
    E, N, _ = M.shape
    tgt = _targets(targets, M)
    S = tgt.shape[0]
    X, D = M.new_empty((E, S + 1, N)), M.new_empty((E, S, N))
    y, e, loss = M.new_empty((E, S)), M.new_empty((E, S)), M.new_empty((E,))
    db, dw, dbo = M.new_empty((E, N)), M.new_empty((E, N)), M.new_empty((E,))
    fn = _function("full_state", M)
    fn(E, N, S, *_ptrs(M, b, w, b_out, tgt), float(alpha), float(x0), *_ptrs(X, D, y, e, loss, db, dw, dbo))
    dM = torch.bmm(X[:, :S].transpose(1, 2), D)
    return y[:, None, :], loss, {"M": dM, "b": db, "w_out": dw, "b_out": dbo}
