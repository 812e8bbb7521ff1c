"""Every bootstrap interval of the report lies inside its metric's range and holds its
point estimate (summary, deltas, baseline, per-class ROC AUC, operating points and their
changes, slices), on 1,000 classes with rare ones, on a weighted binary task with a
non-default positive class and on tiny data; the BCa method against scipy's."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

import reportgen
from reportgen import registry
from reportgen.analysis import bootstrap
from reportgen.report.json import check

SLACK = 1e-12  # rounding of the JSON's floats


def _check(low: float, high: float, point: float, bounds: tuple[float, float], where: str) -> None:
    assert bounds[0] - SLACK <= low <= high <= bounds[1] + SLACK, f"{where}: [{low}, {high}] outside {bounds}"
    assert low - SLACK <= point <= high + SLACK, f"{where}: {point} outside [{low}, {high}]"


def _pairs(report: dict) -> list[tuple[list[float] | None, float | None, tuple[float, float], str]]:
    """Every (interval, point, range, where) of a report's JSON."""
    found = []
    intervals = report["intervals"]
    for key, pair in intervals["summary"].items():
        found.append((pair, report["summary"][key], registry.value_range(key), f"summary.{key}"))
    for key, pair in (intervals.get("deltas") or {}).items():
        found.append((pair, report["deltas"]["summary"][key], registry.delta_range(key), f"deltas.{key}"))
    for key, pair in (intervals.get("baseline") or {}).items():
        found.append((pair, report["baseline"]["summary"][key], registry.value_range(key), f"baseline.{key}"))
    auc = {c["class"]: c["roc_auc"] for c in report["per_class"]}
    for name, pair in intervals["roc_auc"].items():
        found.append((pair, auc[name], registry.value_range("roc_auc"), f"roc_auc.{name}"))
    for name, entry in (report.get("operating_points") or {}).get("per_class", {}).items():
        for key, item in entry.items():
            found.append((item["interval"], item["value"], registry.value_range(key), f"{key}.{name}"))
            if "delta_interval" in item:
                found.append((item["delta_interval"], item["delta"], registry.delta_range(key), f"{key}.{name} change"))
    for s in report.get("slices") or []:
        where = f"slice {s['by']}={s['value']}"
        for key, pair in (s["intervals"] or {}).items():
            found.append((pair, s["summary"][key], registry.value_range(key), f"{where} {key}"))
        if s["gap_interval"] is not None:
            found.append((s["gap_interval"], s["gap"], registry.delta_range("accuracy"), f"{where} gap"))
    return found


def _assert_honest(report: dict) -> int:
    """Check every interval; the number of intervals with a defined point checked."""
    checked = 0
    for pair, point, bounds, where in _pairs(report):
        if pair is None:
            continue
        assert point is not None, f"{where}: an interval without a point"
        _check(pair[0], pair[1], point, bounds, where)
        checked += 1
    return checked


@pytest.fixture(scope="module")
def thousand(tmp_path_factory) -> dict:
    """20,000 rows of 1,000 classes (Zipf-like; some classes of 1 to 3 examples, some of
    none), a baseline, and slices by region."""
    rng = np.random.default_rng(1)
    n, k = 20_000, 1000
    p = 1 / np.arange(1, k + 1) ** 0.9
    y = rng.choice(k, n, p=p / p.sum())
    y[:6] = [k - 1, k - 2, k - 2, k - 3, k - 3, k - 3]
    names = [f"c{j:04d}" for j in range(k)]
    ids = [str(i) for i in range(n)]

    def model(strength: float) -> pd.DataFrame:
        logits = rng.normal(0, 1, (n, k)).astype(np.float32)
        logits[np.arange(n), y] += strength
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        frame = pd.DataFrame(np.round(e / e.sum(axis=1, keepdims=True), 4), columns=names)
        frame.insert(0, "id", ids)
        return frame

    tmp = tmp_path_factory.mktemp("thousand")
    pd.DataFrame({"id": ids, "label": np.array(names)[y]}).to_parquet(tmp / "labels.parquet")
    model(4.0).to_parquet(tmp / "new.parquet")
    model(3.5).to_parquet(tmp / "old.parquet")
    pd.DataFrame({"id": ids, "region": rng.choice(["north", "south", "east", "west"], n)}).to_parquet(tmp / "meta.parquet")
    before = dict(bootstrap.GUARD)
    report = reportgen.evaluate_files(tmp / "labels.parquet", tmp / "new.parquet", baseline=tmp / "old.parquet",
                                      metadata=tmp / "meta.parquet", slice_by=["region"]).to_dict()
    guard = {key: bootstrap.GUARD[key] - before[key] for key in before}
    return {"report": report, "counts": np.bincount(y, minlength=k), "guard": guard}


