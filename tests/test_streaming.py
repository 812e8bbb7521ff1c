"""The streaming engines read every input the memory engine reads: hard-label predictions
(label-only and beside scores), baselines (scores or predictions), compared models and
metadata, in one join; their numbers equal the memory engine's whatever the chunking, and
``reduce`` replays the join into any combiner."""
from __future__ import annotations

import math
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import reportgen
from conftest import assert_json_close, run_reportgen, softmax_scores, write_frame
from combiners import ClassCounts, GroupRows, SplitRows
from reportgen.pipeline import RunPlan, run
from reportgen.chunks import Chunk
from reportgen.errors import InputError
from reportgen.options import Options

SUMS = ("log_loss", "brier_score", "mean_score")
PER_EXAMPLE = {"engine"}  # the only key that differs: which engine made the report


def _close(where: str, a: float, b: float) -> bool:
    return a == b or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def _same_report(memory: dict, streamed: dict, left: set[str] = PER_EXAMPLE) -> None:
    """Every key of the memory engine's JSON but ``engine`` (and ``left``), floats to 1e-12."""
    assert set(streamed) - set(memory) == set(), set(streamed) - set(memory)
    assert set(memory) - set(streamed) <= left, set(memory) - set(streamed)
    keys = sorted(set(memory) - left)
    assert_json_close({k: memory[k] for k in keys}, {k: streamed[k] for k in keys}, "", _close)


def _names(values) -> np.ndarray:
    return np.array([f"c{v}" for v in values], dtype=object)


def _write(tmp_path: Path, name: str, frame: pd.DataFrame, fmt: str = "csv") -> Path:
    return write_frame(frame, tmp_path / f"{name}.{fmt}")


