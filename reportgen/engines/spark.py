"""The Spark engine: one pass over the joined rows, statistics per partition, summed on the driver.

Spark joins labels and scores by id and computes class codes; each partition's Arrow
batches go through the same validation and ``Accumulator`` as every engine, and only
each partition's statistics (a few MB) travel to the driver, where they are merged.
"""
from __future__ import annotations

import os
import pickle
import sys
import warnings
from typing import Iterator

import pyarrow as pa

from reportgen import io
from reportgen.accumulate import DISTINCT_BUDGET, Accumulator
from reportgen.engines.batches import (CODE, ID, IN_LABELS, IN_SCORES, LABELS, Plan, examples_from_batch, make_plan,
                                       MatrixBuffer, raw_columns)
from reportgen.errors import InputError
from reportgen.options import Options
from reportgen.stats import Statistics
from reportgen.validate import Note, _show

ROWS_PER_CHUNK = 1 << 20  # rows gathered in a partition before they are counted
PREVIEW = 3
RESULT = pa.schema([("stats", pa.binary()), ("error", pa.string()), ("joined", pa.int64()),
                    ("only_labels", pa.int64()), ("only_scores", pa.int64())])
RESULT_DDL = "stats binary, error string, joined long, only_labels long, only_scores long"


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
        raise InputError(f"cannot start Spark ({_first_line(err)}); Java 17 is required: java -version") from None
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def statistics_from_paths(labels: str, scores: str, opts: Options, same: bool, master: str | None = None,
                          budget: int = DISTINCT_BUDGET) -> tuple[Statistics, tuple[Note, ...]]:
    """Read the files (or folders, or globs) with Spark and reduce them to statistics."""
    spark = session(master)
    label_frame = _read(spark, labels)
    score_frame = label_frame if same else _read(spark, scores)
    return statistics(label_frame, score_frame, opts, same, labels, labels if same else scores, budget)


def _read(spark, path: str):
    if not any(ch in path for ch in "*?[") and not os.path.exists(path):
        raise InputError("no such file", file=path)
    fmt = _folder_format(path) if os.path.isdir(path) else io.file_format(path)
    try:
        if fmt == "parquet":
            return spark.read.parquet(path)
        if fmt == "jsonl":
            return spark.read.json(path)
        return spark.read.csv(path, header=True, inferSchema=True, sep="\t" if fmt == "tsv" else ",")
    except Exception as err:
        raise InputError(f"cannot read: {_first_line(err)}", file=path) from None


def _folder_format(path: str) -> str:
    for _, _, files in os.walk(path):
        for file in sorted(files):
            suffix = os.path.splitext(file)[1].lower()
            if suffix in io.FORMATS:
                return io.FORMATS[suffix]
    raise InputError("no data files in this folder", file=path)


def statistics(labels, scores, opts: Options, same: bool = False, labels_name: str = "labels",
               scores_name: str = "scores", budget: int = DISTINCT_BUDGET) -> tuple[Statistics, tuple[Note, ...]]:
    """Statistics of Spark DataFrames ``labels`` and ``scores`` (``same``: one frame holds both)."""
    from pyspark.sql import functions as F

    plan = make_plan(labels.columns, scores.columns, labels_name, scores_name, opts, same,
                     lambda: _present(labels, opts, F))
    joined = _joined(labels, scores, plan, opts, same, F)
    spark = joined.sparkSession
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(ROWS_PER_CHUNK))
    n_labels = labels.count()
    n_scores = n_labels if same else scores.count()
    if n_labels == 0 or n_scores == 0:
        raise InputError("no rows (header only)", file=labels_name if n_labels == 0 else scores_name)
    reduce = _partition_reducer(plan, opts, n_scores, budget)
    rows = joined.mapInArrow(reduce, RESULT_DDL).collect()
    errors = [r["error"] for r in rows if r["error"]]
    if errors:
        raise InputError(errors[0])
    seen = {key: sum(r[key] for r in rows) for key in ("joined", "only_labels", "only_scores")}
    if (seen["only_labels"] or seen["only_scores"]) and not opts.allow_partial:
        raise InputError(_partial_message(labels, scores, plan, opts, F))
    if seen["joined"] == 0:
        raise InputError("no id appears in both files", file=f"{labels_name}, {scores_name}")
    clean = not (seen["only_labels"] or seen["only_scores"])
    if same or not (clean and seen["joined"] == n_labels == n_scores):
        for frame, name in ((labels, labels_name),) if same else ((labels, labels_name), (scores, scores_name)):
            _check_unique(frame, opts.id_column, name, F)
    parts = [pickle.loads(r["stats"]) for r in rows if r["stats"]]
    total = parts[0]
    for part in parts[1:]:
        total = total.merge(part)
    notes = list(plan.notes)
    if not clean:
        notes.append(Note("partial_ids", f"kept only ids in both files: dropped {seen['only_labels']} rows of "
                                         f"{labels_name} and {seen['only_scores']} rows of {scores_name}"))
    return _within_budget(total, opts, budget), tuple(notes)


