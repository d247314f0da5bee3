"""Config validation: every shipped config passes; bad keys and values fail naming the key."""

import copy
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import ROOT, run, snakemake_cmd

from ghostlearn import canonical
from ghostlearn.config import ConfigError, check_config, gd_experiments, learning_rates, load_config

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
