"""Every engine reduces the same data to the same statistics; binned counts stay within their bounds."""
from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.metrics import roc_auc_score

import reportgen
from conftest import assert_json_close, run_reportgen, softmax_scores, write_frame
from reportgen.accumulate import Accumulator, EngineInfo
from reportgen.binning import BinCounter
from reportgen.metrics import evaluate_statistics
from reportgen.options import Options
from reportgen.stats import ScoreCounts, from_examples
from reportgen.validate import Source, build_examples

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SUMS = ("log_loss", "brier_score", "mean_score")  # sums of floats: equal up to the order of addition


def _same(a, b) -> None:
    """Equal JSON values: counts and everything derived from counts exactly; sums of floats
    (log loss, Brier score, mean scores) to 1e-12, as their order of addition may differ."""
    assert_json_close(a, b, "", lambda where, x, y: x == y or (any(k in where for k in SUMS)
                                                                and math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-15)))


def _report(engine: str, labels, scores, **options) -> dict:
    report = reportgen.evaluate_files(labels, scores, engine=engine, n_bootstrap=0, **options).to_dict()
    return report


def _comparable(report: dict) -> dict:
    keys = ("task", "classes", "positive_class", "n_examples", "threshold", "summary", "per_class",
            "confusion_matrix", "probability_matrix", "curves", "threshold_grid", "calibration", "warnings",
            "macro_curves", "top_confusions", "advice", "advice_overall")
    return {k: report.get(k) for k in keys}


def _example(name: str) -> tuple[Path, Path]:
    return EXAMPLES / name / "labels.csv", EXAMPLES / name / "scores.csv"


@pytest.mark.parametrize("name", ["binary", "multiclass", "multilabel", "noisy"])
def test_duckdb_engine_matches_memory_engine(name):
    labels, scores = _example(name)
    memory, duck = _report("memory", labels, scores), _report("duckdb", labels, scores)
    _same(_comparable(memory), _comparable(duck))
    assert memory["engine"] == {"name": "memory", "mode": "exact",
                                "auc_error_bound": {c: 0.0 for c in memory["classes"]}}
    assert duck["engine"]["name"] == "duckdb" and duck["engine"]["mode"] == "exact"


