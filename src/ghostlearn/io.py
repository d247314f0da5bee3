"""Reading and writing the pipeline's tables: atomic writes, provenance, loud failures on bad input."""

from __future__ import annotations

import json
import os
import platform
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

import ghostlearn


def provenance(**extra) -> dict:
    """Versions and run settings recorded beside every table (no timestamps: reruns stay identical)."""
    info = {
        "ghostlearn": ghostlearn.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "python": platform.python_version(),
    }
    info.update(extra)
    return info


@contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one rename, so a killed
    job never leaves a torn file.  The temporary file is removed on failure."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_table(table: pd.DataFrame, path: str | Path, **meta) -> None:
    """Write ``table`` as parquet (or CSV for a ``.csv`` path) atomically; parquet keeps ``meta``."""
    with atomic_path(path) as tmp:
        if Path(path).suffix == ".csv":
            table.to_csv(tmp, index=False)
        else:
            arrow = pa.Table.from_pandas(table, preserve_index=False)
            info = json.dumps(provenance(**meta), sort_keys=True, default=str)
            arrow = arrow.replace_schema_metadata(
                {**(arrow.schema.metadata or {}), b"ghostlearn": info.encode()}
            )
            pq.write_table(arrow, tmp)


def read_table(path: str | Path, columns=()) -> pd.DataFrame:
    """Read a parquet or CSV table; fail with the file named if it is unreadable, empty or lacks columns."""
    path = Path(path)
    try:
        table = pd.read_csv(path) if path.suffix == ".csv" else pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - re-raised with the file named
        raise ValueError(f"{path}: cannot read table ({exc})") from exc
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing}; has {list(table.columns)}")
    if table.empty:
        raise ValueError(f"{path}: table is empty")
    return table


def table_metadata(path: str | Path) -> dict:
    """The provenance recorded by :func:`write_table` in a parquet file."""
    meta = pq.read_schema(path).metadata or {}
    return json.loads(meta.get(b"ghostlearn", b"{}"))
