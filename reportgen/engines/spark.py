"""The Spark engine: one pass over the joined rows, statistics per partition, summed on the driver.

Spark joins the labels with every model's scores and predictions (and the metadata) by id
and computes class codes; each partition's Arrow batches become Chunks that go through the
same validation and combiners as every engine (the statistics pass: one ``Accumulator``
per model), and only each partition's combiner (a few MB of statistics) travels to the
driver, where they are merged (the partitions' combiners are made at once and kept on
the executors' disks until the driver has read them, one at a time). The first pass
keeps the join on the executors' disks (``StorageLevel.DISK_ONLY``): the passes after it
read it from there instead of shuffling and joining the files again; ``close`` lets it go.
"""
from __future__ import annotations

import os
import pickle
import sys
import warnings
import zlib
from typing import Any, Callable, ClassVar, Iterator, Mapping, Sequence, TypeVar

import pyarrow as pa

from reportgen import io
from reportgen.accumulate import DISTINCT_BUDGET, within_budget
from reportgen.chunks import Combiner
from reportgen.engines.base import EngineSettings, StreamingEngine, check_budget, check_rows
from reportgen.engines.batches import (CODE, ID, LABELS, META, PCODE, PRED, SPLIT, WEIGHT, JoinPlan, MatrixBuffer,
                                       ModelFiles, Plan, add_counts, chunk_from_batch,
                                       in_column, make_join_plan, matched_rows, new_counts, settle_join)
from reportgen.errors import InputError
from reportgen.options import Options
from reportgen.stats import Statistics
from reportgen.validate import FALSE_WORDS, PREVIEW, TRUE_WORDS, duplicate_id_error

C = TypeVar("C", bound=Combiner)

ROWS_PER_CHUNK = 1 << 20  # rows gathered in a partition before they are counted
RESULT = pa.schema([("combiner", pa.binary()), ("pieces", pa.int64()), ("error", pa.string()), ("seen", pa.binary())])
RESULT_DDL = "combiner binary, pieces long, error string, seen binary"
PIECE = 4 << 20  # bytes of a pickled combiner per result row: the JVM copies each row whole, several times
PACK_LEVEL = 1  # zlib level of a partition's pickled combiner: its sums are mostly zeros, its counts small


