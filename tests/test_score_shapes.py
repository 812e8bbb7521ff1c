"""Logits, one list column of scores and example weights, against scikit-learn with
``sample_weight`` (to 1e-9): binary, multiclass and multilabel, with ties, scores at the
threshold, weights that are not whole numbers, zero weights, a class without positives,
one row and a non-default positive class. Integer weights must equal repeated rows.
"""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy.special import expit, softmax
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    brier_score_loss,
    cohen_kappa_score,
    confusion_matrix,
    hamming_loss,
    log_loss,
    matthews_corrcoef,
    precision_recall_fscore_support,
    roc_auc_score,
    top_k_accuracy_score,
)

import reportgen
from conftest import assert_json_close, run_reportgen
from reportgen.report.json import check as check_schema
from reportgen.report.output import write_report
from reportgen.report.templating import format_count
from reportgen.rows import sigmoid, softmax_rows

TOL = 1e-9


def _ids(n: int) -> list[str]:
    return [f"r{i}" for i in range(n)]


def _close(got, want, what: str) -> None:
    if want is None or (isinstance(want, float) and math.isnan(want)):
        assert got is None, f"{what}: {got!r} is not null"
        return
    assert got is not None and abs(got - want) <= TOL * max(1.0, abs(want)), f"{what}: {got!r} != {want!r}"


def _weights(rng: np.random.Generator, n: int) -> np.ndarray:
    """Weights that are not whole numbers, a few of them 0, some repeated (ties in weight)."""
    w = np.round(rng.uniform(0.05, 3.0, n), 3)
    w[::17] = 0.0
    w[1::23] = 1.25
    return w


def _evaluate(labels: pd.DataFrame, scores: pd.DataFrame, **options) -> dict:
    report = reportgen.evaluate(labels, scores, n_bootstrap=0, **options).to_dict()
    check_schema(report)
    return report


# ----------------------------------------------------------------------------- multiclass

def _multiclass(seed: int = 0, n: int = 900, k: int = 5):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    logits = np.round(rng.normal(0, 1.5, (n, k)) + 1.2 * np.eye(k)[y], 1)  # rounded: many ties
    return y, logits, _weights(rng, n), [f"c{j}" for j in range(k)]


def test_multiclass_logits_with_weights_match_sklearn():
    y, logits, w, classes = _multiclass()
    n, k = logits.shape
    labels = pd.DataFrame({"id": _ids(n), "label": np.array(classes)[y], "w": w})
    scores = pd.DataFrame({"id": _ids(n), **{c: logits[:, j] for j, c in enumerate(classes)}})
    report = _evaluate(labels, scores, scores_are="logits", weight_column="w")
    p = softmax(logits, axis=1)
    pred = p.argmax(axis=1)
    s = report["summary"]
    _close(s["accuracy"], accuracy_score(y, pred, sample_weight=w), "accuracy")
    _close(s["log_loss"], log_loss(y, p, sample_weight=w), "log_loss")
    _close(s["mcc"], matthews_corrcoef(y, pred, sample_weight=w), "mcc")
    _close(s["cohen_kappa"], cohen_kappa_score(y, pred, sample_weight=w), "kappa")
    _close(s["balanced_accuracy"], balanced_accuracy_score(y, pred, sample_weight=w), "balanced accuracy")
    _close(s["top_k_accuracy"]["3"], top_k_accuracy_score(y, p, k=3, sample_weight=w, labels=range(k)), "top-3")
    _close(s["brier_score"], np.average(((np.eye(k)[y] - p) ** 2).sum(axis=1), weights=w), "brier")
    precision, recall, f1, support = precision_recall_fscore_support(y, pred, sample_weight=w, zero_division=0,
                                                                     labels=range(k))
    for average in ("macro", "micro", "weighted"):
        want = precision_recall_fscore_support(y, pred, sample_weight=w, zero_division=0, average=average)[2]
        _close(s[f"{average}_f1"], want, f"{average} F1")
    _close(s["roc_auc_macro"], roc_auc_score(y, p, multi_class="ovr", average="macro", sample_weight=w), "macro AUC")
    for j, entry in enumerate(report["per_class"]):
        _close(entry["precision"], precision[j], f"precision {j}")
        _close(entry["recall"], recall[j], f"recall {j}")
        _close(entry["f1"], f1[j], f"f1 {j}")
        _close(entry["support"], support[j], f"support {j}")
        assert entry["rows"] == int(np.count_nonzero(y == j))
        _close(entry["roc_auc"], roc_auc_score(y == j, p[:, j], sample_weight=w), f"AUC {j}")
        _close(entry["average_precision"], average_precision_score(y == j, p[:, j], sample_weight=w), f"AP {j}")
        at = entry["at_threshold"]
        above = p[:, j] > report["threshold"]
        _close(at["tp"], w[above & (y == j)].sum(), f"tp {j}")
        _close(at["fp"], w[above & (y != j)].sum(), f"fp {j}")
        _close(at["fn"], w[~above & (y == j)].sum(), f"fn {j}")
    want = confusion_matrix(y, pred, sample_weight=w)
    np.testing.assert_allclose(report["confusion_matrix"]["counts"], want, rtol=TOL, atol=TOL)
    mean = [[np.average(p[y == i, j], weights=w[y == i]) for j in range(k)] for i in range(k)]
    np.testing.assert_allclose(report["probability_matrix"]["mean_score"], mean, rtol=TOL)
    _close(report["weight_total"], w.sum(), "weight_total")
    assert report["n_examples"] == n
    assert report["inputs"] == {"kind": "scores", "scores_are": "logits", "weighted": True, "count_digits": 2}


