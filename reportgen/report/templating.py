"""The jinja2 environment: templates shipped as the package ``reportgen.templates``."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from reportgen import registry
from reportgen.numbers import format_count, format_ratio, format_score


def template_folder() -> Path:
    """The installed templates, or the repository's top-level templates/ in a checkout."""
    try:
        folder = Path(str(resources.files("reportgen.templates")))
    except ModuleNotFoundError:
        folder = None
    if folder is None or not (folder / "page.html.j2").is_file():
        folder = Path(__file__).resolve().parents[2] / "templates"
    return folder


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_folder())),
        # HTML templates escape what they print; the plain-text email (.txt.j2) prints text as it is
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "htm", "xml", "html.j2"),
                                            disabled_extensions=("txt.j2",), default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["count"] = format_count  # one rule for counts and one for ratios (reportgen/numbers.py)
    env.filters["ratio"] = format_ratio
    env.filters["score"] = format_score
    env.globals["metric_label"] = registry.label  # every metric's name comes from the registry
    env.globals["any_input"] = any_input
    return env


def count_digits(report: dict[str, Any]) -> int:
    """Decimals of every count in a report: 0 unless it is weighted by some fractional weight."""
    return int((report.get("inputs") or {}).get("count_digits") or 0)


INPUT_KEYS = ("image", "overlay", "text")  # what an example's input may carry (reportgen/inputs.py)


def any_input(examples: Any) -> bool:
    """Whether any of ``examples`` (dicts) carries an input to show: a table of examples
    has an "input" column only then (the page script asks the same, ``anyInput``)."""
    return any(e.get(k) for e in examples or () for k in INPUT_KEYS)


def render_template(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)
