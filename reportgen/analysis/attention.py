"""The classes that need attention: lowest F1 first, with their misses and false alarms and the
class each is most confused with (a binary report: its positive class).

Reads the report alone (per-class metrics and the confusion matrix's cells), so every
engine gives the same list.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from reportgen.matrices import confusion_cells

ATTENTION = 10  # classes listed


def attention(report: dict[str, Any], limit: int = ATTENTION) -> list[dict[str, Any]]:
    """Classes with examples, lowest F1 first (then lowest recall, then most examples);
    a binary report lists its positive class alone (its misses are the other class's
    false alarms).

    Under the task's decision rule: ``misses`` are the class's examples not predicted as
    it, ``false_alarms`` the examples predicted as it that are not of it, ``errors`` their
    sum; ``confused_with`` is the class its examples are most often predicted as instead
    (single-label tasks; ``None`` when none is, for binary and for multilabel, where
    labels co-occur and are not confused).
    """
    per_class = report["per_class"]
    k = len(per_class)
    support = np.array([c["support"] for c in per_class], dtype=np.float64)
    f1 = np.array([c["f1"] for c in per_class])
    recall = np.array([c["recall"] for c in per_class])
    candidates = np.flatnonzero(support > 0)
    if report["task"] == "binary":
        candidates = np.array([1])
    order = candidates[np.lexsort((-support[candidates], recall[candidates], f1[candidates]))][:limit]
    if report["task"] == "multilabel":
        misses = np.array([c["at_threshold"]["fn"] for c in per_class], dtype=np.float64)
        false_alarms = np.array([c["at_threshold"]["fp"] for c in per_class], dtype=np.float64)
        worst = np.full(k, -1)
        worst_count = np.zeros(k)
    else:
        actual, predicted, count = confusion_cells(report["confusion_matrix"])
        off = actual != predicted
        misses = np.bincount(actual[off], weights=count[off], minlength=k)
        false_alarms = np.bincount(predicted[off], weights=count[off], minlength=k)
        worst, worst_count = _most_confused(actual[off], predicted[off], count[off], k)
        if report["task"] == "binary":
            worst[:] = -1  # the other class is the only one there is: its misses say it
    classes = report["classes"]
    out = []
    for j in order.tolist():
        c = per_class[j]
        confused = None
        if worst[j] >= 0:
            confused = {"predicted": classes[worst[j]], "count": _number(worst_count[j]),
                        "share_of_actual": float(worst_count[j] / support[j])}
        out.append({"class": c["class"], "support": c["support"], "precision": c["precision"],
                    "recall": c["recall"], "f1": c["f1"], "misses": _number(misses[j]),
                    "false_alarms": _number(false_alarms[j]), "errors": _number(misses[j] + false_alarms[j]),
                    "confused_with": confused})
    return out


def _most_confused(actual: np.ndarray, predicted: np.ndarray, count: np.ndarray, k: int):
    """Per actual class, the predicted class of its largest off-diagonal cell (-1 for none)
    and that cell's count; ties go to the lower predicted index. Arrays of shape (k,)."""
    worst = np.full(k, -1)
    worst_count = np.zeros(k)
    if len(actual):
        order = np.lexsort((predicted, -count, actual))
        first = order[np.flatnonzero(np.diff(actual[order], prepend=-1))]
        worst[actual[first]] = predicted[first]
        worst_count[actual[first]] = count[first]
    return worst, worst_count


def _number(value: float) -> int | float:
    """A count as an int when whole (sums of weights may not be)."""
    return int(value) if float(value).is_integer() else float(value)
