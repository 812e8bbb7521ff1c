"""Hard-label predictions: label-only reports and predictions beside scores.

scikit-learn is the oracle for every decision metric (classification_report's precision,
recall, F1 and support, the confusion matrix, MCC, Cohen's kappa, balanced accuracy,
Hamming loss and subset accuracy) on binary, multiclass and multilabel hard labels.
"""
from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    classification_report,
    cohen_kappa_score,
    confusion_matrix,
    f1_score,
    hamming_loss,
    matthews_corrcoef,
    multilabel_confusion_matrix,
    precision_recall_fscore_support,
    roc_auc_score,
)
from sklearn.utils.multiclass import unique_labels

import reportgen
from conftest import run_reportgen, softmax_scores
from reportgen.errors import InputError
from reportgen.matrices import confusion_cells
from reportgen.report.json import check as check_schema

TOL = 1e-9
SCORE_KEYS = ("roc_auc_macro", "average_precision_macro", "log_loss", "brier_score")
SCORE_SECTIONS = ("curves", "threshold_grid", "calibration", "advice", "probability_matrix")


def _ids(n: int) -> list[str]:
    return [f"id{i:04d}" for i in range(n)]


def _frames(y, predicted, column: str = "label", shuffle: int | None = 1):
    """Labels and predictions frames, the predictions in another row order."""
    n = len(y)
    labels = pd.DataFrame({"id": _ids(n), column: y})
    order = np.random.default_rng(shuffle).permutation(n) if shuffle is not None else np.arange(n)
    predictions = pd.DataFrame({"id": np.array(_ids(n))[order], "predicted": np.asarray(predicted, dtype=object)[order]})
    return labels, predictions


def _close(got, expected, what: str) -> None:
    assert got is not None, what
    assert abs(got - expected) <= TOL, f"{what}: {got!r} != {expected!r}"


def _report_of(y, predicted, **options) -> dict:
    labels, predictions = _frames(y, predicted)
    report = reportgen.evaluate(labels, predictions=predictions, n_bootstrap=0, **options).to_dict()
    check_schema(report)
    return report


