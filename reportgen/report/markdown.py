"""A GitHub-flavoured Markdown summary of a report: for a pull-request comment, a CI job
summary (``$GITHUB_STEP_SUMMARY``) or release notes.

A pure function of the report dict (and of the gate's outcomes, when from ``check``).
The first line is a stable hidden marker, so a CI step can find and update its comment.
The text stays within GitHub's comment limit by dropping table rows, never by cutting a
table. Everything from the user's files (class names, slice values, titles) is escaped
as text.
"""
from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, replace
from typing import Any, Iterable, Protocol, Sequence

from reportgen import registry
from reportgen.evidence import WORDS, verdict_line
from reportgen.analysis.attention import attention
from reportgen.numbers import RATIO_DIGITS, format_count, format_ratio
from reportgen.report.decisions_view import decision_lines
from reportgen.report.fairness_view import summary_lines
from reportgen.report.templating import count_digits

MARKER = "<!-- reportgen-summary -->"
LIMIT = 65_536  # characters in a GitHub comment
HEADLINE = ("accuracy", "macro_precision", "macro_recall", "macro_f1", "roc_auc_macro",
            "average_precision_macro", "log_loss", "top_k_accuracy.3", "top_k_accuracy.5")
TASK_HEADLINE = {  # the page's tiles first: the positive class (binary), exact match (multilabel)
    "binary": ("precision", "recall", "f1", "accuracy", "roc_auc_macro", "average_precision_macro", "log_loss",
               "macro_f1"),
    "multilabel": ("subset_accuracy", "accuracy", "hamming_loss", "macro_precision", "macro_recall", "macro_f1",
                   "roc_auc_macro", "average_precision_macro", "log_loss"),
}
GENERATIVE = ("token_accuracy", "loss", "perplexity", "uniform_loss")
CONFUSIONS = 10
SLICES = 25
CELL = 200  # characters of a user-given string kept in a cell
DIGITS = RATIO_DIGITS  # as the page prints them
ESCAPED = set("\\`*_[]|~$")  # markup characters, escaped with a backslash


class Outcome(Protocol):
    """One gate rule's result (``reportgen.gate.Outcome``)."""

    passed: bool
    text: str
    verdict: str


