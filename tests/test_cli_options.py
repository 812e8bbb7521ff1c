"""Options the subcommands share: -q on every one, the outputs and header on both builders."""
from __future__ import annotations

import json

from conftest import PROJECT_ROOT, run_reportgen
from reportgen.cli import build_parser

GENERATIVE = PROJECT_ROOT / "examples" / "generative"


def test_every_subcommand_takes_quiet_and_both_builders_share_their_outputs():
    parser = build_parser()
    parsed = {
        "build": parser.parse_args(["build", "-q", "--labels", "l", "--scores", "s", "--out", "o", "--dataset", "d"]),
        "build-generate": parser.parse_args(["build-generate", "-q", "--tokens", "t", "--out", "o", "--dataset", "d"]),
        "check": parser.parse_args(["check", "-q", "m.json", "--min", "accuracy=0.5"]),
        "index": parser.parse_args(["index", "-q", "site"]),
    }
    assert all(args.quiet for args in parsed.values())
    assert parsed["build"].title == "Classifier evaluation"
    assert parsed["build-generate"].title == "Language model evaluation"
    for name in ("build", "build-generate"):
        assert (parsed[name].out, parsed[name].metrics_json, parsed[name].dataset) == ("o", None, "d")


def test_quiet_build_generate_check_and_index(tmp_path):
    out, metrics = tmp_path / "lm.html", tmp_path / "lm.json"
    done = run_reportgen("build-generate", "-q", "--tokens", GENERATIVE / "tokens.csv", "--out", out,
                         "--metrics-json", metrics, "--title", "LM <v2>", "--dataset", "wiki")
    assert done.returncode == 0 and done.stdout == "" and done.stderr == "", done.stderr
    report = json.loads(metrics.read_text("utf-8"))
    assert report["meta"]["title"] == "LM <v2>" and report["meta"]["dataset"] == "wiki"
    loud = run_reportgen("check", metrics, "--min", "token_accuracy=0")
    quiet = run_reportgen("check", "-q", metrics, "--min", "token_accuracy=0")
    assert loud.returncode == quiet.returncode == 0
    assert "1 rules passed" in loud.stdout and quiet.stdout == ""
    failing = run_reportgen("check", "-q", metrics, "--min", "token_accuracy=1.1")
    assert failing.returncode == 1 and "FAIL" in failing.stderr  # -q never hides a failed rule
    indexed = run_reportgen("index", "-q", tmp_path)
    assert indexed.returncode == 0 and indexed.stdout == "" and (tmp_path / "index.html").exists()
