"""Slices and splits as combiners over chunks: the same sections whether the rows come as
one chunk or as several shuffled ones; the slice test against an independent oracle;
quantile edges equal NumPy's quantiles."""
from __future__ import annotations

import math
import pickle
from dataclasses import replace
import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from scipy.stats import false_discovery_control, norm

import reportgen
from reportgen.accumulate import within_budget
from reportgen.analysis import slices as sl
from reportgen.analysis import splits
from reportgen.analysis.splits import SplitCombiner, split_section
from reportgen.chunks import Chunk
from reportgen.errors import InputError
from reportgen.hashing import hash_groups, id_hashes, row_groups
from reportgen.options import Options
from reportgen.stats import from_examples
from reportgen.validate import Examples

CLASSES = ("ant", "bee", "cat")


def _softmax(logits):
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


def _data(n=3000, seed=1, weighted=False, multilabel=False, ids="text"):
    """The report's model and a baseline on the same rows, and metadata columns: a region
    (one truly worse), a numeric size with NaNs and ties, a constant, and a fold."""
    rng = np.random.default_rng(seed)
    k = len(CLASSES)
    region = rng.choice([f"r{i}" for i in range(6)], n)
    size = np.round(rng.random(n) * 20, 0)
    size[rng.random(n) < 0.05] = np.nan
    fold = rng.integers(1, 12, n).astype(str)
    weight = np.round(rng.random(n) * 3, 2) if weighted else None
    identity = pa.array(np.arange(n) * 7 + 3) if ids == "integer" else pa.array([f"id-{i:05d}" for i in range(n)])

    truth_single = rng.integers(0, k, n)
    truth_multi = rng.random((n, k)) < 0.4

    def model(strength):
        if multilabel:
            score = np.round(np.clip(truth_multi * strength * 0.3 + rng.normal(0.3, 0.25, (n, k)), 0, 1), 3)
            return Examples("multilabel", CLASSES, None, identity, np.asfortranarray(score), None, truth_multi,
                            split=pa.array(fold), weight=weight)
        logits = rng.normal(0, 1, (n, k))
        logits[np.arange(n), truth_single] += np.where(region == "r3", 0.3, strength)
        score = np.round(_softmax(logits), 4)
        return Examples("multiclass", CLASSES, None, identity, np.asfortranarray(score), truth_single, None,
                        split=pa.array(fold), weight=weight)

    main, base = model(1.8), model(1.0)
    metadata = {"region": pa.array(region), "size": pa.array(size), "const": pa.array(["x"] * n),
                "fold": pa.array(fold)}
    return main, base, metadata


def _plan(metadata, n_bootstrap=50, **options):
    settings = sl.SliceOptions(specs=sl.parse_specs(["region", "size", "region,size", "const", "region,const"]),
                               bins=4, min_size=20)
    opts = Options(n_bootstrap=n_bootstrap, seed=3, **options)
    return sl.SlicePlan(settings, opts, sl.column_edges(metadata, settings.bins), "meta.csv")


def _chunks(models, metadata, seed, pieces):
    """The rows shuffled and cut into ``pieces`` chunks of random sizes."""
    rng = np.random.default_rng(seed)
    n = models[0].n_examples
    order = rng.permutation(n)
    cuts = np.sort(rng.choice(np.arange(1, n), pieces - 1, replace=False))
    return [Chunk(tuple(m.subset(rows) for m in models), {c: v.take(pa.array(rows)) for c, v in metadata.items()})
            for rows in np.split(order, cuts)]


def _streamed(chunks, plan, second_chunks):
    """Pass 1 over ``chunks`` in two combiners merged; pass 2 over ``second_chunks``."""
    a, b = sl.SliceCombiner(plan), sl.SliceCombiner(plan)
    for i, chunk in enumerate(chunks):
        (a if i % 2 else b).add(chunk)
    first = a.merge(b).result()
    x, y = sl.SliceIntervals(first), sl.SliceIntervals(first)
    for i, chunk in enumerate(second_chunks):
        (x if i % 2 == 0 else y).add(chunk)
    return sl.finish(first, x.merge(y))


def _same(a, b, path="", rel=1e-9, tiny=1e-12):
    """Equal JSON values: integers, texts and flags exactly, floats to ``rel`` (and within
    ``tiny`` of 0: sums of weights that cancel keep a residue of their rounding)."""
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for key in a:
            _same(a[key], b[key], f"{path}.{key}", rel, tiny)
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{path}[{i}]", rel, tiny)
    elif isinstance(a, float) and not isinstance(b, bool):
        assert b == pytest.approx(a, rel=rel, abs=tiny), path
    else:
        assert a == b and type(a) is type(b), path


