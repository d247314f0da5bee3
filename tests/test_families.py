"""The family declarations (ghostlearn.rnn.families) are the one source of what each family is: the Family
classes, the config schema and checks, the engine and the cost model all agree with them."""

import subprocess
import sys

import pytest
import torch
import yaml

from ghostlearn import config
from ghostlearn.rnn import cost, engine, families, models
from ghostlearn.rnn.engine import TaskData, Trainer, TrainSpec
from ghostlearn.rnn.families import DECLARED, FAMILIES, GRID_AXES
from ghostlearn.rnn.models import TaskFamily, make_family
from ghostlearn.tasks import dcdt, delayed_activation, dmts

#: A valid value of every model option some family declares.
OPTION_VALUES = {
    "K": 2,
    "c": 5.0,
    "trainable_c": True,
    "readout": "tanh",
    "sigma_rec": 0.01,
    "sigma_init": 0.1,
}
TASKS = {
    "delayed_activation": lambda: delayed_activation(5),
    "dcdt": lambda: dcdt(2, 3, 2, 1),
    "dmts": lambda: dmts(2, 3, 2, 1),
}
#: A grid value of each axis that changes the model (c: confidence; output_l1_norm: ‖w_out‖₁).
GRID_VALUES = {"c": [3.0, 7.0], "output_l1_norm": [0.5, 2.0]}


def _family(name, **overrides):
    options = {opt: OPTION_VALUES[opt] for opt in DECLARED[name].options} | overrides
    return make_family(name, N=6, **options)


@pytest.mark.parametrize("name", FAMILIES)
def test_each_family_class_reads_its_declaration(name):
    declaration = DECLARED[name]
    family = _family(name)
    cls = type(family)
    assert cls.name == name and cls.declaration is declaration
    assert family.task_kinds == declaration.task_kinds  # on instances too, not only on the class
    assert family.options == declaration.options and family.grid_axes == declaration.grid_axes
    assert family.extra == {opt: OPTION_VALUES[opt] for opt in declaration.options}
    assert ("fused" in declaration.kernels) == hasattr(cls, "fused_step")
    assert declaration.flow == hasattr(cls, "flow_monitor")
    assert declaration.noisy == issubclass(cls, TaskFamily)
    assert set(declaration.required) <= set(declaration.options)


@pytest.mark.parametrize("name", FAMILIES)
def test_make_family_rejects_an_undeclared_option_naming_it(name):
    undeclared = sorted(set(OPTION_VALUES) - set(DECLARED[name].options))
    for option in undeclared:
        with pytest.raises(ValueError, match=rf"model\.{option}: not an option of {name}"):
            make_family(name, **{option: OPTION_VALUES[option]})
    with pytest.raises(ValueError, match="model.family: unknown family 'lstm'"):
        make_family("lstm")


@pytest.mark.parametrize("name", FAMILIES)
def test_each_family_trains_on_its_declared_tasks_with_its_kernels(name):
    declaration = DECLARED[name]
    for kind in declaration.task_kinds:
        readout = {"readout": "tanh" if kind == "dcdt" else "sigmoid"} if declaration.noisy else {}
        family = _family(name, **readout)
        for kernel in declaration.kernels:
            spec = TrainSpec(seeds=[0, 1], lrs=[0.01, 0.01], epochs=1, kernel=kernel)
            record = Trainer(family, TaskData.from_table(TASKS[kind]()), spec).step()
            assert torch.isfinite(record["loss"]).all(), (kind, kernel)


