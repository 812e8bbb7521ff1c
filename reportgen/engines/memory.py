"""The memory engine: every input read into Arrow tables, validated into each model's
``Examples``, and handed to the passes as one chunk.

Its statistics are counted from the whole sample at once (``stats.from_examples``: one
sort per class, exact); every other combiner (slices, splits, the per-example analyses)
is the one every engine runs, fed the chunk of the report's model and its baseline (in
the model's row order) with the metadata columns the report slices by.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, ClassVar, Mapping, Sequence, TypeVar

import pyarrow as pa

from reportgen import io
from reportgen.chunks import Chunk, Combiner
from reportgen.engines.base import Factory
from reportgen.errors import InputError
from reportgen.options import Options
from reportgen.stats import Statistics, from_examples
from reportgen.validate import (Examples, Note, Source, aligned, build_examples, build_label_examples, check_name_type,
                                metadata_rows, metadata_source, metadata_weights, weight_file, with_predictions)

C = TypeVar("C", bound=Combiner)


class MemoryEngine:
    """The in-process producer (see the module's docstring). ``frames``: DataFrames by the
    name ``prepare`` gives them (``evaluate``); any other name is a file, read here."""

    name: ClassVar[str] = "memory"
    keeps_every_candidate: ClassVar[bool] = True  # every list candidate is kept, for --export
    budget: ClassVar[None] = None  # every distinct score kept exact
    expected_rows: ClassVar[None] = None

    def __init__(self, opts: Options, frames: Mapping[str, Any] | None = None) -> None:
        self.opts = opts
        self.frames = dict(frames or {})
        self.examples: list[Examples] = []
        self.chunk: Chunk | None = None

    @classmethod
    def for_files(cls, opts: Options, paths: Sequence[str], settings: Any = None) -> "MemoryEngine":
        return cls(opts)

    @classmethod
    def for_frames(cls, opts: Options, frames: Mapping[str, Any]) -> "MemoryEngine":
        return cls(opts, frames)

    # ---------------------------------------------------------------- reading

    def _read(self, name: str, text: tuple[str, ...]) -> Source:
        """The input ``name`` as a table: a DataFrame given by that name, else a file
        (``text``: the columns read as text whatever they hold)."""
        if name in self.frames:
            return Source(io.from_dataframe(self.frames[name], name), name)
        return Source(io.read_table(name, string_columns=text), name)

    def prepare(self, labels: str, models: Sequence[tuple[str, str | None, str | None]], metadata: str | None = None,
                metadata_columns: Sequence[str] = ()) -> Chunk:
        """Read and validate every model's inputs (name, scores, hard-label predictions; a
        name given twice is read once) against ``labels``, weighted by the ``metadata``
        when it holds the weight column, and the one chunk of the passes, with the
        ``metadata_columns`` the report slices by."""
        opts = self.opts
        label_source = self._read(labels, opts.text_columns)
        meta = None
        if metadata is not None:
            meta = (Source(label_source.table, label_source.name) if metadata == labels
                    else metadata_source(self._read(metadata, (opts.id_column,)), opts))
        weights = meta if meta is not None and opts.weight_column is not None and \
            weight_file(opts.weight_column, label_source.name, label_source.table.column_names, meta.name,
                        meta.table.column_names) == meta.name else None
        found: list[Examples] = []
        for name, scores, predictions in models:
            examples = self._examples(label_source, labels, scores, predictions, found[0] if found else None,
                                      weights is None)
            if weights is not None:  # matched by id once the model's files are joined, as the streaming engines do
                examples = metadata_weights(examples, weights, opts)
            pa.default_memory_pool().release_unused()
            if not found:
                _check_class_thresholds(opts, examples)
            found.append(examples)
        self.examples = found
        shown = (found[0],) if len(found) == 1 else (found[0], aligned(found[0], found[1], models[1][0]))
        columns = _slice_columns(meta, shown[0], opts, metadata_columns) if metadata_columns else {}
        self.chunk = Chunk(models=shown, metadata=columns)
        return self.chunk

    def _examples(self, label_source: Source, labels: str, scores: str | None, predictions: str | None,
                  fixed: Examples | None, weighted: bool) -> Examples:
        """A model's examples from its scores, its hard-label predictions, or both (``fixed``:
        the report's first model, whose task and classes a label-only model takes;
        ``weighted``: with the labels file's weights); its tables are dropped once validated."""
        opts = self.opts

        def read(name: str, predicted: bool) -> Source:
            if name == labels:
                return label_source
            text = (opts.id_column, opts.prediction_column) if predicted else (opts.id_column,)
            if name in self.frames:
                return self._read(name, text)
            # a Parquet file's score columns are read when the score matrix is filled
            keep = {*opts.text_columns, *(c for c in (opts.split_column, opts.weight_column) if c)}
            table, unread = io.read_deferred(name, string_columns=text, keep=keep)
            return Source(table, name, unread)

        source = None if scores is None else read(scores, predictions is not None and scores == predictions)
        predicted = None if predictions is None else (source if predictions == scores else read(predictions, True))
        if source is None:
            return build_label_examples(label_source, predicted, opts, predicted is label_source, fixed, weighted)
        same = source is label_source
        if predicted is not None and opts.prediction_column in source.table.column_names:
            source = replace(source, table=source.table.drop_columns([opts.prediction_column]))  # not a score column
        examples = build_examples(source if same else label_source, source, opts, same, weighted)
        return examples if predicted is None else with_predictions(examples, predicted, opts, source.name)

    # ---------------------------------------------------------------- the passes

    def reduce(self, factory: Callable[[], C]) -> C:
        combiner = factory()
        combiner.add(self.chunk)
        return combiner

    def statistics_with(self, others: Sequence[Factory] = ()
                        ) -> tuple[list[Statistics], tuple[Note, ...], tuple[Combiner, ...]]:
        """Each model's Statistics from its whole sample, the report's model's notes, and the
        combiners ``others`` make, fed the chunk."""
        opts = self.opts
        found = [from_examples(ex, opts.threshold, opts.class_thresholds, grid=opts.grid) for ex in self.examples]
        parts = tuple(self.reduce(make) for make in others)
        return found, self.examples[0].notes, parts

    def metadata_values(self, columns: Sequence[str], numeric: Callable[[pa.DataType], bool]
                        ) -> dict[str, pa.Array] | None:
        """The slice columns of the chunk whose type is ``numeric``, one value per row."""
        return {c: v for c, v in self.chunk.metadata.items() if c in columns and numeric(v.type)}

    def close(self) -> None:
        self.examples, self.chunk = [], None


def _slice_columns(meta: Source | None, ex: Examples, opts: Options, wanted: Sequence[str]) -> dict[str, pa.Array]:
    """The metadata columns named in the slices, aligned with the examples' rows."""
    if meta is None:
        raise InputError("usage: slices need both --metadata FILE and --slice-by COLUMN")
    names = meta.table.column_names
    for column in sorted(set(wanted) & set(names)):  # the streaming plan checks the same from the schema
        check_name_type(meta.table.schema.field(column).type, meta.name, column, "slice")
    for column in sorted(wanted):
        if column not in names:
            raise InputError(f"no slice column {column!r} (columns: {', '.join(names[:8])})", file=meta.name)
    where = metadata_rows(meta, ex.ids, opts)
    return {c: meta.table.column(c).combine_chunks().take(where) for c in sorted(wanted)}


def _check_class_thresholds(opts: Options, examples: Examples) -> None:
    unknown = sorted(set(opts.class_thresholds or {}) - set(examples.classes))
    if unknown:
        raise InputError(f"class thresholds name unknown classes: {', '.join(map(repr, unknown[:5]))}")
