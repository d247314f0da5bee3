"""Config validation: every shipped config passes; bad keys and values fail naming the key."""

import copy
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import ROOT, run, snakemake_cmd

from ghostlearn import registry
from ghostlearn.config import (
    SCHEMA_PATH,
    ConfigError,
    check_config,
    gd_experiments,
    learning_rates,
    load_config,
    load_schema,
    rnn_jobs,
    rnn_networks,
    variant_config,
)
from ghostlearn.oned import canonical

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
            {"checkpoint_epochs": [0, {"range": [5, 3]}]},
            "rnn.experiments.sweep.checkpoint_epochs: range [5, 3]: first must not exceed last",
        ),
        (
            {"checkpoint_epochs": [{"range": [5, 12]}]},
            "rnn.experiments.sweep.checkpoint_epochs: epoch 11 is beyond epochs = 10",
        ),
        ({"task": {"kind": "xor"}}, "rnn.experiments.sweep.task.kind"),
        ({"model": {"family": "lstm"}}, "rnn.experiments.sweep.model.family"),
        ({"task": {"kind": "dcdt", "n_in": 2}}, "dcdt cannot train rank_one"),
        ({"model": {"family": "rank_k"}}, "rnn.experiments.sweep.model.K: required for rank_k"),
        ({"model": {"family": "rank_one", "readout": "tanh"}}, "model.readout: not an option of rank_one"),
        ({"kernel": "handwritten"}, "rnn.experiments.sweep.kernel"),
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


def test_checkpoint_ranges_add_every_epoch_of_the_stretch():
    from ghostlearn.config import checkpoint_epochs

    assert checkpoint_epochs({"checkpoint_epochs": [0, 10, 4, {"range": [3, 6]}]}) == [0, 3, 4, 5, 6, 10]
    assert checkpoint_epochs({"checkpoint_epochs": {"range": [3, 5]}}) == [3, 4, 5]
    assert checkpoint_epochs({}) == []


# -- continuations (start_from), grid axes and the RNN figures' requirements -------------------------


def rnn(config):
    return config["rnn"]["experiments"]


def test_continuation_networks_point_at_their_parents():
    config = check_config(BASE)
    experiments = rnn(config)
    networks = rnn_networks(experiments["fig8b_ablation"], experiments)
    parents = {n["network"]: n["seed"] for n in rnn_networks(experiments["fig8b_ablation_phase1"])}
    assert len(networks) == 4 * 3
    assert all(parents[n["parent"]] == n["seed"] for n in networks)
    assert [n["c"] for n in networks[:4]] == [1e-3, 1e-3, 1e-3, pytest.approx(10 ** (-3 + 4 / 3))]
    norms = [n["output_l1_norm"] for n in rnn_networks(experiments["fig8c"], experiments)]
    assert norms[-1] == np.inf and norms[0] == 0.1


def test_continuation_of_an_unknown_experiment_is_named():
    message = bad(lambda c: rnn(c)["fig8b_ablation"]["start_from"].update(experiment="nope"))
    assert "rnn.experiments.fig8b_ablation.start_from.experiment: no experiment named 'nope'" in message


def test_continuation_cycle_is_named():
    def cycle(c):
        rnn(c)["fig8b_ablation_phase1"]["start_from"] = {"experiment": "fig8b_ablation"}

    assert "a cycle" in bad(cycle)


def test_continuation_must_match_the_parent():
    message = bad(lambda c: rnn(c)["fig8b_ablation"].update(seeds=[0, 7], learning_rates=[0.02, 0.03]))
    assert "fig8b_ablation.seeds: [7] not trained by fig8b_ablation_phase1" in message
    assert "fig8b_ablation.learning_rates: 2 rates, but fig8b_ablation_phase1 has 1" in message
    message = bad(lambda c: rnn(c)["fig8c"].update(optimizer="sgd"))
    assert "fig8c.start_from.optimizer_state: keep needs the optimizer of fig8c_phase1" in message


