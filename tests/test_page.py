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
from sklearn.metrics import precision_recall_fscore_support
from conftest import PROJECT_ROOT, softmax_scores
from reportgen.report.embed import read_island
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
    verdict = soup.select_one(".verdict").text
    entry = next(e for e in report["evidence"] if e["metric"] == "macro_f1")
    assert verdict == f"{entry['verdict'].upper()}: {entry['sentence']}"
    assert entry["verdict"] == "pass" and "change in macro F1" in verdict


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
    data = json.loads(islands[0].string)
    assert data["packed"] and all(data[key]["kind"] for key in data["packed"])  # the large sections are packed
    assert read_island(data) == report


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


@pytest.mark.parametrize("n, k, budget", [(100_000, 20, 1.5e6), (10_000, 100, 2.0e6)])
def test_page_stays_under_budget(tmp_path, n, k, budget):
    rng = np.random.default_rng(0)
    y = rng.integers(0, k, n)
    p = softmax_scores(rng, y, k, 2)
    names = [f"class_{j:02d}" for j in range(k)]
    pd.DataFrame({"id": range(n), "label": np.array(names)[y]}).to_parquet(tmp_path / "l.parquet")
    pd.DataFrame({"id": range(n), **{c: p[:, j] for j, c in enumerate(names)}}).to_parquet(tmp_path / "s.parquet")
    _, html, _ = _page(tmp_path, baseline=False, labels=tmp_path / "l.parquet", scores=tmp_path / "s.parquet",
                       inputs=None, n_bootstrap=0)
    size = len(html.encode("utf-8"))
    print(f"{k} classes, {n:,} rows: page {size / 1e6:.2f} MB")
    assert size < budget


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


# ---------------------------------------------------------------- small synthetic reports, rendered directly


def _render(report: dict, title: str = "Synthetic") -> BeautifulSoup:
    from reportgen.report.page import PageMeta, render_page

    meta = PageMeta(title=title, model="m1", dataset="d1", generated_at="2026-11-23T00:00:00+00:00", version="9.9")
    return BeautifulSoup(render_page(report, meta), "html.parser")


def _binary_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 400)
    return y, np.clip(0.3 * y + rng.uniform(0, 0.7, 400), 0, 1).round(4)


def _binary_report(threshold: float = 0.35) -> dict:
    y, p = _binary_data()
    labels = pd.DataFrame({"id": range(400), "label": np.where(y == 1, "spam", "ham")})
    scores = pd.DataFrame({"id": range(400), "spam": p})
    return reportgen.evaluate(labels, scores, threshold=threshold, positive_class="spam").to_dict()


def _multilabel_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(4)
    truth = rng.random((300, 3)) < [0.5, 0.3, 0.1]
    return truth, np.clip(0.45 * truth + rng.uniform(0, 0.6, (300, 3)), 0, 1).round(4)


def _multilabel_report() -> dict:
    names = ["cat", "dog", "bird"]
    truth, p = _multilabel_data()
    joined = ["|".join(n for n, t in zip(names, row) if t) for row in truth]
    labels = pd.DataFrame({"id": range(300), "labels": joined})
    scores = pd.DataFrame({"id": range(300), **{n: p[:, j] for j, n in enumerate(names)}})
    return reportgen.evaluate(labels, scores, multilabel=True).to_dict()


def test_binary_page_header_slider_and_counts():
    report = _binary_report(0.35)
    soup = _render(report)
    assert report["classes"] == ["ham", "spam"]
    facts = {dt.text: dt.find_next("dd").text for dt in soup.select(".facts dt")}
    assert facts["Model"] == "m1" and facts["Dataset"] == "d1" and facts["Examples"] == "400"
    assert facts["Classes"] == "2" and facts["Threshold"] == "0.35" and facts["reportgen"] == "9.9"
    assert facts["Task"].startswith("binary") and "spam" in facts["Task"]
    slider = soup.select_one("input#threshold")
    assert (slider["min"], slider["max"], slider["step"], slider["value"]) == ("0.0", "1.0", "0.01", "0.35")
    assert soup.select_one("#threshold-value").text == "0.35"
    spam = soup.select_one('tr[data-class="spam"]')
    at = report["per_class"][1]["at_threshold"]
    assert spam.select_one('td[data-metric="tp"]').text == str(at["tp"])
    assert spam.select_one('td[data-metric="total_predicted"]').text == str(at["tp"] + at["fp"])
    # the tiles that follow the threshold say so; ROC AUC and log loss do not
    live = {t["data-tile"] for t in soup.select("[data-tile]") if "Follows the threshold" in t.text}
    assert live == {"precision", "recall", "f1", "accuracy"}


