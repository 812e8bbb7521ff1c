"""The out-of-core engines against their references, measured in the same run.

    python benchmarks/bench_engines.py duckdb --data /tmp/rg-10m [--repeat 2] [--memory-limit 3GB]
    python benchmarks/bench_engines.py spark --data /tmp/rg-10m [--evaluator-classes 1] [--whole]

duckdb: the reference is DuckDB alone joining the two Parquet files and reading every
score once (``SELECT count(*), sum(each class) FROM labels JOIN scores USING (id)``),
warm (the best of three in one process). Each ``reportgen build --engine duckdb`` runs in
a fresh process: wall time and peak resident memory of the process and its children; so
does the statistics pass alone (``DuckEngine.statistics``: the join streamed, validated
and counted, no metrics, analyses or page), the part the per-batch counting decides.

spark: the reference is Spark's own ``BinaryClassificationEvaluator`` computing ROC AUC
one class at a time on local[2] (start, join and cache, then one evaluation per class;
``--evaluator-classes`` are timed and the rest extrapolated). The build is
``reportgen build --engine spark --spark-master local[2]`` in a fresh process; with
``--whole`` the whole report of ``bench_streaming.py``'s data (its baseline, and its
metadata sliced by region and age) against the evaluator over the one model's classes.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_build import CHILD, reportgen_command  # noqa: E402

JOIN_SCAN = """
import sys, time, duckdb, pyarrow.parquet as pq
labels, scores = sys.argv[1], sys.argv[2]
columns = [c for c in pq.ParquetFile(scores).schema_arrow.names if c != "id"]
sums = ", ".join(f'sum("{c}")' for c in columns)
sql = f"SELECT count(*), {sums} FROM '{labels}' JOIN '{scores}' USING (id)"
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
if len(sys.argv) > 3:
    con.execute(f"SET memory_limit = '{sys.argv[3]}'")
best = float("inf")
for _ in range(3):
    start = time.perf_counter()
    con.execute(sql).fetchall()
    best = min(best, time.perf_counter() - start)
print(best)
"""

STATISTICS = """
import sys
from reportgen.engines.duck import DuckEngine
from reportgen.options import Options
engine = DuckEngine(Options(), memory_limit=sys.argv[3] if len(sys.argv) > 3 else None)
engine.statistics(sys.argv[1], sys.argv[2], False)
engine.close()
"""

EVALUATOR = """
import sys, time
start = time.perf_counter()
from pyspark.sql import SparkSession, functions as F
from pyspark.ml.evaluation import BinaryClassificationEvaluator
spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
         .config("spark.driver.memory", "4g").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
labels = spark.read.parquet(sys.argv[1])
scores = spark.read.parquet(sys.argv[2])
classes = [c for c in scores.columns if c != "id"]
joined = labels.join(scores, "id").cache()
joined.count()
ready = time.perf_counter() - start
per_class = []
for name in classes[: int(sys.argv[3])]:
    t = time.perf_counter()
    frame = joined.select((F.col("label") == name).cast("double").alias("y"), F.col(name).cast("double").alias("s"))
    BinaryClassificationEvaluator(rawPredictionCol="s", labelCol="y", metricName="areaUnderROC").evaluate(frame)
    per_class.append(time.perf_counter() - t)
