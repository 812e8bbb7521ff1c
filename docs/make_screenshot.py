"""Rebuild docs/screenshot.png: the digits example report in headless Chromium, 1280 px wide.

    python docs/make_screenshot.py        (needs Debian's chromium and playwright)
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "multiclass"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync"]


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        page_path = Path(folder) / "digits.html"
        subprocess.run([
            sys.executable, "-m", "reportgen", "build",
            "--labels", str(EXAMPLE / "labels.csv"), "--scores", str(EXAMPLE / "scores.csv"),
            "--baseline-scores", str(EXAMPLE / "baseline_scores.csv"), "--inputs", str(EXAMPLE / "inputs.csv"),
            "--title", "Digits classifier", "--model", "logreg v2", "--dataset", "digits test split",
            "--out", str(page_path),
        ], check=True)
        with sync_playwright() as play:
            browser = play.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1600})
            page.goto(page_path.as_uri())
            page.wait_for_function("document.querySelectorAll('.vega-embed.live').length >= 7")
            page.wait_for_timeout(500)
            page.screenshot(path=str(ROOT / "docs" / "screenshot.png"))
            browser.close()
    print(ROOT / "docs" / "screenshot.png")


if __name__ == "__main__":
    main()