def test_threshold_grid_and_calibration_are_sums_of_weights():
    y, logits, w, classes = _multiclass(seed=4, n=600, k=3)
    n, k = logits.shape
    labels = pd.DataFrame({"id": _ids(n), "label": np.array(classes)[y], "w": w})
    scores = pd.DataFrame({"id": _ids(n), **{c: logits[:, j] for j, c in enumerate(classes)}})
    report = _evaluate(labels, scores, scores_are="logits", weight_column="w")
    p = softmax(logits, axis=1)
    grid = report["threshold_grid"]
    for j, c in enumerate(classes):
        for i, t in enumerate(grid["thresholds"]):
            above = p[:, j] > t
            for key, mask in (("tp", above & (y == j)), ("fp", above & (y != j)),
                              ("fn", ~above & (y == j)), ("tn", ~above & (y != j))):
                _close(grid["classes"][c][key][i], w[mask].sum(), f"grid {c} {key} at {t}")
    # calibration of the top score against being right, 15 equal-width bins (edge-inclusive upper)
    top, right = p.max(axis=1), p.argmax(axis=1) == y
    which = np.searchsorted(np.linspace(0, 1, 16)[1:-1], top, side="left")
    ece = 0.0
    for b, got in enumerate(report["calibration"]["bins"]):
        inside = which == b
        weight = w[inside].sum()
        _close(got["count"], weight if inside.any() else 0.0, f"bin {b} count")
        if weight > 0:
            _close(got["mean_score"], np.average(top[inside], weights=w[inside]), f"bin {b} mean score")
            _close(got["fraction_positive"], np.average(right[inside], weights=w[inside]), f"bin {b} fraction")
            ece += weight / w.sum() * abs(np.average(right[inside], weights=w[inside]) - np.average(top[inside], weights=w[inside]))
    _close(report["calibration"]["ece"], ece, "ece")


# ----------------------------------------------------------------------------- binary

