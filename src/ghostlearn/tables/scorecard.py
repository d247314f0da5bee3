"""The reproduction scorecard: the paper's checkable claims (docs/methods.md §3 "expected") against the landmarks
this run measured.

Landmark tables (``results/tables/{figure}_landmarks.csv``) are long: one row per measured number, columns
:data:`LANDMARK_COLUMNS`.  The claims registry (``workflow/claims.yaml``) is data, one entry per claim::

    - id: fig2d_cliff                      # unique
      figure: fig2                         # whose landmark table holds the measurement
      claim: every loss-vs-eta curve jumps to L = 1 at eta = 1.1 eta_c
      source: docs/methods.md §3 Fig. 2d          # where the expected value is stated
      measure:                             # which landmark rows, reduced to one number
        experiment: fig2_sweep             # glob over the experiment column
        landmark: cliff_over_critical_epoch_{epoch}   # {name} matches a number, parsed as a float
        where: {epoch: max}                # optional: a number, or min / max of the parsed values
        aggregate: worst                   # one (default) | min | max | mean | range | worst
      minus: {...}                         # optional, same form: measured = measure - minus
      over: {...}                          # optional, same form: measured = measure / over
      expect: {approx: 1.1, tol: 0.1}      # approx (tol | rel) | between | at_least | at_most | above |
                                           # below | equals
      requires:                            # optional: config values (dotted keys) the claim assumes
        canonical.gd.fig2_sweep.starts: 10 # a value, or {min: x} / {max: x}

:func:`evaluate_claims` turns claims, landmark rows and the run's config into the scorecard: one row per
claim with status ``pass``, ``fail`` or ``not measured`` (and why); it never raises on missing data.
"""

from __future__ import annotations

import fnmatch
import html
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ghostlearn.tables.landmarks import LANDMARK_COLUMNS

#: Columns of the scorecard, in order.
SCORECARD_COLUMNS = [
    "id",
    "figure",
    "claim",
    "experiment",
    "measure",
    "expected",
    "tolerance",
    "measured",
    "status",
    "note",
    "source",
]

PASS, FAIL, NOT_MEASURED = "pass", "fail", "not measured"
AGGREGATES = ("one", "min", "max", "mean", "range", "worst")
EXPECTATIONS = ("approx", "between", "at_least", "at_most", "above", "below", "equals")
_NUMBER = r"([-+]?(?:inf|nan|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?))"


class NotMeasured(Exception):
    """A claim this run cannot check; the message says why."""


def read_landmarks(paths) -> pd.DataFrame:
    """Every landmark table of a run as one frame.  A table without the contract's columns fails naming the
    file; an empty one (a figure with nothing to measure in this config) contributes no rows."""
    frames = []
    for path in paths:
        try:
            table = pd.read_csv(path)
        except pd.errors.EmptyDataError:
            raise ValueError(f"{path}: empty file, not a landmark table") from None
        missing = [c for c in LANDMARK_COLUMNS if c not in table.columns]
        if missing:
            raise ValueError(f"{path}: missing column(s) {missing}; has {list(table.columns)}")
        frames.append(table[LANDMARK_COLUMNS])
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=LANDMARK_COLUMNS)


# -- the registry ----------------------------------------------------------------------------------------
def load_claims(path: str | Path) -> list[dict]:
    """Read and check the claims registry; raises ValueError naming the claim and field at fault."""
    claims = yaml.safe_load(Path(path).read_text())
    if not isinstance(claims, list):
        raise ValueError(f"{path}: the claims registry must be a list of claims")
    problems = []
    seen = set()
    for i, claim in enumerate(claims):
        name = claim.get("id", f"#{i}") if isinstance(claim, dict) else f"#{i}"
        problems += [f"{path}: claim {name}: {p}" for p in _claim_problems(claim)]
        if name in seen:
            problems.append(f"{path}: claim {name}: duplicate id")
        seen.add(name)
    if problems:
        raise ValueError("invalid claims registry:\n  " + "\n  ".join(problems))
    return claims


