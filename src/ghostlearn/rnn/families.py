"""What each RNN model family is, declared once (docs/methods.md §1b, §1c); no torch, so the workflow can
read it at parse time.

Every other place that needs a fact about a family derives it from :data:`DECLARED`: the config schema's
``model.family`` and ``kernel`` enums and its ``grid`` axes (:func:`ghostlearn.config.load_schema`), the
config checks (task kinds, model options, grid axes, analysis), the Family classes of
:mod:`ghostlearn.rnn.models` (their ``task_kinds``, ``options`` and ``grid_axes``, and
:func:`~ghostlearn.rnn.models.make_family`), the engine's per-network values
(:data:`ghostlearn.rnn.engine.NETWORK_VALUES`) and the cost model's arithmetic per step
(:func:`ghostlearn.rnn.cost.work_per_step`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

#: Keys of a ``model:`` entry every family has (the others are the family's :attr:`Declaration.options`).
COMMON_OPTIONS = ("family", "N", "alpha")


@dataclass(frozen=True)
class Declaration:
    """The facts about one model family that code outside its class needs."""

    name: str
    #: Task kinds the family trains on.
    task_kinds: tuple[str, ...]
    #: Keys allowed under ``model:`` besides family, N and alpha (the family's ``extra`` options).
    options: tuple[str, ...]
    #: Multiply-adds per network, trial and time step of the forward pass, as a function of (N, K) (the
    #: cost model's work unit; the backward pass is a fixed multiple).
    work: Callable[[int, int], int]
    #: Options a config must set.
    required: tuple[str, ...] = ()
    #: Model values a grid axis may set per network (``c``: rank-one confidence; ``output_l1_norm``:
    #: the Fig. 8C read-out normalisation, also settable for a whole experiment).
    grid_axes: tuple[str, ...] = ()
    #: Training kernels: autograd and, where the family has a hand-written backward pass, fused (torch);
    #: native (C++, one network at a time, CPU) where it has one of those too.
    kernels: tuple[str, ...] = ("autograd", "fused")
    #: Whether an epoch draws random numbers (recurrent noise, random initial rates: the task RNNs).
    noisy: bool = False
    #: Whether the family has a one-dimensional flow whose fixed points can be counted on the fly.
    flow: bool = False
    #: Whether the checkpoint analysis knows the family.
    analysable: bool = False
    #: The only rank K the analysis handles (low rank: 2, where the latent flow is a plane); None: any.
    analysable_rank: int | None = None


_TASK_OPTIONS = ("readout", "sigma_rec", "sigma_init")

#: Every family, by name, in the order the schema and the error messages list them.
DECLARED: dict[str, Declaration] = {
    d.name: d
    for d in (
        Declaration(
            "rank_one",
            task_kinds=("delayed_activation",),
            options=("c", "trainable_c"),
            work=lambda N, K: N,
            grid_axes=("c",),
            kernels=("autograd", "fused", "native"),
            flow=True,
            analysable=True,
        ),
        Declaration(
            "rank_k",
            task_kinds=("delayed_activation",),
            options=("K",),
            work=lambda N, K: N * min(K + 1, N),
            required=("K",),
            kernels=("autograd", "fused", "native"),
        ),
        Declaration(
            "full_canonical",
            task_kinds=("delayed_activation",),
            options=(),
            work=lambda N, K: N * N,
            kernels=("autograd", "fused", "native"),
        ),
        Declaration(
            "task_low_rank",
            task_kinds=("dcdt", "dmts"),
            options=("K", *_TASK_OPTIONS),
            work=lambda N, K: N * (2 * K + 1),
            required=("K",),
            noisy=True,
            analysable=True,
            analysable_rank=2,
        ),
        Declaration(
            "task_full",
            task_kinds=("dcdt", "dmts"),
            options=_TASK_OPTIONS,
            work=lambda N, K: N * N,
            grid_axes=("output_l1_norm",),
            noisy=True,
            analysable=True,
        ),
    )
}
#: The family names.
FAMILIES = tuple(DECLARED)


def _union(values) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for vs in values for v in vs))


#: Every training kernel some family has.
KERNELS = _union(d.kernels for d in DECLARED.values())
#: Every grid axis, and the families that have it.
GRID_AXES: dict[str, tuple[str, ...]] = {
    axis: tuple(d.name for d in DECLARED.values() if axis in d.grid_axes)
    for axis in _union(d.grid_axes for d in DECLARED.values())
}
#: Families the checkpoint analysis knows.
ANALYSABLE = tuple(d.name for d in DECLARED.values() if d.analysable)


def declared(name: str) -> Declaration:
    """The declaration of family ``name``; an unknown name raises a ValueError that names the key."""
    if name not in DECLARED:
        raise ValueError(f"model.family: unknown family {name!r}; expected one of {FAMILIES}")
    return DECLARED[name]
