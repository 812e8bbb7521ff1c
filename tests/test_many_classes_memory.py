"""Many classes in bounded memory: Parquet score columns read a group at a time into the
score matrix, the final confusion kept as its non-zero cells, BCa intervals a block of
columns at a time; every number the same as the dense, whole-table way."""
from __future__ import annotations

import dataclasses

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.metrics import cohen_kappa_score, confusion_matrix, matthews_corrcoef

import reportgen
from reportgen import io
from reportgen.analysis import bootstrap
from reportgen.costs import Costs
from reportgen.decisions import expected_costs
from reportgen.matrices import SparseCounts, cost_total, fold, nonzero, shown_classes, top_scored
from reportgen.metrics import evaluate_statistics
from reportgen.options import Options
from reportgen.stats import from_examples
from reportgen.validate import Source, build_examples

CLASSES = io.UNREAD_GROUP + 44  # more score columns than one group


def _data(tmp_path, n=400, k=CLASSES, seed=0, rare=False):
    """labels.parquet and scores.parquet (rows shuffled, float64 and float32 columns, a
    string column among them); imbalanced with rare and absent classes when ``rare``."""
    rng = np.random.default_rng(seed)
    names = [f"c{j:03d}" for j in range(k)]
    p = np.where(np.arange(k) < k // 2, 1.0, 0.02) if rare else np.ones(k)
    y = rng.choice(k - 3 if rare else k, n, p=p[:k - 3] / p[:k - 3].sum() if rare else None)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y] += 3.0
    scores = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    scores = np.round(scores, 6)
    ids = np.array([f"r{i}" for i in range(n)])
    pq.write_table(pa.table({"id": ids, "label": np.array(names)[y]}), tmp_path / "labels.parquet")
    order = rng.permutation(n)
    columns = {"id": pa.array(ids[order])}
    for j, name in enumerate(names):
        values = scores[order, j]
        columns[name] = pa.array(values.astype(np.float32) if j % 7 == 3 else values)
    pq.write_table(pa.table(columns), tmp_path / "scores.parquet")
    return tmp_path / "labels.parquet", tmp_path / "scores.parquet", names


def test_deferred_parquet_columns_fill_the_same_score_matrix(tmp_path):
    labels, scores, names = _data(tmp_path)
    table, unread = io.read_deferred(scores, ("id",), keep={"id", "label"})
    assert unread is not None and unread.names == frozenset(names)
    assert table.schema == pq.read_schema(scores) and table.num_rows == 400
    assert table.column(names[0]).null_count == 400  # a placeholder: its values come from the file
    opts = Options()
    label_source = Source(pq.read_table(labels), str(labels))
    whole = build_examples(label_source, Source(pq.read_table(scores), str(scores)), opts, False)
    deferred = build_examples(label_source, Source(table, str(scores), unread), opts, False)
    assert deferred.classes == whole.classes and np.array_equal(deferred.y_true, whole.y_true)
    assert np.array_equal(deferred.y_score, whole.y_score) and deferred.y_score.flags.f_contiguous


def test_the_memory_engine_reads_parquet_scores_a_group_at_a_time(tmp_path, monkeypatch):
    labels, scores, names = _data(tmp_path)
    groups = []
    read = io.Unread.read
    monkeypatch.setattr(io.Unread, "read", lambda self, wanted: groups.append(len(wanted)) or read(self, wanted))
    deferred = reportgen.evaluate_files(labels, scores, n_bootstrap=0).to_dict()
    assert groups == [io.UNREAD_GROUP, CLASSES - io.UNREAD_GROUP]
    monkeypatch.setattr(io, "read_deferred", lambda path, string_columns=(), keep=(): (io.read_table(path, string_columns), None))
    whole = reportgen.evaluate_files(labels, scores, n_bootstrap=0).to_dict()
    assert deferred == whole


def test_a_missing_score_in_a_deferred_column_is_named_with_its_row(tmp_path):
    labels, scores, names = _data(tmp_path)
    table = pq.read_table(scores)
    bad = names[io.UNREAD_GROUP + 5]  # in the second group read
    values = table.column(bad).to_pylist()
    values[17] = None
    pq.write_table(table.set_column(table.schema.get_field_index(bad), bad, pa.array(values)), scores)
    with pytest.raises(reportgen.InputError) as info:
        reportgen.evaluate_files(labels, scores, n_bootstrap=0)
    message = str(info.value)
    assert "missing score" in message and repr(bad) in message and table.column("id")[17].as_py() in message


def test_kept_columns_are_read_with_the_table(tmp_path):
    path = tmp_path / "s.parquet"
    pq.write_table(pa.table({"id": [1.0, 2.0], "split": [0.5, 0.25], "a": [0.1, 0.2], "b": ["x", "y"]}), path)
    table, unread = io.read_deferred(path, keep={"id", "split"})
    assert unread.names == {"a"}
    assert table.column("id").to_pylist() == [1.0, 2.0] and table.column("split").to_pylist() == [0.5, 0.25]
    assert table.column("b").to_pylist() == ["x", "y"]
    assert unread.read(["a"]).column("a").to_pylist() == [0.1, 0.2]
    csv = tmp_path / "s.csv"
    csv.write_text("id,a\n1,0.5\n")
    assert io.read_deferred(csv, keep={"id"})[1] is None  # other formats are read whole


