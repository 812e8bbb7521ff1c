"""End-to-end build time and peak memory against the time pyarrow takes to read the files.

    python benchmarks/bench_build.py --data /tmp/rg-bench [--rows 1000000 --classes 20] [--repeat 3] [--sklearn]

Each build runs `reportgen build` in a fresh process (wall time, and the peak resident
memory of that process plus the figure process it starts for large inputs); the
reference is pyarrow reading the labels and scores files alone, also in a fresh process.
Figures are medians over --repeat runs; the targets are checked and printed.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


HERE = Path(__file__).resolve().parent
CHILD = f"""
import resource, subprocess, sys, time
sys.path.insert(0, {str(HERE)!r})
from tree_memory import tree_rss_kb

start = time.perf_counter()
child = subprocess.Popen(sys.argv[1:])
peak = 0
while child.poll() is None:
    peak = max(peak, tree_rss_kb(child.pid))
    time.sleep(0.01)
wall = time.perf_counter() - start
print(wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, peak, child.returncode)
"""


def reportgen_command() -> list[str]:
    script = Path(sys.executable).with_name("reportgen")
    return [str(script)] if script.exists() else [sys.executable, "-m", "reportgen"]


READ = "import sys, pyarrow.csv as c; c.read_csv(sys.argv[1]); c.read_csv(sys.argv[2])"


def read_time(data: Path) -> float:
    """A fresh process that reads both files with pyarrow: the floor any tool starts from."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", READ, str(data / "labels.csv"), str(data / "scores.csv")], check=True)
    return time.perf_counter() - start


def build(data: Path, out: Path, extra: list[str], scores: str = "scores.csv",
          model: str = "--scores") -> tuple[float, float, int]:
    """(seconds, peak memory in MB, HTML bytes) of one build in a fresh process. The peak
    is the larger of the build process's own peak RSS and the sampled (every 10 ms) sum over
    it and the figure process it starts for large inputs. ``model`` is the option that
    gives the model's file ``scores`` (``--predictions`` for its hard labels)."""
    command = [*reportgen_command(), "build", "--labels", str(data / "labels.csv"), model,
               str(data / scores), "--out", str(out / "r.html"), "--metrics-json", str(out / "m.json"), "-q", *extra]
    done = subprocess.run([sys.executable, "-c", CHILD, *command], capture_output=True, text=True, check=True)
    wall, rss_kb, tree_kb, code = done.stdout.split()
    if code != "0":
        raise SystemExit(f"build failed: {done.stderr}")
    return float(wall), max(int(rss_kb), int(tree_kb)) / 1024, (out / "r.html").stat().st_size


