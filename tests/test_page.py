"""The built page, read as HTML: sections, rows, data island, chart specs, fallbacks,
no external URL, escaping, size."""
from __future__ import annotations

import json
import re
from pathlib import Path

import altair
import jsonschema
import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup

import reportgen
from reportgen.report.output import write_report

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = "</script><script>alert(1)</script>"


def _vega_lite_schema() -> dict:
    found = sorted(Path(altair.__file__).parent.glob("vegalite/v*/schema/vega-lite-schema.json"))
    return json.loads(found[-1].read_text("utf-8"))


def _page(tmp_path, *, baseline=True, title="Digits <classifier> & co", **kwargs) -> tuple[BeautifulSoup, str, dict]:
    ex = ROOT / "examples" / "multiclass"
    args = dict(labels=ex / "labels.csv", scores=ex / "scores.csv", inputs=ex / "inputs.csv", n_bootstrap=100)
    if baseline:
        args["baseline"] = ex / "baseline_scores.csv"
    args.update(kwargs)
    meta = {"title": title, "model": "v2", "dataset": "digits", "generated_at": "2026-11-23T00:00:00+00:00",
            "reportgen_version": reportgen.__version__}
    ev = reportgen.evaluate_files(**args).with_extras(meta=meta)
    out, js = tmp_path / "r.html", tmp_path / "r.json"
    write_report(ev, html_path=out, json_path=js)
    html = out.read_text("utf-8")
    return BeautifulSoup(html, "html.parser"), html, json.loads(js.read_text("utf-8"))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return _page(tmp_path_factory.mktemp("page"))


def test_every_section_is_present(built):
    soup, _, report = built
    for section in ("highlights", "threshold-control", "summary", "operating-points", "charts", "selection",
                    "mistakes", "churn"):
        assert soup.find(id=section) is not None, section
    assert soup.find("h1").text == "Digits <classifier> & co"
    tiles = [t["data-tile"] for t in soup.select("[data-tile]")]
    assert tiles == ["accuracy", "macro_precision", "macro_recall", "macro_f1", "roc_auc_macro", "log_loss"]
    assert soup.select_one('[data-tile-value="accuracy"]').text == f"{report['summary']['accuracy']:.3f}"
    assert "improvement holds" in soup.select_one(".verdict").text


def test_one_row_per_class_with_the_contract_cells(built):
    soup, _, report = built
    rows = soup.select("tbody tr[data-class]")
    assert [r["data-class"] for r in rows] == report["classes"]
    for row, entry in zip(rows, report["per_class"]):
        at = entry["at_threshold"]
        for key in ("tp", "fp", "fn", "total_labeled", "total_predicted"):
            assert row.select_one(f'td[data-metric="{key}"]').text == str(at[key])
        for key in ("precision", "recall", "f1"):
            assert row.select_one(f'td[data-metric="{key}"]').text == f"{at[key]:.3f}"
        assert row.select_one('td[data-metric="roc_auc"]').text == f"{entry['roc_auc']:.3f}"
        assert row.select_one('td[data-metric="average_precision"]').text == f"{entry['average_precision']:.3f}"


def test_threshold_slider_follows_the_grid(built):
    soup, _, report = built
    slider = soup.select_one('input[type="range"]#threshold')
    thresholds = report["threshold_grid"]["thresholds"]
    assert float(slider["min"]) == thresholds[0] and float(slider["max"]) == thresholds[-1]
    assert float(slider["step"]) == pytest.approx(0.01) and float(slider["value"]) == report["threshold"]


def test_data_island_is_the_metrics_json(built):
    soup, _, report = built
    islands = soup.select('script[type="application/json"]#report-data')
    assert len(islands) == 1
    assert json.loads(islands[0].string) == report


def test_specs_validate_and_every_chart_has_a_static_svg(built):
    soup, _, _ = built
    schema = _vega_lite_schema()
    containers = soup.select(".vega-embed[data-chart]")
    assert len(containers) == 7
    for box in containers:
        assert box.find("svg") is not None, box["data-chart"]
        spec = json.loads(soup.find(id=f"spec-{box['data-chart']}").string)
        jsonschema.validate(spec, schema)