def _claim_problems(claim) -> list[str]:
    if not isinstance(claim, dict):
        return ["not a mapping"]
    allowed = {"id", "figure", "claim", "source", "measure", "minus", "over", "expect", "requires"}
    problems = [f"unknown field {k!r}" for k in sorted(set(claim) - allowed)]
    problems += [
        f"missing field {k!r}" for k in ("id", "figure", "claim", "measure", "expect") if k not in claim
    ]
    for part in ("measure", "minus", "over"):
        spec = claim.get(part)
        if spec is None:
            continue
        if not isinstance(spec, dict) or "landmark" not in spec:
            problems.append(f"{part}: needs a landmark")
            continue
        problems += [
            f"{part}: unknown field {k!r}"
            for k in sorted(set(spec) - {"experiment", "landmark", "where", "aggregate"})
        ]
        if spec.get("aggregate", "one") not in AGGREGATES:
            problems.append(f"{part}.aggregate: {spec['aggregate']!r} is not one of {AGGREGATES}")
        for key, value in (spec.get("where") or {}).items():
            if f"{{{key}}}" not in spec["landmark"]:
                problems.append(f"{part}.where: {key} is not a placeholder of {spec['landmark']!r}")
            if not (isinstance(value, int | float) or value in ("min", "max")):
                problems.append(f"{part}.where.{key}: a number, min or max")
    if "minus" in claim and "over" in claim:
        problems.append("give minus or over, not both")
    expect = claim.get("expect")
    if isinstance(expect, dict):
        kinds = [k for k in expect if k in EXPECTATIONS]
        if len(kinds) != 1:
            problems.append(f"expect: exactly one of {EXPECTATIONS}")
        elif kinds[0] == "approx" and not ({"tol", "rel"} & set(expect)):
            problems.append("expect: approx needs tol or rel")
        elif kinds[0] == "between" and not (
            isinstance(expect["between"], list) and len(expect["between"]) == 2
        ):
            problems.append("expect: between needs [low, high]")
    elif "expect" in claim:
        problems.append("expect: a mapping")
    return problems


# -- measuring -------------------------------------------------------------------------------------------
def _template_regex(template: str) -> tuple[re.Pattern, list[str]]:
    names = re.findall(r"\{(\w+)\}", template)
    pattern = "".join(
        _NUMBER if part in names and i % 2 else re.escape(part)
        for i, part in enumerate(re.split(r"\{(\w+)\}", template))
    )
    return re.compile(f"^{pattern}$", re.IGNORECASE), names


def select(landmarks: pd.DataFrame, spec: dict, figure: str) -> tuple[pd.DataFrame, str]:
    """The landmark rows a measure spec names, after ``where``; raises :class:`NotMeasured` if none."""
    rows = landmarks[landmarks["figure"] == figure]
    experiment = spec.get("experiment", "*")
    rows = rows[[fnmatch.fnmatchcase(str(e), experiment) for e in rows["experiment"]]]
    if rows.empty:
        raise NotMeasured(f"no landmarks of experiment {experiment} (not in this run)")
    regex, names = _template_regex(spec["landmark"])
    matches = [regex.match(str(name)) for name in rows["landmark"]]
    keep = np.array([m is not None for m in matches])
    if not keep.any():
        raise NotMeasured(f"landmark {spec['landmark']} not recorded for {experiment}")
    rows = rows[keep].copy()
    for k, name in enumerate(names):
        rows[name] = [float(m.group(k + 1)) for m in matches if m is not None]
    for name, wanted in (spec.get("where") or {}).items():
        column = rows[name]
        if wanted in ("min", "max"):
            target = column.min() if wanted == "min" else column.max()
            rows = rows[column == target]
        else:
            rows = rows[np.isclose(column, float(wanted), rtol=1e-6, atol=0)]
        if rows.empty:
            raise NotMeasured(f"landmark {spec['landmark']} with {name} = {wanted} not recorded")
    return rows, experiment


def _reduce(rows: pd.DataFrame, spec: dict, expect: dict) -> tuple[float, str]:
    aggregate = spec.get("aggregate", "one")
    values = rows["value"].to_numpy(dtype=float)
    labels = [f"{e}:{n}" for e, n in zip(rows["experiment"], rows["landmark"], strict=True)]
    if aggregate == "one":
        if len(values) != 1:
            raise NotMeasured(f"{len(values)} landmarks match {spec['landmark']}; the claim needs one")
        return float(values[0]), labels[0]
    finite = values[np.isfinite(values)]
    if aggregate == "worst":
        k = int(np.argmax([_violation(v, expect) for v in values]))
        return float(values[k]), f"worst of {len(values)}: {labels[k]}"
    if finite.size == 0:
        return float("nan"), f"{aggregate} of {len(values)} (none finite)"
    reduce = {
        "min": np.min,
        "max": np.max,
        "mean": np.mean,
        "range": lambda v: np.max(v) - np.min(v),
    }[aggregate]
    skipped = f", {len(values) - finite.size} non-finite skipped" if finite.size < len(values) else ""
    return float(reduce(finite)), f"{aggregate} of {len(values)}{skipped}"


def _config_value(config: dict, key: str):
    value = config
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            raise NotMeasured(f"the config has no {key}")
        value = value[part]
    return value


