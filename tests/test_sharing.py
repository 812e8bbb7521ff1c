"""Sharing: the email message, the index page for static hosting, the generative page."""
from __future__ import annotations

import email
import json
import re
import subprocess
import sys
from email import policy

import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup

import reportgen
from reportgen.report.email import build_message
from reportgen.report.embed import script_json
from reportgen.report.index import build_index



def _binary_report(tmp_path, *, baseline=True):
    rng = np.random.default_rng(0)
    n = 400
    y = rng.integers(0, 2, n)
    p = np.clip(0.55 * y + 0.45 * rng.random(n), 0, 1).round(4)
    q = np.clip(0.3 * y + 0.7 * rng.random(n), 0, 1).round(4)
    labels = pd.DataFrame({"id": range(n), "label": np.where(y == 1, "spam", "ham")})
    scores = pd.DataFrame({"id": range(n), "spam": p})
    base = pd.DataFrame({"id": range(n), "spam": q}) if baseline else None
    ev = reportgen.evaluate(labels, scores, baseline=base, n_bootstrap=100)
    meta = {"title": "Spam <filter>", "model": "v2", "dataset": "mail", "generated_at": "2026-11-20T10:00:00+00:00",
            "reportgen_version": reportgen.__version__}
    return ev.with_extras(meta=meta).to_dict()


def _fake_page(report: dict) -> str:
    return ('<!doctype html><html><head><title>r</title></head><body><p>report</p>'
            f'<script type="application/json" id="report-data">{script_json(report)}</script></body></html>')


def test_email_message_parts(tmp_path):
    from reportgen.report.charts import email_charts

    report = _binary_report(tmp_path)
    page = _fake_page(report)
    message = build_message(report, page, subject="Release v2", to=["a@example.com"], charts=email_charts(report))
    raw = message.as_bytes()
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == "Release v2" and parsed["To"] == "a@example.com"
    html = parsed.get_body(preferencelist=("html",))
    text = parsed.get_body(preferencelist=("plain",))
    body = html.get_content()
    assert "<script" not in body.lower()
    cids = set(re.findall(r'src="cid:([^"]+)"', body))
    parts = {p["Content-ID"].strip("<>"): p for p in parsed.walk() if p["Content-ID"]}
    assert len(cids) == 3 and cids <= set(parts)
    for cid in cids:
        png = parts[cid].get_content()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and 2_000 < len(png) < 400_000
    plain = text.get_content()
    acc = report["summary"]["accuracy"]
    assert f"{acc:.3f}" in plain and "Threshold: 0.5" in plain and "positive class: spam" in plain
    assert "Spam &lt;filter&gt;" in body and "<filter>" not in body
    assert plain.startswith("Spam <filter>\n=============\n") and "&lt;" not in plain  # text as it is
    attachments = list(parsed.iter_attachments())
    assert [a.get_filename() for a in attachments] == ["spam-filter.html"]
    assert attachments[0].get_content() == page
    assert len(raw) < 3_000_000


def test_email_body_reads_with_javascript_off(tmp_path, chromium):
    from reportgen.report.charts import email_charts

    report = _binary_report(tmp_path)
    parsed = email.message_from_bytes(
        build_message(report, _fake_page(report), charts=email_charts(report)).as_bytes(), policy=policy.default
    )
    body = parsed.get_body(preferencelist=("html",)).get_content()
    folder = tmp_path / "mail"
    folder.mkdir()
    for part in parsed.walk():
        if part["Content-ID"]:
            cid = part["Content-ID"].strip("<>")
            (folder / f"{cid}.png").write_bytes(part.get_content())
            body = body.replace(f"cid:{cid}", f"{cid}.png")
    (folder / "body.html").write_text(body, "utf-8")
    context = chromium.new_context(java_script_enabled=False, viewport={"width": 700, "height": 900})
    page = context.new_page()
    page.goto((folder / "body.html").as_uri())
    text = page.inner_text("body")
    widths = page.eval_on_selector_all("img", "els => els.map(e => e.naturalWidth)")
    context.close()
    assert f"{report['summary']['macro_f1']:.3f}" in text
    assert "Per class at threshold 0.5" in text
    assert len(widths) == 3 and all(w > 100 for w in widths)  # every chart image decoded