@pytest.mark.parametrize("threshold", [0.5, 0.3])
def test_binary_sigmoid_logits_with_weights_and_ties_at_the_threshold(threshold):
    rng = np.random.default_rng(7)
    n = 700
    y = rng.integers(0, 2, n)
    logit = np.round(rng.normal(0, 1.5, n) + 1.0 * y, 1)
    logit[:40] = 0.0  # sigmoid 0.5: exactly at the default threshold (not predicted)
    w = _weights(rng, n)
    labels = pd.DataFrame({"id": _ids(n), "label": np.where(y == 1, "spam", "ham"), "w": w})
    scores = pd.DataFrame({"id": _ids(n), "spam": logit})
    report = _evaluate(labels, scores, scores_are="logits", weight_column="w", threshold=threshold)
    p = expit(logit)
    pred = (p > threshold).astype(int)
    s = report["summary"]
    assert report["task"] == "binary" and report["positive_class"] == "spam"
    _close(s["roc_auc_macro"], roc_auc_score(y, p, sample_weight=w), "AUC")
    _close(s["average_precision_macro"], average_precision_score(y, p, sample_weight=w), "AP")
    _close(s["log_loss"], log_loss(y, p, sample_weight=w), "log loss")
    _close(s["brier_score"], brier_score_loss(y, p, sample_weight=w), "brier")
    _close(s["accuracy"], accuracy_score(y, pred, sample_weight=w), "accuracy")
    _close(s["mcc"], matthews_corrcoef(y, pred, sample_weight=w), "mcc")
    _close(s["cohen_kappa"], cohen_kappa_score(y, pred, sample_weight=w), "kappa")
    precision, recall, f1, support = precision_recall_fscore_support(y, pred, sample_weight=w, zero_division=0)
    for j, entry in enumerate(report["per_class"]):
        _close(entry["precision"], precision[j], "precision")
        _close(entry["recall"], recall[j], "recall")
        _close(entry["f1"], f1[j], "f1")
        _close(entry["support"], support[j], "support")
    np.testing.assert_allclose(report["confusion_matrix"]["counts"], confusion_matrix(y, pred, sample_weight=w),
                               rtol=TOL, atol=TOL)


def test_weighted_auc_with_ties_and_fractional_weights_equals_the_pair_count():
    """Weighted AUC is the weighted share of correctly ordered (positive, negative) pairs,
    ties counting one half: checked against that definition and against scikit-learn."""
    rng = np.random.default_rng(11)
    n = 300
    y = rng.integers(0, 2, n)
    p = np.round(rng.uniform(0, 1, n) * 0.6 + 0.3 * y, 1)  # a handful of distinct scores
    w = rng.uniform(0.1, 2.0, n)
    labels = pd.DataFrame({"id": _ids(n), "label": y, "w": w})
    scores = pd.DataFrame({"id": _ids(n), "score": p})
    auc = _evaluate(labels, scores, weight_column="w")["summary"]["roc_auc_macro"]
    pos, neg = y == 1, y == 0
    pair_weight = np.outer(w[pos], w[neg])
    order = np.sign(p[pos][:, None] - p[neg][None, :])
    want = float(((order > 0) * pair_weight + 0.5 * (order == 0) * pair_weight).sum() / pair_weight.sum())
    _close(auc, want, "pair-count AUC")
    _close(auc, roc_auc_score(y, p, sample_weight=w), "sklearn AUC")


def test_non_default_positive_class_and_constant_scores_with_weights():
    n = 50
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, n)
    w = rng.uniform(0.5, 1.5, n)
    labels = pd.DataFrame({"id": _ids(n), "label": np.where(y == 1, "yes", "no"), "w": w})
    scores = pd.DataFrame({"id": _ids(n), "yes": np.full(n, 0.7), "no": np.full(n, 0.3)})
    report = _evaluate(labels, scores, weight_column="w", positive_class="no")
    truth = (y == 0).astype(int)
    s = report["summary"]
    _close(s["roc_auc_macro"], 0.5, "constant scores: AUC one half")
    _close(s["average_precision_macro"], average_precision_score(truth, np.full(n, 0.3), sample_weight=w), "AP")
    _close(s["log_loss"], log_loss(truth, np.full(n, 0.3), sample_weight=w), "log loss")
    _close(s["accuracy"], accuracy_score(truth, np.zeros(n), sample_weight=w), "accuracy")


# ----------------------------------------------------------------------------- multilabel

