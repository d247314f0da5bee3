"""Reading and writing the pipeline's tables: atomic writes, provenance, loud failures on bad input."""

from __future__ import annotations

import json
import os
import platform
import secrets
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

import ghostlearn


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def provenance(**extra) -> dict:
    """What every table and checkpoint records: versions of ghostlearn, torch, numpy, pandas and Python, the
    device (``cpu`` unless given) and ``extra`` (the job's config values, seeds, ...).  No timestamps or
    host names, so a rerun of the same config writes identical files."""
    info = {
        "ghostlearn": ghostlearn.__version__,
        "torch": _version("torch"),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "python": platform.python_version(),
        "device": "cpu",
    }
    info.update(extra)
    return info


def job_provenance(job, **extra) -> dict:
    """The provenance of a Snakemake job (the ``snakemake`` object of a script): rule, wildcards, the
    config values it was given (``params``, where the rules pass each experiment's entry and seeds) and
    the whole checked config of the run."""
    return {
        "rule": job.rule,
        "wildcards": dict(job.wildcards.items()),
        "params": dict(job.params.items()),
        "config": job.config,
        **extra,
    }


def provenance_path(path: str | Path) -> Path:
    """Where the provenance of a CSV table is kept: ``<table>.csv.provenance.json`` beside it."""
    path = Path(path)
    return path.with_name(path.name + ".provenance.json")


def _provenance_json(meta: dict) -> str:
    return json.dumps(provenance(**meta), sort_keys=True, default=str, ensure_ascii=False)


def _temporary_file(directory: Path, prefix: str, suffix: str) -> str:
    """Create a new empty file ``<directory>/<prefix><random><suffix>`` and return its path.

    Like :func:`tempfile.mkstemp` (exclusive creation, so two writers never share it), but with the mode
    of any new file, 0666 less the umask (and the directory's default ACL), not mkstemp's 0600: the
    kernel applies the umask itself, so it is never read or changed (``os.umask`` would be a race with
    other threads)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        name = os.path.join(directory, f"{prefix}{secrets.token_hex(8)}{suffix}")
        try:
            fd = os.open(name, flags, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return name
    raise FileExistsError(f"{directory}: no free temporary name {prefix}*{suffix}")


@contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one rename, so a killed
    job never leaves a torn file.  The temporary file is removed on failure.  The file gets the
    permissions of any file the process creates (0666 less the umask: 0644 under umask 022)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary_file(path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_table(table: pd.DataFrame, path: str | Path, **meta) -> None:
    """Write ``table`` as parquet (or CSV for a ``.csv`` path) atomically, with its provenance
    (:func:`provenance` of ``meta``): in the parquet schema metadata, or for a CSV in
    :func:`provenance_path` (written first, so a table never exists without it)."""
    info = _provenance_json(meta)
    if Path(path).suffix == ".csv":
        with atomic_path(provenance_path(path)) as tmp:
            Path(tmp).write_text(info + "\n", encoding="utf-8")
    with atomic_path(path) as tmp:
        if Path(path).suffix == ".csv":
            table.to_csv(tmp, index=False)
        else:
            arrow = pa.Table.from_pandas(table, preserve_index=False)
            arrow = arrow.replace_schema_metadata(
                {**(arrow.schema.metadata or {}), b"ghostlearn": info.encode()}
            )
            pq.write_table(arrow, tmp)


def read_table(path: str | Path, columns=(), allow_empty: bool = False) -> pd.DataFrame:
    """Read a parquet or CSV table; fail with the file named if it is unreadable, lacks columns or (unless
    ``allow_empty``: a figure table with nothing in it for this config) has no rows."""
    path = Path(path)
    try:
        table = pd.read_csv(path) if path.suffix == ".csv" else pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - re-raised with the file named
        raise ValueError(f"{path}: cannot read table ({exc})") from exc
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing}; has {list(table.columns)}")
    if table.empty and not allow_empty:
        raise ValueError(f"{path}: table is empty")
    return table


def table_metadata(path: str | Path) -> dict:
    """The provenance recorded by :func:`write_table`: parquet schema metadata or a CSV's JSON file."""
    path = Path(path)
    if path.suffix == ".csv":
        return json.loads(provenance_path(path).read_text(encoding="utf-8"))
    meta = pq.read_schema(path).metadata or {}
    return json.loads(meta.get(b"ghostlearn", b"{}"))
