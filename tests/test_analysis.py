"""Comparison, bootstrap intervals, operating points, advice and calibration,
checked against scikit-learn and against a slow reference bootstrap."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from scipy import stats
from sklearn.calibration import calibration_curve
from sklearn.metrics import accuracy_score, f1_score, log_loss, roc_auc_score

import reportgen
from conftest import softmax_scores
from reportgen import binning
from reportgen.analysis import bootstrap
from reportgen.binning import BinCounter, EdgeLookup, chunk_totals
from reportgen.stats import ScoreCounts
from reportgen.hashing import row_groups

TOL = 1e-9


def _model(rng, y, k, strength):
    return np.round(softmax_scores(rng, y, k, strength), 3)


def _frames(y, scores, names, ids=None):
    ids = np.arange(len(y)) if ids is None else ids
    labels = pd.DataFrame({"id": ids, "label": np.array(names)[y]})
    table = pd.DataFrame({"id": ids, **{name: scores[:, j] for j, name in enumerate(names)}})
    return labels, table


@pytest.fixture(scope="module")
def pair():
    rng = np.random.default_rng(7)
    n, k = 300, 3
    names = ["cat", "dog", "emu"]
    y = rng.integers(0, k, n)
    new, old = _model(rng, y, k, 1.6), _model(rng, y, k, 0.6)
    labels, new_table = _frames(y, new, names)
    _, old_table = _frames(y, old, names)
    shuffled = old_table.sample(frac=1.0, random_state=1)  # pairing must follow ids, not rows
    ev = reportgen.evaluate(labels, new_table, baseline=shuffled, n_bootstrap=200, seed=11).to_dict()
    return {"y": y, "new": new, "old": old, "names": names, "report": ev, "n": n, "k": k}


def _reference(y, scores, counts, k):
    """The slow bootstrap: materialise every resample and ask scikit-learn."""
    out = {"accuracy": [], "macro_f1": [], "log_loss": [], "roc_auc": []}
    pred = scores.argmax(axis=1)
    norm = scores / scores.sum(axis=1, keepdims=True)
    for row in counts.astype(int):
        idx = np.repeat(np.arange(len(y)), row)
        out["accuracy"].append(accuracy_score(y[idx], pred[idx]))
        out["macro_f1"].append(f1_score(y[idx], pred[idx], average="macro", labels=range(k), zero_division=0))
        out["log_loss"].append(log_loss(y[idx], norm[idx], labels=range(k)))
        out["roc_auc"].append([roc_auc_score(y[idx] == j, scores[idx, j]) for j in range(k)])
    return {key: np.array(v) for key, v in out.items()}


def _groups(n: int, seed: int) -> np.ndarray:
    """(n,) each row's bootstrap group, from a seeded hash of its id (here "0".."n-1")."""
    return row_groups(pa.array([str(i) for i in range(n)]), seed, bootstrap.MAX_GROUPS)


def _row_counts(n: int, n_resamples: int, seed: int) -> np.ndarray:
    """(n_resamples, n) each row's multiplicity in each replicate: its group's count."""
    plan = bootstrap.plan(n_resamples, seed)
    assert plan.n_groups == bootstrap.MAX_GROUPS  # whatever the number of rows
    return plan.counts[:, _groups(n, seed)]


def _jackknife_counts(n: int, seed: int) -> np.ndarray:
    """(groups with rows, n) each row's multiplicity leaving one group out: 0 in it, else 1."""
    groups = _groups(n, seed)
    return (groups[None, :] != np.unique(groups)[:, None]).astype(float)


def _bca_reference(replicates, full, jackknife) -> list[float]:
    """BCa written out (Efron 1987): z0 from the share below the whole-sample value (ties
    one half), a from the jackknife's skewness, ends at np.percentile's adjusted levels."""
    z0 = stats.norm.ppf((np.sum(replicates < full) + 0.5 * np.sum(replicates == full)) / len(replicates))
    d = jackknife.mean() - jackknife
    a = np.sum(d ** 3) / (6 * np.sum(d ** 2) ** 1.5)
    z = stats.norm.ppf([0.025, 0.975])
    return list(np.percentile(replicates, 100 * stats.norm.cdf(z0 + (z0 + z) / (1 - a * (z0 + z)))))