def session(master: str | None = None):
    """The active SparkSession, or a new one on ``master`` (default local[2])."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InputError("usage: --engine spark needs pyspark: pip install 'reportgen[spark]' "
                         "(and Java 17: java -version)") from None
    active = SparkSession.getActiveSession()
    if active is not None and master is None:
        return active
    warnings.filterwarnings("ignore", category=FutureWarning, module="pyspark")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = (SparkSession.builder.master(master or "local[2]").appName("reportgen")
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", "8")
               .config("spark.driver.memory", os.environ.get("REPORTGEN_SPARK_DRIVER_MEMORY", "4g")))
    try:
        spark = builder.getOrCreate()
    except Exception as err:  # no Java, or a master that cannot be reached
        raise InputError(f"cannot start Spark ({io.first_line(err)[:200]}); Java 17 is required: java -version") from None
    spark.sparkContext.setLogLevel("ERROR")
    return spark


class SparkEngine(StreamingEngine):
    """Every model's statistics from Spark DataFrames (see the module's docstring).

    ``frames`` maps each input's name (its path) to its DataFrame. ``prepare`` plans the
    join; ``reduce`` runs one pass: a combiner per partition inside ``mapInArrow``, pickled
    back and merged on the driver; the statistics pass is ``StreamingEngine``'s.
    """

    name: ClassVar[str] = "spark"

    def __init__(self, opts: Options, frames: Mapping[str, Any], budget: int = DISTINCT_BUDGET,
                 batch_rows: int | None = None) -> None:
        from pyspark.sql import functions as F

        super().__init__(opts, budget)
        self.F = F
        self.frames = dict(frames)
        self.batch_rows = batch_rows or ROWS_PER_CHUNK
        self.joined = None  # the join, computed by the first pass and kept for the others

    def close(self) -> None:
        """Let go of the join the passes kept on disk."""
        if self.joined is not None:
            self.joined.unpersist()
            self.joined = None

    @classmethod
    def from_paths(cls, opts: Options, paths: Sequence[str], master: str | None = None,
                   budget: int = DISTINCT_BUDGET, batch_rows: int | None = None) -> "SparkEngine":
        spark = session(master)
        for path in paths:
            io.check_engine_file(path)
        return cls(opts, {path: io.spark_frame(spark, path) for path in dict.fromkeys(paths)}, budget, batch_rows)

    @classmethod
    def for_files(cls, opts: Options, paths: Sequence[str], settings: EngineSettings) -> "SparkEngine":
        return cls.from_paths(opts, paths, master=settings.spark_master, budget=check_budget(settings.budget))

    @classmethod
    def for_frames(cls, opts: Options, frames: Mapping[str, Any]) -> "SparkEngine":
        return cls(opts, frames)

    # ---------------------------------------------------------------- what the plan asks of the files

    def schema(self, file: str) -> pa.Schema:
        """The DataFrame's columns in Arrow types (as its Arrow batches will hold them)."""
        from pyspark.sql.pandas.types import to_arrow_schema

        frame = self.frames[file]
        io.check_name_list(list(frame.columns), file)
        try:
            return to_arrow_schema(frame.schema)
        except Exception as err:  # a Spark type without an Arrow form
            raise InputError(f"cannot read: {io.first_line(err)[:200]}", file=file) from None

    def first_labels(self, file: str, column: str) -> list:
        return _first_labels(self.frames[file], column)

    def present(self, file: str, column: str) -> list[str]:
        return _present(self.frames[file], column, self.F)

    def distinct(self, file: str, column: str, sep: str | None, limit: int) -> list[str]:
        F, frame = self.F, self.frames[file]
        text = _text(F.col(column), frame.schema[column].dataType)
        if _is_array(frame.schema[column].dataType):
            text = F.explode(F.col(column)).cast("string")
        elif sep is not None:
            text = F.explode(F.split(text, _pattern(sep)))
        values = frame.where(F.col(column).isNotNull()).select(F.trim(text).alias("v"))
        return [r["v"] for r in values.where(F.col("v") != "").distinct().limit(limit).collect()]

    # ---------------------------------------------------------------- the passes

    def prepare(self, labels: str, models: Sequence[ModelFiles], metadata: str | None = None,
                metadata_columns: Sequence[str] = ()) -> JoinPlan:
        """Plan the join of ``labels`` with every model's inputs and the ``metadata`` columns."""
        self.close()
        join = make_join_plan(self, labels, models, self.opts, metadata, metadata_columns)
        self.rows = [self.frames[file].count() for file in join.files]
        check_rows(join.files, self.rows)
        self.join = join
        return join

    def reduce(self, factory: Callable[[], C]) -> C:
        """One pass over the join: each partition's Chunks into a combiner made by ``factory()``
        (a module-level class, so that it pickles), the partitions' combiners merged here."""
        from pyspark import StorageLevel

        join, opts = self.join, self.opts
        if self.joined is None:  # the shuffle and the join once: the passes after the first read them from disk
            self.joined = _joined(join, self.frames, opts.id_column, self.F).persist(StorageLevel.DISK_ONLY)
        self.joined.sparkSession.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(self.batch_rows))
        # every partition's combiner made at once (as many as the executors run) and kept on
        # their disks, then brought to the driver one partition at a time and merged as it
        # comes: collecting them all at once would hold every partition's group sums in the JVM
        passed = self.joined.mapInArrow(_partition_pass(join, factory), RESULT_DDL).persist(StorageLevel.DISK_ONLY)
        seen, combined, error = new_counts(join), None, None
        blob: list[bytes] = []
        left = 0
        try:
            passed.count()
            for r in passed.toLocalIterator():
                if r["pieces"]:  # a partition's first row: its counts, and how many pieces follow
                    left, blob = r["pieces"], []
                    if r["error"]:
                        error = error or r["error"]
                    else:
                        seen = add_counts(seen, pickle.loads(r["seen"]))
                blob.append(r["combiner"] or b"")
                left -= 1
                if left == 0 and any(blob):
                    part = pickle.loads(zlib.decompress(b"".join(blob)))
                    combined = part if combined is None else combined.merge(part)
        finally:
            passed.unpersist()
        if error:
            raise InputError(error)
        self.notes = join.main.notes + settle_join(seen, self.rows, join, opts.allow_partial, self._check_unique,
                                                   self._missing_ids)
        return combined if combined is not None else factory()

    def bounded(self, found: list[Statistics]) -> list[Statistics]:
        """Partitions' statistics merged may pass the distinct-score budget: binned here."""
        opts = self.opts
        return [within_budget(s, opts.grid, opts.threshold, opts.class_thresholds, self.budget) for s in found]

    def metadata_values(self, columns: Sequence[str], numeric: Callable[[pa.DataType], bool]
                        ) -> dict[str, pa.Array] | None:
        """The metadata ``columns`` whose Arrow type is ``numeric``, one value per row of the
        labels (null where the metadata has none), from the labels and the metadata alone
        (see ``DuckEngine.metadata_values``); None with ``allow_partial``."""
        join, F, id_column = self.join, self.F, self.opts.id_column
        if self.opts.allow_partial or join.metadata is None:
            return None
        labels, meta = self.frames[join.files[0]], self.frames[join.metadata]
        both_int = _both_int([self.frames[f] for f in (*join.files, join.metadata)], id_column)
        ids = labels.select(_id(id_column, both_int).alias(ID))

        def values(wanted: Sequence[str]):
            found = meta.select(_id(id_column, both_int).alias(ID), *[F.col(c).alias(META + c) for c in wanted])
            return ids.join(found, on=ID, how="left").select(*[F.col(f"`{META + c}`") for c in wanted])

        kinds = values(columns).limit(0).toArrow().schema
        wanted = [c for c in columns if numeric(kinds.field(META + c).type)]
        if not wanted:
            return {}
        table = values(wanted).toArrow()
        return {c: table.column(META + c).combine_chunks() for c in wanted}

    def _missing_ids(self, mine: str, other: str) -> tuple[tuple[int, list], tuple[int, list]]:
        """(how many, a few) ids of ``mine`` missing from ``other``, and the other way round."""
        a, b = self.frames[mine], self.frames[other]
        both_int = _both_int([a, b], self.opts.id_column)
        ids = [frame.select(_id(self.opts.id_column, both_int).alias(ID)) for frame in (a, b)]
        found = []
        for x, y in ((ids[0], ids[1]), (ids[1], ids[0])):
            only = x.join(y, on=ID, how="left_anti")
            found.append((only.count(), [str(r[ID]) for r in only.orderBy(ID).limit(PREVIEW).collect()]))
        return found[0], found[1]

    def _check_unique(self, file: str) -> None:
        F = self.F
        frame = self.frames[file]
        repeated = frame.groupBy(F.col(self.opts.id_column).cast("string").alias("i")).count().where(F.col("count") > 1)
        first = repeated.orderBy("i").limit(1).collect()
        if first:
            raise duplicate_id_error(first[0]["i"], repeated.count(), file)


