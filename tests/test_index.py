"""The index of releases as a reader sees it: histories per dataset and task, metrics by
their registry labels, time axes readable at any spacing, every column visible at desktop
width and tables scrolling in their own box on a phone."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from bs4 import BeautifulSoup

import reportgen
from reportgen import registry
from reportgen.report.charts import time_format
from reportgen.report.embed import script_json
from reportgen.report.index import build_index
from test_browser import AXE_CANDIDATES

START = datetime(2026, 3, 1, 9, 18, 43, tzinfo=timezone.utc)


def _page(report: dict) -> str:
    return ('<!doctype html><html><head><title>r</title></head><body>'
            f'<script type="application/json" id="report-data">{script_json(report)}</script></body></html>')


def _classifier(task: str, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    if task == "binary":
        y = rng.integers(0, 2, 200)
        return reportgen.evaluate_arrays(y, np.clip(0.3 * y + 0.7 * rng.random(200), 0, 1), n_bootstrap=0).to_dict()
    y = rng.integers(0, 3, 200)
    return reportgen.evaluate_arrays(y, rng.dirichlet([1, 1, 1], 200) * 0.8 + 0.2 * np.eye(3)[y],
                                     n_bootstrap=0).to_dict()


def _generative(seed: int) -> dict:
    loss = 2.0 + seed / 10
    return {"task": "generative", "summary": {"token_accuracy": 0.4 - seed / 100, "loss": loss,
                                               "perplexity": float(np.exp(loss)), "uniform_loss": 10.8,
                                               "n_tokens": 900, "n_examples": 30}}


def _site(folder, step: timedelta, *, long_names: bool = False) -> None:
    """Two multiclass, two binary and two generative reports of one dataset name, ``step`` apart."""
    reports = [("multi", _classifier("multiclass", 0)), ("multi", _classifier("multiclass", 1)),
               ("bin", _classifier("binary", 2)), ("bin", _classifier("binary", 3)),
               ("gen", _generative(0)), ("gen", _generative(1))]
    for i, (kind, report) in enumerate(reports):
        model = f"{kind} v{i}" + (" trained on the whole crawl with the new tokenizer" if long_names else "")
        title = f"{kind.title()} <eval> release {i}" + (" with a very long descriptive title" * 2 if long_names else "")
        report["meta"] = {"title": title, "model": model, "dataset": "digits",
                          "generated_at": (START + i * step).isoformat(), "reportgen_version": reportgen.__version__}
        (folder / f"{kind}-{i}.html").write_text(_page(report), "utf-8")


def _axis_labels(svg: str) -> list[str]:
    return re.findall(r">([^<>]+)</text>", svg)


def _time_ticks(figure) -> list[str]:
    """The tick labels of a history chart's time axis: its texts less the title, the axis
    title and the value axis's numbers (decimals, or integers of up to three digits)."""
    title = figure["data-metric"]
    texts = [t.get_text() for t in figure.find_all("text")]
    value = re.compile(r"^[−-]?(\d*\.\d+|\d{1,3})$")
    return [t for t in texts if t not in ("generated (UTC)", registry.label(title)) and not value.match(t)]


@pytest.mark.parametrize("seconds, expected", [
    (0, "%H:%M:%S"), (12, "%H:%M:%S"), (3 * 3600, "%H:%M"), (2 * 86400, "%b %d %H:%M"),
    (40 * 86400, "%b %d"), (400 * 86400, "%b %Y"), (3000 * 86400, "%Y"),
])
def test_time_format_follows_the_span(seconds, expected):
    assert time_format(seconds) == expected


def test_histories_per_dataset_and_task_with_registry_labels(tmp_path):
    _site(tmp_path, timedelta(seconds=3))
    entries, skipped = build_index(tmp_path, "x")
    assert len(entries) == 6 and not skipped
    soup = BeautifulSoup((tmp_path / "index.html").read_text("utf-8"), "html.parser")
    histories = soup.select("section.history")
    assert [(h["data-history"], h["data-task"]) for h in histories] == [
        ("digits", "binary"), ("digits", "generative"), ("digits", "multiclass")]
    metrics = {h["data-task"]: [f["data-metric"] for f in h.select("figure")] for h in histories}
    assert metrics == {"binary": ["accuracy", "macro_f1", "roc_auc_macro", "log_loss"],
                       "multiclass": ["accuracy", "macro_f1", "roc_auc_macro", "log_loss"],
                       "generative": ["token_accuracy", "loss", "perplexity"]}
    binary = histories[0]
    assert "Macro F1" in _axis_labels(str(binary.select_one('figure[data-metric="macro_f1"] svg')))
    visible = soup.get_text(" ")
    for raw in ("macro_f1", "token_accuracy", "roc_auc_macro", "log_loss"):
        assert raw not in visible  # keys stay in data attributes; the reader sees labels
    row = soup.select_one('tr[data-report="gen-5.html"]')
    assert row.select_one('[data-metric="token_accuracy"]').get_text(" ", strip=True) == "Token accuracy 0.390"
    assert "Release &lt;eval&gt;" not in visible and "<eval>" in visible  # escaped markup, shown as text
    assert "2026-03-01 09:18:58 UTC" in row.get_text(" ")


