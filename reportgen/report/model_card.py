"""Hugging Face model cards: the report's headline metrics as ``model-index`` metadata in
the card's YAML front matter.

reportgen's entry is one item of the model's ``results``, marked ``source: {name: reportgen, url}``
and identified by the model name, the task type and the dataset (type and split). Writing
it again replaces that item only; every other line of the card stays byte for byte. The
entry is emitted here (every string double-quoted, JSON-escaped, which YAML reads as the
same string); PyYAML only locates the existing entries in the front matter.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import yaml

from reportgen import registry
from reportgen.errors import InputError
from reportgen.report.fairness_view import card_metrics

SOURCE = "reportgen"
DEFAULT_TASK = "text-classification"
# summary key -> (Hugging Face metric type, arguments)
CARD_METRICS = (
    ("accuracy", "accuracy", None),
    ("macro_f1", "f1", {"average": "macro"}),
    ("macro_precision", "precision", {"average": "macro"}),
    ("macro_recall", "recall", {"average": "macro"}),
    ("roc_auc_macro", "roc_auc", {"average": "macro"}),
    ("log_loss", "log_loss", None),
)
FENCE = "---"
BOM = "\ufeff"


@dataclass(frozen=True)
class CardEntry:
    """What reportgen writes: the model, the task, the dataset and its metrics."""

    model: str
    task: str
    dataset: str
    split: str | None
    metrics: tuple[tuple[str, str, dict[str, str] | None, float], ...]  # (type, name, args, value)
    url: str  # the full report: Hugging Face requires a source's url beside its name

    @classmethod
    def of(cls, report: dict[str, Any], *, model: str | None, dataset: str | None, url: str,
           split: str | None = None, task: str | None = None) -> "CardEntry":
        if not model or not dataset:
            raise InputError("usage: --model-card needs --model NAME and --dataset NAME (the model-index requires both)")
        metrics = tuple(
            (kind, registry.label(key), args, value)
            for key, kind, args in CARD_METRICS
            if (value := registry.summary_value(report["summary"], key)) is not None and math.isfinite(value)
        ) + tuple((kind, name, None, value) for kind, name, value in card_metrics(report))  # with --group-by
        return cls(model=model, task=task or DEFAULT_TASK, dataset=dataset, split=split, metrics=metrics, url=url)


def updated_card(text: str | None, entry: CardEntry, path: str = "README.md") -> str:
    """The card ``text`` (None: no card yet) with reportgen's entry written or replaced."""
    if text is None:
        return f"{FENCE}\nmodel-index:\n{_model_block(entry, 0)}{FENCE}\n\n# {entry.model}\n\nEvaluation results written by reportgen.\n"
    if text.startswith(BOM):  # kept where it was, before the front matter
        return BOM + updated_card(text[len(BOM):], entry, path)
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n") != FENCE:
        return f"{FENCE}{newline}model-index:{newline}{_model_block(entry, 0, newline)}{FENCE}{newline}" + text
    close = next((i for i in range(1, len(lines)) if lines[i].rstrip("\r\n") == FENCE), None)
    if close is None:
        raise InputError("the YAML front matter has no closing '---' line", file=path)
    front = lines[1:close]
    new_front = _update_front(front, entry, newline, path)
    return "".join(lines[:1] + new_front + lines[close:])


