"""The hand-written canonical kernels (ghostlearn.rnn.kernels_canonical) against autograd of the models.

Float64, random parameters (the faithful initialisation plus perturbations of a realistic size, with a
non-zero bias), the delayed-activation targets of T = 20; outputs and loss to 1e-12, every gradient of
every network to 1e-9 relative error (‖a − b‖ / ‖b‖), through each code path of the kernels.  And, in
float32, bitwise independence of how networks are grouped into calls.
"""

import ast
import inspect

import pytest
import torch

from ghostlearn.rnn import kernels_canonical as kc
from ghostlearn.rnn.engine import TaskData
from ghostlearn.rnn.models import CANONICAL_X0, init_networks, make_family
from ghostlearn.tasks import delayed_activation

DTYPE = torch.float64


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Small matrix products: one thread is faster, and far faster on a busy machine (restored after)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def targets():
    return TaskData.from_table(delayed_activation(20), dtype=DTYPE).targets


def random_params(family, E, seed=0):
    """The faithful initialisation of E networks, moved off it: every entry gets Gaussian noise of half
    the initial scale 1/√N (b and b_out included, so the bias is not zero)."""
    params, _ = init_networks(family, list(range(10, 10 + E)), DTYPE)
    g = torch.Generator().manual_seed(seed)
    scale = 0.5 / family.N**0.5
    return {k: v + scale * torch.randn(v.shape, generator=g, dtype=DTYPE) for k, v in params.items()}


def autograd_reference(family, params, targets):
    leaves = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    outputs = family.forward(leaves, targets)
    loss = family.loss(outputs, targets)
    grads = torch.autograd.grad(loss.sum(), list(leaves.values()))
    return outputs.detach(), loss.detach(), dict(zip(leaves, grads, strict=True))


def kernel(family):
    return kc.rank_k_step if family.name == "rank_k" else kc.full_canonical_step


def relative_error(actual, expected):
    return ((actual - expected).norm() / expected.norm()).item()


def assert_matches_autograd(family, params, targets, step=None):
    """``step`` (default: this module's kernel of the family) against autograd; also used for the native
    kernels (tests/test_native.py)."""
    outputs, loss, grads = autograd_reference(family, params, targets)
    k_outputs, k_loss, k_grads = (step or kernel(family))(params, targets, family.alpha, CANONICAL_X0)
    torch.testing.assert_close(k_outputs, outputs, rtol=1e-12, atol=0)
    torch.testing.assert_close(k_loss, loss, rtol=1e-12, atol=0)
    assert set(k_grads) == set(grads)
    E = loss.shape[0]
    for name, expected in grads.items():
        assert k_grads[name].shape == params[name].shape, name
        assert k_grads[name].dtype == DTYPE
        for e in range(E):
            assert expected[e].norm() > 0, (name, e)  # a meaningful relative error
            error = relative_error(k_grads[name][e], expected[e])
            assert error <= 1e-9, f"{name}[{e}]: relative error {error:.1e}"


@pytest.mark.parametrize("E", [1, 3])
@pytest.mark.parametrize("K", [1, 2, 10, 100])
def test_rank_k_equals_autograd(K, E, targets):
    family = make_family("rank_k", K=K)
    assert_matches_autograd(family, random_params(family, E, seed=K), targets)


@pytest.mark.parametrize("E", [1, 3])
def test_full_canonical_equals_autograd(E, targets):
    family = make_family("full_canonical")
    assert_matches_autograd(family, random_params(family, E), targets)


@pytest.mark.parametrize(("N", "K"), [(7, 3), (7, 6), (7, 7), (12, 1), (13, 1)])
def test_small_networks(N, K, targets):
    """Small N: K + 1 = N and K = N take the full-state path, the others the latent one."""
    family = make_family("rank_k", N=N, K=K)
    assert_matches_autograd(family, random_params(family, 3, seed=N + K), targets)
    full = make_family("full_canonical", N=N)
    assert_matches_autograd(full, random_params(full, 2, seed=N), targets)


