"""The Markdown summary, read back with a GitHub-flavoured renderer: real tables, the
JSON's numbers, GitHub's comment limit kept by dropping rows, user strings kept as data."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from markdown_it import MarkdownIt

import reportgen
from conftest import run_reportgen, softmax_scores, write_frame
from reportgen import gate, registry
from reportgen.report.markdown import LIMIT, MARKER, summary_markdown

NAMES = ["cat", "dog", "emu", "a|b <script>alert(1)</script> `x` *y* [z](http://e)"]


def _frames(y, scores, names):
    ids = [f"r{i}" for i in range(len(y))]
    labels = pd.DataFrame({"id": ids, "label": np.array(names, dtype=object)[y]})
    table = pd.DataFrame({"id": ids, **{n: scores[:, j] for j, n in enumerate(names)}})
    return labels, table


@pytest.fixture(scope="module")
def compared():
    rng = np.random.default_rng(21)
    y = rng.integers(0, len(NAMES), 400)
    new, old = softmax_scores(rng, y, len(NAMES), 1.8), softmax_scores(rng, y, len(NAMES), 0.8)
    labels, new_table = _frames(y, new, NAMES)
    _, old_table = _frames(y, old, NAMES)
    return reportgen.evaluate(labels, new_table, baseline=old_table, baseline_name="v1", n_bootstrap=200,
                              seed=3).to_dict()


def parse_tables(text: str) -> dict[str, list[dict[str, str]]]:
    """Every table under its ``###`` heading, as rows of {header: cell text}; fails on a
    table whose rows do not have the header's cells."""
    md = MarkdownIt("gfm-like")
    html = md.render(text)
    tokens = md.parse(text)
    assert sum(t.type == "table_open" for t in tokens) == len(BeautifulSoup(html, "html.parser").find_all("table"))
    soup = BeautifulSoup(html, "html.parser")
    tables = {}
    for table in soup.find_all("table"):
        title = table.find_previous("h3").get_text()
        header = [th.get_text() for th in table.find("thead").find_all("th")]
        rows = []
        for tr in table.find("tbody").find_all("tr") if table.find("tbody") else []:
            cells = [td.get_text() for td in tr.find_all("td")]
            assert len(cells) == len(header), (title, cells)
            rows.append(dict(zip(header, cells)))
        tables[title] = rows
    return tables


def number(cell: str) -> float:
    return float(cell.replace("−", "-").replace(",", "").replace(" pts", "").split(" (")[0])


def test_marker_tables_and_numbers(compared):
    text = summary_markdown(compared, report_url="https://ci.example/run 1/report.html")
    assert text.splitlines()[0] == MARKER
    tables = parse_tables(text)
    assert set(tables) == {"Headline metrics", "Classes that need attention", "Top confusions", "Churn"}

    headline = tables["Headline metrics"]
    by_label = {registry.label(k): k for k in registry.METRICS}
    assert [by_label[r["Metric"]] for r in headline] == [
        k for k in ("accuracy", "macro_precision", "macro_recall", "macro_f1", "roc_auc_macro",
                    "average_precision_macro", "log_loss", "top_k_accuracy.3")
        if registry.summary_value(compared["summary"], k) is not None]
    for row in headline:
        key = by_label[row["Metric"]]
        assert number(row["Value"]) == pytest.approx(registry.summary_value(compared["summary"], key), abs=5e-4)
        assert number(row["Baseline"]) == pytest.approx(registry.summary_value(compared["baseline"]["summary"], key), abs=5e-4)
        delta = registry.summary_value(compared["deltas"]["summary"], key)
        scale = 100 if registry.METRICS[key].format == "ratio" else 1
        assert number(row["Change"]) == pytest.approx(scale * delta, abs=0.05 if scale == 100 else 5e-4)
        assert row["Change"].endswith("(better)" if registry.improvement(key, delta) else "(worse)")
        if key in compared["intervals"]["summary"]:
            low, high = compared["intervals"]["summary"][key]
            shown = row["95% interval"].replace("−", "-").split(" to ")
            assert [float(v) for v in shown] == pytest.approx([low, high], abs=5e-4)

    attention = tables["Classes that need attention"]
    assert [r["Class"] for r in attention] == [a["class"] for a in compared["attention"]]
    for row, entry in zip(attention, compared["attention"]):
        assert number(row["F1"]) == pytest.approx(entry["f1"], abs=5e-4)
        assert number(row["Recall"]) == pytest.approx(entry["recall"], abs=5e-4)
        assert (int(row["Support"]), int(row["Misses"]), int(row["False alarms"])) == (
            entry["support"], entry["misses"], entry["false_alarms"])
        other = entry["confused_with"]
        assert row["Most often predicted as"] == f"{other['predicted']} ({other['count']}, {100 * other['share_of_actual']:.1f}%)"
    without = {k: v for k, v in compared.items() if k != "attention"}  # an older JSON: the same list, derived
    assert parse_tables(summary_markdown(without))["Classes that need attention"] == attention

    confusions = tables["Top confusions"]
    assert [(r["Actual"], r["Predicted"], int(r["Examples"])) for r in confusions] == [
        (c["actual"], c["predicted"], c["count"]) for c in compared["top_confusions"][:10]]

    (churn,) = tables["Churn"]
    assert {k: int(churn[k.replace("_", " ").capitalize()]) for k in ("fixed", "broken", "still_right", "still_wrong")} \
        == {k: compared["churn"][k] for k in ("fixed", "broken", "still_right", "still_wrong")}

    link = BeautifulSoup(MarkdownIt("gfm-like").render(text), "html.parser").find("a", string="Full report")
    assert link["href"] == "https://ci.example/run%201/report.html"


