"""The pipeline drives any registered producer through the same passes: a new engine is
one class and one line of ``engines.REGISTRY``. The one here hands the memory engine's
rows as several chunks, last rows first, each reduced by its own combiner and merged:
the report must not change (combiners depend neither on the chunking nor on the order)."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

import reportgen
from reportgen import engines
from reportgen.chunks import Chunk
from reportgen.engines.memory import MemoryEngine
from reportgen.errors import InputError
from test_streaming import _same_report, _whole


class PiecesEngine(MemoryEngine):
    """The memory engine's chunk in ``PIECES`` pieces, in reverse row order, merged."""

    name = "pieces"
    PIECES = 3

    def reduce(self, factory):
        chunk, combined = self.chunk, None
        for rows in np.array_split(np.arange(chunk.n_rows)[::-1], self.PIECES):
            take = pa.array(rows)
            part = factory()
            part.add(Chunk(tuple(ex.subset(rows) for ex in chunk.models),
                           {c: values.take(take) for c, values in chunk.metadata.items()}))
            combined = part if combined is None else combined.merge(part)
        return combined


def test_a_registered_engine_gets_every_pass(tmp_path, monkeypatch):
    files, options = _whole(tmp_path)
    with pytest.raises(InputError, match="--engine 'pieces' is not one of auto, memory, duckdb, spark"):
        reportgen.evaluate_files(files["labels"], engine="pieces", **options)
    monkeypatch.setitem(engines.REGISTRY, "pieces", "test_pipeline:PiecesEngine")
    memory = reportgen.evaluate_files(files["labels"], engine="memory", **options).to_dict()
    pieces = reportgen.evaluate_files(files["labels"], engine="pieces", **options).to_dict()
    assert pieces["engine"]["name"] == "pieces" and memory["engine"]["name"] == "memory"
    for key in ("intervals", "churn", "slices", "splits", "confident_mistakes", "label_issues", "selection"):
        assert pieces.get(key), key
    _same_report(memory, pieces)


def test_on_metrics_hears_the_metrics_before_the_per_example_pass(tmp_path):
    files, options = _whole(tmp_path)
    heard: list[dict] = []
    for engine in ("memory", "duckdb"):
        whole = reportgen.evaluate_files(files["labels"], engine=engine, on_metrics=heard.append, **options).to_dict()
        early = heard[-1]
        assert early["splits"] == whole["splits"] and early["summary"] == whole["summary"]
        assert early["baseline"] == whole["baseline"] and early["engine"]["name"] == engine
        assert "intervals" not in early and "slices" not in early and "churn" not in early
    assert len(heard) == 2
