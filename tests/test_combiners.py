"""The per-example analyses as combiners over chunks: the same sections whether the rows
come as one chunk or as several shuffled chunks reduced by separate combiners and merged,
with string or integer ids; and the memory engine's intervals (groups by id hash)
reproducible, independent of row order and paired."""
from __future__ import annotations

import pickle
from dataclasses import replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from sklearn.metrics import accuracy_score

import reportgen
from conftest import assert_json_close, softmax_scores
from reportgen.analysis import per_example
from reportgen.analysis.compare import Model
from reportgen.analysis.lists import first_per_group
from reportgen.chunks import Chunk
from reportgen.metrics import evaluate_statistics
from reportgen.options import Options
from reportgen.stats import from_examples
from reportgen.validate import Examples

N = 400


def _examples(task: str, k: int, seed: int, ids: pa.Array, weighted: bool, scored: bool = True,
              predicted: bool = False) -> tuple[Examples, Examples]:
    """A model and its baseline on the same rows; scores rounded to one decimal (many ties)."""
    rng = np.random.default_rng(seed)
    n = len(ids)
    weight = rng.integers(0, 4, n).astype(np.float64) if weighted else None
    if weighted:
        weight[0] = 1.0
    classes = tuple(f"c{j}" for j in range(k))
    models = []
    if task == "multilabel":
        y_multi = rng.random((n, k)) < 0.4
        for strength in (0.5, 0.2):
            score = np.round(np.clip(y_multi * strength + rng.random((n, k)) * (1 - strength), 0, 1), 1)
            pred = (rng.random((n, k)) < 0.5) if predicted else None
            models.append(Examples(task, classes, None, ids, score if scored else None, None,
                                   np.asfortranarray(y_multi), weight=weight,
                                   y_pred_multi=None if pred is None else np.asfortranarray(pred)))
        return models[0], models[1]
    y = rng.integers(0, k, n)
    for strength in (1.5, 0.5):
        score = np.round(softmax_scores(rng, y, k, strength), 1)
        if task == "binary":
            p = score[:, 1] / score.sum(axis=1)
            score = np.round(np.stack([1 - p, p], axis=1), 1)
        pred = rng.integers(0, k, n) if predicted else None
        models.append(Examples(task, classes, "c1" if task == "binary" else None, ids,
                               np.asfortranarray(score) if scored else None, y, None, weight=weight, y_pred=pred))
    return models[0], models[1]


def _model(name: str, ex: Examples) -> Model:
    stats = from_examples(ex, 0.5, grid=Options().grid)
    return Model(name, stats, evaluate_statistics(stats, Options().grid, (), 80))


def _sections(models: tuple[Examples, Examples | None], parts: list[list[np.ndarray]], opts: Options,
              keep_all: bool):
    """Sections from chunks of rows: each inner list is one combiner's chunks (a partition)."""
    main, base = (_model("m", models[0]), None if models[1] is None else _model("b", models[1]))
    report = main.evaluation.sections()
    plan = per_example.plan(main.stats, None if base is None else base.stats, report, opts, keep_all=keep_all)
    plan = pickle.loads(pickle.dumps(plan))  # a streaming engine ships it to its workers
    combiners = []
    for chunks in parts:
        combiner = plan()
        for rows in chunks:
            combiner.add(Chunk(models=tuple(ex.subset(rows) for ex in models if ex is not None)))
        combiners.append(combiner)
    merged = combiners[0]
    for other in combiners[1:]:
        merged = merged.merge(other)
    sections, lists = per_example.sections(merged, main, base, opts)
    for name in ("label_issues", "confident_mistakes", "broken", "fixed"):  # the kept lists' first entries
        ranked = getattr(lists, name)
        sections[f"kept_{name}"] = None if ranked is None else ranked.table(opts.list_limit).to_pylist()
    return sections


def _close(where: str, a: float, b: float) -> bool:
    return a == pytest.approx(b, rel=1e-9, abs=1e-12)