def check_requirements(requires: dict | None, config: dict) -> None:
    """Raise :class:`NotMeasured` if the config is not at the scale the claim assumes."""
    for key, wanted in (requires or {}).items():
        value = _config_value(config, key)
        if isinstance(wanted, dict) and set(wanted) <= {"min", "max"} and wanted:
            low, high = wanted.get("min", -math.inf), wanted.get("max", math.inf)
            if not (isinstance(value, int | float) and low <= value <= high):
                bound = " and ".join(f"{'≥' if k == 'min' else '≤'} {v}" for k, v in wanted.items())
                raise NotMeasured(f"needs {key} {bound} (config: {value})")
        elif value != wanted:
            raise NotMeasured(f"needs {key} = {wanted} (config: {value})")


# -- judging ---------------------------------------------------------------------------------------------
def _violation(value: float, expect: dict) -> float:
    """How far ``value`` is outside the expected region (≤ 0 inside); +inf for NaN."""
    if not np.isfinite(value) and not (np.isinf(value) and "equals" in expect):
        return math.inf
    if "approx" in expect:
        tol = expect.get("tol", 0.0) + expect.get("rel", 0.0) * abs(expect["approx"])
        return abs(value - expect["approx"]) - tol * (1 + 1e-9)  # a value on the edge passes
    if "between" in expect:
        low, high = expect["between"]
        return max(low - value, value - high)
    if "at_least" in expect or "above" in expect:
        return expect.get("at_least", expect.get("above")) - value
    if "at_most" in expect or "below" in expect:
        return value - expect.get("at_most", expect.get("below"))
    return 0.0 if value == expect["equals"] else abs(value - expect["equals"]) or math.inf


def passes(value: float, expect: dict) -> bool:
    """Whether a measured value meets the expectation (NaN never does)."""
    violation = _violation(value, expect)
    strict = "above" in expect or "below" in expect
    return violation < 0 if strict else violation <= 0


def describe_expectation(expect: dict) -> tuple[str, str]:
    """(expected, tolerance) as the scorecard prints them."""
    if "approx" in expect:
        tol = f"± {expect['tol']:g}" if "tol" in expect else f"± {100 * expect['rel']:g} %"
        if "tol" in expect and "rel" in expect:
            tol = f"± ({expect['tol']:g} + {100 * expect['rel']:g} %)"
        return f"{expect['approx']:g}", tol
    if "between" in expect:
        low, high = expect["between"]
        return f"in [{low:g}, {high:g}]", "inclusive"
    symbols = {"at_least": "≥", "at_most": "≤", "above": ">", "below": "<", "equals": "="}
    kind = next(k for k in symbols if k in expect)
    return f"{symbols[kind]} {expect[kind]:g}", "exact" if kind == "equals" else "one-sided"


def _measure_text(claim: dict) -> str:
    def one(spec):
        where = ", ".join(f"{k}={v}" for k, v in (spec.get("where") or {}).items())
        text = spec["landmark"] + (f" [{where}]" if where else "")
        aggregate = spec.get("aggregate", "one")
        return text if aggregate == "one" else f"{aggregate}({text})"

    text = one(claim["measure"])
    if "minus" in claim:
        text += f" − {one(claim['minus'])}"
    if "over" in claim:
        text += f" / {one(claim['over'])}"
    return text


def evaluate_claim(claim: dict, landmarks: pd.DataFrame, config: dict) -> dict:
    """One scorecard row (see :data:`SCORECARD_COLUMNS`)."""
    expected, tolerance = describe_expectation(claim["expect"])
    row = {
        "id": claim["id"],
        "figure": claim["figure"],
        "claim": " ".join(str(claim["claim"]).split()),
        "experiment": claim["measure"].get("experiment", "*"),
        "measure": _measure_text(claim),
        "expected": expected,
        "tolerance": tolerance,
        "measured": float("nan"),
        "status": NOT_MEASURED,
        "note": "",
        "source": claim.get("source", ""),
    }
    try:
        if claim["figure"] not in config.get("figures", []):
            raise NotMeasured(f"figure {claim['figure']} is not in the config's figures")
        if not (landmarks["figure"] == claim["figure"]).any():
            raise NotMeasured(f"no landmark table for {claim['figure']}")
        check_requirements(claim.get("requires"), config)
        rows, _ = select(landmarks, claim["measure"], claim["figure"])
        expect = claim["expect"]
        if "minus" in claim or "over" in claim:
            other_spec = claim.get("minus", claim.get("over"))
            first, note = _reduce(rows, claim["measure"], {"approx": 0.0, "tol": 0.0})
            other_rows, _ = select(landmarks, other_spec, claim["figure"])
            second, other_note = _reduce(other_rows, other_spec, {"approx": 0.0, "tol": 0.0})
            value = first - second if "minus" in claim else first / second if second else float("nan")
            op = "−" if "minus" in claim else "/"
            note = f"{first:.6g} ({note}) {op} {second:.6g} ({other_note})"
        else:
            value, note = _reduce(rows, claim["measure"], expect)
        details = [d for d in rows.get("detail", pd.Series(dtype=str)).fillna("").astype(str) if d]
        if len(rows) == 1 and details:
            note += f"; {details[0]}"
        status = PASS if passes(value, expect) else FAIL
        if status == FAIL and not np.isfinite(value):
            note = f"not reached (value {value}); {note}"
        row.update(measured=value, status=status, note=note)
    except NotMeasured as reason:
        row["note"] = str(reason)
    return row


