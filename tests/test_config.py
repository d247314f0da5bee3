"""Config validation: every shipped config passes; bad keys and values fail naming the key."""

import copy
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import ROOT, run, snakemake_cmd

from ghostlearn import canonical
from ghostlearn.config import (
    ConfigError,
    check_config,
    gd_experiments,
    learning_rates,
    load_config,
    rnn_jobs,
    rnn_networks,
)

CONFIGS = sorted((ROOT / "config").glob("*.yaml"))
BASE = yaml.safe_load((ROOT / "config" / "test.yaml").read_text())


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_shipped_configs_are_valid(path):
    config = load_config(path)
    assert config["canonical"]["threshold"] == 10.0
    assert {"fig2_pair", "fig2_sweep"} <= set(config["canonical"]["gd"])


def test_defaults_are_filled():
    config = check_config(BASE)
    sweep = config["canonical"]["gd"]["fig2_sweep"]
    assert sweep["convention"] == "error"
    assert sweep["task"]["dt"] == 0.1
    assert config["canonical"]["clip"] == 1e6
    assert config["canonical"]["vector_field"]["r_values"] == [0.5, -0.5]


def bad(mutate):
    config = copy.deepcopy(BASE)
    mutate(config)
    with pytest.raises(ConfigError) as info:
        check_config(config)
    return str(info.value)


def test_misspelled_key_is_named():
    message = bad(lambda c: c["canonical"]["gd"]["fig2_sweep"].update(epochz=3))
    assert "canonical.gd.fig2_sweep.epochz: unknown key" in message


def test_misspelled_top_level_key_is_named():
    assert "figurez: unknown key" in bad(lambda c: c.update(figurez=[]))


def test_negative_learning_rate_is_named():
    message = bad(lambda c: c["canonical"]["gd"]["fig2_pair"].update(learning_rates=[1e-10, -1e-9]))
    assert "canonical.gd.fig2_pair.learning_rates[1]" in message


def test_unknown_task_is_named():
    message = bad(lambda c: c["canonical"]["landscape"]["task"].update(kind="xor"))
    assert "canonical.landscape.task.kind" in message


def test_wrong_type_and_negative_epochs_are_named():
    assert "canonical.gd.fig2_pair.epochs" in bad(
        lambda c: c["canonical"]["gd"]["fig2_pair"].update(epochs="many")
    )
    assert "canonical.gd.fig2_pair.epochs" in bad(
        lambda c: c["canonical"]["gd"]["fig2_pair"].update(epochs=-5)
    )


def test_report_epoch_beyond_the_run_is_named():
    message = bad(lambda c: c["canonical"]["gd"]["fig2_sweep"].update(report_epochs=[5000]))
    assert "canonical.gd.fig2_sweep.report_epochs: epoch 5000 is beyond epochs = 1000" in message


def test_missing_figure_experiment_is_named():
    message = bad(lambda c: c["canonical"]["gd"].pop("fig2_pair"))
    assert "canonical.gd.fig2_pair: missing, but figure fig2 needs it" in message


def test_unknown_figure_is_named():
    assert "figures[0]" in bad(lambda c: c.update(figures=["fig9"]))


def test_learning_rate_specs():
    np.testing.assert_allclose(learning_rates({"logspace": [-11, -8, 4]}, 100), [1e-11, 1e-10, 1e-9, 1e-8])
    np.testing.assert_allclose(
        learning_rates({"critical_multiples": [1.0, 2.0, 2]}, 100),
        canonical.critical_lr(100) * np.array([1, 2]),
    )


def test_theory_check_expands_into_one_experiment_per_T():
    experiments = gd_experiments(check_config(BASE)["canonical"])
    assert {"theory_T50", "theory_T100", "theory_T200"} <= set(experiments)
    assert experiments["theory_T50"]["task"]["T"] == 50


def test_snakemake_stops_before_any_job_naming_the_key(workdir: Path):
    config = copy.deepcopy(BASE)
    config["canonical"]["gd"]["fig2_sweep"]["epochz"] = 3
    (workdir / "config" / "bad.yaml").write_text(yaml.safe_dump(config))
    result = run(snakemake_cmd("--cores", "1", "--configfile", "config/bad.yaml"), workdir, timeout=120)
    assert result.returncode != 0
    assert "canonical.gd.fig2_sweep.epochz: unknown key" in result.stderr + result.stdout
    assert not (workdir / "results").exists()


