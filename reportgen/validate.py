"""Arrow tables in, validated Examples out: ids joined, task decided, classes fixed.

Every problem raises InputError naming the file, the column, the row id or the value.

``build_examples`` is the memory engine's one entry. The streaming engines decide their
plan and validate each batch with the same public pieces: ``id_values``,
``find_label_column``, ``find_score_columns``, ``binary_classes``, ``score_matrix`` (the
one per-batch check of the scores), ``label_values``, ``multilabel_examples``,
``unknown_label_error``, ``first_true``, the weights' (``weight_file``, ``check_weights``,
``no_weight_error``, ``no_weight_note``) and the join's messages (``duplicate_id_error``,
``missing_ids_message``, ``partial_note``, ``single_class_note``).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Callable, Iterable, Mapping, NoReturn, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from reportgen.errors import InputError
from reportgen.failing import first_failing
from reportgen.io import UNREAD_GROUP, Unread
from reportgen.options import Options
from reportgen.rows import argmax_columns, binary_scores, classes_above, log_loss_rows, sigmoid, softmax_rows

TRUE_WORDS = ("1", "true")
FALSE_WORDS = ("0", "false")
PREVIEW = 3


def _rows_of(matrix: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``matrix[rows]`` (rows, columns) in column order, gathered a column at a time from a
    column-ordered ``matrix`` (no row-ordered copy on the way)."""
    if not matrix.flags.f_contiguous:
        return np.asfortranarray(matrix[rows])
    out = np.empty((len(rows), matrix.shape[1]), dtype=matrix.dtype, order="F")
    for j in range(matrix.shape[1]):
        np.take(matrix[:, j], rows, out=out[:, j])
    return out


@dataclass(frozen=True)
class Note:
    """A warning for the reader: a stable code and a sentence."""

    code: str
    message: str


@dataclass(frozen=True, eq=False)
class Examples:
    """Validated examples, in the order of the scores file (of the predictions file
    when there are no scores).

    ``y_score`` (rows × classes, float64 probabilities; binary: ``[1 - p, p]``) is
    ``None`` for a label-only model. The truth is ``y_true`` ((rows,) class index) for
    single-label tasks and ``y_multi`` (rows × classes, bool) for multilabel;
    ``weight`` ((rows,) float64, non-negative) when the examples are weighted.
    Hard-label predictions, when given, are ``y_pred`` ((rows,) class index) or
    ``y_pred_multi`` (rows × classes, bool); they are then the model's decisions.
    """

    task: str
    classes: tuple[str, ...]
    positive_class: str | None
    ids: pa.Array
    y_score: np.ndarray | None
    y_true: np.ndarray | None
    y_multi: np.ndarray | None
    notes: tuple[Note, ...] = ()
    split: pa.Array | None = None  # split / fold of each example, when asked for
    weight: np.ndarray | None = None  # example weights, when asked for
    y_pred: np.ndarray | None = None
    y_pred_multi: np.ndarray | None = None

    def subset(self, rows: np.ndarray) -> "Examples":
        """The examples at ``rows`` (positions), as a new Examples."""
        take = pa.array(rows)
        subset = replace(
            self,
            ids=self.ids.take(take),
            y_score=None if self.y_score is None else _rows_of(self.y_score, rows),
            y_true=None if self.y_true is None else self.y_true[rows],
            y_multi=None if self.y_multi is None else np.asfortranarray(self.y_multi[rows]),
            split=None if self.split is None else self.split.take(take),
            weight=None if self.weight is None else self.weight[rows],
            y_pred=None if self.y_pred is None else self.y_pred[rows],
            y_pred_multi=None if self.y_pred_multi is None else np.asfortranarray(self.y_pred_multi[rows]),
        )
        for known in ("argmax", "row_loss", "true_rank"):  # what was computed of every row holds for these rows
            if known in self.__dict__:
                subset.__dict__[known] = self.__dict__[known][rows]
        return subset

    @property
    def n_examples(self) -> int:
        return len(self.ids)

    @property
    def has_scores(self) -> bool:
        return self.y_score is not None

    @property
    def has_predictions(self) -> bool:
        return self.y_pred is not None or self.y_pred_multi is not None

    @property
    def kind(self) -> str:
        """What the model gave: ``scores``, ``labels`` (hard predictions only) or ``both``."""
        if not self.has_predictions:
            return "scores"
        return "both" if self.has_scores else "labels"

    def ranked_by(self, columns: Sequence[np.ndarray | None] | None) -> "Examples":
        """These examples, each row's argmax and true-class rank to be taken from
        ``columns`` (each class's (rows,) scores as read, perhaps of a narrower float type:
        widening keeps their order, so the answers are the same, for less memory read).
        Multiclass with every class's column only; otherwise unchanged. Returns self."""
        if self.task == "multiclass" and columns is not None and all(c is not None for c in columns):
            self.__dict__["ranked"] = list(columns)
        return self

    def _ranking_columns(self) -> list[np.ndarray]:
        """Each class's (rows,) scores (``scores_of``)."""
        return [self.scores_of(j) for j in range(self.y_score.shape[1])]

    def scores_of(self, j: int) -> np.ndarray:
        """Class ``j``'s (rows,) scores: as read when ``ranked_by`` gave them (the same
        values in a narrower float type), else ``y_score``'s column. For what compares
        scores with each other or with fixed edges (score bins), not for sums."""
        ranked = self.__dict__.get("ranked")
        return self.y_score[:, j] if ranked is None else ranked[j]

    @cached_property
    def argmax(self) -> np.ndarray:
        """Row-wise argmax of the scores, first maximum wins (computed once)."""
        return argmax_columns(self._ranking_columns())

    @cached_property
    def true_rank(self) -> np.ndarray:
        """(rows,) int16: the classes ranking above each single-label row's true class
        (``rows.classes_above``; computed once)."""
        return classes_above(self._ranking_columns(), self.y_true)

    @cached_property
    def row_loss(self) -> np.ndarray:
        """(rows,) each row's cross-entropy (``rows.log_loss_rows``; computed once)."""
        return log_loss_rows(self.task, self.y_score, self.y_true, self.y_multi)

    def truth(self, j: int) -> np.ndarray:
        """One-vs-rest truth of class ``j`` as a bool vector."""
        if self.y_multi is not None:
            return self.y_multi[:, j]
        return self.y_true == j


@dataclass(frozen=True)
class Source:
    """One input table and the name to use for it in messages; ``unread``: the columns
    whose values the table does not hold (placeholders: ``io.read_deferred``), read when
    the score matrix is filled."""

    table: pa.Table
    name: str
    unread: Unread | None = None