def test_multilabel_page_rows_and_macro_row():
    report = _multilabel_report()
    soup = _render(report)
    assert [r["data-class"] for r in soup.select("tbody tr[data-class]")] == ["cat", "dog", "bird"]
    macro = {td["data-macro"]: td.text for td in soup.select("td[data-macro]")}
    at = [c["at_threshold"] for c in report["per_class"]]
    assert "tp" not in macro  # counts are not averaged
    assert macro["f1"] == f"{sum(a['f1'] for a in at) / 3:.3f}"
    assert macro["roc_auc"] == f"{report['summary']['roc_auc_macro']:.3f}"
    assert soup.find(id="chart-confusion").find("svg") is not None


def test_data_island_escapes_every_dangerous_character():
    from reportgen.report.embed import script_json

    text = script_json({"k": "</script> & <!-- \u2028 \u2029"})
    assert not any(c in text for c in "<>&\u2028\u2029")
    assert json.loads(text) == {"k": "</script> & <!-- \u2028 \u2029"}


def test_static_svg_is_lean_and_keeps_its_text():
    from reportgen.report.vega import lean_svg

    svg = ('<g class="mark-rect role-mark" role="graphics-symbol" aria-roledescription="rect mark container">'
           '<path d="M25.200000000000003,0h8.4v8.4h-8.4Z" fill="rgb(16, 88, 160)" opacity="1" fill-opacity="1">'
           '</path><text transform="translate(67.123456,-0.0012)">0.9634 class=&quot;x&quot;</text></g>')
    assert lean_svg(svg) == ('<g><path d="M25.2,0h8.4v8.4h-8.4Z" fill="#1058a0" fill-opacity="1"/>'
                             '<text transform="translate(67.12,0)">0.9634 class=&quot;x&quot;</text></g>')


def test_curve_legends_follow_class_order_and_name_their_area(built):
    from reportgen.report import charts

    _, _, report = built
    data = charts.datasets(report, report["threshold"])
    roc = [r for r in data["roc_curves"] if r["model"] == "model"]
    assert [r["class"] for r in roc] == report["classes"] + [charts.MACRO]
    assert [r["order"] for r in roc] == list(range(len(report["classes"]) + 1))
    first = report["per_class"][0]
    assert roc[0]["label"] == f"{first['class']} (AUC {first['roc_auc']:.3f})"
    point = data["points"][0]
    assert point["pr_label"] == f"{first['class']} (AP {first['average_precision']:.3f})"
    assert point["roc_label"] == roc[0]["label"]  # the operating point shares its curve's colour
    baseline = [r for r in data["roc_curves"] if r["model"] != "model"]
    assert baseline and all(r["label"] == next(c["label"] for c in roc if c["class"] == r["class"]) for r in baseline)


def test_suggested_thresholds_are_marked_on_the_threshold_chart(built):
    from reportgen.report import charts

    _, _, report = built
    marks = charts.datasets(report, report["threshold"])["advice_marks"]
    overall = [m for m in marks if m["class"] == ""]
    assert {m["what"] for m in overall} >= {"best F1"}
    assert overall[0]["threshold"] == report["advice_overall"]["max_f1"]["threshold"]
    per_class = {m["class"]: m["threshold"] for m in marks if m["what"] == "best F1" and m["class"]}
    assert per_class == {c: a["max_f1"]["threshold"] for c, a in report["advice"].items()}
    # without scripts the column is text (the script makes each value a button that sets the threshold)
    assert not built[0].select("#summary-table [data-set-threshold], #summary-table [data-pick]")
    shown = {r["data-class"]: r.select("td")[-1].text for r in built[0].select("#summary-table tbody tr")}
    assert shown == {c: f"{t:.2f}" for c, t in per_class.items()}


def test_matrix_cells_are_whole_pixels():
    from reportgen.report.charts import _cell_size

    for k in (2, 10, 20, 50, 100):
        side = _cell_size(k)
        assert side % k == 0 and 200 <= side <= 440, (k, side)


def test_deltas_print_signed_without_negative_zero(built):
    soup, _, _ = built
    texts = [td.text for td in soup.select("#summary-table td.delta")]
    assert texts and all(t[0] in "+−" or t == "0.000" for t in texts), texts
    assert "-0.000" not in soup.select_one("#summary-table").text