print(ready, sum(per_class) / len(per_class), len(classes))
"""


def fresh(command: list[str]) -> tuple[float, float]:
    """(seconds, peak memory in MB: its own peak RSS, or the sampled sum over it and its
    child processes when larger) of ``command`` in a fresh process."""
    done = subprocess.run([sys.executable, "-c", CHILD, *command], capture_output=True, text=True)
    wall, rss_kb, tree_kb, code = done.stdout.split()
    if code != "0":
        raise SystemExit(f"failed: {' '.join(command)}\n{done.stderr}")
    return float(wall), max(int(rss_kb), int(tree_kb)) / 1024


def build_command(engine: str, data: Path, out: Path, extra: list[str]) -> list[str]:
    return [*reportgen_command(), "build", "--engine", engine, "-q", "--labels", str(data / "labels.parquet"),
            "--scores", str(data / "scores.parquet"), "--out", str(out / "r.html"),
            "--metrics-json", str(out / "m.json"), *extra]


def bench_duckdb(args: argparse.Namespace, out: Path) -> dict:
    data = args.data
    reference = [sys.executable, "-c", JOIN_SCAN, str(data / "labels.parquet"), str(data / "scores.parquet")]
    if args.memory_limit:
        reference.append(args.memory_limit)
    extra = ["--memory-limit", args.memory_limit] if args.memory_limit else []
    counting = [sys.executable, "-c", STATISTICS, str(data / "labels.parquet"), str(data / "scores.parquet"),
                *([args.memory_limit] if args.memory_limit else [])]
    runs = []
    scans = []
    passes = []
    for _ in range(args.repeat):
        scans.append(float(subprocess.run(reference, capture_output=True, text=True, check=True).stdout))
        runs.append(fresh(build_command("duckdb", data, out, extra)))
        passes.append(fresh(counting)[0])
    scan = statistics.median(scans)
    wall = statistics.median(r[0] for r in runs)
    first = statistics.median(passes)
    rss = max(r[1] for r in runs)
    report = json.loads((out / "m.json").read_text())
    bounds = [b for b in report["engine"]["auc_error_bound"].values() if b is not None]
    return {"rows": report["n_examples"], "join_scan_s": round(scan, 2), "build_s": round(wall, 2),
            "ratio": round(wall / scan, 2), "statistics_pass_s": round(first, 2),
            "statistics_pass_ratio": round(first / scan, 2), "peak_rss_mb": round(rss),
            "mode": report["engine"]["mode"], "largest_auc_bound": max(bounds, default=0.0),
            "page_mb": round((out / "r.html").stat().st_size / 1e6, 2)}


def bench_spark(args: argparse.Namespace, out: Path) -> dict:
    data = args.data
    whole = ["--baseline-scores", str(data / "baseline.parquet"), "--metadata", str(data / "metadata.parquet"),
             "--slice-by", "region", "--slice-by", "age"] if args.whole else []
    wall, rss = fresh(build_command("spark", data, out, ["--spark-master", "local[2]", *whole]))
    done = subprocess.run([sys.executable, "-c", EVALUATOR, str(data / "labels.parquet"),
                           str(data / "scores.parquet"), str(args.evaluator_classes)],
                          capture_output=True, text=True, check=True)
    ready, per_class, classes = done.stdout.split()
    evaluator = float(ready) + float(per_class) * int(classes)
    report = json.loads((out / "m.json").read_text())
    return {"rows": report["n_examples"], "build_s": round(wall, 1), "peak_rss_mb": round(rss),
            "evaluator_start_join_cache_s": round(float(ready), 1), "evaluator_per_class_s": round(float(per_class), 1),
            "evaluator_all_classes_s": round(evaluator), "share": round(wall / evaluator, 3),
            "mode": report["engine"]["mode"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("engine", choices=("duckdb", "spark"))
    parser.add_argument("--data", type=Path, required=True, help="folder with labels.parquet and scores.parquet")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--memory-limit", help="DuckDB memory limit for both the reference and the build")
    parser.add_argument("--evaluator-classes", type=int, default=1, help="classes the evaluator really runs")
    parser.add_argument("--whole", action="store_true",
                        help="spark: the whole report (baseline, slices by region and age), as bench_streaming.py's data")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        figures = (bench_duckdb if args.engine == "duckdb" else bench_spark)(args, Path(tmp))
    for key, value in figures.items():
        print(f"{key:>30}: {value}")
    if args.engine == "duckdb":
        print(f"target: build within 2x (10M) or 2.5x (100M) the join-and-scan: {figures['ratio']}x "
              f"(the statistics pass alone: {figures['statistics_pass_ratio']}x)")
    else:
        print(f"target: at most a fifth of the evaluator's time: {figures['share']:.1%}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
