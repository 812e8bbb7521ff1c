"""Readers: CSV, TSV, JSON Lines and Parquet files into Arrow tables.

Only reading happens here; what the columns mean is decided in ``validate``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from reportgen.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

LIST_BATCH_ROWS = 1 << 17  # rows decoded at a time from a Parquet file with list columns

FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}


def file_format(path: str | os.PathLike[str]) -> str:
    """The format of ``path`` judged by its extension."""
    suffix = Path(path).suffix.lower()
    try:
        return FORMATS[suffix]
    except KeyError:
        known = ", ".join(sorted(FORMATS))
        raise InputError(
            f"unknown file extension {suffix or '(none)'!r} (known: {known})", file=str(path)
        ) from None


def folder_format(path: str | os.PathLike[str]) -> tuple[str, str]:
    """(extension, format) of the first data file found in a folder, for readers of whole folders."""
    for _, _, files in sorted(os.walk(path)):
        for file in sorted(files):
            suffix = Path(file).suffix.lower()
            if suffix in FORMATS:
                return suffix, FORMATS[suffix]
    raise InputError("no data files in this folder", file=str(path))


def read_table(path: str | os.PathLike[str], string_columns: tuple[str, ...] = ()) -> pa.Table:
    """Read one file into an Arrow table; ``string_columns`` are kept as text.

    Raises InputError naming the file for anything unreadable, empty or malformed.
    """
    name = str(path)
    fmt = file_format(path)
    check_readable(Path(path), name)
    try:
        table = _READERS[fmt](name, string_columns)
    except InputError:
        raise
    except (pa.ArrowException, OSError, ValueError, UnicodeError) as err:
        raise InputError(f"cannot read as {fmt.upper()}: {first_line(err)}", file=name) from None
    pa.default_memory_pool().release_unused()  # the decoders' scratch, before the next large allocation
    try:
        table.column_names
    except UnicodeDecodeError:
        raise InputError("the header is not UTF-8 text (is this a binary file?)", file=name) from None
    if table.num_columns == 0:
        raise InputError("no columns", file=name)
    if table.num_rows == 0:
        raise InputError("no rows (header only)", file=name)
    return table


def from_dataframe(frame: "pd.DataFrame | pa.Table", name: str) -> pa.Table:
    """An Arrow table from a pandas DataFrame (or an Arrow table) given to the Python API."""
    if isinstance(frame, pa.Table):
        if frame.num_rows == 0:
            raise InputError("no rows", file=name)
        return frame
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"expected a pandas DataFrame, got {type(frame).__name__}", file=name)
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowException, ValueError, TypeError) as err:
        raise InputError(f"cannot convert to Arrow: {first_line(err)}", file=name) from None
    if table.num_rows == 0:
        raise InputError("no rows", file=name)
    return table


def check_readable(path: Path, name: str) -> None:
    if not path.exists():
        raise InputError("no such file", file=name)
    if not path.is_file():
        raise InputError("not a regular file", file=name)
    if not os.access(path, os.R_OK):
        raise InputError("permission denied", file=name)
    if path.stat().st_size == 0:
        raise InputError("file is empty", file=name)


def _read_csv(name: str, string_columns: tuple[str, ...], delimiter: str = ",") -> pa.Table:
    column_names = header_names(name, delimiter)
    types = {c: pa.string() for c in string_columns if c in column_names}
    return pacsv.read_csv(
        name,
        parse_options=pacsv.ParseOptions(delimiter=delimiter),
        convert_options=pacsv.ConvertOptions(column_types=types),
    )


def header_names(name: str, delimiter: str) -> set[str]:
    with open(name, "rb") as handle:
        head = handle.readline(1 << 20)
    text = head.decode("utf-8-sig", errors="replace").rstrip("\r\n")
    return {cell.strip().strip('"') for cell in text.split(delimiter)}


def _read_tsv(name: str, string_columns: tuple[str, ...]) -> pa.Table:
    return _read_csv(name, string_columns, delimiter="\t")


def _read_jsonl(name: str, string_columns: tuple[str, ...]) -> pa.Table:
    return pajson.read_json(name)


def _read_parquet(name: str, string_columns: tuple[str, ...]) -> pa.Table:
    # column chunks read one at a time: pre-buffering holds every compressed chunk of a
    # row group in memory beside the decoded table (1.7 GB more for 20,000 x 10,000 scores)
    file = pq.ParquetFile(name, pre_buffer=False)
    schema = file.schema_arrow
    if not any(pa.types.is_nested(field.type) for field in schema):
        return pq.read_table(name, pre_buffer=False)
    # a list column (of scores) decodes in less time and memory a batch at a time: read
    # whole, its lists' levels and values are built at once (1M rows x 20 classes: Arrow's
    # pool peaks at 351 MiB against 200 MiB, the process at 592 MiB against 352 MiB)
    return pa.Table.from_batches(file.iter_batches(batch_size=LIST_BATCH_ROWS), schema=schema)


_READERS = {"csv": _read_csv, "tsv": _read_tsv, "jsonl": _read_jsonl, "parquet": _read_parquet}


def first_line(err: BaseException) -> str:
    """The first line of an exception's message (its type when it has none)."""
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0]
