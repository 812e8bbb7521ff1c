"""Producers of a report's passes, registered by name in one place (``REGISTRY``: name ->
"module:class", imported only when the engine is used): ``memory`` (in-process), ``duckdb``
(out of core) and ``spark`` (a cluster). Each follows ``reportgen.engines.base.Producer``;
``auto`` picks memory when the inputs comfortably fit and DuckDB otherwise. A new engine
is one module and one line of ``REGISTRY``.
"""
from __future__ import annotations

import importlib
import os

from reportgen import io
from reportgen.errors import InputError
from reportgen.stats import POOL_CLASSES

REGISTRY = {
    "memory": "reportgen.engines.memory:MemoryEngine",
    "duckdb": "reportgen.engines.duck:DuckEngine",
    "spark": "reportgen.engines.spark:SparkEngine",
}
# The memory engine holds about this many bytes per score cell at its peak (parsed table,
# float64 matrix, sort keys); "comfortably fits" means within a quarter of the memory.
BYTES_PER_CELL = 40
# Past POOL_CLASSES score columns the per-class counts are pooled and the matrix dominates.
BYTES_PER_CELL_POOLED = 20
SHARE_OF_MEMORY = 0.25


def check_engine(name: str) -> str:
    """``name`` when it is ``auto`` or a registered engine."""
    if name != "auto" and name not in REGISTRY:
        raise InputError(f"usage: --engine {name!r} is not one of {', '.join(('auto', *REGISTRY))}")
    return name


def engine_class(name: str) -> type:
    """The producer class registered as ``name`` (its module imported now)."""
    module, _, cls = REGISTRY[name].partition(":")
    return getattr(importlib.import_module(module), cls)


def choose_engine(paths: list[str]) -> tuple[str, str]:
    """(engine, why) for ``auto``: judged from file sizes and Parquet metadata, before reading."""
    cells, columns = 0, 0
    for path in paths:
        if not os.path.isfile(path):
            return "duckdb", f"{path} is a folder or a pattern"
        rows, width = io.shape(path)
        cells += rows * width
        columns = max(columns, width)
    need = cells * (BYTES_PER_CELL_POOLED if columns > POOL_CLASSES + 2 else BYTES_PER_CELL)
    have = physical_memory() * SHARE_OF_MEMORY
    size = f"about {cells:,} values in the input files, ~{need / 2**30:.2f} GB in memory"
    if need <= have:
        return "memory", size
    return "duckdb", f"{size}, more than {have / 2**30:.1f} GB"


def physical_memory() -> int:
    """This machine's memory in bytes (8 GB when the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 << 30