def test_multilabel_sigmoid_logits_with_weights_and_an_empty_class():
    rng = np.random.default_rng(5)
    n, k = 400, 4
    Y = rng.uniform(size=(n, k)) < 0.35
    Y[:, 3] = False  # no positives: AUC and AP null, left out of the macro averages
    logits = np.round(rng.normal(0, 1.2, (n, k)) + 1.5 * Y, 1)
    w = _weights(rng, n)
    classes = ["a", "b", "c", "d"]
    labels = pd.DataFrame({"id": _ids(n), "labels": ["|".join(np.array(classes)[row]) for row in Y], "w": w})
    scores = pd.DataFrame({"id": _ids(n), **{c: logits[:, j] for j, c in enumerate(classes)}})
    report = _evaluate(labels, scores, scores_are="logits", weight_column="w")
    P = expit(logits)
    pred = P > 0.5
    s = report["summary"]
    _close(s["hamming_loss"], hamming_loss(Y, pred, sample_weight=w), "hamming loss")
    _close(s["subset_accuracy"], accuracy_score(Y, pred, sample_weight=w), "subset accuracy")
    _close(s["roc_auc_macro"], np.mean([roc_auc_score(Y[:, j], P[:, j], sample_weight=w) for j in range(3)]), "macro AUC")
    _close(s["log_loss"], np.average(-(Y * np.log(P) + ~Y * np.log(1 - P)).mean(axis=1), weights=w), "log loss")
    _close(s["mcc"], matthews_corrcoef(Y.ravel(), pred.ravel(), sample_weight=np.repeat(w, k)), "mcc")
    precision, recall, f1, support = precision_recall_fscore_support(Y, pred, sample_weight=w, zero_division=0)
    for j, entry in enumerate(report["per_class"]):
        _close(entry["f1"], f1[j], f"f1 {j}")
        _close(entry["support"], support[j], f"support {j}")
        want_ap = average_precision_score(Y[:, j], P[:, j], sample_weight=w) if j < 3 else None
        _close(entry["average_precision"], want_ap, f"AP {j}")
    assert report["per_class"][3]["roc_auc"] is None


# ----------------------------------------------------------------------------- weights as repeated rows

def test_integer_weights_give_the_report_of_repeated_rows():
    """Weight 3 is three copies of the row: every count, curve, grid and calibration bin
    agrees (counts as floats then, to 1e-9); rows and n_examples stay the unweighted ones."""
    y, logits, _, classes = _multiclass(seed=9, n=300, k=4)
    n = len(y)
    w = np.random.default_rng(99).integers(0, 4, n)
    w[0] = 1
    labels = pd.DataFrame({"id": _ids(n), "label": np.array(classes)[y], "w": w})
    scores = pd.DataFrame({"id": _ids(n), **{c: logits[:, j] for j, c in enumerate(classes)}})
    weighted = _evaluate(labels, scores, scores_are="logits", weight_column="w")
    rows = np.repeat(np.arange(n), w)
    repeated = _evaluate(pd.DataFrame({"id": _ids(len(rows)), "label": np.array(classes)[y[rows]]}),
                         pd.DataFrame({"id": _ids(len(rows)), **{c: logits[rows, j] for j, c in enumerate(classes)}}),
                         scores_are="logits")
    assert weighted["inputs"]["count_digits"] == 0  # whole weights: counts print as integers
    assert weighted["weight_total"] == float(w.sum())
    assert repeated["n_examples"] == w.sum() and weighted["n_examples"] == n
    for entry in weighted["per_class"]:
        assert entry.pop("rows") == int(np.count_nonzero(np.array(classes)[y] == entry["class"]))
    keys = ("summary", "per_class", "confusion_matrix", "probability_matrix", "curves", "threshold_grid", "calibration")
    assert_json_close(_floats({k: weighted[k] for k in keys}), _floats({k: repeated[k] for k in keys}), "",
                      lambda where, a, b: math.isclose(a, b, rel_tol=TOL, abs_tol=TOL))
    assert all(type(v) is int for v in repeated["confusion_matrix"]["counts"][0])  # unweighted: integers


def _floats(value):
    """Every integer of a JSON value as a float (counts are floats in a weighted report)."""
    if isinstance(value, dict):
        return {k: _floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_floats(v) for v in value]
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