def test_intervals_equal_a_slow_reference_bootstrap(pair):
    """BCa of replicates and of a leave-one-group-out jackknife both materialised row by
    row and scored by scikit-learn."""
    report, y, new, k = pair["report"], pair["y"], pair["new"], pair["k"]
    counts = _row_counts(pair["n"], 200, 11)
    assert counts.max() >= 2 and (counts == 0).any()  # small data: close to a Poisson bootstrap
    ref = _reference(y, new, counts, k)
    jack = _reference(y, new, _jackknife_counts(pair["n"], 11), k)
    full = _reference(y, new, np.ones((1, pair["n"])), k)
    intervals = report["intervals"]
    for metric in ("accuracy", "macro_f1", "log_loss"):
        expected = _bca_reference(ref[metric], full[metric][0], jack[metric])
        assert intervals["summary"][metric] == pytest.approx(expected, abs=TOL), metric
    for j, name in enumerate(pair["names"]):
        expected = _bca_reference(ref["roc_auc"][:, j], full["roc_auc"][0, j], jack["roc_auc"][:, j])
        assert intervals["roc_auc"][name] == pytest.approx(expected, abs=TOL)
    macro = _bca_reference(ref["roc_auc"].mean(axis=1), full["roc_auc"][0].mean(), jack["roc_auc"].mean(axis=1))
    assert intervals["summary"]["roc_auc_macro"] == pytest.approx(macro, abs=TOL)
    assert intervals["n_resamples"] == 200 and intervals["seed"] == 11 and intervals["method"] == "bca"


def test_paired_delta_intervals_use_the_same_rows(pair):
    report, y, k = pair["report"], pair["y"], pair["k"]
    counts = _row_counts(pair["n"], 200, 11)
    jackknife, whole = _jackknife_counts(pair["n"], 11), np.ones((1, pair["n"]))
    new, old = _reference(y, pair["new"], counts, k), _reference(y, pair["old"], counts, k)
    new_jack, old_jack = _reference(y, pair["new"], jackknife, k), _reference(y, pair["old"], jackknife, k)
    new_full, old_full = _reference(y, pair["new"], whole, k), _reference(y, pair["old"], whole, k)
    for metric in ("accuracy", "macro_f1", "log_loss"):
        expected = _bca_reference(new[metric] - old[metric], new_full[metric][0] - old_full[metric][0],
                                  new_jack[metric] - old_jack[metric])
        assert report["intervals"]["deltas"][metric] == pytest.approx(expected, abs=TOL), metric
    assert report["deltas"]["summary"]["accuracy"] == pytest.approx(
        accuracy_score(y, pair["new"].argmax(1)) - accuracy_score(y, pair["old"].argmax(1)), abs=TOL
    )
    low, high = report["intervals"]["deltas"]["accuracy"]
    assert 0 < low < report["deltas"]["summary"]["accuracy"] < high  # the better model really is better


def test_baseline_section_has_the_top_level_shapes(pair):
    report = pair["report"]
    assert report["baseline"]["name"] == "baseline"
    assert set(report["baseline"]["summary"]) == set(report["summary"])
    assert [c["class"] for c in report["baseline"]["per_class"]] == report["classes"]
    assert [m["role"] for m in report["models"]] == ["model", "baseline"]
    for metric, delta in report["deltas"]["summary"].items():
        if isinstance(delta, float):
            assert delta == pytest.approx(report["summary"][metric] - report["baseline"]["summary"][metric], abs=TOL)


def test_operating_points_match_a_direct_search(pair):
    report, y, new = pair["report"], pair["y"], pair["new"]
    ops = report["operating_points"]
    for j, name in enumerate(pair["names"]):
        truth, score = y == j, new[:, j]
        best = 0.0
        for t in np.unique(score):
            chosen = score >= t
            precision = (truth & chosen).sum() / chosen.sum()
            if precision >= ops["target_precision"]:
                best = max(best, (truth & chosen).sum() / truth.sum())
        assert ops["per_class"][name]["recall_at_precision"]["value"] == pytest.approx(best, abs=TOL)


def test_large_data_groups_rows_and_stays_close_to_row_bootstrap():
    rng = np.random.default_rng(3)
    n, k = 6000, 4
    y = rng.integers(0, k, n)
    scores = _model(rng, y, k, 1.0)
    labels, table = _frames(y, scores, [f"c{j}" for j in range(k)])
    report = reportgen.evaluate(labels, table, n_bootstrap=300, seed=5).to_dict()
    assert report["intervals"]["groups"] == 1000
    low, high = report["intervals"]["summary"]["accuracy"]
    acc = report["summary"]["accuracy"]
    se = np.sqrt(acc * (1 - acc) / n)  # the binomial standard error the interval should reflect
    assert low < acc < high
    assert (high - low) == pytest.approx(2 * 1.96 * se, rel=0.25)


