"""Producers of statistics: ``memory`` (in-process), ``duckdb`` (out of core) and ``spark``
(a cluster). Each reduces examples to the same mergeable ``Statistics``; ``auto`` picks
memory when the inputs comfortably fit and DuckDB otherwise.
"""
from __future__ import annotations

import os
from pathlib import Path

from reportgen import io
from reportgen.errors import InputError
from reportgen.stats import POOL_CLASSES

ENGINES = ("auto", "memory", "duckdb", "spark")
# The memory engine holds about this many bytes per score cell at its peak (parsed table,
# float64 matrix, sort keys); "comfortably fits" means within a quarter of the memory.
BYTES_PER_CELL = 40
# Past POOL_CLASSES score columns the per-class counts are pooled and the matrix dominates.
BYTES_PER_CELL_POOLED = 20
SHARE_OF_MEMORY = 0.25


def check_engine(name: str) -> str:
    if name not in ENGINES:
        raise InputError(f"usage: --engine {name!r} is not one of {', '.join(ENGINES)}")
    return name


def choose_engine(paths: list[str]) -> tuple[str, str]:
    """(engine, why) for ``auto``: judged from file sizes and Parquet metadata, before reading."""
    cells, columns = 0, 0
    for path in paths:
        if not os.path.isfile(path):
            return "duckdb", f"{path} is a folder or a pattern"
        rows, width = _shape(path)
        cells += rows * width
        columns = max(columns, width)
    need = cells * (BYTES_PER_CELL_POOLED if columns > POOL_CLASSES + 2 else BYTES_PER_CELL)
    have = physical_memory() * SHARE_OF_MEMORY
    size = f"about {cells:,} values in the input files, ~{need / 2**30:.2f} GB in memory"
    if need <= have:
        return "memory", size
    return "duckdb", f"{size}, more than {have / 2**30:.1f} GB"


def locate(path: str) -> tuple[str, str]:
    """(what to read, its format) for a file, a glob, or a folder of files (read recursively);
    a plain path must be a readable, non-empty file."""
    if os.path.isdir(path):
        suffix, fmt = io.folder_format(path)
        return os.path.join(path, "**", "*" + suffix), fmt
    if not any(ch in path for ch in "*?["):
        io.check_readable(Path(path), path)
    return path, io.file_format(path)


def _shape(path: str) -> tuple[int, int]:
    """(rows, columns) of a file: exact for Parquet; for text, cells estimated from bytes
    (~8 bytes of text per number and separator) as rows of one column."""
    fmt = io.file_format(path)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        try:
            meta = pq.ParquetFile(path).metadata
            return meta.num_rows, meta.num_columns
        except Exception:
            return 0, 0
    return Path(path).stat().st_size // 8, 1


def physical_memory() -> int:
    """This machine's memory in bytes (8 GB when the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 << 30
