"""evaluate_arrays: arrays and lists as scikit-learn's metrics take them, checked against
scikit-learn on the arrays as given, and against evaluate on the same data as DataFrames."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    f1_score,
    hamming_loss,
    log_loss,
    precision_recall_fscore_support,
    roc_auc_score,
    top_k_accuracy_score,
)

import reportgen
from conftest import assert_json_close, softmax_scores
from test_oracle import CASES, _evaluated

TOL = 1e-9
METRIC_SECTIONS = ("task", "classes", "positive_class", "n_examples", "summary", "per_class", "confusion_matrix",
                   "probability_matrix", "curves", "threshold_grid", "calibration", "advice", "top_confusions")
FRAME_ONLY = {"id_column", "label_column", "score_columns", "label_sep"}  # cases about file columns


def _close(_where: str, a: float, b: float) -> bool:
    return abs(a - b) <= TOL


def _arrays_of(case):
    """The case's truth and scores as a scikit-learn user holds them."""
    names = np.array(case.classes, dtype=object)
    if case.task == "multilabel":
        return case.y.astype(int), case.p
    if case.task == "binary":
        return names[case.y.astype(int)], case.p
    return names[case.y], case.p


@pytest.mark.parametrize("name", [n for n, make in CASES.items() if not FRAME_ONLY & set(make().options)])
def test_same_numbers_as_evaluate_on_frames(name):
    case, expected = _evaluated(name)
    y_true, y_score = _arrays_of(case)
    options = dict(case.options)
    if case.task == "binary":
        options["positive_class"] = case.positive_class or case.classes[1]
    got = reportgen.evaluate_arrays(y_true, y_score, classes=case.classes, n_bootstrap=0, **options).to_dict()
    for key in METRIC_SECTIONS:
        assert_json_close(got[key], expected[key], key, _close)
    assert [w["code"] for w in got["warnings"]] == [w["code"] for w in expected["warnings"]]


def test_multiclass_integer_labels_sort_as_numbers():
    rng = np.random.default_rng(1)
    values = np.array([2, 5, 10, 40])
    y = values[rng.integers(0, 4, 500)]
    p = softmax_scores(rng, np.searchsorted(values, y), 4, 1.0)
    ev = reportgen.evaluate_arrays(y, p, n_bootstrap=0)
    assert ev.classes == ["2", "5", "10", "40"]  # unique_labels' order, not the order of the text
    s = ev.summary
    assert abs(s["roc_auc_macro"] - roc_auc_score(y, p, multi_class="ovr", labels=values)) < TOL
    assert abs(s["log_loss"] - log_loss(y, p, labels=values)) < TOL
    assert abs(s["accuracy"] - accuracy_score(y, values[p.argmax(1)])) < TOL
    assert abs(s["macro_f1"] - f1_score(y, values[p.argmax(1)], average="macro")) < TOL
    assert abs(s["top_k_accuracy"]["3"] - top_k_accuracy_score(y, p, k=3, labels=values)) < TOL
    assert [row["support"] for row in ev.per_class] == [int((y == v).sum()) for v in values]


def test_python_lists_give_the_numbers_of_arrays():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 3, 90)
    p = softmax_scores(rng, y, 3, 1.5)
    names = np.array(["b", "a", "c"])[y]
    from_lists = reportgen.evaluate_arrays(names.tolist(), p.tolist(), n_bootstrap=0).to_dict()
    from_arrays = reportgen.evaluate_arrays(names, p, n_bootstrap=0).to_dict()
    assert from_lists["classes"] == ["a", "b", "c"]
    for key in METRIC_SECTIONS:
        assert_json_close(from_lists[key], from_arrays[key], key)


def test_binary_text_labels_greater_label_is_positive_and_scores_at_threshold_are_negative():
    y = np.array(["spam", "ham", "spam", "ham", "spam", "ham", "ham", "spam"])
    s = np.array([0.9, 0.5, 0.5, 0.2, 0.7, 0.5, 0.1, 0.5])  # ties, several exactly at the threshold
    ev = reportgen.evaluate_arrays(y, s, n_bootstrap=0)
    assert (ev.task, ev.classes, ev.positive_class) == ("binary", ["ham", "spam"], "spam")
    truth, pred = (y == "spam").astype(int), (s > 0.5).astype(int)
    assert abs(ev.summary["roc_auc_macro"] - roc_auc_score(truth, s)) < TOL
    assert abs(ev.summary["average_precision_macro"] - average_precision_score(truth, s)) < TOL
    assert abs(ev.summary["accuracy"] - accuracy_score(truth, pred)) < TOL
    spam = ev.per_class[1]["at_threshold"]
    assert (spam["tp"], spam["fp"], spam["fn"]) == (2, 0, 2)


