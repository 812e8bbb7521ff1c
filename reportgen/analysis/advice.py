"""Threshold advice from the threshold grid: where F1 peaks, where a target precision is
first reached, where a target recall is last kept. Grid thresholds only, so the page's
slider can go exactly there. Each point says whether it ``predicts_all``: at that threshold
every example is predicted as every class advised on (no true negative is left), which
keeps any recall target trivially; the page does not offer such a point as advice."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from reportgen.ratios import precision_recall_f1


def advice(grid: Mapping[str, Any], target_precision: float, target_recall: float) -> dict[str, Any]:
    """The ``advice`` section: one entry per class."""
    thresholds = np.asarray(grid["thresholds"])
    return {
        name: _advise(thresholds, counts, target_precision, target_recall)
        for name, counts in grid["classes"].items()
    }


def overall_advice(
    grid: Mapping[str, Any], classes: list[str], task: str, target_precision: float, target_recall: float
) -> dict[str, Any]:
    """Advice for one global threshold: the positive class (binary), else counts summed over classes."""
    thresholds = np.asarray(grid["thresholds"])
    chosen = classes[1:] if task == "binary" else classes
    summed = {key: np.sum([grid["classes"][c][key] for c in chosen], axis=0) for key in ("tp", "fp", "fn", "tn")}
    return _advise(thresholds, summed, target_precision, target_recall)


def _advise(thresholds: np.ndarray, counts: Mapping[str, Any], target_precision: float, target_recall: float):
    precision, recall, f1 = precision_recall_f1(counts["tp"], counts["fp"], counts["fn"])
    best = int(np.argmax(f1))
    reach = np.flatnonzero(precision >= target_precision)
    keep = np.flatnonzero(recall >= target_recall)
    every = np.asarray(counts["tn"]) == 0  # (thresholds,) every example predicted as every class advised on

    def point(i: int, **extra) -> dict[str, Any]:
        return {**{k: float(v) for k, v in extra.items()}, "threshold": float(thresholds[i]),
                "precision": float(precision[i]), "recall": float(recall[i]), "predicts_all": bool(every[i])}

    return {
        "max_f1": point(best, f1=float(f1[best])),
        "target_precision": point(int(reach[0]), target=target_precision) if len(reach) else None,
        "target_recall": point(int(keep[-1]), target=target_recall) if len(keep) else None,
    }
