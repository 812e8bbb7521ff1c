"""Toy combiners for the streaming tests, in a module of their own: Spark's workers import
it (the fixture ships it), as they would a real analysis's module."""
from __future__ import annotations

import numpy as np

from reportgen.chunks import Chunk


class ClassCounts:
    """A toy combiner: rows per (true class, predicted class) of the report's model, weight
    per metadata group, and the baseline's rows per predicted class. It wants the
    baseline's chunks too, which hold the baseline alone on DuckDB (a pass per model)
    and both models on one row on Spark."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.pairs = np.zeros((k, k), dtype=np.int64)
        self.groups: dict[str, int] = {}
        self.baseline = np.zeros(k, dtype=np.int64)
        self.chunks = 0

    def wants(self, model: int) -> bool:
        return True

    def add(self, chunk: Chunk) -> None:
        main, baseline = chunk.models
        if main is not None and baseline is not None:
            assert main.ids.to_pylist() == baseline.ids.to_pylist()  # the same rows in the same order
        if main is not None:
            np.add.at(self.pairs, (main.y_true, main.y_pred), 1)
            for value in chunk.metadata["group"].to_pylist():
                self.groups[value] = self.groups.get(value, 0) + 1
        if baseline is not None:
            self.baseline += np.bincount(baseline.y_score.argmax(axis=1), minlength=self.k)
        self.chunks += 1

    def merge(self, other: "ClassCounts") -> "ClassCounts":
        self.pairs += other.pairs
        self.baseline += other.baseline
        for key, value in other.groups.items():
            self.groups[key] = self.groups.get(key, 0) + value
        self.chunks += other.chunks
        return self


class GroupRows:
    """Rows per value of the metadata column ``group`` (None: no metadata)."""

    def __init__(self) -> None:
        self.rows: dict = {}

    def add(self, chunk: Chunk) -> None:
        for value in chunk.metadata["group"].to_pylist():
            self.rows[value] = self.rows.get(value, 0) + 1

    def merge(self, other: "GroupRows") -> "GroupRows":
        for key, value in other.rows.items():
            self.rows[key] = self.rows.get(key, 0) + value
        return self


class SplitRows(GroupRows):
    def add(self, chunk: Chunk) -> None:
        for value in chunk.main.split.to_pylist():
            self.rows[value] = self.rows.get(value, 0) + 1
