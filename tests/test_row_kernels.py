"""The row kernels (``reportgen.rows``) against numpy and scikit-learn, and the answers an
``Examples`` takes from its scores as read (a narrower float type) against those it takes
from its float64 matrix."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from sklearn.metrics import top_k_accuracy_score

from reportgen.rows import argmax_columns, classes_above
from reportgen.validate import Examples


def _scores(rng, n: int, k: int, decimals: int) -> np.ndarray:
    """(n, k) float32 probabilities rounded to ``decimals``: coarse ones tie often."""
    return rng.dirichlet(np.ones(k), size=n).round(decimals).astype(np.float32)


@pytest.mark.parametrize("decimals", [1, 2, 6])
@pytest.mark.parametrize("k", [2, 3, 20])
def test_argmax_columns_is_numpys_first_maximum_with_ties(decimals, k):
    rng = np.random.default_rng(k * 10 + decimals)
    p = _scores(rng, 5_000, k, decimals)
    p[:50] = 0.0  # every class tied: the first wins
    p[50:60, -1] = p[50:60].max(axis=1)  # the last class ties the first maximum
    found = argmax_columns([p[:, j] for j in range(k)])
    assert found.dtype == np.int64
    np.testing.assert_array_equal(found, np.argmax(p, axis=1))
    assert (found[:50] == 0).all()
    # widened to float64 (as the report's matrix holds them), the same answer
    np.testing.assert_array_equal(argmax_columns([p[:, j].astype(np.float64) for j in range(k)]), found)


def test_argmax_columns_of_one_row_and_one_column():
    assert argmax_columns([np.array([0.2]), np.array([0.7]), np.array([0.7])]).tolist() == [1]
    assert argmax_columns([np.array([0.3, 0.9])]).tolist() == [0, 0]


def _examples(p64: np.ndarray, y: np.ndarray) -> Examples:
    k = p64.shape[1]
    return Examples(task="multiclass", classes=tuple(f"c{j}" for j in range(k)), positive_class=None,
                    ids=pa.array(np.arange(len(y))), y_score=np.asfortranarray(p64), y_true=y, y_multi=None)


def test_ranked_by_the_scores_as_read_gives_the_matrixs_argmax_and_ranks():
    rng = np.random.default_rng(7)
    k = 12
    p = _scores(rng, 4_000, k, 2)  # many ties with the true class
    y = rng.integers(0, k, len(p))
    p64 = p.astype(np.float64)
    wide = _examples(p64, y)
    narrow = _examples(p64, y).ranked_by([p[:, j] for j in range(k)])
    np.testing.assert_array_equal(narrow.argmax, wide.argmax)
    np.testing.assert_array_equal(narrow.true_rank, wide.true_rank)
    np.testing.assert_array_equal(wide.argmax, np.argmax(p64, axis=1))
    # the rank is scikit-learn's top-k tie rule: a row is a top-k hit when fewer than k classes rank above
    for top in (1, 3):
        assert np.mean(narrow.true_rank < top) == pytest.approx(
            top_k_accuracy_score(y, p64, k=top, labels=np.arange(k)), abs=1e-12)
    # a subset keeps what was computed, row for row
    rows = np.array([5, 0, 3_999, 17])
    part = narrow.subset(rows)
    np.testing.assert_array_equal(part.argmax, wide.argmax[rows])
    np.testing.assert_array_equal(part.true_rank, wide.true_rank[rows])


def test_ranked_by_leaves_binary_and_incomplete_columns_alone():
    p = np.array([[0.4, 0.6], [0.9, 0.1]])
    binary = Examples(task="binary", classes=("n", "p"), positive_class="p", ids=pa.array([1, 2]),
                      y_score=np.asfortranarray(p), y_true=np.array([1, 0]), y_multi=None)
    assert binary.ranked_by([None, p[:, 1].astype(np.float32)]) is binary
    assert "ranked" not in binary.__dict__
    three = _examples(np.array([[0.2, 0.5, 0.3]]), np.array([2]))
    three.ranked_by([np.array([0.2], np.float32), None, np.array([0.3], np.float32)])
    assert "ranked" not in three.__dict__
    assert three.argmax.tolist() == [1] and three.true_rank.tolist() == [1]


def test_scores_of_gives_the_same_bins_of_fixed_edges_as_the_matrix():
    """The bootstrap's and the fairness groups' score bins, from the scores as read or from
    the float64 matrix: the same bin for every row (scores on the edges, -0.0 and 1 too)."""
    from reportgen.binning import EdgeLookup

    rng = np.random.default_rng(3)
    k = 5
    p = _scores(rng, 100_000, k, 3)
    edges = np.unique(p[:, 2].astype(np.float64))[::7]
    p[:10, 2] = edges[:10].astype(np.float32)  # on an edge
    p[10, 2], p[11, 2] = -0.0, 1.0
    p64 = np.add(p.astype(np.float64), 0.0)  # as validation widens them (-0.0 becomes 0.0)
    y = rng.integers(0, k, len(p))
    narrow = _examples(p64, y).ranked_by([p[:, j] for j in range(k)])
    assert narrow.scores_of(2).dtype == np.float32
    assert _examples(p64, y).scores_of(2).dtype == np.float64
    lookup = EdgeLookup(edges)
    found = lookup(narrow.scores_of(2))
    np.testing.assert_array_equal(found, np.searchsorted(edges, p64[:, 2], side="left"))
    np.testing.assert_array_equal(found, EdgeLookup(edges)(p64[:, 2]))
