"""Bootstrap intervals, paired across models, vectorised by resampling counts.

Rows are dealt at random into at most ``max_groups`` groups (one row per group on
small data, which is then the ordinary row bootstrap). Each group is reduced to sums
that add up (counts per class, log-loss sums, score-bin counts per class); a resample
draws multinomial counts over groups, and every replicate's statistics are one matrix
product of those counts with the group sums. Every model is reduced with the same
groups and the same counts, so differences between models are paired.

Like example lists, this takes the Examples themselves (it needs each row's group).
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from reportgen.ratios import divide, precision_recall_f1
from reportgen.stats import ScoreCounts, predicted_classes, row_log_loss
from reportgen.validate import Examples

MAX_GROUPS = 1000
MIN_GROUPS = 100
RANK_CELLS = 4000  # classes × score bins kept per model ...
MIN_BINS = 8       # ... but at least this many bins per class
PRODUCT_BUDGET = 1e10  # multiply-adds of one model's replicate product: bounds the groups at many classes
CHUNK_CELLS = 4e6  # replicate sums held at once (replicates × columns): a few tens of MB with the metrics' temporaries


@dataclass(frozen=True, eq=False)
class Resampling:
    """Which group each row is in, and the counts each replicate draws per group."""

    groups: np.ndarray   # (n,) group of each row, in the reference model's row order
    counts: np.ndarray   # (n_resamples, n_groups) multinomial draws
    seed: int

    @property
    def n_groups(self) -> int:
        return int(self.counts.shape[1])

    @property
    def n_resamples(self) -> int:
        return int(self.counts.shape[0])


def plan(n_rows: int, n_resamples: int, seed: int, n_classes: int = 1, max_groups: int = MAX_GROUPS) -> Resampling:
    """Groups and counts for ``n_resamples`` replicates, from ``seed`` alone.

    The groups are as many as ``max_groups``, fewer where ``n_classes`` would make the
    replicate product (resamples × groups × columns) exceed ``PRODUCT_BUDGET``, and never
    fewer than ``MIN_GROUPS``.
    """
    rng = np.random.default_rng(seed)
    budget = PRODUCT_BUDGET // max(n_resamples * sum_columns(n_classes), 1)
    n_groups = min(n_rows, max_groups, max(MIN_GROUPS, int(budget)))
    groups = np.arange(n_rows) if n_groups == n_rows else rng.permutation(n_rows) % n_groups
    counts = rng.multinomial(n_groups, np.full(n_groups, 1.0 / n_groups), size=n_resamples)
    return Resampling(groups=groups, counts=counts.astype(np.float64), seed=seed)


@dataclass(frozen=True, eq=False)
class Replicates:
    """Per-replicate values of one model: name -> (n_resamples,) or (n_resamples, k)."""

    values: dict[str, np.ndarray]
    full_binned: dict[str, np.ndarray]  # the same binned quantities on the whole sample


def replicate(
    ex: Examples,
    groups: np.ndarray,
    resampling: Resampling,
    thresholds: np.ndarray,
    per_class: tuple[ScoreCounts, ...],
    targets: tuple[float, float],
) -> Replicates:
    """Metrics of every replicate for one model whose row i is in group ``groups[i]``."""
    k = len(ex.classes)
    size = resampling.n_groups
    decision = _decision_sums(ex, groups, size, thresholds)
    edges = [_inner_edges(c, rank_bins(k)) for c in per_class]
    ranks = _rank_sums(ex, groups, size, edges) if ex.has_scores else np.zeros((size, k, 1, 2))
    flat = np.concatenate([decision, ranks.reshape(size, -1)], axis=1)
    cut = decision.shape[1]
    del decision, ranks
    step = max(1, int(CHUNK_CELLS // flat.shape[1]))
    values: dict[str, np.ndarray] = {}
    for start in range(0, resampling.n_resamples, step):
        sums = resampling.counts[start:start + step] @ flat
        part = _metrics(ex, sums[:, :cut], sums[:, cut:], edges, targets)
        for key, got in part.items():  # written in place: no list of parts to join
            if key not in values:
                values[key] = np.empty((resampling.n_resamples, *got.shape[1:]))
            values[key][start:start + len(got)] = got
    whole = flat.sum(axis=0, keepdims=True)
    full = _metrics(ex, whole[:, :cut], whole[:, cut:], edges, targets)
    return Replicates(values=values, full_binned={key: v[0] for key, v in full.items()})


def rank_bins(n_classes: int) -> int:
    """Score bins per class for the ranking replicates (``RANK_CELLS`` shared, ``MIN_BINS`` at least)."""
    return max(RANK_CELLS // max(n_classes, 1), MIN_BINS)


def sum_columns(n_classes: int) -> int:
    """Columns of one model's per-group sums: rows, right, loss; tp, predicted, actual per
    class; negatives and positives per score bin per class."""
    return 3 + 3 * n_classes + 2 * n_classes * (rank_bins(n_classes) + 1)


def _decision_sums(ex: Examples, groups: np.ndarray, size: int, thresholds: np.ndarray) -> np.ndarray:
    """(groups, 3 + 3k): per group, rows (sum of weights when weighted), correct
    decisions, log-loss sum, then tp, predicted, actual per class — each a sum of weights."""
    k = len(ex.classes)
    predicted = predicted_classes(ex, thresholds)
    w = np.ones(ex.n_examples) if ex.weight is None else ex.weight
    columns = [np.bincount(groups, weights=w, minlength=size)]
    loss = row_log_loss(ex) * w if ex.has_scores else np.full(ex.n_examples, np.nan)  # NaN: no interval without scores
    if ex.y_multi is None:
        right = np.where(predicted == ex.y_true, w, 0.0)
        columns.append(np.bincount(groups, weights=right, minlength=size))
        columns.append(np.bincount(groups, weights=loss, minlength=size))
        tp = np.bincount(groups * k + ex.y_true, weights=right, minlength=size * k).reshape(size, k)
        made = np.bincount(groups * k + predicted, weights=w, minlength=size * k).reshape(size, k)
        actual = np.bincount(groups * k + ex.y_true, weights=w, minlength=size * k).reshape(size, k)
    else:
        right_cells = np.count_nonzero(predicted == ex.y_multi, axis=1)
        columns.append(np.bincount(groups, weights=right_cells * w, minlength=size))
        columns.append(np.bincount(groups, weights=loss, minlength=size))
        tp = np.stack([np.bincount(groups, weights=(predicted[:, j] & ex.y_multi[:, j]) * w, minlength=size)
                       for j in range(k)], 1)
        made = np.stack([np.bincount(groups, weights=predicted[:, j] * w, minlength=size) for j in range(k)], 1)
        actual = np.stack([np.bincount(groups, weights=ex.y_multi[:, j] * w, minlength=size) for j in range(k)], 1)
    return np.concatenate([np.stack(columns, axis=1), tp, made, actual], axis=1).astype(np.float64)


def _inner_edges(counts: ScoreCounts, bins: int) -> np.ndarray:
    """Inner bin edges: every distinct score when few (exact), else cuts of equal mass with
    positives and negatives weighing the same in all (so a rare class's positives, which
    decide its ranking, get their share of the bins)."""
    if len(counts.scores) <= bins:
        return counts.scores[:-1]
    n_pos, n_neg = counts.n_pos, counts.n_neg
    if n_pos and n_neg:
        cumulative = np.cumsum(counts.pos / n_pos + counts.neg / n_neg)
    else:
        cumulative = np.cumsum(counts.pos + counts.neg).astype(np.float64)
    cuts = np.linspace(0, cumulative[-1], bins + 1)[1:-1]
    return np.unique(counts.scores[np.minimum(np.searchsorted(cumulative, cuts), len(counts.scores) - 1)])


def _rank_sums(ex: Examples, groups: np.ndarray, size: int, edges: list[np.ndarray]) -> np.ndarray:
    """(groups, classes, bins, 2): negatives and positives per score bin per class (sums of
    weights when weighted)."""
    width = max(len(e) for e in edges) + 1
    out = np.zeros((size, len(ex.classes), width, 2))

    def fill(j: int) -> None:
        which = np.searchsorted(edges[j], ex.y_score[:, j], side="left")
        key = (groups * width + which) * 2 + ex.truth(j)
        out[:, j] = np.bincount(key, weights=ex.weight, minlength=size * width * 2).reshape(size, width, 2)

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(fill, range(len(ex.classes))))
    return out


def _metrics(ex: Examples, decision: np.ndarray, ranks: np.ndarray, edges, targets) -> dict[str, np.ndarray]:
    k = len(ex.classes)
    rows, right, loss = decision[:, 0], decision[:, 1], decision[:, 2]
    tp, made, actual = (decision[:, 3 + i * k : 3 + (i + 1) * k] for i in range(3))
    cells = rows * k if ex.task == "multilabel" else rows
    precision, recall, f1 = precision_recall_f1(tp, made - tp, actual - tp)
    ranks = ranks.reshape(len(rows), k, -1, 2)
    auc = _auc(ranks[..., 1], ranks[..., 0])
    at_precision, at_recall = operating_points(ranks[..., 1], ranks[..., 0], targets)
    macro_auc = auc[:, 1] if ex.task == "binary" else _nanmean(auc)
    return {
        "accuracy": divide(right, cells),
        "macro_precision": precision.mean(axis=1),
        "macro_recall": recall.mean(axis=1),
        "macro_f1": f1.mean(axis=1),
        "roc_auc_macro": macro_auc,
        "log_loss": divide(loss, cells),
        "roc_auc": auc,
        "recall_at_precision": at_precision,
        "precision_at_recall": at_recall,
    }


def _auc(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """Mann-Whitney AUC from counts per ascending score bin (ties count one half)."""
    n_pos, n_neg = pos.sum(axis=-1), neg.sum(axis=-1)
    above = n_pos[..., None] - np.cumsum(pos, axis=-1)
    pairs = (neg * (above + 0.5 * pos)).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((n_pos > 0) & (n_neg > 0), pairs / (n_pos * n_neg), np.nan)


def operating_points(pos, neg, targets) -> tuple[np.ndarray, np.ndarray]:
    """Best recall with precision >= target, and precision at the highest cut with recall >= target."""
    target_precision, target_recall = targets
    tps = np.cumsum(pos[..., ::-1], axis=-1)
    fps = np.cumsum(neg[..., ::-1], axis=-1)
    precision = divide(tps, tps + fps)
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = tps / tps[..., -1:]
    recall_at = np.where(precision >= target_precision, recall, 0.0).max(axis=-1)
    reached = recall >= target_recall
    first = np.argmax(reached, axis=-1)
    precision_at = np.take_along_axis(precision, first[..., None], axis=-1)[..., 0]
    undefined = tps[..., -1] == 0
    return np.where(undefined, np.nan, recall_at), np.where(undefined, np.nan, precision_at)


def _nanmean(values: np.ndarray) -> np.ndarray:
    filled = ~np.isnan(values)
    total = np.where(filled, values, 0.0).sum(axis=1)
    count = filled.sum(axis=1)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def interval(values: np.ndarray, shift: float = 0.0) -> list[float] | None:
    """95% percentile interval of replicate values (NaN replicates ignored), shifted."""
    finite = values[np.isfinite(values)]
    if len(finite) < 2:
        return None
    low, high = np.percentile(finite, [2.5, 97.5])
    return [float(low + shift), float(high + shift)]


# ---------------------------------------------------------------- per-group sums that add up across chunks


def rank_edges(per_class: tuple[ScoreCounts, ...], bins: int) -> list[np.ndarray]:
    """Each class's inner score-bin edges for the ranking replicates, at most ``bins`` bins
    per class, from the whole sample's counts (so a second pass can use them)."""
    return [_inner_edges(c, bins) for c in per_class]