@pytest.mark.parametrize(("name", "axis"), [(n, a) for n in FAMILIES for a in DECLARED[n].grid_axes])
def test_each_declared_grid_axis_sets_a_value_of_the_network(name, axis):
    declaration = DECLARED[name]
    family = _family(name, trainable_c=False) if axis == "c" else _family(name)
    task = TaskData.from_table(TASKS[declaration.task_kinds[0]]())
    values = GRID_VALUES[axis]
    spec = TrainSpec(seeds=[0, 0], lrs=[0.01, 0.01], epochs=1, network_values={axis: values})
    trainer = Trainer(family, task, spec)
    record = trainer.step()
    assert record["loss"][0] != record["loss"][1]  # same seed: only the grid value differs
    if axis == "c":
        assert trainer.params["c"].tolist() == values
    else:
        norms = trainer.params["w_out"].abs().sum(1)  # normalised before the step, then updated once
        torch.testing.assert_close(norms, torch.tensor(values), rtol=0.05, atol=0)


def test_the_grid_axes_are_the_engines_network_values():
    assert engine.NETWORK_VALUES == tuple(GRID_AXES)
    assert engine.KERNELS == families.KERNELS
    assert GRID_AXES == {"c": ("rank_one",), "output_l1_norm": ("task_full",)}


def test_the_schema_enumerates_the_declared_families_kernels_and_grid_axes():
    raw = yaml.safe_load(config.SCHEMA_PATH.read_text())["$defs"]
    assert "enum" not in raw["rnn_model"]["properties"]["family"]  # injected, never hand-written
    assert "enum" not in raw["rnn_experiment"]["properties"]["kernel"]
    assert "properties" not in raw["rnn_experiment"]["properties"]["grid"]
    defs = config.load_schema()["$defs"]
    assert defs["rnn_model"]["properties"]["family"]["enum"] == list(FAMILIES)
    assert defs["rnn_experiment"]["properties"]["kernel"]["enum"] == list(families.KERNELS)
    assert list(defs["rnn_experiment"]["properties"]["grid"]["properties"]) == list(GRID_AXES)
    options = {opt for d in DECLARED.values() for opt in d.options}
    assert set(defs["rnn_model"]["properties"]) == set(families.COMMON_OPTIONS) | options
    kinds = {kind for d in DECLARED.values() for kind in d.task_kinds}
    assert kinds == set(defs["rnn_task"]["properties"]["kind"]["enum"])


def test_the_config_checks_read_the_declaration():
    assert config.GRID_AXES is GRID_AXES and config.ANALYSABLE == families.ANALYSABLE
    assert families.ANALYSABLE == ("rank_one", "task_low_rank", "task_full")
    base = {"learning_rates": [0.01], "seeds": [0], "epochs": 3, "checkpoint_epochs": [0, 3]}
    canonical = {"kind": "delayed_activation", "T": 5}
    task = {"kind": "dcdt", "n_in": 2, "n_delay": 3, "n_response": 2, "trials_per_class": 1}
    for name, declaration in DECLARED.items():
        model = {"family": name, **({"K": 2} if "K" in declaration.required else {})}
        exp = {**base, "model": model, "task": task if declaration.noisy else canonical}
        assert config.analysable(exp) == declaration.analysable
    low_rank = {**base, "model": {"family": "task_low_rank", "K": 3}, "task": task}
    assert not config.analysable(low_rank)  # the declared analysable rank is 2


def test_the_cost_model_reads_the_work_and_draws_from_the_declaration():
    assert [cost.work_per_step(name, 100, 2) for name in FAMILIES] == [100, 300, 10_000, 500, 10_000]
    assert cost.work_per_step("rank_k", 4, 10) == 16  # a rank above N is the full product
    for name, declaration in DECLARED.items():
        model = {"family": name, "N": 10, "K": 2, "sigma_rec": 0.1, "sigma_init": 0.1}
        task = {"kind": declaration.task_kinds[0], "T": 5, "n_in": 2, "n_delay": 3, "n_response": 2}
        shape = cost.job_shape({"model": model, "task": {**task, "trials_per_class": 1}}, 4)
        assert (shape.draws_per_network > 0) == declaration.noisy


def test_the_declaration_config_and_cost_model_import_no_torch():
    code = "import sys, ghostlearn.config, ghostlearn.rnn.cost; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
    assert models.FAMILIES is FAMILIES