def _check_single_label(report: dict, y: np.ndarray, p: np.ndarray) -> None:
    """Every decision number of a single-label report against scikit-learn (y, p: class names)."""
    classes = report["classes"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "y_pred contains classes not in y_true" is the case under test
        assert sorted(classes) == sorted(unique_labels(y, p).tolist())
        table = classification_report(y, p, labels=classes, output_dict=True, zero_division=0)
        summary = report["summary"]
        _close(summary["accuracy"], accuracy_score(y, p), "accuracy")
        _close(summary["macro_precision"], table["macro avg"]["precision"], "macro precision")
        _close(summary["macro_recall"], table["macro avg"]["recall"], "macro recall")
        _close(summary["macro_f1"], table["macro avg"]["f1-score"], "macro F1")
        _close(summary["weighted_f1"], table["weighted avg"]["f1-score"], "weighted F1")
        _close(summary["micro_f1"], f1_score(y, p, labels=classes, average="micro", zero_division=0), "micro F1")
        _close(summary["mcc"], matthews_corrcoef(y, p), "MCC")
        _close(summary["cohen_kappa"], cohen_kappa_score(y, p, labels=classes), "kappa")
        present = [c for c in classes if c in set(y)]
        recalls = precision_recall_fscore_support(y, p, labels=present, zero_division=0)[1]
        _close(summary["balanced_accuracy"], float(np.mean(recalls)), "balanced accuracy")
        if set(p) <= set(y):
            _close(summary["balanced_accuracy"], balanced_accuracy_score(y, p), "balanced accuracy (sklearn)")
    for entry in report["per_class"]:
        row = table[entry["class"]]
        assert entry["support"] == row["support"]
        for key, theirs in (("precision", "precision"), ("recall", "recall"), ("f1", "f1-score")):
            _close(entry[key], row[theirs], f"{entry['class']} {key}")
            _close(entry["at_threshold"][key], row[theirs], f"{entry['class']} at_threshold {key}")
        assert entry["roc_auc"] is None and entry["average_precision"] is None
    assert _dense_confusion(report) == confusion_matrix(y, p, labels=classes).tolist()


def _dense_confusion(report: dict) -> list[list[int]]:
    """The confusion matrix as a dense list of rows, from its dense or its sparse (many-class) form."""
    k = len(report["classes"])
    dense = np.zeros((k, k), dtype=np.int64)
    actual, predicted, count = confusion_cells(report["confusion_matrix"])
    dense[actual, predicted] = count
    return dense.tolist()


def _check_label_only_shape(report: dict) -> None:
    assert report["inputs"] == {"kind": "labels", "scores_are": "probabilities", "weighted": False, "count_digits": 0}
    for key in SCORE_KEYS:
        assert key in report["summary"] and report["summary"][key] is None, key
    assert report["summary"]["top_k_accuracy"] == {"3": None, "5": None}
    for key in SCORE_SECTIONS:
        assert key not in report, key


# ----------------------------------------------------------------------------- the oracle


def test_multiclass_label_only_matches_sklearn() -> None:
    rng = np.random.default_rng(0)
    names = np.array(["cat", "dog", "fish", "owl", "yak", "emu"])
    y = names[rng.integers(0, 6, 700)]
    p = np.where(rng.random(700) < 0.55, y, names[rng.integers(0, 6, 700)])
    report = _report_of(y, p)
    assert report["task"] == "multiclass"
    _check_single_label(report, y, p)
    _check_label_only_shape(report)


def test_an_invented_class_gets_zero_support_and_a_warning() -> None:
    rng = np.random.default_rng(1)
    y = np.array(["a", "b", "c"])[rng.integers(0, 3, 300)]
    p = y.astype(object)
    p[rng.choice(300, 40, replace=False)] = "maybe"  # an LLM answered outside the label set
    p[:5] = "b"
    report = _report_of(y, p)
    assert report["classes"] == ["a", "b", "c", "maybe"]
    _check_single_label(report, y, p)
    invented = next(c for c in report["per_class"] if c["class"] == "maybe")
    assert invented["support"] == 0 and invented["precision"] == 0.0 and invented["at_threshold"]["fp"] == int(np.count_nonzero(p == "maybe")) > 30
    codes = {w["code"]: w["message"] for w in report["warnings"]}
    assert "'maybe'" in codes["predicted_unknown_class"]
    assert "'maybe'" in codes["no_positives"]


@pytest.mark.parametrize("words", [("0", "1"), ("false", "true")])
def test_binary_label_only_matches_sklearn(words) -> None:
    rng = np.random.default_rng(2)
    y01 = (rng.random(500) < 0.3).astype(int)
    p01 = np.where(rng.random(500) < 0.8, y01, 1 - y01)
    y, p = np.array(words)[y01], np.array(words)[p01]
    report = _report_of(y, p)
    assert report["task"] == "binary" and report["classes"] == list(words) and report["positive_class"] == words[1]
    _check_single_label(report, y, p)
    _check_label_only_shape(report)
    positive = report["per_class"][1]
    _close(positive["f1"], f1_score(y01, p01), "positive F1")


def test_binary_predictions_as_01_beside_named_labels() -> None:
    rng = np.random.default_rng(3)
    y01 = (rng.random(400) < 0.4).astype(int)
    p01 = np.where(rng.random(400) < 0.75, y01, 1 - y01)
    y = np.array(["ham", "spam"])[y01]
    report = _report_of(y, p01.astype(str), positive_class="spam")
    assert report["classes"] == ["ham", "spam"] and report["positive_class"] == "spam"
    _check_single_label(report, y, np.array(["ham", "spam"])[p01])


def test_one_row_and_a_constant_prediction() -> None:
    report = _report_of(np.array(["a"]), np.array(["b"]))
    assert report["n_examples"] == 1 and report["classes"] == ["a", "b"]
    _check_single_label(report, np.array(["a"]), np.array(["b"]))
    y = np.array(["a", "b", "c", "a", "b", "c", "a"])
    p = np.array(["a"] * 7)
    report = _report_of(y, p)
    _check_single_label(report, y, p)
    assert any(w["code"] == "never_predicted" for w in report["warnings"])


def test_many_classes_label_only() -> None:
    rng = np.random.default_rng(4)
    names = np.array([f"c{j:03d}" for j in range(120)])
    y = names[rng.integers(0, 120, 5000)]
    p = np.where(rng.random(5000) < 0.5, y, names[rng.integers(0, 120, 5000)])
    report = _report_of(y, p)
    _check_single_label(report, y, p)


def test_numeric_class_names_sort_as_numbers() -> None:
    y = np.array(["2", "10", "1", "2", "10"])
    p = np.array(["2", "1", "1", "10", "10"])
    report = _report_of(y, p)
    assert report["classes"] == ["1", "2", "10"]
    _check_single_label(report, y, p)


def test_multilabel_label_only_matches_sklearn() -> None:
    rng = np.random.default_rng(5)
    names = ["news", "sport", "tech", "art"]
    Y = rng.random((400, 4)) < [0.5, 0.3, 0.2, 0.0]  # art: never labeled
    P = np.where(rng.random((400, 4)) < 0.8, Y, ~Y)
    P[:, 3] = rng.random(400) < 0.05
    join = lambda M: ["|".join(n for n, on in zip(names, row) if on) for row in M]
    labels, predictions = _frames(join(Y), join(P), column="labels")
    report = reportgen.evaluate(labels, predictions=predictions, n_bootstrap=0).to_dict()
    check_schema(report)
    _check_label_only_shape(report)
    assert report["task"] == "multilabel" and report["classes"] == sorted(names)
    order = [names.index(c) for c in report["classes"]]
    Y, P = Y[:, order], P[:, order]
    summary = report["summary"]
    _close(summary["hamming_loss"], hamming_loss(Y, P), "hamming loss")
    _close(summary["accuracy"], 1 - hamming_loss(Y, P), "label-wise accuracy")
    _close(summary["subset_accuracy"], accuracy_score(Y, P), "subset accuracy")
    _close(summary["mcc"], matthews_corrcoef(Y.ravel(), P.ravel()), "flattened MCC")
    assert summary["cohen_kappa"] is None
    for average in ("macro", "micro", "weighted"):
        _close(summary[f"{average}_f1"], f1_score(Y, P, average=average, zero_division=0), f"{average} F1")
    precision, recall, f1, support = precision_recall_fscore_support(Y, P, zero_division=0)
    cells = multilabel_confusion_matrix(Y, P)
    for j, entry in enumerate(report["per_class"]):
        assert entry["support"] == support[j]
        _close(entry["precision"], precision[j], "precision")
        _close(entry["recall"], recall[j], "recall")
        _close(entry["f1"], f1[j], "f1")
        (tn, fp), (fn, tp) = cells[j]
        assert [entry["at_threshold"][k] for k in ("tp", "fp", "fn", "tn")] == [tp, fp, fn, tn]
    balanced = np.mean([(r + tn / (tn + fp)) / 2 for r, ((tn, fp), _) in zip(recall, cells)])
    _close(summary["balanced_accuracy"], balanced, "balanced accuracy")
    co = [[int(np.count_nonzero(Y[:, i] & P[:, j])) for j in range(4)] for i in range(4)]
    assert _dense_confusion(report) == co


# ----------------------------------------------------------------------------- predictions beside scores


def test_with_scores_the_predictions_decide_and_the_scores_rank() -> None:
    rng = np.random.default_rng(6)
    names = ["a", "b", "c", "d"]
    y = rng.integers(0, 4, 600)
    scores = softmax_scores(rng, y, 4, 1.5)
    argmax = scores.argmax(axis=1)
    own = np.where(rng.random(600) < 0.3, rng.integers(0, 4, 600), argmax)  # the model's own rule differs
    labels = pd.DataFrame({"id": _ids(600), "label": np.array(names)[y]})
    score_frame = pd.DataFrame({"id": _ids(600), **{c: scores[:, j] for j, c in enumerate(names)}})
    predictions = pd.DataFrame({"id": _ids(600)[::-1], "predicted": np.array(names)[own][::-1]})
    report = reportgen.evaluate(labels, score_frame, predictions=predictions, n_bootstrap=0).to_dict()
    check_schema(report)
    assert report["inputs"]["kind"] == "both"
    _close(report["summary"]["accuracy"], accuracy_score(y, own), "accuracy from the predictions")
    assert report["summary"]["accuracy"] != accuracy_score(y, argmax)
    assert _dense_confusion(report) == confusion_matrix(y, own).tolist()
    _close(report["summary"]["macro_f1"], f1_score(y, own, average="macro"), "macro F1 from the predictions")
    _close(report["summary"]["roc_auc_macro"],
           np.mean([roc_auc_score(y == j, scores[:, j]) for j in range(4)]), "AUC from the scores")
    for key in ("curves", "threshold_grid", "calibration", "advice"):
        assert key in report
    # the threshold grid still counts the scores (score > t)
    grid = report["threshold_grid"]
    at = grid["thresholds"].index(0.5)
    assert grid["classes"]["a"]["tp"][at] == int(np.count_nonzero((scores[:, 0] > 0.5) & (y == 0)))
    mistakes = report["confident_mistakes"]
    assert mistakes and all(m["predicted"] != m["actual"] for m in mistakes)
    by_id = dict(zip(_ids(600), own))
    assert all(names[by_id[m["id"]]] == m["predicted"] for m in mistakes)


def test_binary_with_scores_follows_the_predictions() -> None:
    rng = np.random.default_rng(7)
    y = (rng.random(300) < 0.5).astype(int)
    p = np.clip(y * 0.3 + rng.random(300) * 0.7, 0, 1)
    own = (p > 0.62).astype(int)  # the model's own threshold, not the report's 0.5
    labels = pd.DataFrame({"id": _ids(300), "label": y})
    frame = pd.DataFrame({"id": _ids(300), "score": p, "predicted": own})
    report = reportgen.evaluate(labels, frame, predictions=frame, n_bootstrap=0).to_dict()
    assert report["task"] == "binary" and report["inputs"]["kind"] == "both"
    _close(report["summary"]["accuracy"], accuracy_score(y, own), "accuracy")
    _close(report["per_class"][1]["f1"], f1_score(y, own), "positive F1")
    _close(report["summary"]["roc_auc_macro"], roc_auc_score(y, p), "AUC")
    assert report["per_class"][1]["at_threshold"]["tp"] == int(np.count_nonzero((p > 0.5) & (y == 1)))


def test_multilabel_with_scores_follows_the_predicted_sets() -> None:
    rng = np.random.default_rng(16)
    names = ["a", "b", "c"]
    Y = rng.random((300, 3)) < 0.4
    scores = np.clip(Y * 0.4 + rng.random((300, 3)) * 0.6, 0, 1)
    P = scores > 0.7  # the model's own rule, not the report's threshold of 0.5
    join = lambda M: ["|".join(n for n, on in zip(names, row) if on) for row in M]
    labels = pd.DataFrame({"id": _ids(300), "labels": join(Y)})
    frame = pd.DataFrame({"id": _ids(300), **{c: scores[:, j] for j, c in enumerate(names)}})
    predictions = pd.DataFrame({"id": _ids(300), "predicted": join(P)})
    report = reportgen.evaluate(labels, frame, predictions=predictions, n_bootstrap=0).to_dict()
    check_schema(report)
    assert report["task"] == "multilabel" and report["inputs"]["kind"] == "both"
    summary = report["summary"]
    _close(summary["hamming_loss"], hamming_loss(Y, P), "hamming loss of the predictions")
    _close(summary["subset_accuracy"], accuracy_score(Y, P), "subset accuracy of the predictions")
    _close(summary["macro_f1"], f1_score(Y, P, average="macro", zero_division=0), "macro F1 of the predictions")
    _close(summary["roc_auc_macro"], np.mean([roc_auc_score(Y[:, j], scores[:, j]) for j in range(3)]), "AUC")
    for j, entry in enumerate(report["per_class"]):  # the table's counts stay the scores' at the threshold
        assert entry["at_threshold"]["tp"] == int(np.count_nonzero((scores[:, j] > 0.5) & Y[:, j]))
        _close(entry["f1"], f1_score(Y[:, j], P[:, j]), "per-class F1 of the predictions")


def test_a_predicted_name_that_is_not_a_score_column_is_an_error() -> None:
    labels = pd.DataFrame({"id": ["x", "y", "z"], "label": ["a", "b", "a"]})
    scores = pd.DataFrame({"id": ["x", "y", "z"], "a": [0.9, 0.2, 0.6], "b": [0.1, 0.8, 0.4]})
    predictions = pd.DataFrame({"id": ["x", "y", "z"], "predicted": ["a", "zebra", "a"]})
    with pytest.raises(InputError) as caught:
        reportgen.evaluate(labels, scores, predictions=predictions)
    text = str(caught.value)
    assert "predictions" in text and "'predicted'" in text and "'y'" in text and "zebra" in text


# ----------------------------------------------------------------------------- baselines, intervals, gate


def _pair(seed: int, n: int = 800):
    rng = np.random.default_rng(seed)
    names = np.array(["a", "b", "c"])
    y = names[rng.integers(0, 3, n)]
    new = np.where(rng.random(n) < 0.8, y, names[rng.integers(0, 3, n)])
    old = np.where(rng.random(n) < 0.6, y, names[rng.integers(0, 3, n)])
    return y, new, old


def _mcnemar_exact(fixed: int, broken: int) -> float:
    from scipy.stats import binomtest

    return binomtest(min(fixed, broken), fixed + broken, 0.5).pvalue if fixed + broken else 1.0


def test_baseline_predictions_churn_mcnemar_and_paired_deltas() -> None:
    y, new, old = _pair(8)
    labels, predictions = _frames(y, new)
    _, baseline = _frames(y, old, shuffle=2)
    report = reportgen.evaluate(labels, predictions=predictions, baseline_predictions=baseline,
                                n_bootstrap=200).to_dict()
    check_schema(report)
    right_new, right_old = new == y, old == y
    churn = report["churn"]
    assert churn["fixed"] == int(np.count_nonzero(right_new & ~right_old))
    assert churn["broken"] == int(np.count_nonzero(~right_new & right_old))
    assert churn["still_right"] == int(np.count_nonzero(right_new & right_old))
    _close(churn["mcnemar_p"], _mcnemar_exact(churn["fixed"], churn["broken"]), "McNemar p")
    assert churn["broken_examples"] and all(b["score"] is None for b in churn["broken_examples"])
    _close(report["deltas"]["summary"]["accuracy"], accuracy_score(y, new) - accuracy_score(y, old), "delta")
    _close(report["baseline"]["summary"]["macro_f1"], f1_score(y, old, average="macro"), "baseline F1")
    low, high = report["intervals"]["deltas"]["accuracy"]
    assert low < report["deltas"]["summary"]["accuracy"] < high
    assert report["intervals"]["deltas"]["log_loss"] is None and report["intervals"]["summary"]["roc_auc_macro"] is None
    assert "operating_points" not in report


def test_a_baseline_given_as_predictions_against_a_scored_model() -> None:
    rng = np.random.default_rng(9)
    names = ["a", "b", "c"]
    y = rng.integers(0, 3, 500)
    scores = softmax_scores(rng, y, 3, 2.0)
    old = np.where(rng.random(500) < 0.6, y, rng.integers(0, 3, 500))
    labels = pd.DataFrame({"id": _ids(500), "label": np.array(names)[y]})
    frame = pd.DataFrame({"id": _ids(500), **{c: scores[:, j] for j, c in enumerate(names)}})
    baseline = pd.DataFrame({"id": _ids(500), "predicted": np.array(names)[old]})
    report = reportgen.evaluate(labels, frame, baseline_predictions=baseline, n_bootstrap=100).to_dict()
    check_schema(report)
    assert report["inputs"]["kind"] == "scores"
    argmax = scores.argmax(axis=1)
    assert report["churn"]["fixed"] == int(np.count_nonzero((argmax == y) & (old != y)))
    _close(report["deltas"]["summary"]["accuracy"], accuracy_score(y, argmax) - accuracy_score(y, old), "delta")
    assert report["deltas"]["summary"]["roc_auc_macro"] is None
    assert report["operating_points"]["per_class"]["a"]["recall_at_precision"]["baseline"] is None


def test_bootstrap_intervals_on_label_only_reports() -> None:
    y, new, _ = _pair(10)
    labels, predictions = _frames(y, new)
    report = reportgen.evaluate(labels, predictions=predictions, n_bootstrap=300).to_dict()
    intervals = report["intervals"]["summary"]
    low, high = intervals["accuracy"]
    assert low < report["summary"]["accuracy"] < high and high - low < 0.1
    assert intervals["log_loss"] is None and intervals["roc_auc_macro"] is None


def test_mistakes_without_scores_take_turns_across_confusions_the_most_common_first() -> None:
    y = np.array(["a"] * 6 + ["b"] * 4)
    p = np.array(["b", "a", "b", "c", "b", "a", "a", "b", "a", "c"])
    labels, predictions = _frames(y, p)
    report = reportgen.evaluate(labels, predictions=predictions, n_bootstrap=0).to_dict()
    listed = [(m["actual"], m["predicted"], m["id"], m["confusion_count"]) for m in report["confident_mistakes"]]
    # a->b three times, b->a twice, a->c and b->c once each: the first of each (ties: the
    # confusion's order), then the second of each, ...; id order within a confusion
    assert listed == [("a", "b", "id0000", 3), ("b", "a", "id0006", 2), ("a", "c", "id0003", 1),
                      ("b", "c", "id0009", 1), ("a", "b", "id0002", 3), ("b", "a", "id0008", 2),
                      ("a", "b", "id0004", 3)]
    page = BeautifulSoup(reportgen.evaluate(labels, predictions=predictions, n_bootstrap=0).to_html(), "html.parser")
    table = page.find("h3", string="Mistakes").find_next("table")
    assert [th.get_text() for th in table.thead.find_all("th")] == ["id", "actual", "predicted",
                                                                   "examples of the confusion"]
    assert [tr.find_all("td")[3].get_text() for tr in table.tbody.find_all("tr")] == ["3", "2", "1", "1", "3", "2", "3"]
    assert all(m["score"] is None for m in report["confident_mistakes"])
    assert report["label_issues"] == []
    cells = {(c["actual"], c["predicted"]): c for c in report["selection"]["cells"]}
    for cell in cells.values():  # in id order, whatever the predictions file's order
        listed = [e["id"] for e in cell["examples"]]
        assert listed == sorted(listed) and len(listed) == cell["count"]
    assert sorted(e["id"] for e in cells[("a", "b")]["examples"]) == ["id0000", "id0002", "id0004"]
    assert all(e["p_actual"] is None for c in cells.values() for e in c["examples"])


def test_slices_and_splits_of_a_label_only_report(tmp_path) -> None:
    y, new, _ = _pair(11, 600)
    labels, predictions = _frames(y, new)
    labels["fold"] = np.arange(600) % 3
    labels.to_csv(tmp_path / "labels.csv", index=False)
    predictions.to_csv(tmp_path / "predictions.csv", index=False)
    group = np.where(np.arange(600) % 2 == 0, "even", "odd")
    pd.DataFrame({"id": _ids(600), "group": group}).to_csv(tmp_path / "meta.csv", index=False)
    report = reportgen.evaluate_files(tmp_path / "labels.csv", predictions=tmp_path / "predictions.csv",
                                      metadata=tmp_path / "meta.csv", slice_by=["group"], split_column="fold",
                                      n_bootstrap=50).to_dict()
    check_schema(report)
    by_id = dict(zip(predictions["id"], predictions["predicted"]))
    truth = dict(zip(labels["id"], labels["label"]))
    for part in report["slices"]:
        ids = [i for i, g in zip(_ids(600), group) if g == part["value"][0]]
        expected = np.mean([by_id[i] == truth[i] for i in ids])
        _close(part["summary"]["accuracy"], expected, f"slice {part['value']}")
        assert part["summary"]["log_loss"] is None and "grid" not in part
    for fold in ("0", "1", "2"):
        ids = [i for i, f in zip(_ids(600), labels["fold"]) if str(f) == fold]
        _close(report["splits"]["per_split"][fold]["summary"]["accuracy"],
               np.mean([by_id[i] == truth[i] for i in ids]), f"split {fold}")


def test_gate_fails_a_rule_on_a_score_metric_of_a_label_only_report(tmp_path) -> None:
    y, new, _ = _pair(12, 200)
    labels, predictions = _frames(y, new)
    labels.to_csv(tmp_path / "labels.csv", index=False)
    predictions.to_csv(tmp_path / "predictions.csv", index=False)
    result = run_reportgen("build", "--labels", tmp_path / "labels.csv", "--predictions", tmp_path / "predictions.csv",
                           "--out", tmp_path / "r.html", "--metrics-json", tmp_path / "m.json", "--no-bootstrap")
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "m.json").read_text())
    assert report["inputs"]["kind"] == "labels"
    ok = run_reportgen("check", tmp_path / "m.json", "--min", "accuracy=0.5")
    assert ok.returncode == 0, ok.stderr
    failed = run_reportgen("check", tmp_path / "m.json", "--min", "accuracy=0.5", "--max", "log_loss=0.4")
    assert failed.returncode == 1
    lines = failed.stderr.strip().splitlines()
    assert len(lines) == 1 and "log_loss" in lines[0] and "label-only" in lines[0] and "Traceback" not in failed.stderr


