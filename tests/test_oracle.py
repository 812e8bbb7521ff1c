"""The engine's numbers against scikit-learn, to 1e-9, on real and on nasty data.

Each case gives the engine DataFrames and gives the oracle the same truth and scores in the
engine's class order; every summary number, every per-class number, the confusion matrix,
the threshold grid and the per-class counts at the threshold are compared.
"""
from __future__ import annotations

import json
import math
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.linear_model import LogisticRegression
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
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import reportgen
from reportgen.matrices import MATRIX_LIMIT, TOP_SCORED
from conftest import assert_json_close, softmax_scores
from reportgen.report.json import check as check_schema

TOL = 1e-9
EPS = np.finfo(np.float64).eps


# ----------------------------------------------------------------------------- cases

@dataclass
class Case:
    """Engine input plus the oracle's view of it (classes in the engine's order).

    ``y``: class index per row (multiclass), 0/1 positive (binary), rows × classes bool
    (multilabel). ``scores``: rows × classes (multiclass, multilabel) or the positive
    class's score (binary).
    """

    labels: pd.DataFrame
    scores: pd.DataFrame | None
    task: str
    classes: list[str]
    y: np.ndarray
    p: np.ndarray
    options: dict[str, Any] = field(default_factory=dict)
    positive_class: str | None = None
    warn_codes: tuple[str, ...] = ()  # warning codes that must appear

    @property
    def threshold(self) -> float:
        return float(self.options.get("threshold", 0.5))


def _ids(n: int) -> list[str]:
    return [f"ex{i:05d}" for i in range(n)]


def multiclass_case(y: np.ndarray, p: np.ndarray, classes: list[str], **kw: Any) -> Case:
    ids = _ids(len(y))
    labels = pd.DataFrame({"id": ids, "label": [classes[i] for i in y]})
    scores = pd.DataFrame({"id": ids, **{c: p[:, j] for j, c in enumerate(classes)}})
    return Case(labels, scores, "multiclass", list(classes), np.asarray(y), np.asarray(p, float), **kw)


def binary_case(y: np.ndarray, p: np.ndarray, negative: str, positive: str, **kw: Any) -> Case:
    """Labels are class names; the one score column is named by the positive class."""
    ids = _ids(len(y))
    labels = pd.DataFrame({"id": ids, "label": np.where(np.asarray(y) == 1, positive, negative)})
    scores = pd.DataFrame({"id": ids, positive: p})
    return Case(labels, scores, "binary", [negative, positive], np.asarray(y), np.asarray(p, float),
                positive_class=positive, **kw)


def multilabel_case(Y: np.ndarray, p: np.ndarray, classes: list[str], **kw: Any) -> Case:
    ids = _ids(len(Y))
    names = ["|".join(c for c, on in zip(classes, row) if on) for row in Y]
    labels = pd.DataFrame({"id": ids, "labels": names})
    scores = pd.DataFrame({"id": ids, **{c: p[:, j] for j, c in enumerate(classes)}})
    return Case(labels, scores, "multilabel", list(classes), np.asarray(Y, bool), np.asarray(p, float), **kw)


@lru_cache(maxsize=None)
def _digits() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_digits(return_X_y=True)
    Xa, Xb, ya, yb = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    scaler = StandardScaler().fit(Xa)
    model = LogisticRegression(max_iter=3000).fit(scaler.transform(Xa), ya)
    return yb, model.predict_proba(scaler.transform(Xb))


@lru_cache(maxsize=None)
def _cancer() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_breast_cancer(return_X_y=True)
    Xa, Xb, ya, yb = train_test_split(X, y, test_size=0.4, random_state=1, stratify=y)
    scaler = StandardScaler().fit(Xa)
    model = LogisticRegression(C=0.05, max_iter=3000).fit(scaler.transform(Xa), ya)
    return yb, model.predict_proba(scaler.transform(Xb))[:, 1]


DIGITS = [str(d) for d in range(10)]


def case_digits() -> Case:
    y, p = _digits()
    return multiclass_case(y, p, DIGITS)


def case_digits_ties() -> Case:
    y, p = _digits()
    return multiclass_case(y, np.round(p, 1), DIGITS, warn_codes=("scores_not_normalized",))


def case_digits_reordered_columns() -> Case:
    """Score columns in an order different from the sorted class names."""
    y, p = _digits()
    order = [3, 9, 0, 7, 1, 8, 2, 6, 4, 5]
    remap = np.argsort(order)
    return multiclass_case(remap[y], p[:, order], [DIGITS[i] for i in order])


def case_cancer() -> Case:
    y, p = _cancer()
    return binary_case(y, p, "malignant", "benign")


