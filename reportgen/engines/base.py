"""The producer protocol every engine follows, and what the streaming engines share.

A producer hands a report's passes chunks of joined rows (``reportgen.chunks``). It is
made by ``for_files(opts, paths, settings)`` (files, globs or folders; ``EngineSettings``)
or ``for_frames(opts, frames)`` (DataFrames by name), where the engine takes them; then:

- ``prepare(labels, models, metadata, metadata_columns)``: read or plan the inputs:
  the labels, each model as (name, its scores, its hard-label predictions) and the
  metadata holding the slice columns (and perhaps the weights). What an input is
  depends on the engine (a file's name, a DataFrame's name, a read table);
- ``reduce(factory)``: one pass: every chunk into one combiner made by ``factory()``
  (merged across partitions where the engine has them);
- ``statistics_with(others)``: the statistics pass: each model's ``Statistics``, the
  join's notes, and the combiners ``others`` make, fed the same chunks;
- ``metadata_values(columns, numeric)``: the numeric metadata columns, one value per
  row, before any pass (None when only a whole pass knows the rows);
- ``close()``: release what ``prepare`` opened.

``reportgen.pipeline.run`` drives every producer through the same passes. How a producer
makes its statistics is its own affair (one pass over a join of every model, or one pass
per model); what it hands ``reduce``'s combiners is fixed: chunks whose ``models`` hold the
report's model first and its baseline second on the same rows, with the metadata columns
of those rows; or, one pass per model (DuckDB), chunks holding one model (the others
None), each fed only to the combiners that ``wants`` it, the report's model's chunks
carrying whether the baseline decided each row right (``Chunk.rights``, what churn and
slice churn read; the paired bootstrap pairs models through its id-hash groups).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Protocol, Sequence, TypeVar

import pyarrow as pa

from reportgen.accumulate import DISTINCT_BUDGET
from reportgen.chunks import Combiner
from reportgen.engines.batches import JoinPlan, ModelFiles, expected_rows, statistics_pass
from reportgen.errors import InputError
from reportgen.options import Options
from reportgen.stats import Statistics
from reportgen.validate import Note

C = TypeVar("C", bound=Combiner)
Factory = Callable[[], Combiner]
MAX_MODELS = 5  # the report's model, its baseline and the compared ones, on one page


class Producer(Protocol):
    """What ``pipeline.run`` asks of an engine (see the module's docstring)."""

    name: ClassVar[str]  # as the report's ``engine`` section names it
    keeps_every_candidate: ClassVar[bool]  # example lists keep every candidate (for --export)
    budget: int | None  # distinct scores per class kept exact, binned beyond (None: every one)
    expected_rows: int | None  # once prepared: the rows a pass expects (None: no budget to judge by)

    @classmethod
    def for_files(cls, opts: Options, paths: Sequence[str], settings: "EngineSettings") -> "Producer": ...

    def prepare(self, labels: Any, models: Sequence[tuple[str, Any, Any]], metadata: Any = None,
                metadata_columns: Sequence[str] = ()) -> Any: ...

    def reduce(self, factory: Callable[[], C]) -> C: ...

    def statistics_with(self, others: Sequence[Factory] = ()
                        ) -> tuple[list[Statistics], tuple[Note, ...], tuple[Combiner, ...]]: ...

    def metadata_values(self, columns: Sequence[str], numeric: Callable[[pa.DataType], bool]
                        ) -> dict[str, pa.Array] | None: ...

    def close(self) -> None: ...


def check_model_count(n: int) -> None:
    """At most MAX_MODELS models (the report's, its baseline and the compared ones) on one page."""
    if n > MAX_MODELS:
        raise InputError(f"at most {MAX_MODELS} models on one page ({n} given)")


def check_rows(files: Sequence[str], rows: Sequence[int]) -> None:
    """Every file of a join has rows (a header alone is refused, as the memory engine does)."""
    for file, n in zip(files, rows):
        if n == 0:
            raise InputError("no rows (header only)", file=file)


class StreamingEngine:
    """What DuckDB and Spark share: the join planned by ``prepare`` (``join``, each file's
    ``rows``), the statistics pass over ``reduce`` (one ``Accumulator`` per model beside
    any other combiners), and the join's notes once a pass is done."""

    name: ClassVar[str] = ""
    keeps_every_candidate: ClassVar[bool] = False

    def __init__(self, opts: Options, budget: int = DISTINCT_BUDGET) -> None:
        self.opts = opts
        self.budget = budget
        self.join: JoinPlan | None = None
        self.rows: list[int] = []
        self.notes: tuple[Note, ...] = ()

    @property
    def expected_rows(self) -> int:
        return expected_rows(self.rows)

    def reduce(self, factory: Callable[[], C]) -> C:
        raise NotImplementedError

    def close(self) -> None:
        """Nothing to release unless the engine opened something."""

    def bounded(self, found: list[Statistics]) -> list[Statistics]:
        """The statistics pass's result as the report takes it (an engine merging partial
        statistics bins a class past the distinct-score budget here)."""
        return found

    def statistics_with(self, others: Sequence[Factory] = ()
                        ) -> tuple[list[Statistics], tuple[Note, ...], tuple[Combiner, ...]]:
        """The statistics pass with more combiners fed the same chunks (made by ``others``;
        picklable for an engine that ships them): each model's Statistics, the join's
        warnings and those combiners."""
        found, parts = statistics_pass(self.reduce, self.opts, self.join, self.rows, self.budget, others)
        return self.bounded(found), self.notes, parts

    def model_statistics(self) -> tuple[list[Statistics], tuple[Note, ...]]:
        """The statistics pass alone: each model's Statistics, and the join's warnings."""
        found, notes, _ = self.statistics_with()
        return found, notes

    def statistics(self, labels_path, scores_path, same: bool) -> tuple[Statistics, tuple[Note, ...]]:
        """One model's statistics from a labels and a scores file (``same``: one file holds both)."""
        labels = str(labels_path)
        self.prepare(labels, [("model", labels if same else str(scores_path), None)])
        found, notes = self.model_statistics()
        return found[0], notes

    def prepare(self, labels: str, models: Sequence[ModelFiles], metadata: str | None = None,
                metadata_columns: Sequence[str] = ()) -> JoinPlan:
        raise NotImplementedError


@dataclass(frozen=True)
class EngineSettings:
    """How an engine reading files runs: DuckDB's ``memory_limit``, Spark's master
    (``spark_master``), the distinct scores kept exact per class (``budget``) and a
    ``progress(done, total)`` callback. An engine takes what applies to it."""

    memory_limit: str | None = None
    spark_master: str | None = None
    budget: int = DISTINCT_BUDGET
    progress: Callable[[int, int], None] | None = None


def check_budget(budget: int) -> int:
    if budget < 1:
        raise InputError(f"usage: --distinct-budget {budget} must be at least 1")
    return budget
