"""The scorecard: claims registry format, claim evaluation against landmark rows, 1-D landmark tables."""

import math

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from ghostlearn.oned.tables import fig1_landmarks, fig8a_landmarks, fixed_point_table, vector_field_table
from ghostlearn.tables.landmarks import LANDMARK_COLUMNS, conform, landmark_rows
from ghostlearn.tables.scorecard import (
    FAIL,
    NOT_MEASURED,
    PASS,
    SCORECARD_COLUMNS,
    evaluate_claim,
    evaluate_claims,
    load_claims,
    passes,
    read_landmarks,
    scorecard_html,
)

CLAIMS = ROOT / "workflow" / "claims.yaml"
CONFIG = {"figures": ["fig2", "fig6"], "canonical": {"gd": {"fig2_sweep": {"starts": 10}}}}


def rows(figure, experiment, **values):
    return landmark_rows(figure, experiment, values)


def claim(**fields):
    base = {
        "id": "c",
        "figure": "fig2",
        "claim": "a claim",
        "measure": {"landmark": "x"},
        "expect": {"equals": 1},
    }
    base.update(fields)
    return base


def test_the_registry_loads_and_every_claim_is_well_formed():
    claims = load_claims(CLAIMS)
    assert len(claims) >= 40
    assert {"fig2d_cliff", "theory_slope", "fig3_no_bifurcation", "fig4_ghost_before_drop"} <= {
        c["id"] for c in claims
    }
    figures = {c["figure"] for c in claims}
    assert {
        "fig1",
        "fig2",
        "fig3",
        "fig4",
        "fig5",
        "fig6",
        "fig7",
        "fig8a",
        "fig8b",
        "fig8c",
        "theory",
    } <= figures


def test_a_malformed_registry_is_rejected_naming_the_claim(tmp_path):
    path = tmp_path / "claims.yaml"
    path.write_text(
        "- {id: a, figure: fig2, claim: x, measure: {landmark: y, aggregate: median}, expect: {approx: 1}}\n"
        "- {id: a, figure: fig2, claim: x, measure: {landmark: 'z_{e}', where: {k: 1}}, expect: {near: 1}}\n"
    )
    with pytest.raises(ValueError) as info:
        load_claims(path)
    message = str(info.value)
    assert "claim a: measure.aggregate: 'median'" in message
    assert "approx needs tol or rel" in message
    assert "duplicate id" in message
    assert "measure.where: k is not a placeholder" in message
    assert "expect: exactly one of" in message


@pytest.mark.parametrize(
    ("expect", "inside", "outside"),
    [
        ({"approx": 1.1, "tol": 0.1}, [1.0, 1.2, 1.15], [0.99, 1.21, math.nan]),
        ({"approx": 2.0, "rel": 0.1}, [1.8, 2.2], [1.79, 2.21]),
        ({"between": [3, 5]}, [3, 4, 5], [2.9, 5.1, math.nan]),
        ({"at_least": 0.5}, [0.5, 1], [0.49]),
        ({"at_most": 1}, [1, 0], [1.01]),
        ({"above": 0}, [1e-9], [0, -1]),
        ({"below": 1}, [0.99], [1, 2]),
        ({"equals": -1}, [-1], [-1.0001, 0]),
    ],
)
def test_expectations(expect, inside, outside):
    assert all(passes(v, expect) for v in inside)
    assert not any(passes(v, expect) for v in outside)


def test_a_claim_passes_fails_or_is_not_measured_with_the_reason():
    table = pd.concat(
        [
            rows(
                "fig2",
                "fig2_sweep",
                cliff_over_critical_epoch_1000=1.095,
                cliff_over_critical_epoch_5000=1.30,
            ),
            rows("fig2", "fig2_pair", zone_epoch_lr1e_09=198),
        ]
    )
    spec = {"experiment": "fig2_sweep", "landmark": "cliff_over_critical_epoch_{e}"}
    one = evaluate_claim(
        claim(measure={**spec, "where": {"e": 1000}}, expect={"approx": 1.1, "tol": 0.1}), table, CONFIG
    )
    assert one["status"] == PASS and one["measured"] == 1.095
    worst = evaluate_claim(
        claim(measure={**spec, "aggregate": "worst"}, expect={"approx": 1.1, "tol": 0.1}), table, CONFIG
    )
    assert worst["status"] == FAIL and worst["measured"] == 1.30 and "epoch_5000" in worst["note"]
    ambiguous = evaluate_claim(claim(measure=spec), table, CONFIG)
    assert ambiguous["status"] == NOT_MEASURED and "2 landmarks match" in ambiguous["note"]
    absent = evaluate_claim(claim(measure={"experiment": "fig2_sweep", "landmark": "nope"}), table, CONFIG)
    assert absent["status"] == NOT_MEASURED and "landmark nope not recorded" in absent["note"]
    other = evaluate_claim(claim(measure={"experiment": "fig9_*", "landmark": "x"}), table, CONFIG)
    assert other["status"] == NOT_MEASURED and "no landmarks of experiment fig9_*" in other["note"]
    off = evaluate_claim(claim(figure="fig3"), table, CONFIG)
    assert off["status"] == NOT_MEASURED and "fig3 is not in the config's figures" in off["note"]
    no_table = evaluate_claim(claim(figure="fig6"), table, CONFIG)
    assert no_table["status"] == NOT_MEASURED and "no landmark table for fig6" in no_table["note"]


