"""Every number means what its label says: a binary page is about its positive class, a
multilabel page about exact match and label decisions, and one label is one number.

scikit-learn is the oracle; pages are read as HTML (BeautifulSoup) at their initial state.
"""
from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from sklearn.metrics import accuracy_score, f1_score, hamming_loss, precision_recall_fscore_support

import reportgen
from conftest import softmax_scores
from reportgen.analysis.attention import attention
from reportgen.report.markdown import summary_markdown
from reportgen.report.page import PageMeta, render_page

ROOT = Path(__file__).resolve().parent.parent


def _fraud(n: int = 3000, seed: int = 11, weighted: bool = True):
    """A fraud model: 11% positives, "fraud" the positive class though "legit" sorts last
    (scikit-learn's default would take "legit"), scores tied on a coarse grid, weights."""
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.11
    p = np.round(1 / (1 + np.exp(-(np.where(y, 1.2, -1.4) + rng.normal(0, 1.3, n)))), 2)  # ties, and at 0.5
    region = np.where(rng.random(n) < 0.12, "overseas", np.where(rng.random(n) < 0.5, "north", "south"))
    weight = np.round(rng.uniform(0.5, 2.0, n), 2) if weighted else np.ones(n)
    labels = pd.DataFrame({"id": range(n), "label": np.where(y, "fraud", "legit"), "w": weight})
    scores = pd.DataFrame({"id": range(n), "fraud": p})
    return labels, scores, np.where(y, "fraud", "legit"), p, weight, region


def _soup(report: dict) -> BeautifulSoup:
    return BeautifulSoup(render_page(report, PageMeta(title="t")), "html.parser")


def _tiles(soup: BeautifulSoup) -> list[tuple[str, str, str]]:
    """(data-tile, label, value text) of every headline tile, in order."""
    return [(t["data-tile"], t.select_one(".tile-label").get_text(strip=True),
             t.select_one("[data-tile-value]").get_text(strip=True)) for t in soup.select("[data-tile]")]


# ---------------------------------------------------------------- binary


@pytest.mark.parametrize("threshold", [0.5, 0.3])
def test_binary_tiles_are_the_named_positive_class_as_scikit_learn_binary(threshold):
    labels, scores, y, p, w, _ = _fraud()
    report = reportgen.evaluate(labels, scores, positive_class="fraud", weight_column="w", threshold=threshold,
                                n_bootstrap=0).to_dict()
    predicted = np.where(p > threshold, "fraud", "legit")
    expected = precision_recall_fscore_support(y, predicted, pos_label="fraud", average="binary", sample_weight=w)[:3]
    tiles = _tiles(_soup(report))
    assert [t[0] for t in tiles[:3]] == ["precision", "recall", "f1"]
    assert [t[1] for t in tiles[:3]] == ["Precision (fraud)", "Recall (fraud)", "F1 (fraud)"]
    assert [t[2] for t in tiles[:3]] == [f"{v:.3f}" for v in expected]
    assert [report["summary"][k] for k in ("precision", "recall", "f1")] == pytest.approx(expected, abs=1e-12)
    assert not {"macro_precision", "macro_recall", "macro_f1"} & {t[0] for t in tiles}  # macro: in the table
    macro = f1_score(y, predicted, average="macro", sample_weight=w)
    assert abs(macro - expected[2]) > 0.05  # the two F1s differ here: the test tells them apart


def test_binary_markdown_and_email_headline_the_positive_class():
    from reportgen.report.email import _subject
    from reportgen.report.page import headline_tiles

    labels, scores, *_ = _fraud()
    report = reportgen.evaluate(labels, scores, positive_class="fraud", weight_column="w", n_bootstrap=0).to_dict()
    text = summary_markdown(report)
    headline = text[text.index("### Headline metrics"):]
    first = [line.split("|")[1].strip() for line in headline.splitlines() if line.startswith("| ") and "---" not in line][1:4]  # after the header
    assert first == ["Precision (fraud)", "Recall (fraud)", "F1 (fraud)"]
    assert f"| F1 (fraud) | {report['summary']['f1']:.3f} |" in text
    assert [t["label"] for t in headline_tiles(report)[:3]] == ["Precision (fraud)", "Recall (fraud)", "F1 (fraud)"]
    assert _subject(report, "Fraud").startswith(f"Fraud · F1 (fraud) {report['summary']['f1']:.3f}")
    from reportgen.report.notebook import notebook_html

    line = BeautifulSoup(notebook_html(report), "html.parser").select_one("[data-reportgen-headline]")
    assert line.select_one('[data-metric="f1"]').text == f"F1 (fraud) {report['summary']['f1']:.3f}"