def test_no_bootstrap_leaves_intervals_out(pair):
    labels, table = _frames(pair["y"], pair["new"], pair["names"])
    report = reportgen.evaluate(labels, table, n_bootstrap=0).to_dict()
    assert "intervals" not in report and "operating_points" not in report


def test_advice_picks_grid_thresholds(pair):
    labels, table = _frames(pair["y"], pair["new"], pair["names"])
    report = reportgen.evaluate(labels, table, n_bootstrap=0, target_precision=0.8, target_recall=0.7).to_dict()
    grid = report["threshold_grid"]
    for j, name in enumerate(pair["names"]):
        truth, score = pair["y"] == j, pair["new"][:, j]
        f1s = [f1_score(truth, score > t, zero_division=0) for t in grid["thresholds"]]
        advice = report["advice"][name]
        assert advice["max_f1"]["threshold"] == grid["thresholds"][int(np.argmax(f1s))]
        assert advice["max_f1"]["f1"] == pytest.approx(max(f1s), abs=TOL)
        reach = [t for t in grid["thresholds"]
                 if (score > t).sum() and (truth & (score > t)).sum() / (score > t).sum() >= 0.8]
        assert advice["target_precision"]["threshold"] == reach[0]
        keep = [t for t in grid["thresholds"] if (truth & (score > t)).sum() / truth.sum() >= 0.7]
        assert advice["target_recall"]["threshold"] == keep[-1]


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
def test_calibration_matches_scikit_learn(strategy):
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 700)
    p = np.clip(0.6 * y + 0.5 * rng.random(700) - 0.05, 0, 1).round(3)
    labels = pd.DataFrame({"id": range(700), "label": y})
    table = pd.DataFrame({"id": range(700), "score": p})
    report = reportgen.evaluate(labels, table, n_bootstrap=0).to_dict()
    prob_true, prob_pred = calibration_curve(y, p, n_bins=15, strategy=strategy)
    if strategy == "uniform":
        bins = [b for b in report["calibration"]["bins"] if b["count"]]
        assert [b["fraction_positive"] for b in bins] == pytest.approx(prob_true, abs=TOL)
        assert [b["mean_score"] for b in bins] == pytest.approx(prob_pred, abs=TOL)
        edges = np.linspace(0, 1, 16)
        which = np.searchsorted(edges[1:-1], p, side="left")
        counts = np.bincount(which, minlength=15)
        expected = sum(c / 700 * abs(y[which == i].mean() - p[which == i].mean()) for i, c in enumerate(counts) if c)
        assert report["calibration"]["ece"] == pytest.approx(expected, abs=TOL)
    else:
        edges = np.percentile(p, np.linspace(0, 100, 16))
        which = np.searchsorted(edges[1:-1], p, side="left")
        expected = sum(
            (which == i).sum() / 700 * abs(y[which == i].mean() - p[which == i].mean())
            for i in range(15) if (which == i).any()
        )
        assert report["calibration"]["ece_equal_mass"] == pytest.approx(expected, abs=TOL)


def test_class_thresholds_change_the_multilabel_decision():
    rng = np.random.default_rng(4)
    n = 400
    truth = rng.random((n, 2)) < 0.4
    scores = np.clip(truth * 0.3 + rng.random((n, 2)) * 0.7, 0, 1).round(3)
    labels = pd.DataFrame({"id": range(n), "labels": ["|".join(c for c, t in zip("ab", row) if t) for row in truth]})
    table = pd.DataFrame({"id": range(n), "a": scores[:, 0], "b": scores[:, 1]})
    report = reportgen.evaluate(labels, table, n_bootstrap=0, class_thresholds={"a": 0.7}).to_dict()
    a, b = report["per_class"]
    assert a["at_threshold"]["tp"] == int((truth[:, 0] & (scores[:, 0] > 0.7)).sum())
    assert b["at_threshold"]["tp"] == int((truth[:, 1] & (scores[:, 1] > 0.5)).sum())
    assert report["class_thresholds"] == {"a": 0.7, "b": 0.5}
    predicted = scores > np.array([0.7, 0.5])
    assert report["summary"]["macro_f1"] == pytest.approx(
        f1_score(truth, predicted, average="macro", zero_division=0), abs=TOL
    )


