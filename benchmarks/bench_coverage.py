"""Coverage of the report's 95% bootstrap intervals on simulated populations.

Each scenario is a population whose metrics are known: a binary model (1,500 rows a
sample; accuracy, F1 of the positive class and ROC AUC, computed analytically) and a
30-class model with imbalanced classes (3,000 rows a sample, the rarest class about 4
examples; macro F1 computed on 4 million rows). Every sample is evaluated through the
public API (``reportgen.evaluate_arrays``) with the report's default bootstrap
(``n_bootstrap=1000``), and its interval is checked for covering the population value.

    .venv/bin/python benchmarks/bench_coverage.py [--samples 200] [--workers 2]

Prints, per metric, the share of intervals that cover the population value (with its
binomial standard error), the mean width, how often the point lies at an end of its
interval, and how often the last guard (clip to the range, stretch to the point)
changed an interval.
"""
from __future__ import annotations

import argparse
import math
import time
from concurrent.futures import ProcessPoolExecutor
from statistics import NormalDist

import numpy as np

import reportgen
from reportgen.analysis import bootstrap
from reportgen.options import Options

BINARY_ROWS, PREVALENCE, MU_POSITIVE, MU_NEGATIVE = 1500, 0.25, 1.0, -1.5  # logits N(mu, 1) per class
CLASSES, CLASS_ROWS, DECAY, STRENGTH = 30, 3000, 0.85, 2.0  # priors ∝ DECAY^j; logits N(0, 1), +STRENGTH on the truth
POPULATION_ROWS, POPULATION_CHUNK = 4_000_000, 200_000


def binary_population() -> dict[str, float]:
    """Accuracy, F1 (positive class, score > 0.5) and ROC AUC of the binary model, exactly."""
    phi = NormalDist().cdf
    tpr, fpr = phi(MU_POSITIVE), phi(MU_NEGATIVE)  # P(logit > 0) per class
    tp, fn, fp = PREVALENCE * tpr, PREVALENCE * (1 - tpr), (1 - PREVALENCE) * fpr
    return {
        "accuracy": tp + (1 - PREVALENCE) * (1 - fpr),
        "f1": 2 * tp / (2 * tp + fp + fn),
        "roc_auc_macro": phi((MU_POSITIVE - MU_NEGATIVE) / math.sqrt(2)),
    }


def binary_sample(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    y = (rng.random(BINARY_ROWS) < PREVALENCE).astype(np.int64)
    logit = rng.normal(np.where(y == 1, MU_POSITIVE, MU_NEGATIVE), 1.0)
    return y, 1 / (1 + np.exp(-logit))


def priors() -> np.ndarray:
    p = DECAY ** np.arange(CLASSES)
    return p / p.sum()


def class_sample(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    y = rng.choice(CLASSES, n, p=priors())
    logits = rng.normal(0.0, 1.0, (n, CLASSES))
    logits[np.arange(n), y] += STRENGTH
    scores = np.exp(logits - logits.max(axis=1, keepdims=True))
    return y, scores / scores.sum(axis=1, keepdims=True)


def class_population() -> dict[str, float]:
    """Macro F1 (argmax decisions) of the 30-class model from the expected confusion of
    ``POPULATION_ROWS`` rows: per class 2·TP / (2·TP + FP + FN), then the mean."""
    rng = np.random.default_rng(12345)
    confusion = np.zeros((CLASSES, CLASSES))
    for _ in range(POPULATION_ROWS // POPULATION_CHUNK):
        y, scores = class_sample(rng, POPULATION_CHUNK)
        confusion += np.bincount(y * CLASSES + scores.argmax(axis=1), minlength=CLASSES ** 2).reshape(CLASSES, CLASSES)
    tp = np.diag(confusion)
    f1 = 2 * tp / (2 * tp + (confusion.sum(axis=0) - tp) + (confusion.sum(axis=1) - tp))
    return {"macro_f1": float(f1.mean())}


def run(job: tuple[str, int]) -> tuple[str, dict[str, tuple[float, list[float]]], dict[str, int]]:
    """One sample of one scenario: each metric's point and interval, and the guard's count."""
    scenario, seed = job
    rng = np.random.default_rng([seed, 0 if scenario == "binary" else 1])
    if scenario == "binary":
        y, score = binary_sample(rng)
        keys, classes = ("accuracy", "f1", "roc_auc_macro"), None
    else:
        y, score = class_sample(rng, CLASS_ROWS)
        keys, classes = ("macro_f1",), list(range(CLASSES))  # every class, also one the sample lacks
    before = dict(bootstrap.GUARD)
    report = reportgen.evaluate_arrays(y, score, classes=classes, seed=seed).to_dict()  # the default n_bootstrap
    fired = {k: bootstrap.GUARD[k] - before[k] for k in before}
    return scenario, {k: (report["summary"][k], report["intervals"]["summary"][k]) for k in keys}, fired


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    started = time.perf_counter()
    truth = {**binary_population(), **class_population()}
    jobs = [(scenario, seed) for seed in range(args.samples) for scenario in ("binary", "classes")]
    found: dict[str, list[tuple[float, list[float]]]] = {k: [] for k in truth}
    guard = {"intervals": 0, "clipped": 0, "extended": 0}
    with ProcessPoolExecutor(args.workers) as pool:
        for _, results, fired in pool.map(run, jobs):
            for key, got in results.items():
                found[key].append(got)
            for key, count in fired.items():
                guard[key] += count
    print(f"{args.samples} samples per scenario, {Options().n_bootstrap} resamples each (the default), "
          f"{time.perf_counter() - started:.0f} s")
    print(f"{'metric':<16}{'population':>11}{'coverage':>10}{'± s.e.':>8}{'width':>8}{'below':>7}{'above':>7}"
          f"{'at an end':>10}")
    for key, items in found.items():
        value = truth[key]
        lows = np.array([i[1][0] for i in items])
        highs = np.array([i[1][1] for i in items])
        points = np.array([i[0] for i in items])
        covered = (lows <= value) & (value <= highs)
        share = covered.mean()
        se = math.sqrt(share * (1 - share) / len(items))
        at_end = np.mean((points == lows) | (points == highs))
        print(f"{key:<16}{value:>11.4f}{100 * share:>9.1f}%{100 * se:>7.1f}%{np.mean(highs - lows):>8.4f}"
              f"{100 * np.mean(highs < value):>6.1f}%{100 * np.mean(lows > value):>6.1f}%{100 * at_end:>9.1f}%")
    print(f"guard: {guard['clipped']} of {guard['intervals']} intervals clipped to their range, "
          f"{guard['extended']} stretched to hold their point")


if __name__ == "__main__":
    main()
