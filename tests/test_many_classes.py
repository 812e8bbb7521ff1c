"""Many classes: the pooled per-class counts, the bootstrap's bounded product, the attention list."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

import reportgen
from reportgen.analysis import bootstrap
from reportgen.stats import ScoreCounts, calibration_edges


def _auc(counts: ScoreCounts) -> float:
    """Mann-Whitney from counts: pairs ranked right, ties counting one half."""
    below = np.cumsum(counts.neg) - counts.neg
    return float(np.sum(counts.pos * (below + 0.5 * counts.neg)) / (counts.n_pos * counts.n_neg))


def _ap(counts: ScoreCounts) -> float:
    tps, fps = np.cumsum(counts.pos[::-1]), np.cumsum(counts.neg[::-1])
    recall = tps / tps[-1]
    return float(np.sum(np.diff(recall, prepend=0.0) * tps / (tps + fps)))


@pytest.mark.parametrize("decimals", [2, 6, None])
def test_pooled_counts_keep_every_number(decimals):
    rng = np.random.default_rng(3)
    n = 5000
    truth = rng.random(n) < 0.01
    score = np.where(truth, rng.beta(3, 2, n), rng.beta(1, 8, n))
    if decimals is not None:
        score = np.round(score, decimals)
    score[:7] = 0.5  # rows exactly at an anchor
    score[7:9] = np.nextafter(0.5, 0)  # and right beside it
    anchors = np.union1d(np.round(np.linspace(0, 1, 101), 10), calibration_edges())
    full = ScoreCounts.from_arrays(truth, score)
    pooled = ScoreCounts.pooled(truth, score, anchors)
    assert len(pooled.scores) < len(full.scores) / 4 or len(full.scores) < 400
    assert np.all(np.diff(pooled.scores) > 0)
    assert (pooled.n_pos, pooled.n_neg) == (int(truth.sum()), int((~truth).sum()))
    for got, want in zip(pooled.above(anchors), full.above(anchors)):
        assert (got == want).all()
    assert _auc(pooled) == pytest.approx(roc_auc_score(truth, score), abs=1e-12)
    assert _ap(pooled) == pytest.approx(average_precision_score(truth, score), abs=1e-12)
    edges = calibration_edges()
    for counts in (full, pooled):
        which = np.searchsorted(edges[1:-1], counts.scores, side="left")
        totals = np.bincount(which, weights=counts.pos + counts.neg, minlength=15)
        sums = np.bincount(which, weights=counts.scores * (counts.pos + counts.neg), minlength=15)
        expected = np.bincount(np.searchsorted(edges[1:-1], score, side="left"), weights=score, minlength=15)
        assert totals.sum() == n and sums == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_bootstrap_product_is_bounded_at_many_classes():
    few = bootstrap.plan(1000, 0, n_classes=20)
    many = bootstrap.plan(1000, 0, n_classes=1000)
    huge = bootstrap.plan(1000, 0, n_classes=10_000)
    assert few.n_groups == bootstrap.MAX_GROUPS
    assert bootstrap.MIN_GROUPS <= many.n_groups < few.n_groups
    assert 1000 * many.n_groups * bootstrap.sum_columns(1000) <= bootstrap.PRODUCT_BUDGET
    assert huge.n_groups == bootstrap.MIN_GROUPS
    assert bootstrap.rank_bins(1000) == bootstrap.MIN_BINS and bootstrap.rank_bins(20) == 200


def _many(k: int = 300, n: int = 3000, seed: int = 5):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    logits = rng.standard_normal((n, k))
    logits[np.arange(n), y] += 3.5
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    names = [f"c{j:03d}" for j in range(k)]
    labels = pd.DataFrame({"id": np.arange(n).astype(str), "label": np.array(names)[y]})
    scores = pd.DataFrame({"id": np.arange(n).astype(str), **{c: p[:, j] for j, c in enumerate(names)}})
    return y, p, names, labels, scores


def test_attention_lists_the_worst_classes_with_their_confusions():
    y, p, names, labels, scores = _many()
    report = reportgen.evaluate(labels, scores, n_bootstrap=0).to_dict()
    pred = p.argmax(axis=1)
    listed = report["attention"]
    assert 0 < len(listed) <= 10
    f1 = {c["class"]: c["f1"] for c in report["per_class"]}
    support = {c["class"]: c["support"] for c in report["per_class"]}
    worst = sorted((v, n) for n, v in f1.items() if support[n] > 0)[: len(listed)]
    assert [c["f1"] for c in listed] == [v for v, _ in worst]
    for entry in listed:
        j = names.index(entry["class"])
        misses = int(np.sum((y == j) & (pred != j)))
        alarms = int(np.sum((y != j) & (pred == j)))
        assert entry["errors"] == misses + alarms and entry["support"] == int(np.sum(y == j))
        wrong = pred[(y == j) & (pred != j)]
        if len(wrong) == 0:
            assert entry["confused_with"] is None
            continue
        counts = np.bincount(wrong, minlength=len(names))
        assert entry["confused_with"]["predicted"] == names[int(np.argmax(counts))]
        assert entry["confused_with"]["count"] == int(counts.max())
        assert entry["confused_with"]["share_of_actual"] == pytest.approx(counts.max() / np.sum(y == j))


def test_many_class_intervals_cover_the_exact_values():
    y, p, names, labels, scores = _many(k=120, n=2400)
    report = reportgen.evaluate(labels, scores, n_bootstrap=200).to_dict()
    intervals = report["intervals"]
    for metric in ("accuracy", "macro_f1", "roc_auc_macro", "log_loss"):
        low, high = intervals["summary"][metric]
        assert low <= report["summary"][metric] <= high and high - low > 0, metric
    inside = [lo <= c["roc_auc"] <= hi for c in report["per_class"] if c["roc_auc"] is not None
              for lo, hi in [intervals["roc_auc"][c["class"]]]]
    assert np.mean(inside) > 0.95


def test_email_lists_the_worst_classes_past_thirty():
    from reportgen.report.email import EMAIL_CLASSES, build_message

    _, _, _, labels, scores = _many(k=80, n=800)
    report = reportgen.evaluate(labels, scores, n_bootstrap=0).to_dict()
    message = build_message(report, "<html></html>")
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    worst = sorted(report["per_class"], key=lambda c: c["at_threshold"]["f1"])
    shown = [c["class"] for c in report["per_class"] if f">{c['class']}</td>" in html]
    assert sorted(shown) == sorted(c["class"] for c in worst[:EMAIL_CLASSES])
    assert f"lowest F1 of {len(report['per_class'])}" in html and "lowest F1 of 80" in text


def test_the_pages_table_without_scripts_holds_the_lowest_f1_it_shows():
    """Past 60 classes the HTML table holds the 50 classes with the lowest F1 and the 10
    with the highest, by the F1 the table shows (at the threshold), worst first."""
    from bs4 import BeautifulSoup

    from reportgen.report.page import PageMeta, render_page

    _, _, _, labels, scores = _many(k=120, n=2400)
    report = reportgen.evaluate(labels, scores, n_bootstrap=0).to_dict()
    html = BeautifulSoup(render_page(report, PageMeta(title="many"), lambda r: {"charts": [], "splits_svg": None, "history_svgs": []}), "html.parser")
    rows = html.select("#summary-table tbody tr[data-class]")
    shown = [float(r.select_one('td[data-metric="f1"]')["data-value"]) for r in rows]
    every = sorted((c["at_threshold"]["f1"] for c in report["per_class"] if c["support"] > 0))
    assert len(rows) == 60 and shown[:50] == pytest.approx(every[:50], abs=0)
    assert sorted(shown[50:], reverse=True) == pytest.approx(sorted(every, reverse=True)[:10], abs=0)


def test_a_thousand_class_page_bounds_the_operating_points_and_churn_tables():
    """Past 60 classes the matched operating points table lists the 60 classes with the
    worst change against the baseline (the lower of a class's two), worst first, and the
    per-class churn table the 60 with the most broken examples, most first; each says how
    many it leaves out and where all of them are. Up to 60 classes both list every class."""
    from bs4 import BeautifulSoup

    from reportgen.report.page import PageMeta, render_page

    def page(report):
        no_charts = lambda r: {"charts": [], "splits_svg": None, "history_svgs": []}  # noqa: E731
        return BeautifulSoup(render_page(report, PageMeta(title="many"), no_charts), "html.parser")

    def tables(html):
        ops = [r.th.text for r in html.select("#operating-points tbody tr")]
        churn = [r.td.text for r in html.select('#churn div[aria-label="Churn per class"] tbody tr')]
        return ops, churn

    _, _, names, labels, scores = _many(k=1000, n=4000, seed=5)
    _, _, _, _, other = _many(k=1000, n=4000, seed=6)
    report = reportgen.evaluate(labels, scores, baseline=other, n_bootstrap=20).to_dict()
    html = page(report)
    ops, churn = tables(html)

    def worst(entry):
        changes = [entry[k]["delta"] for k in ("recall_at_precision", "precision_at_recall")
                   if entry[k]["delta"] is not None]
        return (not changes, min(changes, default=0.0))

    per_class = report["operating_points"]["per_class"]
    assert ops == sorted(per_class, key=lambda name: worst(per_class[name]))[:60]
    broken = report["churn"]["per_class"]
    assert churn == sorted(broken, key=lambda name: -broken[name]["broken"])[:60]
    assert broken[churn[0]]["broken"] > broken[churn[-1]]["broken"] >= max(
        broken[n]["broken"] for n in names if n not in churn)
    ops_note = html.select_one("#operating-points p.note").text
    assert "the other 940 of the 1,000 classes are left out here" in ops_note
    assert "operating_points.per_class" in ops_note
    churn_note = html.select_one("#churn-classes-note").text
    assert churn_note.startswith("The 60 classes with the most broken examples, most first; the other 940 of the "
                                 "1,000 classes are left out here") and "churn.per_class" in churn_note

    _, _, few_names, few_labels, few_scores = _many(k=60, n=600, seed=5)
    _, _, _, _, few_other = _many(k=60, n=600, seed=6)
    few = page(reportgen.evaluate(few_labels, few_scores, baseline=few_other, n_bootstrap=20).to_dict())
    assert tables(few) == (few_names, few_names)
    assert few.select_one("#churn-classes-note") is None
    assert "left out" not in few.select_one("#operating-points p.note").text
