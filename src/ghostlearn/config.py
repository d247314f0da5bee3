"""Configuration: schema validation with readable errors, defaults, and expansion of experiment entries.

The workflow calls :func:`check_config` once at parse time (the only validation), so a bad key or value stops
the run before any job starts, with the offending key named (``canonical.gd.fig2_sweep.epochz``).  The schema
ships with the package (``config.schema.yaml`` beside this module); its list of figures is the registry's,
its model families, kernels and grid axes are those :mod:`ghostlearn.rnn.families` declares.
A section is needed only when an enabled figure reads it (:data:`ghostlearn.registry.FIGURES`): a config of
RNN experiments alone validates without any ``canonical`` section.
"""

from __future__ import annotations

import copy
from pathlib import Path

try:
    import jsonschema
except ImportError:  # pragma: no cover - a bare GPU image: configs can be read, not validated
    jsonschema = None
import numpy as np
import yaml

from ghostlearn import registry
from ghostlearn.oned import canonical
from ghostlearn.rnn import families
from ghostlearn.rnn.families import ANALYSABLE, GRID_AXES

#: The config schema (JSON schema draft 2020-12, YAML), shipped as package data.
SCHEMA_PATH = Path(__file__).resolve().with_name("config.schema.yaml")
#: Prefix of the T-scaling experiments generated from ``rnn.t_scaling`` (one per T).
T_SCALING_PREFIX = "tscaling_T"


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


def _enabled(config: dict) -> list[registry.Figure]:
    return [registry.FIGURES[name] for name in config["figures"]]


def _needed_errors(config: dict, given: dict) -> list[str]:
    """Every section, gradient-descent and RNN experiment an enabled figure reads (the registry's
    ``Figure.canonical``, ``.gd``, ``.experiments``, ``.experiment_prefixes``) that the config lacks."""
    canon = config["canonical"]
    experiments = rnn_experiments(config["rnn"])
    hint = (
        " (figures defaults to [{}]; set figures: [] for experiments of your own)".format(
            ", ".join(config["figures"])
        )
        if "figures" not in given
        else ""
    )
    errors = []
    for figure in _enabled(config):
        errors += [
            f"canonical.{section}: missing, but figure {figure.name} needs it{hint}"
            for section in figure.canonical
            if section not in canon
        ]
        errors += [
            f"canonical.gd.{name}: missing, but figure {figure.name} needs it{hint}"
            for name in figure.gd
            if name not in canon["gd"]
        ]
        errors += [
            f"rnn.experiments.{name}: missing, but figure {figure.name} needs it{hint}"
            for name in figure.experiments
            if name not in experiments
        ]
        for prefix in figure.experiment_prefixes:
            if any(name.startswith(prefix) for name in experiments):
                continue
            if prefix == T_SCALING_PREFIX:
                errors.append(f"rnn.t_scaling: missing, but figure {figure.name} needs it{hint}")
            else:
                errors.append(
                    f"rnn.experiments: figure {figure.name} needs at least one {prefix}<name> experiment{hint}"
                )
    return errors


def _semantic_errors(config: dict, given: dict) -> list[str]:
    """Checks a JSON schema cannot express: cross-field bounds, references between entries and what the
    enabled figures need (``given``: the config as written, before defaults)."""
    errors = []
    canon = config["canonical"]
    for name, exp in canon["gd"].items():
        key = f"canonical.gd.{name}"
        for epoch in exp.get("report_epochs", []):
            if epoch > exp["epochs"]:
                errors.append(f"{key}.report_epochs: epoch {epoch} is beyond epochs = {exp['epochs']}")
        errors += _range_errors(key, exp)
    land = canon.get("landscape")
    if land is not None:
        if land["r_range"][0] >= land["r_range"][1]:
            errors.append("canonical.landscape.r_range: low must be below high")
        missing = sorted(set(land["fig2a_confidences"]) - set(land["confidences"]))
        if missing:
            errors.append(f"canonical.landscape.fig2a_confidences: {missing} not in confidences")
    theory = canon.get("theory_check")
    if theory is not None:
        low, high, _ = theory["lr_over_critical"]
        if low >= high:
            errors.append("canonical.theory_check.lr_over_critical: low must be below high")
        errors += _range_errors("canonical.theory_check", theory)
    rnn = config["rnn"]
    experiments = rnn["experiments"]
    for name, exp in experiments.items():
        errors += _rnn_errors(f"rnn.experiments.{name}", exp)
        errors += _continuation_errors(f"rnn.experiments.{name}", name, exp, experiments)
    if "t_scaling" in rnn:
        errors += _rnn_errors("rnn.t_scaling.experiment", rnn["t_scaling"]["experiment"])
        if rnn["t_scaling"]["experiment"]["model"]["family"] != "rank_one":
            errors.append("rnn.t_scaling.experiment.model.family: the T scaling is defined for rank_one")
    errors += _needed_errors(config, given)
    errors += _figure_errors(config)
    return errors


