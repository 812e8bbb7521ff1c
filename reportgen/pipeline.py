"""One run of a report for every engine: the same passes over any producer's chunks.

1. **Statistics**: each model's ``Statistics`` with, in the same pass, the slices'
   statistics (their numeric columns' quantile edges taken first from the metadata
   alone: ``producer.metadata_values``) and the splits';
2. **Metrics** of every model, the sections drawn from them (inputs, engine, decisions,
   advice, the comparison with the baseline and other models), the splits and the
   training history; ``on_metrics`` hears the report here, whatever the engine;
3. **Per-example pass**: the paired bootstrap's group sums, churn, the example lists and
   the slices' intervals, each planned from what the statistics pass found.

With ``allow_partial`` a streaming engine knows only after a whole pass which rows stay,
so the slices' edges come from the statistics pass and the slices take a pass of their own.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from reportgen import io
from reportgen.accumulate import EngineInfo
from reportgen.analysis import fairness, per_example
from reportgen.analysis.advice import advice, overall_advice
from reportgen.analysis.attention import attention
from reportgen.analysis.compare import Model, compare_evaluations
from reportgen.analysis.history import STRING_COLUMNS, history_section
from reportgen.analysis.mistakes import top_confusions
from reportgen.analysis.slices import (ColumnValues, SliceCombiner, SliceIntervals, SliceOptions, SlicePlan,
                                       column_edges, numeric)
from reportgen.analysis.slices import finish as finish_slices
from reportgen.analysis.splits import SplitCombiner
from reportgen.chunks import Make
from reportgen.decisions import decision_sections, with_resampled
from reportgen.engines.base import Producer, check_model_count
from reportgen.evaluation import Evaluation
from reportgen.evidence import with_evidence
from reportgen.inputs import Inputs
from reportgen.metrics import evaluate_statistics
from reportgen.options import Options
from reportgen.stats import Statistics

COUNT_DIGITS = 2  # decimals of every count on the page when some weight is not a whole number


@dataclass(frozen=True)
class Slicing:
    """The slices asked for: the metadata input holding their columns, and how to cut them."""

    metadata: str
    settings: SliceOptions

    @property
    def columns(self) -> list[str]:
        return sorted({c for spec in self.settings.specs for c in spec})


@dataclass(frozen=True)
class RunPlan:
    """One report's run: its inputs as the producer names them (``labels``; ``models``:
    (model name, its scores, its hard-label predictions), the report's model first, then
    the baseline, then compared models; ``metadata``: the slice columns' and perhaps the
    weights' input), the options, the slices, the inputs file shown beside examples
    (``inputs``), the training ``history`` file, and ``on_metrics``, called with the
    report's dict once its metrics exist (before the per-example pass)."""

    labels: Any
    models: tuple[tuple[str, Any, Any], ...]
    opts: Options
    metadata: Any = None
    slicing: Slicing | None = None
    inputs: str | None = None
    history: str | None = None
    on_metrics: Callable[[dict[str, Any]], None] | None = None

    @property
    def names(self) -> list[str]:
        return [name for name, _, _ in self.models]


def run(producer: Producer, plan: RunPlan) -> Evaluation:
    """The whole report from ``producer``'s passes (see the module's docstring); the
    producer is closed at the end, whatever happens."""
    try:
        check_model_count(len(plan.models))
        columns = plan.slicing.columns if plan.slicing else []
        metadata = plan.metadata
        if plan.opts.group_by:  # the fairness groups' columns: the metadata's, else the labels'
            metadata = plan.labels if metadata is None else metadata
            columns = sorted(set(columns) | set(fairness.columns_of(fairness.options_of(plan.opts))))
        producer.prepare(plan.labels, plan.models, metadata, columns)
        return _passes(producer, plan, metadata)
    finally:
        producer.close()


