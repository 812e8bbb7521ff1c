"""What every streaming engine shares: the plan of a join decided once from the schemas,
and each Arrow batch of joined rows turned into one ``Chunk`` of validated ``Examples``.

One query joins the labels with every model's scores and hard-label predictions (and the
metadata) by id. Batches carry the id, the class code (single-label; computed by the
engine, null for a label that is not a class), or the raw label text (multilabel), the
weight and the split when asked for, each model's score columns (or the one list column
holding them) and prediction codes (``__pcode``) or text (``__pred``), the metadata
columns (``__meta:NAME``), and one flag per file saying the row was found there
(``__in0`` the labels, ``__in1`` ...). The weight comes from the labels file, or from
the metadata file when the labels have no such column (``JoinPlan.weights_in_metadata``).
The report's model's columns keep their names; model m's (m >= 1) are prefixed ``__m{m}:``.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import Callable, NoReturn, Protocol, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from reportgen import validate
from reportgen.accumulate import Settings, StatisticsPass
from reportgen.chunks import Chunk, Combiner, Make
from reportgen.errors import InputError
from reportgen.options import Options
from reportgen.rows import binary_scores
from reportgen.validate import Examples, Note, Source, missing_ids_message, partial_note

ID, CODE, LABELS, WEIGHT, SPLIT = "__id", "__code", "__labels", "__weight", "__split"
PCODE, PRED, META = "__pcode", "__pred", "__meta:"
SHARED = (ID, CODE, LABELS, WEIGHT, SPLIT)  # the columns every model's view of a batch has
MAX_LABEL_ONLY_CLASSES = 100_000  # distinct values a label-only report may have as classes


def in_column(file: int) -> str:
    """The flag column of the join's ``file``-th file (0: the labels)."""
    return f"__in{file}"


def model_prefix(model: int) -> str:
    """The prefix of model ``model``'s columns in a batch (none for the report's model)."""
    return "" if model == 0 else f"__m{model}:"


@dataclass(frozen=True)
class Plan:
    """The task, classes and columns of an evaluation, decided before any row is read."""

    task: str
    classes: tuple[str, ...]
    positive_class: str | None
    label_column: str
    score_columns: tuple[str, ...]  # binary: the one column holding the positive class's score
    labels_name: str
    scores_name: str
    label_sep: str
    notes: tuple[Note, ...] = ()
    scores_are: str = "probabilities"
    weight_column: str | None = None  # in the labels file, or in the metadata file
    weight_name: str | None = None  # the file holding it, when not the labels file
    list_column: str | None = None  # the one list column holding every class's score
    list_classes: tuple[str, ...] = ()  # its positions (binary: both classes, in list order)
    prediction_column: str | None = None  # hard-label predictions: their column
    predictions_name: str | None = None  # and their file
    prefix: str = ""  # of this model's columns in a batch (``model_prefix``)
    split_column: str | None = None  # in the labels file
    positions: tuple[str, ...] | None = None  # --classes: the names of integer positions in list-valued labels

    @property
    def scored(self) -> bool:
        """Whether the model has scores (else it is label-only)."""
        return bool(self.read_columns)

    @property
    def read_columns(self) -> tuple[str, ...]:
        """The score file's columns the query reads."""
        return (self.list_column,) if self.list_column else self.score_columns

    @property
    def weight_file(self) -> str:
        """The file holding the weight column, named in its errors."""
        return self.weight_name or self.labels_name

    @property
    def code_labels(self) -> tuple[str, ...]:
        """Label values (lower case for binary) whose position is the class code."""
        if self.task == "binary":
            return tuple(c.lower() for c in self.classes)
        return self.classes