def test_selection_states_its_caps(built):
    soup, _, report = built
    text = soup.select_one("#selection").text
    sel = report["selection"]
    assert f"at most {sel['max_per_cell']:,} per cell and {sel['max_total']:,} in all" in text
    listed = soup.select("#selection details.cell")
    assert listed and all(d["data-cell-actual"] != d["data-cell-predicted"] for d in listed)


# ---------------------------------------------------------------- the page's script, in Chromium when available


def _macro(truth: np.ndarray, predicted: np.ndarray) -> tuple[float, float, float]:
    """Macro precision, recall, F1 over indicator columns, 0/0 = 0 (scikit-learn's zero_division=0)."""
    tp = (truth & predicted).sum(0)
    fp = (~truth & predicted).sum(0)
    fn = (truth & ~predicted).sum(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        recall = np.where(tp + fn > 0, tp / (tp + fn), 0.0)
        f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), 0.0)
    return precision.mean(), recall.mean(), f1.mean()


def _tiles_after_moving(chromium, tmp_path, report: dict, value: float, *, dark: bool = False) -> tuple[dict, list]:
    context, page, problems = _live(chromium, tmp_path, report, dark=dark)
    _move_to(page, value)
    tiles = dict(page.eval_on_selector_all("[data-tile-value]", "els => els.map(e => [e.dataset.tileValue, e.textContent])"))
    tiles["shown"] = page.inner_text("#threshold-value")
    tiles["pr_legend"] = page.eval_on_selector("#chart-pr", "e => [...e.querySelectorAll('text')].map(t => t.textContent).join('|')")
    context.close()
    return tiles, problems


def test_binary_tiles_follow_the_slider(chromium, tmp_path):
    y, p = _binary_data()
    tiles, problems = _tiles_after_moving(chromium, tmp_path, _binary_report(0.35), 0.6)
    truth, predicted = np.where(y == 1, "spam", "ham"), np.where(p > 0.6, "spam", "ham")
    expected = precision_recall_fscore_support(truth, predicted, pos_label="spam", average="binary")[:3]
    assert tiles["shown"] == "0.60"
    assert tiles["accuracy"] == f"{np.mean((p > 0.6) == (y == 1)):.3f}"
    assert (tiles["precision"], tiles["recall"], tiles["f1"]) == tuple(f"{v:.3f}" for v in expected)
    assert "(AP " in tiles["pr_legend"] and "(AUC " not in tiles["pr_legend"]
    assert problems == []


def test_multilabel_tiles_follow_the_slider_in_dark_mode(chromium, tmp_path):
    truth, p = _multilabel_data()
    tiles, problems = _tiles_after_moving(chromium, tmp_path, _multilabel_report(), 0.7, dark=True)
    predicted = p > 0.7
    precision, recall, f1 = _macro(truth, predicted)
    assert tiles["accuracy"] == f"{1 - np.mean(truth != predicted):.3f}"
    assert (tiles["macro_precision"], tiles["macro_recall"], tiles["macro_f1"]) == (
        f"{precision:.3f}", f"{recall:.3f}", f"{f1:.3f}")
    assert problems == []


def test_slice_counts_follow_the_slider(chromium, tmp_path):
    binary = PROJECT_ROOT / "examples" / "binary"
    report = reportgen.evaluate_files(binary / "labels.csv", binary / "scores.csv", metadata=binary / "metadata.csv",
                                      slice_by=["texture_group"], n_bootstrap=0).to_dict()
    assert any(s.get("grid") for s in report["slices"])
    context, page, problems = _live(chromium, tmp_path, report)
    _move_to(page, 0.3)
    at = report["threshold_grid"]["thresholds"].index(0.3)
    shown = page.eval_on_selector_all(
        "tr[data-slice-index]", """rows => rows.map(r => [+r.dataset.sliceIndex,
            ...['tp', 'fp', 'fn'].map(k => r.querySelector(`td[data-slice-metric="${k}"]`).textContent)])""")
    context.close()
    assert shown, "no slice rows on the page"
    for index, tp, fp, fn in shown:
        grid = report["slices"][index]["grid"]
        assert (tp, fp, fn) == tuple(str(grid[k][at]) for k in ("tp", "fp", "fn"))
    assert problems == []


