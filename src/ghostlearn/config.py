"""Configuration: schema validation with readable errors, defaults, and expansion of experiment entries.

The workflow calls :func:`load_config` once at parse time, so a bad key or value stops the run before any
job starts, with the offending key named (``canonical.gd.fig2_sweep.epochz``).
"""

from __future__ import annotations

import copy
from pathlib import Path

import jsonschema
import numpy as np
import yaml

from ghostlearn import canonical
from ghostlearn.figures import FIGURE_EXPERIMENTS

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"

#: Figures that read named gradient-descent experiments.
REQUIRED_GD_EXPERIMENTS = {"fig2": ("fig2_pair", "fig2_sweep")}


class ConfigError(ValueError):
    """An invalid configuration; the message names every offending key."""


def _key(path) -> str:
    parts = []
    for part in path:
        parts.append(f"[{part}]" if isinstance(part, int) else f".{part}")
    return "".join(parts).lstrip(".") or "<top level>"


def _closest_branch(error: jsonschema.ValidationError) -> list[jsonschema.ValidationError]:
    """For a failed oneOf/anyOf: the errors of the branch the instance was most likely meant for.

    A branch whose type or discriminating constant does not even match is skipped; among the others, the
    one with the fewest errors wins.
    """
    branches: dict = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)

    def mismatched(errors):
        return any(e.validator in ("type", "const") and len(e.relative_path) <= 1 for e in errors)

    plausible = [errs for errs in branches.values() if not mismatched(errs)] or list(branches.values())
    return min(plausible, key=len)


def _describe(error: jsonschema.ValidationError) -> list[str]:
    """Readable lines for one error, descending into oneOf/anyOf to the most specific reasons."""
    if error.context:
        return [line for sub in _closest_branch(error) for line in _describe(sub)]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - allowed)
        if allowed and unknown:
            return [
                f"{_key([*error.absolute_path, name])}: unknown key (allowed: {', '.join(sorted(allowed))})"
                for name in unknown
            ]
    return [f"{_key(error.absolute_path)}: {error.message}"]


def _defaults(instance, schema: dict, root: dict) -> None:
    """Fill ``default`` values of ``properties`` recursively (not inside oneOf branches)."""
    if "$ref" in schema:
        schema = root["$defs"][schema["$ref"].rsplit("/", 1)[-1]]
    if not isinstance(instance, dict):
        return
    for name, sub in schema.get("properties", {}).items():
        resolved = root["$defs"][sub["$ref"].rsplit("/", 1)[-1]] if "$ref" in sub else sub
        default = sub.get("default", resolved.get("default"))
        if name not in instance and default is not None:
            instance[name] = copy.deepcopy(default)
        if name in instance:
            _defaults(instance[name], sub, root)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        for name, value in instance.items():
            if name not in schema.get("properties", {}):
                _defaults(value, extra, root)


def _semantic_errors(config: dict) -> list[str]:
    """Checks a JSON schema cannot express: cross-field bounds and references between entries."""
    errors = []
    canon = config["canonical"]
    for name, exp in canon["gd"].items():
        key = f"canonical.gd.{name}"
        for epoch in exp.get("report_epochs", []):
            if epoch > exp["epochs"]:
                errors.append(f"{key}.report_epochs: epoch {epoch} is beyond epochs = {exp['epochs']}")
        errors += _range_errors(key, exp)
    for figure, names in REQUIRED_GD_EXPERIMENTS.items():
        if figure in config["figures"]:
            errors += [
                f"canonical.gd.{n}: missing, but figure {figure} needs it"
                for n in names
                if n not in canon["gd"]
            ]
    land = canon["landscape"]
    if land["r_range"][0] >= land["r_range"][1]:
        errors.append("canonical.landscape.r_range: low must be below high")
    missing = sorted(set(land["fig2a_confidences"]) - set(land["confidences"]))
    if missing:
        errors.append(f"canonical.landscape.fig2a_confidences: {missing} not in confidences")
    theory = canon["theory_check"]
    low, high, _ = theory["lr_over_critical"]
    if low >= high:
        errors.append("canonical.theory_check.lr_over_critical: low must be below high")
    errors += _range_errors("canonical.theory_check", theory)
    experiments = config.get("rnn", {}).get("experiments", {})
    for name, exp in experiments.items():
        errors += _rnn_errors(f"rnn.experiments.{name}", exp)
    for figure, names in FIGURE_EXPERIMENTS.items():
        if figure in config["figures"]:
            errors += [
                f"rnn.experiments.{n}: missing, but figure {figure} needs it"
                for n in names
                if n not in experiments
            ]
    return errors