def case_cancer_threshold() -> Case:
    y, p = _cancer()
    return binary_case(y, p, "malignant", "benign", options={"threshold": 0.8})


def case_cancer_ties() -> Case:
    y, p = _cancer()
    return binary_case(y, np.round(p, 1), "malignant", "benign")


def case_binary_at_threshold() -> Case:
    """Scores exactly at the threshold are not predicted."""
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 300)
    p = rng.choice([0.0, 0.25, 0.5, 0.5, 0.5, 0.75, 1.0], 300)
    return binary_case(y, p, "neg", "pos")


def case_binary_at_threshold_03() -> Case:
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 200)
    p = rng.choice([0.1, 0.3, 0.3, 0.7, 0.9], 200)
    return binary_case(y, p, "neg", "pos", options={"threshold": 0.3})


def case_binary_constant() -> Case:
    y = np.array([0, 1] * 40 + [1] * 7)
    return binary_case(y, np.full(len(y), 0.5), "no", "yes")


def case_multiclass_constant() -> Case:
    rng = np.random.default_rng(5)
    y = rng.integers(0, 3, 90)
    return multiclass_case(y, np.full((90, 3), 0.25), ["a", "b", "c"], warn_codes=("scores_not_normalized",))


def case_class_without_positives() -> Case:
    rng = np.random.default_rng(6)
    n = 200
    y = rng.choice([0, 1, 3], n)  # class 'c' (index 2) has no example
    p = rng.dirichlet(np.ones(4), n)
    p[np.arange(n), y] += 0.3
    p /= p.sum(axis=1, keepdims=True)
    return multiclass_case(y, p, ["a", "b", "c", "d"], warn_codes=("no_positives",))


def case_class_never_predicted() -> Case:
    rng = np.random.default_rng(7)
    n = 150
    y = rng.integers(0, 3, n)
    p = rng.dirichlet(np.ones(3), n)
    p[:, 1] *= 0.01  # 'b' never wins the argmax
    p /= p.sum(axis=1, keepdims=True)
    return multiclass_case(y, p, ["a", "b", "c"], warn_codes=("never_predicted",))


def case_one_row_multiclass() -> Case:
    return multiclass_case(np.array([1]), np.array([[0.2, 0.5, 0.3]]), ["x", "y", "z"])


def case_one_row_binary() -> Case:
    """Only the positive label occurs, so the engine names the negative class itself."""
    return binary_case(np.array([1]), np.array([0.9]), "not on", "on")


def case_120_classes() -> Case:
    rng = np.random.default_rng(8)
    k, n = 120, 1500
    y = rng.integers(0, k, n)
    p = softmax_scores(rng, y, k, 2.5)
    return multiclass_case(y, p, [f"class_{i:03d}" for i in range(k)])


def case_1000_classes() -> Case:
    """ImageNet-sized: scores rounded to 3 decimals (many ties, some at the threshold), and
    classes with no examples."""
    rng = np.random.default_rng(10)
    k, n = 1000, 3000
    y = rng.integers(0, k, n)
    p = np.round(softmax_scores(rng, y, k, 4.0), 3)
    return multiclass_case(y, p, [f"n{i:04d}" for i in range(k)])


def case_unicode_names() -> Case:
    rng = np.random.default_rng(9)
    n = 120
    y = rng.integers(0, 3, n)
    p = rng.dirichlet(np.ones(3) * 0.7, n)
    p[np.arange(n), y] += 0.4
    p /= p.sum(axis=1, keepdims=True)
    return multiclass_case(y, p, ["naïve, bayes", "日本", 'say "hi" <b>'])


def case_ids_shuffled_int_vs_str() -> Case:
    """Labels have int ids; scores have the same ids as strings, in another order."""
    rng = np.random.default_rng(10)
    n = 160
    y = rng.integers(0, 4, n)
    p = rng.dirichlet(np.ones(4), n)
    classes = ["w", "x", "y", "z"]
    case = multiclass_case(y, p, classes)
    ids = np.arange(1000, 1000 + n)
    case.labels = pd.DataFrame({"id": ids, "label": [classes[i] for i in y]})
    order = rng.permutation(n)
    case.scores = pd.DataFrame({"id": [str(i) for i in ids[order]], **{c: p[order, j] for j, c in enumerate(classes)}})
    return case


def case_positive_class_option() -> Case:
    """Two score columns made binary by positive_class=; the positive is listed first."""
    rng = np.random.default_rng(11)
    n = 140
    y = rng.integers(0, 2, n)
    p = np.clip(0.35 * y + rng.random(n) * 0.65, 0, 1)
    ids = _ids(n)
    labels = pd.DataFrame({"id": ids, "label": np.where(y == 1, "cat", "dog")})
    scores = pd.DataFrame({"id": ids, "cat": p, "dog": 1 - p})
    return Case(labels, scores, "binary", ["dog", "cat"], y, p, options={"positive_class": "cat"},
                positive_class="cat")


