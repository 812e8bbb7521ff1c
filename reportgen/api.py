"""The public Python entry: ``evaluate`` on DataFrames, ``evaluate_files`` on paths,
``evaluate_arrays`` on NumPy arrays and lists.

load -> validate -> statistics -> metrics -> analysis; the result is one Evaluation.
"""
from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any, Callable, Iterable

import pyarrow as pa

from reportgen import arrays, io
from reportgen.accumulate import DISTINCT_BUDGET, EngineInfo
from reportgen.chunks import Chunk, Make
from reportgen.decisions import decision_sections
from reportgen.engines import check_engine, choose_engine
from reportgen.analysis.advice import advice, overall_advice
from reportgen.analysis.attention import attention
from reportgen.analysis import per_example
from reportgen.analysis import fairness
from reportgen.analysis.compare import Model, aligned, compare_evaluations, compare_sections
from reportgen.analysis.history import history_section
from reportgen.analysis.mistakes import top_confusions
from reportgen.analysis.slices import (ColumnValues, SliceCombiner, SliceIntervals, SliceOptions, SlicePlan, column_edges,
                                       metadata_columns, numeric, parse_specs, slice_section)
from reportgen.analysis.slices import finish as finish_slices
from reportgen.analysis.splits import SplitCombiner, split_section
from reportgen.errors import InputError
from reportgen.evaluation import Evaluation
from reportgen.inputs import Inputs
from reportgen.metrics import evaluate_statistics
from reportgen.options import Options
from reportgen.stats import Statistics, from_examples
from reportgen.validate import (Examples, Source, build_examples, build_label_examples, check_name_type, id_values,
                                metadata_weights, weight_file, with_predictions)

MAX_COMPARED = 5
COUNT_DIGITS = 2  # decimals of every count on the page when some weight is not a whole number
PathLike = str | os.PathLike[str]
Frame = Any  # pandas, Polars or PyArrow table, or any object with __arrow_c_stream__ (see io.from_dataframe)
Loader = Callable[[], Source]
ModelInputs = tuple[str, "Loader | None", "Loader | None"]  # name, its scores, its hard-label predictions
ModelFiles = tuple[str, "str | None", "str | None"]  # name, its scores file, its predictions file (streaming)


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
    if engine == "spark":
        return _run_spark_frames(labels, scores, predictions, baseline, baseline_predictions, baseline_name,
                                 list(compare), model_name, inputs, opts)
    if engine != "memory":
        raise InputError(f"usage: engine {engine!r} on DataFrames: use 'memory' (pandas) or 'spark' (Spark DataFrames)")
    label_source = Source(io.from_dataframe(labels, "labels"), "labels")

    def frame_loader(name: str, frame: Frame | None) -> Loader:
        return lambda: label_source if frame is None or frame is labels else Source(io.from_dataframe(frame, name), name)

    def model(name: str, frame, predicted, kind: str) -> ModelInputs:
        if predicted is None:
            return name, frame_loader(kind, frame), None
        return (name, None if frame is None else frame_loader(kind, frame),
                frame_loader(f"{kind} predictions", predicted))

    others = [model(baseline_name, baseline, baseline_predictions, "baseline")] \
        if baseline is not None or baseline_predictions is not None else []
    others += [(name, frame_loader(name, frame), None) for name, frame in compare]
    return _run(label_source, model(model_name, scores, predictions, "scores"), others, opts, inputs)


