"""Chunks of examples in, one ``Statistics`` out: how every streaming engine reduces data.

Exact while each class's distinct scores fit the budget (the counts are then the same as
the memory engine's, whatever the chunking); binned once a class outgrows it, with counts
at the grid and decision thresholds still exact and a bound on each AUC's error.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Mapping, Sequence

import numpy as np

from reportgen.binning import BinCounter
from reportgen.chunks import Chunk
from reportgen.options import DISTINCT_BUDGET
from reportgen.stats import ScoreCounts, Statistics, decision_thresholds, from_examples, top_scores
from reportgen.validate import Examples

SAMPLE = 1 << 16  # rows of the first chunk sampled to judge how many distinct scores to expect
MODES = ("auto", "exact", "binned")


@dataclass(frozen=True)
class EngineInfo:
    """Which engine and mode produced the statistics, and how far binning can move each AUC."""

    name: str
    mode: str
    auc_error_bound: Mapping[str, float | None]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "mode": self.mode, "auc_error_bound": dict(self.auc_error_bound)}

    @classmethod
    def of(cls, name: str, stats: Statistics) -> "EngineInfo":
        binned = is_binned(stats)
        bounds = {c: s.auc_error_bound for c, s in zip(stats.classes, stats.per_class)}
        return cls(name=name, mode="binned" if binned else "exact", auc_error_bound=bounds)


def anchor_thresholds(grid: Sequence[float], classes: Sequence[str], threshold: float,
                      class_thresholds: Mapping[str, float] | None) -> np.ndarray:
    """Where binned counts stay exact: the grid and every class's decision threshold."""
    cuts = decision_thresholds(tuple(classes), threshold, class_thresholds)
    return np.unique(np.array([*grid, *cuts], dtype=np.float64))


def within_budget(stats: Statistics, grid: Sequence[float], threshold: float,
                  class_thresholds: Mapping[str, float] | None, budget: int) -> Statistics:
    """``stats`` with every class's score counts binned (exact at the grid and decision
    thresholds) when some class has more than ``budget`` distinct scores or is binned
    already; else unchanged. Binning is by each score's bits, so binning parts and then
    merging them gives what merging and then binning does."""
    if not is_binned(stats) and max((len(c.scores) for c in stats.per_class), default=0) <= budget:
        return stats
    anchors = anchor_thresholds(grid, stats.classes, threshold, class_thresholds)
    per_class = tuple(c.binned_at(anchors) for c in stats.per_class)
    return replace(stats, per_class=per_class, top_class=stats.top_class.binned_at(anchors))


def is_binned(stats: Statistics) -> bool:
    return any(c.binned for c in stats.per_class)