def make_plan(
    label_schema: pa.Schema,
    score_schema: pa.Schema,
    labels_name: str,
    scores_name: str,
    opts: Options,
    same: bool,
    present_labels: Callable[[str], list] | None = None,
    first_labels: Callable[[str], list] | None = None,
    weight_name: str | None = None,
) -> Plan:
    """Decide the task and classes from the files' Arrow schemas (and, for binary, the label
    values, fetched by ``present_labels(label_column)`` only when needed), with the memory
    engine's rules and checks of the columns' types.

    ``first_labels(column)`` fetches the first row's record labels of a list column of
    records; ``weight_name`` is the file holding the weight column when it is not the
    labels file (``validate.weight_file`` decided it)."""
    labels = Source(label_schema.empty_table(), labels_name)
    scores = Source(score_schema.empty_table(), scores_name)
    for source in (labels, scores):
        validate.id_values(source, opts.id_column)  # the memory engine's checks of the id column
    label_column, multilabel = validate.find_label_column(labels, opts)
    validate.check_name_type(label_schema.field(label_column).type, labels_name, label_column, "label", multilabel)
    if opts.weight_column is not None and weight_name is None:
        validate.weight_file(opts.weight_column, labels_name, label_schema.names)
        validate.check_weight_type(label_schema.field(opts.weight_column).type, labels_name, opts.weight_column)
    kinds = validate.list_kinds(score_schema)
    list_column = validate.find_list_column(score_schema.names, kinds, opts, label_column, scores_name)
    if list_column is None:
        columns = validate.find_score_columns(scores, opts, label_column, same)
    else:
        columns = validate.list_classes(kinds[list_column], lambda: first_labels(list_column), opts, scores_name,
                                        list_column)
    common = dict(label_column=label_column, labels_name=labels_name, scores_name=scores_name,
                  label_sep=opts.label_sep, scores_are=opts.scores_are, weight_column=opts.weight_column,
                  weight_name=weight_name, list_column=list_column, list_classes=columns if list_column else (),
                  positions=opts.classes)
    if multilabel:
        return Plan(task="multilabel", classes=columns, positive_class=None, score_columns=columns, **common)
    if len(columns) == 1 or opts.positive_class is not None:
        present = [str(v) for v in present_labels(label_column)]
        positive, negative, column = validate.binary_classes(labels_name, columns, present, opts)
        notes = ()
        if negative.lower() not in {v.lower() for v in present}:
            notes = (validate.single_class_note(positive, negative),)
        return Plan(task="binary", classes=(negative, positive), positive_class=positive,
                    score_columns=(column,), notes=notes, **common)
    return Plan(task="multiclass", classes=columns, positive_class=None, score_columns=columns, **common)


class LazyIds:
    """Row ids of a batch, turned into text only for the one row an error message names."""

    def __init__(self, column: pa.Array | pa.ChunkedArray) -> None:
        self.column = column

    def __len__(self) -> int:
        return len(self.column)

    def __getitem__(self, row: int) -> pa.Scalar:
        return pa.scalar(str(self.column[int(row)].as_py()))


class MatrixBuffer:
    """One score matrix reused from batch to batch: a fresh few hundred MB per batch costs
    more in page faults than filling it does. Valid until the next ``get``."""

    def __init__(self) -> None:
        self.array = np.empty((0, 0), dtype=np.float64, order="F")

    def get(self, rows: int, columns: int) -> np.ndarray:
        if self.array.shape[0] < rows or self.array.shape[1] != columns:
            self.array = np.empty((rows, columns), dtype=np.float64, order="F")
        return self.array[:rows]


def examples_from_batch(batch: pa.RecordBatch | pa.Table, plan: Plan, label_of=None,
                        buffer: MatrixBuffer | None = None, prediction_of=None) -> Examples:
    """One batch of joined rows (one model's view: see ``model_view``) as validated
    Examples (errors name the file, column and id).

    ``label_of(id)`` looks up the label text of a row whose class code is null, for the
    error message, when the batch does not carry the text; ``prediction_of(plan, id)``
    the predicted text the same way.
    """
    table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
    ids = LazyIds(table.column(ID))
    matrix, out = _scores(table, plan, ids, buffer) if plan.scored else (None, None)
    weight = None
    if plan.weight_column is not None:
        weight = validate.check_weights(table.column(WEIGHT), plan.weight_file, plan.weight_column, ids)
    why = "is not a score column" if plan.scored else "is not one of the classes"
    if plan.task == "multilabel":
        raw = validate.label_values(Source(table, plan.labels_name), LABELS, None, ids, True)
        y_multi = validate.name_sets(raw, plan.labels_name, None if plan.scored else plan.label_column, ids,
                                     plan.classes, plan.label_sep, "label", why, plan.positions)
        examples = Examples("multilabel", plan.classes, None, table.column(ID), matrix, None, y_multi, weight=weight)
        if plan.prediction_column is not None:
            examples = replace(examples, y_pred_multi=validate.name_sets(
                table.column(PRED), plan.predictions_name, plan.prediction_column, ids, plan.classes, plan.label_sep,
                "predicted", why, plan.positions))
        return _with_split(examples, table, plan, ids)
    y_true = _codes(table, plan, ids, label_of)
    if plan.task == "binary" and plan.scored:
        positive = plan.list_classes.index(plan.score_columns[0]) if plan.list_column else 0
        matrix = binary_scores(matrix[:, positive], out if not plan.list_column else None)
    y_pred = None if plan.prediction_column is None else _prediction_codes(table, plan, ids, prediction_of)
    examples = Examples(plan.task, plan.classes, plan.positive_class, table.column(ID), matrix, y_true, None,
                        weight=weight, y_pred=y_pred)
    return _with_split(examples, table, plan, ids)


