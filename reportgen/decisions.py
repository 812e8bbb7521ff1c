"""Decisions derived from the statistics: gains, lift and KS; net benefit; expected cost.

Every number here comes from a class's ``ScoreCounts`` (positives and negatives at each
distinct score) or from the threshold grid built on them, so every engine gets the same.
Binary reports use the positive class; multiclass and multilabel reports one-vs-rest per
class under ``per_class`` (past ``CLASS_LIMIT`` classes, the classes with the most
examples).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from typing import Any, Mapping

import numpy as np

from reportgen import costs as cost_inputs
from reportgen.analysis import bootstrap
from reportgen.analysis.bootstrap import GridPlan, GroupSums, Resampling
from reportgen.costs import Costs
from reportgen.matrices import cost_total
from reportgen.metrics import curve, decided_counts
from reportgen.stats import EXACT_CLASSES, ScoreCounts, Statistics, most_common, predicted_classes

GAIN_BINS = 10
CLASS_LIMIT = EXACT_CLASSES  # per-class gains and net benefit kept for at most this many classes
DIGITS = 6        # decimals of net benefit


def decision_sections(stats: Statistics, report: Mapping[str, Any], gain_bins: int = GAIN_BINS,
                      costs: Costs | None = None, baseline: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``gains``, ``net_benefit`` and ``costs`` of a report (``report``: its sections, with the
    ``threshold_grid``; ``baseline``: the baseline model's threshold grid, or None). A
    label-only report has no gains or net benefit; ``costs`` only when costs are given."""
    sections: dict[str, Any] = {}
    grid = report.get("threshold_grid")
    if stats.has_scores and grid is not None:
        sections["gains"] = _per_task(stats, lambda i: gains(stats.per_class[i], gain_bins))
        sections["net_benefit"] = _per_task(
            stats, lambda i: net_benefit(grid, stats.classes[i], baseline))
    if costs is not None:
        sections["costs"] = expected_costs(stats, grid, costs)
    return sections


def _per_task(stats: Statistics, section) -> dict[str, Any]:
    """``section(i)`` of the positive class (binary), else ``{per_class: {class: ...}}``."""
    if stats.task == "binary":
        return section(_positive(stats))
    return {"per_class": {stats.classes[i]: section(i) for i in _shown(stats)}}


def _positive(stats: Statistics) -> int:
    return stats.classes.index(stats.positive_class) if stats.positive_class in stats.classes else 1


def _shown(stats: Statistics) -> list[int]:
    """Every class, or past ``CLASS_LIMIT`` those with the most examples (in class order;
    the memory engine keeps their score counts exact although it pools the others')."""
    k = len(stats.classes)
    if k <= CLASS_LIMIT:
        return list(range(k))
    return most_common(stats.actual_counts, CLASS_LIMIT).tolist()


# ---------------------------------------------------------------- gains, lift, KS


def gains(counts: ScoreCounts, bins: int = GAIN_BINS) -> dict[str, Any]:
    """The gains table of one class in ``bins`` equal-count bins, highest scores first, and
    the KS statistic.

    Each distinct score (with all its ties) goes to the bin holding its middle example in
    the descending order (bin b takes the scores whose middle example lies at or past b · n
    / bins), so ties are never split and bins hold about n / bins examples each; a bin left
    empty (a tie larger than a bin) is dropped. Counts are sums of weights when weighted.
    Ratios over a class without positives (or negatives) are null. A few passes over the
    (distinct,) arrays; the rest is per bin.
    """
    # (distinct,) each: negatives and positives at or above each score, highest first (metrics' curve kernel)
    passed_all, found_all, scores = curve(counts)
    if len(found_all) == 0 or found_all[-1] + passed_all[-1] == 0:
        return {"bins": [], "ks": {"statistic": None, "threshold": None}}
    upto = found_all + passed_all
    n, n_pos, n_neg = upto[-1].item(), found_all[-1].item(), passed_all[-1].item()
    twice_middle = 2 * upto - np.diff(upto, prepend=0)  # 2 x the position of each score's middle example
    starts = np.searchsorted(twice_middle * bins, 2 * n * np.arange(1, bins), side="left")
    ends = np.unique(np.append(starts, len(upto)))
    ends = ends[ends > 0] - 1  # the last (lowest) score of each non-empty bin
    seen, found, passed = (np.asarray(a[ends], dtype=np.float64) for a in (upto, found_all, passed_all))
    size, hits = np.diff(seen, prepend=0.0), np.diff(found, prepend=0.0)
    prevalence = n_pos / n
    columns = {
        "cumulative_share": seen / n,
        "lowest_score": scores[ends],
        "response_rate": hits / size,
        "lift": _over(hits / size, prevalence),
        "cumulative_lift": _over(found / seen, prevalence),
        "capture_rate": _over(hits, n_pos),
        "cumulative_capture_rate": _over(found, n_pos),
        "ks": _over(found, n_pos) - _over(passed, n_neg) if n_pos > 0 and n_neg > 0 else None,
    }
    rows = [{key: (None if values is None else float(values[i])) for key, values in columns.items()}
            for i in range(len(ends))]
    return {"bins": rows, "ks": _ks(found_all, passed_all, scores)}


