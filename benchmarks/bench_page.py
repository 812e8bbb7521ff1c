"""The report page in headless Chromium: its size, the time to open it with live charts,
the script heap, and the milliseconds per threshold-slider move.

    python benchmarks/bench_page.py [--classes 50] [--rows 20000] [--moves 100] [--opens 5]
    python benchmarks/bench_page.py --classes 1000 --rows 50000 --keep /tmp/page-1k.html
    python benchmarks/bench_page.py --page /tmp/page-1k.html        # measure a page built before

The data is make_data.py's synthetic softmax model (Parquet, scores with 6 significant
digits), built without intervals. "Open" is the time from navigation start until every chart
is live (``reportgenPage.ready``), the median over ``--opens`` fresh tabs; the heap is the
script heap then (CDP ``Runtime.getHeapUsage``). Each slider move sets the slider and
dispatches an ``input`` event; the figure is the time the page spends in the animation frame
that applies it (table, tiles, chart signals and data).
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_data import make  # noqa: E402

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
READY = "() => window.reportgenPage.ready.then(() => performance.now())"


def build(folder: Path, rows: int, classes: int) -> Path:
    import reportgen
    from reportgen.report.output import write_report

    make(rows, classes, folder, "parquet", round_to="significant")
    start = time.perf_counter()
    evaluation = reportgen.evaluate_files(folder / "labels.parquet", folder / "scores.parquet", n_bootstrap=0)
    out = folder / "page.html"
    write_report(evaluation, html_path=out)
    print(f"built {rows:,} rows x {classes:,} classes in {time.perf_counter() - start:.1f} s")
    return out


def measure(page_path: Path, opens: int, moves: int) -> None:
    with sync_playwright() as play:
        browser = play.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        opened, heaps = [], []
        for _ in range(opens):
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            page.goto(page_path.as_uri(), wait_until="commit")
            page.wait_for_function("() => window.reportgenPage !== undefined")
            opened.append(page.evaluate(READY))
            heaps.append(cdp.send("Runtime.getHeapUsage")["usedSize"] / 1e6)
            last = (context, page)
            if len(opened) < opens:
                context.close()
        context, page = last
        page.wait_for_timeout(300)
        values = np.round(np.linspace(0.02, 0.98, moves), 2)
        pairs = [page.evaluate(MOVE, float(v)) for v in values]
        browser.close()
    update = sorted(p[0] for p in pairs)
    shown = sorted(p[1] for p in pairs)
    print(f"page: {page_path.stat().st_size / 1e6:.2f} MB")
    print(f"open with live charts: median {statistics.median(opened) / 1000:.2f} s "
          f"(min {min(opened) / 1000:.2f}, max {max(opened) / 1000:.2f}; {opens} opens); "
          f"script heap then: median {statistics.median(heaps):.0f} MB")
    for name, times in (("slider: page update in the frame", update), ("until the next frame (charts re-rendered)", shown)):
        print(f"{name}: median {statistics.median(times):.1f} ms, "
              f"95th percentile {times[int(0.95 * (len(times) - 1))]:.1f} ms, max {times[-1]:.1f} ms")
    print(f"{moves} moves; target < 16 ms per move: {'PASS' if statistics.median(update) < 16 else 'FAIL'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--classes", type=int, default=50)
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--moves", type=int, default=100)
    parser.add_argument("--opens", type=int, default=5)
    parser.add_argument("--page", type=Path, help="measure this page instead of building one")
    parser.add_argument("--keep", type=Path, help="copy the built page here")
    args = parser.parse_args()
    if args.page:
        measure(args.page, args.opens, args.moves)
        return
    with tempfile.TemporaryDirectory() as folder:
        page_path = build(Path(folder), args.rows, args.classes)
        if args.keep:
            shutil.copyfile(page_path, args.keep)
        measure(page_path, args.opens, args.moves)


if __name__ == "__main__":
    main()
