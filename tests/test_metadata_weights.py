"""--weight-column found in the metadata file (the labels have no such column): every number
equals the build with the same weights in the labels file, on every engine; bad weights, a
column in both files and rows without a metadata row are named, file, column and row id."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import reportgen
from conftest import assert_json_close, softmax_scores, write_frame
from reportgen.errors import InputError

ENGINES = ("memory", "duckdb")
N, K = 400, 3
DROPPED = ("r0200", "r0013")  # ids without a metadata row, in the tests of missing rows


def _names(values) -> np.ndarray:
    return np.array([f"c{v}" for v in values], dtype=object)


def _files(tmp: Path, seed: int = 5) -> dict[str, Path]:
    """Labels with and without the weight column ``w``, scores, a baseline and predictions
    (each in its own row order), and the metadata with and without ``w`` (another order)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, K, N)
    ids = np.array([f"r{i:04d}" for i in range(N)])
    w = np.round(rng.uniform(0, 3, N), 1)  # fractional, some 0
    labels = pd.DataFrame({"id": ids, "label": _names(y)})
    files = {"labels": write_frame(labels, tmp / "labels.csv"),
             "labels_w": write_frame(labels.assign(w=w), tmp / "labels_w.csv")}
    for name, strength in (("scores", 1.4), ("baseline", 0.7)):
        p = np.round(softmax_scores(rng, y, K, strength), 2)
        order = rng.permutation(N)
        frame = pd.DataFrame({"id": ids[order], **{f"c{j}": p[order, j] for j in range(K)}})
        files[name] = write_frame(frame, tmp / f"{name}.parquet")
    guess = np.where(rng.random(N) < 0.7, y, rng.integers(0, K, N))
    order = rng.permutation(N)
    files["predictions"] = write_frame(pd.DataFrame({"id": ids[order], "predicted": _names(guess[order])}),
                                       tmp / "predictions.csv")
    order = rng.permutation(N)
    meta = pd.DataFrame({"id": ids, "group": rng.choice(["a", "b", "c"], N), "size": rng.integers(0, 100, N)})
    files["meta"] = write_frame(meta.iloc[order], tmp / "meta.csv")
    files["meta_w"] = write_frame(meta.assign(w=w).iloc[order], tmp / "meta_w.csv")
    return files


CASES = {
    "baseline, slices and intervals": dict(scores="scores", baseline="baseline", slice_by=["group", "size"],
                                           min_slice_size=10, n_bootstrap=100),
    "the metadata for the weights alone": dict(scores="scores"),
    "label-only": dict(predictions="predictions", slice_by=["group"], min_slice_size=10),
    "scores and predictions": dict(scores="scores", predictions="predictions"),
}


def _build(engine: str, files: dict[str, Path], labels: str, metadata: str | None, case: dict, **extra) -> dict:
    options = {"n_bootstrap": 0, **case, **extra}
    for key in ("scores", "baseline", "predictions"):
        if key in options:
            options[key] = files[options[key]]
    if metadata is not None:
        options["metadata"] = files[metadata]
    return reportgen.evaluate_files(files[labels], engine=engine, weight_column="w", **options).to_dict()


def _rounding(where: str, a: float, b: float) -> bool:
    """Sums of fractional weights in another row order (a streaming engine's join)."""
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def _same(a: dict, b: dict, left: tuple[str, ...] = ("engine",)) -> None:
    """Every key of two metrics JSONs but ``left``: exactly equal when both come from the
    memory engine, else floats to 1e-12."""
    assert set(a) == set(b)
    keys = sorted(set(a) - set(left))
    exact = a["engine"]["name"] == b["engine"]["name"] == "memory"
    assert_json_close({k: a[k] for k in keys}, {k: b[k] for k in keys}, "", None if exact else _rounding)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", sorted(CASES))
