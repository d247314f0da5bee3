"""The figure registry: every entry names files and functions that exist, and its expansions."""

import inspect

import pytest
from conftest import ROOT

from ghostlearn.registry import (
    FIGURES,
    PANELS,
    figure_experiments,
    function,
    landmark_inputs,
    panel_files,
    resolve,
    source_experiments,
    target_experiments,
)


@pytest.mark.parametrize("name", FIGURES)
def test_every_figure_has_its_notebook_caption_and_functions(name):
    figure = FIGURES[name]
    assert (ROOT / "notebooks" / f"{name}.py").exists()
    assert (ROOT / "workflow" / "report" / figure.caption_file).exists()
    landmarks = function(figure.landmarks)
    parameters = inspect.signature(landmarks).parameters
    takes_any = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
    for key in [*figure.landmark_inputs, *figure.landmark_settings]:
        assert takes_any or key in parameters, f"{figure.landmarks} does not take {key}"
    if figure.builder:
        parameters = inspect.signature(function(figure.builder)).parameters
        for key in [*figure.sources, *figure.builder_settings]:
            assert key in parameters, f"{figure.builder} does not take {key}"
        assert set(figure.builder_checkpoints) <= set(figure.sources)


def test_panels_and_files_come_from_the_entries():
    assert PANELS["fig8c"] == ("fig8c_accuracies",)
    files = panel_files("fig8c")
    assert files == [
        "results/figures/fig8c/fig8c_accuracies.pdf",
        "results/figures/fig8c/fig8c_accuracies.png",
        "results/figures/fig8c.pdf",
        "results/figures/fig8c.png",
    ]


EXPERIMENTS = {
    "fig6a_rank_one": {"model": {}, "task": {}},
    "fig6b_K10": {"model": {"K": 10}, "task": {}},
    "fig6b_K2": {"model": {"K": 2}, "task": {}},
    "fig8c_phase1": {"model": {}, "task": {}, "epochs": 400},
    "fig8c": {"model": {}, "task": {}, "start_from": {"experiment": "fig8c_phase1"}, "epochs": 100},
}


def test_sources_expand_prefixes_in_rank_order_and_parents():
    assert source_experiments("fig6b_*", EXPERIMENTS) == ["fig6b_K2", "fig6b_K10"]
    assert source_experiments("parent:fig8c", EXPERIMENTS) == ["fig8c_phase1"]
    assert figure_experiments(FIGURES["fig6"], EXPERIMENTS) == [
        "fig6a_rank_one",
        "fig6a_full",
        "fig6b_K10",
        "fig6b_K2",
    ]


def test_settings_resolve_config_values_and_start_epochs():
    config = {"analysis": {"fixed_tol": 1e-8}}
    assert resolve("config:analysis.fixed_tol", config, EXPERIMENTS) == 1e-8
    assert resolve("start_epoch:fig8c", config, EXPERIMENTS) == 400
    with pytest.raises(ValueError, match="unknown setting reference"):
        resolve("epochs:fig8c", config, EXPERIMENTS)


def test_landmark_inputs_expand_per_experiment_with_ghosts_only_where_analysed():
    inputs = landmark_inputs(FIGURES["fig4"], {}, analysed=["fig4_dcdt"])
    assert inputs == {
        "history_fig4_dcdt": "results/tables/rnn_fig4_dcdt_history.parquet",
        "history_fig4_dmts": "results/tables/rnn_fig4_dmts_history.parquet",
        "ghosts_fig4_dcdt": "results/tables/rnn_fig4_dcdt_ghost_vs_drop.csv",
    }
    assert landmark_inputs(FIGURES["fig8c"], {}) == {"curves": "results/tables/fig8c_curves.csv"}


def test_targets_name_the_experiments_they_train_with_the_phases_they_continue():
    fig6 = ["fig6a_rank_one", "fig6b_K10", "fig6b_K2"]
    assert target_experiments(["fig6"], EXPERIMENTS) == fig6
    assert target_experiments(["results/tables/fig8c_landmarks.csv"], EXPERIMENTS) == [
        "fig8c_phase1",
        "fig8c",
    ]
    assert target_experiments(["results/figures/fig8c/fig8c_accuracies.pdf"], EXPERIMENTS) == [
        "fig8c_phase1",
        "fig8c",
    ]
    assert target_experiments(["./results/figures/fig6.png"], EXPERIMENTS) == fig6
    # an experiment's run files and tables (the whole name before the suffix: fig8c_phase1's are not fig8c's)
    assert target_experiments(["results/runs/rnn/fig6b_K2/job0/networks.parquet"], EXPERIMENTS) == [
        "fig6b_K2"
    ]
    assert target_experiments(["results/tables/rnn_fig8c_phase1_networks.csv"], EXPERIMENTS) == [
        "fig8c_phase1"
    ]
    assert target_experiments(["results/tables/rnn_fig8c_history.parquet"], EXPERIMENTS) == [
        "fig8c_phase1",
        "fig8c",
    ]
    # figures without RNN training train nothing; what cannot be read means the whole config
    assert target_experiments(["fig1", "results/tables/fig2_landmarks.csv"], EXPERIMENTS) == []
    for unknown in ([], None, ["results/scorecard.csv"], ["fig6", "all"], ["results/runs/rnn/nope/x"]):
        assert target_experiments(unknown, EXPERIMENTS) is None
