"""The fairness section in a real browser: moving the slider recounts a group's FPR from its
grid (and the disparities), a small group shows marked, the equalizing thresholds follow the
chosen rate, and the section reads without sideways scrolling on a phone."""
from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

import reportgen
from reportgen.report.output import write_report

from test_browser import _move, _open, serious_violations


@pytest.fixture(scope="module")
def fair(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fair")
    rng = np.random.default_rng(4)
    n = 1200
    sex = rng.choice(["F", "M"], n)
    band = rng.choice(["a", "b"], n)
    band[:5] = "z"  # a group of five
    y = rng.integers(0, 2, n)
    score = np.round(np.clip(0.35 * y + 0.65 * rng.random(n) + 0.06 * (sex == "F"), 0, 1), 3)
    pd.DataFrame({"id": range(n), "label": np.where(y == 1, "yes", "no"), "sex": sex, "band": band}).to_csv(
        folder / "l.csv", index=False)
    pd.DataFrame({"id": range(n), "yes": score}).to_csv(folder / "s.csv", index=False)
    ev = reportgen.evaluate_files(folder / "l.csv", folder / "s.csv", positive_class="yes", group_by=["sex", "band"],
                                  n_bootstrap=100)
    out = folder / "fair.html"
    write_report(ev, html_path=out)
    frame = pd.DataFrame({"sex": sex, "y": y, "score": score})
    return out, ev.to_dict(), frame


def _fpr(frame, value, threshold):
    rows = frame[(frame["sex"] == value) & (frame["y"] == 0)]
    return (rows["score"] > threshold).mean()


def test_slider_recounts_a_groups_fpr(chromium, fair):
    path, report, frame = fair
    context, page, problems, _ = _open(chromium, path)
    cell = page.locator('#fairness tr[data-group="sex=F"] td[data-rate="fpr"] [data-value]')
    assert cell.inner_text() == f"{_fpr(frame, 'F', 0.5):.3f}"
    interval = page.locator('#fairness tr[data-group="sex=F"] td[data-rate="fpr"] [data-interval]')
    assert interval.is_visible()
    _move(page, 0.7)
    page.wait_for_timeout(100)
    assert cell.inner_text() == f"{_fpr(frame, 'F', 0.7):.3f}" != f"{_fpr(frame, 'F', 0.5):.3f}"
    assert not interval.is_visible()  # the intervals are the report threshold's
    eod = page.locator('#fairness tr[data-disparity-by="sex"] td[data-disparity="equalized_odds_difference"] [data-value]')
    tpr = {v: ((frame["sex"] == v) & (frame["y"] == 1)) for v in ("F", "M")}
    gaps = [abs(_fpr(frame, "F", 0.7) - _fpr(frame, "M", 0.7)),
            abs((frame["score"][tpr["F"]] > 0.7).mean() - (frame["score"][tpr["M"]] > 0.7).mean())]
    assert eod.inner_text() == f"{max(gaps):.3f}"
    _move(page, 0.5)
    page.wait_for_timeout(100)
    assert interval.is_visible()
    assert problems == []
    context.close()


def test_small_group_is_marked_and_equalizing_follows_the_rate(chromium, fair):
    path, report, _ = fair
    context, page, problems, _ = _open(chromium, path)
    small = page.locator('#fairness tr[data-group="band=z"]')
    assert "too few examples" in small.inner_text() and "5" in small.inner_text()
    assert "band=z: 5" in page.locator("#fairness-small").inner_text()
    result = page.locator("#fairness-equalize-result")
    before = result.inner_text()
    assert "true-positive rate over all examples" in before
    page.select_option("#fairness-equalize", "fpr")
    page.wait_for_timeout(100)
    assert "false-positive rate over all examples" in result.inner_text()
    assert problems == []
    context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_fairness_section_fits_the_screen(chromium, fair, width):
    path, _, _ = fair
    context, page, problems, _ = _open(chromium, path, width=width)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert page.locator("#fairness .vega-embed.live").count() == 1
    assert problems == []
    context.close()


def test_fairness_page_has_no_serious_accessibility_violations(chromium, fair):
    path, _, _ = fair
    assert serious_violations(chromium, path, "document.getElementById('fairness')") == []