def group_sums(ex: Examples, groups: np.ndarray, n_groups: int, thresholds: np.ndarray,
               edges: list[np.ndarray]) -> np.ndarray:
    """(n_groups, columns) float64: the decision sums, then the rank sums of every class,
    of the rows of ``ex`` in each group (``groups``: (rows,)); the sums of two chunks add up."""
    decision = _decision_sums(ex, groups, n_groups, thresholds)
    if ex.has_scores:
        ranks = _rank_sums(ex, groups, n_groups, edges)
    else:
        ranks = np.zeros((n_groups, len(ex.classes), 1, 2))
    return np.concatenate([decision, ranks.reshape(n_groups, -1)], axis=1)


def replicates_from_sums(like: Examples, sums: np.ndarray, resampling: Resampling, edges: list[np.ndarray],
                         targets: tuple[float, float]) -> Replicates:
    """The replicates of ``group_sums`` added over every chunk; ``like`` is any Examples of
    the same task and classes (an empty one will do)."""
    cut = 3 + 3 * len(like.classes)
    step = max(1, int(CHUNK_CELLS // max(sums.shape[1], 1)))
    values: dict[str, np.ndarray] = {}
    for start in range(0, resampling.n_resamples, step):
        drawn = resampling.counts[start:start + step] @ sums
        part = _metrics(like, drawn[:, :cut], drawn[:, cut:], edges, targets)
        for key, got in part.items():  # written in place, as in ``replicate``
            if key not in values:
                values[key] = np.empty((resampling.n_resamples, *got.shape[1:]))
            values[key][start:start + len(got)] = got
    whole = sums.sum(axis=0, keepdims=True)
    full = _metrics(like, whole[:, :cut], whole[:, cut:], edges, targets)
    return Replicates(values=values, full_binned={key: v[0] for key, v in full.items()})