def _update_front(front: list[str], entry: CardEntry, newline: str, path: str) -> list[str]:
    if front and not front[-1].endswith("\n"):
        front = front[:-1] + [front[-1] + newline]
    try:
        root = yaml.compose("".join(front), Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        raise InputError(f"the YAML front matter does not parse: {' '.join(str(err).split())}", file=path) from None
    if root is None:
        return front + [f"model-index:{newline}", _model_block(entry, 0, newline)]
    if not isinstance(root, yaml.MappingNode):
        raise InputError("the YAML front matter is not a mapping", file=path)
    index = _value(root, "model-index")
    if index is None:
        return front + [f"model-index:{newline}", _model_block(entry, 0, newline)]
    models = _block_items(index, front, "model-index", path)
    for node in models:
        if isinstance(node, yaml.MappingNode) and _scalar(_value(node, "name")) == entry.model:
            results = _value(node, "results")
            if results is None:
                raise InputError(f"the model-index entry of {entry.model!r} has no 'results'", file=path)
            items = _block_items(results, front, "results", path)
            ours = next((r for r in items if _is_ours(r, entry)), None)
            if ours is not None:
                start, end = _item_lines(front, ours)
                return front[:start] + [_result_block(entry, _dash(front, ours), newline)] + front[end:]
            _, end = _item_lines(front, items[-1])
            return front[:end] + [_result_block(entry, _dash(front, items[-1]), newline)] + front[end:]
    _, end = _item_lines(front, models[-1])
    return front[:end] + [_model_block(entry, _dash(front, models[-1]), newline)] + front[end:]


def _value(mapping: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(mapping, yaml.MappingNode):
        return None
    return next((v for k, v in mapping.value if isinstance(k, yaml.ScalarNode) and k.value == key), None)


def _scalar(node: yaml.Node | None) -> str | None:
    return node.value if isinstance(node, yaml.ScalarNode) else None


def _block_items(node: yaml.Node, front: list[str], name: str, path: str) -> list[yaml.Node]:
    """The items of a non-empty block sequence (reportgen edits only that form)."""
    if not isinstance(node, yaml.SequenceNode) or node.flow_style or not node.value:
        raise InputError(f"'{name}' in the front matter is not a non-empty block list; "
                         "reportgen cannot update it in place", file=path)
    for item in node.value:
        _dash(front, item, path)
    return node.value


def _dash(front: list[str], item: yaml.Node, path: str = "") -> int:
    """The column of the ``-`` that opens a block sequence's item."""
    line = front[item.start_mark.line]
    column = line.rfind("-", 0, item.start_mark.column)
    if column < 0 or line[:column].strip():
        raise InputError("an item of the model-index does not start its line with '-'", file=path)
    return column


def _item_lines(front: list[str], item: yaml.Node) -> tuple[int, int]:
    """The lines [start, end) of a block sequence item: from its dash to the last line
    indented deeper than the dash (trailing blank and comment lines stay outside)."""
    start = item.start_mark.line
    dash = _dash(front, item)
    end = start + 1
    last = start + 1
    while end < len(front):
        text = front[end]
        stripped = text.strip()
        if stripped and not stripped.startswith("#"):
            if len(text) - len(text.lstrip(" ")) <= dash:
                break
            last = end + 1
        end += 1
    return start, last


def _is_ours(result: yaml.Node, entry: CardEntry) -> bool:
    dataset = _value(result, "dataset")
    return (
        _scalar(_value(_value(result, "source"), "name")) == SOURCE
        and _scalar(_value(_value(result, "task"), "type")) == entry.task
        and _scalar(_value(dataset, "type")) == entry.dataset
        and _scalar(_value(dataset, "split")) == entry.split
    )


def _quote(text: str) -> str:
    """A YAML double-quoted scalar (JSON's escapes are YAML's)."""
    return json.dumps(text, ensure_ascii=True)


def _float(value: float) -> str:
    """A float YAML 1.1 reads back as the same float (its exponent form needs a dot)."""
    text = repr(float(value))
    if "e" in text and "." not in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}.0e{exponent}"
    return text


def _model_block(entry: CardEntry, dash: int, newline: str = "\n") -> str:
    pad = " " * dash
    return (f"{pad}- name: {_quote(entry.model)}{newline}{pad}  results:{newline}"
            + _result_block(entry, dash + 2, newline))


def _result_block(entry: CardEntry, dash: int, newline: str = "\n") -> str:
    pad, inner = " " * dash, " " * (dash + 2)
    task_name = entry.task.replace("-", " ").title()
    lines = [
        f"{pad}- task:",
        f"{inner}  type: {_quote(entry.task)}",
        f"{inner}  name: {_quote(task_name)}",
        f"{inner}dataset:",
        f"{inner}  type: {_quote(entry.dataset)}",
        f"{inner}  name: {_quote(entry.dataset)}",
    ]
    if entry.split:
        lines.append(f"{inner}  split: {_quote(entry.split)}")
    lines.append(f"{inner}metrics:" if entry.metrics else f"{inner}metrics: []")
    for kind, name, args, value in entry.metrics:
        lines += [f"{inner}- type: {_quote(kind)}", f"{inner}  value: {_float(value)}", f"{inner}  name: {_quote(name)}"]
        if args:
            lines.append(f"{inner}  args:")
            lines += [f"{inner}    {k}: {_quote(v)}" for k, v in args.items()]
    lines += [f"{inner}source:", f"{inner}  name: {_quote(SOURCE)}", f"{inner}  url: {_quote(entry.url)}"]
    return newline.join(lines) + newline
