"""Fairness: each group's rates at the report's threshold, and the gaps between groups,
with intervals from one paired bootstrap.

Groups are slices (``reportgen.analysis.slices``) over the ``--group-by`` columns, each
column taken by its values (numbers are not cut into bins): pass 1 is the slices' own
``SliceCombiner`` (each group's mergeable ``Statistics``, so its counts, ROC AUC and
threshold grid come from the report's one derivation); pass 2 (``FairnessIntervals``)
adds up, per group and per bootstrap group (a seeded hash of each row's id, as the
report's bootstrap), the one-vs-rest counts tp, fp, fn, tn of each class looked at and
its positives and negatives per score bin. Every replicate reweights the bootstrap
groups once for all population groups, so each replicate's rates of every group, and
the largest gap between them, come from the same resample: the interval of a
max-over-groups gap is the bootstrap of that maximum, not a bound pieced together.

Classes looked at: binary, the positive class; ``--fairness-class NAME`` one class
(one-vs-rest); otherwise every class (multiclass, one-vs-rest) or label (multilabel),
under ``per_class``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from reportgen.analysis import bootstrap
from reportgen.analysis.slices import SliceCombiner, SliceOptions, SlicePlan, SliceResult, chunk_groups, parse_specs
from reportgen.binning import EdgeLookup
from reportgen.chunks import Chunk
from reportgen.errors import InputError
from reportgen.hashing import hash_groups, id_hashes
from reportgen.metrics import decision_counts, evaluate_statistics
from reportgen.options import Options
from reportgen.stats import ScoreCounts, predicted_classes
from reportgen.validate import Examples

RATES = ("base_rate", "selection_rate", "tpr", "fpr", "fnr", "precision", "accuracy", "roc_auc")
GAPS = {"demographic_parity_difference": "selection_rate", "equal_opportunity_difference": "tpr",
        "predictive_parity_difference": "precision", "auc_gap": "roc_auc"}
DISPARITIES = ("demographic_parity_difference", "demographic_parity_ratio", "equalized_odds_difference",
               "equal_opportunity_difference", "predictive_parity_difference", "auc_gap")
EQUALISED = ("selection_rate", "tpr", "fpr")  # rates the reviewer may ask to equalise with per-group thresholds
MAX_CLASSES = 20     # classes looked at without --fairness-class
GRID_CAP = 50        # groups (largest first) that carry a threshold grid for the page's slider
RANK_BINS = 16       # score bins per class of the ROC AUC replicates (carried to the exact AUC: bootstrap.carry)
CELLS = 2e7          # bootstrap groups × columns of every crossing's sums together (160 MB)
PRODUCT = 1e9        # multiply-adds of every crossing's replicate products together: bounds the bootstrap groups
COUNTS = 4           # tp, fp, fn, tn


@dataclass(frozen=True)
class FairnessOptions:
    specs: tuple[tuple[str, ...], ...]
    min_size: int = 30
    fairness_class: str | None = None


def fairness_options(group_by: Sequence[str], min_group_size: int = 30,
                     fairness_class: str | None = None) -> FairnessOptions | None:
    """``--group-by`` (``a``, or ``a,b`` crossed; ``Options`` checks the rest); None when no
    column is named."""
    specs = parse_specs(list(group_by))
    return FairnessOptions(specs, min_group_size, fairness_class) if specs else None


def options_of(opts: Options) -> FairnessOptions | None:
    """The fairness asked for in ``opts`` (``--group-by``), or None."""
    return fairness_options(opts.group_by, opts.min_group_size, opts.fairness_class)


def group_plan(settings: FairnessOptions, opts: Options, source: str | None) -> SlicePlan:
    """The slices' plan whose slices are the groups: every column by its own values."""
    columns = {c for spec in settings.specs for c in spec}
    return SlicePlan(SliceOptions(settings.specs, min_size=settings.min_size, what="group-by", groups_only=True), opts,
                     {c: None for c in columns}, source)


def columns_of(settings: FairnessOptions) -> list[str]:
    return sorted({c for spec in settings.specs for c in spec})