_TASK_SIZES = {
    "delayed_activation": ("T",),
    "dcdt": ("n_in", "n_delay", "n_response", "trials_per_class"),
    "dmts": ("n_in", "n_delay", "n_response", "trials_per_class"),
}
_FAMILY_TASKS = {
    "rank_one": ("delayed_activation",),
    "rank_k": ("delayed_activation",),
    "full_canonical": ("delayed_activation",),
    "task_low_rank": ("dcdt", "dmts"),
    "task_full": ("dcdt", "dmts"),
}
_FAMILY_OPTIONS = {
    "rank_one": ("c", "trainable_c"),
    "rank_k": ("K",),
    "full_canonical": (),
    "task_low_rank": ("K", "readout", "sigma_rec", "sigma_init"),
    "task_full": ("readout", "sigma_rec", "sigma_init"),
}


def _rnn_errors(key: str, exp: dict) -> list[str]:
    errors = []
    family, kind = exp["model"]["family"], exp["task"]["kind"]
    if kind not in _FAMILY_TASKS[family]:
        errors.append(f"{key}.task.kind: {kind} cannot train {family} (needs {_FAMILY_TASKS[family]})")
    errors += [
        f"{key}.task.{size}: required for {kind}" for size in _TASK_SIZES[kind] if size not in exp["task"]
    ]
    errors += [
        f"{key}.task.{size}: not used by {kind}"
        for size in exp["task"]
        if size != "kind" and size not in _TASK_SIZES[kind]
    ]
    options = set(exp["model"]) - {"family", "N", "alpha"}
    errors += [
        f"{key}.model.{opt}: not an option of {family} (options: {', '.join(_FAMILY_OPTIONS[family])})"
        for opt in sorted(options - set(_FAMILY_OPTIONS[family]))
    ]
    if family in ("rank_k", "task_low_rank") and "K" not in exp["model"]:
        errors.append(f"{key}.model.K: required for {family}")
    if exp.get("kernel", "autograd") == "fused" and family != "rank_one":
        errors.append(f"{key}.kernel: the fused kernel exists for rank_one only")
    if exp.get("count_fixed_points") and family != "rank_one":
        errors.append(f"{key}.count_fixed_points: only rank_one networks have a one-dimensional flow")
    if "output_l1_norm" in exp and family != "task_full":
        errors.append(f"{key}.output_l1_norm: only task_full networks have an output normalisation")
    if isinstance(exp["learning_rates"], dict) and "critical_multiples" in exp["learning_rates"]:
        errors.append(f"{key}.learning_rates: critical_multiples is defined for the 1-D model only")
    window = exp.get("checkpoint_window")
    if window and window[0] > window[1]:
        errors.append(f"{key}.checkpoint_window: first must not exceed last")
    for listed in ("checkpoint_epochs", "report_epochs", "checkpoint_window"):
        errors += [
            f"{key}.{listed}: epoch {e} is beyond epochs = {exp['epochs']}"
            for e in exp.get(listed, [])
            if e > exp["epochs"]
        ]
    seeds = exp["seeds"]
    if isinstance(seeds, dict) and seeds["range"][0] > seeds["range"][1]:
        errors.append(f"{key}.seeds.range: first must not exceed last")
    return errors


def _range_errors(key: str, entry: dict) -> list[str]:
    init = entry["init"]
    if init["distribution"] == "uniform" and init["low"] >= init["high"]:
        return [f"{key}.init: low must be below high"]
    return []


