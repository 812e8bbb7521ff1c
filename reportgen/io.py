"""Readers: CSV, TSV, JSON Lines and Parquet files into Arrow tables, and one table of
formats (``FORMATS``: suffix -> how the memory engine, DuckDB and Spark read it).

Only reading happens here; what the columns mean is decided in ``validate``.
"""
from __future__ import annotations

import csv
import os
import sys
from pathlib import Path
from dataclasses import dataclass
from typing import Any, Callable, NoReturn

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from reportgen.errors import InputError
from reportgen.failing import first_failing

LIST_BATCH_ROWS = 1 << 17  # rows decoded at a time from a Parquet file with list columns

@dataclass(frozen=True)
class Format:
    """One input format, as every engine reads it: ``read`` (path, text columns) -> an Arrow
    table (the memory engine); ``duckdb_sql`` (what to read: a file, glob or folder
    pattern; whether it is a folder; the text columns) -> a DuckDB table function;
    ``spark_read`` (session, path) -> a Spark DataFrame; ``delimiter`` of a text table
    (its header names the columns)."""

    name: str
    read: Callable[[str, tuple[str, ...]], pa.Table]
    duckdb_sql: Callable[[str, bool, tuple[str, ...]], str]
    spark_read: Callable[[Any, str], Any]
    delimiter: str | None = None

    def column_names(self, path: str) -> list[str]:
        """A file's column names without reading its rows (the header, the Parquet schema)."""
        if self.delimiter is not None:
            return header_cells(path, self.delimiter)
        if self.name == "parquet":
            return pq.read_schema(path).names
        raise ValueError(f"{self.name} files name their columns in every row")


