"""The hand-written task-RNN kernels (ghostlearn.rnn.kernels_task) against autograd of the models' forward pass
and loss, in float64: outputs, losses and every parameter's gradient, per network."""

import pytest
import torch

from ghostlearn.rnn import kernels_task
from ghostlearn.rnn.engine import TaskData
from ghostlearn.rnn.models import init_networks, make_family
from ghostlearn.tasks import dcdt, dmts

DT = torch.float64
TASKS = {
    "dcdt": lambda: TaskData.from_table(dcdt(2, 10, 10, 2), dtype=DT),  # B = 4, S = 22
    "dmts": lambda: TaskData.from_table(dmts(6, 16, 10, 1), dtype=DT),  # B = 4, S = 38
}
KERNELS = {"task_low_rank": kernels_task.task_low_rank_step, "task_full": kernels_task.task_full_step}


def relative(actual, expected):
    return ((actual - expected).norm() / expected.norm().clamp_min(1e-300)).item()


def problem(name, K, readout, task_kind, E, noisy, seed=0):
    """Perturbed faithful initialisation, random r0 = tanh(0.3·randn) and noise (σ = 0.01) or None."""
    extra = {"readout": readout} | ({"K": K} if name == "task_low_rank" else {})
    family = make_family(name, **extra)
    params, _ = init_networks(family, list(range(10, 10 + E)), DT)
    g = torch.Generator().manual_seed(seed)
    # perturb every parameter (b_out and b start near 0, S_r at scale 1): all gradients get non-trivial
    params = {
        k: v + 0.5 * v.std(correction=0).clamp_min(0.1) * torch.randn(v.shape, generator=g, dtype=DT)
        for k, v in params.items()
    }
    task = TASKS[task_kind]()
    B, S = task.targets.shape
    r0 = torch.tanh(0.3 * torch.randn((E, B, family.N), generator=g, dtype=DT))
    noise = 0.01 * torch.randn((E, S, B, family.N), generator=g, dtype=DT) if noisy else None
    return family, params, task, r0, noise


def autograd_reference(family, params, task, r0, noise):
    leaves = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
    outputs = family.forward(leaves, task.targets, task.inputs, noise=noise, r0=r0)
    loss = family.loss(outputs, task.targets)
    grads = torch.autograd.grad(loss.sum(), list(leaves.values()))
    return outputs.detach(), loss.detach(), dict(zip(leaves, grads, strict=True))


def assert_matches(family, params, task, r0, noise, kernel):
    outputs, loss, grads = autograd_reference(family, params, task, r0, noise)
    k_outputs, k_loss, k_grads = kernel(
        params, task.targets, task.inputs, r0, noise, family.alpha, family.extra["readout"]
    )
    assert k_outputs.shape == outputs.shape and k_loss.shape == loss.shape
    # outputs lie in (-1, 1): atol 1e-13 only matters for outputs near 0 (tanh via 2σ(2z) − 1 rounds apart)
    torch.testing.assert_close(k_outputs, outputs, rtol=1e-12, atol=1e-13)
    for e in range(outputs.shape[0]):
        assert relative(k_outputs[e], outputs[e]) <= 1e-12
    torch.testing.assert_close(k_loss, loss, rtol=1e-12, atol=0)
    assert set(k_grads) == set(grads) == set(params)
    for key, grad in grads.items():
        assert k_grads[key].shape == params[key].shape, key
        assert k_grads[key].dtype == DT, key
        for e in range(grad.shape[0]):
            assert grad[e].norm() > 0, (key, e)  # the comparison below is not vacuous
            error = relative(k_grads[key][e], grad[e])
            assert error <= 1e-9, f"{key}[{e}]: relative error {error:.1e}"


CASES = [
    pytest.param(name, K, readout, task_kind, E, noisy, id=f"{name}-K{K}-{readout}-{task_kind}-E{E}-{tag}")
    for name, Ks in (("task_low_rank", (1, 2, 5)), ("task_full", (None,)))
    for K in Ks
    for readout, task_kind in (("tanh", "dcdt"), ("sigmoid", "dmts"))
    for E in (1, 3)
    for noisy, tag in ((True, "noise"), (False, "nonoise"))
]


