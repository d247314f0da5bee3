"""The native (C++) canonical kernels (ghostlearn.rnn.native) against autograd and the fused kernels.

Float64 against autograd of the models on random parameters (the helpers of test_kernels_canonical.py):
outputs and loss to 1e-12, every gradient of every network to 1e-9 relative; N that is and is not a
multiple of the vector width; float32 bitwise independent of how networks are grouped; training through
the engine equal to the fused kernel's up to rounding.
"""

import os

import pytest
import torch
from test_kernels_canonical import assert_matches_autograd as check_against_autograd
from test_kernels_canonical import random_params

from ghostlearn.rnn import native
from ghostlearn.rnn.engine import TaskData, Trainer, TrainSpec, train
from ghostlearn.rnn.models import CANONICAL_X0, make_family
from ghostlearn.tasks import dcdt, delayed_activation

DTYPE = torch.float64


@pytest.fixture(scope="module", autouse=True)
def built():
    """Skipped where the platform lacks what the kernel needs (no AVX2, no compiler: the fused kernel
    runs there); a failed build or load on a platform that has them is a failure."""
    reason = native.unavailable()
    if reason is not None and (reason.startswith("the CPU lacks") or reason.startswith("no C++ compiler")):
        pytest.skip(reason)
    assert reason is None, reason


def step(family):
    if family.name == "rank_one":
        return lambda params, targets, alpha, x0: native.rank_one_step(
            params, targets, alpha, x0, family.extra.get("c", 10.0)
        )
    return native.rank_k_step if family.name == "rank_k" else native.full_canonical_step


def assert_matches_autograd(family, params, targets):
    check_against_autograd(family, params, targets, step=step(family))


@pytest.mark.parametrize("by_rows", [False, True], ids=["dots", "rows"])
@pytest.mark.parametrize(
    ("N", "K"), [(100, 1), (100, 2), (100, 10), (100, 50), (100, 100), (13, 3), (7, 7), (8, 2), (20, 9)]
)
def test_rank_k_equals_autograd(N, K, by_rows, monkeypatch):
    """Both forms of the rank-K products (native.ROWS_MIN_K), K of one vector and of several."""
    monkeypatch.setattr(native, "ROWS_MIN_K", 1 if by_rows else 10**6)
    family = make_family("rank_k", N=N, K=K)
    targets = TaskData.from_table(delayed_activation(20), dtype=DTYPE).targets
    assert_matches_autograd(family, random_params(family, 3, seed=N + K), targets)


@pytest.mark.parametrize(("N", "T"), [(100, 20), (13, 7), (16, 5)])
def test_full_canonical_equals_autograd(N, T):
    family = make_family("full_canonical", N=N)
    targets = TaskData.from_table(delayed_activation(T), dtype=DTYPE).targets
    assert_matches_autograd(family, random_params(family, 3, seed=N), targets)


@pytest.mark.parametrize("c", ["fixed", "per_network", "trainable"])
@pytest.mark.parametrize(("N", "T"), [(100, 20), (13, 7)])
def test_rank_one_equals_autograd(N, T, c):
    """The 1-D reduction with the confidence c: the family's (10), one per network (a grid axis: no
    gradient asked, but the kernel's must still be right), or trained (Fig. 8B)."""
    family = make_family("rank_one", N=N, c=3.0, trainable_c=c == "trainable")
    targets = TaskData.from_table(delayed_activation(T), dtype=DTYPE).targets
    params = random_params(family, 3, seed=N)
    if c == "per_network":
        params["c"] = torch.tensor([0.5, 3.0, 12.0], dtype=DTYPE)
    assert_matches_autograd(family, params, targets)


def test_far_from_initialisation():
    """Saturating units (tanh at ±1, where exp overflows) and a large bias."""
    targets = TaskData.from_table(delayed_activation(20), dtype=DTYPE).targets
    for family in (make_family("rank_k", K=2), make_family("full_canonical")):
        params = {k: 6 * v for k, v in random_params(family, 2, seed=7).items()}
        assert_matches_autograd(family, params, targets)


@pytest.mark.parametrize(
    ("name", "N", "K"),
    [
        ("rank_one", 100, None),
        ("rank_k", 100, 5),
        ("rank_k", 13, 3),
        ("rank_k", 100, 30),
        ("full_canonical", 13, None),
    ],
)
def test_results_do_not_depend_on_how_networks_are_grouped(name, N, K):
    """Float32, bitwise: 5 networks in one call equal calls on 1, 2 and 2 of them (a lone one too)."""
    family = make_family(name, N=N, **({} if K is None else {"K": K}))
    targets = TaskData.from_table(delayed_activation(20)).targets
    params = {k: v.float() for k, v in random_params(family, 5, seed=3).items()}

    def call(p):
        y, loss, grads = step(family)(p, targets, family.alpha, CANONICAL_X0)
        return {"outputs": y, "loss": loss, **grads}

    together = call(params)
    parts = [
        call({k: v[part].clone() for k, v in params.items()})
        for part in (slice(0, 1), slice(1, 3), slice(3, 5))
    ]
    for key, value in together.items():
        assert value.dtype == torch.float32 and torch.isfinite(value).all(), key
        assert torch.equal(value, torch.cat([p[key] for p in parts])), key


