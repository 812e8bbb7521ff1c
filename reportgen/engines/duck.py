"""The DuckDB engine: labels and every model's files joined out of core, streamed into combiners.

DuckDB reads the files (or globs, or Hive-partitioned folders), turns labels and
predictions into class codes and joins by id under a memory limit, spilling to a
temporary folder. Its Arrow batches become Chunks, validated and reduced (the statistics
pass: by the same ``Accumulator`` every engine uses, one per model) while DuckDB produces
the next batch on its own threads.

The join, per model (``KeyedJoin``): when every file holds the same ids (each file's
count and the sum of its ids' seeded hashes agree), a narrow keys table (id, class code,
weight, split, metadata columns: the labels joined with the metadata) is written once to
a Parquet file, and each pass joins it with one model's files at a time: the keys are
the hash join's build side, the model's wide scores stream through as its probe side, so
no model's scores are ever held whole. The baseline's pass writes whether it decided
each row right (id, bool) to a second narrow file, joined into the report's model's
passes for churn. Files whose ids differ (or repeat) take the one join of every file
(``Query``), which names the missing or repeated ids and keeps the ids found in every
file with ``--allow-partial``.
"""
from __future__ import annotations

import os
import queue
import re
import shutil
import tempfile
import threading
from typing import Callable, ClassVar, Iterator, Mapping, Sequence, TypeVar

import pyarrow as pa
import pyarrow.parquet as pq

from reportgen import io
from reportgen.accumulate import DISTINCT_BUDGET
from reportgen.chunks import Combiner, feeds, wants
from reportgen.engines import physical_memory
from reportgen.engines.base import EngineSettings, StreamingEngine, check_budget, check_rows
from reportgen.engines.batches import (CODE, ID, LABELS, META, PCODE, PRED, SPLIT, WEIGHT, JoinPlan, MatrixBuffer,
                                       ModelFiles, Plan, chunk_from_batch, in_column,
                                       make_join_plan, matched_rows, model_chunk, new_counts, refuse_unmatched,
                                       right_column, settle_join, unmatched)
from reportgen.errors import InputError
from reportgen.options import Options
from reportgen.stats import correct, decision_thresholds
from reportgen.validate import FALSE_WORDS, PREVIEW, TRUE_WORDS, duplicate_id_error

C = TypeVar("C", bound=Combiner)

BATCH_ROWS = 1 << 21
LARGE_BATCH_ROWS = 1 << 20  # above LARGE rows DuckDB needs its memory limit: smaller batches
LARGE = 50_000_000
BATCH_SCORES = 1 << 21  # rows × scored models of one batch: each model's scores are held twice (as read, validated)
KEYED_BATCH_ROWS = 1 << 19  # a batch of one model's pass: the slices and lists copy parts of it while it is counted
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


literal = io.sql_literal

class DuckSource:
    """One input (a file, a glob or a folder) as a DuckDB table function (``io.FORMATS``)."""

    def __init__(self, path: str | os.PathLike[str], string_columns: tuple[str, ...]) -> None:
        self.name = str(path)
        self.sql = io.duckdb_sql(self.name, string_columns)