def _with_rnn(**overrides):
    config = copy.deepcopy(BASE)
    experiment = {
        "model": {"family": "rank_one"},
        "task": {"kind": "delayed_activation", "T": 20},
        "learning_rates": [0.02],
        "seeds": [0],
        "epochs": 10,
    }
    experiment.update(overrides)
    config["rnn"]["experiments"]["sweep"] = experiment
    return config


def test_rnn_experiment_defaults_and_networks():
    config = check_config(_with_rnn(learning_rates={"logspace": [-3, -1, 3]}, seeds={"range": [0, 9]}))
    exp = config["rnn"]["experiments"]["sweep"]
    assert exp["optimizer"] == "sgd" and exp["kernel"] == "autograd" and exp["model"]["N"] == 100
    assert config["rnn"]["device"] == "auto" and config["rnn"]["threads"] == 1
    networks = rnn_networks(exp)
    assert len(networks) == 30
    assert [n["network"] for n in networks] == list(range(30))
    assert networks[10]["seed"] == 0 and networks[10]["lr_index"] == 1
    jobs = rnn_jobs({**exp, "networks_per_job": 8})
    assert [len(job) for job in jobs] == [8, 8, 8, 6]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"epochz": 3}, "rnn.experiments.sweep.epochz: unknown key"),
        ({"epochs": -1}, "rnn.experiments.sweep.epochs"),
        ({"learning_rates": [-0.1]}, "rnn.experiments.sweep.learning_rates[0]"),
        (
            {"checkpoint_epochs": [0, 11]},
            "rnn.experiments.sweep.checkpoint_epochs: epoch 11 is beyond epochs = 10",
        ),
        (
            {"checkpoint_window": [5, 3]},
            "rnn.experiments.sweep.checkpoint_window: first must not exceed last",
        ),
        (
            {"checkpoint_window": [5, 12]},
            "rnn.experiments.sweep.checkpoint_window: epoch 12 is beyond epochs = 10",
        ),
        ({"task": {"kind": "xor"}}, "rnn.experiments.sweep.task.kind"),
        ({"model": {"family": "lstm"}}, "rnn.experiments.sweep.model.family"),
        ({"task": {"kind": "dcdt", "n_in": 2}}, "dcdt cannot train rank_one"),
        ({"model": {"family": "rank_k"}}, "rnn.experiments.sweep.model.K: required for rank_k"),
        ({"model": {"family": "rank_one", "readout": "tanh"}}, "model.readout: not an option of rank_one"),
        ({"model": {"family": "full_canonical"}, "kernel": "fused"}, "fused kernel exists for rank_one only"),
        ({"optimizer": "rmsprop"}, "rnn.experiments.sweep.optimizer"),
        (
            {"model": {"family": "full_canonical"}, "count_fixed_points": True},
            "count_fixed_points: only rank_one networks",
        ),
        ({"seeds": {"range": [5, 2]}}, "seeds.range: first must not exceed last"),
    ],
)
def test_rnn_config_errors_name_the_key(overrides, message):
    with pytest.raises(ConfigError) as info:
        check_config(_with_rnn(**overrides))
    assert message in str(info.value)


def test_analysis_settings_are_validated():
    config = copy.deepcopy(BASE)
    config["analysis"] = {"ghost_tol": -1}
    with pytest.raises(ConfigError, match="analysis.ghost_tol"):
        check_config(config)
    config["analysis"] = {"grid": {"lo": -1, "hi": 1}}
    with pytest.raises(ConfigError, match="analysis.grid"):
        check_config(config)
    filled = check_config(BASE)["analysis"]
    assert filled["fixed_tol"] == 1e-8 and filled["drop_fraction"] == 0.5


def test_figure_experiments_are_required_by_name():
    message = bad(lambda c: c["rnn"]["experiments"].pop("fig4_dmts"))
    assert "rnn.experiments.fig4_dmts: missing, but figure fig4 needs it" in message


def test_checkpoint_window_adds_every_epoch_of_the_stretch():
    from ghostlearn.config import checkpoint_epochs

    exp = {"checkpoint_epochs": [0, 10, 4], "checkpoint_window": [3, 6]}
    assert checkpoint_epochs(exp) == [0, 3, 4, 5, 6, 10]
    assert checkpoint_epochs({}) == []
