"""Synthetic label/score files for the benchmarks (vectorised; no loop over rows).

    python benchmarks/make_data.py --rows 1000000 --classes 20 --out /tmp/rg-bench
    python benchmarks/make_data.py --rows 50000 --classes 1000 --format parquet --round significant --out /tmp/rg-1k

Many classes: a softmax model whose true class gets ``--strength`` (default 2.5) added to a
standard-normal logit; ``--round decimals`` (6 decimals, the CSV default) or ``significant``
(6 significant digits, as many exporters write small probabilities).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq


def softmax_scores(rng: np.random.Generator, y: np.ndarray, k: int, strength: float) -> np.ndarray:
    logits = rng.standard_normal((len(y), k), dtype=np.float32)
    logits[np.arange(len(y)), y] += strength
    logits -= logits.max(axis=1, keepdims=True)
    np.exp(logits, out=logits)
    logits /= logits.sum(axis=1, keepdims=True)
    return logits


def rounded(p: np.ndarray, how: str) -> np.ndarray:
    """Scores as float64, rounded to 6 decimals or 6 significant digits (``none``: as drawn)."""
    p = p.astype(np.float64)
    if how == "decimals":
        return np.round(p, 6)
    if how == "significant":
        scale = 10.0 ** (5 - np.floor(np.log10(np.maximum(p, 1e-300))))
        return np.round(p * scale) / scale
    return p


def write(table: pa.Table, path: Path, fmt: str) -> None:
    if fmt == "csv":
        pacsv.write_csv(table, path.with_suffix(".csv"))
    else:
        pq.write_table(table, path.with_suffix(".parquet"))


def make(rows: int, classes: int, out: Path, fmt: str = "csv", seed: int = 0, int_ids: bool = False,
         skewed: bool = False, baseline: bool = False, weights: bool = False, list_column: bool = False,
         predictions: bool = False, strength: float = 2.5, round_to: str | None = None, groups: bool = False) -> None:
    """``weights``: a ``w`` column of fractional example weights in the labels file.
    ``list_column``: the model's scores also as Parquet twice, ``scores_columns.parquet``
    (one float32 column per class) and ``scores_list.parquet`` (the same values in one
    list column ``scores``), to compare the two shapes. ``predictions``: the model's
    argmax as hard labels (``predictions``: id,predicted), for the label-only build.
    ``groups``: a ``metadata`` file of id, region (5 values) and age_band (4 values), rows
    shuffled, for ``--group-by``."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    names = [f"class_{j:0{max(2, len(str(classes - 1)))}d}" for j in range(classes)]
    y = rng.integers(0, classes, rows)
    ids = pa.array(np.arange(rows))
    if not int_ids:
        ids = pc.binary_join_element_wise("r", pc.utf8_lpad(ids.cast(pa.string()), 7, "0"), "")
    label_columns = {"id": ids, "label": pa.array(np.array(names)[y])}
    if weights:
        label_columns["w"] = pa.array(np.round(rng.uniform(0.5, 2.0, rows), 3))
    write(pa.table(label_columns), out / "labels", fmt)
    if groups:
        other = np.random.default_rng(seed + 1)  # the labels and scores stay those made without --groups
        shuffled = other.permutation(rows)
        regions = np.array(["north", "south", "east", "west", "centre"])[other.integers(0, 5, rows)]
        bands = np.array(["18-29", "30-44", "45-64", "65+"])[other.integers(0, 4, rows)]
        write(pa.table({"id": ids.take(pa.array(shuffled)), "region": regions, "age_band": bands}), out / "metadata", fmt)
    order = rng.permutation(rows)
    models = [("scores", strength)] + ([("baseline_scores", strength - 1.0)] if baseline else [])
    for name, strength in models:
        p = softmax_scores(rng, y, classes, strength)
        if skewed:
            p **= 8
        p = p[order]
        columns = {"id": ids.take(pa.array(order))}
        how = round_to or ("none" if fmt == "parquet" else "decimals")
        for j, c in enumerate(names):
            columns[c] = pa.array(rounded(p[:, j], how) if how != "none" else p[:, j])
        write(pa.table(columns), out / name, fmt)
        if list_column and name == "scores":
            pq.write_table(pa.table({"id": columns["id"], **{c: pa.array(p[:, j]) for j, c in enumerate(names)}}),
                           out / "scores_columns.parquet")
            flat = pa.array(np.ascontiguousarray(p).ravel())
            offsets = pa.array(np.arange(0, rows * classes + 1, classes, dtype=np.int32))
            pq.write_table(pa.table({"id": columns["id"], "scores": pa.ListArray.from_arrays(offsets, flat)}),
                           out / "scores_list.parquet")
            (out / "classes.txt").write_text("\n".join(names) + "\n")
        if predictions and name == "scores":  # the same model as hard labels: its argmax, rows in the same order
            predicted = pa.array(np.array(names)[p.argmax(axis=1)])
            write(pa.table({"id": columns["id"], "predicted": predicted}), out / "predictions", fmt)


