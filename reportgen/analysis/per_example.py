"""The per-example analyses as one combiner over chunks: the paired bootstrap's group
sums, churn, confident mistakes, label issues and the examples of each confusion cell.

They are the second pass over the examples: each needs the whole sample's statistics
(decision thresholds, score-bin edges, each class's label-issue threshold, the classes a
compact confusion matrix shows), which ``plan`` takes from the first pass into a
``Plan`` of plain fields (picklable: calling it makes a fresh ``Analyses``). Every
engine feeds ``Analyses`` chunks (the memory engine its data as one chunk; a streaming
engine one per batch, merging partial ones); ``sections`` reads the report's sections once
every chunk is in, and they do not depend on how the rows were cut or ordered.

Chunks hold the report's model first, then its baseline (when there is one).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from reportgen import decisions
from reportgen.analysis import bootstrap
from reportgen.analysis.churn import Churn
from reportgen.analysis.compare import Model, interval_sections
from reportgen.analysis.lists import ExampleLists, Ranked, listed
from reportgen.analysis.mistakes import LABEL_ISSUES_METHOD, ConfidentMistakes, LabelIssues, label_thresholds
from reportgen.chunks import Chunk, SideBySide
from reportgen.inputs import Inputs
from reportgen.options import Options
from reportgen.selection import Selection
from reportgen.stats import Statistics


@dataclass(frozen=True, eq=False)
class ModelPlan:
    """One model's part of the bootstrap: its task, whether it has scores, its decision
    thresholds (k,), each class's inner score-bin edges (from its whole-sample counts) and
    whether its examples are weighted."""

    task: str
    n_classes: int
    scored: bool
    thresholds: np.ndarray
    edges: tuple[np.ndarray, ...]
    weighted: bool

    @classmethod
    def of(cls, stats: Statistics) -> "ModelPlan":
        return cls(stats.task, len(stats.classes), stats.has_scores,
                   np.asarray(stats.class_thresholds, dtype=np.float64), bootstrap.rank_edges(stats.per_class),
                   stats.weighted)


@dataclass(frozen=True, eq=False)
class Plan:
    """What the per-example pass needs from the first one, in plain fields.

    ``classes``, ``task``, ``scored`` and ``thresholds`` (k,) describe the report's model;
    ``label_thresholds`` (k,) its classes' label-issue thresholds (None: no label issues);
    ``models``: the bootstrap's models, the report's then its baseline's (empty: no
    intervals) over ``n_groups`` groups of ``seed``; ``churn``: whether there is a
    baseline; ``keep``: candidates kept per example list (None: every one, for
    ``--export``); ``shown``: the classes of a compact confusion matrix (None: full);
    ``grid``: the grid counts the bootstrap's group sums carry for the decisions'
    intervals (None: none); ``bayes`` (k, k): the cost matrix of the Bayes decision
    (None: not computed).
    """

    classes: tuple[str, ...]
    task: str
    scored: bool
    thresholds: np.ndarray
    label_thresholds: np.ndarray | None
    models: tuple[ModelPlan, ...]
    n_groups: int
    seed: int
    churn: bool
    keep: int | None
    per_cell: int
    total: int
    shown: tuple[int, ...] | None
    grid: bootstrap.GridPlan | None = None
    bayes: np.ndarray | None = None

    def __call__(self) -> "Analyses":
        single = self.task != "multilabel"
        sums = None
        if self.models:
            sums = bootstrap.Bootstrap([
                bootstrap.GroupSums(i, m.task, m.n_classes, m.scored, m.thresholds, m.edges, self.n_groups,
                                    m.weighted, self.grid)
                for i, m in enumerate(self.models)], self.seed)
        return Analyses(
            bootstrap=sums,
            churn=Churn(self.classes, self.thresholds, self.keep) if self.churn else None,
            mistakes=ConfidentMistakes(self.classes, self.thresholds, self.keep) if single else None,
            issues=None if self.label_thresholds is None else LabelIssues(self.classes, self.label_thresholds,
                                                                            self.keep),
            selection=Selection(self.classes, not single, self.thresholds, self.per_cell, self.total,
                                None if self.shown is None else list(self.shown)),
            bayes=None if self.bayes is None else decisions.BayesDecisions(self.bayes, self.thresholds),
        )


def plan(main: Statistics, baseline: Statistics | None, report: dict[str, Any], opts: Options,
         keep_all: bool = False) -> Plan:
    """The per-example pass of a report whose first-pass statistics are ``main`` (and
    ``baseline``) and whose metric sections are ``report``; ``keep_all`` keeps every list
    candidate (the memory engine), else the first ``opts.list_limit``."""
    shown = (report["confusion_matrix"].get("shown") or {}).get("index")
    scored = main.has_scores
    models = () if not opts.n_bootstrap else tuple(ModelPlan.of(s) for s in (main, baseline) if s is not None)
    return Plan(
        classes=main.classes, task=main.task, scored=scored,
        thresholds=np.asarray(main.class_thresholds, dtype=np.float64),
        label_thresholds=label_thresholds(main) if scored and main.task != "multilabel" else None,
        models=models, n_groups=bootstrap.group_count(opts.n_bootstrap, len(main.classes)), seed=opts.seed,
        churn=baseline is not None, keep=None if keep_all else opts.list_limit, per_cell=opts.inputs_per_cell,
        total=opts.inputs_total, shown=None if shown is None else tuple(shown),
        grid=decisions.grid_plan(main, report.get("threshold_grid"), opts.costs, baseline) if models else None,
        bayes=decisions.bayes_matrix(main, opts.costs))


class Analyses:
    """The combiner: every per-example analysis of the report (None where it has none)."""

    def __init__(self, bootstrap: bootstrap.Bootstrap | None, churn: Churn | None,
                 mistakes: ConfidentMistakes | None, issues: LabelIssues | None, selection: Selection,
                 bayes: "decisions.BayesDecisions | None" = None):
        self.bootstrap, self.churn, self.mistakes, self.issues = bootstrap, churn, mistakes, issues
        self.selection, self.bayes = selection, bayes
        self.threads = SideBySide()

    def _parts(self) -> tuple:
        return self.bootstrap, self.churn, self.mistakes, self.issues, self.selection, self.bayes

    def wants(self, model: int) -> bool:
        """Chunks of the baseline alone feed its bootstrap sums; the rest reads the report's model."""
        return self.bootstrap is not None and self.bootstrap.wants(model)

    def add(self, chunk: Chunk) -> None:
        if chunk.main is None:
            if self.bootstrap is not None:
                self.bootstrap.add(chunk)
            return
        self.threads.run([part.add for part in self._parts() if part is not None], chunk)

    def merge(self, other: "Analyses") -> "Analyses":
        for mine, theirs in zip(self._parts(), other._parts()):
            if mine is not None:
                mine.merge(theirs)
        return self