def _with_split(examples: Examples, table: pa.Table, plan: Plan, ids: "LazyIds") -> Examples:
    """The examples with each row's split (from the labels file), when asked for."""
    if SPLIT not in table.column_names:
        return examples
    values = table.column(SPLIT)
    if values.null_count:
        raise InputError("missing split", file=plan.labels_name, column=plan.split_column,
                         row_id=ids[validate.first_true(values.is_null())].as_py())
    return replace(examples, split=validate.as_strings(values))


def _prediction_codes(table: pa.Table, plan: Plan, ids: "LazyIds", prediction_of) -> np.ndarray:
    """Class index of each prediction; a null code is a prediction that is not a class."""
    uncoded = _first_uncoded(table, PCODE, PRED, lambda row_id: prediction_of(plan, row_id))
    if uncoded is not None:
        row, value = uncoded
        raise validate.prediction_error(value, plan.classes, plan.task, plan.predictions_name, plan.prediction_column,
                                        ids[row].as_py(), "is not a score column" if plan.scored else None)
    return table.column(PCODE).to_numpy().astype(np.int64)


def _first_uncoded(table: pa.Table, code: str, text: str, text_of) -> tuple[int, object] | None:
    """(row, its text) of the first null in column ``code`` (a value that is not a class),
    the text from column ``text`` when the batch carries it, else ``text_of(row id)``."""
    codes = table.column(code)
    if not codes.null_count:
        return None
    row = validate.first_true(codes.is_null())
    if text in table.column_names:
        return row, table.column(text)[row].as_py()
    return row, text_of(table.column(ID)[row].as_py())


def model_view(table: pa.Table, plan: Plan) -> pa.Table:
    """Model ``plan``'s columns of a joined batch under their own names, beside the shared
    ones (no copy; the report's model's columns already have their names)."""
    if not plan.prefix:
        return table
    names = table.column_names
    shared = [c for c in SHARED if c in names]
    mine = [c for c in names if c.startswith(plan.prefix)]
    return pa.Table.from_arrays([table.column(c) for c in shared + mine],
                                names=shared + [c[len(plan.prefix):] for c in mine])


def chunk_from_batch(table: pa.Table, join: "JoinPlan", buffers: Sequence[MatrixBuffer], label_of=None,
                     prediction_of=None) -> Chunk:
    """The matched rows of a batch as one Chunk: every model's Examples, their scores as
    read, and the metadata columns."""
    models, raw = [], []
    for plan, buffer in zip(join.models, buffers):
        view = model_view(table, plan)
        raw.append(raw_columns(view, plan))
        models.append(examples_from_batch(view, plan, label_of, buffer, prediction_of).ranked_by(raw[-1]))
    metadata = {c: table.column(META + c).combine_chunks() for c in join.metadata_columns}
    return Chunk(tuple(models), metadata, tuple(raw))


def right_column(model: int) -> str:
    """The column of a batch saying whether model ``model`` decided the row right (read
    from the per-row table that model's own pass wrote)."""
    return f"__right{model}"


def model_chunk(table: pa.Table, join: "JoinPlan", model: int, buffer: MatrixBuffer, label_of=None,
                prediction_of=None, rights: Sequence[int] = ()) -> Chunk:
    """A batch of one model's pass (the keys joined with that model's files) as a Chunk
    holding that model alone (the others None); the report's model's chunks carry the
    metadata columns and, for the models in ``rights``, whether each decided the row right."""
    plan = join.models[model]
    view = model_view(table, plan)
    models: list[Examples | None] = [None] * len(join.models)
    raw: list = [None] * len(join.models)
    raw[model] = raw_columns(view, plan)
    models[model] = examples_from_batch(view, plan, label_of, buffer, prediction_of).ranked_by(raw[model])
    metadata = {c: table.column(META + c).combine_chunks() for c in join.metadata_columns} if model == 0 else {}
    right = {m: table.column(right_column(m)).to_numpy(zero_copy_only=False) for m in rights}
    return Chunk(tuple(models), metadata, tuple(raw), right)


