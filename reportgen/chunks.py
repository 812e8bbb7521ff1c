"""What a streaming pass hands its reducers: chunks of joined rows, and the combiners
that reduce them (TensorFlow Model Analysis's combiner shape: add chunks, merge partial
results, read the result once every chunk is in).

A chunk holds, for the same rows in the same order, one ``Examples`` per model (the
report's model first, then the baseline, then any compared model) and the metadata
columns the report slices by. The memory engine hands its whole data as one chunk (or
several); DuckDB hands one per Arrow batch; Spark one per batch of each partition, the
partitions' combiners merged on the driver. A combiner's result must not depend on how
the rows were cut into chunks, nor on their order.

DuckDB joins each model with the labels in a pass of its own: its chunks hold one model
(the others None). A chunk of the report's model then carries, for the models it lacks,
whether each row was decided right (``rights``: what churn needs of two models on one
row). A combiner reads chunks without the report's model only when it says so
(``wants(model)``); ``Together`` and ``Make`` ask their parts.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Mapping, Protocol, Sequence, TypeVar

import numpy as np

import pyarrow as pa

from reportgen.validate import Examples

C = TypeVar("C", bound="Combiner")
PARALLEL_ROWS = 1 << 16  # a chunk's parts side by side on threads from this many rows (below, one after another)


@dataclass(frozen=True, eq=False)
class Chunk:
    """Rows of the join: ``models[m]`` is model m's Examples; row i is the same id in every
    one of them (``models[m].ids[i]``), and ``metadata[column][i]`` that row's value.

    ``raw_scores[m]``, when an engine has them, is model m's score columns as read (each
    (rows,) float32 or float64, no copy; None where a class has none), which binned
    counting uses instead of converting ``y_score``. A chunk's arrays are only valid while
    ``add`` runs (engines reuse their buffers): a combiner copies what it keeps.

    ``models[m]`` is None for a model this chunk does not hold (a pass of one model);
    ``rights[m]`` (rows,) bool is then, in a chunk of the report's model, whether model
    m decided each row right (``analysis.churn.correct`` at the report's thresholds)."""

    models: tuple[Examples | None, ...]
    metadata: Mapping[str, pa.Array] = field(default_factory=dict)
    raw_scores: tuple[Sequence[np.ndarray | None] | None, ...] = ()
    rights: Mapping[int, np.ndarray] = field(default_factory=dict)

    @property
    def main(self) -> Examples | None:
        return self.models[0]

    @property
    def first(self) -> Examples:
        """The first model the chunk holds (every one has the same rows)."""
        return next(m for m in self.models if m is not None)

    @property
    def n_rows(self) -> int:
        return self.first.n_examples


class Combiner(Protocol):
    """Chunks in, one partial result that merges with others (see the module's docstring).

    A combiner may define ``wants(model) -> bool``: whether it reads chunks that hold model
    ``model`` without the report's model; without it, it is fed only chunks that hold the
    report's model."""

    def add(self, chunk: Chunk) -> None:
        """Reduce one chunk into this combiner."""

    def merge(self: C, other: C) -> C:
        """This combiner's and ``other``'s chunks together (either may be modified)."""


def wants(combiner, model: int) -> bool:
    """Whether ``combiner`` reads chunks of ``model`` (see ``Combiner``)."""
    return model == 0 or bool(getattr(combiner, "wants", lambda m: False)(model))


def feeds(combiner, chunk: Chunk) -> bool:
    """Whether ``chunk`` goes to ``combiner``: it holds the report's model, or a model the
    combiner wants."""
    return chunk.main is not None or any(m is not None and wants(combiner, i) for i, m in enumerate(chunk.models))


class SideBySide:
    """Runs the calls one chunk makes of several combiners on threads (numpy lets go of
    the interpreter in its loops, so two parts of a pass share the machine's cores), and
    returns once every call has: the chunk's arrays are still valid while they run. The
    first call runs in this thread; an error is raised after every call has ended (the
    first one's, in the calls' order). Each holder has its own threads, so that a part
    that runs its own parts side by side never waits on a thread it holds. Pickles
    without its threads."""

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None

    def run(self, calls: Sequence[Callable[["Chunk"], None]], chunk: "Chunk") -> None:
        """``call(chunk)`` for each of ``calls``."""
        if len(calls) < 2 or chunk.n_rows < PARALLEL_ROWS or (os.cpu_count() or 1) < 2:
            for call in calls:
                call(chunk)
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=min(len(calls) - 1, (os.cpu_count() or 1) - 1))
        futures = [self._pool.submit(call, chunk) for call in calls[1:]]
        try:
            calls[0](chunk)
        finally:
            errors = [f.exception() for f in futures]  # waits for each
        for error in errors:
            if error is not None:
                raise error

    def __getstate__(self) -> dict:
        return {"_pool": None}


class Together:
    """Several combiners fed the same chunks: one pass for all of them (``parts`` in order,
    side by side on threads: ``SideBySide``)."""

    def __init__(self, parts: tuple) -> None:
        self.parts = tuple(parts)
        self.threads = SideBySide()

    def wants(self, model: int) -> bool:
        return any(wants(part, model) for part in self.parts)

    def add(self, chunk: Chunk) -> None:
        self.threads.run([part.add for part in self.parts if feeds(part, chunk)], chunk)

    def merge(self, other: "Together") -> "Together":
        return Together(tuple(mine.merge(theirs) for mine, theirs in zip(self.parts, other.parts)))


@dataclass(frozen=True)
class Make:
    """A picklable factory of ``Together``: each of ``factories`` makes one of its parts."""

    factories: tuple

    def __call__(self) -> Together:
        return Together(tuple(make() for make in self.factories))