def _multiclass(tmp_path: Path, n: int = 600, k: int = 4, seed: int = 1, weights: bool = False) -> dict[str, Path]:
    """Labels, scores, predictions, a baseline (scores and predictions), a compared model and
    metadata, each file in its own row order; ties and a class no prediction names."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    ids = np.array([f"r{i:04d}" for i in range(n)])
    labels = pd.DataFrame({"id": ids, "label": _names(y)})
    if weights:
        labels["w"] = np.round(rng.uniform(0, 3, n), 1)
    files = {"labels": _write(tmp_path, "labels", labels)}
    for name, strength in (("scores", 1.5), ("baseline", 0.8), ("other", 1.1)):
        p = np.round(softmax_scores(rng, y, k, strength), 2)
        order = rng.permutation(n)
        frame = pd.DataFrame({"id": ids[order], **{f"c{j}": p[order, j] for j in range(k)}})
        files[name] = _write(tmp_path, name, frame, "parquet")
    for name, right in (("predictions", 0.7), ("baseline_predictions", 0.55)):
        guess = np.where(rng.random(n) < right, y, rng.integers(0, k - 1, n))  # c{k-1} rarely predicted
        order = rng.permutation(n)
        files[name] = _write(tmp_path, name, pd.DataFrame({"id": ids[order], "predicted": _names(guess[order])}))
    order = rng.permutation(n)
    meta = pd.DataFrame({"id": ids[order], "group": rng.choice(["a", "b", "c"], n)[order],
                         "size": rng.integers(0, 100, n)[order]})
    files["metadata"] = _write(tmp_path, "metadata", meta)
    return files


def _report(engine: str, files: dict[str, Path], **options) -> dict:
    return reportgen.evaluate_files(files["labels"], engine=engine, **{"n_bootstrap": 0, **options}).to_dict()


def _cases(files: dict[str, Path]) -> dict[str, dict]:
    return {
        "label-only": dict(predictions=files["predictions"]),
        "mixed": dict(scores=files["scores"], predictions=files["predictions"]),
        "baseline scores": dict(scores=files["scores"], baseline=files["baseline"]),
        "baseline predictions": dict(scores=files["scores"], baseline_predictions=files["baseline_predictions"]),
        "label-only against label-only": dict(predictions=files["predictions"],
                                              baseline_predictions=files["baseline_predictions"]),
        "compare": dict(scores=files["scores"], baseline=files["baseline"], compare=[("other", files["other"])]),
    }


@pytest.mark.parametrize("case", ["label-only", "mixed", "baseline scores", "baseline predictions",
                                  "label-only against label-only", "compare"])
def test_duckdb_equals_the_memory_engine(tmp_path, case):
    files = _multiclass(tmp_path)
    options = _cases(files)[case]
    memory, duck = _report("memory", files, **options), _report("duckdb", files, **options)
    _same_report(memory, duck)
    assert duck["engine"]["name"] == "duckdb"
    if "baseline" in options or "baseline_predictions" in options:
        assert duck["baseline"]["summary"] == memory["baseline"]["summary"] and "deltas" in duck


@pytest.mark.parametrize("weights", [False, True])
def test_the_whole_report_is_the_same_on_duckdb(tmp_path, weights):
    """A baseline, paired intervals, churn, slices (text, numeric quantile bins, crossed),
    splits, example lists with their inputs and the confusion cells' examples: every number
    equal, although every file lists its rows in another order."""
    files = _multiclass(tmp_path, weights=weights)
    labels = pd.read_csv(files["labels"], dtype={"id": str})
    labels["fold"] = np.where(np.arange(len(labels)) % 3 == 0, "test", "train")
    files["labels"] = _write(tmp_path, "labels_fold", labels)
    inputs = _write(tmp_path, "inputs", pd.DataFrame({"id": labels["id"], "text": "<b>" + labels["id"] + "</b>"}))
    options = dict(scores=files["scores"], baseline=files["baseline"], metadata=files["metadata"],
                   slice_by=["group", "size", "group,size"], min_slice_size=10, split_column="fold", inputs=inputs,
                   n_bootstrap=200, **({"weight_column": "w"} if weights else {}))
    memory = reportgen.evaluate_files(files["labels"], engine="memory", **options).to_dict()
    duck = reportgen.evaluate_files(files["labels"], engine="duckdb", **options).to_dict()
    for key in ("intervals", "churn", "slices", "splits", "confident_mistakes", "label_issues", "selection"):
        assert duck.get(key), key
    assert any(s["intervals"] for s in duck["slices"]) and duck["confident_mistakes"][0]["text"].startswith("<b>")
    _same_report(memory, duck)


def _whole(tmp_path: Path, seed: int = 1) -> tuple[dict[str, Path], dict]:
    """Files and options of a whole report: a baseline, two slice columns (text and
    numeric, and crossed), a split column, the bootstrap and the example lists."""
    files = _multiclass(tmp_path, seed=seed)
    labels = pd.read_csv(files["labels"], dtype={"id": str})
    labels["fold"] = np.where(np.arange(len(labels)) % 3 == 0, "test", "train")
    files["labels"] = _write(tmp_path, "labels_fold", labels)
    options = dict(scores=files["scores"], baseline=files["baseline"], metadata=files["metadata"],
                   slice_by=["group", "size", "group,size"], min_slice_size=10, split_column="fold", n_bootstrap=200)
    return files, options


def _shuffled(tmp_path: Path, files: dict[str, Path], seed: int) -> dict[str, Path]:
    """The same files, each with its rows in another order."""
    rng = np.random.default_rng(seed)
    out = {}
    for key, path in files.items():
        frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, dtype={"id": str})
        frame = frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
        out[key] = _write(tmp_path, f"shuffled_{key}", frame, path.suffix.lstrip("."))
    return out


def test_the_memory_engine_does_not_depend_on_row_order(tmp_path):
    files, options = _whole(tmp_path)
    first = reportgen.evaluate_files(files["labels"], engine="memory", **options).to_dict()
    for seed in (2, 3):
        moved = _shuffled(tmp_path, files, seed)
        options = {**options, "scores": moved["scores"], "baseline": moved["baseline"], "metadata": moved["metadata"]}
        again = reportgen.evaluate_files(moved["labels"], engine="memory", **options).to_dict()
        for key in ("intervals", "churn", "slices", "splits", "confident_mistakes", "label_issues", "selection"):
            assert again.get(key), key
        _same_report(first, again, set())


def test_duckdb_weighted_label_only_equals_the_memory_engine(tmp_path):
    files = _multiclass(tmp_path, weights=True)
    options = dict(predictions=files["predictions"], weight_column="w")
    memory, duck = _report("memory", files, **options), _report("duckdb", files, **options)
    _same_report(memory, duck)
    assert duck["inputs"] == {"kind": "labels", "scores_are": "probabilities", "weighted": True, "count_digits": 2}


def test_duckdb_label_only_invented_class_and_numeric_names(tmp_path):
    files = _multiclass(tmp_path)
    files = _bad(tmp_path, files, "predictions", "predicted", "r0042", "c9")  # a class only the predictions name
    options = dict(predictions=files["predictions"])
    memory, duck = _report("memory", files, **options), _report("duckdb", files, **options)
    _same_report(memory, duck)
    assert duck["classes"][-1] == "c9" and any(w["code"] == "predicted_unknown_class" for w in duck["warnings"])
    rng = np.random.default_rng(7)
    y = rng.choice([2, 10, 1], 200)
    labels = pd.DataFrame({"id": np.arange(200), "label": y})
    predicted = pd.DataFrame({"id": np.arange(200)[::-1], "predicted": np.where(rng.random(200) < 0.7, y, 10)[::-1]})
    numeric = {"labels": _write(tmp_path, "numeric_labels", labels, "parquet"),
               "predictions": _write(tmp_path, "numeric_predictions", predicted, "parquet")}
    memory, duck = (_report(engine, numeric, predictions=numeric["predictions"]) for engine in ("memory", "duckdb"))
    _same_report(memory, duck)
    assert duck["classes"] == ["1", "2", "10"]


def _binary(tmp_path: Path, words: tuple[str, str], predicted_as: str, n: int = 400, seed: int = 2) -> dict[str, Path]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    ids = np.arange(n)
    guess = np.where(rng.random(n) < 0.8, y, 1 - y)
    pred_words = ("0", "1") if predicted_as == "01" else words
    labels = pd.DataFrame({"id": ids, "label": np.array(words, dtype=object)[y]})
    p = np.clip(np.round(0.5 + (y - 0.5) * rng.uniform(0, 1, n), 2), 0, 1)
    p[:20] = 0.5  # at the threshold
    order = rng.permutation(n)
    scores = pd.DataFrame({"id": ids[order], words[1]: p[order],
                           "predicted": np.array(pred_words, dtype=object)[guess[order]]})
    return {"labels": _write(tmp_path, "labels", labels), "scores": _write(tmp_path, "scores", scores)}


@pytest.mark.parametrize("words, predicted_as", [(("no", "yes"), "names"), (("no", "yes"), "01"),
                                                 (("false", "true"), "names")])
def test_duckdb_binary_predictions_in_the_scores_file(tmp_path, words, predicted_as):
    files = _binary(tmp_path, words, predicted_as)
    positive = {"positive_class": "yes"} if words[1] == "yes" else {}
    mixed = dict(scores=files["scores"], predictions=files["scores"], **positive)
    _same_report(_report("memory", files, **mixed), _report("duckdb", files, **mixed))
    only = dict(predictions=files["scores"], **positive)
    _same_report(_report("memory", files, **only), _report("duckdb", files, **only))


def _multilabel(tmp_path: Path, n: int = 300, k: int = 4, seed: int = 4) -> dict[str, Path]:
    rng = np.random.default_rng(seed)
    truth = rng.random((n, k)) < 0.4
    guess = truth ^ (rng.random((n, k)) < 0.2)
    join = lambda rows: ["|".join(f"t{j}" for j in np.flatnonzero(r)) for r in rows]  # noqa: E731
    ids = [f"x{i}" for i in range(n)]
    p = np.round(np.clip(truth * 0.6 + rng.uniform(0, 0.4, (n, k)), 0, 1), 2)
    labels = pd.DataFrame({"id": ids, "labels": join(truth)})
    scores = pd.DataFrame({"id": ids[::-1], **{f"t{j}": p[::-1, j] for j in range(k)}})
    predictions = pd.DataFrame({"id": ids, "predicted": join(guess)})
    return {"labels": _write(tmp_path, "labels", labels), "scores": _write(tmp_path, "scores", scores),
            "predictions": _write(tmp_path, "predictions", predictions)}


@pytest.mark.parametrize("scored", [False, True])
def test_duckdb_multilabel_predictions(tmp_path, scored):
    files = _multilabel(tmp_path)
    options = dict(predictions=files["predictions"], **({"scores": files["scores"]} if scored else {}))
    _same_report(_report("memory", files, **options), _report("duckdb", files, **options))


def test_duckdb_partial_predictions_keep_the_ids_in_both(tmp_path):
    files = _multiclass(tmp_path)
    frame = pd.read_csv(files["predictions"], dtype=str).iloc[25:]
    files["predictions"] = _write(tmp_path, "fewer", frame)
    for options in (dict(predictions=files["predictions"]),
                    dict(scores=files["scores"], predictions=files["predictions"])):
        memory = _report("memory", files, allow_partial=True, **options)
        _same_report(memory, _report("duckdb", files, allow_partial=True, **options))
        assert memory["n_examples"] == 575 and any(w["code"] == "partial_ids" for w in memory["warnings"])
        with pytest.raises(InputError, match="25 ids of .*fewer.csv are not in|ids of .* are not in .*fewer.csv"):
            _report("duckdb", files, **options)


# ----------------------------------------------------------------------------- bad rows, named


def _bad(tmp_path: Path, files: dict[str, Path], name: str, column: str, row: str, value) -> dict[str, Path]:
    frame = pd.read_csv(files[name], dtype=str) if files[name].suffix == ".csv" else pd.read_parquet(files[name])
    frame.loc[frame["id"] == row, column] = value
    return {**files, name: _write(tmp_path, f"bad_{name}", frame, files[name].suffix[1:])}


BAD = [
    ("predictions", "predicted", None, "label-only", "missing prediction"),
    ("predictions", "predicted", "  ", "label-only", "missing prediction"),
    ("predictions", "predicted", "zebra", "mixed", "predicted 'zebra' is not a score column"),
    ("predictions", "predicted", None, "mixed", "missing prediction"),
    ("baseline", "c1", 1.5, "baseline scores", "outside [0, 1]"),
    ("baseline_predictions", "predicted", "zebra", "baseline predictions", "predicted 'zebra'"),
]


def _engines(spark: bool):
    return ["duckdb", "spark"] if spark else ["duckdb"]


@pytest.mark.parametrize("name, column, value, case, message", BAD)
def test_duckdb_names_a_bad_row_of_every_file(tmp_path, name, column, value, case, message):
    files = _multiclass(tmp_path)
    files = _bad(tmp_path, files, name, column, "r0042", value)
    options = _cases(files)[case]
    out = tmp_path / "m.json"
    out.write_text("old")
    args = ["build", "--labels", files["labels"], "--engine", "duckdb", "-q", "--metrics-json", out,
            "--out", tmp_path / "r.html", "--no-bootstrap"]
    flags = {"scores": "--scores", "predictions": "--predictions", "baseline": "--baseline-scores",
             "baseline_predictions": "--baseline-predictions"}
    for key, flag in flags.items():
        if key in options:
            args += [flag, options[key]]
    result = run_reportgen(*args, timeout=300)
    assert result.returncode == 2, result.stderr
    line = result.stderr.strip()
    assert "\n" not in line and "Traceback" not in line, line
    assert message in line and "r0042" in line and f"bad_{name}" in line and column in line, line
    assert out.read_text() == "old" and not (tmp_path / "r.html").exists()


def test_duckdb_refuses_too_many_label_only_classes(tmp_path, monkeypatch):
    from reportgen.engines import batches

    files = _multiclass(tmp_path)
    monkeypatch.setattr(batches, "MAX_LABEL_ONLY_CLASSES", 3)
    with pytest.raises(InputError, match="more than 3 distinct values"):
        _report("duckdb", files, predictions=files["predictions"])


# ----------------------------------------------------------------------------- the replayable pass


def _expected_counts(files: dict[str, Path]) -> ClassCounts:
    labels = pd.read_csv(files["labels"], dtype=str)
    predicted = pd.read_csv(files["predictions"], dtype=str)
    baseline = pd.read_parquet(files["baseline"])
    meta = pd.read_csv(files["metadata"], dtype={"id": str})
    joined = labels.merge(predicted, on="id").merge(baseline, on="id").merge(meta, on="id")
    expected = ClassCounts(4)
    np.add.at(expected.pairs, (joined["label"].str[1:].astype(int), joined["predicted"].str[1:].astype(int)), 1)
    expected.baseline = np.bincount(joined[[f"c{j}" for j in range(4)]].to_numpy().argmax(axis=1), minlength=4)
    expected.groups = joined["group"].value_counts().to_dict()
    return expected


def _models(files: dict[str, Path]):
    return [("model", str(files["scores"]), str(files["predictions"])), ("baseline", str(files["baseline"]), None)]


@pytest.mark.parametrize("batch_rows", [None, 7, 128])
def test_duckdb_reduce_replays_the_join_into_any_combiner(tmp_path, batch_rows):
    from reportgen.engines.duck import DuckEngine

    files = _multiclass(tmp_path)
    expected = _expected_counts(files)
    engine = DuckEngine(Options(), batch_rows=batch_rows)
    try:
        engine.prepare(str(files["labels"]), _models(files), str(files["metadata"]), ("group", "size"))
        first = engine.reduce(lambda: ClassCounts(4))
        second = engine.reduce(lambda: ClassCounts(4))  # a second pass runs the query again
        streamed = run(engine, RunPlan(str(files["labels"]), tuple(_models(files)), Options(n_bootstrap=0))).to_dict()
    finally:
        engine.close()
    for got in (first, second):
        assert got.pairs.tolist() == expected.pairs.tolist()
        assert got.baseline.tolist() == expected.baseline.tolist() and got.groups == expected.groups
    if batch_rows == 7:
        assert first.chunks >= 600 // 7
    # the passes over small chunks, after those, give the memory engine's report
    memory = _report("memory", files, scores=files["scores"], predictions=files["predictions"],
                     baseline=files["baseline"])
    _same_report(memory, streamed)


def test_partial_ids_with_numeric_slices_equal_the_memory_engine(tmp_path):
    """With --allow-partial the rows whose quantiles cut a numeric slice column are known
    only from the whole join (its values ride with the statistics pass): the same edges,
    slices and intervals as the memory engine's."""
    files = _multiclass(tmp_path)
    for name in ("scores", "baseline"):  # 40 labelled rows without scores
        kept = pd.read_parquet(files[name]).sort_values("id").iloc[40:].sample(frac=1.0, random_state=2)
        files[name] = _write(tmp_path, f"fewer_{name}", kept, "parquet")
    options = dict(scores=files["scores"], baseline=files["baseline"], metadata=files["metadata"],
                   slice_by=["group", "size"], min_slice_size=10, n_bootstrap=100, allow_partial=True)
    memory = reportgen.evaluate_files(files["labels"], engine="memory", **options).to_dict()
    duck = reportgen.evaluate_files(files["labels"], engine="duckdb", **options).to_dict()
    sizes = [s for s in duck["slices"] if s["by"] == ["size"]]
    assert memory["n_examples"] == 560 and len(sizes) > 2 and any(s["intervals"] for s in duck["slices"])
    _same_report(memory, duck)