#: Figures that read their experiments as continuations of a first phase (``start_from``).
CONTINUATIONS = {"fig8b": ("fig8b_ablation", "fig8b_learnable"), "fig8c": ("fig8c",)}
#: Figures whose experiment sweeps a grid axis: (figure, experiment, axis).
GRID_FIGURES = (("fig8b", "fig8b_ablation", "c"), ("fig8c", "fig8c", "output_l1_norm"))


def _figure_errors(config: dict) -> list[str]:
    """Figure-specific rules on the experiments an enabled figure reads (each only when it is enabled)."""
    enabled = set(config["figures"])
    experiments = config["rnn"]["experiments"]
    errors = []
    for figure, names in CONTINUATIONS.items():
        if figure in enabled:
            errors += [
                f"rnn.experiments.{n}.start_from: figure {figure} needs {n} to continue a first phase"
                for n in names
                if n in experiments and "start_from" not in experiments[n]
            ]
    for figure, name, axis in GRID_FIGURES:
        if figure in enabled and name in experiments and axis not in experiments[name].get("grid", {}):
            errors.append(f"rnn.experiments.{name}.grid: figure {figure} needs a grid over {axis}")
    saturation = experiments.get("fig7_saturation")
    if "fig7" in enabled and saturation:
        first, last = config["rnn_figures"]["saturation_search"]
        kept = set(checkpoint_epochs(saturation))
        if first > last or not set(range(first - 1, last + 1)) <= kept:
            errors.append(
                f"rnn_figures.saturation_search: [{first}, {last}] needs fig7_saturation.checkpoint_epochs to keep "
                f"every epoch of [{first - 1}, {last}] (the states before and after each searched update)"
            )
    for figure in sorted(enabled & {"ghost_statistics", "ghost_lifetime"}):
        (prefix,) = registry.FIGURES[figure].experiment_prefixes
        errors += [
            f"rnn.experiments.{name}: figure {figure} needs its checkpoints analysed (checkpoint_epochs, "
            "analyse true; task_low_rank at K = 2 or task_full)"
            for name, exp in experiments.items()
            if name.startswith(prefix) and not analysable(exp)
        ]
    return errors


def _continuation_errors(key: str, name: str, exp: dict, experiments: dict) -> list[str]:
    """A grid axis must be a value of the family; a continuation must name a compatible experiment."""
    errors = []
    for axis in exp.get("grid", {}):
        if exp["model"]["family"] not in GRID_AXES[axis]:
            errors.append(
                f"{key}.grid.{axis}: not a value of {exp['model']['family']} (only {GRID_AXES[axis]})"
            )
        if axis == "output_l1_norm" and "output_l1_norm" in exp:
            errors.append(f"{key}.grid.output_l1_norm: the experiment also sets output_l1_norm; keep one")
    if "start_from" not in exp:
        return errors
    parent_name = exp["start_from"]["experiment"]
    if parent_name not in experiments:
        return [*errors, f"{key}.start_from.experiment: no experiment named {parent_name!r}"]
    chain, current = set(), parent_name
    while current in experiments:
        if current == name or current in chain:
            return [*errors, f"{key}.start_from.experiment: {parent_name} leads back to {name} (a cycle)"]
        chain.add(current)
        current = experiments[current].get("start_from", {}).get("experiment")
    parent = experiments[parent_name]
    for size in ("family", "N", "K"):
        if parent["model"].get(size) != exp["model"].get(size):
            errors.append(f"{key}.model.{size}: must equal that of {parent_name}, which it starts from")
    if parent.get("grid"):
        errors.append(f"{key}.start_from.experiment: {parent_name} has a grid axis; start from a plain sweep")
    missing = sorted(set(seed_list(exp["seeds"])) - set(seed_list(parent["seeds"])))
    if missing:
        errors.append(f"{key}.seeds: {missing} not trained by {parent_name}")
    n_child = len(learning_rates(exp["learning_rates"], 1.0))
    n_parent = len(learning_rates(parent["learning_rates"], 1.0))
    if n_child != n_parent:
        errors.append(
            f"{key}.learning_rates: {n_child} rates, but {parent_name} has {n_parent} (matched by index)"
        )
    if exp["start_from"]["optimizer_state"] == "keep" and exp.get("optimizer") != parent.get("optimizer"):
        errors.append(f"{key}.start_from.optimizer_state: keep needs the optimizer of {parent_name}")
    return errors