def test_no_external_urls(built):
    soup, html, _ = built
    for tag in soup.find_all(src=True) + soup.find_all(href=True):
        link = tag.get("src") or tag.get("href")
        assert not re.match(r"^\s*(https?:)?//", link), link
    assert "@import" not in html and "url(http" not in html
    assert html.count("window.vegaEmbed=") == 1  # the runtime is inlined once


def test_hostile_names_stay_data(tmp_path):
    names = [HOSTILE, 'a"b', "{{ x }} ${y}", "naïve, bayes"]
    rng = np.random.default_rng(1)
    y = rng.integers(0, 4, 200)
    p = rng.dirichlet(np.ones(4), 200)
    pd.DataFrame({"id": range(200), "label": np.array(names, dtype=object)[y]}).to_parquet(tmp_path / "l.parquet")
    pd.DataFrame({"id": range(200), **{c: p[:, j] for j, c in enumerate(names)}}).to_parquet(tmp_path / "s.parquet")
    soup, html, report = _page(tmp_path, baseline=False, title=HOSTILE, labels=tmp_path / "l.parquet",
                               scores=tmp_path / "s.parquet", inputs=None)
    assert html.count("<script>alert(1)") == 0
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html  # escaped in HTML
    assert "\\u003c/script\\u003e" in soup.find(id="report-data").string  # escaped inside the JSON
    assert [r["data-class"] for r in soup.select("tbody tr[data-class]")] == names
    assert json.loads(soup.find(id="report-data").string)["classes"] == names
    expressions = []
    for box in soup.select(".vega-embed[data-chart]"):
        spec_text = soup.find(id=f"spec-{box['data-chart']}").string
        assert "</script" not in spec_text
        expressions += list(_expressions(json.loads(spec_text)))
    assert len(expressions) > 5  # the charts do use expressions (filters, calculations)...
    for text in expressions:  # ...but class names reach them only as data, never as code
        assert not any(name in text for name in names), text


def _expressions(node):
    """Every string Vega parses as code: filters, calculations, conditions, signal expressions."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("filter", "calculate", "test", "expr") and isinstance(value, str):
                yield value
            else:
                yield from _expressions(value)
    elif isinstance(node, list):
        for item in node:
            yield from _expressions(item)


def test_page_stays_under_budget_with_twenty_classes(tmp_path):
    rng = np.random.default_rng(0)
    n, k = 100_000, 20
    y = rng.integers(0, k, n)
    logits = rng.normal(0, 1, (n, k))
    logits[np.arange(n), y] += 2
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    names = [f"class_{j:02d}" for j in range(k)]
    pd.DataFrame({"id": range(n), "label": np.array(names)[y]}).to_parquet(tmp_path / "l.parquet")
    pd.DataFrame({"id": range(n), **{c: p[:, j] for j, c in enumerate(names)}}).to_parquet(tmp_path / "s.parquet")
    _, html, _ = _page(tmp_path, baseline=False, labels=tmp_path / "l.parquet", scores=tmp_path / "s.parquet",
                       inputs=None, n_bootstrap=0)
    assert len(html.encode("utf-8")) < 1.5e6


def test_templates_come_from_the_package():
    from reportgen.report.templating import template_folder

    folder = template_folder()
    assert (folder / "page.html.j2").is_file() and (folder / "report.js").is_file()


def test_class_thresholds_are_shown(tmp_path):
    path = tmp_path / "ct.csv"
    path.write_text("class,threshold\n0,0.3\n8,0.7\n")
    soup, _, report = _page(tmp_path, baseline=False, class_thresholds=path, n_bootstrap=0)
    assert soup.select_one("[data-class-thresholds]").text == "0 0.3, 8 0.7"
    assert report["class_thresholds"]["8"] == 0.7 and report["class_thresholds"]["1"] == 0.5
