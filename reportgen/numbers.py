"""How every view prints a number: one rule for counts, one for ratios, one for the
scores in example lists.

The page, the index, the email, the Markdown summary and the notebook view all print
through these functions (the page's script has the same rules, ``countText``, ``fmt``
and ``formatScore`` in templates/report.js), so a count reads ``20,000`` and a ratio ``0.953``
wherever it appears.
"""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

RATIO_DIGITS = 3  # decimals of a ratio (a share, a score, an area) everywhere
MISSING = "—"


def format_count(value: Any, digits: int = 0) -> str:
    """A count (or a sum of weights) with thousands separators and ``digits`` decimals
    (``inputs.count_digits``: 0 unless weighted by fractional weights); halves rounded up,
    as JavaScript's ``toFixed`` rounds the same binary value. ``—`` for null."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return MISSING
    exact = Decimal(float(value))  # the binary value itself, as toFixed rounds it
    return format(exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP), f",.{digits}f")


def format_ratio(value: Any, digits: int = RATIO_DIGITS) -> str:
    """A ratio (or any value on a ratio's scale: an area, a score, a loss) with ``digits``
    decimals and a true minus sign; ``—`` for null or not finite."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return MISSING
    return f"{float(value):.{digits}f}".replace("-", "−")


def format_score(value: Any) -> str:
    """A score in an example list (label issues, confident mistakes, churn, selection
    details) with at least two significant digits: 3 decimals from 0.01 up (``0.012``,
    ``0.987``), two significant digits in scientific notation below (``3.1e-4``, not
    ``0.000``), ``0`` for zero, ``—`` for none. ``formatScore`` in report.js prints the same
    text (``toFixed(3)`` and ``toExponential(1)``)."""
    if value is None:
        return MISSING
    x = float(value)
    if x == 0.0:
        return "0"
    if abs(x) >= 0.01:
        return f"{x:.3f}"
    mantissa, exponent = f"{x:.1e}".split("e")
    return f"{mantissa}e{int(exponent)}"