def _run_spark_frames(labels, scores, predictions, baseline, baseline_predictions, baseline_name, compare,
                      model_name, inputs, opts: Options) -> Evaluation:
    """``evaluate`` on Spark DataFrames: every model in one pass on the cluster of their session."""
    from reportgen.engines.spark import SparkEngine

    frames: dict[str, Any] = {"labels": labels}

    def name(frame, kind: str) -> str | None:
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
    _check_model_count(len(models))
    producer = SparkEngine(opts, frames)
    producer.prepare("labels", models)
    return _streamed_report(producer, "spark", [m[0] for m in models], opts, inputs)


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
    if engine != "memory":
        if distinct_budget < 1:
            raise InputError(f"usage: --distinct-budget {distinct_budget} must be at least 1")
        named = _file_names(labels, [(model_name, scores, predictions),
                                     *([(baseline_name, baseline, baseline_predictions)]
                                       if baseline is not None or baseline_predictions is not None else []),
                                     *((name, path, None) for name, path in compare)])
        slicing = _slicing(metadata, slice_by, slice_bins, min_slice_size, fdr,
                           opts.weight_column is not None or bool(opts.group_by))
        evaluation = _run_streamed(engine, named[0], named[1], opts, memory_limit, spark_master, progress,
                                   distinct_budget, inputs, slicing, _metadata_name(metadata, labels))
        if history is not None:
            evaluation = evaluation.with_extras(history=history_section(str(history)))
        if on_metrics is not None:
            on_metrics(evaluation.to_dict())
        return evaluation
    label_source = Source(io.read_table(labels, string_columns=opts.text_columns), str(labels))
    slicing = _slicing(metadata, slice_by, slice_bins, min_slice_size, fdr,
                       opts.weight_column is not None or bool(opts.group_by))
    meta = _metadata_source(_metadata_name(metadata, labels), label_source, opts)

    def file_loader(path: PathLike, predicted: bool = False) -> Loader:
        return lambda: label_source if _same_file(labels, path) else _score_source(path, opts, predicted)

    def model(name: str, scored: PathLike | None, predicted: PathLike | None) -> ModelInputs:
        if predicted is None:
            return name, file_loader(scored), None
        if scored is not None and _same_file(scored, predicted):
            both = _read_once(file_loader(predicted, True))  # one file holds the scores and the predictions
            return name, both, both
        return name, None if scored is None else file_loader(scored), file_loader(predicted, True)

    others = [model(baseline_name, baseline, baseline_predictions)] \
        if baseline is not None or baseline_predictions is not None else []
    others += [(name, file_loader(path), None) for name, path in compare]
    weights = meta if meta is not None and opts.weight_column is not None and \
        weight_file(opts.weight_column, label_source.name, label_source.table.column_names, meta.name,
                    meta.table.column_names) == meta.name else None
    return _run(label_source, model(model_name, scores, predictions), others, opts, inputs, slicing, history,
                on_metrics, weights, meta)


def _check_model_count(n: int) -> None:
    """At most MAX_COMPARED models (the report's, its baseline and the compared ones) on one page."""
    if n > MAX_COMPARED:
        raise InputError(f"at most {MAX_COMPARED} models on one page ({n} given)")


def _metadata_name(metadata: PathLike | None, labels: PathLike) -> str | None:
    """The metadata file's name (the labels' name when it is the labels file)."""
    if metadata is None:
        return None
    return str(labels) if _same_file(metadata, labels) else str(metadata)


def _metadata_source(metadata: str | None, labels: Source, opts: Options) -> Source | None:
    """The metadata file, read once for the slices and the weights (None when neither needs it)."""
    if metadata is None:
        return None
    if metadata == labels.name:
        return Source(labels.table, labels.name)
    source = Source(io.read_table(metadata, string_columns=(opts.id_column,)), metadata)
    id_values(source, opts.id_column)  # its ids' column and type checked, as the streaming plan does
    return source


def _file_names(labels: PathLike, models: list[tuple[str, PathLike | None, PathLike | None]]
                ) -> tuple[str, list[ModelFiles]]:
    """The labels' and every model's files as the streaming engines name them: one name for
    each file, however often it is given (``--predictions`` may be the scores file, ...)."""
    seen: list[str] = [str(labels)]

    def name(path: PathLike | None) -> str | None:
        if path is None:
            return None
        known = next((s for s in seen if _same_file(s, path)), None)
        if known is None:
            seen.append(str(path))
        return known or str(path)

    _check_model_count(len(models))
    return seen[0], [(model, name(scored), name(predicted)) for model, scored, predicted in models]


def _run_streamed(engine: str, labels: str, models: list[ModelFiles], opts: Options, memory_limit, spark_master,
                  progress, budget: int = DISTINCT_BUDGET, inputs: PathLike | None = None,
                  slicing: tuple[str, SliceOptions] | None = None, metadata: str | None = None) -> Evaluation:
    """The whole report from an out-of-core engine: statistics of every model in one pass,
    then the same metrics, comparison, slices, splits and per-example sections from more
    passes over the join (``_streamed_report``). ``metadata``: the file of the slices'
    columns and perhaps of the weights."""
    wanted = sorted({c for spec in slicing[1].specs for c in spec}) if slicing is not None else []
    grouping = fairness.fairness_options(opts.group_by, opts.min_group_size, opts.fairness_class)
    if grouping is not None:  # the group-by columns: the metadata file's, else the labels'
        metadata = metadata or labels
        wanted = sorted(set(wanted) | set(fairness.columns_of(grouping)))
    if engine == "duckdb":
        from reportgen.engines.duck import DuckEngine

        producer = DuckEngine(opts, memory_limit=memory_limit, progress=progress, budget=budget)
        try:
            producer.prepare(labels, models, metadata, wanted)
            return _streamed_report(producer, engine, [name for name, _, _ in models], opts, inputs, slicing, metadata)
        finally:
            producer.close()
    from reportgen.engines.spark import SparkEngine

    files = [labels] + [f for _, scored, predicted in models for f in (scored, predicted) if f is not None]
    producer = SparkEngine.from_paths(opts, files + ([metadata] if metadata else []), master=spark_master,
                                      budget=budget)
    producer.prepare(labels, models, metadata, wanted)
    return _streamed_report(producer, engine, [name for name, _, _ in models], opts, inputs, slicing, metadata)