def test_metadata_follows_the_memory_engines_rule_for_missing_ids(tmp_path):
    from reportgen.engines.duck import DuckEngine

    files = _multiclass(tmp_path)
    meta = pd.read_csv(files["metadata"], dtype={"id": str})
    files["metadata"] = _write(tmp_path, "fewer_meta", meta[meta["id"] != "r0007"])
    for allow in (False, True):
        engine = DuckEngine(Options(allow_partial=allow))
        try:
            engine.prepare(str(files["labels"]), [("model", str(files["scores"]), None)], str(files["metadata"]),
                           ("group",))
            if not allow:
                with pytest.raises(InputError, match=r"1 ids have no metadata \(e.g. 'r0007'\)"):
                    engine.reduce(lambda: GroupRows())
                continue
            rows = engine.reduce(lambda: GroupRows()).rows
        finally:
            engine.close()
        assert rows[None] == 1 and sum(rows.values()) == 600


def test_split_column_travels_in_the_chunk(tmp_path):
    from reportgen.engines.duck import DuckEngine

    files = _multiclass(tmp_path)
    labels = pd.read_csv(files["labels"], dtype=str)
    labels["fold"] = np.where(np.arange(len(labels)) % 3 == 0, "test", "train")
    files["labels"] = _write(tmp_path, "labels_fold", labels)
    engine = DuckEngine(Options(split_column="fold"), batch_rows=50)
    try:
        engine.prepare(str(files["labels"]), [("model", str(files["scores"]), None)])
        splits = engine.reduce(lambda: SplitRows()).rows
    finally:
        engine.close()
    assert splits == {"test": 200, "train": 400}