# ----------------------------------------------------------------------------- the command line


def test_cli_label_only_and_prediction_column_in_the_scores_file(tmp_path) -> None:
    rng = np.random.default_rng(13)
    names = ["a", "b", "c"]
    y = rng.integers(0, 3, 120)
    scores = softmax_scores(rng, y, 3, 2.0)
    own = np.where(rng.random(120) < 0.2, rng.integers(0, 3, 120), scores.argmax(axis=1))
    pd.DataFrame({"id": _ids(120), "label": np.array(names)[y]}).to_csv(tmp_path / "labels.csv", index=False)
    frame = pd.DataFrame({"id": _ids(120), **{c: scores[:, j].round(6) for j, c in enumerate(names)},
                          "decision": np.array(names)[own]})
    frame.to_csv(tmp_path / "scores.csv", index=False)
    result = run_reportgen("build", "--labels", tmp_path / "labels.csv", "--scores", tmp_path / "scores.csv",
                           "--prediction-column", "decision", "--out", tmp_path / "r.html",
                           "--metrics-json", tmp_path / "m.json", "--no-bootstrap")
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "m.json").read_text())
    assert report["inputs"]["kind"] == "both" and report["classes"] == names
    _close(report["summary"]["accuracy"], accuracy_score(y, own), "accuracy")
    page = (tmp_path / "r.html").read_text()
    assert 'id="threshold"' in page and 'id="decisions-note"' in page


