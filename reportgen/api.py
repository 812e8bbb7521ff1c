"""The public Python entry: ``evaluate`` on DataFrames, ``evaluate_files`` on paths,
``evaluate_arrays`` on NumPy arrays and lists.

Each adapts its inputs (names for every table or file, options, slices) into one
``pipeline.RunPlan`` and runs it on the engine asked for (``engines.REGISTRY``); the
result is one Evaluation.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Iterable

from reportgen import arrays
from reportgen.accumulate import DISTINCT_BUDGET
from reportgen.analysis.slices import SliceOptions, parse_specs
from reportgen.engines import REGISTRY, check_engine, choose_engine, engine_class
from reportgen.engines.base import EngineSettings, check_model_count
from reportgen.errors import InputError
from reportgen.evaluation import Evaluation
from reportgen.io import read_class_thresholds
from reportgen.options import Options
from reportgen.pipeline import RunPlan, Slicing, run

PathLike = str | os.PathLike[str]
Frame = Any  # pandas, Polars or PyArrow table, or any object with __arrow_c_stream__ (see io.from_dataframe)
Models = list[tuple[str, "str | None", "str | None"]]  # name, its scores' input, its predictions' input


def evaluate(
    labels: Frame,
    scores: Frame | None = None,
    *,
    predictions: Frame | None = None,
    baseline: Frame | None = None,
    baseline_predictions: Frame | None = None,
    baseline_name: str = "baseline",
    compare: Iterable[tuple[str, Frame]] = (),
    model_name: str = "model",
    inputs: PathLike | None = None,
    engine: str = "memory",
    **options,
) -> Evaluation:
    """Evaluate a classifier from tables: ``labels`` (id + label/labels) and ``scores``
    (id + one column per class). A table is a pandas DataFrame, a Polars DataFrame, a
    PyArrow Table (or RecordBatch, RecordBatchReader), or anything with
    ``__arrow_c_stream__``, read through Arrow without copying its numbers. ``scores=None`` means ``labels`` holds both, unless
    ``predictions`` (id + ``predicted``, the model's hard labels) is given: then the
    report is label-only. With scores and predictions, the predictions decide and the
    scores rank. ``baseline_predictions`` gives the baseline as hard labels.

    ``engine="spark"`` takes Spark DataFrames and computes on the cluster of their session.

    ``baseline`` (and up to four more ``compare`` models) are scored on the same ids.
    Keyword options are those of :class:`reportgen.options.Options` (threshold,
    multilabel, positive_class, id_column, label_column, label_sep, grid_step,
    allow_partial, score_columns, n_bootstrap, seed, ...). Raises InputError on bad input.
    """
    opts = Options(**options)
    make = getattr(engine_class(engine), "for_frames", None) if engine in REGISTRY else None
    if make is None:
        raise InputError(f"usage: engine {engine!r} on DataFrames: use 'memory' (pandas) or 'spark' (Spark DataFrames)")
    frames: dict[str, Any] = {"labels": labels}

    def name(frame, kind: str) -> str | None:
        """One name per DataFrame, however often it is given."""
        if frame is None:
            return None
        known = next((n for n, f in frames.items() if f is frame), None)
        if known is None:
            frames[kind] = frame
        return known or kind

    main_scores = labels if scores is None and predictions is None else scores
    models = [(model_name, name(main_scores, "scores"), name(predictions, "predictions"))]
    if baseline is not None or baseline_predictions is not None:
        models.append((baseline_name, name(baseline, "baseline"), name(baseline_predictions, "baseline predictions")))
    models += [(n, name(frame, f"compare {n}"), None) for n, frame in compare]
    check_model_count(len(models))
    plan = RunPlan(labels="labels", models=tuple(models), opts=opts, inputs=_text(inputs))
    return run(make(opts, frames), plan)


def evaluate_arrays(y_true, y_score=None, *, y_pred=None, classes=None, sample_weight=None, **options) -> Evaluation:
    """Evaluate from arrays shaped as scikit-learn's metrics take them.

    ``y_true``: (n,) labels, or (n, k) 0/1 indicators for multilabel. ``y_score``: (n,)
    the positive class's score (binary; the greater label is positive unless
    ``positive_class`` says otherwise), or (n, k) one column per class. ``classes`` names
    the columns (default: the sorted distinct labels, as scikit-learn's ``unique_labels``;
    "0".."k-1" for multilabel). ``y_pred``: predicted labels shaped as ``y_true``;
    ``sample_weight``: (n,) example weights. Rows get the ids "0".."n-1". Other keyword
    options are ``evaluate``'s (threshold, n_bootstrap, scores_are, ...).
    """
    taken = sorted(set(options) & {"id_column", "label_column", "label_sep", "score_columns", "weight_column",
                                   "prediction_column"})
    if taken:
        raise InputError(f"usage: evaluate_arrays names its own columns; drop {', '.join(taken)}")
    made = arrays.tables(y_true, y_score, y_pred=y_pred, classes=classes, sample_weight=sample_weight,
                         positive_class=options.pop("positive_class", None), multilabel=options.pop("multilabel", None))
    if made.predictions is not None:
        options["predictions"] = made.predictions
    return evaluate(made.labels, made.scores, **options, **made.options)


def evaluate_files(
    labels: PathLike,
    scores: PathLike | None = None,
    *,
    predictions: PathLike | None = None,
    baseline: PathLike | None = None,
    baseline_predictions: PathLike | None = None,
    baseline_name: str = "baseline",
    compare: Iterable[tuple[str, PathLike]] = (),
    model_name: str = "model",
    inputs: PathLike | None = None,
    class_thresholds: PathLike | None = None,
    history: PathLike | None = None,
    metadata: PathLike | None = None,
    slice_by: Iterable[str] = (),
    slice_bins: int = 5,
    min_slice_size: int = 30,
    fdr: float = 0.05,
    engine: str = "auto",
    memory_limit: str | None = None,
    spark_master: str | None = None,
    distinct_budget: int = DISTINCT_BUDGET,
    progress: Callable[[int, int], None] | None = None,
    on_choice: Callable[[str], None] | None = None,
    on_metrics: Callable[[dict[str, Any]], None] | None = None,
    **options,
) -> Evaluation:
    """Evaluate from files (.csv, .tsv, .jsonl/.ndjson, .parquet); labels and scores may be one file.

    ``predictions`` is a file of the model's hard labels (id + ``predicted``, or
    ``prediction_column``; it may be the labels or the scores file): without ``scores``
    the report is label-only; with them the predictions decide and the scores rank.
    ``baseline_predictions`` gives the baseline as hard labels.

    ``history`` is a training history (step or epoch, optional split, numeric metrics);
    ``metadata`` (id plus columns) with ``slice_by`` (``"a"`` or crossed ``"a,b"``) adds slices;
    the ``weight_column`` is looked for in ``labels``, then in ``metadata``.
    ``engine`` is ``memory``, ``duckdb`` (out of core, files, globs or Hive folders, under
    ``memory_limit``), ``spark`` (``spark_master``, default ``local[2]``) or ``auto``
    (memory when the inputs comfortably fit; ``on_choice`` hears why). The streaming
    engines keep each class's scores exact up to ``distinct_budget`` distinct values,
    and bin them beyond.

    ``on_metrics`` hears the report as soon as its metrics and the sections drawn from
    them exist, before the bootstrap and the per-example analyses (a caller can start
    drawing the charts meanwhile).
    """
    if class_thresholds is not None:
        options["class_thresholds"] = read_class_thresholds(class_thresholds)
    opts = Options(**options)
    if scores is None and predictions is None:
        raise InputError("usage: give --scores FILE, --predictions FILE or both")
    engine = check_engine(engine)
    if engine == "auto":
        engine, why = choose_engine([str(p) for p in (labels, scores, predictions) if p is not None])
        if on_choice is not None:
            on_choice(f"engine {engine} ({why})")
    named, models = _file_names(labels, [(model_name, scores, predictions),
                                         *([(baseline_name, baseline, baseline_predictions)]
                                           if baseline is not None or baseline_predictions is not None else []),
                                         *((name, path, None) for name, path in compare)])
    slicing = _slicing(metadata, slice_by, slice_bins, min_slice_size, fdr,
                       opts.weight_column is not None or bool(opts.group_by))
    meta = None if metadata is None else (named if _same_file(metadata, labels) else str(metadata))
    files = [named] + [f for _, scored, predicted in models for f in (scored, predicted) if f is not None]
    settings = EngineSettings(memory_limit=memory_limit, spark_master=spark_master, budget=distinct_budget,
                              progress=progress)
    producer = engine_class(engine).for_files(opts, files + ([meta] if meta else []), settings)
    plan = RunPlan(labels=named, models=tuple(models), opts=opts, metadata=meta, slicing=slicing,
                   inputs=_text(inputs), history=_text(history), on_metrics=on_metrics)
    return run(producer, plan)


def _text(path: PathLike | None) -> str | None:
    return None if path is None else str(path)


def _file_names(labels: PathLike, models: list[tuple[str, PathLike | None, PathLike | None]]) -> tuple[str, Models]:
    """The labels' and every model's files as the engines name them: one name for each
    file, however often it is given (``--predictions`` may be the scores file, ...)."""
    seen: list[str] = [str(labels)]

    def name(path: PathLike | None) -> str | None:
        if path is None:
            return None
        known = next((s for s in seen if _same_file(s, path)), None)
        if known is None:
            seen.append(str(path))
        return known or str(path)

    check_model_count(len(models))
    return seen[0], [(model, name(scored), name(predicted)) for model, scored, predicted in models]


def _slicing(metadata, slice_by, bins, min_size, fdr, weighted: bool = False) -> Slicing | None:
    """The slices asked for; ``metadata`` without ``slice_by`` may hold the weights or the
    fairness groups (``weighted``)."""
    specs = parse_specs(list(slice_by))
    if not specs and (metadata is None or weighted):
        return None
    if metadata is None or not specs:
        raise InputError("usage: slices need both --metadata FILE and --slice-by COLUMN")
    if bins < 2 or min_size < 1 or not 0 < fdr < 1:
        raise InputError(f"usage: --slice-bins {bins} (>= 2), --min-slice-size {min_size} (>= 1), --fdr {fdr} (0..1)")
    return Slicing(str(metadata), SliceOptions(specs=specs, bins=bins, min_size=min_size, fdr=fdr))


def _same_file(a: PathLike, b: PathLike) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False