def test_binary_non_default_positive_class():
    rng = np.random.default_rng(4)
    y = rng.choice(["no", "yes"], 300)
    s_no = np.clip(0.5 * (y == "no") + 0.5 * rng.random(300), 0, 1).round(2)
    ev = reportgen.evaluate_arrays(y, s_no, positive_class="no", n_bootstrap=0)
    assert (ev.classes, ev.positive_class) == (["yes", "no"], "no")  # (negative, positive), as for files
    assert abs(ev.summary["roc_auc_macro"] - roc_auc_score(y == "no", s_no)) < TOL
    p, r, f, _ = precision_recall_fscore_support(y == "no", s_no > 0.5, average="binary", zero_division=0)
    at = ev.per_class[1]
    assert abs(at["precision"] - p) < TOL and abs(at["recall"] - r) < TOL and abs(at["f1"] - f) < TOL


def test_bool_and_float_labels():
    s = np.array([0.2, 0.8, 0.6, 0.4, 0.9])
    as_bool = reportgen.evaluate_arrays(np.array([False, True, True, False, True]), s, n_bootstrap=0)
    assert as_bool.classes == ["False", "True"] and as_bool.positive_class == "True"
    as_float = reportgen.evaluate_arrays(np.array([0.0, 1.0, 1.0, 0.0, 1.0]), s, n_bootstrap=0)
    assert as_float.classes == ["0", "1"]
    assert as_bool.summary == as_float.summary
    assert abs(as_bool.summary["roc_auc_macro"] - roc_auc_score([0, 1, 1, 0, 1], s)) < TOL


def test_constant_scores_and_one_class_only():
    y = np.array([1, 1, 1, 1])
    ev = reportgen.evaluate_arrays(y, np.full(4, 0.7), n_bootstrap=0)
    assert ev.classes == ["0", "1"] and ev.summary["roc_auc_macro"] is None
    assert "single_class" in [w["code"] for w in ev.warnings]
    assert ev.summary["accuracy"] == 1.0
    y = np.array([0, 1, 0, 1, 1])
    ev = reportgen.evaluate_arrays(y, np.full(5, 0.3), n_bootstrap=0)
    assert ev.summary["roc_auc_macro"] == roc_auc_score(y, np.full(5, 0.3)) == 0.5
    with pytest.raises(reportgen.InputError, match="name both classes"):
        reportgen.evaluate_arrays(["cat", "cat"], [0.2, 0.4])
    named = reportgen.evaluate_arrays(["cat", "cat"], [0.2, 0.4], classes=["dog", "cat"], n_bootstrap=0)
    assert named.positive_class == "cat" and named.summary["accuracy"] == 0.0


def test_class_without_positives_and_one_row():
    rng = np.random.default_rng(6)
    y = rng.choice(["a", "b"], 200)
    p = rng.dirichlet([1, 1, 1], 200)
    ev = reportgen.evaluate_arrays(y, p, classes=["a", "b", "c"], n_bootstrap=0)
    assert ev.per_class[2]["support"] == 0 and ev.per_class[2]["roc_auc"] is None
    T = np.column_stack([y == "a", y == "b"])
    expected = np.mean([roc_auc_score(T[:, j], p[:, j]) for j in range(2)])
    assert abs(ev.summary["roc_auc_macro"] - expected) < TOL
    one = reportgen.evaluate_arrays(["b"], [[0.3, 0.7]], classes=["a", "b"], n_bootstrap=0)
    assert one.n_examples == 1 and one.summary["accuracy"] == 1.0


def test_many_classes():
    rng = np.random.default_rng(7)
    k = 150
    y = rng.integers(0, k, 3000)
    p = softmax_scores(rng, y, k, 3.0)
    ev = reportgen.evaluate_arrays(y, p, n_bootstrap=0)
    assert len(ev.classes) == k and ev.classes[:3] == ["0", "1", "2"]
    labels = np.arange(k)
    assert abs(ev.summary["top_k_accuracy"]["5"] - top_k_accuracy_score(y, p, k=5, labels=labels)) < TOL
    assert abs(ev.summary["macro_f1"] - f1_score(y, p.argmax(1), average="macro", labels=labels, zero_division=0)) < TOL


def test_multilabel_indicator_matrix_default_names():
    rng = np.random.default_rng(8)
    Y = (rng.random((250, 4)) < [0.5, 0.2, 0.05, 0.0]).astype(int)  # the last class has no positives
    P = np.clip(0.4 * Y + 0.6 * rng.random(Y.shape), 0, 1).round(2)
    ev = reportgen.evaluate_arrays(Y, P, threshold=0.4, n_bootstrap=0)
    assert ev.task == "multilabel" and ev.classes == ["0", "1", "2", "3"]
    pred = (P > 0.4).astype(int)
    assert abs(ev.summary["hamming_loss"] - hamming_loss(Y, pred)) < TOL
    assert abs(ev.summary["subset_accuracy"] - accuracy_score(Y, pred)) < TOL
    assert abs(ev.summary["roc_auc_macro"] - np.mean([roc_auc_score(Y[:, j], P[:, j]) for j in range(3)])) < TOL
    assert [c["support"] for c in ev.per_class] == Y.sum(axis=0).tolist()
    named = reportgen.evaluate_arrays(Y.astype(bool), P, classes=["x|y", "id", "label", "labels"], threshold=0.4,
                                      n_bootstrap=0)
    assert named.classes == ["x|y", "id", "label", "labels"] and named.summary == ev.summary


