"""Multilabel labels and predictions as list columns (the shape datasets libraries write):
lists of names in JSON Lines and Parquet (list, large_list), lists of integer positions of
--classes, an empty or null list as a row without labels. Each gives the whole report of the
same data with names joined by ``|``, on every engine; a name outside the classes, a
position outside --classes and a list beside single-label labels are errors naming the row."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import reportgen
from conftest import assert_json_close
from reportgen.errors import InputError

CLASSES = ("joy", "love", "anger", "fear")
N = 240


def _data(seed: int = 3):
    """Truth and hard predictions as (rows × classes) 0/1, scores per class; row 5 has no
    label (an empty list) and row 9 a null list, the class "fear" no positive."""
    rng = np.random.default_rng(seed)
    truth = rng.random((N, len(CLASSES))) < np.array([0.5, 0.3, 0.2, 0.0])
    truth[5] = truth[9] = False
    scores = np.round(np.clip(truth * 0.5 + rng.random(truth.shape) * 0.6, 0, 1), 2)  # rounded: ties
    predicted = scores > 0.55
    return [f"t{i}" for i in range(N)], truth, scores, predicted


def _names(matrix: np.ndarray) -> list[list[str]]:
    return [[CLASSES[j] for j in np.flatnonzero(row)] for row in matrix]


def _positions(matrix: np.ndarray) -> list[list[int]]:
    return [[int(j) for j in np.flatnonzero(row)] for row in matrix]


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _files(tmp_path: Path) -> dict[str, dict[str, Path]]:
    """Each form of the same data: labels file, scores file, predictions file."""
    ids, truth, scores, predicted = _data()
    score_table = pa.table({"id": ids, **{c: scores[:, j] for j, c in enumerate(CLASSES)}})
    pq.write_table(score_table, tmp_path / "scores.parquet")
    forms: dict[str, dict[str, Path]] = {}
    joined = {"labels": ["|".join(r) for r in _names(truth)], "predicted": ["|".join(r) for r in _names(predicted)]}
    text = tmp_path / "text.parquet"
    pq.write_table(pa.table({"id": ids, **joined}), text)
    forms["text"] = {"labels": text, "predictions": text}
    names, guessed = _names(truth), _names(predicted)
    null_row = [None if i == 9 else r for i, r in enumerate(names)]
    jsonl = _write_jsonl(tmp_path / "lists.jsonl", [{"id": i, "labels": t, "predicted": p}
                                                    for i, t, p in zip(ids, null_row, guessed)])
    forms["jsonl names"] = {"labels": jsonl, "predictions": jsonl}
    for name, kind in (("list", pa.list_(pa.string())), ("large_list", pa.large_list(pa.string()))):
        path = tmp_path / f"{name}.parquet"
        pq.write_table(pa.table({"id": ids, "labels": pa.array(null_row, kind), "predicted": pa.array(guessed, kind)}),
                       path)
        forms[f"parquet {name}<string>"] = {"labels": path, "predictions": path}
    positions = tmp_path / "positions.parquet"
    pq.write_table(pa.table({"id": ids, "labels": pa.array(_positions(truth), pa.list_(pa.int64())),
                             "predicted": pa.array(_positions(predicted), pa.list_(pa.int64()))}), positions)
    forms["parquet list<int64> positions"] = {"labels": positions, "predictions": positions}
    return forms


def _report(engine: str, labels: Path, scores: Path | None, predictions: Path | None, **options) -> dict:
    evaluation = reportgen.evaluate_files(labels, scores, predictions=predictions, engine=engine, n_bootstrap=0,
                                          **options)
    return json.loads(evaluation.to_json())


@pytest.mark.parametrize("engine", ["memory", "duckdb"])
@pytest.mark.parametrize("inputs", ["scores", "predictions", "both"])
def test_list_columns_give_the_report_of_joined_names(tmp_path, engine, inputs):
    forms = _files(tmp_path)
    scores = tmp_path / "scores.parquet" if inputs != "predictions" else None
    # label-only reports take their classes from --classes (the lists' positions), in its order
    options = {"classes": CLASSES} if inputs == "predictions" else {}
    expected = None
    for name, files in forms.items():
        predictions = files["predictions"] if inputs != "scores" else None
        extra = {"classes": CLASSES} if "positions" in name else {}
        got = _report(engine, files["labels"], scores, predictions, **{**options, **extra})
        if expected is None:
            expected = got
            assert got["task"] == "multilabel" and got["classes"] == list(CLASSES)
            continue
        assert got == expected, name


def test_lists_match_the_indicator_arrays(tmp_path):
    """The list form against evaluate_arrays on the (n, k) 0/1 indicators."""
    ids, truth, scores, predicted = _data()
    forms = _files(tmp_path)
    got = _report("memory", forms["parquet list<string>"]["labels"], tmp_path / "scores.parquet", None)
    arrays = json.loads(reportgen.evaluate_arrays(truth.astype(int), scores, classes=CLASSES, n_bootstrap=0).to_json())
    for key in ("summary", "per_class", "confusion_matrix", "threshold_grid", "n_examples", "classes"):
        assert got[key] == arrays[key], key
    assert got["per_class"][3]["support"] == 0  # fear: no positive
    assert got["n_examples"] == N  # rows 5 and 9 (no label) are examples


def test_labels_named_label_that_hold_lists_are_multilabel(tmp_path):
    ids, truth, _, _ = _data()
    forms = _files(tmp_path)
    path = tmp_path / "label.parquet"
    pq.write_table(pa.table({"id": ids, "label": pa.array(_names(truth), pa.list_(pa.string()))}), path)
    report = _report("memory", path, tmp_path / "scores.parquet", None)
    assert report == _report("memory", forms["text"]["labels"], tmp_path / "scores.parquet", None)


def _bad(tmp_path: Path) -> dict[str, tuple[Path, dict, list[str]]]:
    ids, truth, scores, predicted = _data()
    _files(tmp_path)
    names = _names(truth)
    names[17] = ["joy", "zebra"]
    unknown = tmp_path / "unknown.jsonl"
    _write_jsonl(unknown, [{"id": i, "labels": r} for i, r in zip(ids, names)])
    positions = _positions(truth)
    positions[23] = [0, 7]
    outside = tmp_path / "outside.parquet"
    pq.write_table(pa.table({"id": ids, "labels": pa.array(positions, pa.list_(pa.int64()))}), outside)
    guessed = _names(predicted)
    guessed[30] = ["ghost"]
    predictions = tmp_path / "predicted.parquet"
    pq.write_table(pa.table({"id": ids, "predicted": pa.array(guessed, pa.list_(pa.string()))}), predictions)
    single = tmp_path / "single.parquet"
    pq.write_table(pa.table({"id": ids, "label": [CLASSES[int(np.argmax(r))] for r in scores]}), single)
    missing = _names(truth)
    missing[41] = ["joy", None]
    holes = tmp_path / "holes.parquet"
    pq.write_table(pa.table({"id": ids, "labels": pa.array(missing, pa.list_(pa.string()))}), holes)
    scores = tmp_path / "scores.parquet"
    return {
        "a name outside the classes": (unknown, {"scores": scores}, ["unknown.jsonl", "row id 't17'", "'zebra'"]),
        "a position outside --classes": (outside, {"scores": scores, "classes": CLASSES},
                                         ["outside.parquet", "row id 't23'", "position 7 is outside --classes"]),
        "a predicted name outside the classes": (
            tmp_path / "text.parquet", {"scores": scores, "predictions": predictions},
            ["predicted.parquet", "column 'predicted'", "row id 't30'", "'ghost'"]),
        "lists beside single-label labels": (single, {"scores": scores, "predictions": predictions},
                                             ["predicted.parquet", "column 'predicted'", "one class each"]),
        "a missing name in a list": (holes, {"scores": scores}, ["holes.parquet", "row id 't41'", "missing label"]),
    }


def _error(engine: str, labels: Path, options: dict) -> str:
    options = dict(options)
    with pytest.raises(InputError) as err:
        reportgen.evaluate_files(labels, options.pop("scores", None), engine=engine, n_bootstrap=0, **options)
    return str(err.value)


@pytest.mark.parametrize("engine", ["memory", "duckdb"])
def test_bad_lists_are_named(tmp_path, engine):
    for name, (labels, options, named) in _bad(tmp_path).items():
        text = _error(engine, labels, options)
        for part in named:
            assert part in text, (name, text)


def test_bad_lists_give_the_same_message_on_every_engine(tmp_path):
    for name, (labels, options, _) in _bad(tmp_path).items():
        assert _error("memory", labels, options) == _error("duckdb", labels, options), name


def test_lists_are_read_from_their_offsets_not_row_by_row():
    """``list_sets`` turns a sliced list array into names and rows with Arrow alone."""
    from reportgen.validate import list_sets

    values = pa.array([["a"], [], None, ["b", "c"], ["c"]], pa.list_(pa.string())).slice(1)
    ids = pa.array(["r1", "r2", "r3", "r4"])
    names, rows = list_sets(values, None, "f", "labels", ids, "label")
    assert names.to_pylist() == ["b", "c", "c"] and rows.tolist() == [2, 2, 3]
    codes = pa.array([[2, 0], [], [1]], pa.large_list(pa.int32()))
    names, rows = list_sets(codes, ("x", "y", "z"), "f", "labels", ids, "label")
    assert names.to_pylist() == ["z", "x", "y"] and rows.tolist() == [0, 0, 2]


@pytest.fixture(scope="module")
def spark_session():
    pytest.importorskip("pyspark", reason="the spark extra is not installed")
    from reportgen.engines.spark import session

    yield session("local[2]")


def test_spark_reads_list_columns_as_the_other_engines(spark_session, tmp_path):
    forms = _files(tmp_path)
    scores = tmp_path / "scores.parquet"
    expected = _report("memory", forms["text"]["labels"], scores, forms["text"]["predictions"])
    expected.pop("engine")
    for name in ("jsonl names", "parquet list<int64> positions"):
        files = forms[name]
        extra = {"classes": CLASSES} if "positions" in name else {}
        got = _report("spark", files["labels"], scores, files["predictions"], **extra)
        got.pop("engine")
        assert_json_close(expected, got, name, lambda where, a, b: abs(a - b) <= 1e-12 * max(1.0, abs(a)))
    labels, options, _ = _bad(tmp_path)["a name outside the classes"]
    assert _error("spark", labels, options) == _error("memory", labels, options)