def test_binary_attention_is_the_positive_class():
    labels, scores, y, p, w, _ = _fraud(weighted=False)
    report = reportgen.evaluate(labels, scores, positive_class="fraud", n_bootstrap=0).to_dict()
    (row,) = report["attention"]
    predicted = p > 0.5
    assert row["class"] == "fraud"
    assert row["misses"] == int(np.sum((y == "fraud") & ~predicted))
    assert row["false_alarms"] == int(np.sum((y == "legit") & predicted))
    assert row["errors"] == row["misses"] + row["false_alarms"]
    assert row["f1"] == pytest.approx(f1_score(y, np.where(predicted, "fraud", "legit"), pos_label="fraud"))
    soup = _soup(report)
    assert [r["data-attention"] for r in soup.select("tr[data-attention]")] == ["fraud"]
    assert "Single-label" not in soup.select_one("#attention-note").text


def test_binary_slice_counts_are_the_positive_class(tmp_path):
    labels, scores, y, p, _, region = _fraud(weighted=False)
    labels.drop(columns="w").to_csv(tmp_path / "l.csv", index=False)
    scores.to_csv(tmp_path / "s.csv", index=False)
    pd.DataFrame({"id": range(len(y)), "region": region}).to_csv(tmp_path / "m.csv", index=False)
    report = reportgen.evaluate_files(tmp_path / "l.csv", tmp_path / "s.csv", positive_class="fraud",
                                      metadata=tmp_path / "m.csv", slice_by=["region"], n_bootstrap=0,
                                      threshold=0.4).to_dict()
    soup = _soup(report)
    predicted = p > 0.4
    differ = 0
    for index, entry in enumerate(report["slices"]):
        inside = region == entry["value"][0]
        direct = {"tp": int(np.sum(inside & (y == "fraud") & predicted)),
                  "fp": int(np.sum(inside & (y == "legit") & predicted)),
                  "fn": int(np.sum(inside & (y == "fraud") & ~predicted))}
        assert entry["counts"] == direct
        at = report["threshold_grid"]["thresholds"].index(0.4)
        assert {k: v[at] for k, v in entry["grid"].items()} == direct  # the slider's counts at the same threshold
        row = soup.select_one(f'tr[data-slice-index="{index}"]')
        assert {k: row.select_one(f'td[data-slice-metric="{k}"]').text for k in direct} == {
            k: str(v) for k, v in direct.items()}
        differ += direct["fp"] != direct["fn"]
    assert differ == len(report["slices"]) == 3  # summed over both classes FP would equal FN
    assert "positive class's (fraud)" in soup.select_one("#slices").text


# ---------------------------------------------------------------- the table's average row


def _column_means_hold(soup: BeautifulSoup) -> int:
    """Checks that every cell of the table's last row is the mean of its column as shown
    (classes with a value; the column found by position); returns how many it checked."""
    footer = soup.select_one("#summary-table tfoot tr").find_all(["th", "td"], recursive=False)
    rows = [tr.find_all(["th", "td"], recursive=False) for tr in soup.select("#summary-table tbody tr")]
    checked = 0
    for index, td in enumerate(footer):
        if not td.has_attr("data-macro"):
            assert td.text.strip() == "" or td.name == "th", td  # a count: not averaged, left empty
            continue
        values = [float(row[index]["data-value"]) for row in rows if row[index].get("data-value", "") != ""]
        mean = sum(values) / len(values)
        shown = float(td.text.replace("−", "-"))  # three decimals, signed for the changes
        assert abs(shown - mean) <= 5e-4 + 1e-12, (td["data-macro"], shown, mean)
        checked += 1
    return checked