def _synthetic(tmp_path: Path, n: int = 5000, k: int = 4, seed: int = 3, fmt: str = "parquet",
               round_to: int | None = 3) -> tuple[Path, Path, pd.DataFrame, pd.DataFrame]:
    """Ties (rounded scores), scores exactly at grid thresholds, shuffled rows, integer ids."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    p = softmax_scores(rng, y, k, 1.5)
    if round_to is not None:
        p = np.round(p, round_to)
    p[:50, 0] = 0.5
    names = [f"c{j}" for j in range(k)]
    labels = pd.DataFrame({"id": np.arange(n), "label": np.array(names)[y]})
    order = rng.permutation(n)
    scores = pd.DataFrame({"id": np.arange(n)[order], **{c: p[order, j] for j, c in enumerate(names)}})
    return write_frame(labels, tmp_path / f"labels.{fmt}"), write_frame(scores, tmp_path / f"scores.{fmt}"), labels, scores


@pytest.mark.parametrize("fmt", ["parquet", "csv", "tsv", "jsonl"])
def test_duckdb_reads_every_format_the_memory_engine_reads(tmp_path, fmt):
    labels, scores, _, _ = _synthetic(tmp_path, fmt=fmt)
    _same(_comparable(_report("memory", labels, scores)), _comparable(_report("duckdb", labels, scores)))


def test_duckdb_reads_globs_and_hive_partitioned_folders(tmp_path):
    labels, scores, label_frame, score_frame = _synthetic(tmp_path)
    expected = _comparable(_report("memory", labels, scores))
    parts = tmp_path / "parts"
    parts.mkdir()
    for i, rows in enumerate(np.array_split(np.arange(len(score_frame)), 3)):
        chunk = score_frame.iloc[rows]
        chunk.to_parquet(parts / f"part-{i}.parquet", index=False)
    _same(expected, _comparable(_report("duckdb", labels, str(parts / "*.parquet"))))
    hive = tmp_path / "hive"
    for day, rows in enumerate(np.array_split(np.arange(len(score_frame)), 2)):
        chunk = score_frame.iloc[rows]
        folder = hive / f"day={day}"
        folder.mkdir(parents=True)
        chunk.to_parquet(folder / "data.parquet", index=False)
    _same(expected, _comparable(_report("duckdb", labels, hive, score_columns=("c0", "c1", "c2", "c3"))))


def _examples(labels: pd.DataFrame, scores: pd.DataFrame, **options):
    opts = Options(**options)
    source = lambda frame, name: Source(pa.Table.from_pandas(frame, preserve_index=False), name)  # noqa: E731
    return build_examples(source(labels, "labels"), source(scores, "scores"), opts, False), opts


def _chunked(ex, opts, order, parts: int, mode: str):
    acc = Accumulator(opts.threshold, opts.class_thresholds, opts.grid, mode=mode)
    for chunk in np.array_split(order, parts):
        acc.add(ex.subset(np.sort(chunk)))
    return acc.statistics()


def _counts_equal(a: ScoreCounts, b: ScoreCounts) -> None:
    assert np.array_equal(a.scores, b.scores) and np.array_equal(a.pos, b.pos) and np.array_equal(a.neg, b.neg)


@pytest.mark.parametrize("task", ["multiclass", "binary", "multilabel"])
def test_chunks_in_any_order_add_up_to_the_whole(tmp_path, task):
    _, _, labels, scores = _synthetic(tmp_path, n=3000)
    if task == "binary":
        labels = labels.assign(label=np.where(labels["label"] == "c0", "c0", "other"))
        scores = scores[["id", "c0"]]
    if task == "multilabel":
        labels = labels.assign(labels=labels["label"] + np.where(labels["id"] % 3 == 0, "|c1", ""))[["id", "labels"]]
    ex, opts = _examples(labels, scores)
    whole = from_examples(ex, opts.threshold)
    rng = np.random.default_rng(0)
    binned = []
    for parts in (1, 2, 7):
        order = rng.permutation(ex.n_examples)
        exact = _chunked(ex, opts, order, parts, "exact")
        for a, b in zip(whole.per_class, exact.per_class):
            _counts_equal(a, b)
        _counts_equal(whole.confidence, exact.confidence)
        assert np.array_equal(whole.confusion, exact.confusion)
        assert whole.top_k_hits == exact.top_k_hits and whole.exact_match == exact.exact_match
        assert math.isclose(whole.log_loss_sum, exact.log_loss_sum, rel_tol=1e-12)
        binned.append(_chunked(ex, opts, order, parts, "binned"))
    grid = np.asarray(opts.grid)
    for stats in binned[1:]:
        for a, b in zip(binned[0].per_class, stats.per_class):
            _counts_equal(a, b)
    for stats in binned:
        for exact_counts, binned_counts in zip(whole.per_class, stats.per_class):
            for got, want in zip(binned_counts.above(grid), exact_counts.above(grid)):
                assert np.array_equal(got, want)  # grid counts stay exact in binned mode


def _auc_cases():
    rng = np.random.default_rng(11)
    n, k = 200_000, 5
    y = rng.integers(0, k, n)
    logits = rng.standard_normal((n, k)).astype(np.float32)
    logits[np.arange(n), y] += 2.5
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    return y, p


@pytest.mark.parametrize("skewed", [False, True], ids=["softmax", "softmax-to-the-8th"])
def test_binned_auc_is_within_its_stated_bound_of_scikit_learn(skewed):
    y, p = _auc_cases()
    if skewed:
        p = p ** 8  # crowds scores near 0; the ranking, and so the AUC, is unchanged
    labels = pd.DataFrame({"id": np.arange(len(y)), "label": [f"c{j}" for j in y]})
    scores = pd.DataFrame({"id": np.arange(len(y)), **{f"c{j}": p[:, j] for j in range(p.shape[1])}})
    ex, opts = _examples(labels, scores)
    acc = Accumulator(opts.threshold, None, opts.grid, mode="binned")
    for chunk in np.array_split(np.arange(ex.n_examples), 3):
        acc.add(ex.subset(chunk))
    stats = acc.statistics()
    report = evaluate_statistics(stats, opts.grid).to_dict()
    info = EngineInfo.of("duckdb", stats)
    assert info.mode == "binned"
    for j, name in enumerate(report["classes"]):
        exact = roc_auc_score(y == j, p[:, j].astype(np.float64))
        bound = info.auc_error_bound[name]
        assert 0 < bound <= 1e-5
        assert abs(report["per_class"][j]["roc_auc"] - exact) <= bound


def test_equal_width_bins_would_fail_where_float_bins_do_not():
    """The reason for float-bit bins: 200 equal-width bins lose the skewed data's ranking."""
    y, p = _auc_cases()
    s = (p[:, 0] ** 8).astype(np.float64)
    truth = y == 0
    exact = roc_auc_score(truth, s)
    coarse = roc_auc_score(truth, np.floor(s * 200) / 200)
    assert exact - coarse > 0.01
    counter = BinCounter(np.array([0.5]))
    counter.add(truth, s)
    counts = ScoreCounts.from_counter(counter)
    assert counts.auc_error_bound <= 1e-5