def build_examples(labels: Source, scores: Source, options: Options, same: bool, weighted: bool = True) -> Examples:
    """Join labels and scores by id and decide the task; the one validation entry.
    ``weighted``: read --weight-column from the labels (False when the metadata holds it:
    ``metadata_weights`` adds it then)."""
    label_ids = id_values(labels, options.id_column)
    score_ids = label_ids if same else id_values(scores, options.id_column)
    label_column, multilabel = find_label_column(labels, options)
    list_column = find_list_column(scores.table.column_names, list_kinds(scores.table.schema), options,
                                   label_column, scores.name)
    if list_column is None:
        score_columns = find_score_columns(scores, options, label_column, same)
    else:
        score_columns = list_classes(list_kinds(scores.table.schema)[list_column], lambda: _first_labels(scores, list_column),
                                     options, scores.name, list_column)
    task = score_task(len(score_columns), options, multilabel)
    notes: list[Note] = []
    # The join (Arrow hashing) and the score matrix (numpy copies) release the GIL: they
    # run side by side. Errors keep their order: ids, then labels, then scores.
    with ThreadPoolExecutor(max_workers=1) as pool:
        joined = pool.submit(_join, labels, scores, label_ids, score_ids, options, same, notes)
        try:
            matrix, bad_score = score_matrix(scores, score_columns, score_ids, scores_are=options.scores_are,
                                             task=task, list_column=list_column), None
        except InputError as err:
            matrix, bad_score = None, err
        keep, take = joined.result()
    ids = score_ids if keep is None else score_ids.take(pa.array(keep))
    raw = label_values(labels, label_column, take, ids, multilabel)
    if bad_score is not None:
        raise bad_score
    if keep is not None:
        matrix = np.asfortranarray(matrix[keep])
    if multilabel:
        examples = multilabel_examples(labels.name, ids, raw, matrix, score_columns, options, notes)
    else:
        examples = _single_label(labels.name, ids, raw, matrix, score_columns, options, notes)
    if options.weight_column is not None and weighted:
        examples = replace(examples, weight=weight_values(labels, options.weight_column, take, ids))
    if options.split_column is None:
        return examples
    return replace(examples, split=_split_values(labels, scores, options.split_column, keep, take, ids))


def score_task(n_columns: int, options: Options, multilabel: bool) -> str:
    """The task that ``n_columns`` score columns make: one column, or --positive-class,
    is binary; a ``labels`` column (or --multilabel) multilabel; otherwise multiclass."""
    if multilabel:
        return "multilabel"
    if n_columns == 1 or options.positive_class is not None:
        return "binary"
    return "multiclass"


# ---------------------------------------------------------------- weights


def weight_file(column: str, labels: str, label_names: Iterable[str], metadata: str | None = None,
                metadata_names: Iterable[str] = ()) -> str:
    """The file holding the weight column: the labels file, or the metadata file when the
    labels have no such column. A column in both is ambiguous; in neither, missing."""
    in_labels = column in set(label_names)
    in_metadata = metadata is not None and metadata != labels and column in set(metadata_names)
    if in_labels and in_metadata:
        raise InputError(f"weight column {column!r} is in both {labels} and {metadata}: ambiguous; rename one of "
                         "them (--weight-column)")
    if in_labels or metadata is None or metadata == labels:
        if not in_labels:
            raise InputError(f"no weight column {column!r} (--weight-column)", file=labels)
        return labels
    if not in_metadata:
        raise InputError(f"no weight column {column!r} in {labels} or {metadata} (--weight-column)")
    return metadata


def metadata_weights(examples: Examples, metadata: Source, options: Options) -> Examples:
    """The examples weighted by the metadata file's weight column, matched by id (the
    metadata's ids must be unique). An example without a metadata row has no weight: an
    error naming the smallest such id, or with --allow-partial dropped, with a
    ``partial_ids`` note. Bad weights are named first, then missing rows, then all-zero
    weights, as the streaming engines find them."""
    column = options.weight_column
    meta_ids = id_values(metadata, options.id_column)
    _check_unique(meta_ids, metadata)
    where = pc.index_in(examples.ids, value_set=meta_ids)
    missing = where.null_count
    if missing:
        found = where.is_valid()
        check_weights(metadata.table.column(column).combine_chunks().take(where.filter(found)), metadata.name,
                      column, examples.ids.filter(found))
        if not options.allow_partial:
            raise no_weight_error(metadata.name, column, missing, pc.min(examples.ids.filter(where.is_null())).as_py())
        kept = np.flatnonzero(found.to_numpy(zero_copy_only=False))
        if len(kept) == 0:
            raise InputError("no id has a metadata row, so no example has a weight", file=metadata.name,
                             column=column)
        examples = replace(examples.subset(kept), notes=(*examples.notes, no_weight_note(metadata.name, missing)))
        where = where.take(pa.array(kept))
    weights = check_weights(metadata.table.column(column).combine_chunks().take(where), metadata.name, column,
                            examples.ids)
    check_weight_total(float(weights.sum()), metadata.name, column)
    return replace(examples, weight=weights)


def no_weight_error(metadata: str, column: str, missing: int, first) -> InputError:
    """The error for ids without a metadata row when the weights are in the metadata
    (``first``: the smallest such id, as text)."""
    return InputError(f"no metadata row, so no weight ({missing} ids have none); use --allow-partial to drop them",
                      file=metadata, column=column, row_id=str(first))


def no_weight_note(metadata: str, dropped: int) -> Note:
    """The warning of a build that dropped the rows without a weight (no metadata row)."""
    return Note("partial_ids", f"dropped {dropped} rows without a metadata row in {metadata}, so without a weight")


def weight_values(labels: Source, column: str, take, ids) -> np.ndarray:
    """The weight of each example ((rows,) float64), from the labels file, checked."""
    if column not in labels.table.column_names:
        raise InputError(f"no weight column {column!r} (--weight-column)", file=labels.name)
    values = labels.table.column(column).combine_chunks()
    if take is not None:
        values = values.take(pa.array(take))
    weights = check_weights(values, labels.name, column, ids)
    check_weight_total(float(weights.sum()), labels.name, column)
    return weights


