"""The engine's families against the per-network reference modules (tests/reference_models.py), which
reproduce the authors' scripts: initialisation bit for bit, losses, gradients and recorded quantities."""

import pytest
import reference_models as ref
import torch

from ghostlearn.rnn.engine import TaskData, Trainer, TrainSpec
from ghostlearn.rnn.models import init_networks, make_family
from ghostlearn.tasks import dcdt, delayed_activation, dmts

SEEDS = [0, 3, 40]
CANONICAL = [
    ("rank_one", {}, lambda s: ref.rank_one(s)),
    ("rank_one", {"trainable_c": True}, lambda s: ref.rank_one(s, trainable_c=True)),
    ("rank_k", {"K": 3}, lambda s: ref.rank_k(s, K=3)),
    ("full_canonical", {}, lambda s: ref.full_canonical(s)),
]
TASK = [
    (
        "task_low_rank",
        {"K": 2, "readout": "tanh"},
        lambda s: ref.task_rnn_low_rank(s, K=2, readout="tanh"),
        "dcdt",
    ),
    (
        "task_low_rank",
        {"K": 2, "readout": "sigmoid"},
        lambda s: ref.task_rnn_low_rank(s, K=2, readout="sigmoid"),
        "dmts",
    ),
    ("task_full", {"readout": "tanh"}, lambda s: ref.task_rnn_full(s, readout="tanh"), "dcdt"),
    ("task_full", {"readout": "sigmoid"}, lambda s: ref.task_rnn_full(s, readout="sigmoid"), "dmts"),
]
ALL = [(name, extra, build) for name, extra, build in CANONICAL] + [(n, e, b) for n, e, b, _ in TASK]


@pytest.mark.parametrize(("name", "extra", "build"), ALL, ids=lambda v: str(v) if isinstance(v, str) else "")
def test_initialisation_is_the_authors_bit_for_bit(name, extra, build):
    params, _ = init_networks(make_family(name, **extra), SEEDS)
    for i, seed in enumerate(SEEDS):
        reference = build(seed).named_engine_parameters()
        assert set(reference) == set(params)
        for key, value in reference.items():
            assert torch.equal(params[key][i], value.detach().reshape(params[key][i].shape)), (key, seed)


def assert_relative(actual, expected, tol=1e-5):
    """‖actual − expected‖ ≤ tol·‖expected‖ (relative error of the whole tensor)."""
    expected = expected.reshape(actual.shape)
    error = (actual - expected).norm() / expected.norm().clamp_min(1e-30)
    assert error <= tol, f"relative error {error:.2e} > {tol:.0e}"


def _grads(trainer, params):
    leaves = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
    outputs, loss = trainer.evaluate(leaves)
    grads = torch.autograd.grad(loss.sum(), list(leaves.values()))
    return loss.detach(), dict(zip(leaves, grads, strict=True)), outputs.detach()


@pytest.mark.parametrize(
    ("name", "extra", "build"), CANONICAL, ids=lambda v: str(v) if isinstance(v, str) else ""
)
def test_canonical_loss_and_gradients_equal_the_reference(name, extra, build):
    family = make_family(name, **extra)
    trainer = Trainer(family, TaskData.from_table(delayed_activation(20)), TrainSpec(SEEDS, [0.0] * 3, 1))
    loss, grads, outputs = _grads(trainer, trainer.params)
    norms = family.grad_norm(grads)
    accuracy = family.accuracy(outputs, trainer.task.targets)
    for i, seed in enumerate(SEEDS):
        net = build(seed)
        ref_loss = net.loss()
        ref_loss.backward()
        torch.testing.assert_close(loss[i], ref_loss.detach(), rtol=1e-6, atol=0)
        for key, param in net.named_engine_parameters().items():
            assert_relative(grads[key][i], param.grad)
        assert norms[i].item() == pytest.approx(net.grad_norm(), rel=1e-5)
        assert accuracy[i].item() == pytest.approx(net.accuracy())


def _task(kind, per_class):
    table = dcdt(2, 10, 10, per_class) if kind == "dcdt" else dmts(6, 16, 10, per_class)
    inputs, targets = (
        ref.dcdt_trials(2, 10, 10, per_class) if kind == "dcdt" else ref.dmts_trials(6, 16, 10, per_class)
    )
    data = TaskData.from_table(table)
    assert torch.equal(data.inputs, inputs) and torch.equal(data.targets, targets)
    return data


