"""No internal error on any file: mutated CSV, JSON Lines and Parquet inputs give a report or
one InputError, and the known hard cases name the file, the column and the row, the same on
every engine. (benchmarks/fuzz_readers.py runs thousands of mutated inputs.)"""
from __future__ import annotations

import collections
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import reportgen
from fuzzing import FORMATS, LISTS, Case, _bases, cases, encode, outcome
from reportgen.errors import InputError

IDS = ["a", "b", "c", "d"]


def _error(engine: str, labels: Path, **options) -> str:
    with pytest.raises(InputError) as err:
        reportgen.evaluate_files(labels, options.pop("scores", labels), engine=engine, n_bootstrap=0, **options)
    return str(err.value)


def _nested_columns(tmp_path: Path) -> dict[str, tuple[Path, dict, str]]:
    """Parquet files whose id, label, prediction or weight column is a struct or a list:
    (file, options, the column)."""
    out = {}
    struct = pa.array([{"v": str(i)} for i in range(4)])
    lists = pa.array([[str(i)] for i in range(4)])
    for column, values in (("id", struct), ("id", lists), ("label", struct), ("w", struct), ("w", lists)):
        table = {"id": IDS, "label": ["x", "y", "x", "y"], "x": [0.1, 0.8, 0.3, 0.6], "w": [1.0, 2.0, 1.0, 1.0]}
        table[column] = values
        path = tmp_path / f"{column}_{'struct' if pa.types.is_struct(values.type) else 'list'}.parquet"
        pq.write_table(pa.table(table), path)
        out[path.stem] = (path, {"positive_class": "x", "weight_column": "w"}, column)
    path = tmp_path / "predicted_struct.parquet"
    pq.write_table(pa.table({"id": IDS, "label": ["x", "y", "x", "y"], "predicted": struct}), path)
    out[path.stem] = (path, {"predictions": path, "scores": None}, "predicted")
    return out


def _text_files(tmp_path: Path) -> dict[str, tuple[Path, dict, list[str]]]:
    """JSON Lines files with invalid UTF-8 in a string, and score cells of text that is not a
    number (a padded number) or that parses as NaN, with weights: (file, options, what the
    error names)."""
    bad = tmp_path / "utf8.jsonl"
    bad.write_bytes(b'{"id": "a", "label": "x", "x": 0.1}\n{"id": "b", "label": "y\xca", "x": 0.8}\n'
                    b'{"id": "c", "label": "x", "x": 0.3}\n')
    padded = tmp_path / "padded.jsonl"
    padded.write_text('{"id": "a", "label": "x", "x": "0.1", "w": 1}\n{"id": "b", "label": "y", "x": " 0.5", "w": 1}\n'
                      '{"id": "c", "label": "x", "x": "0.3", "w": 2}\n')
    nan = tmp_path / "nan.jsonl"
    nan.write_text('{"id": "a", "label": "x", "x": "0.1", "w": 1}\n{"id": "b", "label": "y", "x": "0.2", "w": 1}\n'
                   '{"id": "c", "label": "x", "x": "nan", "w": 2}\n')
    weight = tmp_path / "weight.jsonl"
    weight.write_text('{"id": "a", "label": "x", "x": 0.1, "w": "1"}\n{"id": "b", "label": "y", "x": 0.5, "w": "NaN"}\n')
    options = {"positive_class": "x"}
    return {
        "invalid utf-8": (bad, options, ["utf8.jsonl", "column 'label'", "line 2", "not UTF-8"]),
        "padded number": (padded, {**options, "weight_column": "w"},
                          ["padded.jsonl", "column 'x'", "row id 'b'", "' 0.5' is not a number"]),
        "text that parses as NaN": (nan, {**options, "weight_column": "w"},
                                    ["nan.jsonl", "column 'x'", "row id 'c'", "score is NaN"]),
        "weight text that parses as NaN": (weight, {**options, "weight_column": "w"},
                                           ["weight.jsonl", "column 'w'", "row id 'b'", "weight is NaN"]),
    }


@pytest.mark.parametrize("engine", ["memory", "duckdb"])
def test_nested_id_label_prediction_and_weight_columns_are_named(tmp_path, engine):
    for name, (path, options, column) in _nested_columns(tmp_path).items():
        text = _error(engine, path, **options)
        assert text.startswith(f"{path}: column {column!r}: "), (name, text)
        assert "column holds" in text and ("records" in text or "lists" in text), (name, text)