def _live(chromium, tmp_path, report: dict, *, dark: bool = False):
    """The page of ``report`` open in Chromium, every chart live; returns (context, page, problems)."""
    from reportgen.report.page import PageMeta, render_page

    path = tmp_path / "live.html"
    path.write_text(render_page(report, PageMeta(title="live")), "utf-8")
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, color_scheme="dark" if dark else "light")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_function("window.reportgenPage !== undefined", timeout=20000)
    charts = 7 + page.evaluate("document.querySelectorAll('#decisions [data-chart]').length")  # + decisions' charts
    assert page.evaluate("reportgenPage.ready") == charts
    return context, page, problems


def _move_to(page, value: float) -> None:
    page.evaluate("""(v) => new Promise((done) => { const s = document.getElementById('threshold');
        s.value = String(v); s.dispatchEvent(new Event('input', {bubbles: true}));
        requestAnimationFrame(() => setTimeout(done, 0)); })""", value)


def _many_report(k: int = 30) -> dict:
    rng = np.random.default_rng(5)
    n = 3000
    y = rng.integers(0, k, n)
    p = softmax_scores(rng, y, k, 2.0)
    names = [f"c{j:02d}" for j in range(k)]
    labels = pd.DataFrame({"id": range(n), "label": np.array(names)[y]})
    scores = pd.DataFrame({"id": range(n), **{c: p[:, j] for j, c in enumerate(names)}})
    return reportgen.evaluate(labels, scores).to_dict()


def _baseline_report() -> dict:
    ex = ROOT / "examples" / "multiclass"
    return reportgen.evaluate_files(labels=ex / "labels.csv", scores=ex / "scores.csv",
                                    baseline=ex / "baseline_scores.csv", n_bootstrap=0).to_dict()


@pytest.mark.parametrize("make", [_binary_report, _multilabel_report, _many_report, _baseline_report],
                         ids=["binary", "multilabel", "many", "baseline"])
def test_page_script_builds_the_same_chart_data_as_python(chromium, tmp_path, make):
    """report.js mirrors charts.datasets: the live charts draw what the static ones do, at any threshold."""
    from reportgen.report import charts

    report = make()
    context, page, problems = _live(chromium, tmp_path, report)
    thresholds = report["threshold_grid"]["thresholds"]
    for t in (report["threshold"], 0.2, 0.8):
        at = thresholds.index(t)
        live = page.evaluate("(at) => JSON.stringify(reportgenPage.datasets(at))", at)
        assert json.loads(live) == json.loads(json.dumps(charts.datasets(report, t))), t
    assert problems == []
    context.close()


@pytest.mark.parametrize("make", [_binary_report, _multilabel_report], ids=["binary", "multilabel"])
def test_slider_moves_the_operating_points_and_counts_in_the_live_charts(chromium, tmp_path, make):
    from reportgen.report import charts

    report = make()
    context, page, problems = _live(chromium, tmp_path, report)
    fields = ("class", "fpr", "tpr", "precision", "recall")
    read = """(key) => { const e = reportgenPage.views.find((v) => v.key === key);
                         return JSON.stringify(e.view.data(key === 'counts' ? 'counts' : 'points')); }"""
    for t in (0.15, 0.7):
        _move_to(page, t)
        expected = charts.datasets(report, t)
        for key in ("roc", "pr"):
            shown = [{f: row[f] for f in fields} for row in json.loads(page.evaluate(read, key))]
            assert shown == [{f: row[f] for f in fields} for row in expected["points"]], (key, t)
        counts = [{f: row[f] for f in ("class", "kind", "count")} for row in json.loads(page.evaluate(read, "counts"))]
        assert counts == expected["counts"], t
        predicted = {r["class"]: r["count"] for r in counts if r["kind"] == "predicted"}
        assert predicted[report["classes"][-1]] == sum(
            report["threshold_grid"]["classes"][report["classes"][-1]][k][report["threshold_grid"]["thresholds"].index(t)]
            for k in ("tp", "fp"))
    rule = page.evaluate("() => reportgenPage.views.find((v) => v.key === 'threshold').view.signal('threshold')")
    assert rule == 0.7
    assert problems == []
    context.close()