def test_auto_switches_to_binned_when_distinct_scores_outgrow_the_budget(tmp_path):
    _, _, labels, scores = _synthetic(tmp_path, n=4000, round_to=None)
    ex, opts = _examples(labels, scores)
    acc = Accumulator(opts.threshold, None, opts.grid, budget=1500)
    whole = from_examples(ex, opts.threshold)
    for chunk in np.array_split(np.arange(ex.n_examples), 4):
        acc.add(ex.subset(chunk))
    stats = acc.statistics()
    assert all(c.binned for c in stats.per_class)
    for exact_counts, binned_counts in zip(whole.per_class, stats.per_class):
        grid = np.asarray(opts.grid)
        assert [a.tolist() for a in binned_counts.above(grid)] == [a.tolist() for a in exact_counts.above(grid)]


def test_duckdb_binned_report_states_its_bounds_and_the_page_shows_them(tmp_path):
    labels, scores, _, _ = _synthetic(tmp_path, n=6000, round_to=None)
    from reportgen.engines.duck import DuckEngine

    engine = DuckEngine(Options())
    try:
        stats, _ = engine.statistics(str(labels), str(scores), False)
    finally:
        engine.close()
    assert not stats.per_class[0].binned  # 6,000 rows stay exact under the default budget
    out = tmp_path / "r.html"
    metrics = tmp_path / "m.json"
    result = run_reportgen("build", "--labels", labels, "--scores", scores, "--out", out, "--metrics-json", metrics,
                           "--engine", "duckdb", "--distinct-budget", "1000", "-q", timeout=300)
    assert result.returncode == 0, result.stderr
    report = json.loads(metrics.read_text())
    assert report["engine"]["name"] == "duckdb" and report["engine"]["mode"] == "binned"
    assert all(0 < b <= 1e-3 for b in report["engine"]["auc_error_bound"].values())
    html = out.read_text()
    assert 'data-engine="duckdb"' in html and 'data-mode="binned"' in html and 'id="auc-bounds"' in html



BAD = [
    ("missing id in scores", lambda l, s: (l, s.iloc[1:]), "ids of"),
    ("duplicate label id", lambda l, s: (pd.concat([l, l.iloc[:1]]), s), "duplicate id"),
    ("duplicate and missing", lambda l, s: (pd.concat([l.iloc[1:], l.iloc[1:2]]), s), "duplicate id"),
    ("unknown label", lambda l, s: (l.assign(label=l["label"].where(l["id"] != 7, "zebra")), s), "'zebra'"),
    ("NaN score", lambda l, s: (l, s.assign(c1=s["c1"].where(s["id"] != 9, np.nan))), "row id '9'"),
    ("score above 1", lambda l, s: (l, s.assign(c2=s["c2"].where(s["id"] != 11, 1.5))), "1.5"),
]


@pytest.mark.parametrize("case", BAD, ids=[b[0] for b in BAD])
def test_duckdb_bad_input_is_one_line_and_exit_2(tmp_path, case):
    _, _, labels, scores = _synthetic(tmp_path, n=200)
    name, change, expected = case
    labels, scores = change(labels, scores)
    lpath, spath = tmp_path / "bad_labels.parquet", tmp_path / "bad_scores.parquet"
    labels.to_parquet(lpath, index=False)
    scores.to_parquet(spath, index=False)
    out = tmp_path / "r.html"
    out.write_text("earlier report")
    result = run_reportgen("build", "--labels", lpath, "--scores", spath, "--out", out, "--engine", "duckdb", "-q",
                           timeout=300)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr and expected in lines[0], lines
    assert out.read_text() == "earlier report"