def _passes(producer: Producer, plan: RunPlan, metadata: Any = None) -> Evaluation:
    opts, slicing = plan.opts, plan.slicing
    # pass 1: statistics, with the slices', the splits' and the fairness groups'
    slices: SlicePlan | None = None
    also: list = [functools.partial(SplitCombiner, opts, producer.budget, producer.expected_rows)
                  ] if opts.split_column else []
    grouping = fairness.options_of(opts)
    if grouping is not None:  # before the slices, which take the last place
        groups_plan = fairness.group_plan(grouping, opts, metadata)
        also.append(functools.partial(fairness.FairnessGroups, groups_plan, grouping))
    if slicing is not None:
        slices = _planned_slices(producer, slicing, opts)
        also.append(functools.partial(SliceCombiner, slices) if slices is not None
                    else functools.partial(ColumnValues, slicing.columns))
    found, notes, extra = producer.statistics_with(also)
    splits = extra[0].section() if opts.split_column else None
    # the metrics and what they alone decide
    metrics, models = evaluations(producer.name, plan.names, found, notes, opts)
    metrics = metrics.with_extras(splits=splits, history=read_history(plan.history) if plan.history else None)
    if plan.on_metrics is not None:
        plan.on_metrics(metrics.to_dict())
    # pass 2: what needs pass 1
    main, baseline = models[0], (models[1] if len(models) > 1 else None)
    second: list = [per_example.plan(main.stats, None if baseline is None else baseline.stats,
                                     main.evaluation.sections(), opts, keep_all=producer.keeps_every_candidate)]
    if grouping is not None:
        groups = extra[int(bool(opts.split_column))].result()
        second.append(functools.partial(fairness.FairnessIntervals, groups, groups_plan, grouping,
                                        fairness.FairnessIntervals.edges_of(groups, main.stats.per_class)))
    first = None
    if slicing is not None:
        if slices is None:  # the edges from the statistics pass's values, the slices in a pass of their own
            slices = slice_plan(slicing, opts, extra[-1].arrays())
            first = producer.reduce(functools.partial(SliceCombiner, slices)).result()
        else:
            first = extra[-1].result()
        second.append(functools.partial(SliceIntervals, first))
    done = producer.reduce(Make(tuple(second))).parts
    table = Inputs(str(plan.inputs), opts.id_column) if plan.inputs is not None else None
    sections, lists = per_example.sections(done[0], main, baseline, opts, table)
    if first is not None:
        sections.update(finish_slices(first, done[-1]))
    if grouping is not None:
        sections.update(fairness.finish(groups, done[1], main.evaluation.sections()))
    return with_evidence(with_resampled(metrics.with_extras(**sections))).with_example_lists(lists)


def _planned_slices(producer: Producer, slicing: Slicing, opts: Options) -> SlicePlan | None:
    """The slices' plan from the metadata's numeric values, before any pass (None when only
    a pass knows the rows); the values (a number a row) are let go once cut."""
    values = producer.metadata_values(slicing.columns, numeric)
    return None if values is None else slice_plan(slicing, opts, values)


def slice_plan(slicing: Slicing, opts: Options, values: dict) -> SlicePlan:
    """The slices' plan, each column cut at the quantile edges of its ``values`` (a column
    without values, or not numeric, is sliced by its own values)."""
    edges = {c: None for c in slicing.columns}
    edges.update(column_edges(values, slicing.settings.bins))
    return SlicePlan(slicing.settings, opts, edges, slicing.metadata)


def evaluations(engine: str, names: Sequence[str], stats: Sequence[Statistics], notes, opts: Options
                ) -> tuple[Evaluation, list[Model]]:
    """The report's metrics (the first model's evaluation with the sections drawn from its
    statistics and the comparison with the others), and each model."""
    others = [(name, evaluate_statistics(s, opts.grid, (), opts.max_curve_points))
              for name, s in zip(names[1:], stats[1:])]
    main = evaluate_statistics(stats[0], opts.grid, notes, opts.max_curve_points)
    main = main.with_extras(**statistics_sections(engine, stats[0], main.sections(), opts,
                                                  others[0][1].threshold_grid if others else None))
    models = [Model(names[0], stats[0], main)] + [Model(n, s, e) for (n, e), s in zip(others, stats[1:])]
    return (main.with_extras(**compare_evaluations(names[0], main, others)) if others else main), models


def statistics_sections(engine: str, stats: Statistics, report: dict[str, Any], opts: Options,
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


def read_history(path: str) -> dict[str, Any]:
    """The ``history`` section of a training history file."""
    return history_section(io.read_table(path, string_columns=STRING_COLUMNS), str(path))