def _streamed_report(producer, engine: str, names: list[str], opts: Options, inputs: PathLike | None = None,
                     slicing: tuple[str, SliceOptions] | None = None, metadata: str | None = None) -> Evaluation:
    """Passes over a streaming engine's join (``producer.reduce``): every model's statistics
    with the slices' (their numeric columns' quantile edges taken first from the labels
    and the metadata alone: ``producer.metadata_values``); then the per-example analyses,
    the splits and the slices' intervals together. Each pass's combiners take what the
    passes before found. With ``allow_partial`` only the whole join knows the rows whose
    edges count: their values come with the statistics, the slices in a pass of their own."""
    plan = None
    also: list = []
    if slicing is not None:
        path, settings = slicing
        columns = sorted({c for spec in settings.specs for c in spec})
        values = producer.metadata_values(columns, numeric)
        if values is not None:
            plan = _slice_plan(settings, opts, columns, values, path)
        also.append(functools.partial(SliceCombiner, plan) if plan is not None
                    else functools.partial(ColumnValues, columns))
    grouping = fairness.fairness_options(opts.group_by, opts.min_group_size, opts.fairness_class)
    if grouping is not None:  # the fairness groups: slices over the group-by columns, in the same passes
        group_plan = fairness.group_plan(grouping, opts, metadata)
        also.append(functools.partial(fairness.FairnessGroups, group_plan, grouping))
    found, notes, extra = producer.statistics_with(also)
    metrics, models = _streamed_models(engine, names, found, notes, opts)
    main, baseline = models[0], (models[1] if len(models) > 1 else None)
    report = main.evaluation.sections()
    second: list = [per_example.plan(main.stats, None if baseline is None else baseline.stats, report, opts)]
    if opts.split_column:
        second.append(functools.partial(SplitCombiner, opts))
    first = None
    if slicing is not None:
        if plan is None:
            plan = _slice_plan(settings, opts, columns, extra[0].arrays(), path)
            first = producer.reduce(functools.partial(SliceCombiner, plan)).result()
        else:
            first = extra[0].result()
        second.append(functools.partial(SliceIntervals, first))
    if grouping is not None:
        groups = extra[-1].result()
        second.append(functools.partial(fairness.FairnessIntervals, groups, group_plan, grouping,
                                        fairness.FairnessIntervals.edges_of(groups, main.stats.per_class)))
    done = producer.reduce(Make(tuple(second))).parts
    table = Inputs(str(inputs), opts.id_column) if inputs is not None else None
    sections, lists = per_example.sections(done[0], main, baseline, opts, table)
    if opts.split_column:
        sections["splits"] = done[1].section()
    if first is not None:
        sections.update(finish_slices(first, done[-1 - (grouping is not None)]))
    if grouping is not None:
        sections.update(fairness.finish(groups, done[-1], report))
    return metrics.with_extras(**sections).with_example_lists(lists)


def _slice_plan(settings: SliceOptions, opts: Options, columns: list[str], values: dict, path: str) -> SlicePlan:
    """The slices' plan over ``columns``, each cut at the quantile edges of its ``values`` (a
    column without values, or not numeric, is sliced by its own values)."""
    edges = {c: None for c in columns}
    edges.update(column_edges(values, settings.bins))
    return SlicePlan(settings, opts, edges, path)


def finish_models(engine: str, names: list[str], stats: list[Statistics], notes, opts: Options) -> Evaluation:
    """The evaluation of every model's statistics from a streaming engine: the first model's
    report, with the others as baseline and compared models."""
    return _streamed_models(engine, names, stats, notes, opts)[0]