def test_many_classes_draw_the_macro_curve_and_the_picked_class(chromium, tmp_path):
    report = _many_report(30)
    soup = _render(report)
    spec = json.loads(soup.find(id="spec-roc").string)
    assert spec["width"] == "container"  # the card's width in the browser...
    svg = soup.find(id="chart-roc").find("svg")
    assert 300 < float(svg["width"]) < 700  # ...and a fixed one in the static fallback
    context, page, problems = _live(chromium, tmp_path, report)
    legend = "() => [...document.querySelectorAll('#chart-roc text')].map((t) => t.textContent).filter((t) => t.includes('AUC'))"
    assert page.evaluate(legend) == [f"macro average (AUC {report['summary']['roc_auc_macro']:.3f})"]
    page.fill("#highlight", "c07")
    page.wait_for_timeout(100)
    assert sorted(page.evaluate(legend)) == sorted([f"c07 (AUC {report['per_class'][7]['roc_auc']:.3f})",
                                                     f"macro average (AUC {report['summary']['roc_auc_macro']:.3f})"])
    assert page.locator('tr[data-class="c07"]').get_attribute("class") == "highlighted"
    heights = page.evaluate("() => [...document.querySelectorAll('.vega-embed.live > svg')].map((s) => s.getBoundingClientRect().height)")
    assert len(heights) == 7 and all(100 < h < 900 for h in heights), heights
    assert problems == []
    context.close()


def test_curve_charts_without_any_curve_keep_a_sane_size(chromium, tmp_path):
    """An empty colour legend makes Vega's layout infinitely tall: the page never gives it one."""
    from reportgen.report import charts

    report = _many_report(14)
    report.pop("macro_curves", None)  # nothing to draw until a class is picked
    rows = charts.datasets(report, report["threshold"])["roc_curves"]
    assert [r["label"] for r in rows if r["macro"]] == [charts.NO_CURVE]
    soup = _render(report)
    assert float(soup.find(id="chart-roc").find("svg")["height"]) < 900
    context, page, problems = _live(chromium, tmp_path, report)
    heights = page.evaluate("() => [...document.querySelectorAll('.vega-embed.live > svg')].map((s) => s.getBoundingClientRect().height)")
    assert all(100 < h < 900 for h in heights), heights
    assert problems == []
    context.close()


def test_static_heatmap_cells_merge_into_one_path_per_colour():
    from reportgen.report.vega import lean_svg

    svg = ('<g><path d="M0,0h8v8h-8Z" fill="rgb(1, 2, 3)"></path><path d="M8,0h8v8h-8Z" fill="#aabbcc"></path>'
           '<path d="M16,0h8v8h-8Z" fill="#010203"></path></g><path d="M1,1" fill="#010203"></path>'
           '<path d="m1,1h2" fill="#010203"></path><path d="m3,1h2" fill="#010203"></path>')
    assert lean_svg(svg) == ('<g><path d="M0,0h8v8h-8ZM16,0h8v8h-8Z" fill="#010203"/><path d="M8,0h8v8h-8Z" fill="#aabbcc"/>'
                             '</g><path d="M1,1" fill="#010203"/><path d="m1,1h2" fill="#010203"/>'
                             '<path d="m3,1h2" fill="#010203"/>')


# ----------------------------------------------------------------------------- the packed data island


@pytest.mark.parametrize("values", [
    list(range(200)),                                                # uint8
    [0, 70000, 3] * 30,                                              # int32
    [-5, 4, 1000] * 30,                                              # negative: int32
    [2**40 + 1, 7] * 40,                                             # beyond int32: float64 storage, ints back
    [round(x, 4) for x in np.random.default_rng(1).uniform(0, 1, 300)],  # four decimals: scale 10,000
    [float(f"{x:.6g}") for x in np.random.default_rng(2).uniform(1e-7, 1, 300)],  # 6 significant digits: exponents
    list(np.random.default_rng(3).normal(0, 1, 300)),               # any float64
    [1.0, 2.0, 3.0] * 30,                                            # floats stay floats
    [None, 0.5, 0.25] * 30,                                          # nulls
    [[1, 2, 3, 4]] * 40,                                             # a matrix
    [list(range(i % 7)) for i in range(100)],                        # ragged lists, some empty
    [f"class_{i % 9}" for i in range(300)],                          # repeated strings
    [{"a": i, "b": None if i % 3 else [i, 0.5], "c": f"x{i}"} if i % 5 else None for i in range(200)],
    [True, False] * 40,                                              # booleans stay plain
    [],
], ids=["uint8", "int32", "negative", "big", "decimals", "significant", "float64", "whole-floats", "nulls",
        "matrix", "ragged", "strings", "records", "booleans", "empty"])
