"""The DuckDB engine: labels and scores joined out of core, streamed into statistics.

DuckDB reads the files (or globs, or Hive-partitioned folders), turns labels into class
codes and joins by id under a memory limit, spilling to a temporary folder. Its Arrow
batches are validated and reduced by the same ``Accumulator`` every engine uses while
DuckDB produces the next batch on its own threads.
"""
from __future__ import annotations

import os
import queue
import re
import shutil
import tempfile
import threading
from typing import Callable, Iterator

import pyarrow as pa

from reportgen import io
from reportgen.accumulate import DISTINCT_BUDGET, Accumulator
from reportgen.engines import locate, physical_memory
from reportgen.engines.batches import (CODE, ID, IN_LABELS, IN_SCORES, LABELS, WEIGHT, MatrixBuffer, Plan, check_weight_total,
                                       examples_from_batch, make_plan, matched_rows, new_counts, raw_columns,
                                       refuse_unmatched, settle_join)
from reportgen.errors import InputError
from reportgen.options import Options
from reportgen.stats import Statistics
from reportgen.validate import PREVIEW, Note, duplicate_id_error

BATCH_ROWS = 1 << 21
LARGE_BATCH_ROWS = 1 << 20  # above LARGE rows DuckDB needs its memory limit: smaller batches
LARGE = 50_000_000
MEMORY = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)\s*$", re.IGNORECASE)


def default_memory_limit() -> str:
    """A safe share of this machine's memory for DuckDB: half of it, at most 2 GB."""
    return f"{max(256, min(2 << 10, physical_memory() // 2 >> 20))}MB"


def check_memory_limit(value: str) -> str:
    if not MEMORY.match(value or ""):
        raise InputError(f"usage: --memory-limit {value!r} is not a size such as 4GB or 500MB")
    return value.strip()


def quote(name: str) -> str:
    """An SQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """An SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


class DuckSource:
    """One input (a file, a glob or a folder) as a DuckDB table function."""

    def __init__(self, path: str | os.PathLike[str], string_columns: tuple[str, ...]) -> None:
        self.name = str(path)
        pattern, fmt = locate(self.name)
        lit = literal(pattern)
        if fmt == "parquet":
            self.sql = f"read_parquet({lit}, hive_partitioning = {'true' if os.path.isdir(self.name) else 'false'})"
        elif fmt == "jsonl":
            self.sql = f"read_json({lit}, format = 'newline_delimited')"
        else:
            delim = "\t" if fmt == "tsv" else ","
            types = self._text_types(pattern, string_columns, delim)
            self.sql = f"read_csv({lit}, header = true, delim = {literal(delim)}{types})"

    def _text_types(self, pattern: str, columns: tuple[str, ...], delim: str) -> str:
        if not os.path.isfile(pattern):
            return ""
        present = io.header_names(pattern, delim)
        chosen = [c for c in columns if c in present]
        if not chosen:
            return ""
        return ", types = {" + ", ".join(f"{literal(c)}: 'VARCHAR'" for c in chosen) + "}"