def test_requirements_name_the_config_key():
    table = rows("fig2", "fig2_sweep", x=1.0)
    met = evaluate_claim(claim(requires={"canonical.gd.fig2_sweep.starts": 10}), table, CONFIG)
    assert met["status"] == PASS
    unmet = evaluate_claim(claim(requires={"canonical.gd.fig2_sweep.starts": {"min": 100}}), table, CONFIG)
    assert unmet["status"] == NOT_MEASURED
    assert unmet["note"] == "needs canonical.gd.fig2_sweep.starts ≥ 100 (config: 10)"
    missing = evaluate_claim(claim(requires={"rnn.experiments.fig3_small_lr.epochs": 5}), table, CONFIG)
    assert missing["note"] == "the config has no rnn.experiments.fig3_small_lr.epochs"


def test_differences_ratios_and_placeholder_selection():
    table = pd.concat(
        [
            rows("fig6", "fig6b_K1", fraction_learned_K1_lr1_00e_03=1.0),  # not a template match
            rows(
                "fig6",
                "fig6b_K1",
                **{"fraction_learned_K1_lr1.00e-03": 1.0, "fraction_learned_K1_lr1.00e-01": 0.0},
            ),
            rows(
                "fig6",
                "fig6b_K100",
                **{"fraction_learned_K100_lr1.00e-03": 1.0, "fraction_learned_K100_lr1.00e-01": 0.8},
            ),
        ]
    )
    landmark = "fraction_learned_K{K}_lr{lr}"
    remedy = claim(
        figure="fig6",
        measure={"experiment": "fig6b*", "landmark": landmark, "where": {"K": "max"}, "aggregate": "mean"},
        minus={"experiment": "fig6b*", "landmark": landmark, "where": {"K": "min"}, "aggregate": "mean"},
        expect={"above": 0},
    )
    row = evaluate_claim(remedy, table, CONFIG)
    assert row["status"] == PASS and row["measured"] == pytest.approx(0.4)
    small = claim(
        figure="fig6",
        measure={"experiment": "fig6b*", "landmark": landmark, "where": {"lr": 1e-3}, "aggregate": "min"},
        expect={"at_least": 0.5},
    )
    assert evaluate_claim(small, table, CONFIG)["measured"] == 1.0
    ratio = claim(
        figure="fig6",
        measure={"experiment": "fig6b_K100", "landmark": landmark, "where": {"lr": 0.1}},
        over={"experiment": "fig6b_K100", "landmark": landmark, "where": {"lr": 1e-3}},
        expect={"approx": 0.8, "tol": 1e-12},
    )
    assert evaluate_claim(ratio, table, CONFIG)["status"] == PASS


def test_a_landmark_that_was_not_reached_fails():
    table = rows("fig2", "fig2_sweep", x=math.nan)
    row = evaluate_claim(claim(expect={"between": [0, 1]}), table, CONFIG)
    assert row["status"] == FAIL and row["note"].startswith("not reached")


def test_every_claim_is_reported_even_without_landmarks():
    claims = load_claims(CLAIMS)
    card = evaluate_claims(claims, None, {"figures": ["fig2"]})
    assert list(card.columns) == SCORECARD_COLUMNS and len(card) == len(claims)
    assert (card["status"] == NOT_MEASURED).all() and card["note"].str.len().gt(0).all()
    page = scorecard_html(card)
    assert page.count("<tr") == len(claims) + 1 and f"0 pass, 0 fail, {len(claims)} not measured" in page
    with pytest.raises(ValueError, match="lack column"):
        evaluate_claims(claims, pd.DataFrame({"figure": ["fig2"]}), {"figures": ["fig2"]})