def test_grid_axis_must_be_a_value_of_the_family():
    message = bad(lambda c: rnn(c)["fig8c"].update(grid={"c": [1.0]}))
    assert "rnn.experiments.fig8c.grid.c: not a value of task_full" in message
    message = bad(lambda c: rnn(c)["fig8c"].update(grid={"c": [1.0], "output_l1_norm": [1.0]}))
    assert "rnn.experiments.fig8c.grid" in message


def test_saturation_search_must_be_checkpointed():
    message = bad(lambda c: c["rnn_figures"].update(saturation_search=[5, 30]))
    assert "rnn_figures.saturation_search: [5, 30] needs fig7_saturation.checkpoint_epochs" in message


def test_rnn_figures_name_their_missing_experiments():
    message = bad(lambda c: rnn(c).pop("fig7_dmts"))
    assert "rnn.experiments.fig7_dmts: missing, but figure fig7 needs it" in message
    message = bad(lambda c: c["rnn"].pop("t_scaling"))
    assert "rnn.t_scaling: missing, but figure rnn_scaling needs it" in message


def test_t_scaling_expands_into_one_experiment_per_T():
    from ghostlearn.config import rnn_experiments, start_epoch

    config = check_config(BASE)
    config["rnn"]["t_scaling"]["lr_exponent"] = -2.0
    experiments = rnn_experiments(config["rnn"])
    assert {"tscaling_T5", "tscaling_T10"} <= set(experiments)
    assert experiments["tscaling_T10"]["task"]["T"] == 10
    np.testing.assert_allclose(
        experiments["tscaling_T10"]["learning_rates"], np.logspace(-2, 0, 3) * 4.0
    )  # (10 / T_ref = 20)^-2
    assert start_epoch("fig8c", experiments) == 20 and start_epoch("fig8c_phase1", experiments) == 0


def test_two_phase_figures_need_continuations_with_their_grid():
    message = bad(lambda c: rnn(c)["fig8c"].pop("start_from"))
    assert "rnn.experiments.fig8c.start_from: figure fig8c needs fig8c to continue a first phase" in message
    message = bad(lambda c: rnn(c)["fig8b_ablation"].pop("grid"))
    assert "rnn.experiments.fig8b_ablation.grid: figure fig8b needs a grid over c" in message


# -- sections needed only by the enabled figures (ghostlearn.registry) --------------------------------

SWEEP = {
    "model": {"family": "rank_one"},
    "task": {"kind": "delayed_activation", "T": 20},
    "learning_rates": [0.02],
    "seeds": [0],
    "epochs": 10,
}


def test_an_rnn_only_config_validates_without_canonical_sections():
    config = check_config({"figures": [], "rnn": {"experiments": {"mine": SWEEP}}})
    canon = config["canonical"]
    assert canon["gd"] == {} and "landscape" not in canon and "theory_check" not in canon
    assert canon["vector_field"]["r_values"] == [0.5, -0.5] and canon["threshold"] == 10.0
    assert gd_experiments(canon) == {}
    assert config["rnn"]["experiments"]["mine"]["kernel"] == "autograd"
    assert config["rnn_figures"]["cliff_fraction"] == 0.5 and config["analysis"]["drop_fraction"] == 0.5


def test_an_rnn_figure_alone_needs_only_its_experiments(tmp_path):
    experiments = {name: SWEEP for name in ("fig6a_rank_one", "fig6a_full", "mine")}
    experiments["fig6b_K2"] = {**SWEEP, "model": {"family": "rank_k", "K": 2}}
    path = tmp_path / "fig6.yaml"
    path.write_text(yaml.safe_dump({"figures": ["fig6"], "rnn": {"experiments": experiments}}))
    config = load_config(path)
    assert config["figures"] == ["fig6"] and config["canonical"]["gd"] == {}
    del experiments["fig6b_K2"]
    with pytest.raises(ConfigError, match="rnn.experiments: figure fig6 needs at least one fig6b_<name>"):
        check_config({"figures": ["fig6"], "rnn": {"experiments": experiments}})