def sql_literal(text: str) -> str:
    """An SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _duck_delimited(delimiter: str) -> Callable[[str, bool, tuple[str, ...]], str]:
    def sql(pattern: str, folder: bool, string_columns: tuple[str, ...]) -> str:
        types = ""
        if os.path.isfile(pattern):  # a glob's or folder's headers are left to DuckDB
            chosen = [c for c in string_columns if c in header_names(pattern, delimiter)]
            if chosen:
                types = ", types = {" + ", ".join(f"{sql_literal(c)}: 'VARCHAR'" for c in chosen) + "}"
        return f"read_csv({sql_literal(pattern)}, header = true, delim = {sql_literal(delimiter)}{types})"
    return sql


def _duck_parquet(pattern: str, folder: bool, string_columns: tuple[str, ...]) -> str:
    return f"read_parquet({sql_literal(pattern)}, hive_partitioning = {'true' if folder else 'false'})"


def _duck_jsonl(pattern: str, folder: bool, string_columns: tuple[str, ...]) -> str:
    return f"read_json({sql_literal(pattern)}, format = 'newline_delimited')"


def _spark_delimited(delimiter: str) -> Callable[[Any, str], Any]:
    return lambda spark, path: spark.read.csv(path, header=True, inferSchema=True, sep=delimiter)


def _read_csv(name: str, string_columns: tuple[str, ...], delimiter: str = ",") -> pa.Table:
    column_names = header_names(name, delimiter)
    types = {c: pa.string() for c in string_columns if c in column_names}
    return pacsv.read_csv(
        name,
        parse_options=pacsv.ParseOptions(delimiter=delimiter),
        convert_options=pacsv.ConvertOptions(column_types=types),
    )


def _read_tsv(name: str, string_columns: tuple[str, ...]) -> pa.Table:
    return _read_csv(name, string_columns, delimiter="\t")


def _read_jsonl(name: str, string_columns: tuple[str, ...]) -> pa.Table:
    return pajson.read_json(name)


def _read_parquet(name: str, string_columns: tuple[str, ...]) -> pa.Table:
    # column chunks read one at a time: pre-buffering holds every compressed chunk of a
    # row group in memory beside the decoded table (1.7 GB more for 20,000 x 10,000 scores)
    file = pq.ParquetFile(name, pre_buffer=False)
    schema = file.schema_arrow
    check_name_list(schema.names, name)  # the reader refuses a repeated name without naming it
    if not any(pa.types.is_nested(field.type) for field in schema):
        return pq.read_table(name, pre_buffer=False)
    # a list column (of scores) decodes in less time and memory a batch at a time: read
    # whole, its lists' levels and values are built at once (1M rows x 20 classes: Arrow's
    # pool peaks at 351 MiB against 200 MiB, the process at 592 MiB against 352 MiB)
    return pa.Table.from_batches(file.iter_batches(batch_size=LIST_BATCH_ROWS), schema=schema)


CSV = Format("csv", _read_csv, _duck_delimited(","), _spark_delimited(","), ",")
TSV = Format("tsv", _read_tsv, _duck_delimited("\t"), _spark_delimited("\t"), "\t")
JSONL = Format("jsonl", _read_jsonl, _duck_jsonl, lambda spark, path: spark.read.json(path))
PARQUET = Format("parquet", _read_parquet, _duck_parquet, lambda spark, path: spark.read.parquet(path))

# The one table of input formats: a new format is a Format and its suffixes here.
FORMATS: dict[str, Format] = {
    ".csv": CSV,
    ".tsv": TSV,
    ".tab": TSV,
    ".jsonl": JSONL,
    ".ndjson": JSONL,
    ".parquet": PARQUET,
    ".pq": PARQUET,
}


def file_format(path: str | os.PathLike[str]) -> Format:
    """The format of ``path`` judged by its extension."""
    suffix = Path(path).suffix.lower()
    try:
        return FORMATS[suffix]
    except KeyError:
        known = ", ".join(sorted(FORMATS))
        raise InputError(
            f"unknown file extension {suffix or '(none)'!r} (known: {known})", file=str(path)
        ) from None


def folder_format(path: str | os.PathLike[str]) -> tuple[str, Format]:
    """(extension, format) of the first data file found in a folder, for readers of whole folders."""
    for _, _, files in sorted(os.walk(path)):
        for file in sorted(files):
            suffix = Path(file).suffix.lower()
            if suffix in FORMATS:
                return suffix, FORMATS[suffix]
    raise InputError("no data files in this folder", file=str(path))


def locate(path: str) -> tuple[str, Format]:
    """(what to read, its format) for a file, a glob, or a folder of files (read recursively),
    as the streaming engines read them; a plain path must be a readable, non-empty file."""
    if os.path.isdir(path):
        suffix, fmt = folder_format(path)
        return os.path.join(path, "**", "*" + suffix), fmt
    if not any(ch in path for ch in "*?["):
        check_readable(Path(path), path)
    return path, file_format(path)


def duckdb_sql(path: str, string_columns: tuple[str, ...] = ()) -> str:
    """The DuckDB table function reading ``path`` (a file, a glob or a folder)."""
    pattern, fmt = locate(path)
    return fmt.duckdb_sql(pattern, os.path.isdir(path), string_columns)


def spark_frame(spark, path: str):
    """``path`` (a file, a glob or a folder: Spark reads folders itself) as a Spark DataFrame."""
    fmt = locate(path)[1]
    try:
        return fmt.spark_read(spark, path)
    except Exception as err:
        raise InputError(f"cannot read: {first_line(err)[:200]}", file=path) from None


def shape(path: str) -> tuple[int, int]:
    """(rows, columns) of a file: exact for Parquet; for text, cells estimated from bytes
    (~8 bytes of text per number and separator) as rows of one column."""
    if file_format(path) is PARQUET:
        try:
            meta = pq.ParquetFile(path).metadata
            return meta.num_rows, meta.num_columns
        except Exception:
            return 0, 0
    return Path(path).stat().st_size // 8, 1


def read_table(path: str | os.PathLike[str], string_columns: tuple[str, ...] = ()) -> pa.Table:
    """Read one file into an Arrow table; ``string_columns`` are kept as text.

    Raises InputError naming the file for anything unreadable, empty or malformed.
    """
    name = str(path)
    fmt = file_format(path)
    check_readable(Path(path), name)
    if fmt is JSONL:
        check_jsonl_text(name)
    try:
        table = fmt.read(name, string_columns)
    except InputError:
        raise
    except (pa.ArrowException, OSError, ValueError, UnicodeError) as err:
        raise InputError(f"cannot read as {fmt.name.upper()}: {first_line(err)}", file=name) from None
    pa.default_memory_pool().release_unused()  # the decoders' scratch, before the next large allocation
    try:
        table.column_names
    except UnicodeDecodeError:
        raise InputError("the header is not UTF-8 text (is this a binary file?)", file=name) from None
    if table.num_columns == 0:
        raise InputError("no columns", file=name)
    check_names(table, name)
    if table.num_rows == 0:
        raise InputError("no rows (header only)", file=name)
    if fmt is PARQUET:  # the Parquet reader keeps a string's bytes without checking them
        check_text(table, name)
    return table


def check_names(table: pa.Table, name: str) -> None:
    """Every column name once: a name given twice is ambiguous (CSV headers and Parquet
    schemas allow it)."""
    check_name_list(table.column_names, name)


def check_name_list(names: list[str], name: str) -> None:
    if len(set(names)) == len(names):
        return
    repeated = next(n for n in names if names.count(n) > 1)
    raise InputError(f"the column name appears {names.count(repeated)} times: rename all but one", file=name,
                     column=repeated)


def check_engine_file(path: str) -> None:
    """What ``read_table`` checks that DuckDB and Spark, reading a file themselves, would not
    refuse: a column name given twice (they number it; the CSV or TSV header, the Parquet
    schema) and a JSON Lines file that is not UTF-8 (``check_jsonl_text``). A file whose
    names cannot be read is left to the engine's reader and its error; folders and
    patterns to the engine."""
    if not os.path.isfile(path):
        return
    fmt = file_format(path)
    if fmt is JSONL:
        check_jsonl_text(path)
        return
    try:
        names = fmt.column_names(path)
    except (pa.ArrowException, OSError, ValueError, UnicodeError, csv.Error):
        return
    check_name_list(names, path)


def check_text(table: pa.Table, name: str, line: int | None = None) -> None:
    """Every string of ``table`` (in any column, nested ones too) is UTF-8: the error names
    the column and the first bad row (``line``: the line of a one-line table instead)."""
    for column_name, column in zip(table.column_names, table.columns):
        start = 0
        for chunk in column.chunks:
            row = first_bad_text(chunk)
            if row is not None:
                where = f"line {line}" if line is not None else f"row {start + row + 1}"
                raise InputError(f"{where}: text that is not UTF-8", file=name, column=column_name)
            start += len(chunk)


TEXT_BLOCK = 1 << 22  # bytes of a JSON Lines file decoded at a time


def check_jsonl_text(name: str) -> None:
    """A JSON Lines file is UTF-8 text (the JSON readers of Arrow and Spark keep or replace
    bad bytes inside strings without a word): the error names the first bad line and, when
    that line alone is a JSON record, the column. Every engine checks this before reading.
    One pass of UTF-8 decoding, a block at a time."""
    line = 1
    with open(name, "rb") as handle:
        carry = b""
        while True:
            block = handle.read(TEXT_BLOCK)
            data = carry + block
            end = len(data) if not block else data.rfind(b"\n") + 1  # whole lines, but at the end
            chunk, carry = data[:end], data[end:]
            try:
                chunk.decode("utf-8")
            except UnicodeDecodeError as err:
                start = chunk.rfind(b"\n", 0, err.start) + 1
                stop = chunk.find(b"\n", err.start)
                _raise_bad_line(name, line + chunk.count(b"\n", 0, err.start),
                                chunk[start:stop if stop >= 0 else len(chunk)])
            line += chunk.count(b"\n")
            if not block:
                return


def _raise_bad_line(name: str, line: int, text: bytes) -> NoReturn:
    """The error for a JSON Lines line that is not UTF-8, naming its column when the line
    alone parses."""
    try:
        record = pajson.read_json(pa.BufferReader(text + b"\n"))
        record.column_names
    except (pa.ArrowException, ValueError):  # not a record alone, or a key that is not UTF-8
        record = None
    if record is not None:
        check_text(record, name, line)
    raise InputError(f"line {line}: text that is not UTF-8", file=name)


def first_bad_text(array: pa.Array) -> int | None:
    """The first element of ``array`` (n,) holding a string that is not UTF-8, or None.
    A nested array is checked through its children, each bad child traced back to its row
    (validating a slice of a list checks every child value, not the slice's own)."""
    kind = array.type
    if pa.types.is_map(kind):  # a list of key-item records
        array, kind = pa.ListArray.from_arrays(array.offsets, array.values), pa.list_(array.values.type)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        bad = first_bad_text(pc.list_flatten(array))
        return None if bad is None else int(pc.list_parent_indices(array)[bad].as_py())
    if pa.types.is_struct(kind):
        found = [first_bad_text(field) for field in array.flatten()]
        return min((row for row in found if row is not None), default=None)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return first_failing(array, _full_check)
    return None


def _full_check(array: pa.Array) -> None:
    array.validate(full=True)


def from_dataframe(frame: Any, name: str) -> pa.Table:
    """An Arrow table from a frame given to the Python API: a pandas DataFrame, a PyArrow
    Table, RecordBatch or RecordBatchReader, or any object with ``__arrow_c_stream__``
    (Polars, DuckDB relations, ...), read through Arrow's C stream: numbers and lists are
    not copied; text held as string views (Polars) becomes plain strings."""
    if isinstance(frame, pa.Table):
        table = frame
    elif isinstance(frame, pa.RecordBatch):
        table = pa.Table.from_batches([frame])
    elif isinstance(frame, pa.RecordBatchReader):
        table = frame.read_all()
    elif _is_pandas(frame):
        try:
            table = pa.Table.from_pandas(frame, preserve_index=False)
        except (pa.ArrowException, ValueError, TypeError) as err:
            raise InputError(f"cannot convert to Arrow: {first_line(err)}", file=name) from None
    elif hasattr(frame, "__arrow_c_stream__"):
        try:
            table = pa.RecordBatchReader.from_stream(frame).read_all()
        except (pa.ArrowException, ValueError, TypeError) as err:
            raise InputError(f"cannot read its Arrow stream: {first_line(err)}", file=name) from None
    else:
        raise InputError(f"expected a pandas, Polars or PyArrow table (or an object with __arrow_c_stream__), got "
                         f"{type(frame).__name__}", file=name)
    table = without_views(table)
    check_names(table, name)
    if table.num_rows == 0:
        raise InputError("no rows", file=name)
    return table


def _is_pandas(frame: Any) -> bool:
    pandas = sys.modules.get("pandas")  # a pandas DataFrame means pandas is loaded
    return pandas is not None and isinstance(frame, pandas.DataFrame)


def without_views(table: pa.Table) -> pa.Table:
    """``table`` with text held as string views (and bytes as binary views, in any nested
    column) cast to large strings (large binary): the validation reads plain Arrow text.
    Other columns are not copied."""
    target = pa.schema([field.with_type(_plain(field.type)) for field in table.schema], metadata=table.schema.metadata)
    return table if target.equals(table.schema) else table.cast(target)


def _plain(kind: pa.DataType) -> pa.DataType:
    if kind == pa.string_view():
        return pa.large_string()
    if kind == pa.binary_view():
        return pa.large_binary()
    if pa.types.is_dictionary(kind):
        return pa.dictionary(kind.index_type, _plain(kind.value_type), kind.ordered)
    if pa.types.is_list(kind):
        return pa.list_(kind.value_field.with_type(_plain(kind.value_type)))
    if pa.types.is_large_list(kind):
        return pa.large_list(kind.value_field.with_type(_plain(kind.value_type)))
    if pa.types.is_fixed_size_list(kind):
        return pa.list_(kind.value_field.with_type(_plain(kind.value_type)), kind.list_size)
    if pa.types.is_struct(kind):
        return pa.struct([kind.field(i).with_type(_plain(kind.field(i).type)) for i in range(kind.num_fields)])
    return kind


def check_readable(path: Path, name: str) -> None:
    if not path.exists():
        raise InputError("no such file", file=name)
    if not path.is_file():
        raise InputError("not a regular file", file=name)
    if not os.access(path, os.R_OK):
        raise InputError("permission denied", file=name)
    if path.stat().st_size == 0:
        raise InputError("file is empty", file=name)


def header_names(name: str, delimiter: str) -> set[str]:
    with open(name, "rb") as handle:
        head = handle.readline(1 << 20)
    text = head.decode("utf-8-sig", errors="replace").rstrip("\r\n")
    return {cell.strip().strip('"') for cell in text.split(delimiter)}


def header_cells(name: str, delimiter: str) -> list[str]:
    """The header's names in order, quoted ones unquoted (as the CSV reader takes them)."""
    with open(name, "rb") as handle:
        head = handle.readline(1 << 20)
    text = head.decode("utf-8-sig").rstrip("\r\n")
    return next(csv.reader([text], delimiter=delimiter), [])


def first_line(err: BaseException) -> str:
    """The first line of an exception's message (its type when it has none)."""
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0]


def read_class_thresholds(path: str | os.PathLike[str]) -> dict[str, float]:
    """A ``class,threshold`` file as a dict."""
    table = read_table(path, string_columns=("class",))
    missing = {"class", "threshold"} - set(table.column_names)
    if missing:
        raise InputError(f"needs columns 'class' and 'threshold' (missing {sorted(missing)})", file=str(path))
    names = table.column("class").to_pylist()
    try:
        values = [float(v) for v in table.column("threshold").to_pylist()]
    except (TypeError, ValueError):
        raise InputError("a threshold is not a number", file=str(path), column="threshold") from None
    return dict(zip(names, values))