def make_large(rows: int, classes: int, out: Path, seed: int = 0, skewed: bool = False,
               chunk: int = 5_000_000) -> None:
    """Parquet at any size in bounded memory: chunks of ``chunk`` rows, integer ids. The
    scores file lists the chunks in another order and each chunk's rows shuffled, so the
    two files' row orders differ throughout."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    names = [f"class_{j:02d}" for j in range(classes)]
    starts = list(range(0, rows, chunk))
    label_schema = pa.schema([("id", pa.int64()), ("label", pa.string())])
    score_schema = pa.schema([("id", pa.int64())] + [(c, pa.float32()) for c in names])
    truth = {}
    with pq.ParquetWriter(out / "labels.parquet", label_schema) as writer:
        for start in starts:
            y = rng.integers(0, classes, min(chunk, rows - start))
            truth[start] = y
            ids = np.arange(start, start + len(y))
            writer.write_table(pa.table({"id": ids, "label": pa.array(np.array(names)[y])}, schema=label_schema))
    with pq.ParquetWriter(out / "scores.parquet", score_schema) as writer:
        for start in rng.permutation(starts):
            y = truth.pop(int(start))
            p = softmax_scores(rng, y, classes, 2.5)
            if skewed:
                p **= 8
            order = rng.permutation(len(y))
            columns = {"id": np.arange(start, start + len(y))[order], **{c: p[order, j] for j, c in enumerate(names)}}
            writer.write_table(pa.table(columns, schema=score_schema), row_group_size=1 << 20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--classes", type=int, default=20)
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--out", default="/tmp/rg-bench")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--int-ids", action="store_true")
    parser.add_argument("--skewed", action="store_true", help="raise every score to the 8th power")
    parser.add_argument("--baseline", action="store_true", help="also a weaker model's scores")
    parser.add_argument("--strength", type=float, default=2.5, help="logit added to the true class")
    parser.add_argument("--round", choices=("decimals", "significant", "none"), default=None,
                        help="6 decimals or 6 significant digits (default: decimals in CSV, none in Parquet)")
    parser.add_argument("--weights", action="store_true", help="a column w of fractional example weights in the labels")
    parser.add_argument("--list-column", action="store_true",
                        help="also the scores as Parquet: one column per class, and one list column")
    parser.add_argument("--groups", action="store_true",
                        help="also a metadata file (id, region, age_band) for --group-by")
    parser.add_argument("--predictions", action="store_true",
                        help="also the model's hard labels (predictions: id,predicted, the argmax of its scores)")
    parser.add_argument("--large", action="store_true",
                        help="Parquet with integer ids written in chunks: any --rows in bounded memory")
    args = parser.parse_args()
    start = time.perf_counter()
    if args.large:
        make_large(args.rows, args.classes, Path(args.out), args.seed, args.skewed)
    else:
        make(args.rows, args.classes, Path(args.out), args.format, args.seed, args.int_ids, args.skewed, args.baseline,
             args.weights, args.list_column, args.predictions, strength=args.strength, round_to=args.round,
             groups=args.groups)
    print(f"wrote {args.rows:,} rows x {args.classes} classes to {args.out} in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