def check_weights(values: pa.Array | pa.ChunkedArray, file: str, column: str, ids) -> np.ndarray:
    """Weights as (rows,) float64: numbers (or number text), none missing, NaN, infinite or
    negative; the error names the row. The caller checks that not all of them are 0."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    check_weight_type(values.type, file, column)
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    if values.null_count:
        raise InputError("missing weight", file=file, column=column, row_id=ids[first_true(values.is_null())].as_py())
    kind = values.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        try:
            values = pc.cast(values, pa.float64())
        except pa.ArrowInvalid:
            _raise_not_number(file, column, ids, values, "weight")
    weights = values.to_numpy(zero_copy_only=False).astype(np.float64)
    if weights.size and np.isfinite(weights).all() and weights.min() >= 0.0:
        return weights + 0.0  # a copy; -0.0 becomes 0.0
    bad = ~np.isfinite(weights) | (weights < 0)
    row = int(np.argmax(bad))
    value = float(weights[row])
    why = "is not finite" if np.isinf(value) else "is negative"
    raise InputError("weight is NaN" if np.isnan(value) else f"weight {value!r} {why}",
                     file=file, column=column, row_id=ids[row].as_py())


def check_weight_type(kind: pa.DataType, file: str, column: str) -> None:
    """A weight column holds numbers, or text that parses as numbers."""
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_integer(kind) \
            or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return
    raise InputError(f"weight column holds {type_words(kind)}, not numbers", file=file, column=column)


# Sums of weights are exact in float64 up to 2**53 (whole weights); past it counts would drift.
MAX_WEIGHT_TOTAL = float(2**53)


def check_weight_total(total: float, file: str, column: str) -> None:
    """The sum of every weight: more than 0 (else nothing to evaluate), at most 2**53."""
    if total == 0:
        raise InputError("every weight is 0: nothing to evaluate", file=file, column=column)
    if not total <= MAX_WEIGHT_TOTAL:
        raise InputError(f"the weights sum to {total:.3g}, past 2**53 (about 9.0e15), where sums of weights stop "
                         "being exact: scale them down", file=file, column=column)


def _split_values(labels: Source, scores: Source, column: str, keep, take, ids: pa.Array) -> pa.Array:
    """The split of each example, from whichever file has the column."""
    if column in labels.table.column_names:
        values, rows, source = labels.table.column(column), take, labels
    elif column in scores.table.column_names:
        values, rows, source = scores.table.column(column), keep, scores
    else:
        raise InputError(f"no split column {column!r} in {labels.name} or {scores.name}")
    check_name_type(values.type, source.name, column, "split")
    values = values.combine_chunks()
    if rows is not None:
        values = values.take(pa.array(rows))
    if values.null_count:
        row = first_true(values.is_null())
        raise InputError("missing split", file=source.name, column=column, row_id=ids[row].as_py())
    return name_values(values, source.name, column, "split", ids)


# ---------------------------------------------------------------- ids and joins


def aligned(main: Examples, other: Examples, name: str) -> Examples:
    """``other``'s examples in ``main``'s row order (the same id in each row), for a chunk."""
    if tuple(other.classes) != tuple(main.classes):
        raise InputError(f"classes differ from the main scores ({list(other.classes)[:6]})", file=name)
    if len(other.ids) == len(main.ids) and other.ids.equals(main.ids):
        return other
    where = pc.index_in(main.ids, value_set=other.ids)
    if where.null_count or len(other.ids) != len(main.ids):
        raise InputError(
            f"ids differ from the main scores ({where.null_count} of {len(main.ids)} missing)", file=name
        )
    return other.subset(where.to_numpy(zero_copy_only=False))


def metadata_source(source: Source, options: Options) -> Source:
    """The metadata file's table once its ids' column and type are checked (as the
    streaming plan checks them from its schema)."""
    id_values(source, options.id_column)
    return source


def metadata_rows(metadata: Source, ids: pa.Array, options: Options) -> pa.Array:
    """For each of ``ids`` (an examples' ids, as text), its row in the metadata table (null
    where it has none: an error naming a few such ids, unless --allow-partial)."""
    table = metadata.table
    if options.id_column not in table.column_names:
        raise InputError(f"no id column {options.id_column!r}", file=metadata.name)
    known = pc.cast(table.column(options.id_column).combine_chunks(), pa.string())
    where = pc.index_in(ids, value_set=known)
    if where.null_count and not options.allow_partial:
        shown = ", ".join(repr(v) for v in ids.filter(where.is_null())[:3].to_pylist())
        raise InputError(f"{where.null_count} ids have no metadata (e.g. {shown}); use --allow-partial",
                         file=metadata.name)
    return where


def id_values(source: Source, id_column: str) -> pa.Array:
    table = source.table
    if id_column not in table.column_names:
        shown = ", ".join(table.column_names[:8])
        raise InputError(f"no id column {id_column!r} (columns: {shown})", file=source.name)
    column = table.column(id_column)
    check_name_type(column.type, source.name, id_column, "id")
    if column.null_count:
        row = first_true(column.is_null())
        raise InputError(f"row {row + 2}: missing id", file=source.name, column=id_column)
    return name_values(column, source.name, id_column, "id")


def check_name_type(kind: pa.DataType, file: str, column: str, what: str, lists: bool | None = None) -> None:
    """A column read as names (ids, labels, predictions, splits) holds text, numbers or
    booleans; structs, maps, lists and the like are an InputError naming the file and column.
    Labels and predictions (``lists`` not None) may also be lists of names or of integer
    positions (see ``is_name_list``): a multilabel set per row, valid when ``lists``."""
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    if lists is not None and is_name_list(kind):
        if lists:
            return
        raise InputError(f"{what} column holds {type_words(kind)}, a set of classes per row, but the labels hold one "
                         "class each (a multilabel task needs its labels as lists, or --multilabel)", file=file,
                         column=column)
    if pa.types.is_nested(kind):
        allowed = "text or numbers" if lists is None else "text, numbers, or lists of class names or positions"
        raise InputError(f"{what} column holds {type_words(kind)}, not {allowed}", file=file, column=column)


def is_name_list(kind: pa.DataType) -> bool:
    """Whether a column of Arrow type ``kind`` holds a multilabel set per row: a list of class
    names (text), of integer positions (of --classes), or of nothing yet (empty lists)."""
    if not is_list_type(kind):
        return False
    item = kind.value_type
    if pa.types.is_dictionary(item):
        item = item.value_type
    return pa.types.is_string(item) or pa.types.is_large_string(item) or pa.types.is_integer(item) \
        or pa.types.is_null(item)


def type_words(kind: pa.DataType) -> str:
    """What a column of Arrow type ``kind`` holds, in words that do not depend on the engine
    that read it (DuckDB and Spark name a list's item field differently)."""
    if is_list_type(kind):
        return f"lists of {_plural(kind.value_type)}"
    return _plural(kind)


def _plural(kind: pa.DataType) -> str:
    if pa.types.is_struct(kind):
        return "records (structs)"
    if pa.types.is_map(kind):
        return "maps"
    if is_list_type(kind):
        return "lists"
    if pa.types.is_union(kind):
        return "unions"
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return "text"
    if pa.types.is_boolean(kind):
        return "booleans"
    return f"{kind} values"


def is_list_type(kind: pa.DataType) -> bool:
    return pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind)


