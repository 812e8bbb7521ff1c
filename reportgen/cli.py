"""Command line: argument parsing and the translation of errors into exit codes.

Exit codes: 0 success, 1 a release-gate rule failed (with --confidence and --inconclusive fail,
the default, an inconclusive one too), 2 bad input or bad usage
(one line on stderr).
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Sequence

import reportgen
from reportgen.errors import InputError
from reportgen.options import DISTINCT_BUDGET, SCORES_ARE, Options

if TYPE_CHECKING:
    from reportgen.report.render_worker import FigureWorker

EXIT_OK, EXIT_GATE, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 70
EXPORT_ENGINE = "usage: --export needs the memory engine (--engine memory): the lists need every example"


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line (InputError) instead of exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise InputError(f"usage: {message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="reportgen", description=reportgen.__doc__)
    parser.add_argument("--version", action="version", version=f"reportgen {reportgen.__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser, required=True)
    common = _common_options()
    build = commands.add_parser("build", parents=[common, _output_options()],
                                help="build an HTML report (and metrics JSON) from label and score files")
    build.set_defaults(title="Classifier evaluation")
    _add_build(build)
    _add_check(commands.add_parser("check", parents=[common],
                                   help="release gate: exit 1 when a rule fails on a metrics JSON"))
    index = commands.add_parser("index", parents=[common], help="write DIR/index.html listing every report under DIR")
    index.add_argument("folder", metavar="DIR", help="folder of reports (searched recursively)")
    generate = commands.add_parser("build-generate", parents=[common, _output_options()],
                                   help="report on a language model's next-token predictions")
    generate.set_defaults(title="Language model evaluation")
    _add_generate(generate)
    return parser


def _common_options() -> argparse.ArgumentParser:
    """What every subcommand takes."""
    p = _Parser(add_help=False)
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar, no notices, no summary line")
    return p


def _output_options() -> argparse.ArgumentParser:
    """The outputs and page header shared by the commands that build a report (a new parser
    for each: argparse shares a parent's actions, and each command sets its own title)."""
    p = _Parser(add_help=False)
    p.add_argument("--out", required=True, help="the HTML report to write")
    p.add_argument("--metrics-json", help="also write the metrics JSON here")
    p.add_argument("--title", help="report title")
    p.add_argument("--model", help="model name or version shown in the header")
    p.add_argument("--dataset", help="dataset name shown in the header")
    return p


def _add_generate(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tokens", required=True, help="tokens file: example_id,target,predicted,logprob")
    p.add_argument("--vocab-size", type=int, help="vocabulary size, for the loss of a uniform guess")
    p.add_argument("--baseline-tokens", help="the baseline model's tokens file")
    p.add_argument("--baseline-name", default="baseline", help="name of the baseline model")


def _add_check(p: argparse.ArgumentParser) -> None:
    p.add_argument("metrics_json", help="a metrics JSON written by 'reportgen build --metrics-json'")
    p.add_argument("--min", action="append", default=[], metavar="METRIC=VALUE", help="fail when METRIC is below VALUE")
    p.add_argument("--max", action="append", default=[], metavar="METRIC=VALUE",
                   help="fail when METRIC is above VALUE (expected_cost: the cost per example at the report's decisions)")
    p.add_argument(
        "--max-drop", action="append", default=[], metavar="METRIC=VALUE",
        help="fail when METRIC is worse than the report's baseline by more than VALUE",
    )
    p.add_argument("--min-slice", action="append", default=[], metavar="METRIC=VALUE",
                   help="fail when any slice at or above the minimum slice size has METRIC below VALUE")
    p.add_argument("--max-broken", action="append", default=[], metavar="SHARE",
                   help="fail when more than SHARE of the examples are newly wrong against the baseline")
    p.add_argument("--confidence", type=float, metavar="LEVEL",
                   help="judge each rule on its interval at LEVEL (e.g. 0.95): PASS when the whole interval "
                        "satisfies the rule, FAIL when the estimate breaks it, else INCONCLUSIVE "
                        "(default: the estimate alone)")
    p.add_argument("--inconclusive", choices=("pass", "fail"), default="fail",
                   help="with --confidence, what an INCONCLUSIVE rule does to the exit code (default fail: exit 1)")
    _add_summary(p)


def _add_summary(p: argparse.ArgumentParser) -> None:
    p.add_argument("--markdown", metavar="FILE", help="also write a GitHub-flavoured Markdown summary (pull requests, CI job summaries)")
    p.add_argument("--report-url", metavar="URL", help="link to the full page in the Markdown summary and the model card")


def _add_build(p: argparse.ArgumentParser) -> None:
    p.add_argument("--labels", required=True, help="labels file: id,label (or id,labels for multilabel)")
    p.add_argument("--scores", help="scores file: id plus one probability column per class")
    p.add_argument("--predictions", help="the model's hard labels: id,predicted (instead of or beside --scores)")
    p.add_argument("--prediction-column", help="column of the predicted labels (default predicted); without "
                   "--predictions it is read from the scores file")
    p.add_argument("--threshold", type=_number("--threshold"), default=Options.threshold, help="decision threshold (default %(default)s)")
    p.add_argument("--multilabel", action="store_true", help="labels hold several classes joined by --label-sep")
    p.add_argument("--positive-class", help="the positive class of a binary task")
    p.add_argument("--id-column", default=Options.id_column, help="id column name in every file (default %(default)s)")
    p.add_argument("--label-column", help="label column name (default label, or labels)")
    p.add_argument("--label-sep", default=Options.label_sep, help="separator of multilabel names (default %(default)s)")
    p.add_argument("--score-columns", type=_names, help="comma-separated score columns, or the one list column "
                   "(default: every other column, or the only list column)")
    p.add_argument("--scores-are", choices=SCORES_ARE, default=Options.scores_are,
                   help="probabilities (default) or logits: softmax over each row (multiclass), sigmoid per column otherwise")
    p.add_argument("--classes", type=_classes, help="a,b,c or @FILE (one per line): the classes of a list column's positions")
    p.add_argument("--weight-column", help="column holding each example's weight: of the labels file, or of --metadata when the labels have none")
    p.add_argument("--grid-step", type=_number("--grid-step"), default=Options.grid_step, help="threshold grid step (default %(default)s)")
    p.add_argument("--allow-partial", action="store_true", help="keep only ids present in both files")
    p.add_argument("--inputs", help="per-example inputs: id plus text and/or image (and overlay) columns")
    p.add_argument("--examples-per-cell", type=int, default=Options.inputs_per_cell, help="examples embedded per confusion cell (default %(default)s)")
    p.add_argument("--examples-total", type=int, default=Options.inputs_total, help="examples embedded in all (default %(default)s)")
    p.add_argument("--baseline-scores", help="scores of the model this one replaces (same ids and classes)")
    p.add_argument("--baseline-predictions", help="the baseline model's hard labels: id,predicted")
    p.add_argument("--baseline-name", default="baseline", help="name of the baseline model (default baseline)")
    p.add_argument(
        "--compare", action="append", default=[], type=_named_path, metavar="NAME=FILE",
        help="another model's scores to compare (repeatable; up to 5 models in all)",
    )
    p.add_argument("--bootstrap", type=int, default=Options.n_bootstrap, help="bootstrap resamples for intervals (default %(default)s)")
    p.add_argument("--no-bootstrap", action="store_true", help="no confidence intervals")
    p.add_argument("--seed", type=int, default=Options.seed, help="bootstrap seed (default %(default)s)")
    p.add_argument("--at-precision", type=_number("--at-precision"), default=Options.at_precision, help="precision at which models' recall is compared (default %(default)s)")
    p.add_argument("--at-recall", type=_number("--at-recall"), default=Options.at_recall, help="recall at which models' precision is compared (default %(default)s)")
    p.add_argument("--target-precision", type=_number("--target-precision"), default=Options.target_precision, help="threshold advice: lowest threshold reaching this precision (default %(default)s)")
    p.add_argument("--target-recall", type=_number("--target-recall"), default=Options.target_recall, help="threshold advice: highest threshold keeping this recall (default %(default)s)")
    p.add_argument("--class-thresholds", help="file of class,threshold: per-class decision thresholds")
    p.add_argument("--gain-bins", type=int, default=Options.gain_bins, help="equal-count bins of the gains table (default %(default)s)")
    p.add_argument("--costs", help="decision costs: tp,fp,fn,tn (one row; binary), class,tp,fp,fn,tn (multilabel) "
                   "or an actual x predicted matrix with class names (multiclass)")
    p.add_argument("--cost-fp", type=_number("--cost-fp"), help="cost of a false positive (binary; with --cost-fn)")
    p.add_argument("--cost-fn", type=_number("--cost-fn"), help="cost of a false negative (binary; with --cost-fp)")
    p.add_argument("--eml", help="also write an email-ready message (.eml) with the report attached")
    p.add_argument("--subject", help="subject of the --eml message")
    p.add_argument("--to", action="append", default=[], help="recipient of the --eml message (repeatable)")
    p.add_argument("--split-column", help="column (in either file) naming each example's fold or evaluation set")
    p.add_argument("--history", help="training history: step or epoch, optional split, numeric metric columns")
    p.add_argument("--metadata", help="per-example metadata: id plus any columns, for --slice-by (and --weight-column)")
    p.add_argument("--slice-by", action="append", default=[], metavar="COL[,COL]", help="slice by a metadata column, or crossed columns a,b (repeatable)")
    p.add_argument("--slice-bins", type=int, default=5, help="quantile bins for numeric slice columns (default 5)")
    p.add_argument("--min-slice-size", type=int, default=30, help="smallest slice tested and flagged (default 30)")
    p.add_argument("--fdr", type=_number("--fdr"), default=0.05, help="false-discovery rate for weak slices (default 0.05)")
    p.add_argument("--group-by", action="append", default=[], metavar="COL[,COL]",
                   help="fairness: compare the model's rates across the groups of a column of the labels or the "
                        "metadata file, or of crossed columns a,b (repeatable)")
    p.add_argument("--min-group-size", type=int, default=Options.min_group_size,
                   help="fairness groups smaller than this are shown, marked, and left out of the disparities (default %(default)s)")
    p.add_argument("--fairness-class", help="the class compared across groups, one-vs-rest (default: the positive "
                   "class; every class when multiclass or multilabel)")
    p.add_argument("--engine", default="auto", help="auto (default), memory, duckdb (out of core) or spark")
    p.add_argument("--memory-limit", help="DuckDB's memory limit, e.g. 4GB (default: half the memory, at most 2GB)")
    p.add_argument("--distinct-budget", type=int, default=DISTINCT_BUDGET,
                   help=f"duckdb/spark: scores kept exact up to this many distinct values per class, binned beyond (default {DISTINCT_BUDGET:,})")
    p.add_argument("--spark-master", help="Spark master URL for --engine spark (default local[2])")
    _add_summary(p)
    p.add_argument("--model-card", metavar="FILE", help="write the metrics as Hugging Face model-index metadata into FILE's front matter (created if missing)")
    p.add_argument("--hf-task", default="text-classification", help="task type in the model card (default %(default)s)")
    p.add_argument("--dataset-split", help="dataset split in the model card, e.g. test")
    p.add_argument("--export", metavar="DIR", help="write every label issue, confident mistake and changed example as CSV into DIR")
    p.add_argument("--mlflow", action="store_true", help="also log the metrics, settings, page and metrics JSON to an "
                   "MLflow run: --mlflow-run-id, the active run, or a new one (server: MLFLOW_TRACKING_URI)")
    p.add_argument("--mlflow-run-id", metavar="RUN", help="the MLflow run to log to (implies --mlflow)")
    p.add_argument("--mlflow-per-class", action="store_true", help="with --mlflow, also each class's metrics")
    p.add_argument("--mlflow-artifact-path", default="reportgen", help="folder of the run's artifacts (default %(default)s)")


def _number(option: str):
    def parse(text: str) -> float:
        try:
            return float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{option} {text!r} is not a number") from None

    return parse


def _named_path(text: str) -> tuple[str, str]:
    name, sep, path = text.partition("=")
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError(f"--compare {text!r}: expected NAME=FILE")
    return name, path


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


def _classes(text: str) -> tuple[str, ...]:
    """``a,b,c``, or ``@FILE`` with one class per line (blank lines skipped)."""
    if not text.startswith("@"):
        return _names(text)
    path = text[1:]
    try:
        with open(path, encoding="utf-8-sig") as handle:
            return tuple(line.strip() for line in handle if line.strip())
    except (OSError, UnicodeError) as err:
        raise argparse.ArgumentTypeError(f"--classes {text!r}: cannot read {path} ({type(err).__name__})") from None


WORKER_BYTES = 8 << 20  # inputs from this size up draw their figures in a child process


def _large_input(paths: list[str]) -> bool:
    """Whether the inputs are large enough to repay a figure process (about 1 s of the other core)."""
    total = 0
    for path in paths:
        if not os.path.isfile(path):  # a folder or a pattern: data for the streaming engines
            return os.path.isdir(path) or any(ch in path for ch in "*?[")
        total += os.path.getsize(path)
    return total >= WORKER_BYTES


def _preload(module: str) -> None:
    """Import ``module`` on a thread while the files are read (the reader leaves Python's
    lock free), so that it is not imported later, on the critical path."""
    import importlib
    import threading

    threading.Thread(target=importlib.import_module, args=(module,), name="reportgen-preload").start()


def run_build(args: argparse.Namespace) -> int:
    from reportgen.report.render_worker import FigureWorker

    large = _large_input([p for p in (args.labels, args.scores, args.predictions) if p is not None])
    worker = FigureWorker.start() if large else None
    if large:
        _preload("pandas")  # pyarrow loads it on its first conversion to or from numpy
    try:
        return _build(args, worker)
    finally:
        if worker is not None:
            worker.close()


def _build(args: argparse.Namespace, worker: "FigureWorker | None") -> int:
    from reportgen.engines import REGISTRY, engine_class
    from reportgen.engines.progress import Progress
    from reportgen.report.output import write_report

    if args.export and args.engine in REGISTRY and not engine_class(args.engine).keeps_every_candidate:
        raise InputError(EXPORT_ENGINE)
    progress = Progress(enabled=False if args.quiet else None)
    notices: list[str] = []  # printed once the build succeeded: a failed build says one line only
    evaluation = reportgen.evaluate_files(
        args.labels,
        args.scores,
        **_predictions(args),
        inputs=args.inputs,
        threshold=args.threshold,
        multilabel=args.multilabel,
        positive_class=args.positive_class,
        id_column=args.id_column,
        label_column=args.label_column,
        label_sep=args.label_sep,
        grid_step=args.grid_step,
        allow_partial=args.allow_partial,
        score_columns=args.score_columns,
        scores_are=args.scores_are,
        classes=args.classes,
        weight_column=args.weight_column,
        inputs_per_cell=args.examples_per_cell,
        inputs_total=args.examples_total,
        baseline=args.baseline_scores,
        baseline_name=args.baseline_name,
        compare=args.compare,
        model_name=args.model or "model",
        class_thresholds=args.class_thresholds,
        gain_bins=args.gain_bins,
        costs=_costs(args),
        history=args.history,
        metadata=args.metadata,
        slice_by=args.slice_by,
        slice_bins=args.slice_bins,
        min_slice_size=args.min_slice_size,
        fdr=args.fdr,
        group_by=tuple(args.group_by),
        min_group_size=args.min_group_size,
        fairness_class=args.fairness_class,
        split_column=args.split_column,
        n_bootstrap=0 if args.no_bootstrap else args.bootstrap,
        seed=args.seed,
        at_precision=args.at_precision,
        at_recall=args.at_recall,
        target_precision=args.target_precision,
        target_recall=args.target_recall,
        engine=args.engine,
        memory_limit=args.memory_limit,
        spark_master=args.spark_master,
        distinct_budget=args.distinct_budget,
        progress=progress.update,
        on_choice=notices.append,
        on_metrics=worker.submit if worker is not None else None,
    )
    progress.stage("rendering the page")
    evaluation = evaluation.with_extras(meta=_meta(args))
    also = _summaries(evaluation, args)
    write_report(
        evaluation,
        also=also,
        html_path=args.out,
        json_path=args.metrics_json,
        eml_path=args.eml,
        subject=args.subject,
        to=tuple(args.to),
        figures=worker.figures if worker is not None else None,
    )
    progress.close()
    if args.mlflow or args.mlflow_run_id or args.mlflow_per_class:
        run = evaluation.log_to_mlflow(args.mlflow_run_id, args.mlflow_artifact_path, per_class=args.mlflow_per_class,
                                       page=_read_page(args.out))
        notices.append(f"logged to MLflow run {run}")
    if not args.quiet:
        for text in notices:
            print(f"reportgen: {text}", file=sys.stderr)
        _say_written([args.out, args.metrics_json, args.eml, *(path for path, _ in also)])
    return EXIT_OK


def _say_written(paths: Sequence[str | None]) -> None:
    """The summary line of a build: every file written, with its size
    (``reportgen: wrote digits.html (1.3 MB), digits.json (207 kB)``)."""
    shown = [f"{path} ({file_size(os.path.getsize(path))})" for path in paths if path is not None]
    print(f"reportgen: wrote {', '.join(shown)}")


def file_size(size: int) -> str:
    """A file's size in bytes as people read it: ``812 B``, ``207 kB``, ``1.3 MB`` (powers of 1,000)."""
    if size < 1000:
        return f"{size} B"
    if size < 1_000_000:
        return f"{size / 1000:.0f} kB"
    return f"{size / 1_000_000:.1f} MB"


def _costs(args: argparse.Namespace) -> str | dict[str, float] | None:
    """``--costs FILE``, or ``--cost-fp X --cost-fn Y`` (true positives and negatives cost 0)."""
    pair = (args.cost_fp, args.cost_fn)
    if args.costs is not None and pair != (None, None):
        raise InputError("usage: give --costs FILE or --cost-fp/--cost-fn, not both")
    if pair == (None, None):
        return args.costs
    if None in pair:
        raise InputError("usage: --cost-fp and --cost-fn go together")
    return {"fp": args.cost_fp, "fn": args.cost_fn}


def _summaries(evaluation: "reportgen.Evaluation", args: argparse.Namespace) -> list[tuple[str, str | bytes]]:
    """The Markdown summary, the model card and the exported lists, as (path, contents)."""
    from reportgen.report.markdown import summary_markdown

    out: list[tuple[str, str | bytes]] = []
    report = evaluation.sections() if args.markdown or args.model_card else None  # read only
    if args.model_card:
        from reportgen.report.model_card import CardEntry, updated_card

        entry = CardEntry.of(report, model=args.model, dataset=args.dataset, split=args.dataset_split,
                             task=args.hf_task, url=args.report_url or _relative(args.out, args.model_card))
        out.append((args.model_card, updated_card(_read_card(args.model_card), entry, args.model_card)))
    if args.markdown:
        out.append((args.markdown, summary_markdown(report, report_url=args.report_url)))
    if args.export:
        from reportgen.report.export import export_files

        if evaluation.example_lists is None:
            raise InputError(EXPORT_ENGINE)
        out += [(str(path), data) for path, data in export_files(evaluation.example_lists, args.export)]
    return out


def _read_page(path: str) -> str | None:
    """The page just written (logged as it is), or None to draw it again."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError:
        return None


def _relative(target: str, card: str) -> str:
    """``target``'s path seen from the card's folder, with forward slashes."""
    folder = os.path.dirname(os.path.abspath(card))
    return os.path.relpath(os.path.abspath(target), folder).replace(os.sep, "/")


def _read_card(path: str) -> str | None:
    """The card's text, or None when there is none yet (bytes kept: no newline translation)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return None
    except OSError as err:
        raise InputError(f"cannot read the model card: {err.strerror}", file=path) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("the model card is not UTF-8 text", file=path) from None


def _predictions(args: argparse.Namespace) -> dict[str, object]:
    """The hard-label options: --predictions (or the scores file, when only the column is
    named), --prediction-column and --baseline-predictions."""
    predictions = args.predictions
    if predictions is None and args.prediction_column is not None:
        if args.scores is None:
            raise InputError("usage: --prediction-column needs --predictions FILE or --scores FILE")
        predictions = args.scores
    out: dict[str, object] = {"predictions": predictions, "baseline_predictions": args.baseline_predictions}
    if args.prediction_column is not None:
        out["prediction_column"] = args.prediction_column
    return out


def run_check(args: argparse.Namespace) -> int:
    from reportgen import gate

    kinds = ("min", "max", "max_drop", "min_slice", "max_broken")
    rules = [gate.Rule.parse(kind, text) for kind in kinds for text in getattr(args, kind)]
    if not rules:
        raise InputError("usage: give at least one rule (--min, --max, --max-drop, --min-slice or --max-broken)")
    if args.confidence is not None and not 0 < args.confidence < 1:
        raise InputError(f"usage: --confidence {args.confidence!r} must be between 0 and 1, e.g. 0.95")
    report = gate.load_report(args.metrics_json)
    outcomes = gate.outcomes(report, rules, args.metrics_json, args.confidence, args.inconclusive)
    if args.markdown:
        from reportgen.report.markdown import summary_markdown
        from reportgen.report.write import write_atomic

        try:
            write_atomic(args.markdown, summary_markdown(report, gate=outcomes, report_url=args.report_url))
        except OSError as err:
            raise InputError(f"cannot write the Markdown summary: {err.strerror}", file=args.markdown) from None
    for o in outcomes:
        if o.verdict != "pass":
            print(f"reportgen check: {o.verdict.upper()} {o.text}", file=sys.stderr)
    if any(not o.passed for o in outcomes):
        return EXIT_GATE
    if not args.quiet:
        unsettled = sum(o.verdict == "inconclusive" for o in outcomes)
        print(f"reportgen check: {len(rules)} rules passed" +
              (f" ({unsettled} inconclusive, passed by --inconclusive pass)" if unsettled else ""))
    return EXIT_OK


def run_index(args: argparse.Namespace) -> int:
    from reportgen.report.index import build_index

    if not os.path.isdir(args.folder):
        raise InputError("not a folder", file=args.folder)
    entries, skipped = build_index(args.folder, reportgen.__version__)
    if not args.quiet:
        print(f"reportgen index: {len(entries)} reports listed, {len(skipped)} files skipped -> "
              f"{os.path.join(args.folder, 'index.html')}")
    return EXIT_OK


def run_generate(args: argparse.Namespace) -> int:
    from reportgen.generative import evaluate_tokens
    from reportgen.report.output import write_generative

    report = evaluate_tokens(
        args.tokens, vocab_size=args.vocab_size, baseline=args.baseline_tokens, baseline_name=args.baseline_name
    )
    report["meta"] = _meta(args)
    write_generative(report, html_path=args.out, json_path=args.metrics_json)
    if not args.quiet:
        _say_written([args.out, args.metrics_json])
    return EXIT_OK


def _meta(args: argparse.Namespace) -> dict[str, str | None]:
    from reportgen.report.output import meta

    return meta(args.title, args.model, args.dataset)


COMMANDS = {"build": run_build, "check": run_check, "index": run_index, "build-generate": run_generate}


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except InputError as err:
        print(f"reportgen: error: {err}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("reportgen: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # a bug, not bad input: still one line, unless debugging
        if os.environ.get("REPORTGEN_DEBUG"):
            raise
        print(f"reportgen: internal error: {type(err).__name__}: {' '.join(str(err).split())}", file=sys.stderr)
        return EXIT_INTERNAL