def test_label_only_page_has_no_slider_and_one_needs_scores_line(tmp_path) -> None:
    y, new, _ = _pair(14, 300)
    labels, predictions = _frames(y, new)
    labels.to_csv(tmp_path / "labels.csv", index=False)
    predictions.to_csv(tmp_path / "predictions.csv", index=False)
    result = run_reportgen("build", "--labels", tmp_path / "labels.csv", "--predictions", tmp_path / "predictions.csv",
                           "--out", tmp_path / "r.html", "--no-bootstrap")
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "r.html").read_text()
    assert 'id="threshold"' not in page and "need scores" in page
    assert page.count("need scores") == 1
    assert 'data-chart="roc"' not in page and 'data-chart="calibration"' not in page
    assert 'data-chart="confusion"' in page and 'data-chart="counts"' in page
    assert 'data-tile="roc_auc_macro"' not in page and 'data-tile="log_loss"' not in page
    assert 'data-metric="roc_auc"' not in page


def test_duckdb_reads_predictions_as_the_memory_engine(tmp_path) -> None:
    y, new, _ = _pair(15, 30)
    labels, predictions = _frames(y, new)
    labels.to_csv(tmp_path / "labels.csv", index=False)
    predictions.to_csv(tmp_path / "predictions.csv", index=False)
    reports = [reportgen.evaluate_files(tmp_path / "labels.csv", predictions=tmp_path / "predictions.csv",
                                        engine=engine, n_bootstrap=0).to_dict() for engine in ("memory", "duckdb")]
    assert reports[1]["engine"]["name"] == "duckdb" and reports[1]["inputs"]["kind"] == "labels"
    assert reports[1]["summary"] == reports[0]["summary"] and reports[1]["per_class"] == reports[0]["per_class"]
    _close(reports[1]["summary"]["accuracy"], accuracy_score(y, new), "accuracy")