def evaluate_claims(claims: list[dict], landmarks: pd.DataFrame, config: dict) -> pd.DataFrame:
    """The scorecard: every claim judged against the landmark rows of this run (see the module doc).

    ``landmarks`` holds the rows of every landmark table the run wrote (possibly none); ``config`` is the
    run's checked config (its ``figures`` and the values claims may require).
    """
    if landmarks is None or landmarks.empty:
        landmarks = pd.DataFrame(columns=LANDMARK_COLUMNS)
    missing = [c for c in ("figure", "experiment", "landmark", "value") if c not in landmarks.columns]
    if missing:
        raise ValueError(f"landmark rows lack column(s) {missing}")
    landmarks = landmarks.assign(value=pd.to_numeric(landmarks["value"], errors="coerce"))
    rows = [evaluate_claim(claim, landmarks, config) for claim in claims]
    return pd.DataFrame(rows, columns=SCORECARD_COLUMNS)


def summary(scorecard: pd.DataFrame) -> str:
    """E.g. ``7 pass, 1 fail, 30 not measured``."""
    counts = scorecard["status"].value_counts()
    return ", ".join(f"{counts.get(s, 0)} {s}" for s in (PASS, FAIL, NOT_MEASURED))


def scorecard_html(scorecard: pd.DataFrame, title: str = "Reproduction scorecard") -> str:
    """A self-contained HTML page of the scorecard: measured claims first, pass green, fail red."""
    order = {FAIL: 0, PASS: 1, NOT_MEASURED: 2}
    table = scorecard.assign(_order=scorecard["status"].map(order)).sort_values(
        ["_order", "figure", "id"], kind="stable"
    )
    colours = {PASS: "#d9f2d9", FAIL: "#f8d0d0", NOT_MEASURED: "#eeeeee"}
    columns = ["figure", "claim", "expected", "tolerance", "measured", "status", "note", "source"]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = []
    for _, row in table.iterrows():
        cells = []
        for column in columns:
            value = row[column]
            text = f"{value:.6g}" if isinstance(value, float) else str(value)
            cells.append(f"<td>{html.escape('' if text == 'nan' else text)}</td>")
        body.append(f'<tr style="background:{colours[row["status"]]}">{"".join(cells)}</tr>')
    return (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>"
        "body{font-family:sans-serif;font-size:13px}table{border-collapse:collapse}"
        "td,th{border:1px solid #bbb;padding:3px 6px;vertical-align:top}th{background:#ddd}"
        f"</style></head><body><h2>{html.escape(title)}</h2>"
        f"<p>{html.escape(summary(scorecard))} (claims of docs/methods.md §3; a claim is "
        "<i>not measured</i> when this config does not run the experiment or is not at the scale the "
        "claim assumes)</p>"
        f"<table><tr>{head}</tr>\n" + "\n".join(body) + "\n</table></body></html>\n"
    )


def claim_robustness(scorecards: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per claim: its status and measured value in each run (``scorecards``: run name -> that run's
    scorecard, the reference run first), ``changed`` (the runs do not all give the same status) and
    ``changed_in`` (the runs whose status differs from the first's)."""
    names = list(scorecards)
    if not names:
        raise ValueError("claim_robustness: no scorecard given")
    first = scorecards[names[0]]
    table = first[["id", "figure", "claim"]].copy()
    for name, card in scorecards.items():
        missing = set(first["id"]) ^ set(card["id"])
        if missing:
            raise ValueError(f"scorecard of run {name!r}: claims differ from {names[0]!r}: {sorted(missing)}")
        indexed = card.set_index("id").loc[first["id"]]
        table[f"status_{name}"] = indexed["status"].to_numpy()
        table[f"measured_{name}"] = indexed["measured"].to_numpy()
    statuses = table[[f"status_{name}" for name in names]]
    table["changed"] = statuses.nunique(axis=1) > 1
    table["changed_in"] = [
        " ".join(name for name in names[1:] if row[f"status_{name}"] != row[f"status_{names[0]}"])
        for _, row in table.iterrows()
    ]
    return table.reset_index(drop=True)
