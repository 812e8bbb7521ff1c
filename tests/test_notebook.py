"""The report in a notebook, for real: a notebook written with nbformat, executed by a
kernel of this very interpreter (nbclient), exported by nbconvert to HTML and opened in
Chromium, where the page's live charts draw inside the sandboxed iframe."""
from __future__ import annotations

import html
import json
import os
import sys

import nbformat
import numpy as np
import pytest
from bs4 import BeautifulSoup
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbconvert import HTMLExporter

import reportgen
from reportgen.report.notebook import FRAME_HEIGHT
from reportgen.report.output import write_report

SETUP = """\
import sys
import numpy as np
import reportgen
print(sys.executable)
rng = np.random.default_rng(3)
y = rng.integers(0, 4, 600)
logits = rng.normal(size=(600, 4))
logits[np.arange(600), y] += 2.0
p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
names = ["cat", "dog", "<b>fox</b>", "owl"]
ev = reportgen.evaluate_arrays(np.array(names)[y], p, classes=names, n_bootstrap=0)
"""


def _headline(report: dict) -> list[str]:
    s = report["summary"]
    return [f"{s['accuracy']:.3f}", f"{s['macro_f1']:.3f}", f"{s['roc_auc_macro']:.3f}"]


@pytest.fixture(scope="module")
def notebook(tmp_path_factory):
    """The executed notebook, its HTML export, and the evaluation made in this process from the same data."""
    folder = tmp_path_factory.mktemp("notebook")
    kernels = folder / "kernels"
    from ipykernel.kernelspec import write_kernel_spec

    write_kernel_spec(kernels / "python3")  # argv: this interpreter (sys.executable)
    specs = json.loads((kernels / "python3" / "kernel.json").read_text())
    assert specs["argv"][0] == sys.executable
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(SETUP), nbformat.v4.new_code_cell("ev")]
    manager = KernelManager(kernel_name="python3", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels)]),
                            connection_file=str(folder / "connection.json"))
    env = {**os.environ, "IPYTHONDIR": str(folder / "ipython")}  # nothing written to the home folder
    NotebookClient(nb, km=manager, timeout=240, resources={"metadata": {"path": str(folder)}}).execute(env=env)
    nbformat.write(nb, folder / "report.ipynb")
    body, _ = HTMLExporter().from_notebook_node(nb)
    page = folder / "report.html"
    page.write_text(body, "utf-8")

    rng = np.random.default_rng(3)
    y = rng.integers(0, 4, 600)
    logits = rng.normal(size=(600, 4))
    logits[np.arange(600), y] += 2.0
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    names = ["cat", "dog", "<b>fox</b>", "owl"]
    ev = reportgen.evaluate_arrays(np.array(names)[y], p, classes=names, n_bootstrap=0)
    return nb, page, ev.to_dict()


def test_kernel_runs_this_interpreter(notebook):
    nb, _, _ = notebook
    printed = "".join(o.get("text", "") for o in nb.cells[0].outputs if o.output_type == "stream")
    assert printed.strip() == sys.executable


def test_display_is_a_sandboxed_frame_after_plain_headline_numbers(notebook):
    nb, _, report = notebook
    (display,) = [o for o in nb.cells[1].outputs if o.output_type == "execute_result"]
    markup = display["data"]["text/html"]
    assert len(display["data"]["text/plain"]) < 300  # the text view is one short line, not the whole report
    soup = BeautifulSoup(markup, "html.parser")
    frame = soup.find("iframe")
    assert frame["sandbox"] == ["allow-scripts"] and int(frame["height"]) == FRAME_HEIGHT
    assert frame["srcdoc"].startswith("<!doctype html>") and 'id="report-data"' in frame["srcdoc"]
    assert "<b>fox</b>" not in frame["srcdoc"] and "&lt;b&gt;fox" in frame["srcdoc"]  # data, even in the framed page
    for tag in soup.find_all(["iframe", "script"]):  # what a viewer that strips frames and scripts keeps
        tag.decompose()
    text = soup.get_text(" ")
    assert "multiclass" in text and "600 examples" in text
    for number in _headline(report):
        assert number in text
    assert "Macro F1" in text and "ROC AUC" in text