def test_weights_from_the_metadata_equal_the_labels_files(tmp_path, engine, case):
    files = _files(tmp_path)
    options = CASES[case]
    sliced = "slice_by" in options
    want = _build(engine, files, "labels_w", "meta" if sliced else None, options)
    got = _build(engine, files, "labels", "meta_w", options)
    _same(want, got)
    # the weights are counted: each class's support is the sum of its rows' weights
    frame = pd.read_csv(files["labels_w"])
    support = frame.groupby("label")["w"].sum()
    assert got["inputs"]["weighted"] and got["weight_total"] == pytest.approx(frame["w"].sum())
    assert [c["support"] for c in got["per_class"]] == pytest.approx([support[c] for c in got["classes"]])
    assert got["engine"]["name"] == engine
    if sliced:
        assert got["slices"] and all(s["n_examples"] > 0 for s in got["slices"])
    if "baseline" in options:
        assert got["intervals"]["summary"] and got["churn"] and got["deltas"]


def _bad_metadata(tmp: Path, files: dict[str, Path], kind: str) -> Path:
    """The metadata with one bad weight (at r0042) or every weight 0, as Parquet (a real NaN)."""
    frame = pd.read_csv(files["meta_w"], dtype={"id": str})
    row = frame["id"] == "r0042"
    if kind == "negative":
        w = pa.array(np.where(row, -1.0, frame["w"]))
    elif kind == "nan":
        w = pa.array(np.where(row, np.nan, frame["w"]))
    elif kind == "missing":
        w = pa.array([None if bad else v for bad, v in zip(row, frame["w"])], pa.float64())  # a null
    elif kind == "text":
        w = pa.array(np.where(row, "heavy", frame["w"].astype(str)).tolist())
    else:
        w = pa.array(np.zeros(len(frame)))
    path = tmp / f"meta_{kind}.parquet"
    pq.write_table(pa.table({"id": frame["id"].tolist(), "group": frame["group"].tolist(), "w": w}), path)
    return path


BAD = {"negative": "weight -1.0 is negative", "nan": "weight is NaN", "missing": "missing weight",
       "text": "'heavy'", "zero": "every weight is 0: nothing to evaluate"}


def _message(engine: str, files: dict[str, Path], labels: str, metadata: str, **options) -> str:
    with pytest.raises(InputError) as err:
        _build(engine, files, labels, metadata, dict(scores="scores", **options))
    return str(err.value)


@pytest.mark.parametrize("kind", sorted(BAD))
def test_bad_weights_in_the_metadata_name_it_on_every_engine(tmp_path, kind):
    files = _files(tmp_path)
    files["bad"] = _bad_metadata(tmp_path, files, kind)
    messages = {engine: _message(engine, files, "labels", "bad") for engine in ENGINES}
    text = messages["memory"]
    assert set(messages.values()) == {text}, messages
    assert text.startswith(f"{files['bad']}: column 'w'") and BAD[kind] in text and "\n" not in text
    assert ("row id" not in text) if kind == "zero" else ("row id 'r0042'" in text)


def test_a_weight_column_in_both_files_is_ambiguous(tmp_path):
    files = _files(tmp_path)
    for engine in ENGINES:
        text = _message(engine, files, "labels_w", "meta_w")
        assert text == (f"weight column 'w' is in both {files['labels_w']} and {files['meta_w']}: ambiguous; "
                        "rename one of them (--weight-column)")
        text = _message(engine, files, "labels", "meta")  # in neither
        assert text == f"no weight column 'w' in {files['labels']} or {files['meta']} (--weight-column)"
        for case in (dict(scores="scores"), dict(predictions="predictions")):  # no metadata: the labels'
            with pytest.raises(InputError) as err:
                _build(engine, files, "labels", None, case)
            assert str(err.value) == f"{files['labels']}: no weight column 'w' (--weight-column)"