def _multiclass_report(**options) -> dict:
    ex = ROOT / "examples" / "multiclass"
    return reportgen.evaluate_files(ex / "labels.csv", ex / "scores.csv", n_bootstrap=0, **options).to_dict()


def _multilabel(n: int = 600, seed: int = 2):
    rng = np.random.default_rng(seed)
    names = ["politics", "sports", "tech", "rare"]
    truth = rng.random((n, 4)) < [0.4, 0.35, 0.2, 0.03]
    truth[:, 1] |= truth[:, 0] & (rng.random(n) < 0.4)  # labels that co-occur
    p = np.clip(0.5 * truth + rng.normal(0.25, 0.2, (n, 4)), 0, 1).round(3)
    joined = ["|".join(c for c, t in zip(names, row) if t) for row in truth]
    labels = pd.DataFrame({"id": range(n), "labels": joined})
    scores = pd.DataFrame({"id": range(n), **{c: p[:, j] for j, c in enumerate(names)}})
    return labels, scores, truth, p


def test_average_rows_are_the_means_of_their_columns():
    labels, scores, *_ = _fraud()
    binary = reportgen.evaluate(labels, scores, positive_class="fraud", weight_column="w", n_bootstrap=0).to_dict()
    soup = _soup(binary)
    assert _column_means_hold(soup) == 5  # ROC AUC, AP, recall, precision, F1
    ap = [c["average_precision"] for c in binary["per_class"]]
    assert soup.select_one('td[data-macro="average_precision"]').text == f"{np.mean(ap):.3f}"
    assert abs(np.mean(ap) - binary["summary"]["average_precision_macro"]) > 0.05  # the positive class's AP differs
    assert _column_means_hold(_soup(_multiclass_report())) == 8  # with the highest-score columns
    with_baseline = _multiclass_report(baseline=ROOT / "examples" / "multiclass" / "baseline_scores.csv")
    assert _column_means_hold(_soup(with_baseline)) == 10  # and the changes against the baseline
    ml_labels, ml_scores, *_ = _multilabel()
    assert _column_means_hold(_soup(reportgen.evaluate(ml_labels, ml_scores, multilabel=True, n_bootstrap=0)
                                    .to_dict())) == 5


# ---------------------------------------------------------------- multilabel


def test_multilabel_tiles_are_exact_match_and_the_hamming_score():
    labels, scores, truth, p = _multilabel()
    report = reportgen.evaluate(labels, scores, multilabel=True, n_bootstrap=0).to_dict()
    predicted = p > 0.5
    tiles = {key: (label, value) for key, label, value in _tiles(_soup(report))}
    exact, hamming = accuracy_score(truth, predicted), 1 - hamming_loss(truth, predicted)
    assert tiles["subset_accuracy"] == ("Exact-match accuracy", f"{exact:.3f}")
    assert tiles["accuracy"] == ("Hamming score", f"{hamming:.3f}")
    assert report["summary"]["subset_accuracy"] == pytest.approx(exact)
    assert report["summary"]["accuracy"] == pytest.approx(hamming)
    assert abs(exact - hamming) > 0.1


def test_multilabel_page_says_what_it_counts():
    labels, scores, truth, p = _multilabel()
    report = reportgen.evaluate(labels, scores, multilabel=True, n_bootstrap=0).to_dict()
    soup = _soup(report)
    note = soup.select_one("#attention-note").text
    assert "Single-label" not in note and "highest score" not in note
    headers = [th.text for th in soup.select("#attention-table thead th")]
    assert "most often predicted as" not in headers and {"misses", "false alarms"} <= set(headers)
    predicted = p > 0.5
    names = report["classes"]
    for row in report["attention"]:
        j = names.index(row["class"])
        assert row["misses"] == int(np.sum(truth[:, j] & ~predicted[:, j]))
        assert row["false_alarms"] == int(np.sum(~truth[:, j] & predicted[:, j]))
    confusion = soup.select_one("#figure-confusion figcaption").text
    assert "co-occurrence" in confusion and "not confusion" in confusion


# ---------------------------------------------------------------- one label, one number


