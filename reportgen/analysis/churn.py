"""Churn against the baseline: which examples the new model fixed and which it broke,
with McNemar's test on fixed against broken."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from reportgen.analysis.lists import Ranked, listed
from reportgen.analysis.mistakes import confusion_key
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
) -> tuple[dict[str, Any], Ranked, Ranked]:
    """The ``churn`` section, and every broken and every fixed example (see ``changed``).

    ``old_right`` (rows,) is the baseline's correctness aligned to ``new``'s rows."""
    new_right = correct(new, thresholds)
    section = counts(new_right, old_right, new.weight)
    section["mcnemar_p"] = mcnemar_p(section["fixed"], section["broken"])
    total = new.n_examples if new.weight is None else float(new.weight.sum())
    section["broken_share"] = section["broken"] / total
    section["per_class"] = _per_class(new, new_right, old_right)
    broken = changed(new, ~new_right & old_right, thresholds)
    section["broken_examples"] = listed(broken, limit, inputs)
    return section, broken, changed(new, new_right & ~old_right, thresholds)


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


def _per_class(ex: Examples, new_right, old_right) -> dict[str, dict[str, int]]:
    out = {}
    for j, name in enumerate(ex.classes):
        rows = ex.truth(j)
        out[name] = counts(new_right[rows], old_right[rows], None if ex.weight is None else ex.weight[rows])
    return out


def changed(ex: Examples, mask: np.ndarray, thresholds: np.ndarray) -> Ranked:
    """The examples where ``mask`` (rows,) holds, most confident first: the new model's
    score for its predicted class (multilabel: its most decided score). Without scores,
    the most common confusion first, then by id (multilabel: in row order).

    Columns, single-label: ``actual``, ``predicted``, ``score`` (null without scores);
    multilabel: none."""
    rows = np.flatnonzero(mask)
    if ex.y_multi is not None:
        if not ex.has_scores:
            return Ranked(ex.ids, ex.classes, rows, np.zeros(len(rows)), {})
        confidence = np.abs(ex.y_score[rows] - 0.5).max(axis=1) if len(rows) else np.zeros(0)
        return Ranked(ex.ids, ex.classes, rows, -confidence, {})
    predicted = predicted_classes(ex, thresholds)
    if not ex.has_scores:
        return Ranked(ex.ids, ex.classes, rows, confusion_key(ex, predicted, rows),
                      {"actual": ex.y_true[rows], "predicted": predicted[rows], "score": np.full(len(rows), np.nan)})
    predicted = predicted[rows]
    confidence = ex.y_score[rows, predicted]
    return Ranked(ex.ids, ex.classes, rows, -confidence,
                  {"actual": ex.y_true[rows], "predicted": predicted, "score": confidence})