@pytest.mark.parametrize(("name", "K", "readout", "task_kind", "E", "noisy"), CASES)
def test_kernel_equals_autograd(name, K, readout, task_kind, E, noisy):
    family, params, task, r0, noise = problem(name, K, readout, task_kind, E, noisy)
    assert_matches(family, params, task, r0, noise, KERNELS[name])


@pytest.mark.parametrize("readout", ["tanh", "sigmoid"])
@pytest.mark.parametrize("task_kind", ["dcdt", "dmts"])
@pytest.mark.parametrize("name", ["task_low_rank", "task_full"])
def test_kernel_with_zero_initial_state_and_no_noise(name, readout, task_kind):
    """Fig. 7 runs: r0 = 0 and noise None (the other readout/task pairings too)."""
    family, params, task, r0, _ = problem(name, 2, readout, task_kind, 2, False, seed=1)
    assert_matches(family, params, task, torch.zeros_like(r0), None, KERNELS[name])


@pytest.mark.parametrize("name", ["task_low_rank", "task_full"])
def test_chunked_paths_equal_autograd(name, monkeypatch):
    """Multi-chunk backward pass (low rank: chunks of steps) and networks in chunks (full rank)."""
    monkeypatch.setattr(kernels_task, "LOW_RANK_CHUNK_ELEMENTS", 3 * 4 * 100)  # 3 steps of B = 4
    monkeypatch.setattr(kernels_task, "FULL_CHUNK_BYTES", 2 * 100 * 100 * 8)  # 2 networks
    family, params, task, r0, noise = problem(name, 2, "sigmoid", "dmts", 5, True, seed=2)
    assert_matches(family, params, task, r0, noise, KERNELS[name])


def test_workspace_reuse_does_not_alias_results():
    """A second call of the same shape (reusing the work buffers) leaves the first call's results intact."""
    family, params, task, r0, noise = problem("task_low_rank", 2, "tanh", "dcdt", 1, True)
    args = (task.targets, task.inputs, r0, noise, family.alpha, "tanh")
    first = kernels_task.task_low_rank_step(params, *args)
    kept = (first[0].clone(), first[1].clone(), {k: v.clone() for k, v in first[2].items()})
    other = {k: 1.5 * v for k, v in params.items()}
    kernels_task.task_low_rank_step(other, *args)
    torch.testing.assert_close(first[0], kept[0], rtol=0, atol=0)
    for key in kept[2]:
        torch.testing.assert_close(first[2][key], kept[2][key], rtol=0, atol=0)
    family, params, task, r0, noise = problem("task_full", None, "tanh", "dcdt", 2, True)
    args = (task.targets, task.inputs, r0, noise, family.alpha, "tanh")
    first = kernels_task.task_full_step(params, *args)
    kept = {k: v.clone() for k, v in first[2].items()}
    kernels_task.task_full_step({k: 1.5 * v for k, v in params.items()}, *args)
    for key in kept:
        torch.testing.assert_close(first[2][key], kept[key], rtol=0, atol=0)


def test_float32_close_to_autograd():
    """The training dtype: same gradients as autograd up to float32 rounding."""
    for name in ("task_low_rank", "task_full"):
        family, params, task, r0, noise = problem(name, 2, "sigmoid", "dmts", 2, True)
        params32 = {k: v.float() for k, v in params.items()}
        task32 = TaskData(task.inputs.float(), task.targets.float())
        _, loss, grads = autograd_reference(family, params, task, r0, noise)  # float64 truth
        _, k_loss, k_grads = KERNELS[name](
            params32, task32.targets, task32.inputs, r0.float(), noise.float(), family.alpha, "sigmoid"
        )
        assert k_loss.dtype == torch.float32
        torch.testing.assert_close(k_loss.double(), loss, rtol=1e-5, atol=0)
        for key in grads:
            assert relative(k_grads[key].double(), grads[key]) < 1e-4, key


def test_unknown_readout_is_refused():
    family, params, task, r0, noise = problem("task_full", None, "tanh", "dcdt", 1, False)
    with pytest.raises(ValueError, match="readout"):
        kernels_task.task_full_step(params, task.targets, task.inputs, r0, None, family.alpha, "relu")


def test_module_does_not_import_models():
    """models.py delegates to this module: importing ghostlearn.rnn.models from it would be a cycle."""
    import ast
    from pathlib import Path

    tree = ast.parse(Path(kernels_task.__file__).read_text())
    imported = {
        alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    } | {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not any(name.startswith("ghostlearn") for name in imported), imported
