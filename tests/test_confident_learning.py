"""Likely label errors are confident learning as cleanlab computes it: the same examples as
``cleanlab.filter.find_label_issues(labels, pred_probs, filter_by='confident_learning')``,
ranked by self-confidence (cleanlab's default ``rank_by``), lowest first, ties by id, on
every engine and whatever the chunking."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import pyarrow as pa

import reportgen
from conftest import softmax_scores, write_frame
from reportgen.analysis.mistakes import confident_learning, label_thresholds
from reportgen.report.export import export_tables
from reportgen.stats import from_examples
from reportgen.validate import Examples

cleanlab_filter = pytest.importorskip("cleanlab.filter")
count = pytest.importorskip("cleanlab.count")


def _flip(rng: np.random.Generator, y: np.ndarray, k: int, share: float) -> np.ndarray:
    """``y`` with ``share`` of its labels moved at random to another class."""
    flipped = rng.choice(len(y), int(round(share * len(y))), replace=False)
    given = y.copy()
    given[flipped] = (y[flipped] + rng.integers(1, k, len(flipped))) % k
    return given


def _multiclass(seed: int, n: int = 5000, k: int = 10, share: float = 0.03, strength: float = 2.5,
                prior: np.ndarray | None = None):
    rng = np.random.default_rng(seed)
    y = rng.choice(k, n, p=prior)
    scores = softmax_scores(rng, y, k, strength)
    return _flip(rng, y, k, share), scores


def _cleanlab(given: np.ndarray, pred_probs: np.ndarray) -> set[int]:
    mask = cleanlab_filter.find_label_issues(given, pred_probs, filter_by="confident_learning", n_jobs=1)
    return set(np.flatnonzero(mask).tolist())


def _ranking(rows: set[int], given: np.ndarray, pred_probs: np.ndarray) -> list[int]:
    """``rows`` by self-confidence, lowest first, ties by the id's text ("10" before "9")."""
    own = pred_probs[np.arange(len(given)), given]
    return sorted(rows, key=lambda i: (own[i], str(i)))


def _ours(given, pred_probs, classes, **options):
    """Every listed candidate's id (as int), and the report, of evaluate_arrays on the data."""
    evaluation = reportgen.evaluate_arrays(np.asarray(classes, dtype=object)[given], pred_probs,
                                           classes=classes, n_bootstrap=0, **options)
    table = export_tables(evaluation.example_lists)["label_issues"]
    return [int(i) for i in table.column("id").to_pylist()], table, evaluation.to_dict()


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_ten_classes_with_three_percent_flipped_are_cleanlabs_set_in_self_confidence_order(seed):
    given, scores = _multiclass(seed)
    classes = [f"c{j}" for j in range(10)]
    ids, table, report = _ours(given, scores, classes)
    expected = _cleanlab(given, scores)
    assert set(ids) == expected
    assert report["label_issues_total"] == len(expected)
    assert ids == _ranking(expected, given, scores)
    assert len(expected) < np.count_nonzero(scores.argmax(axis=1) != given) / 3  # not every mistake
    rows = np.array(ids[:50])
    assert table.column("self_confidence").to_pylist()[:50] == scores[rows, given[rows]].tolist()
    suggested = [classes.index(c) for c in table.column("suggested").to_pylist()[:50]]
    assert all(s != g for s, g in zip(suggested, given[rows]))
    assert table.column("suggested_score").to_pylist()[:50] == scores[rows, suggested].tolist()
    assert [r["id"] for r in report["label_issues"]] == [str(i) for i in ids[:25]]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_binary_flipped_labels_are_cleanlabs_set(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 3000)
    p = 1.0 / (1.0 + np.exp(-(rng.normal(0.0, 1.5, 3000) + np.where(y == 1, 1.2, -1.2))))
    given = _flip(rng, y, 2, 0.05)
    ids, table, report = _ours(given, p, ["legit", "fraud"], positive_class="fraud")
    assert report["classes"] == ["legit", "fraud"]
    pred_probs = np.column_stack([1.0 - p, p])
    expected = _cleanlab(given, pred_probs)
    assert set(ids) == expected and report["label_issues_total"] == len(expected)
    assert ids == _ranking(expected, given, pred_probs)
    assert table.column("positive_score").to_pylist() == p[ids].tolist()  # the fraud score, beside the classes
    assert all("positive_score" in item for item in report["label_issues"] + report["confident_mistakes"])