class DuckEngine:
    """Statistics of one model from files, through DuckDB (see the module's docstring)."""

    def __init__(self, opts: Options, memory_limit: str | None = None, progress: Callable | None = None,
                 budget: int = DISTINCT_BUDGET) -> None:
        import duckdb

        self.duckdb = duckdb
        self.opts = opts
        self.progress = progress
        self.budget = budget
        self.temp = tempfile.mkdtemp(prefix="reportgen-duckdb-")
        config = {"memory_limit": check_memory_limit(memory_limit or default_memory_limit()),
                  "temp_directory": self.temp}
        self.con = duckdb.connect(config=config)
        self.con.execute("SET enable_progress_bar = false")  # progress is ours, on stderr

    def close(self) -> None:
        self.con.close()
        shutil.rmtree(self.temp, ignore_errors=True)

    def rows(self, text: str, source: DuckSource | None = None, params: list | None = None) -> list[tuple]:
        """Every row of ``text``'s result; DuckDB's errors become InputError naming ``source``."""
        try:  # a cursor of its own: the stream may still hold the main connection
            return self.con.cursor().execute(text, params or []).fetchall()
        except self.duckdb.Error as err:
            raise _input_error(err, source) from None

    def columns(self, source: DuckSource) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in self.rows(f"DESCRIBE SELECT * FROM {source.sql}", source)]

    def count(self, source: DuckSource) -> int:
        return int(self.rows(f"SELECT count(*) FROM {source.sql}", source)[0][0])

    def statistics(self, labels_path, scores_path, same: bool) -> tuple[Statistics, tuple[Note, ...]]:
        opts = self.opts
        labels = DuckSource(labels_path, opts.text_columns)
        scores = labels if same else DuckSource(scores_path, (opts.id_column,))
        label_types = dict(self.columns(labels))
        score_types = label_types if same else dict(self.columns(scores))
        n_labels = self.count(labels)
        if n_labels == 0:
            raise InputError("no rows (header only)", file=labels.name)
        n_scores = n_labels if same else self.count(scores)
        if n_scores == 0:
            raise InputError("no rows (header only)", file=scores.name)
        plan = make_plan(list(label_types), list(score_types), labels.name, scores.name, opts, same,
                         lambda column: self._present(labels, column, label_types), duck_list_kinds(score_types),
                         lambda column: self._first_labels(scores, column))
        query = Query(plan, opts.id_column, labels, scores, label_types, score_types, same)
        acc = Accumulator(opts.threshold, opts.class_thresholds, opts.grid, expected_rows=n_scores, budget=self.budget)
        seen = self._stream(query, plan, acc, n_scores, LARGE_BATCH_ROWS if n_scores > LARGE else BATCH_ROWS)
        notes = settle_join(seen, n_labels, n_scores, plan, same, opts.allow_partial,
                            lambda side: self._check_unique(query, side), lambda: self._missing_ids(query))
        stats = acc.statistics()
        check_weight_total(stats, plan)
        return stats, plan.notes + notes

    def _first_labels(self, scores: DuckSource, column: str) -> list:
        """The record labels of the first row of a list column."""
        found = self.rows(f"SELECT list_transform({quote(column)}, lambda x: x.label) FROM {scores.sql} LIMIT 1", scores)
        return list(found[0][0] or []) if found else []

    def _present(self, labels: DuckSource, column: str, types: dict[str, str]) -> list[str]:
        text = label_text(column, types.get(column, "VARCHAR"))
        rows = self.rows(f"SELECT DISTINCT {text} FROM {labels.sql} WHERE {quote(column)} IS NOT NULL LIMIT 1000",
                         labels)
        return [r[0] for r in rows]

    def _stream(self, query: "Query", plan: Plan, acc: Accumulator, total: int, rows: int) -> dict[str, int]:
        seen = new_counts()
        buffer = MatrixBuffer()
        for batch in self._batches(query.sql, query, rows):
            table = matched_rows(pa.Table.from_batches([batch]), seen)
            if seen["only_labels"] + seen["only_scores"] and not self.opts.allow_partial:
                refuse_unmatched(plan, lambda side: self._check_unique(query, side), lambda: self._missing_ids(query))
            if table.num_rows:
                examples = examples_from_batch(table, plan, lambda row_id: self._label_of(query, row_id), buffer)
                acc.add(examples, raw_columns(table, plan))
            if self.progress:
                self.progress(seen["joined"] + seen["only_scores"], total)
        return seen

    def _batches(self, sql: str, query: "Query", rows: int) -> Iterator[pa.RecordBatch]:
        """DuckDB's batches, read ahead on a thread so it works while the caller counts."""
        try:
            reader = self.con.sql(sql).to_arrow_reader(rows)
        except self.duckdb.Error as err:
            raise _input_error(err, query.scores) from None
        ahead: queue.Queue = queue.Queue(maxsize=1)
        stop = threading.Event()

        def produce() -> None:
            try:
                for batch in reader:
                    while not stop.is_set():
                        try:
                            ahead.put(batch, timeout=0.1)
                            break
                        except queue.Full:
                            continue
                    if stop.is_set():
                        return
                ahead.put(None)
            except BaseException as err:  # handed to the consumer, which raises it
                ahead.put(err)

        thread = threading.Thread(target=produce, daemon=True)
        thread.start()
        try:
            while True:
                item = ahead.get()
                if item is None:
                    return
                if isinstance(item, BaseException):
                    if isinstance(item, self.duckdb.Error):
                        raise _input_error(item, query.scores) from None
                    raise item
                yield item
        finally:
            stop.set()
            thread.join(timeout=5)

    def _missing_ids(self, query: "Query") -> tuple[tuple[int, list], tuple[int, list]]:
        """(how many, a few) ids of the labels missing from the scores, and the other way round."""
        found = []
        for mine, other in ((query.labels, query.scores), (query.scores, query.labels)):
            ids = query.ids
            sql = (f"SELECT count(*), list({ids} ORDER BY {ids})[1:{PREVIEW}] FROM {mine.sql} "
                   f"WHERE {ids} NOT IN (SELECT {query.ids} FROM {other.sql})")
            count, shown = self.rows(sql, mine)[0]
            found.append((count, [str(v) for v in shown or []]))
        return found[0], found[1]

    def _check_unique(self, query: "Query", side: str) -> None:
        source = query.labels if side == "labels" else query.scores
        ids = query.ids
        sql = (f"SELECT count(*) OVER (), i FROM (SELECT {ids} AS i FROM {source.sql} GROUP BY 1 "
               f"HAVING count(*) > 1) ORDER BY i LIMIT 1")
        found = self.rows(sql, source)
        if found:
            repeated, value = found[0]
            raise duplicate_id_error(str(value), repeated, source.name)

    def _label_of(self, query: "Query", row_id) -> str | None:
        column = query.plan.label_column
        text = label_text(column, query.label_types.get(column, "VARCHAR"))
        found = self.rows(f"SELECT {text} FROM {query.labels.sql} WHERE {query.ids} = ? LIMIT 1",
                          query.labels, [row_id])
        return found[0][0] if found else None