@pytest.mark.parametrize("weighted, multilabel, ids", [
    (False, False, "text"), (True, False, "integer"), (False, True, "integer"), (True, True, "text")])
def test_slices_equal_as_one_chunk_or_shuffled_chunks(weighted, multilabel, ids):
    main, base, metadata = _data(weighted=weighted, multilabel=multilabel, ids=ids)
    plan = _plan(metadata)
    whole = sl.slice_section([Chunk((main, base), metadata)], plan)
    streamed = _streamed(_chunks((main, base), metadata, 1, 5), plan, _chunks((main, base), metadata, 2, 3))
    _same(whole, streamed)
    found = whole["slices"]
    assert any(s["intervals"] for s in found) and all("churn" in s for s in found)
    keys = [(tuple(s["by"]), tuple(s["value"])) for s in found]
    assert len(keys) == len(set(keys))
    # "region,const" has the very rows of "region": dropped, as "const" is not (all rows)
    assert not any(s["by"] == ["region", "const"] for s in found) and any(s["by"] == ["const"] for s in found)
    sizes = [s for s in found if s["by"] == ["size"]]
    assert len(sizes) == 5 and sum(s["value"] == [sl.MISSING] for s in sizes) == 1  # 4 bins and the NaNs
    assert sum(s["n_examples"] for s in sizes) == main.n_examples


def test_integer_ids_and_their_text_make_the_same_slices():
    main, base, metadata = _data(ids="integer")
    text = pa.array([str(v) for v in main.ids.to_pylist()])
    as_text = [replace(m, ids=text) for m in (main, base)]
    plan = _plan(metadata)
    _same(sl.slice_section([Chunk((main, base), metadata)], plan),
          sl.slice_section(_chunks(tuple(as_text), metadata, 4, 4), plan))


def test_churn_counts_per_slice_equal_the_rows():
    main, base, metadata = _data(weighted=True)
    plan = _plan(metadata, n_bootstrap=0)
    found = sl.slice_section(_chunks((main, base), metadata, 5, 3), plan)["slices"]
    new = main.y_score.argmax(axis=1) == main.y_true
    old = base.y_score.argmax(axis=1) == base.y_true
    region = np.array(metadata["region"].to_pylist())
    for s in (s for s in found if s["by"] == ["region"]):
        rows = region == s["value"][0]
        w = main.weight[rows]
        assert s["churn"]["fixed"] == pytest.approx(float(w[(new & ~old)[rows]].sum()), rel=1e-12)
        assert s["churn"]["broken"] == pytest.approx(float(w[(~new & old)[rows]].sum()), rel=1e-12)
        assert s["intervals"] is None


def test_the_test_and_q_values_equal_an_independent_computation():
    """Two-pass weighted moments, a normal tail and SciPy's Benjamini-Hochberg."""
    main, base, metadata = _data(weighted=True)
    plan = _plan(metadata, n_bootstrap=0)
    found = sl.slice_section(_chunks((main,), metadata, 6, 4), plan)["slices"]
    right = (main.y_score.argmax(axis=1) == main.y_true).astype(float)
    region = np.array(metadata["region"].to_pylist())
    w = main.weight

    def moments(mask):
        ws, vs = w[mask], right[mask]
        mean = np.average(vs, weights=ws)
        size = ws.sum() ** 2 / (ws ** 2).sum()
        return mean, np.average((vs - mean) ** 2, weights=ws) * size / (size - 1) / size

    tested = [s for s in found if s["tested"]]
    assert len(tested) > 20
    for s in (s for s in tested if s["by"] == ["region"]):
        inside = region == s["value"][0]
        (a, va), (b, vb) = moments(inside), moments(~inside)
        assert s["gap"] == pytest.approx(a - b, rel=1e-9)
        assert s["p_value"] == pytest.approx(norm.cdf((a - b) / math.sqrt(va + vb)), rel=1e-7, abs=1e-300)
    q = false_discovery_control([s["p_value"] for s in tested])
    assert [s["q_value"] for s in tested] == pytest.approx(list(q), rel=1e-12)
    assert [s["value"] for s in found if s["flagged"] and s["by"] == ["region"]] == [["r3"]]