@pytest.mark.parametrize("weighted", [False, True])
def test_sparse_confusion_answers_as_the_dense_one(tmp_path, weighted):
    labels, scores, names = _data(tmp_path, n=600, k=60, seed=1, rare=True)
    opts = Options()
    ex = build_examples(Source(pq.read_table(labels), "l"), Source(pq.read_table(scores), "s"), opts, False)
    if weighted:
        ex = dataclasses.replace(ex, weight=np.random.default_rng(2).integers(0, 4, ex.n_examples) / 2.0)
    final = from_examples(ex, opts.threshold, grid=opts.grid)
    dense = from_examples(ex, opts.threshold).confusion
    sparse = final.confusion
    assert isinstance(sparse, SparseCounts) and len(sparse.cells) <= ex.n_examples
    assert sparse.shape == dense.shape and np.array_equal(sparse.diagonal(), dense.diagonal())
    for axis in (0, 1):
        assert np.array_equal(sparse.sum(axis=axis), dense.sum(axis=axis))
    assert sparse.sum() == dense.sum() and sparse.trace() == np.trace(dense)
    cells, values = nonzero(sparse)
    want_cells, want_values = nonzero(dense)
    assert np.array_equal(cells, want_cells) and np.array_equal(values, want_values)
    index = shown_classes(dense, 39)
    assert np.array_equal(shown_classes(sparse, 39), index)
    assert np.array_equal(fold(sparse, index), fold(dense, index))
    costs = np.random.default_rng(3).random((60, 60))
    assert cost_total(sparse, costs) == pytest.approx(cost_total(dense, costs), rel=1e-12)
    if not weighted:
        predicted = ex.argmax
        assert np.array_equal(dense, confusion_matrix(ex.y_true, predicted, labels=np.arange(60)))
    # the report is the same from either form
    with_dense = evaluate_statistics(dataclasses.replace(final, confusion=dense), opts.grid, (), opts.max_curve_points)
    with_sparse = evaluate_statistics(final, opts.grid, (), opts.max_curve_points)
    assert with_sparse.to_dict() == with_dense.to_dict()
    summary = with_sparse.to_dict()["summary"]
    w = ex.weight
    assert summary["mcc"] == pytest.approx(matthews_corrcoef(ex.y_true, ex.argmax, sample_weight=w), abs=1e-12)
    assert summary["cohen_kappa"] == pytest.approx(cohen_kappa_score(ex.y_true, ex.argmax, sample_weight=w), abs=1e-12)
    matrix = Costs(kind="matrix", values={a: dict(zip(names, row)) for a, row in zip(names, costs.tolist())},
                   source="costs.json")
    spent = expected_costs(final, None, matrix)["at_threshold"]["expected_cost"]
    sample = np.ones(ex.n_examples) if w is None else w
    assert spent == pytest.approx(np.sum(costs[ex.y_true, ex.argmax] * sample) / sample.sum(), rel=1e-12)


def test_intervals_in_blocks_of_columns_are_the_whole_ones(monkeypatch):
    rng = np.random.default_rng(5)
    values = rng.beta(2, 3, (200, 37))
    values[:, 4] = 0.5  # every replicate equal
    values[:150, 9] = np.nan  # few finite
    draws = bootstrap.Draws(values, values.mean(axis=0), rng.beta(2, 3, (50, 37)))
    point = np.median(values, axis=0)
    whole = bootstrap.interval(draws, point, (0.0, 1.0))
    monkeypatch.setattr(bootstrap, "CHUNK_CELLS", 200 * 5)  # five columns at a time
    assert bootstrap.interval(draws, point, (0.0, 1.0)) == whole


def test_top_scored_columns_are_a_stable_sorts_first_ones():
    rng = np.random.default_rng(4)
    for _ in range(200):
        m, k = rng.integers(1, 30), rng.integers(1, 40)
        sums = rng.integers(0, 4, (m, k)) / rng.integers(1, 4)  # many ties
        sums[rng.random(m) < 0.2] = 0.0  # classes without examples: a row of zeros
        for top in (1, 3, 5, 50):
            columns, values = top_scored(sums, top)
            want = np.argsort(-sums, axis=1, kind="stable")[:, :top]
            assert np.array_equal(columns, want)
            assert np.array_equal(values, np.take_along_axis(sums, want, axis=1))


def test_a_label_only_model_of_many_classes_counts_a_sparse_confusion():
    rng = np.random.default_rng(6)
    classes = [f"c{j:02d}" for j in range(60)]
    y = rng.choice(57, 900)  # three classes without examples
    pred = np.where(rng.random(900) < 0.7, y, rng.choice(60, 900))
    names = np.array(classes)
    report = reportgen.evaluate_arrays(names[y], y_pred=names[pred], classes=classes, n_bootstrap=0).to_dict()
    matrix = report["confusion_matrix"]
    want = confusion_matrix(y, pred, labels=np.arange(60))
    assert matrix["counts"] is None
    got = np.zeros((60, 60), dtype=np.int64)
    got[matrix["sparse"]["actual"], matrix["sparse"]["predicted"]] = matrix["sparse"]["count"]
    assert np.array_equal(got, want)
    assert report["summary"]["mcc"] == pytest.approx(matthews_corrcoef(y, pred), abs=1e-12)
    assert report["summary"]["cohen_kappa"] == pytest.approx(cohen_kappa_score(y, pred), abs=1e-12)
    recall = [c["recall"] for c in report["per_class"]]
    support = want.sum(axis=1)
    assert recall == pytest.approx(np.divide(np.diag(want), support, out=np.zeros(60), where=support > 0).tolist())
