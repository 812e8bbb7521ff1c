"""Statistics in, Evaluation out: the one place every number is derived.

One curve kernel (``_curve``: cumulative positives and negatives over distinct scores,
highest first) feeds ROC, precision-recall, the threshold grid and the counts at the
threshold, as scikit-learn's ``_binary_clf_curve`` does.
"""
from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from reportgen.evaluation import Evaluation
from reportgen.matrices import MATRIX_LIMIT, fold, nonzero, shown_classes
from reportgen.ratios import divide, precision_recall_f1
from reportgen.stats import CALIBRATION_BINS, TOP_K, ScoreCounts, Statistics, TopScoreSums, calibration_edges
from reportgen.validate import Note



def evaluate_statistics(
    stats: Statistics,
    grid: tuple[float, ...],
    notes: tuple[Note, ...] = (),
    max_curve_points: int = 200,
) -> Evaluation:
    """Derive every metric, curve, table and grid from ``stats``."""
    if not stats.has_scores:
        return _label_only(stats, notes)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        # the per-class curve work is numpy on long arrays: it runs on the pool meanwhile
        curves = pool.map(lambda c: _curves(c, max_curve_points), stats.per_class)
        macro_curves = pool.submit(_macro_curves, stats)
        calibration = pool.submit(_calibration, stats)
        ranking = [_ranking(c) for c in stats.per_class]
        at_threshold = _at_threshold(stats)
        decided = _decided_counts(stats) if stats.predicted_counts is not None else at_threshold
        decision = _decision_counts(stats, decided)
        supports = [c.n_pos for c in stats.per_class]
        per_class = _class_entries(stats, supports, decision, ranking, at_threshold)
        return _evaluation(
            stats, per_class, decision, decided, notes,
            probability_matrix=_probability_matrix(stats),
            curves=dict(zip(stats.classes, curves)),
            threshold_grid=_grid(stats, grid),
            calibration=calibration.result(),
            extras={"macro_curves": macro_curves.result()},
        )


def _label_only(stats: Statistics, notes: tuple[Note, ...]) -> Evaluation:
    """A model that gave hard labels only: every decision metric from the confusion and
    decision counts; score-based summary metrics are null and score sections absent."""
    decided = _decided_counts(stats)
    decision = _decision_counts(stats, decided)
    no_ranking = [{"roc_auc": None, "average_precision": None} for _ in stats.classes]
    per_class = _class_entries(stats, stats.actual_counts.tolist(), decision, no_ranking, decided)
    return _evaluation(stats, per_class, decision, decided, notes,
                       probability_matrix=None, curves=None, threshold_grid=None, calibration=None)


def _evaluation(stats: Statistics, per_class, decision, decided, notes, **score_sections) -> Evaluation:
    """The Evaluation of ``stats``: the sections every report has, plus the score sections
    given (``None`` for a label-only model)."""
    return Evaluation(
        task=stats.task,
        classes=list(stats.classes),
        positive_class=stats.positive_class,
        n_examples=int(stats.n_examples),
        threshold=float(stats.threshold),
        summary=_summary(stats, per_class, decision, decided),
        per_class=per_class,
        confusion_matrix=_confusion_matrix(stats),
        warnings=_warnings(stats, per_class, notes),
        **score_sections,
    )


# ---------------------------------------------------------------- the curve kernel