def test_index_lists_reports_newest_first_and_skips_others(tmp_path):
    old = _binary_report(tmp_path)
    new = json.loads(json.dumps(old))
    new["meta"].update(generated_at="2026-11-22T09:00:00+00:00", model="v3", title="Spam v3")
    new["summary"]["accuracy"] = 0.99
    (tmp_path / "releases").mkdir()
    (tmp_path / "releases" / "v2.html").write_text(_fake_page(old), "utf-8")
    (tmp_path / "v3.html").write_text(_fake_page(new), "utf-8")
    (tmp_path / "notes.html").write_text("<html><body>hello</body></html>", "utf-8")
    (tmp_path / "broken.html").write_text('<script type="application/json" id="report-data">{oops</script>', "utf-8")
    done = subprocess.run([sys.executable, "-m", "reportgen", "index", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "2 reports listed, 2 files skipped" in done.stdout
    soup = BeautifulSoup((tmp_path / "index.html").read_text("utf-8"), "html.parser")
    rows = soup.select("tr[data-report]")
    assert [r["data-report"] for r in rows] == ["v3.html", "releases/v2.html"]
    assert [a["href"] for a in soup.select("tr[data-report] a")] == ["v3.html", "releases/v2.html"]
    assert "0.990" in rows[0].select_one('[data-metric="accuracy"]').text
    skipped = {li["data-skipped"]: li.text for li in soup.select("li[data-skipped]")}
    assert "not a reportgen report" in skipped["notes.html"] and "corrupt" in skipped["broken.html"]
    assert soup.select_one(".history svg") is not None  # two releases of one dataset: a history chart
    for tag in soup.find_all(src=True) + soup.find_all(href=True):
        link = tag.get("src") or tag.get("href")
        assert not re.match(r"^(https?:)?//", link)
    assert "Spam &lt;filter&gt;" in (tmp_path / "index.html").read_text("utf-8")
    (tmp_path / "v4.html").write_text(_fake_page(new), "utf-8")
    entries, _ = build_index(tmp_path, "x")
    assert len(entries) == 3  # re-running picks up a new report


def test_build_generate_cli(tmp_path):
    rng = np.random.default_rng(2)
    n = 500
    frame = pd.DataFrame({"example_id": rng.integers(0, 20, n).astype(str), "target": rng.integers(0, 9, n),
                          "predicted": rng.integers(0, 9, n), "logprob": -rng.exponential(2.0, n)})
    frame.to_csv(tmp_path / "tokens.csv", index=False)
    out, js = tmp_path / "lm.html", tmp_path / "lm.json"
    done = subprocess.run([sys.executable, "-m", "reportgen", "build-generate", "--tokens", str(tmp_path / "tokens.csv"),
                           "--vocab-size", "50000", "--out", str(out), "--metrics-json", str(js)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    data = json.loads(js.read_text())
    assert data["task"] == "generative"
    assert data["summary"]["loss"] == pytest.approx(-frame.logprob.mean())
    soup = BeautifulSoup(out.read_text("utf-8"), "html.parser")
    assert json.loads(soup.select_one("#report-data").string) == data
    assert soup.select_one("figure svg") is not None
    assert len(soup.select("tr[data-example]")) == 20
    frame.loc[3, "logprob"] = 0.5
    frame.to_csv(tmp_path / "bad.csv", index=False)
    out.write_text("OLD")
    done = subprocess.run([sys.executable, "-m", "reportgen", "build-generate", "--tokens", str(tmp_path / "bad.csv"),
                           "--out", str(out)], capture_output=True, text=True)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "bad.csv" in done.stderr and "row 4" in done.stderr and out.read_text() == "OLD"