def test_duckdb_refuses_full_exports_and_bad_memory_limits(tmp_path):
    labels, scores = _example("multiclass")
    for extra in (["--export", str(tmp_path / "lists")], ["--memory-limit", "lots"]):
        result = run_reportgen("build", "--labels", labels, "--scores", scores, "--out", tmp_path / "r.html",
                               "--engine", "duckdb", *extra, timeout=300)
        assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr


def test_duckdb_out_of_memory_is_one_line_naming_the_limit(tmp_path):
    """Two models' scores joined under a memory limit too small for them: one line that
    names the limit and the option (not a file), exit 2, the earlier report untouched."""
    rng = np.random.default_rng(0)
    n, k = 200_000, 8
    ids = np.arange(n)
    paths = {name: tmp_path / f"{name}.parquet" for name in ("labels", "scores", "baseline")}
    pd.DataFrame({"id": ids, "label": [f"c{j}" for j in rng.integers(0, k, n)]}).to_parquet(paths["labels"])
    for name in ("scores", "baseline"):
        p, order = rng.dirichlet(np.ones(k), n), rng.permutation(n)
        pd.DataFrame({"id": ids[order], **{f"c{j}": p[order, j] for j in range(k)}}).to_parquet(paths[name])
    out = tmp_path / "r.html"
    out.write_text("earlier report")
    result = run_reportgen("build", "--engine", "duckdb", "--memory-limit", "8MB", "--labels", paths["labels"],
                           "--scores", paths["scores"], "--baseline-scores", paths["baseline"], "--out", out,
                           "--no-bootstrap", "-q", timeout=300)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert "ran out of its 8MB memory limit" in lines[0] and "--memory-limit" in lines[0]
    assert ".parquet" not in lines[0] and out.read_text() == "earlier report"


def test_auto_engine_says_what_it_chose(tmp_path):
    labels, scores = _example("binary")
    result = run_reportgen("build", "--labels", labels, "--scores", scores, "--out", tmp_path / "r.html", timeout=300)
    assert result.returncode == 0
    assert "engine memory" in result.stderr


def test_partial_ids_with_duckdb_keep_the_intersection(tmp_path):
    _, _, labels, scores = _synthetic(tmp_path, n=400)
    lpath, spath = tmp_path / "l.parquet", tmp_path / "s.parquet"
    labels.iloc[5:].to_parquet(lpath, index=False)
    scores.iloc[3:].to_parquet(spath, index=False)
    memory = _report("memory", lpath, spath, allow_partial=True)
    duck = _report("duckdb", lpath, spath, allow_partial=True)
    _same(_comparable(memory), _comparable(duck))
    assert any(w["code"] == "partial_ids" for w in duck["warnings"])


def test_progress_bar_only_on_a_terminal_and_after_a_delay():
    import io as text_io

    from reportgen.engines.progress import Progress

    quiet = text_io.StringIO()
    Progress(stream=quiet).update(5, 10)  # a StringIO is not a terminal
    assert quiet.getvalue() == ""
    shown = text_io.StringIO()
    bar = Progress(stream=shown, enabled=True, delay=0.0)
    bar.update(5, 10)
    bar.stage("rendering the page")
    bar.close()
    text = shown.getvalue()
    assert "50%" in text and "5 rows" in text and "rendering the page" in text and text.endswith("\n")
    late = text_io.StringIO()
    Progress(stream=late, enabled=True, delay=60.0).update(5, 10)  # short builds print nothing
    assert late.getvalue() == ""


@pytest.fixture(scope="module")
def spark_session():
    pytest.importorskip("pyspark", reason="the spark extra is not installed")
    if shutil.which("java") is None:
        pytest.skip("Java is not installed")
    from reportgen.engines.spark import session

    yield session("local[2]")