def looked_at(like: Examples, settings: FairnessOptions) -> tuple[int, ...]:
    """The positions of the classes whose rates are compared."""
    if settings.fairness_class is not None:
        if settings.fairness_class not in like.classes:
            shown = ", ".join(map(repr, like.classes[:8]))
            raise InputError(f"usage: --fairness-class {settings.fairness_class!r} is not a class (classes: {shown})")
        return (like.classes.index(settings.fairness_class),)
    if like.task == "binary":
        return (1,)
    if len(like.classes) > MAX_CLASSES:
        raise InputError(f"usage: {len(like.classes):,} classes; name the one to compare across groups with "
                         f"--fairness-class NAME (at most {MAX_CLASSES} are compared without it)")
    return tuple(range(len(like.classes)))


def decided(ex: Examples, thresholds: np.ndarray, j: int) -> np.ndarray:
    """(rows,) bool: whether each row is decided to be of class ``j``, as the report's
    one-vs-rest counts at the threshold decide (the model's own labels when given)."""
    if ex.y_pred is not None or ex.y_pred_multi is not None:
        predicted = predicted_classes(ex, thresholds)
        return predicted[:, j] if predicted.ndim == 2 else predicted == j
    return ex.y_score[:, j] > thresholds[j]


# ---------------------------------------------------------------- the formulas (once)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, NaN where den is 0 (a rate of a group without its denominator is undefined)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def rates(counts: np.ndarray, auc: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Each rate of ``counts`` (..., 4) tp, fp, fn, tn: arrays of shape (...); ``auc`` (...)
    ROC AUC where known."""
    tp, fp, fn, tn = (counts[..., i] for i in range(COUNTS))
    n = tp + fp + fn + tn
    out = {"base_rate": _ratio(tp + fn, n), "selection_rate": _ratio(tp + fp, n), "tpr": _ratio(tp, tp + fn),
           "fpr": _ratio(fp, fp + tn), "fnr": _ratio(fn, tp + fn), "precision": _ratio(tp, tp + fp),
           "accuracy": _ratio(tp + tn, n)}
    out["roc_auc"] = np.full(tp.shape, np.nan) if auc is None else auc
    return out


def _spread(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(largest, smallest) of the defined values over the last axis; NaN with fewer than two."""
    defined = np.isfinite(values)
    enough = defined.sum(axis=-1) >= 2
    high = np.where(defined, values, -np.inf).max(axis=-1, initial=-np.inf)
    low = np.where(defined, values, np.inf).min(axis=-1, initial=np.inf)
    return np.where(enough, high, np.nan), np.where(enough, low, np.nan)


