"""The figure registry: everything the workflow knows about a figure, in one entry per figure.

From these entries the workflow generates one notebook rule and (for the RNN sweeps) one figure-table
rule per enabled figure, the ``localrules``, the targets, the landmark rule's inputs and builder, and the
report captions; the config schema's figure list and the config checks of required experiments come from
it too.  Adding a figure is: a notebook ``notebooks/<name>.py``, an entry here, its config entries and its
claims in ``workflow/claims.yaml`` (README, "Add a figure").

Paths are relative to the workflow directory.  Per-experiment tables are written by the aggregation rules
under ``results/tables/rnn_<experiment>_<kind>``; a figure's own tables under ``results/tables/``.
The module imports nothing heavy: the Snakefile reads it at parse time.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field

FORMATS = ("pdf", "png")
TABLES = "results/tables"

#: File name of each per-experiment table kind (results/tables/rnn_<experiment>_<suffix>).
RUN_TABLE_SUFFIX = {
    "history": "history.parquet",
    "networks": "networks.csv",
    "points": "points.csv",
    "trajectories": "trajectories.parquet",
    "fields": "fields.parquet",
    "ghosts": "ghost_vs_drop.csv",
}


@dataclass(frozen=True)
class Figure:
    """One figure of the pipeline.

    ``panels``: the panel files its notebook saves (letters follow the authors' file names).
    ``caption``: its report caption, ``workflow/report/<caption>`` (reStructuredText, templated on the
    config).  ``experiments``: the RNN experiments it draws (``rnn.experiments`` names; any sizes),
    ``experiment_prefixes``: and every experiment whose name starts with one of these (at least one each).
    ``gd``: the gradient-descent experiments (``canonical.gd`` names); ``canonical``: the other sections of
    ``canonical`` it reads.  ``tables``: notebook inputs (name -> file under results/tables/) besides the
    builder's outputs, which the notebook always receives (:attr:`notebook_tables`);
    ``run_tables``: per-experiment table kinds of each of ``experiments`` given to the notebook as
    ``<kind>_<experiment>``.  ``settings``: notebook parameters read off the config (name -> reference,
    see :func:`resolve`).  ``builder``: for a sweep figure, the package function that turns its
    experiments' tables into ``builder_outputs`` (name -> file under results/tables/), called by the
    figure-table rule with the runs named in ``sources`` (key -> experiment, ``prefix*`` for every
    experiment with that prefix, or ``parent:<experiment>`` for the experiment a continuation starts from)
    and ``builder_settings`` (the job checkpoints and task file too, of the sources named in
    ``builder_checkpoints``, and the checkpoint analysis' points table of those in ``builder_points``).  ``landmarks``: the package function that writes the figure's landmark table
    from ``landmark_inputs`` (name -> file under results/tables/; ``*`` in a name is expanded per
    experiment) and ``landmark_settings``.
    """

    name: str
    title: str
    panels: tuple[str, ...]
    landmarks: str
    caption: str = ""
    experiments: tuple[str, ...] = ()
    experiment_prefixes: tuple[str, ...] = ()
    gd: tuple[str, ...] = ()
    canonical: tuple[str, ...] = ()
    tables: Mapping[str, str] = field(default_factory=dict)
    run_tables: tuple[str, ...] = ()
    settings: Mapping[str, str] = field(default_factory=dict)
    builder: str | None = None
    builder_outputs: Mapping[str, str] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)
    builder_settings: Mapping[str, str] = field(default_factory=dict)
    builder_checkpoints: tuple[str, ...] = ()
    builder_points: tuple[str, ...] = ()
    landmark_inputs: Mapping[str, str] = field(default_factory=dict)
    landmark_settings: Mapping[str, str] = field(default_factory=dict)

    @property
    def notebook_tables(self) -> dict[str, str]:
        """Every table the notebook is given: the builder's outputs and ``tables``."""
        return {**self.builder_outputs, **self.tables}

    @property
    def caption_file(self) -> str:
        return self.caption or f"{self.name}.rst"


_RNN_FIGURES = "rnn_figures"
_DROP = {"drop_fraction": "config:analysis.drop_fraction"}
_RUN_LANDMARKS = {"history_*": "rnn_*_history.parquet", "ghosts_*": "rnn_*_ghost_vs_drop.csv"}
_CLIFF = {"cliff_fraction": f"config:{_RNN_FIGURES}.cliff_fraction"}
_SWEEP_RULES = {**_CLIFF, "learned_ratio": f"config:{_RNN_FIGURES}.learned_ratio"}
_FIG7_RULES = {"figures": f"config:{_RNN_FIGURES}"}
_FIG1 = {"field": "fig1_vector_field.csv", "fixed_points": "fig1_fixed_points.csv"}
_FIG2 = {
    "landscape": "landscape.csv",
    "trajectories": "gd_fig2_pair_trajectories.csv",
    "sweep": "gd_fig2_sweep_loss_vs_lr.csv",
    "cliff": "gd_fig2_sweep_cliff.csv",
}
_THEORY = {"table": "theory_critical_lr.csv", "fit": "theory_power_law.csv"}
#: The ghost-statistics populations, which both beyond-the-paper ghost figures read.
_GHOSTSTATS = "ghoststats_"

FIGURES: dict[str, Figure] = {
    figure.name: figure
    for figure in (
        Figure(
            name="fig1",
            title="Figure 1",
            panels=("fig1_pos", "fig1_neg"),
            canonical=("vector_field",),
            tables=_FIG1,
            landmarks="ghostlearn.oned.tables:fig1_landmarks",
            landmark_inputs=_FIG1,
        ),
        Figure(
            name="fig2",
            title="Figure 2",
            panels=("fig2a_loss", "fig2b_loss_decrease", "fig2c_r_changes", "fig2d_final_loss_vs_lr"),
            gd=("fig2_pair", "fig2_sweep"),
            canonical=("landscape",),
            tables={**_FIG2, "sweep_starts": "gd_fig2_sweep_loss_per_start.csv"},
            settings={"confidences": "config:canonical.landscape.fig2a_confidences"},
            landmarks="ghostlearn.oned.tables:fig2_landmarks",
            landmark_inputs=_FIG2,
        ),
        Figure(
            name="fig3",
            title="Figure 3",
            panels=(
                "fig3a_loss_small_lr",
                "fig3b_flow_curves",
                "fig3c_loss_large_lr",
                "fig3c_inset",
                "fig3d_flow_curves_unstable",
                "fig3_fixed_point_test",
            ),
            experiments=("fig3_small_lr", "fig3_large_lr"),
            # panel c's seed rule is judged over this population (docs/methods.md §8)
            experiment_prefixes=("fig3_large_lr_seeds",),
            run_tables=("history", "points", "fields"),
            tables={"landmarks": "fig3_landmarks.csv"},
            builder="ghostlearn.tables.runs:fig3_tables",
            builder_outputs={"epochs": "fig3_epochs.csv"},
            sources={"small": "fig3_small_lr", "large": "fig3_large_lr"},
            builder_settings=_DROP,
            landmarks="ghostlearn.tables.runs:fig3_landmarks",
            landmark_inputs={**_RUN_LANDMARKS, "networks_*": "rnn_*_networks.csv"},
            landmark_settings=_DROP,
        ),
        Figure(
            name="fig4",
            title="Figure 4",
            panels=(
                "fig4a_dcdt_loss",
                "fig4b_dcdt_flow_maps",
                "fig4c_dcdt_closeups",
                "fig4d_dcdt_slow_points",
                "fig4e_dmts_loss",
                "fig4f_dmts_flow_maps",
                "fig4g_dmts_slow_points",
            ),
            experiments=("fig4_dcdt", "fig4_dmts"),
            run_tables=("history", "points", "trajectories", "fields"),
            tables={"landmarks": "fig4_landmarks.csv"},
            settings={"fixed_tol": "config:analysis.fixed_tol", "ghost_tol": "config:analysis.ghost_tol"},
            landmarks="ghostlearn.tables.runs:run_landmarks",
            landmark_inputs=_RUN_LANDMARKS,
            landmark_settings=_DROP,
        ),
        Figure(
            name="fig5",
            title="Figure 5",
            panels=(
                "fig5a_dcdt_loss",
                "fig5b_dcdt_accuracy",
                "fig5c_dcdt_pca",
                "fig5d_dmts_loss",
                "fig5e_dmts_accuracy",
                "fig5f_dmts_pca",
            ),
            experiments=("fig5_dcdt", "fig5_dmts"),
            run_tables=("history", "points", "trajectories"),
            tables={"landmarks": "fig5_landmarks.csv"},
            landmarks="ghostlearn.tables.runs:run_landmarks",
            landmark_inputs=_RUN_LANDMARKS,
            landmark_settings=_DROP,
        ),
        Figure(
            name="fig6",
            title="Figure 6",
            panels=(
                "fig6a_rnn_lr_rank_one",
                "fig6a_rnn_lr_full",
                "fig6b_learning_curves",
                "fig6b_learned_fraction",
            ),
            experiments=("fig6a_rank_one", "fig6a_full"),
            experiment_prefixes=("fig6b_",),
            builder="ghostlearn.tables.sweeps:fig6_tables",
            builder_outputs={
                "loss_vs_lr": "fig6a_loss_vs_lr.csv",
                "losses": "fig6a_losses.csv",
                "cliff": "fig6a_cliff.csv",
                "learned": "fig6b_fraction_learned.csv",
                "curves": "fig6b_learning_curves.parquet",
            },
            sources={"rank_one": "fig6a_rank_one", "full": "fig6a_full", "ranks": "fig6b_*"},
            builder_settings=_SWEEP_RULES,
            landmarks="ghostlearn.tables.sweeps:fig6_landmarks",
            landmark_inputs={"cliff": "fig6a_cliff.csv", "learned": "fig6b_fraction_learned.csv"},
            landmark_settings=_SWEEP_RULES,
        ),
        Figure(
            name="fig7",
            title="Figure 7",
            panels=(
                "fig7_dcdt_lr_summary",
                "fig7_dcdt_case1",
                "fig7_dcdt_case2",
                "fig7_dmts_lr_summary",
                "fig7_dmts_case1",
                "fig7_dmts_case2",
                "fig7_saturation_loss",
                "fig7_saturation_firing_rates",
                "fig7_saturation_outputs",
            ),
            experiments=("fig7_dcdt", "fig7_dmts", "fig7_saturation"),
            tables={"landmarks": "fig7_landmarks.csv"},
            builder="ghostlearn.tables.sweeps:fig7_tables",
            builder_outputs={
                "networks": "fig7_networks.csv",
                "stuck": "fig7_stuck.csv",
                "cases": "fig7_cases.csv",
                "saturation": "fig7_saturation_history.csv",
                "rates": "fig7_saturation_rates.csv",
                "outputs": "fig7_saturation_outputs.csv",
            },
            sources={"dcdt": "fig7_dcdt", "dmts": "fig7_dmts", "saturation": "fig7_saturation"},
            builder_checkpoints=("saturation",),
            builder_settings=_FIG7_RULES,
            landmarks="ghostlearn.tables.sweeps:fig7_landmarks",
            landmark_inputs={"stuck": "fig7_stuck.csv", "saturation": "fig7_saturation_history.csv"},
            landmark_settings=_FIG7_RULES,
        ),
        Figure(
            name="fig8a",
            title="Figure 8A",
            panels=("fig8a_gradient",),
            canonical=("landscape",),
            tables={"landscape": "landscape.csv"},
            landmarks="ghostlearn.oned.tables:fig8a_landmarks",
            landmark_inputs={"landscape": "landscape.csv"},
        ),
        Figure(
            name="fig8b",
            title="Figure 8B",
            panels=("fig8b_confidence_acc", "fig8b_confidence_grad", "fig8b_learnable_confidence"),
            experiments=("fig8b_ablation", "fig8b_learnable"),
            tables={"landmarks": "fig8b_landmarks.csv"},
            settings={
                "switch_epoch": "start_epoch:fig8b_ablation",
                "plot_every": f"config:{_RNN_FIGURES}.ablation_plot_every",
            },
            builder="ghostlearn.tables.sweeps:fig8b_tables",
            builder_outputs={
                "selection": "fig8b_selection.csv",
                "curves": "fig8b_ablation_curves.csv",
                "runs": "fig8b_ablation_runs.csv",
                "learnable": "fig8b_learnable.csv",
            },
            sources={
                "ablation_phase1": "parent:fig8b_ablation",
                "ablation": "fig8b_ablation",
                "learnable_phase1": "parent:fig8b_learnable",
                "learnable": "fig8b_learnable",
            },
            builder_settings={
                "switch_epoch": "start_epoch:fig8b_ablation",
                "window": f"config:{_RNN_FIGURES}.ablation_window",
                "plot_every": f"config:{_RNN_FIGURES}.ablation_plot_every",
            },
            landmarks="ghostlearn.tables.sweeps:fig8b_landmarks",
            landmark_inputs={
                "selection": "fig8b_selection.csv",
                "curves": "fig8b_ablation_curves.csv",
                "learnable": "fig8b_learnable.csv",
            },
            landmark_settings={
                "switch_epoch": "start_epoch:fig8b_ablation",
                "window": f"config:{_RNN_FIGURES}.ablation_window",
            },
        ),
        Figure(
            name="fig8c",
            title="Figure 8C",
            panels=("fig8c_accuracies",),
            experiments=("fig8c",),
            settings={"switch_epoch": "start_epoch:fig8c"},
            builder="ghostlearn.tables.sweeps:fig8c_tables",
            builder_outputs={"curves": "fig8c_curves.csv", "runs": "fig8c_runs.csv"},
            sources={"phase1": "parent:fig8c", "continuation": "fig8c"},
            landmarks="ghostlearn.tables.sweeps:fig8c_landmarks",
            landmark_inputs={"curves": "fig8c_curves.csv"},
            landmark_settings={"switch_epoch": "start_epoch:fig8c"},
        ),
        Figure(
            name="theory",
            title="Theory check",
            panels=("theory_critical_lr",),
            canonical=("theory_check",),
            tables=_THEORY,
            landmarks="ghostlearn.oned.tables:theory_landmarks",
            landmark_inputs=_THEORY,
        ),
        Figure(
            name="ghost_statistics",
            title="Beyond the paper: does a ghost precede abrupt learning?",
            panels=("ghost_statistics",),
            experiment_prefixes=(_GHOSTSTATS,),
            builder="ghostlearn.tables.ghosts:ghost_statistics_tables",
            builder_outputs={"statistics": "ghost_statistics.csv", "summary": "ghost_statistics_summary.csv"},
            sources={"runs": f"{_GHOSTSTATS}*"},
            builder_points=("runs",),
            builder_settings=_DROP,
            landmarks="ghostlearn.tables.ghosts:ghost_statistics_landmarks",
            landmark_inputs={"statistics": "ghost_statistics.csv"},
        ),
        Figure(
            name="ghost_lifetime",
            title="Beyond the paper: the ghost-lifetime law in trained networks",
            panels=("ghost_lifetime",),
            experiment_prefixes=(_GHOSTSTATS,),
            builder="ghostlearn.tables.ghosts:ghost_lifetime_tables",
            builder_outputs={"lifetimes": "ghost_lifetime.csv", "plateaus": "ghost_plateaus.csv"},
            sources={"runs": f"{_GHOSTSTATS}*"},
            builder_points=("runs",),
            builder_checkpoints=("runs",),
            builder_settings=_DROP,
            landmarks="ghostlearn.tables.ghosts:ghost_lifetime_landmarks",
            landmark_inputs={"lifetimes": "ghost_lifetime.csv", "plateaus": "ghost_plateaus.csv"},
        ),
        Figure(
            name="rnn_scaling",
            title="Beyond the paper: critical learning rate against T",
            panels=("rnn_scaling_critical_lr",),
            experiment_prefixes=("tscaling_T",),
            builder="ghostlearn.tables.sweeps:rnn_scaling_tables",
            builder_outputs={
                "loss_vs_lr": "rnn_scaling_loss_vs_lr.csv",
                "critical": "rnn_scaling_critical_lr.csv",
                "fit": "rnn_scaling_power_law.csv",
            },
            sources={"scaling": "tscaling_T*"},
            builder_settings=_CLIFF,
            landmarks="ghostlearn.tables.sweeps:rnn_scaling_landmarks",
            landmark_inputs={"critical": "rnn_scaling_critical_lr.csv", "fit": "rnn_scaling_power_law.csv"},
            landmark_settings=_CLIFF,
        ),
    )
}

#: Panel files of each figure (what its notebook saves).
PANELS = {name: figure.panels for name, figure in FIGURES.items()}

#: Fig. 3c inset and 3d: the authors' epochs on their float path (docs/methods.md §5 item 10), used when
#: the run keeps them and they fall in its unstable stretch after the drop (tables.runs.epoch_choices).
FIG3_AUTHORS_EPOCHS = (5156, 5163, 5166)


def panel_files(figure: str, root: str = "results/figures") -> list[str]:
    """Every file a figure rule writes: each panel and the composed figure, as PDF and PNG."""
    stems = [f"{root}/{figure}/{panel}" for panel in PANELS[figure]] + [f"{root}/{figure}"]
    return [f"{stem}.{ext}" for stem in stems for ext in FORMATS]


def run_table(experiment: str, kind: str) -> str:
    """The aggregated table of one kind of an RNN experiment."""
    return f"{TABLES}/rnn_{experiment}_{RUN_TABLE_SUFFIX[kind]}"


def figure_experiments(figure: Figure, experiments: Mapping[str, dict]) -> list[str]:
    """The RNN experiments a figure draws in this config: its named ones, then those of each prefix."""
    names = list(figure.experiments)
    for prefix in figure.experiment_prefixes:
        names += [name for name in experiments if name.startswith(prefix) and name not in names]
    return names


def is_prefix_source(source: str) -> bool:
    """Whether a ``sources`` entry names every experiment with a prefix (the builder gets a list)."""
    return source.endswith("*")


def source_experiments(source: str, experiments: Mapping[str, dict]) -> list[str]:
    """The experiments a ``sources`` entry names (see :class:`Figure`)."""
    if is_prefix_source(source):
        chosen = [name for name in experiments if name.startswith(source[:-1])]
        return sorted(chosen, key=lambda name: _prefix_order(experiments[name], name))
    if source.startswith("parent:"):
        child = source.removeprefix("parent:")
        return [experiments[child]["start_from"]["experiment"]]
    return [source]


def _prefix_order(exp: dict, name: str):
    """Order of prefix-selected experiments: by rank K (Fig. 6B), by T (T scaling), else by name."""
    return (exp["model"].get("K", 0), exp["task"].get("T", 0), name)


def resolve(reference: str, config: Mapping, experiments: Mapping[str, dict]):
    """The value of a setting reference: ``config:<dotted key>`` (a config value) or
    ``start_epoch:<experiment>`` (the epoch a continuation starts at)."""
    kind, _, key = reference.partition(":")
    if kind == "config":
        value = config
        for part in key.split("."):
            value = value[part]
        return value
    if kind == "start_epoch":
        from ghostlearn.config import start_epoch

        return start_epoch(key, experiments)
    raise ValueError(f"unknown setting reference {reference!r} (config:<key> or start_epoch:<experiment>)")


def landmark_inputs(figure: Figure, experiments: Mapping[str, dict], analysed=()) -> dict[str, str]:
    """The landmark builder's inputs: ``*`` in a name and path expanded per experiment of the figure
    (ghost tables only for the experiments whose checkpoints are analysed)."""
    inputs = {}
    for name, path in figure.landmark_inputs.items():
        if "*" not in name:
            inputs[name] = f"{TABLES}/{path}"
            continue
        for experiment in figure_experiments(figure, experiments):
            if name.startswith("ghosts_") and experiment not in analysed:
                continue
            inputs[name.replace("*", experiment)] = f"{TABLES}/{path.replace('*', experiment)}"
    return inputs


def function(reference: str):
    """The package function ``module:name`` of a builder or landmark entry."""
    module, _, name = reference.partition(":")
    return getattr(importlib.import_module(module), name)


def target_experiments(targets, experiments: Mapping[str, dict]) -> list[str] | None:
    """The RNN experiments that a run with these Snakemake targets trains, with every experiment they
    continue from (``start_from``), in config order; None when some target is not one this can read (no
    targets, i.e. the default one, the scorecard, a rule or file of another kind): then the whole config.

    A target is read as a figure name (its rule), a file of a figure (``results/figures/<figure>...``,
    ``results/tables/<figure>_landmarks.csv``), a per-experiment table (``results/tables/rnn_<experiment>_
    <kind>``) or a file under an experiment's run folder (``results/runs/rnn/<experiment>/...``); targets
    that need no RNN training (Figures 1 and 2, say) give an empty list."""
    figures_dir, runs_dir = "results/figures/", "results/runs/rnn/"
    suffixes = tuple(f"_{suffix}" for suffix in RUN_TABLE_SUFFIX.values())
    if not targets:
        return None
    chosen: set[str] = set()
    for target in targets:
        target = str(target).replace("\\", "/").removeprefix("./")
        figure = target if target in FIGURES else None
        if target.startswith(figures_dir):
            figure = target[len(figures_dir) :].split("/")[0].rsplit(".", 1)[0]
        elif target.startswith(f"{TABLES}/") and target.endswith("_landmarks.csv"):
            figure = target[len(TABLES) + 1 : -len("_landmarks.csv")]
        if figure in FIGURES:
            chosen.update(n for n in figure_experiments(FIGURES[figure], experiments) if n in experiments)
            continue
        name = None
        if target.startswith(runs_dir):
            name = target[len(runs_dir) :].split("/")[0]
        elif target.startswith(f"{TABLES}/rnn_") and target.endswith(suffixes):
            stem = target[len(TABLES) + len("/rnn_") :]
            name = next((n for n in experiments if any(stem == n + s for s in suffixes)), None)
        if name not in experiments:
            return None
        chosen.add(name)
    pending = list(chosen)
    while pending:  # a continuation trains after the experiment it starts from
        parent = experiments[pending.pop()].get("start_from", {}).get("experiment")
        if parent in experiments and parent not in chosen:
            chosen.add(parent)
            pending.append(parent)
    return [name for name in experiments if name in chosen]