def test_unit_weights_change_no_number_and_no_interval():
    y, logits, _, classes = _multiclass(seed=3, n=400, k=3)
    n = len(y)
    p = softmax(logits, axis=1)
    labels = pd.DataFrame({"id": _ids(n), "label": np.array(classes)[y], "w": np.ones(n)})
    scores = pd.DataFrame({"id": _ids(n), **{c: p[:, j] for j, c in enumerate(classes)}})
    plain = reportgen.evaluate(labels, scores, n_bootstrap=200).to_dict()
    weighted = reportgen.evaluate(labels, scores, n_bootstrap=200, weight_column="w").to_dict()
    assert weighted["intervals"]["summary"]["macro_f1"] is not None
    assert_json_close(plain["intervals"], weighted["intervals"], "",
                      lambda where, a, b: math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12))
    assert_json_close(plain["summary"], weighted["summary"], "", lambda where, a, b: math.isclose(a, b, rel_tol=1e-12))


def test_weights_move_the_bootstrap_intervals_with_the_metric():
    """Weighting the examples the model gets wrong raises them in every replicate: the
    weighted accuracy interval holds the weighted accuracy and lies below the unweighted one."""
    y, logits, _, classes = _multiclass(seed=6, n=1500, k=3)
    n = len(y)
    p = softmax(logits, axis=1)
    w = np.where(p.argmax(axis=1) == y, 1.0, 4.0)
    labels = pd.DataFrame({"id": _ids(n), "label": np.array(classes)[y], "w": w})
    scores = pd.DataFrame({"id": _ids(n), **{c: p[:, j] for j, c in enumerate(classes)}})
    weighted = reportgen.evaluate(labels, scores, n_bootstrap=300, weight_column="w").to_dict()
    plain = reportgen.evaluate(labels, scores, n_bootstrap=300).to_dict()
    low, high = weighted["intervals"]["summary"]["accuracy"]
    assert low <= accuracy_score(y, p.argmax(axis=1), sample_weight=w) <= high
    assert high < plain["intervals"]["summary"]["accuracy"][0]


# ----------------------------------------------------------------------------- logits and list columns

def test_softmax_and_sigmoid_are_stable_for_huge_logits():
    x = np.asfortranarray([[1000.0, 999.0, -1000.0], [-745.0, -746.0, -800.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(softmax_rows(x.copy()), softmax(x, axis=1), rtol=1e-15, atol=1e-300)
    z = np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0])
    np.testing.assert_allclose(sigmoid(z.copy()), expit(z), rtol=1e-15, atol=0)


def test_logits_in_zero_one_are_not_taken_for_probabilities():
    """Never guessed from the values: logits that happen to lie in [0, 1] are still logits."""
    n = 60
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, n)
    logits = rng.uniform(0, 1, (n, 3))
    labels = pd.DataFrame({"id": _ids(n), "label": np.array(["a", "b", "c"])[y]})
    scores = pd.DataFrame({"id": _ids(n), "a": logits[:, 0], "b": logits[:, 1], "c": logits[:, 2]})
    as_logits = _evaluate(labels, scores, scores_are="logits")["summary"]["log_loss"]
    as_probabilities = _evaluate(labels, scores)["summary"]["log_loss"]
    _close(as_logits, log_loss(y, softmax(logits, axis=1)), "softmax")
    _close(as_probabilities, log_loss(y, logits / logits.sum(axis=1, keepdims=True)), "renormalised")
    assert as_logits != as_probabilities


def _list_frames(rng_seed: int = 8, n: int = 500, k: int = 4):
    rng = np.random.default_rng(rng_seed)
    y = rng.integers(0, k, n)
    classes = ["dog", "cat", "bird", "fish"][:k]
    p = softmax(rng.normal(0, 1, (n, k)) + np.eye(k)[y], axis=1)
    labels = pd.DataFrame({"id": _ids(n), "label": np.array(classes)[y]})
    columns = pd.DataFrame({"id": _ids(n), **{c: p[:, j] for j, c in enumerate(classes)}})
    return rng, classes, p, labels, columns