def test_figure_1_landmarks_pass_their_claims():
    field = vector_field_table([0.5, -0.5], [-1, 1], 101)
    table = fig1_landmarks(field, fixed_point_table([0.5, -0.5]))
    assert list(table.columns) == LANDMARK_COLUMNS
    card = evaluate_claims(
        [c for c in load_claims(CLAIMS) if c["figure"] == "fig1"], table, {"figures": ["fig1"]}
    )
    assert len(card) == 4 and (card["status"] == PASS).all(), card.to_string()


def test_figure_8a_landmarks_see_the_gradient_inside_the_zone():
    r_over = np.linspace(-1, 2, 100)
    zone = r_over < 0.25
    frames = [
        pd.DataFrame({"confidence": np.inf, "r_over_ropt": r_over, "grad_rel": np.where(zone, 0.0, 1.0)})
    ]
    for a, g in [(0.1, 0.3), (1.0, 0.01), (2.0, 0.001)]:
        frames.append(
            pd.DataFrame({"confidence": a, "r_over_ropt": r_over, "grad_rel": np.where(zone, g, 1.0)})
        )
    values = fig8a_landmarks(pd.concat(frames)).set_index("landmark")["value"]
    assert values["zone_grad_rel_mean_ainf"] == 0 and values["zone_grad_rel_mean_a0.1"] == pytest.approx(0.3)
    assert values["zone_grad_rank_correlation"] == pytest.approx(-1.0)


def test_landmark_tables_are_read_with_the_contract_checked(tmp_path):
    good, empty, bad = tmp_path / "fig2_landmarks.csv", tmp_path / "fig3_landmarks.csv", tmp_path / "x.csv"
    rows("fig2", "fig2_sweep", a=1.0, b=2.0).to_csv(good, index=False)
    pd.DataFrame(columns=LANDMARK_COLUMNS).to_csv(empty, index=False)
    pd.DataFrame({"figure": ["fig2"], "value": [1.0]}).to_csv(bad, index=False)
    table = read_landmarks([good, empty])
    assert list(table.columns) == LANDMARK_COLUMNS and table["value"].tolist() == [1.0, 2.0]
    assert read_landmarks([]).empty
    with pytest.raises(
        ValueError, match=r"x.csv: missing column\(s\) \['experiment', 'landmark', 'detail'\]"
    ):
        read_landmarks([good, bad])


def test_conform_holds_every_builder_to_the_landmark_contract():
    table = landmark_rows(None, "exp", {"a": 1, "b": 2.5}).assign(extra=0)
    conformed = conform(table, "fig9")
    assert list(conformed.columns) == LANDMARK_COLUMNS
    assert set(conformed["figure"]) == {"fig9"} and conformed["value"].dtype == float
    with pytest.raises(ValueError, match="fig9: duplicate landmark rows"):
        conform(pd.concat([table, table]), "fig9")
    with pytest.raises(ValueError, match="lacks column"):
        conform(table.drop(columns="detail"), "fig9")


def test_claim_robustness_compares_every_claims_status_across_runs():
    from ghostlearn.tables.scorecard import claim_robustness

    def card(statuses, measured):
        return pd.DataFrame(
            {
                "id": ["a", "b", "c"],
                "figure": "fig3",
                "claim": ["x", "y", "z"],
                "status": statuses,
                "measured": measured,
            }
        )

    cards = {
        "reference": card(["pass", "fail", "pass"], [1.0, 2.0, 3.0]),
        "float64": card(["pass", "pass", "pass"], [1.0, 2.5, 3.0]),
        "other_kernel": card(["pass", "fail", "not measured"], [1.1, 2.0, float("nan")]),
    }
    table = claim_robustness(cards).set_index("id")
    assert table["changed"].tolist() == [False, True, True]
    assert table.loc["b", "changed_in"] == "float64" and table.loc["c", "changed_in"] == "other_kernel"
    assert table.loc["a", "measured_other_kernel"] == 1.1 and table.loc["b", "status_float64"] == "pass"
    cards["float64"] = cards["float64"].iloc[:2]
    with pytest.raises(ValueError, match="'float64': claims differ"):
        claim_robustness(cards)