def test_the_packed_island_gives_back_every_value_exactly(values):
    from reportgen.report.embed import island, read_island, script_json

    report = {"summary": {"x": 1}, "curves": {"__proto__": values, "kind": values, "c": {"v": values}}}
    data = json.loads(script_json(island(report)))
    assert data["packed"] == ["curves"] and data["summary"] == {"x": 1}
    back = read_island(data)
    assert back == report
    assert json.dumps(back) == json.dumps(report)  # ints stay ints, floats floats, to the last bit


def test_packed_arrays_take_the_smallest_type():
    from reportgen.report.embed import pack_array, unpack_array

    cases = [(np.random.default_rng(0).integers(0, 256, 300).tolist(), "uint8"), ([0, 65535] * 40, "uint16"), ([0, 65536] * 40, "int32"),
             (list(np.random.default_rng(0).normal(size=100)), "float64")]
    for values, dtype in cases:
        node = pack_array(values)
        assert node["dtype"] == dtype and unpack_array(node) == values
    counts = np.cumsum(np.random.default_rng(0).integers(0, 3, (30, 101)), axis=1)[:, ::-1].tolist()
    assert pack_array(counts)["delta"] is True  # counts along the threshold grid: differences compress best


def test_the_page_island_follows_the_schema(built):
    from reportgen.report.json import schema

    soup, _, report = built
    data = json.loads(soup.find(id="report-data").string)
    defs = schema()["$defs"]
    root = {"$defs": defs}
    jsonschema.validate(data, {**root, "$ref": "#/$defs/island"})

    def walk(node):
        jsonschema.validate(node, {**root, "$ref": "#/$defs/island_node"})
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            for key in ("values", "columns", "lengths", "index", "exponents"):
                if key in node:
                    walk(node[key])

    for key in data["packed"]:
        walk(data[key])
    assert {"per_class", "curves", "threshold_grid"} <= set(data["packed"])
    assert "summary" not in data["packed"] and data["summary"] == report["summary"]  # other readers scan it


def test_every_other_cell_of_a_compact_matrix_keeps_examples():
    """Past 40 classes each cell of the "other" row and column keeps some examples, even when the
    total budget is spent on the other cells."""
    rng = np.random.default_rng(7)
    n, k = 2000, 60
    y = rng.integers(0, k, n)
    p = softmax_scores(rng, y, k, 1.0)
    names = [f"c{j:02d}" for j in range(k)]
    labels = pd.DataFrame({"id": range(n), "label": np.array(names)[y]})
    scores = pd.DataFrame({"id": range(n), **{c: p[:, j] for j, c in enumerate(names)}})
    report = reportgen.evaluate(labels, scores, n_bootstrap=0, inputs_total=10).to_dict()
    shown = report["confusion_matrix"]["shown"]
    inside = {names[i] for i in shown["index"]}
    labels_of = [names[i] for i in shown["index"]] + [None]
    embedded = {}
    for cell in report["selection"]["cells"]:
        group = (cell["actual"] if cell["actual"] in inside else None, cell["predicted"] if cell["predicted"] in inside else None)
        embedded[group] = embedded.get(group, 0) + len(cell["examples"])
    counts = shown["counts"]
    for i, a in enumerate(labels_of):
        for j, b in enumerate(labels_of):
            if (a is None or b is None) and counts[i][j] > 0:
                assert embedded.get((a, b), 0) > 0, (a, b)
    assert sum(embedded.values()) < 10 + 5 * (2 * len(inside) + 1)