def test_edge_lookup_through_float32_bins_equals_searchsorted():
    """Score bins found through each score's float32 bin equal searching every score, with
    scores at, just above and just below the edges, ties, 0, 1 and -0.0, edges that share
    a float32 bin, float32 scores, more than 255 edges, few edges and none; edges spanning
    too many float32 bins for a table are searched."""
    rng = np.random.default_rng(5)
    n = binning.TABLE_ROWS + 1000
    edges = np.unique(np.concatenate([rng.random(300), [0.0, 1e-9, 0.5, np.nextafter(0.5, 1), 0.5 + 1e-12]]))
    near = np.concatenate([edges, np.nextafter(edges, 0), np.nextafter(edges, 2)])
    scores = np.concatenate([rng.random(n // 2), np.round(rng.random(n // 4), 3), rng.choice(near, n - n // 2 - n // 4)])
    scores = np.clip(np.concatenate([scores, [0.0, -0.0, 1.0]]), -0.0, 1.0)
    assert len(edges) > 255
    tabled = {}
    single = scores.astype(np.float32)
    for name, e in {"from 0": edges, "from 1e-9": edges[1:], "every 7th": edges[1::7], "10": edges[100:110],
                    "20": edges[100:120]}.items():
        lookup = EdgeLookup(e)
        np.testing.assert_array_equal(lookup(scores), np.searchsorted(e, scores, side="left"))
        np.testing.assert_array_equal(lookup(single), np.searchsorted(e, single, side="left"))
        tabled[name] = lookup.table is not None
    # a table for enough edges in a narrow enough span; none for few edges, or edges from 0 (every bin)
    assert tabled == {"from 0": False, "from 1e-9": True, "every 7th": True, "10": False, "20": True}
    np.testing.assert_array_equal(EdgeLookup(edges[:0])(scores), np.zeros(len(scores), dtype=np.int64))
    wide = EdgeLookup(np.r_[0.0, np.geomspace(1e-30, 1.0, 19)])
    np.testing.assert_array_equal(wide(scores), np.searchsorted(wide.edges, scores, side="left"))
    assert wide.table is None


def test_chunk_totals_equal_a_bin_counter():
    """One chunk's binned counts without the dense counter equal ``BinCounter``'s: counts,
    their types, the bins in use and the exact counts above every anchor, weighted (zero
    weights too) or not, float32 or float64 scores, scores on the anchors, no rows."""
    rng = np.random.default_rng(1)
    anchors = np.unique(np.r_[np.linspace(0, 1, 101), 0.5, 0.3333, np.nextafter(0.5, 1)])
    for trial in range(120):
        n = 0 if trial == 0 else int(rng.integers(1, 3000))
        s = rng.random(n) ** rng.uniform(0.2, 8)
        if trial % 3 == 0:
            s[: n // 3] = rng.choice(anchors, n // 3)
        if trial % 5 == 0:
            s = s.astype(np.float32)
        y = rng.random(n) < rng.random()
        w = None if trial % 2 else rng.random(n) * (rng.random(n) < 0.8)
        counter = BinCounter(anchors, weighted=w is not None)
        counter.add(y, s, w)
        for want, got in zip(counter.totals(), chunk_totals(anchors, y, s, w)):
            assert want.dtype == got.dtype
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-9)


def test_two_score_counts_merge_as_the_sort_of_every_part():
    """Two parts merged by finding one's scores among the other's equal the stable sort of
    both (the path of three or more parts): shared scores, disjoint ones, empty parts,
    counts or sums of weights."""
    rng = np.random.default_rng(7)
    for trial in range(300):
        weighted = trial % 2 == 0

        def part() -> ScoreCounts:
            scores = np.unique(np.round(rng.random(int(rng.integers(0, 60))), int(rng.integers(1, 4))))
            if weighted:
                return ScoreCounts(scores, rng.random(len(scores)), rng.random(len(scores)))
            return ScoreCounts(scores, rng.integers(0, 5, len(scores)), rng.integers(0, 5, len(scores)))

        a, b = part(), part()
        empty = ScoreCounts(np.empty(0), np.empty(0, dtype=a.pos.dtype), np.empty(0, dtype=a.pos.dtype))
        two, sorted_ = ScoreCounts.combine([a, b]), ScoreCounts.combine([a, b, empty])
        for got, want in ((two.scores, sorted_.scores), (two.pos, sorted_.pos), (two.neg, sorted_.neg)):
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got, want)