@pytest.mark.parametrize(
    "setting",
    [
        {"J_TRICK_MAX_K": 3},  # latent, backward through the K×K step Jacobians
        {"J_TRICK_MAX_K": 0},  # latent, backward step by step
        {"LATENT_MAX_K": 0},  # full state with W = m n
    ],
    ids=["jacobians", "steps", "full_state"],
)
def test_every_rank_k_path(setting, targets, monkeypatch):
    for key, value in setting.items():
        monkeypatch.setattr(kc, key, value)
    family = make_family("rank_k", N=20, K=3)
    assert_matches_autograd(family, random_params(family, 3, seed=5), targets)


@pytest.mark.parametrize("K", [1, 2, 5, 19])
def test_other_trial_length(K):
    """T = 7 (S = 14): nothing is tied to the 40 steps of the paper's task."""
    short = TaskData.from_table(delayed_activation(7), dtype=DTYPE).targets
    family = make_family("rank_k", N=20, K=K)
    assert_matches_autograd(family, random_params(family, 2, seed=K), short)


def test_far_from_initialisation(targets):
    """Large weights (a strongly driven, saturating network) and a large bias."""
    family = make_family("rank_k", K=2)
    params = random_params(family, 2, seed=7)
    params = {k: 6 * v for k, v in params.items()}
    assert_matches_autograd(family, params, targets)


def test_results_do_not_alias_reused_buffers(targets):
    """The kernels reuse scratch buffers between calls; what they return must not live in them."""
    for family in (make_family("rank_k", K=1), make_family("rank_k", K=10), make_family("full_canonical")):
        first = kernel(family)(random_params(family, 2, seed=1), targets, family.alpha, CANONICAL_X0)
        kept = [first[0].clone(), first[1].clone(), {k: v.clone() for k, v in first[2].items()}]
        kernel(family)(random_params(family, 2, seed=2), targets, family.alpha, CANONICAL_X0)
        assert torch.equal(first[0], kept[0]) and torch.equal(first[1], kept[1])
        for key, value in kept[2].items():
            assert torch.equal(first[2][key], value), (family.name, key)


@pytest.mark.parametrize(
    ("name", "N", "K", "T"),
    [("rank_k", 100, 10, 20), ("rank_k", 13, 1, 7), ("rank_k", 13, 3, 7), ("full_canonical", 13, None, 7)],
)
def test_float32_follows_float64(name, N, K, T):
    """Float32 (with its own padding of N and S for alignment, see the kernels' notes) near float64."""
    family = make_family(name, N=N, **({} if K is None else {"K": K}))
    targets = TaskData.from_table(delayed_activation(T), dtype=DTYPE).targets
    params = random_params(family, 2, seed=3)
    single = {k: v.float() for k, v in params.items()}
    y64, loss64, g64 = kernel(family)(params, targets, family.alpha, CANONICAL_X0)
    y32, loss32, g32 = kernel(family)(single, targets.float(), family.alpha, CANONICAL_X0)
    assert y32.dtype == loss32.dtype == torch.float32
    torch.testing.assert_close(loss32.double(), loss64, rtol=1e-4, atol=0)
    for key in g64:
        assert g32[key].dtype == torch.float32
        assert relative_error(g32[key].double(), g64[key]) < 1e-4, key


GROUPING_CASES = [  # (family, K, {setting: value}, the path it must take); K = None: full_canonical
    ("rank_k", 1, {}, "rank_one"),
    ("rank_k", 2, {}, "latent_jacobian"),
    ("rank_k", 3, {"J_TRICK_MAX_K": 3}, "latent_jacobian"),
    ("rank_k", 3, {}, "latent_steps"),
    ("rank_k", 10, {}, "latent_steps"),
    ("rank_k", 3, {"LATENT_MAX_K": 0}, "full_state"),
    ("full_canonical", None, {}, None),
]


