"""Mutated input files, seeded: what a reader of CSV, JSON Lines and Parquet must survive.

``cases(seed, n)`` makes ``n`` small inputs (40 rows) from six valid ones (binary with
weights, multiclass, multilabel names joined by ``|``, multilabel names as a list, a list
column of scores, hard-label predictions), each written as CSV, JSON Lines or Parquet and
then mutated once: bytes flipped, inserted or cut away, the file truncated, lines
repeated or dropped, a cell rewritten (empty, NaN as text, padded numbers, huge numbers,
invalid UTF-8, nested JSON, ...), a column given another type (structs, lists, maps,
binary, dates, decimals, dictionaries, nulls, ...), dropped, renamed or repeated.
``outcome(case, folder, engine)`` runs ``reportgen.evaluate_files`` on it and returns
``"report"`` or ``"input error"``; any other exception propagates (a reader's bug).

Used by tests/test_fuzz.py (a few hundred cases) and benchmarks/fuzz_readers.py (thousands).
"""
from __future__ import annotations

import decimal
import io
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

import reportgen
from reportgen.errors import InputError

ROWS = 40
FORMATS = ("csv", "jsonl", "parquet")
CLASSES = ("a", "b", "c")
LISTS = {"score list", "label lists"}  # inputs with list columns, which CSV cannot hold


@dataclass(frozen=True)
class Case:
    """One input file (its bytes) and how to evaluate it."""

    name: str
    fmt: str
    data: bytes
    options: dict[str, Any] = field(default_factory=dict)
    predictions: bool = False  # the file is labels plus hard-label predictions (no scores)


# ---------------------------------------------------------------- the valid inputs


def _bases(rng: random.Random) -> list[tuple[str, pa.Table, dict[str, Any], bool]]:
    """(name, table, options, label-only) of each valid input."""
    ids = [f"r{i}" for i in range(ROWS)]
    pick = [rng.randrange(3) for _ in range(ROWS)]
    probs = []
    for j in pick:
        raw = [rng.random() + (1.5 if c == j else 0.0) for c in range(3)]
        total = sum(raw)
        probs.append([round(v / total, 4) for v in raw])
    weights = [round(rng.uniform(0.1, 3.0), 3) for _ in range(ROWS)]
    sets = [[c for c in CLASSES if rng.random() < 0.4] for _ in range(ROWS)]
    columns = {c: [p[j] for p in probs] for j, c in enumerate(CLASSES)}
    binary = pa.table({"id": ids, "label": ["pos" if j == 0 else "neg" for j in pick],
                       "pos": columns["a"], "w": weights})
    multiclass = pa.table({"id": ids, "label": [CLASSES[j] for j in pick], **columns})
    multilabel = pa.table({"id": ids, "labels": ["|".join(s) for s in sets], **columns})
    label_lists = pa.table({"id": ids, "labels": pa.array(sets, pa.list_(pa.string())), **columns})
    score_list = pa.table({"id": ids, "label": [CLASSES[j] for j in pick],
                           "scores": pa.array(probs, pa.list_(pa.float64())), "w": weights})
    guessed = [CLASSES[j] if rng.random() < 0.7 else CLASSES[rng.randrange(3)] for j in pick]
    predictions = pa.table({"id": ids, "label": [CLASSES[j] for j in pick], "predicted": guessed, "w": weights})
    return [
        ("binary", binary, {"weight_column": "w", "positive_class": "pos"}, False),
        ("multiclass", multiclass, {}, False),
        ("multilabel", multilabel, {}, False),
        ("label lists", label_lists, {}, False),
        ("score list", score_list, {"classes": CLASSES, "weight_column": "w"}, False),
        ("predictions", predictions, {"weight_column": "w"}, True),
    ]


# ---------------------------------------------------------------- writers


def _cell_json(value: Any) -> str:
    if isinstance(value, bytes):
        return json.dumps(value.decode("latin-1"))
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {_cell_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_cell_json(v) for v in value) + "]"
    if isinstance(value, float) and value != value:
        return "NaN"
    try:
        return json.dumps(value, default=str)
    except (TypeError, ValueError):
        return json.dumps(str(value))


def _cell_csv(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple, dict)):
        text = json.dumps(value, default=str)
    elif isinstance(value, bytes):
        text = value.decode("latin-1")
    else:
        text = str(value)
    if any(ch in text for ch in ',"\n\r'):
        text = '"' + text.replace('"', '""') + '"'
    return text


def cells(table: pa.Table, fmt: str) -> list[list[str]]:
    """The header and every row of ``table`` as raw text cells (CSV) or raw JSON values."""
    write = _cell_csv if fmt == "csv" else _cell_json
    rows = table.to_pylist()
    header = [str(name) for name in table.column_names]
    return [header] + [[write(row[name]) for name in table.column_names] for row in rows]


