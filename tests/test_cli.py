"""Happy paths of the command line: every input format, one-file input, both entry points,
the metrics JSON against the page's data island, and an installed wheel."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from bs4 import BeautifulSoup

import reportgen
from conftest import PROJECT_ROOT, assert_json_close, run_reportgen, write_frame
from reportgen.report.embed import read_island
from reportgen.report.json import check as check_schema

CLASSES = ["naïve, bayes", "日本", "plain"]


def example_frames(n: int = 90, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Multiclass labels and scores with awkward names and ids with leading zeros."""
    rng = np.random.default_rng(seed)
    ids = [f"{i:04d}" for i in range(n)]
    y = rng.integers(0, 3, n)
    p = rng.dirichlet(np.ones(3), n)
    p[np.arange(n), y] += 0.5
    p = np.round(p / p.sum(axis=1, keepdims=True), 6)
    labels = pd.DataFrame({"id": ids, "label": [CLASSES[i] for i in y]})
    scores = pd.DataFrame({"id": ids, **{c: p[:, j] for j, c in enumerate(CLASSES)}})
    return labels, scores


def without_meta(report: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report.items() if k != "meta"}


def build(tmp: Path, labels: Path, scores: Path, *extra: str, name: str = "report") -> tuple[dict[str, Any], Path]:
    out, metrics = tmp / f"{name}.html", tmp / f"{name}.json"
    result = run_reportgen("build", "--labels", labels, "--scores", scores, "--out", out,
                           "--metrics-json", metrics, "--no-bootstrap", *extra, cwd=tmp)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "" or "Traceback" not in result.stderr
    assert out.is_file() and out.stat().st_size > 1000
    return json.loads(metrics.read_text("utf-8")), out


# ----------------------------------------------------------------------------- formats

FORMATS = [".csv", ".tsv", ".jsonl", ".ndjson", ".parquet"]


def files_in_every_format(tmp_path: Path) -> dict[str, tuple[Path, Path]]:
    """The example frames written as (labels, scores) files in each format."""
    labels, scores = example_frames()
    return {suffix: (write_frame(labels, tmp_path / f"labels{suffix}"), write_frame(scores, tmp_path / f"scores{suffix}"))
            for suffix in FORMATS}


def test_formats_give_identical_metrics_api(tmp_path: Path) -> None:
    reports = {suffix: reportgen.evaluate_files(lp, sp, n_bootstrap=0).to_dict()
               for suffix, (lp, sp) in files_in_every_format(tmp_path).items()}
    labels, scores = example_frames()
    first = reports[".csv"]
    assert first["classes"] == CLASSES and first["n_examples"] == 90
    direct = reportgen.evaluate(labels, scores, n_bootstrap=0).to_dict()
    assert first == direct
    for suffix, report in list(reports.items())[1:]:
        assert report == first, f"{suffix} differs from .csv"


def test_formats_give_identical_metrics_cli(tmp_path: Path) -> None:
    reports = {suffix: build(tmp_path, lp, sp, name=f"r{suffix[1:]}")[0]
               for suffix, (lp, sp) in files_in_every_format(tmp_path).items()}
    first = without_meta(reports[".csv"])
    assert first["classes"] == CLASSES
    for suffix, report in reports.items():
        check_schema(report)
        assert without_meta(report) == first, f"{suffix} differs from .csv"