class Accumulator:
    """Adds chunks (validated ``Examples``) into statistics; see the module's docstring.

    ``mode`` is ``auto`` (exact until a class has more than ``budget`` distinct scores),
    ``exact`` or ``binned``. ``expected_rows``, when known, lets ``auto`` go binned after
    the first chunk instead of sorting chunks it will have to bin anyway.
    """

    def __init__(
        self,
        threshold: float,
        class_thresholds: Mapping[str, float] | None,
        grid: Sequence[float],
        *,
        mode: str = "auto",
        budget: int = DISTINCT_BUDGET,
        expected_rows: int | None = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode {mode!r} is not one of {MODES}")
        self.threshold = threshold
        self.class_thresholds = class_thresholds
        self.grid = tuple(grid)
        self.mode = mode
        self.budget = budget
        self.expected_rows = expected_rows
        self.total: Statistics | None = None
        self.counters: list[BinCounter] | None = None
        self.top_class: BinCounter | None = None
        self._pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 1)

    @property
    def binned(self) -> bool:
        return self.counters is not None

    def add(self, ex: Examples, columns: Sequence[np.ndarray | None] | None = None) -> None:
        """Add one chunk. ``columns`` optionally holds each class's scores as read (float32,
        say): binned counting then skips converting them."""
        if ex.n_examples == 0:
            return
        if not ex.has_scores:  # a label-only model: decision counts only, nothing to bin
            part = from_examples(ex, self.threshold, self.class_thresholds)
            self.total = part if self.total is None else self.total.merge(part)
            return
        if self.binned or self.mode == "binned":
            self._add_binned(ex, columns)
            return
        if self.total is None and self.mode == "auto" and self._too_many_distinct(ex):
            self._add_binned(ex, columns)
            return
        part = from_examples(ex, self.threshold, self.class_thresholds)
        self.total = part if self.total is None else self.total.merge(part)
        if self.mode == "auto" and self._outgrown(ex.n_examples):
            self._to_binned()

    def _too_many_distinct(self, ex: Examples) -> bool:
        """Judged on a sample of the first chunk: would the expected rows outgrow the budget?"""
        if not self.expected_rows or self.expected_rows <= self.budget:
            return False
        sample = min(ex.n_examples, SAMPLE)
        distinct = max(len(np.unique(ex.y_score[:sample, j])) for j in range(ex.y_score.shape[1]))
        return distinct / sample * self.expected_rows > 2 * self.budget

    def _outgrown(self, rows_in_chunk: int) -> bool:
        distinct = max(len(c.scores) for c in self.total.per_class)
        if distinct > self.budget:
            return True
        first = self.total.n_examples == rows_in_chunk
        if first and self.expected_rows and self.expected_rows > rows_in_chunk:
            return distinct * self.expected_rows / rows_in_chunk > self.budget
        return False

    def anchors(self, classes: Sequence[str]) -> np.ndarray:
        return anchor_thresholds(self.grid, classes, self.threshold, self.class_thresholds)

    def _to_binned(self) -> None:
        """Exact counts so far become bin counts; later chunks are binned directly."""
        stats = self.total
        anchors = self.anchors(stats.classes)
        self.counters = [BinCounter(anchors, stats.weighted) for _ in stats.classes]
        for counter, counts in zip(self.counters, stats.per_class):
            counter.add_counts(counts.scores, counts.pos, counts.neg)
        if stats.task == "multiclass":
            self.top_class = BinCounter(anchors, stats.weighted)
            c = stats.top_class
            self.top_class.add_counts(c.scores, c.pos, c.neg)
        self.total = _without_score_counts(stats)

    def _add_binned(self, ex: Examples, columns: Sequence[np.ndarray | None] | None = None) -> None:
        """Scores binned on the pool's threads while the row sums are taken here."""
        if self.counters is None:
            anchors = self.anchors(ex.classes)
            weighted = ex.weight is not None
            self.counters = [BinCounter(anchors, weighted) for _ in ex.classes]
            self.top_class = BinCounter(anchors, weighted) if ex.task == "multiclass" else None
        scores = [ex.y_score[:, j] if not columns or columns[j] is None else columns[j] for j in range(len(ex.classes))]
        jobs = [self._pool.submit(c.add, ex.truth(j), scores[j], ex.weight) for j, c in enumerate(self.counters)]
        part = from_examples(ex, self.threshold, self.class_thresholds, score_counts=False)
        self.total = part if self.total is None else self.total.merge(part)
        if self.top_class is not None:
            self.top_class.add(*top_scores(ex, ex.argmax), ex.weight)
        for job in jobs:
            job.result()

    def statistics(self) -> Statistics:
        """The statistics of every chunk added so far."""
        if self.total is None:
            raise ValueError("no examples were added")
        self._pool.shutdown(wait=True)
        if not self.binned:
            return self.total
        per_class = tuple(ScoreCounts.from_counter(c) for c in self.counters)
        top_class = ScoreCounts.from_counter(self.top_class) if self.top_class is not None else ScoreCounts.empty()
        return replace(self.total, per_class=per_class, top_class=top_class)


def _without_score_counts(stats: Statistics) -> Statistics:
    return replace(stats, per_class=tuple(ScoreCounts.empty() for _ in stats.per_class),
                   top_class=ScoreCounts.empty())


@dataclass(frozen=True)
class Settings:
    """What every model's Accumulator of a streaming pass is made with (plain, picklable)."""

    threshold: float
    class_thresholds: Mapping[str, float] | None
    grid: tuple[float, ...]
    budget: int = DISTINCT_BUDGET
    expected_rows: int | None = None
    mode: str = "auto"

    def accumulator(self) -> Accumulator:
        return Accumulator(self.threshold, self.class_thresholds, self.grid, mode=self.mode, budget=self.budget,
                           expected_rows=self.expected_rows)


class StatisticsPass:
    """The statistics pass as a combiner (``reportgen.chunks``): one Accumulator per model
    of the chunks. Pickles (and merges) as the statistics counted so far, so that Spark can
    send each partition's back to the driver."""

    def __init__(self, settings: Settings, n_models: int) -> None:
        self.settings = settings
        self.n_models = n_models
        self.accumulators: list[Accumulator] | None = None
        self.counted: list[Statistics | None] = [None] * n_models  # merged in, or from a pickle

    def add(self, chunk: Chunk) -> None:
        if self.accumulators is None:
            self.accumulators = [self.settings.accumulator() for _ in range(self.n_models)]
        raw = chunk.raw_scores or (None,) * self.n_models
        for acc, examples, columns in zip(self.accumulators, chunk.models, raw):
            if examples is not None:
                acc.add(examples, columns)

    def wants(self, model: int) -> bool:
        """Every model's chunks (each model has its own accumulator)."""
        return True

    def merge(self, other: "StatisticsPass") -> "StatisticsPass":
        self.counted = [_combined(a, b) for a, b in zip(self.statistics(), other.statistics())]
        self.accumulators = None
        return self

    def statistics(self) -> list[Statistics | None]:
        """Each model's statistics (None for a model that saw no rows); ends the accumulators."""
        if self.accumulators is not None:
            self.counted = [_combined(done, acc.statistics() if acc.total is not None else None)
                            for done, acc in zip(self.counted, self.accumulators)]
            self.accumulators = None
        return list(self.counted)

    def __getstate__(self) -> dict[str, Any]:
        return {"settings": self.settings, "n_models": self.n_models, "accumulators": None,
                "counted": self.statistics()}


def _combined(a: Statistics | None, b: Statistics | None) -> Statistics | None:
    return b if a is None else a if b is None else a.merge(b)