def test_exported_notebook_draws_live_charts_inside_the_frame(notebook, chromium, tmp_path):
    _, page_path, report = notebook
    context = chromium.new_context(viewport={"width": 1280, "height": 1000})
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:"))
                  else route.abort())  # the export links CDN scripts: no network here
    page = context.new_page()
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text) if m.type == "error" else None)
    page.goto(page_path.as_uri())
    handle = page.wait_for_selector("iframe[srcdoc]")
    frame = handle.content_frame()
    assert frame is not None and frame in page.frames
    views = frame.evaluate("() => window.reportgenPage.ready")  # resolves once every chart is live
    live = frame.eval_on_selector_all(".vega-embed svg.marks, .vega-embed canvas", "els => els.length")
    assert views >= 3 and live == views  # drawn by Vega in the frame, not the static SVGs
    tiles = frame.inner_text("body")
    assert report["summary"]["accuracy"] is not None and f"{report['summary']['accuracy']:.3f}" in tiles
    assert frame.eval_on_selector("#report-data", "e => JSON.parse(e.textContent).n_examples") == 600
    assert frame.evaluate("() => { try { return window.parent.document.title; } catch (e) { return 'blocked'; } }") \
        == "blocked"  # no same-origin: the page cannot reach the notebook
    headline = page.inner_text("[data-reportgen-headline]")
    assert all(number in headline for number in _headline(report))
    assert frame.evaluate("() => document.documentElement.scrollHeight") > FRAME_HEIGHT  # the page scrolls inside
    box = handle.bounding_box()
    assert box["height"] >= FRAME_HEIGHT - 2 and box["width"] > 600
    page.screenshot(path=str(tmp_path / "notebook.png"))
    context.close()
    blocked = [m for m in messages if "Content Security Policy" in m or "Refused" in m]
    assert not blocked, blocked


def test_to_html_and_to_json_match_the_build(tmp_path):
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 300)
    s = np.clip(0.4 * y + 0.6 * rng.random(300), 0, 1)
    ev = reportgen.evaluate_arrays(y, s, n_bootstrap=0)
    page = ev.to_html(title="Spam <v2>", model="v2", dataset="mail")
    soup = BeautifulSoup(page, "html.parser")
    data = json.loads(soup.select_one("#report-data").string)
    assert data["meta"]["title"] == "Spam <v2>" and data["meta"]["dataset"] == "mail"
    write_report(ev.with_extras(meta=data["meta"]), html_path=tmp_path / "build.html")  # what `build` writes
    assert (tmp_path / "build.html").read_text("utf-8") == page
    assert "Spam &lt;v2&gt;" in page
    assert ev.to_html(tmp_path / "r.html", title="Spam <v2>") is None
    assert (tmp_path / "r.html").read_text("utf-8").startswith("<!doctype html>")
    text = ev.to_json()
    assert json.loads(text) == json.loads(json.dumps(ev.to_dict())) and text.endswith("\n")
    assert ev.to_json(tmp_path / "m.json") is None
    assert json.loads((tmp_path / "m.json").read_text("utf-8"))["summary"] == ev.to_dict()["summary"]


def test_to_html_refuses_a_missing_folder_and_leaves_nothing(tmp_path):
    ev = reportgen.evaluate_arrays([0, 1, 1, 0], [0.2, 0.9, 0.6, 0.4], n_bootstrap=0)
    with pytest.raises(reportgen.InputError, match="output folder does not exist"):
        ev.to_html(tmp_path / "nope" / "r.html")
    target = tmp_path / "keep.json"
    target.write_text("old", "utf-8")
    broken = ev.with_extras(summary_extra=float("nan"))
    with pytest.raises(ValueError):
        broken.to_json(target)
    assert target.read_text("utf-8") == "old"  # an earlier file survives a failed write


def test_repr_html_escapes_into_srcdoc():
    ev = reportgen.evaluate_arrays(["a\"'<x>", "b"] * 5, [0.3, 0.8] * 5, n_bootstrap=0)
    markup = ev._repr_html_()
    srcdoc = BeautifulSoup(markup, "html.parser").find("iframe")["srcdoc"]
    assert html.unescape(markup.split('srcdoc="', 1)[1].split('" sandbox=', 1)[0]) == srcdoc
    assert "<x>" not in markup and "&lt;x&gt;" in srcdoc  # data stays data inside the framed page too