def test_the_statistics_pass_pickles_as_its_statistics(tmp_path):
    from reportgen.accumulate import Settings, StatisticsPass
    from reportgen.engines.duck import DuckEngine

    files = _multiclass(tmp_path)
    opts = Options()
    settings = Settings(opts.threshold, None, opts.grid)
    engine = DuckEngine(opts, batch_rows=100)
    try:
        engine.prepare(str(files["labels"]), _models(files))
        halves = [StatisticsPass(settings, 2), StatisticsPass(settings, 2)]

        class Alternate:  # every other chunk to the second half
            def __init__(self) -> None:
                self.i = 0

            def add(self, chunk: Chunk) -> None:
                halves[self.i % 2].add(chunk)
                self.i += 1

        engine.reduce(Alternate)
        whole, _ = engine.model_statistics()
    finally:
        engine.close()
    merged = pickle.loads(pickle.dumps(halves[0])).merge(pickle.loads(pickle.dumps(halves[1]))).statistics()
    for a, b in zip(merged, whole):
        assert a.n_examples == b.n_examples == 600
        assert a.confusion.tolist() == b.confusion.tolist()
        assert [c.pos.tolist() for c in a.per_class] == [c.pos.tolist() for c in b.per_class]


# ----------------------------------------------------------------------------- Spark (one session, few builds)