def _within_budget(stats: Statistics, opts: Options, budget: int) -> Statistics:
    """Partitions counted exactly may add up to more distinct scores than the budget: bin them."""
    from dataclasses import replace

    from reportgen.binning import binned_counts

    if any(c.binned for c in stats.per_class) or max(len(c.scores) for c in stats.per_class) <= budget:
        return stats
    anchors = Accumulator(opts.threshold, opts.class_thresholds, opts.grid).anchors(stats.classes)
    per_class = tuple(binned_counts(c, anchors) for c in stats.per_class)
    confidence = binned_counts(stats.confidence, anchors)
    return replace(stats, per_class=per_class, confidence=confidence)


def _present(labels, opts: Options, F) -> list[str]:
    column = opts.label_column or ("label" if "label" in labels.columns else "labels")
    rows = labels.select(_text(F.col(column), labels.schema[column].dataType).alias("v")).where(
        F.col(column).isNotNull()).distinct().limit(1000).collect()
    return [r["v"] for r in rows]


def _text(column, kind):
    """A label column as text, whole floats as integers (1.0 -> '1')."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import DoubleType, FloatType

    if isinstance(kind, (DoubleType, FloatType)):
        return F.when(column == F.floor(column), column.cast("long").cast("string")).otherwise(column.cast("string"))
    return column.cast("string")


def _id(frame, column: str, both_int: bool):
    from pyspark.sql import functions as F

    return F.col(column) if both_int else F.col(column).cast("string")


def _both_int(labels, scores, column: str) -> bool:
    from pyspark.sql.types import IntegralType

    return all(isinstance(f.schema[column].dataType, IntegralType) for f in (labels, scores))


def _joined(labels, scores, plan: Plan, opts: Options, same: bool, F):
    both_int = _both_int(labels, scores, opts.id_column)
    text = _text(F.col(plan.label_column), labels.schema[plan.label_column].dataType)
    label_cols = [_id(labels, opts.id_column, both_int).alias(ID), text.alias(LABELS)]
    if plan.task != "multilabel":
        values = F.array(*[F.lit(v) for v in plan.code_labels])
        key = F.lower(text) if plan.task == "binary" else text
        position = F.array_position(values, key)
        label_cols.append(F.when(position > 0, (position - 1).cast("short")).alias(CODE))
    scores_cols = [F.col(c).alias(c) for c in plan.score_columns]
    if same:
        return labels.select(*label_cols, *scores_cols, F.lit(True).alias(IN_LABELS), F.lit(True).alias(IN_SCORES))
    left = labels.select(*label_cols, F.lit(True).alias(IN_LABELS))
    right = scores.select(_id(scores, opts.id_column, both_int).alias(ID), *scores_cols, F.lit(True).alias(IN_SCORES))
    return left.join(right, on=ID, how="full_outer")


def _partition_reducer(plan: Plan, opts: Options, expected_rows: int, budget: int):
    """The function each partition runs: its batches in, one row of pickled statistics out."""

    def reduce(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        acc = Accumulator(opts.threshold, opts.class_thresholds, opts.grid, expected_rows=expected_rows, budget=budget)
        seen = {"joined": 0, "only_labels": 0, "only_scores": 0}
        error = None
        buffer = MatrixBuffer()
        try:
            for batch in batches:
                table = _matched(pa.Table.from_batches([batch]), seen)
                if table.num_rows:
                    acc.add(examples_from_batch(table, plan, buffer=buffer), raw_columns(table, plan))
                    seen["joined"] += table.num_rows
        except InputError as err:
            error = str(err)
        blob = pickle.dumps(acc.statistics(), protocol=5) if acc.total is not None and error is None else None
        yield pa.RecordBatch.from_pylist([{"stats": blob, "error": error, **seen}], schema=RESULT)

    return reduce


def _matched(table: pa.Table, seen: dict[str, int]) -> pa.Table:
    import pyarrow.compute as pc

    in_labels, in_scores = table.column(IN_LABELS), table.column(IN_SCORES)
    if in_labels.null_count == 0 and in_scores.null_count == 0:
        return table
    seen["only_scores"] += in_labels.null_count
    seen["only_labels"] += in_scores.null_count
    return table.filter(pc.and_(pc.is_valid(in_labels), pc.is_valid(in_scores)))


def _partial_message(labels, scores, plan: Plan, opts: Options, F) -> str:
    both_int = _both_int(labels, scores, opts.id_column)
    ids = [frame.select(_id(frame, opts.id_column, both_int).alias(ID)) for frame in (labels, scores)]
    parts = []
    for (mine, name), (other, other_name) in (((ids[0], plan.labels_name), (ids[1], plan.scores_name)),
                                              ((ids[1], plan.scores_name), (ids[0], plan.labels_name))):
        only = mine.join(other, on=ID, how="left_anti")
        count = only.count()
        if count:
            shown = [str(r[ID]) for r in only.orderBy(ID).limit(PREVIEW).collect()]
            parts.append(f"{count} ids of {name} are not in {other_name} (e.g. {_show(shown)})")
    return "; ".join(parts) + "; use --allow-partial to keep the ids in both"


def _check_unique(frame, column: str, name: str, F) -> None:
    repeated = frame.groupBy(F.col(column).cast("string").alias("i")).count().where(F.col("count") > 1)
    first = repeated.orderBy("i").limit(1).collect()
    if first:
        raise InputError(f"duplicate id {first[0]['i']!r} ({repeated.count()} ids appear more than once)", file=name)


def _first_line(err: Exception) -> str:
    text = str(err).strip()
    return text.splitlines()[0][:200] if text else type(err).__name__