def _scores(table: pa.Table, plan: Plan, ids: LazyIds, buffer: MatrixBuffer | None) -> tuple[np.ndarray, np.ndarray | None]:
    """(the batch's checked score matrix, the buffer it lives in). Binary separate columns:
    the one column is written as the second of ``[1 - p, p]``."""
    scores = Source(table, plan.scores_name)
    kind = dict(scores_are=plan.scores_are, task=plan.task, list_column=plan.list_column)
    if plan.list_column:  # every class's score, in the buffer too (binary takes its column from it)
        out = buffer.get(table.num_rows, len(plan.list_classes)) if buffer else None
        return validate.score_matrix(scores, plan.list_classes, ids, out, **kind), None
    binary = plan.task == "binary"
    out = buffer.get(table.num_rows, 2 if binary else len(plan.score_columns)) if buffer else None
    target = out[:, 1:] if binary and out is not None else out
    return validate.score_matrix(scores, plan.score_columns, ids, target, **kind), out


def raw_columns(table: pa.Table, plan: Plan) -> list[np.ndarray | None] | None:
    """Each class's scores as read (no copy), for binned counting; None unless all are
    float columns without nulls (``examples_from_batch`` has checked their values)."""
    if plan.list_column or plan.scores_are == "logits" or not plan.scored:
        return None  # the scores as read are not the probabilities counted
    arrays = []
    for name in plan.score_columns:
        column = table.column(name)
        if column.null_count or not pa.types.is_floating(column.type) or column.num_chunks != 1:
            return None
        arrays.append(column.chunk(0).to_numpy())
    return [None, arrays[0]] if plan.task == "binary" else arrays


def _codes(table: pa.Table, plan: Plan, ids: LazyIds, label_of) -> np.ndarray:
    """Class index of each row; a null code is a label that is not a class."""
    uncoded = _first_uncoded(table, CODE, LABELS, label_of)
    if uncoded is not None:
        row, value = uncoded
        if value is None:
            raise InputError("missing label", file=plan.labels_name, column=plan.label_column,
                             row_id=ids[row].as_py())
        raise validate.unknown_label_error(value, plan.classes, plan.task, plan.labels_name, ids[row].as_py())
    return table.column(CODE).to_numpy().astype(np.int64)


# ---------------------------------------------------------------- the join of several files


class Reader(Protocol):
    """What an engine tells the plan about its files (each named by its path)."""

    def schema(self, file: str) -> pa.Schema: ...  # the file's columns as Arrow types (names checked unique)

    def first_labels(self, file: str, column: str) -> list: ...  # record labels of a list column's first row

    def present(self, file: str, column: str) -> list[str]: ...  # up to 1,000 distinct label texts

    def distinct(self, file: str, column: str, sep: str | None, limit: int) -> list[str]:
        """Up to ``limit`` distinct non-blank texts of ``column`` (names split on ``sep`` when
        given; a list column's items, as text)."""


@dataclass(frozen=True)
class JoinPlan:
    """Every file of one streaming pass and every model's plan, decided before any row is read.

    ``files`` are the distinct files each row must be found in: the labels first, then
    each model's scores and predictions (a file given twice counts once); ``partners[i]``
    is the file ``files[i]`` is matched against in messages (the labels, or a model's
    scores for its predictions). The metadata file is joined to them without dropping rows,
    unless it holds the weights: a row without metadata then has no weight.
    """

    models: tuple[Plan, ...]
    names: tuple[str, ...]
    files: tuple[str, ...]
    partners: tuple[int, ...]
    metadata: str | None = None
    metadata_columns: tuple[str, ...] = ()

    @property
    def main(self) -> Plan:
        return self.models[0]

    @property
    def weights_in_metadata(self) -> bool:
        """Whether the weight column is the metadata file's (the labels have none)."""
        return self.metadata is not None and self.main.weight_name == self.metadata

    def scores_of(self, file: str) -> list[Plan]:
        """The models whose scores the file holds."""
        return [p for p in self.models if p.scored and p.scores_name == file]

    def predictions_of(self, file: str) -> list[Plan]:
        """The models whose hard-label predictions the file holds."""
        return [p for p in self.models if p.predictions_name == file]