class DuckEngine(StreamingEngine):
    """Every model's statistics from files, through DuckDB (see the module's docstring).

    ``prepare`` plans the join of the labels with every model's scores and predictions
    (and the metadata); ``reduce`` streams it into combiners, as often as asked (each
    pass runs the query again); the statistics pass is ``StreamingEngine``'s.
    """

    name: ClassVar[str] = "duckdb"

    def __init__(self, opts: Options, memory_limit: str | None = None, progress: Callable | None = None,
                 budget: int = DISTINCT_BUDGET, batch_rows: int | None = None) -> None:
        import duckdb

        super().__init__(opts, budget)
        self.duckdb = duckdb
        self.progress = progress
        self.batch_rows = batch_rows
        self.temp = tempfile.mkdtemp(prefix="reportgen-duckdb-")
        self.memory_limit = check_memory_limit(memory_limit or default_memory_limit())
        config = {"memory_limit": self.memory_limit, "temp_directory": self.temp}
        self.con = duckdb.connect(config=config)
        self.con.execute("SET enable_progress_bar = false")  # progress is ours, on stderr
        self.sources: dict[str, DuckSource] = {}
        self.types: dict[str, dict[str, str]] = {}
        self.schemas: dict[str, pa.Schema] = {}
        self.query: Query | None = None
        self.keyed: KeyedJoin | None = None

    @classmethod
    def for_files(cls, opts: Options, paths: Sequence[str], settings: EngineSettings) -> "DuckEngine":
        return cls(opts, memory_limit=settings.memory_limit, progress=settings.progress,
                   budget=check_budget(settings.budget))

    def close(self) -> None:
        self.con.close()
        shutil.rmtree(self.temp, ignore_errors=True)

    def rows_of(self, text: str, source: DuckSource | None = None, params: list | None = None) -> list[tuple]:
        """Every row of ``text``'s result; DuckDB's errors become InputError naming ``source``."""
        try:  # a cursor of its own: the stream may still hold the main connection
            return self.con.cursor().execute(text, params or []).fetchall()
        except self.duckdb.Error as err:
            raise self._error(err, source) from None

    def count(self, source: DuckSource) -> int:
        return int(self.rows_of(f"SELECT count(*) FROM {source.sql}", source)[0][0])

    # ---------------------------------------------------------------- what the plan asks of the files

    def schema(self, file: str) -> pa.Schema:
        """The file's columns as DuckDB reads them, in Arrow types."""
        if file not in self.schemas:
            source = self.sources[file]
            try:
                self.schemas[file] = self.con.cursor().sql(f"SELECT * FROM {source.sql} LIMIT 0").to_arrow_table().schema
            except self.duckdb.Error as err:
                raise self._error(err, source) from None
        return self.schemas[file]

    def _types(self, file: str) -> dict[str, str]:
        """DuckDB's own type of each column (``DOUBLE``, ``VARCHAR[]``, ...)."""
        if file not in self.types:
            source = self.sources[file]
            found = self.rows_of(f"DESCRIBE SELECT * FROM {source.sql}", source)
            self.types[file] = {r[0]: r[1] for r in found}
        return self.types[file]

    def first_labels(self, file: str, column: str) -> list:
        """The record labels of the first row of a list column."""
        source = self.sources[file]
        found = self.rows_of(f"SELECT list_transform({quote(column)}, lambda x: x.label) FROM {source.sql} LIMIT 1",
                             source)
        return list(found[0][0] or []) if found else []

    def present(self, file: str, column: str) -> list[str]:
        source = self.sources[file]
        text = label_text(column, self._types(file).get(column, "VARCHAR"))
        found = self.rows_of(f"SELECT DISTINCT {text} FROM {source.sql} WHERE {quote(column)} IS NOT NULL LIMIT 1000",
                             source)
        return [r[0] for r in found]

    def distinct(self, file: str, column: str, sep: str | None, limit: int) -> list[str]:
        source = self.sources[file]
        kind = self._types(file).get(column, "VARCHAR")
        text = label_text(column, kind)
        if is_list(kind):
            text = f"CAST(unnest({quote(column)}) AS VARCHAR)"
        elif sep is not None:
            text = f"trim(unnest(string_split({text}, {literal(sep)})))"
        sql = (f"SELECT DISTINCT v FROM (SELECT {text} AS v FROM {source.sql} WHERE {quote(column)} IS NOT NULL) "
               f"WHERE trim(v) <> '' LIMIT {int(limit)}")
        return [r[0] for r in self.rows_of(sql, source)]

    # ---------------------------------------------------------------- the passes

    def prepare(self, labels: str, models: Sequence[ModelFiles], metadata: str | None = None,
                metadata_columns: Sequence[str] = ()) -> JoinPlan:
        """Plan the join of ``labels`` with every model's files (name, scores, predictions;
        a file given twice is read once) and the ``metadata`` columns."""
        opts = self.opts
        text: dict[str, set[str]] = {labels: set(opts.text_columns)}
        for _, scores, predictions in models:
            for file, columns in ((scores, (opts.id_column,)), (predictions, (opts.id_column, opts.prediction_column))):
                if file is not None:
                    text.setdefault(file, set()).update(columns)
        if metadata is not None:
            text.setdefault(metadata, set()).add(opts.id_column)
        for file in text:
            io.check_engine_file(file)
        self.sources = {file: DuckSource(file, tuple(sorted(columns))) for file, columns in text.items()}
        join = make_join_plan(self, labels, models, opts, metadata, metadata_columns)
        self.join = join
        self.query = Query(join, opts.id_column, self.sources, {f: self._types(f) for f in self.sources})
        prints = [self._fingerprint(self.sources[file]) for file in join.files]
        self.rows = [n for n, _ in prints]
        check_rows(join.files, self.rows)
        if len(join.files) > 1 and len(set(prints)) == 1:
            self.keyed = self._keys()
        return join

    def _fingerprint(self, source: DuckSource) -> tuple[int, int]:
        """(rows, the sum of the ids' seeded hashes) of a file: two files with the same
        count and sum hold the same ids, each as often (but for a 2**-64 chance)."""
        ids = self.query.ids
        count, total = self.rows_of(f"SELECT count(*), sum(hash({ids}, {FINGERPRINT_SEED}::UBIGINT)) "
                                    f"FROM {source.sql}", source)[0]
        return int(count), int(total or 0)

    def _keys(self) -> "KeyedJoin":
        """Write the keys (the labels joined with the metadata) once, and count what the
        join of every file would have found (rows without metadata; settled by the first
        pass, which names a repeated metadata id)."""
        join, query = self.join, self.query
        keyed = KeyedJoin(join, query, self.sources, {f: self._types(f) for f in self.sources},
                          os.path.join(self.temp, "keys.parquet"))
        try:
            self.con.cursor().execute(f"COPY ({keyed.keys_sql}) TO {literal(keyed.path)} (FORMAT parquet)")
        except self.duckdb.Error as err:
            raise self._error(err, self.sources[join.metadata or join.files[0]]) from None
        seen = new_counts(join)
        seen["joined"] = self.rows[0]
        if join.metadata is not None:
            flag, text = in_column(len(join.files)), f"CAST({ID} AS VARCHAR)"
            missing, few = self.rows_of(f"SELECT count(*), list({text} ORDER BY {text})[1:{PREVIEW}] "
                                        f"FROM {keyed.table} WHERE {flag} IS NULL")[0]
            seen["no_metadata"], seen["no_metadata_ids"] = int(missing), list(few or [])
        keyed.seen = seen
        keyed.rows = self.rows[0] - (seen["no_metadata"] if join.weights_in_metadata else 0)
        return keyed

    def reduce(self, factory: Callable[[], C]) -> C:
        """One pass over the join: every Chunk of matched rows into one combiner made by
        ``factory()`` (see ``reportgen.chunks``). Checks the join as it goes and after."""
        if self.keyed is not None:
            return self._reduce_keyed(factory)
        join, query, opts = self.join, self.query, self.opts
        seen = new_counts(join)
        buffers = [MatrixBuffer() for _ in join.models]
        combiner = factory()
        total, streamed = max(self.rows), 0
        scored = max(1, sum(plan.scored for plan in join.models))
        rows = self.batch_rows or min(LARGE_BATCH_ROWS if total > LARGE else BATCH_ROWS, BATCH_SCORES // scored)
        for batch in self._batches(query.sql, query, rows):
            streamed += batch.num_rows
            table = matched_rows(pa.Table.from_batches([batch]), seen, join)
            if unmatched(seen) and not opts.allow_partial:
                refuse_unmatched(seen, join, self._check_unique, self._missing_ids)
            if table.num_rows:
                combiner.add(chunk_from_batch(table, join, buffers, self._label_of, self._prediction_of))
            if self.progress:
                self.progress(min(streamed, total), total)
        self.notes = join.main.notes + settle_join(seen, self.rows, join, opts.allow_partial, self._check_unique,
                                                   self._missing_ids)
        return combiner

    def _reduce_keyed(self, factory: Callable[[], C]) -> C:
        """One pass as one query per model (the keys joined with its files), the report's
        model last: the models the combiner wants (``chunks.wants``), and the baseline's
        once, for its per-row table, before the report's model needs it."""
        join, keyed = self.join, self.keyed
        if keyed.seen is not None:  # what the join of every file would say, as it would at its end
            self.notes = join.main.notes + settle_join(keyed.seen, self.rows, join, self.opts.allow_partial,
                                                       self._check_unique, self._missing_ids)
            keyed.seen = None
        combiner = factory()
        order = [m for m in range(1, len(join.models))
                 if wants(combiner, m) or (m == 1 and 1 not in keyed.rights)] + [0]
        total, streamed = keyed.rows * len(order), 0
        buffer = MatrixBuffer()
        rows = self.batch_rows or KEYED_BATCH_ROWS
        for m in order:
            writer = RightsWriter(os.path.join(self.temp, f"rights{m}.parquet")) \
                if m == 1 and 1 not in keyed.rights else None
            rights = tuple(keyed.rights) if m == 0 else ()
            found = 0
            try:
                for batch in self._batches(keyed.sql(m, rights), self.query, rows):
                    found += batch.num_rows
                    if found > keyed.rows:  # an id repeated in the labels and in this model's files alike
                        self._repeated()
                    table = pa.Table.from_batches([batch])
                    chunk = model_chunk(table, join, m, buffer, self._label_of, self._prediction_of, rights)
                    if writer is not None:
                        writer.write_table(self._rights(table, chunk, m))
                    if feeds(combiner, chunk):
                        combiner.add(chunk)
                    streamed += batch.num_rows
                    if self.progress:
                        self.progress(min(streamed, total), total)
            finally:
                if writer is not None:
                    writer.close()
            if found != keyed.rows:
                self._repeated()
                raise InputError(f"{found:,} rows joined where {keyed.rows:,} were expected: the files changed "
                                 "while they were read", file=join.files[0])
            if writer is not None:
                keyed.rights[m] = writer.where
        return combiner

    def _rights(self, table: pa.Table, chunk, model: int) -> pa.Table:
        """Whether model ``model`` decided each row of a batch right, at the report's thresholds."""
        ex = chunk.models[model]
        cuts = decision_thresholds(ex.classes, self.opts.threshold, self.opts.class_thresholds)
        return pa.table({ID: table.column(ID), right_column(model): pa.array(correct(ex, cuts), pa.bool_())})

    def _repeated(self) -> None:
        """Name an id repeated in some file (one is, when a join finds more rows than it should)."""
        for file in self.join.files:
            self._check_unique(file)

    def metadata_values(self, columns: Sequence[str], numeric: Callable[[pa.DataType], bool]
                        ) -> dict[str, pa.Array] | None:
        """The metadata ``columns`` whose Arrow type is ``numeric``, one value per row of the
        labels (null where the metadata has none), from the labels and the metadata alone:
        what slices' quantile edges are taken over, without a pass over the whole join.
        None with ``allow_partial`` (only the whole join knows which rows stay)."""
        join, query = self.join, self.query
        if self.opts.allow_partial or join.metadata is None:
            return None
        try:
            kinds = self.con.cursor().sql(query.metadata_sql(columns) + " LIMIT 0").to_arrow_table().schema
            wanted = [c for c in columns if numeric(kinds.field(META + c).type)]
            if not wanted:
                return {}
            table = self.con.cursor().sql(query.metadata_sql(wanted)).to_arrow_table()
        except self.duckdb.Error as err:
            raise self._error(err, self.sources[join.metadata]) from None
        return {c: table.column(META + c).combine_chunks() for c in wanted}

    def _batches(self, sql: str, query: "Query", rows: int) -> Iterator[pa.RecordBatch]:
        """DuckDB's batches, read ahead on a thread so it works while the caller counts."""
        try:
            reader = self.con.sql(sql).to_arrow_reader(rows)
        except self.duckdb.Error as err:
            raise self._error(err, query.last) from None
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
                        raise self._error(item, query.last) from None
                    raise item
                yield item
        finally:
            stop.set()
            thread.join(timeout=5)

    def _error(self, err: Exception, source: DuckSource | None) -> InputError:
        """DuckDB's error as one line: naming ``source`` when reading it failed; when DuckDB
        ran out of its memory limit (joining several models' scores needs room for one of
        them), saying so and how to give it more."""
        if isinstance(err, self.duckdb.OutOfMemoryException):
            return InputError(f"DuckDB ran out of its {self.memory_limit} memory limit joining the files "
                              f"({max(self.rows, default=0):,} rows); give it more with --memory-limit "
                              f"(this machine has {physical_memory() / (1 << 30):.0f} GB)")
        return _input_error(err, source)

    def _missing_ids(self, mine_name: str, other_name: str) -> tuple[tuple[int, list], tuple[int, list]]:
        """(how many, a few) ids of ``mine_name`` missing from ``other_name``, and the other way round."""
        found = []
        ids = self.query.ids
        for a, b in ((mine_name, other_name), (other_name, mine_name)):
            mine, other = self.sources[a], self.sources[b]
            sql = (f"SELECT count(*), list({ids} ORDER BY {ids})[1:{PREVIEW}] FROM {mine.sql} "
                   f"WHERE {ids} NOT IN (SELECT {ids} FROM {other.sql})")
            count, shown = self.rows_of(sql, mine)[0]
            found.append((count, [str(v) for v in shown or []]))
        return found[0], found[1]

    def _check_unique(self, file: str) -> None:
        source = self.sources[file]
        ids = self.query.ids
        sql = (f"SELECT count(*) OVER (), i FROM (SELECT {ids} AS i FROM {source.sql} GROUP BY 1 "
               f"HAVING count(*) > 1) ORDER BY i LIMIT 1")
        found = self.rows_of(sql, source)
        if found:
            repeated, value = found[0]
            raise duplicate_id_error(str(value), repeated, source.name)

    def _text_of(self, file: str, column: str, row_id) -> str | None:
        source = self.sources[file]
        text = label_text(column, self._types(file).get(column, "VARCHAR"))
        found = self.rows_of(f"SELECT {text} FROM {source.sql} WHERE {self.query.ids} = ? LIMIT 1", source, [row_id])
        return found[0][0] if found else None

    def _label_of(self, row_id) -> str | None:
        return self._text_of(self.join.main.labels_name, self.join.main.label_column, row_id)

    def _prediction_of(self, plan: Plan, row_id) -> str | None:
        return self._text_of(plan.predictions_name, plan.prediction_column, row_id)


def is_list(kind: str) -> bool:
    """Whether DuckDB's type ``kind`` is a list (``VARCHAR[]``) or an array (``BIGINT[3]``)."""
    return kind.rstrip().endswith("]")


def label_text(column: str, kind: str) -> str:
    """A label column as text: whole floats as integers (1.0 -> '1'), booleans as true/false."""
    name = quote(column)
    if kind.upper() in ("DOUBLE", "FLOAT", "REAL"):
        return f"CASE WHEN {name} = floor({name}) THEN CAST(CAST({name} AS BIGINT) AS VARCHAR) ELSE CAST({name} AS VARCHAR) END"
    return f"CAST({name} AS VARCHAR)"


FINGERPRINT_SEED = 0x5EED_1D5


class RightsWriter:
    """A model's per-row table (id, whether it decided the row right), written batch by batch."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.writer: pq.ParquetWriter | None = None

    def write_table(self, table: pa.Table) -> None:
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.where, table.schema)
        self.writer.write_table(table)

    def close(self) -> None:
        if self.writer is None:  # no rows: an empty table all the same
            return
        self.writer.close()


class KeyedJoin:
    """The per-model join (see the module's docstring): the keys' SQL and Parquet file,
    and each model's pass as SQL. ``rows``: the keys' rows (those without metadata left
    out when the weights are the metadata's); ``rights``: model -> its per-row table's file."""

    def __init__(self, join: JoinPlan, query: "Query", sources: Mapping[str, DuckSource],
                 types: Mapping[str, Mapping[str, str]], path: str) -> None:
        self.join, self.query, self.sources, self.types, self.path = join, query, sources, types, path
        self.table = f"read_parquet({literal(path)})"
        self.rows = 0
        self.rights: dict[int, str] = {}
        self.seen: dict | None = None  # the join's counts, settled by the first pass
        labels = join.files[0]
        ids = query.ids
        columns = query.label_columns(types[labels])
        part = f"SELECT CAST({ids} AS {'BIGINT' if query.id_as_int else 'VARCHAR'}) AS {ID}, {', '.join(columns)} " \
               f"FROM {sources[labels].sql}"
        if join.metadata is None:
            self.keys_sql = part
            self.main_only: list[str] = []
            return
        meta = query.metadata_columns()
        # the slice columns only the report's model's chunks carry (the weights stay for every model)
        self.main_only = [quote(META + c) for c in join.metadata_columns] + [in_column(len(join.files))]
        meta_part = f"SELECT {ids} AS {ID}, {', '.join(meta)} FROM {sources[join.metadata].sql}"
        self.keys_sql = f"SELECT l.*, m.* EXCLUDE ({ID}) FROM ({part}) l LEFT JOIN ({meta_part}) m ON l.{ID} = m.{ID}"

    def sql(self, model: int, rights: Sequence[int] = ()) -> str:
        """Model ``model``'s pass: the keys (with the metadata columns for the report's model
        only) joined with its scores and predictions files, and the per-row tables ``rights``."""
        plan = self.join.models[model]
        files = list(dict.fromkeys(f for f in (plan.scores_name if plan.scored else None, plan.predictions_name)
                                   if f is not None))
        keys = f"SELECT * FROM {self.table}"
        if self.join.weights_in_metadata:
            keys += f" WHERE {in_column(len(self.join.files))} IS NOT NULL"
        shown = "k.*" if model == 0 or not self.main_only else f"k.* EXCLUDE ({', '.join(self.main_only)})"
        parts = [f"SELECT {self.query.ids} AS {ID}, {', '.join(self.query.model_columns(self.types[f], f, plan))} "
                 f"FROM {self.sources[f].sql}" for f in files]
        sql = f"SELECT {shown}" + "".join(f", f{i}.* EXCLUDE ({ID})" for i in range(len(parts)))
        sql += "".join(f", r{m}.{right_column(m)}" for m in rights)
        sql += f" FROM ({parts[0]}) f0 JOIN ({keys}) k ON k.{ID} = f0.{ID}"
        sql += "".join(f" JOIN ({p}) f{i} ON f{i}.{ID} = k.{ID}" for i, p in enumerate(parts[1:], 1))
        sql += "".join(f" JOIN read_parquet({literal(self.rights[m])}) r{m} ON r{m}.{ID} = k.{ID}" for m in rights)
        return sql


INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "HUGEINT")


class Query:
    """The SQL of the join: ids (as integers when every file has integer ids, else text),
    class codes of labels and predictions computed in SQL, score and metadata columns, and
    which files each row was found in (see ``reportgen.engines.batches``)."""

    def __init__(self, join: JoinPlan, id_column: str, sources: Mapping[str, DuckSource],
                 types: Mapping[str, Mapping[str, str]]) -> None:
        self.join = join
        self.sources = sources
        files = list(join.files) + ([join.metadata] if join.metadata is not None else [])
        self.last = sources[files[-1]]  # named when the query itself fails
        self.id_as_int = all(types[f].get(id_column, "").upper() in INTEGER_TYPES for f in files)
        # the id of a row in any file, as the join compares it
        self.ids = quote(id_column) if self.id_as_int else f"CAST({quote(id_column)} AS VARCHAR)"
        parts = [f"SELECT {self.ids} AS {ID}, {', '.join(self._columns(i, file, types[file]))} FROM {sources[file].sql}"
                 for i, file in enumerate(files)]
        if len(parts) == 1:
            self.sql = parts[0]
            return
        key, joins = f"t0.{ID}", ""
        for i in range(1, len(files)):
            kind = "LEFT" if i == len(join.files) else "FULL OUTER"  # the metadata drops no row
            joins += f" {kind} JOIN t{i} ON {key} = t{i}.{ID}"
            if kind != "LEFT":
                key = f"coalesce({', '.join(f't{j}.{ID}' for j in range(i + 1))})"
        tables = ", ".join(f"t{i} AS ({part})" for i, part in enumerate(parts))
        every = ", ".join(f"t{i}.* EXCLUDE ({ID})" for i in range(len(files)))
        self.sql = f"WITH {tables} SELECT {key} AS {ID}, {every} FROM t0{joins}"

    def metadata_sql(self, columns: Sequence[str]) -> str:
        """The metadata ``columns`` (named ``__meta:NAME``) of every row of the labels, in no order."""
        join = self.join
        ids = f"SELECT {self.ids} AS {ID} FROM {self.sources[join.files[0]].sql}"
        wanted = ", ".join(f"{quote(c)} AS {quote(META + c)}" for c in columns)
        meta = f"SELECT {self.ids} AS {ID}, {wanted} FROM {self.sources[join.metadata].sql}"
        shown = ", ".join(f"m.{quote(META + c)}" for c in columns)
        return f"SELECT {shown} FROM ({ids}) l LEFT JOIN ({meta}) m ON l.{ID} = m.{ID}"

    def label_columns(self, types: Mapping[str, str]) -> list[str]:
        """The labels file's columns: class code (or label text), weight, split, found-flag."""
        join = self.join
        main = join.main
        out = []
        kind = types.get(main.label_column, "VARCHAR")
        text = quote(main.label_column) if is_list(kind) else label_text(main.label_column, kind)
        if main.task == "multilabel":  # text of names, or the list itself
            out.append(f"{text} AS {LABELS}")
        else:
            out.append(f"{_code(text, main, False)} AS {CODE}")
        if main.weight_column is not None and not join.weights_in_metadata:
            out.append(f"{quote(main.weight_column)} AS {WEIGHT}")
        if main.split_column is not None:
            out.append(f"{quote(main.split_column)} AS {SPLIT}")
        return out + [f"TRUE AS {in_column(0)}"]

    def metadata_columns(self) -> list[str]:
        """The metadata file's columns: the slices' (and the weights, when they are its), found-flag."""
        join = self.join
        out = [f"{quote(c)} AS {quote(META + c)}" for c in join.metadata_columns]
        if join.weights_in_metadata:
            out.append(f"{quote(join.main.weight_column)} AS {WEIGHT}")
        return out + [f"TRUE AS {in_column(len(join.files))}"]

    def model_columns(self, types: Mapping[str, str], file: str, plan: Plan) -> list[str]:
        """Model ``plan``'s columns in ``file``: its scores, its prediction codes (or text)."""
        out = []
        if plan.scored and plan.scores_name == file:
            out += [f"{quote(c)} AS {quote(plan.prefix + c)}" for c in plan.read_columns]
        if plan.predictions_name == file:
            kind = types.get(plan.prediction_column, "VARCHAR")
            text = quote(plan.prediction_column) if is_list(kind) else label_text(plan.prediction_column, kind)
            if plan.task == "multilabel":
                out.append(f"{text} AS {quote(plan.prefix + PRED)}")
            else:
                out.append(f"{_code(text, plan, True)} AS {quote(plan.prefix + PCODE)}")
        return out

    def _columns(self, i: int, file: str, types: Mapping[str, str]) -> list[str]:
        join = self.join
        if i == len(join.files):  # the metadata (and the weights, when they are its)
            return self.metadata_columns()
        out = self.label_columns(types)[:-1] if i == 0 else []
        for plan in join.scores_of(file):
            out += [f"{quote(c)} AS {quote(plan.prefix + c)}" for c in plan.read_columns]
        for plan in join.predictions_of(file):
            out += [c for c in self.model_columns(types, file, plan) if c not in out]
        return out + [f"TRUE AS {in_column(i)}"]


def _code(text: str, plan: Plan, predicted: bool) -> str:
    """The class code of a label or predicted text (null when it is no class): its position
    in the classes; binary up to case, and a prediction may also be 0/1 or true/false."""
    values = "[" + ", ".join(literal(v) for v in plan.code_labels) + "]"
    key = f"lower({text})" if plan.task == "binary" else text
    code = f"list_position({values}, {key}) - 1"
    if predicted and plan.task == "binary":
        words = (f"CASE WHEN lower({text}) IN ({', '.join(map(literal, TRUE_WORDS))}) THEN 1 "
                 f"WHEN lower({text}) IN ({', '.join(map(literal, FALSE_WORDS))}) THEN 0 END")
        code = f"coalesce({code}, {words})"
    kind = "SMALLINT" if len(plan.classes) < 32_000 else "INTEGER"
    return f"CAST({code} AS {kind})"


def _input_error(err: Exception, source: DuckSource | None) -> InputError:
    first = io.first_line(err).split("Error: ", 1)[-1]
    return InputError(f"cannot read: {first}", file=source.name if source else None)