def test_non_default_positive_class_keeps_cleanlabs_set():
    """The positive class is the first name: the report's columns are reordered, the set is not."""
    rng = np.random.default_rng(8)
    y = rng.integers(0, 2, 2000)
    p_first = 1.0 / (1.0 + np.exp(-(rng.normal(0.0, 1.5, 2000) + np.where(y == 0, 1.0, -1.0))))
    given = _flip(rng, y, 2, 0.05)
    names = np.array(["fraud", "legit"], dtype=object)
    evaluation = reportgen.evaluate_arrays(names[given], p_first, classes=["fraud", "legit"], positive_class="fraud",
                                           n_bootstrap=0)
    report = evaluation.to_dict()
    assert report["positive_class"] == "fraud"
    table = export_tables(evaluation.example_lists)["label_issues"]
    expected = _cleanlab(given, np.column_stack([p_first, 1.0 - p_first]))
    assert {int(i) for i in table.column("id").to_pylist()} == expected
    assert table.column("positive_score").to_pylist() == p_first[[int(i) for i in table.column("id").to_pylist()]].tolist()


@pytest.mark.parametrize("seed", [0, 1])
def test_imbalanced_classes_with_a_rare_one_are_cleanlabs_set(seed):
    prior = np.array([0.5, 0.25, 0.15, 0.0785, 0.02, 0.0015])  # the last class: about 7 examples in 5,000
    given, scores = _multiclass(seed, k=6, prior=prior / prior.sum(), strength=2.0)
    assert np.count_nonzero(given == 5) < 50  # its few examples and about 30 flipped into it
    ids, _, report = _ours(given, scores, [f"c{j}" for j in range(6)])
    expected = _cleanlab(given, scores)
    assert set(ids) == expected and report["label_issues_total"] == len(expected)
    assert ids == _ranking(expected, given, scores)


def test_ties_scores_at_the_threshold_and_a_class_nobody_has():
    """Scores on a coarse grid (many ties between classes and with the thresholds), one
    class without a single given label (its threshold is out of reach) and constant rows."""
    rng = np.random.default_rng(4)
    k, n = 5, 3000
    y = rng.integers(0, k - 1, n)  # nobody is labeled c4
    raw = np.round(softmax_scores(rng, y, k, 1.0) * 8) / 8 + 1e-3
    scores = raw / raw.sum(axis=1, keepdims=True)
    scores[:200] = 1.0 / k  # constant rows: every class ties
    given = _flip(rng, y, k - 1, 0.05)
    assert not np.any(given == k - 1)
    ids, _, report = _ours(given, scores, [f"c{j}" for j in range(k)])
    expected = _cleanlab(given, scores)
    assert set(ids) == expected and report["label_issues_total"] == len(expected)
    assert ids == _ranking(expected, given, scores)
    assert not expected & set(range(200))


def _examples(given: np.ndarray, scores: np.ndarray) -> Examples:
    k = scores.shape[1]
    return Examples(task="multiclass", classes=tuple(f"c{j}" for j in range(k)), positive_class=None,
                    ids=pa.array([str(i) for i in range(len(given))]), y_score=np.asfortranarray(scores),
                    y_true=given, y_multi=None)


def _cleanlab_at(given: np.ndarray, scores: np.ndarray, thresholds: np.ndarray) -> set[int]:
    """cleanlab's confident-learning filter at given thresholds: the confident joint's
    off-diagonal examples less those whose label is the top class within its tolerance."""
    _, off = count.compute_confident_joint(given, scores, thresholds=thresholds, return_indices_of_off_diagonals=True)
    close = count._reduce_issues(scores, given)
    return set(off.tolist()) - set(np.flatnonzero(close).tolist())


def test_the_rules_one_by_one():
    thresholds = np.array([0.6, 0.5, 0.35])
    rows = [  # (scores, given label): flagged, suggested
        ([0.30, 0.60, 0.10], 0),  # only b confident, not the label: flagged, suggests b
        ([0.55, 0.40, 0.05], 1),  # no class reaches its threshold: not flagged although a is the top
        ([0.20, 0.40, 0.40], 1),  # only c confident, but the label ties it for the top: not flagged
        ([0.20, 0.39, 0.41], 1),  # only c confident and the top: flagged, suggests c
        ([0.15, 0.45, 0.40], 2),  # only the label confident: not flagged
        ([0.40, 0.22, 0.38], 2),  # only the label confident, a the top: not flagged
        ([0.42, 0.21, 0.37], 1),  # only c confident, a the top: counted under c, flagged, suggests c
        ([0.5999995, 0.40, 0.0000005], 1),  # a reaches 0.6 within the tolerance (1e-6): flagged, suggests a
        ([0.3999995, 0.60, 0.0000005], 1),  # the label confident: not flagged
        ([0.10, 0.4499995, 0.45], 1),  # c confident and the top, the label within the tolerance: not flagged
    ]
    scores = np.array([r for r, _ in rows])
    given = np.array([g for _, g in rows])
    flagged, suggested = confident_learning(_examples(given, scores), thresholds)
    assert np.flatnonzero(flagged).tolist() == [0, 3, 6, 7]
    assert suggested[[0, 3, 6, 7]].tolist() == [1, 2, 2, 0]
    assert set(np.flatnonzero(flagged).tolist()) == _cleanlab_at(given, scores, thresholds)