def test_label_only_email_names_no_threshold_and_no_auc(tmp_path) -> None:
    import email

    from reportgen.report.output import write_report

    y, new, old = _pair(17, 200)
    labels, predictions = _frames(y, new)
    _, baseline = _frames(y, old, shuffle=3)
    ev = reportgen.evaluate(labels, predictions=predictions, baseline_predictions=baseline, n_bootstrap=0)
    write_report(ev, html_path=tmp_path / "r.html", eml_path=tmp_path / "r.eml")
    message = email.message_from_bytes((tmp_path / "r.eml").read_bytes())
    texts = {part.get_content_type(): part.get_payload(decode=True).decode("utf-8") for part in message.walk()
             if part.get_content_type() in ("text/plain", "text/html") and not part.get_filename()}
    assert set(texts) == {"text/plain", "text/html"}
    for kind, text in texts.items():
        assert "ROC AUC" not in text and "threshold" not in text.lower(), kind
        shown = f"{accuracy_score(y, new):.3f}"  # one ratio format in both parts
        assert "predicted labels" in text and shown in text, kind
    images = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert len(images) == 1  # the confusion matrix: no curves without scores


def test_labels_and_predictions_in_one_frame() -> None:
    y, new, _ = _pair(18, 150)
    frame = pd.DataFrame({"id": _ids(150), "label": y, "predicted": new})
    report = reportgen.evaluate(frame, predictions=frame, n_bootstrap=0).to_dict()
    assert report["inputs"]["kind"] == "labels" and report["n_examples"] == 150
    _check_single_label(report, y, new)