@pytest.fixture(scope="module")
def spark_session():
    pytest.importorskip("pyspark", reason="the spark extra is not installed")
    from reportgen.engines.spark import session

    spark = session("local[2]")
    spark.sparkContext.addPyFile(str(Path(__file__).with_name("combiners.py")))  # the workers import it
    yield spark


def test_spark_equals_the_memory_engine(spark_session, tmp_path):
    files = _multiclass(tmp_path, weights=True)
    cases = _cases(files)
    cases["weighted label-only"] = dict(predictions=files["predictions"], weight_column="w")
    cases["whole"] = dict(scores=files["scores"], baseline=files["baseline"], metadata=files["metadata"],
                          slice_by=["group", "size"], min_slice_size=10, weight_column="w", n_bootstrap=100)
    for case in ("label-only", "weighted label-only", "mixed", "baseline predictions", "compare", "whole"):
        options = {"n_bootstrap": 0, **cases[case]}
        _same_report(_report("memory", files, **options), _report("spark", files, **options))
    # Spark DataFrames of the caller's session: a label-only model against a scored baseline
    frames = {k: pd.read_csv(files[k], dtype={"id": str, "label": str, "predicted": str})
              for k in ("labels", "predictions")}
    frames["baseline"] = pd.read_parquet(files["baseline"])
    memory = reportgen.evaluate(frames["labels"], predictions=frames["predictions"], baseline=frames["baseline"],
                                n_bootstrap=0).to_dict()
    sparked = reportgen.evaluate(spark_session.createDataFrame(frames["labels"]),
                                 predictions=spark_session.createDataFrame(frames["predictions"]),
                                 baseline=spark_session.createDataFrame(frames["baseline"]), engine="spark",
                                 n_bootstrap=0).to_dict()
    _same_report(memory, sparked)