def duck_list_kinds(types: dict[str, str]) -> dict[str, str]:
    """DuckDB's list and array columns (``DOUBLE[]``, ``FLOAT[3]``, ``STRUCT(...)[]``) as
    ``validate.list_kinds`` names them."""
    return {name: "records" if kind.upper().startswith("STRUCT") else "numbers"
            for name, kind in types.items() if kind.rstrip().endswith("]")}


def label_text(column: str, kind: str) -> str:
    """A label column as text: whole floats as integers (1.0 -> '1'), booleans as true/false."""
    name = quote(column)
    if kind.upper() in ("DOUBLE", "FLOAT", "REAL"):
        return f"CASE WHEN {name} = floor({name}) THEN CAST(CAST({name} AS BIGINT) AS VARCHAR) ELSE CAST({name} AS VARCHAR) END"
    return f"CAST({name} AS VARCHAR)"


INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "HUGEINT")


class Query:
    """The SQL of the join: ids (as integers when both files have integer ids, else text),
    class codes computed in SQL, score columns, and which side each row was found in."""

    def __init__(self, plan: Plan, id_column: str, labels: DuckSource, scores: DuckSource,
                 label_types: dict[str, str], score_types: dict[str, str], same: bool) -> None:
        self.plan, self.labels, self.scores = plan, labels, scores
        self.label_types = label_types
        self.id_column = id_column
        self.id_as_int = all(t.get(id_column, "").upper() in INTEGER_TYPES for t in (label_types, score_types))
        # the id of a row in either file, as the join compares it
        self.ids = quote(id_column) if self.id_as_int else f"CAST({quote(id_column)} AS VARCHAR)"
        text = label_text(plan.label_column, label_types.get(plan.label_column, "VARCHAR"))
        if plan.task == "multilabel":
            label_part = f"{text} AS {LABELS}"
        else:
            values = "[" + ", ".join(literal(v) for v in plan.code_labels) + "]"
            key = f"lower({text})" if plan.task == "binary" else text
            label_part = f"CAST(list_position({values}, {key}) - 1 AS SMALLINT) AS {CODE}"
        scores_part = ", ".join(quote(c) for c in plan.read_columns)
        if plan.weight_column is not None:
            label_part += f", {quote(plan.weight_column)} AS {WEIGHT}"
        ids = self.ids
        if same:
            self.sql = (f"SELECT {ids} AS {ID}, {label_part}, {scores_part}, TRUE AS {IN_LABELS}, "
                        f"TRUE AS {IN_SCORES} FROM {labels.sql}")
            return
        self.sql = (
            f"WITH l AS (SELECT {ids} AS {ID}, {label_part}, TRUE AS {IN_LABELS} FROM {labels.sql}), "
            f"s AS (SELECT {ids} AS {ID}, {scores_part}, TRUE AS {IN_SCORES} FROM {scores.sql}) "
            f"SELECT coalesce(l.{ID}, s.{ID}) AS {ID}, l.* EXCLUDE ({ID}), s.* EXCLUDE ({ID}) "
            f"FROM l FULL OUTER JOIN s ON l.{ID} = s.{ID}"
        )


def _input_error(err: Exception, source: DuckSource | None) -> InputError:
    first = io.first_line(err).split("Error: ", 1)[-1]
    return InputError(f"cannot read: {first}", file=source.name if source else None)