def test_the_evaluation_writes_the_same_summary():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 120)
    labels, table = _frames(y, softmax_scores(rng, y, 3, 1.0), NAMES[:3])
    evaluation = reportgen.evaluate(labels, table, n_bootstrap=0)
    text = evaluation.to_markdown(report_url="https://e.org/r")
    assert text == summary_markdown(evaluation.to_dict(), report_url="https://e.org/r")
    assert text.startswith(MARKER + "\n") and "[Full report](<https://e.org/r>)" in text


def test_user_strings_stay_data(compared):
    hostile = dict(compared, meta={"title": "T <img src=x onerror=alert(1)> | `t`", "model": "m\n# not a heading"})
    text = summary_markdown(hostile)
    html = MarkdownIt("gfm-like").render(text)
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("script") is None and soup.find("img") is None and soup.find("code") is None
    assert not any(cell.find(["em", "strong"]) for cell in soup.find_all(["td", "h2"]))
    assert all(a.get_text() != "z" for a in soup.find_all("a"))  # [z](...) is not a link (GitHub autolinks the URL)
    cells = [td.get_text() for td in soup.find_all("td")]
    assert NAMES[3] in cells  # the whole class name, as text, in its own cell
    assert soup.find("h2").get_text() == "T <img src=x onerror=alert(1)> | `t`"
    assert len(soup.find_all("h1")) == 0


def test_attention_section_is_used_when_present(compared):
    attention = [{"class": "dog", "support": 7, "precision": 0.5, "recall": 0.25, "f1": 0.3333, "misses": 5,
                  "false_alarms": 2, "errors": 7,
                  "confused_with": {"predicted": "cat", "count": 4, "share_of_actual": 4 / 7}}]
    (row,) = parse_tables(summary_markdown(dict(compared, attention=attention)))["Classes that need attention"]
    assert (row["Class"], row["Misses"], row["False alarms"], row["Most often predicted as"]) == (
        "dog", "5", "2", "cat (4, 57.1%)")


def _huge_report(k: int = 1000, slices: int = 3000) -> dict:
    rng = np.random.default_rng(0)
    names = [f"class {j} | {'x' * 150} <b>" for j in range(k)]
    support = rng.integers(1, 100, k)
    per_class = [{"class": n, "support": int(s), "precision": float(p), "recall": float(r), "f1": float(f),
                  "roc_auc": None, "average_precision": None}
                 for n, s, p, r, f in zip(names, support, rng.random(k), rng.random(k), rng.random(k))]
    summary = {key: 0.5 for key in ("accuracy", "macro_precision", "macro_recall", "macro_f1", "micro_f1",
                                    "weighted_f1", "roc_auc_macro", "average_precision_macro", "log_loss",
                                    "balanced_accuracy", "mcc", "cohen_kappa", "brier_score")}
    summary["top_k_accuracy"] = {"3": 0.7, "5": 0.8}
    confusions = [{"actual": names[i], "predicted": names[(i + 1) % k], "count": 100 - i % 90,
                   "share_of_actual": 0.1} for i in range(20)]
    by = ["region|a", "device", "lang", "<os>", "app&version", "country"]  # six crossed columns of long values
    sliced = [{"by": by, "value": ["<r>" * 80, "d|" * 100, f"{i}`" * 60, "&" * 300, "<" * 300, "|" * 300],
               "n_examples": 50 + i, "summary": {"accuracy": 0.4, "macro_f1": 0.3}, "flagged": True,
               "q_value": 0.001} for i in range(slices)]
    attention = [{**c, "errors": 3, "confused_with": None} for c in sorted(per_class, key=lambda c: c["f1"])[:10]]
    return {"task": "multiclass", "classes": names, "n_examples": 10 ** 6, "summary": summary,
            "per_class": per_class, "top_confusions": confusions, "slices": sliced, "attention": attention,
            "meta": {"title": "big", "model": "m"}}


