"""What every streaming engine shares: the plan of a join decided once from the schemas,
and each Arrow batch of joined rows turned into validated ``Examples``.

Batches carry the id, the class code (single-label; computed by the engine, null for a
label that is not a class), or the raw label text (multilabel), the weight when asked
for, and the score columns (or the one list column holding them).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Mapping, NoReturn, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from reportgen import validate
from reportgen.errors import InputError
from reportgen.options import Options
from reportgen.rows import binary_scores
from reportgen.validate import Examples, Note, Source, missing_ids_message, partial_note

ID, CODE, LABELS, WEIGHT = "__id", "__code", "__labels", "__weight"
IN_LABELS, IN_SCORES = "__in_labels", "__in_scores"


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
    weight_column: str | None = None  # in the labels file
    list_column: str | None = None  # the one list column holding every class's score
    list_classes: tuple[str, ...] = ()  # its positions (binary: both classes, in list order)

    @property
    def read_columns(self) -> tuple[str, ...]:
        """The score file's columns the query reads."""
        return (self.list_column,) if self.list_column else self.score_columns

    @property
    def code_labels(self) -> tuple[str, ...]:
        """Label values (lower case for binary) whose position is the class code."""
        if self.task == "binary":
            return tuple(c.lower() for c in self.classes)
        return self.classes


def make_plan(
    label_names: Sequence[str],
    score_names: Sequence[str],
    labels_name: str,
    scores_name: str,
    opts: Options,
    same: bool,
    present_labels: Callable[[str], list] | None = None,
    list_kinds: Mapping[str, str] | None = None,
    first_labels: Callable[[str], list] | None = None,
) -> Plan:
    """Decide the task and classes from column names (and, for binary, the label values,
    fetched by ``present_labels(label_column)`` only when needed), with the memory engine's rules.

    ``list_kinds`` names the score file's list-typed columns (``validate.list_kinds``);
    ``first_labels(column)`` fetches the first row's record labels of one of them."""
    labels = Source(_empty(label_names), labels_name)
    scores = Source(_empty(score_names), scores_name)
    for source in (labels, scores):
        validate.id_values(source, opts.id_column)  # the memory engine's check that the id column exists
    label_column, multilabel = validate.find_label_column(labels, opts)
    if opts.weight_column is not None and opts.weight_column not in label_names:
        raise InputError(f"no weight column {opts.weight_column!r} (--weight-column)", file=labels_name)
    kinds = list_kinds or {}
    list_column = validate.find_list_column(list(score_names), kinds, opts, label_column, scores_name)
    if list_column is None:
        columns = validate.find_score_columns(scores, opts, label_column, same)
    else:
        columns = validate.list_classes(kinds[list_column], lambda: first_labels(list_column), opts, scores_name,
                                        list_column)
    common = dict(label_column=label_column, labels_name=labels_name, scores_name=scores_name,
                  label_sep=opts.label_sep, scores_are=opts.scores_are, weight_column=opts.weight_column,
                  list_column=list_column, list_classes=columns if list_column else ())
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


def _empty(names: Sequence[str]) -> pa.Table:
    return pa.table({name: pa.array([], pa.null()) for name in names})


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
                        buffer: MatrixBuffer | None = None) -> Examples:
    """One batch of joined rows as validated Examples (errors name the file, column and id).

    ``label_of(id)`` looks up the label text of a row whose class code is null, for the
    error message, when the batch does not carry the text.
    """
    table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
    ids = LazyIds(table.column(ID))
    matrix, out = _scores(table, plan, ids, buffer)
    weight = None
    if plan.weight_column is not None:
        weight = validate.check_weights(table.column(WEIGHT), plan.labels_name, plan.weight_column, ids)
    if plan.task == "multilabel":
        raw = validate.label_values(Source(table, plan.labels_name), LABELS, None, ids, True)
        examples = validate.multilabel_examples(plan.labels_name, ids, raw, matrix, plan.classes,
                                                Options(label_sep=plan.label_sep), [])
        return examples if weight is None else replace(examples, weight=weight)
    y_true = _codes(table, plan, ids, label_of)
    if plan.task == "binary":
        positive = plan.list_classes.index(plan.score_columns[0]) if plan.list_column else 0
        matrix = binary_scores(matrix[:, positive], out if not plan.list_column else None)
    return Examples(plan.task, plan.classes, plan.positive_class, table.column(ID), matrix, y_true, None,
                    weight=weight)


