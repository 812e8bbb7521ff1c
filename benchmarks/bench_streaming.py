"""The whole report on the streaming engines: a baseline, the default bootstrap, two
slice columns and a split column, against DuckDB alone joining the files, and the same
JSON on every engine.

    python benchmarks/bench_streaming.py --rows 10000000 --data /tmp/rg-stream [--repeat 3]
    python benchmarks/bench_streaming.py --rows 10000000 --data /tmp/rg-stream --plain [--repeat 3]
    python benchmarks/bench_streaming.py --rows 100000000 --data /tmp/rg-stream-100m --repeat 1
    python benchmarks/bench_streaming.py --rows 2000000 --data /tmp/rg-stream-2m --identical [--spark]

Data (Parquet, made here in chunks of 1M rows with pyarrow's ParquetWriter, in bounded
memory: 100M rows need about 1 GB): 20 classes of float32 softmax scores for a model and
a weaker baseline, integer ids, labels with a split column (`split`: train, valid, test),
a metadata file with a text column (`region`, 6 values) and a numeric one (`age`, cut
into quantile bins); labels, scores, baseline and metadata each list the rows in another
order (chunks shuffled, rows shuffled in each chunk).

Timing: `reportgen build --engine duckdb --baseline-scores ... --metadata ... --slice-by
region --slice-by age` (1,000 resamples; `--split` adds `--split-column split`) in a fresh process, wall
time and peak memory of its process tree (sampled from /proc every 10 ms, children
included), against DuckDB alone joining the labels, both score files and the metadata by
id and reading every score once (files in the page cache, the best of three fresh
processes; with DuckDB's default memory, and once more under the build's limit),
alternating in the same run. A run that fails (DuckDB out of its limit) is reported as such.

`--plain`: the labels and the model's scores only: the build with the default bootstrap
and with `--no-bootstrap`, against DuckDB joining the two files and reading every score.

`--identical` (with the split column): the metrics JSON of `--engine memory`, `duckdb` (and `spark` with
`--spark`) are compared on every key but `engine`: integers and text equal, floats to
1e-12.
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_build import CHILD, reportgen_command  # noqa: E402
from make_data import softmax_scores  # noqa: E402

from reportgen.engines.duck import default_memory_limit  # noqa: E402

CHUNK = 1_000_000
CLASSES = 20

JOIN_SCAN = """
import sys, time, duckdb, pyarrow.parquet as pq
d, plain = sys.argv[1], sys.argv[2] == "plain"
columns = [c for c in pq.ParquetFile(f"{d}/scores.parquet").schema_arrow.names if c != "id"]
if plain:
    sums = [f's."{c}"' for c in columns]
    sql = (f"SELECT count(*), count(DISTINCT l.label), " + ", ".join(f"sum({c})" for c in sums) +
           f" FROM '{d}/labels.parquet' l JOIN '{d}/scores.parquet' s USING (id)")
else:
    sums = [f's."{c}"' for c in columns] + [f'b."{c}"' for c in columns]
    sql = (f"SELECT count(*), count(DISTINCT m.region), avg(m.age), " + ", ".join(f"sum({c})" for c in sums) +
           f" FROM '{d}/labels.parquet' l JOIN '{d}/scores.parquet' s USING (id) JOIN '{d}/baseline.parquet' b USING (id)"
           f" JOIN '{d}/metadata.parquet' m USING (id)")
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
if len(sys.argv) > 3:
    con.execute(f"SET memory_limit = '{sys.argv[3]}'")