def curve(counts: ScoreCounts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(fps, tps, thresholds) at each distinct score, highest score first."""
    return np.cumsum(counts.neg[::-1]), np.cumsum(counts.pos[::-1]), counts.scores[::-1]


def _ranking(counts: ScoreCounts) -> dict[str, float | None]:
    """ROC AUC and average precision from the full curve; null without both outcomes."""
    if counts.n_pos == 0 or counts.n_neg == 0:
        return {"roc_auc": None, "average_precision": None}
    fps, tps, _ = curve(counts)
    fpr = np.concatenate([[0.0], fps / fps[-1]])
    tpr = np.concatenate([[0.0], tps / tps[-1]])
    precision = tps / (tps + fps)
    recall = tps / tps[-1]
    average_precision = float(np.sum(np.diff(recall, prepend=0.0) * precision))
    return {"roc_auc": float(np.trapezoid(tpr, fpr)), "average_precision": average_precision}


def _curves(counts: ScoreCounts, max_points: int) -> dict[str, Any]:
    """ROC and PR curves thinned for display (the areas come from the full curve)."""
    if counts.n_pos == 0:
        return {"roc": None, "pr": None}
    fps, tps, thresholds = curve(counts)
    pr = _pr_points(fps, tps, thresholds, max_points)
    if counts.n_neg == 0:
        return {"roc": None, "pr": pr}
    fpr = np.concatenate([[0.0], fps / fps[-1]])
    tpr = np.concatenate([[0.0], tps / tps[-1]])
    keep = _thin(fpr, tpr, max_points)
    roc = {
        "fpr": _rounded(fpr[keep], 4),
        "tpr": _rounded(tpr[keep], 4),
        "thresholds": _thresholds(np.concatenate([[np.inf], thresholds])[keep]),
    }
    return {"roc": roc, "pr": pr}


def _macro_curves(stats: Statistics, size: int = 101) -> dict[str, Any]:
    """Macro-average ROC and PR curves: each class's full curve interpolated on a common
    grid of false-positive rate (ROC) or recall (PR), then averaged over the classes."""
    grid = np.linspace(0.0, 1.0, size)
    tprs, precisions = [], []
    for counts in stats.per_class:
        if counts.n_pos == 0 or counts.n_neg == 0:
            continue
        fps, tps, _ = curve(counts)
        fpr = np.concatenate([[0.0], fps / fps[-1]])
        tpr = np.concatenate([[0.0], tps / tps[-1]])
        tprs.append(np.interp(grid, fpr, tpr))
        recall = tps / tps[-1]
        precision = tps / (tps + fps)
        # the best precision at recall >= r (the usual interpolated PR curve)
        best = np.maximum.accumulate(precision[::-1])[::-1]
        index = np.minimum(np.searchsorted(recall, grid, side="left"), len(recall) - 1)
        precisions.append(best[index])
    if not tprs:
        return {"roc": None, "pr": None}
    return {
        "roc": {"fpr": _rounded(grid, 4), "tpr": _rounded(np.mean(tprs, axis=0), 5)},
        "pr": {"recall": _rounded(grid, 4), "precision": _rounded(np.mean(precisions, axis=0), 5)},
    }


def _pr_points(fps, tps, thresholds, max_points: int) -> dict[str, list]:
    recall = np.concatenate([[0.0], tps / tps[-1]])
    precision = np.concatenate([[1.0], tps / (tps + fps)])
    keep = _thin(recall, precision, max_points)
    return {
        "recall": _rounded(recall[keep], 4),
        "precision": _rounded(precision[keep], 4),
        "thresholds": _thresholds(np.concatenate([[np.inf], thresholds])[keep]),
    }


def _thin(x: np.ndarray, y: np.ndarray, max_points: int) -> np.ndarray:
    """Indices of at most ``max_points`` points spread evenly along the curve's length."""
    size = len(x)
    if size <= max_points:
        return np.arange(size)
    step = np.abs(np.diff(x)) + np.abs(np.diff(y))
    along = np.concatenate([[0.0], np.cumsum(step)])
    targets = np.linspace(0.0, along[-1], max(max_points - 2, 2))
    picked = np.searchsorted(along, targets, side="left")
    return np.unique(np.concatenate([[0, size - 1], np.clip(picked, 0, size - 1)]))


def _rounded(values: np.ndarray, digits: int) -> list[float]:
    return [float(v) for v in np.round(values, digits)]


def _thresholds(values: np.ndarray) -> list[float | None]:
    return [None if not math.isfinite(v) else float(f"{v:.6g}") for v in values]


# ---------------------------------------------------------------- counts


def decided_counts(stats: Statistics) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(tp, fp, fn, tn), each (classes,), one-vs-rest under the report's per-class
    decisions: the model's own hard labels when given, else score > the class's threshold
    (the counts ``per_class[].at_threshold`` shows, and expected cost prices)."""
    return _own_counts(stats) if stats.predicted_counts is not None else _threshold_counts(stats)


def _threshold_counts(stats: Statistics) -> tuple[np.ndarray, ...]:
    """One-vs-rest counts with score > each class's threshold."""
    above = [c.above(cut) for c, cut in zip(stats.per_class, stats.class_thresholds)]
    kind = np.float64 if stats.weighted else np.int64  # sums of weights, or row counts
    tp = np.array([pos for pos, _ in above], dtype=kind)
    fp = np.array([neg for _, neg in above], dtype=kind)
    fn = np.maximum(np.array([c.n_pos for c in stats.per_class], dtype=kind) - tp, 0)  # weights: never rounded below 0
    tn = np.maximum(np.array([c.n_neg for c in stats.per_class], dtype=kind) - fp, 0)
    return tp, fp, fn, tn


def _own_counts(stats: Statistics) -> tuple[np.ndarray, ...]:
    """One-vs-rest counts of the model's own hard-label decisions (the confusion's
    diagonal, the decided and the actual counts)."""
    kind = np.float64 if stats.weighted else np.int64  # sums of weights, or row counts
    tp = stats.confusion.diagonal().astype(kind)
    fp = np.maximum(stats.predicted_counts.astype(kind) - tp, 0)  # weights: never rounded below 0
    fn = np.maximum(stats.actual_counts.astype(kind) - tp, 0)
    return tp, fp, fn, np.maximum(stats.total - tp - fp - fn, 0)


def _at_threshold(stats: Statistics) -> list[dict[str, Any]]:
    """Per class, one-vs-rest counts with score > its threshold, and the ratios built on them."""
    return _count_rows(*_threshold_counts(stats), stats.total)


def decision_counts(stats: Statistics) -> list[dict[str, Any]]:
    """Per class, the one-vs-rest counts of the report's decisions and their ratios: the
    model's own labels when it gave them, else score above the class's threshold."""
    return _decided_counts(stats) if stats.predicted_counts is not None else _at_threshold(stats)


def _decided_counts(stats: Statistics) -> list[dict[str, Any]]:
    """Per class, one-vs-rest counts of the model's own hard-label decisions, and the ratios
    built on them."""
    return _count_rows(*_own_counts(stats), stats.total)


def _count_rows(tp, fp, fn, tn, n: int | float) -> list[dict[str, Any]]:
    """One-vs-rest counts (each of shape (classes,)) and their ratios, one dict per class."""
    precision, recall, f1 = precision_recall_f1(tp, fp, fn)
    columns = {
        "tp": tp, "fp": fp, "fn": fn, "tn": tn, "total_labeled": tp + fn, "total_predicted": tp + fp,
        "precision": precision, "recall": recall, "f1": f1, "fpr": divide(fp, fp + tn),
        "specificity": divide(tn, fp + tn), "prevalence": divide(tp + fn, n),
    }
    return _rows(columns)


def _rows(columns: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    """Aligned arrays (one value per class) as one dict per class, as Python numbers."""
    lists = {key: values.tolist() for key, values in columns.items()}
    return [dict(zip(lists, row)) for row in zip(*lists.values())]


def _decision_counts(stats: Statistics, at_threshold: list[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(tp, fp, fn) per class under the task's decision rule, each of shape (classes,)."""
    if stats.task == "multilabel":
        kind = np.float64 if stats.weighted else np.int64
        return tuple(np.array([a[key] for a in at_threshold], dtype=kind) for key in ("tp", "fp", "fn"))
    matrix = stats.confusion
    tp = matrix.diagonal()
    return tp, matrix.sum(axis=0) - tp, matrix.sum(axis=1) - tp


def _class_entries(stats: Statistics, supports: list[int], decision, ranking: list[dict],
                   at_threshold: list[dict]) -> list[dict[str, Any]]:
    precision, recall, f1 = (v.tolist() for v in precision_recall_f1(*decision))
    entries = [
        {"class": name, "support": support, "precision": p, "recall": r, "f1": f,
         "roc_auc": rank["roc_auc"], "average_precision": rank["average_precision"], "at_threshold": at}
        for name, support, p, r, f, rank, at in zip(stats.classes, supports, precision, recall, f1,
                                                    ranking, at_threshold)
    ]
    if stats.weighted:
        for entry, rows in zip(entries, stats.actual_rows):
            entry["rows"] = int(rows)
    return entries


def _count(value) -> int | float:
    """A count as JSON: an integer, or a float sum of weights when weighted."""
    return value.item() if hasattr(value, "item") else value


def _ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, with 0/0 = 0 as scikit-learn's zero_division=0."""
    return float(divide(numerator, denominator))


# ---------------------------------------------------------------- summary


def _summary(stats, per_class, decision, at_threshold) -> dict[str, Any]:
    n, k = stats.total, len(stats.classes)
    tp, fp, fn = decision
    support = np.array([c["support"] for c in per_class])
    f1 = np.array([c["f1"] for c in per_class])
    cells = n * k if stats.task == "multilabel" else n
    summary = {
        "accuracy": None,
        "macro_precision": float(np.mean([c["precision"] for c in per_class])),
        "macro_recall": float(np.mean([c["recall"] for c in per_class])),
        "macro_f1": float(np.mean(f1)),
        "micro_f1": _ratio(2 * tp.sum(), 2 * tp.sum() + fp.sum() + fn.sum()),
        "weighted_f1": _ratio(float(np.dot(f1, support)), support.sum()),
        "roc_auc_macro": _macro(stats, per_class, "roc_auc"),
        "average_precision_macro": _macro(stats, per_class, "average_precision"),
        "log_loss": _ratio(stats.log_loss_sum, cells) if stats.has_scores else None,
        "balanced_accuracy": None,
        "mcc": None,
        "cohen_kappa": None,
        "brier_score": _ratio(stats.brier_sum, cells) if stats.has_scores else None,
        "top_k_accuracy": _top_k(stats),
        **_positive_class(stats, per_class),
    }
    if stats.task == "multilabel":
        summary.update(_multilabel_summary(stats, at_threshold))
    else:
        summary.update(_single_label_summary(stats.confusion, support))
    return summary


def _positive_class(stats: Statistics, per_class: list[dict]) -> dict[str, float | None]:
    """Precision, recall and F1 of the positive class under the report's decisions (at the
    threshold, or the model's own labels) for a binary task, as scikit-learn's
    ``average='binary'``; null for other tasks."""
    keys = ("precision", "recall", "f1")
    if stats.task != "binary":
        return dict.fromkeys(keys)
    return {key: per_class[1][key] for key in keys}


def _macro(stats: Statistics, per_class: list[dict], key: str) -> float | None:
    if stats.task == "binary":
        return per_class[1][key]
    values = [c[key] for c in per_class if c[key] is not None]
    return float(np.mean(values)) if values else None


def _top_k(stats: Statistics) -> dict[str, float | None]:
    k = len(stats.classes)
    ranked = stats.task == "multiclass" and stats.has_scores
    return {
        str(top): (_ratio(hits, stats.total) if ranked and k > top else None)
        for top, hits in zip(TOP_K, stats.top_k_hits)
    }


def _single_label_summary(matrix: np.ndarray, support: np.ndarray) -> dict[str, Any]:
    n = matrix.sum().item()
    diag = matrix.diagonal()
    recall = diag[support > 0] / support[support > 0]
    return {
        "accuracy": _ratio(diag.sum().item(), n),
        "balanced_accuracy": float(np.mean(recall)) if len(recall) else None,
        "mcc": _mcc(matrix),
        "cohen_kappa": _kappa(matrix),
    }


def _multilabel_summary(stats: Statistics, at_threshold: list[dict]) -> dict[str, Any]:
    n, k = stats.total, len(stats.classes)
    total = {key: sum(a[key] for a in at_threshold) for key in ("tp", "fp", "fn", "tn")}
    hamming = _ratio(total["fp"] + total["fn"], n * k)
    balanced = [(a["recall"] + a["specificity"]) / 2 for a in at_threshold]
    flat = np.array([[total["tn"], total["fp"]], [total["fn"], total["tp"]]])
    return {
        "accuracy": 1.0 - hamming,
        "balanced_accuracy": float(np.mean(balanced)),
        "mcc": _mcc(flat),
        "cohen_kappa": None,
        "subset_accuracy": _ratio(stats.exact_match, n),
        "hamming_loss": hamming,
    }


def _mcc(matrix: np.ndarray) -> float:
    """Matthews correlation from a confusion matrix, as scikit-learn computes it."""
    t_sum, p_sum = matrix.sum(axis=1).astype(np.float64), matrix.sum(axis=0).astype(np.float64)
    n_correct, n = float(matrix.trace()), float(t_sum.sum())
    cov_ytyp = n_correct * n - np.dot(t_sum, p_sum)
    cov_ypyp = n * n - np.dot(p_sum, p_sum)
    cov_ytyt = n * n - np.dot(t_sum, t_sum)
    if cov_ypyp * cov_ytyt == 0:
        return 0.0
    return float(cov_ytyp / np.sqrt(cov_ytyt * cov_ypyp))


def _kappa(matrix: np.ndarray) -> float | None:
    """Cohen's kappa from a confusion matrix, as scikit-learn computes it."""
    rows, cols = matrix.sum(axis=1).astype(np.float64), matrix.sum(axis=0).astype(np.float64)
    n = rows.sum()
    # off-diagonal sums of the observed and the expected (outer(rows, cols) / n) matrices,
    # without forming the classes x classes expected matrix
    denominator = n - np.dot(rows, cols) / n
    if denominator == 0:
        return None
    return float(1.0 - (n - float(matrix.trace())) / denominator)


# ---------------------------------------------------------------- matrices, grid


def _confusion_matrix(stats: Statistics) -> dict[str, Any]:
    """Dense up to ``MATRIX_LIMIT`` classes; past it, the non-zero cells and the top classes
    by errors with an "other" row and column that sums every class not shown."""
    counts = stats.confusion
    k = len(stats.classes)
    if k <= MATRIX_LIMIT:
        return {"classes": list(stats.classes), "counts": _counts(counts, stats),
                "normalized": _row_shares(counts).tolist()}
    cells, values = nonzero(counts)
    index = shown_classes(counts, MATRIX_LIMIT - 1)
    folded = fold(counts, index)
    return {
        "classes": list(stats.classes),
        "counts": None,
        "normalized": None,
        "sparse": {"actual": (cells // k).tolist(), "predicted": (cells % k).tolist(),
                   "count": _counts(values, stats)},
        "shown": {"index": index.tolist(), "counts": _counts(folded, stats),
                  "normalized": _row_shares(folded).tolist(), "other": {"classes": k - len(index)}},
    }


def _counts(values: np.ndarray, stats: Statistics) -> list:
    """Counts as JSON: integers, or sums of weights (floats) when weighted."""
    return values.tolist() if stats.weighted else values.astype(int).tolist()


def _row_shares(counts: np.ndarray) -> np.ndarray:
    totals = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)


def _probability_matrix(stats: Statistics) -> dict[str, Any]:
    """Mean score of each class over the examples of each actual class. Past
    ``MATRIX_LIMIT`` classes: per actual class its ``TOP_SCORED`` best-scored classes and
    the rest summed, and the shown classes with "other" (mean over the other actual
    classes' examples; the mean scores of the other scored classes summed)."""
    sums, rows = stats.score_sums, stats.actual_counts
    k = len(stats.classes)
    filled = rows > 0
    if k <= MATRIX_LIMIT:
        means = np.divide(sums, rows[:, None], out=np.zeros(sums.shape), where=filled[:, None])
        mean_score = [row if has else [None] * k for row, has in zip(means.tolist(), filled)]
        return {"classes": list(stats.classes), "mean_score": mean_score}
    compact = sums if isinstance(sums, TopScoreSums) else TopScoreSums.from_dense(sums, stats.confusion)
    actual = np.flatnonzero(filled)
    count = rows[actual].astype(np.float64)
    folded_rows = np.append(rows[compact.index], rows.sum() - rows[compact.index].sum())
    shown = np.divide(compact.folded, folded_rows[:, None], out=np.zeros(compact.folded.shape),
                      where=folded_rows[:, None] > 0)
    shown_rows = [row if n else [None] * len(row) for row, n in zip(shown.tolist(), folded_rows)]
    return {
        "classes": list(stats.classes),
        "mean_score": None,
        "top": {"actual": actual.tolist(), "scored": compact.scored[actual].tolist(),
                "mean": (compact.best[actual] / count[:, None]).tolist(), "rest": (compact.rest[actual] / count).tolist()},
        "shown": {"index": compact.index.tolist(), "mean_score": shown_rows},
    }


def _grid(stats: Statistics, grid: tuple[float, ...]) -> dict[str, Any]:
    thresholds = np.asarray(grid, dtype=np.float64)
    classes = {}
    for name, counts in zip(stats.classes, stats.per_class):
        tp, fp = counts.above(thresholds)
        classes[name] = {
            "tp": tp.tolist(),
            "fp": fp.tolist(),
            "fn": np.maximum(counts.n_pos - tp, 0).tolist(),
            "tn": np.maximum(counts.n_neg - fp, 0).tolist(),
        }
    return {"thresholds": [float(t) for t in grid], "classes": classes}


# ---------------------------------------------------------------- calibration


def _calibration(stats: Statistics) -> dict[str, Any]:
    """Reliability bins and expected calibration error (equal-width and equal-mass)."""
    uniform = calibration_edges()
    overall = _bins(stats.confidence, uniform)
    equal_mass = _bins(stats.confidence, _quantile_edges(stats.confidence, CALIBRATION_BINS))
    return {
        "ece": overall["ece"],
        "ece_equal_mass": equal_mass["ece"],
        "n_bins": CALIBRATION_BINS,
        "bins": overall["bins"],
        "per_class": {name: _bins(c, uniform) for name, c in zip(stats.classes, stats.per_class)},
    }


def _bins(counts: ScoreCounts, edges: np.ndarray) -> dict[str, Any]:
    """Bins as scikit-learn's calibration_curve: bin i holds scores in (edge_i, edge_i+1]."""
    size = len(edges) - 1
    which = np.searchsorted(edges[1:-1], counts.scores, side="left")
    total = counts.pos + counts.neg
    count = np.bincount(which, weights=total, minlength=size)
    positives = np.bincount(which, weights=counts.pos, minlength=size)
    score_sum = np.bincount(which, weights=counts.scores * total, minlength=size)
    n = count.sum()
    bins, ece = [], 0.0
    for i in range(size):
        filled = count[i] > 0
        mean = score_sum[i] / count[i] if filled else None
        fraction = positives[i] / count[i] if filled else None
        if filled:
            ece += count[i] / n * abs(fraction - mean)
        bins.append({
            "lower": float(edges[i]),
            "upper": float(edges[i + 1]),
            "count": count[i].item() if counts.weighted else int(count[i]),
            "mean_score": None if mean is None else float(mean),
            "fraction_positive": None if fraction is None else float(fraction),
        })
    return {"ece": float(ece) if n else None, "bins": bins}


def _quantile_edges(counts: ScoreCounts, size: int) -> np.ndarray:
    """numpy's linear percentiles of every score, found from the counts alone (weighted
    counts: of the scores with each row repeated by its weight)."""
    total = counts.pos + counts.neg
    if len(total) == 0 or total.sum() == 0:
        return np.linspace(0.0, 1.0, size + 1)
    cumulative = np.cumsum(total)
    n = cumulative[-1].item()  # weighted: as if each row were repeated by its weight
    position = np.linspace(0.0, 100.0, size + 1) / 100.0 * max(n - 1, 0)
    low, high = np.floor(position).astype(np.int64), np.ceil(position).astype(np.int64)
    last = len(counts.scores) - 1
    value_low = counts.scores[np.minimum(np.searchsorted(cumulative, low, side="right"), last)]
    value_high = counts.scores[np.minimum(np.searchsorted(cumulative, high, side="right"), last)]
    frac = position - low
    return np.where(frac >= 0.5, value_high - (value_high - value_low) * (1 - frac), value_low + (value_high - value_low) * frac)


# ---------------------------------------------------------------- warnings


def _warnings(stats: Statistics, per_class: list[dict], notes: tuple[Note, ...]) -> list[dict[str, str]]:
    found = [{"code": note.code, "message": note.message} for note in notes]
    no_pos = [c["class"] for c in per_class if c["support"] == 0]
    no_neg = [c["class"] for c in per_class
              if c["support"] > 0 and c["at_threshold"]["fp"] + c["at_threshold"]["tn"] == 0]
    if stats.predicted_counts is not None:  # the model's own hard labels decided
        predicted = stats.predicted_counts.tolist()
    elif stats.task == "multilabel":
        predicted = [c["at_threshold"]["total_predicted"] for c in per_class]
    else:
        predicted = stats.confusion.sum(axis=0).tolist()
    never = [c["class"] for c, made in zip(per_class, predicted) if made == 0]
    ranking = ("ROC AUC and average precision are null and left out of the macro averages" if stats.has_scores
               else "their recall is 0 (0/0 counts as 0)")
    if no_pos:
        found.append(_class_note("no_positives", no_pos, "no example is labeled with", ranking))
    if no_neg:
        found.append(_class_note("no_negatives", no_neg, "every example is labeled with",
                                 ranking if stats.has_scores else "their specificity is 0 (0/0 counts as 0)"))
    if never:
        found.append(_class_note("never_predicted", never, "the decision rule never predicts", "their precision is 0 (0/0 counts as 0)"))
    if stats.unnormalized_rows:
        found.append({
            "code": "scores_not_normalized",
            "message": f"{stats.unnormalized_rows} of {stats.n_examples} rows of scores do not sum to 1; "
            "log loss renormalises each row",
        })
    return found


def _class_note(code: str, names: list[str], lead: str, consequence: str) -> dict[str, str]:
    shown = ", ".join(repr(n) for n in names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    return {"code": code, "message": f"{lead} {shown}: {consequence}"}