def _fewer(tmp: Path, files: dict[str, Path]) -> None:
    """The metadata without the rows of DROPPED (with the weights: ``fewer``, without:
    ``meta_fewer``), and the labels without them (for comparison)."""
    meta = pd.read_csv(files["meta_w"], dtype={"id": str})
    files["fewer"] = write_frame(meta[~meta["id"].isin(DROPPED)], tmp / "fewer.csv")
    files["meta_fewer"] = write_frame(meta[~meta["id"].isin(DROPPED)].drop(columns="w"), tmp / "meta_fewer.csv")
    labels = pd.read_csv(files["labels_w"], dtype={"id": str})
    files["labels_fewer"] = write_frame(labels[~labels["id"].isin(DROPPED)], tmp / "labels_fewer.csv")


def test_a_row_without_a_metadata_row_has_no_weight(tmp_path):
    """An error naming the metadata file, the weight column and the smallest such id; with
    --allow-partial those rows are dropped (as any unmatched row) and the report is the
    labels-file build without them, on every engine."""
    files = _files(tmp_path)
    _fewer(tmp_path, files)
    case = dict(scores="scores", baseline="baseline", slice_by=["group"], min_slice_size=10, n_bootstrap=50)
    for engine in ENGINES:
        assert _message(engine, files, "labels", "fewer") == (
            f"{files['fewer']}: column 'w', row id 'r0013': no metadata row, so no weight (2 ids have none); "
            "use --allow-partial to drop them")
    partial = {engine: _build(engine, files, "labels", "fewer", case, allow_partial=True) for engine in ENGINES}
    _same(partial["memory"], partial["duckdb"])
    got = partial["memory"]
    assert got["n_examples"] == N - len(DROPPED)
    note = {"code": "partial_ids", "message": f"dropped 2 rows without a metadata row in {files['fewer']}, so "
                                              "without a weight"}
    assert note in got["warnings"]
    assert all(w["code"] != "partial_ids" for w in got["warnings"] if w != note)  # every other file matched
    want = _build("memory", files, "labels_fewer", "meta", case, allow_partial=True)  # the scores have more rows
    _same(want, got, ("engine", "warnings"))


def test_metadata_without_slices_needs_a_weight_column(tmp_path):
    files = _files(tmp_path)
    with pytest.raises(InputError, match="usage: slices need both --metadata FILE and --slice-by COLUMN"):
        reportgen.evaluate_files(files["labels"], files["scores"], metadata=files["meta"], n_bootstrap=0)
    # with the weights in the labels file, a metadata file without slices is not joined
    # (its missing rows would be an error)
    _fewer(tmp_path, files)
    for engine in ENGINES:
        _same(_build(engine, files, "labels_w", "meta_fewer", dict(scores="scores")),
              _build(engine, files, "labels_w", None, dict(scores="scores")))


# ----------------------------------------------------------------------------- Spark (one session, few builds)


@pytest.fixture(scope="module")
def spark_session():
    pytest.importorskip("pyspark", reason="the spark extra is not installed")
    from reportgen.engines.spark import session

    yield session("local[2]")


def test_spark_weights_from_the_metadata(spark_session, tmp_path):
    files = _files(tmp_path)
    _fewer(tmp_path, files)
    case = dict(scores="scores", slice_by=["group"], min_slice_size=10, n_bootstrap=50)
    want = _build("memory", files, "labels_w", "meta", case)
    _same(want, _build("spark", files, "labels", "meta_w", case))
    files["bad"] = _bad_metadata(tmp_path, files, "negative")
    assert _message("spark", files, "labels", "bad") == _message("memory", files, "labels", "bad")
    assert "is in both" in _message("spark", files, "labels_w", "meta_w")
    assert _message("spark", files, "labels", "fewer") == _message("memory", files, "labels", "fewer")
    partial = _build("spark", files, "labels", "fewer", dict(scores="scores"), allow_partial=True)
    assert partial["n_examples"] == N - len(DROPPED)
    _same(partial, _build("memory", files, "labels", "fewer", dict(scores="scores"), allow_partial=True))
