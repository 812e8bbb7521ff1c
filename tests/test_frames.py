"""``reportgen.evaluate`` on pandas, Polars and PyArrow tables, and on any object with
``__arrow_c_stream__``: the same report from each, numbers read without a copy."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import reportgen
from reportgen import io
from reportgen.errors import InputError

pl = pytest.importorskip("polars")

CLASSES = ["cat", "dog", "eel"]


def _frames(seed: int = 4, n: int = 300):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    logits = rng.normal(0, 1, (n, 3)) + 1.5 * np.eye(3)[y]
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    ids = [f"x{i}" for i in range(n)]
    labels = pd.DataFrame({"id": ids, "label": np.array(CLASSES)[y], "w": np.round(rng.uniform(0.5, 2, n), 2)})
    scores = pd.DataFrame({"id": ids, **{c: p[:, j] for j, c in enumerate(CLASSES)}})
    return labels, scores


class Stream:
    """Only the Arrow C stream protocol (as a DuckDB relation or another library offers it)."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table

    def __arrow_c_stream__(self, requested_schema=None):
        return self.table.__arrow_c_stream__(requested_schema)


def _report(labels, scores) -> dict:
    return reportgen.evaluate(labels, scores, weight_column="w", n_bootstrap=50).to_dict()


def test_pandas_polars_and_arrow_tables_give_the_same_report():
    labels, scores = _frames()
    expected = _report(labels, scores)
    arrow = (pa.Table.from_pandas(labels), pa.Table.from_pandas(scores))
    given = {
        "polars": (pl.from_pandas(labels), pl.from_pandas(scores)),
        "pyarrow Table": arrow,
        "pyarrow RecordBatchReader": tuple(pa.RecordBatchReader.from_batches(t.schema, t.to_batches()) for t in arrow),
        "pyarrow RecordBatch": tuple(t.combine_chunks().to_batches()[0] for t in arrow),
        "__arrow_c_stream__": tuple(Stream(t) for t in arrow),
        "mixed": (pl.from_pandas(labels), arrow[1]),
    }
    for name, (lab, sco) in given.items():
        assert _report(lab, sco) == expected, name


def test_polars_list_and_categorical_columns():
    """Polars holds text as string views, lists as large lists, categories as dictionaries."""
    labels, scores = _frames()
    sets = [[c for c in CLASSES if c <= label] for label in labels["label"]]
    joined = pd.DataFrame({"id": labels["id"], "labels": ["|".join(s) for s in sets]})
    polars = pl.DataFrame({"id": labels["id"].tolist(), "labels": sets})
    assert reportgen.evaluate(polars, scores, n_bootstrap=0).to_dict() == \
        reportgen.evaluate(joined, scores, n_bootstrap=0).to_dict()
    categorical = pl.from_pandas(labels).with_columns(pl.col("label").cast(pl.Categorical))
    assert _report(categorical, pl.from_pandas(scores)) == _report(labels, scores)


def test_numbers_are_not_copied():
    _, scores = _frames()
    frame = pl.from_pandas(scores)
    table = io.from_dataframe(frame, "scores")
    for name in CLASSES:
        assert table.column(name).chunk(0).buffers()[1].address == frame[name].to_arrow().buffers()[1].address
    arrow = pa.Table.from_pandas(scores)
    assert io.from_dataframe(arrow, "scores") is arrow


def test_what_is_not_a_table_is_named():
    labels, scores = _frames()
    with pytest.raises(InputError) as err:
        reportgen.evaluate(labels, scores.to_numpy())
    assert "scores" in str(err.value) and "ndarray" in str(err.value)
    with pytest.raises(InputError) as err:
        reportgen.evaluate(pl.DataFrame({"id": [], "label": []}), scores)
    assert str(err.value) == "labels: no rows"