def name_values(values: pa.Array | pa.ChunkedArray, file: str, column: str, what: str, ids=None) -> pa.Array:
    """``values`` (rows,) as text (see ``as_strings``); bytes that are not UTF-8 are an
    InputError naming the row (by id, when ``ids`` are known)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    try:
        return as_strings(values)
    except pa.ArrowInvalid:  # binary values that are not UTF-8 text
        row = first_failing(values, lambda part: pc.cast(part, pa.string())) or 0
        where = {"row_id": ids[row].as_py()} if ids is not None else {}
        raise InputError(f"{'' if ids is not None else f'row {row + 1}: '}{what} is not UTF-8 text", file=file,
                         column=column, **where) from None


def as_strings(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return column.cast(pa.string())
    if pa.types.is_boolean(column.type):
        return pc.if_else(column, "true", "false")
    if pa.types.is_dictionary(column.type):
        return as_strings(column.dictionary_decode())
    return pc.cast(column, pa.string())


def _join(labels, scores, label_ids, score_ids, options, same, notes):
    """Examples follow the scores file: (score rows kept, the label row of each).

    ``None`` means all rows, in order. Ids are checked for duplicates here: when every
    score id is found and the positions are a permutation, both sides are unique.
    """
    if same:
        _check_unique(label_ids, labels)
        return None, None
    take = pc.index_in(score_ids, value_set=label_ids)
    if take.null_count == 0 and len(label_ids) == len(score_ids):
        positions = take.to_numpy(zero_copy_only=False)
        if np.bincount(positions, minlength=len(label_ids)).max() == 1:
            return None, positions
    _check_unique(label_ids, labels)
    _check_unique(score_ids, scores)
    missing = take.null_count
    extra = len(label_ids) - (len(score_ids) - missing)
    if not options.allow_partial:
        raise InputError(_partial_message(labels, scores, label_ids, score_ids, take, missing, extra))
    keep = np.flatnonzero(take.is_valid().to_numpy(zero_copy_only=False))
    if len(keep) == 0:
        raise InputError("no id appears in both files", file=f"{labels.name}, {scores.name}")
    notes.append(partial_note(labels.name, scores.name, extra, missing))
    return keep, take.take(pa.array(keep)).to_numpy(zero_copy_only=False)


def _check_unique(ids: pa.Array, source: Source) -> None:
    if len(pc.unique(ids)) == len(ids):
        return
    counts = pc.value_counts(ids)
    repeated = counts.filter(pc.greater(counts.field("counts"), 1))
    raise duplicate_id_error(repeated[0]["values"].as_py(), len(repeated), source.name)


def duplicate_id_error(value, repeated: int, file: str) -> InputError:
    """The error for ids that appear more than once (``value`` is the first of them)."""
    return InputError(f"duplicate id {value!r} ({repeated} ids appear more than once)", file=file)


def _partial_message(labels, scores, label_ids, score_ids, take, missing, extra) -> str:
    """``missing``: score ids without a label; ``extra``: label ids without scores."""
    only_labels = only_scores = []
    if extra:
        found = pc.is_in(label_ids, value_set=score_ids)
        only_labels = label_ids.filter(pc.invert(found))[:PREVIEW].to_pylist()
    if missing:
        only_scores = score_ids.filter(take.is_null())[:PREVIEW].to_pylist()
    return missing_ids_message(labels.name, scores.name, (extra, only_labels), (missing, only_scores))


def missing_ids_message(labels: str, scores: str, only_labels: tuple[int, list], only_scores: tuple[int, list]) -> str:
    """Ids found in one file only: (how many, a few of them) for each side."""
    parts = [f"{count} ids of {mine} are not in {other} (e.g. {_show(shown)})"
             for (count, shown), mine, other in ((only_labels, labels, scores), (only_scores, scores, labels)) if count]
    return "; ".join(parts) + "; use --allow-partial to keep the ids in both"


def single_class_note(positive: str, negative: str) -> Note:
    """The warning of a binary task whose labels are all the positive class."""
    return Note("single_class", f"no example is labeled {negative!r}: every label is {positive!r}")


def partial_note(labels: str, scores: str, dropped_labels: int, dropped_scores: int) -> Note:
    """The warning of a build that kept only the ids found in both files."""
    return Note("partial_ids", f"kept only ids in both files: dropped {dropped_labels} rows of {labels} "
                               f"and {dropped_scores} rows of {scores}")


def _show(values: list) -> str:
    return ", ".join(repr(v) for v in values)


# ---------------------------------------------------------------- columns


def find_label_column(labels: Source, options: Options) -> tuple[str, bool]:
    """The label column and whether the task is multilabel."""
    names = labels.table.column_names
    if options.label_column is not None:
        if options.label_column not in names:
            raise InputError(f"no label column {options.label_column!r}", file=labels.name)
        return options.label_column, options.multilabel or options.label_column == "labels" or \
            is_name_list(labels.table.schema.field(options.label_column).type)
    order = ("labels", "label") if options.multilabel else ("label", "labels")
    for candidate in order:
        if candidate in names:
            return candidate, options.multilabel or candidate == "labels" or \
                is_name_list(labels.table.schema.field(candidate).type)
    raise InputError("no label column: expected 'label' or 'labels' (or --label-column)", file=labels.name)


def find_score_columns(scores: Source, options: Options, label_column: str, same: bool) -> tuple[str, ...]:
    names = scores.table.column_names
    if options.score_columns:
        for name in options.score_columns:
            if name not in names:
                raise InputError(f"no score column {name!r}", file=scores.name)
        return tuple(options.score_columns)
    reserved = {options.id_column, label_column, "label", "labels", options.split_column, options.weight_column}
    chosen = tuple(n for n in names if n not in reserved)
    if not chosen:
        raise InputError("no score columns besides the id and label columns", file=scores.name)
    return chosen


def score_matrix(scores: Source, columns: tuple[str, ...], ids, out: np.ndarray | None = None, *,
                 scores_are: str = "probabilities", task: str = "multiclass", list_column: str | None = None) -> np.ndarray:
    """Rows × classes probabilities as float64 (column-major, into ``out`` when given); the
    one check of scores, for the memory engine and every streaming batch alike.

    ``columns`` names the classes: separate score columns, or the positions of the list
    column ``list_column`` (see ``find_list_column``). Probabilities must be numbers in
    [0, 1]; logits (``scores_are="logits"``) must be finite and become probabilities here:
    softmax over each row for multiclass, sigmoid per cell otherwise.
    """
    logits = scores_are == "logits"
    shape = (scores.table.num_rows, len(columns))
    matrix = np.empty(shape, dtype=np.float64, order="F") if out is None else out
    checked = False  # whether every value is known to be in range (or finite) already
    if list_column is not None:
        checked = _fill_from_list(scores, list_column, columns, ids, matrix, logits)
    unread = scores.unread.names if scores.unread is not None and list_column is None else frozenset()
    decoded, held = scores, frozenset()
    for j, name in enumerate(columns):
        column = matrix[:, j]
        if name in unread and name not in held:  # the next group of columns, read from the file
            held = frozenset(c for c in columns[j:j + UNREAD_GROUP] if c in unread)
            decoded = Source(scores.unread.read(sorted(held)), scores.name)
        if list_column is None:
            start = 0
            for chunk in _numeric_chunks(decoded if name in unread else scores, name, ids):
                np.add(chunk, 0.0, out=column[start:start + len(chunk)])  # a copy that turns -0.0 into 0.0
                start += len(chunk)
        if not checked:  # column by column, so that an error names the class and the row
            label = name if list_column is None else f"{list_column}[{name!r}]"
            (_check_finite if logits else _check_range)(column, scores.name, label, ids)
    if logits:
        if task == "multiclass":
            softmax_rows(matrix)
        else:
            sigmoid(matrix)
    return matrix


# ---------------------------------------------------------------- a list column of scores


def list_kinds(schema: pa.Schema) -> dict[str, str]:
    """The list-typed columns of an Arrow schema: ``numbers`` (a list of scores) or
    ``records`` (a list of ``{label, score}``)."""
    kinds = {}
    for field in schema:
        kind = field.type
        if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
            kinds[field.name] = "records" if pa.types.is_struct(kind.value_type) else "numbers"
    return kinds


def find_list_column(names: Sequence[str], kinds: Mapping[str, str], options: Options, label_column: str,
                     file: str) -> str | None:
    """The one list-typed score column (``kinds`` from ``list_kinds``), or None when the
    scores are separate columns: named by --score-columns, or the only list column."""
    if options.score_columns:
        if len(options.score_columns) == 1 and options.score_columns[0] in kinds:
            return options.score_columns[0]
        return None
    reserved = {options.id_column, label_column, "label", "labels", options.split_column, options.weight_column}
    found = [n for n in names if n in kinds and n not in reserved]
    if len(found) > 1:
        raise InputError(f"{len(found)} list columns ({_show(found[:4])}): name the scores with --score-columns",
                         file=file)
    return found[0] if found else None


def list_classes(kind: str, first_labels: Callable[[], list], options: Options, file: str, column: str) -> tuple[str, ...]:
    """The classes of a list column: --classes, or for records the labels of the first row
    in sorted order (every row must hold the same set)."""
    if options.classes is not None:
        return tuple(options.classes)
    if kind == "numbers":
        raise InputError("a list of scores needs --classes a,b,c (or @FILE) to name its positions",
                         file=file, column=column)
    labels = first_labels()
    if any(v is None for v in labels) or not labels:
        raise InputError("the first row's records have no labels", file=file, column=column)
    return tuple(sorted(str(v) for v in labels))


def _first_labels(scores: Source, column: str) -> list:
    """The labels of the first row of a record list column."""
    first = scores.table.column(column).slice(0, 1).combine_chunks()
    if first.null_count:
        return []
    return pc.struct_field(pc.list_flatten(first), "label").to_pylist()


def _fill_from_list(scores: Source, name: str, classes: tuple[str, ...], ids, matrix: np.ndarray,
                    logits: bool = False) -> bool:
    """Rows × classes scores out of one list column (a list of numbers by position, or of
    ``{label, score}`` records in any order), flattened by Arrow chunk by chunk, never row
    by row; each chunk is written straight into its rows of ``matrix`` (as float64).
    Returns whether every value was found in [0, 1] (finite, for ``logits``) on the way,
    with one pass over each chunk's flat values as stored; if not, the caller checks the
    matrix column by column to name the bad value."""
    start, checked = 0, True
    for chunk in scores.table.column(name).chunks:
        flat = _fill_chunk(scores.name, name, classes, _RowIds(ids, start), chunk, matrix[start:start + len(chunk)])
        checked = checked and _all_valid(flat, logits)
        start += len(chunk)
    return checked


def _all_valid(values: np.ndarray, logits: bool) -> bool:
    """Whether every score is in [0, 1] (a logit: finite); NaN fails both."""
    if values.size == 0:
        return True
    low, high = values.min(), values.max()
    return bool(np.isfinite(low) and np.isfinite(high)) if logits else bool(low >= 0 and high <= 1)


class _RowIds:
    """The ids of a chunk's rows: row ``i`` of the chunk is row ``start + i`` of the table."""

    def __init__(self, ids, start: int) -> None:
        self.ids, self.start = ids, start

    def __getitem__(self, row: int):
        return self.ids[self.start + int(row)]