def test_several_confident_classes_count_under_the_rows_top_class():
    """cleanlab's rule: with two or more confident classes, the joint's column is the row's
    top class (first on ties), even when that class does not reach its own threshold."""
    thresholds = np.array([0.9, 0.2, 0.2, 0.5])
    rows = [
        ([0.45, 0.25, 0.30, 0.00], 3),  # b and c confident, a the top: suggests a
        ([0.45, 0.25, 0.30, 0.00], 0),  # the same row labeled a: not flagged
        ([0.10, 0.35, 0.35, 0.20], 3),  # b and c confident and tied: the first, b
        ([0.10, 0.35, 0.35, 0.20], 2),  # labeled c, tied with b for the top: not flagged
        ([0.02, 0.30, 0.08, 0.60], 1),  # b and d confident, d the top: suggests d
    ]
    scores = np.array([r for r, _ in rows])
    given = np.array([g for _, g in rows])
    flagged, suggested = confident_learning(_examples(given, scores), thresholds)
    assert np.flatnonzero(flagged).tolist() == [0, 2, 4]
    assert suggested[[0, 2, 4]].tolist() == [0, 1, 3]
    assert set(np.flatnonzero(flagged).tolist()) == _cleanlab_at(given, scores, thresholds)


def test_thresholds_are_cleanlabs_and_chunks_do_not_matter():
    given, scores = _multiclass(5, n=2000, k=7)
    scores[:, 6] = 0.0  # a class nobody gives and the model never scores
    given[given == 6] = 0
    scores /= scores.sum(axis=1, keepdims=True)
    ex = _examples(given, scores)
    thresholds = label_thresholds(from_examples(ex, 0.5))
    reference = count.get_confident_thresholds(given, scores)
    assert np.allclose(thresholds[:6], reference[:6], rtol=1e-12) and thresholds[6] == np.inf and reference[6] == 2
    whole, _ = confident_learning(ex, thresholds)
    assert set(np.flatnonzero(whole).tolist()) == _cleanlab(given, scores)
    flagged = np.zeros(ex.n_examples, dtype=bool)
    for rows in np.array_split(np.random.default_rng(0).permutation(ex.n_examples), 5):
        rows = np.sort(rows)
        flagged[rows] = confident_learning(ex.subset(rows), thresholds)[0]
    assert np.array_equal(flagged, whole)


def test_integer_weights_are_repeated_rows():
    """Weighted thresholds: a weight of 3 is three copies of the row (cleanlab has no weights)."""
    given, scores = _multiclass(6, n=1500, k=5)
    weights = np.random.default_rng(6).integers(1, 4, len(given))
    evaluation = reportgen.evaluate_arrays(given, scores, classes=list(range(5)), sample_weight=weights,
                                           n_bootstrap=0)
    ids = {int(i) for i in export_tables(evaluation.example_lists)["label_issues"].column("id").to_pylist()}
    rows = np.repeat(np.arange(len(given)), weights)
    repeated = _cleanlab(given[rows], scores[rows])
    assert ids == {int(rows[i]) for i in repeated}


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_streaming_engines_list_the_same_label_issues(tmp_path, engine):
    if engine == "spark":
        pytest.importorskip("pyspark")
    given, scores = _multiclass(7, n=4000, k=8)
    names = np.array([f"c{j}" for j in range(8)], dtype=object)
    order = np.random.default_rng(7).permutation(len(given))
    labels = write_frame(pd.DataFrame({"id": np.arange(len(given)), "label": names[given]}), tmp_path / "labels.parquet")
    table = pd.DataFrame({"id": order, **{n: scores[order, j] for j, n in enumerate(names)}})
    scored = write_frame(table, tmp_path / "scores.parquet")
    memory = reportgen.evaluate_files(labels, scored, engine="memory", n_bootstrap=0).to_dict()
    streamed = reportgen.evaluate_files(labels, scored, engine=engine, n_bootstrap=0).to_dict()
    expected = _cleanlab(given, scores)
    assert memory["label_issues_total"] == streamed["label_issues_total"] == len(expected)
    assert streamed["label_issues"] == memory["label_issues"]
    assert [int(r["id"]) for r in streamed["label_issues"]] == _ranking(expected, given, scores)[:25]