def test_class_names_that_are_column_names():
    y = np.array(["id", "label", "id", "label", "labels"])
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.5, 0.4, 0.1], [0.3, 0.6, 0.1], [0.2, 0.2, 0.6]])
    ev = reportgen.evaluate_arrays(y, p, n_bootstrap=0)
    assert ev.classes == ["id", "label", "labels"] and ev.summary["accuracy"] == 1.0


@pytest.mark.parametrize("call, match", [
    (lambda: reportgen.evaluate_arrays([0, 1, 2], [0.1, 0.2]), "y_score: has 2 rows, y_true has 3"),
    (lambda: reportgen.evaluate_arrays([0, 1, 2], [0.1, 0.2, 0.3]), "y_score: a 1-d y_score .* 3 classes"),
    (lambda: reportgen.evaluate_arrays([0, 1, 2], [[0.5, 0.5]] * 3), "y_score: has 2 columns but there are 3 classes"),
    (lambda: reportgen.evaluate_arrays([0.0, np.nan], [0.1, 0.2]), "y_true: row id '1': missing label"),
    (lambda: reportgen.evaluate_arrays(np.array(["a", None], dtype=object), [0.1, 0.2]), "y_true: row id '1': missing label"),
    (lambda: reportgen.evaluate_arrays([0, 1, 1], [0.1, np.nan, 0.3]), "scores: column '1', row id '1': score is NaN"),
    (lambda: reportgen.evaluate_arrays([0, 1, 1], [0.1, 1.5, 0.3]), "scores: column '1', row id '1': score 1.5 is outside"),
    (lambda: reportgen.evaluate_arrays(["a", "b", "z"], [[0.5, 0.5]] * 3, classes=["a", "b"]), "row id '2': label 'z'"),
    (lambda: reportgen.evaluate_arrays([[0, 2], [1, 0]], [[0.1, 0.2]] * 2), "y_true: column '1', row id '0': value 2"),
    (lambda: reportgen.evaluate_arrays([0, 1], [0.1, 0.9], id_column="x"), "names its own columns; drop id_column"),
    (lambda: reportgen.evaluate_arrays([0, 1]), "give y_score, y_pred or both"),
    (lambda: reportgen.evaluate_arrays([], []), "y_true: expected shape"),
    (lambda: reportgen.evaluate_arrays([0, 1], [["a", "b"]] * 2, classes=["x", "y"]), "scores must be numbers"),
    (lambda: reportgen.evaluate_arrays([0, 1], [0.4, 0.6], positive_class="7"), "positive_class '7' is not one"),
    (lambda: reportgen.evaluate_arrays(["a", "y", "q"], [0.4, 0.6, 0.1], classes=["x", "y"]),
     "y_true: row id '0': label 'a' is not one of the classes"),
])
def test_bad_arrays_raise_one_clear_error(call, match):
    with pytest.raises(reportgen.InputError, match=match):
        call()


def test_predictions_without_scores():
    y = np.array(["a", "b", "c", "a", "b", "c", "a"])
    y_pred = np.array(["a", "b", "b", "a", "c", "c", "b"])
    ev = reportgen.evaluate_arrays(y, y_pred=y_pred, n_bootstrap=0)
    assert ev.summary["accuracy"] == accuracy_score(y, y_pred)
    assert abs(ev.summary["macro_f1"] - f1_score(y, y_pred, average="macro")) < TOL
    assert ev.summary["roc_auc_macro"] is None and ev.to_dict()["inputs"]["kind"] == "labels"


def test_sample_weight_matches_sklearn():
    rng = np.random.default_rng(9)
    y = rng.integers(0, 3, 400)
    p = softmax_scores(rng, y, 3, 1.0)
    w = rng.random(400) * 3
    ev = reportgen.evaluate_arrays(y, p, sample_weight=w, n_bootstrap=0)
    assert abs(ev.summary["accuracy"] - accuracy_score(y, p.argmax(1), sample_weight=w)) < TOL
    assert abs(ev.summary["log_loss"] - log_loss(y, p, sample_weight=w)) < TOL
    assert abs(ev.to_dict()["weight_total"] - w.sum()) < 1e-6
    assert [c["rows"] for c in ev.per_class] == np.bincount(y).tolist()


def test_logits_match_sklearn_on_their_sigmoid_and_softmax():
    rng = np.random.default_rng(10)
    y = rng.integers(0, 2, 300)
    z = rng.normal(size=300) + y
    binary = reportgen.evaluate_arrays(y, z, scores_are="logits", n_bootstrap=0)
    p = 1 / (1 + np.exp(-z))
    assert abs(binary.summary["log_loss"] - log_loss(y, p)) < TOL
    assert abs(binary.summary["roc_auc_macro"] - roc_auc_score(y, z)) < TOL
    y = rng.integers(0, 3, 300)
    Z = rng.normal(size=(300, 3))
    Z[np.arange(300), y] += 1
    multi = reportgen.evaluate_arrays(y, Z, scores_are="logits", n_bootstrap=0)
    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    assert abs(multi.summary["log_loss"] - log_loss(y, P)) < TOL