def case_positive_class_is_first_sorted() -> Case:
    """positive_class naming the alphabetically first class."""
    rng = np.random.default_rng(12)
    n = 100
    y = rng.integers(0, 2, n)
    p = np.round(np.clip(0.3 * y + rng.random(n) * 0.7, 0, 1), 2)
    ids = _ids(n)
    labels = pd.DataFrame({"id": ids, "label": np.where(y == 1, "alpha", "beta")})
    scores = pd.DataFrame({"id": ids, "beta": 1 - p, "alpha": p})
    return Case(labels, scores, "binary", ["beta", "alpha"], y, p, options={"positive_class": "alpha"},
                positive_class="alpha")


def _score_column_case(label_values: np.ndarray, y: np.ndarray, p: np.ndarray, names: list[str]) -> Case:
    """One file: id,label,score where the labels are 0/1 or true/false."""
    n = len(y)
    frame = pd.DataFrame({"id": _ids(n), "label": label_values, "score": p})
    return Case(frame, None, "binary", names, y, p, positive_class=names[1])


def case_score_column_01() -> Case:
    rng = np.random.default_rng(13)
    y = rng.integers(0, 2, 120)
    p = np.clip(0.4 * y + 0.6 * rng.random(120), 0, 1)
    return _score_column_case(y, y, p, ["0", "1"])


def case_score_column_true_false() -> Case:
    rng = np.random.default_rng(14)
    y = rng.integers(0, 2, 120)
    p = np.clip(0.4 * y + 0.6 * rng.random(120), 0, 1)
    return _score_column_case(np.where(y == 1, "true", "false"), y, p, ["false", "true"])


def case_labels_and_scores_one_frame() -> Case:
    case = case_class_never_predicted()
    case.labels = case.labels.merge(case.scores, on="id")
    case.scores = None
    return case