def _scores(table: pa.Table, plan: Plan, ids: LazyIds, buffer: MatrixBuffer | None) -> tuple[np.ndarray, np.ndarray | None]:
    """(the batch's checked score matrix, the buffer it lives in). Binary separate columns:
    the one column is written as the second of ``[1 - p, p]``."""
    scores = Source(table, plan.scores_name)
    kind = dict(scores_are=plan.scores_are, task=plan.task, list_column=plan.list_column)
    if plan.list_column:
        return validate.score_matrix(scores, plan.list_classes, ids, **kind), None
    binary = plan.task == "binary"
    out = buffer.get(table.num_rows, 2 if binary else len(plan.score_columns)) if buffer else None
    target = out[:, 1:] if binary and out is not None else out
    return validate.score_matrix(scores, plan.score_columns, ids, target, **kind), out


def check_weight_total(stats, plan: Plan) -> None:
    """Weights that are all 0 leave nothing to evaluate (checked once every batch is counted)."""
    if stats.weighted and stats.weight_total == 0:
        validate.raise_all_zero_weights(plan.labels_name, plan.weight_column)


def raw_columns(table: pa.Table, plan: Plan) -> list[np.ndarray | None] | None:
    """Each class's scores as read (no copy), for binned counting; None unless all are
    float columns without nulls (``examples_from_batch`` has checked their values)."""
    if plan.list_column or plan.scores_are == "logits":
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
    codes = table.column(CODE)
    if codes.null_count:
        row = validate.first_true(codes.is_null())
        if LABELS in table.column_names:
            value = table.column(LABELS)[row].as_py()
        else:
            value = label_of(table.column(ID)[row].as_py())
        if value is None:
            raise InputError("missing label", file=plan.labels_name, column=plan.label_column,
                             row_id=ids[row].as_py())
        raise validate.unknown_label_error(value, plan.classes, plan.task, plan.labels_name, ids[row].as_py())
    return codes.to_numpy().astype(np.int64)


# ---------------------------------------------------------------- the join's bookkeeping

CheckUnique = Callable[[str], None]  # raises for a repeated id in "labels" or "scores"
MissingIds = Callable[[], tuple[tuple[int, list], tuple[int, list]]]  # (count, a few ids) for each side


def new_counts() -> dict[str, int]:
    return {"joined": 0, "only_labels": 0, "only_scores": 0}


def matched_rows(table: pa.Table, seen: dict[str, int]) -> pa.Table:
    """The rows found in both files; the others are counted in ``seen``."""
    in_labels, in_scores = table.column(IN_LABELS), table.column(IN_SCORES)
    if in_labels.null_count or in_scores.null_count:
        seen["only_scores"] += in_labels.null_count
        seen["only_labels"] += in_scores.null_count
        table = table.filter(pc.and_(pc.is_valid(in_labels), pc.is_valid(in_scores)))
    seen["joined"] += table.num_rows
    return table


def refuse_unmatched(plan: Plan, check_unique: CheckUnique, missing_ids: MissingIds) -> NoReturn:
    """Ids found in one file only, without --allow-partial: as the memory engine, a repeated
    id is reported first, then how many ids each file lacks."""
    check_unique("labels")
    check_unique("scores")
    raise InputError(missing_ids_message(plan.labels_name, plan.scores_name, *missing_ids()))


def settle_join(seen: dict[str, int], n_labels: int, n_scores: int, plan: Plan, same: bool, allow_partial: bool,
                check_unique: CheckUnique, missing_ids: MissingIds) -> tuple[Note, ...]:
    """Once every row is counted. Ids are unique on both sides when the full join left nothing
    unmatched and has as many rows as each file; otherwise look for a repeated id. Returns
    the warning of a partial join."""
    clean = seen["only_labels"] == 0 and seen["only_scores"] == 0
    if not clean and not allow_partial:
        refuse_unmatched(plan, check_unique, missing_ids)
    if seen["joined"] == 0:
        raise InputError("no id appears in both files", file=f"{plan.labels_name}, {plan.scores_name}")
    if same or not (clean and seen["joined"] == n_labels == n_scores):
        for side in ("labels",) if same else ("labels", "scores"):
            check_unique(side)
    return () if clean else (partial_note(plan.labels_name, plan.scores_name, seen["only_labels"], seen["only_scores"]),)