def _ks(found: np.ndarray, passed: np.ndarray, scores: np.ndarray) -> dict[str, float | None]:
    """The KS statistic, max over thresholds of TPR − FPR (positive: score >= threshold,
    scikit-learn's ``roc_curve`` convention; taking nobody counts as 0), and the threshold
    reaching it first from the top (null when no threshold beats taking nobody, or without
    both outcomes). ``found``, ``passed``: (distinct,) positives and negatives at or above
    each of ``scores``, highest first."""
    n_pos, n_neg = (float(a[-1]) if len(a) else 0.0 for a in (found, passed))
    if n_pos == 0 or n_neg == 0:
        return {"statistic": None, "threshold": None}
    gap = found / n_pos - passed / n_neg
    best = int(np.argmax(gap))
    if gap[best] <= 0:
        return {"statistic": 0.0, "threshold": None}
    return {"statistic": float(gap[best]), "threshold": float(scores[best])}


def _over(values: np.ndarray, denominator: float) -> np.ndarray | None:
    return None if denominator == 0 else np.asarray(values, dtype=np.float64) / denominator


# ---------------------------------------------------------------- net benefit


def net_benefit(grid: Mapping[str, Any], name: str, baseline: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Decision curve of one class over the grid's thresholds below 1 (threshold
    probabilities pt): the model's ``TP/n − FP/n · pt/(1 − pt)`` with positive = score > pt
    (the grid's counts), "treat all" ``prevalence − (1 − prevalence) · pt/(1 − pt)`` and the
    baseline model's curve on the same examples ("treat none" is 0 throughout).
    ``difference_interval`` is null: its paired bootstrap needs a pass over the examples."""
    thresholds = np.asarray(grid["thresholds"], dtype=np.float64)
    keep = thresholds < 1.0
    pt = thresholds[keep]
    odds = pt / (1.0 - pt)
    counts = grid["classes"][name]
    n = float(counts["tp"][0] + counts["fp"][0] + counts["fn"][0] + counts["tn"][0])
    prevalence = (counts["tp"][0] + counts["fn"][0]) / n if n else 0.0
    other = None
    if baseline is not None and name in baseline.get("classes", {}):
        other = _rounded(_model_benefit(baseline["classes"][name], keep, odds, n))
    return {
        "thresholds": pt.tolist(),
        "model": _rounded(_model_benefit(counts, keep, odds, n)),
        "treat_all": _rounded(prevalence - (1.0 - prevalence) * odds),
        "baseline": other,
        "difference_interval": None,
    }


def _model_benefit(counts: Mapping[str, list], keep: np.ndarray, odds: np.ndarray, n: float) -> np.ndarray:
    if n == 0:
        return np.zeros(len(odds))
    tp = np.asarray(counts["tp"], dtype=np.float64)[keep]
    fp = np.asarray(counts["fp"], dtype=np.float64)[keep]
    return tp / n - fp / n * odds


def _rounded(values: np.ndarray) -> list[float]:
    return [float(v) for v in np.round(values, DIGITS)]


# ---------------------------------------------------------------- expected cost


def expected_costs(stats: Statistics, grid: Mapping[str, Any] | None, costs: Costs) -> dict[str, Any]:
    """Expected cost per example (the mean cost of the decisions against the true labels):
    at every grid threshold (binary; multilabel per class and summed over the classes), the
    grid threshold that minimises it (the lowest when several tie) and at the report's
    decisions (its threshold, or the model's own labels). Multiclass: the argmax decisions'
    cost from the confusion matrix; ``bayes`` (the cost-minimising decision per example)
    needs a pass over the examples' scores and is null."""
    classes = list(stats.classes)
    given = cost_inputs.to_json(costs, stats.task, classes, _positive(stats) if stats.task == "binary" else None)
    section = {**given, "curve": None, "best": None, "at_threshold": None, "bayes": None}
    own_labels = stats.predicted_counts is not None
    if stats.task == "multiclass":
        matrix = cost_inputs.cost_matrix(costs, classes)
        spent = float(cost_total(stats.confusion, matrix)) / float(stats.total)
        section["at_threshold"] = {"threshold": None, "expected_cost": spent}
        return section
    tp, fp, fn, tn = (a.astype(np.float64) for a in decided_counts(stats))
    if stats.task == "binary":
        i = _positive(stats)
        cells = given["binary"]
        section["at_threshold"] = {"threshold": None if own_labels else float(stats.class_thresholds[i]),
                                   "expected_cost": _cost(cells, tp[i], fp[i], fn[i], tn[i], stats.total)}
        if grid is not None:
            curve = _grid_cost(cells, grid["classes"][classes[i]], stats.total)
            section.update(_curve(grid["thresholds"], curve))
        return section
    per_class = given.pop("per_class")
    section.pop("per_class", None)
    spent = [_cost(per_class[c], tp[i], fp[i], fn[i], tn[i], stats.total) for i, c in enumerate(classes)]
    same = len(set(stats.class_thresholds)) == 1 and not own_labels
    section["at_threshold"] = {"threshold": float(stats.class_thresholds[0]) if same else None,
                               "expected_cost": float(sum(spent))}
    entries = {c: {"costs": per_class[c], "curve": None, "best": None,
                   "at_threshold": {"threshold": None if own_labels else float(stats.class_thresholds[i]),
                                    "expected_cost": spent[i]}} for i, c in enumerate(classes)}
    if grid is not None:
        curves = {c: _grid_cost(per_class[c], grid["classes"][c], stats.total) for c in classes}
        for c in classes:
            entries[c].update(_curve(grid["thresholds"], curves[c]))
        section.update(_curve(grid["thresholds"], np.sum(list(curves.values()), axis=0)))
    section["per_class"] = entries
    return section


def _cost(cells: Mapping[str, float], tp, fp, fn, tn, n) -> float:
    """Mean cost per example of one class's decisions (counts: numbers or (thresholds,) arrays)."""
    cost = (cells["tp"] * tp + cells["fp"] * fp + cells["fn"] * fn + cells["tn"] * tn) / float(n)
    return float(cost) if np.ndim(cost) == 0 else cost


def _grid_cost(cells: Mapping[str, float], counts: Mapping[str, list], n) -> np.ndarray:
    """(thresholds,): the expected cost of one class's decisions at each grid threshold."""
    tp, fp, fn, tn = (np.asarray(counts[key], dtype=np.float64) for key in ("tp", "fp", "fn", "tn"))
    return _cost(cells, tp, fp, fn, tn, n)


def _curve(thresholds: list[float], cost: np.ndarray) -> dict[str, Any]:
    """``curve`` and ``best`` (the lowest threshold of least cost; its interval is null:
    a bootstrap over examples is needed)."""
    best = int(np.argmin(cost))
    return {"curve": {"thresholds": list(thresholds), "expected_cost": [float(v) for v in cost]},
            "best": {"threshold": float(thresholds[best]), "expected_cost": float(cost[best]), "interval": None}}


# ---------------------------------------------------------------- from the examples: intervals and the Bayes decision

BAYES_CELLS = 4_000_000  # rows x classes of expected costs held at once


def grid_plan(stats: Statistics, grid: Mapping[str, Any] | None, costs: Costs | None,
              baseline: Statistics | None) -> GridPlan | None:
    """The grid counts the bootstrap's group sums carry for the decisions' intervals: the
    positive class (binary), else the classes shown (``_shown``), when costs (binary,
    multilabel) or a scored baseline (net benefit's difference) need them; None otherwise."""
    if not stats.has_scores or grid is None:
        return None
    need_costs = costs is not None and stats.task != "multiclass"
    need_benefit = baseline is not None and baseline.has_scores
    if not (need_costs or need_benefit):
        return None
    classes = (_positive(stats),) if stats.task == "binary" else tuple(_shown(stats))
    return GridPlan(np.asarray(grid["thresholds"], dtype=np.float64), classes)


def bayes_matrix(stats: Statistics, costs: Costs | None) -> np.ndarray | None:
    """(k, k) the cost matrix of a scored multiclass report with costs, up to
    ``BAYES_CLASSES`` classes (beyond, the Bayes decision is not computed); else None."""
    if costs is None or stats.task != "multiclass" or not stats.has_scores or len(stats.classes) > cost_inputs.BAYES_CLASSES:
        return None
    return cost_inputs.cost_matrix(costs, list(stats.classes))


class BayesDecisions:
    """Combiner: the cost-minimising decision argmin_j Σ_i p_i C_ij of each example (the
    first class of least expected cost) beside the report's decision (``thresholds``: its
    decision rule, ``stats.predicted_classes``), summed over chunks: its cost against the
    true label, its right decisions, the decisions it changes and the examples (sums of
    weights when weighted). ``matrix`` (k, k): actual × predicted. A block of rows at a
    time: rows × k expected costs held at once, never k² per row."""

    def __init__(self, matrix: np.ndarray, thresholds: np.ndarray):
        self.matrix, self.thresholds = matrix, thresholds
        self.sums = np.zeros(4)  # cost, right, changed, examples
        k = len(matrix)
        self.cells = np.zeros(k * k) if k <= CLASS_LIMIT else None  # actual × Bayes decision, flat

    def add(self, chunk) -> None:
        ex = chunk.main
        if not ex.n_examples:
            return
        report = predicted_classes(ex, self.thresholds)
        w = np.ones(ex.n_examples) if ex.weight is None else ex.weight
        step = max(1, BAYES_CELLS // max(len(self.matrix), 1))
        columns = ex.y_score.flags.f_contiguous  # scores held class by class: multiply them as (k, rows)
        for start in range(0, ex.n_examples, step):
            rows = slice(start, start + step)
            chosen = (np.argmin(self.matrix.T @ ex.y_score[rows].T, axis=0) if columns
                      else np.argmin(ex.y_score[rows] @ self.matrix, axis=1))
            truth, weight = ex.y_true[rows], w[rows]
            self.sums += [np.dot(self.matrix[truth, chosen], weight), weight[chosen == truth].sum(),
                          weight[chosen != report[rows]].sum(), weight.sum()]
            if self.cells is not None:
                self.cells += np.bincount(truth * len(self.matrix) + chosen, weights=weight,
                                          minlength=len(self.cells))

    def merge(self, other: "BayesDecisions") -> "BayesDecisions":
        self.sums += other.sums
        if self.cells is not None:
            self.cells += other.cells
        return self

    def section(self) -> dict[str, float | None]:
        cost, right, changed, total = (float(x) for x in self.sums)
        if total <= 0:
            return {"expected_cost": None, "accuracy": None, "changed_share": None, "confusion": None}
        k = len(self.matrix)
        confusion = None if self.cells is None else self.cells.reshape(k, k)
        whole = confusion is not None and np.all(confusion == np.round(confusion))
        return {"expected_cost": cost / total, "accuracy": right / total, "changed_share": changed / total,
                "confusion": None if confusion is None else
                (confusion.astype(np.int64) if whole else confusion).tolist()}


PENDING = "_resampled"  # the extras key that holds the examples' pass's part until with_resampled


def resampled(bootstrap_sums, resampling: Resampling | None, bayes: BayesDecisions | None, stats: Statistics,
              costs: Costs | None) -> dict[str, Any]:
    """The examples' pass's part of the decisions, as JSON-ready data under ``PENDING``
    (``with_resampled`` puts it in place): ``best`` (the least-cost threshold's interval,
    of the total) and ``best_per_class`` (multilabel), ``difference`` ({class: the band of
    net benefit's difference}), ``bayes``. ``bootstrap_sums``: the bootstrap's combiner
    (the model's group sums, then the baseline's), None without a bootstrap."""
    sums = [] if bootstrap_sums is None else [g for g in bootstrap_sums.sums if g.grid is not None]
    main = sums[0] if sums and sums[0].model == 0 else None
    baseline = next((g for g in sums if g.model == 1), None) if main is not None else None
    found: dict[str, Any] = {"bayes": None if bayes is None else bayes.section()}
    if main is not None and resampling is not None:
        names = [stats.classes[j] for j in main.grid_plan.classes]
        if costs is not None and stats.task != "multiclass":
            found.update(_best_intervals(main, resampling, _cells_of(costs, stats, names), names, len(stats.classes)))
        if baseline is not None:
            found["difference"] = _difference_intervals(main, baseline, resampling, names)
    return {PENDING: found} if any(v is not None for v in found.values()) else {}


def with_resampled(evaluation):
    """``evaluation`` (an ``Evaluation``) with the decisions' parts that need the examples
    filled in: ``costs.best.interval`` (per class too), ``costs.bayes`` and
    ``net_benefit``'s ``difference_interval``."""
    extras = dict(evaluation.extras)
    found: dict[str, Any] | None = extras.pop(PENDING, None)
    if found is None:
        return evaluation
    costs, benefit = copy.deepcopy(extras.get("costs")), copy.deepcopy(extras.get("net_benefit"))
    if costs is not None:
        if found.get("bayes") is not None and evaluation.task == "multiclass":
            costs["bayes"] = found["bayes"]
        if costs.get("best") is not None and found.get("best") is not None:
            costs["best"]["interval"] = found["best"]
        for name, got in (found.get("best_per_class") or {}).items():
            entry = costs.get("per_class", {}).get(name)
            if entry is not None and entry.get("best") is not None:
                entry["best"]["interval"] = got
    if benefit is not None and found.get("difference") is not None:
        curves = benefit.get("per_class") or {name: benefit for name in found["difference"]}
        for name, bands in found["difference"].items():
            if name in curves:
                curves[name]["difference_interval"] = bands
    extras.update({key: value for key, value in (("costs", costs), ("net_benefit", benefit)) if value is not None})
    return replace(evaluation, extras=extras)


def _cells_of(costs: Costs, stats: Statistics, names: list[str]) -> np.ndarray:
    """(c, 4) each grid class's costs of tp, fp, fn, tn."""
    classes = list(stats.classes)
    if stats.task == "binary":
        rows = [cost_inputs.binary_costs(costs, classes, _positive(stats))]
    else:
        rows = [dict(zip(classes, cost_inputs.class_costs(costs, classes)))[n] for n in names]
    return np.array([[row[cell] for cell in cost_inputs.CELLS] for row in rows], dtype=np.float64)


def _best_intervals(main: GroupSums, resampling: Resampling, cells: np.ndarray, names: list[str],
                    n_classes: int) -> dict[str, Any]:
    """The interval of the cost-minimising grid threshold: of the total (binary: the positive
    class's) and, multilabel, of each class's; the percentile interval (an argmin), inside
    [0, 1], holding the whole sample's least-cost threshold (the grid counts are exact, so
    it is the report's). Multilabel past ``CLASS_LIMIT`` classes (the grid counts hold only
    the classes shown) has none."""
    if len(names) != n_classes and len(names) > 1:
        return {}
    thresholds = main.grid_plan.thresholds
    per_class = len(names) > 1

    def statistic(above: list[np.ndarray]) -> np.ndarray:
        counts = above[0]                                     # (m, c, T + 1, 2)
        neg, pos = counts[:, :, 1:, 0], counts[:, :, 1:, 1]   # above each threshold
        all_neg, all_pos = counts[:, :, :1, 0], counts[:, :, :1, 1]
        n = np.maximum(all_neg[:, :1] + all_pos[:, :1], 1e-300)
        each = (cells[:, 0, None] * pos + cells[:, 1, None] * neg + cells[:, 2, None] * (all_pos - pos)
                + cells[:, 3, None] * (all_neg - neg)) / n  # (m, c, T)
        columns = [each.sum(axis=1)] + ([each[:, i] for i in range(each.shape[1])] if per_class else [])
        return np.stack([thresholds[np.argmin(c, axis=1)] for c in columns], axis=1)

    draws = bootstrap.grid_draws([main], resampling, statistic)
    found = bootstrap.interval(draws, draws.full, (0.0, 1.0), smooth=False)
    return {"best": found[0], "best_per_class": dict(zip(names, found[1:])) if per_class else None}


def _difference_intervals(main: GroupSums, baseline: GroupSums, resampling: Resampling,
                          names: list[str]) -> dict[str, list]:
    """{class: the paired bootstrap interval of model − baseline net benefit at each
    threshold probability (the grid's thresholds below 1)}, per class shown."""
    thresholds = main.grid_plan.thresholds
    keep = thresholds < 1.0
    odds = thresholds[keep] / (1.0 - thresholds[keep])

    def statistic(above: list[np.ndarray]) -> np.ndarray:
        gaps = []
        for counts in above:
            n = np.maximum(counts[:, :, :1, 0] + counts[:, :, :1, 1], 1e-300)
            tp, fp = counts[:, :, 1:, 1][..., keep], counts[:, :, 1:, 0][..., keep]
            gaps.append(tp / n - fp / n * odds)
        return (gaps[0] - gaps[1]).reshape(len(gaps[0]), -1)   # (m, c · thresholds)

    draws = bootstrap.grid_draws([main, baseline], resampling, statistic)
    bands = bootstrap.interval(draws, draws.full, (-np.inf, np.inf))
    width = int(keep.sum())
    return {name: [None if b is None else [round(b[0], DIGITS), round(b[1], DIGITS)]
                   for b in bands[i * width:(i + 1) * width]] for i, name in enumerate(names)}
