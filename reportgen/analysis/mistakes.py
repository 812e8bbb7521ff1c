"""Mistakes worth reading: top confusions, confident mistakes and likely label errors.

Example lists look at the examples themselves: they are combiners over chunks of them
(``reportgen.chunks``), whose result does not depend on how the rows were cut or ordered.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pyarrow as pa

from reportgen.analysis.lists import Ranked, TopList
from reportgen.chunks import Chunk
from reportgen.matrices import confusion_cells
from reportgen.stats import Statistics, predicted_classes

TOP_CONFUSIONS = 20
PER_CONFUSION = 3  # without scores: examples of one confusion before the next confusion's


def top_confusions(report: dict[str, Any], limit: int = TOP_CONFUSIONS) -> list[dict[str, Any]]:
    """Off-diagonal confusion cells, most examples first (single-label tasks)."""
    if report["task"] == "multilabel":
        return []
    classes = report["classes"]
    actual, predicted, count = confusion_cells(report["confusion_matrix"])
    totals = np.bincount(actual, weights=count, minlength=len(classes))
    off = np.flatnonzero(actual != predicted)
    order = off[np.lexsort((-count[off] / totals[actual[off]], -count[off]))][:limit]
    cells = [
        {"actual": classes[i], "predicted": classes[j], "count": int(n), "share_of_actual": float(n / totals[i])}
        for i, j, n in zip(actual[order].tolist(), predicted[order].tolist(), count[order].tolist())
    ]
    return cells


class ConfidentMistakes:
    """Combiner of every wrong single-label prediction of the chunks' first model, most
    confident in the wrong class first; ties by id. Without scores (``score`` is null) there
    is no confidence to rank by: the first PER_CONFUSION examples (in id order) of each
    confusion, the most common confusion first, then the next PER_CONFUSION of each, and so
    on, so a list's head shows several confusions rather than one.

    ``thresholds`` (classes,): each class's decision threshold; ``limit``: candidates kept
    (None: all). Its result has columns ``actual``, ``predicted``, ``score``.
    """

    def __init__(self, classes: tuple[str, ...], thresholds: np.ndarray, limit: int | None):
        self.thresholds = np.asarray(thresholds, dtype=np.float64)
        self.scored: bool | None = None
        self.list = TopList(classes, limit)

    def add(self, chunk: Chunk) -> None:
        ex = chunk.main
        self.scored = ex.has_scores
        predicted = predicted_classes(ex, self.thresholds)
        wrong = np.flatnonzero(predicted != ex.y_true)
        actual, made = ex.y_true[wrong], predicted[wrong]
        ids = ex.ids.take(pa.array(wrong, pa.int64()))
        if ex.has_scores:
            score = ex.y_score[wrong, made]
            self.list.offer(ids, -score, {"actual": actual, "predicted": made, "score": score})
        else:
            self.list.offer(ids, np.zeros(len(wrong)), {"actual": actual, "predicted": made,
                            "score": np.full(len(wrong), np.nan)}, group=actual * len(ex.classes) + made)

    def merge(self, other: "ConfidentMistakes") -> "ConfidentMistakes":
        self.scored = other.scored if self.scored is None else self.scored
        self.list.merge(other.list)
        return self

    def result(self) -> Ranked:
        if self.scored is not False:
            return self.list.ranked()
        return by_rounds(self.list.ranked_by_group_size(), self.list.group, PER_CONFUSION)


def by_rounds(ranked: Ranked, group: np.ndarray, per_round: int) -> Ranked:
    """``ranked`` (its key: each candidate's rank, groups contiguous, best group first) re-ranked
    in rounds: each group's first ``per_round`` in group order, then each group's next ones.
    ``group`` (m,) is each candidate's group, aligned with ``ranked``'s columns."""
    order = np.argsort(ranked.key, kind="stable")
    in_order = group[order]
    starts = np.flatnonzero(np.concatenate([[True], in_order[1:] != in_order[:-1]])) if len(order) else order
    sizes = np.diff(np.append(starts, len(order)))
    position = np.arange(len(order)) - np.repeat(starts, sizes)  # within its group
    place = np.repeat(np.arange(len(starts)), sizes)             # its group's place
    rank = np.empty(len(order))
    rank[order[np.lexsort((position, place, position // per_round))]] = np.arange(len(order))
    return replace(ranked, key=rank)


def label_thresholds(stats: Statistics) -> np.ndarray:
    """(classes,) each class's label-issue threshold: the mean score the model gives it on
    the examples labeled with it (weighted when weighted; inf for a class without any)."""
    counts = np.asarray(stats.actual_counts, dtype=np.float64)
    own = np.asarray(stats.score_diagonal, dtype=np.float64)
    return np.divide(own, counts, out=np.full(len(counts), np.inf), where=counts > 0)


class LabelIssues:
    """Combiner of the likely label errors of the chunks' first model, most likely first,
    as in confident learning.

    ``thresholds`` (classes,) is each class's threshold (``label_thresholds`` of the
    whole sample's Statistics). An example is a candidate when the model's top class is
    not its given label, or when another class reaches its own threshold; the suggested
    class is the likeliest class reaching its threshold (else the top class). Candidates
    are ranked by the given label's score relative to that label's threshold, lowest
    first, ties by id. Only meaningful for out-of-sample scores. Its result has columns
    ``given``, ``suggested``, ``self_confidence``, ``suggested_score``.
    """

    def __init__(self, classes: tuple[str, ...], thresholds: np.ndarray, limit: int | None):
        self.thresholds = np.asarray(thresholds, dtype=np.float64)
        self.list = TopList(classes, limit)

    def add(self, chunk: Chunk) -> None:
        ex = chunk.main
        threshold = self.thresholds
        rows = np.arange(ex.n_examples)
        own = ex.y_score[rows, ex.y_true]
        best = np.full(ex.n_examples, -1.0)  # score of the likeliest other class at its threshold
        suggested = ex.argmax.copy()
        for j in range(len(ex.classes)):  # one pass per class over a column: no rows × classes temporaries
            score = ex.y_score[:, j]
            better = (score >= threshold[j]) & (ex.y_true != j) & (score > best)
            suggested[better] = j
            best[better] = score[better]
        candidate = np.flatnonzero((best >= 0) | (ex.argmax != ex.y_true))
        given, other = ex.y_true[candidate], suggested[candidate]
        cut = threshold[given]
        relative = np.divide(own[candidate], cut, out=np.zeros(len(candidate)), where=cut > 0)
        self.list.offer(ex.ids.take(pa.array(candidate, pa.int64())), relative, {
            "given": given, "suggested": other, "self_confidence": own[candidate],
            "suggested_score": ex.y_score[candidate, other]})

    def merge(self, other: "LabelIssues") -> "LabelIssues":
        self.list.merge(other.list)
        return self

    def result(self) -> Ranked:
        return self.list.ranked()