_TASK_SIZES = {
    "delayed_activation": ("T",),
    "dcdt": ("n_in", "n_delay", "n_response", "trials_per_class"),
    "dmts": ("n_in", "n_delay", "n_response", "trials_per_class"),
}


def _rnn_errors(key: str, exp: dict) -> list[str]:
    """What one RNN experiment entry gets wrong against its family's declaration
    (:data:`ghostlearn.rnn.families.DECLARED`) and its own bounds."""
    errors = []
    family, kind = exp["model"]["family"], exp["task"]["kind"]
    declared = families.DECLARED[family]
    if kind not in declared.task_kinds:
        errors.append(f"{key}.task.kind: {kind} cannot train {family} (needs {declared.task_kinds})")
    errors += [
        f"{key}.task.{size}: required for {kind}" for size in _TASK_SIZES[kind] if size not in exp["task"]
    ]
    errors += [
        f"{key}.task.{size}: not used by {kind}"
        for size in exp["task"]
        if size != "kind" and size not in _TASK_SIZES[kind]
    ]
    options = set(exp["model"]) - set(families.COMMON_OPTIONS)
    errors += [
        f"{key}.model.{opt}: not an option of {family} (options: {', '.join(declared.options)})"
        for opt in sorted(options - set(declared.options))
    ]
    errors += [
        f"{key}.model.{opt}: required for {family}" for opt in declared.required if opt not in exp["model"]
    ]
    if exp.get("count_fixed_points") and not declared.flow:
        flows = " and ".join(n for n, d in families.DECLARED.items() if d.flow)
        errors.append(f"{key}.count_fixed_points: only {flows} networks have a one-dimensional flow")
    if "output_l1_norm" in exp and "output_l1_norm" not in declared.grid_axes:
        normalised = " and ".join(GRID_AXES["output_l1_norm"])
        errors.append(f"{key}.output_l1_norm: only {normalised} networks have an output normalisation")
    kernel = exp.get("kernel", "autograd")
    if kernel not in declared.kernels:
        errors.append(
            f"{key}.kernel: {family} has no {kernel} kernel (kernels: {', '.join(declared.kernels)})"
        )
    if isinstance(exp["learning_rates"], dict) and "critical_multiples" in exp["learning_rates"]:
        errors.append(f"{key}.learning_rates: critical_multiples is defined for the 1-D model only")
    for item in _checkpoint_items(exp):
        if isinstance(item, dict) and item["range"][0] > item["range"][1]:
            errors.append(f"{key}.checkpoint_epochs: range {item['range']}: first must not exceed last")
    errors += [
        f"{key}.checkpoint_epochs: epoch {e} is beyond epochs = {exp['epochs']}"
        for e in checkpoint_epochs(exp)
        if e > exp["epochs"]
    ][:1]
    errors += [
        f"{key}.report_epochs: epoch {e} is beyond epochs = {exp['epochs']}"
        for e in exp.get("report_epochs", [])
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


def load_schema(schema_path: str | Path = SCHEMA_PATH) -> dict:
    """The config schema, with what it enumerates taken from where it is declared (the file itself lists
    none of it, so the two cannot drift apart): the figure names of :data:`ghostlearn.registry.FIGURES`
    as the enum of ``figures`` items, and from :data:`ghostlearn.rnn.families.DECLARED` the enum of
    ``model.family``, that of an RNN experiment's ``kernel`` and the axes of its ``grid``."""
    schema = yaml.safe_load(Path(schema_path).read_text(encoding="utf-8"))
    schema["properties"]["figures"]["items"] = {"enum": list(registry.FIGURES)}
    defs = schema["$defs"]
    defs["rnn_model"]["properties"]["family"]["enum"] = list(families.FAMILIES)
    experiment = defs["rnn_experiment"]["properties"]
    experiment["kernel"]["enum"] = list(families.KERNELS)
    experiment["grid"]["properties"] = {axis: {"$ref": "#/$defs/grid_values"} for axis in GRID_AXES}
    return schema


def check_config(config: dict, schema_path: str | Path = SCHEMA_PATH) -> dict:
    """Validate ``config`` against the schema and the cross-field rules; return it with defaults filled.

    Raises :class:`ConfigError` listing every problem, each prefixed by its key.
    """
    if jsonschema is None:
        raise ConfigError("validating a config needs the jsonschema package (pip install jsonschema)")
    schema = load_schema(schema_path)
    validator = jsonschema.Draft202012Validator(schema)
    problems = sorted({line for e in validator.iter_errors(config) for line in _describe(e)})
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))
    given = config
    config = copy.deepcopy(config)
    _defaults(config, schema, schema)
    problems = _semantic_errors(config, given)
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