def test_a_list_column_and_records_in_any_order_give_the_separate_columns_report(tmp_path):
    rng, classes, p, labels, columns = _list_frames()
    n, k = p.shape
    base = reportgen.evaluate_files(*_write(tmp_path, labels, columns, "cols"), n_bootstrap=0).to_dict()
    lists = pa.table({"id": _ids(n), "scores": pa.array(list(p), pa.list_(pa.float64()))})
    fixed = pa.table({"id": _ids(n), "scores": pa.FixedSizeListArray.from_arrays(pa.array(p.ravel()), k)})
    records = [[{"label": classes[j], "score": float(p[i, j])} for j in rng.permutation(k)] for i in range(n)]
    for name, table, extra in (("list", lists, {"classes": tuple(classes)}), ("fixed", fixed, {"classes": tuple(classes)})):
        path = tmp_path / f"{name}.parquet"
        pq.write_table(table, path)
        got = reportgen.evaluate_files(tmp_path / "cols_labels.csv", path, n_bootstrap=0, **extra).to_dict()
        assert got["classes"] == base["classes"]
        assert got["summary"] == base["summary"] and got["per_class"] == base["per_class"], name
    jsonl = tmp_path / "records.jsonl"
    jsonl.write_text("".join(json.dumps({"id": i, "preds": r}) + "\n" for i, r in zip(_ids(n), records)))
    got = reportgen.evaluate_files(tmp_path / "cols_labels.csv", jsonl, n_bootstrap=0,
                                   classes=tuple(classes)).to_dict()
    assert got["classes"] == classes and got["summary"] == base["summary"]
    # without --classes, records name their classes: sorted by label
    sorted_report = reportgen.evaluate_files(tmp_path / "cols_labels.csv", jsonl, n_bootstrap=0).to_dict()
    assert sorted_report["classes"] == sorted(classes)
    by_class = {c["class"]: c for c in sorted_report["per_class"]}
    assert all(by_class[c["class"]] == c for c in base["per_class"])


def _list_shapes(p: np.ndarray, kind) -> pa.ChunkedArray:
    """The rows of ``p`` as a list column in three chunks, each a slice of a larger array
    (so that offsets and child slices do not start at 0)."""
    n, k = p.shape
    padded = np.vstack([np.full((2, k), 0.5), p, np.full((3, k), 0.5)])
    if kind == "fixed":
        whole = pa.FixedSizeListArray.from_arrays(pa.array(padded.ravel().astype(np.float32)), k)
    else:
        offsets = pa.array(np.arange(0, padded.size + 1, k, dtype=np.int64 if kind == "large" else np.int32))
        array = pa.LargeListArray if kind == "large" else pa.ListArray
        whole = array.from_arrays(offsets, pa.array(padded.ravel().astype(np.float32)))
    inner = whole.slice(2, n)
    return pa.chunked_array([inner.slice(0, 7), inner.slice(7, n - 20), inner.slice(n - 13)])


@pytest.mark.parametrize("kind", ["list", "large", "fixed"])
def test_list_scores_are_read_from_the_child_values_and_checked_as_columns(kind):
    """A list column's flat child values (offset slices of any chunk) give the matrix the
    separate columns give; a bad value is named by class and row as in a column."""
    from reportgen.errors import InputError
    from reportgen.validate import Source, score_matrix

    _, classes, p, _, _ = _list_frames(n=60)
    ids = pa.array(_ids(len(p)))
    p32 = p.astype(np.float32)
    columns = Source(pa.table({"id": ids, **{c: p32[:, j] for j, c in enumerate(classes)}}), "cols")
    want = score_matrix(columns, tuple(classes), ids)
    listed = Source(pa.table({"id": ids, "scores": _list_shapes(p, kind)}), "s.parquet")
    got = score_matrix(listed, tuple(classes), ids, list_column="scores")
    assert got.flags.f_contiguous and np.array_equal(got, want)
    as_logits = score_matrix(listed, tuple(classes), ids, scores_are="logits", list_column="scores")
    assert np.allclose(as_logits, softmax(p32.astype(np.float64), axis=1), rtol=0, atol=1e-15)
    for value, row, message in ((1.5, 41, "score 1.5 is outside [0, 1]"), (-0.25, 3, "score -0.25 is outside [0, 1]"),
                                (np.nan, 59, "score is NaN"), (np.inf, 12, "score inf is outside [0, 1]")):
        bad = p.copy()
        bad[row, 2] = value
        bad[row + 1 if row < 59 else 0, 3] = 2.0  # a later class is bad too: the first class's value is named
        table = Source(pa.table({"id": ids, "scores": _list_shapes(bad, kind)}), "s.parquet")
        with pytest.raises(InputError) as err:
            score_matrix(table, tuple(classes), ids, list_column="scores")
        assert str(err.value).startswith(f"s.parquet: column \"scores['bird']\", row id '{_ids(60)[row]}': {message}")
        if not np.isnan(value) and np.isfinite(value):
            continue
        with pytest.raises(InputError, match="row id") as err:
            score_matrix(table, tuple(classes), ids, scores_are="logits", list_column="scores")
        assert "scores['bird']" in str(err.value) and _ids(60)[row] in str(err.value)


