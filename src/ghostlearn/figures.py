"""The figure registry: which panel files each figure notebook writes (PAPER.md §3, §5 item 1).

Panel letters follow the authors' file names; the workflow declares exactly these outputs and the
notebooks save exactly these names, so a correction to a letter is made here once.
"""

PANELS = {
    "fig1": ("fig1_pos", "fig1_neg"),
    "fig2": ("fig2a_loss", "fig2b_loss_decrease", "fig2c_r_changes", "fig2d_final_loss_vs_lr"),
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


def panel_files(figure: str, root: str = "results/figures") -> list[str]:
    """Every file a figure rule writes: each panel and the composed figure, as PDF and PNG."""
    stems = [f"{root}/{figure}/{panel}" for panel in PANELS[figure]] + [f"{root}/{figure}"]
    return [f"{stem}.{ext}" for stem in stems for ext in FORMATS]