@pytest.mark.parametrize("name", ["rank_one", "rank_k", "full_canonical"])
def test_native_training_follows_the_fused_kernel(name):
    """Through the engine, 12 epochs of SGD in float64: the same losses and parameters as the fused
    kernel's to rounding (the two differ only in the order of their sums; in the full model any two
    kernels, autograd included, drift apart from 1e-16 by about 30x every 5 epochs, so longer runs differ more)."""
    family = make_family(name, **({"K": 3} if name == "rank_k" else {}))
    task = TaskData.from_table(delayed_activation(20))
    runs = {}
    for kernel in ("fused", "native"):
        trainer = Trainer(
            family, task, TrainSpec([0, 1, 2], [0.01, 0.05, 0.2], 12, kernel=kernel, dtype="float64")
        )
        assert trainer.kernel_note == kernel  # native ran, not the fallback
        losses = torch.stack([trainer.step()["loss"] for _ in range(12)])
        runs[kernel] = losses, trainer.params
    torch.testing.assert_close(runs["native"][0], runs["fused"][0], rtol=1e-11, atol=0)
    for key, value in runs["fused"][1].items():
        torch.testing.assert_close(runs["native"][1][key], value, rtol=1e-9, atol=1e-12)


def test_native_is_refused_with_compile_and_for_families_without_it():
    task = TaskData.from_table(delayed_activation(20))
    with pytest.raises(ValueError, match="compile: the native kernel is compiled C\\+\\+ already"):
        Trainer(make_family("rank_k", K=2), task, TrainSpec([0], [0.1], 2, kernel="native", compile=True))
    with pytest.raises(ValueError, match="kernel: task_full has no native kernel"):
        Trainer(
            make_family("task_full"),
            TaskData.from_table(dcdt(2, 10, 10, 1)),
            TrainSpec([0], [0.1], 2, kernel="native"),
        )


def test_without_a_compiler_the_fused_kernel_runs_and_the_log_says_so(monkeypatch, tmp_path):
    monkeypatch.setattr(native, "_LIBRARY", [])
    monkeypatch.setenv("CXX", "no-such-compiler-here")
    family, task = make_family("rank_k", K=2), TaskData.from_table(delayed_activation(20))
    spec = TrainSpec([0, 1], [0.1, 0.2], 3, kernel="native")
    log = tmp_path / "log.txt"
    with open(log, "w") as handle:
        history, trainer = train(family, task, spec, tmp_path / "run", log=handle)
    assert trainer.kernel_note == "fused (native: no C++ compiler (no-such-compiler-here) on PATH)"
    assert "kernel: fused (native: no C++ compiler" in log.read_text()
    fused = Trainer(family, task, TrainSpec([0, 1], [0.1, 0.2], 3, kernel="fused"))
    expected = torch.stack([fused.step()["loss"] for _ in range(3)])
    assert torch.equal(torch.tensor(history["loss"].to_numpy()).view(3, 2), expected.float())


def test_a_failed_build_is_named_remembered_and_falls_back(monkeypatch, tmp_path):
    """A compiler that runs but cannot build: the reason names the compiler and its message, is not
    retried in the process, and the engine runs the fused kernel."""
    fake, calls = tmp_path / "fake-cxx", tmp_path / "calls.txt"
    fake.write_text(
        f'#!/bin/sh\necho "$1" >> {calls}\n'
        'if [ "$1" = --version ]; then echo fake 1.0; exit 0; fi\necho "no such luck" >&2\nexit 1\n'
    )
    fake.chmod(0o755)
    monkeypatch.setattr(native, "_LIBRARY", [])
    monkeypatch.setenv("GHOSTLEARN_NATIVE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("CXX", str(fake))
    with pytest.raises(RuntimeError, match="fake-cxx failed to build canonical.cpp:\nno such luck"):
        native.library()
    with pytest.raises(RuntimeError, match="failed to build"):
        native.library()
    task = TaskData.from_table(delayed_activation(20))
    trainer = Trainer(make_family("rank_k", K=2), task, TrainSpec([0], [0.1], 2, kernel="native"))
    assert trainer.kernel_note.startswith("fused (native: native kernel:")
    assert len(calls.read_text().splitlines()) == 2  # one version query, one build: not retried


def test_an_unwritable_cache_builds_in_a_private_directory(monkeypatch, tmp_path):
    blocked = tmp_path / "a-file"  # a cache path under a file cannot be created, even by root
    blocked.write_text("")
    monkeypatch.setattr(native, "_LIBRARY", [])
    monkeypatch.setenv("GHOSTLEARN_NATIVE_CACHE", str(blocked / "cache"))
    assert native._cache_dir() is None
    lib = native.library()
    assert str(tmp_path) not in lib._name and "ghostlearn-native-" in lib._name
    assert os.stat(os.path.dirname(lib._name)).st_mode & 0o077 == 0  # nobody else's to plant a file in


def test_mixed_dtypes_are_refused():
    family = make_family("rank_one")
    params = {k: v.float() for k, v in random_params(family, 2).items()}
    params["c"] = torch.tensor([1.0, 2.0], dtype=DTYPE)
    targets = TaskData.from_table(delayed_activation(20)).targets
    with pytest.raises(ValueError, match="contiguous CPU tensors of one dtype only"):
        native.rank_one_step(params, targets, 0.5, CANONICAL_X0, 10.0)