def test_a_parquet_list_column_read_in_batches_is_the_whole_column(tmp_path, monkeypatch):
    """Files with list columns are decoded a batch of rows at a time: the table (and the
    report) is the one a whole read gives, however many batches."""
    from reportgen import io

    _, classes, p, labels, _ = _list_frames(n=300)
    path = tmp_path / "lists.parquet"
    pq.write_table(pa.table({"id": _ids(len(p)), "scores": pa.array(list(p), pa.list_(pa.float64()))}), path,
                   row_group_size=128)
    labels.to_csv(tmp_path / "labels.csv", index=False)
    whole = reportgen.evaluate_files(tmp_path / "labels.csv", path, classes=tuple(classes), n_bootstrap=0).to_dict()
    monkeypatch.setattr(io, "LIST_BATCH_ROWS", 7)
    table = io.read_table(path)
    assert table.column("scores").num_chunks >= 300 // 7 and table.equals(pq.read_table(path))
    batched = reportgen.evaluate_files(tmp_path / "labels.csv", path, classes=tuple(classes), n_bootstrap=0).to_dict()
    assert batched == whole


def _write(folder, labels: pd.DataFrame, scores: pd.DataFrame, prefix: str):
    labels_path, scores_path = folder / f"{prefix}_labels.csv", folder / f"{prefix}_scores.csv"
    labels.to_csv(labels_path, index=False)
    scores.to_csv(scores_path, index=False)
    return labels_path, scores_path


def test_cli_reads_a_list_column_with_classes_from_a_file_and_logits(tmp_path):
    rng, classes, p, labels, _ = _list_frames(n=120)
    logits = np.log(p) + 3.0  # softmax(log p + c) = p
    labels.to_csv(tmp_path / "labels.csv", index=False)
    pq.write_table(pa.table({"id": _ids(len(p)), "logits": pa.array(list(logits), pa.list_(pa.float32()))}),
                   tmp_path / "scores.parquet")
    (tmp_path / "classes.txt").write_text("\n".join(classes) + "\n")
    result = run_reportgen("build", "--labels", tmp_path / "labels.csv", "--scores", tmp_path / "scores.parquet",
                           "--classes", "@classes.txt", "--scores-are", "logits", "--out", tmp_path / "r.html",
                           "--metrics-json", tmp_path / "m.json", "--no-bootstrap", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "m.json").read_text())
    y = np.array([classes.index(v) for v in labels["label"]])
    want = softmax(logits.astype(np.float32).astype(np.float64), axis=1)
    assert abs(report["summary"]["log_loss"] - log_loss(y, want)) <= 1e-9
    assert report["inputs"] == {"kind": "scores", "scores_are": "logits", "weighted": False, "count_digits": 0}


