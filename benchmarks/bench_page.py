"""The page's threshold slider: milliseconds per move with 50 classes, in headless Chromium.

    python benchmarks/bench_page.py [--classes 50] [--rows 20000] [--moves 100]

Each move sets the slider and dispatches an `input` event; the figure is the time the page
spends in the animation frame that applies it (table, tiles, chart signals and data).
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from playwright.sync_api import sync_playwright

import reportgen
from reportgen.report.output import write_report

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync"]
MOVE = """(value) => new Promise((done) => {
    const slider = document.getElementById('threshold');
    const start = performance.now();
    slider.value = String(value);
    slider.dispatchEvent(new Event('input', {bubbles: true}));
    requestAnimationFrame((frame) => {
        const update = performance.now() - frame;
        setTimeout(() => requestAnimationFrame(() => done([update, performance.now() - start])), 0);
    });
})"""


def build(folder: Path, rows: int, classes: int) -> Path:
    rng = np.random.default_rng(0)
    y = rng.integers(0, classes, rows)
    logits = rng.normal(0, 1, (rows, classes))
    logits[np.arange(rows), y] += 2.0
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    names = [f"class_{j:02d}" for j in range(classes)]
    labels = pd.DataFrame({"id": range(rows), "label": np.array(names)[y]})
    scores = pd.DataFrame({"id": range(rows), **{c: p[:, j] for j, c in enumerate(names)}})
    out = folder / "page.html"
    write_report(reportgen.evaluate(labels, scores, n_bootstrap=0), html_path=out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--classes", type=int, default=50)
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--moves", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        page_path = build(Path(folder), args.rows, args.classes)
        with sync_playwright() as play:
            browser = play.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(page_path.as_uri())
            page.wait_for_function("document.querySelectorAll('.vega-embed svg').length >= 7")
            page.wait_for_timeout(500)
            values = np.round(np.linspace(0.02, 0.98, args.moves), 2)
            pairs = [page.evaluate(MOVE, float(v)) for v in values]
            browser.close()
    update = sorted(p[0] for p in pairs)
    shown = sorted(p[1] for p in pairs)
    for name, times in (("page update in the frame", update), ("until the next frame (charts re-rendered)", shown)):
        print(f"{name}: median {statistics.median(times):.1f} ms, "
              f"95th percentile {times[int(0.95 * (len(times) - 1))]:.1f} ms, max {times[-1]:.1f} ms")
    print(f"{args.classes} classes, {args.moves} moves; target < 16 ms per move: "
          f"{'PASS' if statistics.median(update) < 16 else 'FAIL'}")


if __name__ == "__main__":
    main()
