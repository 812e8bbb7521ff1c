"""Mistakes worth reading: top confusions, confident mistakes and likely label errors
(confident learning, Northcutt et al. 2021, as cleanlab's
``filter.find_label_issues(filter_by='confident_learning')`` computes it).

Example lists look at the examples themselves: they are combiners over chunks of them
(``reportgen.chunks``), whose result does not depend on how the rows were cut or ordered.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pyarrow as pa

from reportgen.analysis.lists import Ranked, TopList, positive_score
from reportgen.chunks import Chunk
from reportgen.matrices import confusion_cells
from reportgen.rows import pick
from reportgen.stats import Statistics, predicted_classes
from reportgen.validate import Examples

TOP_CONFUSIONS = 20
TOLERANCE = 1e-6  # cleanlab's FLOATING_POINT_COMPARISON: scores this close count as equal
THRESHOLD_FLOOR = 2 * TOLERANCE  # cleanlab's CONFIDENT_THRESHOLDS_LOWER_BOUND
LABEL_ISSUES_METHOD = {  # the JSON's label_issues_method: how label_issues were found and ranked
    "filter": "confident_learning",   # cleanlab.filter.find_label_issues(filter_by='confident_learning')
    "thresholds": "mean_self_confidence_per_given_class",
    "rank_by": "self_confidence",     # the given label's score, lowest first; ties by id
}


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
    confident in the wrong class first, ties by id (without scores, ``score`` null: the
    confusions taking turns, see ``confusion_turns``).

    ``thresholds`` (classes,): each class's decision threshold; ``limit``: candidates kept
    (None: all). Its result has columns ``actual``, ``predicted``, ``score`` and, for a
    binary task with scores, ``positive_score`` (the positive class's score).
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
            self.list.offer(ids, -score, {"actual": actual, "predicted": made, "score": score,
                                          **positive_score(ex, wrong)})
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
        return confusion_turns(self.list)


def confusion_turns(kept: TopList) -> Ranked:
    """A label-only list of mistakes grouped by confusion (actual, predicted), taking turns:
    the first example of each confusion (the most common first), then the second of
    each, ... (in id order within a confusion), so that one confusion does not fill the
    list; column ``confusion_count``: how many examples its confusion has."""
    ranked = kept.ranked_in_turns()
    columns = dict(ranked.columns)
    columns["confusion_count"] = columns.pop("group_count")
    return replace(ranked, columns=columns)


def label_thresholds(stats: Statistics) -> np.ndarray:
    """(classes,) each class's confident-learning threshold: the mean score the model gives
    it on the examples labeled with it (weighted when weighted), at least
    ``THRESHOLD_FLOOR``; inf for a class without any (nothing reaches it), as cleanlab's
    ``count.get_confident_thresholds``."""
    counts = np.asarray(stats.actual_counts, dtype=np.float64)
    own = np.asarray(stats.score_diagonal, dtype=np.float64)
    mean = np.divide(own, counts, out=np.full(len(counts), np.inf), where=counts > 0)
    return np.maximum(mean, THRESHOLD_FLOOR)


def confident_learning(ex: Examples, thresholds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The examples confident learning flags, and the class it suggests for each.

    ``thresholds`` (classes,) from ``label_thresholds``. A class is *confident* for a row
    when its score reaches its threshold (less ``TOLERANCE``). A row with one confident
    class counts in the confident joint at (given label, that class); with several, at
    (given label, its top class: the highest score of the row, first on ties); with
    none, nowhere. A row is flagged when that cell is off the diagonal, unless its
    given label is its top class once the given label's score is raised by
    ``TOLERANCE`` (cleanlab's ``find_label_issues(filter_by='confident_learning')``: the
    confident joint's off-diagonal examples less ``count._reduce_issues``). Each row's
    verdict needs only the thresholds, so chunks and their order do not matter.

    Returns ``flagged`` (rows,) bool and ``suggested`` (rows,) the joint's column (any
    value where no class is confident). One pass per class over a score column: no
    rows × classes temporaries.
    """
    n = ex.n_examples
    given = ex.y_true
    own = pick(ex.y_score, given) + TOLERANCE
    confident = np.zeros(n, dtype=np.int64)  # confident classes of each row
    first = np.zeros(n, dtype=np.int64)      # its first confident class
    for j in range(len(ex.classes)):
        reach = ex.y_score[:, j] >= thresholds[j] - TOLERANCE
        first[reach & (confident == 0)] = j
        confident += reach
    # another class beats the raised given score (argmax: the first maximum wins): some
    # class scores above it, or one before the given class scores as much; the top class does when any does
    top = ex.argmax
    best = pick(ex.y_score, top)
    outranked = (best > own) | ((best == own) & (top < given))
    suggested = np.where(confident > 1, top, first)
    flagged = (confident > 0) & (suggested != given) & outranked
    return flagged, suggested


class LabelIssues:
    """Combiner of the likely label errors of the chunks' first model: confident learning
    (``confident_learning``) with per-class thresholds ``thresholds`` (classes,) from
    ``label_thresholds`` of the whole sample's Statistics, ranked by self-confidence (the
    given label's score), lowest first, ties by id: cleanlab's default
    ``rank_by='self_confidence'``. Only meaningful for out-of-sample scores.

    Its result has columns ``given``, ``suggested``, ``self_confidence``,
    ``suggested_score`` and, for a binary task, ``positive_score``.
    """

    def __init__(self, classes: tuple[str, ...], thresholds: np.ndarray, limit: int | None):
        self.thresholds = np.asarray(thresholds, dtype=np.float64)
        self.list = TopList(classes, limit)

    def add(self, chunk: Chunk) -> None:
        ex = chunk.main
        flagged, suggested = confident_learning(ex, self.thresholds)
        rows = np.flatnonzero(flagged)
        given, other = ex.y_true[rows], suggested[rows]
        own = ex.y_score[rows, given]
        columns = {"given": given, "suggested": other, "self_confidence": own,
                   "suggested_score": ex.y_score[rows, other], **positive_score(ex, rows)}
        self.list.offer(ex.ids.take(pa.array(rows, pa.int64())), own, columns)

    def merge(self, other: "LabelIssues") -> "LabelIssues":
        self.list.merge(other.list)
        return self

    def result(self) -> Ranked:
        return self.list.ranked()