def grid_values(spec) -> list[float]:
    """Expand a grid axis's values: a list (``.inf`` allowed) or {logspace: [a, b, n]}."""
    if isinstance(spec, list):
        return [float(v) for v in spec]
    a, b, n = spec["logspace"]
    return [float(v) for v in np.logspace(a, b, n)]


def grid_axis(exp: dict) -> tuple[str | None, list]:
    """(model value, its values) of an experiment's grid axis, or (None, [None]) without one."""
    grid = exp.get("grid") or {}
    if not grid:
        return None, [None]
    ((axis, spec),) = grid.items()
    return axis, grid_values(spec)


def _checkpoint_items(exp: dict) -> list:
    spec = exp.get("checkpoint_epochs", [])
    return [spec] if isinstance(spec, dict) else list(spec)


def checkpoint_epochs(exp: dict) -> list[int]:
    """Every epoch whose parameters an RNN experiment keeps, sorted: ``checkpoint_epochs`` is a list of
    epochs and ``{range: [first, last], every: k}`` items (every k-th epoch of the stretch from first,
    k = 1 by default, and last), or one such range (Fig. 3c keeps [1, 6000, {range: [5000, 5300]}];
    Fig. 7's saturation search a whole range)."""
    epochs = set()
    for item in _checkpoint_items(exp):
        if isinstance(item, dict):
            first, last = item["range"]
            epochs.update(range(first, last + 1, item.get("every", 1)))
            epochs.add(last)
        else:
            epochs.add(int(item))
    return sorted(epochs)


def rnn_networks(exp: dict, experiments: dict | None = None) -> list[dict]:
    """The networks of an RNN experiment: learning rates x grid values x seeds (learning-rate major),
    numbered from 0.  A grid axis adds its value per network (e.g. ``c``); a continuation
    (``start_from``) adds the ``parent`` network it starts from: the parent's network with the same seed
    and learning-rate index."""
    lrs = learning_rates(exp["learning_rates"], T=1.0)
    axis, values = grid_axis(exp)
    parents = None
    if "start_from" in exp:
        parent = (experiments or {})[exp["start_from"]["experiment"]]
        parents = {(n["lr_index"], n["seed"]): n["network"] for n in rnn_networks(parent, experiments)}
    networks = []
    for i, lr in enumerate(lrs):
        for value in values:
            for seed in seed_list(exp["seeds"]):
                network = {"network": len(networks), "lr_index": i, "lr": float(lr), "seed": seed}
                if axis is not None:
                    network[axis] = value
                if parents is not None:
                    network["parent"] = parents[(i, seed)]
                networks.append(network)
    return networks


