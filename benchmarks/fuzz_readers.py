"""Thousands of mutated input files through ``reportgen.evaluate_files``: each must give a
report or one InputError; any other exception is a reader's bug and is listed.

    python benchmarks/fuzz_readers.py --n 3000 [--seed 1] [--engine memory|duckdb]

The inputs are tests/fuzzing.py's (the test suite runs a few hundred of them): six small
valid inputs (binary with weights, multiclass, multilabel names joined by ``|``, multilabel
names as lists, a list column of scores, hard-label predictions) written as CSV, JSON Lines
and Parquet (lists: JSON Lines and Parquet only), each mutated once (bytes
flipped, inserted or cut, the file truncated, lines repeated or dropped, cells rewritten,
columns retyped, dropped, renamed or repeated). Prints how many inputs gave a report, an
InputError, or something else (with the first input of each kind of failure), and exits 1
when anything else happened.
"""
from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from fuzzing import cases, outcome  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000, help="mutated inputs (default %(default)s)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--engine", default="memory", choices=("memory", "duckdb", "spark"))
    args = parser.parse_args()
    warnings.simplefilter("error", RuntimeWarning)  # a NaN or overflow on the way is a bug too
    counts: collections.Counter = collections.Counter()
    failures: dict[str, list[str]] = {}
    kinds: collections.Counter = collections.Counter()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        for case in cases(args.seed, args.n):
            try:
                counts[outcome(case, Path(folder), args.engine)] += 1
            except Exception as err:  # noqa: BLE001 - what the run is looking for
                counts["other exception"] += 1
                key = f"{type(err).__name__}: {' '.join(str(err).split())[:160]}"
                failures.setdefault(key, [case.name, traceback.format_exc(limit=-3)])
                kinds[key] += 1
    seconds = time.perf_counter() - start
    print(f"{args.n} mutated inputs (seed {args.seed}, {args.engine} engine) in {seconds:.0f} s: "
          f"{counts['report']} reports, {counts['input error']} InputErrors, "
          f"{counts['other exception']} other exceptions")
    for key, (name, trace) in failures.items():
        print(f"\n{kinds[key]} x {key}\n  first input: {name}\n{trace}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