def test_counts_and_ratios_print_one_way_in_every_view(tmp_path):
    """A count reads 2,400 in the header, the table, the Markdown and the email; a ratio
    has three decimals in the page, the index, the email and the Markdown."""
    from reportgen.numbers import format_count, format_ratio
    from reportgen.report.email import build_message
    from reportgen.report.index import build_index
    from reportgen.report.markdown import summary_markdown

    assert [format_count(v) for v in (0, 999, 1000, 20000, 1234567)] == ["0", "999", "1,000", "20,000", "1,234,567"]
    assert format_count(12345.625, 2) == "12,345.63" and format_count(None) == "—"
    assert [format_ratio(v) for v in (0.95349, 1.0, -0.25, None)] == ["0.953", "1.000", "−0.250", "—"]
    rng = np.random.default_rng(8)
    n = 2400
    y = rng.integers(0, 3, n)
    labels = pd.DataFrame({"id": range(n), "label": np.array(["a", "b", "c"])[y]})
    p = softmax_scores(rng, y, 3, 1.5)
    scores = pd.DataFrame({"id": range(n), **{c: p[:, j] for j, c in enumerate("abc")}})
    ev = reportgen.evaluate(labels, scores, n_bootstrap=0).with_extras(
        meta={"title": "t", "dataset": "d", "generated_at": "2026-11-23T00:00:00+00:00"})
    report = ev.to_dict()
    soup = _render(report)
    facts = {dt.text: dt.find_next("dd").text for dt in soup.select(".facts dt")}
    assert facts["Examples"] == "2,400"
    macro = {td["data-macro"]: td.text for td in soup.select("td[data-macro]")}
    assert macro["f1"] == format_ratio(np.mean([c["at_threshold"]["f1"] for c in report["per_class"]]))
    for entry in report["per_class"]:  # about 800 examples each: no separator; the header's 2,400 has one
        row = soup.select_one(f'tr[data-class="{entry["class"]}"]')
        assert row.select_one('td[data-metric="total_labeled"]').text == format_count(entry["support"])
    markdown = summary_markdown(report)
    assert "2,400 examples" in markdown and f"| {format_ratio(report['summary']['accuracy'])} |" in markdown
    message = build_message(report, "<html></html>")
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    accuracy = format_ratio(report["summary"]["accuracy"])
    assert "2,400 examples" in plain and "2,400 examples" in html and accuracy in plain and accuracy in html
    write_report(ev, html_path=tmp_path / "r.html")
    build_index(tmp_path, "9.9")
    index = BeautifulSoup((tmp_path / "index.html").read_text("utf-8"), "html.parser")
    assert index.select_one('[data-metric="accuracy"] b').text == accuracy


def test_example_tables_have_an_input_column_only_with_inputs(built):
    soup = _render(_many_report(12))  # no inputs file
    tables = soup.select("#selection table, #mistakes table")
    assert tables and len(soup.select("#mistakes tbody tr")) > 0
    assert all("input" not in [th.text for th in t.select("thead th")] for t in tables)
    widths = {len(t.select("thead th")) for t in soup.select("#selection details table")}
    assert widths == {3}  # id, p(actual), p(predicted)
    with_inputs, _, _ = built
    for table in with_inputs.select("#selection details table, #mistakes table"):
        heads = [th.text for th in table.select("thead th")]
        if "id" in heads:
            assert heads[-1] == "input" and all(len(r.select("td")) == len(heads) for r in table.select("tbody tr"))


def test_a_target_kept_only_by_predicting_everything_is_not_offered():
    """recall >= 1 is kept only at threshold 0, where every example is predicted as every
    class: said in words, neither a button nor a rule on the threshold chart."""
    from reportgen.report import charts

    rng = np.random.default_rng(11)
    n, names = 300, ["a", "b", "c"]
    y = rng.integers(0, 3, n)
    p = softmax_scores(rng, y, 3, 2.0)
    for j in range(3):  # one example of each class with a true-class score below the first step
        row = np.flatnonzero(y == j)[0]
        p[row] = 0.4995
        p[row, j] = 0.001
    labels = pd.DataFrame({"id": range(n), "label": np.array(names)[y]})
    scores = pd.DataFrame({"id": range(n), **{c: p[:, j] for j, c in enumerate(names)}})
    report = reportgen.evaluate(labels, scores, target_recall=1.0, n_bootstrap=0).to_dict()
    grid = report["threshold_grid"]
    recall = report["advice_overall"]["target_recall"]
    assert recall["threshold"] == 0.0 and recall["predicts_all"] is True
    assert sum(grid["classes"][c]["tn"][0] for c in names) == 0
    for point in (report["advice_overall"]["max_f1"], report["advice_overall"]["target_precision"]):
        at = grid["thresholds"].index(point["threshold"])
        assert point["predicts_all"] is (sum(grid["classes"][c]["tn"][at] for c in names) == 0) is False
    soup = _render(report)
    chips = [b.text for b in soup.select("#threshold-control button.advice")]
    assert not any(c.startswith("recall") for c in chips) and any(c.startswith("best F1") for c in chips)
    note = soup.select_one("[data-advice-trivial]").text
    assert "recall ≥ 1.0 is kept only at 0.00, where every example is predicted as every class" in note
    marks = charts.datasets(report, report["threshold"])["advice_marks"]
    assert not any(m["what"].startswith("recall") and m["class"] == "" for m in marks)
    assert any(m["what"] == "best F1" and m["class"] == "" for m in marks)