@pytest.mark.parametrize("engine", ["memory", "duckdb"])
def test_bad_text_in_json_lines_is_named(tmp_path, engine):
    for name, (path, options, named) in _text_files(tmp_path).items():
        text = _error(engine, path, **options)
        for part in named:
            assert part in text, (name, text)


def test_every_engine_gives_the_same_message(tmp_path):
    """The same file, the same line: the engines' readers differ, their checks do not."""
    for path, options, *_ in [*_nested_columns(tmp_path).values(), *_text_files(tmp_path).values()]:
        assert _error("memory", path, **dict(options)) == _error("duckdb", path, **dict(options)), path


def test_a_repeated_column_name_is_named_on_every_engine(tmp_path):
    csv = tmp_path / "twice.csv"
    csv.write_text("id,label,x,x\na,x,0.1,0.2\nb,y,0.8,0.3\n")
    table = pa.Table.from_arrays([pa.array(IDS), pa.array(["x", "y", "x", "y"]), pa.array([0.1] * 4),
                                  pa.array([0.2] * 4)], names=["id", "label", "x", "x"])
    parquet = tmp_path / "twice.parquet"
    pq.write_table(table, parquet)
    for path in (csv, parquet):
        for engine in ("memory", "duckdb"):
            text = _error(engine, path, positive_class="x")
            assert text == f"{path}: column 'x': the column name appears 2 times: rename all but one", text


def test_huge_weights_are_refused_before_their_sums_drift(tmp_path):
    path = tmp_path / "huge.parquet"
    pq.write_table(pa.table({"id": IDS, "label": ["x", "y", "x", "y"], "x": [0.1, 0.8, 0.3, 0.6],
                             "w": pa.array([2**63, 1, 1, 1], pa.uint64())}), path)
    for engine in ("memory", "duckdb"):
        text = _error(engine, path, positive_class="x", weight_column="w")
        assert "column 'w'" in text and "past 2**53" in text, text


def test_mutated_files_give_a_report_or_one_input_error(tmp_path):
    """Three hundred mutated inputs (every format, every kind of mutation) on the memory
    engine, and sixty on DuckDB: each a report or an InputError, nothing else."""
    seen = collections.Counter()
    for case in cases(seed=20261206, n=300):
        seen[case.fmt, outcome(case, tmp_path)] += 1
    for case in cases(seed=7, n=60):
        seen["duckdb", outcome(case, tmp_path, "duckdb")] += 1
    for fmt in FORMATS:  # the mutations leave some inputs valid and break others, in every format
        assert seen[fmt, "report"] and seen[fmt, "input error"], seen
    assert seen["duckdb", "report"] and seen["duckdb", "input error"], seen


def test_a_mutation_can_be_told_from_the_valid_input(tmp_path):
    """The valid inputs the mutations start from give reports (so a mutated input's error is
    the mutation's doing)."""
    for name, table, options, label_only in _bases(random.Random(0)):
        for fmt in FORMATS if name not in LISTS else ("jsonl", "parquet"):
            assert outcome(Case(name, fmt, encode(table, fmt), dict(options), label_only), tmp_path) == "report", \
                (name, fmt)


@pytest.fixture(scope="module")
def spark_session():
    pytest.importorskip("pyspark", reason="the spark extra is not installed")
    from reportgen.engines.spark import session

    yield session("local[2]")


def test_spark_gives_the_same_messages(spark_session, tmp_path):
    nested, text = _nested_columns(tmp_path), _text_files(tmp_path)
    files = [nested["id_struct"], nested["label_struct"], nested["w_list"], nested["predicted_struct"],
             text["invalid utf-8"], text["padded number"]]  # one of each check, a Spark build each
    for path, options, *_ in files:
        assert _error("spark", path, **dict(options)) == _error("memory", path, **dict(options)), path


def test_nested_metadata_columns_are_named_on_every_engine(tmp_path):
    ids = [f"r{i}" for i in range(60)]
    labels = tmp_path / "labels.parquet"
    pq.write_table(pa.table({"id": ids, "label": ["x", "y"] * 30, "x": [i / 60 for i in range(60)]}), labels)
    for column, values in (("id", pa.array([{"v": i} for i in ids])), ("g", pa.array([[1]] * 60))):
        table = {"id": ids, "g": ["a", "b", "c"] * 20}
        table[column] = values
        meta = tmp_path / f"meta_{column}.parquet"
        pq.write_table(pa.table(table), meta)
        texts = {_error(engine, labels, metadata=meta, slice_by=["g"], positive_class="x")
                 for engine in ("memory", "duckdb")}
        assert len(texts) == 1, texts
        assert texts.pop().startswith(f"{meta}: column {column!r}: "), column