def _labelled_values(soup: BeautifulSoup) -> dict[tuple[str, str], set[str]]:
    """(class, label) -> the values shown under that label for that class, over the
    attention and the per-class tables; a column's label is its header's whole text."""
    seen: dict[tuple[str, str], set[str]] = defaultdict(set)
    for table in soup.select("#attention-table, #summary-table"):
        headers = [th.get_text(strip=False).strip() for th in table.select("thead tr:last-child th")]
        for tr in table.select("tbody tr"):
            cells = tr.find_all(["th", "td"], recursive=False)
            name = cells[0].get_text(strip=True)
            for label, cell in zip(headers[1:], cells[1:]):
                if label.split(" ")[0] in ("F1", "precision", "recall"):
                    seen[(name, " ".join(label.split()))].add(cell.get_text(strip=True))
    return seen


@pytest.mark.parametrize("options", [{}, {"threshold": 0.3}])
def test_multiclass_page_has_one_number_per_class_and_label(options):
    report = _multiclass_report(**options)
    soup = _soup(report)
    seen = _labelled_values(soup)
    assert [key for key, values in seen.items() if len(values) > 1] == []
    # the highest-score F1 and the one-vs-rest F1 at the threshold differ for some class, under different labels
    labels = {label for _, label in seen}
    assert {"F1", "F1 (highest score)", "F1 at threshold (one-vs-rest)"} <= labels
    differ = [c["class"] for c in report["per_class"] if f"{c['f1']:.3f}" != f"{c['at_threshold']['f1']:.3f}"]
    assert differ
    for name in differ:
        assert seen[(name, "F1 (highest score)")] != seen[(name, "F1 at threshold (one-vs-rest)")]
        if (name, "F1") in seen:  # the attention table's F1 is the highest-score decision's
            assert seen[(name, "F1")] == seen[(name, "F1 (highest score)")]
    # the tiles' macro values are the means of the highest-score columns as shown
    tiles = {key: value for key, _, value in _tiles(soup)}
    for tile, column in (("macro_f1", "decision_f1"), ("macro_precision", "decision_precision"),
                         ("macro_recall", "decision_recall")):
        values = [float(c["data-value"]) for c in soup.select(f'#summary-table tbody td[data-metric="{column}"]')]
        assert tiles[tile] == f"{np.mean(values):.3f}" == soup.select_one(f'td[data-macro="{column}"]').text


def test_attention_columns_are_misses_and_false_alarms_under_argmax():
    rng = np.random.default_rng(8)
    k, n = 6, 400
    y = rng.integers(0, k, n)
    y[:4] = 5  # a class of 4 examples
    y[4:] = np.where(y[4:] == 5, 0, y[4:])
    p = softmax_scores(rng, y, k, 1.0)
    p[rng.random(n) < 0.05, 5] += 3.0  # predicted as the rare class now and then
    p /= p.sum(axis=1, keepdims=True)
    names = [f"c{j}" for j in range(k)]
    report = reportgen.evaluate(pd.DataFrame({"id": range(n), "label": np.array(names)[y]}),
                                pd.DataFrame({"id": range(n), **{c: p[:, j] for j, c in enumerate(names)}}),
                                n_bootstrap=0).to_dict()
    predicted = p.argmax(axis=1)
    for row in attention(report, limit=k):
        j = names.index(row["class"])
        assert row["misses"] == int(np.sum((y == j) & (predicted != j)))
        assert row["false_alarms"] == int(np.sum((y != j) & (predicted == j)))
    rare = next(r for r in report["attention"] if r["class"] == "c5")
    assert rare["support"] == 4 and rare["misses"] <= 4 < rare["false_alarms"]


def test_every_page_column_note_names_its_columns():
    soup = _soup(_multiclass_report())
    note = soup.select_one("#attention-note").text
    assert "Misses: examples of the class predicted as another class" in note
    assert "false alarms: examples of other classes predicted as this one" in note
    assert "Errors" not in note
    table = soup.select_one("#table-columns").text
    assert "highest score" in table and "one-vs-rest" in table and "mean of each ratio column" in table
    groups = [th.get_text(strip=True) for th in soup.select("#summary-table tr.groups th")]
    assert groups == ["highest score", "one-vs-rest at threshold 0.5"]
    assert math.isfinite(float(soup.select_one('td[data-macro="f1"]').text))