def test_spark_engine_matches_memory_engine_on_files(spark_session, tmp_path):
    labels, scores, _, _ = _synthetic(tmp_path, n=3000)
    memory = _report("memory", labels, scores)
    sparked = _report("spark", labels, scores)
    _same(_comparable(memory), _comparable(sparked))
    assert sparked["engine"]["name"] == "spark"


def test_spark_engine_on_dataframes_of_the_callers_session(spark_session, tmp_path):
    labels_path, scores_path = _example("multilabel")
    expected = _comparable(_report("memory", labels_path, scores_path))
    labels = spark_session.read.csv(str(labels_path), header=True, inferSchema=True).repartition(3)
    scores = spark_session.read.csv(str(scores_path), header=True, inferSchema=True).repartition(2)
    got = reportgen.evaluate(labels, scores, engine="spark", n_bootstrap=0).to_dict()
    _same(expected, _comparable(got))


def test_spark_bad_input_names_the_row(spark_session, tmp_path):
    _, _, labels, scores = _synthetic(tmp_path, n=300)
    scores = scores.assign(c1=scores["c1"].where(scores["id"] != 21, -0.5))
    lpath, spath = tmp_path / "l.parquet", tmp_path / "s.parquet"
    labels.to_parquet(lpath, index=False)
    scores.to_parquet(spath, index=False)
    with pytest.raises(reportgen.InputError, match=r"row id '21'.*-0\.5"):
        reportgen.evaluate_files(lpath, spath, engine="spark")


# ---------------------------------------------------------------- weights, logits, list columns


def _near(a, b) -> None:
    """Weighted reports: sums of weights added in another order agree to 1e-12."""
    assert_json_close(a, b, "", lambda where, x, y: math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-12))


def _shaped(tmp_path: Path, shape: str, task: str = "multiclass", n: int = 4000, seed: int = 5):
    """Weighted labels (fractional weights, some 0) and logits as separate columns, one list
    column or {label, score} records in shuffled order; rows of the two files shuffled."""
    rng = np.random.default_rng(seed)
    k = 2 if task == "binary" else 4
    names = [f"c{j}" for j in range(k)]
    y = rng.integers(0, k, n)
    logits = np.round(rng.normal(0, 1.5, (n, k)) + 1.5 * np.eye(k)[y], 2)
    weight = np.round(rng.uniform(0, 2.5, n), 2)
    weight[::31] = 0.0
    if task == "multilabel":
        truth = ["|".join(np.array(names)[(rng.uniform(size=k) < 0.3) | (np.arange(k) == c)]) for c in y]
        labels = pa.table({"id": np.arange(n), "labels": truth, "w": weight})
    else:
        labels = pa.table({"id": np.arange(n), "label": np.array(names)[y], "w": weight})
    order = rng.permutation(n)
    ids, rows = np.arange(n)[order], logits[order]
    if task == "binary":
        scores = pa.table({"id": ids, "c1": rows[:, 1]})
    elif shape == "columns":
        scores = pa.table({"id": ids, **{c: rows[:, j] for j, c in enumerate(names)}})
    elif shape == "list":
        scores = pa.table({"id": ids, "logits": pa.array(list(rows), pa.list_(pa.float64()))})
    else:
        scores = pa.table({"id": ids, "preds": [[{"label": names[j], "score": float(row[j])} for j in rng.permutation(k)]
                                                for row in rows]})
    pq.write_table(labels, tmp_path / "labels.parquet", row_group_size=1500)
    pq.write_table(scores, tmp_path / "scores.parquet", row_group_size=1500)
    options = {"scores_are": "logits", "weight_column": "w"}
    if shape == "list":
        options["classes"] = tuple(names)
    if task == "multilabel":
        options["multilabel"] = True
    return tmp_path / "labels.parquet", tmp_path / "scores.parquet", options


SHAPES = [("columns", "multiclass"), ("list", "multiclass"), ("records", "multiclass"), ("columns", "binary"),
          ("columns", "multilabel"), ("list", "multilabel")]