def render(grid: list[list[str]], fmt: str) -> bytes:
    """Raw cells back into a CSV or JSON Lines file (a cell may be any text, even invalid)."""
    header, rows = grid[0], grid[1:]
    if fmt == "csv":
        lines = [",".join(_cell_csv(h) for h in header)] + [",".join(r) for r in rows]
    else:
        lines = ["{" + ", ".join(f"{json.dumps(h)}: {v}" for h, v in zip(header, r)) + "}" for r in rows]
    return ("\n".join(lines) + "\n").encode("utf-8", "surrogateescape")


def parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


# ---------------------------------------------------------------- mutations

NASTY_TEXT = ["", " ", "nan", "NaN", " 0.5", "0.5 ", "inf", "-inf", "1e400", "-1", "2", "0x10", "1,5", "null",
              "None", "N/A", "true", "a|b", "|", "zz", "a|zz", "\u00e9t\u00e9", "\udcca", "\udcff\udcfe", "x" * 500,
              "\"", "a\nb", "\t", "0", "1", "-0", "1e-400", "\u0660"]
NASTY_JSON = ["null", "\"\"", "\"nan\"", "NaN", "\" 0.5\"", "\"0.5 \"", "Infinity", "-Infinity", "1e999", "-1", "2",
              "true", "false", "[]", "[1, 2]", "[\"a\", \"b\"]", "[\"zz\"]", "[null]", "[[\"a\"]]", "{}",
              "{\"v\": \"a\"}", "[{\"label\": \"a\"}]", "\"a|zz\"", "\"\udcca\"", "\"x\udcff\"", "12345678901234567890123",
              "0.5", "\"0.5\"", "\"a\"", "[0.2, 0.3]", "[0.1, 0.2, 0.3, 0.4]", "[\"0.1\", 0.5, 0.4]", "-0", "1e-400",
              "\"\\u0000\"", "[1e999, 0, 0]", "[-1, 1, 1]", "[5]", "[-1]"]


def _retyped(column: pa.ChunkedArray, rng: random.Random) -> pa.Array:
    """The column's values under another Arrow type (structs, lists, maps, binary, ...)."""
    values = column.to_pylist()
    text = [None if v is None else str(v) for v in values]
    n = len(values)
    choices: list[Callable[[], pa.Array]] = [
        lambda: pa.array([{"v": t} for t in text], pa.struct([("v", pa.string())])),
        lambda: pa.array([[t] for t in text], pa.list_(pa.string())),
        lambda: pa.array([[i, i + 1] for i in range(n)], pa.list_(pa.int64())),
        lambda: pa.array([[0.5] * 3 for _ in range(n)], pa.large_list(pa.float64())),
        lambda: pa.array([[0.2, 0.3, 0.5] for _ in range(n)], pa.list_(pa.float32(), 3)),
        lambda: pa.array([[{"label": "a", "score": 0.5}] for _ in range(n)],
                         pa.list_(pa.struct([("label", pa.string()), ("score", pa.float64())]))),
        lambda: pa.array([[("k", 1)] for _ in range(n)], pa.map_(pa.string(), pa.int64())),
        lambda: pa.array([None if t is None else t.encode() for t in text], pa.binary()),
        lambda: pa.array([i % 2 == 0 for i in range(n)], pa.bool_()),
        lambda: pa.array(range(n), pa.int8()),
        lambda: pa.array([2**63 + i for i in range(n)], pa.uint64()),
        lambda: pa.array([i * 0.01 for i in range(n)], pa.float32()),
        lambda: pa.array([None] * n, pa.null()),
        lambda: pa.array([None] * n, pa.string()),
        lambda: pa.array(text, pa.large_string()),
        lambda: pa.array(text, pa.string()).dictionary_encode(),
        lambda: pa.array(range(n), pa.date32()),
        lambda: pa.array(range(n), pa.timestamp("ms")),
        lambda: pa.array(range(n), pa.duration("s")),
        lambda: pa.array([[] for _ in range(n)], pa.list_(pa.string())),
        lambda: pa.array([[None] for _ in range(n)], pa.list_(pa.string())),
        lambda: pa.array([[[t]] for t in text], pa.list_(pa.list_(pa.string()))),
    ]
    choices.append(lambda: pa.array([decimal.Decimal(i) / 100 for i in range(n)], pa.decimal128(6, 2)))
    return rng.choice(choices)()


