"""The public Python entry: ``evaluate`` on DataFrames, ``evaluate_files`` on paths."""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from reportgen import io
from reportgen.evaluation import Evaluation
from reportgen.inputs import Inputs
from reportgen.metrics import evaluate_statistics
from reportgen.options import Options
from reportgen.selection import select_examples
from reportgen.stats import from_examples
from reportgen.validate import Examples, Source, build_examples

LABEL_STRINGS = ("label", "labels")


def evaluate(
    labels: pd.DataFrame,
    scores: pd.DataFrame | None = None,
    *,
    inputs: str | os.PathLike[str] | None = None,
    **options,
) -> Evaluation:
    """Evaluate a classifier from DataFrames: ``labels`` (id + label/labels) and ``scores``
    (id + one column per class). ``scores=None`` means ``labels`` holds both.

    Keyword options are those of :class:`reportgen.options.Options` (threshold,
    multilabel, positive_class, id_column, label_column, label_sep, grid_step,
    allow_partial, score_columns, ...). Raises InputError on bad input.
    """
    opts = Options(**options)
    label_source = Source(io.from_dataframe(labels, "labels"), "labels")
    same = scores is None
    score_source = label_source if same else Source(io.from_dataframe(scores, "scores"), "scores")
    examples = build_examples(label_source, score_source, opts, same)
    return _evaluate_examples(examples, opts, inputs)


def evaluate_files(
    labels: str | os.PathLike[str],
    scores: str | os.PathLike[str],
    *,
    inputs: str | os.PathLike[str] | None = None,
    **options,
) -> Evaluation:
    """Evaluate from files (.csv, .tsv, .jsonl/.ndjson, .parquet); labels and scores may be one file."""
    opts = Options(**options)
    text_columns = (opts.id_column, *(c for c in (opts.label_column,) if c), *LABEL_STRINGS)
    label_source = Source(io.read_table(labels, string_columns=text_columns), str(labels))
    same = _same_file(labels, scores)
    if same:
        score_source = label_source
    else:
        score_source = Source(io.read_table(scores, string_columns=(opts.id_column,)), str(scores))
    examples = build_examples(label_source, score_source, opts, same)
    return _evaluate_examples(examples, opts, inputs)


def _evaluate_examples(examples: Examples, opts: Options, inputs) -> Evaluation:
    stats = from_examples(examples, opts.threshold)
    evaluation = evaluate_statistics(stats, opts.grid, examples.notes, opts.max_curve_points)
    table = Inputs(str(inputs), opts.id_column) if inputs is not None else None
    selection = select_examples(examples, opts.threshold, opts.inputs_per_cell, opts.inputs_total, table)
    return evaluation.with_extras(selection=selection)


def _same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False
