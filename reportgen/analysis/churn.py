"""Churn against the baseline: which examples the new model fixed and which it broke,
with McNemar's test on fixed against broken."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from reportgen.analysis.mistakes import mistakes_by_confusion
from reportgen.inputs import Inputs
from reportgen.stats import predicted_classes
from reportgen.validate import Examples

EXACT_LIMIT = 1000  # discordant pairs up to which McNemar's test is the exact binomial one


def correct(ex: Examples, thresholds: np.ndarray) -> np.ndarray:
    """Whether each example is right: the class (single-label) or the whole label set."""
    predicted = predicted_classes(ex, thresholds)
    if ex.y_multi is None:
        return predicted == ex.y_true
    return np.all(predicted == ex.y_multi, axis=1)


def churn_section(
    new: Examples, old_right: np.ndarray, thresholds: np.ndarray, limit: int, inputs: Inputs | None = None
) -> dict[str, Any]:
    """``old_right`` is the baseline's correctness aligned to ``new``'s rows."""
    new_right = correct(new, thresholds)
    section = counts(new_right, old_right)
    section["mcnemar_p"] = mcnemar_p(section["fixed"], section["broken"])
    section["broken_share"] = section["broken"] / new.n_examples
    section["per_class"] = _per_class(new, new_right, old_right)
    section["broken_examples"] = _broken(new, new_right, old_right, thresholds, limit, inputs)
    return section


def counts(new_right: np.ndarray, old_right: np.ndarray) -> dict[str, int]:
    return {
        "fixed": int(np.count_nonzero(new_right & ~old_right)),
        "broken": int(np.count_nonzero(~new_right & old_right)),
        "still_right": int(np.count_nonzero(new_right & old_right)),
        "still_wrong": int(np.count_nonzero(~new_right & ~old_right)),
    }


def mcnemar_p(fixed: int, broken: int) -> float:
    """Two-sided McNemar p-value: exact binomial up to EXACT_LIMIT discordant pairs,
    else the chi-squared test with continuity correction."""
    n = fixed + broken
    if n == 0:
        return 1.0
    if n <= EXACT_LIMIT:
        low = min(fixed, broken)
        tail = sum(math.comb(n, i) for i in range(low + 1)) / 2.0**n
        return float(min(1.0, 2.0 * tail))
    statistic = (abs(fixed - broken) - 1.0) ** 2 / n
    return float(math.erfc(math.sqrt(statistic / 2.0)))


def _per_class(ex: Examples, new_right, old_right) -> dict[str, dict[str, int]]:
    out = {}
    for j, name in enumerate(ex.classes):
        rows = ex.truth(j)
        out[name] = counts(new_right[rows], old_right[rows])
    return out


def _broken(ex, new_right, old_right, thresholds, limit, inputs) -> list[dict[str, Any]]:
    rows = np.flatnonzero(~new_right & old_right)
    predicted = predicted_classes(ex, thresholds)
    if not ex.has_scores:  # no confidence: the most common confusion first, then by id (multilabel: by row)
        order = rows[:limit] if ex.y_multi is not None else mistakes_by_confusion(ex, predicted, rows, limit)
    else:
        if ex.y_multi is None:
            confidence = ex.y_score[rows, predicted[rows]]
        else:
            confidence = np.abs(ex.y_score[rows] - 0.5).max(axis=1)
        order = rows[np.argsort(-confidence, kind="stable")][:limit]
    out = []
    for r in order:
        item = {"id": ex.ids[int(r)].as_py()}
        if ex.y_multi is None:
            item.update(actual=ex.classes[ex.y_true[r]], predicted=ex.classes[predicted[r]],
                        score=float(ex.y_score[r, predicted[r]]) if ex.has_scores else None)
        if inputs is not None:
            item.update(inputs.get(item["id"]))
        out.append(item)
    return out