ModelFiles = tuple[str, "str | None", "str | None"]  # name, its scores file, its predictions file


def make_join_plan(reader: Reader, labels: str, models: Sequence[ModelFiles], opts: Options,
                   metadata: str | None = None, metadata_columns: Sequence[str] = ()) -> JoinPlan:
    """The plan of every model (the first is the report's; the others take its task and
    classes, as the memory engine's ``fixed``), with the memory engine's rules and errors."""
    plans: list[Plan] = []
    files, partners = [labels], [0]
    label_names = reader.schema(labels).names
    present = reader.schema(metadata).names if metadata is not None else []
    weight_name = None  # the weights' file, when not the labels file
    if opts.weight_column is not None and metadata is not None:
        found = validate.weight_file(opts.weight_column, labels, label_names, metadata, present)
        weight_name = found if found != labels else None
        if weight_name is not None:
            validate.check_weight_type(reader.schema(metadata).field(opts.weight_column).type, metadata,
                                       opts.weight_column)
    if weight_name is None and not metadata_columns:
        metadata = None  # nothing to join it for
    for m, (name, scores, predictions) in enumerate(models):
        fixed = plans[0] if plans else None
        if predictions is not None:  # checked before the plan reads its values
            _check_predictions(reader.schema(predictions), predictions, opts)
        if scores is not None:
            plan = _scored_plan(reader, labels, label_names, scores, predictions, opts, fixed, weight_name)
        elif fixed is not None:
            plan = replace(fixed, score_columns=(), list_column=None, list_classes=(), scores_name=predictions,
                           notes=())
        else:
            plan = _label_only_plan(reader, labels, label_names, predictions, opts, weight_name)
        if predictions is not None:
            validate.check_name_type(reader.schema(predictions).field(opts.prediction_column).type, predictions,
                                     opts.prediction_column, "prediction", plan.task == "multilabel")
            plan = replace(plan, prediction_column=opts.prediction_column, predictions_name=predictions)
        plans.append(replace(plan, prefix=model_prefix(m), split_column=opts.split_column))
        for file, partner in ((scores, labels), (predictions, scores or labels)):
            if file is not None and file not in files:
                files.append(file)
                partners.append(files.index(partner))
    if opts.split_column is not None:
        if opts.split_column not in label_names:
            raise InputError(f"no split column {opts.split_column!r} (--split-column)", file=labels)
        validate.check_name_type(reader.schema(labels).field(opts.split_column).type, labels, opts.split_column,
                                 "split")
    if metadata is not None:
        validate.id_values(Source(reader.schema(metadata).empty_table(), metadata), opts.id_column)
        for column in sorted(metadata_columns):
            if column not in present:
                raise InputError(f"no slice column {column!r} (columns: {', '.join(present[:8])})", file=metadata)
            validate.check_name_type(reader.schema(metadata).field(column).type, metadata, column, "slice")
    return JoinPlan(tuple(plans), tuple(m[0] for m in models), tuple(files), tuple(partners), metadata,
                    tuple(sorted(metadata_columns)))


def _check_predictions(schema: pa.Schema, file: str, opts: Options) -> None:
    """A predictions file has an id and a prediction column of names."""
    validate.id_values(Source(schema.empty_table(), file), opts.id_column)
    if opts.prediction_column not in schema.names:
        raise InputError(f"no prediction column {opts.prediction_column!r} (columns: {', '.join(schema.names[:8])}; "
                         "--prediction-column to choose)", file=file)
    validate.check_name_type(schema.field(opts.prediction_column).type, file, opts.prediction_column, "prediction",
                             lists=True)  # lists checked against the task once it is known


def _scored_plan(reader: Reader, labels: str, label_names: list[str], scores: str, predictions: str | None,
                 opts: Options, fixed: Plan | None, weight_name: str | None = None) -> Plan:
    score_schema = reader.schema(scores)
    if predictions is not None and opts.prediction_column in score_schema.names:  # not a score column
        score_schema = score_schema.remove(score_schema.get_field_index(opts.prediction_column))
    plan = make_plan(reader.schema(labels), score_schema, labels, scores, opts, scores == labels,
                     lambda column: reader.present(labels, column),
                     lambda column: reader.first_labels(scores, column), weight_name)
    if fixed is not None and (plan.task, plan.classes) != (fixed.task, fixed.classes):
        raise InputError(f"classes differ from the main scores ({list(plan.classes)[:6]})", file=scores)
    return plan if fixed is None else replace(plan, notes=())