def sections(analyses: Analyses, main: Model, baseline: Model | None, opts: Options,
             inputs: Inputs | None = None) -> tuple[dict[str, Any], ExampleLists]:
    """The report's per-example sections once every chunk is in, and the lists behind them."""
    out: dict[str, Any] = {}
    resampling = None
    if analyses.bootstrap is not None:
        resampling = bootstrap.plan(opts.n_bootstrap, opts.seed, len(main.stats.classes))
        out.update(interval_sections(main, baseline, analyses.bootstrap, resampling,
                                     (opts.at_precision, opts.at_recall)))
    out.update(decisions.resampled(analyses.bootstrap, resampling, analyses.bayes, main.stats,
                                   opts.costs))  # put in place by decisions.with_resampled
    broken = fixed = None
    if analyses.churn is not None:
        out["churn"], broken, fixed = analyses.churn.section(opts.list_limit, inputs)
    lists = ExampleLists(
        label_issues=None if analyses.issues is None else analyses.issues.result(),
        confident_mistakes=None if analyses.mistakes is None else analyses.mistakes.result(),
        broken=broken, fixed=fixed, inputs=inputs)
    out.update(
        confident_mistakes=listed(lists.confident_mistakes, opts.list_limit, inputs),
        confident_mistakes_total=_total(lists.confident_mistakes),
        label_issues=listed(lists.label_issues, opts.list_limit, inputs),
        label_issues_total=_total(lists.label_issues),
        selection=analyses.selection.section(inputs),
    )
    if lists.label_issues is not None:
        out["label_issues_method"] = LABEL_ISSUES_METHOD
    return out, lists


def _total(ranked: Ranked | None) -> int | None:
    return None if ranked is None else ranked.total