def _pattern(sep: str) -> str:
    """``sep`` as a Java regular expression matching itself."""
    return "".join("\\" + ch if not ch.isalnum() else ch for ch in sep)


def _first_labels(frame, column: str) -> list:
    first = frame.select(column).first()
    return [] if first is None or first[0] is None else [record["label"] for record in first[0]]


def _present(labels, column: str, F) -> list[str]:
    rows = labels.select(_text(F.col(column), labels.schema[column].dataType).alias("v")).where(
        F.col(column).isNotNull()).distinct().limit(1000).collect()
    return [r["v"] for r in rows]


def _is_array(kind) -> bool:
    from pyspark.sql.types import ArrayType

    return isinstance(kind, ArrayType)


def _text(column, kind):
    """A label column as text, whole floats as integers (1.0 -> '1'); a list column (a
    multilabel set per row) as it is."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import DoubleType, FloatType

    if _is_array(kind):
        return column
    if isinstance(kind, (DoubleType, FloatType)):
        return F.when(column == F.floor(column), column.cast("long").cast("string")).otherwise(column.cast("string"))
    return column.cast("string")


def _id(column: str, both_int: bool):
    from pyspark.sql import functions as F

    return F.col(column) if both_int else F.col(column).cast("string")


def _both_int(frames, column: str) -> bool:
    from pyspark.sql.types import IntegralType

    return all(isinstance(f.schema[column].dataType, IntegralType) for f in frames)


def _code(text, plan: Plan, predicted: bool, F):
    """The class code of a label or predicted text, as DuckDB's ``_code`` computes it."""
    values = F.array(*[F.lit(v) for v in plan.code_labels])
    position = F.array_position(values, F.lower(text) if plan.task == "binary" else text)
    code = F.when(position > 0, position - 1)
    if predicted and plan.task == "binary":
        lowered = F.lower(text)
        code = F.coalesce(code, F.when(lowered.isin(*TRUE_WORDS), 1).when(lowered.isin(*FALSE_WORDS), 0))
    return code.cast("short" if len(plan.classes) < 32_000 else "int")


