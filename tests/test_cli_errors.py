"""Bad input and bad usage: exit 2, one line on stderr naming the problem, nothing written."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import reportgen
from conftest import run_reportgen

CLASSES = ("a", "b", "c")


def write_good(folder: Path, n: int = 12) -> tuple[Path, Path]:
    """A small valid multiclass pair: labels.csv and scores.csv, ids r0..r{n-1}."""
    rng = np.random.default_rng(0)
    ids = [f"r{i}" for i in range(n)]
    y = np.arange(n) % 3
    p = rng.dirichlet(np.ones(3), n)
    p[np.arange(n), y] += 1.0
    p /= p.sum(axis=1, keepdims=True)
    labels, scores = folder / "labels.csv", folder / "scores.csv"
    pd.DataFrame({"id": ids, "label": [CLASSES[i] for i in y]}).to_csv(labels, index=False)
    pd.DataFrame({"id": ids, **{c: np.round(p[:, j], 4) for j, c in enumerate(CLASSES)}}).to_csv(scores, index=False)
    return labels, scores


def _edit_line(path: Path, row_id: str, new_line: str) -> None:
    """Replace the line of ``row_id`` in a CSV file by ``new_line``."""
    lines = path.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if line.split(",")[0] == row_id)
    lines[index] = new_line
    path.write_text("\n".join(lines) + "\n")


def _args(labels: Path | str, scores: Path | str, *extra: str) -> list[str]:
    return ["--labels", str(labels), "--scores", str(scores), *extra]


def missing_file(tmp: Path):
    labels, _ = write_good(tmp)
    return _args(labels, tmp / "nope.csv"), ["nope.csv"]


def directory(tmp: Path):
    labels, _ = write_good(tmp)
    (tmp / "x.csv").mkdir()
    return _args(labels, tmp / "x.csv"), ["x.csv"]


def empty_file(tmp: Path):
    _, scores = write_good(tmp)
    (tmp / "empty.csv").write_text("")
    return _args(tmp / "empty.csv", scores), ["empty.csv"]


def header_only(tmp: Path):
    labels, _ = write_good(tmp)
    (tmp / "head.csv").write_text("id,a,b,c\n")
    return _args(labels, tmp / "head.csv"), ["head.csv"]


def no_id_column(tmp: Path):
    labels, scores = write_good(tmp)
    frame = pd.read_csv(labels).rename(columns={"id": "ident"})
    frame.to_csv(tmp / "noid.csv", index=False)
    return _args(tmp / "noid.csv", scores), ["noid.csv", "'id'"]


# A valid pair with one line of one file replaced: (file, row id, its new line, what stderr must mention).
EDITS = {
    "duplicate_ids": ("labels", "r5", "r4,c", ["labels.csv", "r4"]),
    "duplicate_ids_in_scores": ("scores", "r7", "r2,0.2,0.3,0.5", ["scores.csv", "r2"]),
    "malformed_row": ("scores", "r3", "r3,0.1,0.2,0.7,0.9", ["scores.csv", "r3"]),
    "missing_score_cell": ("scores", "r2", "r2,0.1,,0.9", ["scores.csv", "r2", "'b'"]),
    "nan_score": ("scores", "r2", "r2,0.1,NaN,0.9", ["scores.csv", "r2", "'b'"]),
    "non_numeric_score": ("scores", "r6", "r6,0.1,high,0.9", ["scores.csv", "r6", "'b'", "high"]),
    "score_above_one": ("scores", "r8", "r8,0.1,1.7,0.2", ["scores.csv", "r8", "1.7"]),
    "score_below_zero": ("scores", "r9", "r9,0.6,-0.1,0.5", ["scores.csv", "r9", "-0.1"]),
    "label_not_a_score_column": ("labels", "r4", "r4,zebra", ["zebra"]),
}


def _edited(file: str, row_id: str, line: str, mention: list[str]):
    def setup(tmp: Path):
        labels, scores = write_good(tmp)
        _edit_line(labels if file == "labels" else scores, row_id, line)
        return _args(labels, scores), mention

    return setup


def threshold_above_one(tmp: Path):
    labels, scores = write_good(tmp)
    return _args(labels, scores, "--threshold", "1.5"), ["--threshold", "1.5"]


def threshold_negative(tmp: Path):
    labels, scores = write_good(tmp)
    return _args(labels, scores, "--threshold=-0.1"), ["--threshold", "-0.1"]


def threshold_not_a_number(tmp: Path):
    labels, scores = write_good(tmp)
    return _args(labels, scores, "--threshold", "abc"), ["--threshold", "abc"]


def garbage_csv(tmp: Path):
    labels, _ = write_good(tmp)
    (tmp / "junk.csv").write_bytes(bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8)))
    return _args(labels, tmp / "junk.csv"), ["junk.csv"]


def garbage_parquet(tmp: Path):
    labels, _ = write_good(tmp)
    (tmp / "junk.parquet").write_bytes(b"PAR1" + bytes(range(256)) * 8)
    return _args(labels, tmp / "junk.parquet"), ["junk.parquet"]


def csv_named_parquet(tmp: Path):
    labels, scores = write_good(tmp)
    (tmp / "text.parquet").write_bytes(scores.read_bytes())
    return _args(labels, tmp / "text.parquet"), ["text.parquet"]


def ids_only_in_one_file(tmp: Path):
    labels, scores = write_good(tmp, n=12)
    frame = pd.read_csv(scores)
    frame = frame[~frame["id"].isin(["r3", "r7", "r11"])]
    frame.to_csv(scores, index=False)
    return _args(labels, scores), ["3 ids"]


def unknown_extension(tmp: Path):
    labels, scores = write_good(tmp)
    (tmp / "scores.xlsx").write_bytes(scores.read_bytes())
    return _args(labels, tmp / "scores.xlsx"), ["scores.xlsx", ".xlsx"]


def unknown_option(tmp: Path):
    labels, scores = write_good(tmp)
    return _args(labels, scores, "--frobnicate", "3"), ["--frobnicate"]


def missing_required_option(tmp: Path):
    labels, _ = write_good(tmp)
    return ["--labels", str(labels)], ["--scores"]


def positive_class_unknown(tmp: Path):
    labels, scores = write_good(tmp)
    frame = pd.read_csv(labels)
    frame["label"] = np.where(frame["label"] == "a", "a", "b")
    frame.to_csv(labels, index=False)
    pd.read_csv(scores).drop(columns="c").to_csv(scores, index=False)
    return _args(labels, scores, "--positive-class", "nosuch"), ["nosuch"]


def positive_class_with_three_columns(tmp: Path):
    labels, scores = write_good(tmp)
    return _args(labels, scores, "--positive-class", "a"), ["--positive-class", "3"]


def grid_step_zero(tmp: Path):
    labels, scores = write_good(tmp)
    return _args(labels, scores, "--grid-step", "0"), ["--grid-step"]


def binary_labels_not_01(tmp: Path):
    """One score column that is not a label value, and labels that are not 0/1 or true/false."""
    ids = [f"r{i}" for i in range(6)]
    pd.DataFrame({"id": ids, "label": ["yes", "no"] * 3}).to_csv(tmp / "labels.csv", index=False)
    pd.DataFrame({"id": ids, "score": [0.1, 0.9, 0.2, 0.8, 0.3, 0.7]}).to_csv(tmp / "scores.csv", index=False)
    return _args(tmp / "labels.csv", tmp / "scores.csv"), ["score"]


def write_predictions(folder: Path, scores: Path) -> Path:
    """predictions.csv (id,predicted): the argmax of the good scores, as hard labels."""
    frame = pd.read_csv(scores)
    predicted = np.array(CLASSES)[frame[list(CLASSES)].to_numpy().argmax(axis=1)]
    path = folder / "predictions.csv"
    pd.DataFrame({"id": frame["id"], "predicted": predicted}).to_csv(path, index=False)
    return path


# Hard-label predictions: (with --scores too?, row id, the predictions file's new line, what stderr must mention).
PREDICTION_EDITS = {
    "predictions_unknown_id": (False, "r3", "zz9,a", ["predictions.csv", "zz9"]),
    "predictions_duplicate_id": (False, "r3", "r4,a", ["predictions.csv", "r4"]),
    "prediction_missing": (False, "r2", "r2,", ["predictions.csv", "r2", "'predicted'"]),
    "predicted_not_a_score_column": (True, "r4", "r4,zebra", ["predictions.csv", "r4", "'predicted'", "zebra"]),
    "predictions_missing_id_beside_scores": (True, "r5", "zz1,a", ["scores.csv", "predictions.csv", "'r5'", "'zz1'"]),
}


def _predicted(with_scores: bool, row_id: str, line: str, mention: list[str]):
    def setup(tmp: Path):
        labels, scores = write_good(tmp)
        predictions = write_predictions(tmp, scores)
        _edit_line(predictions, row_id, line)
        args = ["--labels", str(labels), "--predictions", str(predictions)]
        return args + (["--scores", str(scores)] if with_scores else []), mention

    return setup


def no_prediction_column(tmp: Path):
    labels, scores = write_good(tmp)
    predictions = write_predictions(tmp, scores)
    pd.read_csv(predictions).rename(columns={"predicted": "guess"}).to_csv(predictions, index=False)
    return ["--labels", str(labels), "--predictions", str(predictions)], ["predictions.csv", "'predicted'"]


def export_on_a_streaming_engine(tmp: Path):
    labels, scores = write_good(tmp)
    return (["--labels", str(labels), "--scores", str(scores), "--export", str(tmp / "lists"), "--engine", "duckdb"],
            ["--export", "memory"])


def prediction_column_without_a_file(tmp: Path):
    labels, _ = write_good(tmp)
    return ["--labels", str(labels), "--prediction-column", "guess"], ["--prediction-column"]


def _weighted(tmp: Path, row_id: str, value: str):
    """The good pair with a weight column in the labels file, ``value`` at ``row_id``."""
    labels, scores = write_good(tmp)
    frame = pd.read_csv(labels)
    frame["w"] = ["1.5"] * len(frame)
    frame.loc[frame["id"] == row_id, "w"] = value
    frame.to_csv(labels, index=False)
    return _args(labels, scores, "--weight-column", "w")


def weight_negative(tmp: Path):
    return _weighted(tmp, "r3", "-1"), ["labels.csv", "'w'", "'r3'", "-1.0", "negative"]


def weight_nan(tmp: Path):
    """A real NaN (CSV reads "NaN" as a missing value): the labels as Parquet."""
    labels, scores = write_good(tmp)
    frame = pd.read_csv(labels)
    weights = pa.array(np.where(frame["id"] == "r5", np.nan, 2.0))  # a NaN value, not a null
    pq.write_table(pa.table({"id": frame["id"].tolist(), "label": frame["label"].tolist(), "w": weights}),
                   tmp / "labels.parquet")
    labels.unlink()
    return _args(tmp / "labels.parquet", scores, "--weight-column", "w"), ["labels.parquet", "'w'", "'r5'", "weight is NaN"]


def weight_not_a_number(tmp: Path):
    return _weighted(tmp, "r2", "heavy"), ["labels.csv", "'w'", "'r2'", "heavy"]


def weight_missing(tmp: Path):
    return _weighted(tmp, "r7", ""), ["labels.csv", "'w'", "'r7'", "missing weight"]


def weight_infinite(tmp: Path):
    return _weighted(tmp, "r1", "inf"), ["labels.csv", "'w'", "'r1'", "inf"]


def weights_all_zero(tmp: Path):
    labels, scores = write_good(tmp)
    frame = pd.read_csv(labels)
    frame["w"] = 0
    frame.to_csv(labels, index=False)
    return _args(labels, scores, "--weight-column", "w"), ["labels.csv", "'w'", "every weight is 0"]


def weight_column_absent(tmp: Path):
    labels, scores = write_good(tmp)
    return _args(labels, scores, "--weight-column", "importance"), ["labels.csv", "'importance'"]


def _metadata_weighted(tmp: Path, weights: dict[str, str], labels_too: bool = False):
    """The good pair with the weights in a metadata file (``weights``: id -> value; the
    labels' own column ``w`` too when ``labels_too``)."""
    labels, scores = write_good(tmp)
    if labels_too:
        frame = pd.read_csv(labels)
        frame["w"] = 1
        frame.to_csv(labels, index=False)
    pd.DataFrame({"id": list(weights), "w": list(weights.values())}).to_csv(tmp / "meta.csv", index=False)
    return _args(labels, scores, "--weight-column", "w", "--metadata", tmp / "meta.csv")


def metadata_weight_negative(tmp: Path):
    weights = {f"r{i}": "-2" if i == 4 else "1.5" for i in range(12)}
    return _metadata_weighted(tmp, weights), ["meta.csv", "'w'", "'r4'", "-2.0", "negative"]


def metadata_weight_without_a_row(tmp: Path):
    weights = {f"r{i}": "1.5" for i in range(12) if i != 9}
    return _metadata_weighted(tmp, weights), ["meta.csv", "'w'", "'r9'", "no metadata row", "--allow-partial"]


def weight_column_in_labels_and_metadata(tmp: Path):
    weights = {f"r{i}": "1.5" for i in range(12)}
    return _metadata_weighted(tmp, weights, labels_too=True), ["labels.csv", "meta.csv", "'w'", "ambiguous"]


def logits_given_as_probabilities(tmp: Path):
    labels, scores = write_good(tmp)
    _edit_line(scores, "r4", "r4,-1.01,2.5,0.3")
    return _args(labels, scores), ["scores.csv", "'a'", "'r4'", "-1.01", "--scores-are logits"]


def logit_infinite(tmp: Path):
    labels, scores = write_good(tmp)
    _edit_line(scores, "r6", "r6,0.5,inf,0.3")
    return _args(labels, scores, "--scores-are", "logits"), ["scores.csv", "'b'", "'r6'", "inf"]


def scores_are_unknown(tmp: Path):
    labels, scores = write_good(tmp)
    return _args(labels, scores, "--scores-are", "odds"), ["--scores-are", "odds"]


def _list_scores(tmp: Path, rows: list) -> Path:
    path = tmp / "scores.jsonl"
    path.write_text("".join(json.dumps({"id": f"r{i}", "s": row}) + "\n" for i, row in enumerate(rows)))
    return path


def _good_lists(n: int = 12) -> list:
    return [[0.2, 0.3, 0.5] for _ in range(n)]


def list_of_another_length(tmp: Path):
    labels, _ = write_good(tmp)
    rows = _good_lists()
    rows[5] = [0.2, 0.8]
    return _args(labels, _list_scores(tmp, rows), "--classes", "a,b,c"), ["scores.jsonl", "'s'", "'r5'", "2", "3 classes"]


def list_without_classes(tmp: Path):
    labels, _ = write_good(tmp)
    return _args(labels, _list_scores(tmp, _good_lists())), ["scores.jsonl", "'s'", "--classes"]


def classes_file_missing(tmp: Path):
    labels, _ = write_good(tmp)
    return _args(labels, _list_scores(tmp, _good_lists()), "--classes", "@nope.txt"), ["--classes", "nope.txt"]


def _records(n: int = 12) -> list:
    return [[{"label": c, "score": p} for c, p in zip("cab", (0.5, 0.2, 0.3))] for _ in range(n)]


def record_outside_the_classes(tmp: Path):
    labels, _ = write_good(tmp)
    rows = _records()
    rows[3][1]["label"] = "zebra"
    return _args(labels, _list_scores(tmp, rows)), ["scores.jsonl", "'s'", "'r3'", "zebra"]


def record_missing_a_class(tmp: Path):
    labels, _ = write_good(tmp)
    rows = _records()
    rows[8][0]["label"] = "a"  # a twice, c missing
    return _args(labels, _list_scores(tmp, rows)), ["scores.jsonl", "'s'", "'r8'", "'c'", "3 records"]


def record_list_too_short(tmp: Path):
    labels, _ = write_good(tmp)
    rows = _records()
    rows[9] = rows[9][:2]
    return _args(labels, _list_scores(tmp, rows)), ["scores.jsonl", "'s'", "'r9'", "holds 2", "3 classes"]


CASES = {name: _edited(*edit) for name, edit in EDITS.items()} | {
    name: _predicted(*edit) for name, edit in PREDICTION_EDITS.items()} | {fn.__name__: fn for fn in (
    no_prediction_column, export_on_a_streaming_engine, prediction_column_without_a_file,
    weight_negative, weight_nan, weight_not_a_number, weight_missing, weight_infinite, weights_all_zero,
    weight_column_absent, metadata_weight_negative, metadata_weight_without_a_row, weight_column_in_labels_and_metadata, logits_given_as_probabilities, logit_infinite, scores_are_unknown,
    list_of_another_length, list_without_classes, classes_file_missing, record_outside_the_classes,
    record_missing_a_class, record_list_too_short,
    missing_file, directory, empty_file, header_only, no_id_column, threshold_above_one,
    threshold_negative, threshold_not_a_number, garbage_csv, garbage_parquet, csv_named_parquet,
    ids_only_in_one_file, unknown_extension, unknown_option, missing_required_option,
    positive_class_unknown, positive_class_with_three_columns, grid_step_zero, binary_labels_not_01,
)}


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None) for p in folder.rglob("*")}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_exits_2_with_one_line(name: str, tmp_path: Path) -> None:
    args, must_mention = CASES[name](tmp_path)
    out, metrics = tmp_path / "report.html", tmp_path / "metrics.json"
    out.write_text("OLD")
    before = _snapshot(tmp_path)
    result = run_reportgen("build", *args, "--out", out, "--metrics-json", metrics, "--no-bootstrap", cwd=tmp_path)
    assert result.returncode == 2, f"exit {result.returncode}; stderr: {result.stderr!r}"
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].strip(), f"stderr is not one line: {result.stderr!r}"
    line = lines[0]
    assert "Traceback" not in result.stderr
    assert line.startswith("reportgen: error: "), line
    assert line.isprintable(), f"stderr has control or unprintable characters: {line!r}"
    for text in must_mention:
        assert text in line, f"stderr does not mention {text!r}: {line!r}"
    assert result.stdout == ""
    assert out.read_text() == "OLD"
    assert not metrics.exists()
    assert _snapshot(tmp_path) == before, "files were created or changed"