def test_splits_equal_as_one_chunk_or_shuffled_chunks():
    for weighted in (False, True):
        main, _, metadata = _data(weighted=weighted)
        opts = Options(split_column="fold")
        whole = split_section([Chunk((main,))], opts)
        parts = [SplitCombiner(opts) for _ in range(2)]
        for i, chunk in enumerate(_chunks((main,), metadata, 7, 6)):
            parts[i % 2].add(chunk)
        _same(whole, parts[0].merge(parts[1]).section())
        assert whole["names"] == [str(i) for i in range(1, 12)]
        fold = np.array(metadata["fold"].to_pylist())
        right = main.y_score.argmax(axis=1) == main.y_true
        w = np.ones(main.n_examples) if main.weight is None else main.weight
        for name in whole["names"]:
            rows = fold == name
            assert whole["per_split"][name]["summary"]["accuracy"] == pytest.approx(
                np.average(right[rows], weights=w[rows]), rel=1e-12)


@pytest.mark.parametrize("case", range(60))
def test_quantile_edges_are_numpys_quantiles(case):
    rng = np.random.default_rng(case)
    n = int(rng.integers(2, 400))
    bins = int(rng.integers(2, 11))
    if case % 4 == 3:
        values = rng.integers(-5, 30, n).astype(np.int64)  # integers, many ties
    else:
        values = np.round(rng.random(n) * rng.choice([1e-3, 1.0, 1e4]), int(rng.integers(0, 5)))
        if case % 2:
            values[rng.random(n) < 0.2] = np.nan
    ours = sl.numeric_edges(pa.array(values), bins)
    present = values[~np.isnan(values.astype(float))]
    if len(np.unique(present)) <= bins:
        assert ours is None
        return
    assert ours == pytest.approx(np.unique(np.quantile(present, np.linspace(0, 1, bins + 1))), rel=1e-12, abs=1e-15)


def test_hash_groups_are_row_groups():
    for ids in (pa.array(["a", "007", "x" * 40, ""]), pa.array([7, 12, 3_000_000_000, -1])):
        for n in (1, 3, 1000):
            assert np.array_equal(hash_groups(id_hashes(ids, 5), n), row_groups(ids, 5, n))


def test_a_column_with_too_many_values_is_refused(tmp_path, monkeypatch):
    n = 300
    ids = [f"e{i}" for i in range(n)]
    y = np.arange(n) % 2
    pd.DataFrame({"id": ids, "label": y}).to_csv(tmp_path / "l.csv", index=False)
    pd.DataFrame({"id": ids, "score": np.linspace(0, 1, n)}).to_csv(tmp_path / "s.csv", index=False)
    pd.DataFrame({"id": ids, "user": [f"u{i}" for i in range(n)]}).to_csv(tmp_path / "m.csv", index=False)
    monkeypatch.setattr(sl, "MAX_VALUES", 250)
    with pytest.raises(InputError, match="at least 300 distinct values; at most 250"):
        reportgen.evaluate_files(tmp_path / "l.csv", tmp_path / "s.csv", metadata=tmp_path / "m.csv",
                                 slice_by=["user"], n_bootstrap=0)
    monkeypatch.undo()
    done = subprocess.run([sys.executable, "-c", (
        "import sys; import reportgen.analysis.slices as s; s.MAX_VALUES = 250; from reportgen.cli import main; "
        f"sys.exit(main(['build', '--labels', {str(tmp_path / 'l.csv')!r}, '--scores', {str(tmp_path / 's.csv')!r}, "
        f"'--metadata', {str(tmp_path / 'm.csv')!r}, '--slice-by', 'user', '--out', {str(tmp_path / 'r.html')!r}]))")],
        capture_output=True, text=True)
    assert done.returncode == 2
    line = done.stderr.strip()
    assert "\n" not in line and "m.csv" in line and "'user'" in line and "300" in line
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("weighted", [False, True])
def test_splits_past_a_budget_are_binned_as_their_exact_counts_binned(weighted):
    """With a streaming engine's budget each split's statistics are bounded: past it, they
    equal the split's exact statistics binned, whatever the chunking (shuffled chunks, two
    combiners, one pickled, merged; or one chunk); within it, they are the exact ones (the
    memory engine's)."""
    main, _, metadata = _data(weighted=weighted)
    opts = Options(split_column="fold")
    fold = np.array(metadata["fold"].to_pylist())
    budget = 60  # each fold has about 270 rows, nearly as many distinct scores per class
    parts = [SplitCombiner(opts, budget) for _ in range(2)]
    for i, chunk in enumerate(_chunks((main,), metadata, 5, 9)):
        parts[i % 2].add(chunk)
    bounded = parts[0].merge(pickle.loads(pickle.dumps(parts[1])))  # as Spark ships a partition's
    whole = SplitCombiner(opts, budget)
    whole.add(Chunk((main,)))
    for name in [str(i) for i in range(1, 12)]:
        rows = np.flatnonzero(fold == name)
        exact = from_examples(main.subset(rows), opts.threshold, opts.class_thresholds)
        assert max(len(c.scores) for c in exact.per_class) > budget
        want = within_budget(exact, opts.grid, opts.threshold, opts.class_thresholds, budget)
        for got in (bounded.statistics()[name], whole.statistics()[name]):
            assert all(c.binned for c in (*got.per_class, got.top_class))
            for a, b in zip((*got.per_class, got.top_class), (*want.per_class, want.top_class)):
                np.testing.assert_array_equal(a.scores, b.scores)
                np.testing.assert_allclose(a.pos, b.pos, rtol=1e-12, atol=1e-12)
                np.testing.assert_allclose(a.neg, b.neg, rtol=1e-12, atol=1e-12)
                np.testing.assert_allclose(a.anchors.pos_above, b.anchors.pos_above, rtol=1e-12, atol=1e-12)
            _same(_statistics_json(want), _statistics_json(got), tiny=1e-9)
    _same(whole.section(), bounded.section(), tiny=1e-9)
    roomy = SplitCombiner(opts, 10_000)
    for chunk in _chunks((main,), metadata, 6, 5):
        roomy.add(chunk)
    assert not any(c.binned for s in roomy.statistics().values() for c in s.per_class)
    _same(split_section([Chunk((main,))], opts), roomy.section())