def sklearn_time(data: Path) -> float:
    import numpy as np
    import pandas as pd
    from sklearn import metrics

    start = time.perf_counter()
    labels = pd.read_csv(data / "labels.csv")
    scores = pd.read_csv(data / "scores.csv").set_index("id").loc[labels["id"]]
    y, p = labels["label"].to_numpy(), scores.to_numpy()
    classes = np.array(scores.columns)
    pred = classes[p.argmax(axis=1)]
    metrics.accuracy_score(y, pred)
    metrics.precision_recall_fscore_support(y, pred, labels=classes, zero_division=0)
    metrics.confusion_matrix(y, pred, labels=classes)
    metrics.log_loss(y, p / p.sum(axis=1, keepdims=True), labels=classes)
    for j, c in enumerate(classes):
        metrics.roc_auc_score(y == c, p[:, j])
        metrics.average_precision_score(y == c, p[:, j])
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default="/tmp/rg-bench")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--classes", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sklearn", action="store_true", help="also time pandas + scikit-learn")
    parser.add_argument("--json", help="save the figures here")
    args = parser.parse_args()
    data = Path(args.data)
    if not (data / "scores.csv").exists():
        subprocess.run([sys.executable, str(HERE / "make_data.py"), "--rows", str(args.rows), "--classes",
                        str(args.classes), "--out", str(data), "--baseline", "--weights", "--list-column",
                        "--predictions"], check=True)
    out = Path(tempfile.mkdtemp(prefix="rg-bench-out-"))
    build(data, out, ["--no-bootstrap"])  # warm the file cache and the renderer's bundle cache
    reads = [read_time(data) for _ in range(args.repeat)]
    runs = {
        "build (no bootstrap)": [build(data, out, ["--no-bootstrap"]) for _ in range(args.repeat)],
        "build (1,000 bootstrap resamples)": [build(data, out, []) for _ in range(args.repeat)],
    }
    if (data / "baseline_scores.csv").exists():
        runs["build with baseline (paired bootstrap)"] = [
            build(data, out, ["--baseline-scores", str(data / "baseline_scores.csv")]) for _ in range(args.repeat)]
    if (data / "scores_list.parquet").exists():  # the same scores as Parquet columns and as one list column
        runs["build, Parquet score columns (no bootstrap)"] = [
            build(data, out, ["--no-bootstrap"], "scores_columns.parquet") for _ in range(args.repeat)]
        runs["build, one Parquet list column (no bootstrap)"] = [
            build(data, out, ["--no-bootstrap", "--classes", f"@{data / 'classes.txt'}"], "scores_list.parquet")
            for _ in range(args.repeat)]
    if "w" in (data / "labels.csv").open().readline().strip().split(","):
        runs["build weighted (no bootstrap)"] = [build(data, out, ["--no-bootstrap", "--weight-column", "w"])
                                                 for _ in range(args.repeat)]
        runs["build weighted (1,000 bootstrap resamples)"] = [build(data, out, ["--weight-column", "w"])
                                                              for _ in range(args.repeat)]
    label_only = "label-only build (--predictions, no bootstrap)"
    if (data / "predictions.csv").exists():
        runs[label_only] = [build(data, out, ["--no-bootstrap"], "predictions.csv", "--predictions")
                            for _ in range(args.repeat)]
    read = statistics.median(reads)
    figures = {"rows": args.rows, "classes": args.classes, "read_s": read, "runs": {}}
    print(f"a fresh process reads both files with pyarrow in {read:.2f} s (median of {args.repeat})\n")
    print("| run | seconds | × read | peak memory MB (all processes) | HTML KB |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, results in runs.items():
        wall = statistics.median(r[0] for r in results)
        rss = max(r[1] for r in results)
        size = results[-1][2] / 1024
        figures["runs"][name] = {"seconds": wall, "ratio": wall / read, "peak_rss_mb": rss, "html_kb": size}
        print(f"| {name} | {wall:.2f} | {wall / read:.2f} | {rss:.0f} | {size:.0f} |")
    plain = figures["runs"]["build (no bootstrap)"]
    boot = figures["runs"]["build (1,000 bootstrap resamples)"]
    checks = [
        ("build within 4x the read", plain["ratio"] <= 4),
        ("peak memory under 1.5 GB", max(r["peak_rss_mb"] for r in figures["runs"].values()) < 1536),
        ("intervals add under 2x to the build", boot["seconds"] < 2 * plain["seconds"]),
    ]
    weighted = figures["runs"].get("build weighted (no bootstrap)")
    if weighted:
        checks.append(("weights add at most 30% to the build", weighted["seconds"] <= 1.3 * plain["seconds"]))
    listed = figures["runs"].get("build, one Parquet list column (no bootstrap)")
    if listed:
        columns = figures["runs"]["build, Parquet score columns (no bootstrap)"]
        checks.append(("a list column builds as fast as separate columns", listed["seconds"] <= columns["seconds"] * 1.05))
    if label_only in figures["runs"]:
        checks.append(("a label-only build within the scored build's time",
                       figures["runs"][label_only]["seconds"] <= plain["seconds"]))
    if args.sklearn:
        figures["sklearn_s"] = sklearn_time(data)
        print(f"\npandas + scikit-learn metrics (no grid, no page): {figures['sklearn_s']:.1f} s")
    print()
    for name, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    figures["checks"] = dict(checks)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
