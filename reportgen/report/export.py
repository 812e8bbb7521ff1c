"""``--export DIR``: every candidate of the example lists as CSV, ranked as on the page.

``label_issues.csv``, ``confident_mistakes.csv`` and (with a baseline) ``churn.csv``; with
an inputs file, each row carries the example's ``text``. Cells from the user's files
(ids, class names, texts) that a spreadsheet would read as a formula start with ``'``.
The files are written atomically, with the report's other outputs.
"""
from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from reportgen.errors import InputError
from reportgen.analysis.lists import ExampleLists

FORMULA = r"^[=+\-@\t\r]"  # a leading character that makes a spreadsheet cell a formula


def export_tables(lists: ExampleLists) -> dict[str, pa.Table]:
    """The tables to write, by file stem: each list present, its user-given cells made
    safe for spreadsheets, with a ``text`` column when the inputs have texts. ``churn``
    is every broken example, then every fixed one, each ranked within its ``change``."""
    found = {"label_issues": lists.label_issues, "confident_mistakes": lists.confident_mistakes}
    found = {name: ranked.table() for name, ranked in found.items() if ranked is not None}
    if lists.broken is not None and lists.fixed is not None:
        found["churn"] = pa.concat_tables([
            ranked.table().add_column(2, "change", pa.array([change] * ranked.total, pa.string()))
            for change, ranked in (("broken", lists.broken), ("fixed", lists.fixed))])
    out = {}
    for name, table in found.items():
        if lists.inputs is not None:
            texts = lists.inputs.texts(table.column("id").combine_chunks())
            if texts is not None:
                table = table.append_column("text", texts)
        out[name] = neutralise(table)
    return out


def neutralise(table: pa.Table) -> pa.Table:
    """Every string column with a ``'`` before a cell that starts like a formula."""
    columns = []
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            risky = pc.match_substring_regex(column, FORMULA)
            column = pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def check_folder(folder: str | os.PathLike[str]) -> None:
    """Fail before anything is written when ``folder`` cannot take the files."""
    path = Path(folder)
    if path.exists() and not path.is_dir():
        raise InputError("--export needs a folder, not a file", file=str(folder))
    parent = path if path.is_dir() else path.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise InputError("--export folder cannot be written (its parent folder is missing or read-only)", file=str(folder))


def export_files(lists: ExampleLists, folder: str | os.PathLike[str]) -> list[tuple[Path, bytes]]:
    """The CSV files for ``folder`` (made if missing), as (path, contents), to be written
    atomically with the report's other outputs."""
    check_folder(folder)
    path = Path(folder)
    path.mkdir(exist_ok=True)
    out = []
    for name, table in export_tables(lists).items():
        sink = pa.BufferOutputStream()
        pacsv.write_csv(table, sink)
        out.append((path / f"{name}.csv", sink.getvalue().to_pybytes()))
    return out