def test_every_interval_at_a_thousand_classes_is_in_range_and_holds_its_point(thousand):
    report, counts = thousand["report"], thousand["counts"]
    assert ((counts >= 1) & (counts <= 3)).sum() >= 20 and (counts == 0).any()  # rare classes, and empty ones
    assert report["intervals"]["method"] == "bca" and report["intervals"]["n_resamples"] == 1000
    check(report)  # the JSON schema
    checked = _assert_honest(report)
    assert checked > 4000  # per-class AUC and operating points of most classes, with their changes
    assert all(s["intervals"] for s in report["slices"])
    ops = report["operating_points"]["per_class"]
    assert sum(item["recall_at_precision"]["delta_interval"] is not None for item in ops.values()) > 500
    guard = thousand["guard"]  # the method itself keeps nearly every interval in range and around its point
    print(f"guard: {guard}")
    assert guard["intervals"] > 4000 and guard["clipped"] + guard["extended"] <= 0.01 * guard["intervals"]


def test_macro_f1_over_rare_classes_is_not_a_sliver_beside_its_point(thousand):
    """Macro F1's replicates lose rare classes (scored 0), so nearly all lie below the
    whole-sample value: the interval reaches above the point rather than ending at it."""
    report = thousand["report"]
    low, high = report["intervals"]["summary"]["macro_f1"]
    point = report["summary"]["macro_f1"]
    assert low <= point < high and high - point > 0.005


def test_weighted_binary_with_a_non_default_positive_class():
    rng = np.random.default_rng(4)
    n = 800
    truth = rng.random(n) < 0.2
    score_no = np.clip(np.where(truth, rng.beta(2, 5, n), rng.beta(5, 2, n)), 0, 1)
    weight = rng.uniform(0.2, 3.0, n)
    ids = [str(i) for i in range(n)]
    labels = pd.DataFrame({"id": ids, "label": np.where(truth, "yes", "no"), "w": weight})
    scores = pd.DataFrame({"id": ids, "no": score_no, "yes": 1 - score_no})
    old_no = np.clip(score_no + rng.normal(0, 0.2, n), 0, 1)
    baseline = pd.DataFrame({"id": ids, "no": old_no, "yes": 1 - old_no})
    report = reportgen.evaluate(labels, scores, baseline=baseline, weight_column="w", positive_class="no").to_dict()
    assert (report["task"], report["positive_class"]) == ("binary", "no")
    predicted = score_no > 0.5
    positive = ~truth
    assert report["summary"]["f1"] == pytest.approx(f1_score(positive, predicted, sample_weight=weight), abs=1e-12)
    assert report["summary"]["precision"] == pytest.approx(precision_score(positive, predicted, sample_weight=weight))
    assert report["summary"]["recall"] == pytest.approx(recall_score(positive, predicted, sample_weight=weight))
    for section in ("summary", "deltas", "baseline"):
        for key in ("precision", "recall", "f1"):
            assert report["intervals"][section][key] is not None, (section, key)
    assert _assert_honest(report) >= 3 * 9 + 2
    check(report)