@dataclass(frozen=True)
class Table:
    """A Markdown table: ``rows`` are rendered cells; rows are dropped from the end to fit."""

    title: str
    header: tuple[str, ...]
    align: tuple[str, ...]          # "l" or "r" per column
    rows: tuple[tuple[str, ...], ...]
    intro: str = ""
    total: int | None = None        # rows there are in all (more than ``rows``: a note says so)
    dropped: int = 0

    def render(self) -> str:
        if not self.rows:
            return ""
        lines = [f"### {self.title}", ""]
        if self.intro:
            lines += [self.intro, ""]
        lines.append("| " + " | ".join(self.header) + " |")
        lines.append("|" + "|".join(" ---: " if a == "r" else " --- " for a in self.align) + "|")
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        more = (self.total if self.total is not None else len(self.rows) + self.dropped) - len(self.rows)
        if more > 0:
            lines += ["", f"_…and {more:,} more in the full report._"]
        return "\n".join(lines) + "\n"

    def shorter(self) -> "Table":
        """The table with about a tenth of its rows (at least one) dropped from the end."""
        drop = max(1, len(self.rows) // 10)
        return replace(self, rows=self.rows[:-drop], dropped=self.dropped + drop)


def summary_markdown(report: dict[str, Any], *, gate: list | None = None, report_url: str | None = None) -> str:
    """The summary of ``report`` (a metrics JSON dict); ``gate`` lists the outcomes of the
    release gate's rules (objects with ``passed`` and ``text``), ``report_url`` links the page."""
    head = _header(report)
    gate_text = _gate(gate) if gate is not None else ""
    link = f"[Full report]({_url(report_url)})\n" if report_url else ""
    decisions = "\n".join(part for part in (_decisions(report), _evidence(report)) if part)
    tables = [t for t in (_headline(report), _attention(report), _confusions(report), _slices(report),
                          _churn(report)) if t.rows]

    def compose(parts: Sequence[Table]) -> str:
        body = [head, gate_text, decisions, *(t.render() for t in parts), link]
        return "\n".join(p for p in body if p)

    text = compose(tables)
    while len(text) > LIMIT:
        longest = max(range(len(tables)), key=lambda i: len(tables[i].render()), default=None)
        if longest is None or not tables[longest].rows:
            break
        tables[longest] = tables[longest].shorter()
        tables = [t for t in tables if t.rows]
        text = compose(tables)
    return text[:LIMIT] if len(text) > LIMIT else text  # only a gate of thousands of rules gets here


def escape(value: Any) -> str:
    """User-given text as Markdown table-cell text: no markup, no HTML, one line, at most
    CELL characters."""
    text = " ".join(str(value).split())  # newlines and tabs become spaces
    if len(text) > CELL:
        text = text[: CELL - 1] + "…"
    out = []
    for ch in text:
        if ch == "&":
            out.append("&amp;")
        elif ch == "<":
            out.append("&lt;")
        elif ch in ESCAPED:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def _url(url: str) -> str:
    return "<" + urllib.parse.quote(url.strip(), safe=":/?#[]@!$&'()*+,;=%~") + ">"


def _header(report: dict[str, Any]) -> str:
    meta = report.get("meta") or {}
    title = escape(meta.get("title") or "Classifier evaluation")
    facts = []
    if meta.get("model"):
        facts.append(f"model **{escape(meta['model'])}**")
    if meta.get("dataset"):
        facts.append(f"dataset **{escape(meta['dataset'])}**")
    n = report.get("n_examples", report["summary"].get("n_examples"))
    if n is not None:
        facts.append(f"{n:,} examples")
    if report.get("classes"):
        facts.append(f"{len(report['classes']):,} classes, {report['task']}")
    if report.get("baseline"):
        facts.append(f"against **{escape(report['baseline'].get('name', 'baseline'))}**")
    return f"{MARKER}\n## {title}\n\n{' · '.join(facts)}\n"


def _decisions(report: dict[str, Any]) -> str:
    """One line each for KS and lift, net benefit and expected cost, and one per fairness
    column, when the report has them."""
    lines = decision_lines(report, escape, lambda text: f"**{text}**") + summary_lines(report, escape)
    return "\n".join(f"- {line}" for line in lines) + "\n" if lines else ""


MARK = {"pass": "✅", "fail": "❌", "inconclusive": "❔"}


def _gate(outcomes: Iterable[Outcome]) -> str:
    outcomes = list(outcomes)
    failed = sum(not o.passed for o in outcomes)
    unsettled = sum(o.verdict == "inconclusive" for o in outcomes)
    held = sum(o.verdict == "pass" for o in outcomes)
    also = f"; {unsettled} inconclusive" if unsettled else ""
    verdict = f"**Release gate: {'failed' if failed else 'passed'}** ({held} of {len(outcomes)} rules hold{also})"
    lines = [f"- {MARK[o.verdict]} {WORDS[o.verdict]} {escape(o.text)}" for o in outcomes]
    return "\n".join([verdict, "", *lines]) + "\n"


def _evidence(report: dict[str, Any]) -> str:
    """The evidence list: one line per judged change or flagged slice, as the page says it."""
    judged = report.get("evidence") or []
    if not judged:
        return ""
    lines = [f"- {MARK[e['verdict']]} {escape(verdict_line(e))}" for e in judged]
    return "\n".join(["**Is the evidence enough?**", "", *lines]) + "\n"


def _number(key: str, value: float | None) -> str:
    return registry.format_value(key, value, DIGITS)


def _headline(report: dict[str, Any]) -> Table:
    summary = report["summary"]
    baseline = (report.get("baseline") or {}).get("summary")
    deltas = (report.get("deltas") or {}).get("summary", {})
    intervals = report.get("intervals") or {}
    header = ["Metric", "Value", "95% interval"]
    if baseline is not None:
        header += ["Baseline", "Change", "95% interval of the change"]
    rows = []
    task = report.get("task")
    for key in GENERATIVE if task == "generative" else TASK_HEADLINE.get(task, HEADLINE):
        value = registry.summary_value(summary, key)
        if value is None:
            continue
        row = [registry.report_label(key, report), _number(key, value),
               _interval(key, _nested(intervals.get("summary"), key))]
        if baseline is not None:
            delta = registry.summary_value(deltas, key) if deltas else None
            better = registry.improvement(key, delta)
            change = registry.format_delta(key, delta, DIGITS)
            if better is not None:
                change += " (better)" if better else " (worse)"
            row += [_number(key, registry.summary_value(baseline, key)), change,
                    _interval(key, _nested(intervals.get("deltas"), key), delta=True)]
        rows.append(tuple(row))
    return Table("Headline metrics", tuple(header), ("l",) + ("r",) * (len(header) - 1), tuple(rows))


def _nested(section: dict[str, Any] | None, key: str) -> Any:
    if not section:
        return None
    head, _, tail = key.partition(".")
    value = section.get(head)
    return value.get(tail) if isinstance(value, dict) else value


def _interval(key: str, pair: Sequence[float] | None, delta: bool = False) -> str:
    if not pair or pair[0] is None or pair[1] is None:
        return "—"
    show = (lambda v: registry.format_delta(key, v, DIGITS)) if delta else (lambda v: _number(key, v))
    return f"{show(pair[0])} to {show(pair[1])}"


def attention_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The classes that need attention: the report's ``attention`` section (reports from
    before it was recorded: the same list, derived from the report)."""
    rows = report.get("attention")
    if rows is None and "per_class" not in report:  # a generative report
        return []
    return list(rows) if rows is not None else attention(report)


def _attention(report: dict[str, Any]) -> Table:
    task = report.get("task")
    single = task == "multiclass"
    rows = []
    digits = count_digits(report)
    for a in attention_rows(report):
        row = (escape(a["class"]), _count(a["support"], digits), _ratio(a["precision"]), _ratio(a["recall"]), _ratio(a["f1"]),
               _count(a.get("misses"), digits), _count(a.get("false_alarms"), digits))
        if single:
            other = a.get("confused_with")
            row += ("—" if not other else
                    f"{escape(other['predicted'])} ({_count(other['count'], digits)}, {100 * other['share_of_actual']:.1f}%)",)
        rows.append(row)
    header = ("Label" if task == "multilabel" else "Class", "Support", "Precision", "Recall", "F1", "Misses",
              "False alarms") + (("Most often predicted as",) if single else ())
    if task == "binary":
        positive, negative = (escape(c) for c in (report["positive_class"], report["classes"][0]))
        title, intro = "The positive class", (
            f"Misses: {positive} examples predicted {negative}; false alarms: {negative} examples predicted {positive}.")
    elif task == "multilabel":
        title, intro = "Labels that need attention", (
            "Lowest F1 first; each label decided on its own. Misses: examples with the label it is not predicted on; "
            "false alarms: examples without it that it is predicted on.")
    else:
        rule = "highest score" if (report.get("inputs") or {}).get("kind", "scores") == "scores" else "the model's labels"
        title, intro = "Classes that need attention", (
            f"Lowest F1 first; decisions by {rule}. Misses: examples of the class predicted as another; false alarms: "
            "examples of other classes predicted as it.")
    return Table(title, header, ("l",) + ("r",) * 6 + (("l",) if single else ()), tuple(rows), intro=intro)


def _confusions(report: dict[str, Any]) -> Table:
    cells = report.get("top_confusions") or []
    rows = tuple((escape(c["actual"]), escape(c["predicted"]), _count(c["count"], count_digits(report)),
                  f"{100 * c['share_of_actual']:.1f}%") for c in cells[:CONFUSIONS])
    return Table("Top confusions", ("Actual", "Predicted", "Examples", "Share of actual"), ("l", "l", "r", "r"),
                 rows, total=len(cells))


def _slices(report: dict[str, Any]) -> Table:
    flagged = [s for s in report.get("slices") or [] if s.get("flagged")]
    keys = ("accuracy", registry.f1_key(report["task"]))
    rows = tuple(
        (", ".join(f"{escape(b)} = {escape(v)}" for b, v in zip(s["by"], s["value"])), _count(s["n_examples"]),
         *(_number(k, s["summary"].get(k)) for k in keys),
         "—" if s.get("q_value") is None else f"{s['q_value']:.2g}")
        for s in flagged[:SLICES]
    )
    return Table("Flagged slices", ("Slice", "Examples", *(registry.report_label(k, report) for k in keys), "q-value"),
                 ("l", "r", "r", "r", "r"), rows, total=len(flagged),
                 intro="Significantly worse than the rest of the data (Benjamini-Hochberg).")


def _churn(report: dict[str, Any]) -> Table:
    churn = report.get("churn")
    if not churn:
        return Table("Churn", (), (), ())
    name = escape((report.get("baseline") or {}).get("name", "baseline"))
    digits = count_digits(report)
    row = (_count(churn["fixed"], digits), _count(churn["broken"], digits), _count(churn["still_right"], digits),
           _count(churn["still_wrong"], digits), f"{churn['mcnemar_p']:.3g}")
    return Table("Churn", ("Fixed", "Broken", "Still right", "Still wrong", "McNemar p"), ("r",) * 5, (row,),
                 intro=f"Examples whose correctness changed against {name}.")


def _ratio(value: float | None) -> str:
    return format_ratio(value, DIGITS)


def _count(value: float | None, digits: int = 0) -> str:
    """A count as the page prints it (``digits``: the report's ``inputs.count_digits``)."""
    return format_count(value, digits)