def test_excel_csv_with_bom_and_crlf(tmp_path: Path) -> None:
    labels, scores = example_frames()
    plain = reportgen.evaluate_files(write_frame(labels, tmp_path / "l.csv"), write_frame(scores, tmp_path / "s.csv"),
                                     n_bootstrap=0).to_dict()
    lx, sx = tmp_path / "lx.csv", tmp_path / "sx.csv"
    labels.to_csv(lx, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    scores.to_csv(sx, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    assert lx.read_bytes().startswith(b"\xef\xbb\xbfid,") and b"\r\n" in lx.read_bytes()
    excel = reportgen.evaluate_files(lx, sx, n_bootstrap=0).to_dict()
    assert excel == plain
    report, _ = build(tmp_path, lx, sx)
    assert without_meta(report)["summary"] == plain["summary"]


def test_labels_and_scores_in_one_file(tmp_path: Path) -> None:
    labels, scores = example_frames()
    both = write_frame(labels.merge(scores, on="id"), tmp_path / "both.csv")
    separate = reportgen.evaluate(labels, scores, n_bootstrap=0).to_dict()
    report, _ = build(tmp_path, both, both)
    assert report["classes"] == CLASSES
    assert without_meta(report) == separate


def test_binary_one_file_with_01_labels(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 80)
    p = np.round(np.clip(0.4 * y + 0.6 * rng.random(80), 0, 1), 4)
    path = write_frame(pd.DataFrame({"id": range(80), "label": y, "score": p}), tmp_path / "b.csv")
    report, _ = build(tmp_path, path, path, "--threshold", "0.35")
    assert report["task"] == "binary" and report["classes"] == ["0", "1"] and report["positive_class"] == "1"
    assert report["threshold"] == 0.35
    assert report["per_class"][1]["at_threshold"]["total_predicted"] == int((p > 0.35).sum())
    assert report["per_class"][1]["support"] == int(y.sum())


def test_multilabel_cli(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    Y = rng.random((60, 3)) < 0.4
    p = np.round(np.clip(0.5 * Y + 0.5 * rng.random((60, 3)), 0, 1), 4)
    names = ["x", "y", "z"]
    ids = [f"m{i}" for i in range(60)]
    labels = pd.DataFrame({"id": ids, "tags": [";".join(n for n, on in zip(names, row) if on) for row in Y]})
    scores = pd.DataFrame({"id": ids, **{n: p[:, j] for j, n in enumerate(names)}})
    report, _ = build(tmp_path, write_frame(labels, tmp_path / "l.csv"), write_frame(scores, tmp_path / "s.csv"),
                      "--multilabel", "--label-column", "tags", "--label-sep", ";")
    assert report["task"] == "multilabel" and report["classes"] == names
    assert [c["support"] for c in report["per_class"]] == Y.sum(axis=0).tolist()
    hamming = float(np.mean((p > 0.5) != Y))
    assert abs(report["summary"]["hamming_loss"] - hamming) < 1e-12


def test_cli_passes_options_through(tmp_path: Path) -> None:
    labels, scores = example_frames()
    lp, sp = write_frame(labels, tmp_path / "l.csv"), write_frame(scores, tmp_path / "s.csv")
    report, _ = build(tmp_path, lp, sp, "--threshold", "0.3", "--grid-step", "0.05",
                      "--title", "Spam filter", "--model", "v2.1", "--dataset", "holdout")
    api = reportgen.evaluate_files(lp, sp, n_bootstrap=0, threshold=0.3, grid_step=0.05).to_dict()
    assert without_meta(report) == api
    assert len(report["threshold_grid"]["thresholds"]) == 21
    meta = report["meta"]
    assert (meta["title"], meta["model"], meta["dataset"]) == ("Spam filter", "v2.1", "holdout")
    assert meta["reportgen_version"] == reportgen.__version__


# ----------------------------------------------------------------------------- entry points, page

def test_metrics_json_equals_page_data_island(tmp_path: Path) -> None:
    labels, scores = example_frames()
    report, out = build(tmp_path, write_frame(labels, tmp_path / "l.csv"), write_frame(scores, tmp_path / "s.csv"),
                        "--title", "Caf\u00e9 </script> <b>report</b>")
    assert report["schema_version"] == "1.3.0"
    check_schema(report)
    json.dumps(report, allow_nan=False)
    soup = BeautifulSoup(out.read_text("utf-8"), "html.parser")
    islands = soup.find_all("script", attrs={"type": "application/json", "id": "report-data"})
    assert len(islands) == 1
    assert read_island(json.loads(islands[0].string)) == report  # large sections packed, read back exactly
    assert "Caf\u00e9 </script> <b>report</b>" in soup.get_text()
    assert soup.find("b", string="report") is None, "the title was not escaped"


def test_python_dash_m_and_console_script(tmp_path: Path) -> None:
    labels, scores = example_frames()
    lp, sp = write_frame(labels, tmp_path / "l.csv"), write_frame(scores, tmp_path / "s.csv")
    via_module, _ = build(tmp_path, lp, sp, name="module")
    script = Path(sys.executable).parent / ("reportgen.exe" if os.name == "nt" else "reportgen")
    assert script.is_file(), f"console script missing at {script}"
    out, metrics = tmp_path / "script.html", tmp_path / "script.json"
    result = subprocess.run(
        [str(script), "build", "--labels", str(lp), "--scores", str(sp), "--out", str(out),
         "--metrics-json", str(metrics), "--no-bootstrap"],
        capture_output=True, text=True, cwd=tmp_path, timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert out.is_file() and out.stat().st_size > 1000
    assert without_meta(json.loads(metrics.read_text("utf-8"))) == without_meta(via_module)


def test_version_and_help() -> None:
    result = run_reportgen("--version")
    assert result.returncode == 0 and reportgen.__version__ in result.stdout
    result = run_reportgen("build", "--help")
    assert result.returncode == 0
    for option in ("--labels", "--scores", "--out", "--metrics-json", "--threshold", "--allow-partial"):
        assert option in result.stdout


# ----------------------------------------------------------------------------- wheel

WHEEL_SCRIPT = r"""
import json, sys
from importlib import resources
from pathlib import Path
import reportgen
from reportgen.cli import main
target = Path(sys.argv[1]).resolve()
assert Path(reportgen.__file__).resolve().is_relative_to(target), reportgen.__file__
names = [p.name for p in resources.files("reportgen.templates").iterdir()]
assert any(n.endswith(".j2") for n in names), names
code = main(["build", "--labels", "l.csv", "--scores", "s.csv", "--out", "r.html",
             "--metrics-json", "m.json", "--no-bootstrap"])
print(json.dumps({"code": code, "file": reportgen.__file__, "templates": sorted(names)}))
"""


def _copy_project(dest: Path) -> Path:
    """The project's sources, so that building leaves no build/ folder in the working tree."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist", ".git", ".pytest_cache",
                                    "node_modules", ".ci", "tests", "benchmarks", "examples", "docs")
    shutil.copytree(PROJECT_ROOT, dest, ignore=ignore)
    return dest


def test_wheel_carries_templates(tmp_path: Path) -> None:
    pytest.importorskip("setuptools")
    source = _copy_project(tmp_path / "src")
    wheels, target = tmp_path / "wheels", tmp_path / "target"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    built = subprocess.run([*pip, "wheel", str(source), "--no-deps", "--no-build-isolation", "-w", str(wheels)],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    (wheel,) = wheels.glob("reportgen-*.whl")
    installed = subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)],
                               capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr[-2000:]
    assert (target / "reportgen" / "templates").is_dir()
    assert (target / "reportgen" / "report" / "schema.json").is_file()

    work = tmp_path / "work"
    work.mkdir()
    labels, scores = example_frames(n=40)
    write_frame(labels, work / "l.csv")
    write_frame(scores, work / "s.csv")
    env = {**os.environ, "PYTHONPATH": str(target), "PYTHONIOENCODING": "utf-8"}
    result = subprocess.run([sys.executable, "-c", WHEEL_SCRIPT, str(target)], capture_output=True, text=True,
                            cwd=work, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    info = json.loads(result.stdout.strip().splitlines()[-1])
    assert info["code"] == 0, result.stderr[-3000:]
    assert Path(info["file"]).resolve().is_relative_to(target.resolve())
    page = (work / "r.html").read_text("utf-8")
    assert 'id="report-data"' in page
    assert json.loads((work / "m.json").read_text("utf-8"))["n_examples"] == 40


def test_int_ids_in_parquet_match_text_ids_in_csv(tmp_path: Path) -> None:
    labels, scores = example_frames()
    straight = reportgen.evaluate(labels, scores, n_bootstrap=0).to_dict()
    labels = labels.assign(id=labels["id"].astype(int))  # 0000 -> 0 ... as integers
    scores = scores.assign(id=scores["id"].astype(int).astype(str)).sample(frac=1.0, random_state=4)
    lp = write_frame(labels, tmp_path / "l.parquet")
    assert pq.read_schema(lp).field("id").type == pa.int64()
    sp = write_frame(scores, tmp_path / "s.csv")
    mixed = reportgen.evaluate_files(lp, sp, n_bootstrap=0).to_dict()
    for key in ("summary", "per_class", "confusion_matrix", "threshold_grid"):
        # another row order may change sums in the last bit, nothing more
        assert_nearly_equal(mixed[key], straight[key], key)


def assert_nearly_equal(a: Any, b: Any, where: str) -> None:
    assert_json_close(a, b, where, lambda _, x, y: abs(x - y) <= 1e-12)

def test_a_build_says_what_it_wrote_and_what_it_counted(tmp_path):
    """Without -q the last line on stdout names every file written with its size; the engine
    notice counts the input files' values (a label-only build has no scores)."""
    from reportgen.cli import file_size

    assert [file_size(n) for n in (812, 207_400, 1_281_075)] == ["812 B", "207 kB", "1.3 MB"]
    labels, scores = example_frames()
    labels_path, scores_path = write_frame(labels, tmp_path / "labels.csv"), write_frame(scores, tmp_path / "scores.csv")
    out, metrics, summary = tmp_path / "r.html", tmp_path / "r.json", tmp_path / "r.md"
    done = run_reportgen("build", "--labels", labels_path, "--scores", scores_path, "--out", out,
                         "--metrics-json", metrics, "--markdown", summary, "--no-bootstrap")
    assert done.returncode == 0, done.stderr
    sizes = ", ".join(f"{p} ({file_size(p.stat().st_size)})" for p in (out, metrics, summary))
    assert done.stdout.splitlines()[-1] == f"reportgen: wrote {sizes}"
    predictions = labels.rename(columns={"label": "predicted"})
    predictions_path = write_frame(predictions, tmp_path / "predictions.csv")
    labels_only = run_reportgen("build", "--labels", labels_path, "--predictions", predictions_path, "--out", out,
                                "--engine", "auto", "--no-bootstrap")
    assert labels_only.returncode == 0, labels_only.stderr
    assert "score" not in labels_only.stderr and "values in the input files" in labels_only.stderr
    assert labels_only.stdout == f"reportgen: wrote {out} ({file_size(out.stat().st_size)})\n"
    quiet = run_reportgen("build", "-q", "--labels", labels_path, "--scores", scores_path, "--out", out, "--no-bootstrap")
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""