def test_positive_class_intervals_follow_its_replicates():
    """The binary precision/recall/F1 intervals are the positive class's (index 1), not the
    macro averages': on a model that finds the rare class badly they are far apart."""
    rng = np.random.default_rng(5)
    n = 1500
    y = (rng.random(n) < 0.1).astype(int)
    score = np.clip(0.25 * y + rng.random(n) * 0.7, 0, 1)
    report = reportgen.evaluate_arrays(y, score).to_dict()
    f1_low, f1_high = report["intervals"]["summary"]["f1"]
    macro_low, macro_high = report["intervals"]["summary"]["macro_f1"]
    assert f1_low <= f1_score(y, score > 0.5) <= f1_high
    assert f1_high < macro_low or macro_high < f1_low
    assert "f1" not in reportgen.evaluate_arrays(rng.integers(0, 3, 60), rng.dirichlet(np.ones(3), 60),
                                                 n_bootstrap=50).to_dict()["intervals"]["summary"]


def test_multilabel_exact_match_has_its_interval_and_change():
    """Exact-match accuracy (scikit-learn's accuracy_score on the indicator matrices) gets an
    interval, weighted, and a paired change against a baseline; both hold their points."""
    rng = np.random.default_rng(6)
    n, k = 700, 4
    y = (rng.random((n, k)) < 0.3).astype(int)
    weight = rng.uniform(0.5, 2.0, n)
    score = np.clip(y * 0.3 + rng.random((n, k)) * 0.6, 0, 1)
    old = np.clip(y * 0.15 + rng.random((n, k)) * 0.7, 0, 1)
    classes = list("abcd")
    ids = [str(i) for i in range(n)]
    labels = pd.DataFrame({"id": ids, "w": weight,
                           "labels": ["|".join(c for c, on in zip(classes, row) if on) for row in y]})
    frame = lambda s: pd.DataFrame({"id": ids, **{c: s[:, j] for j, c in enumerate(classes)}})  # noqa: E731
    report = reportgen.evaluate(labels, frame(score), baseline=frame(old), weight_column="w").to_dict()
    assert report["task"] == "multilabel"
    exact = accuracy_score(y, (score > 0.5).astype(int), sample_weight=weight)
    assert report["summary"]["subset_accuracy"] == pytest.approx(exact, abs=1e-12)
    low, high = report["intervals"]["summary"]["subset_accuracy"]
    assert low < exact < high and high - low < 0.2
    assert report["intervals"]["deltas"]["subset_accuracy"] is not None
    assert _assert_honest(report) >= 2 * 6 + 3
    check(report)


@pytest.mark.parametrize("case", ["few rows", "constant scores", "a class without positives"])
def test_tiny_data_keeps_range_and_points(case):
    ids = [str(i) for i in range(6)]
    names = ["a", "b", "c"]
    y = np.array(["a", "b", "a", "b", "a", "c"]) if case != "a class without positives" else \
        np.array(["a", "b", "a", "b", "a", "b"])
    rng = np.random.default_rng(2)
    p = rng.dirichlet(np.ones(3), 6) if case != "constant scores" else np.full((6, 3), 1 / 3)
    labels = pd.DataFrame({"id": ids, "label": y})
    scores = pd.DataFrame({"id": ids, **{c: p[:, j] for j, c in enumerate(names)}})
    baseline = pd.DataFrame({"id": ids, **{c: p[::-1, j] for j, c in enumerate(names)}})
    report = reportgen.evaluate(labels, scores, baseline=baseline).to_dict()
    check(report)
    assert _assert_honest(report) >= 6
    if case == "a class without positives":
        assert report["intervals"]["roc_auc"].get("c") is None


def test_two_rows():
    report = reportgen.evaluate_arrays(np.array([0, 1]), np.array([0.2, 0.7])).to_dict()
    assert _assert_honest(report) >= 1


# ---------------------------------------------------------------------------- the method


