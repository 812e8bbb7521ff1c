"""Would a positional path pay? Files written by one pipeline often list their ids in the
same order; then each labels batch could be paired with the scores batch at the same
place (its ids checked), with no hash join. This measures what such a path could save:
DuckDB joining the labels and one model's scores by id (the labels as the build side, as
the per-model join does) against pairing the same two files by position and checking
every id, each reading every score once, on files that list the ids in the same order.

    python benchmarks/bench_positional.py --data /tmp/rg-stream [--repeat 3]

The data are bench_streaming.py's (``make`` there); the labels are first rewritten in the
scores' order (``labels_in_score_order.parquet`` beside them). Timing: fresh processes,
files in the page cache, alternating, medians; the saving is then set against the plain
build's wall time (``bench_streaming.py --plain``) by whoever reads the two.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_streaming import make  # noqa: E402

RUN = """
import sys, time, duckdb, pyarrow.parquet as pq
d, way = sys.argv[1], sys.argv[2]
columns = [c for c in pq.ParquetFile(f"{d}/scores.parquet").schema_arrow.names if c != "id"]
sums = ", ".join(f'sum(s."{c}")' for c in columns)
if way == "hash":
    sql = (f"SELECT count(*), count(DISTINCT l.label), {sums} FROM '{d}/labels_in_score_order.parquet' l "
           f"JOIN '{d}/scores.parquet' s USING (id)")
else:
    sql = (f"SELECT count(*), count(DISTINCT l.label), sum(CASE WHEN l.id = s.id THEN 0 ELSE 1 END), {sums} "
           f"FROM '{d}/labels_in_score_order.parquet' l POSITIONAL JOIN '{d}/scores.parquet' s")
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
start = time.perf_counter()
row = con.execute(sql).fetchall()[0]
if way == "positional" and row[2]:
    raise SystemExit("ids differ by position")
print(time.perf_counter() - start)
"""


def same_order(data: Path) -> Path:
    """The labels rewritten in the scores file's row order."""
    out = data / "labels_in_score_order.parquet"
    if out.exists() and pq.ParquetFile(out).metadata.num_rows == pq.ParquetFile(data / "labels.parquet").metadata.num_rows:
        return out
    import duckdb

    con = duckdb.connect()
    con.execute(f"COPY (SELECT l.* FROM (SELECT id, row_number() OVER () AS place FROM '{data}/scores.parquet') s "
                f"JOIN '{data}/labels.parquet' l USING (id) ORDER BY place) TO '{out}' (FORMAT parquet)")
    return out


def timed(data: Path, way: str) -> float:
    done = subprocess.run([sys.executable, "-c", RUN, str(data), way], capture_output=True, text=True, check=True)
    return float(done.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--data", type=Path, default=Path("/tmp/rg-stream"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    make(args.data, args.rows)
    same_order(args.data)
    hashed, positional = [], []
    for _ in range(args.repeat):
        hashed.append(timed(args.data, "hash"))
        positional.append(timed(args.data, "positional"))
    h, p = statistics.median(hashed), statistics.median(positional)
    print(f"{args.rows:,} rows, labels and one model's scores listed in the same order")
    print(f"hash join by id (labels as the build side): {h:.2f} s (median of {args.repeat}: "
          f"{', '.join(f'{x:.2f}' for x in hashed)})")
    print(f"positional pairing, every id checked: {p:.2f} s (median of {args.repeat}: "
          f"{', '.join(f'{x:.2f}' for x in positional)})")
    print(f"what a positional path could save per model pass: {h - p:.2f} s")


if __name__ == "__main__":
    main()