def test_ids_only_in_one_file_shows_some_ids(tmp_path: Path) -> None:
    args, _ = ids_only_in_one_file(tmp_path)
    result = run_reportgen("build", *args, "--out", tmp_path / "r.html", cwd=tmp_path)
    assert result.returncode == 2
    line = result.stderr.strip()
    shown = [i for i in ("r3", "r7", "r11") if i in line]
    assert shown, f"no missing id shown: {line!r}"
    assert "--allow-partial" in line, f"does not point at --allow-partial: {line!r}"
    assert not (tmp_path / "r.html").exists()


def test_many_missing_ids_are_previewed_not_listed(tmp_path: Path) -> None:
    labels, scores = write_good(tmp_path, n=300)
    frame = pd.read_csv(scores)
    frame.iloc[:50].to_csv(scores, index=False)  # 250 label ids have no scores
    result = run_reportgen("build", *_args(labels, scores), "--out", tmp_path / "r.html", cwd=tmp_path)
    assert result.returncode == 2
    line = result.stderr.strip()
    assert "250" in line, line
    assert len(line) < 600, f"message too long ({len(line)} chars)"
    assert sum(f"r{i}" in line for i in range(50, 300)) >= 1


def test_api_raises_input_error_with_row_id(tmp_path: Path) -> None:
    labels, scores = write_good(tmp_path)
    _edit_line(scores, "r8", "r8,0.1,1.7,0.2")
    with pytest.raises(reportgen.InputError) as info:
        reportgen.evaluate_files(labels, scores, n_bootstrap=0)
    text = str(info.value)
    assert "r8" in text and "1.7" in text and "\n" not in text