@pytest.mark.parametrize("kind", ["fixed", "list", "sliced"])
def test_a_list_columns_scores_are_its_values_as_stored(kind):
    """The list is taken by Arrow as one flat array of its child values, never per row in
    Python: the numbers the matrix is filled from are the list's own buffer, not a copy.
    (The speed against separate columns is measured by benchmarks/bench_build.py.)"""
    from reportgen import validate

    n, k = 1000, 4
    flat = pa.array(np.random.default_rng(0).random(n * k))
    if kind == "fixed":
        array = pa.FixedSizeListArray.from_arrays(flat, k)
    else:
        array = pa.ListArray.from_arrays(pa.array(np.arange(0, n * k + 1, k, dtype=np.int32)), flat)
    if kind == "sliced":
        array = array.slice(10, 500)
    ids = pa.array(np.arange(len(array)))
    values = validate._list_numbers(validate._flat_values(array, k, "s.parquet", "s", ids), "s.parquet", "s", ids, k)
    child = np.frombuffer(flat.buffers()[1], dtype=np.float64)
    assert np.shares_memory(values, child)
    start = 10 * k if kind == "sliced" else 0
    np.testing.assert_array_equal(values, child[start:start + len(array) * k])


# ----------------------------------------------------------------------------- the page

def _page(tmp_path, labels: pd.DataFrame, scores: pd.DataFrame) -> tuple[str, dict]:
    evaluation = reportgen.evaluate(labels, scores, weight_column="w", n_bootstrap=0)
    write_report(evaluation, html_path=tmp_path / "page.html")
    return (tmp_path / "page.html").read_text("utf-8"), evaluation.to_dict()


def test_page_prints_weighted_counts_with_one_rule(tmp_path):
    n = 90
    rng = np.random.default_rng(4)
    y = rng.integers(0, 3, n)
    p = softmax(rng.normal(size=(n, 3)) + np.eye(3)[y], axis=1)
    labels = pd.DataFrame({"id": _ids(n), "label": np.array(["a", "b", "c"])[y], "w": np.round(rng.uniform(0, 2, n), 3)})
    scores = pd.DataFrame({"id": _ids(n), "a": p[:, 0], "b": p[:, 1], "c": p[:, 2]})
    html, report = _page(tmp_path, labels, scores)
    for entry in report["per_class"]:
        tp = entry["at_threshold"]["tp"]
        assert f'data-metric="tp" data-value="{tp}">{tp:.2f}<' in html
    assert f"data-weight-total>{report['weight_total']:.2f}</dd>" in html
    html, report = _page(tmp_path, labels.assign(w=rng.integers(1, 4, n)), scores)
    assert report["inputs"]["count_digits"] == 0
    for entry in report["per_class"]:
        tp = entry["at_threshold"]["tp"]
        assert f'data-metric="tp" data-value="{tp}">{int(tp)}<' in html


def test_format_count_rounds_as_javascript_to_fixed():
    """The page script prints live counts with toFixed: the server-side cells agree."""
    assert [format_count(v, 2) for v in (2.125, 0.005, 1.0, 12.344999)] == ["2.13", "0.01", "1.00", "12.34"]
    assert [format_count(v, 0) for v in (3, 3.0, 2.5)] == ["3", "3", "3"]


def test_many_classes_pool_weighted_negatives_without_changing_a_number():
    """Past the pooling limit the per-class counts pool negatives: weighted, the AUC, AP,
    counts at the threshold and calibration still equal scikit-learn's."""
    rng = np.random.default_rng(12)
    n, k = 3000, 45
    y = rng.integers(0, k, n)
    logits = np.round(rng.normal(0, 1, (n, k)) + 2.0 * np.eye(k)[y], 1)
    w = _weights(rng, n)
    classes = [f"k{j:02d}" for j in range(k)]
    labels = pd.DataFrame({"id": _ids(n), "label": np.array(classes)[y], "w": w})
    scores = pd.DataFrame({"id": _ids(n), **{c: logits[:, j] for j, c in enumerate(classes)}})
    report = _evaluate(labels, scores, scores_are="logits", weight_column="w")
    p = softmax(logits, axis=1)
    _close(report["summary"]["log_loss"], log_loss(y, p, sample_weight=w, labels=range(k)), "log loss")
    for j in (0, 7, 44):
        entry = report["per_class"][j]
        _close(entry["roc_auc"], roc_auc_score(y == j, p[:, j], sample_weight=w), f"AUC {j}")
        _close(entry["average_precision"], average_precision_score(y == j, p[:, j], sample_weight=w), f"AP {j}")
        _close(entry["at_threshold"]["tp"], w[(p[:, j] > 0.5) & (y == j)].sum(), f"tp {j}")