def _label_only_plan(reader: Reader, labels: str, label_names: list[str], predictions: str, opts: Options,
                     weight_name: str | None = None) -> Plan:
    """A model without scores: classes from the distinct labels and predictions, read first."""
    schema = reader.schema(labels)
    label_column, multilabel = validate.find_label_column(Source(schema.empty_table(), labels), opts)
    validate.id_values(Source(schema.empty_table(), labels), opts.id_column)
    validate.check_name_type(schema.field(label_column).type, labels, label_column, "label", multilabel)
    if opts.weight_column is not None and weight_name is None:
        validate.weight_file(opts.weight_column, labels, label_names)
        validate.check_weight_type(schema.field(opts.weight_column).type, labels, opts.weight_column)
    common = dict(label_column=label_column, score_columns=(), labels_name=labels, scores_name=predictions,
                  label_sep=opts.label_sep, scores_are=opts.scores_are, weight_column=opts.weight_column,
                  weight_name=weight_name, positions=opts.classes)
    if multilabel and opts.classes is not None:  # the names of the lists' positions are every class
        return Plan(task="multilabel", classes=tuple(opts.classes), positive_class=None, **common)
    sep = opts.label_sep if multilabel else None
    values = []
    for file, column in ((labels, label_column), (predictions, opts.prediction_column)):
        found = reader.distinct(file, column, sep, MAX_LABEL_ONLY_CLASSES + 1)
        if len(found) > MAX_LABEL_ONLY_CLASSES:
            raise InputError(f"more than {MAX_LABEL_ONLY_CLASSES:,} distinct values: too many classes for a "
                             "label-only report", file=file, column=column)
        values.append([str(v) for v in found])
    notes: list[Note] = []
    if multilabel:
        task, classes, positive = "multilabel", validate.union_classes(*values, notes), None
    else:
        task, classes, positive = validate.label_only_task(labels, *values, opts, notes)
    return Plan(task=task, classes=classes, positive_class=positive, notes=tuple(notes), **common)


# ---------------------------------------------------------------- the join's bookkeeping

CheckUnique = Callable[[str], None]  # raises for a repeated id in the file of that name
MissingIds = Callable[[str, str], tuple[tuple[int, list], tuple[int, list]]]  # (count, a few ids) of a not in b, b not in a


def new_counts(join: JoinPlan) -> dict:
    """What a pass counts of the join: rows matched, and for each file after the labels the
    rows dropped on each side (of the files before it, of it), and rows without metadata
    (with the smallest few of their ids, as text)."""
    return {"joined": 0, "dropped": [[0, 0] for _ in join.files], "no_metadata": 0, "no_metadata_ids": []}


def add_counts(total: dict, part: dict) -> dict:
    """Two passes' counts together (Spark's partitions)."""
    return {"joined": total["joined"] + part["joined"],
            "dropped": [[a + c, b + d] for (a, b), (c, d) in zip(total["dropped"], part["dropped"])],
            "no_metadata": total["no_metadata"] + part["no_metadata"],
            "no_metadata_ids": sorted(total["no_metadata_ids"] + part["no_metadata_ids"])[:validate.PREVIEW]}


def matched_rows(table: pa.Table, seen: dict, join: JoinPlan) -> pa.Table:
    """The rows found in every file; the others are counted in ``seen``. A row without
    metadata stays (its metadata columns null), unless the weights are the metadata's."""
    flags = [table.column(in_column(i)) for i in range(len(join.files))]
    if any(f.null_count for f in flags):
        kept = flags[0].is_valid()
        for i, flag in enumerate(flags[1:], 1):
            found = flag.is_valid()
            seen["dropped"][i][0] += pc.sum(pc.and_not(kept, found)).as_py() or 0
            seen["dropped"][i][1] += pc.sum(pc.and_not(found, kept)).as_py() or 0
            kept = pc.and_(kept, found)
        table = table.filter(kept)
    seen["joined"] += table.num_rows
    if join.metadata is not None:
        meta = table.column(in_column(len(join.files)))
        if meta.null_count:
            seen["no_metadata"] += meta.null_count
            ids = pc.cast(table.column(ID).filter(meta.is_null()), pa.string())
            few = ids.take(pc.select_k_unstable(ids, validate.PREVIEW, sort_keys=[("id", "ascending")])).to_pylist()
            seen["no_metadata_ids"] = sorted(seen["no_metadata_ids"] + few)[:validate.PREVIEW]
            if join.weights_in_metadata:  # no weight: dropped (an error unless --allow-partial)
                table = table.filter(meta.is_valid())
    return table