def test_fig2_without_its_sweep_names_the_key():
    config = copy.deepcopy(BASE)
    config["figures"] = ["fig2"]
    del config["canonical"]["gd"]["fig2_sweep"], config["canonical"]["theory_check"]
    with pytest.raises(ConfigError) as info:
        check_config(config)
    assert "canonical.gd.fig2_sweep: missing, but figure fig2 needs it" in str(info.value)
    assert "theory_check" not in str(info.value)  # the theory figure is not enabled


@pytest.mark.parametrize(
    ("figure", "key"),
    [
        ("fig2", "canonical.landscape"),
        ("fig8a", "canonical.landscape"),
        ("theory", "canonical.theory_check"),
        ("fig2", "canonical.gd.fig2_pair"),
        ("fig7", "rnn.experiments.fig7_saturation"),
        ("rnn_scaling", "rnn.t_scaling"),
    ],
)
def test_a_needed_section_names_the_key_and_the_figure(figure, key):
    with pytest.raises(ConfigError) as info:
        check_config({"figures": [figure]})
    assert f"{key}: missing, but figure {figure} needs it" in str(info.value)


@pytest.mark.parametrize("figure", registry.FIGURES.values(), ids=lambda f: f.name)
def test_every_registry_requirement_is_checked(figure):
    defaulted = {"vector_field"}  # filled with defaults when absent
    expected = [
        *(f"canonical.{s}: missing" for s in figure.canonical if s not in defaulted),
        *(f"canonical.gd.{n}: missing" for n in figure.gd),
        *(f"rnn.experiments.{n}: missing" for n in figure.experiments),
    ]
    expected += ["rnn.t_scaling: missing" if p == "tscaling_T" else p for p in figure.experiment_prefixes]
    if not expected:
        assert check_config({"figures": [figure.name]})["figures"] == [figure.name]
        return
    with pytest.raises(ConfigError) as info:
        check_config({"figures": [figure.name]})
    assert all(line in str(info.value) for line in expected), str(info.value)


def test_the_default_figures_say_how_to_build_none():
    with pytest.raises(ConfigError) as info:
        check_config({"rnn": {"experiments": {"mine": SWEEP}}})
    assert "canonical.landscape: missing, but figure fig2 needs it (figures defaults to" in str(info.value)
    assert "set figures: [] for experiments of your own" in str(info.value)


def test_figure_rules_apply_only_to_enabled_figures():
    config = copy.deepcopy(BASE)
    config["figures"] = ["fig1"]
    config["rnn_figures"]["saturation_search"] = [5, 30]
    rnn(config)["fig8c"].pop("start_from")
    rnn(config)["fig8b_ablation"].pop("grid")
    check_config(config)


# -- the schema: shipped with the package, figure names from the registry -----------------------------


def test_the_schema_ships_with_the_package_and_takes_the_figures_from_the_registry():
    assert SCHEMA_PATH.parent == Path(registry.__file__).parent and SCHEMA_PATH.is_file()
    raw = yaml.safe_load(SCHEMA_PATH.read_text())
    assert "enum" not in raw["properties"]["figures"]["items"]  # injected, never hand-written
    schema = load_schema()
    assert schema["properties"]["figures"]["items"]["enum"] == list(registry.FIGURES)
    assert set(schema["properties"]["figures"]["default"]) <= set(registry.FIGURES)
    assert set(raw["properties"]["rnn_figures"]["properties"]["cases"]["default"]) <= {
        n for f in registry.FIGURES.values() for n in f.experiments
    }


def test_the_package_data_lists_the_schema():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"ghostlearn" = ["config.schema.yaml"]' in pyproject


# -- config/README.md and the example sweep -----------------------------------------------------------