@pytest.mark.parametrize(
    ("name", "extra", "build", "kind"), TASK, ids=lambda v: str(v) if isinstance(v, str) else ""
)
def test_task_rnn_loss_gradients_and_norms_equal_the_reference(name, extra, build, kind):
    family = make_family(name, sigma_rec=0.01, sigma_init=0.3, **extra)
    data = _task(kind, 3)
    trainer = Trainer(family, data, TrainSpec(SEEDS, [0.0] * 3, 1))
    generator_states = [g.get_state() for g in trainer.generators]
    loss, grads, _ = _grads(trainer, trainer.params)
    norms = family.grad_norm(grads)
    B, S = data.targets.shape
    for i, seed in enumerate(SEEDS):
        g = torch.Generator().manual_seed(0)
        g.set_state(generator_states[i])
        r0 = torch.tanh(0.3 * torch.randn((B, 100), generator=g))
        # the authors' draw: one randn(B, N) per time step (DCDT here has B·N = 600, not a multiple of 16)
        noise = 0.01 * torch.stack([torch.randn((B, 100), generator=g) for _ in range(S)])
        net = build(seed)
        ref_loss = net.loss(data.inputs, data.targets, r0, noise)
        ref_loss.backward()
        torch.testing.assert_close(loss[i], ref_loss.detach(), rtol=1e-5, atol=0)
        for key, param in net.named_engine_parameters().items():
            assert_relative(grads[key][i], param.grad)
        assert norms[i].item() == pytest.approx(net.grad_norm(), rel=1e-5)
        if name == "task_full":
            assert family.weight_norm(trainer.params)[i].item() == pytest.approx(net.weight_norm(), rel=1e-6)


def test_output_normalisation_follows_the_authors_in_place_rescaling():
    """Fig. 8C: w_out, b_out divided by ||w_out||_1 / c before every pass; the update acts on them."""
    family = make_family("task_full", readout="tanh")
    data = _task("dcdt", 2)
    spec = TrainSpec([5], [0.05], 4, out_scale=0.5)
    trainer = Trainer(family, data, spec)
    net = ref.task_rnn_full(5, readout="tanh")
    sgd = torch.optim.SGD(net.parameters(), lr=0.05)
    B, S = data.targets.shape
    for _ in range(4):
        record = trainer.step()
        sgd.zero_grad()
        loss = net.loss(
            data.inputs, data.targets, torch.zeros(B, 100), torch.zeros(S, B, 100), output_l1_norm=0.5
        )
        loss.backward()
        sgd.step()
        torch.testing.assert_close(record["loss"][0], loss.detach(), rtol=1e-5, atol=0)
    params = net.named_engine_parameters()
    for key in ("w_out", "W_rec"):
        torch.testing.assert_close(
            trainer.params[key][0],
            params[key].detach().reshape(trainer.params[key][0].shape),
            rtol=1e-4,
            atol=1e-6,
        )


def test_rank_one_reproduces_the_reference_run_prefix():
    """Seed 40, SGD 0.02 (Fig. 3c): 200 epochs of the engine equal 200 epochs of the reference."""
    trainer = Trainer(
        make_family("rank_one"), TaskData.from_table(delayed_activation(20)), TrainSpec([40], [0.02], 200)
    )
    net = ref.rank_one(40)
    sgd = torch.optim.SGD(net.parameters(), lr=0.02)
    for _ in range(200):
        record = trainer.step()
        sgd.zero_grad()
        loss = net.loss()
        loss.backward()
        sgd.step()
    assert record["loss"][0].item() == pytest.approx(loss.item(), rel=1e-5)
    torch.testing.assert_close(trainer.params["n"][0], net.n.detach(), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("backward", ["whole", "chunked"])
@pytest.mark.parametrize("trainable_c", [False, True])
def test_fused_rank_one_kernel_equals_autograd(trainable_c, backward, monkeypatch):
    """In float64, where rounding does not hide the comparison: hand-written BPTT == autograd, with the
    backward pass over the whole job and over chunks of networks (as in jobs of more than BACKWARD_CHUNK)."""
    family = make_family("rank_one", trainable_c=trainable_c)
    seeds = SEEDS
    if backward == "chunked":
        monkeypatch.setattr(family, "BACKWARD_CHUNK", 2)
        seeds = [*SEEDS, 7, 8]  # chunks of 3 and 2 networks
    task = TaskData.from_table(delayed_activation(20), dtype=torch.float64)
    trainer = Trainer(family, task, TrainSpec(seeds, [0.02] * len(seeds), 1, dtype="float64"))
    for _ in range(300):  # leave the flat initial plateau
        trainer.step()
    loss, grads, outputs = _grads(trainer, trainer.params)
    fused_outputs, fused_loss, fused_grads = family.fused_step(trainer.params, trainer.task.targets)
    torch.testing.assert_close(fused_loss, loss, rtol=1e-12, atol=0)
    torch.testing.assert_close(fused_outputs, outputs, rtol=1e-12, atol=1e-15)
    assert set(fused_grads) == set(grads)
    for key in grads:
        for i in range(len(seeds)):
            assert_relative(fused_grads[key][i], grads[key][i], tol=1e-9)


def test_fused_kernel_trains_like_autograd_in_float32():
    task = TaskData.from_table(delayed_activation(20))
    runs = {}
    for kernel in ("autograd", "fused"):
        trainer = Trainer(make_family("rank_one"), task, TrainSpec([40, 41], [0.02, 0.02], 1, kernel=kernel))
        runs[kernel] = torch.stack([trainer.step()["loss"] for _ in range(300)])
    torch.testing.assert_close(runs["fused"], runs["autograd"], rtol=1e-4, atol=0)