def test_curve_dash_legends_name_the_baselines_area_too(built):
    from reportgen.report import charts

    _, _, report = built
    data = charts.datasets(report, report["threshold"])
    for kind, key, short in (("roc_curves", "roc_auc_macro", "AUC"), ("pr_curves", "average_precision_macro", "AP")):
        labels = {(r["model"], r["model_order"], r["model_label"]) for r in data[kind]}
        base = report["baseline"]
        assert labels == {("model", 0, f"model (macro {short} {report['summary'][key]:.3f})"),
                          (base["name"], 1, f"{base['name']} (macro {short} {base['summary'][key]:.3f})")}
    specs = {c["id"]: json.loads(c["spec"]) for c in _figures(report)}
    dash = specs["roc"]["layer"][1]["encoding"]["strokeDash"]
    assert dash["field"] == "model_label" and dash["legend"] is not None


def _figures(report: dict) -> list[dict]:
    from reportgen.report.figures import build_figures, chart_view

    return build_figures(chart_view(report))["charts"]


def test_top_k_accuracy_tiles_beyond_a_dozen_classes():
    from sklearn.metrics import top_k_accuracy_score

    report = _many_report(30)
    soup = _render(report)
    tiles = {t["data-tile"]: t for t in soup.select("[data-tile]")}
    rng = np.random.default_rng(5)  # _many_report's data again
    y = rng.integers(0, 30, 3000)
    p = softmax_scores(rng, y, 30, 2.0)
    for k in (3, 5):
        tile = tiles[f"top_k_accuracy.{k}"]
        assert tile.select_one(".tile-label").text == f"Top-{k} accuracy"
        expected = top_k_accuracy_score(y, p, k=k, labels=range(30))
        assert tile.select_one("[data-tile-value]").text == f"{expected:.3f}"
    few = {t["data-tile"] for t in _render(_baseline_report()).select("[data-tile]")}  # 10 classes
    assert not any(key.startswith("top_k") for key in few)


def test_without_scripts_the_page_asks_for_nothing_only_scripts_do(built):
    """Every sentence that asks the reader to click, tap, hover or pick is hidden until the
    script shows it; the static captions say what the static charts show."""
    soup, _, _ = built
    for tag in soup.find_all(string=re.compile(r"\b([Cc]lick|[Hh]over|[Pp]ick a|[Tt]ap)\b")):
        hidden = any(p.name == "noscript" or (p.has_attr("data-needs-script") and p.has_attr("hidden"))
                     or p.name in ("script", "style") for p in tag.parents)
        assert hidden, str(tag)[:120]
    hints = soup.select(".chart-note [data-needs-script]")
    assert len(hints) == len(soup.select("figure.chart")) and all(h.has_attr("hidden") for h in hints)
    assert "Tap or click a cell" in soup.select_one("#figure-confusion [data-needs-script]").text
    many = _render(_many_report(30))
    note = many.select_one("#figure-roc .chart-note")
    assert note.contents[0].strip() == "With 30 classes only the macro average is drawn. One-vs-rest. The dashed diagonal is chance."


def test_selection_lists_the_confusions_with_the_most_examples_first():
    report = _many_report(30)
    soup = _render(report)
    listed = [(d["data-cell-actual"], d["data-cell-predicted"]) for d in soup.select("#selection details.cell")]
    counts = {(c["actual"], c["predicted"]): c["count"] for c in report["selection"]["cells"]}
    shown = [counts[cell] for cell in listed]
    assert shown == sorted(shown, reverse=True) and all(a != p for a, p in listed)
    embedded = sorted((c["count"] for c in report["selection"]["cells"] if c["examples"] and c["actual"] != c["predicted"]),
                      reverse=True)
    assert shown == embedded[:len(shown)]
    assert "Below, the cells with the most examples first." in soup.select_one("#selection").text


def test_rule_labels_take_sides_and_lanes():
    from reportgen.report.charts import _lanes

    rows = [{"class": "", "threshold": t, "what": w} for t, w in ((0.07, "p"), (0.0, "r"), (0.02, "f"), (0.9, "x"))]
    rows.append({"class": "c1", "threshold": 0.02, "what": "f"})
    placed = {(r["class"], r["what"]): (r["side"], r["lane_at"]) for r in _lanes(rows)}
    assert placed == {("", "r"): ("right", 0.0), ("", "f"): ("right", 1 / 3), ("", "p"): ("right", 0.0),
                      ("", "x"): ("left", 0.0), ("c1", "f"): ("right", 0.0)}
