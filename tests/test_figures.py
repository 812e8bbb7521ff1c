"""Figures drawn in a child process: the same page as in-process drawing, a fallback for
every way the child can fail, and no child left behind by a failed build."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT
from reportgen import cli
from reportgen.report import render_worker
from reportgen.report.figures import build_figures, chart_view
from reportgen.report.render_worker import FigureWorker

EXAMPLES = PROJECT_ROOT / "examples"
MULTICLASS = ["--labels", EXAMPLES / "multiclass/labels.csv", "--scores", EXAMPLES / "multiclass/scores.csv",
              "--baseline-scores", EXAMPLES / "multiclass/baseline_scores.csv", "--history",
              EXAMPLES / "history/history.csv", "--bootstrap", "50"]
SPLITS = ["--labels", EXAMPLES / "splits/labels.csv", "--scores", EXAMPLES / "splits/scores.csv",
          "--split-column", "fold", "--no-bootstrap"]
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")
start = FigureWorker.start  # the real one, before any test patches it


def build_page(tmp_path: Path, name: str, args: list) -> str:
    out = tmp_path / f"{name}.html"
    assert cli.main(["build", *map(str, args), "--out", str(out), "-q"]) == 0
    return STAMP.sub("<time>", out.read_text("utf-8"))


def never_here(view):
    raise AssertionError("the figures were drawn in this process")


@pytest.fixture
def large_inputs(monkeypatch):
    """Call it to make every input count as large; it returns the list of workers the CLI starts."""
    def enable() -> list:
        workers: list = []

        def record(cls):
            workers.append(start())
            return workers[-1]

        monkeypatch.setattr(cli, "WORKER_BYTES", 0)
        monkeypatch.setattr(FigureWorker, "start", classmethod(record))
        return workers

    return enable


@pytest.mark.parametrize("args, drawn", [(MULTICLASS, 'id="history"'), (SPLITS, "Metrics per split")],
                         ids=["baseline-history", "splits"])
def test_the_child_process_draws_the_same_page(tmp_path, monkeypatch, large_inputs, args, drawn) -> None:
    here = build_page(tmp_path, "here", args)
    started = large_inputs()
    monkeypatch.setattr(render_worker, "build_figures", never_here)  # no silent fallback
    there = build_page(tmp_path, "there", args)
    assert len(started) == 1 and started[0] is not None
    assert there == here
    ids = re.findall(r' id="([^"]+)"', there)
    assert len(ids) == len(set(ids)) and "svg-confusion-0" in ids  # gradients named per chart
    assert "<svg" in there and drawn in there


@pytest.fixture(scope="module")
def report() -> dict:
    from reportgen import evaluate_files

    return evaluate_files(EXAMPLES / "binary/labels.csv", EXAMPLES / "binary/scores.csv", n_bootstrap=0).to_dict()


def test_a_child_that_died_leaves_the_figures_to_this_process(report) -> None:
    worker = start()
    worker.submit(report)
    worker._process.kill()
    try:
        assert worker.figures(report) == build_figures(chart_view(report))
    finally:
        worker.close()


def test_a_view_other_than_the_final_one_is_drawn_again_here(report, monkeypatch) -> None:
    worker = start()
    early = {**report, "threshold_grid": {**report["threshold_grid"], "thresholds": [0.5]}}
    worker.submit(early)
    drawn = []
    monkeypatch.setattr(render_worker, "build_figures", lambda view: drawn.append(view) or build_figures(view))
    try:
        made = worker.figures(report)
    finally:
        worker.close()
    assert drawn == [chart_view(report)]
    assert made == build_figures(chart_view(report))


def test_a_failed_build_stops_its_child(tmp_path, large_inputs, capsys) -> None:
    bad = tmp_path / "scores.csv"
    bad.write_text((EXAMPLES / "binary/scores.csv").read_text("utf-8").replace("bc-0420,0.005426", "bc-0420,1.7"), "utf-8")
    started = large_inputs()
    code = cli.main(["build", "--labels", str(EXAMPLES / "binary/labels.csv"), "--scores", str(bad),
                     "--out", str(tmp_path / "r.html")])
    assert code == 2 and "1.7" in capsys.readouterr().err
    assert started[0]._process.poll() is not None  # stopped, not left running
    assert not (tmp_path / "r.html").exists()


def test_small_inputs_draw_here_and_large_ones_in_a_child(tmp_path) -> None:
    small = EXAMPLES / "binary/scores.csv"
    assert not cli._large_input([str(small), str(small)])
    big = tmp_path / "big.csv"
    big.write_bytes(b"0" * cli.WORKER_BYTES)
    assert cli._large_input([str(big), str(small)])
    assert cli._large_input([str(tmp_path)]) and cli._large_input([str(tmp_path / "*.parquet")])