def test_bca_matches_scipy_on_a_skewed_mean():
    """Rows as groups: our BCa of the replicates and the leave-one-out jackknife agrees
    with scipy.stats.bootstrap(method='BCa') within the Monte Carlo error of both."""
    rng = np.random.default_rng(0)
    data = rng.exponential(1.0, 40)
    n_resamples = 40_000
    idx = rng.integers(0, len(data), (n_resamples, len(data)))
    replicates = data[idx].mean(axis=1)
    jackknife = (data.sum() - data) / (len(data) - 1)
    low, high = bootstrap.bca(replicates[:, None], np.array([data.mean()]), jackknife[:, None])
    ref = stats.bootstrap((data,), np.mean, method="BCa", n_resamples=n_resamples, random_state=1).confidence_interval
    width = ref.high - ref.low
    assert low[0] == pytest.approx(ref.low, abs=0.02 * width) and high[0] == pytest.approx(ref.high, abs=0.02 * width)
    percentile = np.percentile(replicates, [2.5, 97.5])
    assert high[0] - percentile[1] > 0.05 * width  # skewed: BCa moves the ends up, as scipy's


def test_bca_by_hand():
    """A small case computed by the formula: z0 from the share below (ties one half), a
    from the jackknife, the ends at the adjusted percentiles of np.percentile."""
    values = np.array([0.1, 0.2, 0.2, 0.3, 0.4, 0.5, 0.7, 0.9, 1.0, 1.4, 1.9, 2.5])
    full = 0.45
    jackknife = np.array([0.3, 0.5, 0.55, 0.4, 0.6])
    z0 = stats.norm.ppf((np.sum(values < full) + 0.5 * np.sum(values == full)) / len(values))
    d = jackknife.mean() - jackknife
    a = np.sum(d ** 3) / (6 * np.sum(d ** 2) ** 1.5)
    z = np.array([stats.norm.ppf(0.025), stats.norm.ppf(0.975)])
    alpha = stats.norm.cdf(z0 + (z0 + z) / (1 - a * (z0 + z)))
    expected = np.percentile(values, 100 * alpha)
    low, high = bootstrap.bca(values[:, None], np.array([full]), jackknife[:, None])
    assert [low[0], high[0]] == pytest.approx(list(expected), abs=1e-12)


def test_bca_degenerate_cases():
    equal = np.full((100, 1), 0.3)
    assert [x[0] for x in bootstrap.bca(equal, np.array([0.3]), np.full((10, 1), 0.3))] == [0.3, 0.3]
    few = np.full((100, 1), np.nan)
    few[0] = 0.5
    assert all(math.isnan(x[0]) for x in bootstrap.bca(few, np.array([0.5]), np.zeros((10, 1))))
    # every replicate below the whole-sample value: the upper end comes from the normal model, above it
    below = np.linspace(0.5, 0.6, 200)[:, None]
    low, high = bootstrap.bca(below, np.array([0.65]), np.linspace(0.64, 0.66, 50)[:, None])
    assert high[0] > 0.65 and low[0] > 0.6
    draws = bootstrap.Draws(below[:, 0], np.array(0.65), np.linspace(0.64, 0.66, 50))
    [pair] = bootstrap.interval(draws, 0.65, (0.0, 1.0))
    assert pair[0] == 0.65 and pair[1] > 0.65  # the last guard stretches it to the point


def test_carry_keeps_the_range_and_takes_the_binned_value_to_the_exact_one():
    ends = np.array([0.90, 0.95, 0.97, 0.99, 1.0])
    carried = bootstrap.carry(ends, np.array(0.97), np.array(1.0), (0.0, 1.0))  # exact AUC 1, binned 0.97
    assert carried[2] == 1.0 and carried[-1] == 1.0 and np.all(np.diff(carried) >= 0)
    assert np.all(carried <= 1.0) and np.all(np.abs(carried - ends) <= 0.03 + 1e-15)
    down = bootstrap.carry(ends, np.array(0.97), np.array(0.96), (0.0, 1.0))
    assert down[2] == pytest.approx(0.96) and down[-1] == 1.0 and down[0] == pytest.approx(0.9 * 0.96 / 0.97)
    loss = bootstrap.carry(np.array([0.2, 0.5, 0.9]), np.array(0.5), np.array(0.6), (0.0, math.inf))
    assert loss == pytest.approx([0.24, 0.6, 1.0])
    same = bootstrap.carry(ends, np.array(0.97), np.array(0.97), (0.0, 1.0))
    assert np.array_equal(same, ends)