def _shuffled_parts(n: int, seed: int) -> list[list[np.ndarray]]:
    """Rows permuted, cut into uneven chunks, dealt to three combiners (one gets none)."""
    rng = np.random.default_rng(seed)
    rows = rng.permutation(n)
    cuts = np.sort(rng.choice(np.arange(1, n), 6, replace=False))
    chunks = np.split(rows, cuts)
    return [chunks[:3], [], chunks[3:]] if seed % 2 else [chunks[:1], chunks[1:5], chunks[5:]]


CASES = [
    ("multiclass", 4, dict(weighted=False)),
    ("multiclass", 4, dict(weighted=True)),
    ("binary", 2, dict(weighted=False)),
    ("multiclass", 3, dict(weighted=False, scored=False, predicted=True)),  # label-only
    ("multiclass", 3, dict(weighted=False, predicted=True)),                # mixed
    ("multilabel", 3, dict(weighted=False)),
    ("multilabel", 3, dict(weighted=True, scored=False, predicted=True)),
    ("multiclass", 45, dict(weighted=False)),  # a compact matrix: the "other" row and column
]


@pytest.mark.parametrize("integer_ids", [False, True])
@pytest.mark.parametrize("task,k,kind", CASES)
def test_sections_do_not_depend_on_chunks_or_row_order(task, k, kind, integer_ids):
    ids = pa.array(np.arange(1000, 1000 + N)) if integer_ids else pa.array([f"r{i}" for i in range(N)])
    models = _examples(task, k, k, ids, **kind)
    opts = Options(n_bootstrap=60, seed=3, list_limit=7, inputs_per_cell=4, inputs_total=30)
    whole = _sections(models, [[np.arange(N)]], opts, keep_all=True)
    assert whole["selection"]["cells"] and whole["intervals"]["groups"] == 1000
    for seed in (1, 2):
        parts = _shuffled_parts(N, seed)
        assert_json_close(_sections(models, parts, opts, keep_all=False), whole, "", _close)
    if integer_ids:  # ids hash and rank as their text: the same sections as string ids
        text = (replace(models[0], ids=pa.array([str(i) for i in ids.to_pylist()])), None)
        alone = _sections((models[0], None), [[np.arange(N)]], opts, keep_all=True)
        assert_json_close(_sections(text, [[np.arange(N)]], opts, keep_all=True), alone, "", _close)


def test_lists_rank_ties_by_id_text_and_keep_the_full_ranking_first():
    """Scores of one decimal tie a lot: the kept first entries are the whole ranking's."""
    ids = pa.array([f"r{i}" for i in range(N)])
    models = _examples("multiclass", 4, 9, ids, weighted=False)
    opts = Options(n_bootstrap=0, list_limit=25)
    whole = _sections(models, [[np.arange(N)]], opts, keep_all=True)
    mistakes = whole["confident_mistakes"]
    assert whole["confident_mistakes_total"] > 25 and len(mistakes) == 25
    keys = [(-m["score"], m["id"]) for m in mistakes]
    assert keys == sorted(keys) and len({m["score"] for m in mistakes}) < 25  # ties, broken by id
    for limit in (1, 3, 25):
        chunked = _sections(models, _shuffled_parts(N, limit), Options(n_bootstrap=0, list_limit=limit), False)
        assert chunked["confident_mistakes"] == mistakes[:limit]
        assert chunked["churn"]["broken_examples"] == whole["churn"]["broken_examples"][:limit]


def _frames(seed: int, n: int = 500, k: int = 3):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    names = [f"k{j}" for j in range(k)]
    ids = [f"id{i:04d}" for i in range(n)]
    labels = pd.DataFrame({"id": ids, "label": np.array(names)[y]})
    scores = [pd.DataFrame({"id": ids, **{c: p[:, j] for j, c in enumerate(names)}})
              for p in (softmax_scores(rng, y, k, 1.5), softmax_scores(rng, y, k, 0.7))]
    return labels, scores[0], scores[1], y