def disparities(by_group: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each disparity over the groups (the last axis of every rate in ``by_group``):
    differences are the largest minus the smallest group's rate; the demographic parity
    ratio is the smallest selection rate over the largest; equalized odds is the larger
    of the TPR and FPR differences (fairlearn's definitions)."""
    out = {}
    for name, rate in GAPS.items():
        high, low = _spread(by_group[rate])
        out[name] = high - low
    high, low = _spread(by_group["selection_rate"])
    out["demographic_parity_ratio"] = _ratio(low, high)
    out["equalized_odds_difference"] = np.maximum(out["equal_opportunity_difference"],
                                                  np.subtract(*_spread(by_group["fpr"])))
    return out


# ---------------------------------------------------------------- pass 1: the slices' combiner, one class at a time


def one_vs_rest(ex: Examples, j: int, thresholds: np.ndarray) -> Examples:
    """``ex`` as a binary task of class ``j`` against the rest (a binary task's positive
    class: ``ex`` itself): its truth, its score (``[1 - s, s]``) and, when the model's own
    labels decide, whether it was predicted; a group's statistics of it hold exactly what
    fairness needs of that class, at the cost of one class."""
    if ex.task == "binary" and j == 1:
        return ex
    name = ex.classes[j]
    score = None if ex.y_score is None else np.stack([1.0 - ex.y_score[:, j], ex.y_score[:, j]], axis=1)
    said = decided(ex, thresholds, j).astype(np.int64) if ex.has_predictions else None
    return Examples(task="binary", classes=(f"not {name}", name), positive_class=name, ids=ex.ids, y_score=score,
                    y_true=ex.truth(j).astype(np.int64), y_multi=None, weight=ex.weight, y_pred=said)


ALL = -1  # FairnessGroups' key of the combiner of every class at once


@dataclass(frozen=True, eq=False)
class GroupResult:
    """Pass 1's result: the report's task and classes (``like``: no rows), the classes looked
    at, and each one's groups with the class's position in their statistics: a
    ``SliceResult`` of its one-vs-rest task (position 1), or of the report's own task when
    every class is looked at (position j); every group kept."""

    like: Examples | None
    classes: tuple[int, ...]
    per_class: Mapping[int, tuple[SliceResult, int]]

    def values(self, spec: tuple[str, ...]) -> list[tuple[str, ...]]:
        """The crossing's group values, in report order (the same for every class)."""
        first = next(iter(self.per_class.values()), None)
        return [] if first is None else [s.value for s in first[0].slices if s.by == spec]


class FairnessGroups:
    """Pass 1 over the chunks: the slices' ``SliceCombiner`` over the group-by columns. One
    class looked at: fed each chunk narrowed to it (``one_vs_rest``), the cost of one class;
    several (every class, or label): fed the chunk as it is, whose per-class one-vs-rest
    counts, ROC AUC and grid are the same as each class's narrowed task's."""

    def __init__(self, plan: SlicePlan, settings: FairnessOptions) -> None:
        self.plan, self.settings = plan, settings
        self.like: Examples | None = None
        self.parts: dict[int, SliceCombiner] = {}

    def add(self, chunk: Chunk) -> None:
        if chunk.n_rows == 0:
            return
        ex = chunk.main
        if self.like is None:
            self.like = ex.subset(np.empty(0, dtype=np.int64))
        classes = looked_at(ex, self.settings)
        if len(classes) > 1:
            self.parts.setdefault(ALL, SliceCombiner(self.plan)).add(Chunk((ex,), chunk.metadata))
            return
        narrowed = Chunk((one_vs_rest(ex, classes[0], self.plan.thresholds(ex.classes)),), chunk.metadata)
        self.parts.setdefault(classes[0], SliceCombiner(self.plan)).add(narrowed)

    def merge(self, other: "FairnessGroups") -> "FairnessGroups":
        for j, part in other.parts.items():
            self.parts[j] = self.parts[j].merge(part) if j in self.parts else part
        self.like = self.like if self.like is not None else other.like
        return self

    def result(self) -> GroupResult:
        classes = looked_at(self.like, self.settings) if self.like is not None else ()
        if ALL in self.parts:
            every = self.parts[ALL].result()
            return GroupResult(self.like, classes, {j: (every, j) for j in classes})
        return GroupResult(self.like, classes, {j: (self.parts[j].result(), 1) for j in classes})


# ---------------------------------------------------------------- pass 2: per group, per bootstrap group


@dataclass(frozen=True, eq=False)
class _Crossing:
    """One crossing's groups (``index``: value -> position) and its bootstrap's counts."""

    index: dict[tuple[str, ...], int]
    resampling: bootstrap.Resampling


class FairnessIntervals:
    """Pass 2 over the chunks: per crossing, (bootstrap groups, population groups, classes
    looked at, 4 + 2 × (bins + 1)) sums of weights: tp, fp, fn, tn, then the negatives and
    positives per score bin of each class looked at; ``section()`` at the end."""

    def __init__(self, first: GroupResult, plan: SlicePlan, settings: FairnessOptions,
                 edges: tuple[np.ndarray, ...]) -> None:
        # what the chunks need of pass 1, not its statistics (a combiner travels pickled)
        self.plan, self.like, self.settings = plan, first.like, settings
        self.classes = first.classes
        self.edges = edges
        self.lookups = tuple(EdgeLookup(e) for e in edges)
        self.width = COUNTS + (2 * (RANK_BINS + 1) if edges else 0)
        self.crossings: dict[tuple[str, ...], _Crossing] = {}
        self.sums: dict[tuple[str, ...], np.ndarray] = {}
        opts = plan.opts
        values = {spec: first.values(spec) for spec in settings.specs}
        columns = max(sum(len(v) for v in values.values()) * len(self.classes) * self.width, 1)
        cap = min(CELLS // columns, PRODUCT // (max(opts.n_bootstrap, 1) * columns))
        cap = int(max(bootstrap.MIN_GROUPS, min(bootstrap.MAX_GROUPS, cap)))
        resampling = bootstrap.plan(opts.n_bootstrap, opts.seed, 1, max_groups=cap) if opts.n_bootstrap else None
        for spec in settings.specs:  # one resampling for every crossing
            self.crossings[spec] = _Crossing({v: i for i, v in enumerate(values[spec])}, resampling)

    @staticmethod
    def edges_of(first: GroupResult, per_class: Sequence[ScoreCounts]) -> tuple[np.ndarray, ...]:
        """The score-bin edges of the AUC replicates of each class looked at, from the whole
        sample's score counts ``per_class`` (none without scores)."""
        if first.like is None or not first.like.has_scores:
            return ()
        return tuple(bootstrap.rank_edges((per_class[j],), RANK_BINS)[0] for j in first.classes)

    def add(self, chunk: Chunk) -> None:
        if chunk.n_rows == 0 or not self.classes or not self.plan.opts.n_bootstrap:
            return
        ex = chunk.main
        thresholds = self.plan.thresholds(ex.classes)
        hashes = id_hashes(ex.ids, self.plan.opts.seed)
        w = np.ones(ex.n_examples) if ex.weight is None else ex.weight
        for spec, found in chunk_groups(chunk, self.plan).items():
            crossing = self.crossings[spec]
            size, n = len(crossing.index), crossing.resampling.n_groups
            member = np.empty(ex.n_examples, dtype=np.int64)
            for g, value in enumerate(found.values):
                member[found.rows(g)] = crossing.index[value]
            cell = hash_groups(hashes, n).astype(np.int64) * size + member
            sums = np.zeros((n * size, len(self.classes), self.width))
            for i, j in enumerate(self.classes):
                truth, said = ex.truth(j).astype(bool), decided(ex, thresholds, j)
                which = (~truth).astype(np.int64) + 2 * (~said)  # 0 tp, 1 fp, 2 fn, 3 tn
                sums[:, i, :COUNTS] = np.bincount(cell * COUNTS + which, weights=w,
                                                  minlength=n * size * COUNTS).reshape(-1, COUNTS)
                if self.edges:
                    bins = RANK_BINS + 1
                    which = self.lookups[i](ex.scores_of(j))
                    key = (cell * bins + which) * 2 + truth
                    sums[:, i, COUNTS:] = np.bincount(key, weights=w, minlength=n * size * bins * 2).reshape(n * size, -1)
            sums = sums.reshape(n, size, len(self.classes), self.width)
            self.sums[spec] = self.sums[spec] + sums if spec in self.sums else sums

    def merge(self, other: "FairnessIntervals") -> "FairnessIntervals":
        for spec, sums in other.sums.items():
            self.sums[spec] = self.sums[spec] + sums if spec in self.sums else sums
        return self

    def replicates(self, spec: tuple[str, ...], sized: np.ndarray) -> tuple[dict, dict, dict] | None:
        """The crossing's rates and disparities (over the ``sized`` groups, a (groups,) mask)
        of every replicate, of the whole sample (binned AUC) and of the jackknife leaving out
        each bootstrap group: three dicts of name -> (replicates | 1 | groups, classes[, groups])."""
        sums = self.sums.get(spec)
        if sums is None:
            return None
        crossing = self.crossings[spec]
        n = crossing.resampling.n_groups
        flat = sums.reshape(n, -1)
        total = flat.sum(axis=0, keepdims=True)
        filled = np.flatnonzero(np.any(flat != 0, axis=1))
        jackknife = np.full((n, flat.shape[1]), np.nan)
        jackknife[filled] = total - flat[filled]
        return tuple(self._measure(x.reshape(len(x), *sums.shape[1:]), sized)
                     for x in (crossing.resampling.counts @ flat, total, jackknife))

    def _measure(self, sums: np.ndarray, sized: np.ndarray) -> dict[str, np.ndarray]:
        """(rows, groups, classes, width) sums -> rates (rows, classes, groups) and
        disparities over the sized groups (rows, classes)."""
        sums = np.moveaxis(sums, 1, 2)
        auc = None
        if self.edges:
            ranks = sums[..., COUNTS:].reshape(*sums.shape[:3], RANK_BINS + 1, 2)
            auc = bootstrap.binned_auc(ranks[..., 1], ranks[..., 0])
        found = rates(sums[..., :COUNTS], auc)
        return {**found, **disparities({k: v[..., sized] for k, v in found.items()})}


# ---------------------------------------------------------------- the section


def finish(first: GroupResult, second: FairnessIntervals, report: Mapping[str, Any]) -> dict[str, Any]:
    """The ``fairness`` section from pass 1's result and pass 2's combiner."""
    settings, opts = second.settings, second.plan.opts
    if first.like is None:  # no rows
        return {}
    like = first.like
    grid = report.get("threshold_grid")
    own_labels = like.y_pred is not None or like.y_pred_multi is not None
    any_class = first.per_class[first.classes[0]][0]
    sized = {spec: np.array([s.stats.n_examples >= settings.min_size for s in any_class.slices if s.by == spec],
                            dtype=bool) for spec in settings.specs}
    found = {spec: second.replicates(spec, sized[spec]) for spec in settings.specs}  # every class at once
    per_class, evaluated = {}, {}
    for i, j in enumerate(second.classes):
        name = like.classes[j]
        part, position = first.per_class[j]
        if id(part) not in evaluated:
            evaluated[id(part)] = [evaluate_statistics(s.stats, opts.grid, (), max_curve_points=2) for s in part.slices]
        groups = [_group_entry(s, e, position, part.weighted, settings.min_size)
                  for s, e in zip(part.slices, evaluated[id(part)])]
        whole = sum(np.array([g["counts"][k] for k in ("tp", "fp", "fn", "tn")], dtype=np.float64)
                    for g in groups if tuple(g["by"]) == settings.specs[0])  # the first crossing's groups: every row
        auc = report["per_class"][j]["roc_auc"]
        overall = _floats(rates(whole, np.float64(np.nan if auc is None else auc)))
        gaps = []
        for spec in settings.specs:
            at_spec = [g for g in groups if tuple(g["by"]) == spec]
            _group_intervals(at_spec, found[spec], i)
            gaps.append(_disparity_entry(spec, at_spec, sized[spec], found[spec], i,
                                         None if own_labels or grid is None else grid["thresholds"], overall, opts))
        _keep_grids(groups, GRID_CAP if not own_labels else 0)  # the model's own labels: no grid to follow
        per_class[name] = {"overall": overall, "groups": groups, "disparities": gaps}
    section: dict[str, Any] = {
        "class": like.classes[second.classes[0]] if len(second.classes) == 1 and (
            settings.fairness_class is not None or like.task == "binary") else None,
        "min_group_size": settings.min_size,
        "rates": list(RATES),
        "n_resamples": opts.n_bootstrap,
        "seed": opts.seed,
        "decisions": "model labels" if own_labels else "threshold",
    }
    if section["class"] is not None:
        section.update(per_class[section["class"]])
    else:
        section["per_class"] = per_class
    return {"fairness": section}


def _floats(values: Mapping[str, np.ndarray]) -> dict[str, float | None]:
    return {k: (float(v) if np.isfinite(v) else None) for k, v in values.items()}


def _group_entry(part, evaluation, position: int, weighted: bool, min_size: int) -> dict[str, Any]:
    """One group's rates of the class at ``position`` of its statistics, at the report's
    decisions (``metrics.decision_counts``), its counts and its grid."""
    entry = evaluation.per_class[position]
    at = decision_counts(part.stats)[position]
    counts = {k: at[k] for k in ("tp", "fp", "fn", "tn")}
    auc = np.float64(np.nan if entry["roc_auc"] is None else entry["roc_auc"])
    found = _floats(rates(np.array(list(counts.values()), dtype=np.float64), auc))
    out: dict[str, Any] = {"by": list(part.by), "value": list(part.value), "n_examples": part.stats.n_examples,
                           "small": part.stats.n_examples < min_size, **found, "counts": counts, "intervals": None}
    if weighted:
        out["weight"] = float(part.stats.weight_total)
    grid = evaluation.threshold_grid
    if grid is not None:
        cells = grid["classes"][part.stats.classes[position]]
        out["_grid"] = {k: cells[k] for k in ("tp", "fp", "fn", "tn")}
    return out


def _group_intervals(groups: list[dict[str, Any]], found, i: int) -> None:
    """Each group's rate intervals (BCa over the shared replicates), in place; none for a
    group smaller than the minimum size."""
    if found is None or not groups:
        return
    values, full, jack = found
    bounds = {rate: [None] * len(groups) for rate in RATES}
    for rate in RATES:
        points = np.array([np.nan if g[rate] is None else g[rate] for g in groups])
        draws = bootstrap.Draws(values[rate][:, i], full[rate][0, i], jack[rate][:, i])
        bounds[rate] = bootstrap.interval(draws, points, (0.0, 1.0))
    for k, g in enumerate(groups):  # a group of a handful of rows gets none: its resamples are not its population
        g["intervals"] = None if g["small"] else {rate: bounds[rate][k] for rate in RATES}


def _disparity_entry(spec, groups: list[dict[str, Any]], sized: np.ndarray, found, i: int,
                     thresholds: list[float] | None, overall: Mapping[str, float | None],
                     opts: Options) -> dict[str, Any]:
    """One column's (or crossing's) disparities over its groups of at least the minimum
    size, each {value, interval}, and the per-group thresholds that would equalise a rate."""
    points = {rate: np.array([np.nan if g[rate] is None else g[rate] for g, keep in zip(groups, sized) if keep])
              for rate in RATES}
    values = disparities(points)
    entry: dict[str, Any] = {"by": list(spec), "groups_compared": int(sized.sum()),
                             "groups_too_small": int((~sized).sum())}
    for name in DISPARITIES:
        point = float(values[name]) if np.isfinite(values[name]) else None
        interval = None
        if found is not None and point is not None:
            reps, full, jack = found
            draws = bootstrap.Draws(reps[name][:, i], full[name][0, i], jack[name][:, i])
            interval = bootstrap.interval(draws, point, (0.0, 1.0), smooth=False)[0]  # see bootstrap.interval
        entry[name] = {"value": point, "interval": interval}
    if thresholds is not None:
        kept = [g for g, keep in zip(groups, sized) if keep]
        entry["equalize"] = {rate: equalize(kept, thresholds, opts.threshold, rate, overall[rate]) for rate in EQUALISED}
    return entry


def equalize(groups: list[dict[str, Any]], thresholds: list[float], threshold: float, rate: str,
             target: float | None) -> dict[str, Any] | None:
    """Per-group thresholds on the grid that bring each group's ``rate`` nearest to
    ``target`` (the whole data's rate at the report's threshold; ties: the threshold
    nearest the report's), the rates they reach, and the accuracy of those groups'
    decisions before and after (one-vs-rest). None unless every group has a grid."""
    if target is None or len(groups) < 2 or any("_grid" not in g for g in groups):
        return None
    t = np.asarray(thresholds)
    at = int(np.argmin(np.abs(t - threshold)))
    cells = np.stack([np.array([g["_grid"][k] for k in ("tp", "fp", "fn", "tn")], dtype=np.float64).T
                      for g in groups])                                       # (groups, thresholds, 4)
    reached = rates(cells)[rate]                                               # (groups, thresholds)
    distance = np.where(np.isfinite(reached), np.abs(reached - target), np.inf)
    distance = distance + 1e-12 * np.abs(t - threshold)                       # ties: nearest the report's threshold
    chosen = np.argmin(distance, axis=1)
    picked = np.take_along_axis(cells, chosen[:, None, None], axis=1)[:, 0]   # (groups, 4)
    total = cells[:, at].sum()
    before = (cells[:, at, 0] + cells[:, at, 3]).sum() / total if total else None
    after = (picked[:, 0] + picked[:, 3]).sum() / total if total else None
    got = reached[np.arange(len(groups)), chosen]
    return {"target": target,
            "groups": [{"value": g["value"], "threshold": float(t[c]), "rate": float(r) if np.isfinite(r) else None}
                       for g, c, r in zip(groups, chosen, got)],
            "accuracy_before": None if before is None else float(before),
            "accuracy_after": None if after is None else float(after)}


def _keep_grids(groups: list[dict[str, Any]], cap: int) -> None:
    """The ``cap`` largest groups keep their threshold grid (for the page's slider)."""
    keep = set(sorted(range(len(groups)), key=lambda k: -groups[k]["n_examples"])[:cap])
    for k, g in enumerate(groups):
        grid = g.pop("_grid", None)
        if k in keep and grid is not None:
            g["grid"] = grid