def _streamed_models(engine: str, names: list[str], stats: list[Statistics], notes,
                     opts: Options) -> tuple[Evaluation, list[Model]]:
    """``finish_models``, and each model (without examples: a streaming engine has none)."""
    others = [(name, evaluate_statistics(s, opts.grid, (), opts.max_curve_points)) for name, s in zip(names[1:], stats[1:])]
    main = finish_streamed(engine, stats[0], notes, opts, others[0][1].threshold_grid if others else None)
    models = [Model(names[0], None, stats[0], main)] + [Model(n, None, s, e) for (n, e), s in zip(others, stats[1:])]
    return (main.with_extras(**compare_evaluations(names[0], main, others)) if others else main), models


def finish_streamed(engine: str, stats: Statistics, notes, opts: Options,
                    baseline_grid: dict[str, Any] | None = None) -> Evaluation:
    """The evaluation of statistics from a streaming engine, with its engine section."""
    evaluation = evaluate_statistics(stats, opts.grid, notes, opts.max_curve_points)
    return evaluation.with_extras(**_statistics_sections(engine, stats, evaluation.sections(), opts, baseline_grid))


def _statistics_sections(engine: str, stats: Statistics, report: dict[str, Any], opts: Options,
                         baseline_grid: dict[str, Any] | None = None) -> dict[str, Any]:
    """The sections every engine derives from its statistics and the report alone
    (``baseline_grid``: the baseline model's threshold grid, for its net benefit)."""
    grid = report.get("threshold_grid")
    sections = {
        "inputs": {"kind": stats.inputs, "scores_are": opts.scores_are, "weighted": stats.weighted,
                   "count_digits": COUNT_DIGITS if stats.fractional_weights else 0},
        "weight_total": stats.weight_total,
        "engine": EngineInfo.of(engine, stats).to_dict(),
        "top_confusions": top_confusions(report),
        "attention": attention(report),
        "class_thresholds": dict(zip(stats.classes, stats.class_thresholds)) if opts.class_thresholds else None,
        **decision_sections(stats, report, opts.gain_bins, opts.costs, baseline_grid),
    }
    if grid is None:  # a label-only model: no threshold to advise on
        return sections
    return {
        **sections,
        "advice": advice(grid, opts.target_precision, opts.target_recall),
        "advice_overall": overall_advice(grid, report["classes"], report["task"], opts.target_precision,
                                         opts.target_recall),
    }


def _slicing(metadata, slice_by, bins, min_size, fdr, weighted: bool = False) -> tuple[str, SliceOptions] | None:
    """The slices asked for; ``metadata`` without ``slice_by`` may hold the weights or the
    fairness groups (``weighted``)."""
    specs = parse_specs(list(slice_by))
    if not specs and (metadata is None or weighted):
        return None
    if metadata is None or not specs:
        raise InputError("usage: slices need both --metadata FILE and --slice-by COLUMN")
    if bins < 2 or min_size < 1 or not 0 < fdr < 1:
        raise InputError(f"usage: --slice-bins {bins} (>= 2), --min-slice-size {min_size} (>= 1), --fdr {fdr} (0..1)")
    return str(metadata), SliceOptions(specs=specs, bins=bins, min_size=min_size, fdr=fdr)


def read_class_thresholds(path: PathLike) -> dict[str, float]:
    """A ``class,threshold`` file as a dict."""
    table = io.read_table(path, string_columns=("class",))
    missing = {"class", "threshold"} - set(table.column_names)
    if missing:
        raise InputError(f"needs columns 'class' and 'threshold' (missing {sorted(missing)})", file=str(path))
    names = table.column("class").to_pylist()
    try:
        values = [float(v) for v in table.column("threshold").to_pylist()]
    except (TypeError, ValueError):
        raise InputError("a threshold is not a number", file=str(path), column="threshold") from None
    return dict(zip(names, values))


def _read_once(load: Loader) -> Loader:
    """A loader for two readers of one file: the first call reads it, the second gets the same table."""
    kept: list[Source] = []

    def get() -> Source:
        if kept:
            return kept.pop()
        source = load()
        kept.append(source)
        return source
    return get


def _score_source(path: PathLike, opts: Options, with_predictions: bool = False) -> Source:
    """A scores or predictions file; the prediction column is text, as the labels are."""
    text = (opts.id_column, opts.prediction_column) if with_predictions else (opts.id_column,)
    return Source(io.read_table(path, string_columns=text), str(path))


