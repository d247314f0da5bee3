"""The workflow end to end on config/test.yaml, in a temporary directory."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import copy_workflow, run, snakemake_cmd

from ghostlearn.carry import restore_runs, save_runs
from ghostlearn.config import load_config, rnn_experiments, rnn_networks
from ghostlearn.io import table_metadata
from ghostlearn.registry import FIGURES, PANELS, panel_files
from ghostlearn.rnn.cost import plan_fingerprint
from ghostlearn.tasks import task_name

pytestmark = pytest.mark.workflow


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    workdir = copy_workflow(tmp_path_factory.mktemp("workflow"))
    result = run(snakemake_cmd("--cores", "2", "--configfile", "config/test.yaml"), workdir)
    assert result.returncode == 0, result.stderr[-4000:]
    return workdir


def test_every_figure_panel_is_built(built: Path):
    for figure in PANELS:
        for path in panel_files(figure):
            assert (built / path).stat().st_size > 1000, path
    assert (built / "results/notebooks/fig2.ipynb").exists()


def test_tables_hold_the_landmarks(built: Path):
    fit = pd.read_csv(built / "results/tables/theory_power_law.csv").set_index("quantity")
    assert fit.loc["smallest_failing_lr", "slope"] == pytest.approx(-5.0, rel=0.01)
    cliff = pd.read_csv(built / "results/tables/gd_fig2_sweep_cliff.csv")
    assert ((cliff["cliff_over_critical"] > 0.9) & (cliff["cliff_over_critical"] < 1.2)).all()
    landscape = pd.read_csv(built / "results/tables/landscape.csv")
    assert set(landscape["confidence"]) == {float("inf"), 0.1, 1.0, 2.0}


def test_every_computing_rule_has_a_benchmark(built: Path):
    benchmarks = list((built / "results/benchmarks").rglob("*.tsv"))
    assert any("train" in str(path) for path in benchmarks)


def test_rerun_gives_identical_tables(built: Path):
    tables = built / "results/tables"
    before = {p.name: p.read_bytes() for p in tables.glob("*.csv")}
    # the tables only (the figures drawn from them are not redrawn), then every output marked up to date
    targets = [str(p.relative_to(built)) for p in tables.glob("*.csv")]
    forced = ("train_gd", "landscape", "vector_field")
    result = run(
        snakemake_cmd(*targets, "--cores", "2", "--configfile", "config/test.yaml", "--forcerun", *forced),
        built,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert "train_gd" in result.stdout + result.stderr
    after = {p.name: p.read_bytes() for p in tables.glob("*.csv")}
    assert before.keys() == after.keys() and before
    assert [name for name in before if before[name] != after[name]] == []
    touched = run(snakemake_cmd("--touch", "--cores", "1", "--configfile", "config/test.yaml"), built)
    assert touched.returncode == 0, touched.stderr[-4000:]


def test_nothing_reruns_when_complete(built: Path):
    result = run(snakemake_cmd("-n", "--configfile", "config/test.yaml"), built)
    assert "Nothing to be done" in result.stdout + result.stderr


def test_rnn_experiments_train_in_jobs_of_stacked_networks(built: Path):
    import torch

    assert (built / "results/runs/rnn/job_plan.json").exists()  # stored by the run, read by a restart
    sweep = pd.read_csv(built / "results/tables/rnn_rank_one_sweep_networks.csv")
    assert sweep["network"].tolist() == [0, 1, 2, 3]
    assert sweep["lr"].tolist() == [0.02, 0.02, 0.5, 0.5] and sweep["seed"].tolist() == [0, 1, 0, 1]
    assert not sweep["diverged"].any()
    runs = built / "results/runs/rnn/rank_one_sweep"
    assert sorted(p.name for p in runs.iterdir()) == ["job0", "job1"]
    saved = torch.load(runs / "job1/checkpoints.pt", weights_only=False)
    assert saved["networks"] == [2, 3] and {0, 30, "final"} <= set(saved)
    assert saved[30]["m"].shape == (2, 100)
    history = pd.read_parquet(runs / "job1/history.parquet")
    assert sorted(history["network"].unique()) == [2, 3] and history["epoch"].max() == 30
    assert (history["fixed_points"] == 1).all() and history["kappa0"].notna().all()
    dcdt = pd.read_csv(built / "results/tables/rnn_fig5_dcdt_networks.csv")
    assert dcdt["first_loss"].iloc[0] == pytest.approx(
        0.83, abs=0.01
    )  # docs/methods.md §3 Fig. 5: 0.83 at epoch 1
    thinned = pd.read_parquet(built / "results/runs/rnn/fig4_dmts/job0/history.parquet")
    assert sorted(thinned["epoch"].unique()) == [1, 5, 10]


def test_checkpoints_are_analysed_into_point_tables(built: Path):
    rank_one = pd.read_csv(built / "results/tables/rnn_rank_one_sweep_points.csv")
    assert {"network", "epoch", "kind", "kappa", "speed", "kappa0", "fixed_point_count"} <= set(
        rank_one.columns
    )
    assert set(rank_one["epoch"]) == {0, 30} and set(rank_one["network"]) == {0, 1, 2, 3}
    assert (rank_one["fixed_point_count"] >= 1).all()
    low_rank = pd.read_csv(built / "results/tables/rnn_fig4_dmts_points.csv")
    assert {"kappa_1", "kappa_2", "eig1_real", "distance_to_trajectory"} <= set(low_rank.columns)
    assert set(low_rank["kind"]) <= {"fixed", "ghost", "slow"}
    full = pd.read_csv(built / "results/tables/rnn_fig5_dcdt_points.csv")
    assert {"pc1", "pc2", "pc3", "eig_real_max"} <= set(full.columns) and set(full["epoch"]) == {0, 10, 20}
    paths = pd.read_parquet(built / "results/tables/rnn_fig5_dcdt_trajectories.parquet")
    assert {"trial", "state", "pc1", "pc2", "pc3"} <= set(paths.columns)
    assert len(paths) == 3 * 2 * 23  # checkpoints x trials x states r_0 ... r_22
    latent = pd.read_parquet(built / "results/tables/rnn_fig4_dmts_trajectories.parquet")
    assert {"kappa_1", "kappa_2"} <= set(latent.columns) and len(latent) == 2 * 8 * 39
    ghosts = pd.read_csv(built / "results/tables/rnn_fig5_dcdt_ghost_vs_drop.csv")
    assert {"first_ghost_epoch", "drop_epoch", "ghost_precedes_drop"} <= set(ghosts.columns)


def test_figure_tables_hold_landmarks_epochs_and_fields(built: Path):
    from ghostlearn.tables.landmarks import LANDMARK_COLUMNS

    fig3_names = {"fig3_small_lr", "fig3_large_lr", "fig3_large_lr_seeds"}
    for figure, names in (("fig3", fig3_names), ("fig5", {"fig5_dcdt", "fig5_dmts"})):
        table = pd.read_csv(built / f"results/tables/{figure}_landmarks.csv")
        assert list(table.columns) == LANDMARK_COLUMNS and set(table["experiment"]) == names
        assert {"drop_epoch", "final_loss", "first_ghost_epoch"} <= set(table["landmark"])
    fig3 = pd.read_csv(built / "results/tables/fig3_landmarks.csv").set_index(["experiment", "landmark"])
    assert fig3.loc[("fig3_small_lr", "max_fixed_point_count"), "value"] == 1
    # the seed rule over the population (4 seeds, 60 epochs: none leaves the plateau, so no pick)
    assert fig3.loc[("fig3_large_lr_seeds", "crossed_fraction"), "value"] == 0
    assert np.isnan(fig3.loc[("fig3_large_lr_seeds", "panel_seed"), "value"])
    assert fig3.loc[("fig3_large_lr_seeds", "panel_draws_rule_seed"), "value"] == 0
    epochs = pd.read_csv(built / "results/tables/fig3_epochs.csv")
    assert epochs.loc[epochs["panel"] == "b", "epoch"].tolist() == [1, 60]
    chosen = epochs.loc[epochs["panel"] == "d", "epoch"]
    assert len(chosen) == 3 and set(chosen) <= {1, 60, *range(20, 31)}  # kept epochs only
    curves = pd.read_parquet(built / "results/tables/rnn_fig3_large_lr_fields.parquet")
    assert len(curves) == 13 * 1000 and {"kappa", "velocity", "kappa0"} <= set(curves.columns)  # 2 + 11 kept
    maps = pd.read_parquet(built / "results/tables/rnn_fig4_dcdt_fields.parquet")
    assert len(maps) == 2 * 2 * 60 * 60  # checkpoints x (main, closeup) views x display grid
    assert {"speed", "velocity_1", "velocity_2", "readout"} <= set(maps.columns)
    paths = pd.read_parquet(built / "results/tables/rnn_fig4_dcdt_trajectories.parquet")
    assert set(paths["cls"]) == {0, 1} and paths["output"].notna().sum() == 2 * 4 * 22


def test_scorecard_judges_the_claims_and_a_failed_claim_does_not_stop_the_workflow(built: Path):
    card = pd.read_csv(built / "results/scorecard.csv").set_index("id")
    assert set(card["status"]) <= {"pass", "fail", "not measured"}
    for claim in ("fig1_stable_point", "fig2d_cliff", "fig2b_collapse_epoch", "theory_slope"):
        assert card.loc[claim, "status"] == "pass", card.loc[claim].to_dict()
    assert card.loc["fig2d_cliff", "measured"] == pytest.approx(1.095, abs=0.01)
    # the test config's Fig. 3c run is 60 epochs, not the paper's 6000: a claim about it is not judged
    assert card.loc["fig3c_drop_epoch", "status"] == "not measured"
    assert "epochs" in card.loc["fig3c_drop_epoch", "note"]
    assert (
        "needs canonical.landscape.task.T = 100 (config: 20)" in card.loc["fig2a_low_confidence_zone", "note"]
    )
    claims = built / "workflow/claims.yaml"
    original = claims.read_text()
    claims.write_text(
        original.replace("expect: {approx: -5.0, tol: 0.05}", "expect: {approx: 5.0, tol: 0.05}")
    )
    try:
        result = run(
            snakemake_cmd("--cores", "1", "results/scorecard.csv", "--configfile", "config/test.yaml"), built
        )
        assert result.returncode == 0, result.stderr[-4000:]
        failed = pd.read_csv(built / "results/scorecard.csv").set_index("id").loc["theory_slope"]
        assert failed["status"] == "fail" and failed["measured"] == pytest.approx(-5.0, abs=0.05)
        assert "fail" in (built / "results/scorecard.html").read_text()
    finally:
        claims.write_text(original)
        run(snakemake_cmd("--cores", "1", "results/scorecard.csv", "--configfile", "config/test.yaml"), built)


def test_the_report_holds_the_scorecard_and_every_figure_with_its_caption(built: Path):
    import yaml

    result = run(
        snakemake_cmd("--configfile", "config/test.yaml", "--report", "results/report.html"),
        built,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    page = (built / "results/report.html").read_text()
    assert "0. Reproduction scorecard" in page and "results/scorecard.html" in page
    config = yaml.safe_load((built / "config/test.yaml").read_text())
    for figure in config["figures"]:
        for path in panel_files(figure):
            if path.endswith(".png"):
                assert path in page, path
    # captions are templated from the config: the test config's Fig. 2d sweep has 3 starts, epochs 500, 1000
    assert "over 3 starts per learning rate" in page and "500, 1000: a valley" in page
    assert "Figure 1 \\u2014 the saddle-node normal form" in page


def test_every_table_records_its_provenance(built: Path):
    """Every table under results/tables/ carries the rule, wildcards, params and config that made it."""
    tables = [p for p in (built / "results/tables").iterdir() if p.suffix in (".csv", ".parquet")]
    assert len(tables) > 50
    for path in tables:
        meta = table_metadata(path)
        assert meta.get("rule") and "config" in meta, path.name


def test_landmark_tables_of_every_figure(built: Path):
    """Every figure writes results/tables/<figure>_landmarks.csv in the long format the scorecard reads."""
    for figure in FIGURES:
        table = pd.read_csv(built / f"results/tables/{figure}_landmarks.csv")
        assert list(table.columns) == ["figure", "experiment", "landmark", "value", "detail"], figure
        assert (table["figure"] == figure).all() and len(table) > 0
        assert pd.api.types.is_float_dtype(table["value"])
    fig7 = pd.read_csv(built / "results/tables/fig7_landmarks.csv").set_index(["experiment", "landmark"])
    # DMTS at eta = 1.438 falls within a few epochs into the all-zero output: accuracy 132/152, loss near
    # 20/152 = 0.1316 (docs/methods.md §3 Fig. 7), with a vanishing gradient
    assert fig7.loc[("fig7_dmts", "stuck_accuracy"), "value"] == pytest.approx(132 / 152, abs=1e-6)
    assert 0.13 < fig7.loc[("fig7_dmts", "stuck_loss"), "value"] < 0.14
    assert fig7.loc[("fig7_dmts", "stuck_fraction_lr1.44e+00"), "value"] == 1.0
    assert 10 <= fig7.loc[("fig7_saturation", "saturation_epoch"), "value"] <= 30
    fig8c = pd.read_csv(built / "results/tables/fig8c_landmarks.csv")
    assert {"accuracy_before_c0.1", "accuracy_after_cinf"} <= set(fig8c["landmark"])
    fig6 = pd.read_csv(built / "results/tables/fig6_landmarks.csv")
    assert {"cliff_lr_epoch_40", "fraction_learned_K1_lr1.00e-02"} <= set(fig6["landmark"])


def test_continuations_start_from_their_parents_end(built: Path):
    """Fig. 8B/8C continuations: the parent's jobs are DAG inputs; epochs continue after the parent's."""
    import torch

    ablation = pd.read_csv(built / "results/tables/rnn_fig8b_ablation_networks.csv")
    assert len(ablation) == 12 and (ablation["start_epoch"] == 30).all()
    assert sorted(p.name for p in (built / "results/runs/rnn/fig8b_ablation").iterdir()) == ["job0", "job1"]
    assert ablation.groupby("parent")["c"].nunique().eq(4).all()
    fig8c = pd.read_csv(built / "results/tables/rnn_fig8c_networks.csv")
    assert sorted(fig8c["output_l1_norm"].unique()) == [0.1, 1.0, float("inf")]
    parent = torch.load(built / "results/runs/rnn/fig8c_phase1/job0/checkpoints.pt", weights_only=False)
    assert parent["step_count"] == 20 and {"w_out", "W_rec"} <= set(parent["moments"])
    curves = pd.read_csv(built / "results/tables/fig8c_curves.csv")
    assert curves[curves["output_l1_norm"].isna()]["epoch"].max() == 20 and curves["epoch"].max() == 40


def test_a_dry_run_plans_without_storing_the_job_plan_and_an_rnn_only_config_builds(tmp_path):
    workdir = copy_workflow(tmp_path)
    result = run(snakemake_cmd("-n", "--cores", "3", "--configfile", "config/test.yaml"), workdir)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "estimated RNN training" in result.stderr
    assert not (workdir / "results/runs/rnn/job_plan.json").exists()
    # a run of one figure plans, and prices, the experiments it trains (with the phase it continues)
    one = run(snakemake_cmd("fig8c", "-n", "--cores", "3", "--configfile", "config/test.yaml"), workdir)
    assert one.returncode == 0, one.stderr[-4000:]
    assert "in 2 jobs" in one.stderr and "(the 2 experiments the targets train, of " in one.stderr
    assert "fig8c_phase1" in one.stderr and "fig6" not in one.stderr.split("Building DAG")[0]
    sweep = run(snakemake_cmd("-n", "--configfile", "config/examples/sweep.yaml"), workdir)
    assert sweep.returncode == 0, sweep.stderr[-4000:]
    assert "train_rnn" in sweep.stdout + sweep.stderr


def test_both_ghost_detectors_run_on_the_rank_two_checkpoints(built: Path):
    table = pd.read_csv(built / "results/tables/detector_agreement.csv")
    assert set(table["experiment"]) == {"fig4_dcdt", "fig4_dmts"}
    assert set(table["kind"]) == {"fixed", "ghost", "slow"}
    assert (table["matched_grid"] <= table["n_grid"]).all()
    assert (table["matched_trajectory"] <= table["n_trajectory"]).all()
    fixed = table[table["kind"] == "fixed"]
    assert (fixed["n_grid"] > 0).all() and (fixed["grid_found_by_trajectory"] == 1.0).all()


def test_kept_training_jobs_are_not_trained_again_in_a_fresh_results_directory(tmp_path):
    """The paper run's carry between sessions (benchmarks/paper_reference.py --keep-runs/--restore-runs)."""
    name = "fig6a_rank_one"
    target = [f"results/tables/rnn_{name}_networks.csv", "--cores", "1", "--configfile", "config/test.yaml"]
    trained = copy_workflow(tmp_path / "trained")
    result = run(snakemake_cmd(*target), trained)
    assert result.returncode == 0, result.stderr[-4000:]
    experiments = rnn_experiments(load_config(trained / "config/test.yaml")["rnn"])
    spec = experiments[name]
    save_runs(trained / "results", tmp_path / "kept", {name: f"tasks/{task_name(spec['task'])}.parquet"})
    for restored in (False, True):
        fresh = copy_workflow(tmp_path / f"fresh_{restored}")
        if restored:
            fingerprints = {name: plan_fingerprint(spec, len(rnn_networks(spec, experiments)))}
            assert list(restore_runs(tmp_path / "kept", fresh / "results", fingerprints)[0]) == [name]
        dry = run(snakemake_cmd(*target, "-n"), fresh)
        assert dry.returncode == 0, dry.stderr[-4000:]
        stats = dry.stdout + dry.stderr  # the dry run's job counts, "<rule>  <count>" lines
        assert re.search(r"^rnn_summary\s+1$", stats, re.M), stats[-3000:]
        assert (re.search(r"^train_rnn\s+\d+$", stats, re.M) is None) is restored, stats[-3000:]
    # an unfinished job (here: its outputs gone, its resume state kept) is restored as its state and resumed
    fingerprints = {name: plan_fingerprint(spec, len(rnn_networks(spec, experiments)))}
    for f in ("history.parquet", "networks.parquet", "checkpoints.pt"):
        (trained / f"results/runs/rnn/{name}/job0/{f}").unlink()
    save_runs(trained / "results", tmp_path / "partial", {name: f"tasks/{task_name(spec['task'])}.parquet"})
    fresh = copy_workflow(tmp_path / "fresh_partial")
    progress = restore_runs(tmp_path / "partial", fresh / "results", fingerprints)[0][name]
    assert re.fullmatch(rf"0 of 1 jobs finished, job 0 resumes at epoch {spec['epochs']:,}", progress)
    result = run(snakemake_cmd(*target), fresh)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "resumed from" in (fresh / f"results/logs/train/rnn_{name}_job0.log").read_text()