def _mutate_table(table: pa.Table, rng: random.Random) -> tuple[str, pa.Table]:
    """A schema-level change: a column retyped, dropped, renamed, repeated, or rows removed."""
    names = table.column_names
    i = rng.randrange(len(names))
    what = rng.choice(["retype", "retype", "retype", "drop", "rename", "repeat", "empty", "one row", "nulls"])
    if what == "retype":
        return f"retype {names[i]}", table.set_column(i, names[i], _retyped(table.column(i), rng))
    if what == "drop":
        return f"drop {names[i]}", table.remove_column(i)
    if what == "rename":
        return f"rename {names[i]}", table.rename_columns([n if j != i else rng.choice(["label", "id", "x", "pos", ""])
                                                          for j, n in enumerate(names)])
    if what == "repeat":
        return f"repeat {names[i]}", table.append_column(names[i], table.column(i))
    if what == "empty":
        return "no rows", table.slice(0, 0)
    if what == "one row":
        return "one row", table.slice(rng.randrange(table.num_rows), 1)
    column = table.column(i)
    mask = pa.array([rng.random() < 0.3 for _ in range(table.num_rows)])
    return f"nulls in {names[i]}", table.set_column(i, names[i], pc.if_else(mask, pa.nulls(len(column), column.type), column))


def _mutate_bytes(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    """A byte-level change: flips, insertions, cuts, truncation, repeated or dropped lines."""
    buf = bytearray(data)
    what = rng.choice(["flip", "flip", "insert", "cut", "truncate", "lines"])
    if what == "flip":
        for _ in range(rng.randint(1, 8)):
            buf[rng.randrange(len(buf))] = rng.randrange(256)
    elif what == "insert":
        at = rng.randrange(len(buf) + 1)
        buf[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    elif what == "cut":
        at = rng.randrange(len(buf))
        del buf[at:at + rng.randint(1, 64)]
    elif what == "truncate":
        del buf[rng.randrange(len(buf)):]
    else:
        lines = bytes(buf).split(b"\n")
        j = rng.randrange(len(lines))
        if rng.random() < 0.5:
            lines.insert(j, lines[j])
        else:
            del lines[j]
        buf = bytearray(b"\n".join(lines))
    return f"bytes {what}", bytes(buf)


def _mutate_cell(table: pa.Table, fmt: str, rng: random.Random) -> tuple[str, bytes]:
    """A few cells of a text file rewritten with nasty values."""
    grid = cells(table, fmt)
    column = rng.randrange(len(grid[0]))
    for _ in range(rng.randint(1, 3)):
        row = rng.randrange(1, len(grid))
        grid[row][column] = rng.choice(NASTY_TEXT if fmt == "csv" else NASTY_JSON)
        if fmt == "csv":
            grid[row][column] = _cell_csv(grid[row][column])
    return f"cell {grid[0][column]}", render(grid, fmt)


def encode(table: pa.Table, fmt: str) -> bytes:
    return parquet_bytes(table) if fmt == "parquet" else render(cells(table, fmt), fmt)


def cases(seed: int, n: int, formats: tuple[str, ...] = FORMATS) -> list[Case]:
    """``n`` mutated inputs, the same for the same seed."""
    rng = random.Random(seed)
    bases = _bases(rng)
    out = []
    for k in range(n):
        name, table, options, label_only = bases[k % len(bases)]
        fmt = formats[(k // len(bases)) % len(formats)]
        if fmt == "csv" and name in LISTS:
            fmt = "jsonl" if "jsonl" in formats else fmt
        kind = rng.choice(["bytes", "cell", "table"] if fmt != "parquet" else ["bytes", "table", "table"])
        if kind == "bytes":
            how, data = _mutate_bytes(encode(table, fmt), rng)
        elif kind == "cell":
            how, data = _mutate_cell(table, fmt, rng)
        else:
            how, changed = _mutate_table(table, rng)
            try:
                data = encode(changed, fmt)
            except (pa.ArrowException, TypeError, ValueError):  # a table its writer cannot write
                how, data = _mutate_bytes(encode(table, fmt), rng)
        out.append(Case(f"{k}: {name} {fmt}: {how}", fmt, data, dict(options), label_only))
    return out


def outcome(case: Case, folder: Path, engine: str = "memory") -> str:
    """``"report"`` (its metrics JSON written and checked) or ``"input error"``."""
    path = folder / f"input.{case.fmt}"
    path.write_bytes(case.data)
    try:
        if case.predictions:
            evaluation = reportgen.evaluate_files(path, predictions=path, engine=engine, n_bootstrap=0, **case.options)
        else:
            evaluation = reportgen.evaluate_files(path, path, engine=engine, n_bootstrap=0, **case.options)
        evaluation.to_json()
    except InputError as err:
        text = str(err)
        assert "\n" not in text and text, case.name
        return "input error"
    return "report"