def check_config(config: dict, schema_path: Path = SCHEMA_PATH) -> dict:
    """Validate ``config`` against the schema and the cross-field rules; return it with defaults filled.

    Raises :class:`ConfigError` listing every problem, each prefixed by its key.
    """
    schema = yaml.safe_load(Path(schema_path).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    problems = sorted({line for e in validator.iter_errors(config) for line in _describe(e)})
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))
    config = copy.deepcopy(config)
    _defaults(config, schema, schema)
    problems = _semantic_errors(config)
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))
    return config


def load_config(path: str | Path) -> dict:
    """Read a YAML config file and check it (see :func:`check_config`)."""
    path = Path(path)
    try:
        config = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read config: {exc}") from exc
    return check_config(config or {})


def learning_rates(spec, T: float) -> np.ndarray:
    """Expand a ``learning_rates`` entry: a list, {logspace: [a, b, n]} or {critical_multiples: [a, b, n]}."""
    if isinstance(spec, list):
        return np.asarray(spec, dtype=float)
    if "logspace" in spec:
        a, b, n = spec["logspace"]
        return np.logspace(a, b, n)
    a, b, n = spec["critical_multiples"]
    return np.linspace(a, b, n) * canonical.critical_lr(T)


def seed_list(spec) -> list[int]:
    """Expand a ``seeds`` entry: a list, or {range: [first, last]} inclusive."""
    if isinstance(spec, dict):
        first, last = spec["range"]
        return list(range(first, last + 1))
    return [int(s) for s in spec]


def rnn_networks(exp: dict) -> list[dict]:
    """The networks of an RNN experiment: learning rates x seeds, learning-rate major, numbered from 0."""
    lrs = learning_rates(exp["learning_rates"], T=1.0)
    return [
        {"network": k, "lr_index": i, "lr": float(lr), "seed": seed}
        for k, (i, lr, seed) in enumerate(
            (i, lr, seed) for i, lr in enumerate(lrs) for seed in seed_list(exp["seeds"])
        )
    ]


def rnn_jobs(exp: dict) -> list[list[dict]]:
    """The networks of each training job: consecutive chunks of ``networks_per_job``."""
    networks = rnn_networks(exp)
    size = exp.get("networks_per_job", 1024)
    return [networks[i : i + size] for i in range(0, len(networks), size)]


#: Families the checkpoint analysis knows (low-rank only at rank 2, where the latent flow is a plane).
ANALYSABLE = ("rank_one", "task_low_rank", "task_full")


def checkpoint_epochs(exp: dict) -> list[int]:
    """Every epoch whose parameters an RNN experiment keeps: ``checkpoint_epochs`` and the whole
    ``checkpoint_window``, sorted."""
    window = exp.get("checkpoint_window")
    extra = range(window[0], window[1] + 1) if window else []
    return sorted(set(exp.get("checkpoint_epochs", [])) | set(extra))


def analysable(exp: dict) -> bool:
    """Whether an RNN experiment is analysed: a known family (rank 2 if low-rank) that keeps checkpoints."""
    model = exp["model"]
    if model["family"] not in ANALYSABLE or not checkpoint_epochs(exp):
        return False
    return model["family"] != "task_low_rank" or model.get("K") == 2


def gd_experiments(canon: dict) -> dict[str, dict]:
    """Every gradient-descent experiment, the theory check expanded into one ``theory_T{T}`` per T."""
    experiments = dict(canon["gd"])
    theory = canon["theory_check"]
    for T in theory["T"]:
        experiments[f"theory_T{T:g}"] = {
            "task": {"kind": "delayed_activation_1d", "T": T, "dt": theory["dt"]},
            "learning_rates": {"critical_multiples": theory["lr_over_critical"]},
            "init": theory["init"],
            "starts": theory["starts"],
            "epochs": theory["epochs"],
            "record_every": theory["epochs"],
            "report_epochs": [theory["epochs"]],
            "convention": "error",
        }
    return experiments