def test_many_classes_and_slices_stay_within_the_limit():
    report = _huge_report()
    text = summary_markdown(report, gate=[gate.Outcome(gate.Rule("min", "macro_f1", 0.4), True, "macro_f1 holds")])
    assert len(text) <= LIMIT
    tables = parse_tables(text)  # every table whole: each row has the header's cells
    assert tables["Headline metrics"] and tables["Classes that need attention"]
    assert 0 < len(tables["Flagged slices"]) < 25
    shown = len(tables["Flagged slices"])
    assert f"…and {3000 - shown:,} more in the full report." in text
    assert len(tables["Classes that need attention"]) == 10
    assert text.splitlines()[0] == MARKER


def _files(tmp_path: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(5)
    y = rng.integers(0, 3, 300)
    labels, table = _frames(y, softmax_scores(rng, y, 3, 1.5), NAMES[:3])
    return write_frame(labels, tmp_path / "labels.csv"), write_frame(table, tmp_path / "scores.csv")


def test_build_and_check_write_the_summary(tmp_path):
    labels, scores = _files(tmp_path)
    result = run_reportgen("build", "--labels", labels, "--scores", scores, "--out", tmp_path / "r.html",
                           "--metrics-json", tmp_path / "m.json", "--no-bootstrap", "--markdown", tmp_path / "summary.md",
                           "--report-url", "https://example.org/r.html", "-q")
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "m.json").read_text("utf-8"))
    summary = (tmp_path / "summary.md").read_text("utf-8")
    assert summary == summary_markdown(report, report_url="https://example.org/r.html")

    result = run_reportgen("check", tmp_path / "m.json", "--min", "accuracy=0.1", "--min", "macro_f1=0.999",
                           "--markdown", tmp_path / "gate.md")
    assert result.returncode == 1
    text = (tmp_path / "gate.md").read_text("utf-8")
    lines = text.splitlines()
    assert lines[0] == MARKER
    passed = [line for line in lines if line.startswith("- ✅")]
    failed = [line for line in lines if line.startswith("- ❌")]
    assert len(passed) == 1 and len(failed) == 1
    assert f"{report['summary']['accuracy']:.4f}" in passed[0]
    assert "macro\\_f1" in failed[0] and "below the minimum 0.999" in failed[0]
    assert text.index("Release gate") < text.index("Headline metrics")
    assert "Headline metrics" in parse_tables(text)


def test_check_markdown_into_a_missing_folder_is_one_line(tmp_path):
    labels, scores = _files(tmp_path)
    run_reportgen("build", "--labels", labels, "--scores", scores, "--out", tmp_path / "r.html",
                  "--metrics-json", tmp_path / "m.json", "--no-bootstrap", "-q")
    result = run_reportgen("check", tmp_path / "m.json", "--min", "accuracy=0.1", "--markdown",
                           tmp_path / "nowhere" / "gate.md")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "gate.md" in result.stderr


def test_a_generative_report(tmp_path):
    report = {"task": "generative", "summary": {"token_accuracy": 0.41, "loss": 2.5, "perplexity": 12.18,
                                                 "uniform_loss": 10.8, "n_tokens": 900, "n_examples": 30},
              "baseline": {"name": "old", "summary": {"token_accuracy": 0.40, "loss": 2.6, "perplexity": 13.46,
                                                       "uniform_loss": 10.8, "n_tokens": 900, "n_examples": 30}},
              "deltas": {"summary": {"token_accuracy": 0.01, "loss": -0.1, "perplexity": -1.28, "uniform_loss": 0.0}}}
    rows = parse_tables(summary_markdown(report))["Headline metrics"]
    assert [(r["Metric"], r["Value"]) for r in rows] == [
        ("Token accuracy", "0.410"), ("Loss", "2.500"), ("Perplexity", "12.180"), ("Uniform loss", "10.800")]
    assert rows[1]["Change"] == "−0.100 (better)" and rows[3]["Change"] == "+0.000"