def rnn_jobs(exp: dict, experiments: dict | None = None, sizes: list[int] | None = None) -> list[list[dict]]:
    """The networks of each training job: consecutive chunks of the given ``sizes`` (a job plan,
    :func:`ghostlearn.rnn.cost.plan_jobs`), else of ``networks_per_job`` (at most 1024 when unset)."""
    networks = rnn_networks(exp, experiments)
    if sizes is None:
        size = exp.get("networks_per_job") or 1024
        sizes = [min(size, len(networks) - start) for start in range(0, len(networks), size)]
    if sum(sizes) != len(networks):
        raise ValueError(f"job plan of {sum(sizes)} networks for an experiment of {len(networks)}")
    bounds = np.cumsum([0, *sizes])
    return [networks[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def start_epoch(name: str, experiments: dict) -> int:
    """Epochs trained before an experiment's first update: the chain of ``start_from`` experiments."""
    exp = experiments[name]
    if "start_from" not in exp:
        return 0
    parent = exp["start_from"]["experiment"]
    return start_epoch(parent, experiments) + experiments[parent]["epochs"]


def rnn_experiments(rnn: dict) -> dict[str, dict]:
    """Every RNN experiment, ``rnn.t_scaling`` expanded into one ``tscaling_T{T}`` experiment per T (the
    same entry with the task's T replaced, and its learning rates times (T / T_ref)^lr_exponent)."""
    experiments = dict(rnn.get("experiments", {}))
    scaling = rnn.get("t_scaling")
    if scaling:
        for T in scaling["T"]:
            exp = copy.deepcopy(scaling["experiment"])
            exp["task"] = {**exp["task"], "T": int(T)}
            factor = (T / scaling["T_ref"]) ** scaling["lr_exponent"]
            exp["learning_rates"] = [
                float(lr * factor) for lr in learning_rates(scaling["experiment"]["learning_rates"], 1.0)
            ]
            experiments[f"{T_SCALING_PREFIX}{T}"] = exp
    return experiments


#: ``robustness.variants.<name>.kernel``: each experiment's other kernel (autograd for a hand-written
#: one, fused or native; for autograd the family's fused kernel where it has one).
OTHER_KERNEL = "other"


def _variant_kernel(exp: dict, kernel: str) -> str:
    if kernel != OTHER_KERNEL:
        return kernel
    own = families.declared(exp["model"]["family"]).kernels
    if exp["kernel"] != "autograd":
        return "autograd"
    return "fused" if "fused" in own else exp["kernel"]


def variant_config(config: dict, variant: str) -> dict:
    """The validated ``config`` with one ``robustness.variants`` entry applied (docs/methods.md §8): the
    RNN float path changed (``dtype`` and ``device`` of ``rnn``, and every experiment's ``kernel``, the
    T-scaling template's included), everything else as it is, and no ``robustness`` section (a variant
    has no variants of its own)."""
    spec = config.get("robustness", {}).get("variants", {})
    if variant not in spec:
        raise ConfigError(f"robustness.variants: no variant {variant!r}; the config has {sorted(spec)}")
    changes = spec[variant]
    out = copy.deepcopy({k: v for k, v in config.items() if k != "robustness"})
    rnn = out.get("rnn", {})
    for key in ("dtype", "device"):
        if key in changes:
            rnn[key] = changes[key]
    if "kernel" in changes:
        entries = list(rnn.get("experiments", {}).values())
        if "t_scaling" in rnn:
            entries.append(rnn["t_scaling"]["experiment"])
        for exp in entries:
            exp["kernel"] = _variant_kernel(exp, changes["kernel"])
    return out


def experiment_analysis(analysis: dict, exp: dict) -> dict:
    """The checkpoint-analysis settings of one experiment: the top-level ``analysis`` section with the
    experiment's own ``analysis`` overrides, sub-sections merged key by key (``maps`` defaults to true,
    ``until_drop`` to false)."""
    merged = {"maps": True, "until_drop": False, **analysis}
    for key, value in exp.get("analysis", {}).items():
        merged[key] = {**merged.get(key, {}), **value} if isinstance(value, dict) else value
    return merged


def analysable(exp: dict) -> bool:
    """Whether an RNN experiment is analysed: a family the analysis knows (:data:`ANALYSABLE`, at its
    declared rank: low rank only at K = 2, where the latent flow is a plane) that keeps checkpoints."""
    model = exp["model"]
    if model["family"] not in ANALYSABLE or not checkpoint_epochs(exp) or not exp.get("analyse", True):
        return False
    rank = families.DECLARED[model["family"]].analysable_rank
    return rank is None or model.get("K") == rank


def gd_experiments(canon: dict) -> dict[str, dict]:
    """Every gradient-descent experiment, the theory check (when configured) expanded into one
    ``theory_T{T}`` per T."""
    experiments = dict(canon.get("gd", {}))
    theory = canon.get("theory_check") or {"T": []}
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