start = time.perf_counter()
con.execute(sql).fetchall()
print(time.perf_counter() - start)
"""


def join_scan(data: Path, memory_limit: str | None = None, tries: int = 3, plain: bool = False
              ) -> tuple[float, float]:
    """(best seconds of ``tries`` fresh runs, peak MB) of DuckDB alone joining the four
    files (``plain``: the labels and the scores) and reading every score once (under
    ``memory_limit`` when given)."""
    runs = [fresh([sys.executable, "-c", JOIN_SCAN, str(data), "plain" if plain else "all",
                   *([memory_limit] if memory_limit else [])], stdout=True) for _ in range(tries)]
    return min(float(out) for _, _, out in runs), max(peak for _, peak, _ in runs)


def make(out: Path, rows: int, seed: int = 0) -> None:
    """The four Parquet files (see the module's docstring), a chunk of rows at a time."""
    if (out / "metadata.parquet").exists() and pq.ParquetFile(out / "metadata.parquet").metadata.num_rows == rows:
        return
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    names = [f"class_{j:02d}" for j in range(CLASSES)]
    starts = list(range(0, rows, CHUNK))
    truth = {s: rng.integers(0, CLASSES, min(CHUNK, rows - s)) for s in starts}
    regions = np.array(["north", "south", "east", "west", "centre", "islands"])
    splits = np.array(["train", "valid", "test"])
    schemas = {
        "labels": pa.schema([("id", pa.int64()), ("label", pa.string()), ("split", pa.string())]),
        "scores": pa.schema([("id", pa.int64())] + [(c, pa.float32()) for c in names]),
        "baseline": pa.schema([("id", pa.int64())] + [(c, pa.float32()) for c in names]),
        "metadata": pa.schema([("id", pa.int64()), ("region", pa.string()), ("age", pa.float64())]),
    }
    for name, schema in schemas.items():
        with pq.ParquetWriter(out / f"{name}.parquet", schema) as writer:
            for start in rng.permutation(starts):
                y = truth[int(start)]
                order = rng.permutation(len(y))
                ids = np.arange(start, start + len(y))[order]
                if name == "labels":
                    columns = {"id": ids, "label": np.array(names)[y[order]],
                               "split": splits[rng.choice(3, len(y), p=[0.8, 0.1, 0.1])]}
                elif name == "metadata":
                    region = regions[rng.integers(0, len(regions), len(y))]
                    columns = {"id": ids, "region": region, "age": np.round(rng.gamma(4.0, 9.0, len(y)), 1)}
                else:
                    p = softmax_scores(rng, y[order], CLASSES, 2.5 if name == "scores" else 1.6).astype(np.float32)
                    columns = {"id": ids, **{c: p[:, j] for j, c in enumerate(names)}}
                writer.write_table(pa.table(columns, schema=schema), row_group_size=1 << 20)


def build(data: Path, engine: str, out: Path, plain: bool = False, split: bool = False) -> list[str]:
    """The build's command: the whole report (``split``: with the split column), or
    (``plain``) the labels and scores alone."""
    command = [*reportgen_command(), "build", "--engine", engine, "-q", "--labels", str(data / "labels.parquet"),
               "--scores", str(data / "scores.parquet"),
               "--out", str(out / f"{engine}.html"), "--metrics-json", str(out / f"{engine}.json")]
    if plain:
        return command
    return command + ["--baseline-scores", str(data / "baseline.parquet"), "--metadata", str(data / "metadata.parquet"),
                      "--slice-by", "region", "--slice-by", "age"] + (["--split-column", "split"] if split else [])


def fresh(command: list[str], stdout: bool = False):
    """(seconds, peak MB of the process tree) of one command in a fresh process; with
    ``stdout``, its output too."""
    done = subprocess.run([sys.executable, "-c", CHILD, *command], capture_output=True, text=True)
    *printed, wall, rss_kb, tree_kb, code = done.stdout.split()
    if code != "0":
        raise SystemExit(f"failed: {' '.join(command)}\n{done.stderr}")
    measured = float(wall), max(int(rss_kb), int(tree_kb)) / 1024
    return (*measured, " ".join(printed)) if stdout else measured


def attempt(run):
    """``run()``, or None when the command it runs fails (its error is printed)."""
    try:
        return run()
    except SystemExit as failed:
        print(str(failed).strip().splitlines()[-1])
        return None


def differences(a, b, path: str = "") -> list[str]:
    """Where two JSON values differ (floats to 1e-12)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return [f"{path}: keys {sorted(set(a) ^ set(b))}"]
        return [d for k in a for d in differences(a[k], b[k], f"{path}/{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} against {len(b)} items"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]")]
    if isinstance(a, float) and isinstance(b, float):
        return [] if math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12) else [f"{path}: {a!r} against {b!r}"]
    return [] if a == b else [f"{path}: {a!r} against {b!r}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--data", type=Path, default=Path("/tmp/rg-stream"))
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--identical", action="store_true", help="compare the engines' JSON instead of timing")
    parser.add_argument("--spark", action="store_true", help="with --identical: Spark too")
    parser.add_argument("--memory-limit", help="the build's --memory-limit (default: reportgen's own)")
    parser.add_argument("--split", action="store_true", help="the build with --split-column split too")
    parser.add_argument("--plain", action="store_true", help="time the labels and scores alone, with and "
                        "without the bootstrap")
    args = parser.parse_args()
    make(args.data, args.rows)
    out = args.data / "out"
    out.mkdir(exist_ok=True)
    if args.identical:
        engines = ["memory", "duckdb"] + (["spark"] if args.spark else [])
        reports = {}
        for engine in engines:
            wall, peak = fresh(build(args.data, engine, out, split=True))
            reports[engine] = json.loads((out / f"{engine}.json").read_text())
            print(f"{engine}: {wall:.1f} s, peak {peak:,.0f} MB")
        first = reports.pop("memory")
        first.pop("engine")
        first["meta"].pop("generated_at", None)
        for engine, report in reports.items():
            report.pop("engine")
            report["meta"].pop("generated_at", None)
            found = differences(first, report)
            keys = ", ".join(k for k in ("intervals", "churn", "slices", "confident_mistakes", "label_issues",
                                         "selection") if report.get(k))
            print(f"{'IDENTICAL' if not found else 'DIFFERENT'}  memory vs {engine} on {args.rows:,} rows "
                  f"({len(first)} keys, with {keys})")
            for line in found[:10]:
                print("   ", line)
        return
    extra = ["--memory-limit", args.memory_limit] if args.memory_limit else []
    if args.plain:
        plain(args, out, extra)
        return
    scans, bounded, runs = [], [], []
    for _ in range(args.repeat):
        scans.append(join_scan(args.data))
        bounded.append(attempt(lambda: join_scan(args.data, args.memory_limit or default_memory_limit(), tries=1)))
        runs.append(attempt(lambda: fresh(build(args.data, "duckdb", out, split=args.split) + extra)))
    if None in runs or None in bounded:
        print(f"failed under DuckDB's {args.memory_limit or default_memory_limit()} limit: "
              f"{'the build' if None in runs else ''} {'the join and scan' if None in bounded else ''}")
        runs, bounded = [r for r in runs if r] or [(math.inf, math.nan)], [b for b in bounded if b] or [(math.inf, 0)]
        if not any(r for r in runs):
            return
    scan, wall = statistics.median(s[0] for s in scans), statistics.median(r[0] for r in runs)
    peak = max(r[1] for r in runs)
    report = json.loads((out / "duckdb.json").read_text())
    limit = args.memory_limit or default_memory_limit()
    print(f"{args.rows:,} rows x {CLASSES} classes, a baseline, 2 slice columns ({len(report['slices'])} slices), "
          f"{report['intervals']['n_resamples']} resamples, mode {report['engine']['mode']}")
    print(f"DuckDB join and scan of the four files: {scan:.2f} s (best of 3 fresh runs, median of {args.repeat}), "
          f"peak {max(s[1] for s in scans):,.0f} MB")
    print(f"the same under DuckDB's {limit} limit: {statistics.median(b[0] for b in bounded):.2f} s, "
          f"peak {max(b[1] for b in bounded):,.0f} MB")
    print(f"reportgen --engine duckdb ({limit}): {wall:.1f} s (median of {args.repeat}), peak {peak:,.0f} MB, "
          f"ratio {wall / scan:.1f}")
    print(f"{'PASS' if wall <= 4 * scan else 'FAIL'}  at most 4x the join and scan")
    print(f"{'PASS' if peak < 4096 else 'FAIL'}  peak memory under 4 GB")


def plain(args, out: Path, extra: list[str]) -> None:
    """The labels and scores alone: the build with and without the bootstrap against
    DuckDB's join of the two files, alternating, medians of ``args.repeat``."""
    scans, runs, quick = [], [], []
    for _ in range(args.repeat):
        scans.append(join_scan(args.data, plain=True))
        runs.append(fresh(build(args.data, "duckdb", out, plain=True) + extra))
        quick.append(fresh(build(args.data, "duckdb", out, plain=True) + extra + ["--no-bootstrap"]))
    scan = statistics.median(s[0] for s in scans)
    print(f"{args.rows:,} rows x {CLASSES} classes, labels and scores only")
    print(f"DuckDB join and scan of the two files: {scan:.2f} s (best of 3 fresh runs, median of {args.repeat}), "
          f"peak {max(s[1] for s in scans):,.0f} MB")
    for name, found, target in (("default bootstrap", runs, 6), ("--no-bootstrap", quick, 4)):
        wall = statistics.median(r[0] for r in found)
        print(f"reportgen --engine duckdb, {name}: {wall:.1f} s (median of {args.repeat}; runs "
              f"{', '.join(f'{r[0]:.1f}' for r in found)}), peak {max(r[1] for r in found):,.0f} MB, "
              f"ratio {wall / scan:.1f}")
        print(f"{'PASS' if wall <= target * scan else 'FAIL'}  at most {target}x the join and scan")


if __name__ == "__main__":
    main()
