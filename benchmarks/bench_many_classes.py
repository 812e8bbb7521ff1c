"""Many classes: a 50,000-row × 1,000-class build against a hand-written pandas + scikit-learn script.

    python benchmarks/bench_many_classes.py [--rows 50000 --classes 1000] [--repeat 3] [--json out.json]

Data (Parquet, made here, scores rows shuffled against the labels): softmax scores of noisy
logits (about 75% top-1 accuracy), in two shapes — scores rounded to 6 significant digits
with string ids, and to 6 decimals with integer ids. Each command runs in a fresh process;
its wall time and peak memory (the process and every child it starts, sampled from /proc)
are measured, alternating reportgen and the reference so that both see the same machine.
The reference computes what a notebook would: the classification report, the confusion
matrix, per-class ROC AUC and average precision, and log loss (no grid, no page).
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_build import CHILD, reportgen_command  # noqa: E402
from make_data import softmax_scores  # noqa: E402

REFERENCE = """
import sys, numpy as np, pandas as pd
from sklearn import metrics
labels = pd.read_parquet(sys.argv[1])
scores = pd.read_parquet(sys.argv[2]).set_index("id").loc[labels["id"]]
classes = np.array(scores.columns)
y, p = labels["label"].to_numpy(), scores.to_numpy(dtype=np.float64)
pred = classes[p.argmax(axis=1)]
metrics.classification_report(y, pred, labels=classes, zero_division=0, output_dict=True)
metrics.confusion_matrix(y, pred, labels=classes)
for j, c in enumerate(classes):
    truth = y == c
    if truth.any():
        metrics.roc_auc_score(truth, p[:, j])
        metrics.average_precision_score(truth, p[:, j])
metrics.log_loss(y, p / p.sum(axis=1, keepdims=True), labels=classes)
"""


def make(out: Path, rows: int, classes: int, shape: str, seed: int = 0) -> None:
    """labels.parquet and scores.parquet; ``shape`` is "sig6-str", "dec6-int" or "rare-int"
    (6 decimals, integer ids, imbalanced classes: the class of rank r drawn with
    probability proportional to 1 / r, so that most classes have a few examples or none)."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    names = np.array([f"n{j:05d}" for j in range(classes)])
    if shape == "rare-int":
        share = 1.0 / np.arange(1, classes + 1)
        y = rng.choice(classes, rows, p=share / share.sum())
    else:
        y = rng.integers(0, classes, rows)
    p = softmax_scores(rng, y, classes, strength=4.0).astype(np.float64)
    if shape == "sig6-str":
        ids = pa.array(np.char.add("img", np.arange(rows).astype(str)))
        digits = 5 - np.floor(np.log10(np.maximum(p, 1e-300)))
        scale = 10.0 ** digits
        p = np.round(p * scale) / scale
    else:
        ids = pa.array(np.arange(rows))
        p = np.round(p, 6)
    pq.write_table(pa.table({"id": ids, "label": pa.array(names[y])}), out / "labels.parquet")
    order = rng.permutation(rows)
    columns = {"id": ids.take(pa.array(order)), **{c: pa.array(p[order, j]) for j, c in enumerate(names)}}
    pq.write_table(pa.table(columns), out / "scores.parquet")


def measured(command: list[str]) -> tuple[float, float]:
    """(seconds, peak MB of the process tree) of one command in a fresh process."""
    done = subprocess.run([sys.executable, "-c", CHILD, *command], capture_output=True, text=True, check=True)
    wall, rss_kb, tree_kb, code = done.stdout.split()
    if code != "0":
        raise SystemExit(f"{command[0]} failed: {done.stderr}")
    return float(wall), max(int(rss_kb), int(tree_kb)) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--classes", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--shapes", default="sig6-str,dec6-int", help="of sig6-str, dec6-int, rare-int")
    parser.add_argument("--no-reference", action="store_true", help="skip the pandas + scikit-learn script")
    parser.add_argument("--keep", help="keep the data and the last report in this folder")
    parser.add_argument("--json", help="save the figures here")
    args = parser.parse_args()
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="rg-many-"))
    figures = {"rows": args.rows, "classes": args.classes, "shapes": {}}
    print(f"{args.rows:,} rows × {args.classes:,} classes, medians of {args.repeat} runs\n")
    print("| data | reportgen build (page + JSON, 1,000 resamples) | peak MB | pandas + scikit-learn | peak MB "
          "| ratio | page MB | JSON MB |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for shape in args.shapes.split(","):
        data = root / shape
        if not (data / "scores.parquet").exists():
            make(data, args.rows, args.classes, shape)
        build = [*reportgen_command(), "build", "--labels", str(data / "labels.parquet"), "--scores",
                 str(data / "scores.parquet"), "--out", str(data / "r.html"), "--metrics-json", str(data / "m.json"), "-q"]
        reference = [sys.executable, "-c", REFERENCE, str(data / "labels.parquet"), str(data / "scores.parquet")]
        measured(build)  # warm the file cache and the renderer's bundle cache
        ours, theirs = [], []
        for _ in range(args.repeat):
            ours.append(measured(build))
            if not args.no_reference:
                theirs.append(measured(reference))
        wall = statistics.median(r[0] for r in ours)
        row = {"seconds": wall, "peak_mb": max(r[1] for r in ours),
               "page_mb": (data / "r.html").stat().st_size / 1e6, "json_mb": (data / "m.json").stat().st_size / 1e6}
        if theirs:
            row["reference_seconds"] = statistics.median(r[0] for r in theirs)
            row["reference_peak_mb"] = max(r[1] for r in theirs)
            row["ratios"] = [a[0] / b[0] for a, b in zip(ours, theirs)]
        figures["shapes"][shape] = row
        ref = (f"{row['reference_seconds']:.1f} s | {row['reference_peak_mb']:.0f} | "
               f"{statistics.median(row['ratios']):.2f}") if theirs else "— | — | —"
        print(f"| {shape} | {wall:.1f} s | {row['peak_mb']:.0f} | {ref} | {row['page_mb']:.2f} | {row['json_mb']:.1f} |")
    print()
    for shape, row in figures["shapes"].items():
        checks = [("peak memory at most 2.5 GB", row["peak_mb"] <= 2560), ("page at most 3 MB", row["page_mb"] <= 3),
                  ("metrics JSON at most 15 MB", row["json_mb"] <= 15)]
        if "ratios" in row:
            checks.insert(0, ("build at most half the reference's time", statistics.median(row["ratios"]) <= 0.5))
        for name, ok in checks:
            print(f"{'PASS' if ok else 'FAIL'}  {shape}: {name}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