def _joined(join: JoinPlan, frames: Mapping[str, Any], id_column: str, F):
    """One DataFrame of the join (see ``reportgen.engines.batches``)."""
    files = list(join.files) + ([join.metadata] if join.metadata is not None else [])
    both_int = _both_int([frames[f] for f in files], id_column)
    main = join.main
    parts = []
    for i, file in enumerate(files):
        frame = frames[file]
        cols = [_id(id_column, both_int).alias(ID)]
        if i == 0:
            text = _text(F.col(main.label_column), frame.schema[main.label_column].dataType)
            cols.append(text.alias(LABELS))
            if main.task != "multilabel":
                cols.append(_code(text, main, False, F).alias(CODE))
            if main.weight_column is not None and not join.weights_in_metadata:
                cols.append(F.col(main.weight_column).alias(WEIGHT))
            if main.split_column is not None:
                cols.append(F.col(main.split_column).alias(SPLIT))
        if i == len(join.files):  # the metadata (and the weights, when they are its)
            cols += [F.col(c).alias(META + c) for c in join.metadata_columns]
            if join.weights_in_metadata:
                cols.append(F.col(main.weight_column).alias(WEIGHT))
        else:
            for plan in join.scores_of(file):
                cols += [F.col(c).alias(plan.prefix + c) for c in plan.read_columns]
            for plan in join.predictions_of(file):
                text = _text(F.col(plan.prediction_column), frame.schema[plan.prediction_column].dataType)
                cols.append(text.alias(plan.prefix + PRED))
                if plan.task != "multilabel":
                    cols.append(_code(text, plan, True, F).alias(plan.prefix + PCODE))
        parts.append(frame.select(*cols, F.lit(True).alias(in_column(i))))
    joined = parts[0]
    for i, part in enumerate(parts[1:], 1):
        joined = joined.join(part, on=ID, how="left" if i == len(join.files) else "full_outer")
    return joined


def _partition_pass(join: JoinPlan, factory: Callable[[], Combiner]):
    """The function each partition runs: its batches into one combiner, sent back pickled
    and compressed, with the join's counts (or the first bad row's message)."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        seen = new_counts(join)
        combiner, error, added = factory(), None, False
        buffers = [MatrixBuffer() for _ in join.models]
        try:
            for batch in batches:
                table = matched_rows(pa.Table.from_batches([batch]), seen, join)
                if table.num_rows:
                    combiner.add(chunk_from_batch(table, join, buffers))
                    added = True
        except InputError as err:
            error = str(err)
        blob = zlib.compress(pickle.dumps(combiner, protocol=5), PACK_LEVEL) if added and error is None else b""
        pieces = [blob[i:i + PIECE] for i in range(0, len(blob), PIECE)] or [b""]
        first = {"pieces": len(pieces), "error": error, "seen": pickle.dumps(seen)}
        for i, piece in enumerate(pieces):  # in order: the driver joins them back
            row = first if i == 0 else {"pieces": 0, "error": None, "seen": None}
            yield pa.RecordBatch.from_pylist([{**row, "combiner": piece}], schema=RESULT)

    return run