def test_memory_duckdb_and_spark_give_the_same_report(spark_session, tmp_path):
    """One report on every engine: the same JSON on every key but ``engine``, floats to 1e-12."""
    files, options = _whole(tmp_path)
    reports = {engine: reportgen.evaluate_files(files["labels"], engine=engine, **options).to_dict()
               for engine in ("memory", "duckdb", "spark")}
    assert {r["engine"]["name"] for r in reports.values()} == {"memory", "duckdb", "spark"}
    assert any(s["intervals"] for s in reports["spark"]["slices"]) and reports["spark"]["splits"]
    _same_report(reports["memory"], reports["duckdb"])
    _same_report(reports["memory"], reports["spark"])


def test_spark_reduce_and_bad_rows(spark_session, tmp_path):
    from reportgen.engines.spark import SparkEngine

    files = _multiclass(tmp_path)
    expected = _expected_counts(files)
    frames = {str(path): spark_session.read.parquet(str(path)) if path.suffix == ".parquet"
              else spark_session.read.csv(str(path), header=True).repartition(3)
              for key, path in files.items() if key in ("labels", "scores", "predictions", "baseline", "metadata")}
    engine = SparkEngine(Options(), frames, batch_rows=40)
    engine.prepare(str(files["labels"]), _models(files), str(files["metadata"]), ("group",))
    got = engine.reduce(lambda: ClassCounts(4))
    assert got.pairs.tolist() == expected.pairs.tolist() and got.groups == expected.groups
    assert got.chunks >= 600 // 40
    streamed = run(engine, RunPlan(str(files["labels"]), tuple(_models(files)), Options(n_bootstrap=0))).to_dict()
    memory = _report("memory", files, scores=files["scores"], predictions=files["predictions"],
                     baseline=files["baseline"])
    _same_report(memory, streamed)
    bad = _bad(tmp_path, files, "baseline_predictions", "predicted", "r0042", "zebra")
    with pytest.raises(InputError) as err:
        _report("spark", bad, scores=bad["scores"], baseline_predictions=bad["baseline_predictions"])
    text = str(err.value)
    assert "zebra" in text and "r0042" in text and "bad_baseline_predictions" in text and "predicted" in text