def test_too_many_slices_or_splits_are_refused(monkeypatch):
    main, _, metadata = _data(n=400)
    plan = _plan(metadata, n_bootstrap=0)
    monkeypatch.setattr(sl, "MAX_SLICES", 20)
    with pytest.raises(InputError, match="at least [0-9]+ slices; at most 20") as caught:
        sl.SliceCombiner(plan).add(Chunk((main,), metadata))
    assert caught.value.file == "meta.csv"
    monkeypatch.setattr(splits, "MAX_SPLITS", 10)
    combiner = SplitCombiner(Options(split_column="fold"))
    with pytest.raises(InputError, match="at least 11 distinct splits; at most 10") as caught:
        for chunk in _chunks((main,), metadata, 8, 4):
            combiner.add(chunk)
    assert caught.value.column == "fold"


def _statistics_json(stats):
    from reportgen.metrics import evaluate_statistics
    return evaluate_statistics(stats, Options().grid, (), 200).to_dict()


@pytest.mark.parametrize("weighted, multilabel, predicted", [
    (False, False, False), (True, False, False), (False, True, False), (False, False, True)])
def test_a_slice_counted_straight_into_bins_equals_its_counts_binned(weighted, multilabel, predicted, monkeypatch):
    """Past the budget a slice part skips the exact sort: its statistics (metrics, binned
    counts at every bin and anchor) equal the exact counts binned."""
    main, _, metadata = _data(n=6000, weighted=weighted, multilabel=multilabel)
    if predicted:  # predictions decide; the top class is still the scores' own
        flipped = np.where(np.arange(main.n_examples) % 7 == 0, (main.y_true + 1) % 3, main.y_true)
        main = replace(main, y_pred=flipped)
    monkeypatch.setattr(sl, "SLICE_BUDGET", 500)
    plan = _plan(metadata)
    assert sl._fills_bins(main, 500)
    direct = plan.statistics(main)
    sorted_then_binned = plan.bounded(sl.from_examples(main, plan.opts.threshold, plan.opts.class_thresholds))
    assert all(c.binned for c in direct.per_class)
    for a, b in zip((*direct.per_class, direct.top_class), (*sorted_then_binned.per_class, sorted_then_binned.top_class)):
        np.testing.assert_array_equal(a.scores, b.scores)
        np.testing.assert_allclose(a.pos, b.pos, rtol=1e-12)
        np.testing.assert_allclose(a.neg, b.neg, rtol=1e-12)
        np.testing.assert_allclose(a.anchors.pos_above, b.anchors.pos_above, rtol=1e-12)
        np.testing.assert_allclose(a.anchors.neg_above, b.anchors.neg_above, rtol=1e-12)
    _same(_statistics_json(sorted_then_binned), _statistics_json(direct))
    # and whichever way each chunk's part was counted, the slices are the same
    base = replace(main, y_score=np.asfortranarray(np.clip(main.y_score * 0.9, 0, 1)))
    whole = sl.slice_section([Chunk((main, base), metadata)], plan)
    streamed = _streamed(_chunks((main, base), metadata, 1, 7), plan, _chunks((main, base), metadata, 2, 3))
    total = float(np.sum(main.weight)) if weighted else 1.0
    _same(whole, streamed, tiny=1e-12 * total * 100)  # weighted: a count that cancels to 0 is 0 to ~1e-14 of the total