README = ROOT / "config" / "README.md"
EXAMPLES = sorted((ROOT / "config" / "examples").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_the_example_configs_are_valid(path):
    config = load_config(path)
    assert config["figures"] == [] and config["canonical"]["gd"] == {}
    assert config["rnn"]["experiments"]


def test_the_config_readme_covers_every_key_of_the_schema():
    text = README.read_text()
    schema = load_schema()
    props, defs = schema["properties"], schema["$defs"]
    keys = [
        *props,
        *props["canonical"]["properties"],
        *props["rnn"]["properties"],
        *props["rnn_figures"]["properties"],
        *props["analysis"]["properties"],
        *defs["rnn_experiment"]["properties"],
        *defs["rnn_model"]["properties"],
        *defs["gd_experiment"]["properties"],
        *props["rnn"]["properties"]["t_scaling"]["properties"],
    ]
    missing = sorted({key for key in keys if f"`{key}`" not in text})
    assert not missing, f"config/README.md does not describe {missing}"
    for path in [*CONFIGS, *EXAMPLES]:
        assert str(path.relative_to(ROOT / "config")) in text


def _readme_rows() -> dict[str, str]:
    """The rows of config/README.md's table "What each figure needs", by figure."""
    section = README.read_text().split("## What each figure needs", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {row.split("`")[1]: row for row in rows}


def test_the_config_readme_says_what_each_figure_of_the_registry_needs():
    rows = _readme_rows()
    assert list(rows) == list(registry.FIGURES)
    for figure in registry.FIGURES.values():
        needs = [
            *(f"`canonical.{s}`" for s in figure.canonical),
            *(f"`canonical.gd.{n}`" for n in figure.gd),
            *(f"`rnn.experiments.{n}`" for n in figure.experiments),
            *(
                "`rnn.t_scaling`" if p == "tscaling_T" else f"`rnn.experiments.{p}<name>`"
                for p in figure.experiment_prefixes
            ),
        ]
        assert all(need in rows[figure.name] for need in needs), (figure.name, needs)


def test_the_config_readme_example_is_the_shipped_sweep():
    section = README.read_text().split("## A sweep of your own", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    shipped = ROOT / "config" / "examples" / "sweep.yaml"
    assert yaml.safe_load(example) == yaml.safe_load(shipped.read_text())
    check_config(yaml.safe_load(example))


# -- robustness variants (docs/methods.md §8) -------------------------------------------------------------
def _with_variants():
    config = _with_rnn(kernel="fused")
    config["rnn"]["experiments"]["other"] = {**config["rnn"]["experiments"]["sweep"], "kernel": "autograd"}
    config["rnn"]["experiments"]["rank_k"] = {
        **config["rnn"]["experiments"]["sweep"],
        "model": {"family": "rank_k", "K": 2},
        "kernel": "native",
    }
    config["robustness"] = {"variants": {"double": {"dtype": "float64"}, "swapped": {"kernel": "other"}}}
    return config


def test_a_variant_changes_the_float_path_only_and_validates():
    config = check_config(_with_variants())
    double, swapped = variant_config(config, "double"), variant_config(config, "swapped")
    assert double["rnn"]["dtype"] == "float64" and "robustness" not in double
    kernels = {k: e["kernel"] for k, e in swapped["rnn"]["experiments"].items()}
    assert [kernels[k] for k in ("sweep", "other", "rank_k")] == ["autograd", "fused", "autograd"]
    assert (
        swapped["rnn"]["dtype"] == config["rnn"]["dtype"]
        and config["rnn"]["experiments"]["sweep"]["kernel"] == "fused"
    )
    assert {k: v for k, v in double.items() if k != "rnn"} == {
        k: v for k, v in config.items() if k not in ("rnn", "robustness")
    }
    assert check_config(swapped)["rnn"]["experiments"]["other"]["kernel"] == "fused"
    with pytest.raises(ConfigError, match="robustness.variants: no variant 'triple'"):
        variant_config(config, "triple")


def test_a_bad_variant_key_is_named():
    config = _with_variants()
    config["robustness"]["variants"]["double"] = {"dtype": "float16"}
    with pytest.raises(ConfigError, match="robustness.variants.double.dtype"):
        check_config(config)


def test_claim_robustness_plans_one_workflow_run_per_variant(workdir: Path):
    (workdir / "config" / "variants.yaml").write_text(yaml.safe_dump(_with_variants()))
    cmd = snakemake_cmd("-n", "claim_robustness", "--configfile", "config/variants.yaml")
    result = run(cmd, workdir, timeout=120)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-3000:]
    for variant in ("double", "swapped"):
        assert f"results/robustness/{variant}/results/scorecard.csv" in out
    assert "claim_robustness" in out and not (workdir / "results/robustness").exists()