def unmatched(seen: dict) -> bool:
    return any(a or b for a, b in seen["dropped"])


def refuse_unmatched(seen: dict, join: JoinPlan, check_unique: CheckUnique, missing_ids: MissingIds) -> NoReturn:
    """Ids found in some files only, without --allow-partial: as the memory engine, a
    repeated id is reported first, then how many ids each file of the first such pair lacks."""
    i = next(i for i, (a, b) in enumerate(seen["dropped"]) if a or b)
    mine, other = join.files[join.partners[i]], join.files[i]
    check_unique(mine)
    check_unique(other)
    raise InputError(missing_ids_message(mine, other, *missing_ids(mine, other)))


def settle_join(seen: dict, rows: Sequence[int], join: JoinPlan, allow_partial: bool, check_unique: CheckUnique,
                missing_ids: MissingIds) -> tuple[Note, ...]:
    """Once every row is counted (``rows``: each file's rows). Ids are unique in every file
    when the full join left nothing unmatched and has as many rows as each file; otherwise
    look for a repeated id. Returns the warnings of a partial join."""
    clean = not unmatched(seen)
    if not clean and not allow_partial:
        refuse_unmatched(seen, join, check_unique, missing_ids)
    if seen["joined"] == 0:
        raise InputError("no id appears in both files", file=", ".join(join.files))
    if len(join.files) == 1 or not (clean and all(seen["joined"] == n for n in rows)):
        for file in join.files:
            check_unique(file)
    if join.metadata is not None:
        check_unique(join.metadata)  # a repeated id would repeat its rows in the join
        if seen["no_metadata"] and not allow_partial:
            if join.weights_in_metadata:
                raise validate.no_weight_error(join.metadata, join.main.weight_column, seen["no_metadata"],
                                               seen["no_metadata_ids"][0])
            shown = ", ".join(repr(v) for v in seen["no_metadata_ids"])
            raise InputError(f"{seen['no_metadata']} ids have no metadata (e.g. {shown}); use --allow-partial",
                             file=join.metadata)
    notes = tuple(partial_note(join.files[join.partners[i]], join.files[i], a, b)
                  for i, (a, b) in enumerate(seen["dropped"]) if a or b)
    if join.weights_in_metadata and seen["no_metadata"]:
        if seen["joined"] == seen["no_metadata"]:
            raise InputError("no id has a metadata row, so no example has a weight", file=join.metadata,
                             column=join.main.weight_column)
        notes += (validate.no_weight_note(join.metadata, seen["no_metadata"]),)
    return notes


def expected_rows(rows: Sequence[int]) -> int:
    """The rows a statistics pass expects: the first scored file's (``rows``: each file's)."""
    return rows[1] if len(rows) > 1 else rows[0]


def statistics_pass(reduce: Callable, opts: Options, join: JoinPlan, rows: Sequence[int], budget: int,
                    others: Sequence[Callable[[], Combiner]] = ()) -> tuple[list, tuple[Combiner, ...]]:
    """Every engine's statistics pass, run by its ``reduce(factory)``: one Accumulator per
    model (expecting the first scored file's ``rows``), beside the combiners ``others``
    make; each model's Statistics (checked for all-zero weights) and those combiners."""
    settings = Settings(opts.threshold, opts.class_thresholds, opts.grid, budget, expected_rows(rows))
    done = reduce(Make((functools.partial(StatisticsPass, settings, len(join.models)), *others))).parts
    found = done[0].statistics()
    check_weight_totals(found[0], join)
    return found, done[1:]


def check_weight_totals(stats, join: JoinPlan) -> None:
    """Weights that are all 0 leave nothing to evaluate, and past 2**53 sums of weights are not
    exact (checked once every batch is counted)."""
    if stats.weighted:
        validate.check_weight_total(stats.weight_total, join.main.weight_file, join.main.weight_column)