@pytest.mark.parametrize("shape,task", SHAPES)
def test_duckdb_matches_memory_on_weighted_logits_and_list_columns(tmp_path, shape, task):
    labels, scores, options = _shaped(tmp_path, shape, task)
    memory, duck = _report("memory", labels, scores, **options), _report("duckdb", labels, scores, **options)
    _near(_comparable(memory), _comparable(duck))
    for key in ("inputs", "weight_total"):
        _near(memory[key], duck[key])
    assert duck["inputs"] == {"kind": "scores", "scores_are": "logits", "weighted": True, "count_digits": 2}
    assert [c["rows"] for c in duck["per_class"]] == [c["rows"] for c in memory["per_class"]]


def test_weighted_chunks_add_up_to_the_whole_in_exact_and_binned_modes(tmp_path):
    labels, scores, options = _shaped(tmp_path, "columns")
    opts = Options(**options)
    ex = build_examples(Source(pq.read_table(labels), "l"), Source(pq.read_table(scores), "s"),
                        opts, False)
    whole = from_examples(ex, opts.threshold)
    for mode in ("exact", "binned"):
        acc = Accumulator(opts.threshold, None, opts.grid, mode=mode)
        for chunk in np.array_split(np.random.default_rng(0).permutation(ex.n_examples), 5):
            acc.add(ex.subset(np.sort(chunk)))
        stats = acc.statistics()
        assert stats.weighted and math.isclose(stats.weight_total, whole.weight_total, rel_tol=1e-12)
        np.testing.assert_allclose(stats.confusion, whole.confusion, rtol=1e-12)
        grid = np.asarray(opts.grid)
        for got, want in zip(stats.per_class, whole.per_class):
            for a, b in zip(got.above(grid), want.above(grid)):
                np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-9)  # exact at the grid in both modes
        report = evaluate_statistics(stats, opts.grid).to_dict()
        exact = evaluate_statistics(whole, opts.grid).to_dict()
        for got, want, bound in zip(report["per_class"], exact["per_class"], (c.auc_error_bound for c in stats.per_class)):
            assert abs(got["roc_auc"] - want["roc_auc"]) <= bound + 1e-12


def test_duckdb_weighted_binned_mode_keeps_the_grid_exact(tmp_path):
    labels, scores, options = _shaped(tmp_path, "list", n=6000)
    memory = _report("memory", labels, scores, **options)
    duck = reportgen.evaluate_files(labels, scores, engine="duckdb", n_bootstrap=0, distinct_budget=500,
                                    **options).to_dict()
    assert duck["engine"]["mode"] == "binned"
    _near(memory["threshold_grid"], duck["threshold_grid"])
    _near(memory["confusion_matrix"], duck["confusion_matrix"])
    for got, want in zip(duck["per_class"], memory["per_class"]):
        assert abs(got["roc_auc"] - want["roc_auc"]) <= duck["engine"]["auc_error_bound"][got["class"]] + 1e-12


def test_duckdb_bad_weight_and_bad_list_name_the_row(tmp_path):
    labels, scores, options = _shaped(tmp_path, "list", n=300)
    table = pq.read_table(labels)
    weights = table.column("w").to_numpy().copy()
    weights[17] = -2.0
    pq.write_table(table.set_column(2, "w", pa.array(weights)), tmp_path / "bad.parquet")
    with pytest.raises(reportgen.InputError, match=r"bad\.parquet.*column 'w', row id '17'.*-2\.0 is negative"):
        reportgen.evaluate_files(tmp_path / "bad.parquet", scores, engine="duckdb", **options)
    with pytest.raises(reportgen.InputError, match=r"holds 4 scores, but there are 3 classes"):
        reportgen.evaluate_files(labels, scores, engine="duckdb", **{**options, "classes": ("c0", "c1", "c2")})


@pytest.mark.parametrize("shape,task", [("columns", "multiclass"), ("list", "multiclass"), ("records", "multiclass"),
                                        ("list", "multilabel")])
def test_spark_matches_memory_on_weighted_logits_and_list_columns(spark_session, tmp_path, shape, task):
    labels, scores, options = _shaped(tmp_path, shape, task, n=3000)
    memory, sparked = _report("memory", labels, scores, **options), _report("spark", labels, scores, **options)
    _near(_comparable(memory), _comparable(sparked))
    _near(memory["weight_total"], sparked["weight_total"])
    assert [c["rows"] for c in sparked["per_class"]] == [c["rows"] for c in memory["per_class"]]
