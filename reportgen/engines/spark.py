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
from dataclasses import replace
from typing import Iterator

import pyarrow as pa

from reportgen import io
from reportgen.accumulate import DISTINCT_BUDGET, Accumulator, anchor_thresholds
from reportgen.engines import locate
from reportgen.engines.batches import (CODE, ID, IN_LABELS, IN_SCORES, LABELS, WEIGHT, MatrixBuffer, Plan, check_weight_total,
                                       examples_from_batch, make_plan, matched_rows, new_counts, raw_columns,
                                       settle_join)
from reportgen.errors import InputError
from reportgen.options import Options
from reportgen.stats import Statistics
from reportgen.validate import PREVIEW, Note, duplicate_id_error

ROWS_PER_CHUNK = 1 << 20  # rows gathered in a partition before they are counted
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
        raise InputError(f"cannot start Spark ({io.first_line(err)[:200]}); Java 17 is required: java -version") from None
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
    fmt = locate(path)[1]  # Spark reads folders itself
    try:
        if fmt == "parquet":
            return spark.read.parquet(path)
        if fmt == "jsonl":
            return spark.read.json(path)
        return spark.read.csv(path, header=True, inferSchema=True, sep="\t" if fmt == "tsv" else ",")
    except Exception as err:
        raise InputError(f"cannot read: {io.first_line(err)[:200]}", file=path) from None


def statistics(labels, scores, opts: Options, same: bool = False, labels_name: str = "labels",
               scores_name: str = "scores", budget: int = DISTINCT_BUDGET) -> tuple[Statistics, tuple[Note, ...]]:
    """Statistics of Spark DataFrames ``labels`` and ``scores`` (``same``: one frame holds both)."""
    from pyspark.sql import functions as F

    plan = make_plan(labels.columns, scores.columns, labels_name, scores_name, opts, same,
                     lambda column: _present(labels, column, F), _list_kinds(scores),
                     lambda column: _first_labels(scores, column))
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
    seen = {key: sum(r[key] for r in rows) for key in new_counts()}
    frames = {"labels": (labels, labels_name), "scores": (scores, scores_name)}
    notes = settle_join(seen, n_labels, n_scores, plan, same, opts.allow_partial,
                        lambda side: _check_unique(*frames[side], opts.id_column, F),
                        lambda: _missing_ids(labels, scores, opts))
    total = Statistics.combine([pickle.loads(r["stats"]) for r in rows if r["stats"]])
    check_weight_total(total, plan)
    return _within_budget(total, opts, budget), plan.notes + notes


def _list_kinds(frame) -> dict[str, str]:
    """Spark's array columns as ``validate.list_kinds`` names them."""
    from pyspark.sql.types import ArrayType, StructType

    return {f.name: "records" if isinstance(f.dataType.elementType, StructType) else "numbers"
            for f in frame.schema.fields if isinstance(f.dataType, ArrayType)}


def _first_labels(frame, column: str) -> list:
    first = frame.select(column).first()
    return [] if first is None or first[0] is None else [record["label"] for record in first[0]]


def _within_budget(stats: Statistics, opts: Options, budget: int) -> Statistics:
    """Partitions counted exactly may add up to more distinct scores than the budget: bin them."""
    if any(c.binned for c in stats.per_class) or max(len(c.scores) for c in stats.per_class) <= budget:
        return stats
    anchors = anchor_thresholds(opts.grid, stats.classes, opts.threshold, opts.class_thresholds)
    per_class = tuple(c.binned_at(anchors) for c in stats.per_class)
    return replace(stats, per_class=per_class, top_class=stats.top_class.binned_at(anchors))


def _present(labels, column: str, F) -> list[str]:
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


def _id(column: str, both_int: bool):
    from pyspark.sql import functions as F

    return F.col(column) if both_int else F.col(column).cast("string")


def _both_int(labels, scores, column: str) -> bool:
    from pyspark.sql.types import IntegralType

    return all(isinstance(f.schema[column].dataType, IntegralType) for f in (labels, scores))


def _joined(labels, scores, plan: Plan, opts: Options, same: bool, F):
    both_int = _both_int(labels, scores, opts.id_column)
    text = _text(F.col(plan.label_column), labels.schema[plan.label_column].dataType)
    label_cols = [_id(opts.id_column, both_int).alias(ID), text.alias(LABELS)]
    if plan.weight_column is not None:
        label_cols.append(F.col(plan.weight_column).alias(WEIGHT))
    if plan.task != "multilabel":
        values = F.array(*[F.lit(v) for v in plan.code_labels])
        key = F.lower(text) if plan.task == "binary" else text
        position = F.array_position(values, key)
        label_cols.append(F.when(position > 0, (position - 1).cast("short")).alias(CODE))
    scores_cols = [F.col(c).alias(c) for c in plan.read_columns]
    if same:
        return labels.select(*label_cols, *scores_cols, F.lit(True).alias(IN_LABELS), F.lit(True).alias(IN_SCORES))
    left = labels.select(*label_cols, F.lit(True).alias(IN_LABELS))
    right = scores.select(_id(opts.id_column, both_int).alias(ID), *scores_cols, F.lit(True).alias(IN_SCORES))
    return left.join(right, on=ID, how="full_outer")


def _partition_reducer(plan: Plan, opts: Options, expected_rows: int, budget: int):
    """The function each partition runs: its batches in, one row of pickled statistics out."""

    def reduce(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        acc = Accumulator(opts.threshold, opts.class_thresholds, opts.grid, expected_rows=expected_rows, budget=budget)
        seen = new_counts()
        error = None
        buffer = MatrixBuffer()
        try:
            for batch in batches:
                table = matched_rows(pa.Table.from_batches([batch]), seen)
                if table.num_rows:
                    acc.add(examples_from_batch(table, plan, buffer=buffer), raw_columns(table, plan))
        except InputError as err:
            error = str(err)
        blob = pickle.dumps(acc.statistics(), protocol=5) if acc.total is not None and error is None else None
        yield pa.RecordBatch.from_pylist([{"stats": blob, "error": error, **seen}], schema=RESULT)

    return reduce


def _missing_ids(labels, scores, opts: Options) -> tuple[tuple[int, list], tuple[int, list]]:
    """(how many, a few) ids of the labels missing from the scores, and the other way round."""
    both_int = _both_int(labels, scores, opts.id_column)
    ids = [frame.select(_id(opts.id_column, both_int).alias(ID)) for frame in (labels, scores)]
    found = []
    for mine, other in ((ids[0], ids[1]), (ids[1], ids[0])):
        only = mine.join(other, on=ID, how="left_anti")
        found.append((only.count(), [str(r[ID]) for r in only.orderBy(ID).limit(PREVIEW).collect()]))
    return found[0], found[1]


def _check_unique(frame, name: str, column: str, F) -> None:
    repeated = frame.groupBy(F.col(column).cast("string").alias("i")).count().where(F.col("count") > 1)
    first = repeated.orderBy("i").limit(1).collect()
    if first:
        raise duplicate_id_error(first[0]["i"], repeated.count(), name)