def test_weighted_label_only_report_matches_sklearn_sample_weight() -> None:
    rng = np.random.default_rng(21)
    names = np.array(["cat", "dog", "owl", "yak"])
    y = names[rng.integers(0, 4, 500)]
    p = np.where(rng.random(500) < 0.6, y, names[rng.integers(0, 4, 500)])
    w = rng.random(500) * 3
    labels, predictions = _frames(y, p)
    labels["w"] = w
    report = reportgen.evaluate(labels, predictions=predictions, weight_column="w", n_bootstrap=0).to_dict()
    check_schema(report)
    assert report["inputs"] == {"kind": "labels", "scores_are": "probabilities", "weighted": True, "count_digits": 2}
    _close(report["weight_total"], float(w.sum()), "weight total")
    classes = report["classes"]
    summary = report["summary"]
    _close(summary["accuracy"], accuracy_score(y, p, sample_weight=w), "accuracy")
    _close(summary["mcc"], matthews_corrcoef(y, p, sample_weight=w), "MCC")
    _close(summary["cohen_kappa"], cohen_kappa_score(y, p, labels=classes, sample_weight=w), "kappa")
    _close(summary["balanced_accuracy"], balanced_accuracy_score(y, p, sample_weight=w), "balanced accuracy")
    precision, recall, f1, support = precision_recall_fscore_support(y, p, labels=classes, sample_weight=w,
                                                                     zero_division=0)
    for j, entry in enumerate(report["per_class"]):
        _close(entry["precision"], precision[j], f"{entry['class']} precision")
        _close(entry["recall"], recall[j], f"{entry['class']} recall")
        _close(entry["f1"], f1[j], f"{entry['class']} F1")
        _close(entry["support"], support[j], f"{entry['class']} support")
        _close(entry["at_threshold"]["total_predicted"], float(w[p == entry["class"]].sum()), "predicted weight")
        assert entry["rows"] == int(np.count_nonzero(y == entry["class"]))
    expected = confusion_matrix(y, p, labels=classes, sample_weight=w)
    k = len(classes)
    dense = np.zeros((k, k))
    actual, predicted, count = confusion_cells(report["confusion_matrix"])
    dense[actual, predicted] = count
    assert np.allclose(dense, expected, rtol=0, atol=1e-9)


def test_inputs_kind_follows_what_the_model_gave() -> None:
    y, new, _ = _pair(19, 200)
    labels = pd.DataFrame({"id": _ids(200), "label": y})
    classes = sorted(set(y) | set(new))
    scores = pd.DataFrame(softmax_scores(np.random.default_rng(3), np.searchsorted(classes, y), len(classes), 2.0),
                          columns=classes)
    scores.insert(0, "id", _ids(200))
    predictions = pd.DataFrame({"id": _ids(200), "predicted": new})
    kinds = [reportgen.evaluate(labels, **given, n_bootstrap=0).to_dict()["inputs"]["kind"]
             for given in ({"scores": scores}, {"predictions": predictions},
                           {"scores": scores, "predictions": predictions})]
    assert kinds == ["scores", "labels", "both"]

