"""How often the fairness section's 95% intervals hold the population's disparities.

    python benchmarks/bench_fairness_coverage.py --runs 200 --rows 2000

Each run draws a population sample whose groups have known TPRs, FPRs and base rates (the
decision is a coin with the group's TPR or FPR, as a score of 0.75 or 0.25), builds the
report with ``--group-by`` and 1,000 resamples, and checks whether each disparity's interval
holds its population value: the equalized odds, demographic parity and equal opportunity
differences and the demographic parity ratio. Two designs: two equal groups, and four
groups of unequal sizes (50%, 30%, 15%, 5%).
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import reportgen

DESIGNS = {
    "two equal groups": {"share": [0.5, 0.5], "tpr": [0.80, 0.65], "fpr": [0.20, 0.28], "base": [0.4, 0.4]},
    "four unequal groups": {"share": [0.5, 0.3, 0.15, 0.05], "tpr": [0.80, 0.74, 0.70, 0.60],
                            "fpr": [0.20, 0.22, 0.30, 0.25], "base": [0.40, 0.30, 0.50, 0.40]},
}
KEYS = ("equalized_odds_difference", "demographic_parity_difference", "demographic_parity_ratio",
        "equal_opportunity_difference")


def population(design: dict) -> dict[str, float]:
    tpr, fpr, base = (np.array(design[k]) for k in ("tpr", "fpr", "base"))
    selection = base * tpr + (1 - base) * fpr
    tpr_gap, fpr_gap = tpr.max() - tpr.min(), fpr.max() - fpr.min()
    return {"equalized_odds_difference": max(tpr_gap, fpr_gap),
            "demographic_parity_difference": selection.max() - selection.min(),
            "demographic_parity_ratio": selection.min() / selection.max(), "equal_opportunity_difference": tpr_gap}


def run(design: dict, rows: int, rng: np.random.Generator, resamples: int) -> dict[str, bool]:
    k = len(design["share"])
    group = rng.choice(k, rows, p=design["share"])
    y = rng.random(rows) < np.array(design["base"])[group]
    rate = np.where(y, np.array(design["tpr"])[group], np.array(design["fpr"])[group])
    score = np.where(rng.random(rows) < rate, 0.75, 0.25)
    frame = pd.DataFrame({"id": np.arange(rows).astype(str), "label": y.astype(int).astype(str),
                          "g": np.array(list("pqrs"))[group], "1": score})
    ev = reportgen.evaluate(frame, positive_class="1", label_column="label", score_columns=("1",), group_by=["g"],
                            n_bootstrap=resamples, seed=int(rng.integers(1 << 30)))
    gap = ev.to_dict()["fairness"]["disparities"][0]
    truth = population(design)
    return {key: gap[key]["interval"] is not None and gap[key]["interval"][0] <= truth[key] <= gap[key]["interval"][1]
            for key in KEYS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    for name, design in DESIGNS.items():
        start = time.perf_counter()
        held = {key: 0 for key in KEYS}
        for _ in range(args.runs):
            for key, ok in run(design, args.rows, rng, args.resamples).items():
                held[key] += ok
        shown = ", ".join(f"{key} {held[key] / args.runs:.1%}" for key in KEYS)
        print(f"{name}, {args.rows:,} rows, {args.runs} runs ({time.perf_counter() - start:.0f} s): {shown}")


if __name__ == "__main__":
    main()
