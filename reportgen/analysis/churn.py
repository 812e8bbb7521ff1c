"""Churn against the baseline: which examples the new model fixed and which it broke,
with McNemar's test on fixed against broken."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyarrow as pa

from reportgen.analysis.lists import Ranked, TopList, listed, positive_score
from reportgen.analysis.mistakes import confusion_turns
from reportgen.chunks import Chunk
from reportgen.inputs import Inputs
from reportgen.stats import correct, predicted_classes
from reportgen.validate import Examples

EXACT_LIMIT = 1000  # discordant pairs up to which McNemar's test is the exact binomial one


def right_of(chunk: Chunk, model: int, thresholds: np.ndarray) -> np.ndarray:
    """(rows,) bool: whether model ``model`` decided each row of ``chunk`` right at
    ``thresholds`` (the report's): from its Examples, or, when the chunk holds the report's
    model alone, from the per-row table that model's own pass wrote (``Chunk.rights``)."""
    other = chunk.models[model]
    return correct(other, thresholds) if other is not None else np.asarray(chunk.rights[model], dtype=bool)


CHANGES = ("fixed", "broken", "still_right", "still_wrong")


class Churn:
    """Combiner of churn between the chunks' first two models (the new model, then its
    baseline): fixed, broken, still right and still wrong, in all and per class (sums of
    weights when weighted), and the broken and fixed examples (see ``changed``).

    ``thresholds`` (classes,): the new model's decision thresholds, used for both;
    ``limit``: examples kept per list (None: all).
    """

    def __init__(self, classes: tuple[str, ...], thresholds: np.ndarray, limit: int | None):
        self.classes = tuple(classes)
        self.thresholds = np.asarray(thresholds, dtype=np.float64)
        self.sums = np.zeros(4)                      # CHANGES, in all
        self.per_class = np.zeros((len(classes), 4))  # CHANGES, per actual class
        self.weighted = False
        self.scored: bool | None = None
        self.broken = TopList(self.classes, limit)
        self.fixed = TopList(self.classes, limit)

    def add(self, chunk: Chunk) -> None:
        new = chunk.models[0]
        new_right, old_right = correct(new, self.thresholds), right_of(chunk, 1, self.thresholds)
        change = np.select([new_right & ~old_right, ~new_right & old_right, new_right], [0, 1, 2], 3)
        w = np.ones(new.n_examples) if new.weight is None else new.weight
        self.weighted |= new.weight is not None
        self.scored = new.has_scores
        self.sums += np.bincount(change, weights=w, minlength=4)
        k = len(self.classes)
        if new.y_multi is None:
            self.per_class += np.bincount(new.y_true * 4 + change, weights=w, minlength=4 * k).reshape(k, 4)
        else:
            for j in range(k):
                rows = new.y_multi[:, j]
                self.per_class[j] += np.bincount(change[rows], weights=w[rows], minlength=4)
        for kept, which in ((self.broken, change == 1), (self.fixed, change == 0)):
            changed(new, which, self.thresholds, kept)

    def merge(self, other: "Churn") -> "Churn":
        self.sums += other.sums
        self.per_class += other.per_class
        self.weighted |= other.weighted
        self.scored = other.scored if self.scored is None else self.scored
        self.broken.merge(other.broken)
        self.fixed.merge(other.fixed)
        return self

    def section(self, limit: int, inputs: Inputs | None = None) -> tuple[dict[str, Any], Ranked, Ranked]:
        """The ``churn`` section (its ``limit`` first broken examples), and the broken and
        the fixed examples kept."""
        section = self._counts(self.sums)
        section["mcnemar_p"] = mcnemar_p(section["fixed"], section["broken"])
        total = float(self.sums.sum())
        section["broken_share"] = section["broken"] / total if total else 0.0
        section["per_class"] = {name: self._counts(row) for name, row in zip(self.classes, self.per_class)}
        broken, fixed = (self._ranked(kept) for kept in (self.broken, self.fixed))
        section["broken_examples"] = listed(broken, limit, inputs)
        return section, broken, fixed

    def _counts(self, sums: np.ndarray) -> dict[str, int | float]:
        return {name: float(v) if self.weighted else int(v) for name, v in zip(CHANGES, sums)}

    def _ranked(self, kept: TopList) -> Ranked:
        label_only_single = self.scored is False and "actual" in kept.columns
        return confusion_turns(kept) if label_only_single else kept.ranked()


def counts(new_right: np.ndarray, old_right: np.ndarray, weight: np.ndarray | None = None) -> dict[str, int | float]:
    """Fixed, broken, still right and still wrong: rows, or sums of ``weight`` ((rows,))."""
    if weight is not None:
        return {name: float(np.sum(weight, where=mask)) for name, mask in (
            ("fixed", new_right & ~old_right), ("broken", ~new_right & old_right),
            ("still_right", new_right & old_right), ("still_wrong", ~new_right & ~old_right))}
    return {
        "fixed": int(np.count_nonzero(new_right & ~old_right)),
        "broken": int(np.count_nonzero(~new_right & old_right)),
        "still_right": int(np.count_nonzero(new_right & old_right)),
        "still_wrong": int(np.count_nonzero(~new_right & ~old_right)),
    }


def mcnemar_p(fixed: int | float, broken: int | float) -> float:
    """Two-sided McNemar p-value: exact binomial up to EXACT_LIMIT discordant pairs,
    else (and for sums of weights that are not whole numbers) the chi-squared test with
    continuity correction."""
    n = fixed + broken
    if n == 0:
        return 1.0
    whole = float(fixed).is_integer() and float(broken).is_integer()
    if n <= EXACT_LIMIT and whole:
        fixed, broken, n = int(fixed), int(broken), int(n)
        low = min(fixed, broken)
        tail = sum(math.comb(n, i) for i in range(low + 1)) / 2.0**n
        return float(min(1.0, 2.0 * tail))
    statistic = (abs(fixed - broken) - 1.0) ** 2 / n
    return float(math.erfc(math.sqrt(statistic / 2.0)))


def changed(ex: Examples, mask: np.ndarray, thresholds: np.ndarray, kept: TopList) -> None:
    """Offer ``kept`` the examples where ``mask`` (rows,) holds, most confident first: the
    new model's score for its predicted class (multilabel: its score farthest from 0.5); ties
    by id. Without scores, grouped by confusion (``confusion_turns``; multilabel: by id).

    Columns, single-label: ``actual``, ``predicted``, ``score`` (null without scores),
    and for a binary task with scores ``positive_score``; multilabel with scores:
    ``decisiveness``, the largest |score - 0.5| of the row (what ranks it); else none."""
    rows = np.flatnonzero(mask)
    ids = ex.ids.take(pa.array(rows, pa.int64()))
    if ex.y_multi is not None:
        if not ex.has_scores:
            kept.offer(ids, np.zeros(len(rows)), {})
            return
        confidence = np.abs(ex.y_score[rows] - 0.5).max(axis=1) if len(rows) else np.zeros(0)
        kept.offer(ids, -confidence, {"decisiveness": confidence})
        return
    predicted = predicted_classes(ex, thresholds)[rows]
    actual = ex.y_true[rows]
    if not ex.has_scores:
        kept.offer(ids, np.zeros(len(rows)), {"actual": actual, "predicted": predicted,
                   "score": np.full(len(rows), np.nan)}, group=actual * len(ex.classes) + predicted)
        return
    confidence = ex.y_score[rows, predicted]
    kept.offer(ids, -confidence, {"actual": actual, "predicted": predicted, "score": confidence,
                                  **positive_score(ex, rows)})