def test_memory_intervals_are_reproducible_independent_of_row_order_and_paired():
    labels, new, old, y = _frames(4)
    first = reportgen.evaluate(labels, new, baseline=old, n_bootstrap=300, seed=8).to_dict()
    again = reportgen.evaluate(labels, new, baseline=old, n_bootstrap=300, seed=8).to_dict()
    shuffled = reportgen.evaluate(labels.sample(frac=1.0, random_state=2), new.sample(frac=1.0, random_state=3),
                                  baseline=old.sample(frac=1.0, random_state=4), n_bootstrap=300, seed=8).to_dict()
    other_seed = reportgen.evaluate(labels, new, baseline=old, n_bootstrap=300, seed=9).to_dict()
    assert first["intervals"] == again["intervals"]
    assert_json_close(shuffled["intervals"], first["intervals"], "", _close)
    assert other_seed["intervals"]["summary"] != first["intervals"]["summary"]
    for metric in ("accuracy", "macro_f1", "log_loss", "roc_auc_macro"):
        low, high = first["intervals"]["summary"][metric]
        assert low < first["summary"][metric] < high, metric
        low, high = first["intervals"]["deltas"][metric]
        assert low <= first["deltas"]["summary"][metric] <= high, metric
    assert first["summary"]["accuracy"] == pytest.approx(accuracy_score(y, new.iloc[:, 1:].to_numpy().argmax(1)))
    itself = reportgen.evaluate(labels, new, baseline=new.sample(frac=1.0, random_state=5), n_bootstrap=300,
                                seed=8).to_dict()
    for metric, (low, high) in itself["intervals"]["deltas"].items():
        assert low == pytest.approx(0.0, abs=1e-12) and high == pytest.approx(0.0, abs=1e-12), metric
    assert_json_close(itself["intervals"]["summary"], first["intervals"]["summary"], "", _close)
    for name, item in itself["operating_points"]["per_class"].items():
        assert item["recall_at_precision"]["delta_interval"] == pytest.approx([0.0, 0.0], abs=1e-12), name


def test_memory_engine_keeps_every_candidate_for_export():
    """The memory engine's one chunk keeps every candidate; the JSON lists its first ones."""
    labels, new, old, _ = _frames(5, n=300)
    evaluation = reportgen.evaluate(labels, new, baseline=old, n_bootstrap=50, seed=1, list_limit=5)
    report = evaluation.to_dict()
    lists = evaluation.example_lists
    assert lists.confident_mistakes.total == report["confident_mistakes_total"]
    assert len(lists.confident_mistakes.table()) == report["confident_mistakes_total"]  # every one kept
    assert [r["id"] for r in lists.confident_mistakes.table(5).to_pylist()] == \
        [m["id"] for m in report["confident_mistakes"]]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_first_per_group_equals_a_full_sort(seed):
    """Each group's first rows by (key, id), against Python's sort: keys that differ in the
    last bits, exact ties, large group codes (the one-float pre-selection must not lose any)."""
    rng = np.random.default_rng(seed)
    n = 3000
    group = rng.choice([0, 7, 10**8 + 3], n) if seed == 2 else rng.integers(0, 30, n)
    key = np.where(rng.random(n) < 0.5, np.round(rng.random(n), 1), 0.5 + rng.integers(0, 3, n) * 1e-16)
    ids = pa.array([f"x{rng.integers(0, 10**6)}-{i}" for i in range(n)])
    for limit in (1, 4, 40):
        kept = first_per_group(group, key, ids, limit)
        texts = ids.to_pylist()
        expected = []
        for g in sorted(set(group.tolist())):
            rows = sorted(np.flatnonzero(group == g), key=lambda r: (key[r], texts[r]))
            expected += rows[:limit]
        assert kept.tolist() == expected