# ------------------------------------------------------------------ accepted with warnings

def _partial_files(tmp: Path) -> tuple[Path, Path]:
    labels, scores = write_good(tmp, n=12)
    frame = pd.read_csv(scores)
    frame = frame[~frame["id"].isin(["r3", "r7"])]
    extra = pd.DataFrame({"id": ["zz1"], "a": [0.2], "b": [0.3], "c": [0.5]})
    pd.concat([frame, extra]).to_csv(scores, index=False)
    return labels, scores


def _warning_text(report: dict) -> str:
    return " ".join(f"{w['code']} {w['message']}" for w in report["warnings"])


def test_allow_partial_api_keeps_intersection(tmp_path: Path) -> None:
    labels, scores = _partial_files(tmp_path)
    with pytest.raises(reportgen.InputError):
        reportgen.evaluate_files(labels, scores, n_bootstrap=0)
    report = reportgen.evaluate_files(labels, scores, n_bootstrap=0, allow_partial=True).to_dict()
    assert report["n_examples"] == 10
    text = _warning_text(report)
    assert "dropped 2 rows" in text and "and 1 rows" in text, text  # 2 labels without scores, 1 score without a label


def test_allow_partial_cli(tmp_path: Path) -> None:
    labels, scores = _partial_files(tmp_path)
    out, metrics = tmp_path / "r.html", tmp_path / "m.json"
    result = run_reportgen("build", *_args(labels, scores), "--allow-partial", "--out", out,
                           "--metrics-json", metrics, "--no-bootstrap", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(metrics.read_text())
    assert report["n_examples"] == 10
    text = _warning_text(report)
    assert "dropped 2 rows" in text and "and 1 rows" in text, text
    assert out.stat().st_size > 1000


def _one_class_files(tmp: Path) -> tuple[Path, Path]:
    labels, scores = write_good(tmp)
    frame = pd.read_csv(labels)
    frame["label"] = "a"
    frame.to_csv(labels, index=False)
    return labels, scores


def _never_predicted_files(tmp: Path) -> tuple[Path, Path]:
    labels, scores = write_good(tmp)
    frame = pd.read_csv(scores)
    frame["b"] = 0.0
    frame.to_csv(scores, index=False)
    return labels, scores


DEGENERATE = {
    "one_class_present": (_one_class_files, ("b", "c")),
    "class_never_predicted": (_never_predicted_files, ("b",)),
}


@pytest.mark.parametrize("name", sorted(DEGENERATE))
def test_degenerate_api(name: str, tmp_path: Path) -> None:
    make, classes = DEGENERATE[name]
    labels, scores = make(tmp_path)
    report = reportgen.evaluate_files(labels, scores, n_bootstrap=0).to_dict()
    assert report["warnings"], "expected warnings"
    text = _warning_text(report)
    for cls in classes:
        assert f"'{cls}'" in text or f'"{cls}"' in text, f"no warning names {cls!r}: {text}"
    json.dumps(report, allow_nan=False)


@pytest.mark.parametrize("name", sorted(DEGENERATE))
def test_degenerate_cli_builds(name: str, tmp_path: Path) -> None:
    make, classes = DEGENERATE[name]
    labels, scores = make(tmp_path)
    out, metrics = tmp_path / "r.html", tmp_path / "m.json"
    result = run_reportgen("build", *_args(labels, scores), "--out", out, "--metrics-json", metrics, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(metrics.read_text())
    assert report["warnings"]
    assert out.stat().st_size > 1000
