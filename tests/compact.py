"""The compact confusion and probability matrices (schema 1.1, past 40 classes), made from
the dense ones, for page tests of reports whose matrices are still dense."""
from __future__ import annotations

from typing import Any

import numpy as np

MATRIX_LIMIT = 40
TOP = 5


def compact_matrices(report: dict[str, Any]) -> dict[str, Any]:
    """``report`` with compact matrices when it has more than MATRIX_LIMIT classes and dense ones."""
    classes = report["classes"]
    cm = report["confusion_matrix"]
    if len(classes) <= MATRIX_LIMIT or cm.get("counts") is None:
        return report
    counts = np.asarray(cm["counts"], dtype=np.int64)
    mean = np.asarray([[np.nan if v is None else v for v in row] for row in report["probability_matrix"]["mean_score"]])
    k = len(classes)
    errors = counts.sum(axis=0) + counts.sum(axis=1) - 2 * np.diag(counts)
    index = np.argsort(-errors, kind="stable")[: MATRIX_LIMIT - 1]
    other = np.setdiff1d(np.arange(k), index)
    groups = np.full(k, len(index))
    groups[index] = np.arange(len(index))
    shown = np.zeros((len(index) + 1, len(index) + 1), dtype=np.int64)
    np.add.at(shown, (groups[:, None].repeat(k, 1), groups[None, :].repeat(k, 0)), counts)
    totals = shown.sum(axis=1, keepdims=True)
    normalized = np.divide(shown, totals, out=np.zeros(shown.shape), where=totals > 0)
    actual, predicted = np.nonzero(counts)
    rows = np.flatnonzero(~np.isnan(mean).all(axis=1))
    top = np.argsort(-np.nan_to_num(mean[rows], nan=-1), axis=1, kind="stable")[:, :TOP]
    top_mean = np.take_along_axis(mean[rows], top, axis=1)
    rest = np.nansum(mean[rows], axis=1) - top_mean.sum(axis=1)
    support = counts.sum(axis=1)
    shown_mean = np.zeros((len(index) + 1, len(index) + 1))
    m0 = np.nan_to_num(mean)
    by_col = np.concatenate([m0[:, index], m0[:, other].sum(axis=1, keepdims=True)], axis=1)
    shown_mean[:-1] = by_col[index]
    weights = support[other]
    shown_mean[-1] = (by_col[other] * weights[:, None]).sum(axis=0) / max(weights.sum(), 1)
    return {
        **report,
        "confusion_matrix": {
            "classes": classes, "counts": None, "normalized": None,
            "sparse": {"actual": actual.tolist(), "predicted": predicted.tolist(), "count": counts[actual, predicted].tolist()},
            "shown": {"index": index.tolist(), "counts": shown.tolist(), "normalized": normalized.tolist(),
                      "other": {"classes": int(len(other))}},
        },
        "probability_matrix": {
            "classes": classes, "mean_score": None,
            "top": {"actual": rows.tolist(), "scored": top.tolist(), "mean": top_mean.tolist(), "rest": rest.tolist()},
            "shown": {"index": index.tolist(), "mean_score": shown_mean.tolist()},
        },
    }


def with_attention(report: dict[str, Any], limit: int = 10) -> dict[str, Any]:
    """``report`` with the ``attention`` list (lowest F1 first) when it has none."""
    if "attention" in report or report["task"] == "multilabel":
        return report
    per_class = report["per_class"]
    cm = report["confusion_matrix"]
    k = len(report["classes"])
    if cm.get("counts") is not None:
        counts = np.asarray(cm["counts"])
    else:
        counts = np.zeros((k, k), dtype=np.int64)
        counts[cm["sparse"]["actual"], cm["sparse"]["predicted"]] = cm["sparse"]["count"]
    off = counts - np.diag(np.diag(counts))
    f1 = np.array([e["f1"] for e in per_class], dtype=np.float64)
    out = []
    for j in np.argsort(f1, kind="stable")[:limit]:
        e = per_class[j]
        top = int(np.argmax(off[j]))
        support = int(counts[j].sum())
        confused = ({"predicted": report["classes"][top], "count": int(off[j, top]),
                     "share_of_actual": float(off[j, top] / support)} if off[j, top] > 0 else None)
        out.append({"class": e["class"], "support": e["support"], "precision": e["precision"], "recall": e["recall"],
                    "f1": e["f1"], "errors": int(off[j].sum()), "confused_with": confused})
    return {**report, "attention": out}