@pytest.mark.parametrize("step, label", [
    (timedelta(seconds=3), re.compile(r"^09:18:4\d$")),
    (timedelta(minutes=20), re.compile(r"^(09|10|11):\d\d$")),
    (timedelta(hours=30), re.compile(r"^Mar 0[1-3] \d\d:\d\d$")),
    (timedelta(days=9), re.compile(r"^Mar \d\d$")),
    (timedelta(days=200), re.compile(r"^[A-Z][a-z]{2} 2026$")),
    (timedelta(days=1200), re.compile(r"^20(26|27|28|29)$")),
])
def test_time_axes_read_at_any_spacing(tmp_path, step, label):
    _site(tmp_path, step)  # each history spans one step: its two reports
    build_index(tmp_path, "x")
    soup = BeautifulSoup((tmp_path / "index.html").read_text("utf-8"), "html.parser")
    ticks = _time_ticks(soup.select_one('section.history[data-task="multiclass"] figure[data-metric="accuracy"]'))
    assert ticks and all(label.match(t) for t in ticks), ticks
    assert not any(t.startswith((":", ".")) for t in ticks)


def test_time_axis_is_utc_whatever_the_local_zone(tmp_path):
    _site(tmp_path, timedelta(minutes=20))
    env = {**os.environ, "TZ": "America/New_York"}
    done = subprocess.run([sys.executable, "-m", "reportgen", "index", str(tmp_path)], capture_output=True,
                          text=True, env=env)
    assert done.returncode == 0, done.stderr
    soup = BeautifulSoup((tmp_path / "index.html").read_text("utf-8"), "html.parser")
    ticks = _time_ticks(soup.select_one('section.history[data-task="binary"] figure[data-metric="accuracy"]'))
    assert any(t.startswith("10:") for t in ticks) and not any(t.startswith("05:") for t in ticks), ticks


def test_undated_reports_are_listed_but_not_charted(tmp_path):
    _site(tmp_path, timedelta(days=1))
    report = _classifier("binary", 9)
    report["meta"] = {"title": "odd", "dataset": "digits", "generated_at": "last tuesday"}
    (tmp_path / "odd.html").write_text(_page(report), "utf-8")
    entries, _ = build_index(tmp_path, "x")
    assert entries[-1].path == "odd.html"  # not a time: listed last
    soup = BeautifulSoup((tmp_path / "index.html").read_text("utf-8"), "html.parser")
    assert "last tuesday" in soup.select_one('tr[data-report="odd.html"]').get_text()
    assert "2 reports" in soup.select_one('section.history[data-task="binary"] h3').get_text()


def test_layout_at_desktop_and_phone_width(tmp_path, chromium):
    _site(tmp_path, timedelta(seconds=3), long_names=True)
    build_index(tmp_path, "x")
    sizes = {}
    for width in (1280, 390):
        context = chromium.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.goto((tmp_path / "index.html").as_uri())
        sizes[width] = page.evaluate("""() => {
          const box = document.querySelector('.scroll'), table = box.querySelector('table');
          const right = box.getBoundingClientRect().right;
          return {box: [box.scrollWidth, box.clientWidth], table: [table.scrollWidth, table.clientWidth],
                  headers: [...table.querySelectorAll('th')].map(th => th.getBoundingClientRect().right <= right + 0.5),
                  doc: [document.documentElement.scrollWidth, document.documentElement.clientWidth],
                  overflow: getComputedStyle(box).overflowX,
                  figures: [...document.querySelectorAll('.charts figure')].map(f => f.getBoundingClientRect().right),
                  rows: [...document.querySelectorAll('.charts')].map(c => new Set([...c.children].map(f => f.offsetTop)).size)};
        }""")
        page.screenshot(path=str(tmp_path / f"index-{width}.png"), full_page=True)
        sizes[width]["serious"] = _serious_violations(page)
        context.close()
    desk, phone = sizes[1280], sizes[390]
    assert desk["box"][0] <= desk["box"][1] and desk["table"][0] <= desk["table"][1]
    assert desk["table"][1] <= desk["box"][1] and all(desk["headers"])  # every column in view, no scrolling
    assert phone["doc"][0] <= phone["doc"][1]  # the page itself never scrolls sideways
    assert phone["overflow"] == "auto" and phone["box"][0] > phone["box"][1]  # the table scrolls in its box
    assert max(phone["figures"]) <= 390 and max(desk["figures"]) <= 1280
    assert desk["rows"] == [1, 1, 1]  # a history's four charts side by side at desktop width
    assert desk["serious"] == phone["serious"] == []


def _serious_violations(page) -> list[tuple[str, str, int]]:
    """axe-core's serious and critical findings on the open page."""
    axe = next((p for p in AXE_CANDIDATES if p and os.path.exists(p)), None)
    if axe is None:
        if os.environ.get("CI"):
            raise RuntimeError("CI needs axe-core (npm install --prefix .ci/node axe-core@4)")
        pytest.skip("needs axe-core from npm")
    page.add_script_tag(path=axe)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [(v["id"], v["impact"], len(v["nodes"])) for v in result["violations"] if v["impact"] in ("serious", "critical")]
