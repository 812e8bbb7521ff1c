"""The jinja2 environment: templates shipped as the package ``reportgen.templates``."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from reportgen import registry


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
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["count"] = format_count
    env.filters["score"] = format_score
    env.globals["metric_label"] = registry.label  # every metric's name comes from the registry
    return env


def count_digits(report: dict[str, Any]) -> int:
    """Decimals of every count in a report: 0 unless it is weighted by some fractional weight."""
    return int((report.get("inputs") or {}).get("count_digits") or 0)


def format_count(value: Any, digits: int = 0) -> str:
    """A count (or sum of weights) as the page and the email print it: ``digits`` decimals
    (``count_digits``), halves rounded up as JavaScript's ``toFixed`` does (``formatCount``
    in report.js applies the same rule)."""
    if value is None:
        return "—"
    exact = Decimal(float(value))  # the binary value itself, as toFixed rounds it
    return str(exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def format_score(value: Any) -> str:
    """A score in an example list (label issues, confident mistakes, churn, selection
    details) with at least two significant digits: 3 decimals from 0.01 up (``0.012``,
    ``0.987``), two significant digits in scientific notation below (``3.1e-4``, not
    ``0.000``), ``0`` for zero, ``—`` for none. ``formatScore`` in report.js prints the same
    text (``toFixed(3)`` and ``toExponential(1)``)."""
    if value is None:
        return "—"
    x = float(value)
    if x == 0.0:
        return "0"
    if abs(x) >= 0.01:
        return f"{x:.3f}"
    mantissa, exponent = f"{x:.1e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def render_template(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)