def _multilabel_data(seed: int, n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    Y = rng.random((n, k)) < 0.3
    Y[: n // 10] = False  # rows with no labels at all
    p = np.clip(0.45 * Y + 0.55 * rng.random((n, k)), 0, 1)
    return Y, p


def case_multilabel() -> Case:
    Y, p = _multilabel_data(15, 250, 5)
    return multilabel_case(Y, p, ["red", "green", "blue", "cyan", "magenta"], options={"multilabel": True})


def case_multilabel_ties_threshold() -> Case:
    Y, p = _multilabel_data(16, 200, 4)
    return multilabel_case(Y, np.round(p, 1), ["a", "b", "c", "d"], options={"threshold": 0.3})


def case_multilabel_empty_class() -> Case:
    Y, p = _multilabel_data(17, 120, 4)
    Y[:, 2] = False
    return multilabel_case(Y, p, ["a", "b", "c", "d"], warn_codes=("no_positives",))


CASES: dict[str, Callable[[], Case]] = {
    name[len("case_"):]: fn for name, fn in list(globals().items()) if name.startswith("case_")
}


@lru_cache(maxsize=None)
def _evaluated(name: str) -> tuple[Case, dict[str, Any]]:
    case = CASES[name]()
    report = reportgen.evaluate(case.labels, case.scores, n_bootstrap=0, **case.options).to_dict()
    return case, report


# ----------------------------------------------------------------------------- oracle

def _nan_to_none(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


@dataclass
class Oracle:
    """scikit-learn's view of a case, in one-vs-rest form: truth T and scores S (rows × classes)."""

    case: Case

    @property
    def T(self) -> np.ndarray:
        c = self.case
        if c.task == "multilabel":
            return c.y
        k = len(c.classes)
        y = self.y_index
        return np.arange(k)[None, :] == y[:, None]

    @property
    def y_index(self) -> np.ndarray:
        return self.case.y.astype(int)

    @property
    def S(self) -> np.ndarray:
        c = self.case
        if c.task == "binary":
            return np.column_stack([1.0 - c.p, c.p])
        return c.p

    @property
    def pred(self) -> np.ndarray:
        """Predicted class per row (single-label) or predicted indicator matrix (multilabel)."""
        c = self.case
        if c.task == "multiclass":
            return np.argmax(c.p, axis=1)
        return (c.p > c.threshold).astype(int)

    def per_class_auc(self) -> list[float | None]:
        return self._one_vs_rest(roc_auc_score)

    def per_class_ap(self) -> list[float | None]:
        return self._one_vs_rest(average_precision_score)

    def _one_vs_rest(self, score) -> list[float | None]:
        """``score`` of each class against the rest; None without both outcomes."""
        T, S = self.T, self.S
        return [float(score(T[:, j], S[:, j])) if 0 < T[:, j].sum() < len(T) else None for j in range(T.shape[1])]

    def prfs(self, average: str | None):
        labels = list(range(len(self.case.classes)))
        return precision_recall_fscore_support(
            self.y_index, self.pred, labels=labels, average=average, zero_division=0
        )

    def summary(self) -> dict[str, Any]:
        c = self.case
        y, pred, k = self.y_index, self.pred, len(c.classes)
        macro = self.prfs("macro")
        out: dict[str, Any] = {
            "macro_precision": macro[0],
            "macro_recall": macro[1],
            "macro_f1": macro[2],
            "micro_f1": self.prfs("micro")[2],
            "weighted_f1": self.prfs("weighted")[2],
        }
        if c.task == "binary":  # the positive class (index 1), scikit-learn's default average
            out["precision"], out["recall"], out["f1"], _ = precision_recall_fscore_support(
                y, pred, average="binary", pos_label=1, zero_division=0)
        else:
            out["precision"] = out["recall"] = out["f1"] = None
        if c.task == "binary":
            has_both = 0 < y.sum() < len(y)
            out["roc_auc_macro"] = float(roc_auc_score(y, c.p)) if has_both else None
            out["average_precision_macro"] = float(average_precision_score(y, c.p)) if has_both else None
        else:
            out["roc_auc_macro"] = _mean_defined(self.per_class_auc())
            out["average_precision_macro"] = _mean_defined(self.per_class_ap())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if c.task == "multilabel":
                out["accuracy"] = 1.0 - hamming_loss(y, pred)
                out["hamming_loss"] = hamming_loss(y, pred)
                out["subset_accuracy"] = accuracy_score(y, pred)
                out["log_loss"] = float(np.mean([log_loss(y[:, j], c.p[:, j], labels=[0, 1]) for j in range(k)]))
                out["brier_score"] = float(np.mean((c.p - y) ** 2))
                out["mcc"] = _nan_to_none(matthews_corrcoef(y.ravel(), pred.ravel()))
                out["cohen_kappa"] = None
                out["balanced_accuracy"] = _multilabel_balanced_accuracy(y.astype(bool), pred.astype(bool))
                out["top_k_accuracy"] = {"3": None, "5": None}
                return out
            out["accuracy"] = accuracy_score(y, pred)
            out["balanced_accuracy"] = _nan_to_none(balanced_accuracy_score(y, pred))
            out["mcc"] = _nan_to_none(matthews_corrcoef(y, pred))
            out["cohen_kappa"] = _nan_to_none(cohen_kappa_score(y, pred, labels=list(range(k))))
            if c.task == "binary":
                out["log_loss"] = log_loss(y, c.p, labels=[0, 1])
                out["brier_score"] = brier_score_loss(y, c.p, labels=[0, 1])
                out["top_k_accuracy"] = {"3": None, "5": None}
            else:
                renormed = c.p / c.p.sum(axis=1, keepdims=True)
                out["log_loss"] = log_loss(y, renormed, labels=list(range(k)))
                onehot = self.T.astype(float)
                out["brier_score"] = float(np.mean(np.sum((c.p - onehot) ** 2, axis=1)))
                out["top_k_accuracy"] = {
                    str(top): (top_k_accuracy_score(y, c.p, k=top, labels=list(range(k))) if k > top else None)
                    for top in (3, 5)
                }
        return out

    def counts(self, t: float) -> dict[str, np.ndarray]:
        T, hit = self.T, self.S > t
        return {
            "tp": (T & hit).sum(axis=0),
            "fp": (~T & hit).sum(axis=0),
            "fn": (T & ~hit).sum(axis=0),
            "tn": (~T & ~hit).sum(axis=0),
        }


def _mean_defined(values: list[float | None]) -> float | None:
    defined = [v for v in values if v is not None]
    return float(np.mean(defined)) if defined else None


def _ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


def _multilabel_balanced_accuracy(Y: np.ndarray, P: np.ndarray) -> float:
    per = []
    for j in range(Y.shape[1]):
        tp, fn = (Y[:, j] & P[:, j]).sum(), (Y[:, j] & ~P[:, j]).sum()
        tn, fp = (~Y[:, j] & ~P[:, j]).sum(), (~Y[:, j] & P[:, j]).sum()
        per.append((_ratio(tp, tp + fn) + _ratio(tn, tn + fp)) / 2)
    return float(np.mean(per))


def assert_close(got: Any, expected: Any, what: str) -> None:
    if expected is None:
        assert got is None, f"{what}: expected null, got {got!r}"
        return
    assert got is not None, f"{what}: expected {expected!r}, got null"
    assert isinstance(got, (int, float)) and not isinstance(got, bool), f"{what}: not a number: {got!r}"
    assert abs(got - float(expected)) <= TOL, f"{what}: expected {float(expected)!r}, got {got!r}"


# ----------------------------------------------------------------------------- tests

NAMES = sorted(CASES)


@pytest.mark.parametrize("name", NAMES)
def test_task_classes_and_counts(name: str) -> None:
    case, report = _evaluated(name)
    assert report["task"] == case.task
    assert report["classes"] == case.classes
    assert report["positive_class"] == case.positive_class
    assert report["n_examples"] == len(case.y)
    assert report["threshold"] == case.threshold
    assert [pc["class"] for pc in report["per_class"]] == case.classes


@pytest.mark.parametrize("name", NAMES)
def test_summary_matches_sklearn(name: str) -> None:
    case, report = _evaluated(name)
    expected = Oracle(case).summary()
    got = report["summary"]
    if case.task != "multilabel":
        assert got.get("subset_accuracy") is None and got.get("hamming_loss") is None
    for key, value in expected.items():
        if key == "top_k_accuracy":
            assert set(got[key]) == {"3", "5"}, f"top_k_accuracy keys: {got[key]!r}"
            for top in ("3", "5"):
                assert_close(got[key][top], value[top], f"{name} top_k_accuracy[{top}]")
        else:
            assert_close(got[key], value, f"{name} summary.{key}")


@pytest.mark.parametrize("name", NAMES)
def test_per_class_matches_sklearn(name: str) -> None:
    case, report = _evaluated(name)
    oracle = Oracle(case)
    precision, recall, f1, support = oracle.prfs(None)
    auc, ap = oracle.per_class_auc(), oracle.per_class_ap()
    for j, entry in enumerate(report["per_class"]):
        where = f"{name} per_class[{case.classes[j]!r}]"
        assert entry["support"] == int(support[j]) and type(entry["support"]) is int, f"{where}.support"
        assert_close(entry["precision"], precision[j], f"{where}.precision")
        assert_close(entry["recall"], recall[j], f"{where}.recall")
        assert_close(entry["f1"], f1[j], f"{where}.f1")
        assert_close(entry["roc_auc"], auc[j], f"{where}.roc_auc")
        assert_close(entry["average_precision"], ap[j], f"{where}.average_precision")


@pytest.mark.parametrize("name", NAMES)
def test_at_threshold_counts(name: str) -> None:
    case, report = _evaluated(name)
    counts = Oracle(case).counts(case.threshold)
    n = len(case.y)
    for j, entry in enumerate(report["per_class"]):
        where = f"{name} per_class[{case.classes[j]!r}].at_threshold"
        at = entry["at_threshold"]
        tp, fp, fn, tn = (int(counts[key][j]) for key in ("tp", "fp", "fn", "tn"))
        for key, value in (("tp", tp), ("fp", fp), ("fn", fn), ("tn", tn),
                           ("total_labeled", tp + fn), ("total_predicted", tp + fp)):
            assert at[key] == value and type(at[key]) is int, f"{where}.{key}: expected {value}, got {at[key]!r}"
        assert_close(at["precision"], _ratio(tp, tp + fp), f"{where}.precision")
        assert_close(at["recall"], _ratio(tp, tp + fn), f"{where}.recall")
        assert_close(at["f1"], _ratio(2 * tp, 2 * tp + fp + fn), f"{where}.f1")
        assert_close(at["fpr"], _ratio(fp, fp + tn), f"{where}.fpr")
        assert_close(at["specificity"], _ratio(tn, tn + fp), f"{where}.specificity")
        assert_close(at["prevalence"], (tp + fn) / n, f"{where}.prevalence")


@pytest.mark.parametrize("name", NAMES)
def test_confusion_matrix(name: str) -> None:
    case, report = _evaluated(name)
    oracle = Oracle(case)
    cm = report["confusion_matrix"]
    assert cm["classes"] == case.classes
    if case.task == "multilabel":
        expected = oracle.T.astype(int).T @ oracle.pred.astype(int)
    else:
        expected = confusion_matrix(oracle.y_index, oracle.pred, labels=list(range(len(case.classes))))
    # rows are shares of their row total (multiclass: the class's support); empty rows are 0
    support = expected.sum(axis=1)
    if len(case.classes) > MATRIX_LIMIT:
        _check_compact_confusion(cm, expected)
        return
    assert cm["counts"] == expected.tolist()
    assert all(type(v) is int for row in cm["counts"] for v in row)
    for i, row in enumerate(cm["normalized"]):
        for j, value in enumerate(row):
            assert_close(value, _ratio(expected[i, j], support[i]), f"{name} normalized[{i}][{j}]")


def _check_compact_confusion(cm: dict, expected: np.ndarray) -> None:
    """Past the matrix limit: the sparse cells are every non-zero cell; the shown classes are
    those with the most errors, and "other" sums exactly the classes left out."""
    k = len(expected)
    assert cm["counts"] is None and cm["normalized"] is None
    sparse = cm["sparse"]
    dense = np.zeros((k, k), dtype=np.int64)
    dense[sparse["actual"], sparse["predicted"]] = sparse["count"]
    assert (dense == expected).all() and all(c > 0 for c in sparse["count"])
    assert all(type(v) is int for v in sparse["count"])
    shown = cm["shown"]
    index = shown["index"]
    errors = expected.sum(axis=0) + expected.sum(axis=1) - 2 * np.diag(expected)
    assert len(index) == MATRIX_LIMIT - 1 and index == sorted(index)
    assert min(errors[index]) >= max(np.delete(errors, index)), "a class with more errors was left out"
    rest = [i for i in range(k) if i not in set(index)]
    groups = [[i] for i in index] + [rest]
    folded = [[int(expected[np.ix_(a, b)].sum()) for b in groups] for a in groups]
    assert shown["counts"] == folded and shown["other"] == {"classes": len(rest)}
    assert sum(map(sum, shown["counts"])) == int(expected.sum())
    for i, row in enumerate(shown["normalized"]):
        total = sum(folded[i])
        for j, value in enumerate(row):
            assert_close(value, _ratio(folded[i][j], total), f"shown normalized[{i}][{j}]")


@pytest.mark.parametrize("name", NAMES)
def test_threshold_grid_counts(name: str) -> None:
    case, report = _evaluated(name)
    grid = report["threshold_grid"]
    thresholds = grid["thresholds"]
    expected_t = sorted({round(i * 0.01, 10) for i in range(101)} | {case.threshold})
    assert np.allclose(thresholds, expected_t, atol=1e-12, rtol=0) and len(thresholds) == len(expected_t)
    assert thresholds == sorted(thresholds)
    assert case.threshold in thresholds
    assert list(grid["classes"]) == case.classes
    oracle = Oracle(case)
    expected = {key: np.empty((len(thresholds), len(case.classes)), int) for key in ("tp", "fp", "fn", "tn")}
    for i, t in enumerate(thresholds):
        for key, value in oracle.counts(t).items():
            expected[key][i] = value
    for j, cls in enumerate(case.classes):
        for key in ("tp", "fp", "fn", "tn"):
            got = grid["classes"][cls][key]
            assert all(type(v) is int for v in got), f"{name} grid {cls!r}.{key} has non-int"
            want = expected[key][:, j].tolist()
            if got != want:
                bad = next(i for i in range(len(want)) if got[i] != want[i])
                raise AssertionError(
                    f"{name} grid {cls!r}.{key} at t={thresholds[bad]!r}: expected {want[bad]}, got {got[bad]}"
                )


@pytest.mark.parametrize("name", NAMES)
def test_warnings(name: str) -> None:
    case, report = _evaluated(name)
    codes = [w["code"] for w in report["warnings"]]
    for code in case.warn_codes:
        assert code in codes, f"{name}: warning {code!r} missing from {codes}"
    for w in report["warnings"]:
        assert isinstance(w["code"], str) and w["code"] and isinstance(w["message"], str) and w["message"]
    undefined = [c for c, auc in zip(case.classes, Oracle(case).per_class_auc()) if auc is None]
    if undefined:
        text = " ".join(w["message"] for w in report["warnings"])
        for cls in undefined[:10]:
            assert cls in text, f"{name}: no warning names class {cls!r} whose AUC is null: {report['warnings']}"
        if len(undefined) > 10:  # a long list names ten and counts the rest
            assert f"and {len(undefined) - 10} more" in text, report["warnings"]
    if case.task == "multiclass" and not np.allclose(case.p.sum(axis=1), 1.0, atol=1e-6):
        assert "scores_not_normalized" in codes
    if case.task == "multiclass" and np.allclose(case.p.sum(axis=1), 1.0, atol=1e-9):
        assert "scores_not_normalized" not in codes


def test_no_positive_class_is_left_out_of_macro() -> None:
    case, report = _evaluated("class_without_positives")
    entry = report["per_class"][2]
    assert entry["class"] == "c" and entry["support"] == 0
    assert entry["roc_auc"] is None and entry["average_precision"] is None
    oracle = Oracle(case)  # the class without positives has no AUC or AP: the means skip it
    assert_close(report["summary"]["roc_auc_macro"], _mean_defined(oracle.per_class_auc()), "roc_auc_macro")
    assert_close(report["summary"]["average_precision_macro"], _mean_defined(oracle.per_class_ap()), "ap_macro")
    assert report["curves"]["c"]["roc"] is None and report["curves"]["c"]["pr"] is None


def test_score_at_threshold_is_not_predicted() -> None:
    case, report = _evaluated("binary_at_threshold")
    at_half = case.p == 0.5
    assert at_half.sum() > 50
    positive = report["per_class"][1]["at_threshold"]
    assert positive["total_predicted"] == int((case.p > 0.5).sum())
    assert positive["total_predicted"] < int((case.p >= 0.5).sum())
    # the negative class scores 1 - p: 0.5 is not above 0.5 either
    negative = report["per_class"][0]["at_threshold"]
    assert negative["total_predicted"] == int((case.p < 0.5).sum())
    grid = report["threshold_grid"]
    i = grid["thresholds"].index(0.5)
    assert grid["classes"]["pos"]["tp"][i] + grid["classes"]["pos"]["fp"][i] == int((case.p > 0.5).sum())


def test_digits_is_a_real_model() -> None:
    """Guard against the oracle comparing two wrong numbers: digits should be ~95% accurate."""
    _, report = _evaluated("digits")
    assert 0.9 < report["summary"]["accuracy"] < 1.0
    assert report["summary"]["roc_auc_macro"] > 0.98
    _, report = _evaluated("cancer")
    assert report["summary"]["accuracy"] > 0.9


def test_threshold_changes_binary_predictions() -> None:
    _, base = _evaluated("cancer")
    _, high = _evaluated("cancer_threshold")
    assert high["threshold"] == 0.8
    assert high["per_class"][1]["at_threshold"]["total_predicted"] < base["per_class"][1]["at_threshold"]["total_predicted"]
    assert high["summary"]["roc_auc_macro"] == base["summary"]["roc_auc_macro"]


# ----------------------------------------------------------------------------- JSON shape

SUMMARY_KEYS = {
    "accuracy", "macro_precision", "macro_recall", "macro_f1", "micro_f1", "weighted_f1",
    "roc_auc_macro", "average_precision_macro", "log_loss", "balanced_accuracy", "mcc",
    "cohen_kappa", "brier_score", "top_k_accuracy", "precision", "recall", "f1",
}
PER_CLASS_KEYS = {"class", "support", "precision", "recall", "f1", "roc_auc", "average_precision", "at_threshold"}
AT_KEYS = {"tp", "fp", "fn", "tn", "total_labeled", "total_predicted", "precision", "recall", "f1",
           "fpr", "specificity", "prevalence"}
TOP_KEYS = {"schema_version", "task", "classes", "positive_class", "n_examples", "threshold", "summary",
            "per_class", "confusion_matrix", "probability_matrix", "curves", "threshold_grid", "warnings"}


def _is_number_or_none(x: Any) -> bool:
    return x is None or (isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x))


@pytest.mark.parametrize("name", NAMES)
def test_json_shape(name: str) -> None:
    case, report = _evaluated(name)
    assert TOP_KEYS <= set(report), f"missing {TOP_KEYS - set(report)}"
    assert report["schema_version"] == "1.3.0"
    text = json.dumps(report, allow_nan=False)
    assert json.loads(text) == report
    check_schema(report)
    assert type(report["n_examples"]) is int
    assert isinstance(report["threshold"], float)
    summary_keys = SUMMARY_KEYS | ({"subset_accuracy", "hamming_loss"} if case.task == "multilabel" else set())
    assert summary_keys <= set(report["summary"])
    for key in summary_keys - {"top_k_accuracy"}:
        assert _is_number_or_none(report["summary"][key]), key
    for entry in report["per_class"]:
        assert PER_CLASS_KEYS <= set(entry)
        assert AT_KEYS <= set(entry["at_threshold"])
        for key in ("precision", "recall", "f1", "roc_auc", "average_precision"):
            assert _is_number_or_none(entry[key])
        for key in ("tp", "fp", "fn", "tn", "total_labeled", "total_predicted"):
            assert type(entry["at_threshold"][key]) is int
    cm = report["confusion_matrix"]
    k = len(case.classes)
    pm = report["probability_matrix"]
    assert pm["classes"] == case.classes
    if k > MATRIX_LIMIT:
        side = MATRIX_LIMIT
        assert cm["counts"] is None and pm["mean_score"] is None
        assert len(cm["shown"]["counts"]) == side and all(len(r) == side for r in cm["shown"]["counts"])
        assert len(pm["shown"]["mean_score"]) == side and all(len(r) == side for r in pm["shown"]["mean_score"])
    else:
        assert len(cm["counts"]) == k and all(len(r) == k for r in cm["counts"])
        assert len(cm["normalized"]) == k and all(len(r) == k and all(isinstance(v, float) for v in r) for r in cm["normalized"])
        assert len(pm["mean_score"]) == k and all(len(r) == k for r in pm["mean_score"])
    assert list(report["curves"]) == case.classes
    for cls, curve in report["curves"].items():
        for kind, keys in (("roc", ("fpr", "tpr", "thresholds")), ("pr", ("recall", "precision", "thresholds"))):
            if curve[kind] is None:
                continue
            lengths = {len(curve[kind][key]) for key in keys}
            assert len(lengths) == 1, f"{cls} {kind} arrays not aligned: {lengths}"
    grid = report["threshold_grid"]
    n_t = len(grid["thresholds"])
    for cls, arrays in grid["classes"].items():
        assert {len(arrays[key]) for key in ("tp", "fp", "fn", "tn")} == {n_t}
        totals = np.array(arrays["tp"]) + arrays["fp"] + np.array(arrays["fn"]) + arrays["tn"]
        assert (totals == report["n_examples"]).all(), cls


def test_default_grid_is_hundredths() -> None:
    _, report = _evaluated("digits")
    thresholds = report["threshold_grid"]["thresholds"]
    assert len(thresholds) == 101
    assert thresholds[0] == 0.0 and thresholds[-1] == 1.0
    assert np.allclose(np.diff(thresholds), 0.01, atol=1e-12)


def test_off_grid_threshold_is_inserted() -> None:
    case = case_cancer()
    report = reportgen.evaluate(case.labels, case.scores, n_bootstrap=0, threshold=0.333).to_dict()
    thresholds = report["threshold_grid"]["thresholds"]
    assert 0.333 in thresholds and len(thresholds) == 102
    i = thresholds.index(0.333)
    assert report["threshold_grid"]["classes"]["benign"]["tp"][i] == report["per_class"][1]["at_threshold"]["tp"]


def test_grid_step_option() -> None:
    case = case_cancer()
    report = reportgen.evaluate(case.labels, case.scores, n_bootstrap=0, grid_step=0.05).to_dict()
    thresholds = report["threshold_grid"]["thresholds"]
    assert len(thresholds) == 21 and np.allclose(thresholds, np.linspace(0, 1, 21), atol=1e-12)


def test_probability_matrix_digits() -> None:
    case, report = _evaluated("digits")
    y, p = case.y, case.p
    got = report["probability_matrix"]["mean_score"]
    for i in range(10):
        for j in range(10):
            assert_close(got[i][j], p[y == i, j].mean(), f"mean_score[{i}][{j}]")


def test_probability_matrix_past_the_limit() -> None:
    """Compact form: each actual class's best-scored classes and the rest, and the shown
    classes with "other", against means taken straight from the scores."""
    case, report = _evaluated("120_classes")
    y, p = np.asarray(case.y), np.asarray(case.p)
    k = len(case.classes)
    means = np.array([p[y == i].mean(axis=0) if (y == i).any() else np.full(k, np.nan) for i in range(k)])
    pm = report["probability_matrix"]
    top = pm["top"]
    assert top["actual"] == [i for i in range(k) if (y == i).any()]
    for row, i in enumerate(top["actual"]):
        order = np.argsort(-means[i], kind="stable")[:TOP_SCORED]
        assert top["scored"][row] == order.tolist()
        for j, value in zip(order, top["mean"][row]):
            assert_close(value, means[i, j], f"top mean [{i}][{j}]")
        assert_close(top["rest"][row], np.delete(means[i], order).sum(), f"rest [{i}]")
    index = pm["shown"]["index"]
    assert index == report["confusion_matrix"]["shown"]["index"]
    rest = np.array([i for i in range(k) if i not in set(index)])
    groups = [np.array([i]) for i in index] + [rest]
    for a, rows in enumerate(groups):
        chosen = np.isin(y, rows)
        for b, cols in enumerate(groups):
            expected = p[np.ix_(chosen, cols)].sum(axis=1).mean() if chosen.any() else None
            got = pm["shown"]["mean_score"][a][b]
            if expected is None:
                assert got is None
            else:
                assert_close(got, expected, f"shown mean_score[{a}][{b}]")


def test_examples_order_does_not_change_metrics() -> None:
    case = case_ids_shuffled_int_vs_str()
    straight = multiclass_case(case.y, case.p, case.classes)
    a = _evaluated("ids_shuffled_int_vs_str")[1]
    b = reportgen.evaluate(straight.labels, straight.scores, n_bootstrap=0).to_dict()
    assert_json_close(a["summary"], b["summary"], "summary", lambda _, x, y: abs(x - y) <= TOL)
    assert a["confusion_matrix"]["counts"] == b["confusion_matrix"]["counts"]
    assert a["threshold_grid"] == b["threshold_grid"]