def _fill_chunk(file: str, name: str, classes: tuple[str, ...], ids: _RowIds, array: pa.Array,
                out: np.ndarray) -> np.ndarray:
    """One chunk of a list column into ``out`` (its rows × classes); returns the chunk's
    scores as a flat (rows * classes,) array, row by row, as stored (no copy for floats)."""
    n, k = len(array), len(classes)
    if array.null_count:
        raise InputError("missing score list", file=file, column=name, row_id=ids[first_true(array.is_null())].as_py())
    flat = _flat_values(array, k, file, name, ids)
    if not pa.types.is_struct(flat.type):
        values = _list_numbers(flat, file, name, ids, k)
        np.add(values.reshape(n, k), 0.0, out=out)  # -0.0 becomes 0.0
        return values
    fields = {flat.type.field(i).name for i in range(flat.type.num_fields)}
    if not {"label", "score"} <= fields:
        raise InputError(f"records need 'label' and 'score' fields (found {_show(sorted(fields))})", file=file, column=name)
    labels = pc.struct_field(flat, "label")
    codes = pc.index_in(pc.cast(labels, pa.string()), value_set=pa.array(classes, pa.string()))
    if codes.null_count:
        at = first_true(codes.is_null())
        raise InputError(f"label {labels[at].as_py()!r} is not one of the {k} classes ({_show(list(classes[:8]))})",
                         file=file, column=name, row_id=ids[at // k].as_py())
    positions = np.arange(n * k, dtype=np.int64) // k * k + codes.to_numpy(zero_copy_only=False)
    seen = np.zeros(n * k, dtype=bool)
    seen[positions] = True
    if not seen.all():
        at = int(np.argmax(~seen))
        raise InputError(f"no record for class {classes[at % k]!r} (the list holds {k} records for {k} classes, "
                         f"one of them twice)", file=file, column=name, row_id=ids[at // k].as_py())
    ordered = np.empty(n * k, dtype=np.float64)
    ordered[positions] = _list_numbers(pc.struct_field(flat, "score"), file, name, ids, k)
    np.add(ordered.reshape(n, k), 0.0, out=out)
    return ordered


def _flat_values(array: pa.Array, k: int, file: str, column: str, ids) -> pa.Array:
    """The child values of a list array without nulls whose every list holds ``k`` items,
    as one flat array (no copy: a slice of the child). A fixed-size list's length is its
    type's; a list's is checked on its offsets, vectorised."""
    n = len(array)
    if pa.types.is_fixed_size_list(array.type):
        size = array.type.list_size
        if n and size != k:
            raise InputError(f"the list holds {size} scores, but there are {k} classes", file=file, column=column,
                             row_id=ids[0].as_py())
        return array.values.slice(array.offset * size, n * size)
    offsets = array.offsets.to_numpy(zero_copy_only=False)  # (n + 1,), this slice's own
    lengths = np.diff(offsets)
    if n and (lengths.min() != k or lengths.max() != k):
        row = int(np.argmax(lengths != k))
        raise InputError(f"the list holds {int(lengths[row])} scores, but there are {k} classes",
                         file=file, column=column, row_id=ids[row].as_py())
    return array.values.slice(int(offsets[0]), n * k)


def _list_numbers(values: pa.Array, file: str, column: str, ids, k: int) -> np.ndarray:
    """The flat scores of a list column as float64 (the row of cell ``i`` is ``i // k``)."""
    kind = values.type
    if not (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)):
        raise InputError(f"the score list holds type {kind}, not numbers", file=file, column=column)
    if values.null_count:
        raise InputError("missing score in the list", file=file, column=column,
                         row_id=ids[first_true(values.is_null()) // k].as_py())
    if pa.types.is_decimal(kind):  # through Python's decimals, as a decimal score column
        return values.to_numpy(zero_copy_only=False).astype(np.float64)
    return values.to_numpy(zero_copy_only=False)  # float64 or float32 as stored: converted when written


def _numeric_chunks(scores: Source, name: str, ids: pa.Array) -> Iterable[np.ndarray]:
    """The column's values chunk by chunk, as numbers (no copy for float64)."""
    column = scores.table.column(name)
    kind = column.type
    if pa.types.is_dictionary(kind):
        column = pa.chunked_array([chunk.dictionary_decode() for chunk in column.chunks], kind.value_type)
        kind = column.type
    if column.null_count:
        row = first_true(column.combine_chunks().is_null())
        raise InputError("missing score", file=scores.name, column=name, row_id=ids[row].as_py())
    if pa.types.is_decimal(kind):  # through Python's decimals: each value correctly rounded
        return [column.combine_chunks().to_numpy(zero_copy_only=False).astype(np.float64)]
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        return (chunk.to_numpy(zero_copy_only=False) for chunk in column.chunks)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        try:
            return (chunk.to_numpy(zero_copy_only=False) for chunk in pc.cast(column, pa.float64()).chunks)
        except pa.ArrowInvalid:
            _raise_not_number(scores.name, name, ids, column.combine_chunks())
    raise InputError(f"score column has type {kind}, not numbers", file=scores.name, column=name)


def _raise_not_number(file: str, name: str, ids: pa.Array, column: pa.Array, what: str = "score") -> NoReturn:
    """The first text value of ``column`` that is not a number, named with its row."""
    row = first_failing(column, lambda part: pc.cast(part, pa.float64())) or 0  # what Arrow's parser refuses
    raise InputError(f"{what} {column[row].as_py()!r} is not a number", file=file, column=name,
                     row_id=ids[row].as_py())


def _check_range(values: np.ndarray, file: str, column: str, ids: pa.Array) -> None:
    if values.size == 0 or (values.min() >= 0.0 and values.max() <= 1.0):  # NaN fails both
        return
    bad = np.isnan(values)
    if bad.any():
        row = int(np.argmax(bad))
        raise InputError("score is NaN", file=file, column=column, row_id=ids[row].as_py())
    row = int(np.argmax((values < 0.0) | (values > 1.0)))
    raise InputError(f"score {float(values[row])!r} is outside [0, 1] (logits? use --scores-are logits)",
                     file=file, column=column, row_id=ids[row].as_py())


def _check_finite(values: np.ndarray, file: str, column: str, ids: pa.Array) -> None:
    """Logits: any finite number."""
    if values.size == 0 or (np.isfinite(values.min()) and np.isfinite(values.max())):  # NaN and inf fail
        return
    row = int(np.argmax(~np.isfinite(values)))
    value = float(values[row])
    message = "score is NaN" if np.isnan(value) else f"logit {value!r} is not finite"
    raise InputError(message, file=file, column=column, row_id=ids[row].as_py())


def label_values(labels: Source, column: str, take, ids: pa.Array, multilabel: bool, what: str = "label") -> pa.Array:
    """The ``column`` values of the rows ``take`` (positions, None for all) as names; a
    missing one (single-label) is an error naming the row (``what``: label or prediction)."""
    values = labels.table.column(column)
    check_name_type(values.type, labels.name, column, what, lists=multilabel)
    values = values.combine_chunks()
    if take is not None:
        values = values.take(pa.array(take))
    if values.null_count and not multilabel:
        row = first_true(values.is_null())
        raise InputError(f"missing {what}", file=labels.name, column=column, row_id=ids[row].as_py())
    if is_name_list(values.type):  # a multilabel set per row, named by ``label_sets``
        return values
    return _as_names(values, labels.name, column, what, ids)


def _as_names(values: pa.Array, file: str | None = None, column: str | None = None, what: str = "label",
              ids=None) -> pa.Array:
    """Label or predicted values as text; whole floats (2.0, as a CSV reader may give them) as integers."""
    if pa.types.is_floating(values.type):
        whole = pc.and_(pc.equal(values, pc.floor(values)), pc.less(pc.abs(values), 2.0**63))  # fits int64
        if pc.all(pc.fill_null(whole, True)).as_py():
            values = pc.cast(values, pa.int64())
    return name_values(values, file, column, what, ids)


# ---------------------------------------------------------------- tasks


def _single_label(name, ids, raw, matrix, columns, options, notes) -> Examples:
    present = pc.unique(raw).to_pylist()
    if len(columns) == 1 or options.positive_class is not None:
        return _binary(name, ids, raw, matrix, columns, present, options, notes)
    classes = tuple(columns)
    y_true = _class_index(name, ids, raw, classes, "multiclass")
    return Examples("multiclass", classes, None, ids, matrix, y_true, None, tuple(notes))


def _binary(name, ids, raw, matrix, columns, present, options, notes) -> Examples:
    positive, negative, column = binary_classes(name, columns, present, options)
    y_score = binary_scores(matrix[:, columns.index(column)])
    classes = (negative, positive)
    if negative not in present:
        notes.append(single_class_note(positive, negative))
    y_true = _class_index(name, ids, _fold_words(raw, classes), classes, "binary")
    return Examples("binary", classes, positive, ids, y_score, y_true, None, tuple(notes))


def binary_classes(name, columns, present, options) -> tuple[str, str, str]:
    """(positive, negative, score column) for a binary task."""
    wanted = options.positive_class
    if len(columns) == 2:
        if wanted not in columns:
            raise InputError(f"--positive-class {wanted!r} is not a score column ({_show(list(columns))})")
        return wanted, columns[1 - columns.index(wanted)], wanted
    if len(columns) > 2:
        raise InputError(f"--positive-class makes a binary task, but there are {len(columns)} score columns")
    column = columns[0]
    positive = wanted if wanted is not None else _infer_positive(name, column, present)
    others = [v for v in present if v.lower() != positive.lower()]
    if len(others) > 1:
        raise InputError(
            f"binary task with positive class {positive!r}, but the labels have more than two values "
            f"({_show(sorted(present)[:6])})",
            file=name,
        )
    negative = others[0] if others else _opposite(positive)
    return positive, negative, column


def _infer_positive(name: str, column: str, present: list[str]) -> str:
    if column in present:
        return column
    lowered = {v.lower() for v in present}
    for positive, negative in zip(TRUE_WORDS, FALSE_WORDS):
        if lowered <= {positive, negative}:
            matches = [v for v in present if v.lower() == positive]
            return matches[0] if matches else positive
    raise InputError(
        f"cannot tell the positive class: score column {column!r} is not a label value and the labels "
        f"are not 0/1 or true/false ({_show(sorted(present)[:4])}); use --positive-class",
        file=name,
    )


def _opposite(positive: str) -> str:
    pairs = {"1": "0", "true": "false"}
    low = positive.lower()
    if low in pairs:
        word = pairs[low]
        return word.upper() if positive.isupper() else (word.title() if positive.istitle() else word)
    return f"not {positive}"


def _fold_words(raw: pa.Array, classes: tuple[str, str]) -> pa.Array:
    """Labels equal to a class name up to case (True/true) count as that class."""
    out = raw
    for cls in classes:
        out = pc.if_else(pc.equal(pc.utf8_lower(out), cls.lower()), cls, out)
    return out


def _class_index(name: str, ids: pa.Array, raw: pa.Array, classes: tuple[str, ...], task: str) -> np.ndarray:
    index = pc.index_in(raw, value_set=pa.array(classes, pa.string()))
    if index.null_count:
        row = first_true(index.is_null())
        raise unknown_label_error(raw[row].as_py(), classes, task, name, ids[row].as_py())
    return index.to_numpy(zero_copy_only=False).astype(np.int64)


def unknown_label_error(value, classes: tuple[str, ...], task: str, file: str, row_id) -> InputError:
    """A single-label value that is none of the classes."""
    why = "is not one of the two classes" if task == "binary" else "is not a score column"
    shown = _show(list(classes[:8])) + (", ..." if len(classes) > 8 else "")
    return InputError(f"label {value!r} {why} ({shown})", file=file, row_id=row_id)


def multilabel_examples(name, ids, raw, matrix, columns, options, notes) -> Examples:
    classes = tuple(columns)
    sets = label_sets(raw, options.label_sep, options.classes, name, None, ids, "label")
    y_multi = _indicator(name, None, ids, sets, classes, "label", "is not a score column")
    return Examples("multilabel", classes, None, ids, matrix, None, y_multi, tuple(notes))


def first_true(mask: pa.Array | pa.ChunkedArray) -> int:
    if isinstance(mask, pa.ChunkedArray):
        mask = mask.combine_chunks()
    return int(np.argmax(mask.to_numpy(zero_copy_only=False)))


# ---------------------------------------------------------------- hard-label predictions


def build_label_examples(labels: Source, predictions: Source, options: Options, same: bool,
                         fixed: Examples | None = None, weighted: bool = True) -> Examples:
    """Labels joined with a model's hard-label predictions (no scores), in the order of
    the predictions file. The classes are the union of the labels' and the predictions'
    values (as scikit-learn's ``unique_labels``), unless ``fixed`` (another model of the
    same report) already fixed the task and classes."""
    label_ids = id_values(labels, options.id_column)
    pred_ids = label_ids if same else id_values(predictions, options.id_column)
    label_column, multilabel = find_label_column(labels, options)
    if fixed is not None:
        multilabel = fixed.task == "multilabel"
    column = _prediction_column(predictions, options)
    notes: list[Note] = []
    keep, take = _join(labels, predictions, label_ids, pred_ids, options, same, notes)
    ids = pred_ids if keep is None else pred_ids.take(pa.array(keep))
    raw = label_values(labels, label_column, take, ids, multilabel)
    predicted = _prediction_values(predictions, column, keep, ids, multilabel)
    if multilabel:
        examples = _multilabel_predicted(labels, predictions, label_column, column, ids, raw, predicted, options,
                                         notes, fixed)
    else:
        examples = _single_label_predicted(labels, predictions, column, ids, raw, predicted, options, notes, fixed)
    if options.weight_column is not None and weighted:
        examples = replace(examples, weight=weight_values(labels, options.weight_column, take, ids))
    if options.split_column is None:
        return examples
    return replace(examples, split=_split_values(labels, predictions, options.split_column, keep, take, ids))


def _single_label_predicted(labels, predictions, column, ids, raw, predicted, options, notes, fixed) -> Examples:
    if fixed is not None:
        task, classes, positive = fixed.task, fixed.classes, fixed.positive_class
    else:
        task, classes, positive = label_only_task(labels.name, pc.unique(raw).to_pylist(),
                                                  pc.unique(predicted).to_pylist(), options, notes)
    if task == "binary":
        raw, predicted = _fold_words(raw, classes), _fold_words(predicted, classes)
    y_true = _class_index(labels.name, ids, raw, classes, task)
    y_pred = _predicted_index(predictions.name, column, ids, predicted, classes, task)
    return Examples(task, classes, positive, ids, None, y_true, None, tuple(notes), y_pred=y_pred)


def _multilabel_predicted(labels, predictions, label_column, column, ids, raw, predicted, options, notes,
                          fixed) -> Examples:
    truth = label_sets(raw, options.label_sep, options.classes, labels.name, label_column, ids, "label")
    guess = label_sets(predicted, options.label_sep, options.classes, predictions.name, column, ids, "predicted")
    if fixed is not None:
        classes = fixed.classes
    elif options.classes is not None:  # the names of the lists' positions are every class
        classes = tuple(options.classes)
    else:
        classes = union_classes(pc.unique(truth[0]).to_pylist(), pc.unique(guess[0]).to_pylist(), notes)
    y_multi = _indicator(labels.name, label_column, ids, truth, classes, "label")
    y_pred = _indicator(predictions.name, column, ids, guess, classes, "predicted")
    return Examples("multilabel", classes, None, ids, None, None, y_multi, tuple(notes), y_pred_multi=y_pred)


def with_predictions(examples: Examples, predictions: Source, options: Options, scores: str = "the scores") -> Examples:
    """Scored examples (from the file named ``scores``) with the model's own hard-label
    decisions added, matched by id; a predicted name must be one of the classes (a score
    column)."""
    column = _prediction_column(predictions, options)
    pred_ids = id_values(predictions, options.id_column)
    _check_unique(pred_ids, predictions)
    where = pc.index_in(examples.ids, value_set=pred_ids)
    extra = len(pred_ids) - (len(where) - where.null_count)  # predicted ids without scores
    if where.null_count or extra:
        if not options.allow_partial:
            only_scores = examples.ids.filter(where.is_null())[:PREVIEW].to_pylist() if where.null_count else []
            found = pc.is_in(pred_ids, value_set=examples.ids)
            only_predictions = pred_ids.filter(pc.invert(found))[:PREVIEW].to_pylist() if extra else []
            raise InputError(missing_ids_message(scores, predictions.name, (where.null_count, only_scores),
                                                 (extra, only_predictions)))
        kept = np.flatnonzero(where.is_valid().to_numpy(zero_copy_only=False))
        if len(kept) == 0:
            raise InputError("no id appears in both files", file=f"{scores}, {predictions.name}")
        dropped = partial_note(scores, predictions.name, where.null_count, extra)
        examples = replace(examples.subset(kept), notes=(*examples.notes, dropped))
        where = where.take(pa.array(kept))
    rows = where.to_numpy(zero_copy_only=False)
    multilabel = examples.task == "multilabel"
    predicted = _prediction_values(predictions, column, rows, examples.ids, multilabel)
    if multilabel:
        guess = label_sets(predicted, options.label_sep, options.classes, predictions.name, column, examples.ids,
                           "predicted")
        y_pred = _indicator(predictions.name, column, examples.ids, guess, examples.classes, "predicted",
                            "is not a score column")
        return replace(examples, y_pred_multi=y_pred)
    if examples.task == "binary":
        predicted = _fold_words(predicted, examples.classes)
    y_pred = _predicted_index(predictions.name, column, examples.ids, predicted, examples.classes, examples.task,
                              "is not a score column")
    return replace(examples, y_pred=y_pred)


def _prediction_column(predictions: Source, options: Options) -> str:
    name = options.prediction_column
    if name not in predictions.table.column_names:
        shown = ", ".join(predictions.table.column_names[:8])
        raise InputError(f"no prediction column {name!r} (columns: {shown}; --prediction-column to choose)",
                         file=predictions.name)
    return name


def _prediction_values(predictions: Source, column: str, rows, ids: pa.Array, multilabel: bool) -> pa.Array:
    """The predicted value of each example (``rows``: positions in the file, None for all)."""
    values = label_values(predictions, column, rows, ids, multilabel, "prediction")
    if multilabel:
        return values
    empty = pc.equal(pc.utf8_trim_whitespace(values), "")
    if pc.any(empty).as_py():  # an empty cell is no answer, not a class named ""
        row = first_true(pc.fill_null(empty, False))
        raise InputError("missing prediction", file=predictions.name, column=column, row_id=ids[row].as_py())
    return values


def label_only_task(name: str, present: list[str], guessed: list[str], options: Options,
                    notes: list[Note]) -> tuple[str, tuple[str, ...], str | None]:
    """(task, classes, positive class) of single-label hard predictions, from the distinct
    label values (``present``) and predicted values (``guessed``).

    Binary when ``--positive-class`` is given or every value is 0/1 (or true/false),
    1/true positive; otherwise multiclass over the union of the values.
    """
    values = list(dict.fromkeys(present + guessed))
    lowered = {v.lower() for v in values}
    words = next((pair for pair in zip(TRUE_WORDS, FALSE_WORDS) if lowered <= set(pair)), None)
    wanted = options.positive_class
    if wanted is None and words is None:
        return "multiclass", union_classes(present, guessed, notes), None
    if wanted is None:
        matches = [v for v in present if v.lower() == words[0]]
        wanted = matches[0] if matches else words[0]
    others = list(dict.fromkeys(v for v in present if v.lower() != wanted.lower()))
    if len(others) > 1:
        raise InputError(f"binary task with positive class {wanted!r}, but the labels have more than two values "
                         f"({_show(sorted(present)[:6])})", file=name)
    negative = others[0] if others else _opposite(wanted)
    if not others:
        notes.append(single_class_note(wanted, negative))
    return "binary", (negative, wanted), wanted


def union_classes(present: list[str], guessed: list[str], notes: list[Note]) -> tuple[str, ...]:
    """Every label value and predicted value, sorted (numerically when all are numbers); a
    class only the predictions name gets a warning."""
    invented = sorted(set(guessed) - set(present))
    classes = _sorted_names(set(present) | set(guessed))
    if invented:
        shown = _show(invented[:10]) + (f" and {len(invented) - 10} more" if len(invented) > 10 else "")
        notes.append(Note("predicted_unknown_class",
                          f"the predictions name classes that no example is labeled with: {shown}; "
                          "each is a class with zero support"))
    return classes


def _sorted_names(names) -> tuple[str, ...]:
    try:
        return tuple(sorted(names, key=lambda v: (float(v), v)))
    except ValueError:
        return tuple(sorted(names))


def _predicted_index(file: str, column: str, ids: pa.Array, values: pa.Array, classes: tuple[str, ...], task: str,
                     why: str | None = None) -> np.ndarray:
    """Class index of each prediction; a binary prediction may also be 0/1 or true/false."""
    index = pc.index_in(values, value_set=pa.array(classes, pa.string()))
    if index.null_count and task == "binary":
        lowered = pc.utf8_lower(values)
        words = pc.if_else(pc.is_in(lowered, value_set=pa.array(TRUE_WORDS)), 1,
                           pc.if_else(pc.is_in(lowered, value_set=pa.array(FALSE_WORDS)), 0, None))
        index = pc.coalesce(index, pc.cast(words, index.type))
    if index.null_count:
        row = first_true(index.is_null())
        raise prediction_error(values[row].as_py(), classes, task, file, column, ids[row].as_py(), why)
    return index.to_numpy(zero_copy_only=False).astype(np.int64)


def prediction_error(value, classes: tuple[str, ...], task: str, file: str, column: str, row_id,
                     why: str | None = None) -> InputError:
    """A single-label prediction that is none of the classes (or no answer at all)."""
    if value is None or not str(value).strip():
        return InputError("missing prediction", file=file, column=column, row_id=row_id)
    reason = why or ("is not one of the two classes" if task == "binary" else "is not one of the classes")
    shown = _show(list(classes[:8])) + (", ..." if len(classes) > 8 else "")
    return InputError(f"predicted {value!r} {reason} ({shown})", file=file, column=column, row_id=row_id)


def name_sets(values: pa.Array | pa.ChunkedArray, file: str, column: str | None, ids, classes: tuple[str, ...],
              sep: str, what: str, why: str = "is not one of the classes",
              positions: Sequence[str] | None = None) -> np.ndarray:
    """(rows × classes, bool) indicator of multilabel values (names joined by ``sep``, or
    lists of names or of positions of ``positions``: see ``label_sets``); a name that is not a
    class is an error naming ``what`` it is (label, predicted), the row and the value."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not is_name_list(values.type):
        values = _as_names(values)
    return _indicator(file, column, ids, label_sets(values, sep, positions, file, column, ids, what), classes, what,
                      why)


def label_sets(values: pa.Array, sep: str, positions: Sequence[str] | None, file: str, column: str | None, ids,
               what: str) -> tuple[pa.Array, np.ndarray]:
    """Each row's set of names: (every name (m,) text, the row of each (m,)), from text
    joined by ``sep`` or from a list column (``list_sets``)."""
    if is_name_list(values.type):
        return list_sets(values, positions, file, column, ids, what)
    return _label_sets(values, sep)


def list_sets(values: pa.Array, positions: Sequence[str] | None, file: str, column: str | None, ids,
              what: str) -> tuple[pa.Array, np.ndarray]:
    """A list column's names: (every name (m,) text, the row of each (m,)), from the list's
    flat values and parent indices (Arrow, never row by row). A null or empty list is a row
    without names; integers are positions of ``positions`` (--classes) when given, else
    names as text. A missing item, an empty name or a position outside ``positions`` is an
    error naming the row and the value."""
    flat = pc.list_flatten(values)
    parents = pc.list_parent_indices(values).to_numpy(zero_copy_only=False)
    if pa.types.is_dictionary(flat.type):
        flat = flat.dictionary_decode()
    if pa.types.is_null(flat.type):
        flat = pa.array([None] * len(flat), pa.string())
    if flat.null_count:
        at = first_true(flat.is_null())
        raise InputError(f"missing {what} in the list", file=file, column=column, row_id=ids[int(parents[at])].as_py())
    if pa.types.is_integer(flat.type) and positions is not None:
        codes = flat.to_numpy(zero_copy_only=False)
        outside = (codes < 0) | (codes >= len(positions))
        if outside.any():
            at = int(np.argmax(outside))
            raise InputError(f"{what} position {int(codes[at])} is outside --classes (0 to {len(positions) - 1})",
                             file=file, column=column, row_id=ids[int(parents[at])].as_py())
        return pa.array(positions, pa.string()).take(flat), parents
    names = as_strings(flat)
    blank = pc.equal(pc.utf8_trim_whitespace(names), "")
    if pc.any(blank).as_py():
        at = first_true(blank)
        raise InputError(f"empty {what} name in the list", file=file, column=column,
                         row_id=ids[int(parents[at])].as_py())
    return names, parents


def _label_sets(raw: pa.Array, sep: str) -> tuple[pa.Array, np.ndarray]:
    """Multilabel values split on ``sep``: (every name, the row of each), empty names left out."""
    lists = pc.split_pattern(pc.fill_null(raw, ""), sep)
    parents = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False)
    flat = pc.utf8_trim_whitespace(pc.list_flatten(lists))
    used = pc.not_equal(flat, "")
    flat = flat.filter(used)
    parents = parents[used.to_numpy(zero_copy_only=False)]
    return flat, parents


def _indicator(file: str, column: str | None, ids, sets, classes: tuple[str, ...], what: str,
               why: str = "is not one of the classes") -> np.ndarray:
    """(n × classes, bool) indicator matrix of split label sets (see ``_label_sets``); a
    name that is not a class is an error naming ``what`` it is, the row and the value."""
    flat, parents = sets
    index = pc.index_in(flat, value_set=pa.array(classes, pa.string()))
    if index.null_count:
        at = first_true(index.is_null())
        raise InputError(f"{what} {flat[at].as_py()!r} {why} ({_show(list(classes[:8]))})", file=file,
                         column=column, row_id=ids[int(parents[at])].as_py())
    out = np.zeros((len(ids), len(classes)), dtype=bool, order="F")
    out[parents, index.to_numpy(zero_copy_only=False)] = True
    return out
