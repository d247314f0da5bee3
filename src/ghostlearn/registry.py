"""The figure registry: which panel files each figure notebook writes (docs/methods.md §3, §5 item 1).

Panel letters follow the authors' file names; the workflow declares exactly these outputs and the
notebooks save exactly these names, so a correction to a letter is made here once.
"""

PANELS = {
    "fig1": ("fig1_pos", "fig1_neg"),
    "fig2": ("fig2a_loss", "fig2b_loss_decrease", "fig2c_r_changes", "fig2d_final_loss_vs_lr"),
    "fig3": (
        "fig3a_loss_small_lr",
        "fig3b_flow_curves",
        "fig3c_loss_large_lr",
        "fig3c_inset",
        "fig3d_flow_curves_unstable",
        "fig3_fixed_point_test",
    ),
    "fig4": (
        "fig4a_dcdt_loss",
        "fig4b_dcdt_flow_maps",
        "fig4c_dcdt_closeups",
        "fig4d_dcdt_slow_points",
        "fig4e_dmts_loss",
        "fig4f_dmts_flow_maps",
        "fig4g_dmts_slow_points",
    ),
    "fig5": (
        "fig5a_dcdt_loss",
        "fig5b_dcdt_accuracy",
        "fig5c_dcdt_pca",
        "fig5d_dmts_loss",
        "fig5e_dmts_accuracy",
        "fig5f_dmts_pca",
    ),
    "fig8a": ("fig8a_gradient",),
    "theory": ("theory_critical_lr",),
    "fig6": ("fig6a_rnn_lr_rank_one", "fig6a_rnn_lr_full", "fig6b_learning_curves", "fig6b_learned_fraction"),
    "fig7": (
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
    "fig8b": ("fig8b_confidence_acc", "fig8b_confidence_grad", "fig8b_learnable_confidence"),
    "fig8c": ("fig8c_accuracies",),
    "rnn_scaling": ("rnn_scaling_critical_lr",),
}

FORMATS = ("pdf", "png")

#: The RNN experiments (config ``rnn.experiments`` names) each figure draws; a config that enables the
#: figure must define them (any sizes: the quick config runs smaller versions under the same names).
FIGURE_EXPERIMENTS = {
    "fig3": ("fig3_small_lr", "fig3_large_lr"),
    "fig4": ("fig4_dcdt", "fig4_dmts"),
    "fig5": ("fig5_dcdt", "fig5_dmts"),
}

#: Fig. 3c inset and 3d: the authors' epochs on their float path (docs/methods.md §5 item 10), used when the run
#: keeps them and they fall in its unstable stretch after the drop (see summaries.epoch_choices).
FIG3_AUTHORS_EPOCHS = (5156, 5163, 5166)


def panel_files(figure: str, root: str = "results/figures") -> list[str]:
    """Every file a figure rule writes: each panel and the composed figure, as PDF and PNG."""
    stems = [f"{root}/{figure}/{panel}" for panel in PANELS[figure]] + [f"{root}/{figure}"]
    return [f"{stem}.{ext}" for stem in stems for ext in FORMATS]