@pytest.mark.parametrize(("N", "T"), [(100, 20), (13, 7)], ids=["N100-T20", "N13-T7"])
@pytest.mark.parametrize(
    ("name", "K", "setting", "path"), GROUPING_CASES, ids=[f"{c[3] or c[0]}-K{c[1]}" for c in GROUPING_CASES]
)
def test_results_do_not_depend_on_how_networks_are_grouped(name, K, setting, path, N, T, monkeypatch):
    """Float32, bitwise: 4 networks in one call equal calls on 2 + 2 of them, and 6 equal 3 + 3 (a lone
    network may take other vector paths and is exempt).  N = 13, T = 7 exercise the padding of N and S."""
    for key, value in setting.items():
        monkeypatch.setattr(kc, key, value)
    family = make_family(name, N=N, **({} if K is None else {"K": K}))
    if path is not None:
        assert kc.rank_k_path(N, K) == path
    targets = TaskData.from_table(delayed_activation(T)).targets
    step = kernel(family)

    def call(params):
        y, loss, grads = step(params, targets, family.alpha, CANONICAL_X0)
        return {"outputs": y.clone(), "loss": loss.clone(), **{k: g.clone() for k, g in grads.items()}}

    for E in (4, 6):
        params = {k: v.float() for k, v in random_params(family, E, seed=E).items()}
        together = call(params)
        assert together["loss"].dtype == torch.float32
        halves = [
            call({k: v[part].clone() for k, v in params.items()})
            for part in (slice(E // 2), slice(E // 2, E))
        ]
        for key, value in together.items():
            assert torch.isfinite(value).all(), key
            assert torch.equal(value, torch.cat([half[key] for half in halves])), f"{E} networks: {key}"


@pytest.mark.parametrize("K", [1, 2, 5, 19, None])
def test_no_tensor_leaves_the_parameters_device(K):
    """On the meta device every intermediate must follow the inputs (nothing built on the CPU, no .item())."""
    E, N, S = 3, 20, 14
    meta = {"device": "meta", "dtype": torch.float32}
    params = {
        "b": torch.empty(E, N, **meta),
        "w_out": torch.empty(E, N, **meta),
        "b_out": torch.empty(E, **meta),
    }
    if K is None:
        params["M"] = torch.empty(E, N, N, **meta)
        step = kc.full_canonical_step
    else:
        params["m"], params["n"] = torch.empty(E, N, K, **meta), torch.empty(E, K, N, **meta)
        step = kc.rank_k_step
    outputs, loss, grads = step(params, torch.empty(1, S, **meta), 0.5, CANONICAL_X0)
    assert outputs.shape == (E, 1, S) and loss.shape == (E,)
    assert all(grads[k].shape == v.shape and grads[k].is_meta for k, v in params.items())


def test_kernels_do_not_import_models():
    """models.py delegates to the kernels: importing ghostlearn.rnn.models from there would be a cycle."""
    tree = ast.parse(inspect.getsource(kc))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    assert not any(name.startswith("ghostlearn") for name in imported), imported


@pytest.mark.parametrize(
    ("E", "per_network", "expected"),
    [
        (1, 10**9, [1]),
        (3, 10**9, [3]),
        (7, 10**9, [3, 2, 2]),
        (300, 40_000, [100, 100, 100]),
        (100, 40_000, [100]),
    ],
)
def test_chunk_sizes(E, per_network, expected):
    """Equal chunks of about CHUNK_BYTES of weights, never a lone network, never more than E networks."""
    assert kc.chunk_sizes(E, per_network) == expected


@pytest.mark.parametrize(
    ("name", "K"), [("rank_k", 1), ("rank_k", 3), ("rank_k", 20), ("full_canonical", None)]
)
def test_chunked_calls_equal_one_call(name, K, monkeypatch):
    """Float32, bitwise: 7 networks split into chunks of 3 + 2 + 2 give what one call of all 7 gives."""
    family = make_family(name, N=20, **({} if K is None else {"K": K}))
    targets = TaskData.from_table(delayed_activation(7)).targets
    params = {k: v.float() for k, v in random_params(family, 7, seed=3).items()}
    results = []
    for chunk_bytes in (2**40, 1):
        monkeypatch.setattr(kc, "CHUNK_BYTES", chunk_bytes)
        y, loss, grads = kernel(family)(params, targets, family.alpha, CANONICAL_X0)
        results.append(
            {"outputs": y.clone(), "loss": loss.clone(), **{k: g.clone() for k, g in grads.items()}}
        )
    assert kc.chunk_sizes(7, 1) == [3, 2, 2]
    for key, value in results[0].items():
        assert torch.equal(value, results[1][key]), key