def _run(
    labels: Source,
    main: ModelInputs,
    others: list[ModelInputs],
    opts: Options,
    inputs,
    slicing: tuple[str, SliceOptions] | None = None,
    history: PathLike | None = None,
    on_metrics: Callable[[dict[str, Any]], None] | None = None,
    weights: Source | None = None,
    metadata: Source | None = None,
) -> Evaluation:
    """The memory engine's report. ``weights``: the metadata file when it holds the weight
    column (``metadata``: the same file, read once, for the slices)."""
    _check_model_count(len(others) + 1)
    model = _model(labels, main, opts, weights=weights)
    _check_class_thresholds(opts, model)
    compared = [_model(labels, other, opts, fixed=model.examples, weights=weights) for other in others]
    report = model.evaluation.sections()
    metrics = model.evaluation.with_extras(
        **compare_sections(model, compared),
        **_statistics_sections("memory", model.stats, report, opts,
                               compared[0].evaluation.threshold_grid if compared else None),
        splits=split_section([Chunk((model.examples,))], opts) if opts.split_column else None,
        history=history_section(str(history)) if history is not None else None,
    )
    if on_metrics is not None:
        on_metrics(metrics.to_dict())
    baseline = compared[0] if compared else None
    table = Inputs(str(inputs), opts.id_column) if inputs is not None else None
    chunk = Chunk(models=(model.examples,) if baseline is None else
                  (model.examples, aligned(model.examples, baseline.examples, baseline.name)))
    analyses = per_example.plan(model.stats, None if baseline is None else baseline.stats, report, opts,
                                keep_all=True)()
    analyses.add(chunk)
    sections, lists = per_example.sections(analyses, model, baseline, opts, table)
    if slicing is not None:
        sections.update(_slices(slicing, chunk.models, opts, metadata))
    if opts.group_by:
        source = metadata if metadata is not None else labels
        sections.update(fairness.memory_section(chunk.models, opts, model.stats.per_class, report, source.name,
                                                source.table))
    return metrics.with_extras(**sections).with_example_lists(lists)


def _slices(slicing: tuple[str, SliceOptions], models: tuple[Examples, ...], opts: Options,
            metadata: Source | None = None) -> dict[str, Any]:
    """The slices of the data in memory, as one chunk (``models``: the model's examples, then
    the baseline's in the same row order; ``metadata``: the file's table when already read)."""
    path, settings = slicing
    wanted = {c for spec in settings.specs for c in spec}
    if metadata is not None:  # the streaming plan checks the same from the schema
        for column in sorted(wanted & set(metadata.table.column_names)):
            check_name_type(metadata.table.schema.field(column).type, metadata.name, column, "slice")
    columns = metadata_columns(path, models[0], opts, wanted, None if metadata is None else metadata.table)
    return slice_section([Chunk(models, columns)], _slice_plan(settings, opts, sorted(columns), columns, path))


def _model(labels: Source, inputs: ModelInputs, opts: Options, fixed: Examples | None = None,
           weights: Source | None = None) -> Model:
    """One model's evaluation; its tables are read here and dropped once validated.
    ``fixed``: the report's first model, whose task and classes a label-only model takes;
    ``weights``: the metadata file holding the weight column, when the labels do not."""
    name, load_scores, load_predictions = inputs
    examples = _examples(labels, load_scores, load_predictions, opts, fixed, weights is None)
    if weights is not None:  # matched by id once the model's files are joined, as the streaming engines do
        examples = metadata_weights(examples, weights, opts)
    pa.default_memory_pool().release_unused()
    stats = from_examples(examples, opts.threshold, opts.class_thresholds, grid=opts.grid)
    evaluation = evaluate_statistics(stats, opts.grid, examples.notes, opts.max_curve_points)
    return Model(name=name, examples=examples, stats=stats, evaluation=evaluation)


def _examples(labels: Source, load_scores: Loader | None, load_predictions: Loader | None, opts: Options,
              fixed: Examples | None, weighted: bool = True) -> Examples:
    """A model's examples from its scores, its hard-label predictions, or both (``weighted``:
    with the labels file's weights, when --weight-column names one of its columns)."""
    predictions = load_predictions() if load_predictions is not None else None
    if load_scores is None:
        return build_label_examples(labels, predictions, opts, predictions is labels, fixed, weighted)
    source = load_scores()
    same = source is labels
    if predictions is not None and opts.prediction_column in source.table.column_names:
        source = Source(source.table.drop_columns([opts.prediction_column]), source.name)  # not a score column
    examples = build_examples(source if same else labels, source, opts, same, weighted)
    return examples if predictions is None else with_predictions(examples, predictions, opts, source.name)


def _check_class_thresholds(opts: Options, model: Model) -> None:
    unknown = sorted(set(opts.class_thresholds or {}) - set(model.examples.classes))
    if unknown:
        raise InputError(f"class thresholds name unknown classes: {', '.join(map(repr, unknown[:5]))}")


def _same_file(a: PathLike, b: PathLike) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False
